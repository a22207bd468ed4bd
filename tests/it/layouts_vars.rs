//! Shared folders of variable files and module folders a Makefile fills, with no liftoff.yaml:
//! which root each variable file feeds, and a missing local module folder told apart from one a
//! command clones before `plan`.

use crate::support::*;
use serde_json::Value;
use std::path::PathBuf;

fn layout(name: &str) -> PathBuf {
    root().join("tests/fixtures/layouts-vars").join(name)
}

/// The environments `rule` has a result about `target` in, sorted.
fn environments_of(report: &Value, rule: &str, target: &str) -> Vec<String> {
    let mut out: Vec<String> = rule_results(report, rule)
        .into_iter()
        .filter(|r| r["target"] == target)
        .filter_map(|r| r["environment"].as_str().map(str::to_string))
        .collect();
    out.sort();
    out
}

const APP_READ: &str = "read for production (with infra/settings/production.tfvars.json), qa (with infra/settings/qa.tfvars.json), staging (with infra/settings/staging.tfvars.json)";

#[test]
fn a_shared_variable_folder_feeds_the_root_the_makefile_passes_it_to_and_not_its_neighbour() {
    let (code, report) = check_json(&layout("shared-vars"), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        inferred(&report),
        pairs(&[
            ("production", "production"),
            ("qa", "qa"),
            ("staging", "staging"),
        ])
    );
    assert_eq!(file(&report, "infra/app/main.tf"), ("read", APP_READ));
    // The edge stack declares one of the six values the files set (`region`, with a default)
    // and the Makefile applies it with no variable file: it is one deployment, which its state
    // key puts in production.
    assert_eq!(
        file(&report, "infra/edge/main.tf"),
        (
            "read",
            "read for production (its backend keeps one state, `production/edge.tfstate` at infra/edge/main.tf:5, which names it)"
        )
    );
    assert_eq!(
        environments_of(
            &report,
            "security.no-public-storage",
            "aws_s3_bucket.outage_page"
        ),
        ["production"]
    );
    let public = result(
        &report,
        "security.no-public-storage",
        "aws_s3_bucket.outage_page",
        "production",
    );
    assert_eq!(public["status"], "fail");
    // The app is still judged per environment with its own values.
    let retention = |env| {
        result(
            &report,
            "monitoring.log-retention",
            "aws_cloudwatch_log_group.worker",
            env,
        )["status"]
            .clone()
    };
    assert_eq!(retention("production"), "pass");
    assert_eq!(retention("staging"), "fail");
    assert!(
        report["inferred_environments"][0]["from"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "infra/edge/main.tf:5 (backend state `production/edge.tfstate`)"),
        "{:#}",
        report["inferred_environments"]
    );
}

#[test]
fn with_no_command_a_root_takes_the_folder_when_it_needs_one_of_its_values() {
    let dir = copy_dir(&layout("shared-vars"));
    std::fs::remove_file(dir.path().join("Makefile")).unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    // `environment` has no default: Terraform cannot plan the app without a value for it.
    assert_eq!(file(&report, "infra/app/main.tf"), ("read", APP_READ));
    assert_eq!(
        environments_of(
            &report,
            "security.no-public-storage",
            "aws_s3_bucket.outage_page"
        ),
        ["production"]
    );
}

#[test]
fn with_no_command_a_root_declaring_most_of_the_values_takes_the_folder() {
    let dir = copy_dir(&layout("shared-vars"));
    std::fs::remove_file(dir.path().join("Makefile")).unwrap();
    // Every variable has a default now; the app still declares five of the six values.
    let variables = std::fs::read_to_string(dir.path().join("infra/app/variables.tf")).unwrap();
    write_file(
        dir.path(),
        "infra/app/variables.tf",
        &variables.replace(
            "type = string\n}",
            "type    = string\n  default = \"dev\"\n}",
        ),
    );
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(file(&report, "infra/app/main.tf"), ("read", APP_READ));
    assert_eq!(
        environments_of(
            &report,
            "security.no-public-storage",
            "aws_s3_bucket.outage_page"
        ),
        ["production"]
    );
}

