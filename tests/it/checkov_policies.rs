//! checkov-format YAML policies: loaded with positions for every error, and judged over the
//! Terraform resources liftoff evaluates, per environment, as checkov's solvers judge them.

use crate::support::*;
use liftoff::diagnostic::InputError;
use liftoff::model::Deployment;
use liftoff::rules::custom::checkov;
use liftoff::rules::{Context, Finding, Params, Rule, Status};

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
        shared: &Default::default(),
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
  cidr_blocks = ["10.1.2.0/24", "10.2.0.9/16"]
  description = " Web  tier\tservers "
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
        (
            "cidr_range_subset",
            "[10.0.0.0/8]",
            "cidr_blocks",
            Status::Pass,
        ),
        (
            "cidr_range_subset",
            "10.1.0.0/16",
            "cidr_blocks",
            Status::Fail,
        ),
        (
            "cidr_range_subset",
            "[10.1.0.0/16, 10.2.0.0/16]",
            "cidr_blocks",
            Status::Pass,
        ),
        (
            "cidr_range_not_subset",
            "[10.0.0.0/8]",
            "cidr_blocks",
            Status::Fail,
        ),
        (
            "cidr_range_not_subset",
            "[0.0.0.0/0]",
            "missing_attribute",
            Status::Pass,
        ),
        // Words as Python's `split()` finds them; anything but a text fails.
        ("number_of_words_equals", "3", "description", Status::Pass),
        ("number_of_words_equals", "2", "description", Status::Fail),
        (
            "number_of_words_equals",
            "1",
            "cpu_core_count",
            Status::Fail,
        ),
        (
            "number_of_words_not_equals",
            "0",
            "description",
            Status::Pass,
        ),
        ("number_of_words_not_equals", "0", "user_data", Status::Fail),
        (
            "number_of_words_not_equals",
            "0",
            "missing_attribute",
            Status::Pass,
        ),
        (
            "number_of_words_greater_than",
            "2",
            "description",
            Status::Pass,
        ),
        (
            "number_of_words_greater_than",
            "3",
            "description",
            Status::Fail,
        ),
        (
            "number_of_words_greater_than_or_equal",
            "3",
            "description",
            Status::Pass,
        ),
        (
            "number_of_words_less_than",
            "4",
            "description",
            Status::Pass,
        ),
        (
            "number_of_words_less_than",
            "3",
            "description",
            Status::Fail,
        ),
        (
            "number_of_words_less_than_or_equal",
            "3",
            "description",
            Status::Pass,
        ),
        // An explicit null asks for an absent attribute (checkov compares `str(None)`).
        ("equals", "null", "missing_attribute", Status::Pass),
        ("equals", "null", "instance_type", Status::Fail),
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

fn fixtures() -> std::path::PathBuf {
    root().join("tests/fixtures/checkov-policies")
}

/// One of the documented examples: its rule, and the findings of one of its example files.
fn documented(name: &str, example: &str) -> Vec<Finding> {
    let text = std::fs::read_to_string(fixtures().join(format!("{name}.yaml"))).unwrap();
    let rule = match checkov::load(&format!("{name}.yaml"), &text) {
        Ok(rules) => rules[0],
        Err(e) => panic!("{name}: {}", problems(&e).join("\n")),
    };
    let tf = std::fs::read_to_string(fixtures().join(format!("{name}.tests/{example}"))).unwrap();
    let (_dir, model) = deployment(&[("main.tf", &tf)]);
    judge(rule, &model)
}

fn targets(findings: &[Finding]) -> Vec<(&str, Status)> {
    let mut out: Vec<(&str, Status)> = findings
        .iter()
        .map(|f| (f.target.as_str(), f.status))
        .collect();
    out.sort();
    out
}

#[test]
fn documented_attribute_block_judges_redshift_snapshots() {
    let pass = documented("redshift_backup", "pass/week.tf");
    assert_eq!(
        targets(&pass),
        [("aws_redshift_cluster.warehouse", Status::Pass)]
    );
    let fail = documented("redshift_backup", "fail/none.tf");
    assert_eq!(
        targets(&fail),
        [("aws_redshift_cluster.warehouse", Status::Fail)]
    );
}

#[test]
fn documented_connection_judges_both_ends() {
    // Without a filter, checkov judges both groups: the security group passes by being used.
    let pass = documented("lb_security_groups", "pass/attached.tf");
    assert_eq!(
        targets(&pass),
        [
            ("aws_lb.public", Status::Pass),
            ("aws_security_group.web", Status::Pass)
        ]
    );
    let fail = documented("lb_security_groups", "fail/bare.tf");
    assert_eq!(
        targets(&fail),
        [
            ("aws_lb.public", Status::Fail),
            ("aws_security_group.web", Status::Fail)
        ]
    );
    let lb = finding(&fail, "aws_lb.public", None);
    assert!(
        lb.message
            .contains("not connected to any aws_security_group or aws_default_security_group"),
        "{}",
        lb.message
    );
}

#[test]
fn documented_filter_narrows_what_is_judged() {
    let pass = documented("elb_filter", "pass/attached.tf");
    assert_eq!(
        targets(&pass),
        [("aws_elb.classic", Status::Pass)],
        "the unused group is not judged"
    );
    let fail = documented("elb_filter", "fail/bare.tf");
    assert_eq!(targets(&fail), [("aws_elb.classic", Status::Fail)]);
}

