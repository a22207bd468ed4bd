//! Every Terraform-judged rule, resource type by resource type: a passing, a failing, a waived
//! (inline `liftoff:ignore`) and, where the deciding attribute can be, an apply-time-unknown
//! instance of the resource, judged together in one production root.

use crate::support::*;

/// One row: the rule, the resource type, and the bodies of the passing, failing and unknown
/// instances (`None`: the attribute cannot be unknown in a way the rule reads).
struct Case {
    rule: &'static str,
    resource_type: &'static str,
    pass: &'static str,
    fail: &'static str,
    unknown: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        rule: "security.encryption-at-rest",
        resource_type: "aws_db_instance",
        pass: "storage_encrypted = true",
        fail: "storage_encrypted = false",
        unknown: Some("storage_encrypted = data.aws_ssm_parameter.flag.value"),
    },
    Case {
        rule: "security.encryption-at-rest",
        resource_type: "aws_rds_cluster",
        pass: "storage_encrypted = \"true\"",
        fail: "engine = \"aurora-postgresql\"",
        unknown: Some("storage_encrypted = data.aws_ssm_parameter.flag.value"),
    },
    Case {
        rule: "security.encryption-at-rest",
        resource_type: "aws_ebs_volume",
        pass: "encrypted = true",
        fail: "size = 100",
        unknown: Some("encrypted = data.aws_ssm_parameter.flag.value"),
    },
    Case {
        rule: "security.encryption-at-rest",
        resource_type: "aws_opensearch_domain",
        pass: "encrypt_at_rest {\n    enabled = true\n  }\n  vpc_options {\n    subnet_ids = [\"subnet-1\"]\n  }",
        fail: "encrypt_at_rest {\n    enabled = false\n  }",
        unknown: None,
    },
    Case {
        // SNS topics are encrypted by AWS whatever is written; an SQS queue can switch it off.
        rule: "security.encryption-at-rest",
        resource_type: "aws_sqs_queue",
        pass: "kms_master_key_id = \"alias/aws/sqs\"",
        fail: "sqs_managed_sse_enabled = false",
        unknown: None,
    },
    Case {
        rule: "security.db-not-public",
        resource_type: "aws_db_instance",
        pass: "publicly_accessible = false",
        fail: "publicly_accessible = true",
        unknown: Some("publicly_accessible = data.aws_ssm_parameter.flag.value"),
    },
    Case {
        rule: "ha.db-replica",
        resource_type: "aws_db_instance",
        pass: "multi_az = true",
        fail: "multi_az = false",
        unknown: Some("multi_az = data.aws_ssm_parameter.flag.value"),
    },
    Case {
        rule: "reliability.pitr",
        resource_type: "aws_dynamodb_table",
        pass: "point_in_time_recovery {\n    enabled = true\n  }",
        fail: "hash_key = \"id\"",
        unknown: None,
    },
    Case {
        rule: "reliability.pitr",
        resource_type: "aws_db_instance",
        pass: "backup_retention_period = 7",
        fail: "backup_retention_period = 0",
        unknown: Some("backup_retention_period = data.aws_ssm_parameter.days.value"),
    },
    Case {
        rule: "capacity.ssd",
        resource_type: "aws_db_instance",
        pass: "storage_type = \"gp3\"",
        fail: "storage_type = \"standard\"",
        unknown: Some("storage_type = data.aws_ssm_parameter.kind.value"),
    },
    Case {
        rule: "security.search-private",
        resource_type: "aws_opensearch_domain",
        pass: "vpc_options {\n    subnet_ids = [\"subnet-1\"]\n  }",
        fail: "engine_version = \"OpenSearch_2.13\"",
        unknown: None,
    },
    Case {
        rule: "security.api-authorizer",
        resource_type: "aws_api_gateway_method",
        pass: "authorization = \"AWS_IAM\"",
        fail: "authorization = \"NONE\"",
        unknown: Some("authorization = data.aws_ssm_parameter.auth.value"),
    },
    Case {
        rule: "security.api-authorizer",
        resource_type: "aws_apigatewayv2_route",
        pass: "route_key = \"GET /records\"\n  authorization_type = \"JWT\"",
        fail: "route_key = \"GET /records\"",
        unknown: Some(
            "route_key = \"GET /records\"\n  authorization_type = data.aws_ssm_parameter.auth.value",
        ),
    },
    Case {
        rule: "security.function-not-public",
        resource_type: "aws_lambda_function_url",
        pass: "function_name = \"records\"\n  authorization_type = \"AWS_IAM\"",
        fail: "function_name = \"records\"\n  authorization_type = \"NONE\"",
        unknown: None,
    },
    Case {
        rule: "security.function-not-public",
        resource_type: "aws_lambda_permission",
        pass: "function_name = \"records\"\n  principal = \"*\"\n  source_arn = \"arn:aws:execute-api:eu-west-2:1:api/*\"",
        fail: "function_name = \"records\"\n  principal = \"*\"",
        unknown: None,
    },
    Case {
        rule: "cost.gsi-limit",
        resource_type: "aws_dynamodb_table",
        pass: "global_secondary_index {\n    name = \"a\"\n  }",
        fail: "global_secondary_index {\n    name = \"a\"\n  }\n  global_secondary_index {\n    name = \"b\"\n  }\n  global_secondary_index {\n    name = \"c\"\n  }",
        unknown: None,
    },
    Case {
        rule: "reliability.backup-tags",
        resource_type: "aws_dynamodb_table",
        pass: "tags = { BackupPolicy = \"Prod\" }",
        fail: "tags = { Team = \"records\" }",
        unknown: None,
    },
    Case {
        rule: "monitoring.log-retention",
        resource_type: "aws_cloudwatch_log_group",
        pass: "retention_in_days = 200",
        fail: "name = \"/aws/lambda/records\"",
        unknown: None,
    },
    Case {
        rule: "security.internal-behind-firewall",
        resource_type: "aws_security_group",
        pass: "ingress {\n    from_port = 443\n    to_port = 443\n    protocol = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }",
        fail: "ingress {\n    from_port = 5432\n    to_port = 5432\n    protocol = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }",
        unknown: None,
    },
    Case {
        rule: "monitoring.message-loss",
        resource_type: "aws_sqs_queue",
        pass: "redrive_policy = jsonencode({ maxReceiveCount = 5 })",
        fail: "visibility_timeout_seconds = 60",
        unknown: None,
    },
    Case {
        rule: "monitoring.message-loss",
        resource_type: "aws_sns_topic",
        pass: "lambda_failure_feedback_role_arn = \"arn:aws:iam::1:role/feedback\"",
        fail: "name = \"births\"",
        unknown: None,
    },
];

