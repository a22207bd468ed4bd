//! Environments inferred with no liftoff.yaml from what deploys the files: the stages CI
//! pipelines and serverless.yml files name, repositories that name no environment at all, the
//! `sources:` advice, and `diff` on inferred environments.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/inference").join(name)
}

/// Where an inferred environment was found.
fn from<'a>(report: &'a Value, name: &str) -> Vec<&'a str> {
    report["inferred_environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} not inferred"))["from"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect()
}

/// `rule`'s (status, message) results in `env`.
fn results<'a>(report: &'a Value, rule: &str, env: &str) -> Vec<(&'a str, &'a str)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == rule && r["environment"] == env)
        .map(|r| {
            (
                r["status"].as_str().unwrap(),
                r["message"].as_str().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_github_workflow_deploys_the_stages_its_branch_expression_matrix_and_inputs_give() {
    let (_, report) = check_json(&fixture("gha-serverless"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[
            ("development", "development"),
            ("production", "production"),
            ("staging", "staging"),
            ("uat", "staging"),
        ])
    );
    // `STAGE: ${{ github.ref_name == 'main' && 'prod' || 'dev' }}` then `--stage $STAGE`.
    assert!(
        from(&report, "production")
            .contains(&".github/workflows/deploy.yml:39 (job `deploy` deploys stage `prod`)"),
        "{:?}",
        from(&report, "production")
    );
    assert_eq!(report["inferred_environments"][1]["stage"], "prod");
    // `-s ${{ matrix.stage }}` and `--stage ${{ inputs.stage }}` with the dispatch's choices.
    assert_eq!(
        from(&report, "staging")[0],
        ".github/workflows/deploy.yml:52 (job `rehearse` deploys stage `staging`)"
    );
    assert_eq!(
        from(&report, "uat"),
        vec![".github/workflows/deploy.yml:59 (job `manual` deploys stage `uat`)"]
    );
    // The service is read once per deployed stage, with the stage as the pipeline spells it.
    assert_eq!(
        file(&report, "serverless.yml"),
        (
            "read",
            "read for production (stage prod), staging (stage staging), uat (stage uat)"
        )
    );
    // Production's findings come from production's values (`custom.retention.prod`).
    assert_eq!(
        results(&report, "monitoring.log-retention", "production"),
        vec![("pass", "logs kept 200 days")]
    );
    assert_eq!(
        results(&report, "monitoring.log-retention", "staging"),
        vec![("fail", "logs kept 14 days, shorter than the 30-day floor")]
    );
}

#[test]
fn gitlab_ci_jobs_deploy_their_variables_stage_through_templates_and_includes() {
    let (_, report) = check_json(&fixture("gitlab-serverless"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[
            ("pre-production", "staging"),
            ("production", "production"),
            ("staging", "staging"),
            ("uat", "staging"),
        ])
    );
    // `--stage $CI_COMMIT_REF_NAME` in a job that runs `only: [preprod]`.
    assert_eq!(
        from(&report, "pre-production"),
        vec![".gitlab-ci.yml:44 (job `deploy-rehearsal` deploys stage `preprod`)"]
    );
    // The script is in an included file's template; the stage in the job's variables.
    assert_eq!(
        from(&report, "production")[0],
        "ci/deploy.yml:8 (job `deploy-production` deploys stage `prod`)"
    );
    // A stage set in the project's settings is unknown: the job's environment names it.
    assert_eq!(
        from(&report, "uat"),
        vec![".gitlab-ci.yml:35 (job `deploy-uat` deploys to its environment `uat`)"]
    );
    // `params:` give each stage its values (`${param:retention}`).
    assert!(from(&report, "staging").contains(&"serverless.yml:7 (names stage `staging`)"));
    assert_eq!(
        results(&report, "monitoring.log-retention", "production"),
        vec![("pass", "logs kept 200 days")]
    );
    assert_eq!(
        results(&report, "monitoring.log-retention", "staging"),
        vec![("pass", "logs kept 30 days")]
    );
}

#[test]
fn a_serverless_yml_names_its_stages_in_custom_stages_and_stage_keyed_maps() {
    let (_, report) = check_json(&fixture("custom-stages"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("development", "development"), ("production", "production")])
    );
    assert_eq!(
        from(&report, "production"),
        vec!["serverless.yml:7 (names stage `prod`)"]
    );
    assert_eq!(
        file(&report, "serverless.yml"),
        ("read", "read for production (stage prod)")
    );
}

#[test]
fn a_serverless_compose_deploys_its_services_with_the_pipelines_stage() {
    let (_, report) = check_json(&fixture("sls-compose"), &[]);
    assert_eq!(inferred(&report), pairs(&[("production", "production")]));
    // `--stage $STAGE_NAME`, `STAGE_NAME: ${{ github.ref_name }}`, on a push to one of three
    // branches: `production` is production; `main` and `val` say nothing of their kind.
    assert_eq!(
        from(&report, "production"),
        vec![".github/workflows/release.yml:20 (job `deploy` deploys stage `production`)"]
    );
    assert_eq!(
        report["unclassified_stages"],
        serde_json::json!([
            {"stage": "main", "from": [".github/workflows/release.yml:20 (job `deploy` deploys stage `main`)"]},
            {"stage": "val", "from": [".github/workflows/release.yml:20 (job `deploy` deploys stage `val`)"]},
        ])
    );
    for service in ["api/serverless.yml", "worker/serverless.yml"] {
        assert_eq!(
            file(&report, service),
            ("read", "read for production (stage production)")
        );
    }
    let markdown = printed(&fixture("sls-compose"), "markdown");
    assert!(
        markdown.contains("> stages deployed whose names do not say what they are (not read; declare them in liftoff.yaml): `main`, `val`"),
        "{markdown}"
    );
    let html = printed(&fixture("sls-compose"), "html");
    assert!(
        html.contains("declare them in liftoff.yaml): main, val</p>"),
        "{html}"
    );
    assert_eq!(
        file(&report, "serverless-compose.yml"),
        (
            "read",
            "serverless compose: deploys api/serverless.yml, worker/serverless.yml with one stage, each read as its own service"
        )
    );
    assert_eq!(report["summary"]["error"], 0);
    // Deployed only to stages of unknown kind: named, so never judged as production.
    let dir = copy_dir(&fixture("sls-compose"));
    let workflow = dir.path().join(".github/workflows/release.yml");
    let text = std::fs::read_to_string(&workflow).unwrap();
    std::fs::write(
        &workflow,
        text.replace("[main, val, production]", "[main, val]"),
    )
    .unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert!(report["judged_as_production"].is_null());
    assert_eq!(report["verdicts"]["production"], "not-assessed");
    assert_eq!(report["unclassified_stages"].as_array().unwrap().len(), 2);
    let text = printed(dir.path(), "text");
    assert!(
        text.contains("no stage deployed here says what it is")
            && text.contains(
                "  main: .github/workflows/release.yml:20 (job `deploy` deploys stage `main`)"
            ),
        "{text}"
    );
}

/// `check` in `format` on `dir`: what it prints.
fn printed(dir: &Path, format: &str) -> String {
    let out = liftoff()
        .args(["check", "--format", format])
        .arg(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const NOTICE: &str = "no file names a production environment; these files are judged as production — run `liftoff init` to say otherwise";

#[test]
fn a_lone_k8s_folder_is_judged_as_production_and_the_report_says_so() {
    let (code, report) = check_json(&fixture("k8s-only"), &[]);
    assert_eq!(code, 1);
    assert_eq!(inferred(&report), pairs(&[("production", "production")]));
    assert_eq!(
        from(&report, "production"),
        vec!["k8s/ (no file names production: judged as production)"]
    );
    assert_eq!(report["judged_as_production"]["notice"], NOTICE);
    assert_eq!(
        report["judged_as_production"]["sources"][0]["line"],
        "- {kubernetes: k8s/}"
    );
    // Assessed, never "not assessed": the manifests are production's.
    assert_eq!(report["verdicts"]["production"], "not-ready");
    assert_eq!(
        file(&report, "k8s/deployment.yaml").0,
        "read",
        "{:#}",
        report["artefacts"]
    );
    assert!(
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["environment"] == "production"
                && r["target"].as_str().unwrap_or("").contains("register-web")
                && r["status"] == "fail"),
        "a single replica on `latest` fails in production"
    );
    // Whether another environment exists is not something these files say.
    let pre = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "env.pre-production")
        .unwrap();
    assert_eq!(pre["status"], "fail");
    assert_eq!(pre["decided_by"], "none", "{pre:#}");
    let text = printed(&fixture("k8s-only"), "text");
    assert!(text.contains(&format!("{NOTICE}:\n  k8s/\n")), "{text}");
    let markdown = printed(&fixture("k8s-only"), "markdown");
    assert!(
        markdown.contains(&format!("> **{NOTICE}**: `k8s/`")),
        "{markdown}"
    );
    let html = printed(&fixture("k8s-only"), "html");
    assert!(
        html.contains("judged as production — run `liftoff init` to say otherwise</strong>: k8s/"),
        "{html}"
    );
}

#[test]
fn one_compose_file_is_production_and_development_files_stay_development() {
    let (_, report) = check_json(&fixture("single-compose"), &[]);
    assert_eq!(inferred(&report), pairs(&[("production", "production")]));
    assert_eq!(
        file(&report, "docker-compose.yml"),
        ("read", "merged for production")
    );
    for (path, why) in [
        ("docker-compose.override.yml", "its name says `override`"),
        (
            ".devcontainer/docker-compose.yml",
            "it is under `.devcontainer/`",
        ),
        ("docs/docker-compose.yml", "it is under `docs/`"),
    ] {
        let (status, reason) = file(&report, path);
        assert_eq!(status, "ignored", "{path}");
        assert!(reason.contains(why), "{path}: {reason}");
    }
    // Production is judged on the production file's values (postgres 16), never the
    // override's postgres 12 with its published port.
    let targets: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["environment"] == "production")
        .filter_map(|r| r["message"].as_str())
        .collect();
    assert!(
        !targets
            .iter()
            .any(|m| m.contains("postgres:12") || m.contains("5432")),
        "{targets:?}"
    );
    assert!(
        report["judged_as_production"]["sources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["path"] == "docker-compose.yml"),
        "{:#}",
        report["judged_as_production"]
    );
}

#[test]
fn a_serverless_yml_with_its_default_stage_is_production_read_as_sls_deploy_would() {
    let (_, report) = check_json(&fixture("single-serverless"), &[]);
    assert_eq!(inferred(&report), pairs(&[("production", "production")]));
    assert_eq!(
        file(&report, "serverless.yml"),
        ("read", "read for production (stage dev)")
    );
    assert_eq!(
        results(&report, "monitoring.log-retention", "production"),
        vec![("fail", "logs kept 14 days, shorter than the 30-day floor")]
    );
}

#[test]
fn init_writes_the_judged_files_as_productions_sources_and_check_reads_them_back() {
    for (name, line) in [
        ("k8s-only", "- {kubernetes: k8s/}"),
        ("single-compose", "- {compose: docker-compose.yml}"),
        ("single-serverless", "- {serverless: serverless.yml}"),
    ] {
        let dir = copy_dir(&fixture(name));
        liftoff().arg("init").arg(dir.path()).assert().code(0);
        let text = std::fs::read_to_string(dir.path().join("liftoff.yaml")).unwrap();
        let expected = "environments:
  production:
    kind: production             # from ";
        assert!(text.contains(expected), "{text}");
        assert!(
            text.contains(&format!(
                "    sources:                     # no file names production: these files are judged as production\n      {line}\n"
            )),
            "{text}"
        );
        let (code, report) = check_json(dir.path(), &[]);
        assert_eq!(code, 1, "{name}");
        // With the manifest, nothing is judged by default any more.
        assert!(report["judged_as_production"].is_null(), "{name}");
        assert_eq!(report["verdicts"]["production"], "not-ready", "{name}");
    }
}

#[test]
fn suggested_sources_are_never_preview_ci_docs_or_catalog_files_and_each_reads_back() {
    let (_, report) = check_json(&fixture("advice"), &[]);
    let suggested: Vec<(String, String, String)> = report["suggested_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["environment"].as_str().unwrap().to_string(),
                s["path"].as_str().unwrap().to_string(),
                s["line"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        suggested,
        vec![
            (
                "production".to_string(),
                "deploy/web app/docker-compose.yml".to_string(),
                "- {compose: \"deploy/web app/docker-compose.yml\"}".to_string()
            ),
            (
                "production".to_string(),
                "manifests/".to_string(),
                "- {kubernetes: manifests/}".to_string()
            ),
            (
                "production".to_string(),
                "infra/shared/".to_string(),
                "- {terraform: infra/shared/}".to_string()
            ),
        ]
    );
    // A Backstage entry is no deployment; previews and docs are development's.
    assert!(
        !report["artefacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["path"] == "catalog-info.yaml")
    );
    assert_eq!(file(&report, "k8s/preview/deployment.yaml").0, "ignored");
    assert_eq!(file(&report, "docs/docker-compose.yml").0, "ignored");
    assert_eq!(
        file(&report, "terraform/ci-account/main.tf"),
        ("read", "read for ci")
    );
    assert!(inferred(&report).contains(&("ci".to_string(), "development".to_string())));

    // The block the text report prints is a manifest's `environments:` as printed.
    let text = printed(&fixture("advice"), "text");
    let block: String = text
        .lines()
        .skip_while(|l| *l != "environments:")
        .take_while(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        block.contains("      - {terraform: infra/shared/}\n"),
        "{text}"
    );
    let dir = copy_dir(&fixture("advice"));
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        format!("service: cases\n{block}"),
    )
    .unwrap();
    let (code, pasted) = check_json(dir.path(), &[]);
    assert!(code == 0 || code == 1, "{code}: {block}");
    for path in [
        "deploy/web app/docker-compose.yml",
        "manifests/deployment.yaml",
        "infra/shared/main.tf",
    ] {
        assert_eq!(
            file(&pasted, path).0,
            "read",
            "{path}: {:#}",
            pasted["artefacts"]
        );
    }

    // Each line init writes, uncommented as printed, reads its file.
    for (_, path, line) in &suggested {
        let dir = copy_dir(&fixture("advice"));
        liftoff().arg("init").arg(dir.path()).assert().code(0);
        let written = std::fs::read_to_string(dir.path().join("liftoff.yaml")).unwrap();
        let commented = format!("    #   {line}\n");
        assert!(written.contains(&commented), "{line} in\n{written}");
        let edited = written
            .replacen("    # sources:  ", "    sources:  ", 1)
            .replace(&commented, &format!("      {line}\n"));
        std::fs::write(dir.path().join("liftoff.yaml"), &edited).unwrap();
        let (code, report) = check_json(dir.path(), &[]);
        assert!(code == 0 || code == 1, "{code} for {line}:\n{edited}");
        let read = report["artefacts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["path"].as_str().unwrap().starts_with(path.as_str()))
            .all(|a| a["status"] == "read");
        assert!(read, "{line}: {:#}", report["artefacts"]);
    }
}

#[test]
fn diff_without_a_manifest_compares_inferred_environments_by_any_spelling() {
    let dir = fixture("gha-serverless");
    let out = liftoff()
        .args(["diff", "--from", "uat", "--to", "prod", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (diff["from"].as_str(), diff["to"].as_str()),
        (Some("uat"), Some("production"))
    );
    let out = liftoff()
        .args(["diff", "--from", "stg", "--to", "live"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("staging -> production: "), "{text}");
    // An environment nothing names: the error lists the inferred ones and points at no file.
    let out = liftoff()
        .args(["diff", "--from", "qa", "--to", "production"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("no environment named `qa`: with no liftoff.yaml, the environments are those the deployment files and pipelines name")
            && said.contains("one of development, production, staging, uat"),
        "{said}"
    );
    assert!(!said.contains("liftoff.yaml:"), "{said}");
}

#[test]
fn a_stage_deployed_from_one_service_folder_is_not_read_for_the_others() {
    let (_, report) = check_json(&fixture("gha-monorepo"), &[]);
    assert_eq!(
        inferred(&report),
        pairs(&[("development", "development"), ("production", "production")])
    );
    // `defaults.run.working-directory: services/api` then `sls deploy --stage prod`.
    assert_eq!(
        file(&report, "services/api/serverless.yml"),
        ("read", "read for production (stage prod)")
    );
    // `cd services/experiments` then `sls deploy --stage dev`: never production's.
    let (status, reason) = file(&report, "services/experiments/serverless.yml");
    assert_eq!(status, "ignored");
    assert!(
        reason.contains("services/experiments to development; services/api to production"),
        "{reason}"
    );
    assert!(
        !report["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["environment"] == "production"
                && r["target"].as_str().unwrap_or("").contains("playground")),
        "the sandbox's public function URL is not a production finding"
    );
}

#[test]
fn init_writes_each_serverless_stage_as_spelled_so_the_manifest_reads_the_same_values() {
    for name in ["gha-serverless", "gha-monorepo"] {
        let dir = copy_dir(&fixture(name));
        let (_, before) = check_json(dir.path(), &[]);
        liftoff().arg("init").arg(dir.path()).assert().code(0);
        let text = std::fs::read_to_string(dir.path().join("liftoff.yaml")).unwrap();
        let expected = match name {
            "gha-serverless" => "      - {serverless: serverless.yml, stage: prod}\n",
            _ => "      - {serverless: services/api/serverless.yml, stage: prod}\n",
        };
        assert!(text.contains(expected), "{name}:\n{text}");
        let (_, after) = check_json(dir.path(), &[]);
        assert_eq!(
            results(&after, "monitoring.log-retention", "production"),
            results(&before, "monitoring.log-retention", "production"),
            "{name}"
        );
    }
    // The sandbox stays development's once declared.
    let dir = copy_dir(&fixture("gha-monorepo"));
    liftoff().arg("init").arg(dir.path()).assert().code(0);
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(
        file(&report, "services/experiments/serverless.yml"),
        ("read", "read for development (stage dev)")
    );
}

#[test]
fn pipelines_with_cycles_and_odd_shapes_end_and_name_nothing_they_do_not_state() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".github/workflows")).unwrap();
    std::fs::create_dir_all(root.join("ci")).unwrap();
    std::fs::write(
        root.join("serverless.yml"),
        "service: s\nprovider: {name: aws, runtime: nodejs20.x}\nfunctions: {f: {handler: h.f}}\n",
    )
    .unwrap();
    // Variables that name each other, a stage from a secret, jobs of the wrong shape.
    std::fs::write(
        root.join(".github/workflows/deploy.yml"),
        "on: [push]\nenv: {A: $B, B: $A}\njobs:\n  odd: [1, 2]\n  scalar: yes\n  loop:\n    steps:\n      - run: sls deploy --stage $A\n      - run: sls deploy --stage ${{ secrets.STAGE }}\n      - run: sls deploy --stage ${{ fromJSON(vars.STAGES)[0] }}\n      - run: npm run deploy\n",
    )
    .unwrap();
    std::fs::write(
        root.join("package.json"),
        "{\"scripts\": {\"deploy\": \"npm run deploy\"}}",
    )
    .unwrap();
    // Includes and templates that extend each other.
    std::fs::write(
        root.join(".gitlab-ci.yml"),
        "include: [ci/a.yml]\n.a: {extends: .b}\n.b: {extends: .a}\njob:\n  extends: .a\n  script: [sls deploy --stage $STAGE]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("ci/a.yml"),
        "include: [{local: .gitlab-ci.yml}, {local: ci/a.yml}]\n",
    )
    .unwrap();
    let (code, report) = check_json(root, &[]);
    assert!(code == 0 || code == 1, "{code}");
    // Nothing states a stage: the one serverless.yml is judged as production.
    assert_eq!(inferred(&report), pairs(&[("production", "production")]));
    assert!(report["judged_as_production"].is_object());
}

#[test]
fn a_stage_a_ci_variable_sets_is_unknown_and_its_values_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".github/workflows")).unwrap();
    std::fs::write(
        root.join("serverless.yml"),
        "service: alerts\nprovider:\n  name: aws\n  runtime: nodejs20.x\n  logRetentionInDays: ${self:custom.retention.${sls:stage}, 200}\ncustom:\n  note: stage-keyed values live in SSM\nfunctions:\n  send: {handler: h.send}\n",
    )
    .unwrap();
    std::fs::write(
        root.join(".github/workflows/deploy.yml"),
        "on: {push: {branches: [main]}}\njobs:\n  deploy:\n    environment: production\n    runs-on: ubuntu-latest\n    steps:\n      - run: npx sls deploy --stage ${{ vars.STAGE }}\n",
    )
    .unwrap();
    let (_, report) = check_json(root, &[]);
    assert_eq!(inferred(&report), pairs(&[("production", "production")]));
    assert!(report["inferred_environments"][0]["stage"].is_null());
    assert_eq!(
        file(&report, "serverless.yml"),
        ("read", "read for production (stage unknown)")
    );
    // The fallback `200` is not the value for a stage nobody states, nor is it "forever".
    assert_eq!(
        results(&report, "monitoring.log-retention", "production"),
        vec![(
            "fail",
            "not evidenced: declare `monitoring.log_retention_days` in liftoff.yaml or provide a `logRetentionInDays` whose value the files state"
        )]
    );
    liftoff().arg("init").arg(root).assert().code(0);
    let text = std::fs::read_to_string(root.join("liftoff.yaml")).unwrap();
    assert!(
        text.contains("# its pipeline deploys a serverless stage a CI variable sets"),
        "{text}"
    );
}

#[test]
fn init_offers_stages_of_unknown_kind_as_commented_environments_that_read_back() {
    let dir = copy_dir(&fixture("sls-compose"));
    liftoff().arg("init").arg(dir.path()).assert().code(0);
    let text = std::fs::read_to_string(dir.path().join("liftoff.yaml")).unwrap();
    let block = "  # val:                        # deployed as stage `val`: is it staging, qa or development?\n  #   kind: staging\n  #   sources:\n  #     - {serverless: api/serverless.yml, stage: val}\n  #     - {serverless: worker/serverless.yml, stage: val}\n";
    assert!(text.contains(block), "{text}");
    let uncommented: String = block.lines().map(|l| format!("  {}\n", &l[4..])).collect();
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        text.replace(block, &uncommented),
    )
    .unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        file(&report, "api/serverless.yml"),
        (
            "read",
            "read for production (stage production), val (stage val)"
        )
    );
}

