//! The pinned rule set: the tests that judge every rule (report and first-run snapshots) judge
//! the rules `tests/fixtures/pinned/rules.txt` lists and no others, so adding a rule to liftoff
//! changes none of them.
//!
//! In process, [`assess_in`] drops every other rule from the profile before assessing. For the
//! binary, [`profile_file`] writes a profile that extends `baseline` and switches every other
//! registered rule off. SARIF describes every registered rule whatever the profile, so [`sarif`]
//! keeps the pinned rules' descriptors and renumbers the results' `ruleIndex` to match.

use crate::support::*;
use liftoff::model::Stage;
use liftoff::policy::Assessment;
use std::path::{Path, PathBuf};

/// The pinned rule ids.
pub fn ids() -> Vec<String> {
    let path = root().join("tests/fixtures/pinned/rules.txt");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// Assesses manifest text in `dir` like `support::assess_in`, judging only the pinned rules.
pub fn assess_in(text: &str, dir: &Path, stage: Stage) -> Assessment {
    assess_judging(&ids(), text, dir, stage)
}

fn assess_judging(rules: &[String], text: &str, dir: &Path, stage: Stage) -> Assessment {
    assess_in_with(text, dir, stage, |profile| {
        profile
            .rules
            .retain(|r| rules.iter().any(|id| id == r.rule.meta().id))
    })
    .unwrap()
}

/// Writes `pinned.yaml` in `dir`: `baseline` with every registered rule that is not pinned
/// switched off, for `--profile`. Returns its path.
pub fn profile_file(dir: &Path) -> PathBuf {
    let pinned = ids();
    let off: String = liftoff::rules::ids()
        .filter(|id| !pinned.iter().any(|p| p == id))
        .map(|id| format!("  {id}: {{enabled: false}}\n"))
        .collect();
    let text = format!(
        "name: pinned\nextends: baseline\ndescription: baseline, judging the pinned rules only\nrules:{}\n{off}",
        if off.is_empty() { " {}" } else { "" }
    );
    let path = dir.join("pinned.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// SARIF text with only the pinned rules' descriptors, and results pointing at them. The text
/// is edited line by line (it is printed two spaces an indent), so the snapshot keeps the order
/// and layout liftoff prints.
pub fn sarif(text: &str) -> String {
    sarif_describing(&ids(), text)
}

fn sarif_describing(pinned: &[String], text: &str) -> String {
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    let described: Vec<&str> = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let kept: Vec<&str> = described
        .iter()
        .copied()
        .filter(|id| pinned.iter().any(|p| p == id))
        .collect();
    const DESCRIPTOR: &str = "            {";
    let mut out: Vec<String> = Vec::new();
    let mut lines = text.lines().peekable();
    let mut in_rules = false;
    let mut skipping = false;
    while let Some(line) = lines.next() {
        if line == "          \"rules\": [" {
            in_rules = true;
        } else if in_rules && line.starts_with("          ]") {
            in_rules = false;
            // The last kept descriptor closes the list.
            if let Some(last) = out.last_mut() {
                if last == "            }," {
                    *last = "            }".into();
                }
            }
        } else if in_rules && line == DESCRIPTOR {
            let id_line = lines.peek().unwrap();
            let id = id_line.trim().trim_start_matches("\"id\": \"");
            let id = id.trim_end_matches("\",");
            skipping = !kept.contains(&id);
        }
        if in_rules && skipping {
            if line.starts_with("            }") {
                skipping = false;
            }
            continue;
        }
        match line.trim_start().strip_prefix("\"ruleIndex\": ") {
            Some(index) => {
                let old: usize = index.trim_end_matches(',').parse().unwrap();
                let new = kept.iter().position(|id| *id == described[old]).unwrap();
                let indent = &line[..line.len() - line.trim_start().len()];
                let comma = if index.ends_with(',') { "," } else { "" };
                out.push(format!("{indent}\"ruleIndex\": {new}{comma}"));
            }
            None => out.push(line.to_string()),
        }
    }
    let pinned_text = out.join("\n") + if text.ends_with('\n') { "\n" } else { "" };
    // Still SARIF: the same document with fewer descriptors.
    let reparsed: serde_json::Value = serde_json::from_str(&pinned_text).unwrap();
    assert_eq!(
        reparsed["runs"][0]["results"].as_array().map(Vec::len),
        doc["runs"][0]["results"].as_array().map(Vec::len)
    );
    pinned_text
}

/// The pinning works: a registered rule left out of the list is not judged in process, is
/// switched off by the profile file, and loses its SARIF descriptor; the pinned ones stay.
#[test]
fn pinning_leaves_out_every_rule_the_list_does_not_name() {
    let pinned = ids();
    let all: Vec<&str> = liftoff::rules::ids().collect();
    for id in &pinned {
        assert!(all.contains(&id.as_str()), "{id} is pinned but not a rule");
    }
    let dir = root().join("examples/stats-platform");
    let text = std::fs::read_to_string(dir.join("liftoff.yaml")).unwrap();
    let a = assess_in(&text, &dir, Stage::Production);
    assert!(a.results.iter().all(|r| pinned.iter().any(|p| p == r.rule)));

    // A stand-in for a rule added after the list was written: drop one from the list and
    // check it disappears from what the snapshots see.
    let left_out = "security.hsts";
    let fewer: Vec<String> = pinned.iter().filter(|p| *p != left_out).cloned().collect();
    let b = assess_judging(&fewer, &text, &dir, Stage::Production);
    assert!(a.results.iter().any(|r| r.rule == left_out));
    assert!(!b.results.iter().any(|r| r.rule == left_out));
    let full = liftoff::report::to_sarif(&a);
    let described = |sarif: &str| -> Vec<String> {
        let doc: serde_json::Value = serde_json::from_str(sarif).unwrap();
        doc["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(described(&sarif_describing(&pinned, &full)), pinned);
    let shown = sarif_describing(&fewer, &full);
    assert_eq!(described(&shown), fewer);
    // Every result still points at the descriptor of its own rule.
    let doc: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(r["ruleId"].as_str().unwrap(), fewer[index]);
    }

    let project = tempfile::tempdir().unwrap();
    let profile = std::fs::read_to_string(profile_file(project.path())).unwrap();
    for id in &all {
        let off = profile.contains(&format!("  {id}: {{enabled: false}}\n"));
        assert_eq!(off, !pinned.iter().any(|p| p == id), "{id}");
    }
}
