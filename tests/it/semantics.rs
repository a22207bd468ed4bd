//! Judging deployments as their tools deploy them (AWS, the Serverless Framework, compose):
//! switched-off code, relations between resources, what is known before apply, secrets.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

fn fixture(name: &str) -> std::path::PathBuf {
    root().join("tests/fixtures/semantics").join(name)
}

fn report(dir: &Path) -> Value {
    let out = liftoff()
        // Hackney's profile judges every AWS rule, its backup tags and data store list too.
        .args(["check", "--format", "json", "--profile", "hackney"])
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
                r["message"].as_str().unwrap().to_string(),
            )
        })
        .unwrap_or_else(|| ("missing".into(), String::new()))
}

fn status(report: &Value, rule: &str, target: &str) -> String {
    verdict(report, rule, target).0
}

#[test]
fn switched_off_modules_are_not_judged_and_unknown_counts_may_exist() {
    let r = report(&fixture("aws"));
    let targets: Vec<&str> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["target"].as_str())
        .collect();
    assert!(!targets.iter().any(|t| t.starts_with("module.sandbox_db")));
    assert!(
        !targets.iter().any(|t| t.starts_with("module.preview_db")),
        "count from a variable's default of false"
    );
    let (status, message) = verdict(
        &r,
        "security.db-not-public",
        "module.feature_db.aws_db_instance.this",
    );
    assert_eq!(status, "fail");
    assert!(
        message.ends_with("(if it is created: its `count` is known only after apply)"),
        "{message}"
    );
}

#[test]
fn read_replicas_belong_to_their_primary() {
    let r = report(&fixture("aws"));
    let (status, message) = verdict(&r, "ha.db-replica", "aws_db_instance.primary");
    assert_eq!(status, "pass");
    assert!(message.contains("read replica"), "{message}");
    for replica in ["aws_db_instance.replica", "aws_db_instance.reporting"] {
        for rule in [
            "ha.db-replica",
            "reliability.pitr",
            "security.encryption-at-rest",
            "cost.preferred-datastore",
            "reliability.backup-tags",
        ] {
            assert_eq!(
                status_of(&r, rule, replica),
                "not-applicable",
                "{rule} on {replica}"
            );
        }
        // A public replica would still be public: exposure is judged on the member.
        assert_eq!(status_of(&r, "security.db-not-public", replica), "pass");
    }
}

fn status_of(r: &Value, rule: &str, target: &str) -> String {
    status(r, rule, target)
}

#[test]
fn cache_nodes_belong_to_their_replication_group() {
    let r = report(&fixture("aws"));
    // The group is judged as the store; its preferred-datastore verdict is its own.
    assert_eq!(
        status_of(
            &r,
            "cost.preferred-datastore",
            "aws_elasticache_replication_group.sessions"
        ),
        "fail"
    );
    for node in [
        "aws_elasticache_cluster.sessions_extra",
        "aws_elasticache_cluster.sessions_reader",
    ] {
        let (status, message) = verdict(&r, "cost.preferred-datastore", node);
        assert_eq!(status, "not-applicable", "{node}: {message}");
        assert!(
            message.contains("a member of `aws_elasticache_replication_group.sessions`"),
            "{message}"
        );
    }
}

#[test]
fn references_are_set_and_maps_are_known_key_by_key() {
    let r = report(&fixture("aws"));
    assert_eq!(
        status(&r, "security.encryption-at-rest", "aws_sns_topic.events"),
        "pass",
        "a CMK set from aws_kms_key.topics.key_id is configured"
    );
    assert_eq!(
        verdict(&r, "reliability.backup-tags", "aws_dynamodb_table.sessions"),
        ("pass".to_string(), "tagged BackupPolicy=Prod".to_string())
    );
    let (status, message) = verdict(&r, "reliability.backup-tags", "aws_dynamodb_table.audit");
    assert_eq!(status, "fail");
    assert!(
        message.contains("`tags.BackupPolicy` (known only after apply)"),
        "a later map known after apply may override the tag: {message}"
    );
}

#[test]
fn committed_secrets_are_values_that_authenticate() {
    let r = report(&fixture("aws"));
    let secrets: Vec<(&str, &str)> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["rule"] == "security.plaintext-secrets")
        .map(|x| (x["target"].as_str().unwrap(), x["status"].as_str().unwrap()))
        .collect();
    assert!(
        secrets.contains(&("aws_db_instance.leaky.password", "fail")),
        "{secrets:?}"
    );
    assert!(
        secrets.contains(&("aws_db_instance.legacy.password", "pass")),
        "a placeholder is a note: {secrets:?}"
    );
    assert!(
        !secrets.iter().any(|(t, _)| t.contains("http_tokens")),
        "{secrets:?}"
    );
    assert!(
        secrets.contains(&(
            "aws_secretsmanager_secret_version.warehouse.secret_string",
            "pass"
        )),
        "ignore_changes: the written value is a placeholder: {secrets:?}"
    );
    assert!(
        !secrets
            .iter()
            .any(|(t, s)| t.contains("dates") && *s == "fail"),
        "{secrets:?}"
    );
    let text = serde_json::to_string(&r).unwrap();
    assert!(!text.contains("Pr0d-Pa55w0rd-2026"));
    assert!(!text.contains("Initial-Pa55w0rd-2026"));
}

/// An EFS file system's `creation_token` makes its creation safe to repeat and grants no access
/// (seen on nationalarchives/ds-infrastructure-web): no committed secret. A password beside it
/// in the same deployment still is one.
#[test]
fn an_idempotency_token_is_no_committed_secret() {
    let dir = project("service: records\nenvironments:\n  production: {kind: production}\n");
    let tf = dir.path().join("terraform/production");
    std::fs::create_dir_all(&tf).unwrap();
    std::fs::write(
        tf.join("main.tf"),
        r#"resource "aws_efs_file_system" "media" {
  creation_token = "records-media-efs"
  encrypted      = true
}

resource "aws_db_instance" "records" {
  engine            = "postgres"
  instance_class    = "db.t3.medium"
  password          = "Re1ease-Pa55w0rd-2026"
  storage_encrypted = true
}
"#,
    )
    .unwrap();
    let r = report(dir.path());
    assert_eq!(
        status(
            &r,
            "security.plaintext-secrets",
            "aws_efs_file_system.media.creation_token"
        ),
        "missing",
        "{}",
        serde_json::to_string_pretty(&r["results"]).unwrap()
    );
    assert_eq!(
        status(
            &r,
            "security.plaintext-secrets",
            "aws_db_instance.records.password"
        ),
        "fail"
    );
}

#[test]
fn serverless_functions_are_judged_as_the_framework_deploys_them() {
    let r = report(&fixture("serverless"));
    let (zip, message) = verdict(
        &r,
        "env.production-dev-images",
        "component:production/housingApi",
    );
    assert_eq!(zip, "not-applicable");
    assert!(message.contains("`dotnet8` runtime"), "{message}");
    assert_eq!(
        verdict(&r, "env.production-dev-images", "component:production/importer"),
        (
            "fail".to_string(),
            "image `000000000000.dkr.ecr.eu-west-2.amazonaws.com/importer:latest` uses the moving `latest` tag".to_string()
        )
    );
    assert_eq!(
        status(
            &r,
            "env.production-dev-images",
            "component:production/reports"
        ),
        "pass",
        "provider.ecr.images.reports.uri is pinned"
    );
    // logRetentionInDays: the provider's, judged once for the file, and the function's own
    // where it sets one.
    assert_eq!(
        verdict(&r, "monitoring.log-retention", "serverless:housing-api"),
        ("pass".to_string(), "logs kept 180 days".to_string())
    );
    assert_eq!(
        status(
            &r,
            "monitoring.log-retention",
            "component:production/housingApi"
        ),
        "missing"
    );
    assert_eq!(
        verdict(
            &r,
            "monitoring.log-retention",
            "component:production/importer"
        ),
        (
            "fail".to_string(),
            "logs kept 30 days, shorter than the 180-day floor".to_string()
        )
    );
}

