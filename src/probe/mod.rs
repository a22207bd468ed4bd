//! Live probes: what an endpoint does when asked, turned into an [`Observation`] that rules judge.
//!
//! For each endpoint: the HTTPS request and its redirect chain (certificate trust recorded, never
//! enforced, so headers behind a bad certificate are still graded), plain HTTP (refused, silent,
//! or answered and where it redirects), the security headers of every probed path under both
//! rubrics, the declared health and metrics paths, and a random unknown path for debug pages.
//! Probes send no credentials and no cookies, and follow redirects only as far as they record them.

pub mod debug;
pub mod headers;
pub mod html;
pub mod http;
pub mod observatory;
pub mod suites;
pub mod tls;

use crate::model::live::{DebugSeen, Exchange, Hop, Observation, PlainHttp, Response, TlsSeen};
use crate::model::{Endpoint, EndpointKind};
use http::{Client, FetchError, Fetched};
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

pub use http::{SetupError, Timeouts};

/// Redirects followed before a chain counts as a loop (browsers allow about 20; the Observatory 10).
pub const MAX_REDIRECTS: usize = 10;

/// How probes run.
#[derive(Clone, Debug)]
pub struct Options {
    pub timeouts: Timeouts,
    /// PEM file of extra trust anchors (a private CA).
    pub ca_file: Option<PathBuf>,
    /// Endpoints probed at the same time.
    pub concurrency: usize,
    /// Database and admin ports that must not accept connections on an endpoint's host.
    pub db_ports: Vec<u16>,
}

/// PostgreSQL, MySQL, SQL Server, Redis, MongoDB, Elasticsearch, memcached, RabbitMQ, Docker.
pub const DB_PORTS: [u16; 9] = [5432, 3306, 1433, 6379, 27017, 9200, 11211, 5672, 2375];

impl Default for Options {
    fn default() -> Options {
        Options {
            timeouts: Timeouts::default(),
            ca_file: None,
            concurrency: 16,
            db_ports: DB_PORTS.to_vec(),
        }
    }
}

/// What to probe at one endpoint.
#[derive(Clone, Debug)]
pub struct Target {
    pub url: String,
    pub kind: EndpointKind,
    /// Where plain HTTP is tested; default: port 80 of the same host.
    pub http_url: Option<String>,
    pub health: Option<String>,
    pub health_condition: Option<crate::model::live::HealthCondition>,
    pub metrics: Option<String>,
}

impl Target {
    /// The probe target for a declared endpoint.
    pub fn from_endpoint(endpoint: &Endpoint) -> Target {
        Target {
            url: endpoint.url.clone(),
            kind: endpoint.kind.value,
            http_url: endpoint.http_url.as_ref().map(|f| f.value.clone()),
            health: endpoint.health.as_ref().map(|f| f.value.clone()),
            health_condition: endpoint.health_condition.as_ref().map(|f| f.value.clone()),
            metrics: endpoint.metrics.as_ref().map(|f| f.value.clone()),
        }
    }
}

/// Told how probing advances, so a caller can show it (the library itself never prints).
pub trait Progress: Sync {
    /// Probing starts, with this many endpoints.
    fn begin(&self, _total: usize) {}
    /// (done, total) after each endpoint.
    fn advance(&self, _done: usize, _total: usize) {}
    /// Probing is over (also after a failure to start).
    fn end(&self) {}
}

/// Progress nobody watches.
pub struct Silent;

impl Progress for Silent {}

