//! The MDN HTTP Observatory's scoring, from its public rules (algorithm version 4): ten tests, each
//! yielding a result identifier with a score modifier; the score starts at 100, bonuses count only
//! when the score without them is already 90 or more, and the grade steps every 5 points.
//!
//! Each test mirrors the Observatory's own decision order, quirks included, so that results can be
//! compared one to one; where liftoff knowingly differs it says so in a comment:
//! - the registrable domain (for subresource integrity) is the last two labels of a host name, not a
//!   public-suffix-list lookup, so `a.example.co.uk` and `b.example.co.uk` count as one site;
//! - the HSTS preload list is not consulted (liftoff ships no copy of it); a preloaded site is
//!   graded from its headers like any other.

use super::html::{Tag, start_tags};
use crate::model::live::{Hop, ObservatoryScore, ObservatoryTest};
use std::collections::{BTreeMap, BTreeSet};
use url::Url;

/// One of the Observatory's request sessions: a start URL and the responses of its redirect chain.
#[derive(Clone, Debug)]
pub struct Session {
    pub start: Url,
    /// Every response, the final answer last.
    pub hops: Vec<Hop>,
    /// The body of the final answer.
    pub body: String,
    /// False when any certificate on the way was not trusted (the Observatory then retries without
    /// verification and marks the session unverified).
    pub verified: bool,
}

impl Session {
    fn last(&self) -> Option<&Hop> {
        self.hops.last()
    }
}

/// What the Observatory retrieves for a host.
#[derive(Clone, Debug)]
pub struct Retrieval<'a> {
    pub hostname: &'a str,
    /// The session started at `http://host/`; `None` when it failed anywhere on the way.
    pub http: Option<&'a Session>,
    /// The session started at `https://host/`.
    pub https: Option<&'a Session>,
    /// The answer to a CORS preflight (`OPTIONS` with `Origin`) at the final URL.
    pub cors: Option<&'a Hop>,
}

/// The Origin sent with the CORS preflight, as the Observatory does.
pub const CORS_ORIGIN: &str = "https://http-observatory.security.mozilla.org";

/// Why a host could not be scored at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotScored {
    #[error("the site could not be reached over HTTPS or HTTP")]
    Down,
    #[error(
        "the site answered with HTTP status {0}; the Observatory only scores 2xx, 3xx, 401 and 403"
    )]
    Status(u16),
}

impl Retrieval<'_> {
    /// The session the Observatory grades: HTTPS when it answered, else HTTP.
    fn auto(&self) -> Option<&Session> {
        self.https.or(self.http)
    }

    fn auto_response(&self) -> Option<&Hop> {
        self.auto().and_then(Session::last)
    }

    fn is_html(&self) -> bool {
        self.auto_response()
            .and_then(|r| r.header("content-type"))
            .map(|ct| ct.split(';').next().unwrap_or_default().trim())
            .is_some_and(|mime| matches!(mime, "text/html" | "application/xhtml+xml"))
    }

    fn tags(&self) -> Vec<Tag> {
        match self.auto() {
            Some(session) if self.is_html() => start_tags(&session.body),
            _ => Vec::new(),
        }
    }

    /// `<meta http-equiv="content-security-policy">` contents, in order.
    fn meta_csp(&self, tags: &[Tag]) -> Vec<String> {
        tags.iter()
            .filter(|t| t.name == "meta" && t.has("http-equiv") && t.has("content"))
            .filter(|t| {
                t.attr("http-equiv")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("content-security-policy"))
            })
            .filter_map(|t| t.attr("content"))
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// `<meta name="referrer">`: the last one wins.
    fn meta_referrer(&self, tags: &[Tag]) -> Option<String> {
        tags.iter()
            .filter(|t| {
                t.name == "meta"
                    && !(t.has("http-equiv") && t.has("content"))
                    && t.attr("name")
                        .is_some_and(|n| n.trim().eq_ignore_ascii_case("referrer"))
            })
            .filter_map(|t| t.attr("content"))
            .rfind(|c| !c.is_empty())
            .map(str::to_string)
    }
}

/// Scores a retrieval the way the Observatory's scanner does.
pub fn score(r: &Retrieval<'_>) -> Result<ObservatoryScore, NotScored> {
    let status = r.auto_response().ok_or(NotScored::Down)?.status;
    if !(200..400).contains(&status) && status != 401 && status != 403 {
        return Err(NotScored::Status(status));
    }
    let tags = r.tags();
    let csp = csp_test(r, &tags);
    let tests = vec![
        test("content-security-policy", csp.result, csp.pass),
        cookies_test(r),
        cors_test(r),
        redirection_test(r),
        referrer_test(r, &tags),
        hsts_test(r),
        sri_test(r, &tags),
        xcto_test(r),
        xfo_test(r, &csp),
        corp_test(r),
    ];
    let mut with_bonus = 100;
    let mut uncurved = 100;
    for t in &tests {
        with_bonus += t.modifier;
        if t.modifier < 0 {
            uncurved += t.modifier;
        }
    }
    let score = if uncurved >= 90 { with_bonus } else { uncurved }.max(0);
    Ok(ObservatoryScore {
        score,
        grade: grade_for(score).to_string(),
        tests,
    })
}

