//! First runs on repository layouts shaped like real deployments, with no liftoff.yaml: which
//! environments are inferred, which file feeds which, and the verdicts that depend on it.

use crate::support::*;
use serde_json::Value;
use std::path::PathBuf;

fn layout(name: &str) -> PathBuf {
    root().join("tests/fixtures/layouts").join(name)
}

#[test]
fn an_api_with_a_root_per_environment_never_judges_pre_production_as_production() {
    let (code, report) = check_json(&layout("api"), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        inferred(&report),
        pairs(&[
            ("development", "development"),
            ("pre-production", "staging"),
            ("production", "production"),
            ("staging", "staging"),
        ])
    );
    assert_eq!(
        file(&report, "terraform/pre-production/main.tf"),
        ("read", "read for pre-production")
    );
    assert_eq!(
        file(&report, "RecordsApi/serverless.yml").1,
        "read for pre-production (stage pre-production), production (stage production), staging (stage staging)"
    );
    // The local stack beside the API runs a DynamoDB emulator: a developer's, never proposed
    // for production.
    let compose = file(&report, "docker-compose.yml");
    assert_eq!(compose.0, "ignored");
    assert!(
        compose.1.starts_with("a development stack")
            && compose.1.contains("amazon/dynamodb-local:2.5.2"),
        "{}",
        compose.1
    );
    // Production has point-in-time recovery: it passes. Pre-production lacks it: a staging-level
    // finding, which does not block production.
    let prod = result(
        &report,
        "reliability.pitr",
        "aws_dynamodb_table.records",
        "production",
    );
    assert_eq!(prod["status"], "pass");
    let pre = result(
        &report,
        "reliability.pitr",
        "aws_dynamodb_table.records",
        "pre-production",
    );
    assert_eq!(pre["status"], "fail");
    assert_ne!(pre["requirement"], "required");
    // No blocking production finding comes from another environment's file.
    for r in report["results"].as_array().unwrap() {
        let path = r["location"]["path"].as_str().unwrap_or_default();
        // Results about an environment itself (its declared facts) are not from its files.
        let about_files = !r["target"].as_str().unwrap().starts_with("env:");
        if about_files
            && r["requirement"] == "required"
            && matches!(r["status"].as_str(), Some("fail" | "error"))
        {
            assert!(
                !path.contains("pre-production") && !path.contains("development"),
                "{r:#}"
            );
        }
    }
    // The text report says what it inferred, and how to record it.
    let out = liftoff().arg("check").arg(layout("api")).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("No liftoff.yaml: environments inferred from file paths and pipelines:\n  development (development): terraform/development/"),
        "{text}"
    );
    assert!(text.contains("`liftoff init` records them"), "{text}");
}

