//! Any bytes as sshd_config: reading and judging the policy must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"));
    if std::fs::write(dir.path().join("sshd_config"), data).is_err() {
        return;
    }
    if let Ok(config) = liftoff::sources::sshd::read(dir.path(), "sshd_config") {
        let _ = liftoff::sources::sshd::policy(&config, "sshd_config");
    }
});
