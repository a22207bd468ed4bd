//! Operations: upgrades, support, staffing, pipelines, required settings, email.

// The rule modules of this area, one per file, found by build.rs.
include!(concat!(env!("OUT_DIR"), "/rules/ops.rs"));
