//! Any bytes as a Terraform plan JSON: reading must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"));
    if std::fs::write(dir.path().join("plan.json"), data).is_err() {
        return;
    }
    let _ = liftoff::sources::terraform::plan::read(dir.path(), "plan.json");
});
