//! Rules that only a live probe can judge. Each is documented here in full; until a probe has
//! observed an endpoint, its result is `skipped` with the reason (never a pass). Where a declared
//! fact already decides the outcome (an endpoint declared with `http://`), that is judged now.

use crate::model::EndpointKind;
use crate::rules::*;

/// Judges every endpoint of `kinds` (all when empty) with `declared`, falling back to a skipped live check.
fn per_endpoint(
    cx: &Context<'_>,
    kinds: &[EndpointKind],
    what: &str,
    declared: impl Fn(&crate::model::Endpoint) -> Option<Finding>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (env, endpoint) in cx.model.endpoints() {
        if !kinds.is_empty() && !kinds.contains(&endpoint.kind.value) {
            continue;
        }
        let finding = match declared(endpoint) {
            Some(f) => f.in_env(&env.name).at(&endpoint.origin),
            None => live_only(cx, env, endpoint, what),
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
    out
}

fn plain_http(endpoint: &crate::model::Endpoint) -> Option<Finding> {
    endpoint.url.starts_with("http://").then(|| {
        Finding::fail(
            endpoint.url.clone(),
            "the endpoint is declared with plain http://",
        )
    })
}

macro_rules! live_rule {
    ($name:ident, $meta:ident, $kinds:expr, $what:expr, $declared:expr) => {
        #[doc = concat!("Live rule `", stringify!($name), "`.")]
        pub struct $name;

        impl Rule for $name {
            fn meta(&self) -> &'static RuleMeta {
                &$meta
            }

            fn check(&self, cx: &Context<'_>) -> Judged {
                Ok(per_endpoint(cx, $kinds, $what, $declared))
            }
        }
    };
}

fn none(_: &crate::model::Endpoint) -> Option<Finding> {
    None
}

static HTTPS_ONLY: RuleMeta = RuleMeta {
    id: "security.https-only",
    title: "Every endpoint is served over HTTPS with a valid certificate for its name",
    pillar: Pillar::Security,
    stages: [REC, REQ, REQ],
    applies_when: Some("endpoints are declared"),
    evidence: &[Evidence::Live, Evidence::Declared],
    sources: &[Guideline::Stat, Guideline::Bib],
    checks: "Each endpoint URL is `https://`, and a probe finds a certificate that is trusted, current and \
valid for the host name.",
    rationale: "Anything sent in plain HTTP can be read and changed on the way: sessions, personal data, \
the pages themselves. A certificate browsers do not trust teaches users to click through warnings.",
    remediation: "Serve every endpoint over HTTPS with a certificate from a trusted CA (e.g. ACME / Let's Encrypt).",
    params: &[],
    pass_example: "https://register.example.org: certificate for register.example.org from a trusted CA, valid until next year",
    fail_example: "environments:\n  production:\n    kind: production\n    endpoints: [{url: \"http://register.example.org\", kind: web-app}]\n",
    examples_run: false,
};
live_rule!(HttpsOnly, HTTPS_ONLY, &[], "the certificate", plain_http);

static HTTP_REDIRECT: RuleMeta = RuleMeta {
    id: "security.http-redirect",
    title: "Web apps redirect plain HTTP to the same host over HTTPS",
    pillar: Pillar::Security,
    stages: [REC, REQ, REQ],
    applies_when: Some("web-app endpoints are declared"),
    evidence: &[Evidence::Live],
    sources: &[Guideline::Stat],
    checks: "A plain HTTP request to a web app (`http_url`, default port 80 of the same host) is answered \
with a 301/308 redirect to `https://` on the same host.",
    rationale: "People type bare host names; the first request goes out in plain HTTP. A redirect to HTTPS \
(with HSTS afterwards) is what moves them onto the encrypted site.",
    remediation: "Answer port 80 with `return 301 https://$host$request_uri;` (nginx) or the equivalent.",
    params: &[],
    pass_example: "GET http://register.example.org/ -> 301 Location: https://register.example.org/",
    fail_example: "GET http://register.example.org/ -> 200 OK (the site served in plain text)",
    examples_run: false,
};
live_rule!(
    HttpRedirect,
    HTTP_REDIRECT,
    &[EndpointKind::WebApp],
    "the plain-HTTP redirect",
    none
);

static HTTP_DISABLED: RuleMeta = RuleMeta {
    id: "security.http-disabled",
    title: "APIs do not serve plain HTTP at all",
    pillar: Pillar::Security,
    stages: [REC, REQ, REQ],
    applies_when: Some("api endpoints are declared"),
    evidence: &[Evidence::Live],
    sources: &[Guideline::Stat],
    checks: "A plain HTTP connection to an API is refused or gets no HTTP answer; a redirect fails.",
    rationale: "API clients do not follow redirects the way browsers do, and the first request, with its \
credentials, has already crossed the network in clear text by the time a redirect answers it.",
    remediation: "Close port 80 for API hosts (or answer nothing there).",
    params: &[],
    pass_example: "connect api.example.org:80 -> connection refused",
    fail_example: "GET http://api.example.org/ -> 301 Location: https://api.example.org/",
    examples_run: false,
};
live_rule!(
    HttpDisabled,
    HTTP_DISABLED,
    &[EndpointKind::Api],
    "whether plain HTTP is disabled",
    none
);

static HSTS: RuleMeta = RuleMeta {
    id: "security.hsts",
    title: "HTTPS responses carry HSTS for at least six months",
    pillar: Pillar::Security,
    stages: [REC, REQ, REQ],
    applies_when: Some("endpoints are declared"),
    evidence: &[Evidence::Live],
    sources: &[Guideline::Stat],
    checks: "HTTPS responses carry `Strict-Transport-Security` with `max-age` of at least `hsts_min_age` \
seconds; `includeSubDomains` is recommended. Malformed headers count as missing, as browsers ignore them.",
    rationale: "HSTS makes browsers refuse plain HTTP to the site from then on, closing the window a \
redirect leaves open on every first request.",
    remediation: "Add `Strict-Transport-Security: max-age=31536000; includeSubDomains`.",
    params: &[ParamSpec {
        name: "hsts_min_age",
        default: "15768000",
        doc: "shortest acceptable max-age in seconds (6 months)",
    }],
    pass_example: "Strict-Transport-Security: max-age=31536000; includeSubDomains",
    fail_example: "Strict-Transport-Security: max-age=3600",
    examples_run: false,
};
live_rule!(Hsts, HSTS, &[], "the HSTS header", none);

static HEADERS_GRADE: RuleMeta = RuleMeta {
    id: "security.headers-grade",
    title: "The response-header grade is at least A on every probed path",
    pillar: Pillar::Security,
    stages: [REC, REQ, REQ],
    applies_when: Some("endpoints are declared"),
    evidence: &[Evidence::Live],
    sources: &[Guideline::Stat],
    checks: "Under `headers_rubric: securityheaders`, A means HSTS, Content-Security-Policy, X-Frame-Options, \
X-Content-Type-Options, Referrer-Policy and Permissions-Policy are all present and valid (A+ with no warning \
such as `'unsafe-inline'`); under `observatory`, the MDN HTTP Observatory score and grade. Both grades are \
reported; the grade must reach `headers_grade` on every probed path, not only `/`.",
    rationale: "These headers switch on browser defences against cross-site scripting, clickjacking and \
content sniffing. A header set at server level can silently vanish on one path (an nginx `add_header` inside \
a `location`), so every path counts.",
    remediation: "Add the missing headers at the proxy for every location.",
    params: &[
        ParamSpec {
            name: "headers_grade",
            default: "\"A\"",
            doc: "lowest acceptable grade",
        },
        ParamSpec {
            name: "headers_rubric",
            default: "\"securityheaders\"",
            doc: "securityheaders or observatory",
        },
    ],
    pass_example: "all six security headers on /, /login and /static/app.js",
    fail_example: "Content-Security-Policy missing on /login (grade B)",
    examples_run: false,
};
live_rule!(
    HeadersGrade,
    HEADERS_GRADE,
    &[],
    "the security-header grade",
    none
);

static TLS_GRADE: RuleMeta = RuleMeta {
    id: "security.tls-grade",
    title: "The TLS configuration grades A+ for web apps and A for APIs",
    pillar: Pillar::Security,
    stages: [REC, REQ, REQ],
    applies_when: Some("endpoints are declared"),
    evidence: &[Evidence::Live],
    sources: &[Guideline::Stat],
    checks: "The TLS grade by the SSL Labs rating guide (protocol 30%, key exchange 30%, cipher strength 40%, \
with its caps) is at least `tls_grade_app` for web apps and `tls_grade_api` for APIs.",
    rationale: "Old protocols and weak suites let an attacker on the path downgrade or decrypt traffic; the \
grade summarises those weaknesses the way the guideline's reference tool does.",
    remediation: "Offer TLS 1.2 and 1.3 only, with forward-secret AEAD suites and a 2048-bit or stronger key.",
    params: &[
        ParamSpec {
            name: "tls_grade_app",
            default: "\"A+\"",
            doc: "lowest acceptable grade for web apps",
        },
        ParamSpec {
            name: "tls_grade_api",
            default: "\"A\"",
            doc: "lowest acceptable grade for APIs",
        },
    ],
    pass_example: "TLS 1.2 + 1.3, ECDHE AEAD suites only, RSA 2048, HSTS 1 year -> A+",
    fail_example: "TLS 1.0 enabled -> capped at B",
    examples_run: false,
};
live_rule!(TlsGrade, TLS_GRADE, &[], "the TLS grade", none);

static CERT_EXPIRY: RuleMeta = RuleMeta {
    id: "security.cert-expiry",
    title: "Certificates stay valid for at least three more weeks",
    pillar: Pillar::Security,
    stages: [REC, REQ, REQ],
    applies_when: Some("endpoints are declared"),
    evidence: &[Evidence::Live],
    sources: &[],
    checks: "The served certificate is valid for at least `cert_min_days` more days.",
    rationale: "An expired certificate is a full outage for browsers and API clients alike; three weeks leaves \
time for a failed automatic renewal to be noticed and fixed.",
    remediation: "Renew the certificate and check that automatic renewal runs.",
    params: &[ParamSpec {
        name: "cert_min_days",
        default: "21",
        doc: "fewest days of validity left",
    }],
    pass_example: "certificate valid until 60 days from now",
    fail_example: "certificate expires in 9 days",
    examples_run: false,
};
live_rule!(
    CertExpiry,
    CERT_EXPIRY,
    &[],
    "the certificate's expiry",
    none
);

static NO_DOWNGRADE: RuleMeta = RuleMeta {
    id: "security.no-downgrade-redirect",
    title: "Redirects over HTTPS never point at http://, and the app sees the real Host",
    pillar: Pillar::Security,
    stages: [REC, REQ, REQ],
    applies_when: Some("endpoints are declared"),
    evidence: &[Evidence::Live],
    sources: &[Guideline::Bib],
    checks: "No redirect issued over HTTPS points at an `http://` URL or at another host than the one asked.",
    rationale: "An app behind a TLS-terminating proxy that does not pass the scheme and Host builds redirects \
to `http://` or to its internal name: users are bounced out of HTTPS or to an address that does not work.",
    remediation: "Forward `X-Forwarded-Proto` and `Host` from the proxy and make the app trust them.",
    params: &[],
    pass_example: "GET https://app.example.org/login -> 302 Location: https://app.example.org/login/",
    fail_example: "GET https://app.example.org/login -> 302 Location: http://app.example.org/login/",
    examples_run: false,
};
live_rule!(
    NoDowngradeRedirect,
    NO_DOWNGRADE,
    &[],
    "redirects issued over HTTPS",
    none
);

static METRICS_AUTH: RuleMeta = RuleMeta {
    id: "security.metrics-auth",
    title: "Metrics endpoints require credentials",
    pillar: Pillar::Security,
    stages: [OFF, REQ, REQ],
    applies_when: Some("an endpoint declares a `metrics` path"),
    evidence: &[Evidence::Live, Evidence::Declared],
    sources: &[Guideline::Bib],
    checks: "The metrics path answers 401 with a `WWW-Authenticate: Basic` challenge when asked without credentials.",
    rationale: "Metrics reveal internals: versions, routes, error rates, sometimes user counts. Open, they also \
invite scraping load from anyone.",
    remediation: "Put HTTP Basic auth (or network restrictions) in front of the metrics path.",
    params: &[],
    pass_example: "GET https://api.example.org/metrics -> 401 WWW-Authenticate: Basic realm=\"metrics\"",
    fail_example: "GET https://api.example.org/metrics -> 200 (metrics for anyone)",
    examples_run: false,
};

/// `security.metrics-auth`.
pub struct MetricsAuth;

impl Rule for MetricsAuth {
    fn meta(&self) -> &'static RuleMeta {
        &METRICS_AUTH
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let mut out = Vec::new();
        for (env, endpoint) in cx.model.endpoints().filter(|(_, e)| e.metrics.is_some()) {
            out.push(live_only(
                cx,
                env,
                endpoint,
                "authentication of the metrics path",
            ));
        }
        or_not_applicable(out, "no endpoint exports metrics")
    }
}
