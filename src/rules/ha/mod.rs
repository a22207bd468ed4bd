//! High availability and scale: redundancy, zones, replicas, quorum, singletons, server counts.

pub mod db_replica;
pub mod metrics_targets;
pub mod multi_zone;
pub mod quorum;
pub mod replication_mode;
pub mod server_count;
pub mod singletons;
pub mod web_redundancy;
pub use db_replica::DbReplica;
pub use metrics_targets::MetricsTargets;
pub use multi_zone::MultiZone;
pub use quorum::Quorum;
pub use replication_mode::ReplicationMode;
pub use server_count::{ServerCount, servers_needed};
pub use singletons::Singletons;
pub use web_redundancy::WebRedundancy;
