//! The watch HTTP server: `/healthz`, the JSON API and Prometheus `/metrics`, every route but
//! `/healthz` behind authentication, every response with the security headers liftoff asks of
//! others.

use super::engine::Health;
use super::plan::WatchPlan;
use super::store::{Store, StoreError};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

/// How callers prove who they are: a bearer token, or HTTP Basic credentials. Both come from the
/// environment (`LIFTOFF_WATCH_TOKEN`, `LIFTOFF_WATCH_USER` / `LIFTOFF_WATCH_PASSWORD`), never
/// from the manifest.
#[derive(Clone, Default)]
pub struct Auth {
    pub token: Option<String>,
    pub basic: Option<(String, String)>,
}

impl std::fmt::Debug for Auth {
    // Credentials never reach a log, even in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field(
                "token",
                &self.token.as_ref().map(|_| crate::secrets::REDACTED),
            )
            .field(
                "basic",
                &self
                    .basic
                    .as_ref()
                    .map(|(u, _)| (u, crate::secrets::REDACTED)),
            )
            .finish()
    }
}

/// The shortest bearer token accepted: shorter ones can be guessed.
pub const MIN_TOKEN_CHARS: usize = 16;

impl Auth {
    /// Credentials from the environment. A token shorter than [`MIN_TOKEN_CHARS`] or with
    /// whitespace in it is refused: a guessable token protects nothing, and a token of spaces
    /// (trimmed by every client) locks everyone out.
    pub fn from_env() -> Result<Auth, ServeError> {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
        let auth = Auth {
            token: var("LIFTOFF_WATCH_TOKEN"),
            basic: var("LIFTOFF_WATCH_USER").zip(var("LIFTOFF_WATCH_PASSWORD")),
        };
        auth.validate()?;
        Ok(auth)
    }

    /// Refuses a weak token (see [`Auth::from_env`]).
    pub fn validate(&self) -> Result<(), ServeError> {
        if let Some(token) = &self.token {
            if token.chars().any(char::is_whitespace) {
                return Err(ServeError::WeakToken("it contains whitespace".to_string()));
            }
            let chars = token.chars().count();
            if chars < MIN_TOKEN_CHARS {
                return Err(ServeError::WeakToken(format!(
                    "it has {chars} characters, fewer than {MIN_TOKEN_CHARS}"
                )));
            }
        }
        Ok(())
    }

    /// Whether any credential is configured.
    pub fn configured(&self) -> bool {
        self.token.is_some() || self.basic.is_some()
    }

    /// Whether the request's `Authorization` header carries a configured credential.
    fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(given) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        // The scheme is case-insensitive (RFC 9110, section 11.1).
        let (scheme, credentials) = given.trim().split_once(' ').unwrap_or((given, ""));
        let credentials = credentials.trim();
        if let (Some(token), true) = (&self.token, scheme.eq_ignore_ascii_case("bearer")) {
            return constant_time_eq(token.as_bytes(), credentials.as_bytes());
        }
        if let (Some((user, password)), true) = (&self.basic, scheme.eq_ignore_ascii_case("basic"))
        {
            use base64::Engine;
            let expected =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            return constant_time_eq(expected.as_bytes(), credentials.as_bytes());
        }
        false
    }
}

/// Compares without an early exit, so response time says nothing about how much matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why the server refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "refusing to listen on {0} without authentication: set LIFTOFF_WATCH_TOKEN (or LIFTOFF_WATCH_USER and LIFTOFF_WATCH_PASSWORD), or listen on a loopback address"
    )]
    Unauthenticated(std::net::SocketAddr),
    #[error(
        "LIFTOFF_WATCH_TOKEN is refused: {0}; use at least 16 characters without whitespace (for example `openssl rand -hex 32`)"
    )]
    WeakToken(String),
    #[error("{path}: {why}")]
    Tls { path: String, why: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// The server's shared state.
#[derive(Clone)]
struct App {
    store: Store,
    plan: Arc<WatchPlan>,
    auth: Arc<Auth>,
    service: Arc<str>,
    readiness: Arc<str>,
    failures: Arc<Failures>,
    /// Each planned check's id as a metric label value, escaped once (by plan index).
    labels: Arc<Vec<String>>,
}

/// Failed authentications a client may make in [`FAILURE_WINDOW`] before it is refused
/// outright (429) until the window ends.
const FREE_FAILURES: u32 = 5;
/// The window failures are counted in.
const FAILURE_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);
/// Each failed attempt is answered this much later, so guessing is slow even within the window.
const FAILURE_DELAY: std::time::Duration = std::time::Duration::from_millis(200);
/// Clients remembered at most; beyond, expired windows are forgotten first.
const MAX_CLIENTS: usize = 10_000;

