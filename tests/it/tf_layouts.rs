//! Terraform layouts read with no liftoff.yaml: Terragrunt trees, workspace maps kept in
//! `terraform.tfvars.json`, roots whose backend files name their environments, and the stages a
//! pipeline deploys.

use crate::support::*;
use serde_json::Value;
use std::path::PathBuf;

fn layout(name: &str) -> PathBuf {
    root().join("tests/fixtures/tf-layouts").join(name)
}

/// Writes `files` (path, text) below `dir`, making their folders.
fn write_tree(dir: &std::path::Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// `rule`'s result about `target` in `env`: (status, requirement, "path:line").
fn verdict(report: &Value, rule: &str, target: &str, env: &str) -> (String, String, String) {
    let r = result(report, rule, target, env);
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

/// `db` is encrypted at rest in production and not in staging.
fn assert_encrypted_in_production_only(report: &Value, db: &str) {
    let status = |env| verdict(report, "security.encryption-at-rest", db, env).0;
    assert_eq!(
        (status("production"), status("staging")),
        ("pass".into(), "fail".into())
    );
}

#[test]
fn a_terragrunt_tree_runs_each_unit_with_its_inputs_in_its_environment() {
    let (code, report) = check_json(&layout("terragrunt"), &["--profile", "hackney"]);
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
        verdict(&report, "ha.db-replica", &db("prod"), "production"),
        (
            "pass".into(),
            "required".into(),
            "live/prod/db/terragrunt.hcl:19".into()
        )
    );
    assert_eq!(
        verdict(
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
        verdict(
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
        verdict(
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

#[test]
fn a_workspace_map_in_terraform_tfvars_json_names_the_environments() {
    let (code, report) = check_json(&layout("workspace-map"), &[]);
    // `dev` is a workspace too, but development is not a deployment the gate judges.
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    let reason = file(&report, "infra/main.tf").1;
    assert!(
        reason.contains("production (in workspace `prod`")
            && reason.contains("staging (in workspace `staging`"),
        "{reason}"
    );
    // Terraform loads terraform.tfvars.json by itself: it is read for both.
    assert_eq!(
        file(&report, "infra/terraform.tfvars.json"),
        ("read", "read for production, staging")
    );
    let db = "aws_db_instance.reports";
    assert_eq!(
        verdict(&report, "ha.db-replica", db, "production"),
        ("pass".into(), "required".into(), "infra/main.tf:20".into())
    );
    assert_encrypted_in_production_only(&report, db);
    assert_eq!(code, 1);
}

#[test]
fn a_workspace_map_without_environment_keys_names_none() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("infra")).unwrap();
    std::fs::write(
        dir.path().join("infra/main.tf"),
        "variable \"regions\" {}\nresource \"aws_sqs_queue\" \"q\" {\n  name = var.regions[terraform.workspace]\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("infra/terraform.tfvars.json"),
        r#"{"regions": {"eu": "eu-west-2", "us": "us-east-1"}}"#,
    )
    .unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    // The map's keys name no environment, so nothing does: the one root is the production
    // candidate, and the report says it was judged so.
    assert_eq!(inferred(&report), pairs(&[("production", "production")]));
    let from = report["inferred_environments"][0]["from"].to_string();
    assert!(from.contains("judged as production"), "{from}");
}

#[test]
fn backend_files_name_the_environments_a_root_is_applied_to() {
    let (code, report) = check_json(&layout("backends"), &["--profile", "hackney"]);
    assert_eq!(
        inferred(&report),
        pairs(&[
            ("development", "development"),
            ("production", "production"),
            ("staging", "staging"),
        ])
    );
    // The Makefile passes `-var="environment_name=$(ENVIRONMENT)"` with the backend it selects.
    assert_eq!(
        file(&report, "infra/app/service/main.tf").1,
        "read for development (with backend dev.s3.tfbackend and environment_name = \"dev\", as Makefile passes it), \
production (with backend prod.s3.tfbackend and environment_name = \"prod\", as Makefile passes it)"
    );
    assert_eq!(
        file(&report, "infra/app/service/prod.s3.tfbackend"),
        ("read", "read for production")
    );
    // No `-var` for the database root: its `stage` variable takes the environment's name.
    let reason = file(&report, "infra/app/database/main.tf").1;
    assert!(
        reason.contains("production (with backend prod.hcl and stage = \"prod\""),
        "{reason}"
    );
    let logs = "aws_cloudwatch_log_group.service";
    assert_eq!(
        verdict(&report, "monitoring.log-retention", logs, "production"),
        (
            "pass".into(),
            "required".into(),
            "infra/app/service/main.tf:27".into()
        )
    );
    assert_eq!(
        verdict(&report, "monitoring.log-retention", logs, "development").0,
        "fail"
    );
    let db = "aws_db_instance.app";
    assert_eq!(
        verdict(&report, "ha.db-replica", db, "production").0,
        "pass"
    );
    assert_encrypted_in_production_only(&report, db);
    // What blocks production here is the database's missing backup tag, nothing of another
    // environment's file.
    assert_eq!(
        verdict(&report, "reliability.backup-tags", db, "production").0,
        "fail"
    );
    assert_eq!(code, 1);
}

#[test]
fn a_root_with_backends_and_no_environment_variable_reads_the_same_values_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tf")).unwrap();
    std::fs::write(
        dir.path().join("tf/main.tf"),
        "resource \"aws_sqs_queue\" \"q\" {\n  name = \"jobs\"\n}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("tf/backend-prod.hcl"), "key = \"p\"\n").unwrap();
    std::fs::write(dir.path().join("tf/backend-staging.hcl"), "key = \"s\"\n").unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    let reason = file(&report, "tf/main.tf").1;
    assert!(
        reason.contains("production (with backend backend-prod.hcl; no variable of the root takes the environment's name"),
        "{reason}"
    );
}

#[test]
fn the_workspaces_a_workflow_selects_are_the_environments_of_its_root() {
    let (code, report) = check_json(&layout("ci-workspaces"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    assert_eq!(
        report["inferred_environments"][0]["from"],
        serde_json::json!([".github/workflows/deploy.yml:20 (terraform/, workspace `production`)"])
    );
    assert_eq!(
        file(&report, "terraform/main.tf").1,
        "read for staging (in workspace `staging`, as .github/workflows/deploy.yml:20 deploys it), \
production (in workspace `production`, as .github/workflows/deploy.yml:20 deploys it)"
    );
    let db = "aws_db_instance.ledger";
    assert_eq!(
        verdict(&report, "ha.db-replica", db, "production"),
        (
            "pass".into(),
            "required".into(),
            "terraform/main.tf:11".into()
        )
    );
    assert_encrypted_in_production_only(&report, db);
    assert_eq!(code, 1);
}

#[test]
fn gitlab_jobs_deploy_var_files_and_variables_where_they_cd() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| write_file(dir.path(), rel, text);
    write(
        ".gitlab-ci.yml",
        "variables:\n  TF_DIR: deploy/stack\n\
apply:\n  parallel:\n    matrix:\n      - TARGET: [uat, prod]\n  script:\n    - cd $TF_DIR\n    - terraform apply -var-file=env/$TARGET.tfvars\n\
secret:\n  script:\n    - terraform -chdir=deploy/other apply -var=\"env=$CI_ENVIRONMENT_NAME\"\n",
    );
    write(
        "deploy/stack/main.tf",
        "variable \"retention\" {}\nresource \"aws_cloudwatch_log_group\" \"app\" {\n  name = \"app\"\n  retention_in_days = var.retention\n}\n",
    );
    write("deploy/stack/env/uat.tfvars", "retention = 7\n");
    write("deploy/stack/env/prod.tfvars", "retention = 200\n");
    write(
        "deploy/other/main.tf",
        "resource \"aws_sqs_queue\" \"q\" {\n  name = \"q\"\n}\n",
    );
    let (_, report) = check_json(dir.path(), &[]);
    // `uat` and `prod` from the var files' names; the variable from CI names nothing.
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("uat", "staging")])
    );
    assert_eq!(
        file(&report, "deploy/stack/env/prod.tfvars"),
        ("read", "read for production")
    );
    let logs = "aws_cloudwatch_log_group.app";
    assert_eq!(
        verdict(&report, "monitoring.log-retention", logs, "production").0,
        "pass"
    );
    assert_eq!(
        verdict(&report, "monitoring.log-retention", logs, "uat").0,
        "fail"
    );
    let (status, why) = file(&report, "deploy/other/main.tf");
    assert_eq!(status, "ignored", "{why}");
}

#[test]
fn a_terragrunt_unit_named_like_an_environment_belongs_to_the_folder_above() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| write_file(dir.path(), rel, text);
    let unit = "terraform {\n  source = \"../../../modules//queue\"\n}\n";
    // production's load-test unit, and a unit that is staging itself.
    write("live/prod/performance-test/terragrunt.hcl", unit);
    write(
        "live/staging/terragrunt.hcl",
        "terraform {\n  source = \"../../modules//queue\"\n}\n",
    );
    write(
        "modules/queue/main.tf",
        "resource \"aws_sqs_queue\" \"q\" {\n  name = \"q\"\n}\n",
    );
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    assert_eq!(
        file(&report, "live/prod/performance-test/terragrunt.hcl").1,
        "read for production (Terragrunt unit live/prod/performance-test)"
    );
    assert_eq!(
        file(&report, "live/staging/terragrunt.hcl").1,
        "read for staging (Terragrunt unit live/staging)"
    );
}