/// Probes every endpoint of the deployment (or of the environment `only_env`) and attaches what
/// was seen to it.
pub fn observe(
    deployment: &mut crate::model::Deployment,
    only_env: Option<&str>,
    options: &Options,
    progress: &dyn Progress,
) -> Result<(), SetupError> {
    let mut slots: Vec<(usize, usize)> = Vec::new();
    let mut targets = Vec::new();
    for (e, env) in deployment.environments.iter().enumerate() {
        if only_env.is_some_and(|name| name != env.name) {
            continue;
        }
        for (i, endpoint) in env.endpoints.iter().enumerate() {
            slots.push((e, i));
            targets.push(Target::from_endpoint(endpoint));
        }
    }
    progress.begin(targets.len());
    let observed = probe_all(&targets, options, &|done, total| {
        progress.advance(done, total)
    });
    progress.end();
    for ((e, i), observation) in slots.into_iter().zip(observed?) {
        deployment.environments[e].endpoints[i].observed = Some(Arc::new(observation));
    }
    Ok(())
}

/// Probes every target, at most `options.concurrency` at a time, and returns the observations in
/// the order of `targets`. `progress` is called after each endpoint with (done, total).
pub fn probe_all(
    targets: &[Target],
    options: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<Observation>, SetupError> {
    let client = Client::new(options.ca_file.as_deref(), options.timeouts)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| SetupError {
            path: "(runtime)".into(),
            why: format!("cannot start the probe runtime: {e}"),
        })?;
    Ok(runtime.block_on(async {
        let limit = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        let ports: Arc<[u16]> = options.db_ports.clone().into();
        for (index, target) in targets.iter().cloned().enumerate() {
            let client = client.clone();
            let limit = limit.clone();
            let ports = ports.clone();
            tasks.spawn(async move {
                // The semaphore is never closed, so acquiring only waits.
                let _permit = limit.acquire_owned().await.ok();
                let mut observation = probe_endpoint(&client, &target).await;
                if !ports.is_empty() {
                    observation.ports = scan_ports(&client, &target.url, &ports).await;
                }
                (index, observation)
            });
        }
        let mut out: Vec<Option<Observation>> = vec![None; targets.len()];
        let mut done = 0;
        while let Some(joined) = tasks.join_next().await {
            done += 1;
            progress(done, targets.len());
            if let Ok((index, observation)) = joined {
                out[index] = Some(observation);
            }
        }
        out.into_iter()
            .zip(targets)
            .map(|(o, t)| {
                o.unwrap_or_else(|| Observation {
                    url: t.url.clone(),
                    https_error: Some("the probe of this endpoint stopped unexpectedly".into()),
                    ..Observation::default()
                })
            })
            .collect()
    }))
}

/// A request chain as the Observatory's session sees it, with the final body and first TLS facts.
struct Chain {
    session: observatory::Session,
    tls: Option<TlsSeen>,
}

/// Where plain HTTP is tested for an endpoint: the declared `http_url`, else port 80 of the
/// same host. `None` when the declared one is not a URL.
pub fn plain_http_url(endpoint: &Url, declared: Option<&str>) -> Option<Url> {
    match declared {
        Some(u) => Url::parse(u).ok(),
        // An endpoint declared with http:// is itself the plain-HTTP URL, on its own port.
        None if endpoint.scheme() == "http" => Some(endpoint.clone()),
        None => {
            let mut u = endpoint.clone();
            // Setting scheme/port only fails for URLs that cannot have them; http(s) ones can.
            let _ = u.set_scheme("http");
            let _ = u.set_port(None);
            Some(u)
        }
    }
}

/// Follows redirects from `start` (any host, as browsers do), recording every hop.
async fn follow(
    client: &Client,
    method: &str,
    start: &Url,
    headers: &[(&str, &str)],
) -> Result<Chain, (FetchError, Vec<Hop>)> {
    let mut hops: Vec<Hop> = Vec::new();
    let mut url = start.clone();
    let mut tls = None;
    let mut body;
    loop {
        let fetched: Fetched = match client.request(method, &url, headers).await {
            Ok(f) => f,
            Err(e) => return Err((e, hops)),
        };
        if tls.is_none() {
            tls = fetched.tls.clone();
        }
        let next = fetched
            .hop
            .is_redirect()
            .then(|| {
                fetched
                    .hop
                    .location
                    .as_deref()
                    .and_then(|l| url.join(l).ok())
            })
            .flatten()
            // Only web redirects are followed; a Location of another scheme ends the chain there.
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        hops.push(fetched.hop);
        body = fetched.body;
        match next {
            Some(next) if hops.len() <= MAX_REDIRECTS => url = next,
            _ => break,
        }
    }
    let verified = hops.iter().all(|h| h.verified != Some(false));
    Ok(Chain {
        session: observatory::Session {
            start: start.clone(),
            hops,
            body: String::from_utf8_lossy(&body).into_owned(),
            verified,
        },
        tls,
    })
}