/// The Observatory's grade chart: steps of 5, 100 and above is A+.
pub fn grade_for(score: i32) -> &'static str {
    match (score - score % 5).min(100) {
        100 => "A+",
        90 | 95 => "A",
        85 => "A-",
        80 => "B+",
        70 | 75 => "B",
        65 => "B-",
        60 => "C+",
        50 | 55 => "C",
        45 => "C-",
        40 => "D+",
        30 | 35 => "D",
        25 => "D-",
        _ => "F",
    }
}

/// The modifier of every result identifier (the Observatory's score table).
pub fn modifier(result: &str) -> i32 {
    match result {
        "csp-implemented-with-no-unsafe-default-src-none" => 10,
        "csp-implemented-with-no-unsafe" => 5,
        "csp-implemented-with-insecure-scheme-in-passive-content-only" => -10,
        "csp-implemented-with-unsafe-eval" => -10,
        "csp-implemented-with-unsafe-inline" => -20,
        "csp-implemented-with-insecure-scheme" => -20,
        "csp-header-invalid"
        | "csp-not-implemented"
        | "csp-not-implemented-but-reporting-enabled" => -25,
        "cookies-secure-with-httponly-sessions-and-samesite" => 5,
        "cookies-without-secure-flag-but-protected-by-hsts" => -5,
        "cookies-session-without-secure-flag-but-protected-by-hsts" => -10,
        "cookies-without-secure-flag"
        | "cookies-samesite-flag-invalid"
        | "cookies-anticsrf-without-samesite-flag" => -20,
        "cookies-session-without-httponly-flag" => -30,
        "cookies-session-without-secure-flag" => -40,
        "cross-origin-resource-sharing-implemented-with-universal-access" => -50,
        "redirection-off-host-from-http" => -5,
        "redirection-not-to-https-on-initial-redirection" => -10,
        "redirection-not-to-https" | "redirection-missing" | "redirection-invalid-cert" => -20,
        "referrer-policy-private" => 5,
        "referrer-policy-unsafe" | "referrer-policy-header-invalid" => -5,
        "hsts-preloaded" => 5,
        "hsts-implemented-max-age-less-than-six-months" => -10,
        "hsts-not-implemented"
        | "hsts-header-invalid"
        | "hsts-not-implemented-no-https"
        | "hsts-invalid-cert" => -20,
        "sri-implemented-and-all-scripts-loaded-securely"
        | "sri-implemented-and-external-scripts-loaded-securely" => 5,
        "sri-not-implemented-but-external-scripts-loaded-securely" => -5,
        "sri-implemented-but-external-scripts-not-loaded-securely" => -20,
        "sri-not-implemented-and-external-scripts-not-loaded-securely" => -50,
        "x-content-type-options-not-implemented" | "x-content-type-options-header-invalid" => -5,
        "x-frame-options-implemented-via-csp" => 5,
        "x-frame-options-not-implemented" | "x-frame-options-header-invalid" => -20,
        "corp-header-invalid" => -5,
        "corp-implemented-with-same-origin" | "corp-implemented-with-same-site" => 10,
        "html-not-parseable" => -20,
        _ => 0,
    }
}

fn test(name: &'static str, result: &'static str, pass: bool) -> ObservatoryTest {
    ObservatoryTest {
        name,
        result,
        modifier: modifier(result),
        pass,
    }
}

// ---- content-security-policy -------------------------------------------------------------------

/// A parsed policy: directive → sources (lower case).
type Csp = BTreeMap<String, BTreeSet<String>>;

struct CspOutcome {
    result: &'static str,
    pass: bool,
    /// The combined policy, when the test got as far as reading it (x-frame-options looks at it).
    policy: Option<Csp>,
}

const DANGEROUSLY_BROAD: [&str; 8] = [
    "ftp:",
    "http:",
    "https:",
    "*",
    "http://*",
    "http://*.*",
    "https://*",
    "https://*.*",
];

fn broad(s: &str) -> bool {
    DANGEROUSLY_BROAD.contains(&s)
}

fn broad_or_inline(s: &str) -> bool {
    broad(s) || s == "'unsafe-inline'" || s == "data:"
}

fn nonce_or_hash(set: &BTreeSet<String>) -> bool {
    set.iter().any(|s| {
        ["'sha256-", "'sha384-", "'sha512-", "'nonce-"]
            .iter()
            .any(|p| s.starts_with(p))
    })
}