/// Failed authentications per client address.
#[derive(Default)]
struct Failures {
    by_client: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, Strikes>>,
}

#[derive(Clone, Copy)]
struct Strikes {
    count: u32,
    since: std::time::Instant,
}

impl Failures {
    /// How long `client` is still refused, if it is.
    fn refused_for(&self, client: std::net::IpAddr) -> Option<std::time::Duration> {
        let map = self.by_client.lock().unwrap_or_else(|p| p.into_inner());
        let strikes = map.get(&client)?;
        let left = FAILURE_WINDOW.checked_sub(strikes.since.elapsed())?;
        (strikes.count >= FREE_FAILURES).then_some(left)
    }

    /// Counts a failure of `client`; returns how many it has made in the window.
    fn record(&self, client: std::net::IpAddr) -> u32 {
        let mut map = self.by_client.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_CLIENTS {
            map.retain(|_, s| s.since.elapsed() < FAILURE_WINDOW);
            if map.len() >= MAX_CLIENTS {
                // A flood from many addresses: forgetting them all bounds memory; each
                // address still waits out its delay per attempt.
                map.clear();
            }
        }
        let now = std::time::Instant::now();
        let strikes = map.entry(client).or_insert(Strikes {
            count: 0,
            since: now,
        });
        if strikes.since.elapsed() >= FAILURE_WINDOW {
            *strikes = Strikes {
                count: 0,
                since: now,
            };
        }
        strikes.count += 1;
        strikes.count
    }
}

/// The largest request body any route reads.
const BODY_LIMIT: usize = 16 * 1024;

/// The router: every route, authentication and headers.
pub fn router(
    store: Store,
    plan: Arc<WatchPlan>,
    auth: Auth,
    service: &str,
    readiness: &str,
) -> Router {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        // Read every status once now, so the first page asked for does not pay for it.
        let store = store.clone();
        runtime.spawn(async move {
            if let Err(e) = store.statuses().await {
                tracing::warn!(error = %e, "could not read the checks' statuses");
            }
        });
    }
    let app = App {
        store,
        labels: Arc::new(plan.checks.iter().map(|c| label_value(&c.id)).collect()),
        plan,
        auth: Arc::new(auth),
        service: Arc::from(service),
        readiness: Arc::from(readiness),
        failures: Arc::new(Failures::default()),
    };
    let protected = Router::new()
        .route("/", get(dashboard))
        .route("/badge/{id}", get(badge))
        .route("/api/openapi.json", get(openapi))
        .route("/api/status", get(status))
        .route("/api/checks/{id}/history", get(history))
        .route("/metrics", get(metrics))
        .route("/api/heartbeat/{name}", axum::routing::post(heartbeat))
        .route(
            "/api/heartbeat/{name}/{phase}",
            axum::routing::post(heartbeat_phase),
        )
        .route_layer(middleware::from_fn_with_state(app.clone(), authenticate));
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .merge(protected)
        .layer(middleware::from_fn(security_headers))
        // No route takes more than a heartbeat's query; bodies are capped well below axum's
        // 2 MB default.
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(limit_body))
        .with_state(app)
}

/// A certificate chain and key to serve HTTPS with (PEM files).
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

/// Limits that keep slow or many clients from holding the server.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// How long a client may take to send a request's headers, and how long a kept-alive
    /// connection may sit idle before its next request.
    pub header_timeout: std::time::Duration,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// The longest any one connection is kept, however busy.
    pub connection_lifetime: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: std::time::Duration::from_secs(10),
            max_connections: 256,
            connection_lifetime: std::time::Duration::from_secs(600),
        }
    }
}

