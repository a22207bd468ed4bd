//! `liftoff model`: the deployment model as the JSON document house policies judge.

use super::{Failure, InDir, Outcome, emit};
use std::path::PathBuf;

/// Arguments of `liftoff model`.
#[derive(clap::Args, Debug)]
pub struct ModelArgs {
    /// The directory holding liftoff.yaml and the deployment files.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ModelFormat::Json)]
    format: ModelFormat,
    #[command(flatten)]
    policy: super::PolicyArgs,
    #[command(flatten)]
    terraform: super::TerraformArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ModelFormat {
    Json,
}

/// Prints exactly the document Rego policies receive as `input` for these files and options.
pub fn run(args: ModelArgs) -> Result<Outcome, Failure> {
    let dir = &args.dir;
    let source = liftoff::pipeline::Source::Files(args.terraform.options(dir)?);
    let loaded = super::read(dir, source, None)?.loaded;
    // The policies do not change the document; a broken one is still reported, as `check`
    // would report it, so the document is never printed for a setup check would refuse.
    liftoff::pipeline::policies(dir, &loaded.declarations.policies, &args.policy.policies)
        .in_dir(dir)?;
    let text = match args.format {
        ModelFormat::Json => {
            let document = liftoff::model::document::document(&loaded.deployment);
            let mut text = serde_json::to_string_pretty(&document)
                .map_err(|e| Failure::Other(anyhow::anyhow!("cannot write the model: {e}")))?;
            text.push('\n');
            text
        }
    };
    emit(&text, None)?;
    Ok(Outcome::Ok)
}
