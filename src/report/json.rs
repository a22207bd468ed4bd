//! The JSON report: the stable `liftoff-report/1` contract.

use crate::policy::Assessment;
use serde_json::json;

/// The schema id written in every JSON report.
pub const REPORT_SCHEMA: &str = "liftoff-report/1";

/// Renders the JSON report, pretty-printed, with a trailing newline.
pub fn to_json(a: &Assessment) -> String {
    let readiness: serde_json::Map<String, serde_json::Value> = crate::model::Stage::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), json!(a.readiness[s.index()])))
        .collect();
    let value = json!({
        "schema": REPORT_SCHEMA,
        "tool": {"name": "liftoff", "version": env!("CARGO_PKG_VERSION")},
        "service": a.service,
        "stage": a.stage,
        "profile": a.profile,
        "ready": a.ready,
        "readiness": readiness,
        "summary": a.summary,
        "results": a.results,
        "waivers": a.waivers,
        "artefacts": a.artefacts,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