/// Parses one or more policies the way the Observatory combines them: a later policy can only
/// narrow an earlier one. `Err` when a policy is too short or repeats a directive.
fn parse_csp(policies: &[String]) -> Result<(Csp, bool), ()> {
    #[derive(Clone)]
    struct Source {
        source: String,
        index: usize,
        keep: bool,
    }
    let clean: Vec<String> = policies
        .iter()
        .map(|p| p.replace(['\r', '\n'], "").trim().to_string())
        .collect();
    if clean.is_empty() {
        return Ok((Csp::new(), false));
    }
    if clean.iter().any(|p| p.len() < "img-src".len() - 1) {
        return Err(());
    }
    let mut csp: BTreeMap<String, Vec<Source>> = BTreeMap::new();
    let mut duplicate_reporting = false;
    for (index, policy) in clean.iter().enumerate() {
        let mut seen = BTreeSet::new();
        for entry in policy.split(';') {
            let mut words = entry.split_whitespace();
            let Some(directive) = words.next() else {
                continue;
            };
            let directive = directive.to_lowercase();
            if !seen.insert(directive.clone()) {
                if matches!(directive.as_str(), "report-uri" | "report-to") {
                    duplicate_reporting = true;
                } else {
                    return Err(());
                }
            }
            let keep = index == 0;
            let mut values: Vec<Source> = words
                .map(|w| Source {
                    source: w.trim().to_lowercase(),
                    index,
                    keep,
                })
                .collect();
            if values.is_empty() && directive.ends_with("-src") {
                values.push(Source {
                    source: "'none'".into(),
                    index,
                    keep,
                });
            }
            let mut combined = if index == 0 {
                values
            } else {
                let mut earlier = csp.get(&directive).cloned().unwrap_or_default();
                earlier.extend(values);
                earlier
            };
            combined.sort_by(|a, b| a.source.cmp(&b.source));
            for i in 1..combined.len() {
                let (prev_source, prev_index) =
                    (combined[i - 1].source.clone(), combined[i - 1].index);
                let current = &mut combined[i];
                if current.index == prev_index && current.source.starts_with(&prev_source) {
                    current.keep = false;
                }
                if current.index != prev_index && path_part_match(&prev_source, &current.source) {
                    current.keep = true;
                }
            }
            let mut kept: Vec<Source> = combined.into_iter().filter(|s| s.keep).collect();
            if index == 0 && policies.len() > 1 {
                // A later policy must repeat a source for it to survive the intersection.
                for s in &mut kept {
                    s.keep = false;
                }
            }
            csp.insert(directive, kept);
        }
    }
    let finished = csp
        .into_iter()
        .map(|(directive, sources)| {
            let set: BTreeSet<String> = if sources.is_empty() {
                BTreeSet::from(["'none'".to_string()])
            } else {
                sources.into_iter().map(|s| s.source).collect()
            };
            (directive, set)
        })
        .collect();
    Ok((finished, duplicate_reporting))
}

/// Whether source `b` is within path `a` (the Observatory's path-part match).
fn path_part_match(a: &str, b: &str) -> bool {
    if a.is_empty() || (a == "/" && b.is_empty()) {
        return true;
    }
    let exact = !a.ends_with('/');
    let mut parts_a: Vec<&str> = a.split('/').collect();
    let parts_b: Vec<&str> = b.split('/').collect();
    if parts_a.len() > parts_b.len() || (exact && parts_a.len() != parts_b.len()) {
        return false;
    }
    if !exact {
        parts_a.pop();
    }
    parts_a.iter().zip(&parts_b).all(|(x, y)| x == y)
}

