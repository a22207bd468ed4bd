//! Problems apart from questions: a result decided by a file, a probe or a declared fact is a
//! problem; one decided by nothing is a question. Reports list the problems first, with their
//! positions and fixes, and the questions after them as a checklist, never labelled BLOCK.

use crate::support::*;
use serde_json::Value;

fn fixture() -> std::path::PathBuf {
    root().join("tests/fixtures/questions")
}

/// A first check of the fixture, judging the pinned rules (see pinned.rs) so that a new rule
/// changes none of the snapshots.
fn run(format: &str) -> (i32, String) {
    let profiles = tempfile::tempdir().unwrap();
    let out = liftoff()
        .args(["check", "--offline", "--format", format, "--profile"])
        .arg(crate::pinned::profile_file(profiles.path()))
        .arg(fixture())
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn json_says_what_decided_each_result_and_counts_problems_and_questions() {
    let (code, out) = run("json");
    assert_eq!(code, 1, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let results = report["results"].as_array().unwrap();
    let decided = |rule: &str| -> Vec<&str> {
        results
            .iter()
            .filter(|r| r["rule"] == rule && r["status"] == "fail")
            .map(|r| r["decided_by"].as_str().unwrap())
            .collect()
    };
    // The public, unencrypted database is a problem found in the file.
    assert_eq!(decided("security.db-not-public"), ["file"], "{out}");
    assert_eq!(decided("security.encryption-at-rest"), ["file"], "{out}");
    // Nobody has said who the admins are: a question.
    let questions: Vec<&Value> = results
        .iter()
        .filter(|r| r["decided_by"] == "none" && r["status"] == "fail")
        .collect();
    assert!(!questions.is_empty(), "{out}");
    for q in &questions {
        assert!(
            q["message"].as_str().unwrap().starts_with("not evidenced"),
            "{q}"
        );
    }
    // Every result says what decided it, with one of four words.
    for r in results {
        let by = r["decided_by"].as_str().unwrap();
        assert!(["file", "live", "manifest", "none"].contains(&by), "{r}");
    }
    let summary = &report["summary"];
    let blocking_questions = results
        .iter()
        .filter(|r| {
            r["decided_by"] == "none" && r["status"] == "fail" && r["requirement"] == "required"
        })
        .count() as u64;
    assert_eq!(summary["questions"], blocking_questions, "{summary}");
    assert_eq!(
        summary["problems"].as_u64().unwrap() + summary["questions"].as_u64().unwrap(),
        summary["blocking"].as_u64().unwrap(),
        "{summary}"
    );
    assert_eq!(
        summary["stages"]["production"]["questions"],
        summary["questions"]
    );
    assert!(summary["problems"].as_u64().unwrap() >= 2, "{summary}");
}

#[test]
fn text_lists_problems_first_and_questions_as_a_checklist() {
    let (code, text) = run("text");
    assert_eq!(code, 1);
    let problems = text.find("problems block production:").expect(&text);
    let questions = text.find("\nQuestions (").expect(&text);
    assert!(problems < questions, "{text}");
    // The verdict line says which kind of thing stands in the way.
    let verdict = text
        .lines()
        .find(|l| l.trim_start().starts_with("production:"))
        .unwrap();
    assert!(
        verdict.contains("problems,") && verdict.contains("questions)"),
        "{verdict}"
    );
    // No question is labelled BLOCK, and each is one checklist line.
    for line in text.lines().filter(|l| l.contains("BLOCK")) {
        assert!(!line.contains("not evidenced"), "{line}");
    }
    let section = &text[questions..];
    assert!(section.contains("`liftoff init`"), "{section}");
    assert!(section.contains("  [ ] "), "{section}");
    assert!(!section.contains("not evidenced"), "{section}");
    // A problem keeps its file position and its fix.
    assert!(
        text.contains("at terraform/production/main.tf:10:"),
        "{text}"
    );
}

#[test]
fn markdown_and_html_keep_problems_and_questions_apart() {
    let (_, markdown) = run("markdown");
    let problems = markdown
        .find("### Problems blocking production")
        .expect(&markdown);
    let questions = markdown.find("### Open questions").expect(&markdown);
    assert!(problems < questions, "{markdown}");
    assert!(
        markdown.contains("| rule | target | finding | where | fix |"),
        "{markdown}"
    );
    assert!(markdown[questions..].contains("- [ ] "), "{markdown}");
    assert!(
        !markdown[problems..questions].contains("not evidenced"),
        "{markdown}"
    );
    let (_, html) = run("html");
    let problems = html.find("<h2>Problems").expect(&html);
    let questions = html.find("<h2>Open questions").expect(&html);
    assert!(problems < questions);
    assert!(!html[problems..questions].contains("not evidenced"));
}

#[test]
fn machine_formats_carry_questions_as_notes() {
    let (_, sarif) = run("sarif");
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let notes: Vec<&Value> = results
        .iter()
        .filter(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .contains("not evidenced")
        })
        .collect();
    assert!(!notes.is_empty());
    assert!(notes.iter().all(|r| r["level"] == "note"), "{notes:?}");
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "security.db-not-public" && r["level"] == "error")
    );
    // GitHub: a question annotates no line of a manifest that does not exist.
    let (_, github) = run("github");
    for line in github.lines().filter(|l| l.contains("not evidenced")) {
        assert!(line.starts_with("::notice "), "{line}");
        assert!(!line.contains("file="), "{line}");
    }
    assert!(
        github
            .lines()
            .any(|l| l.starts_with("::error file=terraform/production/main.tf"))
    );
    // JUnit: a question is skipped with its reason, never a failure.
    let (_, junit) = run("junit");
    for case in junit.split("<testcase").skip(1) {
        if case.contains("not evidenced") {
            assert!(case.contains("<skipped"), "{case}");
            assert!(case.contains("open question"), "{case}");
            assert!(!case.contains("<failure"), "{case}");
        }
    }
    // Code Climate: questions are information.
    let (_, cc) = run("codeclimate");
    let cc: Value = serde_json::from_str(&cc).unwrap();
    for issue in cc.as_array().unwrap() {
        if issue["description"]
            .as_str()
            .unwrap()
            .contains("not evidenced")
        {
            assert_eq!(issue["severity"], "info", "{issue}");
        }
    }
}

