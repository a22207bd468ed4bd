//! The README and docs/ say what is true: the tour prints what the README shows, the bundled
//! examples keep their verdicts as the calendar moves on, and every link and repository path
//! they name exists.

use crate::support::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The ```console blocks of a markdown text: (command after `$ `, the lines shown under it).
fn console_blocks(text: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim_end() != "```console" {
            continue;
        }
        let body: Vec<String> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .map(str::to_string)
            .collect();
        if let Some(command) = body.first().and_then(|l| l.strip_prefix("$ ")) {
            blocks.push((command.to_string(), body[1..].to_vec()));
        }
    }
    blocks
}

/// The runnable console blocks of a document: `liftoff check` on a folder of this repository (a
/// bundled example or a test fixture), run from the repository's root.
fn runnable_blocks(doc: &Path) -> Vec<(Vec<String>, Vec<String>)> {
    console_blocks(&read(doc))
        .into_iter()
        .filter_map(|(command, shown)| {
            let args: Vec<String> = command
                .strip_prefix("liftoff ")?
                .split_whitespace()
                .map(str::to_string)
                .collect();
            let on_this_repository = args.iter().any(|a| {
                (a.starts_with("examples/") || a.starts_with("tests/")) && root().join(a).is_dir()
            });
            (args.first()? == "check" && on_this_repository).then_some((args, shown))
        })
        .collect()
}

/// The README's tour: its runnable blocks on a bundled example.
fn tour_blocks() -> Vec<(Vec<String>, Vec<String>)> {
    runnable_blocks(&root().join("README.md"))
        .into_iter()
        .filter(|(args, _)| args.iter().any(|a| a.starts_with("examples/")))
        .collect()
}

/// Where `shown` (with `...` lines for elided parts) differs from `actual`: the shown lines must
/// appear in order, the lines between two `...` consecutively, and the first and last runs at
/// the very start and end unless a `...` stands there.
fn mismatch(shown: &[String], actual: &[&str]) -> Option<String> {
    let runs: Vec<&[String]> = shown.split(|l| l.trim() == "...").collect();
    let mut at = 0;
    for (i, run) in runs.iter().enumerate() {
        if run.is_empty() {
            continue;
        }
        let anchored_start = i == 0;
        let anchored_end = i == runs.len() - 1;
        let fits = |start: usize| {
            start + run.len() <= actual.len()
                && run.iter().zip(&actual[start..]).all(|(s, a)| s == a)
        };
        let found = if anchored_start {
            fits(0).then_some(0)
        } else if anchored_end {
            let start = actual.len().checked_sub(run.len())?;
            (start >= at && fits(start)).then_some(start)
        } else {
            (at..actual.len()).find(|&s| fits(s))
        };
        let Some(start) = found else {
            return Some(format!(
                "these shown lines are not printed{}:\n{}",
                if anchored_start {
                    " at the start"
                } else if anchored_end {
                    " at the end"
                } else {
                    " in this order"
                },
                run.join("\n")
            ));
        };
        at = start + run.len();
    }
    None
}

/// A command as a reader runs it: today's date, and the network only if the command asks.
fn as_a_reader_runs(args: &[String]) -> assert_cmd::Command {
    let mut cmd = liftoff();
    cmd.env_remove("LIFTOFF_TODAY")
        .env_remove("LIFTOFF_OFFLINE")
        .current_dir(root())
        .args(args);
    cmd
}

#[test]
fn the_tour_prints_what_the_readme_shows() {
    assert!(
        !tour_blocks().is_empty(),
        "README.md has no ```console block starting with `$ liftoff check examples/...`"
    );
    let mut checked = 0;
    for doc in documents() {
        for (args, shown) in runnable_blocks(&doc) {
            check_shown_output(&doc, &args, &shown);
            checked += 1;
        }
    }
    assert!(checked >= 3, "{checked} console blocks run");
}