#[test]
fn a_shared_root_is_read_once_per_variable_file() {
    let (_, report) = check_json(&layout("shared-root"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    assert_eq!(
        file(&report, "infra/main.tf"),
        ("read", "read for production, staging")
    );
    assert_eq!(
        file(&report, "infra/production.tfvars"),
        ("read", "read for production")
    );
    let target = "aws_dynamodb_table.sessions";
    assert_eq!(
        result(&report, "reliability.pitr", target, "production")["status"],
        "pass"
    );
    assert_eq!(
        result(&report, "reliability.pitr", target, "staging")["status"],
        "fail"
    );
}

#[test]
fn a_workspace_keyed_root_is_read_in_each_workspace_it_names() {
    // Hackney's profile, for its backup-tag rule.
    let (_, report) = check_json(&layout("workspaces"), &["--profile", "hackney"]);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    let reason = file(&report, "terraform/main.tf").1;
    assert!(
        reason.contains("production (in workspace `prod`")
            && reason.contains("staging (in workspace `staging`"),
        "{reason}"
    );
    let target = "aws_dynamodb_table.orders";
    assert_eq!(
        result(&report, "reliability.pitr", target, "production")["status"],
        "pass",
        "lookup(local.pitr, terraform.workspace) in workspace prod"
    );
    assert_eq!(
        result(&report, "reliability.backup-tags", target, "production")["status"],
        "pass"
    );
    assert_eq!(
        result(&report, "reliability.pitr", target, "staging")["status"],
        "fail"
    );
}

#[test]
fn live_prod_and_nonprod_roots_share_modules_whose_file_names_mean_nothing() {
    let (_, report) = check_json(&layout("live"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("non-production", "staging"), ("production", "production")])
    );
    assert_eq!(
        file(&report, "infra/modules/table/table-prod.tf"),
        ("read", "read for non-production, production")
    );
    let target = "module.table.aws_dynamodb_table.this";
    assert_eq!(
        result(&report, "reliability.pitr", target, "production")["status"],
        "pass"
    );
    let nonprod = result(&report, "reliability.pitr", target, "non-production");
    assert_eq!(nonprod["status"], "fail");
    assert_ne!(nonprod["requirement"], "required");
    assert_eq!(report["verdicts"]["staging"], "ready");
}

#[test]
fn compose_overlays_for_tests_and_separate_stacks_stay_apart() {
    let (_, report) = check_json(&layout("compose"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[
            ("development", "development"),
            ("production", "production"),
            ("test", "development"),
        ])
    );
    assert_eq!(
        file(&report, "deploy/docker-compose.yml").1,
        "merged for production, test"
    );
    assert_eq!(
        file(&report, "deploy/common.yml").1,
        "merged for production, test (through `extends`)",
        "read through `extends`"
    );
    let results = report["results"].as_array().unwrap();
    // The test overlay's services belong to the test environment, never to production.
    assert!(
        results.iter().all(|r| !(r["environment"] == "production"
            && r["target"].as_str().unwrap().contains("test")))
    );
    // The database comes through `extends` and publishes its port on every interface.
    let db = result(
        &report,
        "security.db-not-public",
        "compose:deploy/docker-compose.prod.yml#db",
        "production",
    );
    assert_eq!(db["status"], "fail", "{db:#}");
    assert_eq!(db["location"]["path"], "deploy/common.yml");
    // A literal password in the test overlay is reported there, and only warns.
    let secret = result(
        &report,
        "security.plaintext-secrets",
        "compose:deploy/docker-compose.test.yml#test-db",
        "test",
    );
    assert_eq!(secret["status"], "fail");
    assert_eq!(secret["requirement"], "recommended");
    // Two stacks in one environment are two projects: each keeps its own file.
    for (service, path) in [
        ("search", "tools/dev/search/docker-compose.yaml"),
        ("cache", "tools/dev/cache/docker-compose.yaml"),
    ] {
        let target = format!("compose:{path}#{service}");
        assert!(
            results
                .iter()
                .any(|r| r["target"] == target.as_str() && r["environment"] == "development"),
            "no result about {target}"
        );
    }
}

#[test]
fn a_literal_secret_in_a_base_file_production_uses_blocks_production() {
    let dir = copy_dir(&layout("compose"));
    let base = dir.path().join("deploy/docker-compose.yml");
    let text = std::fs::read_to_string(&base).unwrap().replace(
        "    command: gunicorn app.wsgi -w 4\n",
        "    command: gunicorn app.wsgi -w 4\n    environment:\n      DJANGO_SECRET_KEY: 9f8a7c6d5e4b3a2910fedcba\n",
    );
    std::fs::write(&base, text).unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    let secret = result(
        &report,
        "security.plaintext-secrets",
        "compose:deploy/docker-compose.yml#web",
        "production",
    );
    assert_eq!(secret["status"], "fail");
    assert_eq!(secret["requirement"], "required");
}

#[test]
fn a_compose_extends_cycle_is_refused_naming_it() {
    let dir = copy_dir(&layout("compose"));
    std::fs::write(
        dir.path().join("deploy/common.yml"),
        "services:\n  postgres:\n    extends: {file: docker-compose.yml, service: db}\n",
    )
    .unwrap();
    let out = liftoff().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`extends` goes round in a cycle: db (deploy/docker-compose.yml) extends postgres (deploy/common.yml) extends db (deploy/docker-compose.yml)"),
        "{err}"
    );
}

