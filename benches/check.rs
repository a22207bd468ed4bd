//! Benchmarks of three generated deployments, each run in a process of its own: a manifest of 200
//! environments x 20 servers x 20 components, a Terraform root of 10,000 resources in 1,000 files
//! (the corpus `scripts/compare` also gives checkov), one 32 MB file of 182,000 resources, and
//! roots of 20,000 and 200,000 resources in files of ten (the second must take under ten times the
//! first). `LIFTOFF_BENCH_CASES=terraform-20k,terraform-200k` runs only the cases named.
//! Prints the median wall time of the full check and of reading alone, the median CPU time of the
//! full check (steadier than wall time on a shared machine), each case's peak resident memory,
//! and the large file's per-resource cost against the 10,000-resource corpus. Run with
//! `cargo bench --bench check`.
//!
//! A plain timing harness rather than criterion: it adds nothing to the test build, and the
//! figure that matters (one cold check of a very large deployment) is a single measurement.

use liftoff::model::{Date, Stage};
use liftoff::policy::{self, Options};
use std::fmt::Write;
use std::time::{Duration, Instant};

fn generate(environments: usize, servers: usize, components: usize) -> String {
    let mut out = String::from(
        "service: benchmark\nstage: production\ndata: {personal: true, records_per_year: 749970, attachments_per_record: 3, population: 30000000}\nenvironments:\n",
    );
    for e in 0..environments {
        let kind = match e % 4 {
            0 => "production",
            1 => "staging",
            2 => "qa",
            _ => "backup",
        };
        let _ = writeln!(
            out,
            "  env-{e}:\n    kind: {kind}\n    location: site-{}\n    zones: [a, b, c]\n    personal_data: {}\n    servers:",
            e % 3,
            kind != "qa"
        );
        for s in 0..servers {
            let _ = writeln!(
                out,
                "      - {{name: s{s}, cpu: 8, ram_gb: 16, disk_gb: 1100, disk_type: ssd, os: ubuntu-24.04, arch: x86_64, zone: {}}}",
                ["a", "b", "c"][s % 3]
            );
        }
        let _ = writeln!(out, "    components:");
        for c in 0..components {
            let (kind, extra) = match c % 5 {
                0 => ("web", "instances: 2, debug: false, image: \"app:1.2.3\""),
                1 => ("api", "instances: 2, debug: false, image: \"api:1.2.3\""),
                2 => (
                    "database",
                    "engine: postgres, version: \"16.4\", public: false, subnet: private, encrypted: true, service_account: app, replicas: {count: 1, mode: sync}, recovery: pitr, hosts: [s0]",
                ),
                3 => (
                    "worker",
                    "instances: 1, singleton: true, image: \"worker:1.2.3\"",
                ),
                _ => (
                    "queue",
                    "instances: 3, clustered: true, engine: rabbitmq, image: \"rabbitmq:3.13\"",
                ),
            };
            let _ = writeln!(out, "      - {{name: c{c}, kind: {kind}, {extra}}}");
        }
        let _ = writeln!(
            out,
            "    endpoints: [{{url: \"https://env-{e}.example.org\", kind: web-app, upstream: private}}]"
        );
    }
    out.push_str("access: {vpn: true, firewall: true, admins: 3, mfa: {env-0: true}}\n");
    out
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// CPU time of this process (user and system). On a shared machine the wall time of a run of
/// seconds depends on what else runs; the CPU time much less.
fn cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes only into the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// One file of the Terraform corpus: ten resources (the buckets count twice), using locals, variables, `for_each` and a
/// split S3 resource, some of them failing on purpose.
fn terraform_file(i: usize) -> String {
    format!(
        r#"locals {{
  name_{i} = "${{var.service}}-{i}"
}}

resource "aws_s3_bucket" "data_{i}" {{
  for_each = toset(["scans", "exports"])
  bucket   = "${{local.name_{i}}}-${{each.key}}"
  tags     = {{ BackupPolicy = "Prod" }}
}}

resource "aws_s3_bucket_public_access_block" "data_{i}" {{
  bucket                  = aws_s3_bucket.data_{i}["scans"].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_db_instance" "db_{i}" {{
  identifier              = local.name_{i}
  engine                  = "postgres"
  instance_class          = var.db_class
  storage_encrypted       = true
  multi_az                = "true"
  publicly_accessible     = false
  backup_retention_period = 7
  tags                    = {{ BackupPolicy = "Prod" }}
}}

resource "aws_dynamodb_table" "table_{i}" {{
  name         = "${{local.name_{i}}}-items"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  point_in_time_recovery {{
    enabled = {pitr}
  }}
}}

resource "aws_cloudwatch_log_group" "logs_{i}" {{
  name              = "/aws/lambda/${{local.name_{i}}}"
  retention_in_days = 90
}}

resource "aws_lambda_function" "fn_{i}" {{
  function_name = "${{local.name_{i}}}-fn"
  role          = "arn:aws:iam::123456789012:role/fn"
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = "build/app.zip"
}}

resource "aws_lambda_function_url" "fn_{i}" {{
  function_name      = aws_lambda_function.fn_{i}.function_name
  authorization_type = "AWS_IAM"
}}
resource "aws_sqs_queue" "jobs_{i}" {{
  name = "${{local.name_{i}}}-jobs"
}}

resource "aws_api_gateway_method" "get_{i}" {{
  rest_api_id   = "api"
  resource_id   = "root"
  http_method   = "GET"
  authorization = "{authorization}"
}}
"#,
        pitr = i % 7 != 0,
        authorization = if i % 5 == 0 { "NONE" } else { "AWS_IAM" },
    )
}

