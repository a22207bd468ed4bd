//! `liftoff rules test [PATH]...`: house rules have tests too. A YAML policy's examples (kept in
//! `<policy>.tests/pass/` and `fail/`) are judged by its rules; a Rego policy's `test_` rules
//! are evaluated. Exit 0 when every verdict is the expected one, 1 when one is not, 2 when a
//! policy does not load.

use super::{Failure, InDir, Outcome, emit};
use liftoff::model::Date;
use liftoff::rules::custom::rego::RegoTestVerdict;
use liftoff::rules::custom::testing;
use std::fmt::Write;
use std::path::PathBuf;

/// Arguments of `liftoff rules test`.
#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Policy files or folders (default: liftoff.yaml's `policies:` in --dir).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The directory whose liftoff.yaml names the policies, and that paths are shown relative to.
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    format: TestFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum TestFormat {
    Text,
    Json,
}

/// One line of the verdicts: what was tested, what was expected, what came out.
struct Verdict {
    policy: String,
    /// An example's path, or a Rego test's name and position.
    test: String,
    expected: &'static str,
    got: String,
    ok: bool,
    /// The failing results of an example, or why a Rego test did not pass.
    detail: Vec<String>,
}

/// Runs every policy's tests and prints a verdict per example or test.
pub fn run(args: TestArgs, today: Date) -> Result<Outcome, Failure> {
    let dir = &args.dir;
    let paths = if args.paths.is_empty() {
        let declared = liftoff::sources::manifest_policies(dir).in_dir(dir)?;
        if declared.is_empty() {
            return Err(Failure::Other(anyhow::anyhow!(
                "no policies to test: name policy files or folders, or list them under `policies:` in {}",
                dir.join("liftoff.yaml").display()
            )));
        }
        declared.iter().map(|p| dir.join(&p.value)).collect()
    } else {
        args.paths.clone()
    };
    let report = testing::run(&paths, dir, today).in_dir(dir)?;
    let mut verdicts = Vec::new();
    for policy in &report.policies {
        for example in &policy.examples {
            verdicts.push(Verdict {
                policy: policy.file.clone(),
                test: example.path.clone(),
                expected: example.expected.as_str(),
                got: match &example.got {
                    testing::Got::Unreadable(why) => format!("unreadable ({why})"),
                    other => other.as_str().to_string(),
                },
                ok: example.ok,
                detail: example.failing.clone(),
            });
        }
        // The runner has run a Rego policy's `test_` rules too.
        for outcome in &policy.rego_tests {
            let (got, detail) = match &outcome.verdict {
                RegoTestVerdict::Passed => ("true".to_string(), Vec::new()),
                RegoTestVerdict::Failed(why) => ("not true".to_string(), vec![why.clone()]),
                RegoTestVerdict::Error(why) => ("error".to_string(), vec![why.clone()]),
            };
            verdicts.push(Verdict {
                policy: policy.file.clone(),
                test: format!("{} ({})", outcome.name, outcome.location),
                expected: "true",
                ok: outcome.verdict == RegoTestVerdict::Passed,
                got,
                detail,
            });
        }
    }
    let failed = verdicts.iter().filter(|v| !v.ok).count();
    let text = match args.format {
        TestFormat::Json => {
            let list: Vec<serde_json::Value> = verdicts
                .iter()
                .map(|v| {
                    serde_json::json!({"policy": v.policy, "test": v.test, "expected": v.expected,
                        "got": v.got, "ok": v.ok, "detail": v.detail})
                })
                .collect();
            let value = serde_json::json!({"tests": list, "run": verdicts.len(), "failed": failed});
            format!(
                "{}\n",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )
        }
        TestFormat::Text => {
            let mut out = String::new();
            let mut current = None;
            for v in &verdicts {
                if current != Some(&v.policy) {
                    let _ = writeln!(out, "{}", v.policy);
                    current = Some(&v.policy);
                }
                let mark = if v.ok { "ok  " } else { "FAIL" };
                let _ = writeln!(
                    out,
                    "  {mark} {} (expected {}, got {})",
                    v.test, v.expected, v.got
                );
                if !v.ok {
                    for line in &v.detail {
                        let _ = writeln!(out, "         {line}");
                    }
                }
            }
            for policy in report
                .policies
                .iter()
                .filter(|p| p.examples.is_empty() && p.rego_tests.is_empty())
            {
                let _ = writeln!(out, "{}\n  no examples", policy.file);
            }
            let _ = writeln!(
                out,
                "\n{} test(s), {} as expected, {failed} not",
                verdicts.len(),
                verdicts.len() - failed
            );
            out
        }
    };
    emit(&text, None)?;
    Ok(if failed > 0 {
        Outcome::NotReady
    } else {
        Outcome::Ok
    })
}
