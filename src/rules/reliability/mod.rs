//! Reliability and backups: every store backed up, often, off-site, restorable, watched; runbooks.

pub(crate) mod cloud_backups;
mod shared;

// The rule modules of this area, one per file, found by build.rs.
include!(concat!(env!("OUT_DIR"), "/rules/reliability.rs"));
