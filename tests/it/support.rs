//! Helpers shared by the integration tests.

use liftoff::model::{Date, Stage};
use liftoff::policy::{self, Assessment, Options};
use liftoff::rules::Status;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

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
    assess_in_with(text, dir, stage, |_| {})
}

/// Assesses manifest text with the profile it declares, as `adjust` changes it.
pub fn assess_in_with(
    text: &str,
    dir: &Path,
    stage: Stage,
    adjust: impl FnOnce(&mut policy::ResolvedProfile),
) -> Result<Assessment, liftoff::diagnostic::InputError> {
    let (manifest, doc) = liftoff::sources::parse_manifest("liftoff.yaml", text)?;
    let (model, declarations) = liftoff::sources::build_deployment(&manifest, &doc, dir)?;
    let profile_name = declarations
        .profile
        .as_ref()
        .map(|p| p.value.clone())
        .unwrap_or_else(|| "baseline".into());
    let mut profile = policy::load_profile(&profile_name, dir, &declarations)?;
    adjust(&mut profile);
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

/// Writes `text` to `rel` under `dir`, making the folders on the way.
pub fn write_file(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Copies the folder `from` into `to` (made if missing), recursively.
pub fn copy_dir_into(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir_into(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the folder `from` in a temporary directory, for tests that write into it.
pub fn copy_dir(from: &Path) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir_into(from, dir.path());
    dir
}

/// `liftoff check --format json` on `dir` with `extra` flags: (exit code, report). Panics with
/// stdout and stderr when stdout is not a JSON report.
pub fn check_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let out = liftoff()
        .args(["check", "--format", "json"])
        .args(extra)
        .arg(dir)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

/// The inferred environments of a JSON report as (name, kind).
pub fn inferred(report: &Value) -> Vec<(String, String)> {
    report["inferred_environments"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["name"].as_str().unwrap().to_string(),
                        e["kind"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Owned pairs, to compare with [`inferred`].
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The entry of a JSON report's `artefacts` for the file at `path`.
pub fn artefact<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} is not listed: {:#}", report["artefacts"]))
}

/// A file's (status, reason) in a JSON report.
pub fn file<'a>(report: &'a Value, path: &str) -> (&'a str, &'a str) {
    let f = artefact(report, path);
    (
        f["status"].as_str().unwrap(),
        f["reason"].as_str().unwrap_or_default(),
    )
}

/// `rule`'s result about `target` in `env` in a JSON report.
pub fn result<'a>(report: &'a Value, rule: &str, target: &str, env: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule && r["target"] == target && r["environment"] == env)
        .unwrap_or_else(|| panic!("no {rule} result about {target} in {env}"))
}

/// Every result of `rule` in a JSON report.
pub fn rule_results<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == rule)
        .collect()
}