#[test]
fn documented_wildcard_finds_any_ingress_open_to_the_world() {
    // One ingress block: checkov's path has no index (`ingress.cidr_blocks`).
    let pass = documented("sg_open_ingress", "pass/private.tf");
    assert_eq!(targets(&pass), [("aws_security_group.db", Status::Pass)]);
    // Two blocks: `ingress.0.cidr_blocks` and `ingress.1.cidr_blocks`, the second open.
    let fail = documented("sg_open_ingress", "fail/world.tf");
    assert_eq!(targets(&fail), [("aws_security_group.web", Status::Fail)]);
    let f = finding(&fail, "aws_security_group.web", None);
    assert!(f.message.contains("ingress.1.cidr_blocks"), "{}", f.message);
}

#[test]
fn documented_and_with_nested_or_judges_rds_encryption() {
    let pass = documented("rds_encrypted_tag", "pass/encrypted.tf");
    assert_eq!(targets(&pass), [("aws_rds_cluster.orders", Status::Pass)]);
    let fail = documented("rds_encrypted_tag", "fail/plain.tf");
    assert_eq!(targets(&fail), [("aws_rds_cluster.orders", Status::Fail)]);
}

#[test]
fn documented_or_over_several_types_judges_each_database() {
    let pass = documented("db_backup_policy", "pass/kept.tf");
    assert_eq!(
        targets(&pass),
        [
            ("aws_db_instance.main", Status::Pass),
            ("aws_dynamodb_table.sessions", Status::Pass)
        ]
    );
    let fail = documented("db_backup_policy", "fail/none.tf");
    assert_eq!(targets(&fail), [("aws_db_instance.main", Status::Fail)]);
    // Conditions on other types say nothing about a database instance.
    assert_eq!(
        fail[0].message,
        "does not meet the policy: backup_retention_period = 0"
    );
}

#[test]
fn documented_connection_with_attribute_and_filter_judges_volumes() {
    let pass = documented("ebs_attached_encrypted", "pass/attached.tf");
    assert_eq!(targets(&pass), [("aws_ebs_volume.data", Status::Pass)]);
    // Attached but not encrypted: the attachment's link to a failing volume fails it too.
    let fail = documented("ebs_attached_encrypted", "fail/unencrypted.tf");
    assert_eq!(targets(&fail), [("aws_ebs_volume.data", Status::Fail)]);
    // Encrypted but attached to nothing.
    let fail = documented("ebs_attached_encrypted", "fail/detached.tf");
    assert_eq!(targets(&fail), [("aws_ebs_volume.spare", Status::Fail)]);
}

#[test]
fn documented_resource_deny_and_allow_lists() {
    let pass = documented("no_cloudhsm", "pass/kms.tf");
    assert_eq!(targets(&pass), [("deployment", Status::NotApplicable)]);
    let fail = documented("no_cloudhsm", "fail/hsm.tf");
    assert_eq!(
        targets(&fail),
        [("aws_cloudhsm_v2_cluster.keys", Status::Fail)]
    );
    let pass = documented("allowed_types", "pass/instance.tf");
    assert_eq!(targets(&pass), [("aws_instance.web", Status::Pass)]);
    let fail = documented("allowed_types", "fail/bucket.tf");
    assert_eq!(
        targets(&fail),
        [
            ("aws_instance.web", Status::Pass),
            ("aws_s3_bucket.assets", Status::Fail)
        ]
    );
}

#[test]
fn documented_complex_definition_judges_load_balancer_listeners() {
    let pass = documented("alb_https_listeners", "pass/https.tf");
    assert_eq!(targets(&pass), [("aws_lb.public", Status::Pass)]);
    let fail = documented("alb_https_listeners", "fail/http.tf");
    assert_eq!(targets(&fail), [("aws_lb.public", Status::Fail)]);
}

#[test]
fn the_runner_judges_every_example_beside_its_policy() {
    let report = liftoff::rules::custom::testing::run(&[fixtures()], &fixtures(), today()).unwrap();
    assert_eq!(report.policies.len(), 15);
    let (run, ok) = report.counts();
    assert_eq!(run, 35, "{report:#?}");
    assert_eq!(ok, run, "{report:#?}");
    assert!(!report.failed());
    let ebs = report
        .policies
        .iter()
        .find(|p| p.file == "ebs_attached_encrypted.yaml")
        .unwrap();
    assert_eq!(ebs.rules, ["CKV2_DOC_7"]);
    let paths: Vec<&str> = ebs.examples.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "ebs_attached_encrypted.tests/pass/attached.tf",
            "ebs_attached_encrypted.tests/fail/detached.tf",
            "ebs_attached_encrypted.tests/fail/unencrypted.tf"
        ]
    );
    assert!(
        ebs.examples[1].failing[0]
            .starts_with("CKV2_DOC_7 aws_ebs_volume.spare: does not meet the policy"),
        "{:?}",
        ebs.examples[1].failing
    );
}

