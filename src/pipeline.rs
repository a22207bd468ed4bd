//! One composition of what judging a deployment takes: read the files, resolve the profile, probe
//! the live endpoints, assess. Every command that judges a deployment (`check`, `baseline`,
//! `watch`, `waivers`, `init`, `probe`, `diff`, `model`) goes through [`run`], so two commands
//! cannot read one directory two ways (a flag one honours and another forgets).
//!
//! It lies downstream of [`crate::sources`], [`crate::model`], [`crate::rules`], [`crate::probe`]
//! and [`crate::policy`], and upstream of the command line. Rendering is the caller's business.

use crate::diagnostic::{Diagnostic, InputError, did_you_mean};
use crate::model::{Date, Deployment, Fact, PolicyDeclarations, Stage};
use crate::policy::{self, Assessment, ResolvedProfile};
use crate::probe::{self, Progress, SetupError};
use crate::rules::Rule;
use crate::rules::custom::Policies;
use crate::sources::{LoadOptions, Loaded};
use std::path::{Path, PathBuf};

/// Where the deployment comes from.
pub enum Source {
    /// The files of [`Request::dir`], read with these options.
    Files(LoadOptions),
    /// A model built by the caller (`liftoff probe` builds one from URLs).
    Model(Box<Loaded>),
}

/// How live endpoints are probed.
pub struct Probing<'a> {
    pub options: probe::Options,
    /// Told how probing advances (a progress bar, or nothing).
    pub progress: &'a dyn Progress,
}

/// A change to the model made after loading and before probing, by a caller that knows more
/// (`check --watch-db` marks the backups whose heartbeats arrive as monitored). Its error is
/// reported as it is.
pub type Enrich<'a> = &'a dyn Fn(&mut Deployment) -> Result<(), String>;

/// What one judgement of a deployment needs.
pub struct Request<'a> {
    /// The project directory: where liftoff.yaml is, and what every reported path is relative to.
    pub dir: PathBuf,
    pub source: Source,
    /// A built-in profile name or a profile file (relative to `dir`); default: the manifest's,
    /// else `baseline`.
    pub profile: Option<String>,
    /// House-rule policy files or folders beyond the manifest's `policies:` (`--policy`), as
    /// given (relative to the current directory).
    pub policies: Vec<PathBuf>,
    /// Whether waivers written in deployment files' comments count (the profile may refuse them
    /// too; this only ever refuses).
    pub inline_waivers: bool,
    /// The stage gated for; default: the manifest's, else production.
    pub stage: Option<Stage>,
    /// Only this environment is probed and listed (it must be declared).
    pub environment: Option<String>,
    pub enrich: Option<Enrich<'a>>,
    /// `None`: offline, live checks are reported as skipped.
    pub probe: Option<Probing<'a>>,
    /// The day dates are judged on.
    pub today: Date,
}

impl<'a> Request<'a> {
    /// The whole judgement of the files in `dir`, offline, with default load options.
    pub fn new(dir: impl Into<PathBuf>, today: Date) -> Request<'a> {
        Request {
            dir: dir.into(),
            source: Source::Files(LoadOptions::default()),
            profile: None,
            policies: Vec::new(),
            inline_waivers: true,
            stage: None,
            environment: None,
            enrich: None,
            probe: None,
            today,
        }
    }
}

/// The deployment as read, before any judgement ([`read`]).
pub struct Read {
    /// The deployment, the manifest's declarations and its path.
    pub loaded: Loaded,
    /// The stage gated for.
    pub stage: Stage,
}

/// A judged deployment ([`run`]).
pub struct Judged {
    /// The deployment (with what probing saw), the manifest's declarations and its path.
    pub loaded: Loaded,
    /// The stage gated for.
    pub stage: Stage,
    /// The house policies judged (the manifest's and `--policy`), and their files.
    pub policies: Policies,
    pub profile: ResolvedProfile,
    pub assessment: Assessment,
}

/// Why a deployment could not be judged.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The deployment's files could not be read (a broken manifest, a file that does not parse
    /// under `strict_inputs`).
    #[error(transparent)]
    Load(InputError),
    /// Bad input (files, manifest, profile, an undeclared environment), with file positions.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The prober could not be set up (an unreadable CA file).
    #[error(transparent)]
    Probe(#[from] SetupError),
    /// The caller's [`Enrich`] step failed.
    #[error("{0}")]
    Enrich(String),
}

/// Reads the deployment and settles the stage: the first step of [`run`], for the commands that
/// look at the model without judging it (`diff`, `model`).
pub fn read(dir: &Path, source: Source, stage: Option<Stage>) -> Result<Read, PipelineError> {
    let loaded = match source {
        Source::Files(options) => {
            crate::sources::load_with(dir, &options).map_err(PipelineError::Load)?
        }
        Source::Model(loaded) => *loaded,
    };
    let stage = stage
        .or(loaded.deployment.stage.as_ref().map(|s| s.value))
        .unwrap_or(Stage::Production);
    Ok(Read { loaded, stage })
}