fn exchange_of(result: &Result<Chain, (FetchError, Vec<Hop>)>) -> Exchange {
    match result {
        Ok(chain) => Exchange {
            hops: chain.session.hops.clone(),
            error: None,
        },
        Err((e, hops)) => Exchange {
            hops: hops.clone(),
            error: Some(e.to_string()),
        },
    }
}

/// The part of a probe that grades headers: the HTTPS and plain-HTTP chains, the Observatory's
/// retrieval and score, HSTS and the graded final answer. `watch` runs only this for its headers
/// check, so both judge the same observation. Returns it with whether TLS was reached (a TLS
/// scan is worth running).
pub async fn observe_headers(
    client: &Client,
    url: &Url,
    http_url: Option<Url>,
) -> (Observation, bool) {
    let mut observation = Observation {
        url: url.to_string(),
        ..Observation::default()
    };
    let https_url = (url.scheme() == "https").then(|| url.clone());

    let accept = [(
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    )];
    let (https_chain, http_chain) = tokio::join!(
        async {
            match &https_url {
                Some(u) => Some(follow(client, "GET", u, &accept).await),
                None => None,
            }
        },
        async {
            match &http_url {
                Some(u) => Some((u.clone(), follow(client, "GET", u, &accept).await)),
                None => None,
            }
        }
    );

    if let Some(result) = &https_chain {
        observation.https = Some(exchange_of(result));
        match result {
            Ok(chain) => observation.tls = chain.tls.clone(),
            Err((e, _)) => observation.https_error = Some(e.to_string()),
        }
    }
    if let Some((u, result)) = &http_chain {
        observation.plain_http = Some(match result {
            Err((FetchError::Refused { .. }, hops)) if hops.is_empty() => {
                PlainHttp::Refused { url: u.to_string() }
            }
            Err((e, hops)) if hops.is_empty() => PlainHttp::NoAnswer {
                url: u.to_string(),
                reason: e.to_string(),
            },
            other => PlainHttp::Answered {
                url: u.to_string(),
                exchange: exchange_of(other),
            },
        });
    }

    let https_session = https_chain
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .map(|c| &c.session);
    let http_session = http_chain
        .as_ref()
        .and_then(|(_, r)| r.as_ref().ok())
        .map(|c| &c.session);

    // The CORS preflight goes to where the graded session ended, as the Observatory's does.
    let final_url = https_session
        .or(http_session)
        .and_then(|s| s.hops.last())
        .and_then(|h| Url::parse(&h.url).ok());
    let cors = match &final_url {
        Some(u) => follow(
            client,
            "OPTIONS",
            u,
            &[
                ("access-control-request-method", "GET"),
                ("origin", observatory::CORS_ORIGIN),
            ],
        )
        .await
        .ok()
        .and_then(|c| c.session.hops.last().cloned()),
        None => None,
    };
    let hostname = url.host_str().unwrap_or_default().to_string();
    let retrieval = observatory::Retrieval {
        hostname: &hostname,
        http: http_session,
        https: https_session,
        cors: cors.as_ref(),
    };
    observation.observatory = observatory::score(&retrieval).ok();

    if let Some(session) = https_session {
        if let Some(last) = session.hops.last() {
            let values: Vec<&str> = last.header_values("strict-transport-security").collect();
            observation.hsts = headers::parse_hsts(&values);
            observation
                .paths
                .push(headers::grade_path(url.path(), last));
        }
    }

    // A server a modern client cannot talk to (TLS 1.1 only, a 1024-bit key) still gets scanned:
    // the scan is what says why.
    let reached = match https_chain.as_ref() {
        Some(Err((e, _))) => matches!(e, FetchError::Tls { .. } | FetchError::NoAnswer { .. }),
        Some(Ok(_)) => true,
        None => false,
    };
    (observation, reached)
}

