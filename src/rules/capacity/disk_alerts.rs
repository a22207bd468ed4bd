use crate::rules::*;

declare_rule! {
    /// `capacity.disk-alerts`: disk usage alerts before a disk fills.
    pub struct DiskAlerts;
    id: "capacity.disk-alerts",
    order: 60,
    title: "Disk usage is monitored with an alert before full",
    pillar: Capacity,
    stages: [OFF, REC, REQ],
    evidence: [Declared, Terraform],
    sources: [Crvs],
    checks: "`monitoring.alarms` includes an alarm `on: disk`, or the files define a CloudWatch alarm on a disk metric \
(RDS's `FreeStorageSpace` below a threshold, the CloudWatch agent's `disk_used_percent` above one). \
When none is found but a Terraform module was not read (not installed), it may make one: the \
check asks instead of failing.",
    rationale: "Disk need grows with use; the plan is an estimate. An alert at, say, 80% gives days to grow \
a disk instead of minutes to save a database.",
    remediation: "Add a disk usage alarm (`monitoring.alarms: [{on: disk}]`).",
    params: [],
    examples: run("disk_alerts"),
}

impl DiskAlerts {
    fn judge(&self, cx: &Context<'_>) -> Judged {
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
            // Alarms read from files: a module liftoff could not read may make the alarm.
            (None, Some(origin @ Origin::Artefact(_))) if !unread_modules(cx).is_empty() => {
                Finding::not_evidenced(
                    DEPLOYMENT,
                    "`monitoring.alarms: [{on: disk}]`",
                    &format!(
                        "a disk alarm liftoff can read: not read, {} may declare one",
                        unread_modules(cx).join(", ")
                    ),
                )
                .at(origin)
            }
            (None, Some(origin)) => {
                Finding::fail(DEPLOYMENT, "no disk usage alarm is declared").at(origin)
            }
        }])
    }
}