#[test]
fn serverless_tracing_is_judged_in_the_production_stage() {
    let source = fixture("serverless-stages");
    let r = report(&source);
    // Production's stage resolves `${self:custom.tracing.${sls:stage}}` to true; staging's false
    // says nothing of production.
    assert_eq!(
        verdict(&r, "monitoring.tracing", "deployment"),
        ("pass".to_string(), "tracing: xray".to_string())
    );
    // Off in production: the same file, read for that stage.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("api")).unwrap();
    std::fs::copy(source.join("liftoff.yaml"), dir.path().join("liftoff.yaml")).unwrap();
    let text = std::fs::read_to_string(source.join("api/serverless.yml")).unwrap();
    let write = |text: &str| std::fs::write(dir.path().join("api/serverless.yml"), text).unwrap();
    write(&text.replace("production: true", "production: false"));
    assert_eq!(
        verdict(&report(dir.path()), "monitoring.tracing", "deployment"),
        ("fail".to_string(), "tracing is switched off".to_string())
    );
    // A switch the framework resolves only at deploy is not evidence either way.
    write(&text.replace("production: true", "production: ${ssm:/records/tracing}"));
    let (status, message) = verdict(&report(dir.path()), "monitoring.tracing", "deployment");
    assert_eq!(status, "fail");
    assert!(
        message.starts_with("not evidenced")
            && message.contains("`${self:custom.tracing.${sls:stage}}` is known only at deploy"),
        "{message}"
    );
}

#[test]
fn a_missing_log_retention_points_at_the_provider() {
    let dir = tempfile::tempdir().unwrap();
    let source = fixture("serverless");
    std::fs::create_dir_all(dir.path().join("api")).unwrap();
    std::fs::create_dir_all(dir.path().join("terraform/production")).unwrap();
    let text = std::fs::read_to_string(source.join("api/serverless.yml"))
        .unwrap()
        .replace("  logRetentionInDays: 180\n", "");
    std::fs::write(dir.path().join("api/serverless.yml"), text).unwrap();
    std::fs::copy(
        source.join("terraform/production/main.tf"),
        dir.path().join("terraform/production/main.tf"),
    )
    .unwrap();
    let r = report(dir.path());
    let result = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| {
            x["rule"] == "monitoring.log-retention" && x["target"] == "serverless:housing-api"
        })
        .unwrap();
    assert_eq!(result["status"], "fail");
    assert!(
        result["message"]
            .as_str()
            .unwrap()
            .contains("keep logs forever (set it under `provider`)")
    );
    assert_eq!(result["location"]["path"], "api/serverless.yml");
    assert_eq!(
        result["location"]["line"], 4,
        "the first line of `provider`"
    );
}

/// docker compose interpolates an `env_file` path like any value: from the project `.env`
/// (`SHOP_ENV_FILE=config/web.env`) or a default (`${SHOP_ENV_FILE:-config/web.env}`) the file is
/// read; a variable only the caller's shell sets leaves that env_file unread and listed, while
/// the rest of the compose file is judged; a literal path that is missing stops compose, unless
/// `required: false` (audit25, `env_file: ${RUNNER_ENV_FILE}` in ONSdigital/eq-questionnaire-runner).
#[test]
fn a_compose_env_file_path_is_interpolated_as_compose_does() {
    let judged = |case: &str| {
        let dir = root().join("tests/fixtures/compose-env-file").join(case);
        let (_, r) = check_json(&dir, &["--offline"]);
        let verdict = |rule: &str, target: &str| {
            rule_results(&r, rule)
                .iter()
                .find(|x| x["target"] == target)
                .map(|x| x["status"].as_str().unwrap().to_string())
        };
        (
            verdict("ops.inputs-parse", "deployment")
                .or(verdict("ops.inputs-parse", "docker-compose.yml")),
            verdict("security.no-debug", "compose:docker-compose.yml#web"),
            file(&r, "docker-compose.yml").0.to_string(),
            r,
        )
    };
    let some = |s: &str| Some(s.to_string());
    // The env_file's `DEBUG=true` is read, so debug mode fails.
    for case in ["dotenv", "default", "optional"] {
        let (parse, debug, compose, _) = judged(case);
        assert_eq!(
            (parse, debug, compose.as_str()),
            (some("pass"), some("fail"), "read"),
            "{case}"
        );
    }
    let (parse, debug, compose, r) = judged("shell");
    assert_eq!(
        (parse, compose.as_str()),
        (some("pass"), "read"),
        "the compose file parses"
    );
    assert!(debug.is_some(), "its service is judged");
    assert_eq!(
        file(&r, "docker-compose.yml#env_file ${SHOP_ENV_FILE}"),
        (
            "not-read",
            "not read for production: its path comes from `SHOP_ENV_FILE`, which is set outside the repository (by the shell running docker compose; no `.env` beside the compose file gives its value), so the settings it gives `web` are unknown"
        )
    );
    let (parse, debug, compose, r) = judged("missing");
    assert_eq!(
        (parse, debug, compose.as_str()),
        (some("error"), None, "unreadable")
    );
    assert!(
        file(&r, "docker-compose.yml")
            .1
            .contains("the env_file `config/secrets.env` does not exist"),
        "{:?}",
        file(&r, "docker-compose.yml")
    );
}

#[test]
fn compose_jobs_replica_sets_and_conditional_dev_servers() {
    let r = report(&fixture("compose"));
    let production: Vec<(&str, &str, &str)> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["environment"] == "production")
        .map(|x| {
            (
                x["rule"].as_str().unwrap(),
                x["target"].as_str().unwrap(),
                x["status"].as_str().unwrap(),
            )
        })
        .collect();
    let about = |service: &str| -> Vec<&str> {
        production
            .iter()
            .filter(|(_, t, s)| t.ends_with(&format!("#{service}")) && *s != "not-applicable")
            .map(|(rule, _, _)| *rule)
            .collect()
    };
    // One-shot jobs are no data stores: no backup, replica or encryption is asked of them.
    for job in ["mongo-on-update", "db-migrate"] {
        let rules = about(job);
        for data_rule in [
            "ha.db-replica",
            "reliability.backups",
            "reliability.pitr",
            "security.encryption-at-rest",
            "security.service-accounts",
        ] {
            assert!(
                !rules.contains(&data_rule),
                "{data_rule} judged {job}: {rules:?}"
            );
        }
    }
    // `mongod --replSet rs0` in two services: a replica set of two, judged once for quorum.
    let target = "compose:deploy/docker-compose.production.yml#mongo1";
    assert_eq!(status(&r, "ha.db-replica", target), "pass");
    assert_eq!(
        verdict(&r, "ha.quorum", target),
        (
            "fail".to_string(),
            "2 members cannot keep a safe majority: use an odd number of at least 3".to_string()
        )
    );
    assert_eq!(
        status(
            &r,
            "ha.quorum",
            "compose:deploy/docker-compose.production.yml#mongo2"
        ),
        "missing"
    );
    // Debug is asked of application servers only.
    for service in [
        "redis",
        "influxdb",
        "apm-server",
        "mongo-on-update",
        "celery-exporter",
        "setup-kibana",
    ] {
        assert!(
            !about(service).contains(&"security.no-debug"),
            "no-debug judged {service}"
        );
    }
    // A development server behind `if [ "$DEBUG" = "1" ]`, with DEBUG=0: reported with the
    // condition, and it passes.
    let (web, message) = verdict(
        &r,
        "env.production-dev-images",
        "compose:deploy/docker-compose.production.yml#web",
    );
    assert_eq!(web, "pass");
    assert!(
        message.contains("only when `[ \"$DEBUG\" = \"1\" ]` holds, and DEBUG is `0` here"),
        "{message}"
    );
}

#[test]
fn a_conditional_dev_server_with_the_switch_unknown_is_reported_with_its_condition() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("deploy")).unwrap();
    let base = std::fs::read_to_string(fixture("compose").join("deploy/docker-compose.yml"))
        .unwrap()
        .replace("    environment:\n      DEBUG: \"0\"\n", "");
    std::fs::write(dir.path().join("deploy/docker-compose.yml"), base).unwrap();
    std::fs::copy(
        fixture("compose").join("deploy/docker-compose.production.yml"),
        dir.path().join("deploy/docker-compose.production.yml"),
    )
    .unwrap();
    let r = report(dir.path());
    let (web, message) = verdict(
        &r,
        "env.production-dev-images",
        "compose:deploy/docker-compose.production.yml#web",
    );
    assert_eq!(web, "fail");
    assert_eq!(
        message,
        "runs Django's development server when `[ \"$DEBUG\" = \"1\" ]` holds, and DEBUG is not set in the files: set it, or declare the component's `debug`"
    );
}

