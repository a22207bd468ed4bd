//! Every rule against its own documentation: a waiver turns its fail example into waived, an
//! expired waiver does not; plus not-applicable cases. (rule_units.rs runs the examples.)

use crate::support::*;
use liftoff::rules::{REGISTRY, Status};

fn manifest(snippet: &str) -> String {
    format!("service: example\n{snippet}")
}

#[test]
fn every_rule_of_the_catalogue_is_registered_once() {
    let ids: Vec<&str> = liftoff::rules::ids().collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "duplicate rule ids");
    // How many rules there are is the registry's business (rule_units.rs checks it is exactly
    // the rule files); here every pillar has at least one.
    for pillar in [
        "env.",
        "ha.",
        "capacity.",
        "security.",
        "monitoring.",
        "reliability.",
        "cost.",
        "ops.",
        "compliance.",
    ] {
        assert!(
            ids.iter().any(|i| i.starts_with(pillar)),
            "no rule in {pillar}"
        );
    }
}

#[test]
fn every_rule_is_documented() {
    for rule in REGISTRY {
        let m = rule.meta();
        assert!(m.id.contains('.'), "{}", m.id);
        for (what, text) in [
            ("title", m.title),
            ("checks", m.checks),
            ("rationale", m.rationale),
            ("remediation", m.remediation),
            ("pass example", m.pass_example),
            ("fail example", m.fail_example),
        ] {
            assert!(text.trim().len() > 10, "{} has no {what}", m.id);
        }
        assert!(!m.evidence.is_empty(), "{} names no evidence", m.id);
        for p in m.params {
            assert!(
                serde_json::from_str::<serde_json::Value>(p.default).is_ok(),
                "{} param {} default is not JSON",
                m.id,
                p.name
            );
        }
    }
}

fn with_waiver(m: &liftoff::rules::RuleMeta, expires: &str) -> String {
    let waiver = format!(
        "waivers:\n  - {{rule: {}, target: \"*\", reason: accepted for the test, owner: ops@example.org, expires: {expires}}}\n",
        m.id
    );
    manifest(&format!("{}{}", m.fail_example, waiver))
}

#[test]
fn waivers_turn_failures_into_waived() {
    for rule in REGISTRY.iter().filter(|r| r.meta().examples_run) {
        let m = rule.meta();
        let a = assess(&with_waiver(m, "2027-06-30"));
        let got = statuses(&a, m.id);
        assert!(
            got.contains(&Status::Waived),
            "{}: waived fail example gave {got:?}",
            m.id
        );
        assert!(
            !got.contains(&Status::Fail),
            "{}: a failure survived the waiver: {got:?}",
            m.id
        );
        let waived = a
            .results
            .iter()
            .find(|r| r.rule == m.id && r.status == Status::Waived)
            .unwrap();
        assert_eq!(
            waived.waiver.as_ref().unwrap().reason,
            "accepted for the test"
        );
    }
}

#[test]
fn expired_waivers_no_longer_count() {
    for rule in REGISTRY.iter().filter(|r| r.meta().examples_run) {
        let m = rule.meta();
        let a = assess(&with_waiver(m, "2026-11-21"));
        let failed: Vec<_> = a
            .results
            .iter()
            .filter(|r| r.rule == m.id && r.status == Status::Fail)
            .collect();
        assert!(
            !failed.is_empty(),
            "{}: an expired waiver still waived",
            m.id
        );
        assert!(
            failed
                .iter()
                .all(|r| r.message.contains("expired on 2026-11-21")),
            "{}: the result does not say the waiver expired",
            m.id
        );
        assert!(
            failed
                .iter()
                .all(|r| r.waiver.as_ref().is_some_and(|w| w.expired))
        );
    }
}

#[test]
fn a_waiver_lasts_through_its_expiry_day() {
    let m = liftoff::rules::find("security.few-admins").unwrap().meta();
    let a = assess(&with_waiver(m, "2026-11-22"));
    assert_eq!(statuses(&a, m.id), vec![Status::Waived]);
}

#[test]
fn waivers_match_targets_by_glob() {
    let text = manifest(
        "environments:\n  production:\n    kind: production\n    components:\n      - {name: orders-db, kind: database, public: true}\n      - {name: audit-db, kind: database, public: true}\n\
         waivers:\n  - {rule: security.db-not-public, target: \"component:production/orders-*\", reason: migration, expires: 2027-01-01}\n",
    );
    let a = assess(&text);
    let by_target: Vec<(String, Status)> = a
        .results
        .iter()
        .filter(|r| r.rule == "security.db-not-public")
        .map(|r| (r.target.clone(), r.status))
        .collect();
    assert_eq!(
        by_target,
        vec![
            ("component:production/audit-db".into(), Status::Fail),
            ("component:production/orders-db".into(), Status::Waived)
        ]
    );
}

