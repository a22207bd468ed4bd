//! Live probes against real servers on loopback: nginx from Debian, with a private CA and
//! certificates generated here. Every server is started by the test, on ports picked here, and
//! killed by PID when the test ends.
//!
//! Without nginx the tests say so and pass, except on CI (`CI` set), where scripts/test installs
//! it and its absence is a failure.

use super::support::liftoff;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use serde_json::Value;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Certificates for `localhost` / 127.0.0.1 from a private CA, written as PEM files.
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    pub fn new(dir: &Path) -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "liftoff test CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
        std::fs::write(dir.join("ca.key"), ca_key.serialize_pem()).unwrap();
        std::fs::write(
            dir.join("san.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let now = time::OffsetDateTime::now_utc();
        let leaf = |name: &str,
                    names: &[&str],
                    from: time::OffsetDateTime,
                    until: time::OffsetDateTime| {
            let key = KeyPair::generate().unwrap();
            let mut params =
                CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                    .unwrap();
            params.distinguished_name.push(DnType::CommonName, names[0]);
            params.not_before = from;
            params.not_after = until;
            let cert = params.signed_by(&key, &issuer).unwrap();
            std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).unwrap();
            std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
        };
        let day = time::Duration::days(1);
        leaf(
            "good",
            &["localhost", "127.0.0.1", "::1"],
            now - day,
            now + day * 90,
        );
        leaf(
            "soon",
            &["localhost", "127.0.0.1"],
            now - day,
            now + day * 9,
        );
        leaf(
            "expired",
            &["localhost", "127.0.0.1"],
            now - day * 60,
            now - day * 2,
        );
        leaf(
            "wrong-name",
            &["elsewhere.example"],
            now - day,
            now + day * 90,
        );

        // RSA certificates come from the openssl tool: ring (rcgen's backend here) cannot use RSA
        // keys under 2048 bits, and the matrix needs a 1024-bit one.
        for bits in [1024, 2048] {
            let run = |args: &[&str]| {
                let ok = Command::new("openssl")
                    .args(args)
                    .current_dir(dir)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(ok, "openssl {args:?} failed; scripts/test installs openssl");
            };
            let key = format!("rsa{bits}.key");
            let csr = format!("rsa{bits}.csr");
            run(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                &format!("rsa_keygen_bits:{bits}"),
                "-out",
                &key,
            ]);
            run(&[
                "req",
                "-new",
                "-key",
                &key,
                "-subj",
                "/CN=localhost",
                "-out",
                &csr,
            ]);
            run(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "90",
                "-extfile",
                "san.ext",
                "-out",
                &format!("rsa{bits}.pem"),
            ]);
        }
        Pki {
            dir: dir.to_path_buf(),
        }
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
}

/// A free loopback port (the listener is closed again; nginx binds it right after), never one
/// handed out before in this process: the kernel may give a closed port again at once, and a
/// test asking for dozens of ports then wrote two server blocks on one port (nginx refused the
/// configuration: one block listened with `ssl`, the other had no certificate).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// An nginx started in the foreground in a temporary directory; killed when dropped.
pub struct Nginx {
    child: Child,
    pub dir: tempfile::TempDir,
    pub pki: Pki,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM makes the master stop its workers before it exits; SIGKILL would orphan them.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The nginx binary, or `None` (with a note) when it is not installed and this is not CI.
pub fn nginx_binary() -> Option<PathBuf> {
    for candidate in ["/usr/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(candidate).exists() {
            return Some(candidate.into());
        }
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "nginx is not installed; scripts/test installs it (apt-get install nginx-light)"
    );
    eprintln!("nginx is not installed: live probe test skipped (scripts/test installs it)");
    None
}

impl Nginx {
    /// Starts nginx with `servers` (server blocks; `{dir}` stands for the directory holding the
    /// certificates) and waits until every port in `ports` accepts connections.
    pub fn start(servers: &str, ports: &[u16]) -> Option<Nginx> {
        Nginx::start_with(servers, ports, |_| {})
    }

