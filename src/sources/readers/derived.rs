//! Facts that follow from what several artefacts say together, derived once every reader ran.

use crate::model::Deployment;

/// Facts that follow from what several artefacts say together: the account applications use to
/// reach their database, and the metrics collector running beside them.
pub(super) fn from_settings(deployment: &mut Deployment) {
    use crate::model::{ComponentKind, Fact, SettingValue};
    for env in &mut deployment.environments {
        // The user in an application's connection settings is the database's service account.
        let mut account: Option<Fact<String>> = None;
        let app_settings = env
            .components
            .iter()
            .filter(|c| c.kind() != ComponentKind::Database)
            .flat_map(|c| c.settings.iter())
            .chain(env.settings.iter());
        for setting in app_settings {
            let SettingValue::Literal(value) = &setting.value else {
                continue;
            };
            let user = match setting.name.as_str() {
                "DATABASE_URL" | "DB_URL" | "POSTGRES_URL" | "MYSQL_URL" | "MONGODB_URI"
                | "MONGO_URL" => value
                    .split_once("://")
                    .and_then(|(_, rest)| rest.split('/').next())
                    .and_then(|authority| authority.split_once('@'))
                    .map(|(userinfo, _)| {
                        userinfo.split(':').next().unwrap_or_default().to_string()
                    }),
                "DB_USER" | "DB_USERNAME" | "DATABASE_USER" | "DATABASE_USERNAME"
                | "POSTGRES_USER" | "MYSQL_USER" => Some(value.clone()),
                _ => None,
            };
            if let Some(user) = user.filter(|u| !u.is_empty()) {
                account.get_or_insert(Fact::new(user, setting.origin.clone()));
            }
        }
        if let Some(account) = account {
            for c in env
                .components
                .iter_mut()
                .filter(|c| c.kind() == ComponentKind::Database && c.service_account.is_none())
            {
                c.service_account = Some(account.clone());
            }
        }
        for c in &env.components {
            let image = c
                .image
                .as_ref()
                .map(|i| i.value.to_ascii_lowercase())
                .unwrap_or_default();
            let collector = [
                "prometheus",
                "victoriametrics",
                "grafana/agent",
                "grafana/alloy",
            ]
            .iter()
            .find(|m| image.contains(*m));
            if let (Some(name), None) = (collector, &deployment.monitoring.metrics_scraped_by) {
                let origin = c
                    .image
                    .as_ref()
                    .map_or(c.origin.clone(), |i| i.origin.clone());
                deployment.monitoring.metrics_scraped_by = Some(Fact::new(
                    name.rsplit('/').next().unwrap_or(name).to_string(),
                    origin,
                ));
            }
        }
    }
}

/// How a Terraform Synthetics canary is named among the canaries: its script is opaque, so the
/// canary rule credits it to the APIs of the same environment (see `monitoring.canary`).
pub fn tf_canary_target(r: &crate::model::Resource) -> String {
    format!(
        "terraform:{}:{}",
        r.environment.as_deref().unwrap_or(""),
        r.address
    )
}

