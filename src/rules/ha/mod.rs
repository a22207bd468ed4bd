//! High availability and scale: redundancy, zones, replicas, quorum, singletons, server counts.

// The rule modules of this area, one per file, found by build.rs.
include!(concat!(env!("OUT_DIR"), "/rules/ha.rs"));

pub use server_count::servers_needed;
