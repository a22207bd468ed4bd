//! `liftoff init`: a starter liftoff.yaml from what is found in a directory.

use super::{Failure, InDir, Outcome};
use anyhow::Context;
use std::collections::BTreeSet;
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
    let candidates = ["production", "staging", "qa", "development", "backup"].map(String::from);
    let found = liftoff::sources::discover(dir, &[], &candidates).in_dir(dir)?;
    let service = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "my-service".into());
    let mut envs: BTreeSet<String> = found
        .artefacts
        .iter()
        .filter_map(|a| a.environment.clone())
        .collect();
    envs.insert("production".into());
    envs.insert("staging".into());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# liftoff.yaml: facts about {service} that no deployment file can tell."
    );
    let _ = writeln!(
        out,
        "# Reference: `liftoff schema`, and `liftoff explain <rule>` for what each rule needs."
    );
    let _ = writeln!(
        out,
        "service: {service}\nprofile: baseline\nstage: soft-launch\n"
    );
    let _ = writeln!(
        out,
        "data:\n  personal: false        # does the service hold personal data?\n"
    );
    if !found.artefacts.is_empty() {
        let _ = writeln!(
            out,
            "# Found in this directory (liftoff reads these once their readers exist):"
        );
        for a in &found.artefacts {
            let env = a
                .environment
                .as_deref()
                .map(|e| format!(" (for {e})"))
                .unwrap_or_default();
            let _ = writeln!(out, "#   {} {}{env}", a.kind, a.path);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "environments:");
    for env in &envs {
        let _ = writeln!(out, "  {env}:\n    kind: {env}");
        if env == "staging" {
            let _ = writeln!(out, "    mirrors: production");
        }
        if env == "production" {
            let _ = writeln!(
                out,
                "    location: my-datacenter   # site or cloud region\n    servers: []               # e.g. {{name: prod-1, cpu: 8, ram_gb: 16, disk_gb: 500, os: ubuntu-24.04, arch: x86_64}}\n    components: []            # e.g. {{name: db, kind: database, engine: postgres, public: false, encrypted: true}}\n    endpoints: []             # e.g. {{url: \"https://app.example.org\", kind: web-app}}"
            );
        }
    }
    let _ = writeln!(
        out,
        "\naccess:\n  vpn: false\n  admins: 0\n\nmonitoring:\n  channels: []              # e.g. {{slack: SLACK_WEBHOOK_URL}} (an environment variable name, never the URL)\n\nbackups: []                 # e.g. {{of: db, every: 1d, location: other-site, encrypted: true, transport: vpn}}\n\nwaivers: []"
    );
    std::fs::write(&target, &out).with_context(|| format!("cannot write {}", target.display()))?;
    eprintln!(
        "wrote {} ({} artefact file(s) found); run `liftoff check {}` next",
        target.display(),
        found.artefacts.len(),
        dir.display()
    );
    Ok(Outcome::Ok)
}
