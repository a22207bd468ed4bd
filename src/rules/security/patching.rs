use crate::rules::*;

declare_rule! {
    /// `security.patching`.
    pub struct Patching;
    id: "security.patching",
    order: 260,
    title: "Servers receive security updates automatically or at least monthly",
    pillar: Security,
    stages: [OFF, REQ, REQ],
    evidence: [Declared, Ansible],
    sources: [Roll, Stat],
    checks: "`processes.patching.automatic` is true, or `processes.patching.every` is at most `patch_max_days`.",
    rationale: "Most break-ins use vulnerabilities that already had a fix. The time between a fix and its \
installation is the window attackers use.",
    remediation: "Enable unattended security upgrades, or schedule patching at least monthly.",
    params: [
        patch_max_days: f64 = "30" => "longest interval between patch rounds, in days",
    ],
    examples: run("patching"),
}

impl Patching {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        let max = Patching::patch_max_days(cx)?;
        let p = &cx.model.processes;
        Ok(vec![match (&p.patching_automatic, &p.patching_every) {
            (Some(a), _) if a.value => {
                Finding::pass(DEPLOYMENT, "security updates install automatically").at(&a.origin)
            }
            (_, Some(e)) => Finding::judge(
                e.value.as_days() <= max,
                DEPLOYMENT,
                format!("patched every {}", e.value),
                format!("patched every {}, longer than {} days", e.value, num(max)),
            )
            .at(&e.origin),
            (Some(a), None) => Finding::fail(
                DEPLOYMENT,
                "updates are not automatic and no patch cadence is declared",
            )
            .at(&a.origin),
            (None, None) => Finding::not_evidenced(
                DEPLOYMENT,
                "`processes.patching`",
                "an Ansible role for unattended upgrades",
            ),
        }])
    }
}
