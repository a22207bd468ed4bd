//! What a live probe saw at one endpoint. The probe (`crate::probe`) fills these; rules read them
//! like any other fact. Everything here is measured, never declared, and serialises as the
//! evidence of live results.

use serde::Serialize;

/// Everything one probe of an endpoint observed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Observation {
    /// The endpoint URL that was probed.
    pub url: String,
    /// The HTTPS side: the request to the endpoint URL and its redirect chain.
    pub https: Option<Exchange>,
    /// Why the HTTPS side could not be observed (DNS failure, refused, timeout, TLS alert).
    pub https_error: Option<String>,
    /// The plain-HTTP side (the manifest's `http_url`, default port 80 of the same host).
    pub plain_http: Option<PlainHttp>,
    /// The TLS handshake and certificate of the endpoint.
    pub tls: Option<TlsSeen>,
    /// Every protocol and cipher suite the server accepts, and the grade they earn.
    pub tls_scan: Option<TlsScan>,
    /// Security-header grades of every probed path, `/` first.
    pub paths: Vec<PathGrades>,
    /// The MDN HTTP Observatory's tests and score for the endpoint.
    pub observatory: Option<ObservatoryScore>,
    /// The HSTS header of the final HTTPS response, parsed strictly.
    pub hsts: Option<Hsts>,
    /// The declared health path, requested.
    pub health: Option<Response>,
    /// The declared metrics path, requested without credentials.
    pub metrics: Option<Response>,
    /// A random unknown path, requested to see what a 404 reveals.
    pub not_found: Option<DebugSeen>,
    /// Database and admin ports tried on the endpoint's host.
    pub ports: Option<PortScan>,
}

/// Which of the tried ports accepted a TCP connection.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PortScan {
    pub host: String,
    pub checked: Vec<u16>,
    pub open: Vec<u16>,
}

/// A request and the redirects that followed it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Exchange {
    /// Every response in order; the last one is the final answer.
    pub hops: Vec<Hop>,
    /// Why following the chain stopped early, if it did (a hop that failed, too many redirects).
    pub error: Option<String>,
}

impl Exchange {
    /// The final response of the chain.
    pub fn last(&self) -> Option<&Hop> {
        self.hops.last()
    }
}

/// One response of a redirect chain.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Hop {
    pub url: String,
    pub status: u16,
    /// The `Location` header, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Response headers, names in lower case, in the order received. Cookie values are redacted.
    #[serde(skip)]
    pub headers: Vec<(String, String)>,
    /// Whether the certificate of this hop (HTTPS only) was trusted and valid for the host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

impl Hop {
    /// Every value of a header (names compare case-insensitively).
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether this response is a redirect with a `Location`.
    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308) && self.location.is_some()
    }
}

/// What plain HTTP does at an endpoint.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum PlainHttp {
    /// Nothing listens: the connection was refused.
    Refused { url: String },
    /// A connection opened but no HTTP answer came (closed, reset or timed out).
    NoAnswer { url: String, reason: String },
    /// An HTTP answer, with the redirects that followed.
    Answered { url: String, exchange: Exchange },
}

/// The TLS handshake of the endpoint as a modern client sees it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TlsSeen {
    /// The negotiated protocol, e.g. `TLSv1.3`.
    pub protocol: String,
    /// The negotiated cipher suite, e.g. `TLS13_AES_128_GCM_SHA256`.
    pub suite: String,
    /// How many certificates the server sent.
    pub chain_length: usize,
    pub certificate: Option<Certificate>,
    /// Why the certificate is not trusted for this host, when it is not.
    pub trust_error: Option<String>,
}

/// The leaf certificate's facts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Certificate {
    pub subject: String,
    pub issuer: String,
    pub names: Vec<String>,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    /// Whole days of validity left at probe time (negative once expired).
    pub days_left: i64,
    /// `RSA`, `EC` or `Ed25519`.
    pub key_type: String,
    pub key_bits: u32,
    pub signature_algorithm: String,
}

/// Header grades of one path.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PathGrades {
    pub path: String,
    pub status: u16,
    /// The securityheaders.com-style grade (`A+` .. `F`).
    pub grade: String,
    /// Security headers that are absent or invalid.
    pub missing: Vec<String>,
    /// Present but weakened headers (e.g. `'unsafe-inline'` in the CSP).
    pub warnings: Vec<String>,
}

/// The MDN HTTP Observatory's verdict, computed by its public rules.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ObservatoryScore {
    pub score: i32,
    pub grade: String,
    pub tests: Vec<ObservatoryTest>,
}

/// One Observatory test result, with the identifier and modifier the Observatory reports.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ObservatoryTest {
    pub name: &'static str,
    pub result: &'static str,
    pub modifier: i32,
    pub pass: bool,
}

/// A `Strict-Transport-Security` header parsed the way browsers do (RFC 6797).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Hsts {
    pub raw: String,
    pub max_age: Option<u64>,
    pub include_subdomains: bool,
    pub preload: bool,
    /// Why browsers would ignore the header; empty when it is valid.
    pub problems: Vec<String>,
}

/// One plain response to a declared path.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Response {
    pub path: String,
    /// `None` when the request failed; `error` says why.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub www_authenticate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// The body, cut at 64 KiB; not serialised.
    #[serde(skip)]
    pub body: String,
    /// The health condition's outcome, when one is declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<ConditionOutcome>,
}