/// Binds `addr` and serves until `shutdown` resolves, over TLS when `tls` is given. Without
/// credentials only loopback is allowed.
pub async fn serve(
    addr: std::net::SocketAddr,
    router: Router,
    auth_configured: bool,
    tls: Option<TlsFiles>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    if !auth_configured && !addr.ip().is_loopback() {
        return Err(ServeError::Unauthenticated(addr));
    }
    let acceptor = tls.map(|files| tls_acceptor(&files)).transpose()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    // Each connection is accepted here and handed to hyper, whose HTTP/1 builder bounds the time
    // to send headers (axum's own `serve` sets no such timeout).
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return Ok(()),
            },
            () = &mut shutdown => return Ok(()),
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // A failed accept (a client gone at once, too many files) ends only that connection.
                Err(_) => continue,
            },
            () = &mut shutdown => return Ok(()),
        };
        let acceptor = acceptor.clone();
        // The client's address reaches the handlers (authentication failures are counted per
        // address).
        let service = hyper_util::service::TowerToHyperService::new(
            router
                .clone()
                .layer(axum::Extension(axum::extract::ConnectInfo(peer))),
        );
        tokio::spawn(async move {
            let _permit = permit;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let served = async {
                match acceptor {
                    Some(acceptor) => {
                        // The TLS handshake is bounded like the headers.
                        let Ok(Ok(stream)) =
                            tokio::time::timeout(limits.header_timeout, acceptor.accept(tcp)).await
                        else {
                            return;
                        };
                        let _ = http
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    }
                    None => {
                        let _ = http
                            .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                            .await;
                    }
                }
            };
            let _ = tokio::time::timeout(limits.connection_lifetime, served).await;
        });
    }
}

fn tls_acceptor(files: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor, ServeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let fail = |path: &std::path::Path, why: String| ServeError::Tls {
        path: path.display().to_string(),
        why,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| fail(&files.cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| fail(&files.cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(fail(&files.cert, "no PEM certificate in the file".into()));
    }
    let key =
        PrivateKeyDer::from_pem_file(&files.key).map_err(|e| fail(&files.key, e.to_string()))?;
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| fail(&files.cert, e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| fail(&files.key, format!("does not match the certificate: {e}")))?;
    Ok(tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)))
}

async fn authenticate(
    State(app): State<App>,
    request: Request<axum::body::Body>,
    next: Next,
) -> Response {
    // With no credentials configured the server only listens on loopback (see `serve`).
    if !app.auth.configured() {
        return next.run(request).await;
    }
    let client = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    // A client that keeps failing is refused before its credentials are even compared.
    if let Some(left) = client.and_then(|c| app.failures.refused_for(c)) {
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed authentications from this address; try again later\n",
        )
            .into_response();
        if let Ok(value) = HeaderValue::from_str(&(left.as_secs() + 1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    if app.auth.admits(request.headers()) {
        return next.run(request).await;
    }
    let failures = client.map_or(0, |c| app.failures.record(c));
    // Logged without what was presented: a mistyped token is often most of the real one.
    tracing::warn!(
        client = %client.map_or_else(|| "unknown".to_string(), |c| c.to_string()),
        path = %crate::escape::controls(request.uri().path()),
        failures_in_window = failures,
        locked_out = failures >= FREE_FAILURES,
        "authentication failed"
    );
    tokio::time::sleep(FAILURE_DELAY).await;
    let mut response = (StatusCode::UNAUTHORIZED, "authentication required\n").into_response();
    if app.auth.basic.is_some() {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"liftoff watch\""),
        );
    } else {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Refuses a declared body over [`BODY_LIMIT`] and caps an undeclared (chunked) one, on every
/// route, whether or not its handler reads the body.
async fn limit_body(request: Request<axum::body::Body>, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request bodies are limited to {BODY_LIMIT} bytes\n"),
        )
            .into_response();
    }
    let request =
        request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, BODY_LIMIT)));
    next.run(request).await
}

/// The headers liftoff's own `security.headers-grade` asks for, on every response.
async fn security_headers(request: Request<axum::body::Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // The dashboard sets its own CSP (it loads its stylesheet); everything else gets the strictest.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            ),
        );
    }
    for (name, value) in [
        (
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        ),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        (
            "permissions-policy",
            "camera=(), geolocation=(), microphone=()",
        ),
        ("cross-origin-resource-policy", "same-origin"),
        // Status and metrics must never come from a cache.
        ("cache-control", "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn dashboard(State(app): State<App>) -> Response {
    let now = super::store::now();
    let month_ago = now - 30 * 86_400;
    let data = async {
        let statuses = app.store.statuses().await?;
        let events = app.store.events_since(month_ago).await?;
        // Latencies only of the checks the page lists (the last 100 successful runs each).
        let listed: Vec<&str> = super::dashboard::shown(&app.plan, &statuses, &events, now)
            .0
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        let latencies = app.store.recent_latencies(&listed, 100).await?;
        Ok::<_, StoreError>((statuses, events, latencies))
    };
    match data.await {
        Ok((statuses, events, latencies)) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                (
                    header::CONTENT_SECURITY_POLICY,
                    format!(
                        "default-src 'none'; style-src {}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
                        super::dashboard::stylesheet_hash()
                    ),
                ),
            ],
            super::dashboard::render(
                &app.service,
                &app.readiness, &app.plan, &statuses, &events, &latencies, now),
        )
            .into_response(),
        Err(e) => internal(e),
    }
}