fn csp_test(r: &Retrieval<'_>, tags: &[Tag]) -> CspOutcome {
    let outcome = |result: &'static str, pass: bool, policy: Option<Csp>| CspOutcome {
        result,
        pass,
        policy,
    };
    let (Some(response), Some(session)) = (r.auto_response(), r.auto()) else {
        return outcome("csp-not-implemented", false, None);
    };
    let header: Vec<String> = response
        .header_values("content-security-policy")
        .map(str::to_string)
        .collect();
    let meta = r.meta_csp(tags);
    let all: Vec<String> = header.iter().chain(&meta).cloned().collect();
    let Ok((mut csp, duplicates)) = parse_csp(&all) else {
        return outcome("csp-header-invalid", false, None);
    };
    let header_only = parse_csp(&header).map(|(c, _)| c).unwrap_or_default();
    let mut meta_only = parse_csp(&meta).map(|(c, _)| c).unwrap_or_default();
    for directive in ["frame-ancestors", "report-uri", "sandbox"] {
        meta_only.remove(directive);
    }
    if header_only.len() + meta_only.len() == 0 {
        let reporting = response
            .header("content-security-policy-report-only")
            .is_some_and(|v| !v.is_empty());
        return outcome(
            if reporting {
                "csp-not-implemented-but-reporting-enabled"
            } else {
                "csp-not-implemented"
            },
            false,
            None,
        );
    }

    // script-src and style-src fall back to default-src *as the same set*: removing
    // 'unsafe-inline' from one removes it from default-src too, as in the Observatory.
    let key_for = |csp: &Csp, name: &str| -> Option<String> {
        if csp.contains_key(name) {
            Some(name.to_string())
        } else if csp.contains_key("default-src") {
            Some("default-src".to_string())
        } else {
            None
        }
    };
    let script_key = key_for(&csp, "script-src");
    let style_key = key_for(&csp, "style-src");
    let mut script_fallback = BTreeSet::from(["*".to_string()]);
    let mut style_fallback = BTreeSet::from(["*".to_string()]);
    for (key, fallback) in [
        (&script_key, &mut script_fallback),
        (&style_key, &mut style_fallback),
    ] {
        let set = match key {
            Some(k) => csp.get_mut(k.as_str()),
            None => Some(fallback),
        };
        if let Some(set) = set {
            if nonce_or_hash(set) && set.contains("'unsafe-inline'") {
                set.remove("'unsafe-inline'");
            }
        }
    }
    let mut result: Option<&'static str> = None;
    {
        let script = match &script_key {
            Some(k) => csp.get_mut(k.as_str()),
            None => Some(&mut script_fallback),
        };
        if let Some(script) = script {
            if nonce_or_hash(script) && script.contains("'strict-dynamic'") {
                script.retain(|s| {
                    !(DANGEROUSLY_BROAD.iter().any(|b| s.starts_with(b))
                        || s == "'self'"
                        || s == "'unsafe-inline'")
                });
            } else if script.contains("'strict-dynamic'") {
                result = Some("csp-header-invalid");
            }
        }
    }
    let get = |csp: &Csp, key: &Option<String>, fallback: &BTreeSet<String>| -> BTreeSet<String> {
        key.as_ref()
            .and_then(|k| csp.get(k.as_str()).cloned())
            .unwrap_or_else(|| fallback.clone())
    };
    let script_src = get(&csp, &script_key, &script_fallback);
    let style_src = get(&csp, &style_key, &style_fallback);
    let object_src = csp
        .get("object-src")
        .or_else(|| csp.get("default-src"))
        .cloned()
        .unwrap_or_else(|| BTreeSet::from(["*".to_string()]));

    let mut active: Vec<&String> = csp
        .iter()
        .filter(|(d, _)| !matches!(d.as_str(), "img-src" | "media-src" | "script-src"))
        .flat_map(|(_, s)| s.iter())
        .collect();
    active.extend(script_src.iter());
    let passive: Vec<&String> = ["img-src", "media-src"]
        .iter()
        .flat_map(|d| {
            csp.get(*d)
                .or_else(|| csp.get("default-src"))
                .into_iter()
                .flat_map(|s| s.iter())
        })
        .collect();
    let https = session.start.scheme() == "https";
    let insecure = |s: &&String| s.starts_with("http:") || s.starts_with("ftp:");

    let mut set = |r: &'static str| {
        if result.is_none() {
            result = Some(r);
        }
    };
    if script_src.iter().any(|s| broad_or_inline(s)) || object_src.iter().any(|s| broad(s)) {
        set("csp-implemented-with-unsafe-inline");
    }
    if https && active.iter().any(insecure) {
        set("csp-implemented-with-insecure-scheme");
    }
    if script_src.contains("'unsafe-eval'") || style_src.contains("'unsafe-eval'") {
        set("csp-implemented-with-unsafe-eval");
    }
    if https && passive.iter().any(insecure) {
        set("csp-implemented-with-insecure-scheme-in-passive-content-only");
    }
    if style_src.iter().any(|s| broad_or_inline(s)) {
        set("csp-implemented-with-unsafe-inline-in-style-src-only");
    }
    let default_none = csp
        .get("default-src")
        .is_some_and(|d| d.len() == 1 && d.contains("'none'"));
    set(if default_none {
        "csp-implemented-with-no-unsafe-default-src-none"
    } else {
        "csp-implemented-with-no-unsafe"
    });
    let mut result = result.unwrap_or("csp-implemented-with-no-unsafe");
    let pass = matches!(
        result,
        "csp-implemented-with-no-unsafe"
            | "csp-implemented-with-no-unsafe-default-src-none"
            | "csp-implemented-with-unsafe-inline-in-style-src-only"
            | "csp-implemented-with-insecure-scheme-in-passive-content-only"
    );
    if pass && duplicates {
        result = "csp-implemented-but-duplicate-directives";
    }
    outcome(result, pass, Some(csp))
}