/// Writes a deployment into a fresh temporary directory; `files` are (path, text).
fn write_project(
    name: &str,
    files: impl Iterator<Item = (String, String)>,
) -> (std::path::PathBuf, f64) {
    let dir = std::env::temp_dir().join(format!("liftoff-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut bytes = 0;
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a file in a folder")).expect("temp dir");
        bytes += text.len();
        std::fs::write(path, text).expect("write corpus");
    }
    (dir, bytes as f64 / 1e6)
}

/// One run of the same steps as `liftoff check --format json`, in this process (a fresh one, as
/// every `liftoff check` is): prints its times, its result count and its peak memory on lines
/// the parent reads.
fn run_once(dir: &std::path::Path) {
    // As `liftoff check` sets it at its start.
    liftoff::allocator::no_fast_bins();
    let today: Date = "2026-11-22".parse().unwrap();
    let start = Instant::now();
    let cpu_start = cpu_time();
    let loaded = liftoff::sources::load(dir).expect("generated corpus loads");
    let read = start.elapsed();
    let profile =
        policy::load_profile("baseline", dir, &loaded.declarations).expect("baseline loads");
    let options = Options {
        stage: Stage::Production,
        offline: true,
        today,
    };
    let assessment = policy::assess(&loaded.deployment, &loaded.declarations, &profile, options)
        .expect("assessment");
    let assessed = start.elapsed();
    // Streamed, as `check` streams it to its standard output (building the whole report in
    // memory first, 250 MB at 200,000 resources, cost more than writing it).
    liftoff::report::write_json(&assessment, &mut std::io::sink()).expect("a sink takes it");
    let total = start.elapsed();
    let cpu = cpu_time() - cpu_start;
    println!("read-ns {}", read.as_nanos());
    println!("assessed-ns {}", assessed.as_nanos());
    println!("total-ns {}", total.as_nanos());
    println!("cpu-ns {}", cpu.as_nanos());
    println!("results {}", assessment.results.len());
    println!("peak-mb {:.1}", peak_rss_mb().unwrap_or(f64::NAN));
    // `check` exits without freeing the assessment one allocation at a time; so does this run.
    std::process::exit(0);
}

/// What one run printed.
struct Run {
    read: Duration,
    /// Reading, then judging (the profile and the rules), before the report is written.
    assessed: Duration,
    total: Duration,
    cpu: Duration,
    results: usize,
    peak_mb: f64,
}

/// Runs `case` once in a child process on the corpus in `dir`.
fn spawn_run(case: &str, dir: &std::path::Path) -> Run {
    let me = std::env::current_exe().expect("the bench binary");
    let out = std::process::Command::new(me)
        .env("LIFTOFF_BENCH_CASE", case)
        .env("LIFTOFF_BENCH_DIR", dir)
        .output()
        .expect("the bench re-runs itself");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{case} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let field = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{case}: no {name} in {text}"))
    };
    let ns = |name: &str| Duration::from_nanos(field(name) as u64);
    Run {
        read: ns("read-ns"),
        assessed: ns("assessed-ns"),
        total: ns("total-ns"),
        cpu: ns("cpu-ns"),
        results: field("results") as usize,
        peak_mb: field("peak-mb"),
    }
}

