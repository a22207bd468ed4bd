//! SARIF 2.1.0 for code scanning (GitHub shows results inline in pull requests).
//!
//! Own serde structs rather than a SARIF crate: liftoff writes a small, fixed subset, and the
//! available crate generates its types at build time from the whole schema.

use crate::policy::{Assessment, RuleResult};
use crate::rules::{Requirement, Status};
use serde::Serialize;

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool,
    results: Vec<SarifResult<'a>>,
    #[serde(rename = "columnKind")]
    column_kind: &'static str,
    properties: RunProperties<'a>,
}

/// The verdict, so a SARIF consumer sees readiness for every stage too.
#[derive(Serialize)]
struct RunProperties<'a> {
    service: &'a str,
    stage: &'a str,
    ready: bool,
    readiness: std::collections::BTreeMap<&'static str, bool>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    /// Omitted when it would equal the id (SARIF asks for a readable name distinct from the
    /// opaque id; a house policy's id such as `CKV2_ACME_1` has nothing to turn into one).
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    short_description: Message,
    full_description: Message,
    help: Help,
    default_configuration: Configuration,
    properties: Properties,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Properties {
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation>,
    partial_fingerprints: Fingerprints<'a>,
    /// With a baseline: `new` or `unchanged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Fingerprints<'a> {
    /// v2: the environment is part of it (one address in two roots is two alerts).
    #[serde(rename = "liftoffTarget/v2")]
    target: String,
    /// The finding's fingerprint: rule, environment, logical target and deciding fact, never a
    /// line number (the one `liftoff baseline` records).
    #[serde(rename = "liftoffFinding/v1")]
    finding: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
    /// Paths are relative to the checked-out repository.
    #[serde(rename = "uriBaseId")]
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    justification: String,
}

fn level(requirement: Requirement) -> &'static str {
    match requirement {
        Requirement::Required => "error",
        Requirement::Recommended => "warning",
        Requirement::Off => "note",
    }
}

/// Renders SARIF. Results are the fails, errors and waived fails (as suppressed results); passes
/// are not findings. A result with no file position points at the manifest when there is one.
pub fn to_sarif(a: &Assessment) -> String {
    // The rules assessed: the built-in catalogue and the house policies loaded with it.
    let rules: Vec<ReportingDescriptor> = a
        .rules
        .iter()
        .map(|rule| {
            let m = rule.meta();
            let levels = format!(
                "staging {}, soft launch {}, production {}",
                m.stages[0].as_str(),
                m.stages[1].as_str(),
                m.stages[2].as_str()
            );
            ReportingDescriptor {
                id: m.id,
                name: Some(m.id.replace(['.', '-'], "_")).filter(|n| n != m.id),
                short_description: Message {
                    text: m.title.to_string(),
                },
                full_description: Message {
                    text: m.checks.to_string(),
                },
                help: Help {
                    text: format!(
                        "{}\n\nWhy: {}\n\nFix: {}\n\nLevels: {levels}",
                        m.checks, m.rationale, m.remediation
                    ),
                    markdown: format!(
                        "**{}**\n\n{}\n\n**Why.** {}\n\n**Fix.** {}\n\n*Levels:* {levels}",
                        m.title, m.checks, m.rationale, m.remediation
                    ),
                },
                default_configuration: Configuration {
                    level: level(m.stages[2]),
                },
                properties: Properties {
                    tags: vec![m.pillar.as_str(), "liftoff"],
                },
            }
        })
        .collect();
    let results = a
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Error | Status::Waived))
        .map(|r: &RuleResult| {
            let rule_index = a
                .rules
                .iter()
                .position(|x| x.meta().id == r.rule)
                .unwrap_or(0);
            // Code scanning refuses a result without a file position: results about the
            // deployment as a whole point at the top of the manifest, or, with none, at the
            // first file read for their environment (then for any), else at `liftoff.yaml`.
            let location = r.location.clone().or_else(|| {
                let read = |env: Option<&str>| {
                    a.artefacts.iter().find(|f| {
                        f.status == crate::model::ArtefactStatus::Read
                            && env.is_none_or(|e| f.environment.as_deref() == Some(e))
                    })
                };
                let path = a
                    .manifest
                    .clone()
                    .or_else(|| {
                        read(r.environment.as_deref())
                            .or_else(|| read(None))
                            .map(|f| f.path.clone())
                    })
                    .unwrap_or_else(|| "liftoff.yaml".to_string());
                Some(crate::model::Location {
                    path: path.into(),
                    line: 1,
                    column: 1,
                })
            });
            SarifResult {
                rule_id: r.rule,
                rule_index,
                // Open questions are notes: a finding is what a file or a probe showed.
                level: if r.is_question() {
                    "note"
                } else {
                    level(r.requirement)
                },
                message: Message {
                    text: format!("{}: {}", super::shown_target(r), r.message),
                },
                locations: location
                    .map(|l| SarifLocation {
                        physical_location: PhysicalLocation {
                            artifact_location: ArtifactLocation {
                                uri: l.path.to_string(),
                                uri_base_id: "%SRCROOT%",
                            },
                            region: Region {
                                start_line: l.line.max(1),
                                start_column: l.column.max(1),
                            },
                        },
                    })
                    .into_iter()
                    .collect(),
                partial_fingerprints: Fingerprints {
                    target: format!(
                        "{}|{}|{}",
                        r.rule,
                        r.environment.as_deref().unwrap_or(""),
                        r.target
                    ),
                    finding: &r.fingerprint,
                },
                baseline_state: r.baseline.map(|b| match b {
                    crate::policy::BaselineState::New => "new",
                    crate::policy::BaselineState::Baselined => "unchanged",
                }),
                suppressions: r
                    .waiver
                    .iter()
                    .filter(|w| !w.expired && r.status == Status::Waived)
                    .map(|w| Suppression {
                        kind: "external",
                        justification: w.reason.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "liftoff",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://github.com/liftoff-dev/liftoff",
                    rules,
                },
            },
            results,
            column_kind: "unicodeCodePoints",
            properties: RunProperties {
                service: &a.service,
                stage: a.stage.as_str(),
                ready: a.ready,
                readiness: crate::model::Stage::ALL
                    .iter()
                    .map(|s| (s.as_str(), a.readiness[s.index()]))
                    .collect(),
            },
        }],
    };
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}
