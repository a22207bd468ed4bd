//! liftoff: tells the people who run a service whether its deployment is ready for the rollout
//! stage they are about to enter (staging, soft launch, production launch).
//!
//! The crate follows the data flow: [`sources`] read files into the [`model`]; [`rules`] judge the
//! model; [`policy`] applies profiles, waivers and stage gating; [`report`] renders the outcome.
//! [`pipeline`] composes them into one judgement. [`plan`] and [`parity`] are views of the model
//! beside the rules. Only the binary prints.

pub mod allocator;
pub mod diagnostic;
pub mod escape;
pub mod glob;
pub mod model;
pub mod parity;
pub mod pipeline;
pub mod plan;
pub mod policy;
pub mod probe;
pub mod report;
pub mod rules;
pub mod secrets;
pub mod sources;
pub mod watch;
