use crate::rules::*;

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
