use super::shared::{none, per_endpoint};
use crate::model::Endpoint;
use crate::model::live::Observation;
use crate::rules::*;

declare_rule! {
    /// `security.cert-expiry`.
    pub struct CertExpiry;
    id: "security.cert-expiry",
    order: 70,
    title: "Certificates stay valid for at least three more weeks",
    pillar: Security,
    stages: [REC, REQ, REQ],
    applies_when: "endpoints are declared",
    evidence: [Live],
    sources: [],
    checks: "The served certificate is valid for at least `cert_min_days` more days.",
    rationale: "An expired certificate is a full outage for browsers and API clients alike; three weeks leaves \
time for a failed automatic renewal to be noticed and fixed.",
    remediation: "Renew the certificate and check that automatic renewal runs.",
    params: [
        cert_min_days: i64 = "21" => "fewest days of validity left",
    ],
    examples: shown("cert_expiry"),
}

impl CertExpiry {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        per_endpoint(cx, &[], "the certificate's expiry", none, judge_expiry)
    }
}

fn judge_expiry(cx: &Context<'_>, endpoint: &Endpoint, o: &Observation) -> Result<Finding, Stop> {
    let certificate = o
        .tls
        .as_ref()
        .and_then(|t| t.certificate.as_ref())
        .or(o.tls_scan.as_ref().and_then(|s| s.certificate.as_ref()));
    if certificate.is_none() {
        if let Some(error) = unreachable(o) {
            return Ok(error);
        }
    }
    let min = CertExpiry::cert_min_days(cx)?;
    Ok(expiry_verdict(endpoint.url.clone(), certificate, min))
}

/// `security.cert-expiry`'s verdict on the certificate an endpoint served, with the profile's
/// `cert_min_days`; `watch` judges its certificate check with it.
pub fn expiry_verdict(
    target: String,
    certificate: Option<&crate::model::live::Certificate>,
    min: i64,
) -> Finding {
    match certificate {
        None => Finding::error(target, "the server sent no readable certificate"),
        Some(c) if c.days_left < 0 => Finding::fail(
            target,
            format!("the certificate expired {} days ago", -c.days_left),
        )
        .with("certificate", c),
        Some(c) => Finding::judge(
            c.days_left >= min,
            target,
            format!("the certificate is valid for {} more days", c.days_left),
            format!(
                "the certificate expires in {} days (fewer than {min})",
                c.days_left
            ),
        )
        .with("certificate", c),
    }
}
