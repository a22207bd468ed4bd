//! Rules that know the architecture: a service made only of managed services is not asked about
//! servers it does not have; the parts it places in its own network still are. Compose images
//! built from the repository, monitoring tools beside the application, and single instances that
//! a file decides.

use crate::support::*;
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/arch").join(name)
}

/// Every (target, status, message) of `rule`.
fn results(report: &Value, rule: &str) -> Vec<(String, String, String)> {
    rule_results(report, rule)
        .into_iter()
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
    let dir = copy_dir(&fixture(name));
    let manifest = dir.path().join("liftoff.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap_or_default();
    std::fs::write(&manifest, format!("{text}{extra}")).unwrap();
    dir
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
    let r = check_json(&fixture("serverless-tf"), &[]).1;
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
fn containers_on_fargate_are_a_managed_service_and_on_ec2_are_machines() {
    let r = check_json(&fixture("ecs-fargate"), &[]).1;
    for rule in SERVER_RULES.iter().chain(NETWORK_RULES) {
        let (status, message) = only(&r, rule);
        assert_eq!(status, "not-applicable", "{rule}: {message}");
        assert!(message.contains("(Fargate, DynamoDB)"), "{rule}: {message}");
    }
    // The worker on the cluster's own instances: patching is the team's again.
    let dir = copy_dir(&fixture("ecs-fargate"));
    let main = dir.path().join("terraform/production/main.tf");
    let text = std::fs::read_to_string(&main).unwrap().replace(
        "\"FARGATE_SPOT\"",
        "aws_ecs_capacity_provider.instances.name",
    );
    std::fs::write(&main, text).unwrap();
    let r = check_json(dir.path(), &[]).1;
    assert_eq!(only(&r, "security.patching").0, "fail");
}

#[test]
fn a_dynamic_vpc_block_over_nothing_places_no_function_in_a_vpc() {
    // Found in NHSDigital/NRLF: the module's `vpc_config` is written for callers that pass a VPC.
    let r = check_json(&fixture("serverless-dynamic-vpc"), &[]).1;
    for rule in SERVER_RULES.iter().chain(NETWORK_RULES) {
        let (status, message) = only(&r, rule);
        assert_eq!(status, "not-applicable", "{rule}: {message}");
        assert!(message.contains("(Lambda, DynamoDB)"), "{rule}: {message}");
    }
}

#[test]
fn a_serverless_framework_service_is_not_asked_about_servers_or_a_network() {
    let r = check_json(&fixture("serverless-yml"), &[]).1;
    for rule in SERVER_RULES.iter().chain(NETWORK_RULES) {
        let (status, message) = only(&r, rule);
        assert_eq!(status, "not-applicable", "{rule}: {message}");
        // The table in `resources.Resources` is read as the store it creates.
        assert!(
            message.contains("(Lambda, SQS/SNS, DynamoDB)"),
            "{rule}: {message}"
        );
    }
}

#[test]
fn functions_in_a_vpc_next_to_a_database_keep_the_network_rules() {
    for name in ["serverless-vpc", "serverless-yml-vpc", "serverless-yml-rds"] {
        let r = check_json(&fixture(name), &[]).1;
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
    let r = check_json(&fixture("serverless-yml-vpc"), &[]).1;
    assert_eq!(only(&r, "security.internal-behind-firewall").0, "fail");
}

#[test]
fn a_remote_module_given_a_vpc_or_an_instance_type_counts() {
    // Found in cds-snc/url-shortener: the function is a remote module given private subnets.
    let r = check_json(&fixture("serverless-module-vpc"), &[]).1;
    assert_eq!(only(&r, "security.vpn").0, "fail");
    let (status, message) = only(&r, "security.ssh-hardening");
    assert_eq!(status, "not-applicable");
    assert_eq!(
        message,
        "no servers of yours: every component is a managed service (DynamoDB)"
    );
    // A module that is given an instance type makes machines: the server rules are back.
    let dir = copy_dir(&fixture("serverless-module-vpc"));
    let main = dir.path().join("terraform/production/main.tf");
    let text = std::fs::read_to_string(&main).unwrap().replace(
        "  name      = \"shortener-api\"\n",
        "  name      = \"shortener-api\"\n  instance_type = \"t3.small\"\n",
    );
    std::fs::write(&main, text).unwrap();
    let r = check_json(dir.path(), &[]).1;
    let (status, message) = only(&r, "security.patching");
    assert_eq!(status, "fail", "{message}");
}

#[test]
fn the_network_rules_of_the_vpc_part_pass_and_are_waived_as_any_other() {
    let declared = with_manifest_tail(
        "serverless-yml-vpc",
        "access: {vpn: true, firewall: true}\n",
    );
    let r = check_json(declared.path(), &[]).1;
    assert_eq!(only(&r, "security.vpn").0, "pass");
    assert_eq!(only(&r, "security.internal-behind-firewall").0, "pass");
    let waived = with_manifest_tail(
        "serverless-yml-vpc",
        "waivers:\n  - {rule: security.vpn, target: deployment, reason: the database is reached by IAM auth only, owner: ops@example.org, expires: 2027-03-01}\n",
    );
    let r = check_json(waived.path(), &[]).1;
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
    let r = check_json(dir.path(), &[]).1;
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
    let r = check_json(&fixture("compose-local"), &[]).1;
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
    let r = check_json(dir.path(), &[]).1;
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
    let r = check_json(dir.path(), &[]).1;
    let images = by_service(&r, "env.production-dev-images");
    let (_, status, message) = images.iter().find(|(t, ..)| t == "app").unwrap();
    assert_eq!(status, "waived", "{message}");
}

#[test]
fn an_image_built_from_a_debug_stage_is_a_development_build() {
    // Found in hotosm/tasking-manager: `target: ${TARGET_TAG:-debug}` builds the debug stage.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("compose-local/docker-compose.production.yml"))
        .unwrap()
        .replace(
            "      context: .\n      dockerfile: Dockerfile\n",
            "      context: .\n      dockerfile: Dockerfile\n      target: ${TARGET_TAG:-debug}\n",
        );
    std::fs::write(dir.path().join("docker-compose.production.yml"), text).unwrap();
    let r = check_json(dir.path(), &[]).1;
    let images = by_service(&r, "env.production-dev-images");
    let (_, status, message) = images.iter().find(|(t, ..)| t == "worker").unwrap();
    assert_eq!(
        (status.as_str(), message.as_str()),
        (
            "fail",
            "built from the `debug` stage of its Dockerfile, a development build"
        )
    );
    let (_, status, _) = images.iter().find(|(t, ..)| t == "app").unwrap();
    assert_eq!(status, "pass", "no target: the Dockerfile's last stage");
}

#[test]
fn a_service_a_reverse_proxy_routes_to_is_a_web_tier() {
    // Found in hotosm/tasking-manager: the front end publishes no port; Traefik routes to it.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("compose-local/docker-compose.production.yml"))
        .unwrap()
        .replace(
            "  grafana:\n",
            "  portal-ui:\n    image: ghcr.io/example/portal-ui:2.0.1\n    labels:\n      - traefik.http.routers.portal.rule=Host(`portal.example.org`)\n  grafana:\n",
        );
    std::fs::write(dir.path().join("docker-compose.production.yml"), text).unwrap();
    let r = check_json(dir.path(), &[]).1;
    let web: Vec<String> = by_service(&r, "ha.web-redundancy")
        .into_iter()
        .map(|(t, s, _)| format!("{t} {s}"))
        .collect();
    assert_eq!(web, ["app fail", "portal-ui fail"]);
}

#[test]
fn monitoring_and_admin_tools_are_not_a_web_tier() {
    let r = check_json(&fixture("compose-local"), &[]).1;
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

#[test]
fn an_aurora_cluster_of_one_instance_has_no_standby() {
    let r = check_json(&fixture("aurora-single"), &[]).1;
    let (status, message) = only(&r, "ha.db-replica");
    assert_eq!(status, "fail");
    assert_eq!(
        message,
        "one instance (`aws_rds_cluster_instance.cases[0]`): no other instance to fail over to"
    );
    let r = check_json(&fixture("aurora-pair"), &[]).1;
    assert_eq!(
        only(&r, "ha.db-replica"),
        (
            "pass".to_string(),
            "2 instances: another instance takes over when the writer fails".to_string()
        )
    );
    // Waived by a comment on the cluster, like any Terraform finding.
    let dir = copy_dir(&fixture("aurora-single"));
    let main = dir.path().join("terraform/production/main.tf");
    let text = std::fs::read_to_string(&main).unwrap().replace(
        "resource \"aws_rds_cluster\" \"cases\" {",
        "# liftoff:ignore ha.db-replica -- a restore from snapshot meets the RTO (ADR-7)\nresource \"aws_rds_cluster\" \"cases\" {",
    );
    std::fs::write(&main, text).unwrap();
    assert_eq!(
        only(&check_json(dir.path(), &[]).1, "ha.db-replica").0,
        "waived"
    );
}

/// Instances counted by a list known only after apply (`count = length(var.tenants)`, seen on
/// uktrade/data-workspace) join their cluster of the same unknown count: the number of
/// instances is a question, not a cluster left unjudged. A cluster no instance here joins is a
/// question too.
#[test]
fn a_cluster_whose_instances_are_counted_at_apply_is_a_question() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = "variable \"tenants\" {}\n\nresource \"aws_rds_cluster\" \"tenant\" {\n  count                   = length(var.tenants)\n  cluster_identifier      = \"tenant-${var.tenants[count.index]}\"\n  engine                  = \"aurora-postgresql\"\n  storage_encrypted       = true\n  backup_retention_period = 14\n}\n";
    let instances = "\nresource \"aws_rds_cluster_instance\" \"tenant\" {\n  count              = length(var.tenants)\n  cluster_identifier = aws_rds_cluster.tenant[count.index].id\n  instance_class     = \"db.r6g.large\"\n}\n";
    write_file(
        dir.path(),
        "infra/production/main.tf",
        &format!("{cluster}{instances}"),
    );
    let r = check_json(dir.path(), &[]).1;
    assert_eq!(
        results(&r, "ha.db-replica"),
        [(
            "aws_rds_cluster.tenant".to_string(),
            "fail".to_string(),
            "not evidenced: declare how many instances `aws_rds_cluster_instance.tenant` has (its `count` is known only after apply) in liftoff.yaml or provide a plan JSON (if it is created: its `count` is known only after apply)".to_string()
        )]
    );
    write_file(dir.path(), "infra/production/main.tf", cluster);
    let r = check_json(dir.path(), &[]).1;
    let (status, message) = only(&r, "ha.db-replica");
    assert_eq!(status, "fail");
    assert!(
        message.starts_with("not evidenced: declare how many instances `aws_rds_cluster.tenant` has (no cluster instance in these files joins it)"),
        "{message}"
    );
}

#[test]
fn a_backup_host_is_not_an_application_server() {
    let r = check_json(&fixture("inventory-backup"), &[]).1;
    let (status, message) = only(&r, "ha.server-count");
    assert_eq!(status, "fail", "two application hosts for three needed");
    assert_eq!(
        message,
        "2 application servers, but a population of 45000000 needs 3 (backup host `reg-backup-01` not counted)"
    );
    // The host's own name says it too, in a group that does not.
    let dir = copy_dir(&fixture("inventory-backup"));
    let inventory = dir.path().join("inventory/production.ini");
    std::fs::write(
        &inventory,
        "[app]\nreg-app-01\nreg-app-02\nreg-app-03\n\n[storage]\ndr-01.example.org\n",
    )
    .unwrap();
    let (status, message) = only(&check_json(dir.path(), &[]).1, "ha.server-count");
    assert_eq!(status, "pass", "{message}");
    assert!(
        message.ends_with("(backup host `dr-01.example.org` not counted)"),
        "{message}"
    );
}

#[test]
fn a_database_a_file_runs_once_is_a_single_instance() {
    let r = check_json(&fixture("compose-open-stores"), &[]).1;
    let replica = by_service(&r, "ha.db-replica");
    for (service, status, message) in &replica {
        assert_eq!(status, "fail", "{service}");
        assert_eq!(
            message,
            "runs a single instance and nothing replicates it: no standby to take over"
        );
    }
    let r = check_json(&fixture("k8s-open-stores"), &[]).1;
    let all = results(&r, "ha.db-replica");
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].1, "fail");
    let location = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == "ha.db-replica")
        .map(|x| x["location"]["path"].as_str().unwrap().to_string());
    assert_eq!(location.as_deref(), Some("production/stores.yaml"));
}

