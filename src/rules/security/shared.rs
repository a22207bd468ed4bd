//! Helpers several security rules share: judging a component's declared `public`, and judging
//! live endpoints. An endpoint that was probed is judged from what the probe observed; one that was
//! not (`--offline`) is `skipped` with the reason, never passed. Where a declared fact already
//! decides the outcome (an endpoint declared with `http://`), that is judged without a probe.

use crate::model::ComponentKind;
use crate::model::live::{Hop, Observation};
use crate::model::{Endpoint, EndpointKind};
use crate::rules::*;
use url::Url;

/// Judges `public` of every component of `kind`: public is a fail.
pub(super) fn judge_public(cx: &Context<'_>, kind: ComponentKind, noun: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for (env, c) in cx.model.components().filter(|(_, c)| c.kind() == kind) {
        let target = c.target(env);
        let private_subnet = c.subnet.as_ref().filter(|s| s.value == "private");
        let finding = match (&c.public, private_subnet) {
            (Some(p), _) if p.value => {
                Finding::fail(target, format!("the {noun} is publicly reachable")).at(&p.origin)
            }
            (Some(p), _) => Finding::pass(target, format!("the {noun} is private")).at(&p.origin),
            (None, Some(s)) => {
                Finding::pass(target, format!("the {noun} sits in a private subnet")).at(&s.origin)
            }
            (None, None) => Finding::not_evidenced(
                target,
                &format!("`public: false` for `{}`", c.name),
                "Terraform files",
            )
            .at(&c.origin),
        };
        out.push(finding.in_env(&env.name));
    }
    out
}

/// How a live rule judges one probed endpoint.
pub(super) type Judge = fn(&Context<'_>, &Endpoint, &Observation) -> Result<Finding, Stop>;

/// Judges every endpoint of `kinds` (all when empty): by `declared` when that decides, else from
/// the probe's observation, else as a skipped live check.
pub(super) fn per_endpoint(
    cx: &Context<'_>,
    kinds: &[EndpointKind],
    what: &str,
    declared: impl Fn(&crate::model::Endpoint) -> Option<Finding>,
    judge: Judge,
) -> Judged {
    let mut out = Vec::new();
    for (env, endpoint) in cx.model.endpoints() {
        if !kinds.is_empty() && !kinds.contains(&endpoint.kind.value) {
            continue;
        }
        let finding = match (declared(endpoint), &endpoint.observed) {
            (Some(f), _) => f.in_env(&env.name).at(&endpoint.origin),
            (None, Some(observation)) => judge(cx, endpoint, observation)?
                .in_env(&env.name)
                .at(&endpoint.origin),
            (None, None) => live_only(cx, env, endpoint, what),
        };
        out.push(finding);
    }
    if out.is_empty() {
        let kind = match kinds {
            [EndpointKind::WebApp] => "web-app ",
            [EndpointKind::Api] => "api ",
            _ => "",
        };
        out.push(Finding::not_applicable(
            DEPLOYMENT,
            format!("no {kind}endpoints declared"),
        ));
    }
    Ok(out)
}

pub(super) fn plain_http(endpoint: &crate::model::Endpoint) -> Option<Finding> {
    endpoint.url.starts_with("http://").then(|| {
        Finding::fail(
            endpoint.url.clone(),
            "the endpoint is declared with plain http://",
        )
    })
}

pub(super) fn none(_: &crate::model::Endpoint) -> Option<Finding> {
    None
}

/// Grades from best to worst, as both rubrics and SSL Labs write them.
pub(super) const GRADES: [&str; 15] = [
    "A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "E", "F", "T",
];

/// Whether `grade` is at least `floor`; unknown grades never are.
pub(super) fn grade_at_least(grade: &str, floor: &str) -> Result<bool, Stop> {
    let rank = |g: &str| GRADES.iter().position(|x| *x == g);
    let floor_rank = rank(floor).ok_or_else(|| {
        Stop::Unjudgeable(format!(
            "`{floor}` is not a grade; expected one of {}",
            GRADES.join(", ")
        ))
    })?;
    Ok(rank(grade).is_some_and(|r| r <= floor_rank))
}

/// The TLS scan, when it found at least one protocol the server speaks.
pub(super) fn answered_tls(o: &Observation) -> Option<&crate::model::live::TlsScan> {
    o.tls_scan
        .as_ref()
        .filter(|scan| scan.protocols.iter().any(|p| p.supported))
}

/// The URL a redirect points at, resolved against the request.
pub(super) fn redirect_target(hop: &Hop) -> Option<Url> {
    if !hop.is_redirect() {
        return None;
    }
    Url::parse(&hop.url)
        .ok()?
        .join(hop.location.as_deref()?)
        .ok()
}

pub(super) fn same_host(from: &str, to: &Url) -> bool {
    Url::parse(from).is_ok_and(|f| f.host_str() == to.host_str())
}
