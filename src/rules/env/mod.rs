//! Environments and topology: staging exists and matches production, data stays where it belongs.

mod backup_separate;
mod data_separation;
mod parity;
mod pre_production;
mod production_dev_images;
mod staging_access;
mod test_data_only;

pub use backup_separate::BackupSeparate;
pub use data_separation::DataSeparation;
pub use parity::Parity;
pub use pre_production::PreProduction;
pub use production_dev_images::ProductionDevImages;
pub use staging_access::StagingAccess;
pub use test_data_only::TestDataOnly;
