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
    checks: "`monitoring.channels` names at least one chat webhook (by environment variable) or email address, \
or Terraform subscribes people to alarms: an e-mail or SMS subscription to an SNS topic, or an HTTP(S) one (a \
pager's or chat's webhook) to a topic an alarm notifies. With alarms read from files and no such subscription, \
the channel is a question: it may be set up where liftoff does not look.",
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
                    list(&{
                        let mut kinds: Vec<&str> = Vec::new();
                        for c in &m.channels {
                            if !kinds.contains(&c.kind.as_str()) {
                                kinds.push(&c.kind);
                            }
                        }
                        kinds
                    })
                ),
            )
            .at(&c.origin),
            // The team's own `monitoring:` section names no channel: there is none.
            (None, Some(o @ crate::model::Origin::Declared(_))) => {
                Finding::fail(DEPLOYMENT, "no notification channel is declared").at(o)
            }
            // Alarms read from files, and no subscription that reaches people: the channel may
            // be set up where liftoff does not look (a chat integration, a pager's own rules).
            (None, _) => Finding::not_evidenced(DEPLOYMENT, "`monitoring.channels`", ""),
        }])
    }
}