    /// [`Nginx::start`] for servers listening on other loopback addresses than 127.0.0.1.
    pub fn start_on(servers: &str, listening: &[(&str, u16)]) -> Option<Nginx> {
        let nginx = Nginx::start_with(servers, &[], |_| {})?;
        let deadline = Instant::now() + Duration::from_secs(10);
        for (ip, port) in listening {
            let addr: std::net::IpAddr = ip.parse().unwrap();
            while TcpStream::connect((addr, *port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "nginx did not listen on [{ip}]:{port}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Some(nginx)
    }

    /// [`Nginx::start`], with `prepare` writing more files into the directory first.
    pub fn start_with(servers: &str, ports: &[u16], prepare: impl FnOnce(&Path)) -> Option<Nginx> {
        let binary = nginx_binary()?;
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::new(dir.path());
        prepare(dir.path());
        let root = dir.path().display().to_string();
        let conf = format!(
            "daemon off;\nmaster_process on;\nworker_processes 1;\npid {root}/nginx.pid;\n\
             error_log {root}/error.log;\nevents {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {root}/tmp; proxy_temp_path {root}/tmp;\n  \
             fastcgi_temp_path {root}/tmp; uwsgi_temp_path {root}/tmp; scgi_temp_path {root}/tmp;\n{}\n}}\n",
            servers.replace("{dir}", &root)
        );
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        // Workers may run as another user: let them read what they serve (htpasswd files).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let child = Command::new(binary)
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-p")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .unwrap();
        let nginx = Nginx { child, dir, pki };
        let deadline = Instant::now() + Duration::from_secs(10);
        for port in ports {
            while TcpStream::connect(("127.0.0.1", *port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "nginx did not listen on {port}: {}{}",
                    std::fs::read_to_string(nginx.dir.path().join("stderr.log"))
                        .unwrap_or_default(),
                    std::fs::read_to_string(nginx.dir.path().join("error.log")).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Some(nginx)
    }
}

/// Every header a strong site sends, as nginx lines.
pub const STRONG_HEADERS: &str = r#"
    add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;
    add_header Content-Security-Policy "default-src 'self'; frame-ancestors 'none'" always;
    add_header X-Frame-Options DENY always;
    add_header X-Content-Type-Options nosniff always;
    add_header Referrer-Policy strict-origin-when-cross-origin always;
    add_header Permissions-Policy "camera=(), geolocation=()" always;
"#;

/// A TLS server block on `port` with certificate `cert` and `body` inside.
pub fn tls_server(port: u16, cert: &str, body: &str) -> String {
    format!(
        "server {{\n  listen 127.0.0.1:{port} ssl;\n  ssl_certificate {{dir}}/{cert}.pem;\n  \
         ssl_certificate_key {{dir}}/{cert}.key;\n  ssl_protocols TLSv1.2 TLSv1.3;\n{body}\n}}\n"
    )
}

/// A TLS server on `https` serving `body`, and a plain-HTTP server on `http` redirecting to it.
pub fn redirecting_site(http: u16, https: u16, body: &str) -> String {
    format!(
        "server {{ listen 127.0.0.1:{http}; return 301 https://localhost:{https}$request_uri; }}\n{}",
        tls_server(https, "good", body)
    )
}

/// Runs `liftoff probe` with `args` and returns (exit code, JSON report).
pub fn probe(args: &[&str]) -> (i32, Value) {
    let out = liftoff()
        .arg("probe")
        .args(args)
        .args(["--format", "json", "--timeout", "5"])
        // Ports of this machine's own services are not the tests' business; the port test sets them.
        .args(if args.contains(&"--db-ports") {
            &[][..]
        } else {
            &["--db-ports", "none"][..]
        })
        .env_remove("LIFTOFF_OFFLINE")
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "probe printed no JSON ({e}); exit {code}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, report)
}

/// The (status, message) of one rule's result.
pub fn outcome(report: &Value, rule: &str) -> (String, String) {
    let r = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule)
        .unwrap_or_else(|| panic!("no result for {rule} in {report:#}"));
    (
        r["status"].as_str().unwrap().to_string(),
        r["message"].as_str().unwrap().to_string(),
    )
}

/// Asserts that `rule` has `status` and a message containing `fragment`.
pub fn expect(report: &Value, rule: &str, status: &str, fragment: &str) {
    let (found, message) = outcome(report, rule);
    assert!(
        found == status && message.contains(fragment),
        "{rule}: expected {status} with {fragment:?}, found {found}: {message}"
    );
}

#[test]
fn a_well_configured_web_app_passes_every_live_check() {
    let (https, http) = (free_port(), free_port());
    let servers = redirecting_site(
        http,
        https,
        &format!(
            "{STRONG_HEADERS}\n  location / {{ default_type text/html; return 200 '<html><script src=/app.js></script></html>'; }}\n  \
                 location = /ping {{ add_header Cache-Control no-store always; {STRONG_HEADERS} return 200 'ok'; }}\n  \
                 location = /metrics {{ auth_basic metrics; auth_basic_user_file {{dir}}/htpasswd; {STRONG_HEADERS} add_header Cache-Control no-store always; alias {{dir}}/metrics.txt; }}"
        ),
    );
    let Some(nginx) = Nginx::start(&servers, &[https, http]) else {
        return;
    };
    // `return` would answer before auth_basic runs: the metrics are a file behind the auth.
    std::fs::write(nginx.dir.path().join("htpasswd"), "prom:{PLAIN}secret\n").unwrap();
    std::fs::write(nginx.dir.path().join("metrics.txt"), "up 1\n").unwrap();
    let url = format!("https://localhost:{https}/");
    let ca = nginx.pki.ca();
    let (code, report) = probe(&[
        &url,
        "--http-port",
        &http.to_string(),
        "--health",
        "/ping",
        "--metrics",
        "/metrics",
        "--ca-file",
        ca.to_str().unwrap(),
    ]);
    for rule in [
        "security.https-only",
        "security.http-redirect",
        "security.hsts",
        "security.headers-grade",
        "security.cert-expiry",
        "security.no-downgrade-redirect",
        "security.metrics-auth",
        "security.no-debug",
        "security.tls-grade",
    ] {
        let (status, message) = outcome(&report, rule);
        assert_eq!(status, "pass", "{rule}: {message}");
    }
    assert!(
        outcome(&report, "security.metrics-auth")
            .1
            .contains("Basic")
    );
    assert!(
        outcome(&report, "security.headers-grade")
            .1
            .contains("/ping A+")
    );
    let (status, message) = outcome(&report, "security.tls-grade");
    assert!(
        status == "pass" && message.starts_with("TLS grade A+"),
        "{message}"
    );
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn certificate_problems_are_named() {
    let (expired, wrong, soon, untrusted) = (free_port(), free_port(), free_port(), free_port());
    let servers = [
        tls_server(expired, "expired", STRONG_HEADERS),
        tls_server(wrong, "wrong-name", STRONG_HEADERS),
        tls_server(soon, "soon", STRONG_HEADERS),
        tls_server(untrusted, "good", STRONG_HEADERS),
    ]
    .concat();
    let Some(nginx) = Nginx::start(&servers, &[expired, wrong, soon, untrusted]) else {
        return;
    };
    let ca = nginx.pki.ca();
    let ca = ca.to_str().unwrap();
    let (code, report) = probe(&[&format!("https://localhost:{expired}/"), "--ca-file", ca]);
    assert_eq!(code, 1);
    let (status, message) = outcome(&report, "security.https-only");
    assert_eq!(
        (status.as_str(), message.contains("expired")),
        ("fail", true),
        "{message}"
    );
    expect(&report, "security.cert-expiry", "fail", "expired");
    // Headers behind a bad certificate are still graded (as the Observatory does).
    assert_eq!(outcome(&report, "security.headers-grade").0, "pass");

    let (_, report) = probe(&[&format!("https://localhost:{wrong}/"), "--ca-file", ca]);
    expect(
        &report,
        "security.https-only",
        "fail",
        "not valid for this host name",
    );

    let (_, report) = probe(&[&format!("https://localhost:{soon}/"), "--ca-file", ca]);
    let (status, message) = outcome(&report, "security.cert-expiry");
    assert!(
        status == "fail"
            && (message.contains("expires in 8 days") || message.contains("expires in 9 days")),
        "{status} {message}"
    );

    // Without the private CA the certificate is from an unknown issuer.
    let (_, report) = probe(&[&format!("https://localhost:{untrusted}/")]);
    expect(&report, "security.https-only", "fail", "--ca-file");
}

#[test]
fn a_location_that_drops_the_headers_fails_the_grade_on_that_path() {
    let https = free_port();
    // nginx's trap: an add_header inside a location replaces every server-level add_header.
    let body = format!(
        "{STRONG_HEADERS}\n  location / {{ return 200 'home'; }}\n  \
         location = /health {{ add_header Cache-Control no-store; return 200 'ok'; }}"
    );
    let Some(nginx) = Nginx::start(&tls_server(https, "good", &body), &[https]) else {
        return;
    };
    let ca = nginx.pki.ca();
    let (code, report) = probe(&[
        &format!("https://localhost:{https}/"),
        "--health",
        "/health",
        "--ca-file",
        ca.to_str().unwrap(),
        "--http-port",
        &free_port().to_string(),
    ]);
    assert_eq!(code, 1);
    let (status, message) = outcome(&report, "security.headers-grade");
    assert_eq!(status, "fail");
    assert!(message.contains("/health is F"), "{message}");
    assert!(
        !message.contains("/ is"),
        "the root path keeps its headers: {message}"
    );
    // Nothing listens on the plain-HTTP port: a web app must redirect there.
    expect(&report, "security.http-redirect", "fail", "refuses");
}

#[test]
fn apis_must_not_answer_plain_http_and_metrics_must_be_closed() {
    let (https, http) = (free_port(), free_port());
    let servers = redirecting_site(
        http,
        https,
        &format!(
            "{STRONG_HEADERS}\n  location / {{ return 401; }}\n  \
                 location = /metrics {{ {STRONG_HEADERS} add_header Cache-Control 'public, max-age=300'; return 200 'up 1'; }}\n  \
                 location /liftoff-probe- {{ default_type text/html; return 404 '<h1>Page not found</h1><p>Using the URLconf defined in <code>app.urls</code></p>'; }}"
        ),
    );
    let Some(nginx) = Nginx::start(&servers, &[https, http]) else {
        return;
    };
    let ca = nginx.pki.ca();
    let (code, report) = probe(&[
        &format!("https://localhost:{https}/"),
        "--kind",
        "api",
        "--http-port",
        &http.to_string(),
        "--metrics",
        "/metrics",
        "--ca-file",
        ca.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    expect(&report, "security.http-disabled", "fail", "301 redirect");
    expect(&report, "security.metrics-auth", "fail", "open to anyone");
    expect(
        &report,
        "monitoring.no-cache-metrics",
        "fail",
        "/metrics (Cache-Control: public",
    );
    expect(&report, "security.no-debug", "fail", "Django");
    // An API is not a web app: no redirect rule for it.
    assert!(
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["rule"] != "security.http-redirect")
    );
}

#[test]
fn an_api_whose_plain_http_is_closed_passes_and_unreachable_endpoints_are_errors() {
    let https = free_port();
    let Some(nginx) = Nginx::start(
        &tls_server(
            https,
            "good",
            &format!("{STRONG_HEADERS}\n  location / {{ return 401; }}"),
        ),
        &[https],
    ) else {
        return;
    };
    let ca = nginx.pki.ca();
    let closed = free_port();
    let (_, report) = probe(&[
        &format!("https://localhost:{https}/"),
        "--kind",
        "api",
        "--http-port",
        &closed.to_string(),
        "--ca-file",
        ca.to_str().unwrap(),
    ]);
    expect(&report, "security.http-disabled", "pass", "refuses");
    expect(&report, "security.api-authorizer", "pass", "401");

    // A database port open on the API's host fails; a closed one passes.
    let database = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = database.local_addr().unwrap().port();
    let closed = free_port();
    let url = format!("https://localhost:{https}/");
    let ca_arg = ca.to_str().unwrap();
    let ports = format!("{open},{closed}");
    let (_, report) = probe(&[
        &url,
        "--kind",
        "api",
        "--ca-file",
        ca_arg,
        "--db-ports",
        &ports,
    ]);
    let (status, message) = outcome(&report, "security.db-not-public");
    assert!(
        status == "fail" && message.ends_with(&format!("port(s) {open}")),
        "{message}"
    );
    let closed = closed.to_string();
    let (_, report) = probe(&[
        &url,
        "--kind",
        "api",
        "--ca-file",
        ca_arg,
        "--db-ports",
        &closed,
    ]);
    assert_eq!(outcome(&report, "security.db-not-public").0, "pass");
    drop(database);

    // The web app of the first test answers 200: as an API, anyone could call it.
    let open_api = free_port();
    let Some(nginx_open) = Nginx::start(
        &tls_server(
            open_api,
            "good",
            &format!("{STRONG_HEADERS}\n  location / {{ return 200 'data'; }}"),
        ),
        &[open_api],
    ) else {
        return;
    };
    let ca_open = nginx_open.pki.ca();
    let (_, report) = probe(&[
        &format!("https://localhost:{open_api}/"),
        "--kind",
        "api",
        "--ca-file",
        ca_open.to_str().unwrap(),
    ]);
    expect(
        &report,
        "security.api-authorizer",
        "fail",
        "anyone can call it",
    );

    let nothing = free_port();
    let (code, report) = probe(&[&format!("https://127.0.0.1:{nothing}/"), "--kind", "api"]);
    assert_eq!(code, 1);
    expect(&report, "security.https-only", "error", "refused");
}

#[test]
fn check_probes_the_endpoints_of_the_manifest_unless_offline() {
    let (https, http) = (free_port(), free_port());
    let servers = redirecting_site(
        http,
        https,
        &format!("{STRONG_HEADERS}\n  location / {{ return 200 'ok'; }}"),
    );
    let Some(nginx) = Nginx::start(&servers, &[https, http]) else {
        return;
    };
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!(
            "service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
             - {{url: \"https://localhost:{https}/\", kind: web-app, http_url: \"http://localhost:{http}/\", metrics: /metrics}}\n\
             waivers:\n  - {{rule: security.metrics-auth, target: \"https://localhost:{https}/\", \
             reason: \"metrics are synthetic in this test\", owner: ops@example.org, expires: 2099-01-01}}\n"
        ),
    )
    .unwrap();
    let ca = nginx.pki.ca();
    let run = |offline: bool| {
        let mut cmd = liftoff();
        cmd.arg("check").arg(project.path()).args([
            "--format",
            "json",
            "--ca-file",
            ca.to_str().unwrap(),
        ]);
        if !offline {
            cmd.env_remove("LIFTOFF_OFFLINE");
        }
        let out = cmd.output().unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let live = run(false);
    assert_eq!(outcome(&live, "security.http-redirect").0, "pass");
    // /metrics answers 200 to anyone: a fail, turned into waived by the manifest's waiver.
    expect(&live, "security.metrics-auth", "waived", "open to anyone");
    assert_eq!(outcome(&live, "security.hsts").0, "pass");
    let offline = run(true);
    expect(&offline, "security.hsts", "skipped", "--offline");
}

/// The MDN HTTP Observatory package, installed by scripts/test into tests/observatory.
fn observatory_package() -> Option<PathBuf> {
    let dir = std::env::var_os("LIFTOFF_OBSERVATORY")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            super::support::root().join("tests/observatory/node_modules/@mdn/mdn-http-observatory")
        });
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if dir.join("src/retriever/retriever.js").exists() && node {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the MDN HTTP Observatory is not installed at {}; scripts/test installs it with npm",
        dir.display()
    );
    eprintln!("MDN HTTP Observatory not installed: comparison skipped (scripts/test installs it)");
    None
}

/// Header configurations of the comparison: a name, the HTTPS server's directives, and what the
/// plain-HTTP port does.
fn observatory_matrix() -> Vec<(&'static str, String, &'static str)> {
    let page = |headers: &str, html: &str| {
        format!("{headers}\n  location / {{ default_type text/html; return 200 '{html}'; }}")
    };
    let redirect = "redirect";
    vec![
        ("bare", page("", "<p>hi</p>"), redirect),
        ("strong", page(STRONG_HEADERS, "<p>hi</p>"), redirect),
        (
            "csp-none-corp",
            page(
                "add_header Content-Security-Policy \"default-src 'none'\" always;\n  add_header Cross-Origin-Resource-Policy same-origin always;\n  add_header Referrer-Policy no-referrer always;",
                "<p>hi</p>",
            ),
            redirect,
        ),
        (
            "csp-unsafe-inline",
            page(
                "add_header Content-Security-Policy \"default-src 'self'; script-src 'self' 'unsafe-inline'\" always;",
                "<p>hi</p>",
            ),
            redirect,
        ),
        (
            "csp-unsafe-eval-nonce",
            page(
                "add_header Content-Security-Policy \"script-src 'nonce-abc' 'unsafe-inline' 'unsafe-eval'; object-src 'none'\" always;",
                "<p>hi</p>",
            ),
            redirect,
        ),
        (
            "csp-insecure-scheme",
            page(
                "add_header Content-Security-Policy \"default-src 'self'; img-src http://img.example.com; script-src 'self' http://cdn.example.com\" always;",
                "<p>hi</p>",
            ),
            redirect,
        ),
        (
            "hsts-short-xfo-bad",
            page(
                "add_header Strict-Transport-Security max-age=3600 always;\n  add_header X-Frame-Options ALLOWALL always;\n  add_header X-Content-Type-Options sniff always;",
                "<p>hi</p>",
            ),
            redirect,
        ),
        (
            "hsts-malformed-referrer-unsafe",
            page(
                "add_header Strict-Transport-Security includeSubDomains always;\n  add_header Referrer-Policy unsafe-url always;\n  add_header Cross-Origin-Resource-Policy bogus always;",
                "<p>hi</p>",
            ),
            redirect,
        ),
        (
            "session-cookie-insecure",
            page(
                "add_header Strict-Transport-Security max-age=31536000 always;\n  add_header Set-Cookie \"sessionid=abc; Path=/\" always;\n  add_header Set-Cookie \"csrftoken=x; Path=/; Secure\" always;",
                "<p>hi</p>",
            ),
            redirect,
        ),
        (
            "cookies-good",
            page(
                "add_header Strict-Transport-Security max-age=31536000 always;\n  add_header Set-Cookie \"__Host-sess=abc; Path=/; Secure; HttpOnly; SameSite=Lax\" always;\n  add_header Set-Cookie \"__Secure-bad=1; Path=/\" always;",
                "<p>hi</p>",
            ),
            redirect,
        ),
        (
            "meta-csp-external-script",
            page(
                "add_header X-Content-Type-Options nosniff always;",
                "<html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src https: ; frame-ancestors none\"><meta name=\"referrer\" content=\"origin\"><script src=\"https://cdn.example.com/lib.js\"></script><script src=\"/app.js\" integrity=\"sha384-x\"></script></head></html>",
            ),
            redirect,
        ),
        (
            "cors-open-sri-insecure",
            page(
                "add_header Access-Control-Allow-Origin * always;",
                "<html><script src=\"http://cdn.example.com/x.js\"></script></html>",
            ),
            redirect,
        ),
        (
            "http-served-plain",
            page(STRONG_HEADERS, "<p>hi</p>"),
            "serve",
        ),
        ("http-closed", page(STRONG_HEADERS, "<p>hi</p>"), "closed"),
    ]
}

#[test]
fn observatory_scores_agree_with_the_mdn_http_observatory() {
    let Some(package) = observatory_package() else {
        return;
    };
    let matrix = observatory_matrix();
    let ports: Vec<(u16, u16)> = matrix.iter().map(|_| (free_port(), free_port())).collect();
    let mut servers = String::new();
    let mut listening = Vec::new();
    for ((_, body, http), (https, plain)) in matrix.iter().zip(&ports) {
        servers.push_str(&tls_server(*https, "good", body));
        listening.push(*https);
        match *http {
            "redirect" => servers.push_str(&format!(
                "server {{ listen 127.0.0.1:{plain}; return 301 https://localhost:{https}$request_uri; }}\n"
            )),
            "serve" => servers.push_str(&format!(
                "server {{ listen 127.0.0.1:{plain}; location / {{ return 200 'plain'; }} }}\n"
            )),
            _ => continue,
        }
        listening.push(*plain);
    }
    let Some(nginx) = Nginx::start(&servers, &listening) else {
        return;
    };
    let ca = nginx.pki.ca();
    let harness = super::support::root().join("tests/observatory/harness.mjs");
    let mut table = vec![format!(
        "{:<32} {:>14} {:>14}  differences",
        "configuration", "Observatory", "liftoff"
    )];
    let mut disagreements = Vec::new();
    for ((name, _, _), (https, plain)) in matrix.iter().zip(&ports) {
        let out = Command::new("node")
            .arg(&harness)
            .arg(&package)
            .args(["localhost", &plain.to_string(), &https.to_string()])
            .env("NODE_EXTRA_CA_CERTS", &ca)
            .output()
            .unwrap();
        let theirs: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{name}: harness said {e}: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let (_, report) = probe(&[
            &format!("https://localhost:{https}/"),
            "--http-port",
            &plain.to_string(),
            "--ca-file",
            ca.to_str().unwrap(),
        ]);
        let result = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "security.headers-grade")
            .unwrap();
        let ours = &result["evidence"]["observatory"];
        let mut differences = Vec::new();
        for key in ["score", "grade"] {
            if ours[key] != theirs[key] {
                differences.push(format!("{key} {} vs {}", ours[key], theirs[key]));
            }
        }
        for test in ours["tests"].as_array().unwrap() {
            let test_name = test["name"].as_str().unwrap();
            let their = &theirs["tests"][test_name];
            for (key, their_key) in [
                ("result", "result"),
                ("modifier", "modifier"),
                ("pass", "pass"),
            ] {
                if test[key] != their[their_key] {
                    differences.push(format!(
                        "{test_name}.{key} {} vs {}",
                        test[key], their[their_key]
                    ));
                }
            }
        }
        table.push(format!(
            "{:<32} {:>14} {:>14}  {}",
            name,
            format!(
                "{} ({})",
                theirs["grade"].as_str().unwrap_or("?"),
                theirs["score"]
            ),
            format!(
                "{} ({})",
                ours["grade"].as_str().unwrap_or("?"),
                ours["score"]
            ),
            if differences.is_empty() {
                "none".to_string()
            } else {
                differences.join("; ")
            }
        ));
        if !differences.is_empty() {
            disagreements.push(name.to_string());
        }
    }
    println!("{}", table.join("\n"));
    assert!(
        disagreements.is_empty(),
        "disagreements:\n{}",
        table.join("\n")
    );
}

/// A peer that accepts connections and then misbehaves in `how`, for as long as the test runs.
fn bad_peer(how: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            match how {
                // Closed at once: the client sees a reset or an early end of stream.
                "reset" => drop(stream),
                // Never answers: only the client's timeout ends the wait.
                "hang" => held.push(stream),
                // Speaks something that is not HTTP.
                _ => {
                    use std::io::Write;
                    let mut stream = stream;
                    let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2\r\n");
                }
            }
        }
    });
    port
}

#[test]
fn resetting_hanging_and_non_http_peers_are_errors_not_crashes() {
    for (how, expected) in [
        ("reset", "TLS handshake"),
        ("hang", "no handshake within 1 s"),
    ] {
        let port = bad_peer(how);
        let started = Instant::now();
        let (code, report) = probe(&[
            &format!("https://127.0.0.1:{port}/"),
            "--kind",
            "api",
            "--tls-timeout",
            "1",
            "--http-port",
            &bad_peer("garbage").to_string(),
        ]);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{how}: probe took too long"
        );
        assert_eq!(code, 1, "{how}");
        expect(&report, "security.https-only", "error", expected);
        // A port that speaks another protocol gives no HTTP answer: plain HTTP is not served.
        expect(&report, "security.http-disabled", "pass", "no HTTP answer");
    }
}

#[test]
fn health_conditions_read_the_json_body() {
    let https = free_port();
    let body = format!(
        "{STRONG_HEADERS}\n  default_type application/json;\n  \
         location = /up {{ return 200 '{{\"status\": \"UP\", \"checks\": {{\"db\": true}}}}'; }}\n  \
         location = /down {{ return 200 '{{\"status\": \"DOWN\"}}'; }}\n  \
         location = /text {{ default_type text/plain; return 200 'ok'; }}"
    );
    let Some(nginx) = Nginx::start(&tls_server(https, "good", &body), &[https]) else {
        return;
    };
    let ca = nginx.pki.ca();
    let url = format!("https://localhost:{https}/");
    let check = |path: &str, condition: &str| {
        let (_, report) = probe(&[
            &url,
            "--kind",
            "api",
            "--ca-file",
            ca.to_str().unwrap(),
            "--health",
            path,
            "--health-condition",
            condition,
        ]);
        outcome(&report, "monitoring.health-endpoint")
    };
    let (status, message) = check("/up", r#"status == "UP""#);
    assert!(status == "pass" && message.contains("holds"), "{message}");
    assert_eq!(check("/up", "checks.db == true").0, "pass");
    let (status, message) = check("/down", r#"status == "UP""#);
    assert!(
        status == "fail" && message.contains(r#"found "DOWN""#),
        "{message}"
    );
    let (status, message) = check("/text", r#"status == "UP""#);
    assert!(
        status == "fail" && message.contains("not JSON"),
        "{message}"
    );
    let (status, message) = check("/up", r#"status != "UP""#);
    assert!(status == "fail", "{message}");
}

#[test]
fn a_malformed_health_condition_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        "service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
         - {url: \"https://api.example.org\", kind: api, health: /ping, health_condition: \"status = UP\"}\n",
    )
    .unwrap();
    super::support::assert_check_input_error(
        dir.path(),
        &["liftoff.yaml:6", "health_condition: no `==` or `!=`"],
    );
    let out = liftoff()
        .args([
            "probe",
            "https://127.0.0.1:1/",
            "--health-condition",
            "status == UP",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn ipv6_endpoints_are_probed_like_ipv4_ones() {
    let https = free_port();
    let servers = format!(
        "server {{\n  listen [::1]:{https} ssl;\n  ssl_certificate {{dir}}/good.pem;\n  \
         ssl_certificate_key {{dir}}/good.key;\n  ssl_protocols TLSv1.2 TLSv1.3;\n{STRONG_HEADERS}\n  \
         location / {{ return 200 'ok'; }}\n}}\n"
    );
    let Some(nginx) = Nginx::start_on(&servers, &[("::1", https)]) else {
        return;
    };
    let ca = nginx.pki.ca();
    let (_, report) = probe(&[
        &format!("https://[::1]:{https}/"),
        "--kind",
        "api",
        "--ca-file",
        ca.to_str().unwrap(),
    ]);
    let (status, message) = outcome(&report, "security.https-only");
    assert_eq!(status, "pass", "{message}");
    expect(&report, "security.tls-grade", "pass", "TLSv1.2, TLSv1.3");
}

#[test]
fn probe_reports_in_every_format_and_sarif_validates() {
    let https = free_port();
    let Some(nginx) = Nginx::start(
        &tls_server(
            https,
            "good",
            "  location / { return 200 'no headers here'; }",
        ),
        &[https],
    ) else {
        return;
    };
    let ca = nginx.pki.ca();
    let url = format!("https://localhost:{https}/");
    for format in ["text", "sarif", "junit", "markdown", "html"] {
        let out = liftoff()
            .env_remove("LIFTOFF_OFFLINE")
            .args([
                "probe",
                &url,
                "--db-ports",
                "none",
                "--ca-file",
                ca.to_str().unwrap(),
            ])
            .args(["--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("security.hsts"), "{format}: {text}");
        if format == "text" {
            // Grades come first, the Observatory's per-test results last.
            assert!(text.starts_with(&url), "{text}");
            assert!(text.contains("hsts-not-implemented"), "{text}");
        }
        if format == "sarif" {
            let sarif: Value = serde_json::from_str(&text).unwrap();
            let errors = super::support::sarif_schema_errors(&sarif);
            assert!(errors.is_empty(), "{errors:?}");
        }
    }
}
