use crate::rules::*;

declare_rule! {
    /// `ha.metrics-targets`: every instance of a scaled web tier is scraped.
    pub struct MetricsTargets;
    id: "ha.metrics-targets",
    order: 80,
    title: "Every instance of a scaled web tier is a metrics scrape target",
    pillar: HighAvailability,
    stages: [OFF, REC, REQ],
    applies_when: "metrics are exported (`monitoring.metrics` or an endpoint's `metrics` path)",
    evidence: [Compose, Kubernetes, Declared],
    sources: [Bib],
    checks: "`monitoring.metrics.targets` is at least the number of instances of the production web and api tiers.",
    rationale: "Behind a load balancer, scraping the public URL reaches a random instance each time; the \
counters jump between processes and a sick instance hides among healthy ones.",
    remediation: "Scrape each instance directly (service discovery or one static target per instance).",
    params: [],
    examples: run("metrics_targets"),
}

impl MetricsTargets {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let m = &cx.model.monitoring;
        let exported = m.metrics_scraped_by.is_some()
            || m.metrics_targets.is_some()
            || cx.model.endpoints().any(|(_, e)| e.metrics.is_some());
        if !exported {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no metrics are exported",
            )]);
        }
        let production = production(cx.model)?;
        let tiers: Vec<_> = production
            .iter()
            .flat_map(|e| e.components.iter().filter(|c| c.kind().is_web_tier()))
            .collect();
        if tiers.is_empty() {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no web or api tier in production",
            )]);
        }
        if let Some(unknown) = tiers.iter().find(|c| c.instances.is_none()) {
            return Ok(vec![
                Finding::not_evidenced(
                    DEPLOYMENT,
                    &format!("`instances` of `{}`", unknown.name),
                    "compose or Kubernetes files",
                )
                .at(&unknown.origin),
            ]);
        }
        let instances: u32 = tiers
            .iter()
            .filter_map(|c| c.instances.as_ref())
            .map(|f| f.value)
            .sum();
        Ok(vec![match &m.metrics_targets {
            None => Finding::not_evidenced(DEPLOYMENT, "`monitoring.metrics.targets`", "a Prometheus scrape configuration"),
                        Some(t) if t.value == u32::MAX => {
                Finding::pass(DEPLOYMENT, format!("scrape targets are found by service discovery, so all {instances} web instances are scraped")).at(&t.origin)
            }
            Some(t) => Finding::judge(
                t.value >= instances,
                DEPLOYMENT,
                format!("{} scrape targets cover {instances} web instances", t.value),
                format!("{} scrape target(s) for {instances} web instances: some instances are never scraped", t.value),
            )
            .at(&t.origin),
        }
        .with("instances", instances)])
    }
}