#[test]
fn a_neighbour_whose_state_names_no_environment_is_left_for_a_declaration_not_given_the_folder() {
    let dir = copy_dir(&layout("shared-vars"));
    std::fs::remove_file(dir.path().join("Makefile")).unwrap();
    let main = std::fs::read_to_string(dir.path().join("infra/edge/main.tf")).unwrap();
    write_file(
        dir.path(),
        "infra/edge/main.tf",
        &main.replace("production/edge.tfstate", "edge.tfstate"),
    );
    let (_, report) = check_json(dir.path(), &[]);
    let (status, reason) = file(&report, "infra/edge/main.tf");
    assert_eq!(status, "ignored");
    assert!(
        reason.contains("add `- {terraform: infra/edge/}`"),
        "{reason}"
    );
    assert!(
        environments_of(
            &report,
            "security.no-public-storage",
            "aws_s3_bucket.outage_page"
        )
        .is_empty()
    );
    assert_eq!(file(&report, "infra/app/main.tf"), ("read", APP_READ));
}

#[test]
fn a_module_folder_the_makefile_clones_is_listed_as_not_read_and_the_rest_is_judged() {
    let (code, report) = check_json(&layout("vendored-module"), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    for parse in rule_results(&report, "ops.inputs-parse") {
        assert_eq!(parse["status"], "pass", "{parse:#}");
    }
    assert_eq!(
        file(&report, "deploy/main.tf"),
        (
            "read",
            "read for production (with deploy/environments/production.tfvars), staging (with deploy/environments/staging.tfvars)"
        )
    );
    for module in ["module.cluster", "module.queue"] {
        assert_eq!(
            file(&report, &format!("deploy/main.tf#{module}")),
            (
                "not-read",
                "local module folder `./vendor/modules/platform` does not exist in the repository: Makefile:7 creates it (`git clone` into `deploy/vendor/modules/platform`) before plan, so its resources are not judged (only the inputs written here are)"
            )
        );
    }
    // A local source is no registry module: nothing asks it for a `version`.
    for pinned in rule_results(&report, "env.production-dev-images") {
        assert!(
            !pinned["target"].as_str().unwrap().starts_with("module."),
            "{pinned:#}"
        );
    }
    let retention = result(
        &report,
        "monitoring.log-retention",
        "aws_cloudwatch_log_group.orders",
        "production",
    );
    assert_eq!(retention["status"], "pass");
}

#[test]
fn a_module_folder_a_pipeline_clones_is_listed_as_not_read() {
    let dir = copy_dir(&layout("vendored-module"));
    std::fs::remove_file(dir.path().join("Makefile")).unwrap();
    write_file(
        dir.path(),
        ".github/workflows/plan.yml",
        "name: plan\non: [pull_request]\njobs:\n  plan:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: git clone --depth 1 https://github.com/example-org/platform-modules.git deploy/vendor/modules/platform\n      - run: terraform -chdir=deploy plan -var-file=environments/staging.tfvars\n",
    );
    let (_, report) = check_json(dir.path(), &[]);
    for parse in rule_results(&report, "ops.inputs-parse") {
        assert_eq!(parse["status"], "pass", "{parse:#}");
    }
    let (status, reason) = file(&report, "deploy/main.tf#module.cluster");
    assert_eq!(status, "not-read");
    assert!(
        reason.contains(".github/workflows/plan.yml:8 creates it"),
        "{reason}"
    );
}

#[test]
fn a_module_folder_nothing_creates_is_an_error_at_its_module_block() {
    let dir = copy_dir(&layout("vendored-module"));
    std::fs::remove_file(dir.path().join("Makefile")).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let broken = result(&report, "ops.inputs-parse", "deploy/main.tf", "production");
    assert_eq!(broken["status"], "error");
    assert_eq!(broken["location"]["path"], "deploy/main.tf");
    assert_eq!(broken["location"]["line"], 10);
    let message = broken["message"].as_str().unwrap();
    assert!(
        message.contains(
            "module.cluster: the local module folder `deploy/vendor/modules/platform/kubernetes` (source `./vendor/modules/platform//kubernetes`) is not a directory in the repository, and no Makefile or pipeline liftoff reads creates it"
        ),
        "{message}"
    );
    // The rest of the root is still read and judged.
    let retention = result(
        &report,
        "monitoring.log-retention",
        "aws_cloudwatch_log_group.orders",
        "production",
    );
    assert_eq!(retention["status"], "pass");
    assert_check_input_error(
        dir.path(),
        &[
            "deploy/main.tf:10:1",
            "deploy/vendor/modules/platform/kubernetes",
        ],
    );
}
