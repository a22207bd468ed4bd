//! Cost: preferred data store technologies and DynamoDB index counts (judged from Terraform).

pub mod gsi_limit;
pub mod preferred_datastore;
pub use gsi_limit::GsiLimit;
pub use preferred_datastore::PreferredDatastore;
