//! Baselines: a team adopting the gate on a repository that already has findings records them
//! once, and from then on only new blocking findings block.
//!
//! A finding is recognised by its fingerprint: the rule, the environment, the logical target (a
//! Terraform address with the folder of the root or module it is declared in, a component, a
//! URL) and the fact that decided it (the message, without positions). Line numbers and file
//! names inside a folder never enter it, so a finding survives line shifts, reformatting and
//! moving a resource to another file; the same address in two roots gives two fingerprints.

use super::assess::{Assessment, RuleResult};
use crate::diagnostic::{Diagnostic, InputError};
use crate::rules::Status;
use serde::{Deserialize, Serialize};

/// The baseline file's format version.
const VERSION: u32 = 1;

/// Whether a failing result was already in the baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline: it gates as usual.
    New,
    /// In the baseline: reported, but it does not block.
    Baselined,
}

/// One recorded finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub target: String,
    pub message: String,
}

/// A baseline file: the failing findings of one assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

/// What comparing with a baseline found, for the reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BaselineSummary {
    /// Where the baseline came from (a file, or `git:<revision>`).
    pub source: String,
    /// Failing results not in the baseline.
    pub new: usize,
    /// Failing results in the baseline (they do not block).
    pub baselined: usize,
    /// Baseline findings that no longer fail: the baseline can shrink.
    pub gone: Vec<BaselineEntry>,
}

/// Results a baseline records and compares: the ones that fail or could not be judged.
fn recorded(r: &RuleResult) -> bool {
    matches!(r.status, Status::Fail | Status::Error)
}

impl Baseline {
    /// The failing findings of `assessment`, sorted by fingerprint (the file diffs well).
    pub fn of(assessment: &Assessment) -> Baseline {
        let mut findings: Vec<BaselineEntry> = assessment
            .results
            .iter()
            .filter(|r| recorded(r))
            .map(|r| BaselineEntry {
                fingerprint: r.fingerprint.clone(),
                rule: r.rule.to_string(),
                environment: r.environment.as_deref().map(String::from),
                target: r.target.clone(),
                message: r.message.clone(),
            })
            .collect();
        findings.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Baseline {
            version: VERSION,
            findings,
        }
    }

    /// Reads a baseline file written by `liftoff baseline`.
    pub fn parse(shown: &str, text: &str) -> Result<Baseline, InputError> {
        let baseline: Baseline = serde_json::from_str(text).map_err(|e| {
            InputError::one(
                Diagnostic::at(
                    crate::model::Location::new(shown, e.line() as u32, e.column() as u32),
                    format!("not a liftoff baseline: {e}"),
                )
                .expected("the JSON `liftoff baseline` writes"),
            )
        })?;
        if baseline.version != VERSION {
            return Err(InputError::one(
                Diagnostic::in_file(
                    shown,
                    format!("baseline version {}, not {VERSION}", baseline.version),
                )
                .expected(
                    "a baseline written by this version of liftoff (run `liftoff baseline` again)",
                ),
            ));
        }
        Ok(baseline)
    }
}

impl Assessment {
    /// Marks each failing result new or baselined, lists the baseline's findings that are gone,
    /// and recounts readiness: baselined findings no longer block.
    pub fn apply_baseline(&mut self, baseline: &Baseline, source: &str) {
        let known: std::collections::HashSet<&str> = baseline
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        let mut summary = BaselineSummary {
            source: source.to_string(),
            ..BaselineSummary::default()
        };
        let mut present = std::collections::HashSet::new();
        for r in self.results.iter_mut().filter(|r| recorded(r)) {
            let state = if known.contains(r.fingerprint.as_str()) {
                summary.baselined += 1;
                present.insert(r.fingerprint.clone());
                BaselineState::Baselined
            } else {
                summary.new += 1;
                BaselineState::New
            };
            r.baseline = Some(state);
        }
        summary.gone = baseline
            .findings
            .iter()
            .filter(|f| !present.contains(&f.fingerprint))
            .cloned()
            .collect();
        self.baseline = Some(summary);
        self.retain_results(|_| true);
    }
}

