//! The JSON report: the stable `liftoff-report/1` contract.

use crate::model::{ArtefactFile, InferredEnvironment, SourceSuggestion, Stage};
use crate::policy::{Assessment, RuleResult, Summary, WaiverState};
use serde::Serialize;

/// The schema id written in every JSON report.
pub const REPORT_SCHEMA: &str = "liftoff-report/1";

/// The report's shape. Serialised from borrowed data: a large deployment has tens of thousands of
/// results, and building an intermediate JSON value first costs more than the check itself.
#[derive(Serialize)]
struct Report<'a> {
    schema: &'static str,
    tool: Tool,
    service: &'a str,
    stage: Stage,
    profile: &'a str,
    ready: bool,
    readiness: Readiness<bool>,
    /// `ready`, `not-ready` or `not-assessed` per stage.
    verdicts: Readiness<&'static str>,
    summary: &'a Summary,
    results: &'a [RuleResult],
    waivers: &'a [WaiverState],
    artefacts: &'a [ArtefactFile],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    inferred_environments: &'a [InferredEnvironment],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    suggested_sources: &'a [SourceSuggestion],
    /// With no environment named: what is judged as production, and the notice saying so.
    #[serde(skip_serializing_if = "Option::is_none")]
    judged_as_production: Option<JudgedAsProduction<'a>>,
    /// Serverless stages deployed whose kind no name tells (not read).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    unclassified_stages: &'a [crate::model::UnclassifiedStage],
    /// With `--baseline` or `--new-since`: new, baselined and gone findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'a crate::policy::BaselineSummary>,
    /// Rules that start blocking a stage on a date still to come.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    upcoming_enforcements: &'a [crate::policy::Enforcement],
}

#[derive(Serialize)]
struct JudgedAsProduction<'a> {
    notice: &'static str,
    sources: &'a [SourceSuggestion],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Readiness<T> {
    staging: T,
    #[serde(rename = "soft-launch")]
    soft_launch: T,
    production: T,
}

/// Renders the JSON report, pretty-printed, with a trailing newline.
pub fn to_json(a: &Assessment) -> String {
    // A result prints as roughly half a kilobyte: sizing the buffer up front avoids the doubling
    // copies.
    let mut buffer = Vec::with_capacity(4096 + a.results.len() * 640);
    if write_json(a, &mut buffer).is_err() {
        return String::new();
    }
    String::from_utf8(buffer).unwrap_or_default()
}

/// Writes the JSON report to `out` as [`to_json`] renders it, without holding it in memory:
/// a check of ten thousand resources prints about twelve megabytes.
pub fn write_json(a: &Assessment, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let report = Report {
        schema: REPORT_SCHEMA,
        tool: Tool {
            name: "liftoff",
            version: env!("CARGO_PKG_VERSION"),
        },
        service: &a.service,
        stage: a.stage,
        profile: &a.profile,
        ready: a.ready,
        readiness: Readiness {
            staging: a.readiness[0],
            soft_launch: a.readiness[1],
            production: a.readiness[2],
        },
        verdicts: {
            let v = super::stage_verdicts(a);
            Readiness {
                staging: v[0].word(),
                soft_launch: v[1].word(),
                production: v[2].word(),
            }
        },
        summary: &a.summary,
        results: &a.results,
        waivers: &a.waivers,
        artefacts: &a.artefacts,
        inferred_environments: &a.inferred,
        suggested_sources: &a.suggestions,
        judged_as_production: (!a.judged_as_production.is_empty()).then(|| JudgedAsProduction {
            notice: crate::model::JUDGED_AS_PRODUCTION,
            sources: &a.judged_as_production,
        }),
        unclassified_stages: &a.unclassified_stages,
        baseline: a.baseline.as_ref(),
        upcoming_enforcements: &a.upcoming,
    };
    // serde_json writes a report in tens of bytes at a time (a quote, a key, an indent): through
    // `dyn Write` each piece was a call that could not be inlined, a fifth of a check with house
    // policies. A buffer of a known type takes them inline and hands `out` large blocks.
    use std::io::Write;
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut buffered, &report)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}
