//! Cost: preferred data store technologies and DynamoDB index counts (judged from Terraform).

// The rule modules of this area, one per file, found by build.rs.
include!(concat!(env!("OUT_DIR"), "/rules/cost.rs"));
