//! Monitoring rules judged from the declared monitoring set-up.

use super::api::declared_tool;
use crate::model::ComponentKind;
use crate::rules::*;

declare_rule! {
    /// `monitoring.log-retention`.
    pub struct LogRetention;
    id: "monitoring.log-retention",
    order: 40,
    title: "Log retention is set, and at least a floor",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    evidence: [Terraform, Declared],
    sources: [Hkn],
    checks: "`monitoring.log_retention_days` (or every log group's retention) is set and at least \
`log_retention_min_days`, and at most `log_retention_max_days` when that is above 0. A log group with no \
retention keeps its logs forever and fails. The baseline's floor is 30 days: a month lets a team \
investigate what its monthly review or a user's report brings up, and it is the shortest retention \
well-run services choose for application logs (those that keep logs longer, or ship them to a \
central store, set their own floor). There is no ceiling in the baseline; an organisation with one \
sets it in its profile (`hackney` keeps 180 to 240 days, `pci-dss` at least 365).",
    rationale: "Incidents are often discovered weeks or months later, so logs must reach back that far; \
logs kept forever cost money every month and keep personal data with no end date.",
    remediation: "Set a retention of at least `log_retention_min_days` on every log group (and within your \
organisation's ceiling, if it has one).",
    params: [
        log_retention_min_days: u32 = "30" => "shortest retention in days",
        log_retention_max_days: u32 = "0" => "longest retention in days (0: no ceiling)",
    ],
    examples: run("log_retention"),
}

impl LogRetention {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let min = LogRetention::log_retention_min_days(cx)?;
        let max = LogRetention::log_retention_max_days(cx)?;
        let judge = |days: u64, target: String| {
            let (min, max) = (u64::from(min), u64::from(max));
            if days < min {
                Finding::fail(
                    target,
                    format!("logs kept {days} days, shorter than the {min}-day floor"),
                )
            } else if max > 0 && days > max {
                Finding::fail(
                    target,
                    format!("logs kept {days} days, longer than the {max}-day ceiling"),
                )
            } else {
                Finding::pass(target, format!("logs kept {days} days"))
            }
        };
        // Each log group read from Terraform is judged; `0` or no setting keeps logs forever.
        let mut out: Vec<Finding> = with_role(cx.model, &[crate::model::cloud::Role::LogGroup])
            .map(|r| {
                if let Some(unknown) = unknown_until_apply(r, "retention_in_days") {
                    return unknown;
                }
                let finding = match r
                    .attr("retention_in_days")
                    .and_then(|d| d.value.as_u64())
                    .filter(|d| *d > 0)
                {
                    Some(days) => judge(days, r.address.clone()),
                    None => Finding::fail(
                        r.address.clone(),
                        "no `retention_in_days`: the logs are kept forever",
                    ),
                };
                on_resource(finding, r, "retention_in_days")
            })
            .collect();
        // Functions whose deployment tool sets their log group's retention (serverless.yml): a
        // setting shared by a whole file (the provider's) is judged once, under the file's target.
        let mut shared: Vec<(&str, &str)> = Vec::new();
        for env in cx.model.environments.iter() {
            for c in &env.components {
                let Some(retention) = &c.log_retention else {
                    continue;
                };
                let target = match &retention.shared_by {
                    Some(owner) if shared.contains(&(env.name.as_str(), owner.as_str())) => {
                        continue;
                    }
                    Some(owner) => {
                        shared.push((env.name.as_str(), owner.as_str()));
                        owner.clone()
                    }
                    None => c.target(env),
                };
                let finding = match &retention.days {
                    Some(days) => judge(u64::from(days.value), target).at(&days.origin),
                    // Written, but its value is known only at deploy: not "forever".
                    None if retention.unresolved => Finding::not_evidenced(
                        target,
                        "`monitoring.log_retention_days`",
                        "a `logRetentionInDays` whose value the files state",
                    )
                    .at(&retention.origin),
                    None => Finding::fail(
                        target,
                        "no `logRetentionInDays`: the framework's log groups keep logs forever (set it under `provider`)",
                    )
                    .at(&retention.origin),
                };
                out.push(finding.in_env(&env.name));
            }
        }
        match &cx.model.monitoring.log_retention_days {
            Some(d) => out.push(
                judge(u64::from(d.value), DEPLOYMENT.to_string())
                    .at(&d.origin)
                    .with("retention_days", d.value),
            ),
            None if out.is_empty() => out.push(Finding::not_evidenced(
                DEPLOYMENT,
                "`monitoring.log_retention_days`",
                "Terraform log groups",
            )),
            None => {}
        }
        Ok(out)
    }
}

