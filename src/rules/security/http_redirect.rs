use super::shared::{none, per_endpoint, redirect_target, same_host};
use crate::model::live::{Observation, PlainHttp};
use crate::model::{Endpoint, EndpointKind};
use crate::rules::*;

declare_rule! {
    /// `security.http-redirect`.
    pub struct HttpRedirect;
    id: "security.http-redirect",
    order: 20,
    title: "Web apps redirect plain HTTP to the same host over HTTPS",
    pillar: Security,
    stages: [REC, REQ, REQ],
    applies_when: "web-app endpoints are declared",
    evidence: [Live],
    sources: [Stat],
    checks: "A plain HTTP request to a web app (`http_url`, default port 80 of the same host) is answered \
with a 301/308 redirect to `https://` on the same host.",
    rationale: "People type bare host names; the first request goes out in plain HTTP. A redirect to HTTPS \
(with HSTS afterwards) is what moves them onto the encrypted site.",
    remediation: "Answer port 80 with `return 301 https://$host$request_uri;` (nginx) or the equivalent.",
    params: [],
    examples: shown("http_redirect"),
}

impl HttpRedirect {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        per_endpoint(
            cx,
            &[EndpointKind::WebApp],
            "the plain-HTTP redirect",
            none,
            judge_redirect,
        )
    }
}

fn judge_redirect(_: &Context<'_>, endpoint: &Endpoint, o: &Observation) -> Result<Finding, Stop> {
    let target = endpoint.url.clone();
    let finding = match &o.plain_http {
        None => Finding::error(
            target,
            "plain HTTP was not probed: no http_url could be derived",
        ),
        Some(PlainHttp::Refused { url }) => Finding::fail(
            target,
            format!("{url} refuses connections: visitors who type the bare host name get no site"),
        ),
        Some(PlainHttp::NoAnswer { url, reason }) => {
            Finding::fail(target, format!("{url} gives no HTTP answer ({reason})"))
        }
        Some(PlainHttp::Answered { url, exchange }) => {
            let first = exchange.hops.first();
            match first.and_then(redirect_target) {
                Some(to) if to.scheme() == "https" && same_host(url, &to) => Finding::pass(
                    target,
                    format!(
                        "{url} answers {} with a redirect to {to}",
                        first.map_or(0, |h| h.status)
                    ),
                ),
                Some(to) if to.scheme() == "https" => Finding::fail(
                    target,
                    format!("{url} redirects to another host ({to}); redirect to the same host first so HSTS applies to it"),
                ),
                Some(to) => Finding::fail(
                    target,
                    format!("{url} redirects to {to}, which is not HTTPS"),
                ),
                None => Finding::fail(
                    target,
                    format!(
                        "{url} answers {} without a redirect to HTTPS: the site is served in plain text",
                        first.map_or(0, |h| h.status)
                    ),
                ),
            }
            .with("plain_http", exchange)
        }
    };
    Ok(finding)
}
