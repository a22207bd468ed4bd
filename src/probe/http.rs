//! A deliberately small HTTP/1.1 client for probing: one connection per request, no automatic
//! redirects, no cookies, no credentials, every TLS fact recorded.
//!
//! hyper speaks the protocol and rustls (ring) the TLS; this module only wires them so that a probe
//! sees what a general-purpose client hides: the certificate chain and why it is not trusted (while
//! still reading the answer, as the Observatory does), the raw `Location` of every redirect, and
//! each header value separately.

use crate::model::live::{Certificate, Hop, TlsSeen};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::net::TcpStream;
use url::Url;

/// The most of a body a probe reads; pages are graded from their head, and a hostile endpoint must
/// not fill memory.
const BODY_LIMIT: usize = 1 << 20;

/// The User-Agent of every probe request, so operators can find (or allow-list) probes in logs.
pub const USER_AGENT: &str = concat!("liftoff/", env!("CARGO_PKG_VERSION"), " (+readiness probe)");

/// Time limits of one request.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    pub tls: Duration,
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(5),
            tls: Duration::from_secs(5),
            total: Duration::from_secs(15),
        }
    }
}

/// Why a request got no HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("DNS lookup of {host} failed: {why}")]
    Dns { host: String, why: String },
    #[error("connection to {addr} refused")]
    Refused { addr: String },
    #[error("connecting to {addr} timed out after {secs} s")]
    ConnectTimeout { addr: String, secs: u64 },
    #[error("connecting to {addr} failed: {why}")]
    Connect { addr: String, why: String },
    #[error("TLS handshake with {addr} failed: {why}")]
    Tls { addr: String, why: String },
    #[error("no HTTP answer from {addr}: {why}")]
    NoAnswer { addr: String, why: String },
    #[error("no complete answer from {url} within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("{0}")]
    Invalid(String),
}

/// One response with its body and the TLS facts of its connection.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub hop: Hop,
    pub body: Vec<u8>,
    pub tls: Option<TlsSeen>,
    pub elapsed: Duration,
}

/// The probing client. Cheap to share: roots and verifier are built once.
#[derive(Clone)]
pub struct Client {
    verifier: Arc<WebPkiServerVerifier>,
    timeouts: Timeouts,
    /// Refuse untrusted certificates instead of recording them (for sending, not probing).
    strict: bool,
    /// The local address connections leave from (`--probe-source`), when not the system's choice.
    source: Option<std::net::IpAddr>,
}

/// A problem with the client's own set-up (an unreadable `--ca-file`).
#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}")]
pub struct SetupError {
    pub path: String,
    pub why: String,
}