#[test]
fn kustomize_overlays_read_the_base_they_list() {
    let (_, report) = check_json(&layout("kustomize"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    let base = file(&report, "k8s/base/service.yaml");
    assert_eq!(base.0, "read");
    assert!(
        base.1.contains("production") && base.1.contains("staging"),
        "{}",
        base.1
    );
    assert_eq!(
        file(&report, "k8s/overlays/production/kustomization.yaml").0,
        "read"
    );
    let out = liftoff()
        .arg("check")
        .arg(layout("kustomize"))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("unreadable"));
}

#[test]
fn ansible_inventories_give_each_environment_its_servers() {
    let loaded = liftoff::sources::load(&layout("ansible")).unwrap();
    let servers: Vec<(&str, Vec<&str>)> = loaded
        .deployment
        .environments
        .iter()
        .map(|e| {
            (
                e.name.as_str(),
                e.servers.iter().map(|s| s.name.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        servers,
        [
            ("production", vec!["prod-web-1", "prod-web-2"]),
            ("staging", vec!["staging-web-1"])
        ]
    );
    // Staging's sudoers are not production's admins.
    assert!(loaded.deployment.access.admins.is_none());
}

#[test]
fn a_template_with_placeholders_is_one_error_and_the_rest_is_judged() {
    let (code, report) = check_json(&layout("template"), &[]);
    assert_eq!(code, 1);
    let (status, reason) = file(&report, "terraform/production/main.tf");
    assert_eq!(status, "unreadable");
    assert!(
        reason.contains("does not parse at 2:")
            && reason.contains("template placeholder (`your application name`)"),
        "{reason}"
    );
    assert_eq!(
        file(&report, "ServiceApi/serverless.yml").1,
        "read for production (stage production)"
    );
    let errors: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["rule"], "ops.inputs-parse");
    assert_eq!(errors[0]["environment"], "production");
    // Serverless rules still judge the function.
    assert!(
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["target"].as_str().unwrap().starts_with("serverless:")
                && r["status"] != "not-applicable")
    );
    // Teams that want a hard stop get exit 2.
    let out = liftoff()
        .args(["check", "--strict-inputs"])
        .arg(layout("template"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("terraform/production/main.tf:2:"));
}

#[test]
fn an_error_in_a_development_file_never_blocks() {
    let dir = copy_dir(&layout("api"));
    std::fs::write(
        dir.path().join("terraform/development/broken.tf"),
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \n}\n",
    )
    .unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    let error = result(
        &report,
        "ops.inputs-parse",
        "terraform/development/broken.tf",
        "development",
    );
    assert_eq!(error["status"], "error");
    assert_ne!(error["requirement"], "required");
}

#[test]
fn shared_roots_beside_a_folder_of_variable_files_are_read_for_each() {
    let (_, report) = check_json(&layout("platform"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    assert_eq!(
        file(&report, "terraform/etl/main.tf").1,
        "read for production (with terraform/config/prod.tfvars), staging (with terraform/config/stg.tfvars)"
    );
    // The unencrypted warehouse in a root no folder name attaches is found.
    let warehouse = result(
        &report,
        "security.encryption-at-rest",
        "aws_redshift_cluster.warehouse",
        "production",
    );
    assert_eq!(warehouse["status"], "fail");
    assert_eq!(warehouse["requirement"], "required");
    assert!(report["suggested_sources"].is_null());
}

#[test]
fn roots_no_name_attaches_are_listed_with_the_sources_line() {
    let dir = copy_dir(&layout("api"));
    std::fs::create_dir_all(dir.path().join("terraform/etl")).unwrap();
    std::fs::write(
        dir.path().join("terraform/etl/main.tf"),
        "resource \"aws_sqs_queue\" \"jobs\" {\n  name = \"jobs\"\n}\n",
    )
    .unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    let (status, reason) = file(&report, "terraform/etl/main.tf");
    assert_eq!(status, "ignored");
    assert!(
        reason.contains("the service deploys to several")
            && reason
                .contains("add `- {terraform: terraform/etl/}` under environments.<name>.sources"),
        "{reason}"
    );
    assert!(
        report["suggested_sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["line"] == "- {terraform: terraform/etl/}" && s["kind"] == "terraform"),
        "{:#}",
        report["suggested_sources"]
    );
    // With one deployed environment, the root is read for it, and the report says why.
    let one = copy_dir(&layout("template"));
    std::fs::write(
        one.path().join("terraform/production/main.tf"),
        "resource \"aws_sqs_queue\" \"q\" {}\n",
    )
    .unwrap();
    std::fs::create_dir_all(one.path().join("infra")).unwrap();
    std::fs::write(
        one.path().join("infra/main.tf"),
        "resource \"aws_sqs_queue\" \"jobs\" {\n  name = \"jobs\"\n}\n",
    )
    .unwrap();
    let (_, report) = check_json(one.path(), &[]);
    assert_eq!(
        file(&report, "infra/main.tf"),
        (
            "read",
            "read for production (the folder names no environment; production is the only deployed environment)"
        )
    );
}

#[test]
fn nothing_read_is_not_assessed_never_ready() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "# a service\n").unwrap();
    let (code, report) = check_json(dir.path(), &["--stage", "staging"]);
    assert_eq!(code, 1);
    assert_eq!(report["ready"], false);
    assert_eq!(report["verdicts"]["staging"], "not-assessed");
    assert_eq!(report["readiness"]["staging"], false);
    let out = liftoff().arg("check").arg(dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("staging:     not assessed"), "{text}");
    assert!(
        text.contains("`liftoff init` writes a liftoff.yaml"),
        "{text}"
    );
}

#[test]
fn a_folder_that_cannot_be_listed_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = copy_dir(&layout("shared-root"));
    let locked = dir.path().join("infra/secret");
    std::fs::create_dir_all(&locked).unwrap();
    std::fs::write(locked.join("x.tf"), "").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    for folder in [dir.path().to_path_buf(), dir.path().join("infra")] {
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // Root lists every folder whatever its mode: run liftoff as an ordinary user when the tests
    // run as root (CI does), so the folder really cannot be listed.
    let binary = assert_cmd::cargo::cargo_bin("liftoff");
    let as_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut cmd = if as_root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&binary);
        c
    } else {
        std::process::Command::new(&binary)
    };
    let out = cmd
        .args(["check", "--format", "json", "--offline"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let (status, reason) = file(&report, "infra/secret/");
    assert_eq!(status, "skipped");
    assert!(
        reason.starts_with("not searched: cannot be listed"),
        "{reason}"
    );
}

#[test]
fn init_writes_what_the_files_tell_and_asks_the_rest() {
    let dir = copy_dir(&layout("api"));
    std::fs::create_dir_all(dir.path().join("terraform/etl")).unwrap();
    std::fs::write(
        dir.path().join("terraform/etl/main.tf"),
        "resource \"aws_sqs_queue\" \"jobs\" {\n  name = \"jobs\"\n}\n",
    )
    .unwrap();
    let out = liftoff().arg("init").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("4 environment(s) inferred"), "{said}");
    assert!(said.contains("then run `liftoff check"), "{said}");
    let text = std::fs::read_to_string(dir.path().join("liftoff.yaml")).unwrap();
    for expected in [
        "  pre-production:\n    kind: staging                # from terraform/pre-production/",
        "  production:\n    kind: production             # from terraform/production/",
        "    # read for it: RecordsApi/serverless.yml, terraform/production/main.tf",
        "    # sources:                   # files liftoff could not attach: uncomment the ones it deploys\n",
        "\n    #   - {terraform: terraform/etl/}\n",
        "#   admins: 3                # how many people hold production admin rights?",
        "#   personal: true           # does the service hold personal data?",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    // Nothing is stated that the files do not tell: every answer is a commented question.
    for stated in [
        "\n  admins:",
        "\n  vpn:",
        "\n  personal:",
        "location: my-datacenter",
        "readers exist",
    ] {
        assert!(!text.contains(stated), "{stated:?} in\n{text}");
    }
    // The manifest reads back; the environments keep their kinds and files.
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1, "not ready, but assessed: {:#}", report["verdicts"]);
    assert_eq!(
        file(&report, "terraform/pre-production/main.tf"),
        ("read", "read for pre-production")
    );
    let pre = result(
        &report,
        "reliability.pitr",
        "aws_dynamodb_table.records",
        "pre-production",
    );
    assert_ne!(pre["requirement"], "required");
    // Uncommenting the suggested lines as printed reads the root.
    let edited = text.replace("    # sources:  ", "    sources:  ").replace(
        "    #   - {terraform: terraform/etl/}",
        "      - {terraform: terraform/etl/}",
    );
    std::fs::write(dir.path().join("liftoff.yaml"), edited).unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(
        file(&report, "terraform/etl/main.tf"),
        ("read", "read for production (declared in liftoff.yaml)")
    );
    // With no environment named anywhere, the root is judged as production, and init says so.
    let bare = tempfile::tempdir().unwrap();
    std::fs::write(bare.path().join("main.tf"), "").unwrap();
    liftoff().arg("init").arg(bare.path()).assert().code(0);
    let text = std::fs::read_to_string(bare.path().join("liftoff.yaml")).unwrap();
    assert!(
        text.contains("    sources:                     # no file names production: these files are judged as production\n      - {terraform: .}"),
        "{text}"
    );
    liftoff().arg("check").arg(bare.path()).assert().code(1);
    // With no deployment file at all, init writes an empty map to fill in.
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("README.md"), "# a service\n").unwrap();
    liftoff().arg("init").arg(empty.path()).assert().code(0);
    let text = std::fs::read_to_string(empty.path().join("liftoff.yaml")).unwrap();
    assert!(
        text.contains("# No file here names an environment."),
        "{text}"
    );
}

#[test]
fn staging_alarms_do_not_evidence_production_monitoring() {
    let dir = copy_dir(&layout("api"));
    let alarm = "resource \"aws_cloudwatch_metric_alarm\" \"api_5xx\" {\n  alarm_name  = \"records-api-5xx\"\n  namespace   = \"AWS/ApiGateway\"\n  metric_name = \"5XXError\"\n  threshold   = 0\n}\n";
    std::fs::write(dir.path().join("terraform/staging/alarms.tf"), alarm).unwrap();
    let alarms = |report: &Value| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "monitoring.api-alarms")
            .unwrap()
            .clone()
    };
    let (_, report) = check_json(dir.path(), &[]);
    let staging_only = alarms(&report);
    assert_eq!(staging_only["status"], "fail");
    assert!(
        staging_only["message"]
            .as_str()
            .unwrap()
            .starts_with("not evidenced"),
        "{staging_only:#}"
    );
    assert!(staging_only["location"].is_null());
    // The same alarm in production's root counts.
    std::fs::write(dir.path().join("terraform/production/alarms.tf"), alarm).unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    let production = alarms(&report);
    assert_eq!(production["message"], "no alarm on canary");
    assert_eq!(
        production["location"]["path"],
        "terraform/production/alarms.tf"
    );
}