// ---- cookies -----------------------------------------------------------------------------------

/// A cookie as a cookie jar keeps it.
#[derive(Clone, Debug)]
struct Cookie {
    name: String,
    domain: String,
    path: String,
    secure: bool,
    http_only: bool,
    same_site: Option<String>,
}

/// The cookies a jar would hold after the session: invalid `__Secure-` / `__Host-` cookies and
/// cookies for another domain are dropped silently, later cookies replace earlier ones.
fn cookie_jar(session: &Session) -> Vec<Cookie> {
    let mut jar: Vec<Cookie> = Vec::new();
    for hop in &session.hops {
        let Ok(url) = Url::parse(&hop.url) else {
            continue;
        };
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        for raw in hop.header_values("set-cookie") {
            let mut parts = raw.split(';');
            let Some((name, _value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let name = name.trim().to_string();
            if name.is_empty() || name == "heroku-session-affinity" {
                continue;
            }
            let mut cookie = Cookie {
                name,
                domain: host.clone(),
                path: String::new(),
                secure: false,
                http_only: false,
                same_site: None,
            };
            let mut host_only = true;
            for attribute in parts {
                let (key, value) = match attribute.split_once('=') {
                    Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim()),
                    None => (attribute.trim().to_ascii_lowercase(), ""),
                };
                match key.as_str() {
                    "secure" => cookie.secure = true,
                    "httponly" => cookie.http_only = true,
                    "samesite" => {
                        let v = value.to_ascii_lowercase();
                        cookie.same_site =
                            matches!(v.as_str(), "strict" | "lax" | "none").then_some(v);
                    }
                    "domain" if !value.is_empty() => {
                        cookie.domain = value.trim_start_matches('.').to_ascii_lowercase();
                        host_only = false;
                    }
                    "path" if value.starts_with('/') => cookie.path = value.to_string(),
                    _ => {}
                }
            }
            if !host_only
                && cookie.domain != host
                && !host.ends_with(&format!(".{}", cookie.domain))
            {
                continue;
            }
            if cookie.path.is_empty() {
                let p = url.path();
                cookie.path = match p.rfind('/') {
                    Some(0) | None => "/".to_string(),
                    Some(i) => p[..i].to_string(),
                };
            }
            if cookie.name.starts_with("__Secure-") && !cookie.secure {
                continue;
            }
            if cookie.name.starts_with("__Host-")
                && !(cookie.secure && host_only && cookie.path == "/")
            {
                continue;
            }
            jar.retain(|c| {
                !(c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path)
            });
            jar.push(cookie);
        }
    }
    jar
}

const COOKIE_ORDER: [&str; 7] = [
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
];

/// Keeps the worse of two results by `order` (later is worse).
fn worse(new: &'static str, old: Option<&'static str>, order: &[&str]) -> Option<&'static str> {
    let rank = |r: &str| order.iter().position(|o| *o == r).map_or(-1, |p| p as i64);
    match old {
        None => Some(new),
        Some(old) if rank(new) > rank(old) => Some(new),
        old => old,
    }
}

fn cookies_test(r: &Retrieval<'_>) -> ObservatoryTest {
    let hsts = hsts_test(r).pass;
    let mut result: Option<&'static str> = None;
    if let Some(response) = r.auto_response() {
        for raw in response.header_values("set-cookie") {
            let invalid = raw.trim().split(';').any(|part| {
                let mut kv = part.trim().split('=');
                let key = kv.next().unwrap_or_default();
                let value = kv.next();
                key.trim().eq_ignore_ascii_case("samesite")
                    && !value.is_some_and(|v| {
                        matches!(
                            v.trim().to_ascii_lowercase().as_str(),
                            "lax" | "strict" | "none"
                        )
                    })
            });
            if invalid {
                result = worse("cookies-samesite-flag-invalid", result, &COOKIE_ORDER);
            }
        }
    }
    let jar = r.auto().map(cookie_jar).unwrap_or_default();
    if jar.is_empty() {
        return test("cookies", "cookies-not-found", true);
    }
    let mut missing_same_site = false;
    for cookie in &jar {
        let lower = cookie.name.to_lowercase();
        let session = lower.contains("login") || lower.contains("sess");
        let anticsrf = lower.contains("csrf");
        let mut mark = |r: &'static str| result = worse(r, result, &COOKIE_ORDER);
        if !cookie.secure && cookie.same_site.as_deref() == Some("none") {
            mark("cookies-samesite-flag-invalid");
        }
        if !cookie.secure {
            mark(if hsts {
                "cookies-without-secure-flag-but-protected-by-hsts"
            } else {
                "cookies-without-secure-flag"
            });
        }
        if anticsrf && cookie.same_site.is_none() {
            mark("cookies-anticsrf-without-samesite-flag");
        }
        if session && !cookie.secure {
            mark(if hsts {
                "cookies-session-without-secure-flag-but-protected-by-hsts"
            } else {
                "cookies-session-without-secure-flag"
            });
        }
        if session && !cookie.http_only {
            mark("cookies-session-without-httponly-flag");
        }
        missing_same_site |= cookie.same_site.is_none();
    }
    let result = result.unwrap_or(if missing_same_site {
        "cookies-secure-with-httponly-sessions"
    } else {
        "cookies-secure-with-httponly-sessions-and-samesite"
    });
    test(
        "cookies",
        result,
        matches!(
            result,
            "cookies-secure-with-httponly-sessions-and-samesite"
                | "cookies-secure-with-httponly-sessions"
        ),
    )
}

