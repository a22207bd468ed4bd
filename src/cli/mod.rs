//! The command line. The only part of liftoff that prints.

mod check;
mod diagnostics;
mod diff;
mod explain;
mod init;
mod model;
mod plan;
mod probe;
mod questions;
mod rules_test;
mod waivers;
mod watch;

use clap::{CommandFactory, Parser, Subcommand};
use liftoff::diagnostic::InputError;
use liftoff::model::Date;
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  liftoff check examples/civil-registry              assess for the manifest's stage
  liftoff check . --stage soft-launch --format json  machine-readable verdict
  liftoff check . --format sarif --output liftoff.sarif
  liftoff check . -o sarif=liftoff.sarif -o markdown=comment.md -o text=-
  liftoff baseline . && liftoff check . --baseline .liftoff-baseline.json
  liftoff check . --new-since origin/main --format github
  liftoff plan --records-per-year 749970 --attachments-per-record 3
  liftoff diff . --from staging --to production
  liftoff probe https://app.example.org --health /ping
  liftoff explain security.db-not-public
  liftoff check . --policy policies/ && liftoff rules test policies/
  liftoff model . --format json                      the document Rego policies see
  liftoff waivers .

Exit codes: 0 ready for the target stage, 1 not ready, 2 the input could not be assessed.";

/// Tells whether a deployment is ready for its next rollout stage.
#[derive(Parser, Debug)]
#[command(name = "liftoff", version, about, after_help = EXAMPLES, propagate_version = true)]
pub struct Cli {
    /// Judge dates (waiver expiry, pentest age) as of this day instead of today (UTC).
    #[arg(long, global = true, env = "LIFTOFF_TODAY", value_name = "YYYY-MM-DD", value_parser = parse_date)]
    today: Option<Date>,

    /// When to colour text output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn parse_date(text: &str) -> Result<Date, String> {
    text.parse()
        .map_err(|e: liftoff::model::DateError| e.to_string())
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Assess the deployment in DIR for a rollout stage.
    Check(check::CheckArgs),
    /// Record today's failing findings, so `check --baseline` blocks only on new ones.
    Baseline(check::BaselineArgs),
    /// Live checks only, for endpoints given as URLs: HTTPS, redirects, HSTS, header grades, certificate.
    Probe(probe::ProbeCommandArgs),
    /// Capacity plan: disk per environment and for backups, production server count.
    Plan(plan::PlanArgs),
    /// Watch the endpoints after go-live: scheduled checks, history, alerts (`--once` for cron).
    Watch(watch::WatchArgs),
    /// Environment parity: what differs between two environments (exit 1 on unaccepted drift).
    Diff(diff::DiffArgs),
    /// List the rule catalogue (with the house policies of liftoff.yaml and `--policy`);
    /// `rules test` runs the policies' examples.
    Rules(explain::RulesArgs),
    /// Show one rule's full documentation (a built-in rule or a house policy).
    Explain(explain::ExplainArgs),
    /// Print the deployment model as the one JSON document house policies see as `input`.
    Model(model::ModelArgs),
    /// List waivers: active, expiring within 30 days, expired and unused.
    Waivers(waivers::WaiversArgs),
    /// Write a starter liftoff.yaml from what is found in DIR.
    Init(init::InitArgs),
    /// Print the JSON Schema of liftoff.yaml (for editor completion).
    Schema,
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// What a command achieved.
pub enum Outcome {
    /// Ready / done: exit 0.
    Ok,
    /// Not ready: exit 1.
    NotReady,
}

/// Whether to colour output on standard output.
fn use_color(choice: ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Runs the command line and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // One pass over a large deployment, not a daemon: the watcher keeps glibc's defaults, with
    // which its memory over days was measured.
    if !matches!(cli.command, Command::Watch(_)) {
        liftoff::allocator::no_fast_bins();
    }
    let today = cli.today.unwrap_or_else(Date::today_utc);
    let color = use_color(cli.color);
    let result = match cli.command {
        Command::Check(args) => check::run(args, today, color),
        Command::Baseline(args) => check::baseline(args, today),
        Command::Probe(args) => probe::run(args, today, color),
        Command::Plan(args) => plan::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Rules(args) => explain::rules(args, today),
        Command::Explain(args) => explain::explain(args),
        Command::Model(args) => model::run(args),
        Command::Waivers(args) => waivers::run(args, today),
        Command::Init(args) => init::run(args, today),
        Command::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&liftoff::sources::manifest::json_schema())
                    .unwrap_or_default()
            );
            Ok(Outcome::Ok)
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "liftoff",
                &mut std::io::stdout(),
            );
            Ok(Outcome::Ok)
        }
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::NotReady) => ExitCode::from(1),
        Err(Failure::Input(error, base)) => {
            eprint!("{}", diagnostics::render(&error, &base));
            ExitCode::from(2)
        }
        Err(Failure::Other(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Why a command could not do its job. Both map to exit code 2.
pub enum Failure {
    /// Bad input, with the directory its paths are relative to (for source snippets).
    Input(InputError, std::path::PathBuf),
    /// Anything else (an output file that cannot be written, ...).
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Other(e)
    }
}

/// Attaches the base directory to an input error.
pub trait InDir<T> {
    fn in_dir(self, dir: &std::path::Path) -> Result<T, Failure>;
}

impl<T> InDir<T> for Result<T, InputError> {
    fn in_dir(self, dir: &std::path::Path) -> Result<T, Failure> {
        self.map_err(|e| Failure::Input(e, dir.to_path_buf()))
    }
}

/// The profile to assess with: the `--profile` flag, else the manifest's `profile`, else baseline.
pub fn profile_for(
    flag: Option<&str>,
    declarations: &liftoff::model::PolicyDeclarations,
    dir: &std::path::Path,
) -> Result<liftoff::policy::ResolvedProfile, Failure> {
    liftoff::pipeline::profile(flag, declarations, dir, &[]).in_dir(dir)
}

/// Runs the pipeline, with its errors as the command line reports them.
pub fn judge(
    request: liftoff::pipeline::Request<'_>,
) -> Result<liftoff::pipeline::Judged, Failure> {
    let dir = request.dir.clone();
    liftoff::pipeline::run(request).map_err(|e| failure(e, dir))
}

/// Reads the deployment in `dir` (the pipeline's first step).
pub fn read(
    dir: &std::path::Path,
    source: liftoff::pipeline::Source,
    stage: Option<liftoff::model::Stage>,
) -> Result<liftoff::pipeline::Read, Failure> {
    liftoff::pipeline::read(dir, source, stage).map_err(|e| failure(e, dir.to_path_buf()))
}

/// A pipeline error as the command line reports it; paths are relative to `dir`.
pub fn failure(error: liftoff::pipeline::PipelineError, dir: std::path::PathBuf) -> Failure {
    use liftoff::pipeline::PipelineError;
    match error {
        PipelineError::Load(e) | PipelineError::Input(e) => Failure::Input(e, dir),
        PipelineError::Probe(e) => Failure::Other(anyhow::anyhow!("--ca-file {e}")),
        PipelineError::Enrich(why) => Failure::Other(anyhow::anyhow!(why)),
    }
}

/// Writes `text` to `output` or standard output.
pub fn emit(text: &str, output: Option<&std::path::Path>) -> Result<(), Failure> {
    use anyhow::Context;
    match output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`liftoff check | head`) is not an error worth a message.
            let _ = stdout.write_all(text.as_bytes());
        }
    }
    Ok(())
}

