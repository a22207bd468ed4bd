//! A Terragrunt unit folder that holds `.tf` files of its own beside a `terraform { source }`:
//! Terragrunt copies the module into its cache, copies the unit's files over it and runs one
//! Terraform root with the unit's `inputs`. liftoff reads that one root, once, never the unit's
//! folder as a root of its own.

use crate::support::*;
use serde_json::Value;
use std::path::PathBuf;

fn fixture() -> PathBuf {
    root().join("tests/fixtures/layouts-tgdup")
}

fn model_json(dir: &std::path::Path) -> Value {
    let out = liftoff()
        .args(["model", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// The model's resources of `env` as (address, "path:line").
fn resources(model: &Value, env: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = model["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["environment"] == env)
        .map(|r| {
            (
                r["address"].as_str().unwrap().to_string(),
                format!(
                    "{}:{}",
                    r["location"]["path"].as_str().unwrap(),
                    r["location"]["line"]
                ),
            )
        })
        .collect();
    out.sort();
    out
}

/// The attribute `key` of the resource at `address` in `env`.
fn attribute(model: &Value, env: &str, address: &str, key: &str) -> Value {
    let found: Vec<&Value> = model["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["environment"] == env && r["address"] == address)
        .collect();
    assert_eq!(found.len(), 1, "{address} in {env}: {found:#?}");
    found[0]["attributes"][key].clone()
}

/// `rule`'s (target, status) results in `env`, sorted.
fn verdicts(report: &Value, rule: &str, env: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = rule_results(report, rule)
        .into_iter()
        .filter(|r| r["environment"] == env)
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

#[test]
fn a_terragrunt_unit_with_files_of_its_own_runs_them_with_its_module_as_one_root() {
    let dir = fixture();
    let model = model_json(&dir);
    // Each resource once, under the unit that runs it: the unit's own files and its module's
    // files make one root, and the unit's folder is no root of its own.
    assert_eq!(
        resources(&model, "production"),
        vec![
            (
                "live/prod/app:aws_db_instance.ledger".into(),
                "live/prod/app/extra.tf:3".into()
            ),
            (
                "live/prod/app:aws_s3_bucket.data".into(),
                "modules/app/main.tf:10".into()
            ),
            (
                "live/prod/queue:aws_cloudwatch_log_group.consumer".into(),
                "live/prod/queue/logs.tf:2".into()
            ),
            (
                "live/prod/queue:module".into(),
                "live/prod/queue/terragrunt.hcl:2".into()
            ),
        ]
    );
    // The unit's own file reads the module's variable, set by the unit's inputs (the default
    // is 0).
    assert_eq!(
        attribute(
            &model,
            "production",
            "live/prod/app:aws_db_instance.ledger",
            "backup_retention_period"
        ),
        14
    );
    assert_eq!(
        attribute(
            &model,
            "production",
            "live/prod/app:aws_db_instance.ledger",
            "identifier"
        ),
        "billing-ledger"
    );
    // A remote module is not read, but the files the unit copies over it run with its inputs.
    assert_eq!(
        attribute(
            &model,
            "production",
            "live/prod/queue:aws_cloudwatch_log_group.consumer",
            "retention_in_days"
        ),
        30
    );
    // A unit without `terraform { source }` runs its own folder in place, with its inputs.
    assert_eq!(
        resources(&model, "staging"),
        vec![(
            "live/staging/app:aws_db_instance.ledger".into(),
            "live/staging/app/main.tf:10".into()
        )]
    );
    assert_eq!(
        attribute(
            &model,
            "staging",
            "live/staging/app:aws_db_instance.ledger",
            "backup_retention_period"
        ),
        1
    );
}

#[test]
fn a_terragrunt_unit_with_files_of_its_own_is_listed_and_judged_once() {
    let (code, report) = check_json(&fixture(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    for (path, reason) in [
        (
            "live/prod/app/terragrunt.hcl",
            "read for production (Terragrunt unit live/prod/app)",
        ),
        (
            "live/prod/app/extra.tf",
            "read for production (Terragrunt unit live/prod/app)",
        ),
        (
            "modules/app/main.tf",
            "read for production (Terragrunt unit live/prod/app)",
        ),
        (
            "live/prod/queue/logs.tf",
            "read for production (Terragrunt unit live/prod/queue)",
        ),
        (
            "live/staging/app/main.tf",
            "read for staging (Terragrunt unit live/staging/app)",
        ),
    ] {
        assert_eq!(file(&report, path), ("read", reason), "{path}");
    }
    // No file names an environment twice.
    for a in report["artefacts"].as_array().unwrap() {
        let reason = a["reason"].as_str().unwrap_or_default();
        assert!(
            !reason.contains("production, production") && !reason.contains("staging, staging"),
            "{reason}"
        );
    }
    // The database the unit's own file declares is judged once per rule, with the retention its
    // inputs give.
    assert_eq!(
        verdicts(&report, "reliability.pitr", "production"),
        vec![("live/prod/app:aws_db_instance.ledger".into(), "pass".into())]
    );
    let backups = verdicts(&report, "reliability.backups", "production");
    assert_eq!(
        backups,
        vec![
            ("live/prod/app:aws_db_instance.ledger".into(), "pass".into()),
            ("live/prod/app:aws_s3_bucket.data".into(), "fail".into()),
        ]
    );
    let ledger = result(
        &report,
        "reliability.backups",
        "live/prod/app:aws_db_instance.ledger",
        "production",
    );
    assert!(
        ledger["message"].as_str().unwrap().contains("kept 14 days"),
        "{ledger:#}"
    );
    assert_eq!(
        verdicts(&report, "ha.db-replica", "production"),
        vec![("live/prod/app:aws_db_instance.ledger".into(), "fail".into())]
    );
}

/// The fixture with one more unit, outside the `live/` tree: `platform/edge`, running the same
/// module with a file of its own.
fn with_edge_unit(manifest: Option<&str>) -> tempfile::TempDir {
    let dir = copy_dir(&fixture());
    write_file(
        dir.path(),
        "platform/edge/terragrunt.hcl",
        "terraform {\n  source = \"../../modules//app\"\n}\n\ninputs = {\n  name = \"edge\"\n}\n",
    );
    write_file(
        dir.path(),
        "platform/edge/edge.tf",
        "resource \"aws_sqs_queue\" \"edge\" {\n  name = var.name\n}\n",
    );
    if let Some(text) = manifest {
        write_file(dir.path(), "liftoff.yaml", text);
    }
    dir
}

#[test]
fn the_files_of_a_terragrunt_unit_that_is_not_read_point_at_the_unit() {
    let dir = with_edge_unit(None);
    let (_, report) = check_json(dir.path(), &[]);
    // The unit names no environment and the service deploys to two: neither it nor its own
    // file is read, and the file is not proposed as a root of its own.
    let (status, reason) = file(&report, "platform/edge/terragrunt.hcl");
    assert_eq!(status, "ignored");
    assert!(reason.contains("path names no environment"), "{reason}");
    assert_eq!(
        file(&report, "platform/edge/edge.tf"),
        (
            "ignored",
            "not read: Terragrunt runs it as part of the unit platform/edge/terragrunt.hcl, which is not read (see that file)"
        )
    );
    let model = model_json(dir.path());
    assert!(
        model["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| !r["address"].as_str().unwrap().starts_with("platform/edge:")),
        "{:#}",
        model["resources"]
    );
}

#[test]
fn a_terragrunt_unit_folder_a_manifest_declares_is_read_once_through_the_unit() {
    let dir = with_edge_unit(Some(
        "service: billing\nenvironments:\n  production:\n    kind: production\n    sources:\n      - {terraform: platform/edge/}\n      - {terraform: live/prod/}\n  staging:\n    kind: staging\n    sources:\n      - {terraform: live/staging/}\n",
    ));
    let (_, report) = check_json(dir.path(), &[]);
    for path in ["platform/edge/terragrunt.hcl", "platform/edge/edge.tf"] {
        assert_eq!(
            file(&report, path),
            (
                "read",
                "read for production (Terragrunt unit platform/edge)"
            ),
            "{path}"
        );
    }
    let model = model_json(dir.path());
    let edge: Vec<(String, String)> = resources(&model, "production")
        .into_iter()
        .filter(|(a, _)| a.starts_with("platform/edge:"))
        .collect();
    assert_eq!(
        edge,
        vec![
            (
                "platform/edge:aws_s3_bucket.data".into(),
                "modules/app/main.tf:10".into()
            ),
            (
                "platform/edge:aws_sqs_queue.edge".into(),
                "platform/edge/edge.tf:1".into()
            ),
        ]
    );
    assert_eq!(
        attribute(
            &model,
            "production",
            "platform/edge:aws_sqs_queue.edge",
            "name"
        ),
        "edge"
    );
}

/// Variable files beside the Terragrunt configuration every unit includes (`live/common.tfvars`
/// beside `live/terragrunt.hcl`, passed to units by `extra_arguments`) belong to the whole tree:
/// the `live/` folder they sit in is Gruntwork's tree of environments, not an environment
/// called live, so no production is inferred from it, nor from the module the units run, and
/// the lone `dev` unit leaves `env.pre-production` a question, not a decided failure (audit23,
/// ushahidi/crowdmap-infra and ush-oss-infra).
#[test]
fn a_variable_file_beside_the_included_terragrunt_root_names_no_environment() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "live/terragrunt.hcl",
        "remote_state {\n  backend = \"s3\"\n  config = {\n    bucket = \"acme-states\"\n    key    = \"${path_relative_to_include()}/terraform.tfstate\"\n    region = \"eu-west-1\"\n  }\n}\n\nterraform {\n  extra_arguments \"common\" {\n    commands           = get_terraform_commands_that_need_vars()\n    required_var_files = [\"${get_parent_terragrunt_dir()}/common.tfvars\"]\n  }\n}\n",
    );
    write_file(dir.path(), "live/common.tfvars", "owner = \"platform\"\n");
    write_file(
        dir.path(),
        "live/dev/files/terragrunt.hcl",
        "terraform {\n  source = \"../../..//stacks/files\"\n}\ninclude {\n  path = find_in_parent_folders()\n}\ninputs = {\n  name = \"acme-dev-files\"\n}\n",
    );
    write_file(
        dir.path(),
        "stacks/files/main.tf",
        "variable \"name\" {}\nvariable \"owner\" {}\nresource \"aws_s3_bucket\" \"files\" {\n  bucket = var.name\n  tags   = { Owner = var.owner }\n}\n",
    );
    let (_, report) = check_json(dir.path(), &["--offline"]);
    let from_live = report["inferred_environments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["from"].as_array().unwrap().iter().any(|f| f == "live/"))
        .count();
    assert_eq!(from_live, 0, "{:#}", report["inferred_environments"]);
    // The module the units run is no deployment of its own either: no production at all, so
    // whether a staging environment exists is a question, not "only development".
    assert_eq!(
        inferred(&report),
        pairs(&[("development", "development")]),
        "{:#}",
        report["inferred_environments"]
    );
    let pre = rule_results(&report, "env.pre-production");
    assert_eq!(pre[0]["decided_by"], "none", "{pre:#?}");
}

/// Var files that Terragrunt passes through `extra_arguments` (`optional_var_files`,
/// `required_var_files`) set the module's variables as `-var-file` does, over the unit's
/// `inputs`: production's `multi_az = true` in `live/prod/env.tfvars` makes its database a
/// standby pair, and the file is listed as read for production (audit23, ushahidi/crowdmap-infra).
/// An optional file that is missing is skipped, as Terragrunt skips it.
#[test]
fn terragrunt_extra_arguments_var_files_set_the_units_variables() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "live/terragrunt.hcl",
        "terraform {\n  extra_arguments \"env_vars\" {\n    commands           = get_terraform_commands_that_need_vars()\n    optional_var_files = [\"${get_terragrunt_dir()}/../env.tfvars\"]\n  }\n}\n",
    );
    write_file(dir.path(), "live/prod/env.tfvars", "multi_az = true\n");
    for env in ["prod", "staging"] {
        write_file(
            dir.path(),
            &format!("live/{env}/db/terragrunt.hcl"),
            "terraform {\n  source = \"../../..//stacks/db\"\n}\ninclude {\n  path = find_in_parent_folders()\n}\ninputs = {\n  multi_az = false\n}\n",
        );
    }
    write_file(
        dir.path(),
        "stacks/db/main.tf",
        "variable \"multi_az\" {\n  default = false\n}\nresource \"aws_db_instance\" \"db\" {\n  engine                  = \"postgres\"\n  instance_class          = \"db.t3.small\"\n  multi_az                = var.multi_az\n  storage_encrypted       = true\n  backup_retention_period = 7\n}\n",
    );
    let (_, report) = check_json(dir.path(), &["--offline"]);
    let replica = |env: &str| {
        let r = result(
            &report,
            "ha.db-replica",
            &format!("live/{env}/db:aws_db_instance.db"),
            if env == "prod" {
                "production"
            } else {
                "staging"
            },
        );
        (
            r["status"].as_str().unwrap().to_string(),
            r["location"]["path"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    assert_eq!(
        replica("prod"),
        ("pass".into(), "live/prod/env.tfvars".into())
    );
    assert_ne!(replica("staging").0, "pass");
    assert_eq!(file(&report, "live/prod/env.tfvars").0, "read");
}