#[test]
fn the_runner_reports_an_example_with_the_wrong_verdict() {
    use liftoff::rules::custom::testing::{self, Expected, Got};
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "policies/owner.yaml",
        "metadata:\n  id: CKV2_ORG_OWNER\n  name: Buckets name their owner\n  category: CONVENTION\ndefinition:\n  cond_type: attribute\n  resource_types: [aws_s3_bucket]\n  attribute: tags.owner\n  operator: exists\n",
    );
    // Filed as failing, but it passes; and a folder example that fails as it should.
    write(
        "policies/owner.tests/fail/tagged.tf",
        "resource \"aws_s3_bucket\" \"a\" {\n  bucket = \"a\"\n  tags = { owner = \"data\" }\n}\n",
    );
    write(
        "policies/owner.tests/fail/stack/main.tf",
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n}\n",
    );
    write(
        "policies/owner_rego.rego",
        "package acme.owner\n\ndeny contains {\"rule\": \"acme.owner\", \"target\": b.address, \"message\": \"no owner\"} if {\n\tsome b in input.resources\n\tb.type == \"aws_s3_bucket\"\n\tnot b.attributes.tags.owner\n}\n\ntest_flags_a_bucket_without_owner if {\n\tcount(deny) == 1 with input as {\"resources\": [{\"address\": \"aws_s3_bucket.x\", \"type\": \"aws_s3_bucket\", \"attributes\": {}}]}\n}\n\ntest_wrongly_expects_nothing if {\n\tcount(deny) == 0 with input as {\"resources\": [{\"address\": \"aws_s3_bucket.x\", \"type\": \"aws_s3_bucket\", \"attributes\": {}}]}\n}\n",
    );
    write(
        "policies/owner_rego.tests/fail/untagged.tf",
        "resource \"aws_s3_bucket\" \"c\" {\n  bucket = \"c\"\n}\n",
    );
    let report = testing::run(&[dir.path().join("policies")], dir.path(), today()).unwrap();
    assert!(report.failed());
    let owner = report
        .policies
        .iter()
        .find(|p| p.file == "policies/owner.yaml")
        .unwrap();
    let stack = &owner.examples[0];
    assert_eq!(
        (stack.path.as_str(), stack.expected, &stack.got, stack.ok),
        (
            "policies/owner.tests/fail/stack",
            Expected::Fail,
            &Got::Fail,
            true
        )
    );
    assert_eq!(
        stack.failing,
        ["CKV2_ORG_OWNER aws_s3_bucket.b: does not meet the policy: tags.owner is not set"]
    );
    let tagged = &owner.examples[1];
    assert_eq!(
        (tagged.expected, &tagged.got, tagged.ok),
        (Expected::Fail, &Got::Pass, false)
    );
    // A Rego policy: its examples are judged the same way, and its `test_` rules are run.
    let rego = report
        .policies
        .iter()
        .find(|p| p.file == "policies/owner_rego.rego")
        .unwrap();
    assert_eq!(rego.rules, ["acme.owner"]);
    assert!(rego.examples[0].ok, "{rego:#?}");
    let verdicts: Vec<(&str, bool)> = rego
        .rego_tests
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.verdict == liftoff::rules::custom::rego::RegoTestVerdict::Passed,
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("test_flags_a_bucket_without_owner", true),
            ("test_wrongly_expects_nothing", false)
        ]
    );
    assert!(!rego.ok());
    assert_eq!(report.counts(), (5, 3));
}

#[test]
fn and_or_not_combine_with_three_valued_logic() {
    let rule = policy(
        "metadata:\n  id: CKV2_T_LOGIC\n  name: n\n  category: ENCRYPTION\ndefinition:\n  and:\n    - cond_type: attribute\n      resource_types: [aws_s3_bucket]\n      attribute: tags.env\n      operator: exists\n    - or:\n        - cond_type: attribute\n          resource_types: [aws_s3_bucket]\n          attribute: versioning.enabled\n          operator: is_true\n        - not:\n            - cond_type: attribute\n              resource_types: [aws_s3_bucket]\n              attribute: tags.env\n              operator: equals\n              value: prod\n",
    );
    let (_dir, model) = deployment(&[(
        "main.tf",
        r#"
resource "aws_s3_bucket" "prod_versioned" {
  tags = { env = "prod" }
  versioning {
    enabled = true
  }
}
resource "aws_s3_bucket" "prod_plain" {
  tags = { env = "prod" }
}
resource "aws_s3_bucket" "dev_plain" {
  tags = { env = "dev" }
}
resource "aws_s3_bucket" "untagged" {
  bucket = "u"
}
resource "aws_s3_bucket" "late" {
  tags = { env = "prod" }
  versioning {
    enabled = data.aws_ssm_parameter.versioning.value
  }
}
resource "aws_s3_bucket" "late_but_dev" {
  tags = { env = "dev" }
  versioning {
    enabled = data.aws_ssm_parameter.versioning.value
  }
}
"#,
    )]);
    let findings = judge(rule, &model);
    assert_eq!(
        status(&findings, "aws_s3_bucket.prod_versioned"),
        Status::Pass
    );
    assert_eq!(status(&findings, "aws_s3_bucket.prod_plain"), Status::Fail);
    assert_eq!(
        status(&findings, "aws_s3_bucket.dev_plain"),
        Status::Pass,
        "not prod"
    );
    assert_eq!(status(&findings, "aws_s3_bucket.untagged"), Status::Fail);
    // Unknown or true is true; unknown and anything else stays unknown: a fail, not evidenced.
    assert_eq!(
        status(&findings, "aws_s3_bucket.late_but_dev"),
        Status::Pass
    );
    let late = finding(&findings, "aws_s3_bucket.late", None);
    assert_eq!(late.status, Status::Fail);
    assert!(
        late.message
            .starts_with("unknown until apply: versioning.enabled is known only after apply"),
        "{}",
        late.message
    );
    assert_eq!(
        late.evidence.get("evidenced"),
        Some(&serde_json::json!(false))
    );
    assert_eq!(
        late.origin.as_ref().unwrap().location().unwrap().line,
        20,
        "where the unknown value is written"
    );
}