#[test]
fn terragrunt_units_run_by_a_workflow_take_its_environment_and_variables() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| write_file(dir.path(), rel, text);
    // One tree for every environment: the job's APP_ENV picks it, as `get_env` reads it.
    write(
        "env/root.hcl",
        "locals {\n  env = get_env(\"APP_ENV\", \"development\")\n}\ninputs = {\n  env = local.env\n}\n",
    );
    write(
        "env/cloud/db/terragrunt.hcl",
        "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n}\nterraform {\n  source = \"../../../aws//db\"\n}\ninputs = {\n  password = get_env(\"DB_PASSWORD\", \"Xk9mQ2vL7pR4wZ8t\")\n}\n",
    );
    write(
        "aws/db/main.tf",
        "variable \"env\" {}\nvariable \"password\" {}\nresource \"aws_db_instance\" \"forms\" {\n  password          = var.password\n  engine            = \"postgres\"\n  instance_class    = \"db.t3.medium\"\n  allocated_storage = 20\n  storage_encrypted = var.env == \"production\"\n}\n",
    );
    for (env, secret) in [
        ("staging", ""),
        ("production", "  DB_PASSWORD: ${{ secrets.DB }}\n"),
    ] {
        write(
            &format!(".github/workflows/apply-{env}.yml"),
            &format!(
                "on: push\nenv:\n  APP_ENV: {env}\n{secret}jobs:\n  apply:\n    runs-on: ubuntu-latest\n    steps:\n      - run: terragrunt validate\n        working-directory: env/cloud/db\n      - run: terragrunt apply --terragrunt-non-interactive\n        working-directory: env/cloud/db\n"
            ),
        );
    }
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    assert_eq!(
        file(&report, "env/cloud/db/terragrunt.hcl").1,
        "read for production (Terragrunt unit env/cloud/db, run by .github/workflows/apply-production.yml:11), \
staging (Terragrunt unit env/cloud/db, run by .github/workflows/apply-staging.yml:10)"
    );
    let db = "env/cloud/db:aws_db_instance.forms";
    assert_encrypted_in_production_only(&report, db);
    // Production's job sets DB_PASSWORD from a secret: unknown, never the default written in the
    // unit. Staging's does not: the default is what Terragrunt passes.
    let secret = |env: &str| {
        report["results"].as_array().unwrap().iter().any(|r| {
            r["rule"] == "security.plaintext-secrets"
                && r["environment"] == env
                && r["status"] == "fail"
                && r["location"]["path"] == "env/cloud/db/terragrunt.hcl"
        })
    };
    assert!(secret("staging"), "{:#}", report["results"]);
    assert!(!secret("production"));
}

