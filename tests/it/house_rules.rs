//! House rules end to end: policies named by liftoff.yaml's `policies:` or `--policy` are judged
//! like built-in rules (positions, environments, levels, fingerprints, waivers, baselines, every
//! report format, SARIF with their descriptions), listed and explained, and tested by
//! `liftoff rules test`.
//!
//! The fixture (tests/fixtures/house-rules) is a two-environment archive with a checkov-format
//! tagging policy (`CKV2_ARCHIVE_1`, with pass/fail examples) and a Rego policy
//! (`archive.deletion-protection`, with `test_` rules). Production has one untagged bucket
//! (`aws_s3_bucket.exports`, main.tf:9) and one unprotected database
//! (`aws_db_instance.catalogue`, main.tf:13).

use super::support::{check_json, copy_dir, liftoff, root, sarif_schema_errors, write_file};
use serde_json::Value;
use std::path::Path;

const TAGS: &str = "CKV2_ARCHIVE_1";
const DELETION: &str = "archive.deletion-protection";

fn fixture() -> tempfile::TempDir {
    copy_dir(&root().join("tests/fixtures/house-rules"))
}

/// The fixture without `policies:` in its manifest.
fn fixture_without_policies() -> tempfile::TempDir {
    let dir = fixture();
    let manifest = std::fs::read_to_string(dir.path().join("liftoff.yaml")).unwrap();
    let (head, _) = manifest.split_once("policies:").unwrap();
    std::fs::write(dir.path().join("liftoff.yaml"), head).unwrap();
    dir
}

fn results<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == rule)
        .collect()
}

fn one<'a>(report: &'a Value, rule: &str, target: &str, env: &str) -> &'a Value {
    let found: Vec<&Value> = results(report, rule)
        .into_iter()
        .filter(|r| r["target"] == target && r["environment"] == env)
        .collect();
    assert_eq!(found.len(), 1, "{rule} {target} [{env}]: {found:#?}");
    found[0]
}

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = liftoff().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn policies_named_by_the_manifest_are_judged_like_built_in_rules() {
    let dir = fixture();
    let (code, report) = check_json(dir.path(), &["--offline"]);
    assert_eq!(code, 1);
    let untagged = one(&report, TAGS, "aws_s3_bucket.exports", "production");
    assert_eq!(untagged["status"], "fail");
    assert_eq!(untagged["requirement"], "required");
    assert_eq!(
        untagged["location"],
        serde_json::json!({"path": "terraform/production/main.tf", "line": 9, "column": 1})
    );
    assert_eq!(untagged["fingerprint"].as_str().unwrap().len(), 32);
    assert_eq!(
        one(&report, TAGS, "aws_s3_bucket.documents", "production")["status"],
        "pass"
    );
    // The policy's default levels: off at staging, required at production.
    assert_eq!(
        one(&report, TAGS, "aws_s3_bucket.documents", "staging")["requirement"],
        "off"
    );
    let unprotected = one(&report, DELETION, "aws_db_instance.catalogue", "production");
    assert_eq!(unprotected["status"], "fail");
    assert_eq!(
        unprotected["location"]["path"],
        "terraform/production/main.tf"
    );
    assert_eq!(unprotected["location"]["line"], 13);
    // Both block production, as the text report says.
    let (_, text, _) = run(dir.path(), &["check", ".", "--offline"]);
    let blocking = text.split("\n\n").nth(1).unwrap();
    assert!(
        blocking.contains(&format!("- {TAGS} (1): aws_s3_bucket.exports [production]")),
        "{text}"
    );
    assert!(
        blocking.contains(&format!("- {DELETION} (1): aws_db_instance.catalogue")),
        "{text}"
    );
    // The examples kept beside a policy are not part of the deployment.
    let paths: Vec<&str> = report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["terraform/production/main.tf", "terraform/staging/main.tf"]
    );
}

