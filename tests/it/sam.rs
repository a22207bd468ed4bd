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
    // `Reports` exists only if `WithReports` is "yes", a parameter this deploy gives no value:
    // what it would deploy is listed, not judged as deployed (its `Backups: "off"` would fail).
    let (ignored, why) = artefact(&r, "template.yaml#Reports");
    assert_eq!(ignored, "ignored");
    assert!(why.contains("condition `Reports`"), "{why}");
    let failing_pitr = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["rule"] == "reliability.pitr" && x["status"] == "fail")
        .count();
    assert_eq!(failing_pitr, 0, "{}", r["results"]);
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

/// (status, evidenced) of `rule` about `target` in `environment`.
fn judged(report: &Value, rule: &str, target: &str, environment: &str) -> (String, bool) {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule && r["target"] == target && r["environment"] == environment)
        .map(|r| {
            (
                r["status"].as_str().unwrap().to_string(),
                r["evidence"]["evidenced"].as_bool().unwrap_or(true),
            )
        })
        .unwrap_or_else(|| panic!("no {rule} on {target} in {environment}"))
}

/// The environments the report inferred, with where each came from.
fn inferred(report: &Value) -> Vec<(String, Vec<String>)> {
    report["inferred_environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["from"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn a_samconfig_fetched_during_the_deploy_leaves_every_parameter_unknown() {
    let r = report(&fixture("ci-config-file"));
    // `DEPLOY_ENV: production` names the config file, and so the environment.
    assert_eq!(
        inferred(&r),
        vec![(
            "production".to_string(),
            vec![
                ".github/workflows/deploy.yml:21 (job `deploy` runs `sam deploy --config-file samconfig.production.yaml`)"
                    .to_string()
            ]
        )]
    );
    let (read, how) = artefact(&r, "template.yaml");
    assert_eq!(read, "read");
    assert!(
        how.contains("samconfig.production.yaml, which is not in the repository"),
        "{how}"
    );
    // The defaults (`LogDays: 3`, `Backups: "false"`, `SentryDsn: ""`) do not apply: the file
    // may set any of them.
    for (rule, target) in [
        (
            "reliability.pitr",
            "template.yaml:aws_dynamodb_table.ItemsTable",
        ),
        (
            "monitoring.log-retention",
            "template.yaml:aws_cloudwatch_log_group.CatalogueLogs",
        ),
    ] {
        assert_eq!(
            judged(&r, rule, target, "production"),
            ("fail".to_string(), false),
            "{rule} {target} is unknown"
        );
    }
    assert_ne!(
        verdict(&r, "monitoring.error-reporting", "deployment").1,
        "SENTRY_DSN is set but empty"
    );
    // What no parameter decides is still judged.
    assert_eq!(
        judged(
            &r,
            "reliability.pitr",
            "template.yaml:aws_dynamodb_table.UploadsTable",
            "production"
        ),
        ("fail".to_string(), true)
    );
}

#[test]
fn command_line_parameter_overrides_replace_the_samconfig_ones() {
    let r = report(&fixture("ci-overrides"));
    let environments = inferred(&r);
    assert_eq!(environments.len(), 1, "{environments:?}");
    assert_eq!(environments[0].0, "production");
    assert!(
        environments[0].1.contains(
            &".github/workflows/release.yml:13 (job `release` runs `sam deploy --config-env prod`)"
                .to_string()
        ),
        "{environments:?}"
    );
    let (_, how) = artefact(&r, "template.yaml");
    assert!(
        how.contains("--parameter-overrides of `sam deploy` at .github/workflows/release.yml:13"),
        "{how}"
    );
    // Passed on the command line: `Stage=prod` and `LogDays=30`.
    assert_eq!(
        judged(
            &r,
            "reliability.pitr",
            "template.yaml:aws_dynamodb_table.QueriesTable",
            "production"
        ),
        ("pass".to_string(), true)
    );
    assert_eq!(
        verdict(
            &r,
            "monitoring.log-retention",
            "template.yaml:aws_cloudwatch_log_group.SearchLogs"
        ),
        ("pass".to_string(), "logs kept 30 days".to_string())
    );
    // samconfig.toml's `Backups=true` and `HoneybadgerKey` are not used: SAM takes the
    // command's overrides instead of the file's, and the template's defaults apply.
    assert_eq!(
        judged(
            &r,
            "reliability.pitr",
            "template.yaml:aws_dynamodb_table.ArchiveTable",
            "production"
        ),
        ("fail".to_string(), true)
    );
    assert_eq!(
        verdict(&r, "monitoring.error-reporting", "deployment"),
        (
            "fail".to_string(),
            "HONEYBADGER_API_KEY is set but empty".to_string()
        )
    );
}

#[test]
fn a_gitlab_job_environment_picks_the_samconfig_file_of_the_repository() {
    let r = report(&fixture("ci-gitlab"));
    let environments = inferred(&r);
    assert_eq!(environments.len(), 2, "{environments:?}");
    assert!(
        environments[0].1.contains(
            &".gitlab-ci.yml:8 (job `deploy-production` runs `sam deploy --config-file samconfig.production.yaml`)"
                .to_string()
        ),
        "{environments:?}"
    );
    let (_, how) = artefact(&r, "template.yaml");
    assert!(
        how.contains("production (parameters of samconfig.production.yaml `default`, `sam deploy` at .gitlab-ci.yml:8)"),
        "{how}"
    );
    let table = "template.yaml:aws_dynamodb_table.ItemsTable";
    assert_eq!(
        judged(&r, "reliability.pitr", table, "production"),
        ("pass".to_string(), true)
    );
    assert_eq!(
        judged(&r, "reliability.pitr", table, "staging"),
        ("fail".to_string(), true)
    );
}

#[test]
fn circleci_overrides_from_a_context_leave_what_they_may_set_unknown() {
    let r = report(&fixture("ci-circleci"));
    // The workflow calls the job with `env: production` (its default is staging).
    assert_eq!(
        inferred(&r),
        vec![(
            "production".to_string(),
            vec![
                ".circleci/config.yml:19 (job `deploy` runs `sam deploy --config-env production`)"
                    .to_string()
            ]
        )]
    );
    // `$SAM_PARAMETERS` may set anything but what is written after it.
    assert_eq!(
        judged(
            &r,
            "reliability.pitr",
            "template.yaml:aws_dynamodb_table.ItemsTable",
            "production"
        ),
        ("fail".to_string(), false)
    );
    assert_eq!(
        verdict(
            &r,
            "monitoring.log-retention",
            "template.yaml:aws_cloudwatch_log_group.CatalogueLogs"
        )
        .1,
        "logs kept 14 days, shorter than the 30-day floor"
    );
    assert_eq!(
        verdict(&r, "monitoring.error-reporting", "deployment"),
        (
            "fail".to_string(),
            "SENTRY_DSN is set but empty".to_string()
        )
    );
}
