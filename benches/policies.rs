//! What house rules cost: `liftoff check` of a generated 2,000-resource Terraform deployment,
//! without policies and with a hundred checkov-format YAML policies and ten Rego policies (the
//! goal: within twice the time without them). Runs the release binary end to end, as a team
//! would, in its default text format and in JSON (which lists every passing result too), and
//! prints the medians (runs without and with policies taken in turns) and their ratios. Run with
//! `cargo bench --bench policies`.
//!
//! The binary rather than the library: the figure that matters is the check a team runs, loading
//! and compiling the policies included.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Ten resources of ten kinds per file, with values that differ, so policies pass and fail.
fn terraform_file(i: usize) -> String {
    format!(
        r#"resource "aws_s3_bucket" "data_{i}" {{
  bucket = "records-{i}"
  tags   = {{ CostCentre = "{cost}", Owner = "records" }}
}}

resource "aws_s3_bucket_versioning" "data_{i}" {{
  bucket = aws_s3_bucket.data_{i}.id
  versioning_configuration {{
    status = "{versioning}"
  }}
}}

resource "aws_db_instance" "db_{i}" {{
  identifier              = "records-{i}"
  engine                  = "postgres"
  instance_class          = "db.t3.medium"
  storage_encrypted       = {encrypted}
  deletion_protection     = {protected}
  publicly_accessible     = false
  backup_retention_period = {retention}
  tags                    = {{ CostCentre = "{cost}" }}
}}

resource "aws_security_group" "web_{i}" {{
  name = "web-{i}"
  ingress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["{cidr}"]
  }}
}}

resource "aws_instance" "app_{i}" {{
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "{instance}"
  vpc_security_group_ids = [aws_security_group.web_{i}.id]
  monitoring             = true
  tags                   = {{ Name = "app-{i}" }}
}}

resource "aws_cloudwatch_log_group" "logs_{i}" {{
  name              = "/records/{i}"
  retention_in_days = {days}
}}

resource "aws_lambda_function" "fn_{i}" {{
  function_name = "records-{i}"
  role          = "arn:aws:iam::123456789012:role/fn"
  handler       = "app.handler"
  runtime       = "{runtime}"
  filename      = "build/app.zip"
}}

resource "aws_sqs_queue" "jobs_{i}" {{
  name                      = "records-{i}"
  message_retention_seconds = 345600
}}

resource "aws_dynamodb_table" "items_{i}" {{
  name         = "records-{i}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  point_in_time_recovery {{
    enabled = {pitr}
  }}
}}

resource "aws_ebs_volume" "disk_{i}" {{
  availability_zone = "eu-west-2a"
  size              = {size}
  encrypted         = true
}}
"#,
        cost = if i % 3 == 0 { "" } else { "cc-42" },
        versioning = if i % 4 == 0 { "Suspended" } else { "Enabled" },
        encrypted = i % 5 != 0,
        protected = i % 2 == 0,
        retention = i % 14,
        cidr = if i % 6 == 0 {
            "0.0.0.0/0"
        } else {
            "10.0.0.0/8"
        },
        instance = ["t3.micro", "m5.large", "c5.xlarge"][i % 3],
        days = [7, 30, 90, 365][i % 4],
        runtime = ["python3.12", "nodejs20.x", "python3.8"][i % 3],
        pitr = i % 7 != 0,
        size = 20 + i % 500,
    )
}

/// One hundred checkov-format policies: ten shapes (attribute operators, and/or/not, a
/// connection), ten variants each, each naming a few resource types as real policies do.
fn yaml_policy(n: usize) -> String {
    let v = n / 10;
    let definition = match n % 10 {
        0 => format!(
            "  cond_type: attribute\n  resource_types: [aws_s3_bucket, aws_db_instance]\n  attribute: tags.CostCentre\n  operator: regex_match\n  value: \"^cc-[0-9]{{{}}}$\"\n",
            v % 3 + 1
        ),
        1 => format!(
            "  cond_type: attribute\n  resource_types: [aws_db_instance]\n  attribute: backup_retention_period\n  operator: greater_than_or_equal\n  value: {}\n",
            v + 1
        ),
        2 => "  and:\n    - cond_type: attribute\n      resource_types: [aws_db_instance]\n      attribute: storage_encrypted\n      operator: is_true\n    - cond_type: attribute\n      resource_types: [aws_db_instance]\n      attribute: deletion_protection\n      operator: equals\n      value: true\n".to_string(),
        3 => format!(
            "  cond_type: attribute\n  resource_types: [aws_security_group]\n  attribute: ingress.*.cidr_blocks\n  operator: not_contains\n  value: \"0.0.0.0/{v}\"\n"
        ),
        4 => format!(
            "  cond_type: attribute\n  resource_types: [aws_cloudwatch_log_group]\n  attribute: retention_in_days\n  operator: within\n  value: [{}, 90, 365]\n",
            30 + v
        ),
        5 => "  or:\n    - cond_type: attribute\n      resource_types: [aws_lambda_function]\n      attribute: runtime\n      operator: starting_with\n      value: nodejs2\n    - cond_type: attribute\n      resource_types: [aws_lambda_function]\n      attribute: runtime\n      operator: equals\n      value: python3.12\n".to_string(),
        6 => format!(
            "  cond_type: attribute\n  resource_types: [aws_ebs_volume]\n  attribute: size\n  operator: less_than\n  value: {}\n",
            400 + v
        ),
        7 => "  cond_type: connection\n  resource_types: [aws_instance]\n  connected_resource_types: [aws_security_group]\n  operator: exists\n".to_string(),
        8 => "  not:\n    cond_type: attribute\n    resource_types: [aws_instance]\n    attribute: instance_type\n    operator: ending_with\n    value: .micro\n".to_string(),
        // checkov's own graph checks each name one to a few types (none of its 80 AWS checks
        // names `all`): one policy here judges every resource, the others two types.
        _ => format!(
            "  cond_type: attribute\n  resource_types: {}\n  attribute: tags.Owner{v}\n  operator: not_exists\n",
            if v == 0 { "all" } else { "[aws_s3_bucket, aws_instance]" }
        ),
    };
    format!(
        "metadata:\n  id: CKV2_BENCH_{n}\n  name: Benchmark policy {n}\n  category: GENERAL_SECURITY\ndefinition:\n{definition}"
    )
}