/// A copy of the own-copy layout in a folder named `name` (how a checkout is named).
fn own_copy_in(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    copy_dir_into(&layout("own-copy"), &dir);
    (tmp, dir)
}

#[test]
fn a_unit_deploying_this_repository_at_a_run_time_release_reads_the_copy_here() {
    let (_tmp, dir) = own_copy_in("records-service");
    let (_, report) = check_json(&dir, &[]);
    let logs = "terragrunt/env/production/logs:aws_cloudwatch_log_group.api";
    let r = verdict(&report, "monitoring.log-retention", logs, "production");
    assert_eq!(r.0, "fail", "{r:?}");
    assert_eq!(r.2, "terragrunt/env/production/logs/terragrunt.hcl:7");
    let (status, reason) = file(
        &report,
        "terragrunt/env/production/logs/terragrunt.hcl#terraform.source",
    );
    assert_eq!(status, "read");
    assert!(
        reason.contains("release chosen at run time") && reason.contains("terragrunt/aws/logs/"),
        "{reason}"
    );
    // Staging reads the same folder by its local path, with its own input.
    let staging = "terragrunt/env/staging/logs:aws_cloudwatch_log_group.api";
    assert_eq!(
        verdict(&report, "monitoring.log-retention", staging, "staging").0,
        "pass"
    );
}

#[test]
fn a_git_source_of_another_repository_is_not_read_from_a_folder_here() {
    let (_tmp, dir) = own_copy_in("some-other-service");
    let (_, report) = check_json(&dir, &[]);
    let (status, reason) = file(
        &report,
        "terragrunt/env/production/logs/terragrunt.hcl#terraform.source",
    );
    assert_eq!(status, "not-read", "{reason}");
    assert!(reason.contains("known only at run time"), "{reason}");
}

/// `path.root` in a child module is the root module's folder, where Terraform runs: a policy
/// document the root keeps is read from there (seen on nationalarchives/ds-infrastructure-web,
/// whose IAM module reads the root's JSON policies), and `path.module` still names the child's.
#[test]
fn path_root_in_a_child_module_is_the_root_folder() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "liftoff.yaml",
            "service: records\nenvironments:\n  production: {kind: production}\n",
        ),
        (
            "terraform/production/main.tf",
            "module \"iam\" {\n  source = \"../modules/iam\"\n}\n",
        ),
        (
            "terraform/production/policies/read.json",
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\"}]}",
        ),
        (
            "terraform/modules/iam/main.tf",
            "resource \"aws_iam_policy\" \"read\" {\n  name   = \"records-read\"\n  policy = file(\"${path.root}/policies/read.json\")\n}\n\nresource \"aws_iam_policy\" \"own\" {\n  name   = \"records-own\"\n  policy = file(\"${path.module}/own.json\")\n}\n",
        ),
        (
            "terraform/modules/iam/own.json",
            "{\"Statement\": [{\"Effect\": \"Deny\", \"Action\": \"*\"}]}",
        ),
    ];
    write_tree(dir.path(), &files);
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let policy = |address: &str| {
        let r = loaded
            .deployment
            .resources
            .iter()
            .find(|r| r.address == address)
            .unwrap_or_else(|| panic!("{address} is in the model"));
        r.attributes
            .get("policy")
            .map(|f| f.value.clone())
            .unwrap_or_else(|| panic!("{address}.policy is known: {:?}", r.unknown))
    };
    assert_eq!(
        policy("module.iam.aws_iam_policy.read"),
        Value::String(files[2].1.into())
    );
    assert_eq!(
        policy("module.iam.aws_iam_policy.own"),
        Value::String(files[4].1.into())
    );
}

/// A configuration file named like a template (`launch-template.tf`, holding an AWS launch
/// template; seen on nationalarchives/ds-infrastructure-web) is part of its root, as Terraform
/// loads it: read for production and judged there.
#[test]
fn a_terraform_file_named_template_is_part_of_its_root() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            (
                "terraform/production/launch-template.tf",
                "resource \"aws_launch_template\" \"web\" {\n  name_prefix   = \"web-\"\n  instance_type = \"t3.small\"\n}\n",
            ),
            (
                "terraform/production/database.tf",
                "resource \"aws_db_instance\" \"records\" {\n  engine            = \"postgres\"\n  instance_class    = \"db.t3.medium\"\n  storage_encrypted = true\n}\n",
            ),
        ],
    );
    let (_, report) = check_json(dir.path(), &[]);
    let artefact = report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "terraform/production/launch-template.tf")
        .unwrap_or_else(|| panic!("listed: {}", report["artefacts"]));
    assert_eq!(
        (
            artefact["status"].as_str(),
            artefact["environment"].as_str()
        ),
        (Some("read"), Some("production")),
        "{artefact}"
    );
}

