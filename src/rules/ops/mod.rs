//! Operations: upgrades, support, staffing, pipelines, required settings, email.

mod automated_deploy;
mod declared;

pub use automated_deploy::AutomatedDeploy;
pub use declared::{RequiredEnv, Smtp, Staffing, SupportProcess, UpgradeCadence};