/// What a request for an unknown path revealed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DebugSeen {
    pub path: String,
    pub status: Option<u16>,
    /// The framework whose debug page (or stack trace) was recognised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_page: Option<String>,
    /// Headers that announce a framework version (`X-Powered-By: Express`, `Server: Werkzeug/3.0`).
    pub version_headers: Vec<String>,
}

/// The protocols and suites a server accepts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TlsScan {
    /// SSLv3 to TLSv1.3, oldest first.
    pub protocols: Vec<ProtocolSeen>,
    /// Whether the server refuses a downgraded handshake (RFC 7507); `None` when it offers only
    /// one protocol, so there is nothing to fall back to.
    pub fallback_scsv: Option<bool>,
    /// The leaf certificate as sent in a TLS 1.2-or-older handshake (for servers a modern client
    /// cannot talk to).
    pub certificate: Option<Certificate>,
    pub grade: Option<TlsGrade>,
}

/// One protocol version and the suites it accepts, in the server's order of preference.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProtocolSeen {
    pub name: String,
    pub supported: bool,
    pub suites: Vec<SuiteSeen>,
}

/// One accepted cipher suite.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SuiteSeen {
    pub id: u16,
    pub name: String,
    /// Symmetric key bits.
    pub bits: u16,
    /// The key exchange the server announced (`ECDH x25519`, `DH 2048`), when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kex: Option<String>,
    /// Its strength in RSA-equivalent bits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kex_bits: Option<u32>,
}

/// The SSL Labs-style grade of a TLS configuration.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TlsGrade {
    pub grade: String,
    /// 0-100: 30% protocol, 30% key exchange, 40% cipher strength.
    pub score: u32,
    pub protocol_score: u32,
    pub key_exchange_score: u32,
    pub cipher_score: u32,
    /// What capped the grade, and at what.
    pub caps: Vec<String>,
    /// What keeps an A from being an A+.
    pub warnings: Vec<String>,
}

/// A condition on a health endpoint's JSON body: `status == "UP"`, `checks.db.ok != false`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HealthCondition {
    /// Keys from the body's root to the compared value.
    pub path: Vec<String>,
    /// `==` (true) or `!=` (false).
    pub equal: bool,
    pub value: serde_json::Value,
}

impl std::str::FromStr for HealthCondition {
    type Err = String;

    fn from_str(text: &str) -> Result<HealthCondition, String> {
        let expected =
            "expected `<key>[.<key>...] == <JSON value>` (or `!=`), e.g. `status == \"UP\"`";
        let (left, right, equal) = match (text.find("=="), text.find("!=")) {
            (Some(i), Some(j)) if j < i => (&text[..j], &text[j + 2..], false),
            (Some(i), _) => (&text[..i], &text[i + 2..], true),
            (None, Some(j)) => (&text[..j], &text[j + 2..], false),
            (None, None) => return Err(format!("no `==` or `!=` in `{text}`; {expected}")),
        };
        let path: Vec<String> = left.trim().split('.').map(str::to_string).collect();
        if path.iter().any(|k| {
            k.is_empty()
                || !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        }) {
            return Err(format!("`{}` is not a key path; {expected}", left.trim()));
        }
        let value = serde_json::from_str(right.trim()).map_err(|_| {
            format!(
                "`{}` is not a JSON value (strings need double quotes); {expected}",
                right.trim()
            )
        })?;
        Ok(HealthCondition { path, equal, value })
    }
}

impl std::fmt::Display for HealthCondition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = if self.equal { "==" } else { "!=" };
        write!(f, "{} {op} {}", self.path.join("."), self.value)
    }
}

impl HealthCondition {
    /// Whether the body satisfies the condition, and the value found at the path.
    pub fn check(&self, body: &str) -> Result<(bool, Option<serde_json::Value>), String> {
        let root: serde_json::Value =
            serde_json::from_str(body).map_err(|e| format!("the body is not JSON ({e})"))?;
        let found = self.path.iter().try_fold(&root, |node, key| node.get(key));
        let holds = match found {
            Some(v) => (*v == self.value) == self.equal,
            // A missing key never equals anything.
            None => !self.equal,
        };
        Ok((holds, found.cloned()))
    }
}

/// The outcome of a health condition.
#[derive(Clone, Debug, Serialize)]
pub struct ConditionOutcome {
    pub condition: String,
    pub holds: bool,
    /// The value at the condition's path (absent when the key is missing).
    pub found: Option<serde_json::Value>,
    /// Why it could not be checked (a body that is not JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_conditions_parse_and_check() {
        let c: HealthCondition = r#"status == "UP""#.parse().unwrap();
        assert_eq!(c.to_string(), r#"status == "UP""#);
        assert_eq!(
            c.check(r#"{"status":"UP"}"#),
            Ok((true, Some(serde_json::json!("UP"))))
        );
        assert_eq!(c.check(r#"{"status":"DOWN"}"#).map(|r| r.0), Ok(false));
        assert_eq!(c.check("{}"), Ok((false, None)));
        assert!(c.check("ok").is_err());
        let nested: HealthCondition = "checks.db.up != false".parse().unwrap();
        assert_eq!(
            nested
                .check(r#"{"checks":{"db":{"up":true}}}"#)
                .map(|r| r.0),
            Ok(true)
        );
        assert!("status = UP".parse::<HealthCondition>().is_err());
        assert!(
            "status == UP"
                .parse::<HealthCondition>()
                .unwrap_err()
                .contains("double quotes")
        );
        assert!(" == 1".parse::<HealthCondition>().is_err());
    }
}
