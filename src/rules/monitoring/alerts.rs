//! Who gets told: coverage of monitoring, SSH login audit, notification channels.

use crate::model::{ComponentKind, EnvKind};
use crate::rules::*;

declare_rule! {
    /// `monitoring.components`.
    pub struct Components;
    id: "monitoring.components",
    order: 110,
    title: "Monitoring covers the database, the core system and the backup system, and notifies people",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    evidence: [Declared, Terraform],
    sources: [Roll],
    checks: "`monitoring.covers` includes `core` (the application itself), `database` when a database exists, and `backup` when \
backups exist; and a notification channel is declared.",
    rationale: "Monitoring that watches the web tier but not the database or the backups reports green while \
the data quietly stops being saved.",
    remediation: "Extend monitoring to the missing parts and route its alerts to people.",
    params: [],
    examples: run("components"),
}

impl Components {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let m = &cx.model.monitoring;
        let Some(origin) = &m.origin else {
            return Ok(vec![Finding::not_evidenced(
                DEPLOYMENT,
                "`monitoring.covers` and `monitoring.channels`",
                "",
            )]);
        };
        let mut needed = vec!["core"];
        if cx
            .model
            .components()
            .any(|(_, c)| c.kind() == ComponentKind::Database)
        {
            needed.push("database");
        }
        if !cx.model.backups.is_empty()
            || cx.model.environments_of(EnvKind::Backup).next().is_some()
        {
            needed.push("backup");
        }
        let missing: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|n| !m.covers.iter().any(|c| c.value == *n))
            .collect();
        let mut problems = Vec::new();
        if !missing.is_empty() {
            // `core` is the manifest's word for the application itself: say so where it is read.
            let named: Vec<String> = missing
                .iter()
                .map(|n| match *n {
                    "core" => "`core` (the application itself)".to_string(),
                    other => format!("`{other}`"),
                })
                .collect();
            problems.push(format!("monitoring does not cover {}", named.join(", ")));
        }
        if m.channels.is_empty() {
            problems.push("no channel notifies people".to_string());
        }
        let at = m.covers.first().map(|c| &c.origin).unwrap_or(origin);
        Ok(vec![
            Finding::judge(
                problems.is_empty(),
                DEPLOYMENT,
                format!("covers {} and notifies people", list(&needed)),
                problems.join("; "),
            )
            .at(at)
            .with(
                "covers",
                m.covers.iter().map(|c| &c.value).collect::<Vec<_>>(),
            ),
        ])
    }
}

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

declare_rule! {
    /// `monitoring.notification-channel`.
    pub struct NotificationChannel;
    id: "monitoring.notification-channel",
    order: 130,
    title: "A working notification channel exists",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    evidence: [Declared],
    sources: [Crvs],
    checks: "`monitoring.channels` names at least one chat webhook (by environment variable) or email address.",
    rationale: "Alerts that go nowhere are not alerts. The channel is also where backups, logins and \
certificate expiry are reported.",
    remediation: "Add a Slack-compatible webhook (`{slack: SLACK_WEBHOOK_URL}`) or an email address.",
    params: [],
    examples: run("notification_channel"),
}

impl NotificationChannel {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let m = &cx.model.monitoring;
        Ok(vec![match (m.channels.first(), &m.origin) {
            (Some(c), _) => Finding::pass(
                DEPLOYMENT,
                format!(
                    "notifies via {}",
                    list(
                        &m.channels
                            .iter()
                            .map(|c| c.kind.as_str())
                            .collect::<Vec<_>>()
                    )
                ),
            )
            .at(&c.origin),
            (None, Some(o)) => {
                Finding::fail(DEPLOYMENT, "no notification channel is declared").at(o)
            }
            (None, None) => Finding::not_evidenced(DEPLOYMENT, "`monitoring.channels`", ""),
        }])
    }
}
