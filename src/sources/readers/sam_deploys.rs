//! The `sam deploy` commands of CI pipelines (GitHub Actions, GitLab CI, CircleCI), read with
//! the values their runner substitutes: the environment each names (`--config-env prod`, a
//! `--config-file samconfig.production.yaml`, else the job's `environment:`), the samconfig
//! file it uses, and the `--parameter-overrides` it passes.
//!
//! SAM reads a samconfig file's `parameter_overrides` as the default of the command-line option:
//! `--parameter-overrides` on the command line replaces them whole (aws/aws-sam-cli#2380). A
//! value from a secret, a repository variable or a file the repository does not hold is unknown.

use super::pipelines::{
    Scope, default_working_directory, gitlab_jobs, job_scope, join, logical_lines, parse, tokens,
    workflow_calls, working_directory,
};
use crate::model::Location;
use crate::sources::yaml::{Node, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The samconfig file a deploy reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum ConfigFile {
    /// No `--config-file`: SAM's own name in the template's folder (`samconfig.toml`, else
    /// `samconfig.yaml` or `.yml`), when there is one.
    Default,
    /// A path with the values the file states substituted, relative to the repository (the
    /// file may be missing: fetched from elsewhere during the job).
    Path(String),
    /// A path a variable no file states decides, as written (`samconfig.${DEPLOY_ENV}.yaml`),
    /// relative to the repository.
    Unresolved(String),
}

/// How a deploy names its environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Named {
    ConfigEnv,
    ConfigFile,
    /// The job's `environment:` (GitHub environments, GitLab environments).
    JobEnvironment,
    /// Nothing names it.
    Nothing,
}

/// One `sam deploy` command, for one value of its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SamDeploy {
    /// The environment it deploys, as spelled (empty when nothing names it).
    pub environment: String,
    pub named: Named,
    pub at: Location,
    pub job: String,
    /// The folder the template is read from (the command's, or its `--template-file`'s),
    /// relative to the repository (`.` at the top); `None` when a variable decides.
    pub folder: Option<String>,
    /// `--template-file` as a repository path, when given and stated.
    pub template: Option<String>,
    /// `--config-env`: `default` when not given, `None` when a variable no file states decides.
    pub config_env: Option<String>,
    pub config_file: ConfigFile,
    /// `--parameter-overrides` on the command line, each value `None` when no file states it;
    /// `None` when the command passes none.
    pub overrides: Option<Vec<(String, Option<String>)>>,
    /// Whether the command's `--parameter-overrides` has a part no file states
    /// (`--parameter-overrides $PARAMS`): parameters it does not show are unknown.
    pub overrides_open: bool,
}

impl SamDeploy {
    /// How the deploy is shown (`` `sam deploy --config-env prod` ``).
    pub fn shown(&self) -> String {
        match (self.named, &self.config_file) {
            (Named::ConfigEnv, _) => format!(
                "`sam deploy --config-env {}`",
                self.config_env.as_deref().unwrap_or_default()
            ),
            (Named::ConfigFile, ConfigFile::Path(p) | ConfigFile::Unresolved(p)) => {
                format!("`sam deploy --config-file {p}`")
            }
            (Named::JobEnvironment, _) => {
                format!("`sam deploy` in its environment `{}`", self.environment)
            }
            _ => "`sam deploy`".to_string(),
        }
    }
}