/// Runs a documented command as a reader would and compares what it prints with what `doc` shows.
fn check_shown_output(doc: &Path, args: &[String], shown: &[String]) {
    let doc = doc.strip_prefix(root()).unwrap().display();
    // Documented commands never reach the network: the examples' hosts are fictional.
    assert!(
        args.iter().any(|a| a == "--offline"),
        "{doc}: `liftoff {}` would probe fictional hosts",
        args.join(" ")
    );
    let out = as_a_reader_runs(args).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let actual: Vec<&str> = stdout.lines().collect();
    if let Some(why) = mismatch(shown, &actual) {
        panic!(
            "`liftoff {}` no longer prints what {doc} shows: {why}\n\nit prints:\n{stdout}",
            args.join(" ")
        );
    }
    // The verdict lines, at least, must be shown (the first three, under the service's name).
    for v in actual.iter().skip(1).take(3) {
        assert!(
            shown.iter().any(|s| s == v),
            "{doc} does not show the verdict line {v:?} of `liftoff {}`",
            args.join(" ")
        );
    }
}

#[test]
fn the_mismatch_check_catches_changed_missing_and_reordered_lines() {
    let shown = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
    let actual = ["a", "b", "c", "d", "e"];
    assert_eq!(mismatch(&shown("a\nb\n...\nd\ne"), &actual), None);
    assert_eq!(mismatch(&shown("a\n...\nc\n...\ne"), &actual), None);
    assert_eq!(mismatch(&shown("...\nc\n..."), &actual), None);
    assert!(mismatch(&shown("a\nc\n...\ne"), &actual).is_some(), "gap");
    assert!(mismatch(&shown("b\n...\ne"), &actual).is_some(), "start");
    assert!(mismatch(&shown("a\n...\nd"), &actual).is_some(), "end");
    assert!(mismatch(&shown("a\n...\nd\n...\nc\n...\ne"), &actual).is_some());
    assert!(mismatch(&shown("a\n...\nx\n...\ne"), &actual).is_some());
}

fn examples() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("liftoff.yaml").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 4, "{dirs:?}");
    dirs
}

/// The JSON report of `check --offline` on `dir`, as of `today` (None: the real today).
fn report(dir: &Path, today: Option<&str>) -> Value {
    let mut cmd = liftoff();
    cmd.env_remove("LIFTOFF_TODAY")
        .args(["check", "--offline", "--format", "json"]);
    if let Some(day) = today {
        cmd.args(["--today", day]);
    }
    let out = cmd.arg(dir).output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Rules judged on a date in the past (`pentest.date`, `last_deploy`, `restore_tested`): a fixed
/// calendar date only grows older, and the manifest has no relative form. `compliance.frameworks`
/// maps controls onto them (ISO 27001 8.29 is the pentest, GDPR Art. 32(1)(d) the restore test).
const PAST_EVENTS: [&str; 4] = [
    "security.pentest",
    "ops.upgrade-cadence",
    "reliability.restore-tested",
    "compliance.frameworks",
];

/// Examples whose every past event is already older than its rule allows, so their verdict
/// cannot change: the tour's example must be one of them.
const TIMELESS: [&str; 4] = [
    "bibxml-service",
    "civil-registry",
    "soft-launch-beta",
    "stats-platform",
];

fn outcomes(report: &Value, skip_past_events: bool) -> BTreeSet<String> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !(skip_past_events && PAST_EVENTS.contains(&r["rule"].as_str().unwrap())))
        .map(|r| {
            format!(
                "{} {} [{}] {} {}",
                r["rule"], r["target"], r["environment"], r["status"], r["requirement"]
            )
        })
        .collect()
}