#[test]
fn snapshots_of_a_first_run_with_problems_and_questions() {
    insta::assert_snapshot!("questions_text", run("text").1);
    insta::assert_snapshot!("questions_markdown", run("markdown").1);
}

#[test]
fn skipped_live_checks_say_why_and_folders_get_no_line() {
    let out = liftoff()
        .args(["check", "--offline"])
        .arg(root().join("examples/stats-platform"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("live check(s) skipped (not run because of --offline)"),
        "{text}"
    );
    // An environment inferred from a folder points at the folder, never at a line of it.
    let (_, json) = run("json");
    let report: Value = serde_json::from_str(&json).unwrap();
    let (_, text) = run("text");
    for r in report["results"].as_array().unwrap() {
        if let Some(path) = r["location"]["path"].as_str() {
            if path.ends_with('/') {
                assert!(!text.contains(&format!("{path}:1:1")), "{text}");
            }
        }
    }
    assert!(!text.contains("terraform/production/:"), "{text}");
}

/// Warnings as the text report labels them (a group line says how many findings it holds).
fn text_warnings(text: &str) -> usize {
    text.lines()
        .filter(|l| l.trim_start().starts_with("WARN "))
        .map(|l| {
            l.rsplit_once(" (")
                .and_then(|(_, n)| n.strip_suffix(" findings)"))
                .and_then(|n| n.parse().ok())
                .unwrap_or(1)
        })
        .sum()
}

#[test]
fn text_and_markdown_agree_on_warnings_and_an_off_rule_is_no_warning() {
    for stage in ["staging", "soft-launch", "production"] {
        let run = |format: &str| {
            let out = liftoff()
                .args(["check", "--offline", "--stage", stage, "--format", format])
                .arg(root().join("examples/stats-platform"))
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        };
        let text = run("text");
        let markdown = run("markdown");
        let json: Value = serde_json::from_str(&run("json")).unwrap();
        let expected = json["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["status"] == "fail"
                    && r["requirement"] == "recommended"
                    && r["decided_by"] != "none"
            })
            .count();
        assert_eq!(text_warnings(&text), expected, "{stage}: {text}");
        let shown = markdown
            .split("<summary>")
            .nth(1)
            .and_then(|s| s.split(" warning(s)").next())
            .map_or(0, |n| n.parse::<usize>().unwrap());
        assert_eq!(shown, expected, "{stage}: {markdown}");
    }
}

#[test]
fn a_finding_s_fix_says_how_to_fix_that_finding() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("terraform/production");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("main.tf"),
        "module \"network\" {\n  source = \"git::https://example.org/network.git\"\n}\n",
    )
    .unwrap();
    let out = liftoff()
        .args(["check", "--offline", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let module = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "env.production-dev-images" && r["target"] == "module.network")
        .expect("the module is judged");
    assert_eq!(module["status"], "fail", "{module}");
    let fix = module["remediation"].as_str().unwrap();
    // The message is about a module, so the fix is too (not about images or editions).
    assert!(fix.contains("?ref="), "{fix}");
    assert!(!fix.contains("edition"), "{fix}");
}

#[test]
fn a_remote_module_not_read_is_listed_once_whatever_the_environments() {
    let dir = tempfile::tempdir().unwrap();
    let infra = dir.path().join("infra");
    std::fs::create_dir_all(&infra).unwrap();
    std::fs::write(
        infra.join("main.tf"),
        "variable \"env\" {}\nmodule \"queue\" {\n  source  = \"example-org/queue/aws\"\n  version = \"2.1.0\"\n  name    = var.env\n}\n",
    )
    .unwrap();
    std::fs::write(infra.join("production.tfvars"), "env = \"production\"\n").unwrap();
    std::fs::write(infra.join("staging.tfvars"), "env = \"staging\"\n").unwrap();
    let out = liftoff()
        .args(["check", "--offline", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed: Vec<&Value> = report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["path"] == "infra/main.tf#module.queue")
        .collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["status"], "not-read");
    // Read for both environments, so it belongs to neither alone.
    assert!(
        listed[0].get("environment").is_none_or(|e| e.is_null()),
        "{listed:?}"
    );
    let envs: Vec<&str> = report["inferred_environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(envs, ["production", "staging"]);
}
