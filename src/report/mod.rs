//! Reports: the assessment rendered for people (text, Markdown, HTML) and tools (JSON, SARIF, JUnit).
//!
//! Every renderer is a pure function from an [`Assessment`] to a string, so the same inputs give
//! the same bytes: results are sorted and no timestamp is written.

pub mod html;
mod json;
mod junit;
mod markdown;
mod sarif;
mod text;

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
    let mut ordered: Vec<&RuleResult> = assessment.results.iter().collect();
    ordered.sort_by(|a, b| (rank(a), a.rule, &a.target).cmp(&(rank(b), b.rule, &b.target)));
    ordered
}

/// The one-line verdict of each stage, e.g. `production: not ready (4 blocking)`.
pub fn stage_verdicts(assessment: &Assessment) -> Vec<(crate::model::Stage, bool, usize)> {
    crate::model::Stage::ALL
        .into_iter()
        .map(|stage| {
            let blocking = assessment
                .results
                .iter()
                .filter(|r| r.blocks(stage))
                .count();
            (stage, assessment.readiness[stage.index()], blocking)
        })
        .collect()
}
