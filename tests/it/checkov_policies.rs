//! checkov-format YAML policies: loaded with positions for every error, and judged over the
//! Terraform resources liftoff evaluates, per environment, as checkov's solvers judge them.

use crate::support::*;
use liftoff::diagnostic::InputError;
use liftoff::model::Deployment;
use liftoff::rules::custom::checkov;
use liftoff::rules::{Context, Finding, Params, Rule, Status};
use std::path::Path;

/// Writes `files` to a fresh folder and loads it as `liftoff check` does.
fn deployment(files: &[(&str, &str)]) -> (tempfile::TempDir, Deployment) {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    (dir, loaded.deployment)
}

fn policy(text: &str) -> &'static dyn Rule {
    match checkov::load("policies/p.yaml", text) {
        Ok(rules) => {
            assert_eq!(rules.len(), 1);
            rules[0]
        }
        Err(e) => panic!("the policy did not load: {}", problems(&e).join("\n")),
    }
}

fn problems(e: &InputError) -> Vec<String> {
    match e {
        InputError::Invalid(d) => d.iter().map(|d| d.to_string()).collect(),
        other => vec![other.to_string()],
    }
}

/// The policy's load errors, each as `file:line:col: message (expected …)`.
fn load_errors(text: &str) -> Vec<String> {
    match checkov::load("policies/p.yaml", text) {
        Ok(_) => panic!("the policy loaded:\n{text}"),
        Err(e) => problems(&e),
    }
}

fn judge(rule: &dyn Rule, model: &Deployment) -> Vec<Finding> {
    let params = Params::default();
    let cx = Context {
        model,
        params: &params,
        today: today(),
        offline: true,
        prior: &[],
    };
    rule.check(&cx).unwrap()
}

/// The one finding about `target` (in `env` when given).
fn finding<'a>(findings: &'a [Finding], target: &str, env: Option<&str>) -> &'a Finding {
    let found: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.target == target && env.is_none_or(|e| f.environment.as_deref() == Some(e)))
        .collect();
    assert_eq!(found.len(), 1, "one finding for {target}: {findings:#?}");
    found[0]
}

fn status(findings: &[Finding], target: &str) -> Status {
    finding(findings, target, None).status
}

/// Judges `tf` (one production root) with a policy over one attribute condition.
fn attribute_case(
    resource_type: &str,
    attribute: &str,
    operator: &str,
    value: &str,
    tf: &str,
) -> Vec<Finding> {
    let value = if value.is_empty() {
        String::new()
    } else {
        format!("  value: {value}\n")
    };
    let text = format!(
        "metadata:\n  id: CKV2_T_1\n  name: test\n  category: GENERAL_SECURITY\ndefinition:\n  cond_type: attribute\n  resource_types: [{resource_type}]\n  attribute: {attribute}\n  operator: {operator}\n{value}"
    );
    let rule = policy(&text);
    let (_dir, model) = deployment(&[("main.tf", tf)]);
    judge(rule, &model)
}

