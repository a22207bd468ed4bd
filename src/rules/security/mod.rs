//! Security: transport, exposure, authentication, secrets, patching, testing.

mod api_authorizer;
mod backup_encryption;
mod db_not_public;
mod declared_access;
mod encryption_at_rest;
mod exposure;
pub mod live;
mod no_debug;
mod pentest;
mod plaintext_secrets;
mod proxy_hop;
mod service_accounts;
mod ssh_hardening;

pub use api_authorizer::ApiAuthorizer;
pub use backup_encryption::BackupEncryption;
pub use db_not_public::DbNotPublic;
pub use declared_access::{FewAdmins, Patching, UserMfa, Vpn};
pub use encryption_at_rest::EncryptionAtRest;
pub use exposure::{FunctionNotPublic, InternalBehindFirewall, NoPublicStorage, SearchPrivate};
pub use live::{
    CertExpiry, HeadersGrade, Hsts, HttpDisabled, HttpRedirect, HttpsOnly, MetricsAuth,
    NoDowngradeRedirect, TlsGrade,
};
pub use no_debug::NoDebug;
pub use pentest::Pentest;
pub use plaintext_secrets::PlaintextSecrets;
pub use proxy_hop::ProxyHop;
pub use service_accounts::ServiceAccounts;
pub use ssh_hardening::SshHardening;
