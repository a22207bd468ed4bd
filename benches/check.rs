//! Benchmarks, in-process, of two generated deployments: a manifest of 200 environments x 20
//! servers x 20 components, and a Terraform root of 10,000 resources in 1,000 files (the corpus
//! `scripts/compare` also gives checkov). Prints the median wall time of the full check and of
//! reading alone, and the process's peak resident memory. Run with `cargo bench --bench check`.
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

/// Runs the same steps as `liftoff check --format json` seven times; prints the medians.
fn measure(label: &str, dir: &std::path::Path) {
    let today: Date = "2026-11-22".parse().unwrap();
    let mut parse_times = Vec::new();
    let mut total_times = Vec::new();
    let mut results = 0;
    for _ in 0..7 {
        let start = Instant::now();
        let loaded = liftoff::sources::load(dir).expect("generated corpus loads");
        parse_times.push(start.elapsed());
        let profile =
            policy::load_profile("baseline", dir, &loaded.declarations).expect("baseline loads");
        let options = Options {
            stage: Stage::Production,
            offline: true,
            today,
        };
        let assessment =
            policy::assess(&loaded.deployment, &loaded.declarations, &profile, options)
                .expect("assessment");
        let json = liftoff::report::to_json(&assessment);
        total_times.push(start.elapsed());
        results = assessment.results.len();
        std::hint::black_box(json);
    }
    // LIFTOFF_BENCH_KEEP=1 keeps the corpus, to time the release binary on it end to end.
    if std::env::var_os("LIFTOFF_BENCH_KEEP").is_some() {
        println!("corpus kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(dir);
    }
    println!("{label}");
    println!("  read + model (median of 7): {:?}", median(parse_times));
    println!(
        "  full check incl. JSON report (median of 7): {:?} for {results} results",
        median(total_times)
    );
}

fn main() {
    let manifest = generate(200, 20, 20);
    let (dir, mb) = write_project(
        "manifest",
        std::iter::once(("liftoff.yaml".to_string(), manifest)),
    );
    measure(
        &format!("manifest: {mb:.1} MB, 200 environments x 20 servers x 20 components"),
        &dir,
    );

    let header = (
        "liftoff.yaml".to_string(),
        "service: records\nenvironments:\n  production: {kind: production}\n".to_string(),
    );
    let variables = (
        "terraform/production/variables.tf".to_string(),
        "variable \"service\" { default = \"records\" }\nvariable \"db_class\" { default = \"db.t3.medium\" }\n"
            .to_string(),
    );
    let stacks = (0..1000).map(|i| {
        (
            format!("terraform/production/stack_{i:04}.tf"),
            terraform_file(i),
        )
    });
    let (dir, mb) = write_project("terraform", [header, variables].into_iter().chain(stacks));
    measure(
        &format!("terraform: {mb:.1} MB, 10,000 resources in 1,000 files"),
        &dir,
    );
    if let Some(mb) = peak_rss_mb() {
        println!("peak resident memory (both runs): {mb:.1} MB");
    }
}
