//! Artefact readers feeding rules: sshd_config and .env files, on realistic and broken fixtures.

use crate::support::*;
use liftoff::rules::Status;
use std::path::Path;

const SECRETS: [&str; 4] = ["django-insecure", "hunter2", "ghp_16C7", "4f8#k2"];

/// A project with a manifest and fixture files copied to the given relative paths.
fn project_with(manifest: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = project(manifest);
    for (fixture, dest) in files {
        let from = root().join("tests/fixtures").join(fixture);
        let to = dir.path().join(dest);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        if from.is_dir() {
            copy_dir_into(&from, &to);
        } else {
            std::fs::copy(&from, &to).unwrap();
        }
    }
    dir
}

/// `check --format json` on `dir` with `extra` flags, which must not end in an input error.
fn check(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let (code, report) = check_json(dir, extra);
    assert!(code != 2, "input error: {report:#}");
    (code, report)
}

/// The report's file list as (path, status, reason) rows.
fn file_rows(model: &liftoff::model::Deployment) -> Vec<(&str, &str, Option<&str>)> {
    model
        .artefacts
        .iter()
        .map(|a| (a.path.as_str(), a.status.as_str(), a.reason.as_deref()))
        .collect()
}

/// `rule`'s result about `target`, if there is one.
fn find_result<'a>(
    report: &'a serde_json::Value,
    rule: &str,
    target: &str,
) -> Option<&'a serde_json::Value> {
    rule_results(report, rule)
        .into_iter()
        .find(|r| r["target"] == target)
}

/// `rule`'s result about `target`; the test fails when there is none.
fn result_for<'a>(
    report: &'a serde_json::Value,
    rule: &str,
    target: &str,
) -> &'a serde_json::Value {
    find_result(report, rule, target).unwrap_or_else(|| panic!("no {rule} result about {target}"))
}

/// The status of `rule`'s result about `target`, or `missing` when there is none.
fn status(report: &serde_json::Value, rule: &str, target: &str) -> String {
    find_result(report, rule, target)
        .map(|r| r["status"].as_str().unwrap().to_string())
        .unwrap_or_else(|| "missing".into())
}

const SERVERS: &str = "service: s\nenvironments:\n  production:\n    kind: production\n    servers: [{name: prod-1}]\n    components: [{name: web, kind: web}]\nmonitoring: {ssh_audit: true}\n";

#[test]
fn a_hardened_sshd_config_passes() {
    let dir = project_with(SERVERS, &[("sshd-hardened/ssh", "ops/ssh")]);
    let (_, report) = check(dir.path(), &[]);
    let r = rule_results(&report, "security.ssh-hardening");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["status"], "pass", "{}", r[0]);
    assert_eq!(r[0]["target"], "sshd:ops/ssh/sshd_config");
    let read = report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "ops/ssh/sshd_config")
        .unwrap();
    assert_eq!(read["status"], "read");
    assert_eq!(
        read["reason"],
        "the SSH policy of every server, with 2 included file(s)"
    );
}

#[test]
fn a_weak_sshd_config_fails_with_every_reason_and_its_line() {
    let dir = project_with(SERVERS, &[("sshd-weak/sshd_config", "sshd_config")]);
    let (_, report) = check(dir.path(), &[]);
    let r = rule_results(&report, "security.ssh-hardening");
    assert_eq!(r[0]["status"], "fail");
    let message = r[0]["message"].as_str().unwrap();
    for expected in [
        "password logins are allowed",
        "root can log in",
        "no second factor",
        "Match Address 10.20.0.0/16 allows passwords",
    ] {
        assert!(
            message.contains(expected),
            "{expected:?} missing from {message}"
        );
    }
    // The first problem found decides the position: PermitRootLogin on line 4 comes after the
    // default for PasswordAuthentication, which has no line of its own.
    assert_eq!(r[0]["location"]["path"], "sshd_config");
}

#[test]
fn ssh_hardening_is_waivable_and_not_applicable_without_servers() {
    let waived = format!(
        "{SERVERS}waivers: [{{rule: security.ssh-hardening, target: \"sshd:*\", reason: bastion replaced in Q1, expires: 2027-01-31}}]\n"
    );
    let dir = project_with(&waived, &[("sshd-weak/sshd_config", "sshd_config")]);
    let (_, report) = check(dir.path(), &[]);
    assert_eq!(
        rule_results(&report, "security.ssh-hardening")[0]["status"],
        "waived"
    );
    let none = project("service: s\nenvironments: {production: {kind: production}}\n");
    let (_, report) = check(none.path(), &[]);
    assert_eq!(
        rule_results(&report, "security.ssh-hardening")[0]["status"],
        "not-applicable"
    );
}

const WEB: &str = "service: s\nenvironments:\n  production:\n    kind: production\n    components: [{name: web, kind: web, env_file: config/production.env}]\n";

