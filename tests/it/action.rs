//! The GitHub Action's entry script (`scripts/github-action.py`) with recorded event payloads,
//! against a GitHub API stand-in on loopback that checks every request it gets.

use crate::support::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
struct Request {
    method: String,
    path: String,
    authorization: String,
    body: String,
}

/// The stand-in: issue comments of pull request 7 of acme/registry, kept in memory.
struct GitHub {
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    comments: Arc<Mutex<Vec<(u64, String)>>>,
}

impl GitHub {
    fn start() -> GitHub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        // Someone else's comment is already there and must stay untouched.
        let comments = Arc::new(Mutex::new(vec![(1, "Looks good to me".to_string())]));
        let (requests_in, comments_in) = (requests.clone(), comments.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_string();
                let path = parts.next().unwrap_or_default().to_string();
                let (mut length, mut authorization) = (0, String::new());
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                    let lower = header.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if lower.starts_with("authorization:") {
                        authorization = header["authorization:".len()..].trim().to_string();
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let body = String::from_utf8_lossy(&body).to_string();
                requests_in.lock().unwrap().push(Request {
                    method: method.clone(),
                    path: path.clone(),
                    authorization: authorization.clone(),
                    body: body.clone(),
                });
                let text_of = |body: &str| -> String {
                    serde_json::from_str::<serde_json::Value>(body)
                        .ok()
                        .and_then(|v| v["body"].as_str().map(String::from))
                        .unwrap_or_default()
                };
                let (status, reply) = if authorization != "Bearer test-token" {
                    ("401 Unauthorized", "{}".to_string())
                } else if method == "GET"
                    && path == "/repos/acme/registry/issues/7/comments?per_page=100&page=1"
                {
                    let list: Vec<serde_json::Value> = comments_in
                        .lock()
                        .unwrap()
                        .iter()
                        .map(|(id, body)| serde_json::json!({"id": id, "body": body}))
                        .collect();
                    ("200 OK", serde_json::to_string(&list).unwrap())
                } else if method == "POST" && path == "/repos/acme/registry/issues/7/comments" {
                    let mut all = comments_in.lock().unwrap();
                    let id = 1000 + all.len() as u64;
                    all.push((id, text_of(&body)));
                    ("201 Created", serde_json::json!({"id": id}).to_string())
                } else if let (true, Some(id)) = (
                    method == "PATCH",
                    path.strip_prefix("/repos/acme/registry/issues/comments/")
                        .and_then(|id| id.parse::<u64>().ok()),
                ) {
                    let mut all = comments_in.lock().unwrap();
                    match all.iter_mut().find(|(i, _)| *i == id) {
                        Some(comment) => {
                            comment.1 = text_of(&body);
                            ("200 OK", serde_json::json!({"id": id}).to_string())
                        }
                        None => ("404 Not Found", "{}".to_string()),
                    }
                } else {
                    ("404 Not Found", "{}".to_string())
                };
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            }
        });
        GitHub {
            port,
            requests,
            comments,
        }
    }
}

struct Run {
    code: i32,
    stdout: String,
    summary: String,
    outputs: String,
    /// Files the run left in RUNNER_TEMP.
    written: Vec<String>,
}

/// Runs the entry script as the composite action's step does.
fn run_action(
    project: &std::path::Path,
    github: &GitHub,
    event: &str,
    extra: &[(&str, &str)],
) -> Run {
    let work = tempfile::tempdir().unwrap();
    let summary = work.path().join("summary.md");
    let outputs = work.path().join("outputs");
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(root().join("scripts/github-action.py"))
        .current_dir(project)
        .env("LIFTOFF_BIN", assert_cmd::cargo::cargo_bin("liftoff"))
        .env("LIFTOFF_OFFLINE", "1")
        .env("LIFTOFF_TODAY", "2026-11-22")
        .env("INPUT_DIRECTORY", ".")
        .env("GITHUB_EVENT_NAME", event)
        .env(
            "GITHUB_EVENT_PATH",
            root().join(format!("tests/fixtures/github/{event}.json")),
        )
        .env("GITHUB_REPOSITORY", "acme/registry")
        .env(
            "GITHUB_API_URL",
            format!("http://127.0.0.1:{}", github.port),
        )
        .env("GITHUB_TOKEN", "test-token")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("RUNNER_TEMP", work.path());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .expect("python3 runs the action's entry script");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).to_string(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
        written: std::fs::read_dir(work.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect(),
    }
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let tf = dir.path().join("terraform/production");
    std::fs::create_dir_all(&tf).unwrap();
    std::fs::write(
        tf.join("main.tf"),
        "resource \"aws_db_instance\" \"reporting\" {\n  identifier        = \"reporting\"\n  engine            = \"postgres\"\n  storage_encrypted = false\n}\n",
    )
    .unwrap();
    dir
}

