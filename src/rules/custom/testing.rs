//! Tests for house rules: each policy file's examples, kept beside it, judged by its rules.
//!
//! For `policies/tags.yaml` the examples are `policies/tags.tests/pass/` and `…/fail/`. Each
//! entry there — a `.tf` file, or a folder — is one example, read as `liftoff check` reads a
//! folder (a lone file is judged as that folder's only file). A pass example must give no
//! `fail` or `error` result; a fail example at least one `fail`. The report says, per policy and
//! per example, what was expected, what came out and the failing messages; a CLI prints it.
//!
//! A Rego policy may have such examples too, and its `test_` rules are run as well
//! ([`super::rego::run_tests`]): each must evaluate to `true`.

use super::rego::{RegoTestOutcome, RegoTestVerdict};
use crate::diagnostic::{Diagnostic, InputError};
use crate::model::Date;
use crate::rules::{Context, Params, Rule, Status};
use std::path::{Path, PathBuf};

/// What an example should give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// No `fail` or `error` result.
    Pass,
    /// At least one `fail` result.
    Fail,
}

impl Expected {
    pub fn as_str(self) -> &'static str {
        match self {
            Expected::Pass => "pass",
            Expected::Fail => "fail",
        }
    }
}

/// What an example gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Got {
    /// No `fail` or `error` result (possibly nothing judged at all).
    Pass,
    /// At least one `fail` or `error` result.
    Fail,
    /// The example could not be read as a deployment.
    Unreadable(String),
}

impl Got {
    pub fn as_str(&self) -> &'static str {
        match self {
            Got::Pass => "pass",
            Got::Fail => "fail",
            Got::Unreadable(_) => "unreadable",
        }
    }
}

/// One example's outcome.
#[derive(Clone, Debug)]
pub struct ExampleResult {
    /// The example's path, shown relative to the base directory.
    pub path: String,
    pub expected: Expected,
    pub got: Got,
    /// Whether the outcome is the expected one.
    pub ok: bool,
    /// Every `fail` or `error` result, as `rule target: message` (sorted).
    pub failing: Vec<String>,
    /// How many results were judged, of every status.
    pub judged: usize,
}

/// One policy file's examples.
#[derive(Clone, Debug)]
pub struct PolicyTests {
    /// The policy file, shown relative to the base directory.
    pub file: String,
    /// The ids of the rules the file declares.
    pub rules: Vec<&'static str>,
    /// The examples, pass examples first, each folder in name order.
    pub examples: Vec<ExampleResult>,
    /// A Rego policy's `test_` rules, in the order they are written.
    pub rego_tests: Vec<RegoTestOutcome>,
}

impl PolicyTests {
    /// Whether every example and every `test_` rule gave the expected verdict.
    pub fn ok(&self) -> bool {
        self.examples.iter().all(|e| e.ok)
            && self
                .rego_tests
                .iter()
                .all(|t| t.verdict == RegoTestVerdict::Passed)
    }
}

/// Every policy's examples.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub policies: Vec<PolicyTests>,
}

impl Report {
    /// Whether any example gave another verdict than expected (the CLI exits 1).
    pub fn failed(&self) -> bool {
        self.policies.iter().any(|p| !p.ok())
    }

    /// Examples and `test_` rules run, and how many gave the expected verdict.
    pub fn counts(&self) -> (usize, usize) {
        let examples = self.policies.iter().flat_map(|p| &p.examples);
        let tests = self.policies.iter().flat_map(|p| &p.rego_tests);
        let run = examples.clone().count() + tests.clone().count();
        let ok = examples.filter(|e| e.ok).count()
            + tests
                .filter(|t| t.verdict == RegoTestVerdict::Passed)
                .count();
        (run, ok)
    }
}

