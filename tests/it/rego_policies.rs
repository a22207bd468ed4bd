//! Rego house rules over the model document (issue 22, point 3), and the document itself.

use crate::support::root;
use liftoff::model::Deployment;
use liftoff::model::document::document;
use serde_json::{Value, json};
use std::path::PathBuf;

fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures/rego-policies").join(rel)
}

/// The fixture deployment: a ledger database and an exports bucket in staging and production,
/// with .env files holding secrets.
fn deployment() -> Deployment {
    match liftoff::sources::load(&fixture("deployment")) {
        Ok(loaded) => loaded.deployment,
        Err(e) => panic!("the fixture deployment did not load: {e:?}"),
    }
}

fn resource<'a>(doc: &'a Value, address: &str, env: &str) -> &'a Value {
    doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address && r["environment"] == env)
        .unwrap_or_else(|| panic!("no {address} in {env}: {doc:#}"))
}

#[test]
fn the_document_has_the_documented_top_level_fields() {
    let doc = document(&deployment());
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    let documented = std::fs::read_to_string(root().join("docs/model.md")).unwrap();
    for key in &keys {
        assert!(
            documented.contains(&format!("| `{key}` |")),
            "docs/model.md does not document the top-level field `{key}`"
        );
    }
    for key in [
        "version",
        "service",
        "environments",
        "components",
        "resources",
        "access",
        "monitoring",
        "backups",
        "processes",
        "probes",
    ] {
        assert!(keys.contains(&key), "no `{key}` in {keys:?}");
    }
    assert_eq!(doc["service"], "ledger");
    let envs: Vec<(&str, &str)> = doc["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(envs, [("production", "production"), ("staging", "staging")]);
}

#[test]
fn a_resource_is_shaped_as_documented_with_per_environment_values() {
    let doc = document(&deployment());
    let prod = resource(&doc, "aws_db_instance.ledger", "production");
    assert_eq!(prod["type"], "aws_db_instance");
    assert_eq!(
        prod["location"],
        json!({"path": "terraform/production/main.tf", "line": 2, "column": 1})
    );
    assert_eq!(prod["attributes"]["deletion_protection"], true);
    assert_eq!(prod["attributes"]["tags"]["CostCentre"], "cc-4100");
    assert_eq!(prod["attributes"]["password"], "[redacted]");
    assert_eq!(prod["unknown"], json!([]));
    let staging = resource(&doc, "aws_db_instance.ledger", "staging");
    assert_eq!(staging["attributes"]["deletion_protection"], false);
    assert_eq!(staging["attributes"]["tags"].get("CostCentre"), None);
    // An attribute set from another resource is known only after apply, and says which.
    let sse = resource(
        &doc,
        "aws_s3_bucket_server_side_encryption_configuration.exports",
        "production",
    );
    assert!(
        sse["unknown"]
            .as_array()
            .unwrap()
            .contains(&json!("bucket")),
        "{sse:#}"
    );
    assert_eq!(sse["references"]["bucket"], "aws_s3_bucket.exports");
}

#[test]
fn the_document_fits_its_schema() {
    let doc = document(&deployment());
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("model.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_document_holds_no_secret_and_is_the_same_every_time() {
    let text = serde_json::to_string(&document(&deployment())).unwrap();
    for secret in [
        "correct-horse-battery-staple",
        "staging-only-pass",
        "st4ging-T0ken-9f8e7d6c5b4a",
        "pr0d-T0ken-1a2b3c4d5e6f7a8b",
        "Sup3rSecretPw",
    ] {
        assert!(!text.contains(secret), "the document shows {secret}");
    }
    // The settings are there, with their values only when they are not secret.
    assert!(text.contains(r#""name":"LOG_LEVEL""#), "{text}");
    assert!(text.contains(r#""value":"info""#), "{text}");
    assert_eq!(
        text,
        serde_json::to_string(&document(&deployment())).unwrap()
    );
}
