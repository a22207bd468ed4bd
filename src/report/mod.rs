//! Reports: the assessment rendered for people (text, Markdown, HTML) and tools (JSON, SARIF, JUnit).
//!
//! Every renderer is a pure function from an [`Assessment`] to a string, so the same inputs give
//! the same bytes: results are sorted and no timestamp is written.

mod codeclimate;
mod github;
pub mod html;
mod json;
mod junit;
mod markdown;
mod pretty;
mod sarif;
mod text;

pub use codeclimate::to_codeclimate;
pub use github::to_github;
pub use html::to_html;
pub use json::{REPORT_SCHEMA, to_json, write_json};
pub use junit::to_junit;
pub use markdown::to_markdown;
pub use sarif::to_sarif;
pub use text::{TextOptions, to_text};

use crate::policy::{Assessment, RuleResult};
use crate::rules::Status;

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Markdown,
    Html,
    /// GitHub Actions annotations (`::error file=…,line=…::…`).
    Github,
    /// Code Climate issues, for GitLab's code quality report.
    Codeclimate,
}

/// Renders an assessment.
pub fn render(assessment: &Assessment, format: Format, text: TextOptions) -> String {
    match format {
        Format::Text => to_text(assessment, text),
        Format::Json => to_json(assessment),
        Format::Sarif => to_sarif(assessment),
        Format::Junit => to_junit(assessment),
        Format::Markdown => to_markdown(assessment),
        Format::Html => to_html(assessment),
        Format::Github => to_github(assessment),
        Format::Codeclimate => to_codeclimate(assessment),
    }
}

/// Writes an assessment to `out`, rendered as [`render`] does. JSON is streamed; the other
/// formats are small enough to render first.
pub fn write(
    assessment: &Assessment,
    format: Format,
    text: TextOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => write_json(assessment, out),
        other => out.write_all(render(assessment, other, text).as_bytes()),
    }
}

/// Results in the order people read them: blocking first, then warnings, errors, waived, skipped,
/// passes and not-applicable; ties by rule and target.
pub fn reading_order(assessment: &Assessment) -> Vec<&RuleResult> {
    let rank = |r: &RuleResult| -> u8 {
        if r.blocks(assessment.stage) {
            0
        } else if r.status.blocks() {
            1
        } else {
            match r.status {
                Status::Waived => 2,
                Status::Skipped => 3,
                Status::Pass => 4,
                _ => 5,
            }
        }
    };
    // The results come sorted by rule and target (all but a rule that ran twice): grouped by
    // rank first, each group is already in order and the stable sort only confirms it, rather
    // than comparing ranks again and again over tens of thousands of results.
    let mut groups: [Vec<&RuleResult>; 6] = Default::default();
    for r in &assessment.results {
        groups[usize::from(rank(r))].push(r);
    }
    let mut ordered = Vec::with_capacity(assessment.results.len());
    for mut group in groups {
        // Rule ids are `&'static` strings, nearly always the very same one as the neighbour's.
        group.sort_by(|a, b| {
            let rule = if std::ptr::eq(a.rule, b.rule) {
                std::cmp::Ordering::Equal
            } else {
                a.rule.cmp(b.rule)
            };
            rule.then_with(|| a.target.cmp(&b.target))
        });
        ordered.append(&mut group);
    }
    ordered
}

/// With a baseline: how many failing findings are new, how many are baselined (and so do not
/// block), and how many baselined ones are gone.
pub fn baseline_line(a: &Assessment) -> Option<String> {
    a.baseline.as_ref().map(|b| {
        format!(
            "baseline {}: {} new, {} baselined (not blocking), {} gone{}",
            b.source,
            b.new,
            b.baselined,
            b.gone.len(),
            if b.gone.is_empty() {
                ""
            } else {
                " (run `liftoff baseline` to shrink it)"
            }
        )
    })
}

/// A stage's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageVerdict {
    pub stage: crate::model::Stage,
    pub ready: bool,
    /// False when nothing bears on the stage (no manifest, nothing read for it).
    pub assessed: bool,
    pub blocking: usize,
    /// Of the blocking results: problems found, and questions nobody has answered yet.
    pub problems: usize,
    pub questions: usize,
}

