//! `liftoff init` writes each open question as a commented key where the manifest reads it;
//! uncommenting them, `--answers` and `--interactive` answer them.

use crate::support::*;
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

/// A copy of `from` in a temporary directory, without its liftoff.yaml.
fn copy_without_manifest(from: &Path) -> tempfile::TempDir {
    let dir = copy_dir(from);
    let _ = std::fs::remove_file(dir.path().join("liftoff.yaml"));
    dir
}

/// `check --format json` on `dir`, which must end 0 or 1: (exit code, report).
fn check(dir: &Path) -> (i32, Value) {
    let (code, report) = check_json(dir, &[]);
    assert!(
        code == 0 || code == 1,
        "check exited {code}:\n{}",
        std::fs::read_to_string(dir.join("liftoff.yaml")).unwrap_or_default()
    );
    (code, report)
}

fn questions(report: &Value) -> u64 {
    report["summary"]["questions"].as_u64().unwrap()
}

/// The manifest as a person leaves it after deleting the `# ` of every commented key line
/// (`# key: value`, `#   nested: value`, `#   - item`); prose comments stay.
fn uncomment_keys(text: &str) -> String {
    let key = regex::Regex::new(r"^(\s*)# (\s*(?:[A-Za-z0-9_][\w.-]*:(?:\s|$)|- ))").unwrap();
    text.lines()
        .map(|line| key.replace(line, "$1$2").into_owned() + "\n")
        .collect()
}

fn read_manifest(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("liftoff.yaml")).unwrap()
}

