//! Access rules judged from declared facts: VPN, user MFA, number of admins, patching.

use crate::model::{EnvKind, RestoreCadence};
use crate::rules::*;

declare_rule! {
    /// `security.vpn`.
    pub struct Vpn;
    id: "security.vpn",
    order: 170,
    title: "Operational access goes through a VPN or bastion",
    pillar: Security,
    stages: [OFF, REC, REQ],
    evidence: [Declared],
    sources: [Roll, Crvs],
    checks: "`access.vpn` or `access.bastion` is true.",
    rationale: "Administrative ports open to the internet are scanned and brute-forced continuously. A VPN \
or bastion gives one hardened, audited door instead of many.",
    remediation: "Route operational access (SSH, admin consoles, databases) through a VPN or bastion host.",
    params: [],
    examples: run("vpn"),
}

impl Vpn {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_network(cx)?;
        let a = &cx.model.access;
        let on = a
            .vpn
            .as_ref()
            .filter(|f| f.value)
            .or(a.bastion.as_ref().filter(|f| f.value));
        Ok(vec![match (on, a.vpn.as_ref().or(a.bastion.as_ref())) {
            (Some(f), _) => Finding::pass(
                DEPLOYMENT,
                "operational access goes through a VPN or bastion",
            )
            .at(&f.origin),
            (None, Some(f)) => Finding::fail(
                DEPLOYMENT,
                "operational access uses neither a VPN nor a bastion",
            )
            .at(&f.origin),
            (None, None) => {
                Finding::not_evidenced(DEPLOYMENT, "`access.vpn` or `access.bastion`", "")
            }
        }])
    }
}

declare_rule! {
    /// `security.user-mfa`.
    pub struct UserMfa;
    id: "security.user-mfa",
    order: 190,
    title: "Production users (and staging users with personal data) need a second factor",
    pillar: Security,
    stages: [OFF, REQ, REQ],
    evidence: [Declared],
    sources: [Crvs],
    checks: "`access.mfa.<env>` is true for every production environment, and for every staging environment \
that holds personal data.",
    rationale: "Passwords leak through phishing and reuse. A second factor stops a leaked password from \
becoming a session on real records.",
    remediation: "Require two-factor authentication for all users of those environments; use test codes only outside production.",
    params: [],
    examples: run("user_mfa"),
}

impl UserMfa {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let personal = cx.model.data.personal.as_ref().is_some_and(|f| f.value);
        let envs: Vec<_> = cx
            .model
            .environments
            .iter()
            .filter(|e| match e.kind() {
                EnvKind::Production => true,
                EnvKind::Staging => e.personal_data.as_ref().map_or(
                    personal
                        && e.restored_from_backup
                            .as_ref()
                            .is_some_and(|r| r.value != RestoreCadence::Never),
                    |f| f.value,
                ),
                _ => false,
            })
            .collect();
        if envs.is_empty() {
            return match production(cx.model) {
                Err(stop) => Err(stop),
                Ok(_) => Ok(vec![Finding::not_applicable(
                    DEPLOYMENT,
                    "no environment needs user MFA",
                )]),
            };
        }
        Ok(envs
            .into_iter()
            .map(|env| {
                match cx.model.access.mfa.get(&env.name) {
                    None => Finding::not_evidenced(
                        env.target(),
                        &format!("`access.mfa.{}`", env.name),
                        "",
                    ),
                    Some(f) => Finding::judge(
                        f.value,
                        env.target(),
                        "users need a second factor",
                        "users sign in with a password alone",
                    )
                    .at(&f.origin),
                }
                .in_env(&env.name)
            })
            .collect())
    }
}

declare_rule! {
    /// `security.few-admins`.
    pub struct FewAdmins;
    id: "security.few-admins",
    order: 200,
    title: "Only a few people hold admin rights",
    pillar: Security,
    stages: [OFF, REC, REQ],
    evidence: [Declared],
    sources: [Stat],
    checks: "`access.admins` is at most `max_admins`.",
    rationale: "Every admin account is a target and a possible mistake; fewer admins means fewer ways in \
and a clearer audit trail.",
    remediation: "Remove admin rights from people who do not need them daily; grant them temporarily instead.",
    params: [
        max_admins: u32 = "3" => "most people with admin rights",
    ],
    examples: run("few_admins"),
}

impl FewAdmins {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let max = FewAdmins::max_admins(cx)?;
        Ok(vec![match &cx.model.access.admins {
            None => Finding::not_evidenced(DEPLOYMENT, "`access.admins`", ""),
            Some(n) => Finding::judge(
                n.value <= max,
                DEPLOYMENT,
                format!("{} admins", n.value),
                format!("{} admins, more than {max}", n.value),
            )
            .at(&n.origin)
            .with("admins", n.value)
            .with("max_admins", max),
        }])
    }
}

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
