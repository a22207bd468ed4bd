//! `liftoff init`: a starter liftoff.yaml from what is found in a directory.
//!
//! It writes only what the files tell: the environments their paths name, with their kinds and
//! the files that feed each. Everything else is a commented question, never a value: a guessed
//! `admins: 0` or `personal: false` would make rules pass on facts nobody stated.

use super::{Failure, InDir, Outcome};
use anyhow::Context;
use liftoff::model::{ArtefactStatus, Deployment};
use std::fmt::Write;
use std::path::PathBuf;

/// Arguments of `liftoff init`.
#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// The directory to write liftoff.yaml into.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Overwrite an existing liftoff.yaml.
    #[arg(long)]
    force: bool,
}

/// Writes the starter manifest and says what it found.
pub fn run(args: InitArgs) -> Result<Outcome, Failure> {
    let dir = &args.dir;
    let target = dir.join("liftoff.yaml");
    if target.exists() && !args.force {
        return Err(Failure::Other(anyhow::anyhow!(
            "{} already exists; pass --force to overwrite it",
            target.display()
        )));
    }
    let options = liftoff::sources::LoadOptions {
        ignore_manifest: true,
        ..Default::default()
    };
    let loaded = liftoff::sources::load_with(dir, &options).in_dir(dir)?;
    let text = manifest_text(&loaded.deployment);
    std::fs::write(&target, &text).with_context(|| format!("cannot write {}", target.display()))?;
    let read = loaded
        .deployment
        .artefacts
        .iter()
        .filter(|a| a.status == ArtefactStatus::Read)
        .count();
    eprintln!(
        "wrote {} ({} environment(s) inferred, {read} of {} deployment file(s) read); answer its questions, then run `liftoff check {}`",
        target.display(),
        loaded.deployment.inferred.len(),
        loaded.deployment.artefacts.len(),
        dir.display()
    );
    Ok(Outcome::Ok)
}

/// The manifest for an inferred deployment.
pub fn manifest_text(d: &Deployment) -> String {
    let mut out = String::new();
    let service = yaml_scalar(&d.service);
    let _ = writeln!(
        out,
        "# liftoff.yaml for {}: what no deployment file can tell.\n\
         # Written by `liftoff init` from the files found here. Check each line, answer the\n\
         # commented questions (uncomment a line to state a fact), then run `liftoff check`.\n\
         # Reference: `liftoff schema`; what a rule needs: `liftoff explain <rule>`.\n",
        d.service
    );
    let _ = writeln!(
        out,
        "service: {service}\nprofile: baseline\n\
         # other built-in profiles: hackney (the London Borough of Hackney's AWS conventions),\n\
         # strict (recommendations become requirements), pci-dss (strict plus PCI DSS); or the path\n\
         # of your own profile file (`extends: baseline`, see the README)"
    );
    let _ = writeln!(
        out,
        "# stage: production          # which stage do you gate for: staging, soft-launch or production?\n"
    );
    let _ = writeln!(
        out,
        "# data:\n\
         #   personal: true           # does the service hold personal data?\n\
         #   records_per_year: 100000 # how many records a year? (for the capacity plan)\n"
    );
    if d.inferred.is_empty() {
        let _ = writeln!(
            out,
            "# No file here names an environment. Declare each one with the files that deploy it:\n\
             # environments:\n\
             #   production:\n\
             #     kind: production\n\
             #     sources:\n\
             #       - {{terraform: infra/}}\n\
             environments: {{}}"
        );
    } else {
        let _ = writeln!(out, "environments:");
        for env in &d.inferred {
            let reads: Vec<String> = d
                .artefacts
                .iter()
                .filter(|a| {
                    a.status == ArtefactStatus::Read
                        && a.reason.as_deref().is_some_and(|r| {
                            r.split([' ', ',', '('])
                                .any(|w| w.trim_matches(|c| c == ',' || c == ')') == env.name)
                        })
                })
                .map(|a| a.path.clone())
                .collect();
            let _ = writeln!(out, "  {}:", yaml_scalar(&env.name));
            let _ = writeln!(
                out,
                "    {:<28} # from {}",
                format!("kind: {}", env.kind.as_str()),
                env.from.join(", ")
            );
            if !reads.is_empty() {
                let shown: Vec<&str> = reads.iter().take(8).map(String::as_str).collect();
                let more = reads.len().saturating_sub(shown.len());
                let _ = writeln!(
                    out,
                    "    # read for it: {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                );
            }
            match env.kind {
                liftoff::model::EnvKind::Production => {
                    for line in [
                        "# location: eu-west-2        # which site or cloud region does it run in?",
                        "# endpoints:                 # which URLs do users reach? (for the live checks)",
                        "#   - {url: \"https://app.example.org\", kind: web-app}",
                    ] {
                        let _ = writeln!(out, "    {line}");
                    }
                }
                liftoff::model::EnvKind::Staging => {
                    for line in [
                        "# mirrors: production        # is it built like production?",
                        "# restored_from_backup: daily # is it restored from production backups, how often?",
                    ] {
                        let _ = writeln!(out, "    {line}");
                    }
                }
                _ => {}
            }
        }
    }
    if !d.suggestions.is_empty() {
        let _ = writeln!(
            out,
            "\n# Files liftoff could not attach to one environment: which environment does each\n\
             # deploy to? Add its line under that environment's `sources:` (var_files if it needs them)."
        );
        for s in &d.suggestions {
            let _ = writeln!(
                out,
                "#   environments.{}.sources:\n#     {}",
                s.environment, s.line
            );
        }
    }
    let _ = writeln!(
        out,
        "\n# access:\n\
         #   admins: 3                # how many people hold production admin rights?\n\
         #   vpn: true                # is administration reached only through a VPN?\n\
         # monitoring:\n\
         #   channels: [{{slack: SLACK_WEBHOOK_URL}}]  # where do alerts go? (a variable name, never the URL)\n\
         # backups:                   # what is backed up, how often, and where to?\n\
         #   - {{of: db, every: 1d, location: other-site, encrypted: true, transport: vpn}}\n\
         # processes:\n\
         #   runbooks: {{outage: docs/runbooks/outage.md}}  # where are the runbooks?"
    );
    out
}

/// A YAML plain scalar when that reads back as the same string, else a quoted one.
fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "null" | "on" | "off" | "~"
        )
        && text.parse::<f64>().is_err();
    if plain {
        text.to_string()
    } else {
        serde_json::to_string(text).unwrap_or_default()
    }
}