/// The fingerprint of a result (see the module documentation): 32 hex digits of a SHA-256.
pub fn fingerprint(
    rule: &str,
    environment: Option<&str>,
    target: &str,
    location: Option<&crate::model::Location>,
    message: &str,
) -> String {
    // A target that is a file (an unparsable input) is its own folder; a Terraform address is
    // qualified by the folder it is declared in, so two roots with one address differ and a
    // move to another file of the folder changes nothing.
    let folder = location
        .map(|l| l.path.rsplit_once('/').map_or("", |(folder, _)| folder))
        .unwrap_or("");
    let text = format!(
        "{rule}\u{0}{}\u{0}{target}\u{0}{folder}\u{0}{}",
        environment.unwrap_or(""),
        normalise(message)
    );
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref()[..16]
        .iter()
        .fold(String::with_capacity(32), |mut out, b| {
            use std::fmt::Write;
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// The deciding fact of a message, without what moves when a file is edited: positions
/// (`main.tf:12:3`, `line 12`), case and spacing.
fn normalise(message: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut after_line = false;
    for word in message.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        let bare = lower.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        // `line 12`, `lines 3-4`: the number is a position.
        if after_line && bare.chars().all(|c| c.is_ascii_digit() || c == '-') && !bare.is_empty() {
            after_line = false;
            continue;
        }
        after_line = bare == "line" || bare == "lines";
        // `path/to/file.tf:12:3` or `at 12:3`: drop the position, keep the file.
        let without_position = strip_position(&lower);
        if !without_position.is_empty() {
            words.push(without_position);
        }
    }
    words.join(" ")
}

/// `file.tf:12:3` → `file.tf`; `12:3` → ``; anything else unchanged.
fn strip_position(word: &str) -> String {
    let trimmed = word.trim_end_matches([',', ')', ';', '.']);
    let mut parts: Vec<&str> = trimmed.split(':').collect();
    while parts.len() > 1
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].chars().all(|c| c.is_ascii_digit()) && trimmed.contains(':') {
        return String::new();
    }
    if parts.len() < trimmed.split(':').count() {
        parts.join(":")
    } else {
        word.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;

    fn at(path: &str, line: u32) -> Location {
        Location::new(path, line, 3)
    }

    #[test]
    fn positions_and_files_of_a_folder_do_not_change_a_fingerprint() {
        let a = fingerprint(
            "security.encryption-at-rest",
            Some("production"),
            "aws_db_instance.main",
            Some(&at("terraform/prod/main.tf", 10)),
            "`storage_encrypted` does not turn on encryption at rest",
        );
        // Moved down the file, then into another file of the same root.
        let moved = fingerprint(
            "security.encryption-at-rest",
            Some("production"),
            "aws_db_instance.main",
            Some(&at("terraform/prod/db.tf", 42)),
            "`storage_encrypted`  does not turn on encryption at rest",
        );
        assert_eq!(a, moved);
        assert_eq!(a.len(), 32);
        // The same address in another root is another finding.
        let other_root = fingerprint(
            "security.encryption-at-rest",
            Some("production"),
            "aws_db_instance.main",
            Some(&at("terraform/reporting/main.tf", 10)),
            "`storage_encrypted` does not turn on encryption at rest",
        );
        assert_ne!(a, other_root);
        // Another environment, another rule, another fact: other findings.
        for (rule, env, message) in [
            (
                "security.encryption-at-rest",
                Some("staging"),
                "`storage_encrypted` does not turn on encryption at rest",
            ),
            (
                "reliability.pitr",
                Some("production"),
                "`storage_encrypted` does not turn on encryption at rest",
            ),
            (
                "security.encryption-at-rest",
                Some("production"),
                "encrypted at rest",
            ),
        ] {
            assert_ne!(
                a,
                fingerprint(
                    rule,
                    env,
                    "aws_db_instance.main",
                    Some(&at("terraform/prod/main.tf", 10)),
                    message
                )
            );
        }
    }

    #[test]
    fn messages_lose_their_positions() {
        assert_eq!(
            normalise("the file does not parse at main.tf:12:3 (line 12, column 3)"),
            normalise("The file does not parse at main.tf:40:1 (line 40, column 3)")
        );
        assert_eq!(normalise("logs kept 30 days"), "logs kept 30 days");
        assert_ne!(
            normalise("logs kept 30 days"),
            normalise("logs kept 10 days")
        );
    }
}
