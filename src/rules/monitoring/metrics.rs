use super::shared::declared_tool;
use crate::rules::*;

declare_rule! {
    /// `monitoring.metrics`.
    pub struct Metrics;
    id: "monitoring.metrics",
    order: 80,
    title: "The service exports metrics that a monitoring system scrapes",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    evidence: [Compose, Kubernetes, Declared],
    sources: [Bib, Roll],
    checks: "`monitoring.metrics.scraped_by` names the system that collects the service's metrics.",
    rationale: "Without metrics, capacity problems show up as outages; with them, as a rising line days before.",
    remediation: "Export metrics (e.g. Prometheus format) and configure scraping.",
    params: [],
    examples: run("metrics"),
}

impl Metrics {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        Ok(vec![declared_tool(
            &cx.model.monitoring.metrics_scraped_by,
            "`monitoring.metrics.scraped_by`",
            "metrics scraped by",
            "compose or Kubernetes scrape configuration",
        )])
    }
}
