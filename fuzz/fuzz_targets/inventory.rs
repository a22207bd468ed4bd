//! Any bytes as an Ansible inventory (INI when it does not look like YAML): never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"));
    if std::fs::write(dir.path().join("hosts.ini"), data).is_err() {
        return;
    }
    let _ = liftoff::sources::ansible::read(dir.path(), "hosts.ini");
});
