//! Rules for APIs in production: canaries, alarms, tracing.

use crate::model::EndpointKind;
use crate::rules::*;

declare_rule! {
    /// `monitoring.canary`.
    pub struct Canary;
    id: "monitoring.canary",
    order: 20,
    title: "An availability canary probes each API at least every `canary_interval`",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    applies_when: "api endpoints are declared",
    evidence: [Terraform, Declared],
    sources: [Hkn, Roll],
    checks: "For every API endpoint, a canary in `monitoring.canaries` targets its URL with an `interval` of \
at most `canary_interval` (a Synthetics canary or a liftoff watch entry count too). The baseline's \
15 minutes keeps an outage's detection within a quarter of an hour; `hackney` asks for 5 minutes.",
    rationale: "Users should not be the monitoring. A canary that calls the API like a client notices an \
outage within minutes, at night and on holidays.",
    remediation: "Add a canary for the API (`monitoring.canaries: [{target: https://api.example.org/ping, interval: 5m}]`).",
    params: [
        canary_interval: String = "\"15m\"" => "longest interval between canary runs",
    ],
    examples: run("canary"),
}

/// Judges the most frequent of the canaries that probe `target`.
fn judge_canaries(
    target: String,
    origin: &crate::model::Origin,
    canaries: &[&crate::model::Canary],
    max: crate::model::Duration,
) -> Finding {
    match canaries
        .iter()
        .min_by_key(|c| c.interval.map_or(u64::MAX, |d| d.as_secs()))
    {
        None => Finding::fail(target, "no canary probes this API").at(origin),
        Some(c) => match c.interval {
            None => Finding::not_evidenced(
                target,
                "the canary's `interval`",
                "Terraform Synthetics canaries",
            )
            .at(&c.origin),
            Some(i) => Finding::judge(
                i <= max,
                target,
                format!("probed every {i}"),
                format!("probed every {i}, less often than every {max}"),
            )
            .at(&c.origin),
        },
    }
}

impl Canary {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let text = Canary::canary_interval(cx)?;
        let max: crate::model::Duration =
            text.parse().map_err(|e| format!("canary_interval: {e}"))?;
        let all = &cx.model.monitoring.canaries;
        let mut out = Vec::new();
        for (env, e) in endpoints_of(cx.model, EndpointKind::Api) {
            let base = e.url.trim_end_matches('/');
            let canaries: Vec<_> = all
                .iter()
                .filter(|c| c.target.trim_end_matches('/').starts_with(base))
                .collect();
            out.push(judge_canaries(e.url.clone(), &e.origin, &canaries, max).in_env(&env.name));
        }
        // A serverless API is probed by the Synthetics canaries its own template defines.
        for env in &cx.model.environments {
            let mut services: Vec<&crate::model::ApiRoute> = env.routes.iter().collect();
            services.dedup_by(|a, b| a.service == b.service);
            for route in services {
                let target = format!("serverless:{}", route.service);
                let canaries: Vec<_> = all.iter().filter(|c| c.target == target).collect();
                out.push(judge_canaries(target, &route.origin, &canaries, max).in_env(&env.name));
            }
        }
        // A Terraform-managed API is probed by the Synthetics canaries of its own environment.
        for api in cx.model.resources.iter().filter(|r| is_tf_api(r)) {
            let prefix = format!("terraform:{}:", api.environment.as_deref().unwrap_or(""));
            let canaries: Vec<_> = all
                .iter()
                .filter(|c| c.target.starts_with(&prefix))
                .collect();
            let mut finding = judge_canaries(api.address.clone(), &api.origin, &canaries, max);
            if let Some(env) = &api.environment {
                finding = finding.in_env(env);
            }
            out.push(finding);
        }
        or_not_applicable(out, "no api endpoints declared")
    }
}

/// Whether a Terraform resource is an API (REST, HTTP or WebSocket).
fn is_tf_api(r: &crate::model::Resource) -> bool {
    r.cloud
        .is_some_and(|t| t.role == crate::model::cloud::Role::Api)
}

declare_rule! {
    /// `monitoring.api-alarms`.
    pub struct ApiAlarms;
    id: "monitoring.api-alarms",
    order: 30,
    title: "Alarms fire on canary failure and on any 5xx from an API",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    applies_when: "api endpoints are declared",
    evidence: [Terraform, Declared],
    sources: [Hkn],
    checks: "`monitoring.alarms` includes `on: canary` and `on: 5xx`.",
    rationale: "A canary that fails silently is no canary; server errors are the first sign of a broken \
release or an exhausted dependency.",
    remediation: "Add alarms on canary failures and on 5xx responses, routed to the on-call channel.",
    params: [],
    examples: run("api_alarms"),
}

