use super::shared::declared_tool;
use crate::rules::*;

declare_rule! {
    /// `monitoring.observability`.
    pub struct Observability;
    id: "monitoring.observability",
    order: 140,
    title: "An observability platform correlates traces, metrics and logs",
    pillar: Monitoring,
    stages: [OFF, OFF, REC],
    evidence: [Declared],
    sources: [Roll],
    checks: "`monitoring.observability` names the platform.",
    rationale: "Separate tools answer separate questions; a platform that links a slow trace to its logs and \
the metrics around it shortens every investigation.",
    remediation: "Adopt an observability platform (Grafana stack, Datadog, Honeycomb, ...) and declare it.",
    params: [],
    examples: run("observability"),
}

impl Observability {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        Ok(vec![declared_tool(
            &cx.model.monitoring.observability,
            "`monitoring.observability`",
            "observability platform",
            "",
        )])
    }
}