declare_rule! {
    /// `monitoring.dashboard`.
    pub struct Dashboard;
    id: "monitoring.dashboard",
    order: 50,
    title: "Each production service has a monitoring dashboard",
    pillar: Monitoring,
    stages: [OFF, REC, REC],
    evidence: [Terraform, Declared],
    sources: [Hkn],
    checks: "`monitoring.dashboards` lists at least one dashboard.",
    rationale: "During an incident the first question is what changed and when; a dashboard answers it in \
seconds instead of queries.",
    remediation: "Create a dashboard with traffic, errors, latency and saturation, and list its URL.",
    params: [],
    examples: run("dashboard"),
}

impl Dashboard {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let m = &cx.model.monitoring;
        Ok(vec![match (m.dashboards.first(), &m.origin) {
            (Some(d), _) => {
                Finding::pass(DEPLOYMENT, format!("{} dashboard(s)", m.dashboards.len()))
                    .at(&d.origin)
            }
            (None, Some(o)) => Finding::fail(DEPLOYMENT, "no dashboard is declared").at(o),
            (None, None) => Finding::not_evidenced(
                DEPLOYMENT,
                "`monitoring.dashboards`",
                "Terraform dashboards",
            ),
        }])
    }
}

declare_rule! {
    /// `monitoring.error-reporting`.
    pub struct ErrorReporting;
    id: "monitoring.error-reporting",
    order: 70,
    title: "Errors are reported to an error tracker",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    evidence: [Dotenv, Compose, Declared],
    sources: [Bib, Crvs],
    checks: "`monitoring.error_reporting` names an error tracker (with artefacts: a `SENTRY_DSN` or equivalent).",
    rationale: "Exceptions that only reach a log file are found by the users first. A tracker groups them, \
counts them and tells the team.",
    remediation: "Configure an error tracker such as Sentry in production.",
    params: [],
    examples: run("error_reporting"),
}

/// Settings that configure an error tracker.
const TRACKER_SETTINGS: [&str; 6] = [
    "SENTRY_DSN",
    "ROLLBAR_ACCESS_TOKEN",
    "BUGSNAG_API_KEY",
    "HONEYBADGER_API_KEY",
    "AIRBRAKE_PROJECT_KEY",
    "RAYGUN_APIKEY",
];

impl ErrorReporting {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        if cx.model.monitoring.error_reporting.is_none() {
            // Without a declaration, production's settings show whether a tracker is configured.
            let production = cx.model.environments_of(crate::model::EnvKind::Production);
            let configured = production
                .flat_map(|env| {
                    let own = env.components.iter().flat_map(|c| c.settings.iter());
                    own.chain(env.settings.iter())
                        .filter(|s| TRACKER_SETTINGS.contains(&s.name.as_str()))
                })
                .next();
            if let Some(setting) = configured {
                let set = !matches!(setting.value, crate::model::SettingValue::Empty);
                return Ok(vec![
                    Finding::judge(
                        set,
                        DEPLOYMENT,
                        format!("errors go to the tracker in {}", setting.name),
                        format!("{} is set but empty", setting.name),
                    )
                    .at(&setting.origin),
                ]);
            }
        }
        Ok(vec![declared_tool(
            &cx.model.monitoring.error_reporting,
            "`monitoring.error_reporting`",
            "error reporting",
            "a SENTRY_DSN in .env or compose files",
        )])
    }
}

declare_rule! {
    /// `monitoring.metrics`.
    pub struct Metrics;
    id: "monitoring.metrics",
    order: 80,
    title: "The service exports metrics that a monitoring system scrapes",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    evidence: [Compose, Kubernetes, Declared],
    sources: [Bib, Roll],
    checks: "`monitoring.metrics.scraped_by` names the system that collects the service's metrics.",
    rationale: "Without metrics, capacity problems show up as outages; with them, as a rising line days before.",
    remediation: "Export metrics (e.g. Prometheus format) and configure scraping.",
    params: [],
    examples: run("metrics"),
}

impl Metrics {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        Ok(vec![declared_tool(
            &cx.model.monitoring.metrics_scraped_by,
            "`monitoring.metrics.scraped_by`",
            "metrics scraped by",
            "compose or Kubernetes scrape configuration",
        )])
    }
}

