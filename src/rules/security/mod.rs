//! Security: transport, exposure, authentication, secrets, patching, testing.

mod shared;

// The rule modules of this area, one per file, found by build.rs.
include!(concat!(env!("OUT_DIR"), "/rules/security.rs"));
