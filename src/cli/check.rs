//! `liftoff check`: assess a deployment.

use super::{Failure, InDir, Outcome, emit_with};
use liftoff::model::{Date, Stage};
use liftoff::pipeline::{Judged, PipelineError, Probing, Request, Source};
use liftoff::report::{self, Format, TextOptions};
use std::path::PathBuf;
use std::str::FromStr;

/// Arguments of `liftoff check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The directory holding liftoff.yaml and the deployment files.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The stage to gate for (default: the manifest's `stage`, else production).
    #[arg(long, value_parser = Stage::from_str)]
    stage: Option<Stage>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Where reports go: `PATH` writes the `--format` report there; `FORMAT=PATH` writes that
    /// format (repeatable, one assessment for all: `-o sarif=liftoff.sarif -o markdown=comment.md
    /// -o text=-`; `-` is standard output). Without it the `--format` report goes to standard
    /// output.
    #[arg(long, short, value_name = "[FORMAT=]PATH", value_parser = parse_output)]
    output: Vec<Output>,
    /// A baseline file written by `liftoff baseline`: failing findings recorded in it are
    /// reported as baselined and do not block; only new ones do.
    #[arg(long, value_name = "FILE", conflicts_with = "new_since")]
    baseline: Option<PathBuf>,
    /// Compare with a git revision (a commit, branch or tag of the repository DIR is in):
    /// liftoff assesses that revision's tree too, and findings that already failed there do not
    /// block.
    #[arg(long, value_name = "REF")]
    new_since: Option<String>,
    /// Refuse waivers written in deployment files' comments (`# liftoff:ignore`,
    /// `#checkov:skip`): their findings count as usual and the waivers are listed as refused.
    #[arg(long)]
    no_inline_waivers: bool,
    /// The database of `liftoff watch` (a SQLite file or a postgres:// URL): a backup whose
    /// heartbeats it has received counts as monitored (`reliability.backup-monitored`).
    #[arg(long, value_name = "PATH|URL")]
    watch_db: Option<String>,
    /// Do not probe live endpoints; live checks are reported as skipped.
    #[arg(long, env = "LIFTOFF_OFFLINE", value_parser = clap::builder::FalseyValueParser::new())]
    offline: bool,
    /// A built-in profile (baseline, hackney, strict, pci-dss) or the path of a profile file.
    #[arg(long)]
    profile: Option<String>,
    /// Report only results about this environment (and the deployment as a whole).
    #[arg(long = "env", value_name = "NAME")]
    environment: Option<String>,
    /// List passing and not-applicable results in the text report too.
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    policy: super::PolicyArgs,
    #[command(flatten)]
    terraform: super::TerraformArgs,
    #[command(flatten)]
    probe: super::probe::ProbeArgs,
}

/// One `--output`: a format (or the `--format` one) and where it goes (`None`: standard output).
#[derive(Clone, Debug)]
pub struct Output {
    format: Option<Format>,
    path: Option<PathBuf>,
}

fn parse_output(text: &str) -> Result<Output, String> {
    use clap::ValueEnum;
    let path = |p: &str| (p != "-").then(|| PathBuf::from(p));
    if let Some((name, rest)) = text.split_once('=') {
        if let Ok(format) = Format::from_str(name, true) {
            if rest.is_empty() {
                return Err(format!(
                    "`{text}` names no path (use `{name}=-` for standard output)"
                ));
            }
            return Ok(Output {
                format: Some(format),
                path: path(rest),
            });
        }
    }
    if text.is_empty() {
        return Err("an empty path".to_string());
    }
    Ok(Output {
        format: None,
        path: path(text),
    })
}

