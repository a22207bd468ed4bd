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
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

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

impl Auth {
    /// Credentials from the environment.
    pub fn from_env() -> Auth {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
        Auth {
            token: var("LIFTOFF_WATCH_TOKEN"),
            basic: var("LIFTOFF_WATCH_USER").zip(var("LIFTOFF_WATCH_PASSWORD")),
        }
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
        if let (Some(token), Some(bearer)) = (&self.token, given.strip_prefix("Bearer ")) {
            return constant_time_eq(token.as_bytes(), bearer.trim().as_bytes());
        }
        if let (Some((user, password)), Some(encoded)) = (&self.basic, given.strip_prefix("Basic "))
        {
            use base64::Engine;
            let expected =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            return constant_time_eq(expected.as_bytes(), encoded.trim().as_bytes());
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
}

/// The router: every route, authentication and headers.
pub fn router(
    store: Store,
    plan: Arc<WatchPlan>,
    auth: Auth,
    service: &str,
    readiness: &str,
) -> Router {
    let app = App {
        store,
        plan,
        auth: Arc::new(auth),
        service: Arc::from(service),
        readiness: Arc::from(readiness),
    };
    let protected = Router::new()
        .route("/", get(dashboard))
        .route("/badge/{id}", get(badge))
        .route("/api/openapi.json", get(openapi))
        .route("/api/status", get(status))
        .route("/api/checks/{id}/history", get(history))
        .route("/metrics", get(metrics))
        .route("/api/heartbeat/{name}", axum::routing::post(heartbeat))
        .route_layer(middleware::from_fn_with_state(app.clone(), authenticate));
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .merge(protected)
        .layer(middleware::from_fn(security_headers))
        .with_state(app)
}

/// A certificate chain and key to serve HTTPS with (PEM files).
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

/// Binds `addr` and serves until `shutdown` resolves, over TLS when `tls` is given. Without
/// credentials only loopback is allowed.
pub async fn serve(
    addr: std::net::SocketAddr,
    router: Router,
    auth_configured: bool,
    tls: Option<TlsFiles>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    if !auth_configured && !addr.ip().is_loopback() {
        return Err(ServeError::Unauthenticated(addr));
    }
    let acceptor = tls.map(|files| tls_acceptor(&files)).transpose()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let Some(acceptor) = acceptor else {
        return axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|source| ServeError::Bind { addr, source });
    };
    // axum serves plain TCP only; over TLS each connection is accepted here and handed to hyper.
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // A failed accept (a client gone at once, too many files) ends only that connection.
                Err(_) => continue,
            },
            () = &mut shutdown => return Ok(()),
        };
        let acceptor = acceptor.clone();
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
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
    if !app.auth.configured() || app.auth.admits(request.headers()) {
        return next.run(request).await;
    }
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
        Ok::<_, StoreError>((
            app.store.statuses().await?,
            app.store.events_since(month_ago).await?,
            app.store.latencies_since(now - 86_400).await?,
        ))
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
    let health = match app.store.statuses().await {
        Ok(statuses) => statuses
            .iter()
            .find(|s| s.check == id)
            .map_or(Health::Unknown, |s| s.health),
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

async fn status(State(app): State<App>) -> Response {
    match (app.store.statuses().await, app.store.pending_alerts().await) {
        (Ok(statuses), Ok(pending)) => {
            let checks: Vec<serde_json::Value> = app
                .plan
                .checks
                .iter()
                .map(|spec| {
                    let status = statuses.iter().find(|s| s.check == spec.id);
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
            axum::Json(serde_json::json!({ "checks": checks, "pending_alerts": pending }))
                .into_response()
        }
        (Err(e), _) | (_, Err(e)) => internal(e),
    }
}

async fn history(State(app): State<App>, Path(id): Path<String>) -> Response {
    if !app.plan.checks.iter().any(|c| c.id == id) {
        return (StatusCode::NOT_FOUND, format!("no check `{id}`\n")).into_response();
    }
    match app.store.history(&id, 500).await {
        Ok(results) => {
            axum::Json(serde_json::json!({ "check": id, "results": results })).into_response()
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

async fn heartbeat(
    State(app): State<App>,
    Path(name): Path<String>,
    axum::extract::Query(query): axum::extract::Query<HeartbeatQuery>,
) -> Response {
    let known = app
        .plan
        .checks
        .iter()
        .any(|c| c.heartbeat.as_ref().is_some_and(|(n, _)| *n == name));
    if !known {
        return (
            StatusCode::NOT_FOUND,
            format!("no backup `{name}` with an `every` in liftoff.yaml\n"),
        )
            .into_response();
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

/// Labels of every per-check series: bounded to check, environment and kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CheckLabels {
    check: String,
    environment: String,
    kind: String,
}

async fn metrics(State(app): State<App>) -> Response {
    let (statuses, pending) = match (app.store.statuses().await, app.store.pending_alerts().await) {
        (Ok(s), Ok(p)) => (s, p),
        (Err(e), _) | (_, Err(e)) => return internal(e),
    };
    let mut registry = Registry::with_prefix("liftoff");
    let up = Family::<CheckLabels, Gauge>::default();
    let latency = Family::<CheckLabels, Gauge>::default();
    let expiry = Family::<CheckLabels, Gauge>::default();
    let incidents = Family::<CheckLabels, Gauge>::default();
    for spec in app.plan.checks.iter() {
        let Some(status) = statuses.iter().find(|s| s.check == spec.id) else {
            continue;
        };
        let labels = CheckLabels {
            check: spec.id.clone(),
            environment: spec.environment.clone(),
            kind: spec.kind.as_str().to_string(),
        };
        up.get_or_create(&labels)
            .set(i64::from(status.health == Health::Up));
        incidents.get_or_create(&labels).set(status.incident);
        if let Some(ms) = status.latency_ms {
            latency.get_or_create(&labels).set(ms);
        }
        if let Some(at) = status.cert_expiry {
            expiry.get_or_create(&labels).set(at);
        }
    }
    let pending_gauge: Gauge<i64, AtomicI64> = Gauge::default();
    pending_gauge.set(pending);
    registry.register(
        "check_up",
        "1 when the check is healthy, 0 when failing",
        up,
    );
    registry.register(
        "check_latency_milliseconds",
        "latency of the last run",
        latency,
    );
    registry.register(
        "certificate_expiry_timestamp_seconds",
        "when the certificate expires (unix seconds)",
        expiry,
    );
    registry.register("check_incidents", "incidents opened so far", incidents);
    registry.register("alerts_pending", "alerts not yet delivered", pending_gauge);
    let mut text = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &registry) {
        return (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