#[test]
fn an_attribute_known_only_after_apply_exists_but_its_value_is_unknown() {
    let tf = "resource \"aws_db_instance\" \"main\" {\n  kms_key_id = aws_kms_key.db.arn\n}\nresource \"aws_kms_key\" \"db\" {\n  description = \"db\"\n}\n";
    let exists = attribute_case("aws_db_instance", "kms_key_id", "exists", "", tf);
    assert_eq!(status(&exists, "aws_db_instance.main"), Status::Pass);
    let value = attribute_case(
        "aws_db_instance",
        "kms_key_id",
        "starting_with",
        "arn:aws:kms",
        tf,
    );
    let f = finding(&value, "aws_db_instance.main", None);
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.message.starts_with("unknown until apply"),
        "{}",
        f.message
    );
}

#[test]
fn values_differ_per_environment_as_each_tfvars_sets_them() {
    let rule = policy(
        "metadata:\n  id: CKV2_T_ENV\n  name: Databases keep a week of backups\n  category: BACKUP_AND_RECOVERY\ndefinition:\n  cond_type: attribute\n  resource_types: [aws_db_instance]\n  attribute: backup_retention_period\n  operator: greater_than_or_equal\n  value: 7\n",
    );
    let (_dir, model) = deployment(&[
        (
            "infra/main.tf",
            "variable \"retention\" {\n  type = number\n}\nresource \"aws_db_instance\" \"main\" {\n  engine = \"postgres\"\n  backup_retention_period = var.retention\n}\n",
        ),
        ("infra/staging.tfvars", "retention = 1\n"),
        ("infra/production.tfvars", "retention = 14\n"),
    ]);
    let findings = judge(rule, &model);
    let staging = finding(&findings, "aws_db_instance.main", Some("staging"));
    let production = finding(&findings, "aws_db_instance.main", Some("production"));
    assert_eq!(staging.status, Status::Fail, "{staging:?}");
    assert_eq!(production.status, Status::Pass, "{production:?}");
    assert_eq!(staging.evidence.get("value"), Some(&serde_json::json!(1)));
    assert_eq!(
        production.evidence.get("value"),
        Some(&serde_json::json!(14))
    );
}

#[test]
fn connection_not_exists_fails_what_is_connected() {
    let rule = policy(
        "metadata:\n  id: CKV2_T_CONN\n  name: Instances do not use the default security group\n  category: NETWORKING\ndefinition:\n  and:\n    - cond_type: filter\n      attribute: resource_type\n      operator: within\n      value: [aws_instance]\n    - cond_type: connection\n      resource_types: [aws_instance]\n      connected_resource_types: [aws_default_security_group]\n      operator: not_exists\n",
    );
    let (_dir, model) = deployment(&[(
        "main.tf",
        r#"
resource "aws_default_security_group" "default" {
  vpc_id = "vpc-1"
}
resource "aws_security_group" "web" {
  name = "web"
}
resource "aws_instance" "uses_default" {
  vpc_security_group_ids = [aws_default_security_group.default.id]
}
resource "aws_instance" "own_group" {
  vpc_security_group_ids = [aws_security_group.web.id]
}
"#,
    )]);
    let findings = judge(rule, &model);
    assert_eq!(
        targets(&findings),
        [
            ("aws_instance.own_group", Status::Pass),
            ("aws_instance.uses_default", Status::Fail)
        ]
    );
    let f = finding(&findings, "aws_instance.uses_default", None);
    assert!(
        f.message
            .contains("connected to aws_default_security_group.default"),
        "{}",
        f.message
    );
}