async fn badge(State(app): State<App>, Path(id): Path<String>) -> Response {
    let id = id.strip_suffix(".svg").unwrap_or(&id).to_string();
    let Some(spec) = app.plan.checks.iter().find(|c| c.id == id) else {
        return (StatusCode::NOT_FOUND, format!("no check `{id}`\n")).into_response();
    };
    // From the statuses held in memory (sorted by check): no wait for the database's writer.
    let health = match app.store.statuses().await {
        Ok(statuses) => statuses
            .binary_search_by(|s| s.check.as_str().cmp(&id))
            .map_or(Health::Unknown, |i| statuses[i].health),
        Err(e) => return internal(e),
    };
    (
        [(header::CONTENT_TYPE, "image/svg+xml")],
        super::dashboard::badge(spec.kind.as_str(), health),
    )
        .into_response()
}

/// The OpenAPI description of the JSON API.
const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

fn internal(e: StoreError) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response()
}

/// Filters and a page of `/api/status`.
#[derive(serde::Deserialize)]
struct StatusQuery {
    /// `up`, `down` or `unknown`.
    health: Option<String>,
    environment: Option<String>,
    /// A check kind (`headers`, `certificate`, ...).
    kind: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

/// The most checks one page of `/api/status` holds.
const STATUS_PAGE_MAX: usize = 1000;

/// The checks a page of `/api/status` holds when `limit` is not given (about 30 KB).
const STATUS_PAGE_DEFAULT: usize = 100;

async fn status(
    State(app): State<App>,
    axum::extract::Query(query): axum::extract::Query<StatusQuery>,
) -> Response {
    let limit = query
        .limit
        .unwrap_or(STATUS_PAGE_DEFAULT)
        .clamp(1, STATUS_PAGE_MAX);
    let offset = query.offset.unwrap_or(0);
    match (app.store.statuses().await, app.store.pending_alerts().await) {
        (Ok(statuses), Ok(pending)) => {
            let by_check: std::collections::HashMap<&str, &super::store::CheckStatus> =
                statuses.iter().map(|s| (s.check.as_str(), s)).collect();
            let matching: Vec<(&super::plan::CheckSpec, Option<&super::store::CheckStatus>)> = app
                .plan
                .checks
                .iter()
                .map(|spec| (spec, by_check.get(spec.id.as_str()).copied()))
                .filter(|(spec, status)| {
                    let health = status.map_or(Health::Unknown, |s| s.health);
                    query.health.as_deref().is_none_or(|h| h == health.as_str())
                        && query
                            .environment
                            .as_deref()
                            .is_none_or(|e| e == spec.environment)
                        && query
                            .kind
                            .as_deref()
                            .is_none_or(|k| k == spec.kind.as_str())
                })
                .collect();
            let checks: Vec<serde_json::Value> = matching
                .iter()
                .skip(offset)
                .take(limit)
                .map(|(spec, status)| {
                    serde_json::json!({
                        "id": spec.id,
                        "environment": spec.environment,
                        "kind": spec.kind,
                        "url": spec.url,
                        "interval_seconds": spec.interval.as_secs(),
                        "health": status.map_or(Health::Unknown, |s| s.health),
                        "since": status.map(|s| s.since),
                        "last_at": status.map(|s| s.last_at),
                        "last_message": status.map(|s| s.last_message.clone()),
                        "incident": status.map(|s| s.incident),
                        "latency_ms": status.and_then(|s| s.latency_ms),
                        "certificate_expiry": status.and_then(|s| s.cert_expiry),
                    })
                })
                .collect();
            let down = statuses.iter().filter(|s| s.health == Health::Down).count();
            axum::Json(serde_json::json!({
                "checks": checks,
                "total": matching.len(),
                "offset": offset,
                "limit": limit,
                "failing": down,
                "pending_alerts": pending,
            }))
            .into_response()
        }
        (Err(e), _) | (_, Err(e)) => internal(e),
    }
}

/// A page of `/api/checks/<id>/history`.
#[derive(serde::Deserialize)]
struct HistoryQuery {
    /// Results older than this (unix seconds): the previous page's `next_before`.
    before: Option<i64>,
    /// Only passed (`true`) or only failed (`false`) results.
    ok: Option<bool>,
    limit: Option<usize>,
}

async fn history(
    State(app): State<App>,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<HistoryQuery>,
) -> Response {
    if !app.plan.checks.iter().any(|c| c.id == id) {
        return (
            StatusCode::NOT_FOUND,
            format!("no check `{}`\n", crate::escape::controls(&id)),
        )
            .into_response();
    }
    let limit = query
        .limit
        .unwrap_or(STATUS_PAGE_DEFAULT)
        .clamp(1, STATUS_PAGE_MAX);
    match app
        .store
        .history_page(&id, query.before, query.ok, limit as i64)
        .await
    {
        Ok(results) => {
            // Where the next page starts, when this one is full.
            let next_before = (results.len() == limit)
                .then(|| results.last().map(|r| r.at))
                .flatten();
            axum::Json(serde_json::json!({
                "check": id,
                "results": results,
                "next_before": next_before,
            }))
            .into_response()
        }
        Err(e) => internal(e),
    }
}

/// The query of a heartbeat: `?status=fail&msg=...` reports a failed backup.
#[derive(serde::Deserialize)]
struct HeartbeatQuery {
    status: Option<String>,
    msg: Option<String>,
}

/// `/api/heartbeat/<name>/start` (a run began) and `/api/heartbeat/<name>/fail` (it failed), as
/// healthchecks.io names them; `/api/heartbeat/<name>` reports success (or `?status=fail`).
async fn heartbeat_phase(
    State(app): State<App>,
    Path((name, phase)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<HeartbeatQuery>,
) -> Response {
    match phase.as_str() {
        "start" => {
            if let Some(refused) = unknown_heartbeat(&app, &name) {
                return refused;
            }
            match app.store.record_start(&name, super::store::now()).await {
                Ok(()) => (StatusCode::OK, "started\n").into_response(),
                Err(e) => internal(e),
            }
        }
        "fail" => {
            let query = HeartbeatQuery {
                status: Some("fail".to_string()),
                msg: query.msg,
            };
            heartbeat(State(app), Path(name), axum::extract::Query(query)).await
        }
        other => (
            StatusCode::NOT_FOUND,
            format!(
                "`{}`: expected /start or /fail after the backup's name\n",
                crate::escape::controls(other)
            ),
        )
            .into_response(),
    }
}

/// The 404 for a name no backup with `every` has, or `None`.
fn unknown_heartbeat(app: &App, name: &str) -> Option<Response> {
    let known = app
        .plan
        .checks
        .iter()
        .any(|c| c.heartbeat.as_ref().is_some_and(|h| h.name == name));
    (!known).then(|| {
        (
            StatusCode::NOT_FOUND,
            format!(
                "no backup `{}` with an `every` in liftoff.yaml\n",
                crate::escape::controls(name)
            ),
        )
            .into_response()
    })
}

async fn heartbeat(
    State(app): State<App>,
    Path(name): Path<String>,
    axum::extract::Query(query): axum::extract::Query<HeartbeatQuery>,
) -> Response {
    if let Some(refused) = unknown_heartbeat(&app, &name) {
        return refused;
    }
    let ok = match query.status.as_deref() {
        None | Some("ok") | Some("success") => true,
        Some("fail") | Some("failure") => false,
        Some(other) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("status `{other}`: expected ok or fail\n"),
            )
                .into_response();
        }
    };
    let message: String = query.msg.unwrap_or_default().chars().take(500).collect();
    match app
        .store
        .record_heartbeat(&name, super::store::now(), ok, &message)
        .await
    {
        Ok(()) => (StatusCode::OK, "recorded\n").into_response(),
        Err(e) => internal(e),
    }
}

