use super::shared::{none, per_endpoint};
use crate::model::Endpoint;
use crate::model::live::Observation;
use crate::rules::*;

declare_rule! {
    /// `security.hsts`.
    pub struct Hsts;
    id: "security.hsts",
    order: 40,
    title: "HTTPS responses carry HSTS for at least six months",
    pillar: Security,
    stages: [REC, REQ, REQ],
    applies_when: "endpoints are declared",
    evidence: [Live],
    sources: [Stat],
    checks: "HTTPS responses carry `Strict-Transport-Security` with `max-age` of at least `hsts_min_age` \
seconds; `includeSubDomains` is recommended. Malformed headers count as missing, as browsers ignore them.",
    rationale: "HSTS makes browsers refuse plain HTTP to the site from then on, closing the window a \
redirect leaves open on every first request.",
    remediation: "Add `Strict-Transport-Security: max-age=31536000; includeSubDomains`.",
    params: [
        hsts_min_age: u64 = "15768000" => "shortest acceptable max-age in seconds (6 months)",
    ],
    examples: shown("hsts"),
}

impl Hsts {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        per_endpoint(cx, &[], "the HSTS header", none, judge_hsts)
    }
}

fn judge_hsts(cx: &Context<'_>, endpoint: &Endpoint, o: &Observation) -> Result<Finding, Stop> {
    if let Some(error) = unreachable(o) {
        return Ok(error);
    }
    let min = Hsts::hsts_min_age(cx)?;
    let target = endpoint.url.clone();
    Ok(match &o.hsts {
        None => Finding::fail(
            target,
            "HTTPS responses carry no Strict-Transport-Security header",
        ),
        Some(h) if !h.problems.is_empty() => Finding::fail(
            target,
            format!(
                "Strict-Transport-Security `{}` is malformed, so browsers ignore it: {}",
                h.raw,
                h.problems.join("; ")
            ),
        )
        .with("hsts", h),
        Some(h) => {
            let age = h.max_age.unwrap_or(0);
            if age < min {
                Finding::fail(
                    target,
                    format!("HSTS max-age is {age} s, under the {min} s required"),
                )
            } else if h.include_subdomains {
                Finding::pass(target, format!("HSTS max-age={age}; includeSubDomains"))
            } else {
                Finding::pass(
                    target,
                    format!("HSTS max-age={age} (includeSubDomains is recommended as well)"),
                )
            }
            .with("hsts", h)
        }
    })
}
