//! Environments and topology: staging exists and matches production, data stays where it belongs.

pub mod backup_separate;
pub mod data_separation;
pub mod parity;
pub mod pre_production;
pub mod production_dev_images;
pub mod staging_access;
pub mod test_data_only;
pub use backup_separate::BackupSeparate;
pub use data_separation::DataSeparation;
pub use parity::Parity;
pub use pre_production::PreProduction;
pub use production_dev_images::ProductionDevImages;
pub use staging_access::StagingAccess;
pub use test_data_only::TestDataOnly;