/// Every `sam deploy` of the repository's GitHub Actions workflows, GitLab CI and CircleCI
/// files.
pub(super) fn sam_deploys(dir: &Path, pipelines: &[Location]) -> Vec<SamDeploy> {
    let mut out = Vec::new();
    let workflows: Vec<(String, crate::sources::yaml::Document)> = pipelines
        .iter()
        .filter(|p| p.path.starts_with(".github/workflows/"))
        .filter_map(|p| parse(dir, &p.path).map(|d| (p.path.to_string(), d)))
        .collect();
    let calls = workflow_calls(&workflows);
    for (path, doc) in &workflows {
        let Some(root) = doc.roots.first() else {
            continue;
        };
        let Some(Value::Map(jobs)) = root.get("jobs").map(|j| &j.value) else {
            continue;
        };
        for (name, job) in jobs {
            let mut base = job_scope(root, job, calls.get(path.as_str()));
            base.job = name.as_str().unwrap_or_default().to_string();
            base.cwd = default_working_directory(&base, root, job);
            let rows = super::tf_deploys::matrix_combinations(
                job.get("strategy").and_then(|s| s.get("matrix")),
            );
            let Some(Value::Seq(steps)) = job.get("steps").map(|s| &s.value) else {
                continue;
            };
            for row in &rows {
                let mut scope = base.clone();
                scope.pin_matrix(row);
                for step in steps {
                    let mut step_scope = scope.clone();
                    step_scope.set_env(step.get("env"));
                    if let Some(d) = step.get("working-directory").and_then(Node::as_str) {
                        step_scope.cwd = working_directory(&step_scope, Some(d));
                    }
                    let Some(run) = step.get("run") else { continue };
                    let cwd = step_scope.cwd.clone();
                    commands(run.as_str(), doc.location(run), &step_scope, cwd, &mut out);
                }
            }
        }
    }
    if pipelines.iter().any(|p| &*p.path == ".gitlab-ci.yml") {
        for job in gitlab_jobs(dir) {
            let mut cwd = job.scope.cwd.clone();
            for (text, at) in &job.lines {
                cwd = commands(text.as_deref(), at.clone(), &job.scope, cwd, &mut out);
            }
        }
    }
    if pipelines.iter().any(|p| &*p.path == ".circleci/config.yml") {
        circleci(dir, &mut out);
    }
    out
}

/// CircleCI: each job's `run` steps with its `environment:` variables, once for each way a
/// workflow calls it (`- deploy: {stage: production}` fills `<< parameters.stage >>`, else the
/// parameter's `default`).
fn circleci(dir: &Path, out: &mut Vec<SamDeploy>) {
    let path = ".circleci/config.yml";
    let Some(doc) = parse(dir, path) else {
        return;
    };
    let Some(root) = doc.roots.first() else {
        return;
    };
    let Some(Value::Map(jobs)) = root.get("jobs").map(|j| &j.value) else {
        return;
    };
    // The parameters each job is called with, by job, one map per call.
    let mut calls: BTreeMap<String, Vec<BTreeMap<String, String>>> = BTreeMap::new();
    if let Some(Value::Map(workflows)) = root.get("workflows").map(|w| &w.value) {
        for (_, workflow) in workflows {
            let Some(Value::Seq(entries)) = workflow.get("jobs").map(|j| &j.value) else {
                continue;
            };
            for entry in entries {
                match &entry.value {
                    Value::Scalar(s) => calls
                        .entry(s.text.to_string())
                        .or_default()
                        .push(BTreeMap::new()),
                    Value::Map(pairs) => {
                        for (name, given) in pairs {
                            let Some(name) = name.as_str() else { continue };
                            let mut with = BTreeMap::new();
                            if let Value::Map(given) = &given.value {
                                for (k, v) in given {
                                    if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                                        with.insert(k.to_string(), v.to_string());
                                    }
                                }
                            }
                            calls.entry(name.to_string()).or_default().push(with);
                        }
                    }
                    Value::Seq(_) => {}
                }
            }
        }
    }
    for (name, job) in jobs {
        let Some(name) = name.as_str() else { continue };
        let defaults: BTreeMap<String, String> = match job.get("parameters").map(|p| &p.value) {
            Some(Value::Map(params)) => params
                .iter()
                .filter_map(|(k, p)| {
                    Some((
                        k.as_str()?.to_string(),
                        p.get("default")?.as_str()?.to_string(),
                    ))
                })
                .collect(),
            _ => BTreeMap::new(),
        };
        let invocations = calls
            .get(name)
            .cloned()
            .unwrap_or_else(|| vec![BTreeMap::new()]);
        let Some(Value::Seq(steps)) = job.get("steps").map(|s| &s.value) else {
            continue;
        };
        for with in invocations {
            let mut parameters = defaults.clone();
            parameters.extend(with);
            let fill = |text: &str| circleci_parameters(text, &parameters);
            let mut scope = Scope::default();
            scope.job = name.to_string();
            if let Some(Value::Map(vars)) = job.get("environment").map(|e| &e.value) {
                for (k, v) in vars {
                    if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                        scope.set_var(k, &fill(v));
                    }
                }
            }
            // The checkout is the job's folder unless `working_directory` says otherwise.
            scope.cwd = match job.get("working_directory").and_then(Node::as_str) {
                None | Some("~/project" | "." | "~/repo") => Some(".".to_string()),
                Some(_) => None,
            };
            for step in steps {
                let Some(run) = step.get("run") else { continue };
                let command = run.get("command").unwrap_or(run);
                let text = command.as_str().map(fill);
                commands(
                    text.as_deref(),
                    doc.location(command),
                    &scope,
                    scope.cwd.clone(),
                    out,
                );
            }
        }
    }
}

