//! TLS enumeration and grading against real servers on loopback (nginx and `openssl s_server`),
//! compared with testssl.sh where it is installed: protocol findings must match exactly, and the
//! accepted cipher suites of every protocol too.

use super::live::{Nginx, free_port, nginx_binary, outcome, probe};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A TLS configuration of the matrix: name, certificate, nginx directives, expected grade.
struct Case {
    name: &'static str,
    cert: &'static str,
    directives: &'static str,
    grade: &'static str,
}

const HSTS: &str = "add_header Strict-Transport-Security \"max-age=31536000\" always;";

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "modern",
            cert: "rsa2048",
            directives: "ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305; ssl_prefer_server_ciphers on;",
            grade: "A+",
        },
        Case {
            name: "tls13-only",
            cert: "rsa2048",
            directives: "ssl_protocols TLSv1.3;",
            grade: "A+",
        },
        Case {
            name: "ecdsa",
            cert: "good",
            directives: "ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305;",
            grade: "A+",
        },
        Case {
            name: "tls12-only",
            cert: "rsa2048",
            directives: "ssl_protocols TLSv1.2; ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;",
            grade: "A-",
        },
        Case {
            name: "legacy-tls10-11",
            cert: "rsa2048",
            directives: "ssl_protocols TLSv1 TLSv1.1 TLSv1.2; ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:@SECLEVEL=0;",
            grade: "B",
        },
        Case {
            name: "tls11-only",
            cert: "rsa2048",
            directives: "ssl_protocols TLSv1.1; ssl_ciphers ECDHE-RSA-AES128-SHA:@SECLEVEL=0;",
            grade: "B",
        },
        Case {
            name: "no-forward-secrecy",
            cert: "rsa2048",
            directives: "ssl_protocols TLSv1.2; ssl_ciphers AES128-GCM-SHA256:AES256-GCM-SHA384;",
            grade: "B",
        },
        Case {
            name: "cbc-only",
            cert: "rsa2048",
            directives: "ssl_protocols TLSv1.2; ssl_ciphers ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA;",
            grade: "B",
        },
        Case {
            name: "dhe-1024",
            cert: "rsa2048",
            directives: "ssl_protocols TLSv1.2; ssl_ciphers DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0; ssl_dhparam {dir}/dh1024.pem;",
            grade: "B",
        },
        Case {
            name: "rsa-1024",
            cert: "rsa1024",
            directives: "ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0;",
            grade: "B",
        },
    ]
}