/// `/metrics` in the OpenMetrics text format. Written directly rather than through a metrics
/// registry: a registry would hash 50,000 label sets into maps on every scrape only to print
/// them, and the format is five lines of rules (names, `# HELP`/`# TYPE`, escaped label values,
/// `# EOF`).
async fn metrics(State(app): State<App>) -> Response {
    let (statuses, pending) = match (app.store.statuses().await, app.store.pending_alerts().await) {
        (Ok(s), Ok(p)) => (s, p),
        (Err(e), _) | (_, Err(e)) => return internal(e),
    };
    let text = exposition(&app.plan, &app.labels, &statuses, pending);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// The metrics text: per check one series of each family, labelled by the check alone; its
/// environment and kind said once, in `liftoff_check_info` (joined in PromQL with
/// `* on (check) group_left (environment, kind) liftoff_check_info`).
/// `labels` are the checks' ids as label values, by plan index.
fn exposition(
    plan: &WatchPlan,
    labels: &[String],
    statuses: &[super::store::CheckStatus],
    pending: i64,
) -> String {
    use std::fmt::Write;
    let joined = joined(plan, statuses);
    let known: Vec<(&super::plan::CheckSpec, &super::store::CheckStatus)> = joined
        .iter()
        .map(|(_, spec, status)| (*spec, *status))
        .collect();
    let labels: Vec<&str> = joined.iter().map(|(i, _, _)| labels[*i].as_str()).collect();
    let mut out = String::with_capacity(known.len() * 400 + 1024);
    // Writing to a String cannot fail.
    let mut family = |name: &str, help: &str, value: &dyn Fn(usize) -> Option<i64>| {
        let _ = writeln!(
            out,
            "# HELP liftoff_{name} {help}.\n# TYPE liftoff_{name} gauge"
        );
        let mut number = itoa::Buffer::new();
        for (i, label) in labels.iter().copied().enumerate() {
            if let Some(v) = value(i) {
                for part in [
                    "liftoff_",
                    name,
                    "{check=\"",
                    label,
                    "\"} ",
                    number.format(v),
                    "\n",
                ] {
                    out.push_str(part);
                }
            }
        }
    };
    family(
        "check_up",
        "1 when the check is healthy, 0 when failing",
        &|i| Some(i64::from(known[i].1.health == Health::Up)),
    );
    family(
        "check_latency_milliseconds",
        "latency of the last run",
        &|i| known[i].1.latency_ms,
    );
    family(
        "certificate_expiry_timestamp_seconds",
        "when the certificate expires (unix seconds)",
        &|i| known[i].1.cert_expiry,
    );
    family("check_incidents", "incidents opened so far", &|i| {
        Some(known[i].1.incident)
    });
    let _ = writeln!(
        out,
        "# HELP liftoff_check_info where a check belongs (always 1): its environment and kind.\n# TYPE liftoff_check_info gauge"
    );
    for ((spec, _), label) in known.iter().zip(&labels) {
        let _ = writeln!(
            out,
            "liftoff_check_info{{check=\"{label}\",environment=\"{}\",kind=\"{}\"}} 1",
            label_value(&spec.environment),
            spec.kind.as_str()
        );
    }
    let _ = writeln!(
        out,
        "# HELP liftoff_alerts_pending alerts not yet delivered.\n# TYPE liftoff_alerts_pending gauge\nliftoff_alerts_pending {pending}\n# EOF"
    );
    out
}

/// Each planned check with its status, for those that have one. Both lists are sorted by id
/// (the plan is built so, the store reads so), so they are merged rather than looked up.
fn joined<'a>(
    plan: &'a WatchPlan,
    statuses: &'a [super::store::CheckStatus],
) -> Vec<(
    usize,
    &'a super::plan::CheckSpec,
    &'a super::store::CheckStatus,
)> {
    if !plan.checks.is_sorted_by(|a, b| a.id < b.id)
        || !statuses.is_sorted_by(|a, b| a.check < b.check)
    {
        // Not expected; correct all the same.
        let by_check: std::collections::HashMap<&str, &super::store::CheckStatus> =
            statuses.iter().map(|s| (s.check.as_str(), s)).collect();
        return plan
            .checks
            .iter()
            .enumerate()
            .filter_map(|(i, spec)| by_check.get(spec.id.as_str()).map(|s| (i, spec, *s)))
            .collect();
    }
    let mut out = Vec::with_capacity(plan.checks.len());
    let mut statuses = statuses.iter().peekable();
    for (i, spec) in plan.checks.iter().enumerate() {
        while statuses
            .next_if(|s| s.check.as_str() < spec.id.as_str())
            .is_some()
        {}
        if let Some(status) = statuses.next_if(|s| s.check == spec.id) {
            out.push((i, spec, status));
        }
    }
    out
}

