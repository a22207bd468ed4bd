//! Rules that know the architecture: a service made only of managed services is not asked about
//! servers it does not have; the parts it places in its own network still are. Compose images
//! built from the repository, monitoring tools beside the application, and single instances that
//! a file decides.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/arch").join(name)
}

fn report(dir: &Path) -> Value {
    let out = liftoff()
        .args(["check", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Every (target, status, message) of `rule`.
fn results(report: &Value, rule: &str) -> Vec<(String, String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == rule)
        .map(|r| {
            (
                r["target"].as_str().unwrap_or_default().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The one (status, message) of `rule`.
fn only(report: &Value, rule: &str) -> (String, String) {
    let all = results(report, rule);
    assert_eq!(all.len(), 1, "{rule}: {all:?}");
    let (_, status, message) = all.into_iter().next().unwrap();
    (status, message)
}

/// A copy of a fixture with `extra` appended to its liftoff.yaml.
fn with_manifest_tail(name: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy(&fixture(name), dir.path());
    let manifest = dir.path().join("liftoff.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap_or_default();
    std::fs::write(&manifest, format!("{text}{extra}")).unwrap();
    dir
}

fn copy(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Rules whose subject is the team's servers or disks.
const SERVER_RULES: &[&str] = &[
    "capacity.disk",
    "capacity.disk-alerts",
    "capacity.backup-disk",
    "capacity.server-spec",
    "capacity.architecture",
    "capacity.network",
    "ha.server-count",
    "security.ssh-hardening",
    "security.patching",
    "monitoring.ssh-audit",
    "reliability.datacenter",
];

/// Rules whose subject is the team's network.
const NETWORK_RULES: &[&str] = &[
    "security.vpn",
    "security.internal-behind-firewall",
    "ha.multi-zone",
];

#[test]
fn a_terraform_service_of_managed_services_is_not_asked_about_servers_or_a_network() {
    let r = report(&fixture("serverless-tf"));
    for rule in SERVER_RULES.iter().chain(NETWORK_RULES) {
        let (status, message) = only(&r, rule);
        assert_eq!(status, "not-applicable", "{rule}: {message}");
        assert!(
            message.starts_with("no servers ")
                && message.contains(
                    "every component is a managed service (DynamoDB, Lambda, API Gateway)"
                ),
            "{rule}: {message}"
        );
    }
    // What is still the team's to do is still asked.
    assert_eq!(only(&r, "security.pentest").0, "fail");
}

#[test]
fn a_serverless_framework_service_is_not_asked_about_servers_or_a_network() {
    let r = report(&fixture("serverless-yml"));
    for rule in SERVER_RULES.iter().chain(NETWORK_RULES) {
        let (status, message) = only(&r, rule);
        assert_eq!(status, "not-applicable", "{rule}: {message}");
        assert!(message.contains("(Lambda, SQS/SNS)"), "{rule}: {message}");
    }
}

#[test]
fn functions_in_a_vpc_next_to_a_database_keep_the_network_rules() {
    for name in ["serverless-vpc", "serverless-yml-vpc"] {
        let r = report(&fixture(name));
        for rule in SERVER_RULES {
            assert_eq!(only(&r, rule).0, "not-applicable", "{name} {rule}");
        }
        let (status, message) = only(&r, "security.vpn");
        assert_eq!(status, "fail", "{name}: {message}");
        assert!(message.contains("access.vpn"), "{message}");
        let zones = results(&r, "ha.multi-zone");
        assert!(
            zones.iter().all(|(_, s, _)| s == "fail"),
            "{name}: {zones:?}"
        );
    }
    let r = report(&fixture("serverless-yml-vpc"));
    assert_eq!(only(&r, "security.internal-behind-firewall").0, "fail");
}

#[test]
fn the_network_rules_of_the_vpc_part_pass_and_are_waived_as_any_other() {
    let declared = with_manifest_tail(
        "serverless-yml-vpc",
        "access: {vpn: true, firewall: true}\n",
    );
    let r = report(declared.path());
    assert_eq!(only(&r, "security.vpn").0, "pass");
    assert_eq!(only(&r, "security.internal-behind-firewall").0, "pass");
    let waived = with_manifest_tail(
        "serverless-yml-vpc",
        "waivers:\n  - {rule: security.vpn, target: deployment, reason: the database is reached by IAM auth only, owner: ops@example.org, expires: 2027-03-01}\n",
    );
    let r = report(waived.path());
    assert_eq!(only(&r, "security.vpn").0, "waived");
}

#[test]
fn a_server_of_the_teams_own_brings_the_server_rules_back() {
    let dir = with_manifest_tail(
        "serverless-yml",
        "access: {ssh: {password_auth: true, root_login: false, mfa: false, login_alerts: false}}\n",
    );
    // The same functions, beside a declared reporting server.
    let manifest = dir.path().join("liftoff.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "    kind: production\n",
        "    kind: production\n    servers: [{name: reports-1, cpu: 2, ram_gb: 4, disk_gb: 80}]\n",
    );
    std::fs::write(&manifest, text).unwrap();
    let r = report(dir.path());
    assert_eq!(only(&r, "security.ssh-hardening").0, "fail");
    assert_eq!(only(&r, "capacity.disk-alerts").0, "fail");
    assert_eq!(only(&r, "security.vpn").0, "fail");
}

/// `(target, status, message)` of `rule`, targets shortened to the compose service.
fn by_service(report: &Value, rule: &str) -> Vec<(String, String, String)> {
    results(report, rule)
        .into_iter()
        .map(|(t, s, m)| (t.rsplit('#').next().unwrap_or(&t).to_string(), s, m))
        .collect()
}

#[test]
fn images_built_from_the_repository_are_the_commits_code_not_a_moving_tag() {
    let r = report(&fixture("compose-local"));
    let images = by_service(&r, "env.production-dev-images");
    for service in ["app", "worker", "flower"] {
        let (_, status, message) = images.iter().find(|(t, ..)| t == service).unwrap();
        assert_eq!(status, "pass", "{service}: {message}");
        assert!(
            message.starts_with("built from `.` of this repository (`casework/app:latest`"),
            "{message}"
        );
    }
    // A build pushed to a registry under a moving tag is pulled by that tag elsewhere.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("compose-local/docker-compose.production.yml"))
        .unwrap()
        .replace(
            "    build: .\n    image: casework/app:latest\n    command: gunicorn",
            "    build: .\n    image: registry.example.org/casework/app:latest\n    command: gunicorn",
        );
    std::fs::write(dir.path().join("docker-compose.production.yml"), &text).unwrap();
    let r = report(dir.path());
    let images = by_service(&r, "env.production-dev-images");
    let (_, status, message) = images.iter().find(|(t, ..)| t == "app").unwrap();
    assert_eq!(status, "fail", "{message}");
    assert!(message.contains("moving `latest` tag"), "{message}");
    // Waived like any failure.
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        "service: casework\nenvironments:\n  production:\n    kind: production\n    sources: [{compose: docker-compose.production.yml}]\n\
         waivers:\n  - {rule: env.production-dev-images, target: \"*#app\", reason: CI deploys by digest, owner: ops@example.org, expires: 2027-03-01}\n",
    )
    .unwrap();
    let r = report(dir.path());
    let images = by_service(&r, "env.production-dev-images");
    let (_, status, message) = images.iter().find(|(t, ..)| t == "app").unwrap();
    assert_eq!(status, "waived", "{message}");
}

#[test]
fn monitoring_and_admin_tools_are_not_a_web_tier() {
    let r = report(&fixture("compose-local"));
    let web: Vec<String> = by_service(&r, "ha.web-redundancy")
        .into_iter()
        .map(|(t, s, _)| format!("{t} {s}"))
        .collect();
    assert_eq!(
        web,
        ["app fail"],
        "Flower, Grafana and pgAdmin are not judged"
    );
    // An admin console published on every interface is an internal service exposed.
    let exposed: Vec<(String, String, String)> =
        by_service(&r, "security.internal-behind-firewall")
            .into_iter()
            .filter(|(t, ..)| t != "deployment")
            .collect();
    assert_eq!(exposed.len(), 1, "{exposed:?}");
    assert_eq!(exposed[0].0, "pgadmin");
    assert_eq!(
        exposed[0].2,
        "internal admin `pgadmin` is reachable from outside"
    );
}