/// `openssl s_server` on a port, killed when dropped.
struct SServer(Child);

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn s_server(dir: &Path, port: u16) -> SServer {
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES256-GCM-SHA384",
        ])
        .arg("-accept")
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(dir.join("rsa2048.pem"))
        .arg("-key")
        .arg(dir.join("rsa2048.key"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    SServer(child)
}

/// testssl.sh's protocol and cipher findings: protocol -> accepted suite ids.
fn testssl(port: u16, dir: &Path) -> Option<BTreeMap<String, BTreeSet<u16>>> {
    let json = dir.join(format!("testssl-{port}.json"));
    let status = Command::new("testssl")
        .args([
            "--quiet",
            "--color",
            "0",
            "--warnings",
            "off",
            "-p",
            "-E",
            "--jsonfile",
        ])
        .arg(&json)
        .arg(format!("localhost:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let _ = status;
    let findings: Vec<Value> = serde_json::from_slice(&std::fs::read(&json).ok()?).ok()?;
    let mut out: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
    let names = [
        ("SSLv3", "SSLv3", "ssl3"),
        ("TLS1", "TLSv1.0", "tls1"),
        ("TLS1_1", "TLSv1.1", "tls1_1"),
        ("TLS1_2", "TLSv1.2", "tls1_2"),
        ("TLS1_3", "TLSv1.3", "tls1_3"),
    ];
    for (id, ours, prefix) in names {
        let offered = findings.iter().any(|f| {
            f["id"] == id
                && f["finding"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("offered"))
        });
        if !offered {
            continue;
        }
        let suites: BTreeSet<u16> = findings
            .iter()
            .filter_map(|f| {
                f["id"]
                    .as_str()?
                    .strip_prefix(&format!("cipher-{prefix}_x"))
                    .map(str::to_string)
            })
            .filter_map(|hex| u16::from_str_radix(&hex, 16).ok())
            .collect();
        out.insert(ours.to_string(), suites);
    }
    Some(out)
}

/// The sslyze binary: `LIFTOFF_SSLYZE`, the venv scripts/test makes, or `PATH`.
fn sslyze_binary() -> Option<std::path::PathBuf> {
    let candidates = [
        std::env::var_os("LIFTOFF_SSLYZE").map(std::path::PathBuf::from),
        Some(super::support::root().join("tests/peers/venv/bin/sslyze")),
        Some("sslyze".into()),
    ];
    candidates.into_iter().flatten().find(|c| {
        Command::new(c)
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// sslyze's findings: protocol -> accepted suites (OpenSSL names), and its downgrade verdict.
fn sslyze(binary: &Path, port: u16, dir: &Path) -> Option<BTreeMap<String, BTreeSet<String>>> {
    let json = dir.join(format!("sslyze-{port}.json"));
    Command::new(binary)
        .arg(format!("--json_out={}", json.display()))
        .args(["--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3"])
        .arg(format!("localhost:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let report: Value = serde_json::from_slice(&std::fs::read(&json).ok()?).ok()?;
    let result = &report["server_scan_results"][0]["scan_result"];
    let mut out = BTreeMap::new();
    for (key, ours) in [
        ("ssl_3_0_cipher_suites", "SSLv3"),
        ("tls_1_0_cipher_suites", "TLSv1.0"),
        ("tls_1_1_cipher_suites", "TLSv1.1"),
        ("tls_1_2_cipher_suites", "TLSv1.2"),
        ("tls_1_3_cipher_suites", "TLSv1.3"),
    ] {
        let accepted: BTreeSet<String> = result[key]["result"]["accepted_cipher_suites"]
            .as_array()?
            .iter()
            .filter_map(|s| {
                s["cipher_suite"]["openssl_name"]
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        if !accepted.is_empty() {
            out.insert(ours.to_string(), accepted);
        }
    }
    Some(out)
}

/// The same findings by suite name, for comparing with sslyze.
fn by_name(found: &BTreeMap<String, BTreeSet<u16>>) -> BTreeMap<String, BTreeSet<String>> {
    found
        .iter()
        .map(|(protocol, ids)| {
            let names = ids
                .iter()
                .map(|id| {
                    liftoff::probe::suites::by_id(*id)
                        .map_or_else(|| format!("0x{id:04x}"), |s| s.name.to_string())
                })
                .collect();
            (protocol.clone(), names)
        })
        .collect()
}

/// liftoff's protocol and cipher findings from a probe report.
fn ours(report: &Value) -> BTreeMap<String, BTreeSet<u16>> {
    let result = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "security.tls-grade")
        .unwrap();
    result["evidence"]["tls_scan"]["protocols"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["supported"] == true)
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["suites"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["id"].as_u64().unwrap() as u16)
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn tls_grades_and_findings_agree_with_testssl() {
    if nginx_binary().is_none() {
        return;
    }
    let cases = cases();
    let ports: Vec<u16> = cases.iter().map(|_| free_port()).collect();
    let servers: String = cases
        .iter()
        .zip(&ports)
        .map(|(case, port)| {
            format!(
                "server {{\n  listen 127.0.0.1:{port} ssl;\n  ssl_certificate {{dir}}/{cert}.pem;\n  ssl_certificate_key {{dir}}/{cert}.key;\n  {directives}\n  {HSTS}\n  location / {{ return 200 'ok'; }}\n}}\n",
                cert = case.cert,
                directives = case.directives,
            )
        })
        .collect();
    let Some(nginx) = Nginx::start_with(&servers, &ports, |dir| {
        let made = Command::new("openssl")
            .args(["dhparam", "-dsaparam", "-out"])
            .arg(dir.join("dh1024.pem"))
            .arg("1024")
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(made.success(), "openssl dhparam failed");
    }) else {
        return;
    };
    let dir = nginx.dir.path();
    let s_port = free_port();
    let _s = s_server(dir, s_port);
    let ca = nginx.pki.ca();
    let have_testssl = Command::new("testssl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        have_testssl || std::env::var_os("CI").is_none(),
        "testssl.sh is not installed; scripts/test installs it"
    );

    let mut all: Vec<(&str, u16, &str)> = cases
        .iter()
        .zip(&ports)
        .map(|(c, p)| (c.name, *p, c.grade))
        .collect();
    all.push(("openssl-s_server-tls12", s_port, "A-"));
    // testssl takes seconds a target: run them side by side while liftoff probes.
    let theirs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = all
            .iter()
            .map(|(_, port, _)| {
                let port = *port;
                scope.spawn(move || {
                    if have_testssl {
                        testssl(port, dir)
                    } else {
                        None
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let sslyze_bin = sslyze_binary();
    assert!(
        sslyze_bin.is_some() || std::env::var_os("CI").is_none(),
        "sslyze is not installed; scripts/test installs it into tests/peers/venv"
    );
    let mut table = vec![format!(
        "{:<24} {:>6} {:<34} {:<12} {}",
        "configuration", "grade", "protocols (liftoff)", "testssl.sh", "sslyze"
    )];
    let mut problems = Vec::new();
    for ((name, port, expected), theirs) in all.iter().zip(theirs) {
        let (_, report) = probe(&[
            &format!("https://localhost:{port}/"),
            "--ca-file",
            ca.to_str().unwrap(),
        ]);
        let (_, message) = outcome(&report, "security.tls-grade");
        let found = ours(&report);
        let grade = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "security.tls-grade")
            .and_then(|r| r["evidence"]["tls_scan"]["grade"]["grade"].as_str())
            .unwrap_or("?")
            .to_string();
        if grade != *expected {
            problems.push(format!(
                "{name}: grade {grade}, expected {expected} ({message})"
            ));
        }
        let protocols: Vec<&str> = found.keys().map(String::as_str).collect();
        let verdict = match &theirs {
            None => "not run".to_string(),
            Some(t) if *t == found => "agrees".to_string(),
            Some(t) => {
                let theirs_protocols: Vec<&str> = t.keys().map(String::as_str).collect();
                problems.push(format!("{name}: liftoff {found:?}, testssl.sh {t:?}"));
                format!("differs: {}", theirs_protocols.join(" "))
            }
        };
        let sslyze_verdict = match sslyze_bin
            .as_deref()
            .and_then(|bin| sslyze(bin, *port, dir))
        {
            None => "not run".to_string(),
            Some(t) if t == by_name(&found) => "agrees".to_string(),
            Some(t) => {
                problems.push(format!(
                    "{name}: liftoff {:?}, sslyze {t:?}",
                    by_name(&found)
                ));
                "differs".to_string()
            }
        };
        table.push(format!(
            "{:<24} {:>6} {:<34} {:<12} {}",
            name,
            grade,
            protocols.join(" "),
            verdict,
            sslyze_verdict
        ));
    }
    println!("{}", table.join("\n"));
    assert!(
        problems.is_empty(),
        "{}\n{}",
        problems.join("\n"),
        table.join("\n")
    );
}
