use crate::rules::*;

declare_rule! {
    /// `monitoring.dashboard`.
    pub struct Dashboard;
    id: "monitoring.dashboard",
    order: 50,
    title: "Each production service has a monitoring dashboard",
    pillar: Monitoring,
    stages: [OFF, REC, REC],
    evidence: [Terraform, Declared],
    sources: [Hkn],
    checks: "`monitoring.dashboards` lists at least one dashboard.",
    rationale: "During an incident the first question is what changed and when; a dashboard answers it in \
seconds instead of queries.",
    remediation: "Create a dashboard with traffic, errors, latency and saturation, and list its URL.",
    params: [],
    examples: run("dashboard"),
}

impl Dashboard {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let m = &cx.model.monitoring;
        Ok(vec![match (m.dashboards.first(), &m.origin) {
            (Some(d), _) => {
                Finding::pass(DEPLOYMENT, format!("{} dashboard(s)", m.dashboards.len()))
                    .at(&d.origin)
            }
            (None, Some(o)) => Finding::fail(DEPLOYMENT, "no dashboard is declared").at(o),
            (None, None) => Finding::not_evidenced(
                DEPLOYMENT,
                "`monitoring.dashboards`",
                "Terraform dashboards",
            ),
        }])
    }
}