#[test]
fn the_policy_flag_judges_the_same_as_the_manifest() {
    let named = fixture();
    let flagged = fixture_without_policies();
    let (_, without) = check_json(flagged.path(), &["--offline"]);
    assert!(results(&without, TAGS).is_empty());
    assert!(results(&without, DELETION).is_empty());
    let policies = flagged.path().join("policies");
    let (_, with) = check_json(
        flagged.path(),
        &["--offline", "--policy", policies.to_str().unwrap()],
    );
    let (_, manifest) = check_json(named.path(), &["--offline"]);
    for rule in [TAGS, DELETION] {
        assert_eq!(results(&with, rule), results(&manifest, rule), "{rule}");
        assert!(!results(&with, rule).is_empty());
    }
    // One file at a time, repeatable.
    let (_, one_file) = check_json(
        flagged.path(),
        &[
            "--offline",
            "--policy",
            policies.join("tags.yaml").to_str().unwrap(),
        ],
    );
    assert!(!results(&one_file, TAGS).is_empty());
    assert!(results(&one_file, DELETION).is_empty());
}

#[test]
fn a_policy_path_that_does_not_exist_is_an_error_at_its_line() {
    let dir = fixture();
    let manifest = std::fs::read_to_string(dir.path().join("liftoff.yaml")).unwrap();
    let line = manifest
        .lines()
        .position(|l| l.contains("- policies"))
        .unwrap()
        + 1;
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        manifest.replace("  - policies", "  - policies\n  - house-rules"),
    )
    .unwrap();
    for command in ["check", "rules", "model"] {
        let (code, _, stderr) = run(dir.path(), &[command]);
        assert_eq!(code, Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains(&format!("liftoff.yaml:{}:", line + 1))
                && stderr.contains("`house-rules` does not exist"),
            "{command}: {stderr}"
        );
    }
    let fresh = fixture();
    let (code, _, stderr) = run(fresh.path(), &["check", ".", "--policy", "nowhere"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot read nowhere"), "{stderr}");
}

#[test]
fn a_policy_with_a_syntax_error_stops_the_check_naming_its_position() {
    let dir = fixture();
    write_file(
        dir.path(),
        "policies/broken.rego",
        "package archive.broken\n\ndeny contains msg if {\n\tmsg := \n}\n",
    );
    let (code, stdout, stderr) = run(dir.path(), &["check", ".", "--offline"]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("policies/broken.rego:"), "{stderr}");
    let position = stderr
        .split("policies/broken.rego:")
        .nth(1)
        .unwrap()
        .split(|c: char| !(c.is_ascii_digit() || c == ':'))
        .next()
        .unwrap();
    assert!(
        position.split(':').filter(|p| !p.is_empty()).count() >= 2,
        "line and column: {stderr}"
    );
    assert!(stdout.is_empty(), "{stdout}");
}

#[test]
fn custom_findings_are_waived_in_the_manifest_and_inline() {
    let dir = fixture();
    let manifest = std::fs::read_to_string(dir.path().join("liftoff.yaml")).unwrap();
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        format!(
            "{manifest}waivers:\n  - rule: {TAGS}\n    target: aws_s3_bucket.exports\n    \
             reason: exports are charged with the documents bucket until the split\n    \
             expires: 2099-01-01\n"
        ),
    )
    .unwrap();
    let main = dir.path().join("terraform/production/main.tf");
    let tf = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        tf.replace(
            "resource \"aws_db_instance\" \"catalogue\" {",
            &format!(
                "# liftoff:ignore {DELETION} -- the catalogue is rebuilt from the documents nightly\n\
                 resource \"aws_db_instance\" \"catalogue\" {{"
            ),
        ),
    )
    .unwrap();
    let (_, report) = check_json(dir.path(), &["--offline"]);
    let waived = one(&report, TAGS, "aws_s3_bucket.exports", "production");
    assert_eq!(waived["status"], "waived", "{waived:#}");
    assert!(
        waived["waiver"]["reason"]
            .as_str()
            .unwrap()
            .contains("charged with")
    );
    let inline = one(&report, DELETION, "aws_db_instance.catalogue", "production");
    assert_eq!(inline["status"], "waived", "{inline:#}");
    // `liftoff waivers` lists both as used.
    let (_, listed, _) = run(dir.path(), &["waivers", "."]);
    assert!(
        listed.contains(&format!("active    {TAGS} for `aws_s3_bucket.exports`")),
        "{listed}"
    );
    assert!(listed.contains(DELETION), "{listed}");
    // Refused waivers count as usual.
    let (_, refused) = check_json(dir.path(), &["--offline", "--no-inline-waivers"]);
    assert_eq!(
        one(
            &refused,
            DELETION,
            "aws_db_instance.catalogue",
            "production"
        )["status"],
        "fail"
    );
    // Without the policy loaded, a waiver naming its id names no rule.
    let flagged = fixture_without_policies();
    let manifest = std::fs::read_to_string(flagged.path().join("liftoff.yaml")).unwrap();
    std::fs::write(
        flagged.path().join("liftoff.yaml"),
        format!("{manifest}waivers:\n  - rule: {TAGS}\n    reason: r\n    expires: 2099-01-01\n"),
    )
    .unwrap();
    let (code, _, stderr) = run(flagged.path(), &["check", ".", "--offline"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(&format!("`{TAGS}`, which is no rule id")),
        "{stderr}"
    );
    let policies = flagged.path().join("policies");
    let (code, _, stderr) = run(
        flagged.path(),
        &[
            "check",
            ".",
            "--offline",
            "--policy",
            policies.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
}

#[test]
fn custom_findings_are_baselined_and_a_new_one_blocks() {
    let dir = fixture();
    let (code, _, stderr) = run(dir.path(), &["baseline", "."]);
    assert_eq!(code, Some(0), "{stderr}");
    let baseline: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(".liftoff-baseline.json")).unwrap(),
    )
    .unwrap();
    let recorded: Vec<&str> = baseline["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        recorded.contains(&TAGS) && recorded.contains(&DELETION),
        "{recorded:?}"
    );
    // A second untagged bucket: the recorded finding is baselined, the new one is new.
    let main = dir.path().join("terraform/production/main.tf");
    let tf = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        format!(
            "{tf}\nresource \"aws_s3_bucket\" \"scans\" {{\n  bucket = \"archive-scans\"\n}}\n"
        ),
    )
    .unwrap();
    let baseline = dir.path().join(".liftoff-baseline.json");
    let (_, report) = check_json(
        dir.path(),
        &["--offline", "--baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(
        one(&report, TAGS, "aws_s3_bucket.exports", "production")["baseline"],
        "baselined"
    );
    assert_eq!(
        one(&report, TAGS, "aws_s3_bucket.scans", "production")["baseline"],
        "new"
    );
    assert_eq!(
        one(&report, DELETION, "aws_db_instance.catalogue", "production")["baseline"],
        "baselined"
    );
}

