//! Terraform layouts read with no liftoff.yaml: Terragrunt trees, workspace maps kept in
//! `terraform.tfvars.json`, roots whose backend files name their environments, and the stages a
//! pipeline deploys.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn layout(name: &str) -> PathBuf {
    root().join("tests/fixtures/tf-layouts").join(name)
}

/// `check --format json` on `dir`: (exit code, report).
fn check(dir: &Path) -> (i32, Value) {
    let out = liftoff()
        .args(["check", "--format", "json"])
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

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
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

/// `rule`'s result about `target` in `env`: (status, requirement, "path:line").
fn result(report: &Value, rule: &str, target: &str, env: &str) -> (String, String, String) {
    let r = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule && r["target"] == target && r["environment"] == env)
        .unwrap_or_else(|| panic!("no {rule} result about {target} in {env}"));
    (
        r["status"].as_str().unwrap().to_string(),
        r["requirement"].as_str().unwrap_or_default().to_string(),
        format!(
            "{}:{}",
            r["location"]["path"].as_str().unwrap_or_default(),
            r["location"]["line"]
        ),
    )
}

#[test]
fn a_terragrunt_tree_runs_each_unit_with_its_inputs_in_its_environment() {
    let (code, report) = check(&layout("terragrunt"));
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    // The root configuration every unit includes names no environment of its own (`live/`).
    let production = &report["inferred_environments"][0]["from"];
    assert_eq!(production, &serde_json::json!(["live/prod/"]));
    assert_eq!(
        file(&report, "live/prod/db/terragrunt.hcl"),
        ("read", "read for production (Terragrunt unit live/prod/db)")
    );
    assert_eq!(
        file(&report, "live/terragrunt.hcl"),
        ("read", "read for production, staging")
    );
    // Files the units read through `include` and `read_terragrunt_config` are listed too.
    assert_eq!(
        file(&report, "live/_envcommon/db.hcl"),
        ("read", "read for production, staging")
    );
    assert_eq!(
        file(&report, "live/prod/env.hcl"),
        ("read", "read for production")
    );
    assert_eq!(
        file(&report, "modules/db/main.tf"),
        (
            "read",
            "read for production (Terragrunt unit live/prod/db), staging (Terragrunt unit live/staging/db)"
        )
    );
    // A registry module is fetched when Terragrunt runs: one line, with why.
    let (status, why) = file(&report, "live/prod/cache/terragrunt.hcl#terraform.source");
    assert_eq!(status, "not-read");
    assert!(
        why.contains("tfr:///terraform-aws-modules/elasticache/aws") && why.contains("not judged"),
        "{why}"
    );
    // Production's unit asks for a standby and encryption; staging's does not.
    let db = |env: &str| format!("live/{env}/db:aws_db_instance.main");
    assert_eq!(
        result(&report, "ha.db-replica", &db("prod"), "production"),
        (
            "pass".into(),
            "required".into(),
            "live/prod/db/terragrunt.hcl:19".into()
        )
    );
    assert_eq!(
        result(
            &report,
            "security.encryption-at-rest",
            &db("prod"),
            "production"
        )
        .0,
        "pass"
    );
    // Staging's `storage_encrypted` comes from its env.hcl through the shared _envcommon file.
    assert_eq!(
        result(
            &report,
            "security.encryption-at-rest",
            &db("staging"),
            "staging"
        ),
        (
            "fail".into(),
            "off".into(),
            "live/_envcommon/db.hcl:14".into()
        )
    );
    // The root file's input that every unit shares, overridden by none for tags: production's
    // database has no backup tag, a blocking finding written in the root file.
    assert_eq!(
        result(
            &report,
            "reliability.backup-tags",
            &db("prod"),
            "production"
        ),
        (
            "fail".into(),
            "required".into(),
            "live/terragrunt.hcl:21".into()
        )
    );
    assert_eq!(code, 1, "a blocking production finding");
}