#[test]
fn every_operator_passes_and_fails_as_checkov_judges_it() {
    let tf = r#"
resource "aws_instance" "a" {
  instance_type = "t3.large"
  monitoring    = true
  ebs_optimized = false
  cpu_core_count = 4
  tags = {
    env  = "prod"
    team = "payments"
  }
  security_groups = ["sg-web", "sg-admin"]
  user_data = ""
}
"#;
    // (operator, value, attribute, expected status)
    let cases: &[(&str, &str, &str, Status)] = &[
        ("equals", "t3.large", "instance_type", Status::Pass),
        ("equals", "t3.micro", "instance_type", Status::Fail),
        ("equals", "\"true\"", "monitoring", Status::Pass),
        ("equals", "\"4\"", "cpu_core_count", Status::Pass),
        ("not_equals", "t3.micro", "instance_type", Status::Pass),
        ("not_equals", "t3.large", "instance_type", Status::Fail),
        ("not_equals", "x", "missing_attribute", Status::Pass),
        ("exists", "", "tags.env", Status::Pass),
        ("exists", "", "tags.owner", Status::Fail),
        ("not_exists", "", "tags.owner", Status::Pass),
        ("not_exists", "", "tags.env", Status::Fail),
        ("contains", "sg-web", "security_groups", Status::Pass),
        ("contains", "sg-db", "security_groups", Status::Fail),
        ("contains", "large", "instance_type", Status::Pass),
        ("contains", "prod", "tags", Status::Pass),
        ("not_contains", "sg-db", "security_groups", Status::Pass),
        ("not_contains", "sg-web", "security_groups", Status::Fail),
        (
            "within",
            "[t3.large, m5.large]",
            "instance_type",
            Status::Pass,
        ),
        ("within", "[t3.micro]", "instance_type", Status::Fail),
        ("not_within", "[t3.micro]", "instance_type", Status::Pass),
        ("not_within", "[t3.large]", "instance_type", Status::Fail),
        ("starting_with", "t3.", "instance_type", Status::Pass),
        ("starting_with", "m5.", "instance_type", Status::Fail),
        ("not_starting_with", "m5.", "instance_type", Status::Pass),
        ("not_starting_with", "t3.", "instance_type", Status::Fail),
        ("ending_with", ".large", "instance_type", Status::Pass),
        ("ending_with", ".micro", "instance_type", Status::Fail),
        ("not_ending_with", ".micro", "instance_type", Status::Pass),
        ("not_ending_with", ".large", "instance_type", Status::Fail),
        (
            "regex_match",
            "'^t3\\.(large|xlarge)$'",
            "instance_type",
            Status::Pass,
        ),
        ("regex_match", "'large'", "instance_type", Status::Fail),
        ("not_regex_match", "'^m5'", "instance_type", Status::Pass),
        ("not_regex_match", "'^t3'", "instance_type", Status::Fail),
        ("greater_than", "2", "cpu_core_count", Status::Pass),
        ("greater_than", "4", "cpu_core_count", Status::Fail),
        (
            "greater_than_or_equal",
            "\"4\"",
            "cpu_core_count",
            Status::Pass,
        ),
        ("greater_than_or_equal", "5", "cpu_core_count", Status::Fail),
        ("less_than", "8", "cpu_core_count", Status::Pass),
        ("less_than", "4", "cpu_core_count", Status::Fail),
        ("less_than", "8", "missing_attribute", Status::Fail),
        ("less_than_or_equal", "4", "cpu_core_count", Status::Pass),
        ("less_than_or_equal", "3", "cpu_core_count", Status::Fail),
        ("is_true", "", "monitoring", Status::Pass),
        ("is_true", "", "ebs_optimized", Status::Fail),
        ("is_false", "", "ebs_optimized", Status::Pass),
        ("is_false", "", "monitoring", Status::Fail),
        ("is_empty", "", "user_data", Status::Pass),
        ("is_empty", "", "instance_type", Status::Fail),
        ("is_not_empty", "", "instance_type", Status::Pass),
        ("is_not_empty", "", "user_data", Status::Fail),
        ("length_equals", "2", "security_groups", Status::Pass),
        ("length_equals", "3", "security_groups", Status::Fail),
        ("length_greater_than", "1", "security_groups", Status::Pass),
        ("length_less_than", "2", "security_groups", Status::Fail),
        (
            "subset",
            "[sg-web, sg-admin, sg-db]",
            "security_groups",
            Status::Pass,
        ),
        ("subset", "[sg-web]", "security_groups", Status::Fail),
        (
            "intersects",
            "[sg-db, sg-admin]",
            "security_groups",
            Status::Pass,
        ),
        (
            "not_intersects",
            "[sg-db, sg-admin]",
            "security_groups",
            Status::Fail,
        ),
        (
            "equals_ignore_case",
            "T3.LARGE",
            "instance_type",
            Status::Pass,
        ),
    ];
    for (operator, value, attribute, want) in cases {
        let findings = attribute_case("aws_instance", attribute, operator, value, tf);
        let got = status(&findings, "aws_instance.a");
        assert_eq!(got, *want, "{attribute} {operator} {value}: {findings:#?}");
    }
}

#[test]
fn a_policy_whose_types_match_nothing_is_not_applicable_once() {
    let findings = attribute_case(
        "aws_s3_bucket",
        "versioning.enabled",
        "is_true",
        "",
        "resource \"aws_instance\" \"a\" {\n  instance_type = \"t3.large\"\n}\n",
    );
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].status, Status::NotApplicable);
    assert!(
        findings[0].message.contains("aws_s3_bucket"),
        "{}",
        findings[0].message
    );
}

#[test]
fn findings_name_the_resource_environment_deciding_attribute_and_guideline() {
    let rule = policy(
        "metadata:\n  id: CKV2_ORG_1\n  name: Instances are not tiny\n  category: CONVENTION\n  guideline: Use t3.large or bigger (wiki/sizing)\ndefinition:\n  cond_type: attribute\n  resource_types: aws_instance\n  attribute: instance_type\n  operator: not_equals\n  value: t3.micro\n",
    );
    let meta = rule.meta();
    assert_eq!(meta.id, "CKV2_ORG_1");
    assert_eq!(meta.title, "Instances are not tiny");
    assert_eq!(meta.pillar, liftoff::rules::Pillar::Operations);
    assert_eq!(
        meta.stages,
        [
            liftoff::rules::OFF,
            liftoff::rules::REC,
            liftoff::rules::REQ
        ]
    );
    let (_dir, model) = deployment(&[(
        "main.tf",
        "resource \"aws_instance\" \"small\" {\n  ami = \"ami-1\"\n  instance_type = \"t3.micro\"\n}\n",
    )]);
    let findings = judge(rule, &model);
    let f = finding(&findings, "aws_instance.small", Some("production"));
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.message.contains("instance_type = \"t3.micro\""),
        "{}",
        f.message
    );
    let at = f.origin.as_ref().unwrap().location().unwrap();
    assert_eq!((&*at.path, at.line), ("main.tf", 3), "the attribute's line");
    assert_eq!(
        f.evidence.get("attribute"),
        Some(&serde_json::json!("instance_type"))
    );
    assert_eq!(
        f.evidence.get("value"),
        Some(&serde_json::json!("t3.micro"))
    );
    assert_eq!(
        f.fix.as_deref(),
        Some("Use t3.large or bigger (wiki/sizing)")
    );
}