// ---- the single-header tests -------------------------------------------------------------------

fn cors_test(r: &Retrieval<'_>) -> ObservatoryTest {
    let name = "cross-origin-resource-sharing";
    let Some(acao) = r
        .cors
        .and_then(|c| c.header("access-control-allow-origin"))
        .filter(|v| !v.is_empty())
    else {
        return test(name, "cross-origin-resource-sharing-not-implemented", true);
    };
    let value = acao.trim().to_lowercase();
    let credentials = r
        .cors
        .and_then(|c| c.header("access-control-allow-credentials"))
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if value == "*" {
        test(
            name,
            "cross-origin-resource-sharing-implemented-with-public-access",
            true,
        )
    } else if acao == CORS_ORIGIN && credentials {
        test(
            name,
            "cross-origin-resource-sharing-implemented-with-universal-access",
            false,
        )
    } else {
        test(
            name,
            "cross-origin-resource-sharing-implemented-with-restricted-access",
            true,
        )
    }
}

fn redirection_test(r: &Retrieval<'_>) -> ObservatoryTest {
    let name = "redirection";
    let Some(http) = r.http.filter(|s| !s.hops.is_empty()) else {
        return test(name, "redirection-not-needed-no-http", true);
    };
    if !http.verified {
        return test(name, "redirection-invalid-cert", false);
    }
    let route: Vec<Url> = http
        .hops
        .iter()
        .filter_map(|h| Url::parse(&h.url).ok())
        .collect();
    let result = if route.len() <= 1 {
        "redirection-missing"
    } else if route.last().is_some_and(|u| u.scheme() != "https") {
        "redirection-not-to-https"
    } else if route[1].scheme() == "http" {
        "redirection-not-to-https-on-initial-redirection"
    } else if route[0].scheme() == "http"
        && route[1].scheme() == "https"
        && route[0].host_str() != route[1].host_str()
    {
        "redirection-off-host-from-http"
    } else {
        "redirection-to-https"
    };
    test(name, result, result == "redirection-to-https")
}

fn referrer_test(r: &Retrieval<'_>, tags: &[Tag]) -> ObservatoryTest {
    let name = "referrer-policy";
    let Some(response) = r.auto_response() else {
        return test(name, "referrer-policy-not-implemented", false);
    };
    let mut values: Vec<String> = response
        .header_values("referrer-policy")
        .map(str::to_string)
        .collect();
    values.extend(r.meta_referrer(tags));
    if values.is_empty() {
        return test(name, "referrer-policy-not-implemented", true);
    }
    const GOOD: [&str; 4] = [
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    ];
    const BAD: [&str; 4] = [
        "origin",
        "origin-when-cross-origin",
        "unsafe-url",
        "no-referrer-when-downgrade",
    ];
    let joined = values.join(", ");
    let policy = joined
        .split(',')
        .map(|t| t.trim().to_lowercase())
        .rfind(|t| GOOD.contains(&t.as_str()) || BAD.contains(&t.as_str()))
        .unwrap_or_default();
    if GOOD.contains(&policy.as_str()) {
        test(name, "referrer-policy-private", true)
    } else if BAD.contains(&policy.as_str()) {
        test(name, "referrer-policy-unsafe", false)
    } else {
        test(name, "referrer-policy-header-invalid", false)
    }
}

fn hsts_test(r: &Retrieval<'_>) -> ObservatoryTest {
    let name = "strict-transport-security";
    let Some(https) = r.https else {
        return test(name, "hsts-not-implemented-no-https", false);
    };
    if !https.verified {
        return test(name, "hsts-invalid-cert", false);
    }
    let Some(header) = https
        .last()
        .and_then(|h| h.header("strict-transport-security"))
    else {
        return test(name, "hsts-not-implemented", false);
    };
    let data: String = header.chars().take(1024).collect();
    if data.contains(',') {
        return test(name, "hsts-header-invalid", false);
    }
    let mut max_age: Option<i64> = None;
    for parameter in data.split(';').map(|p| p.trim().to_lowercase()) {
        if let Some(value) = parameter.strip_prefix("max-age=") {
            max_age = parse_int_prefix(value);
        }
    }
    match max_age {
        Some(age) if age < 15_552_000 => {
            test(name, "hsts-implemented-max-age-less-than-six-months", false)
        }
        Some(_) => test(name, "hsts-implemented-max-age-at-least-six-months", true),
        None => test(name, "hsts-header-invalid", false),
    }
}