/// Runs the examples of every policy under `paths` (files, or folders read recursively as
/// `policies:` reads them). Paths are shown relative to `base`; dates are judged as of `today`.
/// A policy that does not load is an error (exit 2), every problem listed.
pub fn run(paths: &[PathBuf], base: &Path, today: Date) -> Result<Report, InputError> {
    let mut files = Vec::new();
    for path in paths {
        super::collect(path, &mut files)?;
    }
    files.sort();
    files.dedup();
    let mut report = Report::default();
    let mut problems = Vec::new();
    for file in files {
        let shown = super::shown_path(&file, base);
        let text = super::read_policy(&file, &shown)?;
        let rego = file.extension().and_then(|e| e.to_str()) == Some("rego");
        let loaded = if rego {
            super::rego::load(&shown, &text)
                .and_then(|rules| Ok((rules, super::rego::run_tests(&shown, &text)?)))
        } else {
            super::checkov::load_at(&shown, &text, &file).map(|rules| (rules, Vec::new()))
        };
        let (rules, rego_tests) = match loaded {
            Ok(loaded) => loaded,
            Err(InputError::Invalid(mut found)) => {
                problems.append(&mut found);
                continue;
            }
            Err(other) => return Err(other),
        };
        let examples = examples_of(&file, &rules, base, today)?;
        report.policies.push(PolicyTests {
            file: shown,
            rules: rules.iter().map(|r| r.meta().id).collect(),
            examples,
            rego_tests,
        });
    }
    if problems.is_empty() {
        Ok(report)
    } else {
        Err(InputError::Invalid(problems))
    }
}

/// The examples folder of a policy file: `<stem>.tests` beside it.
pub fn examples_folder(policy: &Path) -> Option<PathBuf> {
    let stem = policy.file_stem()?.to_str()?;
    Some(policy.with_file_name(format!("{stem}.tests")))
}

fn examples_of(
    policy: &Path,
    rules: &[&'static dyn Rule],
    base: &Path,
    today: Date,
) -> Result<Vec<ExampleResult>, InputError> {
    let Some(folder) = examples_folder(policy) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (sub, expected) in [("pass", Expected::Pass), ("fail", Expected::Fail)] {
        let dir = folder.join(sub);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                !name.starts_with('.')
            })
            .collect();
        entries.sort();
        for entry in entries {
            let path = super::shown_path(&entry, base);
            if entry.is_file() && entry.extension().and_then(|e| e.to_str()) != Some("tf") {
                return Err(InputError::one(
                    Diagnostic::in_file(&path, "an example is neither a `.tf` file nor a folder")
                        .expected("a `.tf` file, or a folder read as `liftoff check` reads one"),
                ));
            }
            out.push(example(&entry, path, expected, rules, today)?);
        }
    }
    Ok(out)
}

fn example(
    entry: &Path,
    path: String,
    expected: Expected,
    rules: &[&'static dyn Rule],
    today: Date,
) -> Result<ExampleResult, InputError> {
    // A lone file is judged as a folder holding only it, under its own name.
    let scratch;
    let dir = if entry.is_dir() {
        entry.to_path_buf()
    } else {
        scratch = tempfile::tempdir().map_err(|source| InputError::Io {
            path: path.clone(),
            source,
        })?;
        let name = entry.file_name().unwrap_or_default();
        std::fs::copy(entry, scratch.path().join(name)).map_err(|source| InputError::Io {
            path: path.clone(),
            source,
        })?;
        scratch.path().to_path_buf()
    };
    let loaded = match crate::sources::load(&dir) {
        Ok(loaded) => loaded,
        Err(e) => {
            let why = match &e {
                InputError::Invalid(d) => d
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            return Ok(ExampleResult {
                path,
                expected,
                got: Got::Unreadable(why),
                ok: false,
                failing: Vec::new(),
                judged: 0,
            });
        }
    };
    let model = &loaded.deployment;
    // Each example is a model of its own, possibly at the addresses of the one before (freed):
    // what was remembered of that one must not be taken for this one's.
    super::rego::forget_evaluations();
    let params = Params::default();
    let cx = Context {
        model,
        params: &params,
        today,
        offline: true,
        prior: &[],
        shared: &Default::default(),
    };
    let mut failing = Vec::new();
    let mut judged = 0;
    let mut any_fail = false;
    for rule in rules {
        let findings = match rule.check(&cx) {
            Ok(f) | Err(crate::rules::Stop::With(f)) => f,
            Err(crate::rules::Stop::Unjudgeable(why)) => {
                failing.push(format!("{} could not be judged: {why}", rule.meta().id));
                continue;
            }
        };
        judged += findings.len();
        for f in findings {
            if matches!(f.status, Status::Fail | Status::Error) {
                any_fail |= f.status == Status::Fail;
                failing.push(format!("{} {}: {}", rule.meta().id, f.target, f.message));
            }
        }
    }
    failing.sort();
    let got = if failing.is_empty() {
        Got::Pass
    } else {
        Got::Fail
    };
    let ok = match expected {
        Expected::Pass => failing.is_empty(),
        Expected::Fail => any_fail,
    };
    Ok(ExampleResult {
        path,
        expected,
        got,
        ok,
        failing,
        judged,
    })
}
