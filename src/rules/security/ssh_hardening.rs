use crate::rules::*;

/// `security.ssh-hardening`: SSH allows no passwords, no root, and needs a second factor.
pub struct SshHardening;

static META: RuleMeta = RuleMeta {
    id: "security.ssh-hardening",
    title: "SSH is hardened: keys only, no root login, a second factor, login alerts",
    pillar: Pillar::Security,
    stages: [OFF, REQ, REQ],
    applies_when: Some("the team manages servers"),
    evidence: &[Evidence::Sshd, Evidence::Declared],
    sources: &[Guideline::Crvs],
    checks: "`PasswordAuthentication no`, `PermitRootLogin no`, a second factor (`AuthenticationMethods` \
with keyboard-interactive / PAM), and alerts on login; declared as `access.ssh` when no sshd_config is read.",
    rationale: "SSH is the most attacked service on any public server. Passwords get guessed; root logins \
leave no trace of who it was; a second factor and alerts make a stolen key noisy instead of silent.",
    remediation: "Set the four options in sshd_config (or declare them once they are set).",
    params: &[],
    pass_example: "access: {ssh: {password_auth: false, root_login: false, mfa: true, login_alerts: true}}\nenvironments:\n  production: {kind: production, servers: [{name: prod-1}]}\n",
    fail_example: "access: {ssh: {password_auth: true, root_login: false, mfa: false, login_alerts: true}}\nenvironments:\n  production: {kind: production, servers: [{name: prod-1}]}\n",
    examples_run: true,
};

impl Rule for SshHardening {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        if !cx.model.has_managed_servers() {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no managed servers declared",
            )]);
        }
        let ssh = &cx.model.access.ssh;
        let checks = [
            (
                "password_auth",
                &ssh.password_auth,
                false,
                "password logins are allowed",
            ),
            ("root_login", &ssh.root_login, false, "root can log in"),
            ("mfa", &ssh.mfa, true, "no second factor is required"),
            (
                "login_alerts",
                &ssh.login_alerts,
                true,
                "logins raise no alert",
            ),
        ];
        let mut missing = Vec::new();
        let mut problems = Vec::new();
        let mut origin = None;
        for (key, fact, want, problem) in checks {
            match fact {
                None => missing.push(format!("`access.ssh.{key}`")),
                Some(f) if f.value != want => {
                    origin.get_or_insert(&f.origin);
                    problems.push(problem);
                }
                Some(f) => {
                    origin.get_or_insert(&f.origin);
                }
            }
        }
        Ok(vec![if !problems.is_empty() {
            Finding::fail(DEPLOYMENT, problems.join("; ")).at_opt(origin)
        } else if !missing.is_empty() {
            Finding::not_evidenced(DEPLOYMENT, &list(&missing), "an sshd_config")
        } else {
            Finding::pass(
                DEPLOYMENT,
                "SSH takes keys only, no root, a second factor, and alerts on login",
            )
            .at_opt(origin)
        }])
    }
}