impl Client {
    /// A client trusting the Mozilla roots (webpki-roots) plus the PEM certificates of `ca_file`.
    pub fn new(ca_file: Option<&Path>, timeouts: Timeouts) -> Result<Client, SetupError> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = ca_file {
            let fail = |why: String| SetupError {
                path: path.display().to_string(),
                why,
            };
            let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
            let mut added = 0;
            for cert in
                <CertificateDer<'static> as rustls::pki_types::pem::PemObject>::pem_slice_iter(&pem)
            {
                let cert = cert.map_err(|e| fail(format!("not a PEM certificate file: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| fail(format!("certificate not usable as a trust anchor: {e}")))?;
                added += 1;
            }
            if added == 0 {
                return Err(fail(
                    "no certificate found; expected PEM blocks `-----BEGIN CERTIFICATE-----`"
                        .into(),
                ));
            }
        }
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::new(provider()))
                .build()
                .map_err(|e| SetupError {
                    path: ca_file.map(|p| p.display().to_string()).unwrap_or_default(),
                    why: e.to_string(),
                })?;
        Ok(Client {
            verifier,
            timeouts,
            strict: false,
            source: None,
        })
    }

    /// The same client, opening its connections from `source` (one of this host's addresses):
    /// watchers on one host can then look like separate vantage points, and a host with several
    /// uplinks can choose one.
    pub fn from_source(mut self, source: std::net::IpAddr) -> Client {
        self.source = Some(source);
        self
    }

    /// The same client, refusing any certificate that is not trusted for its host: for sending
    /// alerts, where a probe's tolerance would hand them to whoever answers.
    pub fn verifying(mut self) -> Client {
        self.strict = true;
        self
    }

    /// The time limits this client applies.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Sends one request and reads the answer; never follows redirects.
    pub async fn request(
        &self,
        method: &str,
        url: &Url,
        headers: &[(&str, &str)],
    ) -> Result<Fetched, FetchError> {
        self.send(method, url, headers, Vec::new()).await
    }

    /// Sends one request with a body (alert deliveries); never follows redirects.
    pub async fn send(
        &self,
        method: &str,
        url: &Url,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Fetched, FetchError> {
        let total = self.timeouts.total;
        match tokio::time::timeout(total, self.request_inner(method, url, headers, body)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout {
                url: url.to_string(),
                secs: total.as_secs(),
            }),
        }
    }

    async fn request_inner(
        &self,
        method: &str,
        url: &Url,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        let (tcp, addr) = self.connect(url).await?;
        let authority = authority(url);
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(request_target(url))
            .header("host", &authority)
            .header("user-agent", USER_AGENT)
            .header("connection", "close");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
            .map_err(|e| FetchError::Invalid(format!("cannot build a request for {url}: {e}")))?;

        let (response, tls, verified) = if url.scheme() == "https" {
            let (stream, tls, verified) = self.handshake(url, tcp, &addr).await?;
            let response = exchange(TokioIo::new(stream), request, &addr).await?;
            (response, Some(tls), Some(verified))
        } else {
            (
                exchange(TokioIo::new(tcp), request, &addr).await?,
                None,
                None,
            )
        };
        let (parts, body) = response;
        Ok(Fetched {
            hop: Hop {
                url: url.to_string(),
                status: parts.status.as_u16(),
                location: parts
                    .headers
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
                headers: parts
                    .headers
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.as_str().to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                verified,
            },
            body,
            tls,
            elapsed: started.elapsed(),
        })
    }

    /// Opens a TCP connection to the URL's host and port, trying each address in turn.
    pub async fn connect(&self, url: &Url) -> Result<(TcpStream, String), FetchError> {
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> = match url.host() {
            Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(url::Host::Domain(name)) => tokio::net::lookup_host((name, port))
                .await
                .map_err(|e| FetchError::Dns {
                    host: name.to_string(),
                    why: e.to_string(),
                })?
                .collect(),
            None => return Err(FetchError::Invalid(format!("{url} has no host"))),
        };
        let mut last = None;
        for addr in addrs {
            let shown = addr.to_string();
            let connecting = async {
                match self.source {
                    None => TcpStream::connect(addr).await,
                    Some(source) if source.is_ipv4() != addr.is_ipv4() => Err(std::io::Error::new(
                        std::io::ErrorKind::AddrNotAvailable,
                        format!(
                            "the probe source {source} cannot reach an address of another family"
                        ),
                    )),
                    Some(source) => {
                        let socket = if source.is_ipv4() {
                            tokio::net::TcpSocket::new_v4()?
                        } else {
                            tokio::net::TcpSocket::new_v6()?
                        };
                        socket.bind(SocketAddr::new(source, 0))?;
                        socket.connect(addr).await
                    }
                }
            };
            match tokio::time::timeout(self.timeouts.connect, connecting).await {
                Ok(Ok(stream)) => {
                    // Probes are request/answer; Nagle only adds latency to the measurement.
                    let _ = stream.set_nodelay(true);
                    return Ok((stream, shown));
                }
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    last = Some(FetchError::Refused { addr: shown })
                }
                Ok(Err(e)) => {
                    last = Some(FetchError::Connect {
                        addr: shown,
                        why: e.to_string(),
                    })
                }
                Err(_) => {
                    last = Some(FetchError::ConnectTimeout {
                        addr: shown,
                        secs: self.timeouts.connect.as_secs(),
                    })
                }
            }
        }
        Err(last.unwrap_or_else(|| FetchError::Dns {
            host: url.host_str().unwrap_or_default().to_string(),
            why: "no addresses".into(),
        }))
    }

    async fn handshake(
        &self,
        url: &Url,
        tcp: TcpStream,
        addr: &str,
    ) -> Result<(tokio_rustls::client::TlsStream<TcpStream>, TlsSeen, bool), FetchError> {
        let name = server_name(url)?;
        let recorder = Arc::new(RecordingVerifier {
            inner: self.verifier.clone(),
            outcome: Mutex::new(None),
        });
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| FetchError::Invalid(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let stream =
            match tokio::time::timeout(self.timeouts.tls, connector.connect(name, tcp)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => {
                    return Err(FetchError::Tls {
                        addr: addr.to_string(),
                        why: e.to_string(),
                    });
                }
                Err(_) => {
                    return Err(FetchError::Tls {
                        addr: addr.to_string(),
                        why: format!("no handshake within {} s", self.timeouts.tls.as_secs()),
                    });
                }
            };
        let conn = stream.get_ref().1;
        let trust_error = recorder
            .outcome
            .lock()
            .ok()
            .and_then(|mut o| o.take())
            .and_then(Result::err);
        let chain = conn.peer_certificates().unwrap_or_default();
        let tls = TlsSeen {
            protocol: conn
                .protocol_version()
                .and_then(|v| v.as_str())
                .unwrap_or("unknown")
                .replace("TLSv1_", "TLSv1.")
                .to_string(),
            suite: conn
                .negotiated_cipher_suite()
                .and_then(|s| s.suite().as_str())
                .unwrap_or("unknown")
                .to_string(),
            chain_length: chain.len(),
            certificate: chain
                .first()
                .and_then(|leaf| describe_certificate(leaf.as_ref())),
            trust_error: trust_error.clone(),
        };
        if let (true, Some(why)) = (self.strict, &trust_error) {
            return Err(FetchError::Tls {
                addr: addr.to_string(),
                why: why.clone(),
            });
        }
        Ok((stream, tls, trust_error.is_none()))
    }
}

/// ring, chosen over aws-lc-rs for a fraction of the build time (see crates.md).
fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

fn server_name(url: &Url) -> Result<ServerName<'static>, FetchError> {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => Ok(ServerName::IpAddress(std::net::IpAddr::from(ip).into())),
        Some(url::Host::Ipv6(ip)) => Ok(ServerName::IpAddress(std::net::IpAddr::from(ip).into())),
        Some(url::Host::Domain(name)) => ServerName::try_from(name.to_string()).map_err(|e| {
            FetchError::Invalid(format!("`{name}` is not a valid TLS server name: {e}"))
        }),
        None => Err(FetchError::Invalid(format!("{url} has no host"))),
    }
}

