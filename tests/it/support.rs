//! Helpers shared by the integration tests.

use liftoff::model::{Date, Stage};
use liftoff::policy::{self, Assessment, Options};
use liftoff::rules::Status;
use std::path::{Path, PathBuf};

/// The day every test judges dates against, so results do not change with the calendar.
pub fn today() -> Date {
    "2026-11-22".parse().unwrap()
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Assesses manifest text (as if it were `liftoff.yaml` in `dir`).
pub fn assess_in(
    text: &str,
    dir: &Path,
    stage: Stage,
) -> Result<Assessment, liftoff::diagnostic::InputError> {
    let (manifest, doc) = liftoff::sources::parse_manifest("liftoff.yaml", text)?;
    let (model, declarations) = liftoff::sources::build_deployment(&manifest, &doc, dir)?;
    let profile_name = declarations
        .profile
        .as_ref()
        .map(|p| p.value.clone())
        .unwrap_or_else(|| "baseline".into());
    let profile = policy::load_profile(&profile_name, dir, &declarations)?;
    policy::assess(
        &model,
        &declarations,
        &profile,
        Options {
            stage,
            offline: true,
            today: today(),
        },
    )
}

/// Assesses manifest text for production.
pub fn assess(text: &str) -> Assessment {
    match assess_in(text, Path::new("."), Stage::Production) {
        Ok(a) => a,
        Err(e) => panic!("manifest did not load: {e:?}\n{text}"),
    }
}

/// The statuses one rule produced.
pub fn statuses(a: &Assessment, rule: &str) -> Vec<Status> {
    a.results
        .iter()
        .filter(|r| r.rule == rule)
        .map(|r| r.status)
        .collect()
}

/// Runs the liftoff binary.
pub fn liftoff() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("liftoff").unwrap();
    // Tests never reach the network unless they ask to (live tests remove LIFTOFF_OFFLINE and
    // probe loopback servers only).
    cmd.env("LIFTOFF_TODAY", "2026-11-22")
        .env("LIFTOFF_OFFLINE", "1")
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE");
    cmd
}

/// A temporary directory holding `liftoff.yaml` with `text`.
pub fn project(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("liftoff.yaml"), text).unwrap();
    dir
}

/// Runs `liftoff check --strict-inputs <dir>` and expects bad input: exit code 2 and each of
/// `expected` on stderr. Without `--strict-inputs` a bad manifest is still exit 2, while a
/// deployment file that does not parse is an `error` result in the report (exit 1) saying the
/// same.
pub fn assert_check_input_error(dir: &Path, expected: &[&str]) {
    let out = liftoff()
        .args(["check", "--strict-inputs"])
        .arg(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for text in expected {
        assert!(stderr.contains(text), "stderr lacks {text:?}:\n{stderr}");
    }
    let out = liftoff().arg("check").arg(dir).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    match out.status.code() {
        Some(2) => {
            for text in expected {
                assert!(stderr.contains(text), "stderr lacks {text:?}:\n{stderr}");
            }
        }
        Some(1) => {
            assert!(stdout.contains("ops.inputs-parse"), "{stdout}");
            assert!(stdout.contains("unreadable"), "{stdout}");
            let first = expected.first().copied().unwrap_or_default();
            assert!(stdout.contains(first), "stdout lacks {first:?}:\n{stdout}");
        }
        other => panic!("exit code {other:?}:\n{stdout}\n{stderr}"),
    }
}

/// Where `sarif` breaks the SARIF 2.1.0 schema (empty when it is valid).
pub fn sarif_schema_errors(sarif: &serde_json::Value) -> Vec<String> {
    let path = root().join("tests/schemas/sarif-schema-2.1.0.json");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