/// `text` with CircleCI's `<< parameters.x >>` filled; a parameter with no value is left as a
/// variable no file states.
fn circleci_parameters(text: &str, parameters: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<<") {
        let Some(len) = rest[start..].find(">>") else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = rest[start + 2..start + len].trim();
        match inner
            .strip_prefix("parameters.")
            .and_then(|n| parameters.get(n))
        {
            Some(v) => out.push_str(v),
            // `<< pipeline.parameters.x >>` and the like: set when the pipeline is triggered.
            None => out.push_str("${CIRCLECI_PIPELINE_VALUE}"),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// The `sam deploy` commands of `script` (its first line at `at`) run from `cwd`; gives back
/// the folder the script ends in.
fn commands(
    script: Option<&str>,
    at: Location,
    scope: &Scope,
    cwd: Option<String>,
    out: &mut Vec<SamDeploy>,
) -> Option<String> {
    let Some(script) = script else {
        return cwd;
    };
    let mut cwd = cwd;
    for (line, logical) in logical_lines(script) {
        for command in logical.split(['&', ';', '|']) {
            let words = tokens(command);
            if let Some(to) = super::pipelines::cd(&words, scope, cwd.as_deref()) {
                cwd = to;
                continue;
            }
            let Some(args) = deploy_args(&words) else {
                continue;
            };
            let mut at = at.clone();
            at.line += line as u32;
            resolve(&args, scope, cwd.as_deref(), at, out);
        }
    }
    cwd
}

/// The arguments of a `sam deploy` as written.
#[derive(Debug, Default, PartialEq, Eq)]
struct Args {
    config_env: Option<String>,
    config_file: Option<String>,
    template: Option<String>,
    /// The words after `--parameter-overrides`, as written.
    overrides: Option<Vec<String>>,
}

/// For a command that runs `sam deploy`: its arguments.
fn deploy_args(words: &[String]) -> Option<Args> {
    let cli = words
        .iter()
        .position(|w| w.rsplit('/').next() == Some("sam"))?;
    let rest = &words[cli + 1..];
    if rest
        .iter()
        .find(|w| !w.starts_with('-'))
        .map(String::as_str)
        != Some("deploy")
    {
        return None;
    }
    let mut args = Args::default();
    let mut i = 0;
    while i < rest.len() {
        let word = &rest[i];
        let (flag, inline) = match word.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (word.as_str(), None),
        };
        let value = || inline.clone().or_else(|| rest.get(i + 1).cloned());
        let consumed = if inline.is_some() { 1 } else { 2 };
        match flag {
            "--config-env" => {
                args.config_env = value();
                i += consumed;
            }
            "--config-file" => {
                args.config_file = value();
                i += consumed;
            }
            "--template-file" | "--template" | "-t" => {
                args.template = value();
                i += consumed;
            }
            "--parameter-overrides" => {
                // Every word up to the next option: `Stage=prod LogDays=30`.
                let mut given: Vec<String> = inline.clone().into_iter().collect();
                let mut j = i + 1;
                if inline.is_none() {
                    while let Some(w) = rest.get(j).filter(|w| !w.starts_with('-')) {
                        given.push(w.clone());
                        j += 1;
                    }
                }
                args.overrides = Some(given);
                i = j;
            }
            _ => i += 1,
        }
    }
    Some(args)
}

/// Records a deploy's values: one deploy for each value its `--config-env` takes, else each
/// environment its config file's name or its job names.
fn resolve(args: &Args, scope: &Scope, cwd: Option<&str>, at: Location, out: &mut Vec<SamDeploy>) {
    let template = args
        .template
        .as_deref()
        .and_then(|t| scope.one(t))
        .and_then(|t| join(cwd, &t));
    // SAM reads the config file beside the template it is given, else in the folder it runs in.
    let folder = match (&args.template, &template) {
        (None, _) => cwd.map(str::to_string),
        (Some(_), Some(t)) => Some(super::folder_of(t)),
        (Some(_), None) => None,
    };
    let config_file = match &args.config_file {
        None => ConfigFile::Default,
        Some(written) => match (scope.one(written), &folder) {
            (Some(path), Some(folder)) => match join(Some(folder), &path) {
                Some(p) => ConfigFile::Path(p),
                None => ConfigFile::Unresolved(written.clone()),
            },
            (_, Some(folder)) => ConfigFile::Unresolved(
                join(Some(folder), written).unwrap_or_else(|| written.clone()),
            ),
            (_, None) => ConfigFile::Unresolved(written.clone()),
        },
    };
    let mut overrides_open = false;
    let overrides = args.overrides.as_ref().map(|words| {
        let mut given: Vec<(String, Option<String>)> = Vec::new();
        for word in words {
            let pairs = crate::sources::sam::parse_overrides(word);
            if pairs.is_empty() || pairs.iter().any(|(k, _)| k.contains('$')) {
                // A part no file states may set any parameter, those written before it too
                // (a later value wins).
                overrides_open = true;
                for (_, v) in given.iter_mut() {
                    *v = None;
                }
                continue;
            }
            for (k, v) in pairs {
                let value = scope.one(&v).or_else(|| v.is_empty().then(String::new));
                given.retain(|(g, _)| g != &k);
                given.push((k, value));
            }
        }
        given
    });
    let config_envs: Vec<Option<String>> = match &args.config_env {
        None => vec![Some("default".to_string())],
        Some(written) => {
            let values = scope.text(written, 0);
            if values.is_empty() {
                vec![None]
            } else {
                values.into_iter().map(Some).collect()
            }
        }
    };
    for config_env in config_envs {
        let mut deploy = SamDeploy {
            environment: String::new(),
            named: Named::Nothing,
            at: at.clone(),
            job: scope.job.clone(),
            folder: folder.clone(),
            template: template.clone(),
            config_env: config_env.clone(),
            config_file: config_file.clone(),
            overrides: overrides.clone(),
            overrides_open,
        };
        let named_env = config_env
            .as_deref()
            .filter(|e| *e != "default" && crate::model::env_names::lookup(e).is_some());
        let named_file = match &config_file {
            ConfigFile::Path(p) => crate::sources::sam::config_file_environment(p)
                .filter(|e| crate::model::env_names::lookup(e).is_some()),
            _ => None,
        };
        if let Some(env) = named_env {
            deploy.environment = env.to_string();
            deploy.named = Named::ConfigEnv;
            push(out, deploy);
        } else if let Some(env) = named_file {
            deploy.environment = env.to_string();
            deploy.named = Named::ConfigFile;
            push(out, deploy);
        } else if !scope.environment.is_empty() {
            for env in &scope.environment {
                let mut d = deploy.clone();
                d.environment = env.clone();
                d.named = Named::JobEnvironment;
                push(out, d);
            }
        } else {
            push(out, deploy);
        }
    }
}

fn push(out: &mut Vec<SamDeploy>, deploy: SamDeploy) {
    if !out.contains(&deploy) {
        out.push(deploy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(command: &str) -> Vec<String> {
        tokens(command)
    }

    #[test]
    fn sam_deploy_arguments_are_read_as_sam_reads_them() {
        let args = deploy_args(&words(
            "sam deploy --no-confirm-changeset --config-env prod --parameter-overrides Stage=prod \"Days=30 Name=a\" --stack-name x",
        ))
        .unwrap();
        assert_eq!(args.config_env.as_deref(), Some("prod"));
        assert_eq!(
            args.overrides,
            Some(vec!["Stage=prod".to_string(), "Days=30 Name=a".to_string()])
        );
        let args = deploy_args(&words(
            "sam deploy --config-file=./samconfig.${ENV}.yaml -t a/t.yaml",
        ))
        .unwrap();
        assert_eq!(args.config_file.as_deref(), Some("./samconfig.${ENV}.yaml"));
        assert_eq!(args.template.as_deref(), Some("a/t.yaml"));
        assert_eq!(deploy_args(&words("sam build --config-env prod")), None);
        assert_eq!(deploy_args(&words("echo sam")), None);
    }

    #[test]
    fn circleci_parameters_are_filled_and_pipeline_values_stay_unknown() {
        let params = BTreeMap::from([("stage".to_string(), "production".to_string())]);
        assert_eq!(
            circleci_parameters("sam deploy --config-env << parameters.stage >>", &params),
            "sam deploy --config-env production"
        );
        let scope = Scope::default();
        let filled = circleci_parameters("<< pipeline.parameters.env >>", &params);
        assert!(scope.text(&filled, 0).is_empty(), "{filled}");
    }
}