/// Monitoring facts that Terraform resources state: Synthetics canaries, CloudWatch alarms and
/// dashboards, X-Ray tracing on API stages and functions.
pub(super) fn monitoring_from_resources(deployment: &mut Deployment) {
    use crate::model::{Canary, Fact};
    let mut canaries = Vec::new();
    let mut alarms = Vec::new();
    let mut dashboards = Vec::new();
    let mut tracing = None;
    // Topics an alarm notifies, and subscriptions to topics: (environment, topic address).
    let mut alarm_topics: std::collections::HashSet<(Option<&str>, &str)> = Default::default();
    let mut subscriptions = Vec::new();
    // Production's monitoring is what the rules ask about: a staging alarm or canary neither
    // evidences it nor should a failing rule point at a staging file.
    let production: Vec<&str> = deployment
        .environments
        .iter()
        .filter(|e| e.kind() == crate::model::EnvKind::Production)
        .map(|e| e.name.as_str())
        .collect();
    for r in deployment.resources.iter().filter(|r| {
        r.environment
            .as_deref()
            .is_none_or(|env| production.contains(&env))
    }) {
        match &*r.resource_type {
            "aws_synthetics_canary" => {
                let rate = r
                    .block("schedule")
                    .and_then(|s| s["expression"].as_str())
                    .and_then(crate::sources::cloudwatch::rate);
                canaries.push(Canary {
                    target: tf_canary_target(r),
                    interval: rate,
                    origin: r.origin_of("schedule"),
                });
            }
            "aws_cloudwatch_metric_alarm" | "aws_cloudwatch_composite_alarm" => {
                for (key, topic) in r.references.iter() {
                    if key.starts_with("alarm_actions") && topic.starts_with("aws_sns_topic.") {
                        alarm_topics.insert((r.environment.as_deref(), topic.as_str()));
                    }
                }
                if &*r.resource_type == "aws_cloudwatch_composite_alarm" {
                    continue;
                }
                let metric = r
                    .attr("metric_name")
                    .and_then(|m| m.value.as_str())
                    .unwrap_or_default();
                let namespace = r
                    .attr("namespace")
                    .and_then(|m| m.value.as_str())
                    .unwrap_or_default();
                let comparison = r.attr("comparison_operator").and_then(|m| m.value.as_str());
                if let Some(on) =
                    crate::sources::cloudwatch::alarm_on(metric, namespace, &r.address, comparison)
                {
                    alarms.push(Fact::new(on.to_string(), r.origin_of("metric_name")));
                }
            }
            "aws_sns_topic_subscription" => subscriptions.push(r),
            "aws_cloudwatch_dashboard" => {
                dashboards.push(Fact::new(r.address.clone(), r.origin.clone()))
            }
            "aws_api_gateway_stage" if r.flag("xray_tracing_enabled") == Some(true) => {
                tracing.get_or_insert(Fact::new(
                    "xray".to_string(),
                    r.origin_of("xray_tracing_enabled"),
                ));
            }
            "aws_lambda_function"
                if r.block("tracing_config").and_then(|t| t["mode"].as_str()) == Some("Active") =>
            {
                tracing.get_or_insert(Fact::new("xray".to_string(), r.origin_of("tracing_config")));
            }
            _ => {}
        }
    }
    // A subscription that reaches people: e-mail and SMS on any topic, an HTTP(S) endpoint (a
    // pager's or a chat's webhook) on a topic an alarm notifies. Other HTTP subscribers are
    // as likely to be services as people. The endpoint itself may hold a key (PagerDuty's
    // integration URLs do): the subscription is named by its address.
    let channels: Vec<crate::model::Channel> = subscriptions
        .into_iter()
        .filter_map(|r| {
            let protocol = r.attr("protocol")?.value.as_str()?.to_ascii_lowercase();
            let alarmed = r.references.get("topic_arn").is_some_and(|topic| {
                alarm_topics.contains(&(r.environment.as_deref(), topic.as_str()))
            });
            let kind = match protocol.as_str() {
                "email" | "email-json" => "email",
                "sms" => "sms",
                "http" | "https" if alarmed => "webhook",
                _ => return None,
            };
            Some(crate::model::Channel {
                kind: kind.to_string(),
                reference: r.address.clone(),
                origin: r.origin_of("protocol"),
            })
        })
        .collect();
    let m = &mut deployment.monitoring;
    if m.channels.is_empty() {
        m.channels = channels;
    }
    if m.origin.is_none() && (!canaries.is_empty() || !alarms.is_empty() || !dashboards.is_empty())
    {
        m.origin = canaries
            .first()
            .map(|c| c.origin.clone())
            .or_else(|| alarms.first().map(|a| a.origin.clone()))
            .or_else(|| dashboards.first().map(|d| d.origin.clone()));
    }
    m.canaries.extend(canaries);
    for alarm in alarms {
        if m.alarm_on(&alarm.value).is_none() {
            m.alarms.push(alarm);
        }
    }
    m.dashboards.extend(dashboards);
    if m.tracing.is_none() {
        m.tracing = tracing;
    }
}

