//! Hostile input, as an attacker would send it in a pull request: each case runs the release
//! binary's code path in its own process under an address-space limit, and asserts that it ended,
//! its exit code, a message naming the file, no panic, and its peak resident memory.
//!
//! The time bound is generous (it catches hangs, it is not a timing test); memory is measured by
//! the kernel (`wait4`'s peak resident set size).

use crate::support::*;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A runaway allocation hits this and fails instead of taking the machine.
const ADDRESS_SPACE: u64 = 4 << 30;
/// Every case but the large file stays under this (the bound).
const PEAK_RSS_KB: i64 = 100 * 1024;
/// Generous: a case that has not ended by then hangs.
const HANG: Duration = Duration::from_secs(30);

struct Ended {
    code: i32,
    output: String,
    peak_rss_kb: i64,
}

/// Runs `liftoff <args>` in `dir` in a limited child process and waits for it, bounded.
fn run(dir: &Path, args: &[&str]) -> Ended {
    run_as(dir, args, false)
}

/// [`run`], as the unprivileged user `nobody` when `nobody` is set (the caller is root).
fn run_as(dir: &Path, args: &[&str], nobody: bool) -> Ended {
    let bin = assert_cmd::cargo::cargo_bin("liftoff");
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .current_dir(dir)
        .env("LIFTOFF_TODAY", "2026-11-22")
        .env("LIFTOFF_OFFLINE", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(out.reopen().unwrap())
        .stderr(out.reopen().unwrap());
    // SAFETY: `setrlimit` is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: ADDRESS_SPACE,
                rlim_max: ADDRESS_SPACE,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if nobody && (libc::setgid(65534) != 0 || libc::setuid(65534) != 0) {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    // Reaped below with `wait4`, which also reports its peak memory (`Child::wait` cannot).
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let started = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: plain system call on our own child; `usage` is written by the kernel.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let waited = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(waited >= 0, "wait4 failed");
        if waited == pid {
            let code = if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                128 + libc::WTERMSIG(status)
            };
            return Ended {
                code,
                output: std::fs::read_to_string(out.path()).unwrap_or_default(),
                peak_rss_kb: usage.ru_maxrss,
            };
        }
        if started.elapsed() > HANG {
            // SAFETY: the child is ours and has not been reaped.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            panic!("liftoff {args:?} did not end within {HANG:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Asserts the common contract: ended with `code`, said each of `says`, no panic, small.
fn expect(case: &str, ended: &Ended, code: i32, says: &[&str]) {
    assert!(
        !ended.output.contains("panicked") && !ended.output.contains("RUST_BACKTRACE"),
        "{case}: panicked\n{}",
        ended.output
    );
    assert_eq!(ended.code, code, "{case}: exit code\n{}", ended.output);
    for s in says {
        assert!(
            ended.output.contains(s),
            "{case}: expected `{s}` in\n{}",
            ended.output
        );
    }
    assert!(
        ended.peak_rss_kb < PEAK_RSS_KB,
        "{case}: peak memory {} KB, more than {PEAK_RSS_KB} KB",
        ended.peak_rss_kb
    );
}

fn write(dir: &Path, path: &str, text: impl AsRef<[u8]>) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

fn check(dir: &Path) -> Ended {
    run(dir, &["check", "--offline", "."])
}

#[test]
fn terraform_modules_that_call_themselves_are_refused_naming_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let five: String = (1..=5)
        .map(|i| format!("module \"m{i}\" {{ source = \"./\" }}\n"))
        .collect();
    write(dir.path(), "terraform/production/main.tf", five);
    expect(
        "five self-calls",
        &check(dir.path()),
        2,
        &[
            "modules call each other in a cycle",
            "terraform/production → terraform/production",
        ],
    );
    write(
        dir.path(),
        "terraform/production/main.tf",
        "module \"me\" { source = \"./\" }\n",
    );
    let once = check(dir.path());
    expect(
        "one self-call",
        &once,
        2,
        &["module `me` (source `./`)", "terraform/production/main.tf"],
    );
    assert!(
        !once.output.contains("module.me.module.me"),
        "{}",
        once.output
    );
}

#[test]
fn long_chains_of_locals_are_linear_and_cycles_name_their_members() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("locals {\n  l0 = 1\n");
    for i in 1..3000 {
        text.push_str(&format!("  l{i} = local.l{} + 1\n", i - 1));
    }
    text.push_str("}\nresource \"aws_sqs_queue\" \"q\" { name = \"q-${local.l2999}\" }\n");
    write(dir.path(), "terraform/production/main.tf", &text);
    let json = run(dir.path(), &["check", "--offline", "--format", "json", "."]);
    expect("3,000 chained locals", &json, 1, &["\"aws_sqs_queue.q\""]);

    write(
        dir.path(),
        "terraform/production/main.tf",
        "locals {\n  a = local.b\n  b = local.a\n}\n",
    );
    expect(
        "a two-local cycle",
        &check(dir.path()),
        1,
        &[
            "local.a → local.b → local.a",
            "unreadable terraform/production/main.tf",
        ],
    );
}

#[test]
fn dotenv_values_that_double_are_bounded_by_what_they_produce() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("A0=xxxxxxxxxxxxxxxx\n");
    for i in 1..40 {
        text.push_str(&format!("A{i}=${{A{}}}${{A{}}}\n", i - 1, i - 1));
    }
    write(dir.path(), "production/.env", &text);
    // Compose interpolation reads the same variables.
    write(
        dir.path(),
        "production/docker-compose.yml",
        "services:\n  app:\n    image: \"registry.example.org/app:${A39}\"\n",
    );
    expect(
        ".env doubling",
        &check(dir.path()),
        1,
        &["production/.env", "262144-byte limit"],
    );
}

