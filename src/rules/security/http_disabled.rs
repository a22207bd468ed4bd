use super::shared::{none, per_endpoint};
use crate::model::live::{Observation, PlainHttp};
use crate::model::{Endpoint, EndpointKind};
use crate::rules::*;

declare_rule! {
    /// `security.http-disabled`.
    pub struct HttpDisabled;
    id: "security.http-disabled",
    order: 30,
    title: "APIs do not serve plain HTTP at all",
    pillar: Security,
    stages: [REC, REQ, REQ],
    applies_when: "api endpoints are declared",
    evidence: [Live],
    sources: [Stat],
    checks: "A plain HTTP connection to an API is refused or gets no HTTP answer; a redirect fails.",
    rationale: "API clients do not follow redirects the way browsers do, and the first request, with its \
credentials, has already crossed the network in clear text by the time a redirect answers it.",
    remediation: "Close port 80 for API hosts (or answer nothing there).",
    params: [],
    examples: shown("http_disabled"),
}

impl HttpDisabled {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        per_endpoint(
            cx,
            &[EndpointKind::Api],
            "whether plain HTTP is disabled",
            none,
            judge_disabled,
        )
    }
}

fn judge_disabled(_: &Context<'_>, endpoint: &Endpoint, o: &Observation) -> Result<Finding, Stop> {
    let target = endpoint.url.clone();
    Ok(match &o.plain_http {
        None => Finding::error(
            target,
            "plain HTTP was not probed: no http_url could be derived",
        ),
        Some(PlainHttp::Refused { url }) => {
            Finding::pass(target, format!("{url} refuses connections"))
        }
        Some(PlainHttp::NoAnswer { url, reason }) => {
            Finding::pass(target, format!("{url} gives no HTTP answer ({reason})"))
        }
        Some(PlainHttp::Answered { url, exchange }) => {
            let first = exchange.hops.first();
            let how = match first {
                Some(h) if h.is_redirect() => format!(
                    "a {} redirect to {}: the request and its credentials already crossed the network in clear text",
                    h.status,
                    h.location.as_deref().unwrap_or_default()
                ),
                Some(h) => format!("{}", h.status),
                None => "an answer".into(),
            };
            Finding::fail(
                target,
                format!("{url} serves plain HTTP: it answers with {how}"),
            )
            .with("plain_http", exchange)
        }
    })
}
