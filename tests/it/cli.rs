//! The command line: exit codes, every command, every class of error.

use crate::support::*;
use predicates::prelude::*;

#[test]
fn exit_codes_follow_readiness() {
    // A manifest that names no environment is evidence of nothing: not assessed, never ready.
    let bare = project("service: s\nstage: staging\n");
    liftoff()
        .arg("check")
        .arg(bare.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("staging:     not assessed"));
    let ready = project(
        "service: s\nstage: staging\nenvironments:\n  staging: {kind: staging, servers: [{name: stg-1, cpu: 2, ram_gb: 4, disk_gb: 50, os: ubuntu-24.04, arch: x86_64}]}\n",
    );
    liftoff()
        .arg("check")
        .arg(ready.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("staging:     ready"));
    // The same deployment says nothing of production: exit 1, and the target is named.
    liftoff()
        .arg("check")
        .arg(ready.path())
        .args(["--stage", "production"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "production:  not assessed (nothing read bears on it)  <- target",
        ));
}

#[test]
fn the_stage_comes_from_the_flag_then_the_manifest_then_production() {
    let dir = project("service: s\nstage: soft-launch\n");
    let json = |args: &[&str]| -> serde_json::Value {
        let out = liftoff()
            .arg("check")
            .arg(dir.path())
            .args(["--format", "json"])
            .args(args)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(json(&[])["stage"], "soft-launch");
    assert_eq!(json(&["--stage", "staging"])["stage"], "staging");
    let bare = project("service: s\n");
    let out = liftoff()
        .arg("check")
        .arg(bare.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["stage"],
        "production"
    );
}

#[test]
fn bad_flags_exit_two() {
    liftoff()
        .args(["check", "--stage", "prod"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("staging, soft-launch, production"));
    liftoff()
        .args(["check", "--format", "yaml"])
        .assert()
        .code(2);
    liftoff().args(["frobnicate"]).assert().code(2);
    liftoff()
        .args(["--today", "2026-13-01", "rules"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such day"));
}

#[test]
fn a_missing_directory_exits_two() {
    liftoff()
        .args(["check", "/nonexistent/liftoff-test"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such directory"));
}

#[test]
fn manifest_errors_name_file_line_column_and_expectation() {
    let dir = project(
        "service: s\nenvironments:\n  production:\n    kind: production\n    servers:\n      - {name: p1, cpu: eight}\n    compnents: []\n",
    );
    assert_check_input_error(
        dir.path(),
        &[
            "liftoff.yaml:6:25",
            "expected a number",
            "unknown key `compnents`",
            "did you mean `components`?",
            "2 problems",
        ],
    );
}

#[test]
fn semantic_errors_are_reported_together() {
    let text = "service: s\nenvironments:\n  production:\n    kind: production\n    servers: [{name: a}, {name: a}]\n    components:\n      - {name: db, kind: database, hosts: [b]}\n  staging: {kind: staging, mirrors: prodution}\n  sandpit: {}\nbackups: [{of: dbb}]\nsources: [{terraform: infra/, compose: docker-compose.yml}]\n";
    let dir = project(text);
    let out = liftoff().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "a second server named `a`",
        "no server named `b` is declared",
        "no environment named `prodution` is declared",
        "did you mean `production`?",
        "environment `sandpit` has no `kind`",
        "no component named `dbb` is declared",
        "this source names 2 kinds",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in\n{err}");
    }
}

#[test]
fn webhook_urls_in_the_manifest_are_refused_without_echoing_them() {
    let dir = project(
        "service: s\nmonitoring:\n  channels: [{slack: \"https://hooks.slack.com/services/T000/B000/SECRETSECRET\"}]\n",
    );
    let out = liftoff().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must name the environment variable"), "{err}");
    // The message names the line but must not repeat the secret: the snippet shows the line, so
    // only the message itself is checked for the value.
    let message_lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("error:") || l.starts_with("  ="))
        .collect();
    assert!(
        message_lines.iter().all(|l| !l.contains("SECRETSECRET")),
        "{err}"
    );
}

#[test]
fn explain_prints_the_rule_documentation() {
    liftoff()
        .args(["explain", "security.db-not-public"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "security.db-not-public: Databases are not publicly accessible",
        ))
        .stdout(predicate::str::contains(
            "stages: staging required · soft-launch required · production required",
        ))
        .stdout(predicate::str::contains("Why it matters"))
        .stdout(predicate::str::contains("Passes"))
        .stdout(predicate::str::contains("Fails"))
        .stdout(predicate::str::contains("Hackney"));
    liftoff()
        .args(["explain", "monitoring.log-retention"])
        .assert()
        .stdout(predicate::str::contains("log_retention_min_days = 30"));
    liftoff()
        .args(["explain", "security.db-not-publik"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "did you mean `security.db-not-public`?",
        ));
}

#[test]
fn rules_lists_the_catalogue() {
    let out = liftoff()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let listed: Vec<&str> = list.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(listed, liftoff::rules::ids().collect::<Vec<_>>());
    liftoff()
        .arg("rules")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "env.pre-production                 - R R",
        ));
    liftoff()
        .args(["rules", "--format", "markdown"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("## `ha.quorum`"));
}

#[test]
fn schema_is_json_schema_and_accepts_every_example() {
    let out = liftoff().arg("schema").output().unwrap();
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["title"], "liftoff.yaml");
    assert!(schema["properties"]["environments"].is_object());
    let validator = jsonschema::validator_for(&schema).unwrap();
    for example in [
        "civil-registry",
        "stats-platform",
        "bibxml-service",
        "soft-launch-beta",
    ] {
        let text =
            std::fs::read_to_string(root().join("examples").join(example).join("liftoff.yaml"))
                .unwrap();
        let doc = liftoff::sources::yaml::parse("liftoff.yaml", &text, Default::default()).unwrap();
        let json = liftoff::sources::schema_check::check(&doc, &doc.roots[0], &schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{example}: {errors:?}");
    }
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish"] {
        liftoff()
            .args(["completions", shell])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("liftoff"));
    }
}

#[test]
fn version_and_help() {
    liftoff()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
    liftoff()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("Exit codes"));
}

