use super::shared::{answered_tls, per_endpoint, plain_http};
use crate::model::Endpoint;
use crate::model::live::Observation;
use crate::rules::*;

declare_rule! {
    /// `security.https-only`.
    pub struct HttpsOnly;
    id: "security.https-only",
    order: 10,
    title: "Every endpoint is served over HTTPS with a valid certificate for its name",
    pillar: Security,
    stages: [REC, REQ, REQ],
    applies_when: "endpoints are declared",
    evidence: [Live, Declared],
    sources: [Stat, Bib],
    checks: "Each endpoint URL is `https://`, and a probe finds a certificate that is trusted, current and \
valid for the host name.",
    rationale: "Anything sent in plain HTTP can be read and changed on the way: sessions, personal data, \
the pages themselves. A certificate browsers do not trust teaches users to click through warnings.",
    remediation: "Serve every endpoint over HTTPS with a certificate from a trusted CA (e.g. ACME / Let's Encrypt).",
    params: [],
    examples: shown("https_only"),
}

impl HttpsOnly {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        per_endpoint(cx, &[], "the certificate", plain_http, judge_https)
    }
}

fn judge_https(_: &Context<'_>, endpoint: &Endpoint, o: &Observation) -> Result<Finding, Stop> {
    // The server answered TLS (the scan saw it) but a current client could not finish a handshake.
    if let (Some(why), Some(scan)) = (&o.https_error, answered_tls(o)) {
        return Ok(Finding::fail(
            endpoint.url.clone(),
            format!("current clients cannot connect: {why}"),
        )
        .with("tls_scan", scan));
    }
    if let Some(error) = unreachable(o) {
        return Ok(error);
    }
    let target = endpoint.url.clone();
    let Some(tls) = &o.tls else {
        return Ok(Finding::error(
            target,
            "the HTTPS answer carried no TLS facts",
        ));
    };
    let finding = match &tls.trust_error {
        Some(why) => Finding::fail(target, format!("served over HTTPS, but {why}")),
        None => Finding::pass(
            target,
            format!(
                "served over HTTPS ({}) with a trusted certificate for the host",
                tls.protocol
            ),
        ),
    };
    Ok(finding.with("tls", tls))
}