/// Loads, assesses and renders.
pub fn run(args: CheckArgs, today: Date, color: bool) -> Result<Outcome, Failure> {
    let dir = &args.dir;
    let bar = args.probe.bar();
    let watch_db = args.watch_db.clone();
    let enrich = move |deployment: &mut liftoff::model::Deployment| {
        watch_db
            .as_deref()
            .map_or(Ok(()), |db| monitored_by_watch(deployment, db))
            .map_err(|e| format!("{e:#}"))
    };
    let judged = super::judge(Request {
        source: Source::Files(args.terraform.options(dir)?),
        profile: args.profile.clone(),
        policies: args.policy.policies.clone(),
        inline_waivers: !args.no_inline_waivers,
        stage: args.stage,
        environment: args.environment.clone(),
        enrich: Some(&enrich),
        probe: (!args.offline).then(|| Probing {
            options: args.probe.options(),
            progress: &bar,
        }),
        ..Request::new(dir, today)
    })?;
    let Judged {
        loaded,
        stage,
        mut assessment,
        ..
    } = judged;
    if let Some(file) = &args.baseline {
        let shown = file.display().to_string();
        let text = liftoff::sources::read_text(file, &shown).in_dir(dir)?;
        let baseline = liftoff::policy::Baseline::parse(&shown, &text).in_dir(dir)?;
        assessment.apply_baseline(&baseline, &shown);
    } else if let Some(revision) = &args.new_since {
        let baseline =
            baseline_at_revision(&args, revision, &profile_name(&args, &loaded), stage, today)?;
        assessment.apply_baseline(&baseline, &format!("git:{revision}"));
    }
    let outputs = if args.output.is_empty() {
        vec![Output {
            format: None,
            path: None,
        }]
    } else {
        args.output.clone()
    };
    if outputs.iter().filter(|o| o.path.is_none()).count() > 1 {
        return Err(Failure::Other(anyhow::anyhow!(
            "more than one --output writes to standard output"
        )));
    }
    for output in &outputs {
        let text_options = TextOptions {
            color: color && output.path.is_none(),
            verbose: args.verbose,
        };
        emit_with(output.path.as_deref(), |out| {
            report::write(
                &assessment,
                output.format.unwrap_or(args.format),
                text_options,
                out,
            )
        })?;
    }
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

/// The profile `check` assesses with (the flag, else the manifest's), to assess a revision alike.
fn profile_name(args: &CheckArgs, loaded: &liftoff::sources::Loaded) -> String {
    args.profile
        .clone()
        .or_else(|| {
            loaded
                .declarations
                .profile
                .as_ref()
                .map(|p| p.value.clone())
        })
        .unwrap_or_else(|| "baseline".to_string())
}

/// Assesses the tree of `revision` (extracted with `git archive` into a temporary directory,
/// never checked out over the work tree) offline, and returns its failing findings.
fn baseline_at_revision(
    args: &CheckArgs,
    revision: &str,
    profile: &str,
    stage: Stage,
    today: Date,
) -> Result<liftoff::policy::Baseline, Failure> {
    use anyhow::Context;
    let git = |what: &[&str]| -> Result<std::process::Output, Failure> {
        std::process::Command::new("git")
            .arg("-C")
            .arg(&args.dir)
            .args(what)
            .output()
            .with_context(|| "--new-since needs git on the PATH".to_string())
            .map_err(Failure::Other)
    };
    let inside = git(&["rev-parse", "--show-prefix"])?;
    if !inside.status.success() {
        return Err(Failure::Other(anyhow::anyhow!(
            "--new-since: {} is not inside a git repository: {}",
            args.dir.display(),
            String::from_utf8_lossy(&inside.stderr).trim()
        )));
    }
    let verified = git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{revision}^{{commit}}"),
    ])?;
    if !verified.status.success() {
        return Err(Failure::Other(anyhow::anyhow!(
            "--new-since: `{revision}` is not a commit of the repository"
        )));
    }
    let tree = tempfile::tempdir().context("cannot make a temporary directory")?;
    let archive = tree.path().join("tree.tar");
    let archived = git(&[
        "archive",
        "--format=tar",
        "-o",
        &archive.to_string_lossy(),
        revision,
        "--",
        ".",
    ])?;
    if !archived.status.success() {
        // The folder did not exist then: everything failing now is new.
        if String::from_utf8_lossy(&archived.stderr).contains("did not match") {
            return Ok(liftoff::policy::Baseline {
                version: 1,
                findings: Vec::new(),
            });
        }
        return Err(Failure::Other(anyhow::anyhow!(
            "--new-since: git archive {revision} failed: {}",
            String::from_utf8_lossy(&archived.stderr).trim()
        )));
    }
    let root = tree.path().join("tree");
    std::fs::create_dir_all(&root).context("cannot make a temporary directory")?;
    let unpacked = std::process::Command::new("tar")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(&root)
        .status()
        .context("--new-since needs tar on the PATH")?;
    if !unpacked.success() {
        return Err(Failure::Other(anyhow::anyhow!(
            "--new-since: cannot unpack the tree of {revision}"
        )));
    }
    // Run in DIR, `git archive … -- .` writes paths relative to DIR, as the check reads them.
    let dir = root;
    let judged = liftoff::pipeline::run(Request {
        source: Source::Files(args.terraform.options(&args.dir)?),
        profile: Some(profile.to_string()),
        policies: args.policy.policies.clone(),
        stage: Some(stage),
        ..Request::new(&dir, today)
    });
    let assessment = match judged {
        Ok(judged) => judged.assessment,
        // Errors in the old tree are not this change's fault: a revision that cannot be read
        // gives no baseline rather than stopping the check.
        Err(PipelineError::Load(_)) => {
            return Err(Failure::Other(anyhow::anyhow!(
                "--new-since: the deployment at {revision} cannot be read; compare with another revision or record a baseline file"
            )));
        }
        Err(other) => return Err(super::failure(other, dir)),
    };
    Ok(liftoff::policy::Baseline::of(&assessment))
}

