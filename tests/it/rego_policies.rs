//! Rego house rules over the model document (issue 22, point 3), and the document itself.

use crate::support::root;
use liftoff::model::Deployment;
use liftoff::model::document::document;
use serde_json::{Value, json};
use std::path::PathBuf;

fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures/rego-policies").join(rel)
}

/// The fixture deployment: a ledger database and an exports bucket in staging and production,
/// with .env files holding secrets.
fn deployment() -> Deployment {
    match liftoff::sources::load(&fixture("deployment")) {
        Ok(loaded) => loaded.deployment,
        Err(e) => panic!("the fixture deployment did not load: {e:?}"),
    }
}

fn resource<'a>(doc: &'a Value, address: &str, env: &str) -> &'a Value {
    doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address && r["environment"] == env)
        .unwrap_or_else(|| panic!("no {address} in {env}: {doc:#}"))
}

#[test]
fn the_document_has_the_documented_top_level_fields() {
    let doc = document(&deployment());
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    let documented = std::fs::read_to_string(root().join("docs/model.md")).unwrap();
    for key in &keys {
        assert!(
            documented.contains(&format!("| `{key}` |")),
            "docs/model.md does not document the top-level field `{key}`"
        );
    }
    for key in [
        "version",
        "service",
        "environments",
        "components",
        "resources",
        "access",
        "monitoring",
        "backups",
        "processes",
        "probes",
    ] {
        assert!(keys.contains(&key), "no `{key}` in {keys:?}");
    }
    assert_eq!(doc["service"], "ledger");
    let envs: Vec<(&str, &str)> = doc["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(envs, [("production", "production"), ("staging", "staging")]);
}

#[test]
fn a_resource_is_shaped_as_documented_with_per_environment_values() {
    let doc = document(&deployment());
    let prod = resource(&doc, "aws_db_instance.ledger", "production");
    assert_eq!(prod["type"], "aws_db_instance");
    assert_eq!(
        prod["location"],
        json!({"path": "terraform/production/main.tf", "line": 2, "column": 1})
    );
    assert_eq!(prod["attributes"]["deletion_protection"], true);
    assert_eq!(prod["attributes"]["tags"]["CostCentre"], "cc-4100");
    assert_eq!(prod["attributes"]["password"], "[redacted]");
    assert_eq!(prod["unknown"], json!([]));
    let staging = resource(&doc, "aws_db_instance.ledger", "staging");
    assert_eq!(staging["attributes"]["deletion_protection"], false);
    assert_eq!(staging["attributes"]["tags"].get("CostCentre"), None);
    // An attribute set from another resource is known only after apply, and says which.
    let sse = resource(
        &doc,
        "aws_s3_bucket_server_side_encryption_configuration.exports",
        "production",
    );
    assert!(
        sse["unknown"]
            .as_array()
            .unwrap()
            .contains(&json!("bucket")),
        "{sse:#}"
    );
    assert_eq!(sse["references"]["bucket"], "aws_s3_bucket.exports");
}

#[test]
fn the_document_fits_its_schema() {
    let doc = document(&deployment());
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("model.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_document_holds_no_secret_and_is_the_same_every_time() {
    let text = serde_json::to_string(&document(&deployment())).unwrap();
    for secret in [
        "correct-horse-battery-staple",
        "staging-only-pass",
        "st4ging-T0ken-9f8e7d6c5b4a",
        "pr0d-T0ken-1a2b3c4d5e6f7a8b",
        "Sup3rSecretPw",
    ] {
        assert!(!text.contains(secret), "the document shows {secret}");
    }
    // The settings are there, with their values only when they are not secret.
    assert!(text.contains(r#""name":"LOG_LEVEL""#), "{text}");
    assert!(text.contains(r#""value":"info""#), "{text}");
    assert_eq!(
        text,
        serde_json::to_string(&document(&deployment())).unwrap()
    );
}

// ---- Rego policies judged over the document ----

use liftoff::diagnostic::InputError;
use liftoff::rules::custom::rego::{self, RegoTestVerdict};
use liftoff::rules::{Context, Finding, Params, Pillar, Requirement, Rule, Status};

const OFF: Requirement = Requirement::Off;
const REC: Requirement = Requirement::Recommended;
const REQ: Requirement = Requirement::Required;

/// The rules of the policies under `paths` (relative to the fixture folder).
fn load(paths: &[&str]) -> Vec<&'static dyn Rule> {
    let base = fixture("");
    let paths: Vec<PathBuf> = paths.iter().map(|p| base.join(p)).collect();
    match liftoff::rules::custom::load(&paths, &base) {
        Ok(policies) => policies.rules,
        Err(e) => panic!("the policies did not load: {e:?}"),
    }
}

/// The rules of one policy written as text.
fn load_text(shown: &str, text: &str) -> Vec<&'static dyn Rule> {
    rego::load(shown, text).unwrap_or_else(|e| panic!("{shown} did not load: {e:?}"))
}

/// Each rule's findings over `model`, by rule id.
fn judge(rules: &[&'static dyn Rule], model: &Deployment) -> Vec<(&'static str, Finding)> {
    let params = Params::default();
    let cx = Context {
        model,
        params: &params,
        today: crate::support::today(),
        offline: true,
        prior: &[],
        shared: &Default::default(),
    };
    let mut out = Vec::new();
    for rule in rules {
        match rule.check(&cx) {
            Ok(findings) => out.extend(findings.into_iter().map(|f| (rule.meta().id, f))),
            Err(stop) => panic!("{} stopped: {stop:?}", rule.meta().id),
        }
    }
    out
}

/// `(rule, status, target, environment, path:line)` of each finding.
fn summary(findings: &[(&str, Finding)]) -> Vec<(String, Status, String, String, String)> {
    findings
        .iter()
        .map(|(id, f)| {
            let at = f
                .origin
                .as_ref()
                .and_then(|o| o.location())
                .map(|l| format!("{}:{}", l.path, l.line))
                .unwrap_or_default();
            (
                id.to_string(),
                f.status,
                f.target.clone(),
                f.environment.as_deref().unwrap_or("").to_string(),
                at,
            )
        })
        .collect()
}

fn s(
    id: &str,
    status: Status,
    target: &str,
    env: &str,
    at: &str,
) -> (String, Status, String, String, String) {
    (id.into(), status, target.into(), env.into(), at.into())
}

#[test]
fn deny_and_warn_judge_each_environments_resources_with_levels_from_metadata() {
    let rules = load(&["policies/ledger.rego"]);
    let ids: Vec<&str> = rules.iter().map(|r| r.meta().id).collect();
    assert_eq!(ids, ["acme.cost-centre", "acme.deletion-protection"]);
    let protection = rules[1].meta();
    assert_eq!(protection.title, "Databases cannot be deleted by accident");
    assert_eq!(protection.pillar, Pillar::Reliability);
    assert_eq!(
        protection.stages,
        [OFF, REQ, REQ],
        "deny's defaults, soft launch raised by the metadata"
    );
    assert_eq!(
        protection.remediation,
        "Set deletion_protection = true on the aws_db_instance."
    );
    assert_eq!(
        rules[0].meta().stages,
        [OFF, REC, REC],
        "a warn rule never blocks"
    );

    let findings = judge(&rules, &deployment());
    assert_eq!(
        summary(&findings),
        [
            s(
                "acme.cost-centre",
                Status::Fail,
                "aws_db_instance.ledger",
                "staging",
                "terraform/staging/main.tf:2"
            ),
            s(
                "acme.deletion-protection",
                Status::Fail,
                "aws_db_instance.ledger",
                "staging",
                "terraform/staging/main.tf:2"
            ),
        ]
    );
    let (_, denied) = &findings[1];
    assert_eq!(
        denied.message,
        "ledger-staging can be deleted with one command"
    );
    assert_eq!(denied.fix.as_deref(), Some("deletion_protection = true"));
}

#[test]
fn a_conftest_style_v0_policy_without_metadata_is_one_rule_named_by_its_package() {
    let rules = load(&["policies/buckets.rego"]);
    assert_eq!(rules.len(), 1);
    let meta = rules[0].meta();
    assert_eq!(meta.id, "acme.buckets");
    assert_eq!(
        meta.stages,
        [OFF, REC, REC],
        "only `warn`: the warn defaults"
    );
    let findings = judge(&rules, &deployment());
    assert_eq!(
        summary(&findings),
        [s(
            "acme.buckets",
            Status::Fail,
            "policies/buckets.rego",
            "",
            "policies/buckets.rego:2"
        )]
    );
    assert_eq!(
        findings[0].1.message,
        "bucket ledger-exports-staging has no server-side encryption configuration"
    );
}

#[test]
fn targets_resolve_to_environments_and_unknown_targets_to_the_policy_file() {
    let rules = load(&["policies/components.rego"]);
    let findings = judge(&rules, &deployment());
    assert_eq!(
        summary(&findings),
        [
            s(
                "acme.env-site",
                Status::Fail,
                "aws_instance.ghost",
                "",
                "policies/components.rego:3"
            ),
            s(
                "acme.env-site",
                Status::Fail,
                "env:production",
                "production",
                "liftoff.yaml:8"
            ),
            s(
                "acme.env-site",
                Status::Fail,
                "env:staging",
                "staging",
                "liftoff.yaml:3"
            ),
        ]
    );
}

#[test]
fn a_result_naming_an_undeclared_rule_is_an_error_naming_the_policy() {
    let rules = load_text(
        "policies/typo.rego",
        r#"package acme.typo

metadata := {"id": "acme.tags"}

deny contains {"rule": "acme.tag", "target": r.address, "message": "untagged"} if {
	some r in input.resources
	not r.attributes.tags
}
"#,
    );
    let findings = judge(&rules, &deployment());
    let errors: Vec<&Finding> = findings
        .iter()
        .map(|(_, f)| f)
        .filter(|f| f.status == Status::Error)
        .collect();
    assert!(!errors.is_empty(), "{findings:#?}");
    for e in &errors {
        assert_eq!(e.target, "policies/typo.rego");
        assert!(
            e.message.contains("policies/typo.rego") && e.message.contains("`acme.tag`"),
            "{}",
            e.message
        );
        assert!(e.message.contains("declares `acme.tags`"), "{}", e.message);
    }
}

#[test]
fn a_syntax_error_names_its_file_line_and_column() {
    // `iff` is no keyword: the rule body's brace (line 3, column 23) comes without `if`.
    let text = "package acme.broken\n\ndeny contains msg iff {\n\tmsg := \"x\"\n}\n";
    let Err(InputError::Invalid(found)) = rego::load("policies/broken.rego", text) else {
        panic!("a broken policy loaded");
    };
    assert_eq!(found.len(), 1);
    let at = found[0].location.as_ref().expect("a position");
    assert_eq!(
        (&*at.path, at.line, at.column),
        ("policies/broken.rego", 3, 23),
        "{}",
        found[0].message
    );
    assert!(
        found[0]
            .message
            .starts_with("the Rego policy does not parse")
    );
    // The same through the folder loader: a syntax error stops loading (exit 2).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.rego"), text).unwrap();
    match liftoff::rules::custom::load(&[dir.path().to_path_buf()], dir.path()) {
        Err(InputError::Invalid(found)) => {
            assert_eq!(
                found[0].location.as_ref().unwrap().to_string(),
                "broken.rego:3:23"
            )
        }
        _ => panic!("the broken policy loaded"),
    }
}

#[test]
fn a_runaway_policy_is_stopped_and_the_rest_is_still_judged() {
    let mut rules = load(&["policies/ledger.rego"]);
    rules.extend(load_text(
        "policies/range.rego",
        "package acme.range\n\ndeny contains \"never\" if {\n\tsome n in numbers.range(1, 100000000)\n\tn < 0\n}\n",
    ));
    rules.extend(load_text(
        "policies/loop.rego",
        "package acme.loop\n\ndeny contains \"never\" if {\n\tsome a in numbers.range(1, 100000)\n\tsome b in numbers.range(1, 100000)\n\ta + b < 0\n}\n",
    ));
    let started = std::time::Instant::now();
    let findings = judge(&rules, &deployment());
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
    let of = |id: &str| -> Vec<&Finding> {
        findings
            .iter()
            .filter(|(r, _)| *r == id)
            .map(|(_, f)| f)
            .collect()
    };
    let range = of("acme.range");
    assert_eq!(range.len(), 1);
    assert_eq!(range[0].status, Status::Error);
    assert!(
        range[0].message.contains("policies/range.rego")
            && range[0].message.contains("more than a policy may make"),
        "{}",
        range[0].message
    );
    let looped = of("acme.loop");
    assert_eq!(looped.len(), 1);
    assert_eq!(looped[0].status, Status::Error);
    assert!(
        looped[0].message.contains("policies/loop.rego")
            && looped[0].message.contains("time budget"),
        "{}",
        looped[0].message
    );
    // The house rules beside them are judged as without them.
    assert_eq!(of("acme.deletion-protection")[0].status, Status::Fail);
    assert_eq!(of("acme.cost-centre")[0].status, Status::Fail);
}

#[test]
fn a_policy_reads_no_environment_file_or_network() {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/nonexistent-home".into());
    let path = std::env::var("PATH").unwrap_or_default();
    for (name, body) in [
        ("runtime", "x := opa.runtime().env"),
        (
            "http",
            r#"x := http.send({"method": "get", "url": "http://127.0.0.1:9/"})"#,
        ),
        ("now", "x := time.now_ns()"),
        ("uuid", r#"x := uuid.rfc4122("a")"#),
        ("random", r#"x := rand.intn("a", 10)"#),
    ] {
        let text = format!(
            "package acme.{name}\n\ndeny contains sprintf(\"%v\", [x]) if {{\n\t{body}\n}}\n"
        );
        let shown = format!("policies/{name}.rego");
        let findings = match rego::load(&shown, &text) {
            // Refused when loading is as good as refused when judging.
            Err(_) => continue,
            Ok(rules) => judge(&rules, &deployment()),
        };
        for (_, f) in &findings {
            assert_ne!(
                f.status,
                Status::Fail,
                "{name} gave a result: {}",
                f.message
            );
            assert!(
                !f.message.contains(&home) && (path.is_empty() || !f.message.contains(&path)),
                "{name} shows the environment: {}",
                f.message
            );
        }
        assert!(
            findings.iter().any(|(_, f)| f.status == Status::Error),
            "{name}: {findings:#?}"
        );
    }
}

#[test]
fn test_rules_pass_when_true_and_fail_otherwise() {
    let text = r#"package acme.tests_demo

deny contains "unprotected" if {
	some r in input.resources
	r.attributes.deletion_protection == false
}

test_denies_an_unprotected_database if {
	deny["unprotected"] with input as {"resources": [{"attributes": {"deletion_protection": false}}]}
}

test_allows_a_protected_database if {
	count(deny) == 0 with input as {"resources": [{"attributes": {"deletion_protection": true}}]}
}

test_wrong_expectation if {
	count(deny) == 1 with input as {"resources": []}
}

test_not_a_boolean := 3
"#;
    let outcomes = rego::run_tests("policies/tests_demo.rego", text).unwrap();
    let got: Vec<(&str, u32, bool)> = outcomes
        .iter()
        .map(|o| {
            (
                o.name.as_str(),
                o.location.line,
                o.verdict == RegoTestVerdict::Passed,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("test_denies_an_unprotected_database", 8, true),
            ("test_allows_a_protected_database", 12, true),
            ("test_wrong_expectation", 16, false),
            ("test_not_a_boolean", 20, false),
        ]
    );
    assert!(
        matches!(&outcomes[2].verdict, RegoTestVerdict::Failed(why) if why.contains("undefined")),
        "{:?}",
        outcomes[2].verdict
    );
    // A runaway test is an error of its own; the others still run.
    let outcomes = rego::run_tests(
        "policies/slow.rego",
        "package acme.slow\n\ntest_forever if {\n\tcount([1 | some a in numbers.range(1, 100000); some b in numbers.range(1, 100000)]) > 0\n}\n\ntest_quick if { true }\n",
    )
    .unwrap();
    assert!(
        matches!(&outcomes[0].verdict, RegoTestVerdict::Error(why) if why.contains("time budget")),
        "{:?}",
        outcomes[0].verdict
    );
    assert_eq!(outcomes[1].verdict, RegoTestVerdict::Passed);
}

#[test]
fn judging_twice_gives_the_same_findings() {
    let rules = load(&[
        "policies/ledger.rego",
        "policies/buckets.rego",
        "policies/components.rego",
    ]);
    let first = format!("{:?}", judge(&rules, &deployment()));
    rego::forget_evaluations();
    let second = format!("{:?}", judge(&rules, &deployment()));
    assert_eq!(first, second);
}

#[test]
fn a_target_names_a_component_or_every_environments_resource_at_that_address() {
    let rules = load_text(
        "policies/targets.rego",
        r#"package acme.targets

deny contains {"target": c.name, "message": sprintf("%s runs a moving tag", [c.image])} if {
	some c in input.components
	endswith(c.image, ":latest")
}

deny contains {"target": "aws_s3_bucket.exports", "message": "exports leave the account"}
"#,
    );
    let findings = judge(&rules, &deployment());
    assert_eq!(
        summary(&findings),
        [
            s(
                "acme.targets",
                Status::Fail,
                "component:production/api",
                "production",
                "liftoff.yaml:14"
            ),
            s(
                "acme.targets",
                Status::Fail,
                "aws_s3_bucket.exports",
                "production",
                "terraform/production/main.tf:16"
            ),
            s(
                "acme.targets",
                Status::Fail,
                "aws_s3_bucket.exports",
                "staging",
                "terraform/staging/main.tf:15"
            ),
        ]
    );
    assert_eq!(
        findings[0].1.message,
        "ghcr.io/acme/ledger-api:latest runs a moving tag"
    );
}

/// The ```rego blocks of docs/model.md, in order.
fn documented_policies() -> Vec<String> {
    let doc = std::fs::read_to_string(root().join("docs/model.md")).unwrap();
    doc.split("```rego\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap().to_string())
        .collect()
}

#[test]
fn the_documented_policy_and_its_test_work_as_documented() {
    let blocks = documented_policies();
    assert_eq!(blocks.len(), 2);
    let rules = load_text("docs/model.md", &blocks[0]);
    let levels: Vec<(&str, [Requirement; 3])> = rules
        .iter()
        .map(|r| (r.meta().id, r.meta().stages))
        .collect();
    assert_eq!(
        levels,
        [
            ("acme.cost-centre", [OFF, REC, REC]),
            ("acme.deletion-protection", [OFF, REQ, REQ]),
        ]
    );
    let with_test = format!("{}\n{}", blocks[0], blocks[1]);
    let outcomes = rego::run_tests("docs/model.md", &with_test).unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].verdict, RegoTestVerdict::Passed, "{outcomes:?}");
}

#[test]
fn metadata_that_does_not_fit_is_an_input_error_at_its_line() {
    for (metadata, expected) in [
        (
            r#"{"id": "acme.x", "levels": {"production": "mandatory"}}"#,
            "`mandatory` is not a level",
        ),
        (
            r#"{"id": "acme.x", "severity": "high"}"#,
            "unknown field `severity`",
        ),
        (
            r#"{"id": "acme.x", "pillar": "safety"}"#,
            "`pillar` of `acme.x` is `safety`",
        ),
        (r#"{"id": "acme x"}"#, "must be letters, digits"),
        (r#"{"id": input.service}"#, "must be a constant object"),
        (r#"{"title": "no id"}"#, "either `id`"),
    ] {
        let text = format!(
            "package acme.meta\n\n# The rule this file declares.\nmetadata := {metadata}\n\ndeny contains \"x\" if {{ false }}\n"
        );
        match rego::load("policies/meta.rego", &text) {
            Err(InputError::Invalid(found)) => {
                let at = found[0].location.as_ref().unwrap();
                assert_eq!(
                    (at.line, &*at.path),
                    (4, "policies/meta.rego"),
                    "{metadata}"
                );
                assert!(
                    found[0].message.contains(expected),
                    "{metadata}: {}",
                    found[0].message
                );
            }
            Err(other) => panic!("{metadata}: {other:?}"),
            Ok(_) => panic!("{metadata} was accepted"),
        }
    }
}

#[test]
fn a_deny_that_is_not_a_set_is_an_error_result() {
    let rules = load_text(
        "policies/boolean.rego",
        "package acme.boolean\n\ndeny := true\n",
    );
    let findings = judge(&rules, &deployment());
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].1.status, Status::Error);
    assert!(
        findings[0].1.message.contains("`deny` must be a set"),
        "{}",
        findings[0].1.message
    );
}

#[test]
fn a_policy_is_evaluated_once_however_many_rules_it_declares() {
    // Each evaluation of this policy runs its whole time budget: two rules judged from two
    // evaluations would take twice as long as one.
    let rules = load_text(
        "policies/slow_pair.rego",
        "package acme.pair\n\nmetadata := {\"rules\": {\"acme.one\": {}, \"acme.two\": {}}}\n\ndeny contains {\"rule\": \"acme.one\", \"message\": \"never\"} if {\n\tsome a in numbers.range(1, 100000)\n\tsome b in numbers.range(1, 100000)\n\ta + b < 0\n}\n",
    );
    assert_eq!(rules.len(), 2);
    let started = std::time::Instant::now();
    let findings = judge(&rules, &deployment());
    let took = started.elapsed();
    assert!(
        took < rego::TIME_BUDGET + rego::TIME_BUDGET / 2,
        "two evaluations: {took:?}"
    );
    let statuses: Vec<(&str, Status)> = findings.iter().map(|(id, f)| (*id, f.status)).collect();
    assert_eq!(
        statuses,
        [("acme.one", Status::Error), ("acme.two", Status::Error)]
    );
}