#[test]
fn compose_interpolation_is_bounded_by_what_it_produces() {
    let dir = tempfile::tempdir().unwrap();
    // 200 KB in .env, referred to 100,000 times in a 600 KB compose file: 20 GB if expanded.
    write(
        dir.path(),
        "production/.env",
        format!("BIG={}\n", "x".repeat(200_000)),
    );
    let mut compose = String::from("services:\n  app:\n    image: \"app:1\"\n    environment:\n");
    for i in 0..200 {
        compose.push_str(&format!("      E{i}: \"{}\"\n", "${BIG}".repeat(500)));
    }
    write(dir.path(), "production/docker-compose.yml", compose);
    expect(
        "a compose interpolation bomb",
        &check(dir.path()),
        1,
        &[
            "unreadable production/docker-compose.yml",
            "interpolation produces more than 16 MiB of values",
        ],
    );
    // One .env line of many references to a large value stops at the limit too.
    write(
        dir.path(),
        "production/.env",
        format!(
            "BIG={}\nHUGE={}\n",
            "x".repeat(200_000),
            "${BIG}".repeat(100_000)
        ),
    );
    expect(
        "a .env line of 100,000 references",
        &check(dir.path()),
        1,
        &[
            "production/.env",
            "`HUGE` expands past the 262144-byte limit",
        ],
    );
}

#[test]
fn file_functions_read_regular_files_only_and_list_what_they_skip() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "terraform/production/main.tf",
        "resource \"aws_s3_bucket\" \"b\" { bucket = file(\"/dev/zero\") }\n\
         resource \"aws_s3_bucket\" \"c\" { bucket = templatefile(\"${path.module}/fifo\", {}) }\n",
    );
    let fifo = std::ffi::CString::new(
        dir.path()
            .join("terraform/production/fifo")
            .to_str()
            .unwrap(),
    )
    .unwrap();
    // SAFETY: a plain system call with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    expect(
        "file() on a device and a pipe",
        &check(dir.path()),
        1,
        &[
            "skipped    /dev/zero (terraform) [production]: named by `file()`",
            "skipped    terraform/production/fifo (terraform)",
            "not a regular file",
        ],
    );
}

