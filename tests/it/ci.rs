//! Adopting the gate in CI: fingerprints, baselines (a file or a git revision), several outputs
//! from one run, GitHub annotations and GitLab's Code Climate report. Runs on temporary git
//! repositories.

use crate::support::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.email=ci@example.org", "-c", "user.name=ci"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(dir: &Path, path: &str, text: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

const DB: &str = "resource \"aws_db_instance\" \"main\" {\n  identifier        = \"app\"\n  engine            = \"postgres\"\n  storage_encrypted = false\n}\n";
const BUCKET: &str = "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"logs\"\n}\n";

/// A repository with one production root holding an unencrypted database, committed.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write(dir.path(), "terraform/production/main.tf", DB);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "first"]);
    dir
}

fn json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let out = liftoff()
        .current_dir(dir)
        .args(["check", ".", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), report)
}

fn record_baseline(dir: &Path) {
    let out = liftoff()
        .current_dir(dir)
        .args(["baseline", "."])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (new, baselined, gone targets) of a report with a baseline.
fn counts(report: &Value) -> (u64, u64, Vec<String>) {
    let b = &report["baseline"];
    (
        b["new"].as_u64().unwrap(),
        b["baselined"].as_u64().unwrap(),
        b["gone"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                format!(
                    "{} {}",
                    g["rule"].as_str().unwrap(),
                    g["target"].as_str().unwrap()
                )
            })
            .collect(),
    )
}