impl StageVerdict {
    /// `3 problems, 14 questions`, leaving out a count that is zero.
    pub fn counts(&self) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = Vec::new();
        if self.problems > 0 || self.questions == 0 {
            parts.push(plural(self.problems, "problem", "problems"));
        }
        if self.questions > 0 {
            parts.push(plural(self.questions, "question", "questions"));
        }
        parts.join(", ")
    }

    /// `ready`, `not ready` or `not assessed`, as JSON and the reports write it.
    pub fn word(&self) -> &'static str {
        if !self.assessed {
            "not-assessed"
        } else if self.ready {
            "ready"
        } else {
            "not-ready"
        }
    }
}

/// The verdict of each stage.
pub fn stage_verdicts(assessment: &Assessment) -> Vec<StageVerdict> {
    crate::model::Stage::ALL
        .into_iter()
        .map(|stage| StageVerdict {
            stage,
            ready: assessment.readiness[stage.index()],
            assessed: assessment.assessed[stage.index()],
            blocking: assessment
                .results
                .iter()
                .filter(|r| r.blocks(stage))
                .count(),
            problems: assessment.summary.stages.at(stage).problems,
            questions: assessment.summary.stages.at(stage).questions,
        })
        .collect()
}

/// A result's target as reports show it: with its environment when the target does not name
/// it already (a Terraform address is the same in every root that defines it).
/// Whether `target` is `component:<env>/…` or `server:<env>/…`, which name their environment.
fn names_env(target: &str, env: &str) -> bool {
    target
        .strip_prefix("component:")
        .or_else(|| target.strip_prefix("server:"))
        .and_then(|rest| rest.strip_prefix(env))
        .is_some_and(|rest| rest.starts_with('/'))
}

pub fn shown_target(r: &RuleResult) -> String {
    match r.environment.as_deref() {
        Some(env) if !r.target.starts_with("env:") && !names_env(&r.target, env) => {
            format!("{} [{env}]", r.target)
        }
        _ => r.target.clone(),
    }
}

/// One fact nobody has declared yet, and the results waiting on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// What to declare, as the rule says it (`processes.runbooks.outage`).
    pub fact: String,
    /// What else would answer it (a file liftoff reads), when there is such a thing.
    pub or_provide: Option<String>,
    /// Whether any of the results blocks the target stage (else they only warn).
    pub blocking: bool,
    /// The rules and targets that wait on it, as reports show targets.
    pub asked_by: Vec<(&'static str, String)>,
}

/// The open questions (results decided by nothing that fail), one per fact to declare, blocking
/// ones first, in a stable order.
pub fn questions(a: &Assessment) -> Vec<Question> {
    let mut out: Vec<Question> = Vec::new();
    for r in a.results.iter().filter(|r| r.is_question()) {
        let (fact, or_provide) = question_of(&r.message);
        let blocking = r.blocks(a.stage);
        match out.iter_mut().find(|q| q.fact == fact) {
            Some(q) => {
                q.blocking |= blocking;
                let entry = (r.rule, shown_target(r));
                if !q.asked_by.contains(&entry) {
                    q.asked_by.push(entry);
                }
            }
            None => out.push(Question {
                fact,
                or_provide,
                blocking,
                asked_by: vec![(r.rule, shown_target(r))],
            }),
        }
    }
    out.sort_by(|x, y| (!x.blocking, &x.fact).cmp(&(!y.blocking, &y.fact)));
    out
}

/// The fact a "not evidenced" message asks for, and the alternative it names: `not evidenced:
/// declare X in liftoff.yaml or provide Y`.
fn question_of(message: &str) -> (String, Option<String>) {
    let rest = message
        .strip_prefix("not evidenced: declare ")
        .unwrap_or(message);
    match rest.split_once(" in liftoff.yaml") {
        Some((fact, tail)) => {
            let tail = tail.trim_start_matches(['.', ';']).trim();
            let or_provide = tail
                .strip_prefix("or provide ")
                .map(|p| p.trim_end_matches('.').to_string());
            (fact.to_string(), or_provide)
        }
        None => (rest.to_string(), None),
    }
}