/// A label value as the text format needs it: backslash, double quote and line feed escaped.
fn label_value(text: &str) -> String {
    if !text.contains(['\\', '"', '\n']) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::plan::{CheckKind, CheckSpec};
    use crate::watch::store::CheckStatus;

    fn spec(id: &str, environment: &str) -> CheckSpec {
        CheckSpec {
            id: id.to_string(),
            environment: environment.to_string(),
            kind: CheckKind::Health,
            url: "https://api.example.org".into(),
            endpoint_kind: crate::model::EndpointKind::Api,
            path: Some("/health".into()),
            condition: None,
            http_url: None,
            interval: std::time::Duration::from_secs(60),
            heartbeat: None,
            graded_paths: Vec::new(),
        }
    }

    fn status(check: &str, health: Health) -> CheckStatus {
        CheckStatus {
            check: check.to_string(),
            health,
            since: 0,
            last_at: 0,
            last_message: String::new(),
            incident: 2,
            latency_ms: Some(31),
            cert_expiry: None,
            first_at: 0,
        }
    }

    #[test]
    fn metrics_name_each_check_once_per_family_and_where_it_belongs_once() {
        let plan = WatchPlan {
            checks: vec![
                spec("production:health:https://api.example.org", "production"),
                spec("staging:health:https://\"odd\"\\\n", "stag\"ing"),
                spec("production:health:never-ran", "production"),
            ],
            channels: Vec::new(),
        };
        let statuses = [
            status("production:health:https://api.example.org", Health::Up),
            status("staging:health:https://\"odd\"\\\n", Health::Down),
        ];
        let labels: Vec<String> = plan.checks.iter().map(|c| label_value(&c.id)).collect();
        let text = exposition(&plan, &labels, &statuses, 3);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines.contains(
                &"liftoff_check_up{check=\"production:health:https://api.example.org\"} 1"
            ),
            "{text}"
        );
        assert!(
            lines.contains(
                &"liftoff_check_up{check=\"staging:health:https://\\\"odd\\\"\\\\\\n\"} 0"
            ),
            "{text}"
        );
        assert!(lines.contains(&"liftoff_check_info{check=\"production:health:https://api.example.org\",environment=\"production\",kind=\"health\"} 1"), "{text}");
        assert!(lines.contains(&"liftoff_check_info{check=\"staging:health:https://\\\"odd\\\"\\\\\\n\",environment=\"stag\\\"ing\",kind=\"health\"} 1"), "{text}");
        assert!(lines.contains(&"liftoff_check_latency_milliseconds{check=\"production:health:https://api.example.org\"} 31"));
        assert!(lines.contains(
            &"liftoff_check_incidents{check=\"production:health:https://api.example.org\"} 2"
        ));
        assert!(lines.contains(&"liftoff_alerts_pending 3"));
        // A check without a result has no series; no certificate, no expiry series.
        assert!(!text.contains("never-ran"), "{text}");
        assert!(
            !text.contains("certificate_expiry_timestamp_seconds{"),
            "{text}"
        );
        // Every family is declared once, and the text ends as OpenMetrics requires.
        for family in [
            "check_up",
            "check_info",
            "check_latency_milliseconds",
            "check_incidents",
            "alerts_pending",
            "certificate_expiry_timestamp_seconds",
        ] {
            let declared = format!("# TYPE liftoff_{family} gauge");
            assert_eq!(
                lines.iter().filter(|l| **l == declared).count(),
                1,
                "{family}"
            );
        }
        assert_eq!(lines.last(), Some(&"# EOF"));
        // Sorted (as plans and the store are), the same text by merging instead of looking up.
        let mut sorted = plan.clone();
        sorted.checks.sort_by(|a, b| a.id.cmp(&b.id));
        let mut statuses = statuses.to_vec();
        statuses.sort_by(|a, b| a.check.cmp(&b.check));
        let labels: Vec<String> = sorted.checks.iter().map(|c| label_value(&c.id)).collect();
        let merged = exposition(&sorted, &labels, &statuses, 3);
        let mut a: Vec<&str> = merged.lines().collect();
        let mut b = lines.clone();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
    }
}