/// A folder the root calls as a module is code, even when its name holds an environment's word
/// (`edge-service-testing/`, a WAF rule group production enables; seen on
/// nationalarchives/ds-infrastructure-web): it names no `test` environment. A root whose name
/// holds the word, called by nothing, still names it.
#[test]
fn a_module_folder_named_with_an_environment_word_names_no_environment() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "infra/main.tf",
            "module \"testers\" {\n  source = \"./edge-service-testing\"\n}\n",
        ),
        (
            "infra/edge-service-testing/main.tf",
            "resource \"aws_wafv2_ip_set\" \"testers\" {\n  name               = \"testers\"\n  scope              = \"REGIONAL\"\n  ip_address_version = \"IPV4\"\n  addresses          = [\"192.0.2.0/24\"]\n}\n",
        ),
        (
            "infra/vars/live/env.auto.tfvars",
            "environment = \"live\"\n",
        ),
        ("infra/vars/dev/env.auto.tfvars", "environment = \"dev\"\n"),
    ];
    write_tree(dir.path(), &files);
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(
        inferred(&report),
        [
            ("development".to_string(), "development".to_string()),
            ("production".to_string(), "production".to_string()),
        ]
    );
    // The same folder as a root of its own (nothing calls it) is the test environment's.
    std::fs::write(dir.path().join("infra/main.tf"), "locals {}\n").unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    assert!(
        inferred(&report).contains(&("test".to_string(), "development".to_string())),
        "{:?}",
        inferred(&report)
    );
}