#[test]
fn wildcards_match_indexed_and_single_blocks_and_scalar_lists() {
    let tf = r#"
resource "aws_security_group" "one" {
  ingress {
    from_port = 22
    cidr_blocks = ["10.0.0.0/8"]
  }
}
resource "aws_security_group" "two" {
  ingress {
    from_port = 443
    cidr_blocks = ["10.0.0.0/8"]
  }
  ingress {
    from_port = 22
    cidr_blocks = ["10.0.0.0/8", "192.168.0.0/16"]
  }
}
"#;
    let port = attribute_case(
        "aws_security_group",
        "ingress.*.from_port",
        "equals",
        "22",
        tf,
    );
    assert_eq!(
        status(&port, "aws_security_group.one"),
        Status::Pass,
        "single block, index left out"
    );
    assert_eq!(
        status(&port, "aws_security_group.two"),
        Status::Pass,
        "any block matches"
    );
    let cidr = attribute_case(
        "aws_security_group",
        "ingress.*.cidr_blocks.*",
        "equals",
        "192.168.0.0/16",
        tf,
    );
    assert_eq!(status(&cidr, "aws_security_group.one"), Status::Fail);
    assert_eq!(
        status(&cidr, "aws_security_group.two"),
        Status::Pass,
        "two wildcards"
    );
    // not_contains holds only when every match holds.
    let open = attribute_case(
        "aws_security_group",
        "ingress.*.cidr_blocks",
        "not_contains",
        "192.168.0.0/16",
        tf,
    );
    assert_eq!(status(&open, "aws_security_group.one"), Status::Pass);
    assert_eq!(status(&open, "aws_security_group.two"), Status::Fail);
    // Without a wildcard, a single block reads as a mapping and two blocks by index.
    let single = attribute_case(
        "aws_security_group",
        "ingress.from_port",
        "equals",
        "22",
        tf,
    );
    assert_eq!(status(&single, "aws_security_group.one"), Status::Pass);
    assert_eq!(status(&single, "aws_security_group.two"), Status::Fail);
    let indexed = attribute_case(
        "aws_security_group",
        "ingress.1.from_port",
        "equals",
        "22",
        tf,
    );
    assert_eq!(status(&indexed, "aws_security_group.two"), Status::Pass);
}

#[test]
fn misplaced_filters_connections_under_not_and_taggable_are_errors() {
    let head = "metadata:\n  id: CKV2_T_1\n  name: n\n  category: IAM\n";
    let errors = load_errors(&format!(
        "{head}definition:\n  and:\n    - cond_type: attribute\n      resource_types: [aws_elb]\n      attribute: name\n      operator: exists\n    - or:\n      - cond_type: filter\n        attribute: resource_type\n        operator: within\n        value: [aws_elb]\n"
    ));
    assert!(
        errors[0].starts_with("policies/p.yaml:11:7: `or` holds only filters"),
        "{errors:?}"
    );
    let errors = load_errors(&format!(
        "{head}definition:\n  and:\n    - cond_type: filter\n      attribute: engine\n      operator: equals\n      value: [postgres]\n    - cond_type: attribute\n      resource_types: [aws_db_instance]\n      attribute: name\n      operator: exists\n"
    ));
    assert!(
        errors[0].starts_with(
            "policies/p.yaml:9:17: a filter's operator is missing or unknown (checkov has only `within`)"
        ),
        "{errors:?}"
    );
    let errors = load_errors(&format!(
        "{head}definition:\n  not:\n    cond_type: connection\n    resource_types: [aws_elb]\n    connected_resource_types: [aws_security_group]\n    operator: exists\n"
    ));
    assert!(
        errors[0].starts_with("policies/p.yaml:6:3: `not` over a connection"),
        "{errors:?}"
    );
    let errors = load_errors(&format!(
        "{head}definition:\n  cond_type: attribute\n  resource_types: taggable\n  attribute: tags\n  operator: exists\n"
    ));
    assert!(
        errors[0].starts_with("policies/p.yaml:7:19: `taggable`"),
        "{errors:?}"
    );
    let errors = load_errors(&format!(
        "{head}definition:\n  cond_type: connection\n  resource_types: [aws_elb]\n  operator: exists\n"
    ));
    assert!(
        errors[0]
            .starts_with("policies/p.yaml:6:3: the connection has no `connected_resource_types`"),
        "{errors:?}"
    );
    let errors = load_errors(&format!("{head}definition:\n  cond_type: attributes\n"));
    assert!(
        errors[0].starts_with("policies/p.yaml:6:14: unknown cond_type"),
        "{errors:?}"
    );
    let errors = load_errors(&format!(
        "{head}definition:\n  cond_type: attribute\n  resource_types: [a]\n  attribute: rule[?(@.name == x)].value\n  operator: jsonpath_equals\n  value: y\n"
    ));
    assert!(
        errors[0].starts_with("policies/p.yaml:8:14: the JSONPath `rule[?(@.name == x)].value` is outside the form liftoff reads (expected a plain dotted path of names"),
        "{errors:?}"
    );
    let errors = load_errors(&format!(
        "{head}definition:\n  cond_type: attribute\n  resource_types: [a]\n  attribute: flags[*]\n  operator: jsonpath_exists\n"
    ));
    assert!(
        errors[0].contains("the JSONPath `flags[*]` is outside"),
        "{errors:?}"
    );
    let errors = load_errors(&format!(
        "{head}definition:\n  cond_type: attribute\n  resource_types: [a]\n  attribute: x\n  operator: jsonpath_equal\n  value: y\n"
    ));
    assert!(
        errors[0].starts_with("policies/p.yaml:9:13: unknown operator `jsonpath_equal`"),
        "{errors:?}"
    );
}

