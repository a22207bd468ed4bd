//! `liftoff diff`: environment parity, fact by fact.

use super::{Failure, InDir, Outcome, emit};
use liftoff::diagnostic::{Diagnostic, InputError, did_you_mean};
use liftoff::parity::{self, Difference};
use std::fmt::Write;
use std::path::PathBuf;

/// Arguments of `liftoff diff`.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The directory holding liftoff.yaml.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The environment to compare (typically staging).
    #[arg(long)]
    from: String,
    /// The environment to compare it with (typically production).
    #[arg(long)]
    to: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    #[command(flatten)]
    policy: super::PolicyArgs,
    #[command(flatten)]
    terraform: super::TerraformArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum DiffFormat {
    Text,
    Json,
    Markdown,
}

/// Compares two environments. Exits 1 when they drift apart in a way the manifest does not accept.
pub fn run(args: DiffArgs) -> Result<Outcome, Failure> {
    let dir = &args.dir;
    let source = liftoff::pipeline::Source::Files(args.terraform.options(dir)?);
    let loaded = super::read(dir, source, None)?.loaded;
    // Parity compares facts, not verdicts; the policies are still read, so a broken one is
    // reported here as it would be by `check`.
    liftoff::pipeline::policies(dir, &loaded.declarations.policies, &args.policy.policies)
        .in_dir(dir)?;
    let model = &loaded.deployment;
    let find = |name: &str| {
        // The name itself, else a spelling of the same vocabulary entry (`prod` for
        // `production`, `preprod` for `pre-production`), as discovery and the manifest read them.
        let found = model.environment(name).or_else(|| {
            let entry = liftoff::model::env_names::lookup(name)?;
            let mut same = model
                .environments
                .iter()
                .filter(|e| liftoff::model::env_names::same_environment(&e.name, entry));
            match (same.next(), same.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        });
        found.ok_or_else(|| {
            let names: Vec<&str> = model.environments.iter().map(|e| e.name.as_str()).collect();
            let mut d = match loaded.manifest_path.as_deref() {
                Some(manifest) => Diagnostic::in_file(manifest, format!("no environment named `{name}`"))
                    .expected(if names.is_empty() {
                        "a declared environment".to_string()
                    } else {
                        format!("one of {}", names.join(", "))
                    }),
                // No liftoff.yaml: the environments are the ones the files name.
                None => Diagnostic {
                    location: None,
                    message: format!(
                        "no environment named `{name}`: with no liftoff.yaml, the environments are those the deployment files and pipelines name"
                    ),
                    expected: Some(if names.is_empty() {
                        "an environment, but no file here names one".to_string()
                    } else {
                        format!("one of {}", names.join(", "))
                    }),
                    help: Some("`liftoff init` writes a liftoff.yaml that declares them".to_string()),
                },
            };
            if let Some(near) = did_you_mean(name, names.iter().copied()) {
                d = d.help(format!("did you mean `{near}`?"));
            }
            Failure::Input(InputError::one(d), dir.clone())
        })
    };
    let (from, to) = (find(&args.from)?, find(&args.to)?);
    let differences = parity::compare(from, to);
    let text = match args.format {
        DiffFormat::Json => {
            let value = serde_json::json!({"schema": "liftoff-diff/1", "from": from.name, "to": to.name,
                "in_parity": !differences.iter().any(Difference::breaks_parity), "differences": differences});
            format!(
                "{}\n",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )
        }
        DiffFormat::Text => to_text(&from.name, &to.name, &differences),
        DiffFormat::Markdown => to_markdown(&from.name, &to.name, &differences),
    };
    emit(&text, None)?;
    Ok(if differences.iter().any(Difference::breaks_parity) {
        Outcome::NotReady
    } else {
        Outcome::Ok
    })
}

fn value(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("(absent)")
}

fn verdict(d: &Difference) -> &'static str {
    if d.breaks_parity() {
        "drift"
    } else if d.accepted {
        "accepted"
    } else {
        "allowed"
    }
}

fn to_text(from: &str, to: &str, differences: &[Difference]) -> String {
    let mut out = String::new();
    let drift = differences.iter().filter(|d| d.breaks_parity()).count();
    let _ = writeln!(
        out,
        "{from} -> {to}: {} difference(s), {drift} breaking parity\n",
        differences.len()
    );
    for d in differences {
        let _ = writeln!(
            out,
            "  {:<9} {:<12} {}: {} -> {}",
            verdict(d),
            d.aspect,
            d.subject,
            value(&d.from),
            value(&d.to)
        );
    }
    if differences.is_empty() {
        let _ = writeln!(out, "  no differences");
    }
    out
}

fn to_markdown(from: &str, to: &str, differences: &[Difference]) -> String {
    let mut out = format!(
        "## `{from}` -> `{to}`\n\n| | aspect | subject | {from} | {to} |\n|---|---|---|---|---|\n"
    );
    for d in differences {
        let _ = writeln!(
            out,
            "| {} | {} | `{}` | {} | {} |",
            verdict(d),
            d.aspect,
            d.subject,
            value(&d.from),
            value(&d.to)
        );
    }
    out
}