#[test]
fn production_settings_evidence_debug_errors_secrets_and_smtp() {
    let dir = project_with(
        &format!("{WEB}data: {{email: true}}\n"),
        &[("dotenv/production.env", "config/production.env")],
    );
    let (_, report) = check(dir.path(), &[]);
    let status = |rule: &str| {
        rule_results(&report, rule)
            .iter()
            .map(|r| r["status"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(status("security.no-debug"), ["pass"]);
    assert_eq!(status("monitoring.error-reporting"), ["pass"]);
    assert_eq!(status("security.plaintext-secrets"), ["pass"]);
    assert_eq!(status("ops.smtp"), ["pass"]);
    let file = report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "config/production.env")
        .unwrap();
    assert_eq!(
        (file["status"].as_str(), file["environment"].as_str()),
        (Some("read"), Some("production"))
    );
}

#[test]
fn a_leaky_env_file_fails_and_never_shows_its_secrets() {
    let dir = project_with(WEB, &[("dotenv/leaky.env", "config/production.env")]);
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    let secrets: Vec<(&str, &str)> = rule_results(&report, "security.plaintext-secrets")
        .iter()
        .map(|r| (r["target"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        secrets,
        vec![
            ("dotenv:config/production.env#API_TOKEN", "fail"),
            ("dotenv:config/production.env#DATABASE_URL", "fail"),
            ("dotenv:config/production.env#SECRET_KEY", "fail"),
        ]
    );
    let debug = rule_results(&report, "security.no-debug");
    assert_eq!(debug[0]["status"], "fail");
    assert_eq!(
        debug[0]["message"],
        "DEBUG=True turns on debug or development mode"
    );
    assert_eq!(debug[0]["location"]["line"], 1);
    assert_eq!(
        rule_results(&report, "monitoring.error-reporting")[0]["message"],
        "SENTRY_DSN is set but empty"
    );
    for format in ["text", "json", "sarif", "junit", "markdown", "html"] {
        let out = liftoff()
            .arg("check")
            .arg(dir.path())
            .args(["--verbose", "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for secret in SECRETS {
            assert!(
                !text.contains(secret),
                "{format} report shows a secret ({secret})"
            );
        }
    }
}

#[test]
fn required_environment_variables_come_from_the_profile() {
    let dir = project_with(
        &format!(
            "{WEB}params:\n  ops.required-env: {{required_env: [DATABASE_URL, SENTRY_DSN, SECRET_KEY], forbidden_env: [DEBUG_TOOLBAR]}}\n"
        ),
        &[("dotenv/production.env", "config/production.env")],
    );
    let (_, report) = check(dir.path(), &[]);
    let r = rule_results(&report, "ops.required-env");
    assert_eq!(r[0]["status"], "fail");
    assert_eq!(r[0]["message"], "SECRET_KEY not set");
    let bare = project(&format!(
        "{}params:\n  ops.required-env: {{required_env: [DATABASE_URL]}}\n",
        WEB.replace(", env_file: config/production.env", "")
    ));
    let (_, report) = check(bare.path(), &[]);
    assert!(
        rule_results(&report, "ops.required-env")[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("not evidenced")
    );
}

#[test]
fn env_files_follow_their_environment_and_bare_ones_are_ignored() {
    let dir = project_with(
        "service: s\nenvironments: {production: {kind: production, components: [{name: web, kind: web}]}}\n",
        &[
            ("dotenv/leaky.env", ".env"),
            ("dotenv/production.env", ".env.production"),
        ],
    );
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let status: Vec<(&str, &str)> = loaded
        .deployment
        .artefacts
        .iter()
        .map(|a| (a.path.as_str(), a.status.as_str()))
        .collect();
    assert_eq!(
        status,
        vec![(".env", "ignored"), (".env.production", "read")]
    );
    let a = assess_in(
        "service: s\n",
        dir.path(),
        liftoff::model::Stage::Production,
    )
    .unwrap();
    assert!(
        statuses(&a, "security.plaintext-secrets")
            .iter()
            .all(|s| *s == Status::NotApplicable)
    );
}

#[test]
fn broken_artefacts_are_input_errors_with_positions() {
    let dir = project(WEB);
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/production.env"),
        "GOOD=1\nthis is not a setting\nQUOTED=\"unterminated\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sshd_config"),
        "PermitRootLogin no\nPasswordAuthenticaton no\n",
    )
    .unwrap();
    let out = liftoff()
        .args(["check", "--strict-inputs"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "config/production.env:2:1",
        "config/production.env:3:8",
        "never closed",
        "sshd_config:2:1",
        "did you mean `passwordauthentication`?",
    ] {
        assert!(err.contains(expected), "{expected:?} missing in\n{err}");
    }
    // By default each broken file is one error result where it applies, and the rest is judged.
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    let errors = rule_results(&report, "ops.inputs-parse");
    let targets: Vec<(&str, &str, Option<&str>)> = errors
        .iter()
        .map(|r| {
            (
                r["target"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
                r["environment"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        targets,
        [
            ("config/production.env", "error", Some("production")),
            ("sshd_config", "error", None)
        ]
    );
    assert_eq!(
        errors[0]["location"],
        serde_json::json!({"path": "config/production.env", "line": 2, "column": 1})
    );
    let missing = project(
        "service: s\nenvironments: {production: {components: [{name: web, kind: web, env_file: nope.env}]}}\n",
    );
    liftoff()
        .arg("check")
        .arg(missing.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("the env_file `nope.env`"));
}

const STACK: &str = "service: registry\nenvironments:\n  production: {kind: production}\n  staging: {kind: staging, mirrors: production}\n";

fn component<'a>(
    model: &'a liftoff::model::Deployment,
    env: &str,
    name: &str,
) -> &'a liftoff::model::Component {
    model
        .environment(env)
        .unwrap()
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{env}/{name}"))
}

#[test]
fn a_compose_stack_with_overlays_becomes_components_per_environment() {
    let dir = project_with(STACK, &[("compose-stack", "deploy")]);
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let model = &loaded.deployment;
    let files = file_rows(model);
    assert_eq!(
        files,
        vec![
            (
                "deploy/.env",
                "ignored",
                Some(
                    "not attached to an environment: name it .env.<environment>, or set it as a component's env_file"
                )
            ),
            (
                "deploy/config/common.env",
                "ignored",
                Some(
                    "not attached to an environment: name it .env.<environment>, or set it as a component's env_file"
                )
            ),
            (
                "deploy/docker-compose.production.yml",
                "read",
                Some("merged for production")
            ),
            (
                "deploy/docker-compose.staging.yml",
                "read",
                Some("merged for staging")
            ),
            (
                "deploy/docker-compose.yml",
                "read",
                Some("merged for production, staging")
            ),
            (
                "deploy/monitoring/prometheus.yml",
                "read",
                Some("scrape configuration")
            ),
        ]
    );
    let web = component(model, "production", "web");
    assert_eq!(web.kind(), liftoff::model::ComponentKind::Web);
    assert_eq!(
        web.image.as_ref().unwrap().value,
        "ghcr.io/example/registry:2024.11.3",
        "interpolated from the .env beside the file"
    );
    let replicas = web.instances.as_ref().unwrap();
    assert_eq!(replicas.value, 3);
    assert_eq!(
        replicas.location().unwrap().to_string(),
        "deploy/docker-compose.production.yml:5:17"
    );
    assert_eq!(web.workers_per_instance.as_ref().unwrap().value, 1);
    assert!(
        web.settings.iter().any(|s| s.name == "TZ"),
        "env_file settings are read through the service"
    );
    assert!(
        web.settings.iter().any(|s| s.name == "ALLOWED_HOSTS"),
        "overlay environment in list form merges"
    );
    assert_eq!(
        component(model, "production", "worker").kind(),
        liftoff::model::ComponentKind::Worker
    );
    assert_eq!(
        component(model, "production", "proxy").kind(),
        liftoff::model::ComponentKind::LoadBalancer
    );
    let db = component(model, "production", "db");
    assert_eq!(
        (
            db.engine.as_ref().unwrap().value.as_str(),
            db.version.as_ref().unwrap().value.as_str()
        ),
        ("postgres", "16.4")
    );
    assert!(
        !db.public.as_ref().unwrap().value,
        "published on the VPN interface only"
    );
    assert!(
        !component(model, "production", "redis")
            .public
            .as_ref()
            .unwrap()
            .value,
        "published on loopback"
    );
    assert!(
        component(model, "staging", "db")
            .public
            .as_ref()
            .unwrap()
            .value,
        "5432:5432 listens on every interface"
    );
}

#[test]
fn compose_facts_drive_the_rules() {
    let dir = project_with(STACK, &[("compose-stack", "deploy")]);
    let (_, report) = check(dir.path(), &[]);
    let by_target = |rule: &str| -> Vec<(String, String)> {
        rule_results(&report, rule)
            .iter()
            .map(|r| {
                (
                    r["target"].as_str().unwrap().to_string(),
                    r["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert!(by_target("security.db-not-public").contains(&(
        "compose:deploy/docker-compose.staging.yml#db".into(),
        "fail".into()
    )));
    assert!(by_target("security.db-not-public").contains(&(
        "compose:deploy/docker-compose.production.yml#db".into(),
        "pass".into()
    )));
    assert!(
        by_target("ha.web-redundancy").contains(&(
            "compose:deploy/docker-compose.production.yml#web".into(),
            "pass".into()
        )),
        "3 replicas behind caddy"
    );
    assert!(by_target("ha.singletons").contains(&(
        "compose:deploy/docker-compose.production.yml#db".into(),
        "pass".into()
    )));
    assert_eq!(
        by_target("security.plaintext-secrets")
            .iter()
            .filter(|(_, s)| s == "fail")
            .count(),
        0,
        "passwords are references"
    );
    // Staging runs Django's development server; the parity report says so.
    let out = liftoff()
        .arg("diff")
        .arg(dir.path())
        .args(["--from", "staging", "--to", "production"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("env.DEBUG"));
}

#[test]
fn development_servers_fail_in_production() {
    let dir = project_with(
        "service: s\nenvironments:\n  production: {kind: production}\n",
        &[("compose-stack", "deploy")],
    );
    std::fs::rename(
        dir.path().join("deploy/docker-compose.staging.yml"),
        dir.path().join("deploy/docker-compose.production.yml"),
    )
    .unwrap();
    let (_, report) = check(dir.path(), &[]);
    let web = result_for(
        &report,
        "env.production-dev-images",
        "compose:deploy/docker-compose.production.yml#web",
    );
    assert_eq!(web["status"], "fail");
    assert_eq!(
        web["message"],
        "runs Django's development server in production"
    );
    let debug = result_for(
        &report,
        "security.no-debug",
        "compose:deploy/docker-compose.production.yml#web",
    );
    assert_eq!(
        debug["message"],
        "DEBUG=1 turns on debug or development mode"
    );
}

#[test]
fn literal_secrets_in_compose_are_reported_by_service() {
    let dir = project("service: s\nenvironments: {production: {kind: production}}\n");
    std::fs::write(
        dir.path().join("docker-compose.production.yml"),
        "services:\n  db:\n    image: postgres:16.4\n    environment:\n      POSTGRES_PASSWORD: correct-horse-battery-staple\n",
    )
    .unwrap();
    let (_, report) = check(dir.path(), &[]);
    let r = rule_results(&report, "security.plaintext-secrets");
    assert_eq!(r[0]["target"], "compose:docker-compose.production.yml#db");
    assert_eq!(r[0]["location"]["line"], 5);
    let out = liftoff()
        .arg("check")
        .arg(dir.path())
        .args(["--format", "json", "--verbose"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("correct-horse"));
}

#[test]
fn broken_compose_files_are_input_errors() {
    let dir = project_with(
        "service: s\nenvironments: {production: {kind: production}}\n",
        &[(
            "compose-broken/docker-compose.production.yml",
            "docker-compose.production.yml",
        )],
    );
    let out = liftoff()
        .args(["check", "--strict-inputs"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "docker-compose.production.yml:5:9",
        "docker-compose.production.yml:7:17",
        "docker-compose.production.yml:9:1",
    ] {
        assert!(err.contains(expected), "{expected:?} missing in\n{err}");
    }
    for expected in [
        "is not a port mapping",
        "is not a replica count",
        "service `api` is the string",
        "did you mean `services`?",
    ] {
        assert!(err.contains(expected), "{expected:?} missing in\n{err}");
    }
}

const CLUSTER: &str = "service: registry\ndata: {population: 30000000}\nenvironments:\n  production: {kind: production}\n  staging: {kind: staging}\n  backup: {kind: backup, location: dc-south}\n";

#[test]
fn an_inventory_gives_servers_roles_facts_and_admins() {
    let dir = project_with(CLUSTER, &[("inventory", "infrastructure/inventory")]);
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let model = &loaded.deployment;
    let files = file_rows(model);
    assert_eq!(
        files,
        vec![
            (
                "infrastructure/inventory/production.yml",
                "read",
                Some("1 host(s) for backup, 4 host(s) for production")
            ),
            (
                "infrastructure/inventory/staging.ini",
                "read",
                Some("1 host(s) for staging")
            ),
        ],
        "group_vars/all.yml is read through the inventory, not as an inventory"
    );
    let production = model.environment("production").unwrap();
    let names: Vec<&str> = production.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["jump-01", "prod-01", "prod-02", "prod-03"]);
    let prod3 = &production.servers[3];
    assert_eq!(
        prod3.cpu.as_ref().unwrap().value,
        4.0,
        "host vars win over group_vars"
    );
    assert_eq!(
        prod3.cpu.as_ref().unwrap().location().unwrap().to_string(),
        "infrastructure/inventory/production.yml:37:16"
    );
    assert_eq!(prod3.ram_gb.as_ref().unwrap().value, 16.0);
    assert_eq!(prod3.os.as_ref().unwrap().value, "ubuntu-24.04");
    assert_eq!(prod3.arch.as_ref().unwrap().value, "x86_64");
    assert_eq!(prod3.role.as_ref().unwrap().value, "worker");
    let backup = &model.environment("backup").unwrap().servers[0];
    assert_eq!(
        (backup.name.as_str(), backup.disk_gb.as_ref().unwrap().value),
        ("backup-01", 2100.0)
    );
    assert_eq!(
        model.access.admins.as_ref().unwrap().value,
        2,
        "present sudoers only"
    );
    assert!(
        model.access.bastion.as_ref().unwrap().value,
        "a jump group is a bastion"
    );
    assert_eq!(
        model.environment("staging").unwrap().servers[0].name,
        "staging-01"
    );
}

#[test]
fn inventory_facts_drive_capacity_and_access_rules() {
    let dir = project_with(CLUSTER, &[("inventory", "infrastructure/inventory")]);
    let (_, report) = check(dir.path(), &[]);
    let status_of = |rule: &str, target: &str| status(&report, rule, target);
    assert_eq!(
        status_of("capacity.server-spec", "server:production/prod-03"),
        "fail",
        "4 cpus are below the production minimum"
    );
    assert_eq!(
        status_of("capacity.server-spec", "server:production/prod-01"),
        "pass"
    );
    assert_eq!(
        status_of("capacity.architecture", "server:production/prod-01"),
        "pass"
    );
    assert_eq!(
        status_of("ha.server-count", "env:production"),
        "pass",
        "3 cluster servers (not the jump host) for 30M people"
    );
    let count = rule_results(&report, "ha.server-count")
        .into_iter()
        .next()
        .unwrap();
    assert_eq!(count["evidence"]["servers"], 3);
    assert_eq!(status_of("security.few-admins", "deployment"), "pass");
    assert_eq!(
        status_of("security.vpn", "deployment"),
        "pass",
        "the bastion evidences operational access"
    );
    let spec = result_for(&report, "capacity.server-spec", "server:production/prod-03");
    assert_eq!(
        spec["location"]["path"],
        "infrastructure/inventory/production.yml"
    );
}

#[test]
fn an_inventory_for_no_declared_environment_is_ignored_with_the_reason() {
    let dir = project_with(
        "service: s\nenvironments: {qa: {kind: qa}}\n",
        &[("inventory/staging.ini", "inventory/staging.ini")],
    );
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    assert_eq!(loaded.deployment.artefacts[0].status.as_str(), "ignored");
    assert!(
        loaded.deployment.artefacts[0]
            .reason
            .as_deref()
            .unwrap()
            .contains(
                "names the environment `staging` (staging), which liftoff.yaml does not declare"
            )
    );
}

#[test]
fn broken_inventories_are_input_errors() {
    let dir = project("service: s\nenvironments: {production: {kind: production}}\n");
    std::fs::create_dir_all(dir.path().join("inventory")).unwrap();
    std::fs::write(
        dir.path().join("inventory/production.yml"),
        "all:\n  children:\n    web:\n      hosts: [web-1, web-2]\n",
    )
    .unwrap();
    assert_check_input_error(
        dir.path(),
        &[
            "inventory/production.yml:4:14",
            "a YAML inventory lists hosts as keys",
        ],
    );
}

#[test]
fn kubernetes_manifests_become_components() {
    let dir = project_with(
        "service: registry\nenvironments: {production: {kind: production}}\n",
        &[("k8s/production", "k8s/production")],
    );
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let read: Vec<(&str, Option<&str>)> = loaded
        .deployment
        .artefacts
        .iter()
        .map(|a| (a.status.as_str(), a.reason.as_deref()))
        .collect();
    let reason = Some("read with the other manifests of production (3 workload(s) in all)");
    assert_eq!(
        read,
        vec![("read", reason), ("read", reason)],
        "both files are read together"
    );
    let model = &loaded.deployment;
    let web = component(model, "production", "web");
    assert_eq!(web.kind(), liftoff::model::ComponentKind::Web);
    assert_eq!(
        web.instances.as_ref().unwrap().value,
        3,
        "the autoscaler's minimum"
    );
    assert_eq!(web.workers_per_instance.as_ref().unwrap().value, 1);
    assert_eq!(web.zones.len(), 3);
    assert!(
        web.settings
            .iter()
            .any(|s| s.name == "DJANGO_SETTINGS_MODULE"),
        "envFrom a ConfigMap"
    );
    let postgres = component(model, "production", "postgres");
    assert_eq!(postgres.kind(), liftoff::model::ComponentKind::Database);
    assert!(
        postgres.public.as_ref().unwrap().value,
        "a LoadBalancer Service exposes it"
    );
}

#[test]
fn kubernetes_facts_drive_the_rules_and_secrets_stay_hidden() {
    let dir = project_with(
        "service: registry\nenvironments: {production: {kind: production}}\n",
        &[("k8s/production", "k8s/production")],
    );
    let (_, report) = check(dir.path(), &[]);
    let status_of = |rule: &str, target: &str| status(&report, rule, target);
    assert_eq!(
        status_of("security.db-not-public", "component:production/postgres"),
        "fail"
    );
    assert_eq!(
        status_of("ha.web-redundancy", "component:production/web"),
        "pass",
        "3 pods behind the Service `web`, which spreads traffic over them"
    );
    assert_eq!(
        status_of("ha.multi-zone", "env:production"),
        "pass",
        "three zones in node affinity"
    );
    assert_eq!(
        status_of("security.no-debug", "component:production/web"),
        "pass"
    );
    assert_eq!(
        status_of("monitoring.error-reporting", "deployment"),
        "fail",
        "SENTRY_DSN is empty"
    );
    let secrets: Vec<String> = rule_results(&report, "security.plaintext-secrets")
        .iter()
        .map(|r| r["target"].as_str().unwrap().to_string())
        .collect();
    assert!(
        secrets.contains(
            &"kubernetes:k8s/production/rendered.yaml#db-credentials.password".to_string()
        ),
        "{secrets:?}"
    );
    // A user name in a Secret authenticates no one: only the password is a committed secret.
    assert!(
        !secrets
            .iter()
            .any(|t| t.ends_with("#db-credentials.username")),
        "{secrets:?}"
    );
    // Settings kept in a Secret object are not secrets unless they authenticate; base64 `data`
    // is decoded before it is judged.
    std::fs::write(
        dir.path().join("k8s/production/settings.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: app-env}\nstringData:\n  PORT: \"8000\"\n  PRIMARY_HOSTNAME: registry.example.gov\n  CELERY_BROKER_URL: redis://localhost:6379\n  BROKER_URL: amqp://app:hunter2hunter2@mq:5672\ndata:\n  API_TOKEN: c2stbGl2ZS0xMjM0NTY3ODkwYWJjZGVm\n  LOG_LEVEL: aW5mbw==\n",
    )
    .unwrap();
    let (_, report) = check(dir.path(), &[]);
    let flagged: Vec<&str> = rule_results(&report, "security.plaintext-secrets")
        .iter()
        .filter(|r| r["status"] == "fail")
        .filter_map(|r| r["target"].as_str())
        .filter(|t| t.contains("settings.yaml"))
        .collect();
    assert_eq!(
        flagged,
        [
            "kubernetes:k8s/production/settings.yaml#app-env.API_TOKEN",
            "kubernetes:k8s/production/settings.yaml#app-env.BROKER_URL"
        ]
    );
    std::fs::remove_file(dir.path().join("k8s/production/settings.yaml")).unwrap();
    for format in ["json", "text", "sarif", "html"] {
        let out = liftoff()
            .arg("check")
            .arg(dir.path())
            .args(["--verbose", "--format", format])
            .output()
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("Pa55w0rd"),
            "{format}"
        );
    }
}

#[test]
fn helm_templates_are_reported_not_misread() {
    let dir = project_with(
        "service: s\nenvironments: {production: {kind: production}}\n",
        &[("helm-chart", "charts/production")],
    );
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let artefact = &loaded.deployment.artefacts[0];
    assert_eq!(artefact.status.as_str(), "ignored");
    assert!(
        artefact
            .reason
            .as_deref()
            .unwrap()
            .contains("is a Helm template, not Kubernetes YAML: run `helm template`"),
        "{artefact:?}"
    );
}

const SERVERLESS: &str = "service: records\nenvironments:\n  production: {kind: production}\n  staging: {kind: staging}\n";

#[test]
fn a_serverless_api_gives_routes_functions_and_monitoring() {
    let dir = project_with(
        SERVERLESS,
        &[("serverless/serverless.yml", "serverless.yml")],
    );
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let model = &loaded.deployment;
    assert_eq!(
        model.artefacts[0].reason.as_deref(),
        Some("read for production (stage production), staging (stage staging)")
    );
    let production = model.environment("production").unwrap();
    let routes: Vec<(String, Option<&str>, bool)> = production
        .routes
        .iter()
        .map(|r| (r.target(), r.authorizer.as_deref(), r.api_key_only))
        .collect();
    assert_eq!(
        routes,
        vec![
            (
                "serverless:listResidents:GET /residents".into(),
                Some("authorizer"),
                false
            ),
            (
                "serverless:getResident:GET /residents/{id}".into(),
                Some("authorizer"),
                false
            ),
            (
                "serverless:exportResidents:POST /residents/export".into(),
                None,
                true
            ),
            ("serverless:docs:GET /api-docs".into(), None, false),
            ("serverless:docs:GET /swagger/{proxy+}".into(), None, false),
        ]
    );
    let webhook = component(model, "production", "webhook");
    assert!(
        webhook.public.as_ref().unwrap().value,
        "a function URL without IAM"
    );
    let table = production
        .components
        .iter()
        .find(|c| c.name == "listResidents")
        .unwrap()
        .settings
        .iter()
        .find(|s| s.name == "TABLE_NAME")
        .unwrap();
    assert_eq!(
        table.value,
        liftoff::model::SettingValue::Literal("residents-production".into()),
        "self references resolve with the stage"
    );
    let sentry = production.components[0]
        .settings
        .iter()
        .find(|s| s.name == "SENTRY_DSN")
        .unwrap();
    assert_eq!(
        sentry.value,
        liftoff::model::SettingValue::Reference,
        "ssm parameters are only known at deploy time"
    );
    assert_eq!(model.monitoring.tracing.as_ref().unwrap().value, "xray");
    // The canary is gated to production by a Condition: it exists for the production read only.
    assert_eq!(model.monitoring.canaries.len(), 1);
    assert_eq!(
        model.monitoring.canaries[0].interval,
        Some(liftoff::model::Duration::from_secs(300))
    );
    assert!(
        model.monitoring.alarm_on("5xx").is_some() && model.monitoring.alarm_on("canary").is_some()
    );
}

#[test]
fn serverless_routes_are_judged_for_authorizers() {
    let dir = project_with(
        SERVERLESS,
        &[("serverless/serverless.yml", "serverless.yml")],
    );
    let (_, report) = check(dir.path(), &[]);
    let by_target: Vec<(String, String)> = rule_results(&report, "security.api-authorizer")
        .iter()
        .filter(|r| r["environment"] == "production")
        .map(|r| {
            (
                r["target"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(by_target.contains(&(
        "serverless:listResidents:GET /residents".into(),
        "pass".into()
    )));
    assert!(by_target.contains(&(
        "serverless:exportResidents:POST /residents/export".into(),
        "fail".into()
    )));
    assert!(by_target.contains(&(
        "serverless:docs:GET /api-docs".into(),
        "not-applicable".into()
    )));
    let public_fn = result_for(
        &report,
        "security.function-not-public",
        "component:production/webhook",
    );
    assert_eq!(public_fn["status"], "fail");
    let canary: Vec<(String, String)> = rule_results(&report, "monitoring.canary")
        .iter()
        .map(|r| {
            (
                r["environment"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(canary.contains(&("production".into(), "pass".into())));
    assert_eq!(
        rule_results(&report, "monitoring.tracing")[0]["status"],
        "pass"
    );
    assert_eq!(
        rule_results(&report, "monitoring.api-alarms")[0]["status"],
        "pass"
    );
    // Waived like any other failure.
    let waived = format!(
        "{SERVERLESS}waivers: [{{rule: security.api-authorizer, target: \"serverless:exportResidents:*\", reason: partner export uses mTLS at the edge, expires: 2027-02-01}}]\n"
    );
    let dir = project_with(&waived, &[("serverless/serverless.yml", "serverless.yml")]);
    let (_, report) = check(dir.path(), &[]);
    let export = result_for(
        &report,
        "security.api-authorizer",
        "serverless:exportResidents:POST /residents/export",
    );
    assert_eq!(export["status"], "waived");
}

#[test]
fn broken_serverless_files_are_input_errors() {
    let dir = project(SERVERLESS);
    std::fs::write(
        dir.path().join("serverless.yml"),
        "service: x\nfunctions: {}\n",
    )
    .unwrap();
    assert_check_input_error(dir.path(), &["this is not a serverless.yml"]);
}

/// `path: ""` is the API's root, as the Serverless Framework reads it (seen on
/// opengovsg/checkfirst, where it had made the file "not parse" and the service unread).
#[test]
fn an_empty_http_path_is_the_root_route() {
    let dir = project(SERVERLESS);
    std::fs::write(dir.path().join("serverless.yml"), "service: x\nprovider: {name: aws}\nfunctions:\n  f:\n    handler: app.handler\n    events:\n      - http: {method: get, path: \"\"}\n").unwrap();
    let (_, report) = check(dir.path(), &[]);
    let route = result_for(&report, "security.api-authorizer", "serverless:f:GET /");
    assert_eq!(route["status"], "fail", "{route}");
}

#[test]
fn artefacts_together_evidence_accounts_metrics_and_quorum() {
    let dir = project_with(STACK, &[("compose-stack", "deploy")]);
    let (_, report) = check(dir.path(), &[]);
    let find = |rule: &str, target: &str| result_for(&report, rule, target).clone();
    let account = find(
        "security.service-accounts",
        "compose:deploy/docker-compose.production.yml#db",
    );
    assert_eq!(account["status"], "pass");
    assert_eq!(
        account["message"], "connects as service account `registry_app`",
        "from the web service's DATABASE_URL"
    );
    // prometheus.yml scrapes the service name once for three web replicas.
    let targets = find("ha.metrics-targets", "deployment");
    assert_eq!(targets["status"], "fail", "{targets}");
    assert_eq!(
        targets["location"]["path"],
        "deploy/monitoring/prometheus.yml"
    );
    assert_eq!(find("monitoring.metrics", "deployment")["status"], "pass");

    let k8s = project_with(
        "service: registry\nenvironments: {production: {kind: production}}\n",
        &[
            ("k8s/production", "k8s/production"),
            ("k8s-monitoring/prometheus.yml", "monitoring/prometheus.yml"),
        ],
    );
    let (_, report) = check(k8s.path(), &[]);
    let find = |rule: &str, target: &str| result_for(&report, rule, target).clone();
    assert_eq!(
        find("ha.metrics-targets", "deployment")["status"],
        "pass",
        "service discovery scrapes every pod"
    );
    let quorum = find("ha.quorum", "component:production/rabbitmq");
    assert_eq!(
        quorum["status"], "fail",
        "two members cannot keep a majority"
    );
}

#[test]
fn broken_kubernetes_manifests_are_input_errors() {
    let dir = project("service: s\nenvironments: {production: {kind: production}}\n");
    std::fs::create_dir_all(dir.path().join("k8s/production")).unwrap();
    std::fs::write(dir.path().join("k8s/production/app.yaml"), "apiVersion: apps/v1\nkind: Deployment\nspec: {replicas: 2}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: [broken\n").unwrap();
    let out = liftoff()
        .args(["check", "--strict-inputs"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("k8s/production/app.yaml:"), "{err}");
    std::fs::write(
        dir.path().join("k8s/production/app.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nspec: {replicas: 2}\n",
    )
    .unwrap();
    assert_check_input_error(
        dir.path(),
        &[
            "k8s/production/app.yaml:1:1",
            "a Kubernetes object without `kind` or `metadata.name`",
        ],
    );
}

/// Hackney's profile: the fixtures follow its conventions (backup tags, at most two indexes).
const TF: &str =
    "service: records\nprofile: hackney\nenvironments: {production: {kind: production}}\n";

#[test]
fn a_terraform_root_per_environment_feeds_the_aws_rules() {
    let dir = project_with(TF, &[("terraform", "terraform")]);
    let (_, report) = check(dir.path(), &[]);
    let status_of = |rule: &str, target: &str| status(&report, rule, target);
    assert_eq!(
        status_of("security.encryption-at-rest", "aws_db_instance.main"),
        "pass"
    );
    assert_eq!(
        status_of(
            "security.encryption-at-rest",
            "aws_s3_bucket.documents[\"scans\"]"
        ),
        "pass",
        "S3 encrypts by default"
    );
    assert_eq!(
        status_of(
            "security.encryption-at-rest",
            "aws_opensearch_domain.search"
        ),
        "pass"
    );
    assert_eq!(
        status_of("security.db-not-public", "aws_db_instance.main"),
        "pass"
    );
    assert_eq!(
        status_of("ha.db-replica", "aws_db_instance.main"),
        "pass",
        "multi_az = \"true\" from a workspace-keyed map"
    );
    assert_eq!(
        status_of("reliability.pitr", "aws_dynamodb_table.residents"),
        "pass"
    );
    assert_eq!(
        status_of("reliability.pitr", "aws_db_instance.main"),
        "pass",
        "backup_retention_period = \"7\""
    );
    assert_eq!(
        status_of("cost.gsi-limit", "aws_dynamodb_table.residents"),
        "waived",
        "an inline liftoff:ignore"
    );
    assert_eq!(
        status_of("cost.preferred-datastore", "aws_db_instance.main"),
        "pass"
    );
    assert_eq!(
        status_of("cost.preferred-datastore", "aws_opensearch_domain.search"),
        "fail"
    );
    assert_eq!(
        status_of("reliability.backup-tags", "aws_db_instance.main"),
        "pass",
        "provider default_tags"
    );
    assert_eq!(
        status_of(
            "reliability.backup-tags",
            "aws_s3_bucket.documents[\"exports\"]"
        ),
        "fail"
    );
    assert_eq!(
        status_of("monitoring.log-retention", "aws_cloudwatch_log_group.api"),
        "pass"
    );
    assert_eq!(
        status_of("monitoring.log-retention", "aws_cloudwatch_log_group.audit"),
        "waived",
        "a checkov skip of CKV_AWS_66"
    );
    assert_eq!(
        status_of("security.search-private", "aws_opensearch_domain.search"),
        "fail"
    );
    assert_eq!(
        status_of(
            "security.no-public-storage",
            "aws_s3_bucket.documents[\"scans\"]"
        ),
        "pass",
        "its public access block"
    );
    assert_eq!(
        status_of(
            "security.no-public-storage",
            "aws_s3_bucket.documents[\"exports\"]"
        ),
        "fail",
        "a public-read ACL resource"
    );
    assert_eq!(
        status_of("security.no-public-storage", "aws_s3_bucket.site"),
        "waived"
    );
    assert_eq!(
        status_of("security.db-not-public", "aws_db_instance.legacy"),
        "missing",
        "commented-out blocks are not resources"
    );
    let gsi = rule_results(&report, "cost.gsi-limit")
        .into_iter()
        .next()
        .unwrap();
    assert_eq!(gsi["location"]["path"], "terraform/production/main.tf");
    assert_eq!(
        gsi["location"]["line"], 49,
        "the first global_secondary_index block"
    );
    assert_eq!(
        gsi["waiver"]["reason"],
        "the third index backs a statutory search (ADR-14)"
    );
}

#[test]
fn terraform_addresses_can_be_waived_and_sarif_points_at_the_line() {
    let waived = format!(
        "{TF}waivers: [{{rule: reliability.backup-tags, target: \"aws_s3_bucket.documents[\\\"exports\\\"]\", reason: exports are regenerated nightly, expires: 2027-01-31}}]\n"
    );
    let dir = project_with(&waived, &[("terraform", "terraform")]);
    let (_, report) = check(dir.path(), &[]);
    let tag = result_for(
        &report,
        "reliability.backup-tags",
        "aws_s3_bucket.documents[\"exports\"]",
    );
    assert_eq!(tag["status"], "waived");
    let out = liftoff()
        .arg("check")
        .arg(dir.path())
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let search = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "security.search-private")
        .unwrap();
    assert_eq!(
        search["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "terraform/production/main.tf"
    );
}

#[test]
fn broken_terraform_is_an_input_error_with_its_position() {
    let dir = project(TF);
    std::fs::create_dir_all(dir.path().join("terraform/production")).unwrap();
    std::fs::write(
        dir.path().join("terraform/production/main.tf"),
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n  tags = {\n}\n",
    )
    .unwrap();
    assert_check_input_error(
        dir.path(),
        &["terraform/production/main.tf:", "HCL syntax error"],
    );
}

#[test]
fn inline_waivers_need_a_reason_and_a_known_rule() {
    let dir = project(TF);
    std::fs::create_dir_all(dir.path().join("terraform/production")).unwrap();
    let tf = dir.path().join("terraform/production/main.tf");
    std::fs::write(
        &tf,
        "# liftoff:ignore cost.gsi-limit\nresource \"aws_dynamodb_table\" \"t\" { name = \"t\" }\n",
    )
    .unwrap();
    assert_check_input_error(
        dir.path(),
        &[
            "terraform/production/main.tf:1:1",
            "needs a rule id and a reason",
        ],
    );
    std::fs::write(&tf, "# liftoff:ignore cost.gsi-limt -- typo\nresource \"aws_dynamodb_table\" \"t\" { name = \"t\" }\n").unwrap();
    assert_check_input_error(dir.path(), &["did you mean `cost.gsi-limit`?"]);
}

#[test]
fn local_modules_are_read_with_their_inputs_and_addresses() {
    let dir = project_with(TF, &[("terraform", "terraform")]);
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let module_db = loaded
        .deployment
        .resources
        .iter()
        .find(|r| r.address == "module.audit_db.aws_db_instance.this")
        .expect("module resource");
    assert_eq!(
        module_db.flag("storage_encrypted"),
        Some(false),
        "the caller's input beats the default"
    );
    assert_eq!(
        module_db.attr("identifier").unwrap().value,
        "records-production-audit"
    );
    assert!(
        module_db.unknown.contains_key("kms_key_id"),
        "an unknown input stays unknown, not the module's default"
    );
    assert_eq!(
        module_db.attr("tags").unwrap().value["BackupPolicy"],
        "Prod",
        "default_tags reach modules"
    );
    assert_eq!(
        module_db.origin.location().unwrap().path.as_ref(),
        "terraform/modules/db/main.tf"
    );
    let files: Vec<(&str, &str)> = loaded
        .deployment
        .artefacts
        .iter()
        .map(|a| (a.path.as_str(), a.status.as_str()))
        .collect();
    assert!(
        files.contains(&("terraform/modules/db/main.tf", "read")),
        "{files:?}"
    );
    assert!(
        files.contains(&("terraform/production/main.tf#module.network", "not-read")),
        "remote modules are listed: {files:?}"
    );
    let (_, report) = check(dir.path(), &[]);
    let encryption = result_for(
        &report,
        "security.encryption-at-rest",
        "module.audit_db.aws_db_instance.this",
    );
    assert_eq!(encryption["status"], "fail");
}

#[test]
fn a_missing_local_module_is_an_input_error() {
    let dir = project(TF);
    std::fs::create_dir_all(dir.path().join("terraform/production")).unwrap();
    std::fs::write(
        dir.path().join("terraform/production/main.tf"),
        "module \"db\" {\n  source = \"../modules/nowhere\"\n}\n",
    )
    .unwrap();
    assert_check_input_error(
        dir.path(),
        &[
            "terraform/production/main.tf:1:1",
            "is not a directory in the repository",
        ],
    );
}

#[test]
fn terraform_monitoring_resources_evidence_canary_alarms_and_tracing() {
    let dir = project_with(TF, &[("terraform", "terraform")]);
    let (_, report) = check(dir.path(), &[]);
    let one = |rule: &str| one_of(&report, rule);
    let canary = one("monitoring.canary");
    assert_eq!(canary["target"], "aws_api_gateway_rest_api.records");
    assert_eq!(canary["status"], "pass", "{canary}");
    assert_eq!(one("monitoring.api-alarms")["status"], "pass");
    let tracing = one("monitoring.tracing");
    assert_eq!(tracing["status"], "pass");
    assert_eq!(tracing["location"]["path"], "terraform/production/main.tf");

    // Without the canary's schedule being frequent enough, and without the 5xx alarm, both fail.
    let tf = dir.path().join("terraform/production/main.tf");
    let text = std::fs::read_to_string(&tf)
        .unwrap()
        .replace("rate(5 minutes)", "rate(1 hour)")
        .replace("\"5XXError\"", "\"Latency\"");
    std::fs::write(&tf, text).unwrap();
    let (_, report) = check(dir.path(), &[]);
    assert_eq!(one_of(&report, "monitoring.canary")["status"], "fail");
    let alarms = one_of(&report, "monitoring.api-alarms");
    assert_eq!(alarms["status"], "fail");
    assert!(
        alarms["message"].as_str().unwrap().contains("5xx"),
        "{alarms}"
    );
}

fn one_of(report: &serde_json::Value, rule: &str) -> serde_json::Value {
    let found = rule_results(report, rule);
    assert_eq!(found.len(), 1, "{rule}: {found:?}");
    found[0].clone()
}

#[test]
fn terraform_api_methods_functions_and_db_storage_are_judged() {
    let dir = project_with(TF, &[("terraform", "terraform")]);
    let (_, report) = check(dir.path(), &[]);
    let status_of = |rule: &str, target: &str| status(&report, rule, target);
    let authorizer = "security.api-authorizer";
    assert_eq!(
        status_of(authorizer, "aws_api_gateway_method.get_records"),
        "pass"
    );
    assert_eq!(
        status_of(authorizer, "aws_api_gateway_method.post_records"),
        "fail",
        "an API key is not authentication"
    );
    assert_eq!(
        status_of(authorizer, "aws_api_gateway_method.get_docs"),
        "not-applicable",
        "the docs path is public by design"
    );
    assert_eq!(
        status_of(authorizer, "aws_api_gateway_method.records_preflight"),
        "not-applicable",
        "CORS preflight carries no credentials"
    );
    let functions = "security.function-not-public";
    assert_eq!(status_of(functions, "aws_lambda_function.records"), "pass");
    assert_eq!(status_of(functions, "aws_lambda_function.export"), "fail");
    assert_eq!(
        status_of(functions, "aws_lambda_permission.anyone"),
        "fail",
        "a permission naming its function literally is judged on its own"
    );
    let export = result_for(&report, functions, "aws_lambda_function.export");
    assert!(
        export["message"]
            .as_str()
            .unwrap()
            .contains("aws_lambda_function_url.export"),
        "{export}"
    );
    assert_eq!(status_of("capacity.ssd", "aws_db_instance.main"), "pass");
    assert_eq!(
        status_of("capacity.ssd", "module.audit_db.aws_db_instance.this"),
        "fail",
        "the module's default storage_type is magnetic"
    );
    let loss = "monitoring.message-loss";
    assert_eq!(
        status_of(loss, "aws_sqs_queue.certificates"),
        "pass",
        "redrive_policy known only after apply still counts"
    );
    assert_eq!(
        status_of(loss, "aws_sqs_queue.certificates_dlq"),
        "pass",
        "its depth alarm"
    );
    assert_eq!(status_of(loss, "aws_sqs_queue.notifications"), "fail");
    assert_eq!(status_of(loss, "aws_sns_topic.births"), "pass");
    assert_eq!(status_of(loss, "aws_sns_topic.deaths"), "fail");
    let firewall = "security.internal-behind-firewall";
    assert_eq!(status_of(firewall, "aws_security_group.web"), "pass");
    assert_eq!(
        status_of(firewall, "aws_security_group.bastion"),
        "fail",
        "SSH open to the world"
    );
    assert_eq!(
        status_of(firewall, "aws_security_group_rule.debug"),
        "fail",
        "every port"
    );
    assert_eq!(
        status_of(firewall, "aws_vpc_security_group_ingress_rule.http"),
        "pass"
    );
    assert_eq!(
        status_of(firewall, "deployment"),
        "pass",
        "security groups are the firewall when the manifest says nothing"
    );
    let bastion = result_for(&report, firewall, "aws_security_group.bastion");
    assert!(
        bastion["message"]
            .as_str()
            .unwrap()
            .contains("port 22 to 0.0.0.0/0"),
        "{bastion}"
    );
    let secrets = "security.plaintext-secrets";
    assert_eq!(
        status_of(secrets, "aws_rds_cluster.reporting.master_password"),
        "fail",
        "a variable default is committed"
    );
    assert_eq!(
        status_of(
            secrets,
            "aws_db_instance.archive.manage_master_user_password"
        ),
        "missing",
        "a flag named like a password holds no secret"
    );
    let text = serde_json::to_string(&report).unwrap();
    assert!(
        !text.contains("change-me-before-launch"),
        "the secret never reaches a report"
    );
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let cluster = loaded
        .deployment
        .resources
        .iter()
        .find(|r| r.address == "aws_rds_cluster.reporting")
        .unwrap();
    assert_eq!(
        cluster.attr("master_password").unwrap().value,
        "[redacted]",
        "the secret never enters the model"
    );
    let zones = rule_results(&report, "ha.multi-zone")
        .into_iter()
        .find(|r| r["environment"] == "production")
        .unwrap();
    assert_eq!(zones["status"], "fail", "{zones}");
    assert!(
        zones["message"].as_str().unwrap().contains("spans 2 zones"),
        "{zones}"
    );
    let images = "env.production-dev-images";
    assert_eq!(
        status_of(images, "module.network"),
        "pass",
        "a registry version"
    );
    assert_eq!(
        status_of(images, "module.dns"),
        "fail",
        "a git source without ?ref="
    );
    // A well-known remote module that is not installed is judged as what it creates.
    let db = "module.reports_db.aws_db_instance.this";
    assert_eq!(status_of("security.encryption-at-rest", db), "fail");
    assert_eq!(status_of("security.db-not-public", db), "fail");
    assert_eq!(status_of("ha.db-replica", db), "pass");
    assert_eq!(
        status_of("security.db-not-public", "module.dns"),
        "missing",
        "a module without the input is not judged"
    );
}

#[test]
fn terraform_variables_files_and_workspace_come_from_the_command_line() {
    let dir = project_with(TF, &[("terraform", "terraform")]);
    std::fs::write(
        dir.path().join("terraform/production/workspace.tf"),
        "resource \"aws_dynamodb_table\" \"sessions\" {\n  name = \"sessions\"\n  hash_key = \"id\"\n  \
         point_in_time_recovery { enabled = true }\n  \
         tags = { BackupPolicy = terraform.workspace == \"production\" ? \"Prod\" : \"None\" }\n}\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("overrides")).unwrap();
    std::fs::write(
        dir.path().join("overrides/ops.tfvars"),
        "environment = \"staging\"\n",
    )
    .unwrap();

    let replica =
        |report: &serde_json::Value| status(report, "ha.db-replica", "aws_db_instance.main");
    let (_, plain) = check(dir.path(), &[]);
    assert_eq!(replica(&plain), "pass");
    assert_eq!(
        status(
            &plain,
            "reliability.backup-tags",
            "aws_dynamodb_table.sessions"
        ),
        "fail",
        "the workspace is `default`, as in Terraform, not the folder's name"
    );

    let (_, with_var) = check(dir.path(), &["--var", "environment=staging"]);
    assert_eq!(replica(&with_var), "fail", "staging's multi_az = \"false\"");

    let var_file = dir.path().join("overrides/ops.tfvars");
    let (_, with_file) = check(dir.path(), &["--var-file", var_file.to_str().unwrap()]);
    assert_eq!(replica(&with_file), "fail");
    let (_, both) = check(
        dir.path(),
        &[
            "--var-file",
            var_file.to_str().unwrap(),
            "--var",
            "environment=production",
        ],
    );
    assert_eq!(replica(&both), "pass", "--var beats --var-file");

    let (_, other_workspace) = check(dir.path(), &["--workspace", "production"]);
    assert_eq!(
        status(
            &other_workspace,
            "reliability.backup-tags",
            "aws_dynamodb_table.sessions"
        ),
        "pass"
    );

    liftoff()
        .arg("check")
        .arg(dir.path())
        .args(["--var-file", "/nonexistent/prod.tfvars"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--var-file names a file that does not exist",
        ));
    liftoff()
        .arg("check")
        .arg(dir.path())
        .args(["--var", "no-equals-sign"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not NAME=VALUE"));
}

#[test]
fn remote_modules_installed_by_terraform_init_are_read() {
    let dir = project_with(TF, &[("terraform", "terraform")]);
    let modules = dir.path().join("terraform/production/.terraform/modules");
    std::fs::create_dir_all(modules.join("network")).unwrap();
    std::fs::write(
        modules.join("modules.json"),
        r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"network","Source":"registry.terraform.io/terraform-aws-modules/vpc/aws","Version":"5.8.1","Dir":".terraform/modules/network"}]}"#,
    )
    .unwrap();
    std::fs::write(
        modules.join("network/main.tf"),
        "variable \"name\" { default = \"vpc\" }\n\nresource \"aws_s3_bucket\" \"flow_logs\" {\n  bucket = \"${var.name}-flow-logs\"\n  acl    = \"public-read\"\n}\n",
    )
    .unwrap();
    let (_, report) = check(dir.path(), &[]);
    let storage = result_for(
        &report,
        "security.no-public-storage",
        "module.network.aws_s3_bucket.flow_logs",
    );
    assert_eq!(storage["status"], "fail");
    assert_eq!(
        storage["location"]["path"],
        "terraform/production/.terraform/modules/network/main.tf"
    );
    let files = report["artefacts"].as_array().unwrap();
    assert!(
        !files
            .iter()
            .any(|f| f["path"] == "terraform/production/main.tf#module.network"),
        "a followed module is not listed as not read"
    );
    let installed = files
        .iter()
        .find(|f| f["path"] == "terraform/production/.terraform/modules/network/main.tf")
        .expect("the followed module's file is listed");
    assert_eq!(installed["status"], "read");
    assert_eq!(installed["reason"], "read for production");
    assert!(
        files
            .iter()
            .any(|f| f["path"] == "terraform/production/main.tf#module.dns"
                && f["status"] == "not-read"),
        "a module terraform init did not install still is"
    );

    std::fs::write(modules.join("modules.json"), "{\"Modules\": 3}").unwrap();
    assert_check_input_error(
        dir.path(),
        &[
            "terraform/production/.terraform/modules/modules.json:1:",
            "not a Terraform modules manifest",
        ],
    );
}

#[test]
fn a_plan_json_gives_exact_values_and_keeps_the_configurations_waivers() {
    let dir = project_with(TF, &[("terraform", "terraform")]);
    let plan = r#"{
  "format_version": "1.2",
  "planned_values": {
    "root_module": {
      "resources": [
        {
          "address": "aws_db_instance.main",
          "mode": "managed",
          "type": "aws_db_instance",
          "name": "main",
          "values": {"storage_encrypted": false, "publicly_accessible": false, "multi_az": true,
                     "backup_retention_period": 7, "tags": {"BackupPolicy": "Prod"}}
        },
        {
          "address": "aws_dynamodb_table.residents",
          "mode": "managed",
          "type": "aws_dynamodb_table",
          "name": "residents",
          "values": {"name": "records-production-residents",
                     "point_in_time_recovery": [{"enabled": true}],
                     "global_secondary_index": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}
        }
      ]
    }
  },
  "resource_changes": [
    {"address": "aws_db_instance.main", "change": {"after_unknown": {"kms_key_id": true}}}
  ]
}"#;
    std::fs::write(
        dir.path()
            .join("terraform/production/production.tfplan.json"),
        plan,
    )
    .unwrap();
    let (_, report) = check(dir.path(), &[]);
    let encryption = result_for(
        &report,
        "security.encryption-at-rest",
        "aws_db_instance.main",
    )
    .clone();
    assert_eq!(
        encryption["status"], "fail",
        "the plan's value, not the configuration's"
    );
    assert_eq!(
        encryption["location"]["path"],
        "terraform/production/production.tfplan.json"
    );
    assert_eq!(encryption["location"]["line"], 7);
    assert_eq!(
        status(&report, "cost.gsi-limit", "aws_dynamodb_table.residents"),
        "waived",
        "the configuration's inline waiver still applies"
    );
    assert_eq!(
        status(&report, "security.no-public-storage", "aws_s3_bucket.site"),
        "missing",
        "resources come from the plan alone"
    );
    let files = report["artefacts"].as_array().unwrap();
    assert!(
        files.iter().any(
            |f| f["path"] == "terraform/production/production.tfplan.json" && f["status"] == "read"
        ),
        "{files:?}"
    );
}

#[test]
fn keep_going_reports_a_broken_terraform_file_and_judges_the_rest() {
    let dir = project_with(TF, &[("terraform", "terraform")]);
    std::fs::write(
        dir.path().join("terraform/production/broken.tf"),
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \n}\n",
    )
    .unwrap();
    assert_check_input_error(dir.path(), &["terraform/production/broken.tf:"]);

    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 1, "an error result blocks like a fail");
    assert_eq!(
        status(
            &report,
            "security.encryption-at-rest",
            "aws_db_instance.main"
        ),
        "pass",
        "the root's other files are judged"
    );
    let errors: Vec<_> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "error")
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "one error for the file, not one per rule: {errors:#?}"
    );
    assert_eq!(errors[0]["rule"], "ops.inputs-parse");
    assert_eq!(errors[0]["target"], "terraform/production/broken.tf");
    assert_eq!(errors[0]["environment"], "production");
    assert_eq!(errors[0]["location"]["line"], 2);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("does not parse")
    );
    // `--keep-going` is still accepted and changes nothing.
    let (_, again) = check(dir.path(), &["--keep-going"]);
    assert_eq!(again["results"], report["results"]);
    let file = report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "terraform/production/broken.tf")
        .unwrap();
    assert_eq!(file["status"], "unreadable");
    // Other bad input still stops the check: only files that do not parse are kept going past.
    std::fs::write(
        dir.path().join("terraform/production/waiver.tf"),
        "# liftoff:ignore cost.gsi-limit\nresource \"aws_sqs_queue\" \"q\" {}\n",
    )
    .unwrap();
    let out = liftoff()
        .arg("check")
        .arg(dir.path())
        .arg("--strict-inputs")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a rule id and a reason"));
    std::fs::remove_file(dir.path().join("terraform/production/waiver.tf")).unwrap();
    let sarif = liftoff()
        .arg("check")
        .arg(dir.path())
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let errors = sarif_schema_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}");
}

/// A Cloud Foundry manifest is a deployment file liftoff cannot read: listed as not read with
/// why, never left out of the report (audit22). A YAML file that merely has "manifest" in its name
/// is not one. CloudFormation and SAM templates of their own, recognised by their head whatever
/// their name, are read for the deployed environments (audit24).
#[test]
fn cloud_foundry_manifests_are_listed_as_not_read_and_cloudformation_templates_are_read() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "paas/manifest-production.yml",
        "---\napplications:\n  - name: api\n    instances: 3\n    routes: [{route: api.example.org}]\n    services: [api-postgres]\n",
    );
    write_file(
        dir.path(),
        "docs/manifest.yml",
        "title: The project manifest\nvalues: [open, kind]\n",
    );
    write_file(
        dir.path(),
        "terraform/production/main.tf",
        "resource \"aws_s3_bucket\" \"uploads\" {\n  bucket = \"acme-uploads\"\n}\n",
    );
    write_file(
        dir.path(),
        "api/template.yaml",
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n  Search:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: search.handler, Runtime: nodejs20.x}\n",
    );
    write_file(
        dir.path(),
        "infra/queue.json",
        "{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Resources\": {\"Jobs\": {\"Type\": \"AWS::SQS::Queue\"}}\n}\n",
    );
    let (_, report) = check_json(dir.path(), &["--offline"]);
    for template in ["api/template.yaml", "infra/queue.json"] {
        let listed = artefact(&report, template);
        assert_eq!(
            (listed["kind"].as_str(), listed["status"].as_str()),
            (Some("cloudformation"), Some("read")),
            "{listed:#}"
        );
        assert_eq!(
            listed["reason"], "read for production (parameter defaults)",
            "{listed:#}"
        );
    }
    let listed = artefact(&report, "paas/manifest-production.yml");
    assert_eq!(listed["kind"], "cloud-foundry", "{listed:#}");
    assert_eq!(listed["status"], "ignored", "{listed:#}");
    assert!(
        listed["reason"]
            .as_str()
            .unwrap()
            .starts_with("a Cloud Foundry manifest (`applications:`, deployed with `cf push`)"),
        "{listed:#}"
    );
    assert!(
        !report["artefacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["path"] == "docs/manifest.yml"),
        "{:#}",
        report["artefacts"]
    );
}