#[test]
fn every_terraform_rule_passes_fails_is_waived_and_knows_what_it_cannot_know() {
    for case in CASES {
        // Hackney's profile: it turns on its own rules (backup tags, the index limit).
        let dir = project(
            "service: records\nprofile: hackney\nenvironments: {production: {kind: production}}\n",
        );
        let root = dir.path().join("terraform/production");
        std::fs::create_dir_all(&root).unwrap();
        let block = |name: &str, body: &str| {
            format!(
                "resource \"{}\" \"{name}\" {{\n  {body}\n}}\n\n",
                case.resource_type
            )
        };
        let mut tf = block("passing", case.pass) + &block("failing", case.fail);
        tf += &format!(
            "# liftoff:ignore {} -- accepted for the test\n{}",
            case.rule,
            block("waived", case.fail)
        );
        if let Some(unknown) = case.unknown {
            tf += &block("unknown", unknown);
        }
        std::fs::write(root.join("main.tf"), &tf).unwrap();
        let out = liftoff()
            .arg("check")
            .arg(dir.path())
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert_ne!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let result = |name: &str| {
            let target = format!("{}.{name}", case.resource_type);
            report["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["rule"] == case.rule && r["target"] == target)
                .cloned()
                .unwrap_or_else(|| panic!("{} {target}: no result\n{tf}", case.rule))
        };
        let what = format!("{} on {}", case.rule, case.resource_type);
        assert_eq!(
            result("passing")["status"],
            "pass",
            "{what}: {}",
            result("passing")
        );
        let failing = result("failing");
        assert_eq!(failing["status"], "fail", "{what}: {failing}");
        assert_eq!(
            failing["location"]["path"], "terraform/production/main.tf",
            "{what}"
        );
        assert_eq!(result("waived")["status"], "waived", "{what}");
        if case.unknown.is_some() {
            let unknown = result("unknown");
            assert_eq!(unknown["evidence"]["evidenced"], false, "{what}: {unknown}");
            assert!(
                unknown["message"]
                    .as_str()
                    .unwrap()
                    .contains("known only after apply"),
                "{what}: {unknown}"
            );
        }
    }
}
