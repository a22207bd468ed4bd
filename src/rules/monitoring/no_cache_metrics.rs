use crate::model::EndpointKind;
use crate::model::live::Observation;
use crate::rules::*;

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
