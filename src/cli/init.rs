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
    let _ = writeln!(out, "service: {service}\nprofile: baseline");
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
    if d.inferred.is_empty() && !d.unclassified_stages.is_empty() {
        let _ = writeln!(
            out,
            "# The pipelines deploy stages whose names do not say what they are. Declare each with\n\
             # its kind (uncomment the lines, answer the question):\n\
             environments: {{}}\n\
             # environments:"
        );
        unclassified_blocks(&mut out, d, "# ");
    } else if d.inferred.is_empty() {
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
            let judged: Vec<_> = d
                .judged_as_production
                .iter()
                .filter(|s| s.environment == env.name)
                .collect();
            let unattached: Vec<_> = d
                .suggestions
                .iter()
                .filter(|s| s.environment == env.name)
                .collect();
            // A serverless stage spelled otherwise than the environment (`prod`), or deployed
            // only for some services, is written down: with a manifest, a discovered
            // serverless.yml is read with the environment's name as its stage, for every
            // service.
            let unknown_stage =
                env.stage.as_deref() == Some(liftoff::sources::serverless::UNKNOWN_STAGE);
            if unknown_stage {
                let _ = writeln!(
                    out,
                    "    # its pipeline deploys a serverless stage a CI variable sets: add `- {{serverless: <file>, stage: <stage>}}` under sources"
                );
            }
            let staged: Vec<String> = if unknown_stage {
                Vec::new()
            } else if env.stage.is_some() || env.serverless.is_some() {
                let stage = env.stage.clone().unwrap_or_else(|| env.name.clone());
                d.artefacts
                    .iter()
                    .filter(|a| {
                        a.kind == liftoff::model::ArtefactKind::Serverless
                            && !liftoff::sources::serverless::is_compose(&a.path)
                            && matches!(a.status, ArtefactStatus::Read | ArtefactStatus::Ignored)
                            && liftoff::sources::development_only(&a.path).is_none()
                            && env.deploys_serverless(&a.path)
                    })
                    .map(|a| {
                        format!(
                            "- {{serverless: {}, stage: {}}}",
                            liftoff::model::flow_scalar(&a.path),
                            liftoff::model::flow_scalar(&stage)
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            };
            if !judged.is_empty() {
                let _ = writeln!(
                    out,
                    "    {:<28} # no environment is named: these files are judged as production",
                    "sources:"
                );
                for s in &judged {
                    let _ = writeln!(out, "      {}", s.line);
                }
            } else if !staged.is_empty() {
                let _ = writeln!(
                    out,
                    "    {:<28} # the serverless stage deployed for it",
                    "sources:"
                );
            } else if !unattached.is_empty() {
                let _ = writeln!(
                    out,
                    "    # sources:                   # files liftoff could not attach: uncomment the ones it deploys"
                );
            }
            for line in &staged {
                let _ = writeln!(out, "      {line}");
            }
            for s in &unattached {
                let _ = writeln!(out, "    #   {}", s.line);
            }
            if !reads.is_empty() && judged.is_empty() {
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
    if !d.inferred.is_empty() {
        unclassified_blocks(&mut out, d, "  # ");
    }
    // Files meant for an environment no file names: a commented block that declares it.
    let mut missing: Vec<&str> = d
        .suggestions
        .iter()
        .map(|s| s.environment.as_str())
        .filter(|e| !d.inferred.iter().any(|i| i.name == *e))
        .collect();
    missing.dedup();
    for env in missing {
        let _ = writeln!(
            out,
            "  # {}:{}# not named by any file: uncomment to declare it with what it deploys\n  #   sources:",
            yaml_scalar(env),
            " ".repeat(27usize.saturating_sub(env.len()))
        );
        for s in d.suggestions.iter().filter(|s| s.environment == env) {
            let _ = writeln!(out, "  #     {}", s.line);
        }
    }
    if !d.suggestions.is_empty() {
        let _ = writeln!(
            out,
            "\n# Files liftoff could not attach to one environment are listed, commented, under the\n\
             # environment they most likely deploy: uncomment a line to read it there, move it to\n\
             # another environment's `sources:`, or add `var_files:` if a root needs them."
        );
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

/// Each deployed stage whose name says nothing of its kind, as a commented environment whose
/// lines read back once `prefix`'s `# ` is taken off.
fn unclassified_blocks(out: &mut String, d: &Deployment, prefix: &str) {
    let services: Vec<&str> = d
        .artefacts
        .iter()
        .filter(|a| {
            a.kind == liftoff::model::ArtefactKind::Serverless
                && !liftoff::sources::serverless::is_compose(&a.path)
                && liftoff::sources::development_only(&a.path).is_none()
        })
        .map(|a| a.path.as_str())
        .collect();
    // Inside `environments:` when it has entries, else under a commented `environments:`.
    let indent = if prefix.starts_with(' ') { "" } else { "  " };
    for stage in &d.unclassified_stages {
        let name = yaml_scalar(&stage.stage);
        let _ = writeln!(
            out,
            "{prefix}{indent}{name}:{}# deployed as stage `{}`: is it staging, qa or development?",
            " ".repeat(27usize.saturating_sub(name.len())),
            stage.stage
        );
        let _ = writeln!(
            out,
            "{prefix}{indent}  kind: staging\n{prefix}{indent}  sources:"
        );
        for path in &services {
            let _ = writeln!(
                out,
                "{prefix}{indent}    - {{serverless: {}, stage: {}}}",
                liftoff::model::flow_scalar(path),
                liftoff::model::flow_scalar(&stage.stage)
            );
        }
    }
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