#[test]
fn every_cut_of_every_documented_policy_loads_or_fails_with_a_position() {
    let (_dir, model) = deployment(&[(
        "main.tf",
        "resource \"aws_lb\" \"a\" {\n  load_balancer_type = \"application\"\n  security_groups = [aws_security_group.b.id]\n}\nresource \"aws_security_group\" \"b\" {\n  ingress {\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }\n}\n",
    )]);
    let params = Params::default();
    let cx = Context {
        model: &model,
        params: &params,
        today: today(),
        offline: true,
        prior: &[],
        shared: &Default::default(),
    };
    let mut loaded = 0;
    let mut refused = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let cuts = (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .step_by(7);
        for cut in cuts {
            // A cut text, and the same with one line's indentation broken.
            let cut_text = &text[..cut];
            let shifted = cut_text.replacen("\n  ", "\n ", 1 + cut % 5);
            for variant in [cut_text, shifted.as_str()] {
                match checkov::try_policy("p.yaml", variant, &cx) {
                    Ok(findings) => {
                        assert!(
                            !findings.is_empty(),
                            "a loaded policy always says something"
                        );
                        loaded += 1;
                    }
                    Err(InputError::Invalid(problems)) => {
                        assert!(!problems.is_empty());
                        for p in problems {
                            let at = p.location.clone().expect("every problem has a position");
                            assert!(at.line >= 1 && at.column >= 1, "{p}");
                        }
                        refused += 1;
                    }
                    Err(other) => panic!("{other}"),
                }
            }
        }
    }
    assert!(
        loaded > 10 && refused > 100,
        "loaded {loaded}, refused {refused}"
    );
}

#[test]
fn all_under_a_provider_scope_means_that_providers_types() {
    let rule = policy(
        "metadata:\n  id: CKV2_T_SCOPE\n  name: AWS resources carry an owner tag\n  category: CONVENTION\nscope:\n  provider: aws\ndefinition:\n  cond_type: attribute\n  resource_types: all\n  attribute: tags.owner\n  operator: exists\n",
    );
    let (_dir, model) = deployment(&[(
        "main.tf",
        "resource \"aws_s3_bucket\" \"a\" {\n  tags = { owner = \"data\" }\n}\nresource \"aws_sqs_queue\" \"q\" {\n  name = \"q\"\n}\nresource \"google_storage_bucket\" \"g\" {\n  name = \"g\"\n}\n",
    )]);
    let findings = judge(rule, &model);
    assert_eq!(
        targets(&findings),
        [
            ("aws_s3_bucket.a", Status::Pass),
            ("aws_sqs_queue.q", Status::Fail)
        ]
    );
}

#[test]
fn oversized_paths_and_values_of_the_wrong_shape_are_refused() {
    let head = "metadata:\n  id: CKV2_T_1\n  name: n\n  category: IAM\ndefinition:\n  cond_type: attribute\n  resource_types: [aws_instance]\n";
    let long = vec!["a"; 40].join(".");
    let errors = load_errors(&format!("{head}  attribute: {long}\n  operator: exists\n"));
    assert!(
        errors[0]
            .starts_with("policies/p.yaml:8:14: the attribute path has 79 characters in 40 parts"),
        "{errors:?}"
    );
    let errors = load_errors(&format!(
        "{head}  attribute: a\n  operator: length_equals\n  value: two\n"
    ));
    assert!(errors[0].contains("expected a whole number"), "{errors:?}");
    let errors = load_errors(&format!(
        "{head}  attribute: a\n  operator: subset\n  value: x\n"
    ));
    assert!(
        errors[0].contains("expected a list of values"),
        "{errors:?}"
    );
    let errors = load_errors(&format!("{head}  attribute: a\n  operator: equals\n"));
    assert!(errors[0].contains("needs a `value`"), "{errors:?}");
    let errors = load_errors(&format!(
        "{head}  attribute: a\n  operator: cidr_range_subset\n  value: [10.0.0.0/8, 10.0.0.0/33]\n"
    ));
    assert!(errors[0].contains("expected a network"), "{errors:?}");
}