/// Probes one endpoint. Every failure becomes part of the observation, never an error.
pub async fn probe_endpoint(client: &Client, target: &Target) -> Observation {
    let mut observation = Observation {
        url: target.url.clone(),
        ..Observation::default()
    };
    let url = match Url::parse(&target.url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
        _ => {
            observation.https_error = Some(format!("`{}` is not an http(s) URL", target.url));
            return observation;
        }
    };
    let https_url = (url.scheme() == "https").then(|| url.clone());
    let http_url = plain_http_url(&url, target.http_url.as_deref());
    let (headers_part, reached) = observe_headers(client, &url, http_url).await;
    observation = Observation {
        url: observation.url,
        ..headers_part
    };
    if let (Some(u), true) = (&https_url, reached) {
        observation.tls_scan = scan_tls(client, u).await.map(|mut scan| {
            let certificate = observation
                .tls
                .as_ref()
                .and_then(|t| t.certificate.as_ref())
                .or(scan.certificate.as_ref());
            scan.grade = Some(tls::grade(
                &scan,
                certificate,
                observation
                    .tls
                    .as_ref()
                    .and_then(|t| t.trust_error.as_deref()),
                observation
                    .hsts
                    .as_ref()
                    .filter(|h| h.problems.is_empty())
                    .and_then(|h| h.max_age),
            ));
            scan
        });
    }

    let base = https_url.clone().unwrap_or_else(|| url.clone());
    for (path, slot) in [
        (&target.health, &mut observation.health),
        (&target.metrics, &mut observation.metrics),
    ] {
        if let Some(path) = path {
            let response = fetch_path(client, &base, path).await;
            if let (Some(hop), true) = (&response.1, https_url.is_some()) {
                observation.paths.push(headers::grade_path(path, hop));
            }
            *slot = Some(response.0);
        }
    }
    if let (Some(health), Some(condition)) = (&mut observation.health, &target.health_condition) {
        health.condition = Some(match condition.check(&health.body) {
            Ok((holds, found)) => crate::model::live::ConditionOutcome {
                condition: condition.to_string(),
                holds,
                found,
                error: None,
            },
            Err(why) => crate::model::live::ConditionOutcome {
                condition: condition.to_string(),
                holds: false,
                found: None,
                error: Some(why),
            },
        });
    }
    observation.not_found = Some(look_for_debug_pages(client, &base).await);
    observation
}

/// GETs one path of the endpoint without following redirects.
/// The security-header grades of another path of an endpoint (its health or metrics path), as
/// a probe grades every path it requests; `None` when the path did not answer.
pub async fn grade_path_of(
    client: &Client,
    base: &Url,
    path: &str,
) -> Option<crate::model::live::PathGrades> {
    let (_, hop) = fetch_path(client, base, path).await;
    hop.map(|hop| headers::grade_path(path, &hop))
}

