use crate::rules::*;

declare_rule! {
    /// `ops.staffing`.
    pub struct Staffing;
    id: "ops.staffing",
    order: 30,
    title: "People are named for day-to-day operations",
    pillar: Operations,
    stages: [OFF, REC, REQ],
    evidence: [Declared],
    sources: [Roll],
    checks: "`processes.staff` names who does log monitoring, backup monitoring and security updates.",
    rationale: "Duties everybody shares are duties nobody does. A named person per duty is how logs get \
read and patches get installed.",
    remediation: "Assign each duty to a person or team and declare it.",
    params: [],
    examples: run("staffing"),
}

impl Staffing {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let staff = &cx.model.processes.staff;
        if staff.is_empty() {
            return Ok(vec![Finding::not_evidenced(
                DEPLOYMENT,
                "`processes.staff`",
                "",
            )]);
        }
        let missing: Vec<&str> = ["log_monitoring", "backup_monitoring", "security_updates"]
            .into_iter()
            .filter(|d| !staff.contains_key(*d))
            .collect();
        let origin = staff.values().next().map(|f| &f.origin);
        Ok(vec![
            Finding::judge(
                missing.is_empty(),
                DEPLOYMENT,
                "every operational duty has a name",
                format!("nobody is named for {}", list(&missing)),
            )
            .at_opt(origin),
        ])
    }
}
