//! Monitoring rules with a live half: health endpoints and caching of metrics.

use crate::model::EndpointKind;
use crate::model::live::Observation;
use crate::rules::*;

declare_rule! {
    /// `monitoring.health-endpoint`.
    pub struct HealthEndpoint;
    id: "monitoring.health-endpoint",
    order: 10,
    title: "Each API has a health endpoint that answers 200 and checks its data store",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    applies_when: "api endpoints are declared",
    evidence: [Live, Declared],
    sources: [Hkn],
    checks: "Every API endpoint declares a `health` path, and a probe of it answers 200 (optionally with a \
body condition).",
    rationale: "Load balancers, canaries and orchestrators decide from the health endpoint whether an \
instance gets traffic; without one they route requests to instances whose database is gone.",
    remediation: "Add a health route that checks the database connection and declare it (`health: /ping`).",
    params: [],
    examples: run("health_endpoint"),
}

impl HealthEndpoint {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let out: Vec<Finding> = endpoints_of(cx.model, EndpointKind::Api)
            .into_iter()
            .map(|(env, e)| match &e.health {
                None => Finding::fail(e.url.clone(), "no health endpoint is declared")
                    .at(&e.origin)
                    .in_env(&env.name),
                Some(path) => live_judged(
                    cx,
                    env,
                    e,
                    &format!("the health endpoint {}", path.value),
                    |o| judge_health(&e.url, &path.value, o),
                ),
            })
            .collect();
        or_not_applicable(out, "no api endpoints declared")
    }
}

declare_rule! {
    /// `monitoring.no-cache-metrics`.
    pub struct NoCacheMetrics;
    id: "monitoring.no-cache-metrics",
    order: 100,
    title: "Metrics and data endpoints are not cacheable by a CDN",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    applies_when: "endpoints are declared",
    evidence: [Live, Declared],
    sources: [Bib],
    checks: "Responses outside `cacheable_paths` carry `Cache-Control: no-store` or `private`.",
    rationale: "A CDN that caches metrics serves stale numbers that make alerts lie; one that caches data \
responses can serve one user's data to another.",
    remediation: "Send `Cache-Control: no-store` on metrics and data routes; cache only static paths.",
    params: [
        cacheable_paths: Vec<String> = "[\"/static/*\", \"/about\"]" => "paths that may be cached",
    ],
    examples: shown("no_cache_metrics"),
}

impl NoCacheMetrics {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let cacheable = NoCacheMetrics::cacheable_paths(cx)?;
        let out: Vec<Finding> = cx
            .model
            .endpoints()
            .map(|(env, e)| {
                live_judged(cx, env, e, "caching headers", |o| {
                    judge_caching(&e.url, e.kind.value, &cacheable, o)
                })
            })
            .collect();
        or_not_applicable(out, "no endpoints declared")
    }
}

fn judge_health(url: &str, path: &str, o: &Observation) -> Finding {
    let Some(health) = &o.health else {
        return Finding::error(url, format!("{path} was not requested"));
    };
    match health.status {
        None => Finding::error(
            url,
            format!(
                "{path} could not be requested: {}",
                health.error.as_deref().unwrap_or("no answer")
            ),
        ),
        Some(200) => match &health.condition {
            Some(c) if !c.holds => {
                let seen = match (&c.error, &c.found) {
                    (Some(why), _) => why.clone(),
                    (None, Some(value)) => format!("found {value}"),
                    (None, None) => "the key is missing".into(),
                };
                Finding::fail(
                    url,
                    format!(
                        "{path} answers 200 but `{}` does not hold: {seen}",
                        c.condition
                    ),
                )
            }
            Some(c) => Finding::pass(
                url,
                format!(
                    "{path} answers 200 in {} ms and `{}` holds",
                    health.latency_ms, c.condition
                ),
            ),
            None => Finding::pass(
                url,
                format!("{path} answers 200 in {} ms", health.latency_ms),
            ),
        },
        Some(status) => Finding::fail(url, format!("{path} answers {status}, not 200")),
    }
    .with("health", health)
}

/// Whether `path` is one of the cacheable paths (`/static/*` covers everything below `/static/`).
fn may_cache(path: &str, cacheable: &[String]) -> bool {
    cacheable
        .iter()
        .any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == pattern,
        })
}

/// Whether a Cache-Control value keeps shared caches (CDNs) from storing the response.
fn forbids_shared_caching(cache_control: Option<&str>) -> bool {
    cache_control.is_some_and(|v| {
        v.split(',').any(|d| {
            let d = d.trim().to_ascii_lowercase();
            d == "no-store" || d == "private" || d.starts_with("private=")
        })
    })
}

fn judge_caching(url: &str, kind: EndpointKind, cacheable: &[String], o: &Observation) -> Finding {
    // Metrics always count; for APIs the endpoint's own answer is data too.
    let mut checked: Vec<(String, Option<String>)> = Vec::new();
    if let Some(metrics) = o.metrics.as_ref().filter(|m| m.status.is_some()) {
        checked.push((metrics.path.clone(), metrics.cache_control.clone()));
    }
    if kind == EndpointKind::Api {
        if let Some(last) = o.https.as_ref().and_then(|e| e.last()) {
            let path = url::Url::parse(&last.url)
                .map(|u| u.path().to_string())
                .unwrap_or_else(|_| "/".into());
            checked.push((path, last.header("cache-control").map(str::to_string)));
        }
    }
    checked.retain(|(path, _)| !may_cache(path, cacheable));
    if checked.is_empty() {
        return Finding::not_applicable(url, "no metrics or data path was probed");
    }
    let cacheable_now: Vec<String> = checked
        .iter()
        .filter(|(_, cc)| !forbids_shared_caching(cc.as_deref()))
        .map(|(path, cc)| match cc {
            Some(cc) => format!("{path} (Cache-Control: {cc})"),
            None => format!("{path} (no Cache-Control)"),
        })
        .collect();
    let paths: Vec<&str> = checked.iter().map(|(p, _)| p.as_str()).collect();
    if cacheable_now.is_empty() {
        Finding::pass(url, format!("{} forbid shared caching", paths.join(", ")))
    } else {
        Finding::fail(url, format!("a CDN may cache {}", cacheable_now.join(", ")))
    }
}