async fn fetch_path(client: &Client, base: &Url, path: &str) -> (Response, Option<Hop>) {
    let mut response = Response {
        path: path.to_string(),
        ..Response::default()
    };
    let Ok(url) = base.join(path) else {
        response.error = Some(format!("`{path}` is not a path of {base}"));
        return (response, None);
    };
    match client.request("GET", &url, &[]).await {
        Ok(fetched) => {
            response.status = Some(fetched.hop.status);
            response.latency_ms = fetched.elapsed.as_millis() as u64;
            response.www_authenticate = fetched.hop.header("www-authenticate").map(str::to_string);
            response.cache_control = fetched.hop.header("cache-control").map(str::to_string);
            let cut = fetched.body.len().min(64 * 1024);
            response.body = String::from_utf8_lossy(&fetched.body[..cut]).into_owned();
            (response, Some(fetched.hop))
        }
        Err(e) => {
            response.error = Some(e.to_string());
            (response, None)
        }
    }
}

/// Requests a path no application has, and the Spring Boot actuator index, and reports any debug
/// page, stack trace or version-announcing header.
async fn look_for_debug_pages(client: &Client, base: &Url) -> DebugSeen {
    let path = format!("/liftoff-probe-{:016x}", unguessable());
    let mut seen = DebugSeen {
        path: path.clone(),
        ..DebugSeen::default()
    };
    let (response, hop) = fetch_path(client, base, &path).await;
    seen.status = response.status;
    if let Some(hop) = hop {
        seen.debug_page = debug::recognise(&response.body);
        seen.version_headers = debug::version_headers(&hop);
    }
    if seen.debug_page.is_none() {
        if let (response, Some(hop)) = fetch_path(client, base, "/actuator").await {
            if debug::is_actuator_index(&hop, &response.body) {
                seen.debug_page =
                    Some("Spring Boot actuator endpoints exposed at /actuator".into());
            }
        }
    }
    seen
}

/// A value no application route will match; not a secret, so the clock and process id suffice.
fn unguessable() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// Enumerates the protocols and suites of the HTTPS endpoint's first address.
async fn scan_tls(client: &Client, url: &Url) -> Option<crate::model::live::TlsScan> {
    let (stream, _) = client.connect(url).await.ok()?;
    let addr = stream.peer_addr().ok()?;
    drop(stream);
    let server_name = match url.host() {
        Some(url::Host::Domain(name)) => Some(name.to_string()),
        _ => None,
    };
    Some(tls::scan(addr, server_name.as_deref(), client.timeouts().tls).await)
}

/// Tries a TCP connection to each port of the URL's host; open ones are reported.
async fn scan_ports(
    client: &Client,
    url: &str,
    ports: &[u16],
) -> Option<crate::model::live::PortScan> {
    let url = Url::parse(url).ok()?;
    let host = url.host_str()?.to_string();
    let mut tasks = tokio::task::JoinSet::new();
    for port in ports.iter().copied() {
        let mut candidate = url.clone();
        candidate.set_port(Some(port)).ok()?;
        let client = client.clone();
        tasks.spawn(async move { (port, client.connect(&candidate).await.is_ok()) });
    }
    let mut open = Vec::new();
    while let Some(Ok((port, accepted))) = tasks.join_next().await {
        if accepted {
            open.push(port);
        }
    }
    open.sort_unstable();
    Some(crate::model::live::PortScan {
        host,
        checked: ports.to_vec(),
        open,
    })
}

#[cfg(test)]
mod tests {
    use super::plain_http_url;
    use url::Url;

    #[test]
    fn the_plain_http_url_of_an_endpoint() {
        let of = |endpoint: &str, declared: Option<&str>| {
            plain_http_url(&Url::parse(endpoint).unwrap(), declared).map(|u| u.to_string())
        };
        // An https endpoint is tried on port 80; an http one is its own plain-HTTP URL.
        assert_eq!(
            of("https://api.example.org:8443/v1", None).as_deref(),
            Some("http://api.example.org/v1")
        );
        assert_eq!(
            of("http://127.0.0.1:8080/", None).as_deref(),
            Some("http://127.0.0.1:8080/")
        );
        assert_eq!(
            of(
                "https://api.example.org/",
                Some("http://api.example.org:8080/")
            )
            .as_deref(),
            Some("http://api.example.org:8080/")
        );
    }
}