/// Prints a case's medians over its runs (and the time per resource when `resources` is given);
/// returns the median wall and CPU time per resource in microseconds, and the largest peak.
fn report(label: &str, runs: &[Run], resources: Option<usize>) -> Option<(f64, f64, f64)> {
    let n = runs.len();
    let total = median(runs.iter().map(|r| r.total).collect());
    let cpu = median(runs.iter().map(|r| r.cpu).collect());
    let peak = runs.iter().map(|r| r.peak_mb).fold(0.0, f64::max);
    println!("{label}");
    println!(
        "  read + model (median of {n}): {:?}",
        median(runs.iter().map(|r| r.read).collect())
    );
    println!(
        "  rules (median of {n}): {:?}",
        median(
            runs.iter()
                .map(|r| r.assessed.saturating_sub(r.read))
                .collect()
        )
    );
    println!(
        "  JSON report (median of {n}): {:?}",
        median(
            runs.iter()
                .map(|r| r.total.saturating_sub(r.assessed))
                .collect()
        )
    );
    println!(
        "  full check incl. JSON report (median of {n}): {total:?} for {} results",
        runs[0].results
    );
    println!("  CPU time of the full check (median of {n}): {cpu:?}");
    println!("  peak resident memory: {peak:.1} MB");
    let resources = resources? as f64;
    let per = |d: Duration| d.as_secs_f64() * 1e6 / resources;
    println!("  per resource: {:.2} µs", per(total));
    println!("  CPU per resource: {:.2} µs", per(cpu));
    Some((per(total), per(cpu), peak))
}

/// The Terraform corpus: `files` files of ten resources each (ten stacks per file when `files` is
/// one, to make one large file).
fn terraform_corpus(files: usize, stacks_per_file: usize) -> Vec<(String, String)> {
    let header = (
        "liftoff.yaml".to_string(),
        "service: records\nenvironments:\n  production: {kind: production}\n".to_string(),
    );
    let variables = (
        "terraform/production/variables.tf".to_string(),
        "variable \"service\" { default = \"records\" }\nvariable \"db_class\" { default = \"db.t3.medium\" }\n"
            .to_string(),
    );
    let stacks = (0..files).map(|f| {
        let text: String = (0..stacks_per_file)
            .map(|s| terraform_file(f * stacks_per_file + s))
            .collect();
        (format!("terraform/production/stack_{f:04}.tf"), text)
    });
    [header, variables].into_iter().chain(stacks).collect()
}