/// `host[:port]` as the Host header wants it (the port only when it is not the scheme's default).
pub fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

fn request_target(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

type Answer = (hyper::http::response::Parts, Vec<u8>);

async fn exchange<S>(
    io: TokioIo<S>,
    request: hyper::Request<http_body_util::Full<hyper::body::Bytes>>,
    addr: &str,
) -> Result<Answer, FetchError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let no_answer = |why: String| FetchError::NoAnswer {
        addr: addr.to_string(),
        why,
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| no_answer(e.to_string()))?;
    let driver = tokio::spawn(async move {
        // The connection ends with the response (Connection: close); its error, if any, shows up
        // on the response future below.
        let _ = connection.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| no_answer(e.to_string()))?;
    let (parts, mut body) = response.into_parts();
    let mut bytes = Vec::new();
    while bytes.len() < BODY_LIMIT {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    let room = BODY_LIMIT - bytes.len();
                    bytes.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            // A body cut short still tells what the page is; the status and headers stand.
            Some(Err(_)) | None => break,
        }
    }
    driver.abort();
    Ok((parts, bytes))
}

/// Records whether the certificate would be trusted, and lets the handshake go on either way, so a
/// probe can still grade the headers behind an untrusted certificate. Signatures are still
/// verified: only the trust decision is recorded instead of enforced.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    outcome: Mutex<Option<Result<(), String>>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let outcome = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ())
            .map_err(|e| trust_reason(&e));
        if let Ok(mut slot) = self.outcome.lock() {
            *slot = Some(outcome);
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A certificate error in words an operator acts on.
fn trust_reason(error: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(c) => match c {
            C::Expired | C::ExpiredContext { .. } => "the certificate has expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => "the certificate is not valid yet".into(),
            C::UnknownIssuer => "the certificate is not issued by a trusted CA (unknown issuer; pass --ca-file for a private CA)".into(),
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the certificate is not valid for this host name".into()
            }
            C::Revoked => "the certificate is revoked".into(),
            C::BadSignature => "the certificate's signature does not verify".into(),
            other => format!("the certificate is not trusted: {other:?}"),
        },
        other => format!("the certificate is not trusted: {other}"),
    }
}

/// The leaf certificate's facts, or `None` when it does not parse (reported by the trust error).
pub(crate) fn describe_certificate(der: &[u8]) -> Option<Certificate> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let not_after = cert.validity().not_after.timestamp();
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => names.push((*d).to_string()),
                GeneralName::IPAddress(bytes) => match bytes.len() {
                    4 => names.push(
                        std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
                    ),
                    16 => {
                        let mut octets = [0u8; 16];
                        octets.copy_from_slice(bytes);
                        names.push(std::net::Ipv6Addr::from(octets).to_string());
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
    let (key_type, key_bits) = match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => ("RSA", rsa.key_size() as u32),
        Ok(x509_parser::public_key::PublicKey::EC(ec)) => ("EC", ec.key_size() as u32),
        Ok(x509_parser::public_key::PublicKey::DSA(_)) => ("DSA", 0),
        _ => match cert
            .public_key()
            .algorithm
            .algorithm
            .to_id_string()
            .as_str()
        {
            "1.3.101.112" => ("Ed25519", 256),
            "1.3.101.113" => ("Ed448", 456),
            _ => ("unknown", 0),
        },
    };
    let registry = x509_parser::oid_registry::OidRegistry::default().with_crypto();
    let signature_oid = &cert.signature_algorithm.algorithm;
    let signature_algorithm = registry
        .get(signature_oid)
        .map(|entry| entry.sn().to_string())
        .unwrap_or_else(|| signature_oid.to_id_string());
    Some(Certificate {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        names,
        not_before: cert.validity().not_before.timestamp(),
        not_after,
        days_left: (not_after - now).div_euclid(86_400),
        key_type: key_type.to_string(),
        key_bits,
        signature_algorithm,
    })
}
