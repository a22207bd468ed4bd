//! Hostile and broken input: always exit 2 with a message, never a panic.

use crate::support::*;

fn rejects(bytes: &[u8], message: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("liftoff.yaml"), bytes).unwrap();
    let out = liftoff()
        .arg("check")
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains(message), "expected {message:?} in {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn truncated_yaml() {
    let text =
        std::fs::read_to_string(root().join("examples/civil-registry/liftoff.yaml")).unwrap();
    rejects(
        &text.as_bytes()[..text.find("  backup:").unwrap() + 12],
        "liftoff.yaml:",
    );
    rejects(
        b"service: s\nenvironments:\n  production: {kind: production, servers: [{name: a",
        "YAML syntax error",
    );
}

#[test]
fn binary_and_non_utf8_files() {
    rejects(
        &[0x00, 0x9f, 0x92, 0x96, 0xff, 0xfe, 0x00, 0x01],
        "not UTF-8",
    );
    rejects(b"service: s\n\xc3\x28 oops\n", "liftoff.yaml:2:1");
    rejects(
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        "liftoff.yaml",
    );
}

#[test]
fn huge_files() {
    let mut big = String::from("service: s\nenvironments:\n");
    let mut i = 0;
    while big.len() < 10 * 1024 * 1024 {
        big.push_str(&format!("  env{i}: {{kind: qa, personal_data: false, location: some-site-with-a-long-name-{i}}}\n"));
        i += 1;
    }
    rejects(big.as_bytes(), "larger than");
}

#[test]
fn deeply_nested_yaml() {
    // The YAML parser's own recursion limit may stop flow nesting before liftoff's depth limit.
    let deep = format!(
        "service: s\ndata: {}{}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let dir = project(&deep);
    let out = liftoff().arg("check").arg(dir.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("liftoff.yaml:2:")
            && (err.contains("nesting deeper than") || err.contains("recursion limit exceeded")),
        "{err}"
    );
    let mut block = String::from("service: s\ndata:\n");
    for depth in 1..200 {
        block.push_str(&format!("{}k{depth}:\n", "  ".repeat(depth)));
    }
    rejects(block.as_bytes(), "nesting deeper than");
}

#[test]
fn alias_bombs() {
    let mut text = String::from("service: s\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        text.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    rejects(text.as_bytes(), "more than");
}

#[test]
fn empty_and_odd_documents() {
    rejects(b"", "the manifest is empty");
    rejects(b"# only a comment\n", "the manifest is empty");
    rejects(
        b"service: a\n---\nservice: b\n",
        "more than one YAML document",
    );
    rejects(b"- service: a\n", "expected a mapping");
    rejects(b"just text\n", "expected a mapping");
    rejects(b"environments: {}\n", "missing the required key `service`");
    rejects(b"service: ''\n", "non-empty");
    rejects(b"service: s\nservice: t\n", "duplicate key `service`");
    rejects(b"service: s\n? [complex, key]\n: value\n", "as a key");
}

#[test]
fn unreadable_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("liftoff.yaml")).unwrap();
    // A directory named liftoff.yaml is not a manifest: the check runs without one.
    liftoff().arg("check").arg(dir.path()).assert().code(1);
}

/// A bounded, deterministic mutation fuzz of the manifest parser through the library: byte
/// flips, truncations and splices of the examples must never panic (cargo-fuzz targets in
/// `fuzz/` explore further).
#[test]
fn mutated_manifests_never_panic() {
    let seeds: Vec<Vec<u8>> = [
        "civil-registry",
        "stats-platform",
        "bibxml-service",
        "soft-launch-beta",
    ]
    .iter()
    .map(|e| std::fs::read(root().join("examples").join(e).join("liftoff.yaml")).unwrap())
    .collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b":-{}[]&*!|>'\"#\n ,?%@`\t0123456789abcxyz";
    for round in 0..1500 {
        let mut bytes = seeds[round % seeds.len()].clone();
        for _ in 0..(1 + next() % 8) {
            let at = (next() as usize) % bytes.len().max(1);
            match next() % 4 {
                // A truncation may have left nothing to flip.
                0 if bytes.is_empty() => {}
                0 => bytes[at] = alphabet[(next() as usize) % alphabet.len()],
                1 => bytes.truncate(at),
                2 => bytes.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                _ => {
                    let other = &seeds[(next() as usize) % seeds.len()];
                    let from = (next() as usize) % other.len();
                    let len = (next() as usize % 200).min(other.len() - from);
                    bytes.splice(at..at, other[from..from + len].iter().copied());
                }
            }
        }
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if let Ok((manifest, doc)) = liftoff::sources::parse_manifest("liftoff.yaml", &text) {
            let _ = liftoff::sources::build_deployment(&manifest, &doc, std::path::Path::new("."));
        }
    }
}