/// Works out once whether production runs on machines of the team's own or on managed services
/// only ([`crate::model::hosting`]), from the servers, components, sshd files and provider
/// resources of the environments that serve users (production and staging; every environment
/// when there is neither).
pub(super) fn hosting(deployment: &mut Deployment) {
    use crate::model::{ArtefactKind, ComponentKind, EnvKind, Fact, Origin};
    use std::collections::HashMap;
    let serving: Vec<&str> = deployment
        .environments
        .iter()
        .filter(|e| matches!(e.kind(), EnvKind::Production | EnvKind::Staging))
        .map(|e| e.name.as_str())
        .collect();
    let judged = |env: Option<&str>| serving.is_empty() || env.is_none_or(|e| serving.contains(&e));
    let kinds: HashMap<&str, ArtefactKind> = deployment
        .artefacts
        .iter()
        .map(|a| (a.path.as_str(), a.kind))
        .collect();
    // Readers may have recorded hosting facts of their own (serverless.yml's resources).
    let mut h = std::mem::take(&mut deployment.hosting);
    for env in deployment
        .environments
        .iter()
        .filter(|e| judged(Some(&e.name)))
    {
        if let Some(server) = env.servers.first() {
            h.add_own(format!("server `{}`", server.name), &server.origin);
        }
        // A component read from a provider resource is hosted as that resource is (below).
        for c in env.components.iter().filter(|c| c.resource.is_none()) {
            let kind = c
                .origin
                .location()
                .and_then(|l| kinds.get(&*l.path).copied());
            match (kind, c.kind()) {
                (Some(ArtefactKind::Compose), _) => {
                    h.add_own(format!("compose service `{}`", c.name), &c.origin)
                }
                (Some(ArtefactKind::Kubernetes), _) => h.add_own(
                    format!("Kubernetes workload `{}` (the cluster's nodes)", c.name),
                    &c.origin,
                ),
                (Some(ArtefactKind::Serverless), ComponentKind::Function) => {
                    h.add_managed("Lambda", &c.origin);
                    if let Some(subnet) = &c.subnet {
                        h.private_network.push(Fact::new(
                            format!("function `{}` runs in {}", c.name, subnet.value),
                            subnet.origin.clone(),
                        ));
                    }
                }
                (Some(ArtefactKind::Serverless), ComponentKind::Queue) => {
                    h.add_managed("SQS/SNS", &c.origin)
                }
                (_, ComponentKind::Function) => h.add_managed("functions", &c.origin),
                (_, ComponentKind::Cdn) => h.add_managed("a CDN", &c.origin),
                _ => h.undecided = true,
            }
        }
    }
    if let Some(sshd) = deployment
        .access
        .sshd
        .iter()
        .find(|s| judged(s.environment.as_deref()))
    {
        h.add_own(
            format!("sshd configuration `{}`", sshd.path),
            &Origin::Artefact(crate::model::Location::new(sshd.path.as_str(), 1, 1)),
        );
    }
    for r in deployment
        .resources
        .iter()
        .filter(|r| judged(r.environment.as_deref()))
    {
        // A remote module is judged by its inputs: an instance type makes machines, a VPC or
        // subnets place what it makes in the team's network.
        if &*r.resource_type == "module" {
            let input = |names: &[&'static str]| -> Option<&'static str> {
                names
                    .iter()
                    .find(|n| r.attr(n).is_some() || r.unknown.contains_key(n))
                    .copied()
            };
            if let Some(name) = input(&["instance_type"]) {
                h.add_own(
                    format!("`{}` (its `{name}`)", r.address),
                    &r.origin_of(name),
                );
            }
            if let Some(name) = input(&["vpc", "vpc_config", "vpc_id", "subnet_ids", "subnets"]) {
                h.private_network.push(Fact::new(
                    format!("`{}` is given a VPC (`{name}`)", r.address),
                    r.origin_of(name),
                ));
            }
            continue;
        }
        match super::aws::hosted(r) {
            Some(super::aws::Runs::Own) => h.add_own(format!("`{}`", r.address), &r.origin),
            Some(super::aws::Runs::Network) => h.private_network.push(Fact::new(
                format!("`{}` is a network of yours", r.address),
                r.origin.clone(),
            )),
            Some(super::aws::Runs::Managed(service, private)) => {
                h.add_managed(service, &r.origin);
                if private {
                    h.private_network.push(Fact::new(
                        format!("`{}` sits in a VPC", r.address),
                        r.origin.clone(),
                    ));
                }
            }
            None => {}
        }
    }
    deployment.hosting = h;
}