/// Ten Rego policies, each looking at every resource.
fn rego_policy(n: usize) -> String {
    let (kind, condition, what) = match n % 5 {
        0 => (
            "aws_db_instance",
            "not r.attributes.deletion_protection",
            "can be deleted by accident",
        ),
        1 => (
            "aws_s3_bucket",
            "not r.attributes.tags.CostCentre",
            "names no cost centre",
        ),
        2 => (
            "aws_lambda_function",
            "startswith(r.attributes.runtime, \"python3.8\")",
            "runs an old runtime",
        ),
        3 => (
            "aws_cloudwatch_log_group",
            "r.attributes.retention_in_days < 30",
            "keeps logs under a month",
        ),
        _ => (
            "aws_dynamodb_table",
            "not r.attributes.point_in_time_recovery[0].enabled",
            "has no point-in-time recovery",
        ),
    };
    let set = if n < 5 { "deny" } else { "warn" };
    format!(
        r#"package bench.p{n}

{set} contains {{
	"rule": "bench.p{n}",
	"target": r.address,
	"environment": r.environment,
	"message": sprintf("%s {what}", [r.address]),
}} if {{
	some r in input.resources
	r.type == "{kind}"
	{condition}
}}
"#
    )
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().expect("a file in a folder")).expect("temp dir");
    std::fs::write(path, text).expect("write corpus");
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// One `liftoff check` run: its wall time and how many bytes it printed.
fn run_check(binary: &Path, dir: &Path, format: &str, extra: &[&str]) -> (Duration, usize) {
    // The report goes to a file, as a CI job keeps it: read through a pipe into this process,
    // the 21 MB JSON report with policies timed the benchmark's own copying as much as the check.
    let report = dir.with_extension("report");
    let file = std::fs::File::create(&report).expect("a report file can be made");
    let start = Instant::now();
    let out = Command::new(binary)
        .args(["check", "--offline", "--format", format])
        .args(extra)
        .arg(dir)
        .stdout(file)
        .output()
        .expect("liftoff runs");
    let elapsed = start.elapsed();
    // 0: ready, 1: not ready; anything else is a broken corpus or policy.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "liftoff check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::metadata(&report).map_or(0, |m| m.len() as usize);
    let _ = std::fs::remove_file(&report);
    (elapsed, bytes)
}

/// The medians of fifteen runs without and fifteen with `extra`, taken in turns (after one of
/// each to warm the file cache): on a shared machine the load drifts, and runs in turns see the
/// same drift where two series one after the other do not.
fn time_pair(
    binary: &Path,
    dir: &Path,
    format: &str,
    extra: &[&str],
) -> ((Duration, usize), (Duration, usize)) {
    let (mut without, mut with) = (Vec::new(), Vec::new());
    let (mut bytes_without, mut bytes_with) = (0, 0);
    for run in 0..16 {
        let (a, bytes) = run_check(binary, dir, format, &[]);
        bytes_without = bytes;
        let (b, bytes) = run_check(binary, dir, format, extra);
        bytes_with = bytes;
        if run > 0 {
            without.push(a);
            with.push(b);
        }
    }
    ((median(without), bytes_without), (median(with), bytes_with))
}

fn main() {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_liftoff"));
    let dir = std::env::temp_dir().join(format!("liftoff-bench-policies-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write(
        &dir,
        "liftoff.yaml",
        "service: records\nenvironments:\n  production: {kind: production}\n",
    );
    for f in 0..200 {
        write(
            &dir,
            &format!("terraform/production/stack_{f:03}.tf"),
            &terraform_file(f),
        );
    }
    let policies = dir.join("policies");
    for n in 0..100 {
        write(&policies, &format!("yaml/p{n:03}.yaml"), &yaml_policy(n));
    }
    for n in 0..10 {
        write(&policies, &format!("rego/p{n:02}.rego"), &rego_policy(n));
    }
    let policy_arg = policies.to_string_lossy().into_owned();

    let mut out = String::new();
    let _ = writeln!(out, "policies: 2,000 Terraform resources in 200 files");
    for format in ["text", "json"] {
        let ((without, bytes_without), (with, bytes_with)) =
            time_pair(&binary, &dir, format, &["--policy", &policy_arg]);
        let ratio = with.as_secs_f64() / without.as_secs_f64();
        let _ = writeln!(
            out,
            "  {format}: without policies {without:?} ({bytes_without} bytes), with 100 YAML + 10 Rego {with:?} ({bytes_with} bytes) (medians of 15, in turns): {ratio:.2}x (goal: under 2x){}",
            if ratio < 2.0 { "" } else { "  NOT MET" }
        );
    }
    print!("{out}");
    if std::env::var_os("LIFTOFF_BENCH_KEEP").is_some() {
        println!("corpus kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