impl ApiAlarms {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        if !has_api(cx) {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no api endpoints declared",
            )]);
        }
        let m = &cx.model.monitoring;
        let missing: Vec<&str> = ["canary", "5xx"]
            .into_iter()
            .filter(|k| m.alarm_on(k).is_none())
            .collect();
        let origin = m.alarms.first().map(|a| &a.origin).or(m.origin.as_ref());
        Ok(vec![if m.origin.is_none() {
            Finding::not_evidenced(
                DEPLOYMENT,
                "`monitoring.alarms`",
                "Terraform CloudWatch alarms",
            )
        } else {
            Finding::judge(
                missing.is_empty(),
                DEPLOYMENT,
                "alarms on canary failures and 5xx",
                format!("no alarm on {}", list(&missing)),
            )
            .at_opt(origin)
        }])
    }
}

declare_rule! {
    /// `monitoring.tracing`.
    pub struct Tracing;
    id: "monitoring.tracing",
    order: 60,
    title: "Request tracing is on for APIs",
    pillar: Monitoring,
    stages: [OFF, REC, REC],
    applies_when: "api endpoints are declared",
    evidence: [
        Terraform,
        Serverless,
        Declared,
    ],
    sources: [Hkn],
    checks: "`monitoring.tracing` names a tracing system (X-Ray active tracing, OpenTelemetry, ...).",
    rationale: "When a request is slow, tracing shows which of the many calls behind it is to blame instead \
of leaving the team to guess.",
    remediation: "Enable tracing (API Gateway / Lambda `tracing_config` Active, or an OpenTelemetry exporter).",
    params: [],
    examples: run("tracing"),
}

impl Tracing {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        if !has_api(cx) {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no api endpoints declared",
            )]);
        }
        // Every API Gateway stage is judged on its own: one stage with X-Ray on says nothing of
        // another (AWS leaves `xray_tracing_enabled` off unless it is set).
        let mut out: Vec<Finding> = with_role(cx.model, &[crate::model::cloud::Role::ApiStage])
            .map(|stage| {
                if let Some(unknown) = unknown_until_apply(stage, "xray_tracing_enabled") {
                    return unknown;
                }
                on_resource(
                    Finding::judge(
                        stage.flag("xray_tracing_enabled") == Some(true),
                        stage.address.clone(),
                        "X-Ray tracing is on for this stage",
                        "X-Ray tracing is off for this stage: `xray_tracing_enabled` is not true",
                    ),
                    stage,
                    "xray_tracing_enabled",
                )
            })
            .collect();
        let declared = matches!(
            cx.model.monitoring.tracing.as_ref().map(|t| &t.origin),
            Some(crate::model::Origin::Declared(_))
        );
        // The deployment-wide fact (declared, or from serverless.yml) when no stage says more.
        if out.is_empty() || declared {
            if let (None, Some(unresolved)) = (
                &cx.model.monitoring.tracing,
                &cx.model.monitoring.tracing_unresolved,
            ) {
                out.push(
                    Finding::not_evidenced(
                        DEPLOYMENT,
                        &format!(
                            "`monitoring.tracing` (the tracing switch `{}` is known only at deploy)",
                            unresolved.value
                        ),
                        "",
                    )
                    .at(&unresolved.origin),
                );
                return Ok(out);
            }
            out.push(declared_tool(
                &cx.model.monitoring.tracing,
                "`monitoring.tracing`",
                "tracing",
                "Terraform or serverless tracing settings",
            ));
        }
        Ok(out)
    }
}

/// Whether the deployment has an API: a declared API endpoint or serverless routes.
fn has_api(cx: &Context<'_>) -> bool {
    !endpoints_of(cx.model, EndpointKind::Api).is_empty()
        || cx.model.environments.iter().any(|e| !e.routes.is_empty())
        || cx.model.resources.iter().any(is_tf_api)
}

/// Judges a declared tool name: `none`, `off` and `false` mean the tool is absent.
pub(super) fn declared_tool(
    fact: &Option<crate::model::Fact<String>>,
    key: &str,
    what: &str,
    provide: &str,
) -> Finding {
    match fact {
        None => Finding::not_evidenced(DEPLOYMENT, key, provide),
        Some(f) => {
            let absent = ["none", "off", "false", "no", ""]
                .contains(&f.value.trim().to_ascii_lowercase().as_str());
            Finding::judge(
                !absent,
                DEPLOYMENT,
                format!("{what}: {}", f.value),
                format!("{what} is switched off"),
            )
            .at(&f.origin)
        }
    }
}