/// Each environment's values kept in a folder below the root, split by subject, with the
/// environment's `backend.tf` (`_vars/live/`, which the pipeline copies into the root before
/// `terraform apply`; seen on nationalarchives/ds-infrastructure-web): the root is read once per
/// environment with all of that folder's files together, as Terraform loads them.
#[test]
fn variable_folders_below_the_root_are_each_environments_values_together() {
    let dir = tempfile::tempdir().unwrap();
    let backend = |env: &str| {
        format!(
            "terraform {{\n  backend \"s3\" {{\n    bucket = \"records-{env}-state\"\n    key    = \"web.tfstate\"\n  }}\n}}\n"
        )
    };
    let (live, staging) = (backend("live"), backend("staging"));
    write_tree(
        dir.path(),
        &[
            (
                "infra/main.tf",
                "variable \"environment\" {}\nvariable \"retention_days\" {}\n\nresource \"aws_cloudwatch_log_group\" \"jobs\" {\n  name              = \"/records/jobs\"\n  retention_in_days = var.retention_days\n}\n\nresource \"aws_sqs_queue\" \"submissions\" {\n  count = var.environment == \"live\" ? 1 : 0\n  name  = \"records-submissions\"\n}\n",
            ),
            ("infra/_vars/live/backend.tf", &live),
            (
                "infra/_vars/live/environment.auto.tfvars",
                "environment = \"live\"\n",
            ),
            (
                "infra/_vars/live/logs.auto.tfvars",
                "retention_days = 400\n",
            ),
            ("infra/_vars/staging/backend.tf", &staging),
            (
                "infra/_vars/staging/environment.auto.tfvars",
                "environment = \"staging\"\n",
            ),
            (
                "infra/_vars/staging/logs.auto.tfvars",
                "retention_days = 7\n",
            ),
        ],
    );
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(
        inferred(&report),
        [
            ("production".to_string(), "production".to_string()),
            ("staging".to_string(), "staging".to_string()),
        ]
    );
    let status = |rule: &str, target: &str, env: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rule"] == rule && r["target"] == target && r["environment"] == env)
            .map(|r| r["status"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // Both files' values in one read: the retention of each environment's own file.
    assert_eq!(
        status(
            "monitoring.log-retention",
            "aws_cloudwatch_log_group.jobs",
            "production"
        ),
        ["pass"]
    );
    assert_eq!(
        status(
            "monitoring.log-retention",
            "aws_cloudwatch_log_group.jobs",
            "staging"
        ),
        ["fail"]
    );
    // The queue production creates, once, and none in staging.
    assert_eq!(
        status(
            "monitoring.message-loss",
            "aws_sqs_queue.submissions[0]",
            "production"
        ),
        ["fail"]
    );
    assert!(
        status(
            "monitoring.message-loss",
            "aws_sqs_queue.submissions",
            "production"
        )
        .is_empty()
    );
    assert!(
        status(
            "monitoring.message-loss",
            "aws_sqs_queue.submissions[0]",
            "staging"
        )
        .is_empty()
    );
}

/// One root per component, each with a `profiles/<account>-<region>/` folder per environment
/// holding the file its pipeline passes as `-var-file` (named `vars`, no extension, in one
/// organisation's repositories; `*.tfvars` in others): each root is read once per profile, in
/// the environment the profile's folder names, and a root with only a development profile never
/// reaches production.
#[test]
fn profile_folders_below_each_root_are_its_environments_variable_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = "variable \"environment\" {}\nvariable \"multi_az\" {}\n\nresource \"aws_db_instance\" \"main\" {\n  identifier        = \"records-${var.environment}\"\n  engine            = \"postgres\"\n  instance_class    = \"db.t3.medium\"\n  multi_az          = var.multi_az\n  storage_encrypted = true\n}\n";
    write_tree(
        dir.path(),
        &[
            ("groups/records-db/main.tf", db),
            (
                "groups/records-db/profiles/records-live-eu-west-2/vars",
                "environment = \"live\"\nmulti_az    = true\n",
            ),
            (
                "groups/records-db/profiles/records-staging-eu-west-2/vars",
                "environment = \"staging\"\nmulti_az    = false\n",
            ),
            ("groups/reports-db/main.tf", db),
            (
                "groups/reports-db/profiles/records-development-eu-west-2/vars.tfvars",
                "environment = \"development\"\nmulti_az    = false\n",
            ),
        ],
    );
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(
        inferred(&report),
        [
            ("development".to_string(), "development".to_string()),
            ("production".to_string(), "production".to_string()),
            ("staging".to_string(), "staging".to_string()),
        ]
    );
    let results = |env: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rule"] == "ha.db-replica" && r["environment"] == env)
            .map(|r| {
                (
                    r["target"].as_str().unwrap().to_string(),
                    r["status"].as_str().unwrap().to_string(),
                    r["location"]["path"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    // The live profile's `multi_az = true`, in production only; the development-only root is
    // not there.
    assert_eq!(
        results("production"),
        [(
            "aws_db_instance.main".to_string(),
            "pass".to_string(),
            "groups/records-db/main.tf".to_string()
        )]
    );
    assert_eq!(results("staging").len(), 1, "{:?}", results("staging"));
    assert_eq!(results("staging")[0].1, "fail");
    assert_eq!(results("development").len(), 1);
    assert_eq!(results("development")[0].2, "groups/reports-db/main.tf");
    // Every file is listed as read.
    let read: Vec<&str> = report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "read")
        .filter_map(|f| f["path"].as_str())
        .collect();
    for path in [
        "groups/records-db/profiles/records-live-eu-west-2/vars",
        "groups/records-db/profiles/records-staging-eu-west-2/vars",
        "groups/reports-db/profiles/records-development-eu-west-2/vars.tfvars",
    ] {
        assert!(
            read.contains(&path),
            "{path} not read: {:#}",
            report["artefacts"]
        );
    }
}

/// A root kept under `ci/` (where the repository keeps its delivery files) with one variable file
/// per environment beside it is read once per file, in the environment each names: the folder's
/// name does not make every file a CI environment's (govuk-one-login/authentication-api's layout).
#[test]
fn variable_files_beside_a_root_win_over_the_environment_a_folder_above_it_names() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            (
                "ci/terraform/app/main.tf",
                "variable \"encrypted\" {}\n\nresource \"aws_db_instance\" \"db\" {\n  identifier          = \"app\"\n  engine              = \"postgres\"\n  instance_class      = \"db.t3.micro\"\n  publicly_accessible = false\n  storage_encrypted   = var.encrypted\n}\n",
            ),
            ("ci/terraform/app/production.tfvars", "encrypted = true\n"),
            ("ci/terraform/app/staging.tfvars", "encrypted = false\n"),
            // The control: a root whose folder names its environment keeps it.
            (
                "environments/qa/main.tf",
                "resource \"aws_db_instance\" \"qa\" {\n  identifier        = \"qa\"\n  engine            = \"postgres\"\n  instance_class    = \"db.t3.micro\"\n  storage_encrypted = false\n}\n",
            ),
            ("environments/qa/qa.tfvars", ""),
        ],
    );
    let (_, report) = check_json(dir.path(), &[]);
    assert_encrypted_in_production_only(&report, "aws_db_instance.db");
    assert_eq!(
        verdict(
            &report,
            "security.encryption-at-rest",
            "aws_db_instance.db",
            "production"
        )
        .2,
        "ci/terraform/app/main.tf:8"
    );
    assert_eq!(
        verdict(
            &report,
            "security.encryption-at-rest",
            "aws_db_instance.qa",
            "qa"
        )
        .0,
        "fail"
    );
    // Nothing is judged as the `ci` folder's.
    let in_ci = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["environment"] == "ci")
        .count();
    assert_eq!(in_ci, 0, "{:#}", report["results"]);
}

/// A folder named as an environment template (`infra/environment-template/`, seen on
/// uktrade/data-workspace) is copied and filled in for each environment elsewhere: its
/// placeholders and its module path reaching out of the repository are right only in the copy.
/// It is listed as not read, with why, and judged nowhere (no `ops.inputs-parse` error about a
/// module folder that is not here); the configuration beside it is still production's. A module
/// folder named like a template (`modules/launch-template/`) is read through its caller.
#[test]
fn a_template_folder_for_environments_is_not_a_root() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            (
                "infra/main.tf",
                "module \"web\" {\n  source = \"./modules/launch-template\"\n}\n",
            ),
            (
                "infra/modules/launch-template/main.tf",
                "resource \"aws_db_instance\" \"records\" {\n  engine         = \"postgres\"\n  instance_class = \"db.t3.medium\"\n}\n",
            ),
            (
                "infra/environment-template/main.tf",
                "terraform {\n  backend \"s3\" {\n    bucket = \"REPLACE_ME\"\n    key    = \"REPLACE_ME\"\n  }\n}\n\nmodule \"shop\" {\n  source = \"../../shop-platform/infra\"\n\n  signing_private_key = \"-----BEGIN PRIVATE KEY-----\\\\REPLACE_ME\\\\n-----END PRIVATE KEY-----\\\\n\"\n}\n",
            ),
        ],
    );
    let (_, report) = check_json(dir.path(), &[]);
    let (status, reason) = file(&report, "infra/environment-template/main.tf");
    assert_eq!(status, "ignored", "{reason}");
    assert!(
        reason.starts_with(
            "a template for environments (its folder `infra/environment-template/` says so)"
        ),
        "{reason}"
    );
    assert!(
        rule_results(&report, "ops.inputs-parse")
            .iter()
            .all(|r| r["status"] != "fail" && r["status"] != "error"),
        "{:#}",
        report["results"]
    );
    assert_eq!(
        verdict(
            &report,
            "security.encryption-at-rest",
            "module.web.aws_db_instance.records",
            "production"
        )
        .0,
        "fail"
    );
}