#[test]
fn the_examples_judge_the_same_in_2030() {
    for dir in examples() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let now = report(&dir, None);
        let later = report(&dir, Some("2030-01-01"));
        // No waiver expires and nothing else rots: only the past events may age.
        let (before, after) = (outcomes(&now, true), outcomes(&later, true));
        assert!(
            before == after,
            "{name}: results other than past events change by 2030:\ntoday only: {:?}\n2030 only: {:?}",
            before.difference(&after).collect::<Vec<_>>(),
            after.difference(&before).collect::<Vec<_>>()
        );
        // Days left shrink; the waiver's standing must not.
        let waivers = |r: &Value| -> Vec<String> {
            r["waivers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| {
                    format!(
                        "{} {} {} {}",
                        w["rule"], w["target"], w["status"], w["used"]
                    )
                })
                .collect()
        };
        assert_eq!(
            waivers(&now),
            waivers(&later),
            "{name}: waivers change by 2030"
        );
        if TIMELESS.contains(&name.as_str()) {
            assert_eq!(now["verdicts"], later["verdicts"], "{name}");
            assert_eq!(now["summary"], later["summary"], "{name}");
            assert_eq!(outcomes(&now, false), outcomes(&later, false), "{name}");
        }
    }
    // The README's tour runs a timeless example.
    for (args, _) in tour_blocks() {
        assert!(
            args.iter().any(|a| TIMELESS
                .iter()
                .any(|t| a.trim_end_matches('/') == format!("examples/{t}"))),
            "the tour `liftoff {}` runs an example whose verdict changes with the date",
            args.join(" ")
        );
    }
}

/// GitHub's anchor for a heading.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == ' ' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut fence = false;
    text.lines()
        .filter(|l| {
            if l.starts_with("```") {
                fence = !fence;
            }
            !fence && l.starts_with('#')
        })
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

/// The prose of a markdown text, without its fenced code blocks.
fn prose(text: &str) -> String {
    let mut fence = false;
    text.lines()
        .filter(|l| {
            if l.starts_with("```") {
                fence = !fence;
                return false;
            }
            !fence
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn documents() -> Vec<PathBuf> {
    let mut docs = vec![root().join("README.md")];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            docs.push(path);
        }
    }
    docs.sort();
    docs
}

#[test]
fn every_link_and_repository_path_in_the_docs_exists() {
    let link = regex::Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    // A path into the repository, or any Rust file (a path written without `src/` is caught).
    let path = regex::Regex::new(
        r"`((?:src|tests|scripts|docs|examples|fuzz|benches|profiles)/[^`\s]*|[\w./-]+\.rs)[`\s]",
    )
    .unwrap();
    let mut broken = Vec::new();
    for doc in documents() {
        let text = read(&doc);
        let shown = doc.strip_prefix(root()).unwrap().display().to_string();
        let body = prose(&text);
        for cap in link.captures_iter(&body) {
            let target = &cap[1];
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let resolved = if file.is_empty() {
                doc.clone()
            } else {
                doc.parent().unwrap().join(file)
            };
            if !resolved.exists() {
                broken.push(format!("{shown}: link to {target}: no such file"));
                continue;
            }
            if !anchor.is_empty()
                && resolved.extension().is_some_and(|e| e == "md")
                && !anchors(&read(&resolved)).contains(anchor)
            {
                broken.push(format!("{shown}: link to {target}: no such heading"));
            }
        }
        for cap in path.captures_iter(&body) {
            let p = &cap[1];
            // A placeholder (`src/rules/<pillar>/`) or a glob names no one file.
            if p.contains(['<', '*', '{']) {
                continue;
            }
            if !root().join(p).exists() {
                broken.push(format!("{shown}: `{p}` does not exist"));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_readme_gets_a_newcomer_going_in_few_lines() {
    let text = read(&root().join("README.md"));
    assert!(text.lines().count() <= 400, "README.md is over 400 lines");
    for needed in [
        "cargo install --path . --locked",
        "scripts/test --no-install",
        "liftoff check path/to/repo",
        "liftoff init",
    ] {
        assert!(text.contains(needed), "README.md lacks {needed:?}");
    }
    for stale in ["not built yet", "first part", "does not yet"] {
        for doc in documents() {
            assert!(
                !read(&doc).contains(stale),
                "{} still says {stale:?}",
                doc.display()
            );
        }
    }
}