#[test]
fn global_sources_of_every_kind_belong_to_every_deployed_environment() {
    let dir = copy_dir(&layout("kustomize"));
    std::fs::create_dir_all(dir.path().join("shared")).unwrap();
    std::fs::write(
        dir.path().join("shared/cache.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cache}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{name: cache, image: \"redis:7.2\"}]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("shared/common.env"), "LOG_LEVEL=info\n").unwrap();
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        "service: web\nsources:\n  - {kubernetes: shared/}\n  - {dotenv: shared/common.env}\nenvironments:\n  production: {kind: production}\n  staging: {kind: staging}\n  development: {kind: development}\n",
    )
    .unwrap();
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let with_cache: Vec<&str> = loaded
        .deployment
        .environments
        .iter()
        .filter(|e| e.components.iter().any(|c| c.name == "cache"))
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(with_cache, ["production", "staging"]);
    let with_setting: Vec<&str> = loaded
        .deployment
        .environments
        .iter()
        .filter(|e| e.setting("LOG_LEVEL").is_some())
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(with_setting, ["production", "staging"]);
    let file = loaded
        .deployment
        .artefacts
        .iter()
        .find(|a| a.path == "shared/cache.yaml")
        .unwrap();
    assert_eq!(file.status.as_str(), "read");
}

#[test]
fn a_waiver_can_name_one_environment() {
    let dir = copy_dir(&layout("shared-root"));
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        "service: sessions\nenvironments:\n  production: {kind: production}\n  staging: {kind: staging}\nwaivers:\n  - rule: reliability.pitr\n    target: aws_dynamodb_table.sessions\n    environment: staging\n    reason: staging sessions are throwaway\n    expires: 2027-06-30\n",
    )
    .unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    let target = "aws_dynamodb_table.sessions";
    assert_eq!(
        result(&report, "reliability.pitr", target, "staging")["status"],
        "waived"
    );
    assert_eq!(
        result(&report, "reliability.pitr", target, "production")["status"],
        "pass"
    );
    // An environment the manifest does not declare is an input error with the known names.
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        "service: sessions\nenvironments:\n  production: {kind: production}\nwaivers:\n  - rule: reliability.pitr\n    environment: prodution\n    reason: r\n    expires: 2027-06-30\n",
    )
    .unwrap();
    let out = liftoff().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no environment named `prodution` is declared"),
        "{err}"
    );
    assert!(err.contains("did you mean `production`?"), "{err}");
}

