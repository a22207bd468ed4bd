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