#[test]
fn a_profile_sets_a_policy_s_levels_by_its_id() {
    let dir = fixture();
    write_file(
        dir.path(),
        "house.yaml",
        &format!(
            "name: house\nextends: baseline\nrules:\n  {TAGS}:\n    production: recommended\n  \
             {DELETION}:\n    enabled: false\n"
        ),
    );
    let (_, report) = check_json(dir.path(), &["--offline", "--profile", "house.yaml"]);
    let untagged = one(&report, TAGS, "aws_s3_bucket.exports", "production");
    assert_eq!(untagged["requirement"], "recommended");
    assert!(results(&report, DELETION).is_empty(), "switched off");
    // Without the policies the profile names unknown rules.
    let flagged = fixture_without_policies();
    write_file(
        flagged.path(),
        "house.yaml",
        &format!(
            "name: house\nextends: baseline\nrules:\n  {TAGS}:\n    production: recommended\n"
        ),
    );
    let (code, _, stderr) = run(flagged.path(), &["check", ".", "--profile", "house.yaml"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(&format!("no rule has the id `{TAGS}`")),
        "{stderr}"
    );
}

#[test]
fn every_report_format_shows_custom_findings() {
    let dir = fixture();
    for format in [
        "text",
        "json",
        "junit",
        "markdown",
        "html",
        "github",
        "codeclimate",
        "sarif",
    ] {
        let (code, stdout, stderr) =
            run(dir.path(), &["check", ".", "--offline", "--format", format]);
        assert_eq!(code, Some(1), "{format}: {stderr}");
        for rule in [TAGS, DELETION] {
            assert!(stdout.contains(rule), "{format} lacks {rule}");
        }
    }
}

#[test]
fn sarif_describes_the_policies_it_reports() {
    let dir = fixture();
    let (_, stdout, _) = run(
        dir.path(),
        &["check", ".", "--offline", "--format", "sarif"],
    );
    let sarif: Value = serde_json::from_str(&stdout).unwrap();
    let errors = sarif_schema_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let builtin = liftoff::rules::REGISTRY.len();
    assert_eq!(ids.len(), builtin + 2);
    assert_eq!(
        &ids[builtin..],
        [DELETION, TAGS],
        "built-in first, then the policies by file"
    );
    let tags = &rules[builtin + 1];
    assert_eq!(
        tags["shortDescription"]["text"],
        "Every bucket names the cost centre it is charged to"
    );
    assert!(
        tags["help"]["text"]
            .as_str()
            .unwrap()
            .contains("wiki.example.org/finance/tagging")
    );
    assert_eq!(tags["defaultConfiguration"]["level"], "error");
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == TAGS)
        .unwrap();
    assert_eq!(result["ruleIndex"], builtin + 1);
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "terraform/production/main.tf"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        9
    );
}

