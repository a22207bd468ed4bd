//! Reliability and backups: every store backed up, often, off-site, restorable, watched; runbooks.

mod backups;
mod cloud_backups;
mod operations;

pub use backups::{
    BackupFrequency, BackupMonitored, BackupOffsite, BackupTags, Backups, Pitr, RestoreTested,
};
pub use operations::{Datacenter, DbMaintenance, Runbooks};