#[test]
fn manifests_that_are_devices_bombs_or_huge_are_refused_early() {
    let dir = tempfile::tempdir().unwrap();
    let env = "environments:\n  production: {kind: production}\n";
    write(
        dir.path(),
        "liftoff.yaml",
        format!("service: s\nprofile: /dev/zero\n{env}"),
    );
    expect(
        "profile: /dev/zero",
        &check(dir.path()),
        2,
        &["`/dev/zero` is not a regular file"],
    );

    let mut bomb = String::from(
        "service: s\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut previous = 'a';
    for c in "bcdefghi".chars() {
        let refs = vec![format!("*{previous}"); 9].join(",");
        bomb.push_str(&format!("{c}: &{c} [{refs}]\n"));
        previous = c;
    }
    bomb.push_str(env);
    write(dir.path(), "liftoff.yaml", &bomb);
    expect(
        "a YAML alias bomb",
        &check(dir.path()),
        2,
        &["aliases repeat anchors into more than", "liftoff.yaml"],
    );

    let mut huge = String::from("service: s\n# ");
    huge.push_str(&"x".repeat(50_000_000));
    write(dir.path(), "liftoff.yaml", &huge);
    expect(
        "a 50 MB liftoff.yaml",
        &check(dir.path()),
        2,
        &["liftoff.yaml", "larger than"],
    );

    write(
        dir.path(),
        "liftoff.yaml",
        "service: s\nservice: t\nenvironments:\n  production: {kind: production}\n  production: {kind: staging}\n",
    );
    expect(
        "duplicate keys",
        &check(dir.path()),
        2,
        &[
            "duplicate key `service`",
            "duplicate key `production`",
            "liftoff.yaml:5:3",
        ],
    );

    let deep = format!(
        "service: s\nx: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    write(dir.path(), "liftoff.yaml", &deep);
    expect(
        "YAML nested 100,000 deep",
        &check(dir.path()),
        2,
        &["liftoff.yaml"],
    );
}

#[test]
fn binary_and_deeply_nested_terraform_is_unreadable_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80)
        .collect();
    write(dir.path(), "terraform/production/main.tf", noise);
    expect(
        "a binary main.tf",
        &check(dir.path()),
        1,
        &[
            "terraform/production/main.tf",
            "not UTF-8 text",
            "expected a UTF-8 encoded Terraform (HCL) file",
        ],
    );
    let deep = format!(
        "locals {{ a = {}{} }}\n",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    write(dir.path(), "terraform/production/main.tf", deep);
    expect(
        "HCL nested 50,000 deep",
        &check(dir.path()),
        1,
        &["terraform/production/main.tf", "nesting depth"],
    );
}

#[test]
fn compose_extends_cycles_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "production/docker-compose.yml",
        "services:\n  a:\n    extends: {service: b}\n    image: x:1\n  b:\n    extends: {service: a}\n    image: y:1\n",
    );
    expect(
        "an extends cycle",
        &check(dir.path()),
        2,
        &[
            "`extends` goes round in a cycle",
            "production/docker-compose.yml:3:14",
        ],
    );
}

#[test]
fn numeric_inputs_are_range_checked() {
    let dir = tempfile::tempdir().unwrap();
    expect(
        "plan --records-per-year 2^64-1",
        &run(
            dir.path(),
            &["plan", "--records-per-year", "18446744073709551615"],
        ),
        2,
        &["--records-per-year must be a number from 0 to"],
    );
}

#[test]
fn folders_that_cannot_be_listed_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "terraform/production/main.tf", "");
    write(dir.path(), "secret/main.tf", "");
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap()
    };
    for folder in ["", "terraform", "terraform/production"] {
        mode(&dir.path().join(folder), 0o755);
    }
    mode(&dir.path().join("terraform/production/main.tf"), 0o644);
    let locked = dir.path().join("secret");
    mode(&locked, 0o000);
    // Root lists every folder whatever its mode: as root, the check runs as `nobody`.
    // SAFETY: a plain system call.
    let as_nobody = unsafe { libc::geteuid() } == 0;
    let ended = run_as(dir.path(), &["check", "--offline", "."], as_nobody);
    mode(&locked, 0o755);
    expect(
        "a folder that cannot be listed",
        &ended,
        1,
        &["skipped    secret/ (folder)", "not searched"],
    );
}

/// Every byte-level fuzz regression case, placed where the binary reads that kind of file:
/// it must end, without a panic, within the memory bound.
#[test]
fn fuzz_regression_cases_stay_fixed() {
    let placements = [
        ("terraform", "terraform/production/main.tf"),
        ("yaml", "liftoff.yaml"),
        ("manifest", "liftoff.yaml"),
        ("dotenv", "production/.env"),
        ("artefacts", "production/docker-compose.yml"),
    ];
    let mut replayed = 0;
    for (target, placement) in placements {
        let folder = root().join("fuzz/regressions").join(target);
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let mut bytes = std::fs::read(&path).unwrap();
            if target == "terraform" {
                // The target's first line is its variable file.
                let split = bytes.iter().position(|b| *b == b'\n').map_or(0, |p| p + 1);
                bytes.drain(..split);
            }
            let dir = tempfile::tempdir().unwrap();
            write(dir.path(), placement, &bytes);
            let ended = check(dir.path());
            let case = format!("{target}/{}", path.file_name().unwrap().to_string_lossy());
            assert!(
                (0..=2).contains(&ended.code),
                "{case}: exit code {}\n{}",
                ended.code,
                ended.output
            );
            expect(&case, &ended, ended.code, &[]);
            replayed += 1;
        }
    }
    assert!(
        replayed >= 5,
        "the committed regression cases were found ({replayed})"
    );
}

/// The fuzz targets build against the library as it is (they live in their own crate, which
/// `cargo test` does not compile): `cargo check` on stable is enough to keep them from rotting.
#[test]
fn fuzz_targets_build() {
    let out = Command::new(env!("CARGO"))
        .args(["check", "--locked", "--quiet", "--bins", "--manifest-path"])
        .arg(root().join("fuzz/Cargo.toml"))
        .env("CARGO_TARGET_DIR", root().join("target/fuzz-check"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