#[test]
fn reports_name_environments_group_findings_and_render_code() {
    let dir = copy_dir(&layout("api"));
    // Many findings of one rule: the text report lists five and says how many more.
    for i in 0..8 {
        std::fs::write(
            dir.path().join(format!("terraform/production/t{i}.tf")),
            format!("resource \"aws_dynamodb_table\" \"t{i}\" {{\n  name     = \"t{i}\"\n  hash_key = \"id\"\n}}\n"),
        )
        .unwrap();
    }
    let text = |extra: &[&str]| {
        let out = liftoff()
            .arg("check")
            .args(extra)
            .arg(dir.path())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let plain = text(&[]);
    assert!(
        plain.contains(
            "  BLOCK reliability.pitr (8 findings)\n        aws_dynamodb_table.t0 [production]: "
        ),
        "{plain}"
    );
    assert!(
        plain.contains("        … and 3 more; --verbose lists all\n        fix: "),
        "{plain}"
    );
    // The verdict and counts open the report.
    assert!(plain.starts_with("liftoff: "), "{plain}");
    assert!(
        plain
            .lines()
            .nth(3)
            .unwrap()
            .contains("production:  NOT READY"),
        "{plain}"
    );
    let verbose = text(&["--verbose"]);
    assert!(
        verbose.contains("aws_dynamodb_table.t7 [production]: "),
        "{verbose}"
    );
    // Markdown: warnings carry where they are.
    let markdown = text(&["--format", "markdown"]);
    assert!(
        markdown.contains("| rule | target | finding | where | fix |\n|---|---|---|---|---|\n| `"),
        "{markdown}"
    );
    assert!(
        markdown.contains("`aws_dynamodb_table.t0 [production]`"),
        "{markdown}"
    );
    // HTML shows code spans as code, never as backticks.
    let html = text(&["--format", "html"]);
    assert!(
        html.contains(
            "<td><code>aws_dynamodb_table.t0 [production]</code></td><td><code>point_in_time_recovery</code> leaves point-in-time recovery off"
        ),
        "{html}"
    );
    let body = html.split("<h2>Problems").nth(1).unwrap();
    assert!(
        !body.contains('`'),
        "a literal backtick in the HTML findings"
    );
    // SARIF fingerprints keep two environments' findings apart.
    let sarif: Value = serde_json::from_str(&text(&["--format", "sarif"])).unwrap();
    let prints: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["liftoffTarget/v2"]
                .as_str()
                .unwrap()
        })
        .filter(|p| {
            p.starts_with("reliability.pitr|") && p.ends_with("|aws_dynamodb_table.records")
        })
        .collect();
    assert_eq!(
        prints,
        [
            "reliability.pitr|development|aws_dynamodb_table.records",
            "reliability.pitr|pre-production|aws_dynamodb_table.records"
        ]
    );
}

