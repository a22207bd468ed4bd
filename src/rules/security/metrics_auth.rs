use crate::model::Endpoint;
use crate::model::live::Observation;
use crate::rules::*;

declare_rule! {
    /// `security.metrics-auth`.
    pub struct MetricsAuth;
    id: "security.metrics-auth",
    order: 230,
    title: "Metrics endpoints require credentials",
    pillar: Security,
    stages: [OFF, REQ, REQ],
    applies_when: "an endpoint declares a `metrics` path",
    evidence: [Live, Declared],
    sources: [Bib],
    checks: "The metrics path answers 401 with a `WWW-Authenticate: Basic` challenge when asked without credentials.",
    rationale: "Metrics reveal internals: versions, routes, error rates, sometimes user counts. Open, they also \
invite scraping load from anyone.",
    remediation: "Put HTTP Basic auth (or network restrictions) in front of the metrics path.",
    params: [],
    examples: shown("metrics_auth"),
}

impl MetricsAuth {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = Vec::new();
        for (env, endpoint) in cx.model.endpoints().filter(|(_, e)| e.metrics.is_some()) {
            out.push(live_judged(
                cx,
                env,
                endpoint,
                "authentication of the metrics path",
                |o| judge_metrics(endpoint, o),
            ));
        }
        or_not_applicable(out, "no endpoint exports metrics")
    }
}

fn judge_metrics(endpoint: &Endpoint, o: &Observation) -> Finding {
    let target = endpoint.url.clone();
    let Some(metrics) = &o.metrics else {
        return Finding::error(target, "the metrics path was not requested");
    };
    metrics_verdict(target, metrics)
}

/// `security.metrics-auth`'s verdict on the answer to the metrics path without credentials;
/// `watch` judges its metrics check with it.
pub fn metrics_verdict(target: String, metrics: &crate::model::live::Response) -> Finding {
    let path = &metrics.path;
    let finding = match (metrics.status, metrics.www_authenticate.as_deref()) {
        (None, _) => Finding::error(
            target,
            format!(
                "{path} could not be requested: {}",
                metrics.error.as_deref().unwrap_or("no answer")
            ),
        ),
        (Some(401), Some(challenge))
            if challenge
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("basic") =>
        {
            Finding::pass(target, format!("{path} answers 401 with a Basic challenge"))
        }
        (Some(401), Some(challenge)) => Finding::pass(
            target,
            format!("{path} answers 401 and asks for credentials ({challenge})"),
        ),
        (Some(401), None) => Finding::fail(
            target,
            format!(
                "{path} answers 401 without a WWW-Authenticate challenge, so scrapers cannot authenticate"
            ),
        ),
        (Some(403), _) => Finding::pass(target, format!("{path} answers 403 without credentials")),
        (Some(status), _) if (200..300).contains(&status) => Finding::fail(
            target,
            format!("{path} answers {status} without credentials: metrics are open to anyone"),
        ),
        (Some(status), _) => Finding::fail(
            target,
            format!("{path} answers {status}; expected 401 with a Basic challenge"),
        ),
    };
    finding.with("metrics", metrics)
}
