//! High availability and scale: redundancy, zones, replicas, quorum, singletons, server counts.

mod db_replica;
mod metrics_targets;
mod multi_zone;
mod quorum;
mod replication_mode;
mod server_count;
mod singletons;
mod web_redundancy;

pub use db_replica::DbReplica;
pub use metrics_targets::MetricsTargets;
pub use multi_zone::MultiZone;
pub use quorum::Quorum;
pub use replication_mode::ReplicationMode;
pub use server_count::{ServerCount, servers_needed};
pub use singletons::Singletons;
pub use web_redundancy::WebRedundancy;
