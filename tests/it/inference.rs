//! Environments inferred with no liftoff.yaml from what deploys the files: the stages CI
//! pipelines and serverless.yml files name, repositories that name no environment at all, the
//! `sources:` advice, and `diff` on inferred environments.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/inference").join(name)
}

/// A copy of a fixture in a temporary directory, for tests that write into it.
fn copy_of(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&fixture(name), dir.path());
    dir
}

/// `check --format json` on `dir` with `extra` flags: (exit code, report).
fn check(dir: &Path, extra: &[&str]) -> (i32, Value) {
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

/// The inferred environments as (name, kind).
fn inferred(report: &Value) -> Vec<(String, String)> {
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

/// Where an inferred environment was found.
fn from<'a>(report: &'a Value, name: &str) -> Vec<&'a str> {
    report["inferred_environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} not inferred"))["from"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect()
}

/// A file's (status, reason).
fn file<'a>(report: &'a Value, path: &str) -> (&'a str, &'a str) {
    let f = report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} is not listed: {:#}", report["artefacts"]));
    (
        f["status"].as_str().unwrap(),
        f["reason"].as_str().unwrap_or_default(),
    )
}

/// `rule`'s (status, message) results in `env`.
fn results<'a>(report: &'a Value, rule: &str, env: &str) -> Vec<(&'a str, &'a str)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == rule && r["environment"] == env)
        .map(|r| {
            (
                r["status"].as_str().unwrap(),
                r["message"].as_str().unwrap_or_default(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_github_workflow_deploys_the_stages_its_branch_expression_matrix_and_inputs_give() {
    let (_, report) = check(&fixture("gha-serverless"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[
            ("development", "development"),
            ("production", "production"),
            ("staging", "staging"),
            ("uat", "staging"),
        ])
    );
    // `STAGE: ${{ github.ref_name == 'main' && 'prod' || 'dev' }}` then `--stage $STAGE`.
    assert!(
        from(&report, "production")
            .contains(&".github/workflows/deploy.yml:39 (job `deploy` deploys stage `prod`)"),
        "{:?}",
        from(&report, "production")
    );
    assert_eq!(report["inferred_environments"][1]["stage"], "prod");
    // `-s ${{ matrix.stage }}` and `--stage ${{ inputs.stage }}` with the dispatch's choices.
    assert_eq!(
        from(&report, "staging")[0],
        ".github/workflows/deploy.yml:52 (job `rehearse` deploys stage `staging`)"
    );
    assert_eq!(
        from(&report, "uat"),
        vec![".github/workflows/deploy.yml:59 (job `manual` deploys stage `uat`)"]
    );
    // The service is read once per deployed stage, with the stage as the pipeline spells it.
    assert_eq!(
        file(&report, "serverless.yml"),
        (
            "read",
            "read for production (stage prod), staging (stage staging), uat (stage uat)"
        )
    );
    // Production's findings come from production's values (`custom.retention.prod`).
    assert_eq!(
        results(&report, "monitoring.log-retention", "production"),
        vec![("pass", "logs kept 200 days")]
    );
    assert_eq!(
        results(&report, "monitoring.log-retention", "staging"),
        vec![("fail", "logs kept 14 days, outside 180..240")]
    );
}

#[test]
fn gitlab_ci_jobs_deploy_their_variables_stage_through_templates_and_includes() {
    let (_, report) = check(&fixture("gitlab-serverless"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[
            ("production", "production"),
            ("staging", "staging"),
            ("uat", "staging"),
        ])
    );
    // The script is in an included file's template; the stage in the job's variables.
    assert_eq!(
        from(&report, "production")[0],
        "ci/deploy.yml:8 (job `deploy-production` deploys stage `prod`)"
    );
    // A stage set in the project's settings is unknown: the job's environment names it.
    assert_eq!(
        from(&report, "uat"),
        vec![".gitlab-ci.yml:35 (job `deploy-uat` deploys to its environment `uat`)"]
    );
    // `params:` give each stage its values (`${param:retention}`).
    assert!(from(&report, "staging").contains(&"serverless.yml:7 (names stage `staging`)"));
    assert_eq!(
        results(&report, "monitoring.log-retention", "production"),
        vec![("pass", "logs kept 200 days")]
    );
    assert_eq!(
        results(&report, "monitoring.log-retention", "staging"),
        vec![("fail", "logs kept 30 days, outside 180..240")]
    );
}

#[test]
fn a_serverless_yml_names_its_stages_in_custom_stages_and_stage_keyed_maps() {
    let (_, report) = check(&fixture("custom-stages"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("development", "development"), ("production", "production")])
    );
    assert_eq!(
        from(&report, "production"),
        vec!["serverless.yml:7 (names stage `prod`)"]
    );
    assert_eq!(
        file(&report, "serverless.yml"),
        ("read", "read for production (stage prod)")
    );
}

#[test]
fn a_serverless_compose_deploys_its_services_with_the_pipelines_stage() {
    let (_, report) = check(&fixture("sls-compose"), &[]);
    assert_eq!(inferred(&report), pairs(&[("production", "production")]));
    assert_eq!(
        from(&report, "production"),
        vec![".github/workflows/release.yml:12 (job `deploy` deploys stage `prod`)"]
    );
    for service in ["api/serverless.yml", "worker/serverless.yml"] {
        assert_eq!(
            file(&report, service),
            ("read", "read for production (stage prod)")
        );
    }
    assert_eq!(
        file(&report, "serverless-compose.yml"),
        (
            "read",
            "serverless compose: deploys api/serverless.yml, worker/serverless.yml with one stage, each read as its own service"
        )
    );
    assert_eq!(report["summary"]["error"], 0);
}