#[test]
fn aws_defaults_apply_and_split_resources_join_inside_modules() {
    let r = report(&fixture("aws"));
    assert_eq!(
        verdict(&r, "reliability.pitr", "aws_db_instance.defaults"),
        (
            "pass".to_string(),
            "point-in-time recovery is on (`backup_retention_period` is not set: AWS's default applies)".to_string()
        )
    );
    // The module's own public access block configures the module's bucket.
    assert_eq!(
        verdict(
            &r,
            "security.no-public-storage",
            "module.uploads.aws_s3_bucket.this"
        ),
        (
            "fail".to_string(),
            "the public access block leaves block_public_policy off".to_string()
        )
    );
    // AWS's 2023 default covers new buckets only: an explicit block stays required.
    let (status, message) = verdict(&r, "security.no-public-storage", "aws_s3_bucket.exports");
    assert_eq!(status, "fail");
    assert!(
        message.contains("only on buckets created since April 2023"),
        "{message}"
    );
}

#[test]
fn every_api_gateway_stage_is_judged_for_tracing() {
    let r = report(&fixture("aws"));
    assert_eq!(
        status(&r, "monitoring.tracing", "aws_api_gateway_stage.v1"),
        "pass"
    );
    assert_eq!(
        verdict(&r, "monitoring.tracing", "aws_api_gateway_stage.beta"),
        (
            "fail".to_string(),
            "X-Ray tracing is off for this stage: `xray_tracing_enabled` is not true".to_string()
        )
    );
}

#[test]
fn well_known_modules_are_judged_by_what_they_create() {
    let r = report(&fixture("modules"));
    let expected = [
        ("ha.db-replica", "module.db.aws_db_instance.this", "pass"),
        (
            "security.encryption-at-rest",
            "module.db.aws_db_instance.this",
            "pass",
        ),
        ("reliability.pitr", "module.db.aws_db_instance.this", "pass"),
        (
            "security.no-public-storage",
            "module.uploads.aws_s3_bucket.this",
            "fail",
        ),
        (
            "reliability.pitr",
            "module.sessions.aws_dynamodb_table.this",
            "fail",
        ),
        (
            "monitoring.log-retention",
            "module.worker.aws_cloudwatch_log_group.this",
            "pass",
        ),
        (
            "security.encryption-at-rest",
            "module.events.aws_sns_topic.this",
            // SNS keeps messages on encrypted disks whatever the module is given.
            "pass",
        ),
        (
            "monitoring.message-loss",
            "module.jobs.aws_sqs_queue.this",
            "fail",
        ),
        (
            "monitoring.canary",
            "module.api.aws_apigatewayv2_api.this",
            "fail",
        ),
        ("monitoring.dashboard", "deployment", "pass"),
    ];
    for (rule, target, want) in expected {
        assert_eq!(status(&r, rule, target), want, "{rule} {target}");
    }
    // Hackney's api-alarm module alarms on 5xx: only the canary alarm is missing.
    assert_eq!(
        verdict(&r, "monitoring.api-alarms", "deployment").1,
        "no alarm on canary"
    );
    // A module switched off by its own input creates nothing.
    let targets = serde_json::to_string(&r["results"]).unwrap();
    assert!(!targets.contains("module.unused_db.aws_db_instance"));
    // The report says the module's code was not read, and what was judged instead.
    let listed = r["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "terraform/production/main.tf#module.db")
        .unwrap();
    assert!(
        listed["reason"]
            .as_str()
            .unwrap()
            .contains("liftoff knows what it creates")
    );
}

#[test]
fn a_serverless_web_front_end_is_not_asked_for_an_api_authorizer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("terraform/production")).unwrap();
    std::fs::write(dir.path().join("terraform/production/main.tf"), "").unwrap();
    let yml = "service: register-frontend\nprovider: {name: aws, runtime: nodejs20.x, logRetentionInDays: 200}\nfunctions:\n  app:\n    handler: server.handler\n    events:\n      - http: {path: /, method: ANY}\n      - http:\n          path: /{proxy+}\n          method: ANY\n";
    std::fs::write(dir.path().join("serverless.yml"), yml).unwrap();
    let r = report(dir.path());
    let (status, message) = verdict(&r, "security.api-authorizer", "serverless:app:ANY /");
    assert_eq!(status, "not-applicable");
    assert!(message.contains("serves a web front end"), "{message}");
    // The same routes in an API service need an authorizer.
    std::fs::write(
        dir.path().join("serverless.yml"),
        yml.replace("register-frontend", "register-api"),
    )
    .unwrap();
    let r = report(dir.path());
    assert_eq!(
        verdict(&r, "security.api-authorizer", "serverless:app:ANY /").0,
        "fail"
    );
}

#[test]
fn a_module_switched_off_everywhere_is_listed_as_deploying_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in [
        (
            "terraform/production/main.tf",
            "module \"warehouse\" {\n  count  = 0\n  source = \"../modules/warehouse\"\n}\n",
        ),
        (
            "terraform/modules/warehouse/main.tf",
            "resource \"aws_redshift_cluster\" \"w\" {\n  cluster_identifier = \"w\"\n  node_type = \"ra3.xlplus\"\n}\n",
        ),
        (
            "terraform/modules/unused/main.tf",
            "resource \"aws_sqs_queue\" \"q\" {}\n",
        ),
    ] {
        std::fs::create_dir_all(dir.path().join(path).parent().unwrap()).unwrap();
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    let r = report(dir.path());
    let reason = |path: &str| {
        r["artefacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["path"] == path)
            .map(|a| a["reason"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert!(
        reason("terraform/modules/warehouse/main.tf")
            .starts_with("a module whose calls deploy nothing"),
        "{}",
        reason("terraform/modules/warehouse/main.tf")
    );
    assert_eq!(
        reason("terraform/modules/unused/main.tf"),
        "a module that no configuration here calls"
    );
    assert!(
        !serde_json::to_string(&r["results"])
            .unwrap()
            .contains("aws_redshift_cluster")
    );
}

#[test]
fn module_cycles_are_refused_naming_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        std::fs::create_dir_all(dir.path().join(path).parent().unwrap()).unwrap();
        std::fs::write(dir.path().join(path), text).unwrap();
    };
    // Five calls of the root itself: once this took minutes and a gigabyte.
    write(
        "terraform/production/main.tf",
        &"module \"me\" {\n  source = \"./\"\n}\n".repeat(5),
    );
    let started = std::time::Instant::now();
    let out = liftoff().arg("check").arg(dir.path()).output().unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "it ends"
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("modules call each other in a cycle: module `me` (source `./`) leads back to `terraform/production`"),
        "{err}"
    );
    // Two modules calling each other.
    write(
        "terraform/production/main.tf",
        "module \"a\" {\n  source = \"../modules/a\"\n}\n",
    );
    write(
        "terraform/modules/a/main.tf",
        "module \"b\" {\n  source = \"../b\"\n}\n",
    );
    write(
        "terraform/modules/b/main.tf",
        "module \"a\" {\n  source = \"../a\"\n}\n",
    );
    let out = liftoff().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("leads back to `terraform/modules/a`: terraform/modules/a → terraform/modules/b → terraform/modules/a"),
        "{err}"
    );
}

/// AWS Backup backs an EC2 instance up as an image with a snapshot of every attached volume; a
/// volume tagged for a plan that these files do not hold (the account's, kept elsewhere) is a
/// question, not a decided "no backup".
#[test]
fn a_volume_is_backed_up_with_its_instance_and_a_backup_tag_without_a_plan_is_a_question() {
    let dir = project("service: records\nenvironments:\n  production: {kind: production}\n");
    let tf = dir.path().join("terraform/production");
    std::fs::create_dir_all(&tf).unwrap();
    std::fs::write(
        tf.join("main.tf"),
        r#"resource "aws_backup_plan" "daily" {
  name = "daily"
  rule {
    rule_name         = "daily"
    target_vault_name = "main"
    schedule          = "cron(0 3 * * ? *)"
  }
}

resource "aws_backup_selection" "tagged" {
  name         = "tagged"
  plan_id      = aws_backup_plan.daily.id
  iam_role_arn = "arn:aws:iam::123456789012:role/backup"
  selection_tag {
    type  = "STRINGEQUALS"
    key   = "Backup"
    value = "daily"
  }
}

resource "aws_instance" "db" {
  ami           = "ami-12345678"
  instance_type = "m5.large"
  tags          = { Backup = "daily" }
}

resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-2a"
  size              = 100
  encrypted         = true
}

resource "aws_volume_attachment" "data" {
  device_name = "/dev/xvdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.db.id
}

resource "aws_instance" "replica" {
  count         = 2
  ami           = "ami-12345678"
  instance_type = "m5.large"
  tags          = { Backup = count.index == 0 ? "daily" : "none" }
}