/// A placeholder between PEM lines, given to a remote module (seen on uktrade/data-workspace's
/// environment template) is no committed key; a key between them is.
#[test]
fn a_placeholder_between_pem_lines_is_not_a_committed_key() {
    let dir = tempfile::tempdir().unwrap();
    let call = |key: &str| {
        format!(
            "module \"shop\" {{\n  source = \"git::https://example.org/shop-platform.git//infra?ref=v1.2.0\"\n\n  api_client_secret   = \"REPLACE_ME\"\n  signing_private_key = \"-----BEGIN PRIVATE KEY-----\\\\n{key}\\\\n-----END PRIVATE KEY-----\\\\n\"\n}}\n"
        )
    };
    write_tree(
        dir.path(),
        &[("infra/production/main.tf", &call("REPLACE_ME"))],
    );
    let (_, report) = check_json(dir.path(), &[]);
    let statuses: Vec<&str> = rule_results(&report, "security.plaintext-secrets")
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert!(
        !statuses.is_empty() && statuses.iter().all(|s| *s == "pass"),
        "{:#}",
        report["results"]
    );
    write_tree(
        dir.path(),
        &[(
            "infra/production/main.tf",
            &call("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4"),
        )],
    );
    let (_, report) = check_json(dir.path(), &[]);
    let failed: Vec<&str> = rule_results(&report, "security.plaintext-secrets")
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        ["module.shop.signing_private_key"],
        "{:#}",
        report["results"]
    );
}