/// A compose stack whose service is pointed at a Google Cloud emulator
/// (`FIRESTORE_EMULATOR_HOST`) is a developer's or CI's stack, though its file is plain
/// `docker-compose.yml`; without the setting the same file is judged as production, and the
/// notice says that no file names production, not that no environment is named (audit25
/// repro-5, `DATASTORE_EMULATOR_HOST` in ONSdigital/eq-questionnaire-runner's test stack).
#[test]
fn a_compose_stack_pointed_at_an_emulator_is_not_production() {
    let dir = root().join("tests/fixtures/inference/emulator-stack");
    let (_, report) = check_json(&dir, &["--offline"]);
    assert!(
        report.get("judged_as_production").is_none(),
        "{}",
        report["judged_as_production"]
    );
    let (status, reason) = file(&report, "docker-compose.yml");
    assert_eq!(
        (status, reason),
        (
            "ignored",
            "a development stack, not production evidence: its service `web` is pointed at an emulator (FIRESTORE_EMULATOR_HOST: firestore:8200, docker-compose.yml:8), which no production uses"
        )
    );
    // The same stack talking to the real service is judged as production.
    let copy = copy_dir(&dir);
    let compose = std::fs::read_to_string(dir.join("docker-compose.yml")).unwrap();
    std::fs::write(
        copy.path().join("docker-compose.yml"),
        compose.replace("      FIRESTORE_EMULATOR_HOST: firestore:8200\n", ""),
    )
    .unwrap();
    std::fs::write(
        copy.path().join("docker-compose.dev.yml"),
        "services:\n  web:\n    environment:\n      DEBUG: \"true\"\n",
    )
    .unwrap();
    let (_, report) = check_json(copy.path(), &["--offline"]);
    assert_eq!(file(&report, "docker-compose.yml").0, "read");
    assert_eq!(
        report["judged_as_production"]["notice"],
        "no file names a production environment; these files are judged as production — run `liftoff init` to say otherwise"
    );
}

