//! Reports: snapshots of every format, determinism, SARIF validity, secret redaction.

use crate::support::*;
use liftoff::report::{self, Format, TextOptions};

/// An example judged with the pinned rules (see pinned.rs), so a new rule changes no snapshot.
fn example(name: &str) -> liftoff::policy::Assessment {
    let dir = root().join("examples").join(name);
    let text = std::fs::read_to_string(dir.join("liftoff.yaml")).unwrap();
    let mut a = crate::pinned::assess_in(&text, &dir, liftoff::model::Stage::Production);
    let loaded = liftoff::sources::load(&dir).unwrap();
    a.artefacts = loaded.deployment.artefacts;
    a
}

#[test]
fn snapshots_of_every_format() {
    let a = example("stats-platform");
    insta::assert_snapshot!(
        "stats_text",
        report::render(&a, Format::Text, TextOptions::default())
    );
    insta::assert_snapshot!(
        "stats_markdown",
        report::render(&a, Format::Markdown, TextOptions::default())
    );
    insta::assert_snapshot!(
        "stats_junit",
        report::render(&a, Format::Junit, TextOptions::default())
    );
    insta::assert_snapshot!(
        "stats_json",
        report::render(&a, Format::Json, TextOptions::default())
    );
    let b = example("bibxml-service");
    insta::assert_snapshot!(
        "bibxml_text_verbose",
        report::render(
            &b,
            Format::Text,
            TextOptions {
                color: false,
                verbose: true
            }
        )
    );
}

#[test]
fn json_is_byte_for_byte_deterministic() {
    let dir = root().join("examples/civil-registry");
    let run = || {
        liftoff()
            .args(["check", "--format", "json"])
            .arg(&dir)
            .output()
            .unwrap()
            .stdout
    };
    let first = run();
    assert_eq!(first, run());
    let v: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(v["schema"], "liftoff-report/1");
    assert_eq!(v["tool"]["name"], "liftoff");
    for key in [
        "service",
        "stage",
        "ready",
        "readiness",
        "summary",
        "results",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    let results = v["results"].as_array().unwrap();
    let keys: Vec<(String, String)> = results
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().into(),
                r["target"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "results are sorted by rule and target");
    for r in results {
        for key in [
            "rule",
            "status",
            "requirement",
            "pillar",
            "target",
            "message",
            "remediation",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
    }
    let summary = &v["summary"];
    let counted: u64 = [
        "pass",
        "fail",
        "waived",
        "not_applicable",
        "skipped",
        "error",
    ]
    .iter()
    .map(|k| summary[k].as_u64().unwrap())
    .sum();
    assert_eq!(counted as usize, results.len());
}

#[test]
fn sarif_is_valid_against_the_sarif_2_1_0_schema() {
    for name in [
        "civil-registry",
        "stats-platform",
        "bibxml-service",
        "soft-launch-beta",
    ] {
        let sarif: serde_json::Value =
            serde_json::from_str(&report::to_sarif(&example(name))).unwrap();
        let errors = sarif_schema_errors(&sarif);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    let sarif: serde_json::Value =
        serde_json::from_str(&report::to_sarif(&example("stats-platform"))).unwrap();
    let run = &sarif["runs"][0];
    let described: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(described, liftoff::rules::ids().collect::<Vec<_>>());
    let results = run["results"].as_array().unwrap();
    assert!(results.iter().all(|r| {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
            >= 1
    }));
    let replication = results
        .iter()
        .find(|r| r["ruleId"] == "ha.replication-mode")
        .unwrap();
    assert_eq!(replication["level"], "error");
    assert_eq!(
        replication["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "liftoff.yaml"
    );
}

#[test]
fn waived_results_are_suppressed_in_sarif() {
    let sarif: serde_json::Value =
        serde_json::from_str(&report::to_sarif(&example("civil-registry"))).unwrap();
    let waived = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "ha.multi-zone")
        .unwrap();
    assert_eq!(waived["suppressions"][0]["kind"], "external");
    assert!(
        waived["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .contains("two independent halls")
    );
}

#[test]
fn junit_has_a_testcase_per_result() {
    let a = example("stats-platform");
    let xml = report::to_junit(&a);
    assert_eq!(xml.matches("<testcase ").count(), a.results.len());
    assert_eq!(xml.matches("<failure").count(), a.summary.fail);
    assert!(xml.contains("name=\"ha.replication-mode component:production/disseminate-db\""));
}

#[test]
fn markdown_lists_blocking_findings() {
    let md = report::to_markdown(&example("stats-platform"));
    assert!(md.starts_with("## liftoff: `stats-dissemination` is **not ready** for production"));
    assert!(md.contains("| `ops.upgrade-cadence` | `deployment` |"));
    assert!(md.contains("| production | ❌ not ready | 5 |"));
}

#[test]
fn secret_evidence_is_redacted_in_every_format() {
    let mut a = example("soft-launch-beta");
    let r = a.results.iter_mut().next().unwrap();
    r.evidence
        .insert("DB_PASSWORD", serde_json::json!("hunter2-should-not-leak"));
    for (key, value) in r.evidence.iter_mut() {
        liftoff::secrets::redact_entry(key, value);
    }
    for format in [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Markdown,
    ] {
        let text = report::render(
            &a,
            format,
            TextOptions {
                color: false,
                verbose: true,
            },
        );
        assert!(!text.contains("hunter2"), "{format:?} leaked a secret");
    }
}

#[test]
fn html_is_self_contained_and_escaped() {
    let mut a = example("stats-platform");
    a.results[0].message = "<script>alert(1)</script>".into();
    let html = report::to_html(&a);
    assert!(html.starts_with("<!doctype html>"));
    assert!(!html.contains("<script>"), "unescaped markup");
    assert!(html.contains("&lt;script&gt;"));
    // Nothing is fetched: no external stylesheet, script or image.
    for external in ["<link", "src=\"http", "href=\"http", "@import"] {
        assert!(!html.contains(external), "{external}");
    }
    assert!(html.contains("<svg"), "the pillar chart is inline SVG");
    assert!(html.contains("not ready: 5 problems"));
}

#[test]
fn sarif_snapshot() {
    insta::assert_snapshot!(
        "stats_sarif",
        crate::pinned::sarif(&report::to_sarif(&example("stats-platform")))
    );
}