#[test]
fn a_policy_loaded_from_a_folder_is_assessed_like_a_built_in_rule() {
    use liftoff::model::Stage;
    use liftoff::policy::{self, Options, ResolvedRule};
    use liftoff::rules::{Requirement, custom};
    let (dir, model) = deployment(&[
        (
            "infra/main.tf",
            "variable \"retention\" {\n  type = number\n}\nresource \"aws_db_instance\" \"main\" {\n  engine = \"postgres\"\n  backup_retention_period = var.retention\n}\n",
        ),
        ("infra/staging.tfvars", "retention = 0\n"),
        ("infra/production.tfvars", "retention = 0\n"),
        (
            "policies/backups.yaml",
            "metadata:\n  id: CKV2_ORG_BACKUPS\n  name: Databases keep backups\n  category: BACKUP_AND_RECOVERY\n  guideline: Set backup_retention_period to 7 or more\ndefinition:\n  cond_type: attribute\n  resource_types: [aws_db_instance]\n  attribute: backup_retention_period\n  operator: not_equals\n  value: 0\n",
        ),
    ]);
    let loaded = custom::load(&[dir.path().join("policies")], dir.path()).unwrap();
    assert_eq!(loaded.files, ["policies/backups.yaml"]);
    let rule = loaded.rules[0];
    let declarations = liftoff::model::PolicyDeclarations::default();
    let mut profile = policy::load_profile("baseline", dir.path(), &declarations).unwrap();
    profile.rules.push(ResolvedRule {
        rule,
        stages: rule.meta().stages,
        params: Params::default(),
        enforce_from: [None; 3],
    });
    let assessment = policy::assess(
        &model,
        &declarations,
        &profile,
        Options {
            stage: Stage::Production,
            offline: true,
            today: today(),
        },
    )
    .unwrap();
    let ours: Vec<_> = assessment
        .results
        .iter()
        .filter(|r| r.rule == "CKV2_ORG_BACKUPS")
        .collect();
    assert_eq!(ours.len(), 2, "one per environment: {ours:#?}");
    let production = ours
        .iter()
        .find(|r| r.environment.as_deref() == Some("production"))
        .unwrap();
    assert_eq!(production.status, Status::Fail);
    assert_eq!(production.requirement, Requirement::Required);
    assert_eq!(production.target, "aws_db_instance.main");
    assert_eq!(
        production.remediation,
        "Set backup_retention_period to 7 or more"
    );
    let at = production.location.as_ref().unwrap();
    assert_eq!(
        (&*at.path, at.line),
        ("infra/main.tf", 6),
        "the attribute: {at:?}"
    );
    let staging = ours
        .iter()
        .find(|r| r.environment.as_deref() == Some("staging"))
        .unwrap();
    assert_eq!(
        staging.requirement,
        Requirement::Off,
        "a staging resource is judged at the staging level"
    );
    assert_ne!(staging.fingerprint, production.fingerprint);
    assert!(!assessment.ready);
}

#[test]
fn explain_shows_the_first_pass_and_fail_example_beside_the_policy() {
    let loaded = liftoff::rules::custom::load(&[fixtures()], &root()).unwrap();
    let meta = loaded
        .rules
        .iter()
        .map(|r| r.meta())
        .find(|m| m.id == "CKV2_DOC_10")
        .unwrap();
    assert!(
        meta.pass_example
            .starts_with("# pass/https.tf\nresource \"aws_lb\" \"public\" {"),
        "{}",
        meta.pass_example
    );
    assert!(meta.pass_example.contains("protocol          = \"HTTPS\""));
    assert!(
        meta.fail_example.starts_with("# fail/http.tf\n"),
        "{}",
        meta.fail_example
    );
    assert!(meta.fail_example.contains("protocol          = \"HTTP\""));
    // Read without its path (as a test or the fuzz target does), a policy has no examples.
    let text = std::fs::read_to_string(fixtures().join("alb_https_listeners.yaml")).unwrap();
    let rule = checkov::load("alb_https_listeners.yaml", &text).unwrap()[0];
    assert_eq!(rule.meta().pass_example, "");
}

#[test]
fn a_jsonpath_operator_on_a_plain_dotted_path_is_the_plain_operator() {
    // checkov's only JSONPath match for `boot.disk.kms_key` is that attribute, so
    // `jsonpath_exists` judges exactly as `exists`.
    let rule = policy(
        "metadata:\n  id: CKV2_T_JP\n  name: Boot disks use a customer key\n  category: ENCRYPTION\ndefinition:\n  cond_type: attribute\n  resource_types: [google_workbench_instance]\n  attribute: boot.disk.kms_key\n  operator: jsonpath_exists\n",
    );
    let (_dir, model) = deployment(&[(
        "main.tf",
        "resource \"google_workbench_instance\" \"keyed\" {\n  boot {\n    disk {\n      kms_key = \"projects/p/keys/k\"\n    }\n  }\n}\nresource \"google_workbench_instance\" \"plain\" {\n  boot {\n    disk {\n      size = 100\n    }\n  }\n}\n",
    )]);
    let findings = judge(rule, &model);
    assert_eq!(
        status(&findings, "google_workbench_instance.keyed"),
        Status::Pass
    );
    assert_eq!(
        status(&findings, "google_workbench_instance.plain"),
        Status::Fail
    );
}

// The verdicts below are checkov 3.3.30's on the same files (`checkov -d <example>
// --external-checks-dir <policy folder> -c <id>`), resource by resource.

#[test]
fn a_filter_inside_an_or_branch_keeps_that_branch_to_its_type() {
    let pass = documented("db_logs_shipped", "pass/exports.tf");
    assert_eq!(targets(&pass), [("aws_db_instance.orders", Status::Pass)]);
    // The parameter group is judged only through its database.
    let pass = documented("db_logs_shipped", "pass/parameter_group.tf");
    assert_eq!(targets(&pass), [("aws_db_instance.orders", Status::Pass)]);
    let fail = documented("db_logs_shipped", "fail/quiet_group.tf");
    assert_eq!(targets(&fail), [("aws_db_instance.orders", Status::Fail)]);
    let fail = documented("db_logs_shipped", "fail/nothing.tf");
    assert_eq!(targets(&fail), [("aws_db_instance.orders", Status::Fail)]);
}

#[test]
fn filters_at_two_depths_each_narrow_their_own_condition() {
    let pass = documented("nacl_attached", "pass/subnets.tf");
    assert_eq!(targets(&pass), [("aws_network_acl.app", Status::Pass)]);
    // Connected to its VPC, but that branch reports VPCs only.
    let fail = documented("nacl_attached", "fail/vpc_only.tf");
    assert_eq!(targets(&fail), [("aws_network_acl.spare", Status::Fail)]);
}

