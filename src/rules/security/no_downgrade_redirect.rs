use super::shared::{none, per_endpoint, redirect_target, same_host};
use crate::model::Endpoint;
use crate::model::live::{Hop, Observation, PlainHttp};
use crate::rules::*;

declare_rule! {
    /// `security.no-downgrade-redirect`.
    pub struct NoDowngradeRedirect;
    id: "security.no-downgrade-redirect",
    order: 80,
    title: "Redirects over HTTPS never point at http://, and the app sees the real Host",
    pillar: Security,
    stages: [REC, REQ, REQ],
    applies_when: "endpoints are declared",
    evidence: [Live],
    sources: [Bib],
    checks: "No redirect issued over HTTPS points at an `http://` URL or at another host than the one asked.",
    rationale: "An app behind a TLS-terminating proxy that does not pass the scheme and Host builds redirects \
to `http://` or to its internal name: users are bounced out of HTTPS or to an address that does not work.",
    remediation: "Forward `X-Forwarded-Proto` and `Host` from the proxy and make the app trust them.",
    params: [],
    examples: shown("no_downgrade_redirect"),
}

impl NoDowngradeRedirect {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        per_endpoint(
            cx,
            &[],
            "redirects issued over HTTPS",
            none,
            judge_downgrade,
        )
    }
}

fn judge_downgrade(_: &Context<'_>, endpoint: &Endpoint, o: &Observation) -> Result<Finding, Stop> {
    if let Some(error) = unreachable(o) {
        return Ok(error);
    }
    let mut hops: Vec<&Hop> = o.https.iter().flat_map(|e| e.hops.iter()).collect();
    if let Some(PlainHttp::Answered { exchange, .. }) = &o.plain_http {
        hops.extend(exchange.hops.iter());
    }
    let mut bad = Vec::new();
    let mut seen = 0;
    for hop in hops.into_iter().filter(|h| h.url.starts_with("https://")) {
        let Some(to) = redirect_target(hop) else {
            continue;
        };
        seen += 1;
        if to.scheme() != "https" {
            bad.push(format!("{} redirects to {to} (plain HTTP)", hop.url));
        } else if !same_host(&hop.url, &to) {
            bad.push(format!("{} redirects to another host: {to}", hop.url));
        }
    }
    let target = endpoint.url.clone();
    Ok(if !bad.is_empty() {
        Finding::fail(target, bad.join("; "))
    } else if seen == 0 {
        Finding::pass(target, "no redirect is issued over HTTPS")
    } else {
        Finding::pass(
            target,
            format!("all {seen} redirects issued over HTTPS stay on HTTPS and the same host"),
        )
    })
}