declare_rule! {
    /// `monitoring.message-loss`.
    pub struct MessageLoss;
    id: "monitoring.message-loss",
    order: 90,
    title: "Event delivery is observable and loss-safe",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    applies_when: "queues or topics exist",
    evidence: [
        Terraform,
        Serverless,
        Declared,
    ],
    sources: [Hkn],
    checks: "With queues or topics, an alarm `on: dlq` is declared. With Terraform: every SQS queue has a \
`redrive_policy` (or an `aws_sqs_queue_redrive_policy`), every dead-letter queue (named `*dlq*` / \
`*dead-letter*`) has an alarm on its depth, and every SNS topic logs failed deliveries for \
the protocols its subscriptions use (`lambda_failure_feedback_role_arn` for Lambda, and so on; \
e-mail subscriptions cannot log, so a topic with only those is not-applicable).",
    rationale: "A message that fails delivery disappears without a trace unless something catches it. A \
dead-letter queue catches it; an alarm makes sure someone looks.",
    remediation: "Give every consumer a dead-letter queue and alarm on its depth.",
    params: [],
    examples: run("message_loss"),
}

impl MessageLoss {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let queues: Vec<_> = cx
            .model
            .components()
            .filter(|(_, c)| c.kind() == ComponentKind::Queue)
            .collect();
        let m = &cx.model.monitoring;
        let mut out: Vec<Finding> = queues
            .into_iter()
            .map(|(env, q)| {
                match (m.alarm_on("dlq"), &m.origin) {
                    (Some(a), _) => {
                        Finding::pass(q.target(env), "dead letters raise an alarm").at(&a.origin)
                    }
                    (None, Some(o)) => {
                        Finding::fail(q.target(env), "no alarm on dead-lettered messages").at(o)
                    }
                    (None, None) => Finding::not_evidenced(
                        q.target(env),
                        "`monitoring.alarms: [{on: dlq}]`",
                        "Terraform queues and alarms",
                    )
                    .at(&q.origin),
                }
                .in_env(&env.name)
            })
            .collect();
        out.extend(message_loss_terraform(cx));
        or_not_applicable(out, "no queues or topics declared or read")
    }
}

/// Whether an attribute is set, known or known only after apply (a role ARN usually is).
fn is_set(r: &crate::model::Resource, attribute: &str) -> bool {
    r.attr(attribute).is_some_and(|a| !a.value.is_null()) || r.unknown.contains_key(attribute)
}

/// Whether a queue is a dead-letter queue, by the names teams give them.
fn is_dead_letter_queue(q: &crate::model::Resource) -> bool {
    let name = q
        .attr("name")
        .and_then(|n| n.value.as_str())
        .unwrap_or_default();
    [q.address.as_str(), name].iter().any(|text| {
        let text = text.to_ascii_lowercase();
        text.contains("dlq")
            || text.contains("dead-letter")
            || text.contains("deadletter")
            || text.contains("dead_letter")
    })
}

/// SQS queues (a redrive policy to a dead-letter queue, and an alarm on dead letters) and SNS
/// topics (delivery-status logging of failures) written in Terraform.
fn message_loss_terraform(cx: &Context<'_>) -> Vec<Finding> {
    let m = &cx.model.monitoring;
    use crate::model::cloud::Role;
    let redriven: Vec<&str> = cloud(cx.model, |t| t.role == Role::QueueRedrivePolicy)
        .filter_map(|(r, t)| r.references.get(t.configures?).map(String::as_str))
        .collect();
    let mut out = Vec::new();
    for q in with_role(cx.model, &[Role::Queue]) {
        let target = q.address.clone();
        let finding = if is_dead_letter_queue(q) {
            match m.alarm_on("dlq") {
                Some(a) => Finding::pass(target, "dead letters raise an alarm").at(&a.origin),
                None => on_resource(
                    Finding::fail(
                        target,
                        "nothing alarms when messages land in this dead-letter queue",
                    )
                    .fix("Alarm on the dead-letter queue's depth (`ApproximateNumberOfMessagesVisible` above 0) and declare it as `monitoring.alarms: [{on: dlq}]`."),
                    q,
                    "name",
                ),
            }
        } else if !is_set(q, "redrive_policy") && !redriven.contains(&q.address.as_str()) {
            on_resource(
                Finding::fail(
                    target,
                    "no `redrive_policy`: a message that keeps failing is dropped after the retention period",
                )
                .fix("Give the queue a dead-letter queue (`redrive_policy` with `deadLetterTargetArn` and `maxReceiveCount`) and alarm on its depth."),
                q,
                "redrive_policy",
            )
        } else {
            on_resource(
                Finding::pass(target, "failing messages move to a dead-letter queue"),
                q,
                "redrive_policy",
            )
        };
        out.push(match &q.environment {
            Some(env) => finding.in_env(env),
            None => finding,
        });
    }
    for topic in with_role(cx.model, &[Role::Topic]) {
        out.push(topic_delivery_logging(cx, topic));
    }
    out
}