/// JavaScript's `parseInt(s, 10)`: optional sign and leading digits; `None` where it gives NaN.
fn parse_int_prefix(s: &str) -> Option<i64> {
    let s = s.trim_start();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    Some(sign * digits.parse::<i64>().unwrap_or(i64::MAX))
}

const SRI_ORDER: [&str; 6] = [
    "sri-implemented-and-all-scripts-loaded-securely",
    "sri-implemented-and-external-scripts-loaded-securely",
    "sri-implemented-but-external-scripts-not-loaded-securely",
    "sri-not-implemented-but-external-scripts-loaded-securely",
    "sri-not-implemented-and-external-scripts-not-loaded-securely",
    "sri-not-implemented-response-not-html",
];

/// The registrable domain, approximated as the last two labels (see the module comment); `None`
/// for IP addresses and single-label hosts, as the Observatory's public-suffix lookup gives.
fn site_of(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    let labels: Vec<&str> = host.split('.').collect();
    (labels.len() >= 2).then(|| labels[labels.len() - 2..].join("."))
}

fn sri_test(r: &Retrieval<'_>, tags: &[Tag]) -> ObservatoryTest {
    let name = "subresource-integrity";
    let Some(session) = r.auto() else {
        return test(name, "sri-not-implemented-but-no-scripts-loaded", true);
    };
    if !r.is_html() {
        return test(name, "sri-not-implemented-response-not-html", true);
    }
    let page_site = site_of(r.hostname);
    let scripts: Vec<&Tag> = tags.iter().filter(|t| t.name == "script").collect();
    let mut result: Option<&'static str> = None;
    let mut foreign = false;
    for script in &scripts {
        let Some(src) = script.attr("src").map(str::trim).filter(|s| !s.is_empty()) else {
            continue;
        };
        let integrity = script.attr("integrity").is_some_and(|i| !i.is_empty());
        let relative_protocol = src.starts_with("//") && !src[2..].starts_with('/');
        let full = src.starts_with("http://") || src.starts_with("https://");
        let relative_origin = !relative_protocol && !full;
        let same_site = if relative_protocol || relative_origin {
            true
        } else {
            Url::parse(src)
                .ok()
                .and_then(|u| u.host_str().map(site_of))
                .flatten()
                == page_site
        };
        let secure_origin = relative_origin || (same_site && !relative_protocol);
        if !secure_origin {
            foreign = true;
        }
        let scheme_https = full && src.starts_with("https://");
        let secure_scheme = scheme_https || (relative_origin && session.start.scheme() == "https");
        if !secure_origin {
            let r = if integrity && !secure_scheme {
                "sri-implemented-but-external-scripts-not-loaded-securely"
            } else if !integrity && secure_scheme {
                "sri-not-implemented-but-external-scripts-loaded-securely"
            } else if !integrity {
                "sri-not-implemented-and-external-scripts-not-loaded-securely"
            } else {
                continue;
            };
            result = worse(r, result, &SRI_ORDER);
        } else if integrity && secure_scheme && result.is_none() {
            result = Some("sri-implemented-and-all-scripts-loaded-securely");
        }
    }
    let result = if scripts.is_empty() {
        "sri-not-implemented-but-no-scripts-loaded"
    } else {
        result.unwrap_or(if foreign {
            "sri-implemented-and-external-scripts-loaded-securely"
        } else {
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
        })
    };
    let pass = matches!(
        result,
        "sri-implemented-and-all-scripts-loaded-securely"
            | "sri-implemented-and-external-scripts-loaded-securely"
            | "sri-not-implemented-response-not-html"
            | "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
            | "sri-not-implemented-but-no-scripts-loaded"
    );
    test(name, result, pass)
}

fn xcto_test(r: &Retrieval<'_>) -> ObservatoryTest {
    let name = "x-content-type-options";
    match r
        .auto_response()
        .and_then(|h| h.header("x-content-type-options"))
    {
        Some(v) if !v.is_empty() => {
            let v: String = v.chars().take(256).collect();
            if v.trim().eq_ignore_ascii_case("nosniff") {
                test(name, "x-content-type-options-nosniff", true)
            } else {
                test(name, "x-content-type-options-header-invalid", false)
            }
        }
        _ => test(name, "x-content-type-options-not-implemented", false),
    }
}

