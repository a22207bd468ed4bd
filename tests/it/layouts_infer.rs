//! Environments inferred on layouts of organisations liftoff was never tuned on (audit 9): a
//! Terragrunt `live/` tree whose environment folders use the team's own names, development and
//! test files that must never be proposed for production, and serverless functions included
//! from other files.

use crate::support::*;
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/layouts-infer").join(name)
}

/// The listed file `path`: (environment, status, reason).
fn file(report: &Value, path: &str) -> (Option<String>, String, String) {
    let a = report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == path)
        .unwrap_or_else(|| panic!("{path} not listed"));
    (
        a["environment"].as_str().map(str::to_string),
        a["status"].as_str().unwrap().to_string(),
        a["reason"].as_str().unwrap_or_default().to_string(),
    )
}

/// `rule`'s (target, status) results in `env`, sorted.
fn verdicts(report: &Value, rule: &str, env: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == rule && r["environment"] == env)
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

/// Every result's target, with its environment.
fn targets(report: &Value) -> Vec<(String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["target"].as_str().unwrap_or_default().to_string(),
                r["environment"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_live_tree_names_its_environments_by_the_folders_below_live() {
    let (code, report) = check_json(&fixture("live-tree"), &[]);
    assert_eq!(code, 1, "production has blocking findings");
    // `live/` is the tree of every deployed environment: production comes from `live/prod/`
    // alone, `ops` from the `environment = "non-prod"` its env.hcl gives the root.
    assert_eq!(
        inferred(&report),
        pairs(&[
            ("non-production", "staging"),
            ("production", "production"),
            ("qa", "qa"),
        ])
    );
    let from = |name: &str| -> Vec<String> {
        report["inferred_environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()["from"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(from("production"), vec!["live/prod/".to_string()]);
    assert_eq!(
        from("non-production"),
        vec![r#"live/ops/env.hcl:3 (environment = "non-prod")"#.to_string()]
    );
    // `playground` says `environment = "plg"`: a name nothing classifies. It is listed as such,
    // with the folder that declares it, and nothing of it is read.
    assert_eq!(
        report["unclassified_stages"],
        serde_json::json!([{
            "stage": "playground",
            "from": [r#"live/playground/env.hcl:5 (environment = "plg")"#],
            "folder": "live/playground/",
        }])
    );
    for path in [
        "live/playground/app/terragrunt.hcl",
        "live/playground/kube/terragrunt.hcl",
        "live/playground/kube/main.tf",
    ] {
        let (env, status, reason) = file(&report, path);
        assert_eq!((env, status.as_str()), (None, "ignored"), "{path}");
        assert!(
            reason.contains("`playground` (live/playground/)")
                && reason.contains("- {terraform: live/playground/}"),
            "{path}: {reason}"
        );
    }
    assert!(
        !targets(&report)
            .iter()
            .any(|(t, _)| t.starts_with("live/playground/")),
        "nothing of playground is judged"
    );
    // The root every environment includes belongs to none of them.
    let (env, status, reason) = file(&report, "live/terragrunt.hcl");
    assert_eq!(
        (env, status.as_str(), reason.as_str()),
        (None, "read", "read for non-production, production, qa")
    );
    assert_eq!(
        file(&report, "live/ops/app/terragrunt.hcl").0.as_deref(),
        Some("non-production")
    );
    // Production's findings are production's files only; the non-production copy is judged
    // at its own kind (a staging finding, not blocking production).
    assert_eq!(
        verdicts(&report, "security.no-public-storage", "production"),
        vec![("live/prod/app:aws_s3_bucket.keys".into(), "fail".into())]
    );
    assert_eq!(
        verdicts(&report, "security.no-public-storage", "non-production"),
        vec![("live/ops/app:aws_s3_bucket.keys".into(), "fail".into())]
    );
    assert_eq!(
        verdicts(&report, "ha.db-replica", "production"),
        vec![("live/prod/app:aws_db_instance.db".into(), "fail".into())]
    );
    assert!(
        verdicts(&report, "reliability.backups", "production")
            .iter()
            .all(|(t, _)| t.starts_with("live/prod/")),
    );
}

#[test]
fn a_live_tree_environment_of_unknown_kind_is_written_by_init_and_reads_back() {
    let dir = copy_dir(&fixture("live-tree"));
    liftoff().args(["init"]).arg(dir.path()).assert().success();
    let manifest = std::fs::read_to_string(dir.path().join("liftoff.yaml")).unwrap();
    assert!(
        manifest.contains(
            "  # playground:                 # Terragrunt environment live/playground/: is it staging, qa or development?\n  #   kind: staging\n  #   sources:\n  #     - {terraform: live/playground/}\n"
        ),
        "{manifest}"
    );
    // Uncommented as written, it reads the playground's units for playground.
    let manifest = manifest
        .replace("  # playground:", "  playground:")
        .replace("  #   kind: staging\n", "    kind: staging\n")
        .replace("  #   sources:\n", "    sources:\n")
        .replace(
            "  #     - {terraform: live/playground/}",
            "      - {terraform: live/playground/}",
        );
    std::fs::write(dir.path().join("liftoff.yaml"), manifest).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    for path in [
        "live/playground/app/terragrunt.hcl",
        "live/playground/kube/main.tf",
    ] {
        let (env, status, _) = file(&report, path);
        assert_eq!(
            (env.as_deref(), status.as_str()),
            (Some("playground"), "read"),
            "{path}"
        );
    }
    assert_eq!(
        verdicts(&report, "security.no-public-storage", "playground"),
        vec![
            (
                "live/playground/app:aws_s3_bucket.keys".into(),
                "fail".into()
            ),
            (
                "live/playground/kube:aws_s3_bucket.manifests".into(),
                "fail".into()
            ),
        ]
    );
}

#[test]
fn a_live_tree_of_house_names_only_is_never_judged_as_production() {
    let dir = tempfile::tempdir().unwrap();
    let root = "locals {\n  env_vars = read_terragrunt_config(find_in_parent_folders(\"env.hcl\"))\n}\n\ninputs = local.env_vars.locals\n";
    let unit = "include \"root\" {\n  path = find_in_parent_folders()\n}\n\nterraform {\n  source = \"../../../modules//bucket\"\n}\n";
    write_file(dir.path(), "live/terragrunt.hcl", root);
    write_file(
        dir.path(),
        "live/ops/env.hcl",
        "locals {\n  environment = \"ops\"\n}\n",
    );
    write_file(dir.path(), "live/ops/bucket/terragrunt.hcl", unit);
    // No env.hcl at all: the folder below `live/` is still the environment, of unknown kind.
    write_file(dir.path(), "live/shared/bucket/terragrunt.hcl", unit);
    write_file(
        dir.path(),
        "live/shared/bucket/extra.tf",
        "resource \"aws_s3_bucket\" \"extra\" {\n  bucket = \"extra\"\n}\n",
    );
    write_file(
        dir.path(),
        "modules/bucket/main.tf",
        "variable \"environment\" {\n  default = \"x\"\n}\n\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b-${var.environment}\"\n}\n",
    );
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(inferred(&report), pairs(&[]));
    assert!(
        report["judged_as_production"].is_null(),
        "{}",
        report["judged_as_production"]
    );
    let stages: Vec<(&str, &str)> = report["unclassified_stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["stage"].as_str().unwrap(), s["folder"].as_str().unwrap()))
        .collect();
    assert_eq!(
        stages,
        vec![("ops", "live/ops/"), ("shared", "live/shared/")]
    );
    for path in [
        "live/ops/bucket/terragrunt.hcl",
        "live/shared/bucket/terragrunt.hcl",
        "live/shared/bucket/extra.tf",
        "modules/bucket/main.tf",
        "live/terragrunt.hcl",
    ] {
        assert_eq!(file(&report, path).1, "ignored", "{path}");
    }
    assert_eq!(
        file(&report, "live/shared/bucket/terragrunt.hcl").2,
        "not read: the Terragrunt environment `shared` (live/shared/) is of a kind nothing tells: live/shared/ (no local or input of its units names the environment); declare it in liftoff.yaml with its `kind:` and `- {terraform: live/shared/}` under its sources"
    );
    assert!(
        file(&report, "modules/bucket/main.tf")
            .2
            .starts_with("not read: the module of the Terragrunt unit live/"),
        "{}",
        file(&report, "modules/bucket/main.tf").2
    );
    assert_eq!(
        file(&report, "live/terragrunt.hcl").2,
        "not read: a Terragrunt configuration that only units of environments of unknown kind include"
    );
    assert!(
        !targets(&report).iter().any(|(_, env)| env == "production"),
        "nothing is judged for production"
    );
}

#[test]
fn a_manifest_that_declares_production_only_never_reads_a_house_named_environment_for_it() {
    let dir = copy_dir(&fixture("live-tree"));
    write_file(
        dir.path(),
        "liftoff.yaml",
        "service: payments\nenvironments:\n  production:\n    kind: production\n",
    );
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(
        file(&report, "live/prod/app/terragrunt.hcl").0.as_deref(),
        Some("production")
    );
    let (env, status, _) = file(&report, "live/playground/app/terragrunt.hcl");
    assert_eq!((env, status.as_str()), (None, "ignored"));
    assert!(
        targets(&report)
            .iter()
            .filter(|(_, env)| env == "production")
            .all(|(t, _)| !t.starts_with("live/playground/") && !t.starts_with("live/ops/")),
    );
}

/// `(environment, path, line)` of every `sources:` line the report suggests.
fn suggested(report: &Value) -> Vec<(String, String, String)> {
    report["suggested_sources"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    (
                        s["environment"].as_str().unwrap().to_string(),
                        s["path"].as_str().unwrap().to_string(),
                        s["line"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn development_stacks_and_test_fixtures_are_never_proposed_for_production() {
    let (code, report) = check_json(&fixture("dev-files"), &[]);
    assert_eq!(code, 1);
    // `terraform/test/` is an environment beside production and staging; the `tests/`,
    // `testdata/`, `__tests__/` and `spec/` folders of the code are not.
    assert_eq!(
        inferred(&report),
        pairs(&[
            ("production", "production"),
            ("staging", "staging"),
            ("test", "development"),
        ])
    );
    let test_from = &report["inferred_environments"].as_array().unwrap()[2]["from"];
    assert_eq!(test_from, &serde_json::json!(["terraform/test/"]));
    // Only the stack the team runs on its server is proposed, and only it.
    assert_eq!(
        suggested(&report),
        vec![(
            "production".to_string(),
            "deploy/app/docker-compose.yml".to_string(),
            "- {compose: deploy/app/docker-compose.yml}".to_string()
        )]
    );
    for (path, why) in [
        (
            "docker-compose.yml",
            "its service `frontend` mounts ./frontend/src, source code of the image it builds from ./frontend, over that image",
        ),
        (
            "services/search/docker-compose.yaml",
            "its service `kafka` tells its clients to reach it at localhost (KAFKA_ADVERTISED_LISTENERS: PLAINTEXT://kafka:29092,PLAINTEXT_HOST://localhost:9092, services/search/docker-compose.yaml:8)",
        ),
        (
            "tools/mail/docker-compose.yml",
            "its service `mail` runs mailhog/mailhog:v1.0.1 (tools/mail/docker-compose.yml:3), a mail catcher",
        ),
        ("cmd/scan/testdata/manifests/test.yaml", "under `testdata/`"),
        ("web/__tests__/k8s/deployment.yaml", "under `__tests__/`"),
        ("spec/fixtures/deployment.yaml", "under `fixtures/`"),
        (
            "tests/k8s/deployment.yaml",
            "under `tests/`, a folder of tests",
        ),
    ] {
        let (env, status, reason) = file(&report, path);
        assert_eq!((env, status.as_str()), (None, "ignored"), "{path}");
        assert!(reason.contains(why), "{path}: {reason}");
    }
    // A Backstage entry is not a deployment file at all.
    assert!(
        !report["artefacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["path"] == "catalog-info.yaml")
    );
    assert!(
        !targets(&report)
            .iter()
            .any(|(t, _)| t.contains("test-operator") || t.contains("frontend")),
        "no fixture or developer service is judged"
    );

    // The block the text report prints, pasted as printed into a manifest, reads the stack.
    let out = liftoff()
        .args(["check"])
        .arg(fixture("dev-files"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let block: String = text
        .lines()
        .skip_while(|l| *l != "environments:")
        .take_while(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        block.contains("      - {compose: deploy/app/docker-compose.yml}\n"),
        "{text}"
    );
    let dir = copy_dir(&fixture("dev-files"));
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        format!("service: cases\n{block}"),
    )
    .unwrap();
    let (code, pasted) = check_json(dir.path(), &[]);
    assert!(code == 0 || code == 1, "{code}: {block}");
    assert_eq!(
        file(&pasted, "deploy/app/docker-compose.yml"),
        (
            Some("production".into()),
            "read".into(),
            "merged for production".into()
        )
    );
    assert_eq!(file(&pasted, "docker-compose.yml").1, "ignored");
}

#[test]
fn a_lone_developer_stack_is_not_judged_as_production() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "docker-compose.yml",
        "services:\n  api:\n    build:\n      context: .\n    volumes:\n      - type: bind\n        source: ./app\n        target: /srv/app\n",
    );
    write_file(dir.path(), "app/main.py", "print('hi')\n");
    // A configuration folder mounted beside an image: a stack a server runs, not a developer's.
    write_file(
        dir.path(),
        "deploy/docker-compose.yml",
        "services:\n  proxy:\n    build: ./nginx\n    volumes:\n      - ./nginx/conf.d:/etc/nginx/conf.d:ro\n    restart: always\n",
    );
    write_file(dir.path(), "deploy/nginx/conf.d/site.conf", "server {}\n");
    write_file(dir.path(), "deploy/nginx/Dockerfile", "FROM nginx:1.27\n");
    let (_, report) = check_json(dir.path(), &[]);
    let (_, status, reason) = file(&report, "docker-compose.yml");
    assert_eq!(status, "ignored");
    assert!(
        reason.contains("its service `api` mounts ./app, source code of the image it builds from ., over that image"),
        "{reason}"
    );
    assert_eq!(
        report["judged_as_production"]["sources"],
        serde_json::json!([{
            "path": "deploy/docker-compose.yml",
            "kind": "compose",
            "environment": "production",
            "line": "- {compose: deploy/docker-compose.yml}",
        }])
    );
}

#[test]
fn a_terragrunt_unit_with_files_of_its_own_names_its_environment_once() {
    let (_, report) = check_json(&fixture("unit-own-files"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    // The unit folder holds a .tf file beside terragrunt.hcl, and the unit runs a module from
    // elsewhere: the unit is read once for production, and says so once.
    assert_eq!(
        file(&report, "live/prod/web/terragrunt.hcl"),
        (
            Some("production".into()),
            "read".into(),
            "read for production (Terragrunt unit live/prod/web)".into()
        )
    );
    // Its own .tf file is part of the unit's one root, read with the module.
    assert_eq!(
        file(&report, "live/prod/web/extra.tf").2,
        "read for production (Terragrunt unit live/prod/web)"
    );
    assert_eq!(
        file(&report, "live/terragrunt.hcl").2,
        "read for production, staging"
    );
    assert_eq!(
        file(&report, "modules/app/main.tf").2,
        "read for production (Terragrunt unit live/prod/web), staging (Terragrunt unit live/staging/web)"
    );
    assert_eq!(
        verdicts(&report, "security.no-public-storage", "staging"),
        vec![("live/staging/web:aws_s3_bucket.keys".into(), "fail".into())]
    );
    let production: Vec<String> = verdicts(&report, "security.no-public-storage", "production")
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        production,
        [
            "live/prod/web:aws_s3_bucket.assets",
            "live/prod/web:aws_s3_bucket.keys"
        ]
    );
}

/// The model's components of `env` as (name, "path:line").
fn components(model: &Value, env: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = model["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["environment"] == env)
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                format!(
                    "{}:{}",
                    c["location"]["path"].as_str().unwrap(),
                    c["location"]["line"]
                ),
            )
        })
        .collect();
    out.sort();
    out
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

#[test]
fn serverless_functions_and_settings_included_from_files_are_read_as_the_framework_merges_them() {
    let dir = fixture("sls-includes");
    let (code, report) = check_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    // `functions:` is a list of `${file(...)}` includes, merged into one map; a function body
    // may be a file of its own. Each function is located where it is written.
    let model = model_json(&dir);
    assert_eq!(
        components(&model, "production"),
        vec![
            ("ScanQueue".into(), "backend/serverless.yml:17".into()),
            ("api".into(), "backend/src/api/functions.yml:1".into()),
            (
                "scanExecution".into(),
                "backend/src/tasks/functions.yml:1".into()
            ),
            (
                "scheduler".into(),
                "backend/src/tasks/scheduler.yml:1".into()
            ),
        ]
    );
    // `environment: ${file(env.yml):${self:provider.stage}, ''}`: each stage's block of the file,
    // production's naming a staging bucket now in plain sight.
    let settings = |env: &str| -> Vec<(String, String, String)> {
        let api = model["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["environment"] == env && c["name"] == "api")
            .unwrap();
        api["settings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_string(),
                    s["value"].as_str().unwrap_or_default().to_string(),
                    format!(
                        "{}:{}",
                        s["location"]["path"].as_str().unwrap(),
                        s["location"]["line"]
                    ),
                )
            })
            .collect()
    };
    assert_eq!(
        settings("production"),
        vec![
            (
                "DB_HOST".into(),
                "records-prod.cluster.internal".into(),
                "backend/env.yml:5".into()
            ),
            (
                "EMAIL_BUCKET_NAME".into(),
                "records-staging-html-email".into(),
                "backend/env.yml:6".into()
            ),
        ]
    );
    assert_eq!(settings("staging")[0].2, "backend/env.yml:2");
    // The included files are listed as read, for each stage.
    for path in [
        "backend/env.yml",
        "backend/src/api/functions.yml",
        "backend/src/tasks/functions.yml",
        "backend/src/tasks/scheduler.yml",
    ] {
        assert_eq!(
            file(&report, path),
            (
                None,
                "read".into(),
                "read for production (stage prod, through backend/serverless.yml), staging (stage staging, through backend/serverless.yml)".into()
            ),
            "{path}"
        );
    }
    // The public API, now seen, is judged: no canary, logs kept forever.
    let at = |rule: &str| -> Vec<(String, String)> {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rule"] == rule && r["environment"] == "production")
            .map(|r| {
                (
                    r["status"].as_str().unwrap().to_string(),
                    format!(
                        "{}:{}",
                        r["location"]["path"].as_str().unwrap(),
                        r["location"]["line"]
                    ),
                )
            })
            .collect()
    };
    assert_eq!(
        at("monitoring.canary"),
        vec![("fail".into(), "backend/src/api/functions.yml:5".into())]
    );
    assert_eq!(
        at("monitoring.log-retention"),
        vec![("fail".into(), "backend/serverless.yml:4".into())]
    );
}

#[test]
fn a_serverless_include_the_framework_would_refuse_is_an_error_at_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "svc/serverless.yml",
        "service: broken\nprovider:\n  name: aws\n  stage: prod\n  environment: ${file(../../outside.yml):prod}\nfunctions:\n  - ${file(./missing.yml)}\n  - ${file(./loop.yml)}\n  - web:\n      handler: h.web\n      environment: ${file(./gone.yml):prod, ''}\n",
    );
    write_file(dir.path(), "svc/loop.yml", "${file(./loop.yml)}\n");
    let out = liftoff()
        .args(["check", "--strict-inputs"])
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "error: `${file(../../outside.yml)}` names a file outside the repository\n  --> svc/serverless.yml:5:16",
        "error: `${file(./missing.yml)}` cannot be resolved: there is no file svc/missing.yml\n  --> svc/serverless.yml:7:5",
        "references lead more than 8 files deep (a file that includes itself?)\n  --> svc/serverless.yml:8:5",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
    // A fallback stands for a missing file, as in the framework.
    assert!(!err.contains("gone.yml"), "{err}");
    // Without --strict-inputs the file is one error in production, and the run goes on.
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(file(&report, "svc/serverless.yml").1, "unreadable");
}

/// dev, tst and prd variable files (seen on entur/tiamat): `tst` is the test environment, and
/// whether it is the one every release goes through before production is a question, not a
/// missing staging environment; once liftoff.yaml says what it is for, the rule judges that.
/// A compose project whose service is told to run as development (`env=dev`) is a developer's
/// stack and is never proposed for production.
#[test]
fn a_test_environment_of_unsaid_purpose_is_asked_about_and_a_dev_compose_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in [
        (
            "terraform/main.tf",
            "variable \"bucket\" {}\n\nresource \"aws_s3_bucket\" \"exports\" {\n  bucket = var.bucket\n}\n",
        ),
        (
            "terraform/env/acme-dev.tfvars",
            "bucket = \"exports-dev\"\n",
        ),
        (
            "terraform/env/acme-tst.tfvars",
            "bucket = \"exports-tst\"\n",
        ),
        (
            "terraform/env/acme-prd.tfvars",
            "bucket = \"exports-prd\"\n",
        ),
        (
            "docker-compose/compose.yaml",
            "services:\n  app:\n    image: registry.example.org/ledger:latest\n    build:\n      context: ..\n    environment:\n      - env=dev\n      - SERVER_PORT=8080\n",
        ),
    ] {
        write_file(dir.path(), path, text);
    }
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[
            ("development", "development"),
            ("production", "production"),
            ("test", "development"),
        ])
    );
    let pre = rule_results(&report, "env.pre-production");
    assert_eq!(pre.len(), 1);
    let message = pre[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "not evidenced: declare whether `test` is a staging environment that mirrors production (its `kind`)"
        ),
        "{message}"
    );
    let (_, status, reason) = file(&report, "docker-compose/compose.yaml");
    assert_eq!(
        (status.as_str(), reason.as_str()),
        (
            "ignored",
            "a development stack, not production evidence: its service `app` is told to run as the development environment (env: dev, docker-compose/compose.yaml:7)"
        )
    );
    assert!(
        report["suggestions"]
            .as_array()
            .is_none_or(|s| s.is_empty()),
        "{}",
        report["suggestions"]
    );
    // Said in liftoff.yaml, the kind decides.
    write_file(
        dir.path(),
        "liftoff.yaml",
        "service: ledger\nenvironments:\n  production: {kind: production, sources: [{terraform: terraform/, var_files: [terraform/env/acme-prd.tfvars]}]}\n  test: {kind: development, sources: [{terraform: terraform/, var_files: [terraform/env/acme-tst.tfvars]}]}\n",
    );
    let (_, report) = check_json(dir.path(), &[]);
    let pre = rule_results(&report, "env.pre-production");
    assert_eq!(
        (pre[0]["status"].as_str(), pre[0]["message"].as_str()),
        (
            Some("fail"),
            Some("no staging environment: only production and test")
        )
    );
}

/// With nothing naming an environment, the files are judged as production; when the only one
/// cannot be read (seen on opengovsg/checkfirst), that still says nothing of other environments:
/// `env.pre-production` asks rather than failing "only production".
#[test]
fn an_unreadable_lone_deployment_file_leaves_other_environments_a_question() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "serverless.yml",
        "service: ledger\nprovider:\n  name: aws\n  runtime: nodejs20.x\nfunctions:\n  api:\n    handler: api.handler\n    events:\n      - http: {path: /, method: get}\n    environment:\n      LOG_LEVEL: info: debug\n",
    );
    let (_, report) = check_json(dir.path(), &[]);
    let pre = rule_results(&report, "env.pre-production");
    assert_eq!(pre.len(), 1);
    assert_eq!(
        pre[0]["message"].as_str(),
        Some(
            "not evidenced: declare `environments` in liftoff.yaml or provide files that name their environments"
        )
    );
    let parse: Vec<&str> = rule_results(&report, "ops.inputs-parse")
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert!(parse.contains(&"error"), "{parse:?}");
}

/// `ops.automated-deploy` passes on a pipeline that deploys, naming the step, and asks when the
/// pipelines here only lint, test or publish documentation (seen on uktrade/data-workspace,
/// whose docs and lint workflows had passed it while CodeBuild deploys the service).
#[test]
fn only_a_pipeline_that_deploys_is_an_automated_deploy() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "infra/production/main.tf",
        "resource \"aws_sqs_queue\" \"jobs\" {\n  name = \"jobs\"\n}\n",
    );
    write_file(
        dir.path(),
        ".github/workflows/lint.yml",
        "on: [push]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: terraform fmt -check -recursive\n",
    );
    write_file(
        dir.path(),
        ".github/workflows/docs.yml",
        "on: {push: {branches: [main]}}\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: mkdocs build\n      - uses: actions/deploy-pages@v4\n",
    );
    let deploy = |report: &Value| {
        let r = rule_results(report, "ops.automated-deploy");
        assert_eq!(r.len(), 1);
        (
            r[0]["status"].as_str().unwrap().to_string(),
            r[0]["message"].as_str().unwrap().to_string(),
        )
    };
    let (status, message) = deploy(&check_json(dir.path(), &[]).1);
    assert_eq!(status, "fail");
    assert!(
        message.starts_with("not evidenced: declare `processes.deploy_pipeline` in liftoff.yaml or provide a pipeline that deploys (.github/workflows/docs.yml and .github/workflows/lint.yml run no deploy step"),
        "{message}"
    );
    write_file(
        dir.path(),
        ".github/workflows/deploy.yml",
        "on: {push: {branches: [main]}}\njobs:\n  apply:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      # terraform apply runs below\n      - run: terraform -chdir=infra/production apply -auto-approve\n",
    );
    let (status, message) = deploy(&check_json(dir.path(), &[]).1);
    assert_eq!(
        (status.as_str(), message.as_str()),
        (
            "pass",
            "deploys from `.github/workflows/deploy.yml` (`terraform apply`)"
        )
    );
    // A job GitHub runs as a deployment to an environment.
    write_file(
        dir.path(),
        ".github/workflows/deploy.yml",
        "on: {push: {branches: [main]}}\njobs:\n  release:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: ./release-it\n",
    );
    let (status, message) = deploy(&check_json(dir.path(), &[]).1);
    assert_eq!(
        (status.as_str(), message.as_str()),
        (
            "pass",
            "deploys from `.github/workflows/deploy.yml` (a job's `environment: production`)"
        )
    );
    // Several pipelines deploy: production's is cited, by its file's name or by the step that
    // names production, not the build or the branch deploy that comes first (audit21).
    write_file(
        dir.path(),
        ".github/workflows/deploy.yml",
        "on: [push]
jobs:
  branch:
    runs-on: ubuntu-latest
    environment: review
    steps:
      - run: kubectl apply -f k8s/
  live:
    runs-on: ubuntu-latest
    environment: prod
    steps:
      - run: kubectl apply -f k8s/
",
    );
    write_file(
        dir.path(),
        ".github/workflows/build.yml",
        "on: [push]
jobs:
  image:
    runs-on: ubuntu-latest
    environment: build-preproduction
    steps:
      - run: docker build .
",
    );
    let (_, message) = deploy(&check_json(dir.path(), &[]).1);
    assert_eq!(
        message,
        "deploys from `.github/workflows/deploy.yml` (a job's `environment: prod`)"
    );
    write_file(
        dir.path(),
        ".github/workflows/production.yml",
        "on: {push: {tags: ['v*']}}
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - run: helm upgrade --install web chart/
",
    );
    let (_, message) = deploy(&check_json(dir.path(), &[]).1);
    assert_eq!(
        message,
        "deploys from `.github/workflows/production.yml` (`helm upgrade`)"
    );
}