resource "aws_ebs_volume" "replica" {
  count             = 2
  availability_zone = "eu-west-2a"
  size              = 100
  encrypted         = true
}

resource "aws_volume_attachment" "replica" {
  count       = 2
  device_name = "/dev/xvdf"
  volume_id   = aws_ebs_volume.replica[count.index].id
  instance_id = aws_instance.replica[count.index].id
}

resource "aws_instance" "reports" {
  ami           = "ami-12345678"
  instance_type = "m5.large"
  tags          = { BackupPlan = "backup21" }
}

resource "aws_ebs_volume" "ledger" {
  availability_zone = "eu-west-2a"
  size              = 100
  encrypted         = true
  tags              = { Backup = "weekly" }
}

resource "aws_ebs_volume" "reports" {
  availability_zone = "eu-west-2a"
  size              = 100
  encrypted         = true
}

resource "aws_volume_attachment" "reports" {
  device_name = "/dev/xvdf"
  volume_id   = aws_ebs_volume.reports.id
  instance_id = aws_instance.reports.id
}

resource "aws_ebs_volume" "scratch" {
  availability_zone = "eu-west-2a"
  size              = 100
  encrypted         = true
  tags              = { Backup = "none" }
}

resource "aws_ebs_volume" "archive" {
  availability_zone = "eu-west-2a"
  size              = 100
  encrypted         = true
  tags              = { Name = "archive" }
}

resource "aws_ebs_volume" "cache" {
  availability_zone = "eu-west-2a"
  size              = 100
  encrypted         = true
  tags              = { SkipBackup = "true" }
}
"#,
    )
    .unwrap();
    let (_, r) = check_json(dir.path(), &[]);
    let result = |target: &str| {
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule"] == "reliability.backups" && x["target"] == target)
            .cloned()
            .unwrap_or_else(|| panic!("no result for {target}"))
    };
    let data = result("aws_ebs_volume.data");
    assert_eq!(data["status"], "pass", "{data}");
    assert!(
        data["message"]
            .as_str()
            .unwrap()
            .contains("backed up with `aws_instance.db`, the instance it is attached to"),
        "{data}"
    );
    // Counted attachments: each volume goes with the instance of its own index.
    assert_eq!(result("aws_ebs_volume.replica[0]")["status"], "pass");
    assert_eq!(result("aws_ebs_volume.replica[1]")["decided_by"], "file");
    // Tagged through its instance for a plan that no selection here names: asked, not decided.
    let reports = result("aws_ebs_volume.reports");
    assert_eq!(reports["status"], "fail", "{reports}");
    assert_eq!(reports["decided_by"], "none", "{reports}");
    assert!(
        reports["message"]
            .as_str()
            .unwrap()
            .contains("attached to `aws_instance.reports`, tagged `BackupPlan = \"backup21\"`"),
        "{reports}"
    );
    // A tag that turns backups off, no tag at all, and a tag whose key the selection here
    // selects by (its plan is in these files, and selects another value) are decided by the file.
    for target in [
        "aws_ebs_volume.scratch",
        "aws_ebs_volume.archive",
        "aws_ebs_volume.ledger",
        "aws_ebs_volume.cache",
    ] {
        let x = result(target);
        assert_eq!(x["status"], "fail", "{x}");
        assert_eq!(x["decided_by"], "file", "{x}");
        assert!(
            x["message"]
                .as_str()
                .unwrap()
                .starts_with("no backup: no backup plan selects it"),
            "{x}"
        );
    }
}

/// Servers placed in subnets liftoff cannot see (a data source) have zones known only after
/// apply: one zone written on a volume does not decide that production spans one zone. A server
/// in a subnet that is read takes that subnet's zone.
#[test]
fn zones_known_only_after_apply_leave_the_zone_count_a_question() {
    let judge = |extra: &str| {
        let dir = project("service: records\nenvironments:\n  production: {kind: production}\n");
        let tf = dir.path().join("terraform/production");
        std::fs::create_dir_all(&tf).unwrap();
        std::fs::write(
            tf.join("main.tf"),
            format!(
                r#"resource "aws_ebs_volume" "scratch" {{
  availability_zone = "eu-west-2a"
  size              = 100
  encrypted         = true
}}
{extra}"#
            ),
        )
        .unwrap();
        let (_, r) = check_json(dir.path(), &[]);
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule"] == "ha.multi-zone" && x["environment"] == "production")
            .cloned()
            .unwrap()
    };
    let unknown = judge(
        r#"data "aws_subnets" "data" {}

resource "aws_instance" "db" {
  count         = 2
  ami           = "ami-12345678"
  instance_type = "m5.large"
  subnet_id     = data.aws_subnets.data.ids[count.index]
}
"#,
    );
    assert_eq!(unknown["status"], "fail", "{unknown}");
    assert_eq!(unknown["decided_by"], "none", "{unknown}");
    let message = unknown["message"].as_str().unwrap();
    assert!(
        message.contains("1 zone is written down (eu-west-2a)")
            && message.contains(
                "the zones of `aws_instance.db[0]`, `aws_instance.db[1]` are known only after apply"
            ),
        "{message}"
    );
    // The subnet is read: its zone is the server's, and one zone is decided.
    let known = judge(
        r#"resource "aws_subnet" "data" {
  vpc_id            = "vpc-12345678"
  cidr_block        = "10.0.1.0/24"
  availability_zone = "eu-west-2a"
}

resource "aws_instance" "db" {
  ami           = "ami-12345678"
  instance_type = "m5.large"
  subnet_id     = aws_subnet.data.id
}
"#,
    );
    assert_eq!(known["status"], "fail", "{known}");
    assert_eq!(known["decided_by"], "file", "{known}");
    assert!(
        known["message"]
            .as_str()
            .unwrap()
            .contains("spans 1 zone (eu-west-2a), fewer than 3"),
        "{known}"
    );
    // Nothing unknown and one zone: decided as before.
    let alone = judge("");
    assert_eq!(alone["decided_by"], "file", "{alone}");
}

/// A production database read from Terraform is data the deployment keeps: the rules about
/// restoring and keeping backups apart ask about it (they had said "keeps no data"), and with
/// nothing saying where backups are kept, where they are is a question, not a decided failure.
/// So is a bucket the backup rule judges as data.
#[test]
fn a_database_or_bucket_read_from_terraform_is_data_kept() {
    let dir = project("service: records\nenvironments:\n  production: {kind: production}\n");
    let tf = dir.path().join("terraform/production");
    std::fs::create_dir_all(&tf).unwrap();
    let write = |text: &str| std::fs::write(tf.join("main.tf"), text).unwrap();
    let deployment = |r: &Value, rule: &str| {
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule"] == rule)
            .cloned()
            .unwrap_or_else(|| panic!("no {rule}"))
    };
    write(
        r#"resource "aws_db_instance" "records" {
  engine            = "postgres"
  instance_class    = "db.t3.medium"
  storage_encrypted = true
}
"#,
    );
    let (_, r) = check_json(dir.path(), &[]);
    for rule in ["reliability.restore-tested", "env.backup-separate"] {
        let x = deployment(&r, rule);
        assert_eq!(x["status"], "fail", "{x}");
        assert_eq!(x["decided_by"], "none", "{x}");
    }
    // A state lock table alone is no data to keep.
    write(
        r#"resource "aws_dynamodb_table" "lock" {
  name     = "terraform-lock"
  hash_key = "LockID"
}
"#,
    );
    let (_, r) = check_json(dir.path(), &[]);
    let x = deployment(&r, "reliability.restore-tested");
    assert_eq!(x["status"], "not-applicable", "{x}");
    assert!(
        x["message"]
            .as_str()
            .unwrap()
            .starts_with("no data store is declared or read"),
        "{x}"
    );
    // A bucket of uploads with no backup is data to keep for every rule about backups, not
    // only for the one that fails it; a bucket of logs is not (audit22).
    write(
        r#"resource "aws_s3_bucket" "uploads" {
  bucket = "records-uploads"
}
"#,
    );
    let (_, r) = check_json(dir.path(), &[]);
    assert_eq!(deployment(&r, "reliability.backups")["status"], "fail");
    for rule in [
        "reliability.restore-tested",
        "env.backup-separate",
        "security.backup-encryption",
    ] {
        let x = deployment(&r, rule);
        assert_eq!(x["status"], "fail", "{x}");
    }
    write(
        r#"resource "aws_s3_bucket" "access_logs" {
  bucket = "records-access-logs"
}
"#,
    );
    let (_, r) = check_json(dir.path(), &[]);
    let x = deployment(&r, "security.backup-encryption");
    assert_eq!(x["status"], "not-applicable", "{x}");
}

