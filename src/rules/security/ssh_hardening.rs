use crate::model::{Fact, SshPolicy};
use crate::rules::*;

declare_rule! {
    /// `security.ssh-hardening`: SSH allows no passwords, no root, and needs a second factor.
    pub struct SshHardening;
    id: "security.ssh-hardening",
    order: 180,
    title: "SSH is hardened: keys only, no root login, a second factor, login alerts",
    pillar: Security,
    stages: [OFF, REQ, REQ],
    applies_when: "the team manages servers",
    evidence: [Sshd, Declared],
    sources: [Crvs],
    checks: "`PasswordAuthentication no`, `PermitRootLogin no` (`prohibit-password` still lets root in), a \
second factor (`AuthenticationMethods` with keyboard-interactive / PAM in every list), no `Match` block that \
undoes any of these, and alerts on login. Read from each sshd_config (with sshd's defaults for what it \
leaves out); declared as `access.ssh` when no sshd_config is read.",
    rationale: "SSH is the most attacked service on any public server. Passwords get guessed; root logins \
leave no trace of who it was; a second factor and alerts make a stolen key noisy instead of silent.",
    remediation: "Set the four options in sshd_config (or declare them once they are set).",
    params: [],
    examples: run("ssh_hardening"),
}

/// Judges one SSH policy: the facts an sshd_config gives (or the declaration), login alerts, and
/// the `Match` blocks that weaken it.
fn judge_policy(
    target: &str,
    ssh: &SshPolicy,
    login_alerts: Option<&Fact<bool>>,
    weakened_by: &[Fact<String>],
) -> Finding {
    let checks = [
        (
            "password_auth",
            ssh.password_auth.as_ref(),
            false,
            "password logins are allowed",
        ),
        (
            "root_login",
            ssh.root_login.as_ref(),
            false,
            "root can log in (PermitRootLogin must be `no`)",
        ),
        (
            "mfa",
            ssh.mfa.as_ref(),
            true,
            "no second factor is required",
        ),
        ("login_alerts", login_alerts, true, "logins raise no alert"),
    ];
    let mut missing = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut origin = None;
    for (key, fact, want, problem) in checks {
        match fact {
            None => missing.push(format!("`access.ssh.{key}`")),
            Some(f) if f.value != want => {
                origin.get_or_insert(&f.origin);
                problems.push(problem.to_string());
            }
            Some(f) => {
                origin.get_or_insert(&f.origin);
            }
        }
    }
    for w in weakened_by {
        origin.get_or_insert(&w.origin);
        problems.push(w.value.clone());
    }
    if !problems.is_empty() {
        Finding::fail(target, problems.join("; ")).at_opt(origin)
    } else if !missing.is_empty() {
        Finding::not_evidenced(target, &list(&missing), "an sshd_config")
    } else {
        Finding::pass(
            target,
            "SSH takes keys only, no root, a second factor, and alerts on login",
        )
        .at_opt(origin)
    }
}

impl SshHardening {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        if !cx.model.has_managed_servers() && cx.model.access.sshd.is_empty() {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no managed servers declared",
            )]);
        }
        let access = &cx.model.access;
        // Login alerts are not an sshd setting: they come from the declaration or monitoring.
        let alerts = access
            .ssh
            .login_alerts
            .as_ref()
            .or(cx.model.monitoring.ssh_audit.as_ref());
        if access.sshd.is_empty() {
            return Ok(vec![judge_policy(DEPLOYMENT, &access.ssh, alerts, &[])]);
        }
        Ok(access
            .sshd
            .iter()
            .map(|file| {
                let finding = judge_policy(
                    &format!("sshd:{}", file.path),
                    &file.policy,
                    alerts,
                    &file.weakened_by,
                );
                match &file.environment {
                    Some(env) => finding.in_env(env),
                    None => finding,
                }
            })
            .collect())
    }
}