#[test]
fn plan_works_from_flags_alone() {
    let empty = tempfile::tempdir().unwrap();
    let out = liftoff()
        .current_dir(empty.path())
        .args([
            "plan",
            "--records-per-year",
            "749970",
            "--attachments-per-record",
            "3",
            "--population",
            "30000000",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["schema"], "liftoff-plan/1");
    assert_eq!(plan["per_year"]["attachments_gb"], 899.96);
    assert_eq!(plan["per_year"]["records_gb"], 13.75);
    assert_eq!(plan["required_gb"], 1013.71);
    assert_eq!(plan["backup_required_gb"], 2027.42);
    assert_eq!(plan["production_servers_required"], 3);
    liftoff()
        .current_dir(empty.path())
        .args(["plan", "--records-per-year", "-5"])
        .assert()
        .code(2);
}

#[test]
fn plan_compares_the_manifest_environments() {
    let out = liftoff()
        .args(["plan", "--format", "json"])
        .arg(root().join("examples/civil-registry"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let envs = plan["environments"].as_array().unwrap();
    let production = envs.iter().find(|e| e["name"] == "production").unwrap();
    assert_eq!(production["provided_gb"], 1100.0);
    assert_eq!(production["ok"], true);
    let backup = envs.iter().find(|e| e["name"] == "backup").unwrap();
    assert_eq!(backup["required_gb"], 2027.42);
    // Flags override the manifest: ten times the records no longer fit.
    liftoff()
        .args(["plan", "--records-per-year", "7499700"])
        .arg(root().join("examples/civil-registry"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("TOO SMALL"));
}

#[test]
fn waivers_lists_every_state() {
    let text = "service: s\naccess: {admins: 9, vpn: false}\nwaivers:\n  - {rule: security.few-admins, reason: a, expires: 2027-06-01}\n  - {rule: security.vpn, reason: b, expires: 2026-12-10}\n  - {rule: security.pentest, reason: c, expires: 2026-01-01}\n  - {rule: ha.quorum, reason: d, expires: 2027-01-01}\n";
    let dir = project(text);
    let out = liftoff()
        .args(["waivers", "--json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let states: Vec<(String, String)> = v["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["rule"].as_str().unwrap().into(),
                w["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("security.few-admins".into(), "active".into()),
            ("security.vpn".into(), "expiring".into()),
            ("security.pentest".into(), "expired".into()),
            ("ha.quorum".into(), "unused".into()),
        ]
    );
    liftoff()
        .arg("waivers")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("expired 2026-01-01"));
}

#[test]
fn a_waiver_of_an_unknown_rule_is_an_input_error() {
    let dir = project(
        "service: s\nwaivers: [{rule: security.db-not-publik, reason: x, expires: 2027-01-01}]\n",
    );
    assert_check_input_error(
        dir.path(),
        &[
            "liftoff.yaml:2:18",
            "did you mean `security.db-not-public`?",
        ],
    );
}

#[test]
fn init_writes_a_manifest_that_checks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("docker-compose.production.yml"),
        "services: {}\n",
    )
    .unwrap();
    liftoff()
        .arg("init")
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "1 environment(s) inferred, 1 of 1 deployment file(s) read",
        ));
    let text = std::fs::read_to_string(dir.path().join("liftoff.yaml")).unwrap();
    assert!(
        text.contains("  production:\n    kind: production             # from docker-compose.production.yml\n    # read for it: docker-compose.production.yml"),
        "{text}"
    );
    // The starter parses and is assessed (not ready, but not an input error).
    liftoff().arg("check").arg(dir.path()).assert().code(1);
    liftoff()
        .arg("init")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    liftoff()
        .arg("init")
        .arg(dir.path())
        .arg("--force")
        .assert()
        .code(0);
}

