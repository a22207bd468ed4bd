use crate::rules::*;

declare_rule! {
    /// `monitoring.ssh-audit`.
    pub struct SshAudit;
    id: "monitoring.ssh-audit",
    order: 120,
    title: "Every SSH login to a production server notifies the technical staff",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    applies_when: "the team manages servers",
    evidence: [Declared, Ansible],
    sources: [Crvs],
    checks: "`monitoring.ssh_audit` (or `access.ssh.login_alerts`) is true.",
    rationale: "Once provisioned, nobody should need to log in to a production server. A notification on \
every login makes an intruder, or an unplanned change, visible to the whole team at once.",
    remediation: "Send a chat or email notification on every SSH login (PAM hook or auditd rule).",
    params: [],
    examples: run("ssh_audit"),
}

impl SshAudit {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        if !cx.model.has_managed_servers() {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no managed servers declared",
            )]);
        }
        let fact = cx.model.monitoring.ssh_audit.as_ref().or(cx
            .model
            .access
            .ssh
            .login_alerts
            .as_ref());
        Ok(vec![match fact {
            None => Finding::not_evidenced(
                DEPLOYMENT,
                "`monitoring.ssh_audit`",
                "an Ansible role that installs login alerts",
            ),
            Some(f) => Finding::judge(
                f.value,
                DEPLOYMENT,
                "SSH logins notify the team",
                "SSH logins go unnoticed",
            )
            .at(&f.origin),
        }])
    }
}
