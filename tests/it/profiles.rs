//! Profiles: built-ins, extension, levels, parameters, manifest overrides.

use crate::support::*;
use liftoff::model::{PolicyDeclarations, Stage};
use liftoff::policy::load_profile;
use liftoff::rules::{Requirement, Status};
use std::path::Path;

#[test]
fn baseline_is_every_rule_at_its_catalogue_defaults() {
    let p = load_profile("baseline", Path::new("."), &PolicyDeclarations::default()).unwrap();
    assert_eq!(p.rules.len(), liftoff::rules::REGISTRY.len());
    for r in &p.rules {
        assert_eq!(r.stages, r.rule.meta().stages, "{}", r.rule.meta().id);
    }
    let retention = p.rule("monitoring.log-retention").unwrap();
    assert_eq!(
        retention
            .params
            .get::<u32>("log_retention_min_days")
            .unwrap(),
        30
    );
}

#[test]
fn strict_and_pci_extend_baseline() {
    let strict = load_profile("strict", Path::new("."), &PolicyDeclarations::default()).unwrap();
    assert_eq!(strict.chain, ["baseline", "strict"]);
    assert_eq!(
        strict
            .rule("monitoring.tracing")
            .unwrap()
            .requirement(Stage::Production),
        Requirement::Required
    );
    assert_eq!(
        strict
            .rule("security.vpn")
            .unwrap()
            .requirement(Stage::SoftLaunch),
        Requirement::Required
    );
    let pci = load_profile("pci-dss", Path::new("."), &PolicyDeclarations::default()).unwrap();
    assert_eq!(pci.chain, ["baseline", "strict", "pci-dss"]);
    assert_eq!(
        pci.rule("monitoring.log-retention")
            .unwrap()
            .params
            .get::<u32>("log_retention_min_days")
            .unwrap(),
        365
    );
    assert_eq!(
        pci.rule("monitoring.tracing")
            .unwrap()
            .requirement(Stage::Production),
        Requirement::Required
    );
}

#[test]
fn manifest_params_override_the_profile() {
    let text = "service: s\nmonitoring: {log_retention_days: 400}\nparams:\n  monitoring.log-retention: {log_retention_max_days: 400}\n";
    let a = assess(text);
    assert_eq!(statuses(&a, "monitoring.log-retention"), vec![Status::Pass]);
    let strict_pci = "service: s\nprofile: pci-dss\nmonitoring: {log_retention_days: 200}\n";
    assert_eq!(
        statuses(&assess(strict_pci), "monitoring.log-retention"),
        vec![Status::Fail]
    );
}

#[test]
fn a_rule_switched_off_everywhere_is_not_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("quiet.yaml"), "name: quiet\nextends: baseline\nrules:\n  security.few-admins: {enabled: false}\n  security.vpn: {production: recommended}\n").unwrap();
    let text = "service: s\nprofile: quiet.yaml\naccess: {admins: 12, vpn: false}\n";
    let a = assess_in(text, dir.path(), Stage::Production).unwrap();
    assert!(statuses(&a, "security.few-admins").is_empty());
    let vpn = a.results.iter().find(|r| r.rule == "security.vpn").unwrap();
    assert_eq!(
        (vpn.status, vpn.requirement),
        (Status::Fail, Requirement::Recommended)
    );
    assert!(!vpn.blocks(Stage::Production));
}

#[test]
fn builtin_profiles_parse() {
    for (name, _) in liftoff::policy::BUILTIN_PROFILES {
        load_profile(name, Path::new("."), &PolicyDeclarations::default())
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
}