#[test]
fn output_goes_to_a_file_and_env_filters_results() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let whole = liftoff()
        .args(["check", "--format", "json"])
        .arg(root().join("examples/civil-registry"))
        .output()
        .unwrap();
    let whole: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    // Showing one environment changes neither the verdicts nor the exit code.
    let code = if whole["ready"] == true { 0 } else { 1 };
    liftoff()
        .args(["check", "--format", "json", "--env", "staging", "--output"])
        .arg(&path)
        .arg(root().join("examples/civil-registry"))
        .assert()
        .code(code)
        .stdout("");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r.get("environment").is_none_or(|e| e == "staging"))
    );
    assert_eq!(v["readiness"], whole["readiness"]);
    assert_eq!(
        v["summary"], whole["summary"],
        "the counts are the deployment's"
    );
    assert!(v["results"].as_array().unwrap().len() < whole["results"].as_array().unwrap().len());
    let text = liftoff()
        .args(["check", "--env", "staging"])
        .arg(root().join("examples/civil-registry"))
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    let head: String = text.lines().take(8).collect::<Vec<_>>().join("\n");
    assert!(
        head.contains("showing `staging` only (--env)")
            && head.contains("the verdicts and counts above are the whole deployment's"),
        "{text}"
    );
    liftoff()
        .args(["check", "--env", "prod"])
        .arg(root().join("examples/civil-registry"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `production`?"));
}

#[test]
fn colours_only_when_asked_and_never_with_no_color() {
    let dir = root().join("examples/stats-platform");
    let plain = liftoff().arg("check").arg(&dir).output().unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\u{1b}'));
    let forced = liftoff()
        .args(["check", "--color", "always"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&forced.stdout).contains('\u{1b}'));
}

#[test]
fn a_user_profile_extends_a_builtin_one() {
    let dir = project("service: s\nprofile: ops/profile.yaml\naccess: {admins: 5}\n");
    std::fs::create_dir(dir.path().join("ops")).unwrap();
    std::fs::write(
        dir.path().join("ops/profile.yaml"),
        "name: ours\nextends: baseline\nparams:\n  security.few-admins: {max_admins: 5}\n",
    )
    .unwrap();
    let out = liftoff()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["profile"], "ours");
    let r = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "security.few-admins")
        .unwrap();
    assert_eq!(r["status"], "pass");
    liftoff()
        .args(["check", "--profile", "strikt"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `strict`?"));
}

#[test]
fn the_rule_catalogue_in_docs_is_current() {
    let out = liftoff()
        .args(["rules", "--format", "markdown"])
        .output()
        .unwrap();
    let docs = std::fs::read_to_string(root().join("docs/rules.md")).unwrap();
    assert!(
        docs == String::from_utf8_lossy(&out.stdout),
        "docs/rules.md is stale: regenerate it with `cargo run -- rules --format markdown > docs/rules.md`"
    );
}

const DRIFTING: &str = "service: s\nenvironments:\n  production:\n    kind: production\n    components:\n      - {name: db, kind: database, engine: postgres, version: \"16.4\", instances: 2, public: false}\n      - {name: lb, kind: load-balancer}\n  staging:\n    kind: staging\n    mirrors: production\n    components:\n      - {name: db, kind: database, engine: postgres, version: \"15.8\", instances: 1, public: true}\n";

#[test]
fn diff_lists_every_difference_and_exits_one_on_drift() {
    let dir = project(DRIFTING);
    let out = liftoff()
        .arg("diff")
        .arg(dir.path())
        .args([
            "--from",
            "staging",
            "--to",
            "production",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "liftoff-diff/1");
    assert_eq!(v["in_parity"], false);
    let found: Vec<(String, bool)> = v["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["subject"].as_str().unwrap().to_string(),
                d["drift"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("db.version".into(), true),
            ("db.public".into(), true),
            ("db.instances".into(), false),
            ("lb".into(), false),
        ]
    );
    liftoff()
        .arg("diff")
        .arg(dir.path())
        .args(["--from", "staging", "--to", "production"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "drift     software     db.version: 15.8 -> 16.4",
        ));
    liftoff()
        .arg("diff")
        .arg(dir.path())
        .args([
            "--from",
            "staging",
            "--to",
            "production",
            "--format",
            "markdown",
        ])
        .assert()
        .stdout(predicate::str::contains(
            "| drift | security | `db.public` | true | false |",
        ));
    liftoff()
        .arg("diff")
        .arg(dir.path())
        .args(["--from", "stagin", "--to", "production"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `staging`?"));
}

#[test]
fn accepted_differences_keep_parity() {
    let accepted = DRIFTING.replace(
        "    mirrors: production\n",
        "    mirrors: production\n    accept_differences: [\"db.version\", \"db.public\"]\n",
    );
    let dir = project(&accepted);
    let out = liftoff()
        .arg("diff")
        .arg(dir.path())
        .args([
            "--from",
            "staging",
            "--to",
            "production",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["differences"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["drift"] == true)
            .all(|d| d["accepted"] == true)
    );
    // env.parity reads the same comparison.
    let a = crate::support::assess(&accepted);
    assert_eq!(
        statuses(&a, "env.parity"),
        vec![liftoff::rules::Status::Pass]
    );
    assert_eq!(
        statuses(&crate::support::assess(DRIFTING), "env.parity"),
        vec![liftoff::rules::Status::Fail]
    );
}

#[test]
fn diff_compares_setting_names_never_values() {
    let dir = project(
        "service: s\nenvironments: {production: {kind: production}, staging: {kind: staging}}\n",
    );
    std::fs::write(
        dir.path().join(".env.production"),
        "SENTRY_DSN=https://abc@o1.ingest.example/1\nDEBUG=0\nSHARED=prod-value\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".env.staging"),
        "DEBUG=1\nSHARED=staging-value\n",
    )
    .unwrap();
    let out = liftoff()
        .arg("diff")
        .arg(dir.path())
        .args(["--from", "staging", "--to", "production"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("drift     settings     env.SENTRY_DSN: (absent) -> set"),
        "{text}"
    );
    for value in ["abc@o1", "prod-value", "staging-value"] {
        assert!(!text.contains(value), "a setting value was shown: {text}");
    }
    assert!(
        !text.contains("env.SHARED") && !text.contains("env.DEBUG"),
        "names present in both are not differences"
    );
}