#[test]
fn data_stores_that_accept_anyone_fail_db_not_public() {
    let r = check_json(&fixture("compose-open-stores"), &[]).1;
    let judged: Vec<(String, String)> = by_service(&r, "security.db-not-public")
        .into_iter()
        .map(|(t, s, m)| (t, format!("{s}: {m}")))
        .collect();
    let of = |service: &str| {
        judged
            .iter()
            .find(|(t, _)| t == service)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        of("cache"),
        "fail: accepts anyone who connects: it runs with `--protected-mode no` and no password, and port 6379 is published on the host"
    );
    assert_eq!(
        of("sessions"),
        "fail: accepts anyone who connects: `ALLOW_EMPTY_PASSWORD=yes` and no password is set"
    );
    assert_eq!(
        of("documents"),
        "fail: accepts anyone who connects: MongoDB starts without authentication: no root password and no `--auth`"
    );
    assert_eq!(
        of("search"),
        "fail: accepts anyone who connects: `xpack.security.enabled=false` switches authentication off"
    );
    assert_eq!(
        of("queue-cache"),
        "pass: not publicly accessible",
        "a password guards it"
    );
    assert_eq!(of("db"), "pass: not publicly accessible");

    let r = check_json(&fixture("k8s-open-stores"), &[]).1;
    let redis = results(&r, "security.db-not-public")
        .into_iter()
        .find(|(t, ..)| t.ends_with("/redis"))
        .unwrap();
    assert_eq!(redis.1, "fail");
    assert!(
        redis
            .2
            .ends_with("and no NetworkPolicy in the files read limits who reaches it"),
        "{}",
        redis.2
    );
    // A NetworkPolicy around it removes the "more so", not the failure.
    let dir = copy_dir(&fixture("k8s-open-stores"));
    std::fs::write(
        dir.path().join("production/policy.yaml"),
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: redis-clients}\nspec:\n  podSelector: {matchLabels: {app: redis}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: reports}}}]}]\n",
    )
    .unwrap();
    let r = check_json(dir.path(), &[]).1;
    let redis = results(&r, "security.db-not-public")
        .into_iter()
        .find(|(t, ..)| t.ends_with("/redis"))
        .unwrap();
    assert_eq!(
        (redis.1.as_str(), redis.2.as_str()),
        (
            "fail",
            "accepts anyone who connects: it runs with `--protected-mode no` and no password"
        )
    );
    // Waived like any other failure.
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        "service: reports\nenvironments:\n  production:\n    kind: production\n    sources: [{kubernetes: production}]\n\
         waivers:\n  - {rule: security.db-not-public, target: \"*redis\", reason: the cache holds public data only, owner: ops@example.org, expires: 2027-03-01}\n",
    )
    .unwrap();
    let r = check_json(dir.path(), &[]).1;
    let redis = results(&r, "security.db-not-public")
        .into_iter()
        .find(|(t, ..)| t.ends_with("redis"))
        .unwrap();
    assert_eq!(redis.1, "waived", "{redis:?}");
}

#[test]
fn a_managed_queue_of_a_serverless_service_is_asked_for_no_image() {
    let out = liftoff()
        .args(["check", "--offline", "--format", "json"])
        .arg(root().join("tests/fixtures/serverless"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let queue = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["rule"] == "env.production-dev-images"
                && r["target"] == "component:production/ExportQueue"
        })
        .expect("the queue is judged");
    // Was a question ("declare the `image` or `edition` of `ExportQueue`").
    assert_eq!(queue["status"], "pass", "{queue}");
    assert_eq!(queue["decided_by"], "file", "{queue}");
    assert!(
        queue["message"].as_str().unwrap().contains("Amazon SQS"),
        "{queue}"
    );
}
