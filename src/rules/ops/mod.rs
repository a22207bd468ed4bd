//! Operations: upgrades, support, staffing, pipelines, required settings, email.

pub mod automated_deploy;
pub mod inputs_parse;
pub mod required_env;
pub mod smtp;
pub mod staffing;
pub mod support_process;
pub mod upgrade_cadence;
pub use automated_deploy::AutomatedDeploy;
pub use inputs_parse::InputsParse;
pub use required_env::RequiredEnv;
pub use smtp::Smtp;
pub use staffing::Staffing;
pub use support_process::SupportProcess;
pub use upgrade_cadence::UpgradeCadence;
