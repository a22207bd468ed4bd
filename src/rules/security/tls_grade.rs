use super::shared::{answered_tls, grade_at_least, none, per_endpoint};
use crate::model::live::Observation;
use crate::model::{Endpoint, EndpointKind};
use crate::rules::*;

declare_rule! {
    /// `security.tls-grade`.
    pub struct TlsGrade;
    id: "security.tls-grade",
    order: 60,
    title: "The TLS configuration grades A+ for web apps and A for APIs",
    pillar: Security,
    stages: [REC, REQ, REQ],
    applies_when: "endpoints are declared",
    evidence: [Live],
    sources: [Stat],
    checks: "The TLS grade by the SSL Labs rating guide (protocol 30%, key exchange 30%, cipher strength 40%, \
with its caps) is at least `tls_grade_app` for web apps and `tls_grade_api` for APIs.",
    rationale: "Old protocols and weak suites let an attacker on the path downgrade or decrypt traffic; the \
grade summarises those weaknesses the way the guideline's reference tool does.",
    remediation: "Offer TLS 1.2 and 1.3 only, with forward-secret AEAD suites and a 2048-bit or stronger key.",
    params: [
        tls_grade_app: String = "\"A+\"" => "lowest acceptable grade for web apps",
        tls_grade_api: String = "\"A\"" => "lowest acceptable grade for APIs",
    ],
    examples: shown("tls_grade"),
}

impl TlsGrade {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        per_endpoint(cx, &[], "the TLS grade", none, judge_tls)
    }
}

fn judge_tls(cx: &Context<'_>, endpoint: &Endpoint, o: &Observation) -> Result<Finding, Stop> {
    if answered_tls(o).is_none() {
        if let Some(error) = unreachable(o) {
            return Ok(error);
        }
    }
    let floor: String = match endpoint.kind.value {
        EndpointKind::Api => TlsGrade::tls_grade_api(cx)?,
        _ => TlsGrade::tls_grade_app(cx)?,
    };
    let target = endpoint.url.clone();
    let Some(scan) = &o.tls_scan else {
        return Ok(Finding::error(
            target,
            "the TLS configuration could not be scanned",
        ));
    };
    let Some(graded) = &scan.grade else {
        return Ok(Finding::error(
            target,
            "the TLS configuration was not graded",
        ));
    };
    let protocols: Vec<&str> = scan
        .protocols
        .iter()
        .filter(|p| p.supported)
        .map(|p| p.name.as_str())
        .collect();
    let mut why: Vec<String> = graded.caps.clone();
    why.extend(graded.warnings.iter().cloned());
    let detail = if why.is_empty() {
        String::new()
    } else {
        format!(": {}", why.join("; "))
    };
    Ok(Finding::judge(
        grade_at_least(&graded.grade, &floor)?,
        target,
        format!(
            "TLS grade {} (score {}; {}){detail}",
            graded.grade,
            graded.score,
            protocols.join(", ")
        ),
        format!(
            "TLS grade {} is under {floor} (score {}; {}){detail}",
            graded.grade,
            graded.score,
            protocols.join(", ")
        ),
    )
    .with("tls_scan", scan))
}
