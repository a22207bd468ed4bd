//! The Code Climate report GitLab's code quality widget reads: a JSON array of issues, each with a
//! fingerprint (so GitLab tells new issues from fixed ones) and the file and line that decided it.

use crate::policy::Assessment;
use crate::rules::Status;
use serde::Serialize;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'static str,
    description: String,
    categories: [&'static str; 1],
    severity: &'static str,
    fingerprint: &'a str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

/// Renders the failing results as Code Climate issues. A result with no file (a declared fact)
/// is placed on the manifest, or on `liftoff.yaml` when there is none.
pub fn to_codeclimate(a: &Assessment) -> String {
    let fallback = a.manifest.as_deref().unwrap_or("liftoff.yaml");
    let issues: Vec<Issue> = super::reading_order(a)
        .into_iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Error))
        .map(|r| Issue {
            kind: "issue",
            check_name: r.rule,
            description: format!("{}: {}", super::shown_target(r), r.message),
            categories: [match r.pillar {
                crate::rules::Pillar::Security => "Security",
                crate::rules::Pillar::Cost => "Performance",
                _ => "Bug Risk",
            }],
            severity: if r.is_question() {
                "info"
            } else if r.blocks(a.stage) {
                if r.status == Status::Error {
                    "critical"
                } else {
                    "blocker"
                }
            } else {
                "minor"
            },
            fingerprint: &r.fingerprint,
            location: Location {
                path: r.location.as_ref().map_or(fallback, |l| &l.path),
                lines: Lines {
                    begin: r.location.as_ref().map_or(1, |l| l.line.max(1)),
                },
            },
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_string());
    text.push('\n');
    text
}
