//! `liftoff watch`: the go-live guardian. It runs the live checks of every endpoint on a schedule,
//! keeps results and state changes in a database, and delivers alerts through an outbox, so an
//! alert is sent at least once and never twice for the same transition.

pub mod checks;
pub mod dashboard;
pub mod deliver;
pub mod engine;
pub mod plan;
pub mod run;
pub mod server;
pub mod store;

/// Maintenance windows are facts of the manifest; the watcher only asks whether one is open.
pub use crate::model::maintenance;