/// Arguments of `liftoff baseline`.
#[derive(clap::Args, Debug)]
pub struct BaselineArgs {
    /// The directory holding liftoff.yaml and the deployment files.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where the baseline is written (relative to the current directory).
    #[arg(long, short, default_value = ".liftoff-baseline.json")]
    output: PathBuf,
    /// The stage gated for (default: the manifest's `stage`, else production).
    #[arg(long, value_parser = Stage::from_str)]
    stage: Option<Stage>,
    /// A built-in profile (baseline, hackney, strict, pci-dss) or the path of a profile file.
    #[arg(long)]
    profile: Option<String>,
    #[command(flatten)]
    policy: super::PolicyArgs,
    #[command(flatten)]
    terraform: super::TerraformArgs,
}

/// Records today's failing findings (from the files only: live findings are about the running
/// service, not the repository) so `check --baseline` blocks only on new ones.
pub fn baseline(args: BaselineArgs, today: Date) -> Result<Outcome, Failure> {
    let dir = &args.dir;
    let judged = super::judge(Request {
        source: Source::Files(args.terraform.options(dir)?),
        profile: args.profile.clone(),
        policies: args.policy.policies.clone(),
        stage: args.stage,
        ..Request::new(dir, today)
    })?;
    let assessment = judged.assessment;
    let baseline = liftoff::policy::Baseline::of(&assessment);
    let mut text = serde_json::to_string_pretty(&baseline)
        .map_err(|e| Failure::Other(anyhow::anyhow!("cannot write the baseline: {e}")))?;
    text.push('\n');
    super::emit(&text, Some(&args.output))?;
    eprintln!(
        "liftoff: {} failing finding(s) recorded in {}; `liftoff check --baseline {}` blocks only on new ones",
        baseline.findings.len(),
        args.output.display(),
        args.output.display()
    );
    Ok(Outcome::Ok)
}

/// Marks backups whose heartbeats `liftoff watch` has received as monitored (unless the manifest
/// says otherwise), with the last heartbeat as evidence.
fn monitored_by_watch(deployment: &mut liftoff::model::Deployment, db: &str) -> anyhow::Result<()> {
    use liftoff::model::{Fact, Origin};
    let postgres = db.starts_with("postgres://") || db.starts_with("postgresql://");
    if !postgres && !std::path::Path::new(db).is_file() {
        anyhow::bail!(
            "--watch-db {db}: no such file (the SQLite database liftoff watch writes, or a postgres:// URL)"
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the runtime: {e}"))?;
    let names: Vec<String> = deployment
        .backups
        .iter()
        .filter(|b| b.monitored.is_none())
        .map(|b| b.of.clone())
        .collect();
    let seen = runtime
        .block_on(async {
            let store = liftoff::watch::store::Store::open(db).await?;
            let mut seen = Vec::new();
            for name in names {
                if let Some(last) = store.last_heartbeat(&name).await? {
                    seen.push((name, last));
                }
            }
            Ok::<_, liftoff::watch::store::StoreError>(seen)
        })
        .map_err(|e| anyhow::anyhow!("--watch-db {db}: {e}"))?;
    let now = liftoff::watch::store::now();
    for (name, (at, ok, _)) in seen {
        if let Some(backup) = deployment.backups.iter_mut().find(|b| b.of == name) {
            backup.monitored = Some(Fact::new(
                true,
                Origin::Derived {
                    from: None,
                    how: format!(
                        "liftoff watch receives its heartbeats (the last, {} s ago, reported {})",
                        (now - at).max(0),
                        if ok { "success" } else { "a failure" }
                    )
                    .into(),
                },
            ));
        }
    }
    Ok(())
}
