//! Any bytes as a Terraform root (one `.tf` file, one variable file): parsing, evaluation,
//! module calls and the full check must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"));
    let root = dir.path().join("terraform/production");
    if std::fs::create_dir_all(&root).is_err() {
        return;
    }
    // The first line, if any, is the variable file; the rest the configuration.
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(0);
    let (vars, tf) = data.split_at(split);
    if std::fs::write(root.join("main.tf"), tf).is_err()
        || std::fs::write(root.join("terraform.tfvars"), vars).is_err()
    {
        return;
    }
    let _ = liftoff::sources::terraform::read_root(
        dir.path(),
        "terraform/production",
        &[],
        "production",
    );
});