#[test]
fn a_serverless_only_repository_takes_its_stages_from_the_pipeline_that_deploys_it() {
    let (_, report) = check_json(&layout("serverless-only"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    assert_eq!(
        report["inferred_environments"][0]["from"][0],
        ".circleci/config.yml (deploys stage `production`)"
    );
    assert_eq!(
        file(&report, "Api/serverless.yml").1,
        "read for production (stage production), staging (stage staging)"
    );
    assert_eq!(report["verdicts"]["production"], "not-ready");
}

#[test]
fn inputs_parse_passes_errors_is_not_applicable_and_cannot_be_waived() {
    let rule = "ops.inputs-parse";
    let only = |report: &Value| -> Vec<(String, String)> {
        rule_results(report, rule)
            .into_iter()
            .map(|r| {
                (
                    r["status"].as_str().unwrap().to_string(),
                    r["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // Pass: every file read parses.
    let (_, report) = check_json(&layout("shared-root"), &[]);
    assert_eq!(
        only(&report),
        [(
            "pass".to_string(),
            "all 3 deployment file(s) read parse".to_string()
        )]
    );
    // Not applicable: nothing was read.
    let empty = tempfile::tempdir().unwrap();
    let (_, report) = check_json(empty.path(), &[]);
    assert_eq!(only(&report)[0].0, "not-applicable");
    // Error: a file that does not parse; a waiver cannot make an unjudged file pass.
    let dir = copy_dir(&layout("template"));
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        "service: s\nenvironments: {production: {kind: production}}\nwaivers:\n  - rule: ops.inputs-parse\n    reason: the template is filled in at release\n    expires: 2027-06-30\n",
    )
    .unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(only(&report)[0].0, "error");
    assert_eq!(report["waivers"][0]["status"], "unused");
}

/// openfoodfacts/open-prices' shape: overlays in `docker/` named by `COMPOSE_FILE`, a committed
/// `.env` that selects the developer's overlay (with `latest` as the tag), and a release job
/// that writes the server's own `.env` before `docker compose up`.
#[test]
fn compose_overlays_named_by_compose_file_run_for_their_environment() {
    let (_, report) = check_json(&layout("compose-overlays"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("development", "development"), ("production", "production")])
    );
    assert_eq!(
        file(&report, "docker/prod.yml"),
        (
            "read",
            "merged for production (named at .github/workflows/release.yml:24)"
        )
    );
    assert_eq!(
        file(&report, "docker/dev.yml"),
        ("read", "merged for development (named at .env:3)")
    );
    assert_eq!(
        file(&report, "docker-compose.yml").1,
        "merged for production, development"
    );
    assert!(file(&report, ".env").1.contains("for development"));
    // The tag production runs is the release job's, never the developer's `latest`.
    let app = result(
        &report,
        "env.production-dev-images",
        "compose:docker/prod.yml#app",
        "production",
    );
    assert_eq!(app["status"], "pass", "{app:#}");
    assert!(
        app["message"].as_str().unwrap().contains("app:<commit>"),
        "{app:#}"
    );
    // Nothing of the developer's overlay reaches production.
    let results = report["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .all(|r| !(r["environment"] == "production"
                && r["location"]["path"] == "docker/dev.yml"))
    );
    assert!(
        results.iter().any(
            |r| r["environment"] == "development" && r["target"] == "compose:docker/dev.yml#db"
        )
    );
}

/// With no value the files give production (the job writes the tag from a repository
/// variable), the tag is unknown: a question, not the developer `.env`'s `latest`.
#[test]
fn an_image_tag_only_the_runner_knows_is_a_question_not_the_developers_latest() {
    let dir = copy_dir(&layout("compose-overlays"));
    let workflow = dir.path().join(".github/workflows/release.yml");
    let text = std::fs::read_to_string(&workflow)
        .unwrap()
        .replace("APP_TAG=${{ github.sha }}", "APP_TAG=${{ vars.RELEASE }}");
    std::fs::write(&workflow, text).unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    let app = result(
        &report,
        "env.production-dev-images",
        "compose:docker/prod.yml#app",
        "production",
    );
    assert_eq!(app["evidence"]["evidenced"], false, "{app:#}");
    let message = app["message"].as_str().unwrap();
    assert!(message.contains("`APP_TAG`"), "{message}");
    assert!(!message.contains("latest"), "{message}");

    // A job that only names the files (`-f`) leaves the committed `.env` the developer's: its
    // `APP_TAG=latest` is not production's either.
    std::fs::write(
        &workflow,
        "on: {push: {tags: ['v*']}}\njobs:\n  ship:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: docker compose -f docker-compose.yml -f docker/prod.yml up -d\n",
    )
    .unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(file(&report, "docker/prod.yml").0, "read");
    let app = result(
        &report,
        "env.production-dev-images",
        "compose:docker/prod.yml#app",
        "production",
    );
    assert_eq!(app["evidence"]["evidenced"], false, "{app:#}");
    assert!(app["message"].as_str().unwrap().contains("`APP_TAG`"));
}

/// The production overlay that pins `latest` itself still blocks.
#[test]
fn a_production_overlay_pinning_latest_blocks() {
    let dir = copy_dir(&layout("compose-overlays"));
    let overlay = dir.path().join("docker/prod.yml");
    let text = std::fs::read_to_string(&overlay).unwrap().replace(
        "    restart: always\n    ports:",
        "    image: registry.example.net/bookshelf/app:latest\n    restart: always\n    ports:",
    );
    std::fs::write(&overlay, text).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let app = result(
        &report,
        "env.production-dev-images",
        "compose:docker/prod.yml#app",
        "production",
    );
    assert_eq!(app["status"], "fail");
    assert_eq!(app["location"]["path"], "docker/prod.yml");
    assert!(
        app["message"].as_str().unwrap().contains("`latest` tag"),
        "{app:#}"
    );
}

/// openfoodfacts/open-prices' deploy job: a matrix whose one value is a tag-or-branch
/// expression, `environment: ${{ matrix.site }}`, SSH steps that `cd` into the server's checkout,
/// write its `.env` in one step (`mv .env .env-dev`, `echo ... >> .env`) and run compose through
/// `make up` in a later one; the committed `.env` is the developer's, naming `docker/dev.yml` and
/// a third overlay.
#[test]
fn a_matrix_deploy_job_runs_the_prod_overlay_with_the_env_it_writes() {
    let (_, report) = check_json(&layout("compose-matrix"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("development", "development"), ("production", "production")])
    );
    assert!(report["judged_as_production"].is_null(), "{report:#}");
    // The job's two sites, one per side of the tag-or-branch expression, say nothing of their
    // kind: each is a question, not production.
    let stages: Vec<&str> = report["unclassified_stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["recipes-com", "recipes-net"]);
    assert!(
        report["unclassified_stages"][0]["from"][0]
            .as_str()
            .unwrap()
            .contains("runs `docker-compose.yml` + `docker/prod.yml`")
    );
    assert_eq!(
        file(&report, "docker/prod.yml"),
        (
            "read",
            "merged for production (named at .github/workflows/deploy.yml:47)"
        )
    );
    // The developer's set is development's alone, its third overlay included.
    assert_eq!(
        file(&report, "docker/dev.yml"),
        ("read", "merged for development (named at .env:3)")
    );
    assert_eq!(
        file(&report, "docker/search.yml"),
        ("read", "merged for development (named at .env:3)")
    );
    assert!(file(&report, ".env").1.contains("for development"));
    let web = result(
        &report,
        "env.production-dev-images",
        "compose:docker/prod.yml#web",
        "production",
    );
    assert_eq!(web["status"], "pass", "{web:#}");
    assert!(
        web["message"]
            .as_str()
            .unwrap()
            .contains("web:sha-<commit>"),
        "{web:#}"
    );
    let results = report["results"].as_array().unwrap();
    assert!(
        results.iter().all(|r| !(r["environment"] == "production"
            && (r["location"]["path"] == "docker/dev.yml"
                || r["target"].as_str().unwrap().contains("search")))),
        "the developer's overlays reach production"
    );
}

/// Without a deploy job, the files no name places are judged as production, but the set the
/// developer's `.env` names (with `docker/dev.yml` in it) stays development: its reloading
/// server never runs "in production".
#[test]
fn a_compose_file_set_with_the_dev_overlay_is_never_production() {
    let dir = copy_dir(&layout("compose-matrix"));
    std::fs::remove_dir_all(dir.path().join(".github")).unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    assert!(!report["judged_as_production"].is_null(), "{report:#}");
    assert_eq!(
        file(&report, "docker/dev.yml"),
        ("read", "merged for development (named at .env:3)")
    );
    let images = rule_results(&report, "env.production-dev-images");
    // The tag of the files judged as production is a question (the `.env` is not theirs); none
    // of them is a developer's build.
    assert!(
        images
            .iter()
            .all(|r| r["status"] != "fail" || r["evidence"]["evidenced"] == false),
        "{images:#?}"
    );
    assert!(
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| !(r["environment"] == "production"
                && r["location"]["path"] == "docker/dev.yml"))
    );

    // The job that runs compose only through a Makefile target whose recipe does not is no
    // deploy of these files: the production overlay is then read for nothing.
    let dir = copy_dir(&layout("compose-matrix"));
    let makefile = dir.path().join("Makefile");
    let text = std::fs::read_to_string(&makefile)
        .unwrap()
        .replace("${COMPOSE} up -d\n", "echo up\n")
        .replace("${COMPOSE} up -d ${only}", "echo up")
        .replace("$(COMPOSE) pull", "echo pull");
    std::fs::write(&makefile, text).unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    assert!(
        report["artefacts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["path"] != "docker/prod.yml"),
        "{:#}",
        report["artefacts"]
    );
}
