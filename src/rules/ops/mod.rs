//! Operations: upgrades, support, staffing, pipelines, required settings, email.

mod automated_deploy;
mod declared;
mod inputs_parse;

pub use automated_deploy::AutomatedDeploy;
pub use declared::{RequiredEnv, Smtp, Staffing, SupportProcess, UpgradeCadence};
pub use inputs_parse::InputsParse;