/// Rules that apply only under a condition are not-applicable on a realistic deployment that
/// does not meet it; each case names the condition it exercises.
#[test]
fn conditional_rules_are_not_applicable_without_their_subject() {
    let small = manifest(
        "data: {personal: false, kept: false}\nenvironments:\n  production:\n    kind: production\n    components: [{name: site, kind: web, instances: 2, image: \"nginx:1.27.1\", debug: false}]\n",
    );
    let a = assess(&small);
    let na = [
        "env.parity",            // no staging
        "env.test-data-only",    // no development / qa
        "env.staging-access",    // no staging
        "env.data-separation",   // no public + internal databases
        "env.backup-separate",   // keeps no data
        "ha.db-replica",         // no database
        "ha.replication-mode",   // nothing replicated
        "ha.quorum",             // nothing clustered
        "ha.server-count",       // no population declared
        "ha.metrics-targets",    // no metrics exported
        "capacity.disk",         // no disk declared
        "capacity.backup-disk",  // keeps no data
        "capacity.server-spec",  // no servers
        "capacity.architecture", // no servers
        "capacity.network",      // no bandwidth declared
        "capacity.ssd",          // no database
        "security.https-only",   // no endpoints
        "security.http-redirect",
        "security.http-disabled",
        "security.hsts",
        "security.headers-grade",
        "security.tls-grade",
        "security.cert-expiry",
        "security.no-downgrade-redirect",
        "security.proxy-hop",
        "security.encryption-at-rest", // no data store
        "security.api-authorizer",     // no API
        "security.no-public-storage",  // no object storage
        "security.function-not-public",
        "security.db-not-public", // no database
        "security.search-private",
        "security.ssh-hardening", // no managed servers
        "security.service-accounts",
        "security.metrics-auth",
        "security.plaintext-secrets", // no artefacts read
        "security.backup-encryption", // keeps no data
        "monitoring.health-endpoint", // no API
        "monitoring.canary",
        "monitoring.api-alarms",
        "monitoring.tracing",
        "monitoring.message-loss", // no queues
        "monitoring.no-cache-metrics",
        "monitoring.ssh-audit",
        "reliability.backups",          // keeps no data
        "reliability.backup-frequency", // no backups
        "reliability.backup-offsite",
        "reliability.pitr",
        "reliability.restore-tested",
        "reliability.backup-monitored",
        "reliability.datacenter", // no self-hosted servers
        "reliability.db-maintenance",
        "ops.required-env",      // profile lists none
        "ops.smtp",              // sends no email
        "compliance.frameworks", // none declared
    ];
    for id in na {
        assert_eq!(
            statuses(&a, id),
            vec![Status::NotApplicable],
            "{id} should be not-applicable here"
        );
    }
}

/// Rules that always apply fail as "not evidenced" when their fact is missing: unknown is
/// never a silent pass.
#[test]
fn missing_evidence_is_a_failure_never_a_pass() {
    let a = assess(
        "service: bare\nenvironments:\n  production: {kind: production, components: [{name: db, kind: database}, {name: api, kind: api}]}\n",
    );
    for id in [
        "env.pre-production",
        "ha.web-redundancy",
        "ha.multi-zone",
        "ha.db-replica",
        "capacity.disk-alerts",
        "security.encryption-at-rest",
        "security.db-not-public",
        "security.vpn",
        "security.user-mfa",
        "security.few-admins",
        "security.service-accounts",
        "security.no-debug",
        "security.pentest",
        "security.patching",
        "security.backup-encryption",
        "monitoring.log-retention",
        "monitoring.dashboard",
        "monitoring.error-reporting",
        "monitoring.metrics",
        "monitoring.components",
        "monitoring.notification-channel",
        "monitoring.observability",
        "reliability.backups",
        "reliability.pitr",
        "reliability.restore-tested",
        "reliability.runbooks",
        "reliability.db-maintenance",
        "ops.upgrade-cadence",
        "ops.support-process",
        "ops.staffing",
        "ops.automated-deploy",
    ] {
        let got = statuses(&a, id);
        assert!(
            got.contains(&Status::Fail),
            "{id}: expected a not-evidenced failure, got {got:?}"
        );
        assert!(
            !got.contains(&Status::Pass),
            "{id}: passed without evidence"
        );
    }
    let unevidenced = a.results.iter().find(|r| r.rule == "security.vpn").unwrap();
    assert!(
        unevidenced
            .message
            .starts_with("not evidenced: declare `access.vpn` or `access.bastion` in liftoff.yaml"),
        "{}",
        unevidenced.message
    );
}

