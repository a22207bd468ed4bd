//! The baseline's principles and the organisation profiles' numbers, on one AWS deployment
//! (tests/fixtures/baseline/aws): every data store backed up by some mechanism, log retention with
//! a floor and no ceiling, what AWS encrypts by default, and delivery logging only where a
//! subscription can have it. The same files under `--profile hackney` give Hackney's verdicts.

use crate::support::*;
use serde_json::Value;

fn report(profile: Option<&str>) -> Value {
    let mut cmd = liftoff();
    cmd.args(["check", "--offline", "--format", "json"])
        .arg(root().join("tests/fixtures/baseline/aws"));
    if let Some(p) = profile {
        cmd.args(["--profile", p]);
    }
    let out = cmd.output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// (status, message) of `rule` about `target`.
fn verdict(r: &Value, rule: &str, target: &str) -> (String, String) {
    r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule && f["target"] == target)
        .map(|f| {
            (
                f["status"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .unwrap_or_else(|| ("missing".into(), String::new()))
}

#[test]
fn every_store_is_backed_up_by_a_mechanism_the_finding_names() {
    let r = report(None);
    let backups = |target: &str| verdict(&r, "reliability.backups", target);
    for (target, status, says) in [
        // A selection that lists the table by reference.
        (
            "aws_dynamodb_table.cases",
            "pass",
            "aws_backup_selection.stores",
        ),
        // A wildcard ARN (`arn:aws:s3:::casework-doc*`).
        (
            "aws_s3_bucket.documents",
            "pass",
            "aws_backup_selection.wildcard",
        ),
        (
            "aws_dynamodb_table.drafts",
            "pass",
            "point-in-time recovery",
        ),
        // RDS keeps automated backups 1 day when nothing is written.
        ("aws_db_instance.ledger", "pass", "kept 1 day"),
        // Named in `not_resources`, so the wildcard leaves it out.
        (
            "aws_dynamodb_table.scratch",
            "fail",
            "no backup plan selects it",
        ),
        ("aws_dynamodb_table.notes", "fail", "point_in_time_recovery"),
        // Versioning alone keeps old versions in the same bucket.
        (
            "aws_s3_bucket.reports",
            "fail",
            "versioning keeps old versions",
        ),
        // Tagged for a plan by tag that no selection here uses: a plan kept elsewhere may
        // select it (a question, not a decided "no backup").
        (
            "aws_s3_bucket.exports",
            "fail",
            "it is tagged `BackupPolicy = \"Prod\"`, and no backup selection in these files selects that tag",
        ),
        (
            "aws_db_instance.ledger_replica",
            "not-applicable",
            "backed up with its primary",
        ),
        (
            "aws_dynamodb_table.terraform_lock",
            "not-applicable",
            "lock table",
        ),
        (
            "aws_s3_bucket.access_logs",
            "not-applicable",
            "receives logs",
        ),
        ("aws_s3_bucket.search_cache", "waived", ""),
        // Every object expires within a week: working storage.
        (
            "aws_s3_bucket.upload_queue",
            "not-applicable",
            "expires after 7 days",
        ),
        // A lifecycle naming the bucket by a module's output.
        (
            "module.uploads.aws_s3_bucket.this",
            "not-applicable",
            "expires after 30 days",
        ),
        // Versioning inside the module, by the same variable as its only bucket.
        (
            "module.tfstate.aws_s3_bucket.this",
            "pass",
            "versioned Terraform state",
        ),
        // Terraform's own state: versioning is how an earlier state comes back.
        (
            "aws_s3_bucket.terraform_state",
            "pass",
            "versioned Terraform state",
        ),
    ] {
        let (got, message) = backups(target);
        assert_eq!(got, status, "{target}: {message}");
        assert!(message.contains(says), "{target}: {message}");
    }
}

#[test]
fn the_baseline_asks_for_a_retention_floor_and_no_ceiling() {
    let r = report(None);
    let retention = |target: &str| verdict(&r, "monitoring.log-retention", target);
    assert_eq!(
        retention("aws_cloudwatch_log_group.api").0,
        "pass",
        "400 days"
    );
    assert_eq!(
        retention("aws_cloudwatch_log_group.audit").0,
        "pass",
        "ten years"
    );
    let (status, message) = retention("aws_cloudwatch_log_group.debug");
    assert_eq!(status, "fail");
    assert!(message.contains("30-day floor"), "{message}");
    let (status, message) = retention("aws_cloudwatch_log_group.forever");
    assert_eq!(status, "fail");
    assert!(message.contains("kept forever"), "{message}");
}

#[test]
fn hackney_keeps_its_own_numbers_and_backup_tags() {
    let r = report(Some("hackney"));
    let (status, message) = verdict(
        &r,
        "monitoring.log-retention",
        "aws_cloudwatch_log_group.api",
    );
    assert_eq!(status, "fail", "400 days is above Hackney's ceiling");
    assert!(message.contains("240-day ceiling"), "{message}");
    assert_eq!(
        verdict(
            &r,
            "monitoring.log-retention",
            "aws_cloudwatch_log_group.audit"
        )
        .0,
        "fail"
    );
    assert_eq!(
        verdict(&r, "reliability.backup-tags", "aws_dynamodb_table.cases").0,
        "pass"
    );
    let (status, message) = verdict(&r, "reliability.backup-tags", "aws_dynamodb_table.notes");
    assert_eq!(status, "fail");
    assert!(message.contains("BackupPolicy"), "{message}");
    // The baseline's backups rule still judges the same stores the same way.
    assert_eq!(
        verdict(&r, "reliability.backups", "aws_s3_bucket.documents").0,
        "pass"
    );
    // The baseline has no backup-tag rule at all.
    let baseline = report(None);
    assert_eq!(
        verdict(
            &baseline,
            "reliability.backup-tags",
            "aws_dynamodb_table.notes"
        )
        .0,
        "missing"
    );
    assert_eq!(
        verdict(&baseline, "cost.gsi-limit", "aws_dynamodb_table.notes").0,
        "missing"
    );
}

#[test]
fn what_aws_encrypts_by_default_passes_and_says_so() {
    for profile in [None, Some("hackney")] {
        let r = report(profile);
        let enc = |target: &str| verdict(&r, "security.encryption-at-rest", target);
        let (status, message) = enc("aws_sns_topic.events");
        assert_eq!(status, "pass");
        assert!(message.contains("AWS's own key"), "{message}");
        let (status, message) = enc("aws_sns_topic.audited");
        assert_eq!(status, "pass");
        assert!(message.contains("customer-managed key"), "{message}");
        let (status, message) = enc("aws_sqs_queue.jobs");
        assert_eq!(status, "pass");
        assert!(message.contains("AWS's default applies"), "{message}");
        let (status, message) = enc("aws_sqs_queue.plain");
        assert_eq!(status, "fail");
        assert!(message.contains("sqs_managed_sse_enabled"), "{message}");
        assert_eq!(enc("aws_sqs_queue.keyed").0, "pass");
    }
}

#[test]
fn delivery_logging_is_asked_only_where_a_subscription_can_have_it() {
    let r = report(None);
    let loss = |target: &str| verdict(&r, "monitoring.message-loss", target);
    let (status, message) = loss("aws_sns_topic.events");
    assert_eq!(status, "fail");
    assert!(
        message.contains("`lambda_failure_feedback_role_arn`"),
        "{message}"
    );
    assert!(
        !message.contains("http_failure"),
        "asks only for lambda: {message}"
    );
    let (status, message) = loss("aws_sns_topic.alerts");
    assert_eq!(status, "not-applicable", "e-mail only: {message}");
    assert!(message.contains("email"), "{message}");
    assert_eq!(loss("aws_sns_topic.audited").0, "pass");
    // The fix says what the message asks for, not the rule's dead-letter advice.
    let fix = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "monitoring.message-loss" && f["target"] == "aws_sns_topic.events")
        .and_then(|f| f["remediation"].as_str())
        .unwrap();
    assert!(fix.contains("`lambda_failure_feedback_role_arn`"), "{fix}");
    assert!(!fix.contains("dead-letter"), "{fix}");
}