/// Microsoft's SARIF Multitool (tests/sarif, installed by scripts/test) accepts the SARIF with
/// custom rules under GitHub's ingestion rules, waived and baselined results included.
#[test]
fn sarif_with_custom_rules_passes_the_multitool() {
    let tool =
        root().join("tests/sarif/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    if !tool.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the SARIF Multitool is not installed; scripts/test installs it"
        );
        eprintln!("no SARIF Multitool: the ingestion check is skipped");
        return;
    }
    let dir = fixture();
    let (code, _, stderr) = run(dir.path(), &["baseline", "."]);
    assert_eq!(code, Some(0), "{stderr}");
    let manifest = std::fs::read_to_string(dir.path().join("liftoff.yaml")).unwrap();
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        format!("{manifest}waivers:\n  - rule: {TAGS}\n    reason: charged later\n    expires: 2099-01-01\n"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    for (i, extra) in [&[][..], &["--baseline", ".liftoff-baseline.json"][..]]
        .iter()
        .enumerate()
    {
        let sarif = out.path().join(format!("case{i}.sarif"));
        let mut args = vec!["check", ".", "--offline"];
        args.extend_from_slice(extra);
        let target = format!("sarif={}", sarif.display());
        args.extend(["-o", &target]);
        let (code, _, stderr) = run(dir.path(), &args);
        assert!(matches!(code, Some(0 | 1)), "{stderr}");
        let text = std::fs::read_to_string(&sarif).unwrap();
        assert!(text.contains(TAGS) && text.contains(DELETION));
        let log = out.path().join(format!("case{i}.validation.sarif"));
        let validated = std::process::Command::new(&tool)
            .arg("validate")
            .arg(&sarif)
            .args(["--rule-kind", "Gh;Sarif", "--log", "ForceOverwrite", "-o"])
            .arg(&log)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&validated.stdout);
        let problems: Vec<&str> = report
            .lines()
            .filter(|l| l.contains(": error ") || l.contains(": warning "))
            .collect();
        assert!(validated.status.success(), "{report}");
        assert!(problems.is_empty(), "{problems:#?}");
        assert!(report.contains("1 files scanned"), "{report}");
    }
}