/// EC2 instances are servers the team manages: the SSH rules ask about them rather than saying
/// no managed servers are declared. Two roots in production can each have an `aws_instance.db`:
/// a volume goes with the instance declared beside it, not with the other root's.
#[test]
fn ec2_instances_are_the_teams_servers_and_each_root_attaches_its_own() {
    let dir = project("service: records\nenvironments:\n  production: {kind: production}\n");
    let root = |name: &str, tag: &str| {
        let tf = dir.path().join(format!("terraform/production/{name}"));
        std::fs::create_dir_all(&tf).unwrap();
        std::fs::write(
            tf.join("main.tf"),
            format!(
                r#"resource "aws_instance" "db" {{
  ami           = "ami-12345678"
  instance_type = "m5.large"
  tags          = {{ {tag} }}
}}

resource "aws_ebs_volume" "{name}" {{
  availability_zone = "eu-west-2a"
  size              = 100
  encrypted         = true
}}

resource "aws_volume_attachment" "{name}" {{
  device_name = "/dev/xvdf"
  volume_id   = aws_ebs_volume.{name}.id
  instance_id = aws_instance.db.id
}}
"#
            ),
        )
        .unwrap();
    };
    root("ledger", "Backup = \"backup21\"");
    root("archive", "Name = \"archive\"");
    let (_, r) = check_json(dir.path(), &[]);
    let find = |rule: &str, target: &str| {
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule"] == rule && x["target"] == target)
            .cloned()
            .unwrap_or_else(|| panic!("no {rule} about {target}"))
    };
    let ledger = find("reliability.backups", "aws_ebs_volume.ledger");
    assert_eq!(ledger["decided_by"], "none", "{ledger}");
    let archive = find("reliability.backups", "aws_ebs_volume.archive");
    assert_eq!(archive["decided_by"], "file", "{archive}");
    assert!(
        archive["message"]
            .as_str()
            .unwrap()
            .starts_with("no backup: no backup plan selects it"),
        "{archive}"
    );
    for rule in ["security.ssh-hardening", "monitoring.ssh-audit"] {
        let x = find(rule, "deployment");
        assert_eq!(x["status"], "fail", "{x}");
        assert_eq!(x["decided_by"], "none", "{x}");
    }
}

/// A canary may probe an API from a service these files do not configure: with no canary
/// declared or read at all, whether one probes the API is a question. Once the team lists its
/// canaries, an API the list leaves out has none.
#[test]
fn an_api_with_no_canary_anywhere_is_a_question_and_one_left_out_of_the_list_fails() {
    let judge = |monitoring: &str| {
        let dir = project(&format!(
            "service: records\n{monitoring}environments:\n  production:\n    kind: production\n    endpoints: [{{url: \"https://api.example.org\", kind: api}}]\n"
        ));
        let (_, r) = check_json(dir.path(), &[]);
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule"] == "monitoring.canary")
            .cloned()
            .unwrap()
    };
    let unknown = judge("");
    assert_eq!(unknown["status"], "fail", "{unknown}");
    assert_eq!(unknown["decided_by"], "none", "{unknown}");
    let left_out = judge(
        "monitoring: {canaries: [{target: \"https://www.example.org/health\", interval: 5m}]}\n",
    );
    assert_eq!(left_out["status"], "fail", "{left_out}");
    assert_ne!(left_out["decided_by"], "none", "{left_out}");
    assert_eq!(
        left_out["message"], "no canary probes this API",
        "{left_out}"
    );
}

/// A bucket that serves a static website holds what the deploy uploads (mcagov/beacons' maintenance
/// page): no backup is asked of it, inline `website` block or website configuration alike. A
/// plain bucket beside it still needs one.
#[test]
fn a_bucket_that_serves_a_static_website_needs_no_backup() {
    let dir = project("service: site\nenvironments:\n  production: {kind: production}\n");
    let tf = dir.path().join("terraform/production");
    std::fs::create_dir_all(&tf).unwrap();
    std::fs::write(
        tf.join("main.tf"),
        r#"resource "aws_s3_bucket" "site" {
  bucket = "maintenance.example.org"
}

resource "aws_s3_bucket_website_configuration" "site" {
  bucket = aws_s3_bucket.site.id
  index_document {
    suffix = "index.html"
  }
}

resource "aws_s3_bucket" "legacy_site" {
  bucket = "old.example.org"
  website {
    index_document = "index.html"
  }
}

resource "aws_s3_bucket" "uploads" {
  bucket = "uploads.example.org"
}
"#,
    )
    .unwrap();
    let r = report(dir.path());
    for site in ["aws_s3_bucket.site", "aws_s3_bucket.legacy_site"] {
        let (status, message) = verdict(&r, "reliability.backups", site);
        assert_eq!(status, "not-applicable", "{site}: {message}");
        assert!(message.contains("static website"), "{message}");
    }
    assert_eq!(
        status(&r, "reliability.backups", "aws_s3_bucket.uploads"),
        "fail"
    );
}

/// Alarms read from Terraform notify people through the SNS subscriptions of the topic they act
/// on (mcagov/beacons): an e-mail or a pager's HTTPS endpoint is a channel. What the alarms do not
/// cover is a question, not a failure: the files never said what the team watches.
#[test]
fn alarm_topics_subscriptions_are_channels_and_coverage_read_from_files_is_a_question() {
    let alarm = r#"resource "aws_sns_topic" "alerts" {
  name = "alerts"
}

resource "aws_cloudwatch_metric_alarm" "web_5xx" {
  alarm_name          = "web-5xx"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 5
  period              = 60
  statistic           = "Sum"
  threshold           = 20
  alarm_actions       = [aws_sns_topic.alerts.arn]
}
"#;
    let pager = r#"
resource "aws_sns_topic_subscription" "pager" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "https"
  endpoint  = var.pager_url
}
"#;
    let service = r#"
resource "aws_sns_topic" "orders" {
  name = "orders"
}

resource "aws_sns_topic_subscription" "billing" {
  topic_arn = aws_sns_topic.orders.arn
  protocol  = "https"
  endpoint  = "https://billing.example.org/orders"
}
"#;
    let judged = |files: &str| {
        let dir = project("service: site\nenvironments:\n  production: {kind: production}\n");
        let tf = dir.path().join("terraform/production");
        std::fs::create_dir_all(&tf).unwrap();
        std::fs::write(tf.join("main.tf"), files).unwrap();
        let (_, r) = check_json(dir.path(), &[]);
        (
            verdict(&r, "monitoring.notification-channel", "deployment"),
            verdict(&r, "monitoring.components", "deployment"),
        )
    };
    // The pager subscribes to the alarm's topic: a channel.
    let (channel, components) = judged(&format!("{alarm}{pager}"));
    assert_eq!(channel.0, "pass", "{}", channel.1);
    assert!(channel.1.contains("webhook"), "{}", channel.1);
    assert_eq!(components.0, "fail");
    assert!(
        components.1.contains("not evidenced") && components.1.contains("`monitoring.covers`"),
        "{}",
        components.1
    );
    assert!(!components.1.contains("channels"), "{}", components.1);
    // An HTTPS subscriber of a topic no alarm notifies is a service, not people: still a
    // question, never a failure decided from the files.
    let (channel, components) = judged(&format!("{alarm}{service}"));
    assert_eq!(channel.0, "fail");
    assert!(channel.1.contains("not evidenced"), "{}", channel.1);
    assert!(
        components
            .1
            .contains("`monitoring.covers` and `monitoring.channels`"),
        "{}",
        components.1
    );
}

