use crate::rules::*;

/// `ha.metrics-targets`: every instance of a scaled web tier is scraped.
pub struct MetricsTargets;

static META: RuleMeta = RuleMeta {
    id: "ha.metrics-targets",
    title: "Every instance of a scaled web tier is a metrics scrape target",
    pillar: Pillar::HighAvailability,
    stages: [OFF, REC, REQ],
    applies_when: Some(
        "metrics are exported (`monitoring.metrics` or an endpoint's `metrics` path)",
    ),
    evidence: &[Evidence::Compose, Evidence::Kubernetes, Evidence::Declared],
    sources: &[Guideline::Bib],
    checks: "`monitoring.metrics.targets` is at least the number of instances of the production web and api tiers.",
    rationale: "Behind a load balancer, scraping the public URL reaches a random instance each time; the \
counters jump between processes and a sick instance hides among healthy ones.",
    remediation: "Scrape each instance directly (service discovery or one static target per instance).",
    params: &[],
    pass_example: "monitoring: {metrics: {scraped_by: prometheus, targets: 2}}\nenvironments:\n  production:\n    kind: production\n    components: [{name: web, kind: web, instances: 2}]\n",
    fail_example: "monitoring: {metrics: {scraped_by: prometheus, targets: 1}}\nenvironments:\n  production:\n    kind: production\n    components: [{name: web, kind: web, instances: 2}]\n",
    examples_run: true,
};

impl Rule for MetricsTargets {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
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
