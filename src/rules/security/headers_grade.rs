use super::shared::{grade_at_least, none, per_endpoint};
use crate::model::Endpoint;
use crate::model::live::Observation;
use crate::rules::*;

declare_rule! {
    /// `security.headers-grade`.
    pub struct HeadersGrade;
    id: "security.headers-grade",
    order: 50,
    title: "The response-header grade is at least A on every probed path",
    pillar: Security,
    stages: [REC, REQ, REQ],
    applies_when: "endpoints are declared",
    evidence: [Live],
    sources: [Stat],
    checks: "Under `headers_rubric: securityheaders`, A means HSTS, Content-Security-Policy, X-Frame-Options, \
X-Content-Type-Options, Referrer-Policy and Permissions-Policy are all present and valid (A+ with no warning \
such as `'unsafe-inline'`); under `observatory`, the MDN HTTP Observatory score and grade. Both grades are \
reported; the grade must reach `headers_grade` on every probed path, not only `/`.",
    rationale: "These headers switch on browser defences against cross-site scripting, clickjacking and \
content sniffing. A header set at server level can silently vanish on one path (an nginx `add_header` inside \
a `location`), so every path counts.",
    remediation: "Add the missing headers at the proxy for every location.",
    params: [
        headers_grade: String = "\"A\"" => "lowest acceptable grade",
        headers_rubric: String = "\"securityheaders\"" => "securityheaders or observatory",
    ],
    examples: shown("headers_grade"),
}

impl HeadersGrade {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        per_endpoint(cx, &[], "the security-header grade", none, judge_headers)
    }
}

fn judge_headers(cx: &Context<'_>, endpoint: &Endpoint, o: &Observation) -> Result<Finding, Stop> {
    if let Some(error) = unreachable(o) {
        return Ok(error);
    }
    let floor = HeadersGrade::headers_grade(cx)?;
    let rubric = HeadersGrade::headers_rubric(cx)?;
    headers_verdict(endpoint.url.clone(), o, &floor, &rubric)
}

/// `security.headers-grade`'s verdict on an observation of an endpoint's headers, with the
/// profile's `headers_grade` and `headers_rubric`; `watch` judges its headers check with it.
pub fn headers_verdict(
    target: String,
    o: &Observation,
    floor: &str,
    rubric: &str,
) -> Result<Finding, Stop> {
    let observatory = o
        .observatory
        .as_ref()
        .map(|s| format!("{} ({})", s.grade, s.score))
        .unwrap_or_else(|| "not scored".into());
    let finding = match rubric {
        "securityheaders" => {
            let mut below = Vec::new();
            for path in &o.paths {
                if !grade_at_least(&path.grade, floor)? {
                    let mut why = path.missing.clone();
                    why.extend(path.warnings.iter().cloned());
                    below.push(format!(
                        "{} is {} ({})",
                        path.path,
                        path.grade,
                        why.join(", ")
                    ));
                }
            }
            if o.paths.is_empty() {
                Finding::error(target, "no HTTPS response to grade")
            } else if below.is_empty() {
                let grades: Vec<String> = o
                    .paths
                    .iter()
                    .map(|p| format!("{} {}", p.path, p.grade))
                    .collect();
                Finding::pass(
                    target,
                    format!(
                        "security headers grade at least {floor} on every probed path ({}); Observatory {observatory}",
                        grades.join(", ")
                    ),
                )
            } else {
                Finding::fail(
                    target,
                    format!("security headers below {floor}: {}", below.join("; ")),
                )
            }
        }
        "observatory" => match &o.observatory {
            Some(s) if grade_at_least(&s.grade, floor)? => Finding::pass(
                target,
                format!("MDN HTTP Observatory grade {} (score {})", s.grade, s.score),
            ),
            Some(s) => {
                let failing: Vec<String> = s
                    .tests
                    .iter()
                    .filter(|t| t.modifier < 0)
                    .map(|t| format!("{} {}", t.result, t.modifier))
                    .collect();
                Finding::fail(
                    target,
                    format!(
                        "MDN HTTP Observatory grade {} (score {}), under {floor}: {}",
                        s.grade,
                        s.score,
                        failing.join(", ")
                    ),
                )
            }
            None => Finding::error(target, "the Observatory rubric could not score the answer"),
        },
        other => {
            return Err(Stop::Unjudgeable(format!(
                "headers_rubric `{other}` is not known; expected securityheaders or observatory"
            )));
        }
    };
    Ok(finding
        .with("paths", &o.paths)
        .with("observatory", &o.observatory))
}
