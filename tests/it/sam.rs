//! AWS SAM and CloudFormation templates of their own: environments from samconfig, findings from
//! the production parameters, SAM's functions, routes and defaults, nested applications.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/sam").join(name)
}

fn report(dir: &Path) -> Value {
    let out = liftoff()
        .args(["check", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// (status, message) of `rule` about `target`.
fn verdict(report: &Value, rule: &str, target: &str) -> (String, String) {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule && r["target"] == target)
        .map(|r| {
            (
                r["status"].as_str().unwrap().to_string(),
                r["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .unwrap_or_else(|| ("missing".into(), String::new()))
}

fn status(report: &Value, rule: &str, target: &str) -> String {
    verdict(report, rule, target).0
}

/// What the report says of the file at `path`: (status, reason).
fn artefact(report: &Value, path: &str) -> (String, String) {
    report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == path)
        .map(|a| {
            (
                a["status"].as_str().unwrap().to_string(),
                a["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .unwrap_or_else(|| panic!("{path} not listed: {}", report["artefacts"]))
}

#[test]
fn a_sam_template_is_read_for_the_samconfig_environments_with_their_parameters() {
    let r = report(&fixture("app"));
    let inferred = r["inferred_environments"].as_array().unwrap();
    assert_eq!(inferred.len(), 1, "{inferred:?}");
    assert_eq!(inferred[0]["name"], "production");
    assert_eq!(
        inferred[0]["from"][0],
        "samconfig.toml:8 (config environment `prod`)"
    );
    let (read, how) = artefact(&r, "template.yaml");
    assert_eq!(read, "read");
    assert!(how.contains("samconfig.toml `prod`"), "{how}");
    assert_eq!(artefact(&r, "samconfig.toml").0, "read");
    // `Stage=prod` from samconfig makes `IsProd` true: the table's PITR is on in production
    // (it would be off with the default environment's `Stage=dev`).
    assert_eq!(
        status(
            &r,
            "reliability.pitr",
            "template.yaml:aws_dynamodb_table.OrdersTable"
        ),
        "pass"
    );
    // SimpleTable: SAM gives it no point-in-time recovery.
    assert_eq!(
        status(
            &r,
            "reliability.pitr",
            "template.yaml:aws_dynamodb_table.SessionsTable"
        ),
        "fail"
    );
    // The API's DefaultAuthorizer covers its routes, but for one that opts out (`NONE`); an
    // API with none leaves its routes open.
    assert_eq!(
        verdict(
            &r,
            "security.api-authorizer",
            "serverless:OrdersFunction:GET /orders"
        ),
        (
            "pass".to_string(),
            "requires the authorizer OrdersJwt".to_string()
        )
    );
    for open in [
        "serverless:OrdersFunction:GET /health",
        "serverless:WebhookFunction:POST /webhook",
    ] {
        assert_eq!(
            status(&r, "security.api-authorizer", open),
            "fail",
            "{open}"
        );
    }
    assert_eq!(
        status(
            &r,
            "security.function-not-public",
            "component:production/WebhookFunction"
        ),
        "fail",
        "FunctionUrlConfig AuthType NONE"
    );
    assert_eq!(
        status(
            &r,
            "security.function-not-public",
            "component:production/OrdersFunction"
        ),
        "pass"
    );
    // The webhook's log group takes prod's `RetentionDays=90` (its default is 7); the other
    // function has none, and Lambda's own group never expires.
    assert_eq!(
        verdict(
            &r,
            "monitoring.log-retention",
            "component:production/WebhookFunction"
        ),
        ("pass".to_string(), "logs kept 90 days".to_string())
    );
    let (fail, message) = verdict(
        &r,
        "monitoring.log-retention",
        "component:production/OrdersFunction",
    );
    assert_eq!(fail, "fail");
    assert!(message.contains("LoggingConfig.LogGroup"), "{message}");
    assert_eq!(
        status(
            &r,
            "security.no-public-storage",
            "template.yaml:aws_s3_bucket.ExportsBucket"
        ),
        "pass"
    );
}

#[test]
fn a_log_group_made_under_the_functions_name_is_the_functions() {
    // Lambda writes to `/aws/lambda/<physical name>`: a group naming the function by reference
    // (`${Function}`, `!Join` with `!Ref Function`) or spelling its `FunctionName` is its group.
    let r = report(&fixture("log-groups"));
    let retention = |function: &str| {
        verdict(
            &r,
            "monitoring.log-retention",
            &format!("component:production/{function}"),
        )
    };
    assert_eq!(
        retention("ExportFunction"),
        ("pass".to_string(), "logs kept 60 days".to_string())
    );
    // `Stage=prod` from samconfig: `shop-prod-report` on both.
    assert_eq!(
        retention("ReportFunction"),
        ("pass".to_string(), "logs kept 30 days".to_string())
    );
    assert_eq!(
        retention("IngestFunction"),
        (
            "fail".to_string(),
            "logs kept 14 days, shorter than the 30-day floor".to_string()
        )
    );
    // Its only candidate names `shop-dev-cleanup`, not production's `shop-prod-cleanup`.
    let (status, message) = retention("CleanupFunction");
    assert_eq!(status, "fail");
    assert!(message.contains("keeps its logs forever"), "{message}");
}

#[test]
fn a_log_group_whose_name_is_known_only_at_deploy_leaves_retention_unknown() {
    let r = report(&fixture("log-groups-unknown"));
    let (_, message) = verdict(
        &r,
        "monitoring.log-retention",
        "component:production/SyncFunction",
    );
    assert!(message.starts_with("not evidenced"), "{message}");
    assert!(!message.contains("forever"), "{message}");
}

#[test]
fn a_plain_cloudformation_template_alone_is_judged_as_production() {
    let r = report(&fixture("plain"));
    assert_eq!(
        artefact(&r, "stack.yaml"),
        (
            "read".to_string(),
            "read for production (parameter defaults)".to_string()
        )
    );
    assert_eq!(
        status(
            &r,
            "reliability.pitr",
            "stack.yaml:aws_dynamodb_table.EventsTable"
        ),
        "fail"
    );
    assert_eq!(
        status(
            &r,
            "security.no-public-storage",
            "stack.yaml:aws_s3_bucket.SiteBucket"
        ),
        "fail"
    );
    assert_eq!(
        verdict(
            &r,
            "monitoring.log-retention",
            "stack.yaml:aws_cloudwatch_log_group.AuditLogs"
        ),
        ("pass".to_string(), "logs kept 365 days".to_string())
    );
    let (fail, message) = verdict(
        &r,
        "monitoring.log-retention",
        "stack.yaml:aws_cloudwatch_log_group.DebugLogs",
    );
    assert_eq!(fail, "fail");
    assert!(message.contains("kept forever"), "{message}");
}

#[test]
fn a_local_nested_application_is_read_with_its_parameters_and_an_s3_one_is_listed() {
    let r = report(&fixture("nested"));
    // The child's `Backups` comes from its parent (`on`), not its own default (`off`).
    assert_eq!(
        status(
            &r,
            "reliability.pitr",
            "child/template.yaml:aws_dynamodb_table.ItemsTable"
        ),
        "pass"
    );
    // `Days` is passed from a parent parameter with no value: unknown, not the child's default.
    let (unknown, message) = verdict(
        &r,
        "monitoring.log-retention",
        "child/template.yaml:aws_cloudwatch_log_group.ItemsLogs",
    );
    assert_eq!(unknown, "fail");
    assert!(message.starts_with("not evidenced"), "{message}");
    let (read, how) = artefact(&r, "child/template.yaml");
    assert_eq!(read, "read");
    assert!(how.contains("nested in template.yaml"), "{how}");
    let (ignored, why) = artefact(&r, "template.yaml#Search");
    assert_eq!(ignored, "ignored");
    assert!(why.contains("s3://shared-templates"), "{why}");
    // The nested template is not a production candidate of its own.
    let judged: Vec<&Value> = r["inferred_environments"][0]["from"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(judged.len(), 1, "{judged:?}");
}

#[test]
fn a_template_that_does_not_parse_is_an_inputs_parse_error_with_its_position() {
    let r = report(&fixture("broken"));
    let result = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == "ops.inputs-parse" && x["status"] == "error")
        .unwrap_or_else(|| panic!("no inputs-parse error: {}", r["results"]));
    assert_eq!(result["target"], "template.yaml");
    assert_eq!(result["environment"], "production");
    assert_eq!(result["location"]["line"], 8, "{result}");
    assert!(
        result["message"]
            .as_str()
            .unwrap()
            .contains("YAML syntax error"),
        "{result}"
    );
}