/// A case's corpus, written into a fresh temporary directory: its label, its folder and how
/// many resources it holds (none for the manifest).
fn corpus(case: &str) -> (String, std::path::PathBuf, Option<usize>) {
    match case {
        "manifest" => {
            let manifest = generate(200, 20, 20);
            let (dir, mb) = write_project(
                "manifest",
                std::iter::once(("liftoff.yaml".to_string(), manifest)),
            );
            (
                format!("manifest: {mb:.1} MB, 200 environments x 20 servers x 20 components"),
                dir,
                None,
            )
        }
        "terraform" => {
            let (dir, mb) = write_project("terraform", terraform_corpus(1000, 1).into_iter());
            (
                format!("terraform: {mb:.1} MB, 10,000 resources in 1,000 files"),
                dir,
                Some(10_000),
            )
        }
        "terraform-20k" | "terraform-200k" => {
            let files = if case == "terraform-20k" {
                2_000
            } else {
                20_000
            };
            let (dir, mb) = write_project(case, terraform_corpus(files, 1).into_iter());
            (
                format!(
                    "{case}: {mb:.1} MB, {} resources in {files} files",
                    files * 10
                ),
                dir,
                Some(files * 10),
            )
        }
        "large" => {
            let (dir, mb) = write_project("large", terraform_corpus(1, 18_200).into_iter());
            (
                format!("large: {mb:.1} MB, 182,000 resources in one file"),
                dir,
                Some(182_000),
            )
        }
        other => panic!("unknown case {other}"),
    }
}

/// Runs per case. Each is a process of its own, as each `liftoff check` is: a process that has
/// already judged a deployment and freed it allocates from a heap of scattered free chunks, which
/// no user's check does.
const RUNS: usize = 7;

/// Writes every case's corpus, then runs the cases in turns (one run of each per round, so that
/// a change in the machine's load hits all of them alike) and prints each case's medians; then
/// compares the 200,000-resource root with the 20,000 one (the goal: under ten times) and the
/// large file's per-resource cost with the 10,000-resource corpus (the goal: within twice, in
/// time and in memory).
fn main() {
    if let (Ok(_), Some(dir)) = (
        std::env::var("LIFTOFF_BENCH_CASE"),
        std::env::var_os("LIFTOFF_BENCH_DIR"),
    ) {
        run_once(std::path::Path::new(&dir));
        return;
    }
    let cases: Vec<String> = match std::env::var("LIFTOFF_BENCH_CASES") {
        Ok(list) => list.split(',').map(str::to_string).collect(),
        Err(_) => [
            "manifest",
            "terraform",
            "large",
            "terraform-20k",
            "terraform-200k",
        ]
        .map(str::to_string)
        .to_vec(),
    };
    let corpora: Vec<_> = cases.iter().map(|case| corpus(case)).collect();
    let mut runs: Vec<Vec<Run>> = cases.iter().map(|_| Vec::new()).collect();
    for _ in 0..RUNS {
        for ((case, (_, dir, _)), runs) in cases.iter().zip(&corpora).zip(&mut runs) {
            runs.push(spawn_run(case, dir));
        }
    }
    let mut per_resource = std::collections::HashMap::new();
    for ((case, (label, dir, resources)), runs) in cases.iter().zip(&corpora).zip(&runs) {
        if let Some(figures) = report(label, runs, *resources) {
            per_resource.insert(case.as_str(), figures);
        }
        // LIFTOFF_BENCH_KEEP=1 keeps the corpus, to time the release binary on it end to end.
        if std::env::var_os("LIFTOFF_BENCH_KEEP").is_some() {
            println!("  corpus kept in {}", dir.display());
        } else {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    if let (Some(small), Some(large)) = (
        per_resource.get("terraform-20k"),
        per_resource.get("terraform-200k"),
    ) {
        // Per-resource times, so the whole-check ratio is ten times their ratio.
        println!(
            "200,000 / 20,000 resources in files of ten: time x{:.2} (goal: under x10, linear)",
            10.0 * large.0 / small.0
        );
        println!(
            "200,000 / 20,000 resources in files of ten: CPU time x{:.2}",
            10.0 * large.1 / small.1
        );
    }
    if let (Some(small), Some(large)) = (per_resource.get("terraform"), per_resource.get("large")) {
        let kb = |mb: f64, n: f64| mb * 1024.0 / n;
        println!(
            "large / 10,000-resource corpus, per resource: time x{:.2}, memory x{:.2} (goal: at most x2)",
            large.0 / small.0,
            kb(large.2, 182_000.0) / kb(small.2, 10_000.0)
        );
    }
}
