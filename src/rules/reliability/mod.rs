//! Reliability and backups: every store backed up, often, off-site, restorable, watched; runbooks.

pub mod backup_frequency;
pub mod backup_monitored;
pub mod backup_offsite;
pub mod backup_tags;
pub mod backups;
mod cloud_backups;
pub mod datacenter;
pub mod db_maintenance;
pub mod pitr;
pub mod restore_tested;
pub mod runbooks;
mod shared;
pub use backup_frequency::BackupFrequency;
pub use backup_monitored::BackupMonitored;
pub use backup_offsite::BackupOffsite;
pub use backup_tags::BackupTags;
pub use backups::Backups;
pub use datacenter::Datacenter;
pub use db_maintenance::DbMaintenance;
pub use pitr::Pitr;
pub use restore_tested::RestoreTested;
pub use runbooks::Runbooks;