fn fixtures() -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(root().join("tests/fixtures/layouts"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.push(root().join("tests/fixtures/questions"));
    for example in ["civil-registry", "bibxml-service", "soft-launch-beta"] {
        dirs.push(root().join("examples").join(example));
    }
    dirs
}

#[test]
fn uncommenting_every_key_init_wrote_parses_and_answers_questions() {
    for from in fixtures() {
        let dir = copy_without_manifest(&from);
        liftoff().arg("init").arg(dir.path()).assert().code(0);
        let written = read_manifest(dir.path());
        let (_, before) = check(dir.path());
        let edited = uncomment_keys(&written);
        assert_ne!(edited, written, "{}: nothing to uncomment", from.display());
        std::fs::write(dir.path().join("liftoff.yaml"), &edited).unwrap();
        let (_, after) = check(dir.path());
        assert!(
            questions(&after) < questions(&before),
            "{}: {} questions before, {} after:\n{edited}",
            from.display(),
            questions(&before),
            questions(&after)
        );
    }
}

#[test]
fn on_a_layout_every_question_init_places_is_answered_by_uncommenting() {
    for name in ["serverless-only", "template"] {
        let dir = copy_without_manifest(&root().join("tests/fixtures/layouts").join(name));
        liftoff().arg("init").arg(dir.path()).assert().code(0);
        let edited = uncomment_keys(&read_manifest(dir.path()));
        std::fs::write(dir.path().join("liftoff.yaml"), &edited).unwrap();
        let (_, report) = check(dir.path());
        assert_eq!(questions(&report), 0, "{name}:\n{edited}");
    }
}

#[test]
fn questions_sit_where_the_manifest_reads_them_with_their_meaning() {
    let dir = copy_without_manifest(&root().join("tests/fixtures/layouts/compose"));
    liftoff().arg("init").arg(dir.path()).assert().code(0);
    let text = read_manifest(dir.path());
    for expected in [
        "\n# access:\n#   admins: 3                # how many people hold production admin rights? (a whole number)\n",
        "#   mfa:\n#     production: true       # do its users log in with a second factor? (true or false)\n",
        "  production:\n    kind: production ",
        "    # zones: [a, b]              # which availability zones or sites does it run in? (a list of names)\n",
        "\n# processes:\n",
        "#   pentest:\n#     date: 2026-01-15       # when was the last penetration test? (a date, YYYY-MM-DD)\n",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    // Nothing is stated: every question is a comment.
    assert!(!text.contains("\naccess:"), "{text}");
}

#[test]
fn questions_about_undeclared_components_are_listed_with_the_rule_to_explain() {
    let dir = copy_without_manifest(&root().join("tests/fixtures/layouts/compose"));
    liftoff().arg("init").arg(dir.path()).assert().code(0);
    let text = read_manifest(dir.path());
    assert!(text.contains("`liftoff explain <rule>`"), "{text}");
    assert!(
        text.contains(
            "#   (security.backup-encryption) `backups` with `encrypted` and `transport`"
        ),
        "{text}"
    );
}

const ANSWERS: &str = "access.admins: 3\n\
environments.production.zones: [a, b]\n\
processes.runbooks.outage: docs/outage.md\n\
monitoring.channels:\n  - slack: SLACK_WEBHOOK_URL\n";

fn assert_answered(dir: &Path) {
    let text = read_manifest(dir);
    for expected in [
        "\naccess:\n  admins: 3                  # how many people hold production admin rights?",
        "\n    zones: [a, b]                # which availability zones",
        "\nprocesses:\n",
        "\n  runbooks:\n    outage: docs/outage.md",
        "\n  channels: [{slack: SLACK_WEBHOOK_URL}]",
        // The rest stays asked.
        "\n#   vpn: true ",
        "\n#     restore: docs/runbooks/restore.md",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    let (_, report) = check(dir);
    let open = |rule: &str| {
        rule_results(&report, rule).into_iter().any(|r| {
            r["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("not evidenced")
        })
    };
    for rule in [
        "security.few-admins",
        "ha.multi-zone",
        "monitoring.notification-channel",
    ] {
        assert!(!open(rule), "{rule} still asks:\n{}", read_manifest(dir));
    }
    assert!(open("security.vpn"));
}

#[test]
fn answers_from_a_file_are_written_uncommented() {
    let dir = copy_without_manifest(&root().join("tests/fixtures/layouts/compose"));
    let answers = dir.path().join("answers.yaml");
    std::fs::write(&answers, ANSWERS).unwrap();
    liftoff()
        .arg("init")
        .arg(dir.path())
        .arg("--answers")
        .arg(&answers)
        .assert()
        .code(0);
    assert_answered(dir.path());
}

#[test]
fn answers_from_standard_input() {
    let dir = copy_without_manifest(&root().join("tests/fixtures/layouts/compose"));
    liftoff()
        .arg("init")
        .arg(dir.path())
        .args(["--answers", "-"])
        .write_stdin(ANSWERS)
        .assert()
        .code(0);
    assert_answered(dir.path());
}

#[test]
fn an_unknown_answer_path_is_refused_with_the_nearest_one() {
    let dir = copy_without_manifest(&root().join("tests/fixtures/layouts/compose"));
    liftoff()
        .arg("init")
        .arg(dir.path())
        .args(["--answers", "-"])
        .write_stdin("access.admins: 3\nenvironments.prodution.zones: [a]\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<stdin>:2:1"))
        .stderr(predicate::str::contains("`environments.prodution.zones`"))
        .stderr(predicate::str::contains(
            "did you mean `environments.production.zones`?",
        ));
    assert!(!dir.path().join("liftoff.yaml").exists());
}

#[test]
fn an_answer_of_the_wrong_type_is_refused_before_writing() {
    let dir = copy_without_manifest(&root().join("tests/fixtures/layouts/compose"));
    liftoff()
        .arg("init")
        .arg(dir.path())
        .args(["--answers", "-"])
        .write_stdin("access.admins: many\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("liftoff.yaml (as answered)"));
    assert!(!dir.path().join("liftoff.yaml").exists());
}

#[test]
fn interactive_needs_a_terminal() {
    let dir = copy_without_manifest(&root().join("tests/fixtures/layouts/compose"));
    liftoff()
        .arg("init")
        .arg(dir.path())
        .arg("--interactive")
        .write_stdin("3\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not one"))
        .stderr(predicate::str::contains("--answers"));
    assert!(!dir.path().join("liftoff.yaml").exists());
}

#[test]
fn interactive_asks_on_a_terminal_and_asks_again_after_a_wrong_answer() {
    // A pseudo-terminal through util-linux `script`; where it is missing there is nothing cheap
    // to drive one with, and the refusal above is what can be tested.
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipped: no `script` on the PATH");
        return;
    }
    // Servers of the team's own: it is asked about its firewall and VPN.
    let dir = copy_without_manifest(&root().join("tests/fixtures/layouts/compose"));
    let bin = assert_cmd::cargo::cargo_bin("liftoff");
    let command = format!(
        "{} init {} --interactive",
        bin.display(),
        dir.path().display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("LIFTOFF_OFFLINE", "1")
        .env("LIFTOFF_TODAY", "2026-11-22")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            // admins: a wrong answer, then 3; firewall skipped; vpn false; the rest left open.
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"lots\n3\n\nfalse\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("expected a whole number"), "{said}");
    let text = read_manifest(dir.path());
    assert!(text.contains("\naccess:\n  admins: 3 "), "{text}");
    assert!(text.contains("\n  vpn: false "), "{text}");
    assert!(text.contains("\n#   firewall: true "), "{text}");
    check(dir.path());
}
