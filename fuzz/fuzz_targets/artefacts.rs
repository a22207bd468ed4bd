//! Any bytes as a compose file, Kubernetes manifest (or a deploy tool's Go template of one) or
//! serverless.yml: reading must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::sync::OnceLock;

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"));
    if std::fs::write(dir.path().join("artefact.yml"), data).is_err() {
        return;
    }
    let known = HashMap::from([("TAG".to_string(), "1.0".to_string())]);
    let _ = liftoff::sources::compose::read(dir.path(), &["artefact.yml".to_string()], &known);
    let mut objects = liftoff::sources::kubernetes::Objects::default();
    let _ = liftoff::sources::kubernetes::read_file(dir.path(), "artefact.yml", &mut objects);
    let _ = liftoff::sources::serverless::read(dir.path(), "artefact.yml", Some("production"), &known);
    // A deploy tool's Go template actions, found by byte offsets in any text.
    let _ = liftoff::sources::kubernetes::go_template(&String::from_utf8_lossy(data));
});