#[test]
fn unknown_categories_operators_and_keys_are_errors_with_positions() {
    let errors = load_errors(
        "metadata:\n  id: CKV2_T_1\n  name: n\n  category: SPEED\ndefinition:\n  cond_type: attribute\n  resource_types: [aws_instance]\n  attribute: a\n  operator: equal\n  value: x\n  vlaue: y\n",
    );
    let joined = errors.join("\n");
    assert!(
        joined.contains("policies/p.yaml:4:13: unknown category `SPEED`"),
        "{joined}"
    );
    assert!(
        joined.contains("GENERAL_SECURITY"),
        "lists the accepted categories: {joined}"
    );
    assert!(
        joined.contains("policies/p.yaml:11:3: unknown key `vlaue`"),
        "{joined}"
    );
    assert!(joined.contains("did you mean `value`"), "{joined}");
    let errors = load_errors(
        "metadata:\n  id: CKV2_T_1\n  name: n\n  category: IAM\ndefinition:\n  cond_type: attribute\n  resource_types: [aws_instance]\n  attribute: a\n  operator: equal\n  value: x\n",
    );
    assert!(
        errors[0].starts_with("policies/p.yaml:9:13: unknown operator `equal`"),
        "{errors:?}"
    );
    assert!(
        errors[0].contains("`not_regex_match`"),
        "lists the operators: {errors:?}"
    );
    assert!(errors[0].contains("did you mean `equals`"), "{errors:?}");
}

#[test]
fn a_bad_regular_expression_is_an_error_at_load() {
    let errors = load_errors(
        "metadata:\n  id: CKV2_T_1\n  name: n\n  category: IAM\ndefinition:\n  cond_type: attribute\n  resource_types: [aws_instance]\n  attribute: a\n  operator: regex_match\n  value: '^(ab'\n",
    );
    assert!(
        errors[0].starts_with("policies/p.yaml:10:10: the regular expression does not compile"),
        "{errors:?}"
    );
    let huge = format!(
        "metadata:\n  id: CKV2_T_1\n  name: n\n  category: IAM\ndefinition:\n  cond_type: attribute\n  resource_types: [aws_instance]\n  attribute: a\n  operator: regex_match\n  value: '{}'\n",
        "(a{1000}){1000}"
    );
    let errors = load_errors(&huge);
    assert!(
        errors[0].contains("does not compile"),
        "a regex beyond the size limit: {errors:?}"
    );
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let errors = load_errors("metadata:\n  id: [CKV2\ndefinition: x\n");
    assert!(errors[0].starts_with("policies/p.yaml:"), "{errors:?}");
    assert!(errors[0].contains("YAML syntax error"), "{errors:?}");
    let errors = load_errors("metadata:\n  id: CKV2_T_1\n  name: n\n  category: IAM\n");
    assert!(errors[0].contains("has no `definition`"), "{errors:?}");
}

#[test]
fn default_levels_can_be_overridden_per_stage() {
    let rule = policy(
        "metadata:\n  id: CKV2_T_LEVELS\n  name: n\n  category: LOGGING\n  liftoff:\n    levels:\n      staging: recommended\n      soft_launch: required\n      production: required\ndefinition:\n  cond_type: attribute\n  resource_types: all\n  attribute: tags\n  operator: exists\n",
    );
    use liftoff::rules::{REC, REQ};
    assert_eq!(rule.meta().stages, [REC, REQ, REQ]);
    assert_eq!(rule.meta().pillar, liftoff::rules::Pillar::Monitoring);
    let errors = load_errors(
        "metadata:\n  id: CKV2_T_1\n  name: n\n  category: LOGGING\n  liftoff:\n    levels:\n      production: mandatory\ndefinition:\n  cond_type: attribute\n  resource_types: all\n  attribute: tags\n  operator: exists\n",
    );
    assert!(
        errors[0].starts_with("policies/p.yaml:7:19: unknown level `mandatory`"),
        "{errors:?}"
    );
}

#[allow(dead_code)]
fn fixtures() -> &'static Path {
    Path::new("tests/fixtures/checkov-policies")
}
