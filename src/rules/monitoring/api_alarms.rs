use super::shared::has_api;
use crate::rules::*;

declare_rule! {
    /// `monitoring.api-alarms`.
    pub struct ApiAlarms;
    id: "monitoring.api-alarms",
    order: 30,
    title: "Alarms fire on canary failure and on any 5xx from an API",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    applies_when: "api endpoints are declared",
    evidence: [Terraform, Declared],
    sources: [Hkn],
    checks: "`monitoring.alarms` includes `on: canary` and `on: 5xx`.",
    rationale: "A canary that fails silently is no canary; server errors are the first sign of a broken \
release or an exhausted dependency.",
    remediation: "Add alarms on canary failures and on 5xx responses, routed to the on-call channel.",
    params: [],
    examples: run("api_alarms"),
}

impl ApiAlarms {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        if !has_api(cx) {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no api endpoints declared",
            )]);
        }
        let m = &cx.model.monitoring;
        let missing: Vec<&str> = ["canary", "5xx"]
            .into_iter()
            .filter(|k| m.alarm_on(k).is_none())
            .collect();
        let origin = m.alarms.first().map(|a| &a.origin).or(m.origin.as_ref());
        Ok(vec![if m.origin.is_none() {
            Finding::not_evidenced(
                DEPLOYMENT,
                "`monitoring.alarms`",
                "Terraform CloudWatch alarms",
            )
        } else {
            Finding::judge(
                missing.is_empty(),
                DEPLOYMENT,
                "alarms on canary failures and 5xx",
                format!("no alarm on {}", list(&missing)),
            )
            .at_opt(origin)
        }])
    }
}