#[test]
fn a_compose_stack_that_emulates_aws_is_a_developer_s_stack_not_production() {
    let dir = root().join("tests/fixtures/inference/localstack-stack");
    let out = liftoff()
        .args(["check", "--offline", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report.get("judged_as_production").is_none(),
        "{}",
        report["judged_as_production"]
    );
    let file = report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "docker-compose.yml")
        .unwrap();
    assert_eq!(file["status"], "ignored", "{file}");
    assert!(
        file["reason"].as_str().unwrap().contains("runs localstack"),
        "{file}"
    );
    assert_eq!(report["verdicts"]["production"], "not-assessed");
    // Declared in a manifest, the same file is read as the team says.
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.join("docker-compose.yml"),
        copy.path().join("docker-compose.yml"),
    )
    .unwrap();
    std::fs::write(
        copy.path().join("liftoff.yaml"),
        "service: s\nenvironments:\n  production:\n    kind: production\n    sources: [{compose: docker-compose.yml}]\n",
    )
    .unwrap();
    let out = liftoff()
        .args(["check", "--offline", "--format", "json"])
        .arg(copy.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "docker-compose.yml")
        .unwrap();
    assert_eq!(file["status"], "read", "{file}");
}

/// A compose file of data stores alone beside the code that uses them is the developer's
/// database, never a production suggestion; with the application among its services it is not
/// set aside.
#[test]
fn a_compose_file_of_data_stores_beside_the_code_is_a_developer_s_stack() {
    let dir = root().join("tests/fixtures/inference/stores-beside-code");
    let (_, report) = check_json(&dir, &["--offline"]);
    assert_eq!(
        file(&report, "api/docker-compose.yml"),
        (
            "ignored",
            "a development stack, not production evidence: it runs only data stores (postgres:16, redis:7) beside the source code of the program that uses them, which runs outside compose: a developer's local stack"
        )
    );
    let text = report.to_string();
    assert!(
        !text.contains("{compose: api/docker-compose.yml}"),
        "{text}"
    );

    let copy = copy_dir(&dir);
    let compose = std::fs::read_to_string(dir.join("api/docker-compose.yml")).unwrap();
    std::fs::write(
        copy.path().join("api/docker-compose.yml"),
        format!("{compose}  api:\n    image: ghcr.io/example/orders-api:1.4.2\n"),
    )
    .unwrap();
    let (_, report) = check_json(copy.path(), &["--offline"]);
    let (status, reason) = file(&report, "api/docker-compose.yml");
    assert!(!reason.contains("development stack"), "{status}: {reason}");
}
