//! `liftoff check`: assess a deployment.

use super::{Failure, InDir, Outcome, emit_with};
use liftoff::model::{Date, Stage};
use liftoff::policy::{self, Options};
use liftoff::report::{self, Format, TextOptions};
use std::path::PathBuf;

/// Arguments of `liftoff check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The directory holding liftoff.yaml and the deployment files.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The stage to gate for (default: the manifest's `stage`, else production).
    #[arg(long, value_parser = parse_stage)]
    stage: Option<Stage>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Do not probe live endpoints; live checks are reported as skipped.
    #[arg(long, env = "LIFTOFF_OFFLINE", value_parser = clap::builder::FalseyValueParser::new())]
    offline: bool,
    /// A built-in profile (baseline, strict, pci-dss) or the path of a profile file.
    #[arg(long)]
    profile: Option<String>,
    /// Report only results about this environment (and the deployment as a whole).
    #[arg(long = "env", value_name = "NAME")]
    environment: Option<String>,
    /// List passing and not-applicable results in the text report too.
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    terraform: super::TerraformArgs,
    #[command(flatten)]
    probe: super::probe::ProbeArgs,
}

pub(super) fn parse_stage(text: &str) -> Result<Stage, String> {
    text.parse()
}

/// Loads, assesses and renders.
pub fn run(args: CheckArgs, today: Date, color: bool) -> Result<Outcome, Failure> {
    let dir = &args.dir;
    let options = args.terraform.options(dir)?;
    let mut loaded = liftoff::sources::load_with(dir, &options).in_dir(dir)?;
    let profile = super::profile_for(args.profile.as_deref(), &loaded.declarations, dir)?;
    let stage = args
        .stage
        .or(loaded.deployment.stage.as_ref().map(|s| s.value))
        .unwrap_or(Stage::Production);
    if let Some(env) = &args.environment {
        if loaded.deployment.environment(env).is_none() {
            let names: Vec<&str> = loaded
                .deployment
                .environments
                .iter()
                .map(|e| e.name.as_str())
                .collect();
            let mut d = liftoff::diagnostic::Diagnostic::in_file(
                loaded.manifest_path.as_deref().unwrap_or("liftoff.yaml"),
                format!("--env names `{env}`, which is not a declared environment"),
            )
            .expected(if names.is_empty() {
                "a declared environment".to_string()
            } else {
                format!("one of {}", names.join(", "))
            });
            if let Some(near) = liftoff::diagnostic::did_you_mean(env, names.iter().copied()) {
                d = d.help(format!("did you mean `{near}`?"));
            }
            return Err(Failure::Input(
                liftoff::diagnostic::InputError::one(d),
                dir.clone(),
            ));
        }
    }
    if !args.offline {
        super::probe::observe(
            &mut loaded.deployment,
            args.environment.as_deref(),
            &args.probe,
        )?;
    }
    let options = Options {
        stage,
        offline: args.offline,
        today,
    };
    let mut assessment =
        policy::assess(&loaded.deployment, &loaded.declarations, &profile, options).in_dir(dir)?;
    if let Some(env) = &args.environment {
        // Counts and readiness follow the results shown: `--env staging` judges staging.
        assessment.retain_results(|r| r.environment.as_deref().is_none_or(|e| e == env));
    }
    let text_options = TextOptions {
        color: color && args.output.is_none(),
        verbose: args.verbose,
    };
    emit_with(args.output.as_deref(), |out| {
        report::write(&assessment, args.format, text_options, out)
    })?;
    let outcome = if assessment.ready {
        Outcome::Ok
    } else {
        Outcome::NotReady
    };
    // The process exits next: freeing tens of thousands of results and resources one by one
    // would cost a tenth of a large check's time, and the operating system reclaims it at once.
    // Neither holds anything that must be closed or flushed.
    std::mem::forget(loaded);
    std::mem::forget(assessment);
    Ok(outcome)
}