fn new_findings(report: &Value) -> Vec<String> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["baseline"] == "new")
        .map(|r| {
            format!(
                "{} {}",
                r["rule"].as_str().unwrap(),
                r["target"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_baseline_survives_line_shifts_reformatting_and_moves_and_gates_only_new_findings() {
    let repo = repository();
    let dir = repo.path();
    let (code, before) = json(dir, &[]);
    assert_eq!(code, 1);
    record_baseline(dir);
    let (code, report) = json(dir, &["--baseline", ".liftoff-baseline.json"]);
    assert_eq!(code, 0, "everything failing is baselined: ready");
    assert_eq!(counts(&report).0, 0);
    assert_eq!(report["verdicts"]["production"], "ready");

    // The database moves down, is reformatted, and goes to another file of the same root.
    std::fs::remove_file(dir.join("terraform/production/main.tf")).unwrap();
    write(
        dir,
        "terraform/production/database.tf",
        &format!(
            "# the registry's database\n\n\n{}",
            DB.replace(" = ", "    =    ")
        ),
    );
    let (code, report) = json(dir, &["--baseline", ".liftoff-baseline.json"]);
    assert_eq!(code, 0, "{:?}", new_findings(&report));
    assert_eq!(counts(&report), (0, counts(&report).1, vec![]));

    // A new bucket: only its findings are new, and they block.
    write(dir, "terraform/production/logs.tf", BUCKET);
    let (code, report) = json(dir, &["--baseline", ".liftoff-baseline.json"]);
    assert_eq!(code, 1);
    let new = new_findings(&report);
    assert!(
        !new.is_empty() && new.iter().all(|n| n.ends_with("aws_s3_bucket.logs")),
        "{new:?}"
    );
    // Every required failure left blocking is one of the new ones.
    let blocking: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail" && r["requirement"] == "required")
        .filter(|r| r["baseline"] != "baselined")
        .collect();
    assert!(!blocking.is_empty());
    assert!(
        blocking.iter().all(|r| r["target"] == "aws_s3_bucket.logs"),
        "{blocking:?}"
    );
    assert_eq!(
        report["summary"]["blocking"].as_u64().unwrap() as usize,
        blocking.len()
    );

    // The database is fixed: its findings are gone from the baseline.
    write(
        dir,
        "terraform/production/database.tf",
        &DB.replace("storage_encrypted = false", "storage_encrypted = true"),
    );
    let (_, report) = json(dir, &["--baseline", ".liftoff-baseline.json"]);
    let gone = counts(&report).2;
    assert_eq!(
        gone,
        vec!["security.encryption-at-rest aws_db_instance.main".to_string()]
    );
    // Every result carries its fingerprint.
    assert!(
        before["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["fingerprint"].as_str().is_some_and(|f| f.len() == 32))
    );
}

#[test]
fn the_same_address_in_another_root_is_a_new_finding() {
    let repo = repository();
    let dir = repo.path();
    write(dir, "terraform/production/app/main.tf", BUCKET);
    std::fs::rename(
        dir.join("terraform/production/main.tf"),
        dir.join("terraform/production/app/db.tf"),
    )
    .unwrap();
    record_baseline(dir);
    write(dir, "terraform/production/reports/main.tf", BUCKET);
    let (code, report) = json(dir, &["--baseline", ".liftoff-baseline.json"]);
    let new = new_findings(&report);
    assert!(!new.is_empty(), "the second root's bucket is new");
    let located: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["baseline"] == "new")
        .map(|r| r["location"]["path"].as_str().unwrap())
        .collect();
    assert!(
        located
            .iter()
            .all(|p| p.starts_with("terraform/production/reports/")),
        "{located:?}"
    );
    assert_eq!(code, 1);
}

#[test]
fn new_since_compares_with_a_git_revision() {
    let repo = repository();
    let dir = repo.path();
    write(dir, "terraform/production/logs.tf", BUCKET);
    let (code, report) = json(dir, &["--new-since", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(report["baseline"]["source"], "git:HEAD");
    let new = new_findings(&report);
    assert!(
        !new.is_empty() && new.iter().all(|n| n.ends_with("aws_s3_bucket.logs")),
        "{new:?}"
    );
    // Committed, the bucket is old news against HEAD, but new against the first commit.
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "logs"]);
    assert_eq!(json(dir, &["--new-since", "HEAD"]).0, 0);
    assert_eq!(json(dir, &["--new-since", "HEAD~1"]).0, 1);
    // From a subfolder of the repository, and with a revision that does not exist.
    let (code, _) = json(&dir.join("terraform"), &["--new-since", "HEAD"]);
    assert_eq!(code, 0);
    let out = liftoff()
        .current_dir(dir)
        .args(["check", ".", "--new-since", "no-such-branch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`no-such-branch` is not a commit"));
}

/// One check writing four files and JSON on standard output.
const EVERY_OUTPUT: [&str; 12] = [
    "check",
    ".",
    "-o",
    "sarif=out/liftoff.sarif",
    "-o",
    "markdown=out/comment.md",
    "-o",
    "junit=out/junit.xml",
    "-o",
    "codeclimate=out/gl-code-quality.json",
    "-o",
    "json=-",
];

#[test]
fn one_run_writes_every_output() {
    let repo = repository();
    let dir = repo.path();
    let out = liftoff().current_dir(dir).args(EVERY_OUTPUT).output();
    // The output folder must exist: a missing one is a clear error, not a panic.
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write out/liftoff.sarif"));
    std::fs::create_dir(dir.join("out")).unwrap();
    let out = liftoff()
        .current_dir(dir)
        .args(EVERY_OUTPUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/liftoff.sarif")).unwrap())
            .unwrap();
    // The same assessment in every file: the SARIF results carry the JSON fingerprints.
    let fingerprints: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["liftoffFinding/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    for r in report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
    {
        assert!(fingerprints.contains(&r["fingerprint"].as_str().unwrap()));
    }
    assert!(
        std::fs::read_to_string(dir.join("out/comment.md"))
            .unwrap()
            .starts_with("## liftoff:")
    );
    assert!(
        std::fs::read_to_string(dir.join("out/junit.xml"))
            .unwrap()
            .contains("<testsuites")
    );
    let issues: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("out/gl-code-quality.json")).unwrap(),
    )
    .unwrap();
    let encryption = issues
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["check_name"] == "security.encryption-at-rest")
        .unwrap();
    assert_eq!(encryption["severity"], "blocker");
    assert_eq!(
        encryption["location"]["path"],
        "terraform/production/main.tf"
    );
    assert_eq!(encryption["location"]["lines"]["begin"], 4);
    assert_eq!(encryption["fingerprint"].as_str().unwrap().len(), 32);
    // Two outputs to standard output are refused.
    let out = liftoff()
        .current_dir(dir)
        .args(["check", ".", "-o", "json=-", "-o", "text=-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("more than one --output writes to standard output")
    );
}

#[test]
fn github_annotations_land_on_the_deciding_line_and_escape_their_text() {
    let repo = repository();
    let dir = repo.path();
    record_baseline(dir);
    write(dir, "terraform/production/logs.tf", BUCKET);
    let out = liftoff()
        .current_dir(dir)
        .args([
            "check",
            ".",
            "--format",
            "github",
            "--baseline",
            ".liftoff-baseline.json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains("::error file=terraform/production/logs.tf,line=1,col=1,title=security.no-public-storage::aws_s3_bucket.logs [production]: no public access block"),
        "{text}"
    );
    // Baselined findings are not annotated again; the summary counts them.
    assert!(!text.contains("aws_db_instance.main"), "{text}");
    assert!(text.contains("baseline .liftoff-baseline.json: "), "{text}");
}

#[test]
fn a_broken_baseline_file_is_a_clear_error() {
    let repo = repository();
    let dir = repo.path();
    write(dir, "baseline.json", "{\"version\": 1, \"findings\": [}\n");
    let out = liftoff()
        .current_dir(dir)
        .args(["check", ".", "--baseline", "baseline.json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("not a liftoff baseline") && stderr.contains("baseline.json:1:"),
        "{stderr}"
    );
}

/// Microsoft's SARIF Multitool from `tests/sarif` (scripts/test installs it), or `None` (with a
/// note) when it is missing and this is not CI.
fn multitool() -> Option<std::path::PathBuf> {
    // The native binary, not the npm wrapper: the wrapper passes its arguments through a shell,
    // which splits `Gh;Sarif` at the semicolon.
    let tool =
        root().join("tests/sarif/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    if tool.exists() {
        return Some(tool);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the SARIF Multitool is not installed; scripts/test installs it"
    );
    eprintln!("no SARIF Multitool: the GitHub ingestion check is skipped");
    None
}

/// Every SARIF liftoff writes (with a manifest, without one, with waived and baselined results)
/// passes the Multitool's SARIF and GitHub ingestion rules: GitHub would accept the upload.
#[test]
fn sarif_passes_githubs_ingestion_rules() {
    let Some(tool) = multitool() else {
        return;
    };
    let repo = repository();
    record_baseline(repo.path());
    write(repo.path(), "terraform/production/logs.tf", BUCKET);
    let cases: Vec<(std::path::PathBuf, Vec<&str>)> = vec![
        (root().join("examples/civil-registry"), vec![]),
        (
            repo.path().to_path_buf(),
            vec!["--baseline", ".liftoff-baseline.json"],
        ),
        (root().join("tests/fixtures/semantics/aws"), vec![]),
    ];
    let out_dir = tempfile::tempdir().unwrap();
    for (i, (dir, extra)) in cases.iter().enumerate() {
        let sarif = out_dir.path().join(format!("case{i}.sarif"));
        let out = liftoff()
            .current_dir(dir)
            .args(["check", "."])
            .args(extra)
            .arg("-o")
            .arg(format!("sarif={}", sarif.display()))
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log = out_dir.path().join(format!("case{i}.validation.sarif"));
        let validated = Command::new(&tool)
            .arg("validate")
            .arg(&sarif)
            .args(["--rule-kind", "Gh;Sarif", "--log", "ForceOverwrite", "-o"])
            .arg(&log)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&validated.stdout);
        let problems: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(": error ") || l.contains(": warning "))
            .collect();
        assert!(validated.status.success(), "{}", text);
        assert!(problems.is_empty(), "{}: {problems:#?}", dir.display());
        assert!(text.contains("1 files scanned"), "{text}");
    }
}

/// A result of `rule` about `target`.
fn result<'a>(report: &'a Value, rule: &str, target: &str) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule && r["target"] == target)
        .unwrap_or_else(|| panic!("no {rule} result for {target}"))
}

const GOVERNED_PROFILE: &str = "name: governed\nextends: baseline\nwaivers:\n  require_approval: true\n  approver_differs_from_owner: true\n  max_days: 90\n";

#[test]
fn waivers_follow_the_profiles_governance() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "governed.yaml", GOVERNED_PROFILE);
    write(
        p,
        "terraform/production/main.tf",
        &[
            DB.replace("\"main\"", "\"a\"").replace("\"app\"", "\"a\""),
            DB.replace("\"main\"", "\"b\"").replace("\"app\"", "\"b\""),
            DB.replace("\"main\"", "\"c\"").replace("\"app\"", "\"c\""),
            DB.replace("\"main\"", "\"d\"").replace("\"app\"", "\"d\""),
        ]
        .concat(),
    );
    let waiver = |target: &str, extra: &str, expires: &str| {
        format!(
            "  - {{rule: security.encryption-at-rest, target: \"{target}\", reason: legacy volume, owner: dba-team, expires: {expires}{extra}}}\n"
        )
    };
    write(
        p,
        "liftoff.yaml",
        &format!(
            "service: records\nprofile: ./governed.yaml\nenvironments:\n  production:\n    kind: production\n    sources: [{{terraform: terraform/production/}}]\nwaivers:\n{}{}{}{}",
            waiver("aws_db_instance.a", "", "2026-12-20"),
            waiver("aws_db_instance.b", ", approved_by: dba-team", "2026-12-20"),
            waiver(
                "aws_db_instance.c",
                ", approved_by: security-lead",
                "2027-06-30"
            ),
            waiver(
                "aws_db_instance.d",
                ", approved_by: security-lead",
                "2026-12-20"
            ),
        ),
    );
    let (_, report) = json(p, &[]);
    for (target, status) in [("a", "fail"), ("b", "fail"), ("c", "fail"), ("d", "waived")] {
        let r = result(
            &report,
            "security.encryption-at-rest",
            &format!("aws_db_instance.{target}"),
        );
        assert_eq!(r["status"], status, "{target}: {r}");
    }
    let refused: Vec<(String, String)> = report["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["status"] == "refused")
        .map(|w| {
            (
                w["target"].as_str().unwrap().to_string(),
                w["refused"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(
        refused
            .iter()
            .any(|(t, why)| t == "aws_db_instance.a" && why.contains("no `approved_by`")),
        "{refused:?}"
    );
    assert!(
        refused
            .iter()
            .any(|(t, why)| t == "aws_db_instance.b" && why.contains("approved by its own owner"))
    );
    assert!(refused.iter().any(|(t, why)| t == "aws_db_instance.c"
        && why.contains("later than the profile's `max_days` of 90")));
    // The text report warns of refused and expiring waivers.
    let text = liftoff()
        .current_dir(p)
        .args(["check", "."])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(
            "warning: the waiver of security.encryption-at-rest for `aws_db_instance.b` is refused"
        ),
        "{text}"
    );
    assert!(text.contains("warning: the waiver of security.encryption-at-rest for `aws_db_instance.d` expires on 2026-12-20 (in 28 days)"), "{text}");
    // `waivers --expiring` is a reminder job: 1 when one expires within the window.
    let reminder = |window: &str| {
        liftoff()
            .current_dir(p)
            .args(["waivers", ".", "--expiring", window])
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(reminder("30d"), Some(1));
    // Refused waivers keep the reminder failing whatever the window.
    assert_eq!(reminder("1d"), Some(1));
    write(p, "governed.yaml", "name: governed\nextends: baseline\n");
    assert_eq!(reminder("7d"), Some(0));
    assert_eq!(reminder("30d"), Some(1));
}

#[test]
fn inline_waivers_can_be_refused() {
    let repo = repository();
    let dir = repo.path();
    write(
        dir,
        "terraform/production/main.tf",
        &format!(
            "# liftoff:ignore security.encryption-at-rest -- encrypted at the volume level\n{DB}"
        ),
    );
    let (_, report) = json(dir, &[]);
    assert_eq!(
        result(
            &report,
            "security.encryption-at-rest",
            "aws_db_instance.main"
        )["status"],
        "waived"
    );
    let (code, report) = json(dir, &["--no-inline-waivers"]);
    assert_eq!(code, 1);
    assert_eq!(
        result(
            &report,
            "security.encryption-at-rest",
            "aws_db_instance.main"
        )["status"],
        "fail"
    );
    let waiver = &report["waivers"][0];
    assert_eq!(waiver["status"], "refused");
    assert!(
        waiver["refused"]
            .as_str()
            .unwrap()
            .contains("a waiver in a comment")
    );
    // A profile can say the same.
    write(
        dir,
        "strict-waivers.yaml",
        "name: strict-waivers\nextends: baseline\nwaivers: {inline: false}\n",
    );
    let (_, report) = json(dir, &["--profile", "./strict-waivers.yaml"]);
    assert_eq!(
        result(
            &report,
            "security.encryption-at-rest",
            "aws_db_instance.main"
        )["status"],
        "fail"
    );
}

#[test]
fn a_rule_can_arrive_gently_with_enforce_from() {
    let repo = repository();
    let dir = repo.path();
    write(
        dir,
        "gentle.yaml",
        "name: gentle\nextends: baseline\nrules:\n  security.encryption-at-rest:\n    enforce_from: {production: 2027-03-01}\n",
    );
    let (_, report) = json(dir, &["--profile", "./gentle.yaml"]);
    let r = result(
        &report,
        "security.encryption-at-rest",
        "aws_db_instance.main",
    );
    assert_eq!(r["status"], "fail");
    assert_eq!(r["requirement"], "recommended", "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .ends_with("(warns until 2027-03-01, blocks from then on)")
    );
    assert_eq!(
        report["upcoming_enforcements"],
        serde_json::json!([{"rule": "security.encryption-at-rest", "stage": "production", "from": "2027-03-01"}])
    );
    // The fingerprint does not change with the date: a baseline recorded before still matches.
    let before = r["fingerprint"].clone();
    let out = liftoff()
        .env("LIFTOFF_TODAY", "2027-03-01")
        .current_dir(dir)
        .args([
            "check",
            ".",
            "--format",
            "json",
            "--profile",
            "./gentle.yaml",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = result(
        &report,
        "security.encryption-at-rest",
        "aws_db_instance.main",
    );
    assert_eq!(r["requirement"], "required");
    assert_eq!(r["fingerprint"], before);
    assert!(report.get("upcoming_enforcements").is_none());
    // A single date applies to every stage; the text report lists what is coming.
    write(
        dir,
        "gentle.yaml",
        "name: gentle\nextends: baseline\nrules:\n  security.encryption-at-rest:\n    enforce_from: 2027-03-01\n",
    );
    let text = liftoff()
        .current_dir(dir)
        .args(["check", ".", "--profile", "./gentle.yaml"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("note: security.encryption-at-rest blocks production from 2027-03-01 (it warns until then)"), "{text}");
}