#[test]
fn rules_and_explain_show_the_repository_s_policies() {
    let dir = fixture();
    let (code, listed, stderr) = run(dir.path(), &["rules"]);
    assert_eq!(code, Some(0), "{stderr}");
    let tags_line = listed.lines().find(|l| l.starts_with(TAGS)).unwrap();
    assert!(
        tags_line.contains("- r R") && tags_line.contains("cost centre"),
        "{tags_line}"
    );
    assert!(listed.lines().any(|l| l.starts_with(DELETION)));
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("security.db-not-public"))
    );
    let (_, json, _) = run(dir.path(), &["rules", "--format", "json"]);
    let list: Value = serde_json::from_str(&json).unwrap();
    assert!(list.as_array().unwrap().iter().any(|r| r["id"] == TAGS));

    let (code, explained, stderr) = run(dir.path(), &["explain", TAGS]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        explained.starts_with(&format!("{TAGS}: Every bucket names the cost centre")),
        "{explained}"
    );
    assert!(explained.contains("production required"), "{explained}");
    let (code, explained, _) = run(dir.path(), &["explain", DELETION]);
    assert_eq!(code, Some(0));
    assert!(explained.contains("Every database instance has deletion protection switched on."));

    // From elsewhere: --dir reads that manifest, --policy adds files.
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(elsewhere.path(), &["explain", TAGS]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(&format!("no rule has the id `{TAGS}`")),
        "{stderr}"
    );
    let (code, _, _) = run(
        elsewhere.path(),
        &["explain", TAGS, "--dir", dir.path().to_str().unwrap()],
    );
    assert_eq!(code, Some(0));
    let tags = dir.path().join("policies/tags.yaml");
    let (_, listed, _) = run(
        elsewhere.path(),
        &["rules", "--policy", tags.to_str().unwrap()],
    );
    assert!(listed.lines().any(|l| l.starts_with(TAGS)));
    assert!(!listed.lines().any(|l| l.starts_with(DELETION)));
    // A built-in rule is explained whatever the manifest's state.
    write_file(dir.path(), "liftoff.yaml", "service: [\n");
    let (code, _, stderr) = run(dir.path(), &["explain", "security.db-not-public"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, _, _) = run(dir.path(), &["explain", TAGS]);
    assert_eq!(code, Some(2), "a broken manifest cannot name policies");
    std::fs::copy(
        root().join("tests/fixtures/house-rules/liftoff.yaml"),
        dir.path().join("liftoff.yaml"),
    )
    .unwrap();
    // A near miss is suggested among the policies too.
    let (_, _, stderr) = run(dir.path(), &["explain", "archive.deletion-protect"]);
    assert!(
        stderr.contains(&format!("did you mean `{DELETION}`?")),
        "{stderr}"
    );
}