/// Subscription protocols whose deliveries SNS can log, with the topic attribute that names the
/// role it logs failures with. E-mail (and SMS, logged per account) have none.
const DELIVERY_LOGGING: [(&str, &str); 6] = [
    ("application", "application_failure_feedback_role_arn"),
    ("firehose", "firehose_failure_feedback_role_arn"),
    ("http", "http_failure_feedback_role_arn"),
    ("https", "http_failure_feedback_role_arn"),
    ("lambda", "lambda_failure_feedback_role_arn"),
    ("sqs", "sqs_failure_feedback_role_arn"),
];

/// Whether a topic logs failed deliveries, for the protocols its subscriptions use.
fn topic_delivery_logging(cx: &Context<'_>, topic: &crate::model::Resource) -> Finding {
    use crate::model::cloud::Role;
    let target = topic.address.clone();
    let logged = DELIVERY_LOGGING
        .iter()
        .map(|(_, attribute)| *attribute)
        .find(|k| is_set(topic, k));
    if let Some(k) = logged {
        return on_resource(
            Finding::pass(target, format!("failed deliveries are logged (`{k}`)")),
            topic,
            k,
        );
    }
    let name = topic.attr("name").and_then(|n| n.value.as_str());
    let subscriptions: Vec<&crate::model::Resource> =
        cloud(cx.model, |t| t.role == Role::TopicSubscription)
            .filter(|(s, t)| {
                s.environment == topic.environment
                    && t.configures.is_some_and(|attribute| {
                        s.references.get(attribute) == Some(&topic.address)
                            || s.attr(attribute)
                                .and_then(|a| a.value.as_str())
                                .zip(name)
                                .is_some_and(|(arn, name)| arn.rsplit(':').next() == Some(name))
                    })
            })
            .map(|(s, _)| s)
            .collect();
    if subscriptions.is_empty() {
        return on_resource(
            Finding::not_evidenced(
                target,
                "the protocols of the topic's subscriptions (none is written next to it)",
                "the Terraform files that subscribe to it",
            ),
            topic,
            "name",
        );
    }
    let mut wanted: Vec<&str> = Vec::new();
    let mut unknown = Vec::new();
    let mut silent = Vec::new();
    for s in &subscriptions {
        match s.attr("protocol").and_then(|p| p.value.as_str()) {
            Some(protocol) => match DELIVERY_LOGGING.iter().find(|(p, _)| *p == protocol) {
                Some((_, attribute)) if !wanted.contains(attribute) => wanted.push(attribute),
                Some(_) => {}
                None => silent.push(protocol.to_string()),
            },
            None => unknown.push(s.address.clone()),
        }
    }
    silent.sort();
    silent.dedup();
    if !wanted.is_empty() {
        let fields: Vec<String> = wanted.iter().map(|a| format!("`{a}`")).collect();
        return on_resource(
            Finding::fail(
                target,
                format!(
                    "no delivery-status logging: failed deliveries to its subscribers leave no trace (set {})",
                    list(&fields)
                ),
            )
            .fix(format!(
                "Give the topic an IAM role to log failed deliveries with: set {} (CloudWatch Logs records each failure).",
                list(&fields)
            )),
            topic,
            "name",
        );
    }
    if let Some(first) = unknown.first() {
        return on_resource(
            Finding::not_evidenced(
                target,
                &format!("the `protocol` of `{first}` (known only after apply)"),
                "a plan JSON",
            ),
            topic,
            "name",
        );
    }
    on_resource(
        Finding::not_applicable(
            target,
            format!(
                "its subscriptions use {}, for which SNS logs no delivery status",
                list(&silent)
            ),
        ),
        topic,
        "name",
    )
}

declare_rule! {
    /// `monitoring.observability`.
    pub struct Observability;
    id: "monitoring.observability",
    order: 140,
    title: "An observability platform correlates traces, metrics and logs",
    pillar: Monitoring,
    stages: [OFF, OFF, REC],
    evidence: [Declared],
    sources: [Roll],
    checks: "`monitoring.observability` names the platform.",
    rationale: "Separate tools answer separate questions; a platform that links a slow trace to its logs and \
the metrics around it shortens every investigation.",
    remediation: "Adopt an observability platform (Grafana stack, Datadog, Honeycomb, ...) and declare it.",
    params: [],
    examples: run("observability"),
}

impl Observability {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        Ok(vec![declared_tool(
            &cx.model.monitoring.observability,
            "`monitoring.observability`",
            "observability platform",
            "",
        )])
    }
}