#[test]
fn a_pull_request_gets_annotations_a_summary_and_one_comment_kept_up_to_date() {
    let github = GitHub::start();
    let project = project();
    let first = run_action(project.path(), &github, "pull_request", &[]);
    assert_eq!(first.code, 1, "not ready fails the step\n{}", first.stdout);
    assert!(
        first.stdout.contains(
            "::error file=terraform/production/main.tf,line=4,col=3,title=security.encryption-at-rest::"
        ),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("liftoff: comment created"),
        "{}",
        first.stdout
    );
    assert!(
        first.summary.starts_with("## liftoff:"),
        "{}",
        first.summary
    );
    assert!(first.outputs.contains("exit-code=1\n"), "{}", first.outputs);
    let sarif = first
        .outputs
        .lines()
        .find_map(|l| l.strip_prefix("sarif="))
        .expect("the SARIF path is an output");
    assert!(sarif.ends_with("liftoff.sarif"));

    // A second run (a new push to the branch) updates the same comment.
    let second = run_action(project.path(), &github, "pull_request", &[]);
    assert!(
        second.stdout.contains("liftoff: comment updated"),
        "{}",
        second.stdout
    );
    let comments = github.comments.lock().unwrap().clone();
    let ours: Vec<_> = comments
        .iter()
        .filter(|(_, b)| b.contains("<!-- liftoff-report -->"))
        .collect();
    assert_eq!(ours.len(), 1, "{comments:?}");
    assert!(ours[0].1.contains("## liftoff:"));
    assert!(comments.contains(&(1, "Looks good to me".to_string())));
    let requests = github.requests.lock().unwrap().clone();
    let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["GET", "POST", "GET", "PATCH"], "{requests:?}");
    assert_eq!(requests[1].path, "/repos/acme/registry/issues/7/comments");
    assert!(
        requests[3]
            .path
            .starts_with("/repos/acme/registry/issues/comments/10"),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .all(|r| r.authorization == "Bearer test-token")
    );
    assert!(
        requests
            .iter()
            .filter(|r| r.method != "GET")
            .all(|r| r.body.contains("<!-- liftoff-report -->"))
    );
}

#[test]
fn a_push_writes_no_comment_and_fail_false_lets_the_step_pass() {
    let github = GitHub::start();
    let project = project();
    let run = run_action(
        project.path(),
        &github,
        "push",
        &[
            ("INPUT_FAIL", "false"),
            ("INPUT_FORMATS", "junit,codeclimate"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("not a pull request: no comment"),
        "{}",
        run.stdout
    );
    assert!(github.requests.lock().unwrap().is_empty());
    for format in ["junit", "codeclimate"] {
        let path = run
            .outputs
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{format}=")))
            .unwrap_or_else(|| panic!("no {format} output: {}", run.outputs));
        let name = std::path::Path::new(path)
            .file_name()
            .unwrap()
            .to_string_lossy();
        assert!(
            run.written.iter().any(|w| *w == name),
            "{path} in {:?}",
            run.written
        );
    }
}

#[test]
fn an_input_that_cannot_be_assessed_is_reported_in_the_summary() {
    let github = GitHub::start();
    let project = project();
    std::fs::write(project.path().join("liftoff.yaml"), "service: [unclosed\n").unwrap();
    let run = run_action(project.path(), &github, "pull_request", &[]);
    assert_eq!(run.code, 2);
    assert!(run.summary.contains("could not assess"), "{}", run.summary);
    assert!(
        run.stdout.contains("::error title=liftoff::"),
        "{}",
        run.stdout
    );
    assert!(github.requests.lock().unwrap().is_empty());
}