#[test]
fn live_checks_are_skipped_and_never_pass() {
    let text = manifest(
        "environments:\n  production:\n    kind: production\n    endpoints:\n      - {url: \"https://app.example.org\", kind: web-app}\n      - {url: \"https://api.example.org\", kind: api, metrics: /metrics}\n",
    );
    let a = assess(&text);
    for (id, count) in [
        ("security.http-redirect", 1),
        ("security.http-disabled", 1),
        ("security.hsts", 2),
        ("security.headers-grade", 2),
        ("security.tls-grade", 2),
        ("security.cert-expiry", 2),
        ("security.no-downgrade-redirect", 2),
        ("security.metrics-auth", 1),
        ("security.api-authorizer", 1),
        ("monitoring.no-cache-metrics", 2),
        ("security.https-only", 2),
    ] {
        assert_eq!(statuses(&a, id), vec![Status::Skipped; count], "{id}");
    }
    let skipped = a
        .results
        .iter()
        .find(|r| r.rule == "security.hsts")
        .unwrap();
    assert!(skipped.message.contains("--offline"), "{}", skipped.message);
    assert!(
        a.ready
            || a.results
                .iter()
                .any(|r| r.blocks(a.stage) && r.status != Status::Skipped),
        "skipped results never block"
    );
    // A declared plain-http URL is judged without a probe.
    let plain = assess(&manifest(
        "environments:\n  production:\n    kind: production\n    endpoints: [{url: \"http://app.example.org\", kind: web-app}]\n",
    ));
    assert_eq!(statuses(&plain, "security.https-only"), vec![Status::Fail]);
}

#[test]
fn results_carry_the_position_of_the_deciding_fact() {
    let text = "service: shop\nenvironments:\n  production:\n    kind: production\n    components:\n      - name: db\n        kind: database\n        public: true\n";
    let a = assess(text);
    let r = a
        .results
        .iter()
        .find(|r| r.rule == "security.db-not-public")
        .unwrap();
    let l = r.location.as_ref().unwrap();
    assert_eq!((&*l.path, l.line, l.column), ("liftoff.yaml", 8, 17));
    assert_eq!(r.target, "component:production/db");
    assert_eq!(r.environment.as_deref(), Some("production"));
}

#[test]
fn capacity_rules_use_the_plan() {
    let text = manifest(
        "data: {records_per_year: 749970, attachments_per_record: 3}\nenvironments:\n  production:\n    kind: production\n    servers: [{name: a, disk_gb: 1013}, {name: b, disk_gb: 1014}]\n",
    );
    let a = assess(&text);
    let got: Vec<(String, Status)> = a
        .results
        .iter()
        .filter(|r| r.rule == "capacity.disk")
        .map(|r| (r.target.clone(), r.status))
        .collect();
    assert_eq!(
        got,
        vec![
            ("server:production/a".into(), Status::Fail),
            ("server:production/b".into(), Status::Pass)
        ]
    );
    let b = a
        .results
        .iter()
        .find(|r| r.rule == "capacity.disk" && r.target == "server:production/b")
        .unwrap();
    assert_eq!(b.evidence["required_gb"], serde_json::json!(1013.71));
}

#[test]
fn compliance_maps_controls_to_rule_results() {
    let a = assess(&manifest(
        "compliance: [iso27001, wcag, fisma]\naccess: {vpn: false, admins: 9}\n",
    ));
    let iso = a
        .results
        .iter()
        .find(|r| r.target == "compliance:iso27001")
        .unwrap();
    assert_eq!(iso.status, Status::Fail);
    assert!(
        iso.evidence["failing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "5.15"),
        "5.15 access control fails with security.vpn"
    );
    let wcag = a
        .results
        .iter()
        .find(|r| r.target == "compliance:wcag")
        .unwrap();
    assert_eq!(wcag.status, Status::NotApplicable);
    assert!(wcag.message.contains("not its deployment"));
    let fisma = a
        .results
        .iter()
        .find(|r| r.target == "compliance:fisma")
        .unwrap();
    assert_eq!(fisma.status, Status::NotApplicable);
    assert!(fisma.message.contains("no mapping"));
}

#[test]
fn readiness_is_reported_for_every_stage() {
    // Fails ha.singletons (required from staging) only at staging? No: fails security.pentest,
    // required from soft launch on, and nothing required at staging.
    let text = "service: beta\nstage: staging\nprocesses: {pentest: {date: 2024-01-01}}\nenvironments:\n  staging: {kind: staging}\n";
    let a = assess_in(
        text,
        std::path::Path::new("."),
        liftoff::model::Stage::Staging,
    )
    .unwrap();
    assert!(a.readiness[0], "staging should be ready");
    assert!(!a.readiness[1] && !a.readiness[2]);
    assert!(a.ready);
}

#[test]
fn a_pentest_must_be_newer_than_the_last_major_change() {
    let text =
        manifest("processes: {pentest: {date: 2026-09-14}, last_major_change: 2026-10-01}\n");
    let a = assess(&text);
    let r = a
        .results
        .iter()
        .find(|r| r.rule == "security.pentest")
        .unwrap();
    assert_eq!(r.status, Status::Fail);
    assert!(
        r.message
            .contains("predates the major change of 2026-10-01"),
        "{}",
        r.message
    );
    let before =
        manifest("processes: {pentest: {date: 2026-09-14}, last_major_change: 2026-06-01}\n");
    assert_eq!(
        statuses(&assess(&before), "security.pentest"),
        vec![Status::Pass]
    );
}
