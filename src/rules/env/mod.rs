//! Environments and topology: staging exists and matches production, data stays where it belongs.

// The rule modules of this area, one per file, found by build.rs.
include!(concat!(env!("OUT_DIR"), "/rules/env.rs"));
