//! Environments inferred on layouts of organisations liftoff was never tuned on (audit 9): a
//! Terragrunt `live/` tree whose environment folders use the team's own names, development and
//! test files that must never be proposed for production, and serverless functions included
//! from other files.

use crate::support::*;
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/layouts-infer").join(name)
}

/// The listed file `path`: (environment, status, reason).
fn file(report: &Value, path: &str) -> (Option<String>, String, String) {
    let a = report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == path)
        .unwrap_or_else(|| panic!("{path} not listed"));
    (
        a["environment"].as_str().map(str::to_string),
        a["status"].as_str().unwrap().to_string(),
        a["reason"].as_str().unwrap_or_default().to_string(),
    )
}

/// `rule`'s (target, status) results in `env`, sorted.
fn verdicts(report: &Value, rule: &str, env: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == rule && r["environment"] == env)
        .map(|r| {
            (
                r["target"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Every result's target, with its environment.
fn targets(report: &Value) -> Vec<(String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["target"].as_str().unwrap_or_default().to_string(),
                r["environment"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_live_tree_names_its_environments_by_the_folders_below_live() {
    let (code, report) = check_json(&fixture("live-tree"), &[]);
    assert_eq!(code, 1, "production has blocking findings");
    // `live/` is the tree of every deployed environment: production comes from `live/prod/`
    // alone, `ops` from the `environment = "non-prod"` its env.hcl gives the root.
    assert_eq!(
        inferred(&report),
        pairs(&[
            ("non-production", "staging"),
            ("production", "production"),
            ("qa", "qa"),
        ])
    );
    let from = |name: &str| -> Vec<String> {
        report["inferred_environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()["from"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(from("production"), vec!["live/prod/".to_string()]);
    assert_eq!(
        from("non-production"),
        vec![r#"live/ops/env.hcl:3 (environment = "non-prod")"#.to_string()]
    );
    // `playground` says `environment = "plg"`: a name nothing classifies. It is listed as such,
    // with the folder that declares it, and nothing of it is read.
    assert_eq!(
        report["unclassified_stages"],
        serde_json::json!([{
            "stage": "playground",
            "from": [r#"live/playground/env.hcl:5 (environment = "plg")"#],
            "folder": "live/playground/",
        }])
    );
    for path in [
        "live/playground/app/terragrunt.hcl",
        "live/playground/kube/terragrunt.hcl",
        "live/playground/kube/main.tf",
    ] {
        let (env, status, reason) = file(&report, path);
        assert_eq!((env, status.as_str()), (None, "ignored"), "{path}");
        assert!(
            reason.contains("`playground` (live/playground/)")
                && reason.contains("- {terraform: live/playground/}"),
            "{path}: {reason}"
        );
    }
    assert!(
        !targets(&report)
            .iter()
            .any(|(t, _)| t.starts_with("live/playground/")),
        "nothing of playground is judged"
    );
    // The root every environment includes belongs to none of them.
    let (env, status, reason) = file(&report, "live/terragrunt.hcl");
    assert_eq!(
        (env, status.as_str(), reason.as_str()),
        (None, "read", "read for non-production, production, qa")
    );
    assert_eq!(
        file(&report, "live/ops/app/terragrunt.hcl").0.as_deref(),
        Some("non-production")
    );
    // Production's findings are production's files only; the non-production copy is judged
    // at its own kind (a staging finding, not blocking production).
    assert_eq!(
        verdicts(&report, "security.no-public-storage", "production"),
        vec![("live/prod/app:aws_s3_bucket.keys".into(), "fail".into())]
    );
    assert_eq!(
        verdicts(&report, "security.no-public-storage", "non-production"),
        vec![("live/ops/app:aws_s3_bucket.keys".into(), "fail".into())]
    );
    assert_eq!(
        verdicts(&report, "ha.db-replica", "production"),
        vec![("live/prod/app:aws_db_instance.db".into(), "fail".into())]
    );
    assert!(
        verdicts(&report, "reliability.backups", "production")
            .iter()
            .all(|(t, _)| t.starts_with("live/prod/")),
    );
}

#[test]
fn a_live_tree_environment_of_unknown_kind_is_written_by_init_and_reads_back() {
    let dir = copy_dir(&fixture("live-tree"));
    liftoff().args(["init"]).arg(dir.path()).assert().success();
    let manifest = std::fs::read_to_string(dir.path().join("liftoff.yaml")).unwrap();
    assert!(
        manifest.contains(
            "  # playground:                 # Terragrunt environment live/playground/: is it staging, qa or development?\n  #   kind: staging\n  #   sources:\n  #     - {terraform: live/playground/}\n"
        ),
        "{manifest}"
    );
    // Uncommented as written, it reads the playground's units for playground.
    let manifest = manifest
        .replace("  # playground:", "  playground:")
        .replace("  #   kind: staging\n", "    kind: staging\n")
        .replace("  #   sources:\n", "    sources:\n")
        .replace(
            "  #     - {terraform: live/playground/}",
            "      - {terraform: live/playground/}",
        );
    std::fs::write(dir.path().join("liftoff.yaml"), manifest).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    for path in [
        "live/playground/app/terragrunt.hcl",
        "live/playground/kube/main.tf",
    ] {
        let (env, status, _) = file(&report, path);
        assert_eq!(
            (env.as_deref(), status.as_str()),
            (Some("playground"), "read"),
            "{path}"
        );
    }
    assert_eq!(
        verdicts(&report, "security.no-public-storage", "playground"),
        vec![
            (
                "live/playground/app:aws_s3_bucket.keys".into(),
                "fail".into()
            ),
            (
                "live/playground/kube:aws_s3_bucket.manifests".into(),
                "fail".into()
            ),
        ]
    );
}

#[test]
fn a_live_tree_of_house_names_only_is_never_judged_as_production() {
    let dir = tempfile::tempdir().unwrap();
    let root = "locals {\n  env_vars = read_terragrunt_config(find_in_parent_folders(\"env.hcl\"))\n}\n\ninputs = local.env_vars.locals\n";
    let unit = "include \"root\" {\n  path = find_in_parent_folders()\n}\n\nterraform {\n  source = \"../../../modules//bucket\"\n}\n";
    write_file(dir.path(), "live/terragrunt.hcl", root);
    write_file(
        dir.path(),
        "live/ops/env.hcl",
        "locals {\n  environment = \"ops\"\n}\n",
    );
    write_file(dir.path(), "live/ops/bucket/terragrunt.hcl", unit);
    // No env.hcl at all: the folder below `live/` is still the environment, of unknown kind.
    write_file(dir.path(), "live/shared/bucket/terragrunt.hcl", unit);
    write_file(
        dir.path(),
        "live/shared/bucket/extra.tf",
        "resource \"aws_s3_bucket\" \"extra\" {\n  bucket = \"extra\"\n}\n",
    );
    write_file(
        dir.path(),
        "modules/bucket/main.tf",
        "variable \"environment\" {\n  default = \"x\"\n}\n\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b-${var.environment}\"\n}\n",
    );
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(inferred(&report), pairs(&[]));
    assert!(
        report["judged_as_production"].is_null(),
        "{}",
        report["judged_as_production"]
    );
    let stages: Vec<(&str, &str)> = report["unclassified_stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["stage"].as_str().unwrap(), s["folder"].as_str().unwrap()))
        .collect();
    assert_eq!(
        stages,
        vec![("ops", "live/ops/"), ("shared", "live/shared/")]
    );
    for path in [
        "live/ops/bucket/terragrunt.hcl",
        "live/shared/bucket/terragrunt.hcl",
        "live/shared/bucket/extra.tf",
    ] {
        assert_eq!(file(&report, path).1, "ignored", "{path}");
    }
    assert!(
        !targets(&report).iter().any(|(_, env)| env == "production"),
        "nothing is judged for production"
    );
}

#[test]
fn a_manifest_that_declares_production_only_never_reads_a_house_named_environment_for_it() {
    let dir = copy_dir(&fixture("live-tree"));
    write_file(
        dir.path(),
        "liftoff.yaml",
        "service: payments\nenvironments:\n  production:\n    kind: production\n",
    );
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(
        file(&report, "live/prod/app/terragrunt.hcl").0.as_deref(),
        Some("production")
    );
    let (env, status, _) = file(&report, "live/playground/app/terragrunt.hcl");
    assert_eq!((env, status.as_str()), (None, "ignored"));
    assert!(
        targets(&report)
            .iter()
            .filter(|(_, env)| env == "production")
            .all(|(t, _)| !t.starts_with("live/playground/") && !t.starts_with("live/ops/")),
    );
}
