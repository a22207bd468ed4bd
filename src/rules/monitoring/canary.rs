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
    evidence: [Kubernetes, Terraform, Declared],
    sources: [Hkn, Roll],
    checks: "For every API endpoint (declared, or an Ingress host or LoadBalancer Service that Kubernetes \
manifests publish for an API), a canary in `monitoring.canaries` targets its URL with an `interval` of \
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
            out.push(
                judge_canaries(e.url.clone(), &e.origin, &canaries, max, all.is_empty())
                    .in_env(&env.name),
            );
        }
        // A serverless API is probed by the Synthetics canaries its own template defines.
        for env in &cx.model.environments {
            let mut services: Vec<&crate::model::ApiRoute> = env.routes.iter().collect();
            services.dedup_by(|a, b| a.service == b.service);
            for route in services {
                let target = format!("serverless:{}", route.service);
                let canaries: Vec<_> = all.iter().filter(|c| c.target == target).collect();
                out.push(
                    judge_canaries(target, &route.origin, &canaries, max, all.is_empty())
                        .in_env(&env.name),
                );
            }
        }
        // An API a Kubernetes Ingress or LoadBalancer Service publishes: by its URL when a host
        // is named, else by its target (the address is known only once deployed).
        for env in &cx.model.environments {
            for p in env.published.iter().filter(|p| p.api) {
                let canaries: Vec<_> = all
                    .iter()
                    .filter(|c| match &p.url {
                        Some(url) => c.target.trim_end_matches('/').starts_with(url.as_str()),
                        None => c.target == p.target,
                    })
                    .collect();
                out.push(
                    judge_canaries(p.target.clone(), &p.origin, &canaries, max, all.is_empty())
                        .in_env(&env.name),
                );
            }
        }
        // A Terraform-managed API is probed by the Synthetics canaries of its own environment.
        for api in with_role(cx, &[crate::model::cloud::Role::Api]) {
            let prefix = format!("terraform:{}:", api.environment.as_deref().unwrap_or(""));
            let canaries: Vec<_> = all
                .iter()
                .filter(|c| c.target.starts_with(&prefix))
                .collect();
            let mut finding = judge_canaries(
                api.address.clone(),
                &api.origin,
                &canaries,
                max,
                all.is_empty(),
            );
            if let Some(env) = &api.environment {
                finding = finding.in_env(env);
            }
            out.push(finding);
        }
        or_not_applicable(out, "no api endpoints declared")
    }
}

/// Judges the most frequent of the canaries that probe `target`.
fn judge_canaries(
    target: String,
    origin: &crate::model::Origin,
    canaries: &[&crate::model::Canary],
    max: crate::model::Duration,
    none_known: bool,
) -> Finding {
    match canaries
        .iter()
        .min_by_key(|c| c.interval.map_or(u64::MAX, |d| d.as_secs()))
    {
        // No canary at all, declared or read: one may probe it from a service these files do
        // not configure. Once canaries are declared or read, the list is the team's and an API
        // it leaves out has none.
        None if none_known => Finding::not_evidenced(
            target,
            "`monitoring.canaries`",
            "Terraform Synthetics canaries",
        )
        .at(origin),
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