/// The data stores a serverless.yml creates in `resources.Resources` are judged like the same
/// stores written in Terraform: a DynamoDB table without point-in-time recovery, a bucket with no
/// public access block, an RDS instance's retention; settings CloudFormation writes inline (a
/// bucket's `PublicAccessBlockConfiguration` and versioning) count as Terraform's separate
/// resources would. Values the deploy works out (`!Ref`) stay unknown.
#[test]
fn serverless_cloudformation_data_stores_are_judged_like_terraforms() {
    let dir = project("service: letters\nenvironments:\n  production: {kind: production}\n");
    std::fs::write(
        dir.path().join("serverless.yml"),
        r#"service: letters
provider:
  name: aws
  runtime: nodejs20.x
  stage: production
  logRetentionInDays: 30
custom:
  pitr: true
functions:
  worker:
    handler: handler.main
resources:
  Resources:
    Letters:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: letters-${sls:stage}
        BillingMode: PAY_PER_REQUEST
        PointInTimeRecoverySpecification:
          PointInTimeRecoveryEnabled: ${self:custom.pitr}
    Sessions:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: sessions
    Pdfs:
      Type: AWS::S3::Bucket
      Properties:
        BucketName: letters-pdfs
        VersioningConfiguration:
          Status: Enabled
        PublicAccessBlockConfiguration:
          BlockPublicAcls: true
          BlockPublicPolicy: true
          IgnorePublicAcls: true
          RestrictPublicBuckets: true
    Uploads:
      Type: AWS::S3::Bucket
    WaflogsBucket:
      Type: AWS::S3::Bucket
      Properties:
        BucketName: !Sub ${AWS::AccountId}-waf
    Ledger:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: postgres
        StorageEncrypted: !Ref EncryptStorage
        BackupRetentionPeriod: 14
        PubliclyAccessible: false
    Reports:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: postgres
    Archive:
      Type: AWS::RDS::DBInstance
      Properties:
        Engine: postgres
        DBSubnetGroupName: private
"#,
    )
    .unwrap();
    let (_, r) = check_json(dir.path(), &[]);
    let at = |rule: &str, target: &str| {
        let (status, message) = verdict(&r, rule, &format!("serverless.yml:{target}"));
        (status, message)
    };
    assert_eq!(
        at("reliability.pitr", "aws_dynamodb_table.Letters").0,
        "pass"
    );
    let (status, message) = at("reliability.pitr", "aws_dynamodb_table.Sessions");
    assert_eq!(status, "fail", "{message}");
    assert!(message.contains("point-in-time recovery off"), "{message}");
    assert_eq!(
        at("security.no-public-storage", "aws_s3_bucket.Pdfs").0,
        "pass"
    );
    assert_eq!(
        at("security.no-public-storage", "aws_s3_bucket.Uploads").0,
        "fail"
    );
    assert_eq!(at("reliability.backups", "aws_s3_bucket.Uploads").0, "fail");
    // A logical id in camel case that names logs: a bucket that receives them.
    let (status, message) = at("reliability.backups", "aws_s3_bucket.WaflogsBucket");
    assert_eq!(status, "not-applicable", "{message}");
    assert!(message.contains("receives logs"), "{message}");
    assert_eq!(
        at("reliability.backups", "aws_db_instance.Ledger").0,
        "pass"
    );
    // `StorageEncrypted: !Ref …` is known only when CloudFormation runs.
    let (status, message) = at("security.encryption-at-rest", "aws_db_instance.Ledger");
    assert_ne!(status, "pass", "{message}");
    assert!(
        message.contains("unknown") || message.contains("only"),
        "{message}"
    );
    // CloudFormation leaves `PubliclyAccessible` to the RDS API, which (unlike the Terraform
    // provider) makes an instance in the default VPC public; in a subnet group it depends on
    // that VPC's internet gateway.
    assert_eq!(
        at("security.db-not-public", "aws_db_instance.Reports").0,
        "fail"
    );
    assert_ne!(
        at("security.db-not-public", "aws_db_instance.Archive").0,
        "pass"
    );
    // The stores are found where they are written.
    let letters = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| {
            x["rule"] == "reliability.pitr"
                && x["target"] == "serverless.yml:aws_dynamodb_table.Letters"
        })
        .unwrap();
    assert_eq!(letters["location"]["path"], "serverless.yml");
}

/// serverless.yml's `environment:` blocks (provider and function) are deployment settings like
/// compose's: a literal secret fails at its line, in the environment of the stage read, and a
/// value only the deploy knows (`${ssm:…}`) is a reference. A `${self:custom…}` that resolves
/// to a literal in the file is a literal. The value never reaches the report.
#[test]
fn serverless_environment_literal_secrets_fail_and_deploy_time_values_pass() {
    let dir = project("service: letters\nenvironments:\n  production: {kind: production}\n");
    std::fs::write(
        dir.path().join("serverless.yml"),
        "service: letters\nprovider:\n  name: aws\n  runtime: nodejs20.x\n  stage: production\n  environment:\n    API_TOKEN: ${ssm:/letters/api-token}\n    LOG_LEVEL: info\ncustom:\n  dbPassword: Xk9-real-Passw0rd-77\nfunctions:\n  worker:\n    handler: handler.main\n    environment:\n      DB_PASSWORD: ${self:custom.dbPassword}\n",
    )
    .unwrap();
    let (_, r) = check_json(dir.path(), &[]);
    let found: Vec<(String, String, Value)> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["rule"] == "security.plaintext-secrets")
        .map(|x| {
            (
                x["status"].as_str().unwrap().to_string(),
                x["target"].as_str().unwrap().to_string(),
                x["location"]["line"].clone(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [(
            "fail".to_string(),
            "serverless:serverless.yml#DB_PASSWORD".to_string(),
            Value::from(15)
        )]
    );
    assert!(!r.to_string().contains("Xk9-real-Passw0rd-77"));
}

/// `resources:` written as a list of parts, some of them files (`${file(resources/tables.yml)}`),
/// is one template as the framework merges it: the tables of every part are judged, a condition
/// defined in another part gates them, and the included file is listed as read.
#[test]
fn serverless_resources_in_a_list_of_files_are_one_template() {
    let dir = project("service: letters\nenvironments:\n  production: {kind: production}\n");
    std::fs::create_dir_all(dir.path().join("resources")).unwrap();
    std::fs::write(
        dir.path().join("serverless.yml"),
        "service: letters\nprovider:\n  name: aws\n  runtime: nodejs20.x\n  stage: production\nfunctions:\n  worker:\n    handler: handler.main\nresources:\n  - ${file(resources/tables.yml)}\n  - Conditions:\n      IsDev:\n        Fn::Equals: [\"${sls:stage}\", dev]\n  - Resources:\n      Scratch:\n        Type: AWS::DynamoDB::Table\n        Condition: IsDev\n        Properties:\n          TableName: scratch\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("resources/tables.yml"),
        "Resources:\n  Letters:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: letters\n",
    )
    .unwrap();
    let (_, r) = check_json(dir.path(), &[]);
    let (status, message) = verdict(
        &r,
        "reliability.pitr",
        "serverless.yml:aws_dynamodb_table.Letters",
    );
    assert_eq!(status, "fail", "{message}");
    let letters = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["target"] == "serverless.yml:aws_dynamodb_table.Letters")
        .unwrap();
    assert_eq!(letters["location"]["path"], "resources/tables.yml");
    // Gated to the dev stage by a condition of another part: not created in production.
    assert_eq!(
        verdict(
            &r,
            "reliability.pitr",
            "serverless.yml:aws_dynamodb_table.Scratch"
        )
        .0,
        "missing"
    );
    let included = r["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "resources/tables.yml")
        .unwrap();
    assert_eq!(included["status"], "read", "{included:#}");
}

/// Two services of one repository may both have a `worker`: each is its own component (the
/// second named for its service), so neither's settings hide the other's.
#[test]
fn two_services_functions_of_one_name_stay_two_components() {
    let dir = project("service: letters\nenvironments:\n  production: {kind: production}\n");
    for (folder, service, environment) in [
        ("api", "letters-api", "LOG_LEVEL: info"),
        ("jobs", "letters-jobs", "DB_PASSWORD: Xk9-real-Passw0rd-77"),
    ] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        std::fs::write(
            dir.path().join(folder).join("serverless.yml"),
            format!(
                "service: {service}\nprovider:\n  name: aws\n  runtime: nodejs20.x\n  stage: production\nfunctions:\n  worker:\n    handler: handler.main\n    environment:\n      {environment}\n"
            ),
        )
        .unwrap();
    }
    let (_, r) = check_json(dir.path(), &[]);
    assert_eq!(
        status(
            &r,
            "security.plaintext-secrets",
            "serverless:jobs/serverless.yml#DB_PASSWORD"
        ),
        "fail"
    );
    let workers: Vec<&str> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["rule"] == "security.function-not-public")
        .filter_map(|x| x["target"].as_str())
        .filter(|t| t.contains("worker"))
        .collect();
    assert!(
        workers.iter().any(|t| t.ends_with("/worker"))
            && workers.iter().any(|t| t.ends_with("/letters-jobs-worker")),
        "{workers:?}"
    );
}