/// A private key is a secret under any attribute's name: a variable default holding one, given
/// to an SSM parameter's `value`, is committed and never shown, in the report or the model.
#[test]
fn a_private_key_in_a_parameter_value_is_a_committed_secret() {
    let dir = tempfile::tempdir().unwrap();
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4";
    write_tree(
        dir.path(),
        &[(
            "infra/production/main.tf",
            &format!(
                "variable \"signing\" {{\n  default = \"-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n\"\n}}\n\nresource \"aws_ssm_parameter\" \"signing\" {{\n  name  = \"/shop/signing-key\"\n  type  = \"SecureString\"\n  value = var.signing\n}}\n"
            ),
        )],
    );
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(
        verdict(
            &report,
            "security.plaintext-secrets",
            "aws_ssm_parameter.signing.value",
            "production"
        )
        .0,
        "fail"
    );
    assert!(!report.to_string().contains(body));
    let model = liftoff()
        .args(["model", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let model = String::from_utf8_lossy(&model.stdout);
    assert!(model.contains("aws_ssm_parameter.signing"), "{model}");
    assert!(!model.contains(body), "{model}");
}

/// A root in a folder named after an environment is read as the environments its own folder of
/// variable files names: `sandbox/` with `vars/dev.tfvars` and `vars/test.tfvars` is deployed as
/// development and test, each with its file, not as a `sandbox` read without variables;
/// `production/vars/production.tfvars` is production's own file (audit25 repro-1,
/// cisagov/con-pca-cicd's `sandbox/` applied with `-var-file ./vars/$ENVIRONMENT.tfvars`).
#[test]
fn a_root_named_for_an_environment_is_read_with_its_folder_of_variable_files() {
    let (_, report) = check_json(&layout("env-named-root"), &["--offline"]);
    assert_eq!(
        inferred(&report),
        pairs(&[
            ("development", "development"),
            ("production", "production"),
            ("test", "development")
        ])
    );
    assert_eq!(
        file(&report, "sandbox/main.tf"),
        (
            "read",
            "read for development (with sandbox/vars/dev.tfvars), test (with sandbox/vars/test.tfvars)"
        )
    );
    for (path, env) in [
        ("sandbox/vars/dev.tfvars", "development"),
        ("sandbox/vars/test.tfvars", "test"),
        ("production/vars/production.tfvars", "production"),
    ] {
        assert_eq!(
            file(&report, path),
            ("read", format!("read for {env}").as_str())
        );
    }
    let retention = |env: &str| {
        result(
            &report,
            "monitoring.log-retention",
            "aws_cloudwatch_log_group.api",
            env,
        )["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        (
            retention("development"),
            retention("test"),
            retention("production")
        ),
        (
            "logs kept 3 days, shorter than the 30-day floor".to_string(),
            "logs kept 5 days, shorter than the 30-day floor".to_string(),
            "logs kept 90 days".to_string()
        )
    );
}

/// A variable file named like its siblings (`shop-acme.tfvars` beside `shop-production.tfvars`)
/// that says it is an environment (`environment = "Acme"`) names one, though the vocabulary
/// does not know the name: listed as a stage of unknown kind to declare, not as naming none
/// (audit26 repro-4). A shared file of the same pattern that says nothing names none.
#[test]
fn a_variable_file_named_like_its_environment_siblings_names_an_environment_of_unknown_kind() {
    let (_, report) = check_json(&layout("sibling-tfvars"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    let stages = report["unclassified_stages"].as_array().unwrap();
    assert_eq!(stages.len(), 1, "{stages:?}");
    assert_eq!(stages[0]["stage"], "acme");
    let (status, reason) = file(&report, "deploy/vars/shop-acme.tfvars");
    assert_eq!(status, "ignored");
    assert!(
        reason.contains("names the environment `acme`") && reason.contains("kind:"),
        "{reason}"
    );
    assert_eq!(
        file(&report, "deploy/vars/shop-common.tfvars"),
        (
            "ignored",
            "a variable file that names no environment, and no root reads it"
        )
    );
}

/// The registry SQS module, not installed, redrives its queue as its code does with the inputs
/// written: `create_dlq` makes a dead-letter queue of its own, a `redrive_policy` naming one
/// makes a redrive policy; a `create_dlq` known only after apply is a question, a
/// `maxReceiveCount` alone names nothing (audit27 repro-1). A queue another queue's redrive
/// policy names, or that a redrive allow policy opens, is a dead-letter queue: judged on its
/// alarm, never for lacking a dead-letter queue of its own.
#[test]
fn the_sqs_module_and_dead_letter_queues_are_judged_as_their_redrive_policies_say() {
    let (_, report) = check_json(&layout("sqs-module-dlq"), &[]);
    let said = |target: &str, env: &str| {
        let r = result(&report, "monitoring.message-loss", target, env);
        (
            r["status"].as_str().unwrap().to_string(),
            r["message"].as_str().unwrap().to_string(),
        )
    };
    for env in ["production", "staging"] {
        for queue in [
            "module.jobs.aws_sqs_queue.this",
            "module.events.aws_sqs_queue.this",
            "module.consumer.module.queue.aws_sqs_queue.this",
            "aws_sqs_queue.orders",
        ] {
            assert_eq!(
                said(queue, env),
                (
                    "pass".into(),
                    "failing messages move to a dead-letter queue".into()
                ),
                "{queue} {env}"
            );
        }
        for queue in ["module.mail.aws_sqs_queue.this", "aws_sqs_queue.reports"] {
            let (status, message) = said(queue, env);
            assert_eq!(status, "fail", "{queue} {env}");
            assert!(message.starts_with("no `redrive_policy`"), "{message}");
        }
        for dead in [
            "aws_sqs_queue.events_parked",
            "module.consumer.aws_sqs_queue.parked",
            "aws_sqs_queue.orders_held",
            "aws_sqs_queue.invoices_held",
        ] {
            assert_eq!(
                said(dead, env),
                (
                    "fail".into(),
                    "nothing alarms when messages land in this dead-letter queue".into()
                ),
                "{dead} {env}"
            );
        }
        // A question, not a problem.
        let audit = result(
            &report,
            "monitoring.message-loss",
            "module.audit.aws_sqs_queue.this",
            env,
        );
        assert_eq!(audit["evidence"]["evidenced"], false, "{audit}");
        let message = audit["message"].as_str().unwrap();
        assert!(
            message.contains(
                "whether `module.audit.aws_sqs_queue_redrive_policy.dlq` is created (its `count` is known only after apply)"
            ),
            "{message}"
        );
    }
}

/// One root with a variable file per environment beside it, named only for the environment
/// (`prod.tfvars`, `aat.tfvars`, `perftest.tfvars`) and all of one shape, none saying its own
/// name: each file the vocabulary does not know names an environment of unknown kind, which
/// `env.pre-production` asks about rather than concluding "only production" (audit27
/// repro-2). Files of other variables (`network.tfvars`, `common.tfvars`) or of a shared name
/// (`defaults.tfvars`, same shape) name none; `liftoff init` writes each environment with its
/// root and its file as sources.
#[test]
fn variable_files_of_their_siblings_shape_name_environments_of_unknown_kind() {
    let (_, report) = check_json(&layout("sibling-tfvars-shape"), &[]);
    assert_eq!(inferred(&report), pairs(&[("production", "production")]));
    let stages: Vec<&str> = report["unclassified_stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["aat", "demo", "ithc", "perftest"]);
    for name in ["aat", "demo", "ithc", "perftest"] {
        let (status, reason) = file(&report, &format!("infrastructure/{name}.tfvars"));
        assert_eq!(status, "ignored");
        assert!(
            reason.contains(&format!("names the environment `{name}`"))
                && reason.contains("sets the same variables"),
            "{reason}"
        );
    }
    for shared in ["network", "common", "defaults"] {
        assert_eq!(
            file(&report, &format!("infrastructure/{shared}.tfvars")),
            (
                "ignored",
                "a variable file that names no environment, and no root reads it"
            ),
            "{shared}"
        );
    }
    // Which of them comes before production is a question, not a missing environment.
    let pre = rule_results(&report, "env.pre-production")[0];
    assert_eq!(pre["evidence"]["evidenced"], false, "{pre}");
    assert!(
        pre["message"]
            .as_str()
            .unwrap()
            .contains("whether `aat` is a staging environment that mirrors production"),
        "{pre}"
    );

    let dir = copy_dir(&layout("sibling-tfvars-shape"));
    liftoff().arg("init").arg(dir.path()).assert().code(0);
    let text = std::fs::read_to_string(dir.path().join("liftoff.yaml")).unwrap();
    assert!(
        text.contains(
            "  # aat:                        # variable file infrastructure/aat.tfvars: is it staging, qa or development?\n  #   kind: staging\n  #   sources:\n  #     - {terraform: infrastructure/, var_files: [infrastructure/aat.tfvars]}\n"
        ),
        "{text}"
    );
}

/// The resource group of each environment in `liftoff model`, as (environment, name, location).
fn resource_groups(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let out = liftoff()
        .args(["model", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    let model: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let mut groups: Vec<(String, String, String)> = model["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["address"] == "azurerm_resource_group.app")
        .map(|r| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (
                text(&r["environment"]),
                text(&r["attributes"]["name"]),
                text(&r["attributes"]["location"]),
            )
        })
        .collect();
    groups.sort();
    groups
}

/// One root with a variable file per environment is one deployment per file: declaring `aat`'s
/// (`var_files: [infrastructure/aat.tfvars]`) leaves production, declared without sources, read
/// with `prod.tfvars` as discovered, and `perftest` still listed as a stage of unknown kind.
#[test]
fn declaring_one_variable_file_of_a_shared_root_keeps_the_others_discovered() {
    let fixture = layout("sibling-tfvars-declared");
    assert_eq!(
        resource_groups(&fixture),
        [
            ("aat".into(), "app-Basic-1".into(), "ukwest".into()),
            (
                "production".into(),
                "app-Premium-3".into(),
                "uksouth".into()
            ),
        ]
    );
    let (_, report) = check_json(&fixture, &[]);
    assert_eq!(
        file(&report, "infrastructure/prod.tfvars"),
        ("read", "read for production")
    );
    assert_eq!(
        file(&report, "infrastructure/aat.tfvars"),
        ("read", "read for aat")
    );
    assert_eq!(
        file(&report, "infrastructure/main.tf"),
        (
            "read",
            "read for aat (declared in liftoff.yaml), production"
        )
    );
    let (status, reason) = file(&report, "infrastructure/perftest.tfvars");
    assert_eq!(status, "ignored");
    assert!(
        reason.contains("names the environment `perftest`"),
        "{reason}"
    );
    let stages: Vec<&str> = report["unclassified_stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["perftest"]);
    // A file the declaration does not pass and no name attaches stays no one's.
    assert_eq!(
        file(&report, "infrastructure/common.tfvars"),
        (
            "ignored",
            "a variable file that names no environment, and no root reads it"
        )
    );

    // Declaring production's file too reads the root once per declaration, nothing twice.
    let dir = copy_dir(&fixture);
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        "service: declared-sibling\nenvironments:\n  production:\n    kind: production\n    sources:\n      - {terraform: infrastructure/, var_files: [infrastructure/prod.tfvars]}\n  aat:\n    kind: staging\n    sources:\n      - {terraform: infrastructure/, var_files: [infrastructure/aat.tfvars]}\n",
    )
    .unwrap();
    assert_eq!(resource_groups(dir.path()), resource_groups(&fixture));
    // A root declared for every deployed environment is read only as declared.
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        "service: declared-sibling\nsources:\n  - {terraform: infrastructure/, var_files: [infrastructure/aat.tfvars]}\nenvironments:\n  production:\n    kind: production\n  aat:\n    kind: staging\n",
    )
    .unwrap();
    assert_eq!(
        resource_groups(dir.path()),
        [
            ("aat".into(), "app-Basic-1".into(), "ukwest".into()),
            ("production".into(), "app-Basic-1".into(), "ukwest".into()),
        ]
    );
}

/// `liftoff init` writes the stages of unknown kind as commented blocks; uncommenting one as
/// printed (and saying its kind) reads it, and production is still read with its own file.
#[test]
fn uncommenting_an_unknown_stage_written_by_init_keeps_production_read() {
    let dir = copy_dir(&layout("sibling-tfvars-declared"));
    std::fs::remove_file(dir.path().join("liftoff.yaml")).unwrap();
    liftoff().arg("init").arg(dir.path()).assert().code(0);
    let path = dir.path().join("liftoff.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let block = "  # aat:                        # variable file infrastructure/aat.tfvars: is it staging, qa or development?\n  #   kind: staging\n  #   sources:\n  #     - {terraform: infrastructure/, var_files: [infrastructure/aat.tfvars]}\n";
    assert!(text.contains(block), "{text}");
    let uncommented: String = block
        .lines()
        .map(|line| format!("  {}\n", &line[4..]))
        .collect();
    std::fs::write(&path, text.replace(block, &uncommented)).unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    for f in report["artefacts"].as_array().unwrap() {
        let reason = f["reason"].as_str().unwrap_or_default();
        assert!(!reason.contains("was not read"), "{f}");
    }
    assert_eq!(
        file(&report, "infrastructure/prod.tfvars"),
        ("read", "read for production")
    );
    assert_eq!(
        file(&report, "infrastructure/aat.tfvars"),
        ("read", "read for aat")
    );
    assert_eq!(
        resource_groups(dir.path()),
        [
            ("aat".into(), "app-Basic-1".into(), "ukwest".into()),
            (
                "production".into(),
                "app-Premium-3".into(),
                "uksouth".into()
            ),
        ]
    );
}

/// Without such siblings, production alone is still "only production".
#[test]
fn a_variable_file_of_another_shape_leaves_production_alone() {
    let dir = copy_dir(&layout("sibling-tfvars-shape"));
    for name in ["aat", "demo", "ithc", "perftest"] {
        std::fs::remove_file(dir.path().join(format!("infrastructure/{name}.tfvars"))).unwrap();
    }
    let (_, report) = check_json(dir.path(), &[]);
    let stages = &report["unclassified_stages"];
    assert!(stages.as_array().is_none_or(|a| a.is_empty()), "{stages}");
    let pre = rule_results(&report, "env.pre-production")[0];
    assert_eq!(pre["status"], "fail");
    assert_eq!(pre["message"], "no staging environment: only production");
}