#[test]
fn a_filter_on_a_text_value_is_a_substring_test() {
    let pass = documented("postgres_parameter_group", "pass/grouped.tf");
    assert_eq!(
        targets(&pass),
        [("aws_db_instance.ledger", Status::Pass)],
        "aurora-postgresql and mysql are not within \"postgres\""
    );
    let fail = documented("postgres_parameter_group", "fail/default_group.tf");
    assert_eq!(targets(&fail), [("aws_db_instance.ledger", Status::Fail)]);
}

#[test]
fn each_or_branch_with_its_own_connection_and_filter() {
    let pass = documented("trail_log_sinks", "pass/locked_bucket.tf");
    assert_eq!(targets(&pass), [("aws_cloudtrail.main", Status::Pass)]);
    let fail = documented("trail_log_sinks", "fail/plain_bucket.tf");
    assert_eq!(targets(&fail), [("aws_cloudtrail.main", Status::Fail)]);
    // A bucket named in a plain text is no reference: no connection.
    let fail = documented("trail_log_sinks", "fail/unlinked.tf");
    assert_eq!(targets(&fail), [("aws_cloudtrail.main", Status::Fail)]);
}

#[test]
fn a_filter_under_a_plain_or_is_a_test_like_any_other() {
    let pass = documented("imds_and_monitoring", "pass/both.tf");
    assert_eq!(
        targets(&pass),
        [
            ("aws_instance.bastion", Status::Pass),
            ("aws_launch_template.web", Status::Pass)
        ],
        "the bucket is of no listed type"
    );
    let fail = documented("imds_and_monitoring", "fail/unmonitored.tf");
    assert_eq!(
        targets(&fail),
        [
            ("aws_instance.bastion", Status::Fail),
            ("aws_launch_template.web", Status::Pass)
        ]
    );
    let fail = documented("imds_and_monitoring", "fail/optional_tokens.tf");
    assert_eq!(targets(&fail), [("aws_launch_template.web", Status::Fail)]);
}

#[test]
fn a_filter_on_a_value_known_only_after_apply_leaves_the_verdict_unknown() {
    let (_dir, model) = deployment(&[(
        "main.tf",
        "variable \"engine\" {}\nresource \"aws_db_instance\" \"ledger\" {\n  engine         = var.engine\n  instance_class = \"db.t3.medium\"\n}\n",
    )]);
    let text = std::fs::read_to_string(fixtures().join("postgres_parameter_group.yaml")).unwrap();
    let rule = checkov::load("postgres_parameter_group.yaml", &text).unwrap()[0];
    let findings = judge(rule, &model);
    let f = finding(&findings, "aws_db_instance.ledger", None);
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.message
            .starts_with("unknown until apply: engine is known only after apply"),
        "{}",
        f.message
    );
}

/// Terraform's dependency graph, and checkov's, take references inside string templates:
/// `"${aws_cloudwatch_log_group.trail.arn}:*"` connects the trail to its log group, and the
/// old `"${aws_s3_bucket.b.id}"` form is a plain reference.
#[test]
fn references_inside_string_templates_connect_resources() {
    let rule = policy(
        "metadata:\n  id: CKV2_T_TEMPLATE\n  name: Trails send their events to a log group\n  category: LOGGING\ndefinition:\n  and:\n    - cond_type: filter\n      attribute: resource_type\n      operator: within\n      value: [aws_cloudtrail]\n    - cond_type: connection\n      resource_types: [aws_cloudtrail]\n      connected_resource_types: [aws_cloudwatch_log_group]\n      operator: exists\n",
    );
    let (_dir, model) = deployment(&[(
        "main.tf",
        r#"
resource "aws_cloudwatch_log_group" "trail" {
  name = "trail"
}
resource "aws_cloudtrail" "sent" {
  name                       = "sent"
  s3_bucket_name             = "trail-bucket"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}:*"
}
resource "aws_cloudtrail" "old_style" {
  name                       = "old-style"
  s3_bucket_name             = "trail-bucket"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}"
}
resource "aws_cloudtrail" "listed" {
  name                       = "listed"
  s3_bucket_name             = "trail-bucket"
  cloud_watch_logs_group_arn = ["${aws_cloudwatch_log_group.trail.*.arn[0]}"]
}
resource "aws_cloudtrail" "kept" {
  name           = "kept"
  s3_bucket_name = "trail-bucket-${var.suffix}"
}
"#,
    )]);
    let sent = model
        .resources
        .iter()
        .find(|r| r.address == "aws_cloudtrail.sent")
        .unwrap();
    assert_eq!(
        sent.references
            .get("cloud_watch_logs_group_arn")
            .map(String::as_str),
        Some("aws_cloudwatch_log_group.trail")
    );
    let findings = judge(rule, &model);
    assert_eq!(status(&findings, "aws_cloudtrail.sent"), Status::Pass);
    assert_eq!(status(&findings, "aws_cloudtrail.old_style"), Status::Pass);
    assert_eq!(status(&findings, "aws_cloudtrail.listed"), Status::Pass);
    assert_eq!(status(&findings, "aws_cloudtrail.kept"), Status::Fail);
}
