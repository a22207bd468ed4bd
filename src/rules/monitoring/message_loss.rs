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
`redrive_policy` (or an `aws_sqs_queue_redrive_policy`; one a module creates only with inputs known after \
apply is a question), every dead-letter queue (named `*dlq*` / `*dead-letter*`, named by another queue's \
redrive policy, or opened by a redrive allow policy) has an alarm on its depth and needs no redrive policy of \
its own, and every SNS topic logs failed deliveries for \
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

/// Whether a reference key lies in a `redrive_policy` (`redrive_policy`,
/// `redrive_policy.deadLetterTargetArn`): the one queue such a policy names is its dead-letter
/// queue.
fn in_redrive_policy(key: &str) -> bool {
    key.strip_prefix("redrive_policy")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// The queues that other queues send their dead letters to, by (environment, address) or by
/// queue name: the queue a `redrive_policy` names (on a queue, or on an
/// `aws_sqs_queue_redrive_policy`; by reference or by the name at the end of a written ARN), the
/// queue an `aws_sqs_queue_redrive_allow_policy` configures, and a queue that itself allows
/// redrive (`redrive_allow_policy` other than `denyAll`). A dead-letter queue ends the chain: it
/// needs no dead-letter queue of its own.
struct DeadLetterTargets<'a> {
    by_address: Vec<(Option<&'a str>, &'a str)>,
    by_name: Vec<(Option<&'a str>, String)>,
}

impl<'a> DeadLetterTargets<'a> {
    fn of(cx: &Context<'a>) -> DeadLetterTargets<'a> {
        use crate::model::cloud::Role;
        let mut out = DeadLetterTargets {
            by_address: Vec::new(),
            by_name: Vec::new(),
        };
        for r in with_role(cx, &[Role::Queue, Role::QueueRedrivePolicy]) {
            let env = r.environment.as_deref();
            for (key, address) in r.references.iter() {
                if in_redrive_policy(key) {
                    out.by_address.push((env, address.as_str()));
                }
            }
            let written = r.attr("redrive_policy").and_then(|p| match &p.value {
                serde_json::Value::String(text) => serde_json::from_str(text).ok(),
                other => Some(other.clone()),
            });
            if let Some(arn) = written
                .as_ref()
                .and_then(|p| p.get("deadLetterTargetArn"))
                .and_then(|a| a.as_str())
            {
                if let Some(name) = arn.rsplit(':').next().filter(|n| !n.is_empty()) {
                    out.by_name.push((env, name.to_string()));
                }
            }
        }
        for (r, t) in cloud(cx, |t| t.role == Role::QueueRedriveAllowPolicy) {
            if let Some(address) = t.configures.and_then(|k| r.references.get(k)) {
                out.by_address
                    .push((r.environment.as_deref(), address.as_str()));
            }
        }
        out
    }

    fn contains(&self, q: &crate::model::Resource) -> bool {
        let env = q.environment.as_deref();
        let name = q.attr("name").and_then(|n| n.value.as_str());
        let allows_redrive = q
            .attr("redrive_allow_policy")
            .is_some_and(|p| !p.value.is_null() && !p.value.to_string().contains("denyAll"))
            || q.unknown.contains_key("redrive_allow_policy");
        allows_redrive
            || self
                .by_address
                .iter()
                .any(|(e, a)| *e == env && *a == q.address)
            || name.is_some_and(|name| self.by_name.iter().any(|(e, n)| *e == env && n == name))
    }
}

/// SQS queues (a redrive policy to a dead-letter queue, and an alarm on dead letters) and SNS
/// topics (delivery-status logging of failures) written in Terraform.
fn message_loss_terraform(cx: &Context<'_>) -> Vec<Finding> {
    let m = &cx.model.monitoring;
    use crate::model::cloud::Role;
    // Redrive policies written as resources of their own, with the queue each configures.
    let policies: Vec<(&crate::model::Resource, &str)> =
        cloud(cx, |t| t.role == Role::QueueRedrivePolicy)
            .filter_map(|(r, t)| r.references.get(t.configures?).map(|q| (r, q.as_str())))
            .collect();
    let dead_letter = DeadLetterTargets::of(cx);
    let mut out = Vec::new();
    for q in with_role(cx, &[Role::Queue]) {
        let target = q.address.clone();
        // A policy of a module whose inputs are known only after apply may not be created.
        let of_queue = || {
            policies
                .iter()
                .filter(|(p, queue)| *queue == q.address && p.environment == q.environment)
                .map(|(p, _)| *p)
        };
        let certain = of_queue().any(|p| !p.unknown.contains_key("count"));
        let finding = if is_dead_letter_queue(q) || dead_letter.contains(q) {
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
        } else if is_set(q, "redrive_policy") || certain {
            on_resource(
                Finding::pass(target, "failing messages move to a dead-letter queue"),
                q,
                "redrive_policy",
            )
        } else if let Some(maybe) = of_queue().next() {
            let at = maybe
                .unknown
                .get("count")
                .map(|at| crate::model::Origin::Artefact(at.clone()));
            let finding = Finding::not_evidenced(
                target,
                &format!(
                    "whether `{}` is created (its `count` is known only after apply)",
                    maybe.address
                ),
                "a plan JSON",
            );
            match at {
                Some(at) => finding.at(&at),
                None => on_resource(finding, q, "redrive_policy"),
            }
        } else {
            on_resource(
                Finding::fail(
                    target,
                    "no `redrive_policy`: a message that keeps failing is dropped after the retention period",
                )
                .fix("Give the queue a dead-letter queue (`redrive_policy` with `deadLetterTargetArn` and `maxReceiveCount`) and alarm on its depth."),
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
