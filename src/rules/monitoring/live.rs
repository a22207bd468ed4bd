//! Monitoring rules with a live half: health endpoints and caching of metrics.

use crate::model::EndpointKind;
use crate::rules::*;

static HEALTH: RuleMeta = RuleMeta {
    id: "monitoring.health-endpoint",
    title: "Each API has a health endpoint that answers 200 and checks its data store",
    pillar: Pillar::Monitoring,
    stages: [OFF, REC, REQ],
    applies_when: Some("api endpoints are declared"),
    evidence: &[Evidence::Live, Evidence::Declared],
    sources: &[Guideline::Hkn],
    checks: "Every API endpoint declares a `health` path, and a probe of it answers 200 (optionally with a \
body condition).",
    rationale: "Load balancers, canaries and orchestrators decide from the health endpoint whether an \
instance gets traffic; without one they route requests to instances whose database is gone.",
    remediation: "Add a health route that checks the database connection and declare it (`health: /ping`).",
    params: &[],
    pass_example: "environments:\n  production:\n    kind: production\n    endpoints: [{url: \"https://api.example.org\", kind: api, health: /ping}]\n",
    fail_example: "environments:\n  production:\n    kind: production\n    endpoints: [{url: \"https://api.example.org\", kind: api}]\n",
    examples_run: true,
};

/// `monitoring.health-endpoint`.
pub struct HealthEndpoint;

impl Rule for HealthEndpoint {
    fn meta(&self) -> &'static RuleMeta {
        &HEALTH
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let out: Vec<Finding> = endpoints_of(cx.model, EndpointKind::Api)
            .into_iter()
            .map(|(env, e)| match &e.health {
                None => Finding::fail(e.url.clone(), "no health endpoint is declared")
                    .at(&e.origin)
                    .in_env(&env.name),
                Some(path) => live_only(cx, env, e, &format!("the health endpoint {}", path.value))
                    .with("health", &path.value),
            })
            .collect();
        or_not_applicable(out, "no api endpoints declared")
    }
}

static NO_CACHE: RuleMeta = RuleMeta {
    id: "monitoring.no-cache-metrics",
    title: "Metrics and data endpoints are not cacheable by a CDN",
    pillar: Pillar::Monitoring,
    stages: [OFF, REC, REQ],
    applies_when: Some("endpoints are declared"),
    evidence: &[Evidence::Live, Evidence::Declared],
    sources: &[Guideline::Bib],
    checks: "Responses outside `cacheable_paths` carry `Cache-Control: no-store` or `private`.",
    rationale: "A CDN that caches metrics serves stale numbers that make alerts lie; one that caches data \
responses can serve one user's data to another.",
    remediation: "Send `Cache-Control: no-store` on metrics and data routes; cache only static paths.",
    params: &[ParamSpec {
        name: "cacheable_paths",
        default: "[\"/static/*\", \"/about\"]",
        doc: "paths that may be cached",
    }],
    pass_example: "GET /metrics -> Cache-Control: no-store",
    fail_example: "GET /metrics -> Cache-Control: public, max-age=300",
    examples_run: false,
};

/// `monitoring.no-cache-metrics`.
pub struct NoCacheMetrics;

impl Rule for NoCacheMetrics {
    fn meta(&self) -> &'static RuleMeta {
        &NO_CACHE
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let _paths: Vec<String> = cx.param("cacheable_paths")?;
        let out: Vec<Finding> = cx
            .model
            .endpoints()
            .map(|(env, e)| live_only(cx, env, e, "caching headers"))
            .collect();
        or_not_applicable(out, "no endpoints declared")
    }
}
