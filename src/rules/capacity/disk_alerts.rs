use crate::rules::*;

/// `capacity.disk-alerts`: disk usage alerts before a disk fills.
pub struct DiskAlerts;

static META: RuleMeta = RuleMeta {
    id: "capacity.disk-alerts",
    title: "Disk usage is monitored with an alert before full",
    pillar: Pillar::Capacity,
    stages: [OFF, REC, REQ],
    applies_when: None,
    evidence: &[Evidence::Declared, Evidence::Terraform],
    sources: &[Guideline::Crvs],
    checks: "`monitoring.alarms` includes an alarm `on: disk`.",
    rationale: "Disk need grows with use; the plan is an estimate. An alert at, say, 80% gives days to grow \
a disk instead of minutes to save a database.",
    remediation: "Add a disk usage alarm (`monitoring.alarms: [{on: disk}]`).",
    params: &[],
    pass_example: "monitoring: {alarms: [{on: disk}]}\n",
    fail_example: "monitoring: {alarms: [{on: canary}]}\n",
    examples_run: true,
};

impl Rule for DiskAlerts {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        let m = &cx.model.monitoring;
        Ok(vec![match (m.alarm_on("disk"), &m.origin) {
            (Some(a), _) => {
                Finding::pass(DEPLOYMENT, "a disk usage alarm is declared").at(&a.origin)
            }
            (None, None) => Finding::not_evidenced(
                DEPLOYMENT,
                "`monitoring.alarms: [{on: disk}]`",
                "Terraform alarms",
            ),
            (None, Some(origin)) => {
                Finding::fail(DEPLOYMENT, "no disk usage alarm is declared").at(origin)
            }
        }])
    }
}
