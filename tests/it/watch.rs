//! `liftoff watch --once` against nginx on loopback, with a real SQLite store and a webhook
//! receiver that fails its first delivery: the alert still arrives, exactly once.

use super::live::{Nginx, STRONG_HEADERS, free_port, redirecting_site};
use super::support::liftoff;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A webhook receiver on loopback: answers 500 to the first `failures` requests, 200 after, and
/// keeps every request (headers and body) it accepted.
struct Receiver {
    port: u16,
    accepted: Arc<Mutex<Vec<String>>>,
    seen: Arc<Mutex<usize>>,
}

impl Receiver {
    fn start(failures: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(Mutex::new(0));
        let (accepted_in, seen_in) = (accepted.clone(), seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut head = String::new();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let count = {
                    let mut seen = seen_in.lock().unwrap();
                    *seen += 1;
                    *seen
                };
                let status = if count <= failures {
                    "500 Internal Server Error"
                } else {
                    accepted_in
                        .lock()
                        .unwrap()
                        .push(format!("{head}\n{}", String::from_utf8_lossy(&body)));
                    "200 OK"
                };
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Receiver {
            port,
            accepted,
            seen,
        }
    }
}

/// A fresh PostgreSQL database on the server scripts/test starts (`LIFTOFF_TEST_POSTGRES`), or
/// `None` (with a note) when there is none and this is not CI.
fn postgres_database() -> Option<String> {
    let Some(server) = std::env::var("LIFTOFF_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "LIFTOFF_TEST_POSTGRES is not set; scripts/test starts PostgreSQL and sets it"
        );
        eprintln!("no PostgreSQL (LIFTOFF_TEST_POSTGRES): the PostgreSQL case is skipped");
        return None;
    };
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!(
        "liftoff_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let created = std::process::Command::new("psql")
        .arg(format!("{}/postgres", server.trim_end_matches('/')))
        .args(["-qc", &format!("CREATE DATABASE {name}")])
        .status()
        .unwrap();
    assert!(
        created.success(),
        "cannot create database {name} on {server}"
    );
    Some(format!("{}/{name}", server.trim_end_matches('/')))
}

#[test]
fn a_failing_check_alerts_once_even_when_the_first_delivery_fails() {
    alert_once_scenario(None);
}

#[test]
fn the_same_alert_scenario_on_postgresql() {
    if let Some(db) = postgres_database() {
        alert_once_scenario(Some(db));
    }
}

fn alert_once_scenario(db: Option<String>) {
    let Some((nginx, https, http)) = open_metrics_site() else {
        return;
    };
    let receiver = Receiver::start(1);
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!(
            "service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
             - {{url: \"https://localhost:{https}/\", kind: web-app, http_url: \"http://localhost:{http}/\", \
             health: /, metrics: /metrics}}\nmonitoring:\n  channels: [{{webhook: LIFTOFF_TEST_HOOK}}]\n"
        ),
    )
    .unwrap();
    let ca = nginx.pki.ca();
    let run = || {
        let out = liftoff()
            .arg("watch")
            .arg(project.path())
            .args(["--once", "--failure-threshold", "1", "--retry-after", "1"])
            .args(db.iter().flat_map(|d| ["--db", d.as_str()]))
            .args(["--ca-file", ca.to_str().unwrap()])
            .env(
                "LIFTOFF_TEST_HOOK",
                format!("http://127.0.0.1:{}/hook", receiver.port),
            )
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, first) = run();
    assert_eq!(code, 1, "{first}");
    assert!(
        first.contains("FAIL down  production:metrics-auth:") && first.contains("[down #1]"),
        "{first}"
    );
    assert!(first.contains("ok   up    production:health:"), "{first}");
    assert!(first.contains("alerts: 0 sent, 1 to retry"), "{first}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // Still failing: no new transition, and the queued alert is delivered now.
    let (_, second) = run();
    assert!(!second.contains("[down #"), "{second}");
    assert!(second.contains("alerts: 1 sent, 0 to retry"), "{second}");
    let (_, third) = run();
    assert!(third.contains("alerts: 0 sent, 0 to retry"), "{third}");

    assert_eq!(
        *receiver.seen.lock().unwrap(),
        2,
        "one failed and one accepted delivery"
    );
    let accepted = receiver.accepted.lock().unwrap();
    assert_eq!(accepted.len(), 1);
    let request = &accepted[0];
    assert!(
        request.contains("idempotency-key: production:metrics-auth:"),
        "{request}"
    );
    assert!(request.contains("\"transition\":\"down\""), "{request}");
    assert!(request.contains("metrics are open"), "{request}");
    // Without --db, history and state live in the SQLite file next to the manifest.
    assert_eq!(
        project.path().join("liftoff-watch.db").exists(),
        db.is_none()
    );
}

#[test]
fn watch_without_endpoints_says_why() {
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        "service: shop\nenvironments:\n  production: {kind: production}\n",
    )
    .unwrap();
    let out = liftoff()
        .arg("watch")
        .arg(project.path())
        .arg("--once")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to watch"));
}

#[test]
fn the_daemon_runs_checks_on_their_interval_and_stops_cleanly_on_sigterm() {
    let Some((nginx, project)) = healthy_site_checked_every_second("shop") else {
        return;
    };
    let ca = nginx.pki.ca();
    let binary = assert_cmd::cargo::cargo_bin("liftoff");
    let api = free_port();
    let mut daemon = KillOnDrop(
        std::process::Command::new(binary)
            .arg("watch")
            .arg(project.path())
            .args(["--ca-file", ca.to_str().unwrap()])
            .args(["--listen", &format!("127.0.0.1:{api}")])
            .env("LIFTOFF_WATCH_TOKEN", "s3cret-token-for-tests")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(std::time::Duration::from_millis(3500));

    // The API: /healthz is open, everything else needs the token.
    let (status, _, body) = get(api, "/healthz", None);
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let (status, headers, _) = get(api, "/api/status", None);
    assert_eq!(status, 401);
    assert!(headers.contains("www-authenticate: bearer"), "{headers}");
    let (status, _, _) = get(api, "/api/status", Some("Bearer wrong"));
    assert_eq!(status, 401);
    let (status, headers, body) = get(api, "/api/status", Some("Bearer s3cret-token-for-tests"));
    assert_eq!(status, 200, "{body}");
    assert!(headers.contains("cache-control: no-store"), "{headers}");
    let status_json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let checks = status_json["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 4, "{body}");
    assert!(checks.iter().all(|c| c["health"] == "up"), "{body}");
    let id = checks[0]["id"]
        .as_str()
        .unwrap()
        .replace(':', "%3A")
        .replace('/', "%2F");
    let (status, _, body) = get(
        api,
        &format!("/api/checks/{id}/history"),
        Some("Bearer s3cret-token-for-tests"),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"results\":[{"), "{body}");
    // A page of one, with the cursor of the next.
    let (status, _, body) = get(
        api,
        &format!("/api/checks/{id}/history?limit=1&ok=true"),
        Some("Bearer s3cret-token-for-tests"),
    );
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value =
        serde_json::from_str(body.lines().find(|l| l.starts_with('{')).unwrap_or(&body)).unwrap();
    assert_eq!(page["results"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(page["next_before"], page["results"][0]["at"], "{body}");
    let (status, _, body) = get(api, "/metrics", Some("Bearer s3cret-token-for-tests"));
    assert_eq!(status, 200);
    // One series per check, labelled by the check alone; where it belongs is said once.
    let up: Vec<&str> = body
        .lines()
        .filter(|l| l.starts_with("liftoff_check_up{"))
        .collect();
    assert!(!up.is_empty(), "{body}");
    assert!(
        up.iter()
            .all(|l| l.starts_with("liftoff_check_up{check=\"") && !l.contains("environment=")),
        "{body}"
    );
    assert_eq!(
        body.lines()
            .filter(|l| l.starts_with("liftoff_check_info{")
                && l.contains("environment=\"")
                && l.ends_with("} 1"))
            .count(),
        up.len(),
        "{body}"
    );
    assert!(
        body.contains("liftoff_certificate_expiry_timestamp_seconds{"),
        "{body}"
    );
    assert!(body.contains("liftoff_alerts_pending 0"), "{body}");
    let pid = daemon.0.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = daemon.0.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(15) {
            panic!("watch did not stop within 15 s of SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let mut out = String::new();
    daemon
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    // Four checks, each run at least twice in 3.5 s at a 1 s interval.
    let health_runs = out
        .lines()
        .filter(|l| l.contains("production:health:"))
        .count();
    assert!(health_runs >= 2, "{out}");
    assert!(out.lines().all(|l| l.starts_with("ok ")), "{out}");
}

/// A healthy site behind a plain-HTTP redirect, and a project whose manifest watches it (with a
/// health path) every second: (nginx, project directory).
fn healthy_site_checked_every_second(service: &str) -> Option<(Nginx, tempfile::TempDir)> {
    let (https, http) = (free_port(), free_port());
    let servers = redirecting_site(
        http,
        https,
        &format!("{STRONG_HEADERS}\n  location / {{ return 200 'ok'; }}"),
    );
    let nginx = Nginx::start(&servers, &[https, http])?;
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!(
            "service: {service}\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
             - {{url: \"https://localhost:{https}/\", kind: web-app, http_url: \"http://localhost:{http}/\", health: /}}\n\
             monitoring:\n  canaries: [{{target: \"https://localhost:{https}/\", interval: 1s}}]\n"
        ),
    )
    .unwrap();
    Some((nginx, project))
}

/// A site whose metrics path is open to anyone (so the metrics-auth check fails), behind a
/// plain-HTTP redirect: (nginx, HTTPS port, HTTP port).
fn open_metrics_site() -> Option<(Nginx, u16, u16)> {
    let (https, http) = (free_port(), free_port());
    let servers = redirecting_site(
        http,
        https,
        &format!(
            "{STRONG_HEADERS}\n  location / {{ return 200 'ok'; }}\n  \
             location = /metrics {{ {STRONG_HEADERS} return 200 'up 1'; }}"
        ),
    );
    Nginx::start(&servers, &[https, http]).map(|nginx| (nginx, https, http))
}

/// A child process killed (by PID) when the test ends, passing or not.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// (health, last message) of the first check `/api/status` lists.
fn first_check(api: u16, authorization: Option<&str>) -> (String, String) {
    let (_, _, body) = get(api, "/api/status", authorization);
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    let check = &status["checks"][0];
    (
        check["health"].as_str().unwrap_or_default().to_string(),
        check["last_message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// A plain HTTP/1.1 GET on loopback: (status, lower-cased headers, body).
fn get(port: u16, path: &str, authorization: Option<&str>) -> (u16, String, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let auth = authorization
        .map(|a| format!("authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n{auth}connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_string())
}

#[test]
fn the_server_refuses_a_public_address_without_credentials() {
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!(
            "service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
             - {{url: \"https://127.0.0.1:{}/\", kind: api}}\n",
            free_port()
        ),
    )
    .unwrap();
    let out = liftoff()
        .arg("watch")
        .arg(project.path())
        .args(["--listen", &format!("0.0.0.0:{}", free_port())])
        .env_remove("LIFTOFF_WATCH_TOKEN")
        .env_remove("LIFTOFF_WATCH_USER")
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refusing to listen on 0.0.0.0"), "{stderr}");
    assert!(stderr.contains("LIFTOFF_WATCH_TOKEN"), "{stderr}");
}

/// A plain HTTP/1.1 POST on loopback: the status code.
fn post(port: u16, path: &str, authorization: Option<&str>) -> u16 {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let auth = authorization
        .map(|a| format!("authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n{auth}content-length: 0\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn backup_heartbeats_keep_the_backup_check_healthy_and_a_reported_failure_turns_it() {
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        heartbeat_manifest("every: 1s"),
    )
    .unwrap();
    let api = free_port();
    let daemon = KillOnDrop(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("liftoff"))
            .arg("watch")
            .arg(project.path())
            .args(["--listen", &format!("127.0.0.1:{api}")])
            .args([
                "--heartbeat-grace",
                "2",
                "--failure-threshold",
                "1",
                "--success-threshold",
                "1",
            ])
            .env("LIFTOFF_WATCH_TOKEN", "heartbeat-token-0123")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let token = Some("Bearer heartbeat-token-0123");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", api)).is_err() {
        assert!(std::time::Instant::now() < deadline, "watch did not listen");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let health = || first_check(api, token);
    assert_eq!(post(api, "/api/heartbeat/registry-db", None), 401);
    assert_eq!(post(api, "/api/heartbeat/unknown-db", token), 404);
    assert_eq!(
        post(api, "/api/heartbeat/registry-db?status=maybe", token),
        400
    );
    assert_eq!(post(api, "/api/heartbeat/registry-db", token), 200);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let (state, message) = health();
    assert!(
        state == "up" && message.contains("reported success"),
        "{state}: {message}"
    );
    assert_eq!(
        post(
            api,
            "/api/heartbeat/registry-db?status=fail&msg=disk%20full",
            token
        ),
        200
    );
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let (state, message) = health();
    assert!(
        state == "down" && message.contains("disk full"),
        "{state}: {message}"
    );
    drop(daemon);
}

/// Debian's Chromium, or `None` (with a note) when it is not installed and this is not CI.
fn chromium() -> Option<&'static str> {
    if std::path::Path::new("/usr/bin/chromium").exists() {
        return Some("/usr/bin/chromium");
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "chromium is not installed; scripts/test installs it"
    );
    eprintln!("chromium is not installed: dashboard test skipped");
    None
}

#[test]
fn the_dashboard_renders_in_headless_chromium_without_external_requests() {
    let Some(browser) = chromium() else {
        return;
    };
    let Some((nginx, project)) = healthy_site_checked_every_second("registry") else {
        return;
    };
    let api = free_port();
    let _daemon = KillOnDrop(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("liftoff"))
            .arg("watch")
            .arg(project.path())
            .args(["--ca-file", nginx.pki.ca().to_str().unwrap()])
            .args(["--listen", &format!("127.0.0.1:{api}")])
            .env("LIFTOFF_WATCH_USER", "ops")
            .env("LIFTOFF_WATCH_PASSWORD", "dashboard-pw")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let url = format!("http://ops:dashboard-pw@127.0.0.1:{api}/");
    let profile = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        std::process::Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(&url)
            .output()
            .unwrap()
    };
    let dom = String::from_utf8(run(&["--dump-dom"]).stdout).unwrap();
    assert!(dom.contains("<h1>registry</h1>"), "{dom}");
    assert!(dom.contains("4 checks"), "{dom}");
    assert!(
        dom.contains("production: NOT READY"),
        "the readiness of check --offline: {dom}"
    );
    assert!(dom.contains("class=\"up\">up</td>"), "{dom}");
    assert!(!dom.contains("class=\"down\">down</td>"), "{dom}");
    // Everything is inline: no stylesheet, script or image is fetched from anywhere.
    for attribute in ["src=", "href=", "@import", "url("] {
        assert!(!dom.contains(attribute), "{attribute} in {dom}");
    }
    let shot = project.path().join("dashboard.png");
    let out = run(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=1280,800",
    ]);
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
}

#[test]
fn kill_9_mid_run_loses_no_committed_result_and_no_queued_alert() {
    let Some((nginx, https, http)) = open_metrics_site() else {
        return;
    };
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!(
            "service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
             - {{url: \"https://localhost:{https}/\", kind: web-app, http_url: \"http://localhost:{http}/\", metrics: /metrics}}\n\
             monitoring:\n  canaries: [{{target: \"https://localhost:{https}/\", interval: 1s}}]\n  \
             channels: [{{webhook: LIFTOFF_TEST_HOOK}}]\n"
        ),
    )
    .unwrap();
    let ca = nginx.pki.ca();
    // First life: the metrics check fails and queues its alert; the receiver is not there yet.
    let mut daemon = KillOnDrop(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("liftoff"))
            .arg("watch")
            .arg(project.path())
            .args([
                "--ca-file",
                ca.to_str().unwrap(),
                "--failure-threshold",
                "1",
            ])
            .args(["--listen", &format!("127.0.0.1:{}", free_port())])
            .env_remove("LIFTOFF_TEST_HOOK")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(std::time::Duration::from_millis(2700));
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &daemon.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = daemon.0.wait();

    // What was committed is all there and consistent.
    let db = project.path().join("liftoff-watch.db");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let metrics_check = format!("production:metrics-auth:https://localhost:{https}/");
    let (history, state, pending) = runtime.block_on(async {
        let store = liftoff::watch::store::Store::open(db.to_str().unwrap())
            .await
            .unwrap();
        let found = (
            store.history(&metrics_check, 100).await.unwrap(),
            store.state(&metrics_check).await.unwrap(),
            store.pending_alerts().await.unwrap(),
        );
        store.close().await;
        found
    });
    assert!(history.len() >= 2, "{history:?}");
    assert!(history.iter().all(|r| !r.ok));
    assert_eq!(state.incident, 1, "one incident, however many runs");
    assert_eq!(pending, 1, "the queued alert survived the kill");

    // Second life: the receiver is up; the alert from before the kill is delivered, once.
    let receiver = Receiver::start(0);
    for _ in 0..2 {
        let out = liftoff()
            .arg("watch")
            .arg(project.path())
            .args([
                "--once",
                "--ca-file",
                ca.to_str().unwrap(),
                "--failure-threshold",
                "1",
            ])
            .env(
                "LIFTOFF_TEST_HOOK",
                format!("http://127.0.0.1:{}/", receiver.port),
            )
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
    }
    assert_eq!(receiver.accepted.lock().unwrap().len(), 1);
}

#[test]
fn the_watch_server_over_tls_scores_at_least_a_on_liftoffs_own_probe() {
    let certs = tempfile::tempdir().unwrap();
    let pki = super::live::Pki::new(certs.path());
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!(
            "service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
             - {{url: \"https://127.0.0.1:{}/\", kind: api}}\n",
            free_port()
        ),
    )
    .unwrap();
    let api = free_port();
    let _daemon = KillOnDrop(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("liftoff"))
            .arg("watch")
            .arg(project.path())
            .args(["--listen", &format!("127.0.0.1:{api}")])
            .arg("--tls-cert")
            .arg(certs.path().join("good.pem"))
            .arg("--tls-key")
            .arg(certs.path().join("good.key"))
            .env("LIFTOFF_WATCH_TOKEN", "t0ken-of-sixteen-chars")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", api)).is_err() {
        assert!(std::time::Instant::now() < deadline, "watch did not listen");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (_, report) = super::live::probe(&[
        &format!("https://localhost:{api}/healthz"),
        "--kind",
        "api",
        "--ca-file",
        pki.ca().to_str().unwrap(),
        "--http-port",
        &free_port().to_string(),
    ]);
    super::live::expect(
        &report,
        "security.https-only",
        "pass",
        "trusted certificate",
    );
    super::live::expect(&report, "security.headers-grade", "pass", "/healthz A+");
    super::live::expect(&report, "security.tls-grade", "pass", "TLS grade A");
    let result = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "security.headers-grade")
        .unwrap();
    let observatory = result["evidence"]["observatory"]["grade"].as_str().unwrap();
    assert!(
        matches!(observatory, "A+" | "A"),
        "Observatory {observatory}"
    );
}

#[test]
fn two_watchers_on_one_postgresql_alert_once_and_hand_over_when_the_leader_dies() {
    let Some(db) = postgres_database() else {
        return;
    };
    let Some((nginx, https, http)) = open_metrics_site() else {
        return;
    };
    let receiver = Receiver::start(0);
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!(
            "service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
             - {{url: \"https://localhost:{https}/\", kind: web-app, http_url: \"http://localhost:{http}/\", metrics: /metrics}}\n\
             monitoring:\n  canaries: [{{target: \"https://localhost:{https}/\", interval: 1s}}]\n  \
             channels: [{{webhook: LIFTOFF_TEST_HOOK}}]\n"
        ),
    )
    .unwrap();
    let ca = nginx.pki.ca();
    let start = || {
        KillOnDrop(
            std::process::Command::new(assert_cmd::cargo::cargo_bin("liftoff"))
                .arg("watch")
                .arg(project.path())
                .args(["--db", &db, "--ca-file", ca.to_str().unwrap()])
                .args(["--failure-threshold", "1", "--lease-seconds", "2"])
                .args(["--listen", &format!("127.0.0.1:{}", free_port())])
                .env(
                    "LIFTOFF_TEST_HOOK",
                    format!("http://127.0.0.1:{}/", receiver.port),
                )
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let mut first = start();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let _second = start();
    std::thread::sleep(std::time::Duration::from_millis(2000));
    // The leader dies without a word.
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &first.0.id().to_string()])
        .status();
    let _ = first.0.wait();
    let killed_at = liftoff::watch::store::now();
    std::thread::sleep(std::time::Duration::from_millis(5000));

    let metrics_check = format!("production:metrics-auth:https://localhost:{https}/");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (history, state) = runtime.block_on(async {
        let store = liftoff::watch::store::Store::open(&db).await.unwrap();
        let found = (
            store.history(&metrics_check, 200).await.unwrap(),
            store.state(&metrics_check).await.unwrap(),
        );
        store.close().await;
        found
    });
    // The survivor took over: results continue after the kill, within a lease or two.
    let after = history.iter().filter(|r| r.at > killed_at + 1).count();
    assert!(after >= 1, "no results after the leader died: {history:?}");
    // Only the leader probed: about one result a second, not two.
    let per_second = history.len() as f64
        / (liftoff::watch::store::now() - history.last().unwrap().at).max(1) as f64;
    assert!(per_second < 1.6, "{} results in {history:?}", history.len());
    assert_eq!(state.incident, 1);
    assert_eq!(
        receiver.accepted.lock().unwrap().len(),
        1,
        "one alert for one transition, with two watchers"
    );
}

#[test]
fn reminders_repeat_while_failing_and_maintenance_windows_silence_alerts() {
    let Some((nginx, https, http)) = open_metrics_site() else {
        return;
    };
    let ca = nginx.pki.ca();
    let scenario = |extra: &[&str], pauses: &[u64]| {
        let receiver = Receiver::start(0);
        let project = tempfile::tempdir().unwrap();
        std::fs::write(
            project.path().join("liftoff.yaml"),
            format!(
                "service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
                 - {{url: \"https://localhost:{https}/\", kind: web-app, http_url: \"http://localhost:{http}/\", metrics: /metrics}}\n\
                 monitoring:\n  channels: [{{webhook: LIFTOFF_TEST_HOOK}}]\n"
            ),
        )
        .unwrap();
        let mut outputs = Vec::new();
        for pause in pauses {
            std::thread::sleep(std::time::Duration::from_millis(*pause));
            let out = liftoff()
                .arg("watch")
                .arg(project.path())
                .args([
                    "--once",
                    "--failure-threshold",
                    "1",
                    "--ca-file",
                    ca.to_str().unwrap(),
                ])
                .args(extra)
                .env(
                    "LIFTOFF_TEST_HOOK",
                    format!("http://127.0.0.1:{}/", receiver.port),
                )
                .output()
                .unwrap();
            outputs.push(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let accepted = receiver.accepted.lock().unwrap().clone();
        (outputs, accepted)
    };
    // Times are whole seconds: the second run, 1.2 s later, is one or two seconds in.
    let (_, alerts) = scenario(&["--remind-every", "1s"], &[0, 1200]);
    assert_eq!(
        alerts.len(),
        2,
        "the down alert and one reminder: {alerts:?}"
    );
    assert!(
        alerts[1].contains("\"transition\":\"reminder-"),
        "{}",
        alerts[1]
    );
    assert!(alerts[1].contains("is still failing"), "{}", alerts[1]);

    let (outputs, alerts) = scenario(&["--maintenance", "daily 00:00/24h"], &[0, 0]);
    assert!(
        outputs[0].contains("[down #1]"),
        "the state change is kept: {}",
        outputs[0]
    );
    assert!(alerts.is_empty(), "no alert in maintenance: {alerts:?}");
}

/// A minimal SMTP server on loopback that accepts every message and keeps its DATA.
struct SmtpSink {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let _ = writer.write_all(b"220 sink ESMTP\r\n");
                let mut data: Option<String> = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    if let Some(body) = data.as_mut() {
                        if line == ".\r\n" {
                            kept.lock().unwrap().push(data.take().unwrap_or_default());
                            let _ = writer.write_all(b"250 queued\r\n");
                        } else {
                            body.push_str(&line);
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            let _ = writer.write_all(b"221 bye\r\n");
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = writer.write_all(reply);
                }
            }
        });
        SmtpSink { port, messages }
    }
}

#[test]
fn email_alerts_go_through_the_smtp_server_the_manifest_names() {
    let Some((nginx, https, http)) = open_metrics_site() else {
        return;
    };
    let sink = SmtpSink::start();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!(
            "service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
             - {{url: \"https://localhost:{https}/\", kind: web-app, http_url: \"http://localhost:{http}/\", metrics: /metrics}}\n\
             monitoring:\n  channels: [{{email: ops@example.org}}]\nprocesses:\n  smtp: {{host_env: LIFTOFF_TEST_SMTP}}\n"
        ),
    )
    .unwrap();
    let ca = nginx.pki.ca();
    let run = |smtp: Option<String>| {
        let mut cmd = liftoff();
        cmd.arg("watch")
            .arg(project.path())
            .args(["--once", "--failure-threshold", "1", "--retry-after", "1"])
            .args(["--ca-file", ca.to_str().unwrap()])
            .env("LIFTOFF_SMTP_FROM", "liftoff@example.org");
        match smtp {
            Some(url) => cmd.env("LIFTOFF_TEST_SMTP", url),
            None => cmd.env_remove("LIFTOFF_TEST_SMTP"),
        };
        let out = cmd.output().unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // No SMTP server set: said at start, and the alert waits in the outbox.
    let (stdout, stderr) = run(None);
    assert!(
        stderr.contains("LIFTOFF_TEST_SMTP, which is not set"),
        "{stderr}"
    );
    assert!(stdout.contains("alerts: 0 sent, 1 to retry"), "{stdout}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // With the server, the waiting alert goes out by mail.
    let (stdout, _) = run(Some(format!("smtp://127.0.0.1:{}", sink.port)));
    assert!(stdout.contains("alerts: 1 sent, 0 to retry"), "{stdout}");
    let messages = sink.messages.lock().unwrap();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains("To: ops@example.org"),
        "{}",
        messages[0]
    );
    assert!(
        messages[0].contains("Subject: [liftoff] https://localhost:"),
        "{}",
        messages[0]
    );
    // Plain SMTP to a remote host is refused rather than used.
    let (_, stderr) = run(Some("smtp://smtp.example.org:25".into()));
    assert!(stderr.contains("clear text"), "{stderr}");
}

#[test]
fn rollups_and_retention_work_the_same_on_postgresql() {
    let Some(db) = postgres_database() else {
        return;
    };
    use liftoff::watch::engine::CheckState;
    use liftoff::watch::store::{Retention, Store};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::open(&db).await.unwrap();
        let day = 86_400;
        for (at, ok, latency) in [(30 * day + 10, true, 10), (30 * day + 3700, false, 30)] {
            store
                .record(
                    "c",
                    at,
                    ok,
                    latency,
                    "m",
                    None,
                    &CheckState::default(),
                    None,
                    None,
                )
                .await
                .unwrap();
        }
        store.compact(32 * day, Retention::default()).await.unwrap();
        store.compact(32 * day, Retention::default()).await.unwrap();
        assert_eq!(store.daily("c").await.unwrap(), [(30 * day, 2, 1, 20)]);
        let short = Retention {
            results: day,
            ..Retention::default()
        };
        store.compact(40 * day, short).await.unwrap();
        assert!(store.history("c", 10).await.unwrap().is_empty());
        assert_eq!(store.daily("c").await.unwrap().len(), 1);
        store.close().await;
    });
}

#[test]
fn json_logs_are_one_object_per_line() {
    let https = free_port();
    let Some(nginx) = Nginx::start(
        &super::live::tls_server(
            https,
            "good",
            &format!("{STRONG_HEADERS}\n  location / {{ return 200 'ok'; }}"),
        ),
        &[https],
    ) else {
        return;
    };
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!(
            "service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
             - {{url: \"https://localhost:{https}/\", kind: api, health: /}}\n"
        ),
    )
    .unwrap();
    let out = liftoff()
        .arg("watch")
        .arg(project.path())
        .args(["--once", "--log-format", "json"])
        .args(["--ca-file", nginx.pki.ca().to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let checks: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["message"] == "check ran")
        .collect();
    assert_eq!(checks.len(), 4, "{stdout}");
    let health = checks.iter().find(|e| e["kind"] == "health").unwrap();
    assert_eq!(health["ok"], true, "{stdout}");
    assert!(health["detail"].as_str().unwrap().contains("answers 200"));
    assert_eq!(events.last().unwrap()["message"], "run complete");
}

#[test]
fn sighup_reloads_the_manifest_and_a_broken_one_keeps_the_running_checks() {
    let https = free_port();
    let Some(nginx) = Nginx::start(
        &super::live::tls_server(
            https,
            "good",
            &format!("{STRONG_HEADERS}\n  location / {{ return 200 'ok'; }}"),
        ),
        &[https],
    ) else {
        return;
    };
    let project = tempfile::tempdir().unwrap();
    let manifest = |health: &str| {
        format!(
            "service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
             - {{url: \"https://localhost:{https}/\", kind: api{health}}}\n"
        )
    };
    std::fs::write(project.path().join("liftoff.yaml"), manifest("")).unwrap();
    let api = free_port();
    let daemon = KillOnDrop(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("liftoff"))
            .arg("watch")
            .arg(project.path())
            .args(["--ca-file", nginx.pki.ca().to_str().unwrap()])
            .args(["--listen", &format!("127.0.0.1:{api}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let checks = || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", api)).is_ok() {
                let (status, _, body) = get(api, "/api/status", None);
                if status == 200 {
                    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                    return v["checks"].as_array().unwrap().len();
                }
            }
            assert!(std::time::Instant::now() < deadline, "no API");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    let hup = || {
        let _ = std::process::Command::new("kill")
            .args(["-HUP", &daemon.0.id().to_string()])
            .status();
        std::thread::sleep(std::time::Duration::from_millis(700));
    };
    assert_eq!(checks(), 3, "certificate, headers, plain-http");
    std::fs::write(project.path().join("liftoff.yaml"), manifest(", health: /")).unwrap();
    hup();
    assert_eq!(checks(), 4, "the health check was added");
    std::fs::write(project.path().join("liftoff.yaml"), "service: [broken\n").unwrap();
    hup();
    assert_eq!(checks(), 4, "a broken manifest keeps the running checks");
}

#[test]
fn the_watch_section_of_the_manifest_sets_thresholds_and_adds_checks() {
    let https = free_port();
    let Some(nginx) = Nginx::start(
        &super::live::tls_server(
            https,
            "good",
            &format!(
                "{STRONG_HEADERS}\n  default_type application/json;\n  location / {{ return 200 'ok'; }}\n  \
                 location = /status {{ return 200 '{{\"status\": \"DOWN\"}}'; }}"
            ),
        ),
        &[https],
    ) else {
        return;
    };
    let project = tempfile::tempdir().unwrap();
    let write = |watch: &str| {
        std::fs::write(
            project.path().join("liftoff.yaml"),
            format!(
                "service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
                 - {{url: \"https://localhost:{https}/\", kind: api}}\nwatch:\n{watch}"
            ),
        )
        .unwrap();
    };
    write(&format!(
        "  failure_threshold: 1\n  checks:\n    - {{url: \"https://localhost:{https}/status\", expect: 'status == \"UP\"'}}\n"
    ));
    let out = liftoff()
        .arg("watch")
        .arg(project.path())
        .args(["--once", "--ca-file", nginx.pki.ca().to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The declared check runs, and one failure is enough to turn it (failure_threshold: 1).
    assert!(
        stdout.contains(&format!(
            "FAIL down  production:health:https://localhost:{https}/status [down #1]"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("does not hold (found \"DOWN\")"),
        "{stdout}"
    );

    write("  maintenance: [\"someday 02:00/1h\"]\n");
    super::support::assert_check_input_error(
        project.path(),
        &["liftoff.yaml:8:17", "watch.maintenance", "expected"],
    );
    write("  failure_treshold: 2\n");
    super::support::assert_check_input_error(
        project.path(),
        &["failure_treshold", "failure_threshold"],
    );
}

#[test]
fn hanging_resetting_and_badly_certified_targets_fail_their_checks_in_bounded_time() {
    let expired = free_port();
    let Some(nginx) = Nginx::start(
        &super::live::tls_server(
            expired,
            "expired",
            &format!("{STRONG_HEADERS}\n  location / {{ return 200 'ok'; }}"),
        ),
        &[expired],
    ) else {
        return;
    };
    // A peer that accepts and never answers, and one that hangs up at once.
    let hang = TcpListener::bind("127.0.0.1:0").unwrap();
    let hang_port = hang.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in hang.incoming().flatten() {
            held.push(stream);
        }
    });
    let reset = TcpListener::bind("127.0.0.1:0").unwrap();
    let reset_port = reset.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in reset.incoming().flatten() {
            drop(stream);
        }
    });
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!(
            "service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
             - {{url: \"https://localhost:{expired}/\", kind: api}}\n\
             watch:\n  failure_threshold: 1\n  checks:\n    \
             - {{url: \"http://127.0.0.1:{hang_port}/health\"}}\n    \
             - {{url: \"http://127.0.0.1:{reset_port}/health\"}}\n"
        ),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = liftoff()
        .arg("watch")
        .arg(project.path())
        .args([
            "--once",
            "--timeout",
            "2",
            "--ca-file",
            nginx.pki.ca().to_str().unwrap(),
        ])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "a hung target held up the run"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = |needle: &str| {
        stdout
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle} in {stdout}"))
            .to_string()
    };
    let certificate = line(&format!(
        "production:certificate:https://localhost:{expired}/"
    ));
    assert!(
        certificate.starts_with("FAIL down") && certificate.contains("expired"),
        "{certificate}"
    );
    let hung = line(&format!("127.0.0.1:{hang_port}/health"));
    assert!(
        hung.starts_with("FAIL down") && hung.contains("within 2 s"),
        "{hung}"
    );
    let reset = line(&format!("127.0.0.1:{reset_port}/health"));
    assert!(
        reset.starts_with("FAIL down") && reset.contains("no HTTP answer"),
        "{reset}"
    );
}

#[test]
fn a_flapping_target_below_the_thresholds_never_alerts() {
    // Answers 200 and 500 by turns.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().flatten().enumerate() {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let status = if n % 2 == 0 {
                "200 OK"
            } else {
                "500 Internal Server Error"
            };
            let _ = write!(
                reader.into_inner(),
                "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
            );
        }
    });
    let receiver = Receiver::start(0);
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!(
            "service: shop\nenvironments:\n  production: {{kind: production}}\n\
             monitoring:\n  channels: [{{webhook: LIFTOFF_TEST_HOOK}}]\n\
             watch:\n  checks: [{{url: \"http://127.0.0.1:{port}/health\"}}]\n"
        ),
    )
    .unwrap();
    let mut lines = Vec::new();
    for _ in 0..6 {
        let out = liftoff()
            .arg("watch")
            .arg(project.path())
            .arg("--once")
            .env(
                "LIFTOFF_TEST_HOOK",
                format!("http://127.0.0.1:{}/", receiver.port),
            )
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        lines.push(stdout.lines().next().unwrap_or_default().to_string());
    }
    // It failed every other run, but never three times in a row: always up, never alerted.
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("FAIL")).count(),
        3,
        "{lines:?}"
    );
    assert!(
        lines.iter().all(|l| l.contains(" up ") && !l.contains('[')),
        "{lines:?}"
    );
    assert!(receiver.accepted.lock().unwrap().is_empty());
}

/// Starts `liftoff watch` on a heartbeat-only manifest (no network checks) with `token`, the
/// given extra arguments, standard output and error into files; waits until it listens.
fn heartbeat_daemon(
    project: &std::path::Path,
    token: &str,
    extra: &[&str],
) -> (KillOnDrop, u16, std::path::PathBuf, std::path::PathBuf) {
    heartbeat_daemon_with(project, token, extra, "every: 1s")
}

/// A manifest whose only check is the heartbeat of backup `registry-db` with `backup` settings.
fn heartbeat_manifest(backup: &str) -> String {
    format!(
        "service: shop\nenvironments:\n  production:\n    kind: production\n    components:\n      \
         - {{name: registry-db, kind: database}}\nbackups:\n  - {{of: registry-db, {backup}}}\n"
    )
}

/// [`heartbeat_daemon`] with the backup's settings (`every: 1s, max_runtime: 2s`).
fn heartbeat_daemon_with(
    project: &std::path::Path,
    token: &str,
    extra: &[&str],
    backup: &str,
) -> (KillOnDrop, u16, std::path::PathBuf, std::path::PathBuf) {
    std::fs::write(project.join("liftoff.yaml"), heartbeat_manifest(backup)).unwrap();
    let api = free_port();
    let (stdout, stderr) = (project.join("stdout.log"), project.join("stderr.log"));
    let daemon = KillOnDrop(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("liftoff"))
            .arg("watch")
            .arg(project)
            .args(["--listen", &format!("127.0.0.1:{api}")])
            .args(["--heartbeat-grace", "60"])
            .args(extra)
            .env("LIFTOFF_WATCH_TOKEN", token)
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", api)).is_err() {
        assert!(std::time::Instant::now() < deadline, "watch did not listen");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (daemon, api, stdout, stderr)
}

#[test]
fn weak_tokens_are_refused_at_start() {
    for (token, says) in [
        ("a", "it has 1 characters, fewer than 16"),
        (" ", "it contains whitespace"),
        ("a token with spaces in it", "it contains whitespace"),
    ] {
        let project = tempfile::tempdir().unwrap();
        std::fs::write(
            project.path().join("liftoff.yaml"),
            "service: shop\nenvironments:\n  production:\n    kind: production\n    components:\n      \
             - {name: registry-db, kind: database}\nbackups:\n  - {of: registry-db, every: 1h}\n",
        )
        .unwrap();
        let out = liftoff()
            .arg("watch")
            .arg(project.path())
            .args(["--listen", &format!("0.0.0.0:{}", free_port())])
            .env("LIFTOFF_WATCH_TOKEN", token)
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{token:?}: {stderr}");
        assert!(
            stderr.contains("LIFTOFF_WATCH_TOKEN is refused") && stderr.contains(says),
            "{token:?}: {stderr}"
        );
        assert!(
            !stderr.contains(token.trim()) || token.trim().len() < 2,
            "{stderr}"
        );
    }
}

#[test]
fn the_server_survives_slow_clients_guessing_and_forged_log_lines() {
    let project = tempfile::tempdir().unwrap();
    let token = "heartbeat-token-0123456789";
    let (daemon, api, stdout, stderr) = heartbeat_daemon(
        project.path(),
        token,
        &["--header-timeout", "1s", "--max-connections", "8"],
    );
    let bearer = format!("Bearer {token}");

    // The scheme is case-insensitive.
    let (status, _, _) = get(api, "/api/status", Some(&format!("bearer {token}")));
    assert_eq!(status, 200);
    let (status, _, _) = get(api, "/api/status", Some(&format!("BEARER {token}")));
    assert_eq!(status, 200);

    // Twenty clients send half a request head and wait: each is closed once the header timeout
    // passes, whether it was served at once or waited for one of the eight connection slots.
    let stalled: Vec<std::net::TcpStream> = (0..20)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", api)).unwrap();
            s.write_all(b"GET /api/status HTTP/1.1\r\nhost: 127.0.0.1\r\n")
                .unwrap();
            s.set_read_timeout(Some(std::time::Duration::from_secs(15)))
                .unwrap();
            s
        })
        .collect();
    for mut s in stalled {
        let mut rest = Vec::new();
        // Closed: end of stream (a 408 before it is allowed), not a read timeout.
        let read = s.read_to_end(&mut rest);
        assert!(read.is_ok(), "a stalled connection was held open: {read:?}");
    }
    let (status, _, _) = get(api, "/api/status", Some(&bearer));
    assert_eq!(
        status, 200,
        "the server still answers after the slow clients"
    );

    // A body over the limit is refused before any handler runs.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", api)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        s,
        "POST /api/heartbeat/registry-db HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: {bearer}\r\ncontent-length: 1000000\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    let _ = s.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");

    // A heartbeat message that tries to forge a log line and clear the terminal.
    assert_eq!(
        post(
            api,
            "/api/heartbeat/registry-db?status=fail&msg=disk%0Aok%20%20up%20%20forged%1B%5B2J",
            Some(&bearer)
        ),
        200
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let log = loop {
        let log = std::fs::read_to_string(&stdout).unwrap_or_default();
        if log.contains("forged") {
            break log;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the failed heartbeat was not logged:\n{log}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(
        !log.contains('\x1b'),
        "a raw escape reached the log:\n{log:?}"
    );
    assert!(
        log.lines().all(|l| !l.starts_with("ok  up  forged")),
        "a forged line:\n{log}"
    );
    assert!(log.contains("disk\\nok  up  forged\\u{1b}[2J"), "{log}");
    let (_, _, page) = get(api, "/", Some(&bearer));
    assert!(page.contains("disk\\nok  up  forged\\u{1b}[2J"), "{page}");
    assert!(!page.contains('\x1b'));

    // Guessing: five wrong tokens are answered (slowly) with 401, then the address is refused
    // with 429 for the rest of the window, even with the right token. Each failure is logged
    // with the client's address and never with what it presented.
    let guess = "Bearer guess-0000000000000000";
    let started = std::time::Instant::now();
    for _ in 0..5 {
        assert_eq!(get(api, "/api/status", Some(guess)).0, 401);
    }
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "failures were not slowed: {:?}",
        started.elapsed()
    );
    let (status, headers, _) = get(api, "/api/status", Some(guess));
    assert_eq!(status, 429);
    assert!(headers.contains("retry-after: "), "{headers}");
    assert_eq!(get(api, "/api/status", Some(&bearer)).0, 429);
    assert_eq!(get(api, "/healthz", None).0, 200, "/healthz stays open");
    drop(daemon);
    let errors = std::fs::read_to_string(&stderr).unwrap();
    assert_eq!(
        errors.matches("authentication failed").count(),
        5,
        "{errors}"
    );
    assert!(errors.contains("client=127.0.0.1"), "{errors}");
    assert!(
        !errors.contains("guess-0000"),
        "the presented token was logged:\n{errors}"
    );
}

/// `check` and `watch --once` on the same loopback endpoints give one verdict per check: both
/// call the rule's own verdict with the profile's parameters.
#[test]
fn check_and_watch_agree_on_every_live_check() {
    // Five sites: good; 401 without a challenge; weak headers; a certificate expiring in about
    // nine days; plain HTTP answering instead of redirecting.
    let ports: Vec<(u16, u16)> = (0..5).map(|_| (free_port(), free_port())).collect();
    // An `add_header` in a location replaces the server's: the challenge repeats the headers.
    let challenge = format!(
        "location = /metrics {{ {STRONG_HEADERS} add_header WWW-Authenticate 'Basic realm=\"metrics\"' always; return 401; }}"
    );
    let challenge = challenge.as_str();
    let weak_challenge = "location = /metrics { add_header WWW-Authenticate 'Basic realm=\"metrics\"' always; return 401; }";
    let bare_401 = "location = /metrics { return 401; }";
    let site = |(http, https): (u16, u16),
                cert: &str,
                headers: &str,
                metrics: &str,
                redirect: bool| {
        let plain = if redirect {
            format!(
                "server {{ listen 127.0.0.1:{http}; return 301 https://localhost:{https}$request_uri; }}\n"
            )
        } else {
            format!("server {{ listen 127.0.0.1:{http}; location / {{ return 200 'plain'; }} }}\n")
        };
        format!(
            "{plain}{}",
            super::live::tls_server(
                https,
                cert,
                &format!("{headers}\n  location / {{ return 200 'ok'; }}\n  {metrics}")
            )
        )
    };
    let servers = [
        site(ports[0], "good", STRONG_HEADERS, challenge, true),
        site(ports[1], "good", STRONG_HEADERS, bare_401, true),
        site(ports[2], "good", "", weak_challenge, true),
        site(ports[3], "soon", STRONG_HEADERS, challenge, true),
        site(ports[4], "good", STRONG_HEADERS, challenge, false),
    ]
    .concat();
    let listening: Vec<u16> = ports.iter().flat_map(|(a, b)| [*a, *b]).collect();
    let Some(nginx) = Nginx::start(&servers, &listening) else {
        return;
    };
    let endpoints: String = ports
        .iter()
        .map(|(http, https)| {
            format!(
                "      - {{url: \"https://localhost:{https}/\", kind: web-app, http_url: \"http://localhost:{http}/\", metrics: /metrics}}\n"
            )
        })
        .collect();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!("service: shop\nenvironments:\n  production:\n    kind: production\n    endpoints:\n{endpoints}"),
    )
    .unwrap();
    let ca = nginx.pki.ca();
    let checked = liftoff()
        .env_remove("LIFTOFF_OFFLINE")
        .args([
            "check",
            "--format",
            "json",
            "--ca-file",
            ca.to_str().unwrap(),
        ])
        .arg(project.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&checked.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&checked.stderr)));
    let watched = liftoff()
        .args([
            "watch",
            "--once",
            "--failure-threshold",
            "1",
            "--log-format",
            "json",
        ])
        .args(["--ca-file", ca.to_str().unwrap()])
        .arg("--db")
        .arg(project.path().join("watch.db"))
        .arg(project.path())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&watched.stdout);
    let mut compared = 0;
    for line in log.lines().filter(|l| l.contains("\"check ran\"")) {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = event["check"].as_str().unwrap();
        let (kind, url) = id
            .strip_prefix("production:")
            .and_then(|rest| rest.split_once(':'))
            .unwrap();
        let rule = match kind {
            "headers" => "security.headers-grade",
            "metrics-auth" => "security.metrics-auth",
            "certificate" => "security.cert-expiry",
            "plain-http" => "security.http-redirect",
            _ => continue,
        };
        let result = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == rule && r["target"] == url)
            .unwrap_or_else(|| panic!("check has no {rule} result for {url}"));
        let watch_ok = event["ok"].as_bool().unwrap();
        assert_eq!(
            watch_ok,
            result["status"] == "pass",
            "{rule} on {url}: watch says {} ({}), check says {} ({})",
            watch_ok,
            event["detail"],
            result["status"],
            result["message"]
        );
        compared += 1;
    }
    assert_eq!(
        compared, 20,
        "every check of five endpoints was compared:\n{log}"
    );
    // The scenarios did what they are for: each fails exactly where it should.
    let failing = |rule: &str| -> Vec<u16> {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rule"] == rule && r["status"] == "fail")
            .filter_map(|r| {
                ports
                    .iter()
                    .position(|(_, https)| {
                        r["target"]
                            .as_str()
                            .unwrap()
                            .contains(&format!(":{https}/"))
                    })
                    .map(|i| i as u16)
            })
            .collect()
    };
    assert_eq!(failing("security.metrics-auth"), [1]);
    assert_eq!(failing("security.headers-grade"), [2]);
    assert_eq!(failing("security.cert-expiry"), [3]);
    assert_eq!(failing("security.http-redirect"), [4]);
}

/// A receiver for every alert channel on loopback: keeps (path, headers, body) of each request
/// and answers 202, except `429` once for the first ntfy request (a rate limit: retried).
struct Channels {
    port: u16,
    got: Arc<Mutex<Vec<(String, String, String)>>>,
}

impl Channels {
    fn start() -> Channels {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let got_in = got.clone();
        std::thread::spawn(move || {
            let mut ntfy_seen = 0;
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    continue;
                }
                let path = line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                let (mut head, mut length) = (String::new(), 0);
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                    if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&header.to_ascii_lowercase());
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let status = if path.starts_with("/ntfy/") && {
                    ntfy_seen += 1;
                    ntfy_seen == 1
                } {
                    "429 Too Many Requests"
                } else {
                    got_in.lock().unwrap().push((
                        path,
                        head,
                        String::from_utf8_lossy(&body).into_owned(),
                    ));
                    "202 Accepted"
                };
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Channels { port, got }
    }
}

/// A plain-HTTP service whose `/health` answers the status in `status`.
/// A loopback HTTP service answering each request with the status `status_for` gives for the
/// client's address (a body of `ok`, the connection closed).
fn loopback_service(status_for: impl Fn(std::net::IpAddr) -> u16 + Send + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let Ok(from) = stream.peer_addr() else {
                continue;
            };
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let code = status_for(from.ip());
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 {code} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
            );
        }
    });
    port
}

/// A loopback service answering with whatever status `status` holds at the time.
fn switchable_service(status: Arc<std::sync::atomic::AtomicU16>) -> u16 {
    loopback_service(move |_| status.load(std::sync::atomic::Ordering::SeqCst))
}

#[test]
fn every_alert_channel_gets_its_documented_payload_and_a_recovery() {
    let channels = Channels::start();
    let status = Arc::new(std::sync::atomic::AtomicU16::new(500));
    let service = switchable_service(status.clone());
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!(
            "service: registry\nenvironments:\n  production:\n    kind: production\n    endpoints:\n      \
             - {{url: \"http://127.0.0.1:{service}/\", kind: api, health: /health}}\n\
             monitoring:\n  channels:\n    - pagerduty: PD_ROUTING_KEY\n    - opsgenie: OPSGENIE_KEY\n    \
             - teams: TEAMS_WEBHOOK\n    - alertmanager: ALERTMANAGER_URL\n    - ntfy: NTFY_TOPIC\n"
        ),
    )
    .unwrap();
    let r = channels.port;
    let run = || {
        let out = liftoff()
            .args([
                "watch",
                "--once",
                "--failure-threshold",
                "1",
                "--success-threshold",
                "1",
            ])
            .args(["--retry-after", "1"])
            .arg("--db")
            .arg(project.path().join("watch.db"))
            .arg(project.path())
            .env("PD_ROUTING_KEY", "R0UT1NGKEY")
            .env(
                "LIFTOFF_PAGERDUTY_URL",
                format!("http://127.0.0.1:{r}/pd/v2/enqueue"),
            )
            .env("OPSGENIE_KEY", "genie-key-1")
            .env("LIFTOFF_OPSGENIE_URL", format!("http://127.0.0.1:{r}/og"))
            .env("TEAMS_WEBHOOK", format!("http://127.0.0.1:{r}/teams/hook"))
            .env("ALERTMANAGER_URL", format!("http://127.0.0.1:{r}/am"))
            .env(
                "NTFY_TOPIC",
                format!("http://127.0.0.1:{r}/ntfy/registry-alerts"),
            )
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = run();
    // The health check went down, and so did the plain-HTTP one (an API answering over plain
    // HTTP): five channels each; the first ntfy request was rate-limited and waits for a retry.
    assert!(first.contains("[down #1]: /health answers 500"), "{first}");
    assert!(
        first.contains("production:plain-http:") && first.contains("serves plain HTTP"),
        "{first}"
    );
    assert!(first.contains("alerts: 9 sent, 1 to retry"), "{first}");
    status.store(200, std::sync::atomic::Ordering::SeqCst);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = run();
    assert!(second.contains("[recovered #1]"), "{second}");
    let got = channels.got.lock().unwrap().clone();
    let health = |prefix: &str| -> Vec<(String, String, String)> {
        got.iter()
            .filter(|(path, _, body)| path.starts_with(prefix) && body.contains(":health:"))
            .cloned()
            .collect()
    };
    let json = |body: &str| -> serde_json::Value { serde_json::from_str(body).unwrap() };

    // PagerDuty: trigger, then resolve, one dedup key for the incident.
    let pd = health("/pd/v2/enqueue");
    assert_eq!(pd.len(), 2, "{pd:?}");
    let (trigger, resolve) = (json(&pd[0].2), json(&pd[1].2));
    assert_eq!(trigger["routing_key"], "R0UT1NGKEY");
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(resolve["event_action"], "resolve");
    assert_eq!(trigger["dedup_key"], resolve["dedup_key"]);
    assert_eq!(trigger["payload"]["severity"], "critical");
    assert!(
        trigger["payload"]["summary"]
            .as_str()
            .unwrap()
            .contains("is failing")
    );

    // Opsgenie: create with an alias and the key, close by that alias.
    let og: Vec<_> = got
        .iter()
        .filter(|(path, _, body)| {
            path.starts_with("/og/") && (body.contains(":health:") || path.contains("health"))
        })
        .cloned()
        .collect();
    assert_eq!(og.len(), 2, "{og:?}");
    assert_eq!(og[0].0, "/og/v2/alerts");
    assert!(
        og[0].1.contains("authorization: geniekey genie-key-1"),
        "{}",
        og[0].1
    );
    let alias = json(&og[0].2)["alias"].as_str().unwrap().to_string();
    assert!(
        og[1].0.starts_with("/og/v2/alerts/") && og[1].0.ends_with("/close?identifierType=alias"),
        "{}",
        og[1].0
    );
    assert!(
        og[1]
            .0
            .contains(&alias.replace('/', "%2F").replace(':', "%3A")),
        "{} vs {alias}",
        og[1].0
    );

    // Teams: an Adaptive Card in a message.
    let teams = health("/teams/hook");
    assert_eq!(teams.len(), 2);
    let card = json(&teams[0].2);
    assert_eq!(card["type"], "message");
    assert_eq!(
        card["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(card["attachments"][0]["content"]["type"], "AdaptiveCard");

    // Alertmanager: firing with an end a week on, then resolved with the same labels.
    let am = health("/am/api/v2/alerts");
    assert_eq!(am.len(), 2, "{am:?}");
    let (firing, resolved) = (json(&am[0].2), json(&am[1].2));
    assert_eq!(firing[0]["labels"], resolved[0]["labels"]);
    assert_eq!(firing[0]["labels"]["alertname"], "LiftoffCheckFailing");
    assert!(firing[0]["endsAt"].as_str().unwrap() > firing[0]["startsAt"].as_str().unwrap());
    assert!(resolved[0]["endsAt"].as_str().unwrap().ends_with('Z'));

    // ntfy: the text as the body, title, priority and tags as headers; the rate-limited one
    // arrived on the retry.
    let ntfy: Vec<_> = got
        .iter()
        .filter(|(path, _, body)| path == "/ntfy/registry-alerts" && body.contains("/health"))
        .cloned()
        .collect();
    assert!(!ntfy.is_empty(), "{got:?}");
    assert!(
        ntfy.iter()
            .any(|(_, head, _)| head.contains("priority: 5")
                && head.contains("tags: rotating_light"))
    );
    assert!(ntfy.iter().any(
        |(_, head, _)| head.contains("priority: 3") && head.contains("tags: white_check_mark")
    ));
    assert!(
        got.iter()
            .all(|(_, head, _)| head.contains("idempotency-key: "))
    );
}

#[test]
fn heartbeats_have_start_and_fail_pings_a_run_time_limit_and_feed_check() {
    let project = tempfile::tempdir().unwrap();
    let token = "heartbeat-token-0123456789";
    let db = project.path().join("watch.db");
    let (daemon, api, _, _) = heartbeat_daemon_with(
        project.path(),
        token,
        &[
            "--db",
            db.to_str().unwrap(),
            "--failure-threshold",
            "1",
            "--success-threshold",
            "1",
        ],
        "every: 1s, max_runtime: 2s",
    );
    let bearer = format!("Bearer {token}");
    let status = || first_check(api, Some(&bearer));
    let wait_for = |what: &str, holds: &dyn Fn(&(String, String)) -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let now = status();
            if holds(&now) {
                return now;
            }
            assert!(std::time::Instant::now() < deadline, "{what}: {now:?}");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };
    assert_eq!(
        post(api, "/api/heartbeat/registry-db/start", Some(&bearer)),
        200
    );
    assert_eq!(
        post(api, "/api/heartbeat/registry-db/pause", Some(&bearer)),
        404
    );
    assert_eq!(
        post(api, "/api/heartbeat/unknown-db/start", Some(&bearer)),
        404
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(post(api, "/api/heartbeat/registry-db", Some(&bearer)), 200);
    let (_, message) = wait_for("a timed success", &|(h, m)| {
        h == "up" && m.contains("the run took")
    });
    assert!(message.contains("reported success"), "{message}");
    // A run that starts and never finishes fails once its run-time limit passes. (Pings are
    // kept to the second: a start in the same second as the last finish reads as that run's.)
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(
        post(api, "/api/heartbeat/registry-db/start", Some(&bearer)),
        200
    );
    let (_, message) = wait_for("a stuck run", &|(h, _)| h == "down");
    assert!(
        message.contains("has not finished (allowed 2 s)"),
        "{message}"
    );
    // The status list filters and pages.
    let total = |query: &str| -> (u64, usize) {
        let (_, _, body) = get(api, &format!("/api/status{query}"), Some(&bearer));
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        (
            v["total"].as_u64().unwrap(),
            v["checks"].as_array().unwrap().len(),
        )
    };
    assert_eq!(total("?health=down"), (1, 1));
    assert_eq!(total("?health=up"), (0, 0));
    assert_eq!(total("?kind=heartbeat&environment=production"), (1, 1));
    assert_eq!(total("?environment=staging"), (0, 0));
    assert_eq!(total("?limit=1&offset=1"), (1, 0));
    // `/fail` reports a failed run.
    assert_eq!(
        post(
            api,
            "/api/heartbeat/registry-db/fail?msg=disk%20full",
            Some(&bearer)
        ),
        200
    );
    let (_, message) = wait_for("a failed run", &|(_, m)| m.contains("disk full"));
    assert!(message.contains("reported a failure"), "{message}");
    drop(daemon);

    // `check` takes the heartbeats as evidence that the backup is monitored.
    let judged = |extra: &[&str]| -> (String, String) {
        let out = liftoff()
            .args(["check", "--format", "json"])
            .args(extra)
            .arg(project.path())
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let r = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "reliability.backup-monitored")
            .unwrap()
            .clone();
        (
            r["status"].as_str().unwrap().to_string(),
            r["message"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(
        judged(&[]).0,
        "fail",
        "without the watch database: not evidenced"
    );
    let (status, message) = judged(&["--watch-db", db.to_str().unwrap()]);
    assert_eq!(status, "pass", "{message}");
    let out = liftoff()
        .args(["check", "--watch-db", "/nonexistent/watch.db"])
        .arg(project.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
}

/// A watcher opening a database with a large history (a million results over sixteen days,
/// a thousand checks) keeps recording while it compacts, answers its pages, and stops on SIGTERM
/// promptly. Bounds are generous: they catch a stall, they do not time anything.
#[test]
fn a_large_history_does_not_stall_recording_reading_or_stopping() {
    let project = tempfile::tempdir().unwrap();
    let db = project.path().join("watch.db");
    std::fs::write(
        project.path().join("liftoff.yaml"),
        heartbeat_manifest("every: 1s"),
    )
    .unwrap();
    let once = liftoff()
        .args(["watch", "--once", "--db"])
        .arg(&db)
        .arg(project.path())
        .output()
        .unwrap();
    assert!(
        matches!(once.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&once.stderr)
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Runs one statement on the database with the test's start time as `$1`; a number comes
    // back from a query, zero from anything else.
    let sql = |statement: &'static str| -> i64 {
        runtime.block_on(async {
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect(&format!("sqlite://{}", db.display()))
                .await
                .unwrap();
            let n: i64 = if statement.starts_with("SELECT") {
                sqlx::query_scalar(statement)
                    .bind(now)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            } else {
                sqlx::query(statement)
                    .bind(now)
                    .execute(&pool)
                    .await
                    .unwrap();
                0
            };
            pool.close().await;
            n
        })
    };
    // Generated in SQLite itself: one statement, no round trips.
    sql(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999) \
             INSERT INTO results (check_id, at, ok, latency_ms, message, cert_expiry) \
             SELECT 'production:health:https://s' || (i % 1000) || '.example.org/', \
             $1 - 16 * 86400 + (i * 16 * 86400) / 1000000, (i % 97) != 0, 20 + (i % 50), 'ok', NULL FROM n",
    );
    assert!(sql("SELECT COUNT(*) FROM results") > 1_000_000 - 1);
    let before = sql("SELECT COUNT(*) FROM results WHERE check_id LIKE '%heartbeat%'");

    let api = free_port();
    let stderr = project.path().join("stderr.log");
    let mut daemon = KillOnDrop(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("liftoff"))
            .arg("watch")
            .arg(project.path())
            .arg("--db")
            .arg(&db)
            .args(["--listen", &format!("127.0.0.1:{api}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", api)).is_err() {
        assert!(std::time::Instant::now() < deadline, "watch did not listen");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Pages answer while the start-up compaction runs.
    for path in ["/api/status", "/", "/metrics"] {
        let started = std::time::Instant::now();
        let (status, _, _) = get(api, path, None);
        assert_eq!(status, 200, "{path}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{path} took {:?}",
            started.elapsed()
        );
    }
    // Results keep being recorded (the heartbeat check runs every second).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while sql("SELECT COUNT(*) FROM results WHERE check_id LIKE '%heartbeat%'") < before + 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "recording stalled:\n{}",
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // Compaction removes what is older than the day kept, and rolls the rest up.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    // (Rows keep ageing past the limit while the test runs: count those already old at start.)
    while sql("SELECT COUNT(*) FROM results WHERE at < $1 - 86400 - 60") > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "compaction did not finish"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(sql("SELECT COUNT(*) FROM rollup_hourly") > 0);
    // SIGTERM is obeyed promptly.
    // SAFETY: a plain system call on our own child.
    unsafe {
        libc::kill(daemon.0.id() as libc::pid_t, libc::SIGTERM);
    }
    let started = std::time::Instant::now();
    loop {
        if daemon.0.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "SIGTERM not obeyed within 10 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        !std::fs::read_to_string(&stderr)
            .unwrap_or_default()
            .contains("store error"),
        "{}",
        std::fs::read_to_string(&stderr).unwrap_or_default()
    );
}

/// Ten thousand checks a minute for 14 days, as the store holds them after those days: a day
/// of raw results (and an hour more, which compaction must remove while the watcher serves),
/// 14 days of hourly and daily rollups, state and events. Generated in the database itself.
/// Then the watcher runs those 10,000 checks against a loopback server for over a minute.
#[test]
fn fourteen_days_at_ten_thousand_checks_a_minute_on_sqlite() {
    let project = tempfile::tempdir().unwrap();
    let db = project.path().join("watch.db");
    history_at_scale(project, db.to_str().unwrap().to_string());
}

#[test]
fn fourteen_days_at_ten_thousand_checks_a_minute_on_postgresql() {
    let Some(db) = postgres_database() else {
        return;
    };
    history_at_scale(tempfile::tempdir().unwrap(), db);
}

fn history_at_scale(project: tempfile::TempDir, db: String) {
    const CHECKS: i64 = 10_000;
    const HOUR: i64 = 3_600;
    let postgres = db.starts_with("postgres");
    let target = switchable_service(Arc::new(std::sync::atomic::AtomicU16::new(200)));
    let base = format!("http://127.0.0.1:{target}");
    let environment = |i: i64| if i % 2 == 0 { "production" } else { "staging" };
    let mut manifest = String::from(
        "service: fleet\nenvironments:\n  production: {kind: production}\n  staging: {kind: staging}\nwatch:\n  checks:\n",
    );
    for i in 0..CHECKS {
        manifest.push_str(&format!(
            "    - {{url: \"{base}/t/{i}\", interval: 60s, environment: {}}}\n",
            environment(i)
        ));
    }
    std::fs::write(project.path().join("liftoff.yaml"), manifest).unwrap();

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let raw_from = now - 25 * HOUR;
    // Hourly rollups are kept as results are recorded: 14 days of them, up to this hour.
    let this_hour = now - now.rem_euclid(HOUR);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pool = runtime.block_on(async {
        // The watcher's own schema, then a plain pool for the test's statements.
        liftoff::watch::store::Store::open(&db)
            .await
            .unwrap()
            .close()
            .await;
        sqlx::any::install_default_drivers();
        let url = if postgres {
            db.clone()
        } else {
            format!("sqlite://{db}")
        };
        sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap()
    });
    let scalar = |statement: &str| -> i64 {
        runtime.block_on(async {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(statement.to_string()))
                .fetch_one(&pool)
                .await
                .unwrap()
        })
    };
    let run = |statement: String| {
        runtime.block_on(async {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&pool)
                .await
                .unwrap();
        })
    };
    // `n` rows numbered `i`, in either database's idiom.
    let numbers = |n: i64| {
        if postgres {
            format!("(SELECT i FROM generate_series(0, {}) AS g(i)) AS n", n - 1)
        } else {
            format!(
                "(WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {}) SELECT i FROM n) AS n",
                n - 1
            )
        }
    };
    let check = |c: &str| {
        format!(
            "CASE WHEN ({c}) % 2 = 0 THEN 'production' ELSE 'staging' END || ':health:{base}/t/' || ({c})"
        )
    };
    let generated = std::time::Instant::now();
    // Indexes are built after the rows (as a sort, not 15 million insertions).
    run("DROP INDEX results_by_check; DROP INDEX results_by_at".into());
    run(format!(
        "INSERT INTO results (check_id, at, ok, latency_ms, message, cert_expiry) \
         SELECT {}, {raw_from} + (i / {CHECKS}) * 60 + (i % 60), CASE WHEN i % 997 = 0 THEN 0 ELSE 1 END, \
         20 + i % 50, '/t/' || (i % {CHECKS}) || ' answers 200', NULL FROM {}",
        check(&format!("i % {CHECKS}")),
        numbers(25 * 60 * CHECKS)
    ));
    run(
        "CREATE INDEX results_by_check ON results (check_id, at); CREATE INDEX results_by_at ON results (at)"
            .into(),
    );
    run(format!(
        "INSERT INTO rollup_hourly (check_id, hour, runs, failures, latency_total, latency_max) \
         SELECT {}, {this_hour} - {HOUR} * (336 - i % 336), 60, CASE WHEN i % 97 = 0 THEN 1 ELSE 0 END, 1800, 80 FROM {}",
        check("i / 336"),
        numbers(336 * CHECKS)
    ));
    run(format!(
        "INSERT INTO rollup_daily (check_id, day, runs, failures, latency_total, latency_max) \
         SELECT {}, {this_hour} - {this_hour} % 86400 - 86400 * (14 - i % 14), 1440, 1, 43200, 90 FROM {}",
        check("i / 14"),
        numbers(14 * CHECKS)
    ));
    run(format!(
        "INSERT INTO check_state (check_id, health, failures, successes, incident, since, last_at, last_message, \
         last_latency, cert_expiry, first_at) \
         SELECT {}, 'up', 0, 5, 1, {raw_from}, {now} - 60, 'answers 200', 25, NULL, {raw_from} - 14 * 86400 FROM {}",
        check("i"),
        numbers(CHECKS)
    ));
    run(format!(
        "INSERT INTO events (check_id, at, kind, incident, message) \
         SELECT {}, {now} - 86400 * (i % 14) - 7200 + 600 * (i % 2), CASE WHEN i % 2 = 0 THEN 'down' ELSE 'recovered' END, \
         1, 'generated' FROM {}",
        check("(i / 2) * 50"),
        numbers(400)
    ));
    if postgres {
        // What autovacuum keeps up to date on a database that has run for days.
        run("ANALYZE".into());
    }
    assert!(scalar("SELECT COUNT(*) FROM results") >= 25 * 60 * CHECKS);
    eprintln!("history generated in {:?}", generated.elapsed());
    runtime.block_on(pool.close());

    let api = free_port();
    let stderr = project.path().join("stderr.log");
    let started_at = now + generated.elapsed().as_secs() as i64;
    let mut daemon = KillOnDrop(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("liftoff"))
            .arg("watch")
            .arg(project.path())
            .args(["--db", &db, "--listen", &format!("127.0.0.1:{api}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap(),
    );
    let pid = daemon.0.id();
    let resident_mb = || -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
            / 1024
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", api)).is_err() {
        assert!(std::time::Instant::now() < deadline, "watch did not listen");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let first = format!("production:health:{base}/t/0")
        .replace(':', "%3A")
        .replace('/', "%2F");
    // Every page, three times over the first minute (while the start-up compaction runs and
    // all 10,000 checks take their first turn): each answers within a second, /metrics within
    // 100 ms; the status page and the dashboard stay under 200 KB; memory under 100 MB.
    let pages = [
        ("/api/status", 1_000, 200_000),
        ("/", 1_000, 200_000),
        ("/metrics", 100, usize::MAX),
        (
            "/api/status?health=down&environment=staging",
            1_000,
            200_000,
        ),
        (
            "/api/status?kind=health&limit=1000&offset=9000",
            1_000,
            usize::MAX,
        ),
        (&format!("/api/checks/{first}/history"), 1_000, usize::MAX),
        (&format!("/badge/{first}.svg"), 1_000, usize::MAX),
        ("/api/openapi.json", 1_000, usize::MAX),
        ("/healthz", 1_000, usize::MAX),
    ];
    // The limits are the goal's for a release build; tests run a debug build, whose
    // dependencies (hyper, sqlx, SQLite itself) are compiled without optimisation and take
    // about three times as long. `scripts/compare-watch` measures the release build.
    let slower = if cfg!(debug_assertions) { 3 } else { 1 };
    let mut slowest = std::collections::BTreeMap::new();
    for round in 0..3 {
        let before = resident_mb();
        assert!(before < 100, "{before} MB resident before serving");
        for (path, limit_ms, max_bytes) in &pages {
            let asked = std::time::Instant::now();
            let (status, _, body) = get(api, path, None);
            let took = asked.elapsed();
            assert_eq!(status, 200, "{path}: {body}");
            assert!(body.len() < *max_bytes, "{path}: {} bytes", body.len());
            assert!(
                took < std::time::Duration::from_millis(*limit_ms * slower),
                "{path} took {took:?} (round {round})"
            );
            if path.starts_with("/badge/") {
                assert!(body.contains("aria-label=\"health: up\""), "{body}");
            }
            let entry = slowest.entry(path.to_string()).or_insert(took);
            *entry = (*entry).max(took);
        }
        let after = resident_mb();
        assert!(after < 100, "{after} MB resident after serving");
        std::thread::sleep(std::time::Duration::from_secs(20));
    }
    eprintln!("slowest answers: {slowest:?}");
    // A minute and a bit after start, every check has run and been recorded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let pool = runtime.block_on(async {
        let url = if postgres {
            db.clone()
        } else {
            format!("sqlite://{db}?mode=ro")
        };
        sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap()
    });
    let count = |statement: String| -> i64 {
        runtime.block_on(async {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(statement))
                .fetch_one(&pool)
                .await
                .unwrap()
        })
    };
    loop {
        let recorded = count(format!(
            "SELECT COUNT(DISTINCT check_id) FROM results WHERE at >= {started_at}"
        ));
        if recorded == CHECKS {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{recorded} of {CHECKS} checks recorded since start:\n{}",
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    // The hour past the day kept is gone, and the day's hours are rolled up.
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM results WHERE at < {raw_from} + {HOUR} - 60"
        )),
        0,
        "compaction did not remove the results past the day kept"
    );
    // Each result recorded since start was added to its hour as it was recorded.
    assert!(
        count(format!(
            "SELECT CAST(COALESCE(SUM(runs), 0) AS BIGINT) FROM rollup_hourly WHERE hour >= {this_hour}"
        )) >= CHECKS
    );
    runtime.block_on(pool.close());
    // SIGTERM is obeyed within 10 s.
    // SAFETY: a plain system call on our own child.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
    let stopping = std::time::Instant::now();
    while daemon.0.try_wait().unwrap().is_none() {
        assert!(
            stopping.elapsed() < std::time::Duration::from_secs(10),
            "SIGTERM not obeyed within 10 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(&stderr).unwrap_or_default();
    assert!(!log.contains("error"), "{log}");
    // The store after 14 days: under 5 GB.
    let bytes: u64 = if postgres {
        let pool = runtime.block_on(async {
            sqlx::any::AnyPoolOptions::new()
                .max_connections(1)
                .connect(&db)
                .await
                .unwrap()
        });
        let size = runtime.block_on(async {
            sqlx::query_scalar::<_, i64>("SELECT pg_database_size(current_database())")
                .fetch_one(&pool)
                .await
                .unwrap()
        });
        runtime.block_on(pool.close());
        size as u64
    } else {
        std::fs::read_dir(project.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("watch.db"))
            .map(|e| e.metadata().unwrap().len())
            .sum()
    };
    eprintln!("store: {} MB", bytes / 1_000_000);
    assert!(bytes < 5_000_000_000, "store holds {bytes} bytes");
}

/// A loopback service that answers 503 to the source addresses in `refused` and 200 to others.
fn service_refusing(refused: Arc<Mutex<Vec<std::net::IpAddr>>>) -> u16 {
    loopback_service(move |from| {
        if refused.lock().unwrap().contains(&from) {
            503
        } else {
            200
        }
    })
}

/// Three watchers on one PostgreSQL, each probing from its own loopback address, with a quorum
/// of two: a target refusing one of them raises nothing; refusing two raises one alert; the
/// leader killed mid-incident, the survivors send one recovery.
#[test]
fn a_quorum_of_watchers_alerts_once_when_enough_of_them_see_a_failure() {
    let Some(db) = postgres_database() else {
        return;
    };
    let refused: Arc<Mutex<Vec<std::net::IpAddr>>> = Arc::default();
    let target = service_refusing(refused.clone());
    let receiver = Receiver::start(0);
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        format!(
            "service: shop\nenvironments:\n  production: {{kind: production}}\n\
             monitoring:\n  channels: [{{webhook: LIFTOFF_TEST_HOOK}}]\n\
             watch:\n  checks:\n    - {{url: \"http://127.0.0.1:{target}/health\", interval: 1s, environment: production}}\n"
        ),
    )
    .unwrap();
    let sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];
    let mut watchers: Vec<KillOnDrop> = sources
        .iter()
        .map(|source| {
            KillOnDrop(
                std::process::Command::new(assert_cmd::cargo::cargo_bin("liftoff"))
                    .arg("watch")
                    .arg(project.path())
                    .args(["--db", &db, "--quorum", "2", "--probe-source", source])
                    .args(["--failure-threshold", "2", "--success-threshold", "2"])
                    .args(["--lease-seconds", "2"])
                    .args(["--listen", &format!("127.0.0.1:{}", free_port())])
                    .env(
                        "LIFTOFF_TEST_HOOK",
                        format!("http://127.0.0.1:{}/", receiver.port),
                    )
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    let transitions = || -> Vec<String> {
        receiver
            .accepted
            .lock()
            .unwrap()
            .iter()
            .map(|r| {
                let body = r.split_once("\n\n").map_or("", |(_, b)| b);
                let json: serde_json::Value = serde_json::from_str(body).unwrap();
                json["transition"].as_str().unwrap().to_string()
            })
            .collect()
    };
    let wait_for = |what: &[&str], seconds: u64| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        while transitions() != what {
            assert!(
                std::time::Instant::now() < deadline,
                "expected alerts {what:?}, got {:?}",
                transitions()
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime
        .block_on(liftoff::watch::store::Store::open(&db))
        .unwrap();
    let check = format!("production:health:http://127.0.0.1:{target}/health");
    // All three probe and record what they saw.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let seen = runtime
            .block_on(store.observations(&check, liftoff::watch::store::now() - 3))
            .unwrap();
        if seen.len() == 3 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "observations: {seen:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    // The leader (which alone would alert) refused, for many intervals: no alert, the check
    // stays up.
    let holder: String = runtime.block_on(async {
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&db)
            .await
            .unwrap();
        let holder = sqlx::query_scalar("SELECT holder FROM leases WHERE name = 'watch'")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        holder
    });
    let pid: u32 = holder.rsplit('/').next().unwrap().parse().unwrap();
    let leading = watchers
        .iter()
        .position(|w| w.0.id() == pid)
        .expect("the lease holder is one of the three");
    refused.lock().unwrap().push(ip(sources[leading]));
    std::thread::sleep(std::time::Duration::from_secs(6));
    assert_eq!(transitions(), Vec::<String>::new());
    let state = runtime.block_on(store.state(&check)).unwrap();
    assert_eq!(state.health.as_str(), "up");
    let last = runtime.block_on(store.history(&check, 1)).unwrap();
    assert!(
        last[0].message.contains("below the quorum of 2"),
        "{last:?}"
    );

    // Two refused: one alert, from one of the three.
    refused.lock().unwrap().push(ip(sources[(leading + 1) % 3]));
    wait_for(&["down"], 15);

    // The leader dies mid-incident; the target recovers; one recovery follows.
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
    let _ = watchers[leading].0.wait();
    refused.lock().unwrap().clear();
    wait_for(&["down", "recovered"], 25);
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert_eq!(transitions(), ["down", "recovered"]);
    runtime.block_on(store.close());
}

#[test]
fn a_quorum_without_a_shared_store_and_a_foreign_probe_source_are_refused_at_start() {
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("liftoff.yaml"),
        "service: shop\nenvironments:\n  production: {kind: production}\nwatch:\n  checks:\n    - {url: \"http://127.0.0.1:9/health\", environment: production}\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let out = liftoff()
            .arg("watch")
            .arg(project.path())
            .args(["--listen", &format!("127.0.0.1:{}", free_port())])
            .args(extra)
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, stderr) = run(&["--quorum", "2"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--quorum 2 needs several watchers sharing a PostgreSQL store"),
        "{stderr}"
    );
    // TEST-NET-1: never an address of this host.
    let (code, stderr) = run(&["--probe-source", "192.0.2.1"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--probe-source 192.0.2.1: not an address of this host"),
        "{stderr}"
    );
    let (code, stderr) = run(&["--quorum", "0"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--quorum"), "{stderr}");
}