/// A CodeBuild buildspec is a pipeline in whatever folder its project names it
/// (`src/api/buildspec.yml`, seen in docgovtnz/birdbanding-services), so a `serverless deploy`
/// there is the automated deploy; one that only tests is still no deploy.
#[test]
fn a_buildspec_in_a_sub_folder_is_the_pipeline_that_deploys() {
    let deploy = |dir: &std::path::Path| {
        let report = check_json(dir, &[]).1;
        let r = rule_results(&report, "ops.automated-deploy");
        assert_eq!(r.len(), 1);
        (
            r[0]["status"].as_str().unwrap().to_string(),
            r[0]["message"].as_str().unwrap().to_string(),
        )
    };
    let fixture = root().join("tests/fixtures/layouts/codebuild");
    assert_eq!(
        deploy(&fixture),
        (
            "pass".to_string(),
            "deploys from `src/api/buildspec.yml` (`serverless deploy`)".to_string()
        )
    );
    let dir = copy_dir(&fixture);
    write_file(
        dir.path(),
        "src/api/buildspec.yml",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - cd src/api && npm ci && npm test\n",
    );
    let (status, message) = deploy(dir.path());
    assert_eq!(status, "fail");
    assert!(
        message.contains("(src/api/buildspec.yml run no deploy step"),
        "{message}"
    );
    // Under another name it is not CodeBuild's file: no pipeline at all.
    std::fs::rename(
        dir.path().join("src/api/buildspec.yml"),
        dir.path().join("src/api/build.yml"),
    )
    .unwrap();
    let (status, message) = deploy(dir.path());
    assert_eq!(status, "fail");
    assert!(message.contains("CI workflow files"), "{message}");
}