/// A bucket that replication copies objects into is the copy, as a read replica is: its source's
/// backup, not a store to back up again. Named by reference (provider v4's replication resource)
/// or by ARN (v3's inline `replication_configuration`); a bucket nothing copies into is still
/// judged. Provider v3's inline `lifecycle_rule` that expires every object makes working
/// storage, as v4's lifecycle resource does (audit22, Crown-Commercial-Service/digitalmarketplace-aws).
#[test]
fn replication_destinations_and_expiring_buckets_are_no_stores_to_back_up() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "terraform/production/main.tf",
        r#"
resource "aws_s3_bucket" "documents" {
  bucket = "acme-documents"
}
resource "aws_s3_bucket_versioning" "documents" {
  bucket = aws_s3_bucket.documents.id
  versioning_configuration { status = "Enabled" }
}
resource "aws_s3_bucket" "documents_copy" {
  provider = aws.dr
  bucket   = "acme-documents-copy"
}
resource "aws_s3_bucket_replication_configuration" "documents" {
  bucket = aws_s3_bucket.documents.id
  role   = "arn:aws:iam::123456789012:role/replication"
  rule {
    status = "Enabled"
    destination { bucket = aws_s3_bucket.documents_copy.arn }
  }
}

resource "aws_s3_bucket" "reports" {
  bucket = "acme-reports"
  versioning { enabled = true }
  replication_configuration {
    role = "arn:aws:iam::123456789012:role/replication"
    rules {
      status = "Enabled"
      destination { bucket = "arn:aws:s3:::acme-reports-copy" }
    }
  }
}
resource "aws_s3_bucket" "reports_copy" {
  bucket = "acme-reports-copy"
}

resource "aws_s3_bucket" "uploads" {
  bucket = "acme-uploads"
}

# Provider v3's inline lifecycle: every object expires in a week, working storage; one that
# expires only under a prefix keeps the rest.
resource "aws_s3_bucket" "scratch" {
  bucket = "acme-scratch"
  lifecycle_rule {
    id      = "expire"
    enabled = true
    expiration { days = 7 }
  }
}
resource "aws_s3_bucket" "exports" {
  bucket = "acme-exports"
  lifecycle_rule {
    enabled = true
    prefix  = "tmp/"
    expiration { days = 7 }
  }
}
"#,
    );
    let (_, r) = check_json(dir.path(), &["--offline"]);
    for (copy, source) in [
        ("aws_s3_bucket.documents_copy", "aws_s3_bucket.documents"),
        ("aws_s3_bucket.reports_copy", "aws_s3_bucket.reports"),
    ] {
        let (status, message) = verdict(&r, "reliability.backups", copy);
        assert_eq!(status, "not-applicable", "{copy}: {message}");
        assert_eq!(
            message,
            format!(
                "the replication destination of `{source}`: a copy of its objects, which is their backup"
            )
        );
    }
    for source in ["aws_s3_bucket.documents", "aws_s3_bucket.reports"] {
        assert_eq!(
            status(&r, "reliability.backups", source),
            "pass",
            "{source}"
        );
    }
    assert_eq!(
        status(&r, "reliability.backups", "aws_s3_bucket.uploads"),
        "fail"
    );
    let (scratch, message) = verdict(&r, "reliability.backups", "aws_s3_bucket.scratch");
    assert_eq!(
        (scratch.as_str(), message.as_str()),
        (
            "not-applicable",
            "every object expires after 7 days: working storage, not data to keep"
        )
    );
    assert_eq!(
        status(&r, "reliability.backups", "aws_s3_bucket.exports"),
        "fail"
    );
}

/// The account's public access block covers every bucket of the account, on top of each
/// bucket's own: S3 enforces a flag that either sets. A bucket with no block of its own passes
/// under an account block with all four flags; one whose own block leaves a flag off passes
/// when the account sets it; an account block that leaves flags off still fails them.
#[test]
fn the_accounts_public_access_block_covers_its_buckets() {
    let judged = |account: &str| {
        let dir = tempfile::tempdir().unwrap();
        write_file(
            dir.path(),
            "terraform/production/main.tf",
            &format!(
                r#"{account}
resource "aws_s3_bucket" "uploads" {{
  bucket = "acme-uploads"
}}
resource "aws_s3_bucket" "exports" {{
  bucket = "acme-exports"
}}
resource "aws_s3_bucket_public_access_block" "exports" {{
  bucket                  = aws_s3_bucket.exports.id
  block_public_acls       = true
  block_public_policy     = false
  ignore_public_acls      = true
  restrict_public_buckets = true
}}
"#
            ),
        );
        let (_, r) = check_json(dir.path(), &["--offline"]);
        ["aws_s3_bucket.uploads", "aws_s3_bucket.exports"]
            .map(|b| verdict(&r, "security.no-public-storage", b))
    };
    let [uploads, exports] = judged(
        r#"resource "aws_s3_account_public_access_block" "account" {
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}"#,
    );
    assert_eq!(
        uploads,
        (
            "pass".to_string(),
            "the account's public access block (`aws_s3_account_public_access_block.account`) turns all four flags on for every bucket".to_string()
        )
    );
    assert_eq!(exports.0, "pass", "{}", exports.1);
    let [uploads, exports] = judged(
        r#"resource "aws_s3_account_public_access_block" "account" {
  block_public_acls  = true
  ignore_public_acls = true
}"#,
    );
    assert_eq!(
        uploads,
        (
            "fail".to_string(),
            "no public access block of its own, and the account's (`aws_s3_account_public_access_block.account`) leaves block_public_policy and restrict_public_buckets off".to_string()
        )
    );
    assert_eq!(exports.0, "fail", "{}", exports.1);
    // No account block: the bucket without its own fails as before.
    let [uploads, _] = judged("");
    assert_eq!(uploads.0, "fail");
    assert!(
        uploads
            .1
            .starts_with("no public access block configures it")
    );
}

/// `${env:NAME, ''}` in a serverless.yml takes the deploying process's variable, which a CI job
/// sets from its secrets: the fallback is the value only where the variable is unset, which the
/// files cannot tell. So a tracker key written that way is configured, not "set but empty"
/// (audit24, ubc-biztech/serverless-biztechapp).
#[test]
fn a_serverless_env_variable_with_a_fallback_is_what_the_deploy_sets() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "serverless.yml",
        "service: events\nprovider:\n  name: aws\n  runtime: nodejs20.x\n  stage: ${opt:stage, 'dev'}\n  environment:\n    SENTRY_DSN: ${env:SENTRY_DSN, ''}\n    LOG_LEVEL: ${self:custom.logLevel, 'info'}\nfunctions:\n  list:\n    handler: src/list.handler\n",
    );
    write_file(
        dir.path(),
        ".github/workflows/deploy.yml",
        "on: {push: {branches: [main]}}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npx sls deploy --stage prod\n        env:\n          SENTRY_DSN: ${{ secrets.SENTRY_DSN }}\n",
    );
    let (_, r) = check_json(dir.path(), &["--offline"]);
    let reporting = rule_results(&r, "monitoring.error-reporting");
    assert_eq!(
        (
            reporting[0]["status"].as_str().unwrap(),
            reporting[0]["message"].as_str().unwrap()
        ),
        ("pass", "errors go to the tracker in SENTRY_DSN"),
        "{reporting:#?}"
    );
}