fn xfo_test(r: &Retrieval<'_>, csp: &CspOutcome) -> ObservatoryTest {
    let name = "x-frame-options";
    let mut result = match r.auto_response().and_then(|h| h.header("x-frame-options")) {
        Some(v) if !v.is_empty() => {
            let v = v
                .chars()
                .take(1024)
                .collect::<String>()
                .trim()
                .to_lowercase();
            if v == "deny" || v == "sameorigin" {
                "x-frame-options-sameorigin-or-deny"
            } else if v.starts_with("allow-from") {
                "x-frame-options-allow-from-origin"
            } else {
                "x-frame-options-header-invalid"
            }
        }
        _ => "x-frame-options-not-implemented",
    };
    if csp
        .policy
        .as_ref()
        .is_some_and(|p| p.contains_key("frame-ancestors"))
    {
        result = "x-frame-options-implemented-via-csp";
    }
    test(
        name,
        result,
        matches!(
            result,
            "x-frame-options-allow-from-origin"
                | "x-frame-options-sameorigin-or-deny"
                | "x-frame-options-implemented-via-csp"
        ),
    )
}

fn corp_test(r: &Retrieval<'_>) -> ObservatoryTest {
    let name = "cross-origin-resource-policy";
    let value = r
        .auto_response()
        .and_then(|h| h.header("cross-origin-resource-policy"))
        .map(|v| {
            v.chars()
                .take(256)
                .collect::<String>()
                .trim()
                .to_lowercase()
        })
        .filter(|v| !v.is_empty());
    let result = match value.as_deref() {
        None => "corp-not-implemented",
        Some("same-site") => "corp-implemented-with-same-site",
        Some("same-origin") => "corp-implemented-with-same-origin",
        Some("cross-origin") => "corp-implemented-with-cross-origin",
        Some(_) => "corp-header-invalid",
    };
    test(name, result, result != "corp-header-invalid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(url: &str, headers: &[(&str, &str)], body: &str) -> Session {
        Session {
            start: Url::parse(url).unwrap(),
            hops: vec![Hop {
                url: url.into(),
                status: 200,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
                    .collect(),
                ..Hop::default()
            }],
            body: body.into(),
            verified: true,
        }
    }

    /// The retrieval of a site that answers HTTPS only.
    fn over_https(https: &Session) -> Retrieval<'_> {
        Retrieval {
            hostname: "a.example",
            http: None,
            https: Some(https),
            cors: None,
        }
    }

    fn result_of(score: &ObservatoryScore, name: &str) -> &'static str {
        score.tests.iter().find(|t| t.name == name).unwrap().result
    }

    #[test]
    fn bare_site_scores_like_the_observatory() {
        let https = session(
            "https://a.example/",
            &[("content-type", "text/html")],
            "<p>hi</p>",
        );
        let r = over_https(&https);
        let s = score(&r).unwrap();
        // CSP -25, HSTS -20, XCTO -5, XFO -20: 100 - 70.
        assert_eq!((s.score, s.grade.as_str()), (30, "D"));
        assert_eq!(
            result_of(&s, "redirection"),
            "redirection-not-needed-no-http"
        );
    }

    #[test]
    fn strong_site_earns_bonuses() {
        let headers = [
            ("content-type", "text/html"),
            (
                "content-security-policy",
                "default-src 'none'; frame-ancestors 'none'",
            ),
            ("strict-transport-security", "max-age=63072000"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("cross-origin-resource-policy", "same-origin"),
        ];
        let https = session("https://a.example/", &headers, "");
        let r = over_https(&https);
        let s = score(&r).unwrap();
        assert_eq!(
            result_of(&s, "x-frame-options"),
            "x-frame-options-implemented-via-csp"
        );
        // 100 + 10 (default-src none) + 5 (XFO via CSP) + 5 (referrer) + 10 (CORP).
        assert_eq!((s.score, s.grade.as_str()), (130, "A+"));
    }

    #[test]
    fn csp_nonce_removes_unsafe_inline_from_default_src() {
        let https = session(
            "https://a.example/",
            &[(
                "content-security-policy",
                "default-src 'self' 'unsafe-inline' 'nonce-abc'",
            )],
            "",
        );
        let r = over_https(&https);
        assert_eq!(
            result_of(&score(&r).unwrap(), "content-security-policy"),
            "csp-implemented-with-no-unsafe"
        );
        let dup = parse_csp(&["default-src 'self'; default-src 'none'".into()]);
        assert!(dup.is_err());
    }

    #[test]
    fn grade_chart() {
        assert_eq!(grade_for(135), "A+");
        assert_eq!(grade_for(94), "A");
        assert_eq!(grade_for(89), "A-");
        assert_eq!(grade_for(0), "F");
        assert_eq!(parse_int_prefix("300abc"), Some(300));
        assert_eq!(parse_int_prefix("abc"), None);
    }
}
