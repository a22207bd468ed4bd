//! Rules as units: every rule is one file named by its id, declared once, with its examples in
//! files beside it; the registry is exactly the rule files.

use crate::support::*;
use liftoff::rules::{Evidence, REGISTRY, RuleMeta, Status};
use std::path::{Path, PathBuf};

/// Where rule `<area>.<name>` must live: `src/rules/<area>/<name_with_underscores>.rs`.
fn rule_file(id: &str) -> PathBuf {
    let (area, name) = id.split_once('.').expect("a rule id is `<area>.<name>`");
    root()
        .join("src/rules")
        .join(area)
        .join(format!("{}.rs", name.replace('-', "_")))
}

/// The id a rule file's path names, the inverse of [`rule_file`].
fn id_of(path: &Path) -> String {
    let area = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
    let stem = path.file_stem().unwrap().to_string_lossy();
    format!("{area}.{}", stem.replace('_', "-"))
}

fn declares_a_rule(text: &str) -> bool {
    text.contains("\ndeclare_rule! {")
}

/// Every `src/rules/<area>/*.rs` that declares a rule.
fn declaring_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for area in std::fs::read_dir(root().join("src/rules")).unwrap() {
        let area = area.unwrap().path();
        if !area.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&area).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "rs")
                && declares_a_rule(&std::fs::read_to_string(&file).unwrap())
            {
                files.push(file);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_rule_lives_in_the_file_its_id_names() {
    for rule in REGISTRY {
        let m = rule.meta();
        let path = rule_file(m.id);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{} should be declared in {}: {e}", m.id, path.display()));
        assert_eq!(
            text.matches("\ndeclare_rule! {").count(),
            1,
            "{} declares one rule",
            path.display()
        );
        assert!(
            text.contains(&format!("\n    id: \"{}\",\n", m.id)),
            "{} does not declare {}",
            path.display(),
            m.id
        );
    }
    // And the other way: every file that declares a rule is registered under the id its path
    // names, so the registry is exactly the rule files.
    let files = declaring_files();
    for file in &files {
        let id = id_of(file);
        assert!(
            liftoff::rules::find(&id).is_some(),
            "{} declares a rule, but no rule `{id}` is registered",
            file.display()
        );
    }
    assert_eq!(files.len(), REGISTRY.len(), "one file per registered rule");
}

/// `cargo fmt` formats the modules it sees declared, and build.rs declares the rule modules out
/// of its sight (in OUT_DIR), so this keeps the rule files formatted all the same.
#[test]
fn rule_files_are_formatted() {
    let files = declaring_files();
    let out = std::process::Command::new("rustfmt")
        .args(["--check", "--edition", "2024"])
        .args(&files)
        .output()
        .expect("rustfmt comes with the toolchain");
    assert!(
        out.status.success(),
        "rule files are not formatted: run `rustfmt --edition 2024 src/rules/*/*.rs`\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn manifest(snippet: &str) -> String {
    format!("service: example\n{snippet}")
}

/// The examples a rule declares, read from the files beside it: `<name>/pass.yaml` and
/// `fail.yaml` when they are liftoff.yaml snippets a test runs, `.txt` when they are shown only.
fn example_files(m: &RuleMeta) -> (String, String) {
    let dir = rule_file(m.id).with_extension("");
    let (runs, shown) = if m.examples_run {
        ("yaml", "txt")
    } else {
        ("txt", "yaml")
    };
    for which in ["pass", "fail"] {
        assert!(
            !dir.join(format!("{which}.{shown}")).exists(),
            "{}: {which}.{shown} is not what the rule declares",
            m.id
        );
    }
    let read = |which: &str| {
        let path = dir.join(format!("{which}.{runs}"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    (read("pass"), read("fail"))
}

/// Runs every rule's example files: the pass example passes, the fail example fails for a real
/// reason (not for want of evidence). Examples that are artefacts or live answers are shown by
/// `liftoff explain` only, and must still be there.
#[test]
fn every_rules_example_files_give_their_verdicts() {
    for rule in REGISTRY {
        let m = rule.meta();
        let (pass, fail) = example_files(m);
        assert_eq!(
            (pass.as_str(), fail.as_str()),
            (m.pass_example, m.fail_example)
        );
        if !m.examples_run {
            continue;
        }
        let got = statuses(&assess(&manifest(&pass)), m.id);
        // A rule judged live can only say "skipped" offline for a passing declaration.
        let live = m.evidence.contains(&Evidence::Live);
        let passed = got.contains(&Status::Pass)
            || (live && !got.is_empty() && got.iter().all(|s| *s == Status::Skipped));
        assert!(passed, "{}: pass example gave {got:?}\n{pass}", m.id);
        assert!(
            !got.contains(&Status::Fail) && !got.contains(&Status::Error),
            "{}: pass example gave {got:?}",
            m.id
        );

        let a = assess(&manifest(&fail));
        let got = statuses(&a, m.id);
        assert!(
            got.contains(&Status::Fail),
            "{}: fail example gave {got:?}\n{fail}",
            m.id
        );
        // The failure is a real one, not "not evidenced": the example declares the fact.
        assert!(
            a.results
                .iter()
                .filter(|r| r.rule == m.id && r.status == Status::Fail)
                .all(|r| !r.message.starts_with("not evidenced")),
            "{}: the fail example only fails for missing evidence",
            m.id
        );
    }
}
