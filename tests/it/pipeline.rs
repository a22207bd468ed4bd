//! One pipeline: every command reads a deployment the same way, the modules do not import each
//! other in circles, and only the command line prints.

use super::support::{liftoff, write_file};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its unit tests (they may reach anywhere) and comments (a doc
/// link is no dependency).
fn code_of(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    code.lines()
        .map(|line| match line.find("//") {
            // `https://` in a string is not a comment.
            Some(at) if !line[..at].ends_with(':') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A source file's module path: `src/policy/assess.rs` is `policy::assess`, `src/policy/mod.rs`
/// is `policy`. The binary's files (`main.rs`, `cli/`) live under `bin` since `crate::` in them
/// is the binary crate.
fn module_of(rel: &str) -> Vec<String> {
    let rel = rel
        .strip_prefix("src/")
        .unwrap()
        .strip_suffix(".rs")
        .unwrap();
    let mut parts: Vec<String> = rel.split('/').map(String::from).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.first().is_some_and(|p| p == "main" || p == "cli") {
        if parts[0] == "main" {
            parts.clear();
        }
        parts.insert(0, "bin".to_string());
    } else if parts.first().is_some_and(|p| p == "lib") {
        parts.clear();
    }
    parts
}

/// Every path a piece of code names through `crate::` or `super::` (in `use` lines, with their
/// brace groups expanded, and inline in expressions), as absolute module paths.
fn named_paths(code: &str, module: &[String], is_mod_file: bool) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let rest: String = bytes[i..bytes.len().min(i + 8)].iter().collect();
        let boundary = i == 0
            || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_' || bytes[i - 1] == ':');
        if boundary && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            // Read the path with its brace groups.
            let mut j = i;
            let mut depth = 0;
            while j < bytes.len() {
                let c = bytes[j];
                if c == '{' {
                    depth += 1;
                } else if c == '}' {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                } else if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') {
                    break;
                }
                j += 1;
            }
            let text: String = bytes[i..j].iter().collect();
            for path in expand(&text) {
                if let Some(abs) = absolute(&path, module, is_mod_file) {
                    out.push(abs);
                }
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(text: &str) -> Vec<String> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = text.find('{') else {
        return vec![text.trim_end_matches("::").to_string()];
    };
    let prefix = &text[..open];
    let inner = &text[open + 1..text.rfind('}').unwrap_or(text.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (k, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| {
            let p = p.split("as").next().unwrap_or(p);
            expand(&format!("{prefix}{p}"))
        })
        .map(|p| p.trim_end_matches("::self").to_string())
        .collect()
}

/// A `crate::…` or `super::…` path from `module` as a path from the crate root.
fn absolute(path: &str, module: &[String], is_mod_file: bool) -> Option<Vec<String>> {
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<String> = if module.first().is_some_and(|m| m == "bin") {
        vec!["bin".to_string()]
    } else {
        Vec::new()
    };
    match segments.first() {
        Some(&"crate") => {
            segments.remove(0);
        }
        Some(&"super") => {
            // In `a/b.rs` (module a::b) `super` is `a`; in `a/mod.rs` (module a) it is the root.
            base = module.to_vec();
            let _ = is_mod_file;
            while segments.first() == Some(&"super") {
                segments.remove(0);
                base.pop()?;
            }
        }
        _ => return None,
    }
    base.extend(segments.into_iter().map(String::from));
    Some(base)
}

/// The source files by module path, and each module's dependencies on other files.
fn dependency_graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 100, "the sources were found");
    let rel = |f: &Path| {
        f.strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/")
    };
    let modules: BTreeMap<Vec<String>, String> =
        files.iter().map(|f| (module_of(&rel(f)), rel(f))).collect();
    // `pub use child::{A, B}` in a folder's mod.rs: `super::A` in a sibling reaches `child`.
    let mut reexports: BTreeMap<Vec<String>, String> = BTreeMap::new();
    for f in &files {
        let shown = rel(f);
        if !shown.ends_with("mod.rs") && !shown.ends_with("lib.rs") {
            continue;
        }
        let module = module_of(&shown);
        let text = std::fs::read_to_string(f).unwrap();
        for line in code_of(&text).split(';') {
            let Some(used) = line.trim().strip_prefix("pub use ") else {
                continue;
            };
            if used.starts_with("crate::") || used.starts_with("super::") {
                continue;
            }
            for path in expand(used) {
                let segments: Vec<&str> = path.split("::").collect();
                let mut child = module.clone();
                child.push(segments[0].to_string());
                if let (Some(file), Some(item)) = (modules.get(&child), segments.last()) {
                    let mut key = module.clone();
                    key.push(item.to_string());
                    reexports.insert(key, file.clone());
                }
            }
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let shown = rel(f);
        let module = module_of(&shown);
        let text = std::fs::read_to_string(f).unwrap();
        let deps = graph.entry(shown.clone()).or_default();
        for path in named_paths(&code_of(&text), &module, shown.ends_with("mod.rs")) {
            let target = reexports.get(&path).cloned().or_else(|| {
                (0..=path.len())
                    .rev()
                    .find_map(|n| modules.get(&path[..n]).cloned())
            });
            if let Some(target) = target.filter(|t| *t != shown) {
                deps.insert(target);
            }
        }
    }
    graph
}

/// Whether `a` is the folder module (`x/mod.rs`) that declares `b`, or the other way round: the
/// parent declares and re-exports its children and they may use its items, which is how a Rust
/// folder is built, not a circle between two parts.
fn parent_and_child(a: &str, b: &str) -> bool {
    let folder_of = |f: &str| f.rsplit_once('/').map(|(d, _)| d.to_string());
    let declares = |parent: &str, child: &str| {
        let folder = match parent {
            "src/lib.rs" | "src/main.rs" => Some("src".to_string()),
            p if p.ends_with("/mod.rs") => folder_of(p),
            _ => None,
        };
        let child_folder = if child.ends_with("/mod.rs") {
            folder_of(child).and_then(|f| folder_of(&f))
        } else {
            folder_of(child)
        };
        folder.is_some() && folder == child_folder
    };
    declares(a, b) || declares(b, a)
}

#[test]
fn no_two_source_files_import_each_other() {
    let graph = dependency_graph();
    // The circles this test was written against: it must see both kinds of path.
    let sees = |from: &str, to: &str| graph.get(from).is_some_and(|d| d.contains(to));
    assert!(sees("src/policy/baseline.rs", "src/policy/assess.rs"));
    assert!(sees("src/cli/check.rs", "src/cli/mod.rs"));
    assert!(sees("src/policy/assess.rs", "src/policy/fingerprint.rs"));
    // Older circles in code others are reworking: listed so that no new one joins them; remove
    // an entry when its circle goes.
    let known = [
        "src/sources/discover.rs <-> src/sources/helm/mod.rs",
        "src/sources/helm/exec.rs <-> src/sources/helm/funcs.rs",
        "src/sources/helm/exec.rs <-> src/sources/helm/value.rs",
        "src/sources/readers/compose.rs <-> src/sources/readers/kubernetes.rs",
        "src/sources/readers/helm.rs <-> src/sources/readers/kubernetes.rs",
    ];
    let mut circles = Vec::new();
    let mut still_known = Vec::new();
    for (a, deps) in &graph {
        for b in deps {
            if a < b && graph.get(b).is_some_and(|d| d.contains(a)) && !parent_and_child(a, b) {
                let circle = format!("{a} <-> {b}");
                if known.contains(&circle.as_str()) {
                    still_known.push(circle);
                } else {
                    circles.push(circle);
                }
            }
        }
    }
    // A known circle that is gone leaves the list, so it cannot come back unnoticed.
    let gone: Vec<&&str> = known
        .iter()
        .filter(|k| !still_known.iter().any(|c| c == *k))
        .collect();
    assert!(gone.is_empty(), "circles no longer there: {gone:?}");
    assert!(
        circles.is_empty(),
        "source files that import each other:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_import_scan_finds_a_circle_when_there_is_one() {
    // The scanner on the shape the old circles had: a `use` line one way, an inline path back.
    let assess = "use super::profile::ResolvedProfile;\nlet f = super::baseline::fingerprint(x);";
    let baseline = "use super::assess::{Assessment, RuleResult};";
    let module = |m: &str| vec!["policy".to_string(), m.to_string()];
    let names = |code: &str, m: &str| named_paths(code, &module(m), false);
    assert!(
        names(assess, "assess").contains(
            &module("baseline")
                .into_iter()
                .chain(["fingerprint".to_string()])
                .collect()
        )
    );
    assert!(
        names(baseline, "baseline").contains(
            &module("assess")
                .into_iter()
                .chain(["Assessment".to_string()])
                .collect()
        )
    );
    assert_eq!(
        expand("crate::model::{live::{Observation, Hop}, Date}"),
        vec![
            "crate::model::live::Observation",
            "crate::model::live::Hop",
            "crate::model::Date"
        ]
    );
    assert!(parent_and_child("src/cli/mod.rs", "src/cli/check.rs"));
    assert!(parent_and_child("src/lib.rs", "src/policy/mod.rs"));
    assert!(!parent_and_child("src/cli/probe.rs", "src/cli/check.rs"));
    assert!(!parent_and_child("src/policy/mod.rs", "src/rules/mod.rs"));
}

#[test]
fn only_the_command_line_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut printing = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("src/cli/") || rel == "src/main.rs" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in code_of(&text).lines().enumerate() {
            let code = line.split("//").next().unwrap_or(line);
            if [
                "print!(",
                "println!(",
                "eprint!(",
                "eprintln!(",
                "dbg!(",
                "io::stdout()",
                "io::stderr()",
            ]
            .iter()
            .any(|p| code.contains(p))
            {
                printing.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        printing.is_empty(),
        "printing outside src/cli:\n{}",
        printing.join("\n")
    );
}

/// A deployment whose staging readiness turns on a Terraform variable and on the workspace: the
/// database is public when `var.public` is true or the workspace is `exposed`. Its one watch
/// check is a backup heartbeat, so watch needs no network.
fn variable_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "liftoff.yaml",
        "service: shop\nenvironments:\n  production:\n    kind: production\n    components:\n      \
         - {name: registry-db, kind: database, public: false}\nbackups:\n  - {of: registry-db, every: 1d}\n",
    );
    write_file(
        dir.path(),
        "terraform/production/main.tf",
        "variable \"public\" {\n  default = false\n}\n\nresource \"aws_db_instance\" \"main\" {\n  \
         engine = \"postgres\"\n  publicly_accessible = var.public || terraform.workspace == \"exposed\"\n}\n",
    );
    write_file(dir.path(), "vars/public.tfvars", "public = true\n");
    write_file(dir.path(), "vars/broken.tfvars", "public = \n");
    dir
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The readiness line `liftoff watch` shows on its dashboard for these arguments.
fn watch_readiness(dir: &Path, extra: &[&str]) -> String {
    use std::io::{Read, Write};
    let port = super::live::free_port();
    let token = "pipeline-token-0123456789";
    let _daemon = KillOnDrop(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("liftoff"))
            .arg("watch")
            .arg(dir)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--db", dir.join("watch.db").to_str().unwrap()])
            .args(extra)
            .env("LIFTOFF_WATCH_TOKEN", token)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut stream = loop {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "watch did not listen");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {token}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut page = String::new();
    stream.read_to_string(&mut page).unwrap();
    let line = page
        .lines()
        .find(|l| l.contains("readiness by"))
        .unwrap_or_else(|| panic!("no readiness on the dashboard:\n{page}"));
    line.to_string()
}

/// check's readiness per stage, as the dashboard words it.
fn check_readiness(dir: &Path, extra: &[&str]) -> String {
    let (_, report) = super::support::check_json(dir, &[&["--offline"], extra].concat());
    ["staging", "soft-launch", "production"]
        .iter()
        .map(|s| {
            format!(
                "{s}: {}",
                if report["readiness"][s] == true {
                    "ready"
                } else {
                    "NOT READY"
                }
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

#[test]
fn watch_judges_the_files_with_check_s_variable_files_and_workspace() {
    let dir = variable_project();
    let public = dir.path().join("vars/public.tfvars");
    let public = public.to_str().unwrap();
    let runs: [&[&str]; 4] = [
        &[],
        &["--var-file", public],
        &["--workspace", "exposed"],
        &["--var", "public=true"],
    ];
    let mut seen = Vec::new();
    for extra in runs {
        let expected = check_readiness(dir.path(), extra);
        let shown = watch_readiness(dir.path(), extra);
        assert!(
            shown.contains(&expected.replace('·', "&middot;")) || shown.contains(&expected),
            "watch {extra:?} shows {shown}, check says {expected}"
        );
        seen.push(expected);
    }
    assert!(seen[0].starts_with("staging: ready"), "{}", seen[0]);
    for (extra, readiness) in runs.iter().zip(&seen).skip(1) {
        assert!(
            readiness.starts_with("staging: NOT READY"),
            "{extra:?} makes the database public: {readiness}"
        );
    }
}

#[test]
fn watch_stops_on_a_broken_variable_file_as_check_does() {
    let dir = variable_project();
    let broken = dir.path().join("vars/broken.tfvars");
    for command in ["check", "watch"] {
        let mut run = liftoff();
        run.arg(command).arg(dir.path()).args([
            "--strict-inputs",
            "--var-file",
            broken.to_str().unwrap(),
        ]);
        run.arg(if command == "watch" {
            "--once"
        } else {
            "--offline"
        });
        let out = run.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains("vars/broken.tfvars:1:"),
            "{command}: {stderr}"
        );
    }
    liftoff()
        .arg("watch")
        .arg(dir.path())
        .args(["--once", "--var-file", "/nonexistent/prod.tfvars"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--var-file names a file that does not exist",
        ));
}

/// The commands reach the files, the profile, the probes and the assessment only through
/// `liftoff::pipeline`, so no command can read a deployment another way than `check` does.
#[test]
fn commands_reach_the_deployment_only_through_the_pipeline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/cli"), &mut files);
    assert!(files.len() > 5);
    let mut bypasses = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in code_of(&text).lines().enumerate() {
            for call in [
                "sources::load(",
                "sources::load_with(",
                "policy::assess(",
                "load_profile(",
                "load_profile_with(",
                "probe::observe(",
                "probe_all(",
                "custom::load(",
            ] {
                if line.contains(call) {
                    bypasses.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        bypasses.is_empty(),
        "commands around the pipeline:\n{}",
        bypasses.join("\n")
    );
}

#[test]
fn the_library_pipeline_judges_with_the_request_s_options_and_policies() {
    use liftoff::pipeline::{Request, Source};
    let dir = variable_project();
    let today = super::support::today();
    let judge = |options: liftoff::sources::LoadOptions| {
        liftoff::pipeline::run(Request {
            source: Source::Files(options),
            ..Request::new(dir.path(), today)
        })
        .unwrap()
    };
    let plain = judge(Default::default());
    assert_eq!(plain.stage, liftoff::model::Stage::Production);
    assert!(plain.assessment.readiness[0], "staging is ready");
    let public = judge(liftoff::sources::LoadOptions {
        vars: vec![("public".into(), "true".into())],
        ..Default::default()
    });
    assert!(
        !public.assessment.readiness[0],
        "a public database blocks staging"
    );
    let exposed = judge(liftoff::sources::LoadOptions {
        workspace: Some("exposed".into()),
        ..Default::default()
    });
    assert!(!exposed.assessment.readiness[0]);
    // Reading alone judges nothing and settles the stage.
    let read = liftoff::pipeline::read(
        dir.path(),
        Source::Files(Default::default()),
        Some(liftoff::model::Stage::Staging),
    )
    .unwrap();
    assert_eq!(read.stage, liftoff::model::Stage::Staging);
    // An undeclared environment is an input error naming the manifest.
    let error = liftoff::pipeline::run(Request {
        environment: Some("prodution".into()),
        ..Request::new(dir.path(), today)
    })
    .err()
    .unwrap();
    let text = format!("{:?}", error);
    assert!(
        text.contains("prodution") && text.contains("liftoff.yaml"),
        "{text}"
    );
    // Policies given with the request are judged and listed.
    let house = super::support::root().join("tests/fixtures/house-rules");
    let judged = liftoff::pipeline::run(Request {
        policies: vec![house.join("policies/tags.yaml")],
        ..Request::new(&house, today)
    })
    .unwrap();
    // The manifest names the folder; the file given again is read once.
    assert_eq!(
        judged.policies.files,
        ["policies/databases.rego", "policies/tags.yaml"]
    );
    assert!(judged.profile.rule("CKV2_ARCHIVE_1").is_some());
    assert!(
        judged.profile.rule("archive.deletion-protection").is_some(),
        "the manifest's"
    );
    assert!(
        judged
            .assessment
            .results
            .iter()
            .any(|r| r.rule == "CKV2_ARCHIVE_1")
    );
}
