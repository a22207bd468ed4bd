//! Rules that only a live probe can judge. Each is documented here in full. An endpoint that was
//! probed is judged from what the probe observed; one that was not (`--offline`) is `skipped` with
//! the reason, never passed. Where a declared fact already decides the outcome (an endpoint
//! declared with `http://`), that is judged without a probe.

use crate::model::live::{Hop, Observation, PlainHttp};
use crate::model::{Endpoint, EndpointKind};
use crate::rules::*;
use url::Url;

/// How a live rule judges one probed endpoint.
type Judge = fn(&Context<'_>, &Endpoint, &Observation) -> Result<Finding, Stop>;

/// Judges every endpoint of `kinds` (all when empty): by `declared` when that decides, else from
/// the probe's observation, else as a skipped live check.
fn per_endpoint(
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

fn plain_http(endpoint: &crate::model::Endpoint) -> Option<Finding> {
    endpoint.url.starts_with("http://").then(|| {
        Finding::fail(
            endpoint.url.clone(),
            "the endpoint is declared with plain http://",
        )
    })
}

fn none(_: &crate::model::Endpoint) -> Option<Finding> {
    None
}

/// Grades from best to worst, as both rubrics and SSL Labs write them.
const GRADES: [&str; 15] = [
    "A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "E", "F", "T",
];

/// Whether `grade` is at least `floor`; unknown grades never are.
fn grade_at_least(grade: &str, floor: &str) -> Result<bool, Stop> {
    let rank = |g: &str| GRADES.iter().position(|x| *x == g);
    let floor_rank = rank(floor).ok_or_else(|| {
        Stop::Unjudgeable(format!(
            "`{floor}` is not a grade; expected one of {}",
            GRADES.join(", ")
        ))
    })?;
    Ok(rank(grade).is_some_and(|r| r <= floor_rank))
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

/// The TLS scan, when it found at least one protocol the server speaks.
fn answered_tls(o: &Observation) -> Option<&crate::model::live::TlsScan> {
    o.tls_scan
        .as_ref()
        .filter(|scan| scan.protocols.iter().any(|p| p.supported))
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

/// The URL a redirect points at, resolved against the request.
fn redirect_target(hop: &Hop) -> Option<Url> {
    if !hop.is_redirect() {
        return None;
    }
    Url::parse(&hop.url)
        .ok()?
        .join(hop.location.as_deref()?)
        .ok()
}

fn same_host(from: &str, to: &Url) -> bool {
    Url::parse(from).is_ok_and(|f| f.host_str() == to.host_str())
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