#[test]
fn bad_profiles_are_input_errors() {
    let dir = project("service: s\nprofile: p.yaml\n");
    std::fs::write(dir.path().join("p.yaml"), "name: p\nextends: baseline\nrules:\n  security.few-admin: {production: off}\nparams:\n  security.few-admins: {max_admin: 2}\n  security.pentest: {pentest_max_age_days: \"a year\"}\n").unwrap();
    assert_check_input_error(
        dir.path(),
        &[
            "p.yaml:4:3",
            "did you mean `security.few-admins`?",
            "did you mean `max_admins`?",
            "parameter `pentest_max_age_days` of `security.pentest` is text",
        ],
    );
    std::fs::write(dir.path().join("p.yaml"), "name: p\nextends: q.yaml\n").unwrap();
    std::fs::write(dir.path().join("q.yaml"), "name: q\nextends: p.yaml\n").unwrap();
    assert_check_input_error(dir.path(), &["cycle"]);
    std::fs::write(dir.path().join("p.yaml"), "name: p\nlevels: {}\n").unwrap();
    assert_check_input_error(dir.path(), &["unknown key `levels`"]);
}

#[test]
fn devices_named_as_inputs_are_never_read() {
    let started = std::time::Instant::now();
    let dir = project("service: s\nprofile: /dev/zero\n");
    let out = liftoff().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/dev/zero"));
    // `file()` on a device in Terraform: refused by the bounded reader, the check goes on.
    let tf = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tf.path().join("terraform/production")).unwrap();
    std::fs::write(
        tf.path().join("terraform/production/main.tf"),
        "locals {\n  x = file(\"/dev/zero\")\n}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = local.x\n}\n",
    )
    .unwrap();
    let out = liftoff().arg("check").arg(tf.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "both end"
    );
}

#[test]
fn locals_chains_are_linear_and_cycles_are_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("terraform/production")).unwrap();
    // 3,000 chained locals: each is evaluated once, after the one it names.
    let mut text = String::from("locals {\n  l0 = 1\n");
    for i in 1..3000 {
        text.push_str(&format!("  l{i} = local.l{} + 1\n", i - 1));
    }
    text.push_str("}\nresource \"aws_sqs_queue\" \"q\" {\n  name = \"q-${local.l2999}\"\n}\n");
    std::fs::write(dir.path().join("terraform/production/main.tf"), &text).unwrap();
    let started = std::time::Instant::now();
    let out = liftoff()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "it ends"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !report["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == "error"),
        "the chain evaluates"
    );
    // Two locals naming each other: an error that names both, in the file's environment.
    std::fs::write(
        dir.path().join("terraform/production/main.tf"),
        "locals {\n  a = local.b\n  b = local.a\n}\n",
    )
    .unwrap();
    let out = liftoff()
        .args(["check", "--strict-inputs"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("locals refer to each other in a cycle: local.a → local.b → local.a"),
        "{err}"
    );
}

#[test]
fn a_dotenv_that_doubles_each_line_stops_at_the_limit() {
    let dir = project("service: s\nenvironments: {production: {kind: production}}\n");
    let mut text = String::from("A0=xxxxxxxxxxxxxxxx\n");
    for i in 1..40 {
        text.push_str(&format!("A{i}=${{A{}}}${{A{}}}\n", i - 1, i - 1));
    }
    std::fs::write(dir.path().join(".env.production"), text).unwrap();
    let started = std::time::Instant::now();
    let out = liftoff()
        .args(["check", "--strict-inputs"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "it ends"
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".env.production:"), "{err}");
    assert!(
        err.contains("past the 262144-byte limit for a setting"),
        "{err}"
    );
}

#[test]
fn plan_inputs_out_of_any_real_range_are_refused() {
    liftoff()
        .args(["plan", "--records-per-year", "18446744073709551615"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--records-per-year must be a number from 0 to 1000000000000",
        ));
    liftoff()
        .args(["plan", "--years=-1"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--years must be a number from 0 to 100",
        ));
}
