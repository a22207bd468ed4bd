use crate::model::ComponentKind;
use crate::rules::*;

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
    let redriven: Vec<&str> = cloud(cx, |t| t.role == Role::QueueRedrivePolicy)
        .filter_map(|(r, t)| r.references.get(t.configures?).map(String::as_str))
        .collect();
    let mut out = Vec::new();
    for q in with_role(cx, &[Role::Queue]) {
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
    for topic in with_role(cx, &[Role::Topic]) {
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
        cloud(cx, |t| t.role == Role::TopicSubscription)
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
