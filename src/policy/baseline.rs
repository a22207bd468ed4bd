//! Baselines: a team adopting the gate on a repository that already has findings records them
//! once, and from then on only new blocking findings block.
//!
//! Findings are recognised by their fingerprint ([`super::fingerprint`]).

use super::assess::{Assessment, RuleResult};
use super::fingerprint::{BaselineEntry, BaselineState, BaselineSummary};
use crate::diagnostic::{Diagnostic, InputError};
use crate::rules::Status;
use serde::{Deserialize, Serialize};

/// The baseline file's format version.
const VERSION: u32 = 1;

/// A baseline file: the failing findings of one assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
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