/// A private key committed as a file of its own (an SSH deploy key beside the public key an
/// `aws_key_pair` uploads) is a committed credential; an encrypted key, a placeholder between
/// the PEM lines, a public key and a key made for tests are not (audit23, ushahidi/crowdmap-infra).
#[test]
fn a_committed_private_key_file_is_a_plaintext_secret() {
    // Not a real key: a body of the right shape.
    let body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBkZW1vLWtleS1mb3ItbGlmdG9mZi10ZXN0cy1vbmx5LTAwMDAwMAAAAJg=\n";
    let dir = tempfile::tempdir().unwrap();
    let key =
        |label: &str, body: &str| format!("-----BEGIN {label}-----\n{body}-----END {label}-----\n");
    write_file(
        dir.path(),
        "ssh/deployer",
        &key("OPENSSH PRIVATE KEY", body),
    );
    write_file(
        dir.path(),
        "ssh/deployer.pub",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGRlbW8 deployer\n",
    );
    write_file(
        dir.path(),
        "certs/sealed.pem",
        &key("ENCRYPTED PRIVATE KEY", body),
    );
    write_file(
        dir.path(),
        "certs/tls.key",
        &key("RSA PRIVATE KEY", "REPLACE_ME\n"),
    );
    write_file(
        dir.path(),
        "tests/fixtures/id_rsa",
        &key("RSA PRIVATE KEY", body),
    );
    write_file(
        dir.path(),
        "terraform/production/main.tf",
        "resource \"aws_key_pair\" \"deployer\" {\n  key_name   = \"deployer\"\n  public_key = file(\"../../ssh/deployer.pub\")\n}\n",
    );
    let (_, r) = check_json(dir.path(), &["--offline"]);
    let failed: Vec<(String, String)> = rule_results(&r, "security.plaintext-secrets")
        .iter()
        .filter(|x| x["status"] == "fail")
        .map(|x| {
            (
                x["target"].as_str().unwrap().to_string(),
                x["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        failed,
        [(
            "file:ssh/deployer".to_string(),
            "an unencrypted private key is committed in the repository".to_string()
        )]
    );
    // The key never reaches the report.
    assert!(!r.to_string().contains("b3BlbnNzaC1rZXktdjE"));
}

/// Keys under the test folders of the common ecosystems (`tests/`, `test/`, Maven's
/// `src/test/`, .NET's `*.Tests/`) were made for tests, as those under `fixtures/` are; a
/// deploy key beside them is still a committed credential, and the Terraform environment folder
/// `infra/env/test/` is still read as the test environment (audit25, JWT test keys under
/// `tests/jwt-test-keys/` in ONSdigital/eq-questionnaire-runner).
#[test]
fn a_key_under_a_test_folder_is_no_committed_secret() {
    let (_, r) = check_json(&root().join("tests/fixtures/private-keys"), &["--offline"]);
    let failed: Vec<&str> = rule_results(&r, "security.plaintext-secrets")
        .iter()
        .filter(|x| x["status"] == "fail")
        .map(|x| x["target"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["file:ssh/deployer"]);
    assert_eq!(
        inferred(&r),
        pairs(&[("production", "production"), ("test", "development")])
    );
    assert_eq!(file(&r, "infra/env/test/main.tf").0, "read");
}

/// A CloudWatch alarm on the CloudWatch agent's `disk_used_percent` (or RDS's
/// `FreeStorageSpace`) is a disk usage alarm: `capacity.disk-alerts` passes on the Terraform
/// that defines it; an alarm on CPU alone does not answer it (audit23).
#[test]
fn a_cloudwatch_disk_alarm_answers_disk_alerts() {
    let judged = |metric: &str| {
        let dir = tempfile::tempdir().unwrap();
        write_file(
            dir.path(),
            "terraform/production/main.tf",
            &format!(
                r#"resource "aws_instance" "web" {{
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.small"
}}
resource "aws_cloudwatch_metric_alarm" "web_disk" {{
  alarm_name          = "web-disk"
  namespace           = "CWAgent"
  metric_name         = "{metric}"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  evaluation_periods  = 2
  period              = 300
  statistic           = "Average"
}}
"#
            ),
        );
        let (_, r) = check_json(dir.path(), &["--offline"]);
        let x = rule_results(&r, "capacity.disk-alerts")[0].clone();
        (
            x["status"].as_str().unwrap().to_string(),
            x["location"]["line"].as_u64(),
        )
    };
    assert_eq!(judged("disk_used_percent"), ("pass".to_string(), Some(8)));
    assert_ne!(judged("CPUUtilization").0, "pass");
}

/// "No disk alarm" is known only when every module is read: a registry module that is not
/// installed may make one (audit26 repro-2), so the rule asks, naming the module.
#[test]
fn disk_alerts_ask_when_a_module_is_not_read() {
    let judged = |name: &str| {
        let (_, r) = check_json(&fixture(name), &["--offline"]);
        let x = rule_results(&r, "capacity.disk-alerts")[0].clone();
        (
            x["status"].as_str().unwrap().to_string(),
            x["message"].as_str().unwrap().to_string(),
        )
    };
    let (status, message) = judged("disk-alarm-all-read");
    assert_eq!(
        (status.as_str(), message.as_str()),
        ("fail", "no disk usage alarm is declared")
    );
    let (_, message) = judged("disk-alarm-unread-module");
    assert!(message.starts_with("not evidenced"), "{message}");
    assert!(
        message.contains("terraform/production/main.tf#module.orders_db may declare one"),
        "{message}"
    );
}

/// A WebSocket API authorizes when a client connects: its `$connect` route must require an
/// authorizer, and the routes that run on the connection (`$default`, `sendMessage`) are not
/// judged on their own (audit24, ubc-biztech/serverless-biztechapp).
#[test]
fn a_websocket_apis_connect_route_must_require_an_authorizer() {
    let judged = |authorizer: &str| {
        let dir = tempfile::tempdir().unwrap();
        write_file(
            dir.path(),
            "serverless.yml",
            &format!(
                "service: chat\nprovider:\n  name: aws\n  runtime: nodejs20.x\n  stage: prod\nfunctions:\n  connect:\n    handler: src/connect.handler\n    events:\n      - websocket:\n          route: $connect\n{authorizer}  message:\n    handler: src/message.handler\n    events:\n      - websocket: $default\n      - websocket:\n          route: sendMessage\n"
            ),
        );
        let (_, r) = check_json(dir.path(), &["--offline"]);
        rule_results(&r, "security.api-authorizer")
            .iter()
            .map(|x| {
                (
                    x["target"].as_str().unwrap().to_string(),
                    x["status"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        judged(""),
        [(
            "serverless:connect:WEBSOCKET $connect".to_string(),
            "fail".to_string()
        )]
    );
    assert_eq!(
        judged("          authorizer:\n            name: auth\n"),
        [(
            "serverless:connect:WEBSOCKET $connect".to_string(),
            "pass".to_string()
        )]
    );
}

/// An alarm on a resource's use warns of exhaustion only when it fires above its threshold, one
/// on free space only below it: an ECS memory alarm with `LessThanThreshold` watches for an
/// idle service, and is no memory alarm. Terraform and CloudFormation read one table.
#[test]
fn an_alarm_warns_of_exhaustion_only_in_the_direction_of_its_metric() {
    let alarms = |file: &str, text: &str| {
        let dir = tempfile::tempdir().unwrap();
        write_file(dir.path(), file, text);
        let loaded = liftoff::sources::load(dir.path()).unwrap();
        let mut on: Vec<String> = loaded
            .deployment
            .monitoring
            .alarms
            .iter()
            .map(|a| a.value.clone())
            .collect();
        on.sort();
        on
    };
    let terraform = |metric: &str, comparison: &str| {
        alarms(
            "terraform/production/main.tf",
            &format!(
                "variable \"operator\" {{}}\nresource \"aws_cloudwatch_metric_alarm\" \"a\" {{\n  alarm_name          = \"a\"\n  namespace           = \"AWS/ECS\"\n  metric_name         = \"{metric}\"\n  comparison_operator = {comparison}\n  threshold           = 20\n  evaluation_periods  = 2\n  period              = 300\n  statistic           = \"Average\"\n}}\n"
            ),
        )
    };
    assert_eq!(
        terraform("MemoryUtilization", "\"GreaterThanOrEqualToThreshold\""),
        ["memory"]
    );
    assert!(terraform("MemoryUtilization", "\"LessThanThreshold\"").is_empty());
    // An operator from a variable without a value: unknown, so no warning is counted.
    assert!(terraform("MemoryUtilization", "var.operator").is_empty());
    assert_eq!(
        terraform("FreeStorageSpace", "\"LessThanThreshold\""),
        ["disk"]
    );
    assert!(terraform("FreeStorageSpace", "\"GreaterThanThreshold\"").is_empty());
    let cloudformation = |metric: &str, comparison: &str| {
        alarms(
            "serverless.yml",
            &format!(
                "service: shop\nprovider:\n  name: aws\n  runtime: nodejs20.x\n  stage: prod\nfunctions:\n  api:\n    handler: src/api.handler\nresources:\n  Resources:\n    Alarm:\n      Type: AWS::CloudWatch::Alarm\n      Properties:\n        Namespace: AWS/RDS\n        MetricName: {metric}\n        ComparisonOperator: {comparison}\n        Threshold: 20\n        EvaluationPeriods: 2\n        Period: 300\n        Statistic: Average\n"
            ),
        )
    };
    assert_eq!(
        cloudformation("FreeableMemory", "LessThanThreshold"),
        ["memory"]
    );
    assert!(cloudformation("FreeableMemory", "GreaterThanThreshold").is_empty());
    assert_eq!(
        cloudformation("CPUUtilization", "GreaterThanThreshold"),
        ["cpu"]
    );
    assert!(cloudformation("CPUUtilization", "LessThanOrEqualToThreshold").is_empty());
}