#[test]
fn rules_test_runs_every_policy_s_examples_and_tests() {
    let dir = fixture();
    let (code, stdout, stderr) = run(dir.path(), &["rules", "test"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("ok   policies/tags.tests/fail/untagged.tf (expected fail, got fail)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok   test_a_protected_database_passes"),
        "{stdout}"
    );
    assert!(
        stdout.contains("4 test(s), 4 as expected, 0 not"),
        "{stdout}"
    );

    // A pass example the policy fails: exit 1, the failing result shown.
    write_file(
        dir.path(),
        "policies/tags.tests/pass/wrong.tf",
        "resource \"aws_s3_bucket\" \"wrong\" {\n  bucket = \"wrong\"\n  tags = { CostCentre = \"finance\" }\n}\n",
    );
    // A Rego test that does not hold.
    let rego = dir.path().join("policies/databases.rego");
    let text = std::fs::read_to_string(&rego).unwrap();
    std::fs::write(
        &rego,
        format!("{text}\ntest_wrongly_expects_nothing if {{\n\tcount(deny) == 1 with input as {{\"resources\": []}}\n}}\n"),
    )
    .unwrap();
    let (code, stdout, _) = run(dir.path(), &["rules", "test", "policies"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL policies/tags.tests/pass/wrong.tf (expected pass, got fail)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAIL test_wrongly_expects_nothing"),
        "{stdout}"
    );
    assert!(
        stdout.contains("6 test(s), 4 as expected, 2 not"),
        "{stdout}"
    );
    let (_, json, _) = run(dir.path(), &["rules", "test", "--format", "json"]);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["failed"], 2);

    // A policy that does not load: exit 2, naming its position.
    write_file(
        dir.path(),
        "policies/bad.yaml",
        "metadata:\n  id: CKV2_ARCHIVE_2\n  name: Bad\n  category: CONVENTION\ndefinition:\n  cond_type: attribute\n  resource_types: [aws_s3_bucket]\n  attribute: tags\n  operator: is_purple\n",
    );
    let (code, _, stderr) = run(dir.path(), &["rules", "test"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("policies/bad.yaml:9:"), "{stderr}");
    // Nothing to test.
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(elsewhere.path(), &["rules", "test"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no policies to test"), "{stderr}");
}

#[test]
fn model_prints_the_document_policies_see() {
    let dir = fixture();
    let (code, stdout, stderr) = run(dir.path(), &["model", ".", "--format", "json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let expected =
        serde_json::to_string_pretty(&liftoff::model::document::document(&loaded.deployment))
            .unwrap();
    assert_eq!(stdout, format!("{expected}\n"));
    let document: Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        document["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(
                |r| r["address"] == "aws_db_instance.catalogue" && r["environment"] == "production"
            )
    );
    // Terraform options shape it as they shape the check.
    let (_, staging_only, _) = run(dir.path(), &["model", ".", "--var", "unused=1"]);
    assert_eq!(staging_only, stdout, "an unused variable changes nothing");
}

#[test]
fn a_runaway_policy_is_an_error_result_and_the_check_goes_on() {
    let dir = fixture();
    write_file(
        dir.path(),
        "policies/loop.rego",
        "package archive.loop\n\ndeny contains \"never\" if {\n\tsome a in numbers.range(1, 100000)\n\t\
         some b in numbers.range(1, 100000)\n\ta + b < 0\n}\n",
    );
    let started = std::time::Instant::now();
    let (code, report) = check_json(dir.path(), &["--offline"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(code, 1);
    let stopped = results(&report, "archive.loop");
    assert_eq!(stopped.len(), 1, "{stopped:#?}");
    assert_eq!(stopped[0]["status"], "error");
    assert!(
        stopped[0]["message"]
            .as_str()
            .unwrap()
            .contains("policies/loop.rego"),
        "{}",
        stopped[0]["message"]
    );
    assert_eq!(
        one(&report, TAGS, "aws_s3_bucket.exports", "production")["status"],
        "fail"
    );
    assert_eq!(
        one(&report, DELETION, "aws_db_instance.catalogue", "production")["status"],
        "fail"
    );
}

/// A team's checkov policies come with `#checkov:skip=<ID>` comments: one naming a loaded house
/// policy waives its finding, as checkov would skip it; one naming a checkov check liftoff has no
/// rule for is no waiver at all (not refused, not listed unused), with or without the policies.
#[test]
fn checkov_skip_comments_waive_house_policies_of_that_id() {
    let dir = fixture();
    let main = dir.path().join("terraform/production/main.tf");
    let tf = std::fs::read_to_string(&main).unwrap();
    assert!(tf.contains("resource \"aws_s3_bucket\" \"exports\" {"));
    std::fs::write(
        &main,
        tf.replace(
            "resource \"aws_s3_bucket\" \"exports\" {",
            &format!(
                "#checkov:skip={TAGS}: exports are charged with the documents bucket\n\
                 #checkov:skip=CKV_AWS_18: access logs go to the organisation trail\n\
                 resource \"aws_s3_bucket\" \"exports\" {{"
            ),
        ),
    )
    .unwrap();
    let (_, report) = check_json(dir.path(), &["--offline"]);
    let skipped = one(&report, TAGS, "aws_s3_bucket.exports", "production");
    assert_eq!(skipped["status"], "waived", "{skipped:#}");
    assert!(
        skipped["waiver"]["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("(checkov {TAGS})")),
        "{skipped:#}"
    );
    let (code, listed, stderr) = run(dir.path(), &["waivers", "."]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(listed.contains(TAGS), "{listed}");
    assert!(!listed.contains("CKV_AWS_18"), "{listed}");
    // Without the policies the same comments are no waivers, and nothing is refused.
    let bare = fixture_without_policies();
    let main = bare.path().join("terraform/production/main.tf");
    let tf = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        tf.replace(
            "resource \"aws_s3_bucket\" \"exports\" {",
            &format!(
                "#checkov:skip={TAGS}: charged elsewhere\nresource \"aws_s3_bucket\" \"exports\" {{"
            ),
        ),
    )
    .unwrap();
    let (code, _, stderr) = run(bare.path(), &["check", ".", "--offline"]);
    assert_ne!(code, Some(2), "{stderr}");
    assert!(results(&check_json(bare.path(), &["--offline"]).1, TAGS).is_empty());
}
