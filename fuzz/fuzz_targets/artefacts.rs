//! Any bytes as a compose file, Kubernetes manifest (or a deploy tool's Go template of one),
//! serverless.yml, CloudFormation or SAM template, or samconfig file: reading must never panic.
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
    // A template whose parameters have no value, one value, and one known only at deploy.
    let parameters = HashMap::from([
        ("Stage".to_string(), Some("prod".to_string())),
        ("Secret".to_string(), None),
    ]);
    let _ = liftoff::sources::sam::read(dir.path(), "artefact.yml", &parameters);
    let _ = liftoff::sources::sam::read_config(dir.path(), "artefact.yml");
    if std::fs::write(dir.path().join("samconfig.toml"), data).is_ok() {
        let _ = liftoff::sources::sam::read_config(dir.path(), "samconfig.toml");
    }
    let _ = liftoff::sources::sam::parse_overrides(&String::from_utf8_lossy(data));
    // A deploy tool's Go template actions, found by byte offsets in any text.
    let _ = liftoff::sources::kubernetes::go_template(&String::from_utf8_lossy(data));
});