/// Reads, resolves the profile, probes (unless offline) and assesses.
pub fn run(request: Request<'_>) -> Result<Judged, PipelineError> {
    let dir = request.dir.as_path();
    let extra = &request.policies;
    // House policies depend on the manifest's `policies:` and `--policy` alone, not on the files
    // read: they load on a second thread while the files are read (110 policies took a sixth of
    // a 2,000-resource check). What the manifest declares is read there once more; should the
    // read find other paths (the manifest changed in between), they are loaded again after it.
    let speculate = match &request.source {
        Source::Files(options) => {
            !options.ignore_manifest
                && (!extra.is_empty() || crate::sources::find_manifest(dir).is_some())
        }
        Source::Model(_) => false,
    };
    let (read, early) = std::thread::scope(|scope| {
        let early = speculate.then(|| {
            scope.spawn(|| {
                let declared = crate::sources::manifest_policies(dir).ok()?;
                if declared.is_empty() && extra.is_empty() {
                    return None;
                }
                let loaded = policies(dir, &declared, extra);
                Some((declared, loaded))
            })
        });
        let read = read(dir, request.source, request.stage);
        let early = early.map(|thread| {
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (read, early.flatten())
    });
    let Read { mut loaded, stage } = read?;
    let declared = &loaded.declarations.policies;
    let policies = match early {
        Some((speculated, early))
            if speculated.len() == declared.len()
                && speculated
                    .iter()
                    .zip(declared)
                    .all(|(a, b)| a.value == b.value) =>
        {
            early?
        }
        _ => policies(dir, declared, extra)?,
    };
    let mut profile = profile(
        request.profile.as_deref(),
        &loaded.declarations,
        dir,
        &policies.rules,
    )?;
    if !request.inline_waivers {
        profile.waivers.inline = false;
    }
    if let Some(env) = &request.environment {
        declared_environment(&loaded, env)?;
    }
    if let Some(enrich) = request.enrich {
        enrich(&mut loaded.deployment).map_err(PipelineError::Enrich)?;
    }
    let offline = request.probe.is_none();
    if let Some(probing) = &request.probe {
        probe::observe(
            &mut loaded.deployment,
            request.environment.as_deref(),
            &probing.options,
            probing.progress,
        )?;
    }
    let options = policy::Options {
        stage,
        offline,
        today: request.today,
    };
    let mut assessment =
        policy::assess(&loaded.deployment, &loaded.declarations, &profile, options)?;
    if let Some(env) = &request.environment {
        assessment.show_environment(env);
    }
    Ok(Judged {
        loaded,
        stage,
        policies,
        profile,
        assessment,
    })
}

/// The profile to assess with: `flag`, else the manifest's `profile`, else `baseline`; over the
/// built-in rules and `policies`.
pub fn profile(
    flag: Option<&str>,
    declarations: &PolicyDeclarations,
    dir: &Path,
    policies: &[&'static dyn Rule],
) -> Result<ResolvedProfile, InputError> {
    let declared = declarations.profile.as_ref().map(|p| p.value.as_str());
    let name = flag.or(declared).unwrap_or("baseline");
    policy::load_profile_with(name, dir, declarations, policies)
}

/// The house policies of a project: the manifest's `policies:` (relative to `dir`, where the
/// manifest is) and `extra` (`--policy`, as given). Paths are shown relative to `dir`.
pub fn policies(
    dir: &Path,
    declared: &[Fact<String>],
    extra: &[PathBuf],
) -> Result<Policies, InputError> {
    if declared.is_empty() && extra.is_empty() {
        return Ok(Policies::default());
    }
    let paths: Vec<PathBuf> = declared
        .iter()
        .map(|p| dir.join(&p.value))
        .chain(extra.iter().cloned())
        .collect();
    crate::rules::custom::load(&paths, dir)
}

/// Checks that `env` names a declared environment.
fn declared_environment(loaded: &Loaded, env: &str) -> Result<(), InputError> {
    if loaded.deployment.environment(env).is_some() {
        return Ok(());
    }
    let names: Vec<&str> = loaded
        .deployment
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let mut d = Diagnostic::in_file(
        loaded.manifest_path.as_deref().unwrap_or("liftoff.yaml"),
        format!("--env names `{env}`, which is not a declared environment"),
    )
    .expected(if names.is_empty() {
        "a declared environment".to_string()
    } else {
        format!("one of {}", names.join(", "))
    });
    if let Some(near) = did_you_mean(env, names.iter().copied()) {
        d = d.help(format!("did you mean `{near}`?"));
    }
    Err(InputError::one(d))
}