/// Writes through `write` to `output`, or to standard output, buffered.
pub fn emit_with(
    output: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Failure> {
    use anyhow::Context;
    use std::io::Write;
    match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            write(&mut out)
                .and_then(|()| out.flush())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`liftoff check | head`) is not an error worth a message.
            let _ = write(&mut out).and_then(|()| out.flush());
        }
    }
    Ok(())
}

/// House rules beyond liftoff.yaml's `policies:`.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct PolicyArgs {
    /// A house-rule policy file, or a folder of them (checkov-format `*.yaml`/`*.yml`, Rego
    /// `*.rego`), judged with liftoff.yaml's `policies:` (repeatable).
    #[arg(long = "policy", value_name = "PATH")]
    pub policies: Vec<std::path::PathBuf>,
}

/// Terraform options shared by the commands that read the deployment files.
#[derive(clap::Args, Debug, Default)]
pub struct TerraformArgs {
    /// A Terraform variable file read after each root's own (repeatable), like `terraform plan -var-file`.
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<std::path::PathBuf>,
    /// A Terraform variable, `name=value` (repeatable); beats every variable file.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// The Terraform workspace `terraform.workspace` evaluates to (default: `default`, as in
    /// Terraform, unless a source in liftoff.yaml names one).
    #[arg(long, value_name = "NAME")]
    workspace: Option<String>,
    /// Stop with exit code 2 when a deployment file does not parse. By default such a file is
    /// listed as unreadable, gets one `error` result in its environment, and the rest is judged.
    #[arg(long)]
    strict_inputs: bool,
    /// Accepted for compatibility: judging the rest past a broken file is now the default.
    #[arg(long, hide = true)]
    keep_going: bool,
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("`{text}` is not NAME=VALUE")),
    }
}

impl TerraformArgs {
    /// The load options, with variable files made relative to the project directory `dir`, where
    /// every location in a report is relative to.
    pub fn options(&self, dir: &std::path::Path) -> Result<liftoff::sources::LoadOptions, Failure> {
        let mut var_files = Vec::new();
        for file in &self.var_files {
            let inside = dir
                .canonicalize()
                .ok()
                .zip(file.canonicalize().ok())
                .and_then(|(d, f)| f.strip_prefix(&d).ok().map(std::path::Path::to_path_buf));
            let Some(rel) = inside else {
                let d = liftoff::diagnostic::Diagnostic::in_file(
                    &file.display().to_string(),
                    if file.exists() {
                        "--var-file names a file outside the project directory"
                    } else {
                        "--var-file names a file that does not exist"
                    },
                )
                .expected(format!("a .tfvars file inside {}", dir.display()));
                return Err(Failure::Input(
                    liftoff::diagnostic::InputError::one(d),
                    dir.to_path_buf(),
                ));
            };
            var_files.push(rel.to_string_lossy().replace('\\', "/"));
        }
        Ok(liftoff::sources::LoadOptions {
            var_files,
            vars: self.vars.clone(),
            workspace: self.workspace.clone(),
            strict_inputs: self.strict_inputs,
            ..liftoff::sources::LoadOptions::default()
        })
    }
}
