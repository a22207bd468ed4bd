//! The serverless stages a CI pipeline deploys, read the way GitHub Actions and GitLab CI read
//! their files: a `sls deploy --stage X` (or `serverless deploy -s X`, `--stage=X`) in a job's
//! script, with `X` resolved from what the runner would substitute (`${{ env.STAGE }}`,
//! `${{ matrix.stage }}`, `${{ inputs.stage }}`, branch expressions, `$STAGE` from the job's
//! variables), or the job's `environment:` when the stage comes from somewhere no file shows.
//!
//! Only values a file states count: a stage taken from a repository variable or a secret is
//! unknown and names nothing.

use crate::model::Location;
use crate::sources::yaml::{self, Node, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// A stage a pipeline deploys, as spelled, with the file and line of the command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct DeployedStage {
    pub stage: String,
    pub at: Location,
    /// How the stage was found (`--stage`, the job's environment).
    pub how: &'static str,
    /// The job that deploys it.
    pub job: String,
    /// The folder the deploy command runs in, relative to the repository (`.` at the top), as
    /// `working-directory`, `cd` and `--config` set it; `None` when a variable decides.
    pub folder: Option<String>,
}

/// At most this many values per expanded argument: a matrix of matrices names no more stages.
const MAX_VALUES: usize = 32;

/// Every serverless stage the GitHub Actions workflows and GitLab CI files deploy.
pub(super) fn serverless_stages(dir: &Path, pipelines: &[Location]) -> Vec<DeployedStage> {
    let mut out = Vec::new();
    let workflows: Vec<(String, yaml::Document)> = pipelines
        .iter()
        .filter(|p| p.path.starts_with(".github/workflows/"))
        .filter_map(|p| parse(dir, &p.path).map(|d| (p.path.to_string(), d)))
        .collect();
    let calls = workflow_calls(&workflows);
    for (path, doc) in &workflows {
        if let Some(root) = doc.roots.first() {
            github_workflow(dir, doc, root, calls.get(path.as_str()), &mut out);
        }
    }
    if pipelines.iter().any(|p| &*p.path == ".gitlab-ci.yml") {
        gitlab(dir, &mut out);
    }
    out
}

/// Commands and actions that deploy a service (not those that publish documentation: a
/// `gh-pages` or Pages step deploys the docs, not the service).
const DEPLOY_COMMANDS: &[&str] = &[
    "terraform apply",
    "terragrunt apply",
    "run-all apply",
    "tofu apply",
    "serverless deploy",
    "sls deploy",
    "kubectl apply",
    "kubectl rollout",
    "kubectl set image",
    "helm upgrade",
    "helm install",
    "helmfile apply",
    "helmfile sync",
    "argocd app sync",
    "skaffold run",
    "skaffold deploy",
    "aws ecs update-service",
    "aws ecs deploy",
    "ecs-deploy",
    "aws cloudformation deploy",
    "aws lambda update-function-code",
    "aws s3 sync",
    "sam deploy",
    "cdk deploy",
    "copilot deploy",
    "copilot svc deploy",
    "eb deploy",
    "pulumi up",
    "gcloud run deploy",
    "gcloud app deploy",
    "gcloud functions deploy",
    "gcloud deploy",
    "az webapp deploy",
    "az webapp up",
    "az containerapp update",
    "az deployment",
    "flyctl deploy",
    "fly deploy",
    "cf push",
    "firebase deploy",
    "netlify deploy",
    "vercel --prod",
    "wrangler deploy",
    "wrangler publish",
    "ansible-playbook",
    "docker stack deploy",
    "make deploy",
    "npm run deploy",
    "yarn deploy",
    "yarn run deploy",
    "pnpm deploy",
    "pnpm run deploy",
    "./deploy",
    "deploy.sh",
    "scripts/deploy",
    "bin/deploy",
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/aws-cloudformation-github-deploy",
    "azure/webapps-deploy",
    "azure/k8s-deploy",
    "google-github-actions/deploy-",
    "serverless/github-action",
    "cloudflare/wrangler-action",
];

/// Where each pipeline that deploys first does so: a deploy command or action
/// ([`DEPLOY_COMMANDS`]), a reusable workflow named for deploying, or a job's `environment:`
/// naming an environment (GitHub and GitLab run such jobs as deployments). A pipeline that only
/// lints, tests, builds or publishes documentation has none.
pub(super) fn deploy_steps(dir: &Path, pipelines: &[Location]) -> Vec<crate::model::Fact<String>> {
    let mut out = Vec::new();
    for p in pipelines {
        let Ok(text) = crate::sources::read_text(&dir.join(&*p.path), &p.path) else {
            continue;
        };
        // The step is shown as what was recognised, never as its whole line: a command line
        // may carry a token.
        let steps = text.lines().enumerate().filter_map(|(i, line)| {
            let trimmed = line.trim();
            if trimmed.starts_with('#') || trimmed.starts_with("//") {
                return None;
            }
            let lower = trimmed.to_ascii_lowercase();
            let pages = lower.contains("pages") || lower.contains("docs");
            // Flags may sit between the tool and its verb (`terraform -chdir=infra apply`,
            // `kubectl -n shop apply`).
            let words: Vec<&str> = lower.split_whitespace().collect();
            let tool_verb = [
                ("terraform", "apply"),
                ("tofu", "apply"),
                ("terragrunt", "apply"),
                ("kubectl", "apply"),
                ("helm", "upgrade"),
            ]
            .into_iter()
            .find(|(tool, verb)| {
                words
                    .iter()
                    .position(|w| w == tool)
                    .is_some_and(|at| words[at + 1..].contains(verb))
            })
            .map(|(tool, verb)| format!("{tool} {verb}"));
            let command = DEPLOY_COMMANDS
                .iter()
                .find(|c| lower.contains(*c))
                .map(|c| c.to_string())
                .or(tool_verb)
                .filter(|_| !pages)
                .map(|c| format!("`{c}`"));
            let reusable = || {
                let uses = lower
                    .trim_start_matches("- ")
                    .strip_prefix("uses:")?
                    .trim()
                    .trim_matches(['"', '\'']);
                (uses.contains(".github/workflows/") && uses.contains("deploy") && !pages)
                    .then(|| format!("the reusable workflow `{uses}`"))
            };
            let environment = || {
                let v = lower
                    .trim_start_matches("- ")
                    .strip_prefix("environment:")?
                    .trim()
                    .trim_matches(['"', '\'']);
                (!v.is_empty() && !crate::model::env_names::names_in(v).is_empty()
                    || v.contains("${{") && v.contains("environment"))
                .then(|| format!("a job's `environment: {v}`"))
            };
            command
                .or_else(reusable)
                .or_else(environment)
                .map(|step| (i + 1, step))
        });
        // A pipeline that deploys several environments is cited by its production step when
        // one names production (`environment: production`), else by its first.
        let steps: Vec<(usize, String)> = steps.collect();
        let step = steps
            .iter()
            .find(|(_, step)| crate::model::env_names::names_production(step))
            .or(steps.first())
            .cloned();
        if let Some((line, step)) = step {
            out.push(crate::model::Fact::new(
                step,
                crate::model::Origin::Artefact(Location::new(&*p.path, line as u32, 1)),
            ));
        }
    }
    out
}

/// A pipeline file, or nothing when it does not parse (the CI runner would refuse it too).
pub(super) fn parse(dir: &Path, rel: &str) -> Option<yaml::Document> {
    let text = crate::sources::read_text(&dir.join(rel), rel).ok()?;
    yaml::parse(rel, &text, yaml::Limits::default()).ok()
}

/// What a runner substitutes in one job: variables (each an expression or text still to expand),
/// matrix values and inputs.
#[derive(Default, Clone)]
pub(super) struct Scope {
    env: BTreeMap<String, String>,
    /// Variables with several values (GitLab `rules:` alternatives, `parallel: matrix`).
    env_alternatives: BTreeMap<String, Vec<String>>,
    matrix: BTreeMap<String, Vec<String>>,
    inputs: BTreeMap<String, Vec<String>>,
    pub(super) environment: Vec<String>,
    pub(super) job: String,
    /// Where the job's commands start: its `working-directory` (`None` when a variable decides).
    pub(super) cwd: Option<String>,
    /// The repository, to read the `package.json` scripts a job runs (`npm run deploy:prod`).
    root: Option<std::path::PathBuf>,
    /// The branches a push runs the workflow on (`on.push.branches`, names without wildcards):
    /// the values `github.ref_name` takes in those runs.
    branches: Vec<String>,
}

impl Scope {
    /// One row of the job's matrix: each of its keys takes that value alone, so that the
    /// arguments of one command are read from the same run.
    pub(super) fn pin_matrix(&mut self, row: &BTreeMap<String, String>) {
        for (k, v) in row {
            self.matrix.insert(k.clone(), vec![v.clone()]);
        }
    }

    /// Sets a variable to a value or an expression still to expand.
    pub(super) fn set_var(&mut self, name: &str, value: &str) {
        self.env.insert(name.to_string(), value.to_string());
        self.env_alternatives.remove(name);
    }

    pub(super) fn set_env(&mut self, node: Option<&Node>) {
        if let Some(Value::Map(entries)) = node.map(|n| &n.value) {
            for (k, v) in entries {
                let value = v.as_str().or_else(|| v.get("value").and_then(Node::as_str));
                if let (Some(k), Some(v)) = (k.as_str(), value) {
                    self.env.insert(k.to_string(), v.to_string());
                    self.env_alternatives.remove(k);
                }
            }
        }
    }

    /// The values of a GitHub expression (`${{ }}` taken off): the value each `||` alternative
    /// can end with, when it is known.
    fn expression(&self, expr: &str, depth: usize) -> Vec<String> {
        let mut out = Vec::new();
        for alternative in split_top(expr, "||") {
            let operands = split_top(&alternative, "&&");
            let Some(last) = operands.last() else {
                continue;
            };
            for v in self.operand(last.trim(), depth) {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        out
    }

    fn operand(&self, op: &str, depth: usize) -> Vec<String> {
        let op = op.trim();
        if let Some(inner) = op.strip_prefix('(').and_then(|o| o.strip_suffix(')')) {
            return self.expression(inner, depth + 1);
        }
        if let Some(literal) = op
            .strip_prefix('\'')
            .and_then(|o| o.strip_suffix('\''))
            .filter(|l| !l.contains('\''))
        {
            return vec![literal.to_string()];
        }
        if let Some(name) = op.strip_prefix("env.") {
            return self.variable(name, depth);
        }
        if let Some(name) = op.strip_prefix("matrix.") {
            // A matrix value is an expression too (`- ${{ startsWith(github.ref, 'refs/tags/v')
            // && 'org' || 'net' }}`): the runner evaluates it before the job sees it.
            if depth > 8 {
                return Vec::new();
            }
            let mut out: Vec<String> = Vec::new();
            for value in self.matrix.get(name).into_iter().flatten() {
                for v in self.text(value, depth + 1) {
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
            }
            return out;
        }
        if let Some(name) = op
            .strip_prefix("inputs.")
            .or_else(|| op.strip_prefix("github.event.inputs."))
        {
            return self.inputs.get(name).cloned().unwrap_or_default();
        }
        if op == "github.ref_name" {
            return self.branches.clone();
        }
        if op == "github.ref" {
            return self
                .branches
                .iter()
                .map(|b| format!("refs/heads/{b}"))
                .collect();
        }
        // `vars.`, `secrets.`, other `github.` values and function calls are set outside the
        // repository.
        Vec::new()
    }

    fn variable(&self, name: &str, depth: usize) -> Vec<String> {
        if depth > 8 {
            return Vec::new();
        }
        if let Some(values) = self.env_alternatives.get(name) {
            return values
                .iter()
                .flat_map(|v| self.text(v, depth + 1))
                .collect();
        }
        if matches!(
            name,
            "GITHUB_REF_NAME" | "CI_COMMIT_BRANCH" | "CI_COMMIT_REF_NAME" | "CI_COMMIT_REF_SLUG"
        ) {
            return self.branches.clone();
        }
        if name == "CI_ENVIRONMENT_NAME" {
            return self.environment.clone();
        }
        match self.env.get(name) {
            Some(v) => self.text(v, depth + 1),
            None => Vec::new(),
        }
    }

    /// The one value `word` takes once substituted; `None` when unknown or several.
    pub(super) fn one(&self, word: &str) -> Option<String> {
        match self.text(word, 0).as_slice() {
            [v] if !v.is_empty() => Some(v.clone()),
            _ => None,
        }
    }

    /// The values `text` takes once `${{ }}` expressions and `$VAR` / `${VAR}` are substituted;
    /// empty when any part is unknown.
    pub(super) fn text(&self, text: &str, depth: usize) -> Vec<String> {
        let mut results = vec![String::new()];
        let mut rest = text;
        while !rest.is_empty() {
            let (part, values, after): (&str, Vec<String>, &str) =
                if let Some(start) = rest.find("${{") {
                    let Some(len) = rest[start..].find("}}") else {
                        return Vec::new();
                    };
                    let expr = &rest[start + 3..start + len];
                    (
                        &rest[..start],
                        self.expression(expr, depth),
                        &rest[start + len + 2..],
                    )
                } else if let Some(start) = rest.find('$') {
                    let tail = &rest[start + 1..];
                    let (name, after) = match tail.strip_prefix('{') {
                        Some(t) => match t.find('}') {
                            Some(end) => (&t[..end], &t[end + 1..]),
                            None => return Vec::new(),
                        },
                        None => {
                            let end = tail
                                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                                .unwrap_or(tail.len());
                            (&tail[..end], &tail[end..])
                        }
                    };
                    if name.is_empty() {
                        (&rest[..=start], vec![String::new()], tail)
                    } else {
                        (&rest[..start], self.variable(name, depth), after)
                    }
                } else {
                    (rest, vec![String::new()], "")
                };
            if values.is_empty() {
                return Vec::new();
            }
            let mut next = Vec::new();
            for r in &results {
                for v in &values {
                    if next.len() < MAX_VALUES {
                        next.push(format!("{r}{part}{v}"));
                    }
                }
            }
            results = next;
            rest = after;
        }
        results
    }
}

/// `text` split at `sep` outside quotes and parentheses.
fn split_top(text: &str, sep: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            _ if !quoted && depth == 0 && text[i..].starts_with(sep) => {
                out.push(text[start..i].to_string());
                i += sep.len();
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(text[start..].to_string());
    out
}

/// A serverless deploy command in a script.
struct Deploy {
    /// Its line, 0-based within the script.
    line: usize,
    /// Its stage argument; `None` when it gives none (the framework's default applies).
    stage: Option<String>,
    /// The folder it runs in, after the script's `cd`s and its `--config`.
    folder: Option<String>,
}

/// The serverless deploy commands in a script that starts in `cwd`, and the folder the script
/// ends in (a later script of the same GitLab job runs there).
fn deploy_commands(
    script: &str,
    cwd: Option<String>,
    root: Option<&Path>,
    depth: usize,
) -> (Vec<Deploy>, Option<String>) {
    let mut out = Vec::new();
    let mut cwd = cwd;
    for (first_line, logical) in logical_lines(script) {
        for command in logical.split(['&', ';', '|']) {
            let words = tokens(command);
            if words.first().map(String::as_str) == Some("cd") {
                cwd = words.get(1).and_then(|to| join(cwd.as_deref(), to));
                continue;
            }
            // `npm run deploy:prod -- --stage prod`, `yarn deploy:prod`: the package's script,
            // with the arguments npm and yarn append to it, run in the same folder.
            if let Some(script) = package_script(&words, cwd.as_deref(), root).filter(|_| depth < 3)
            {
                let (inner, _) = deploy_commands(&script, cwd.clone(), root, depth + 1);
                out.extend(inner.into_iter().map(|d| Deploy {
                    line: first_line,
                    ..d
                }));
                continue;
            }
            if let Some(stage) = deploy_stage(command) {
                let config = words
                    .iter()
                    .position(|w| w == "--config" || w == "-c")
                    .and_then(|i| words.get(i + 1))
                    .map(|c| c.rsplit_once('/').map_or(".", |(d, _)| d).to_string());
                let folder = match config {
                    Some(c) => join(cwd.as_deref(), &c),
                    None => cwd.clone(),
                };
                out.push(Deploy {
                    line: first_line,
                    stage,
                    folder,
                });
            }
        }
    }
    (out, cwd)
}

/// A script's logical lines: physical lines joined where one ends in `\` (the shell's line
/// continuation), each with the index of its first physical line. A script ending in a
/// continuation leaves its last line out, as the shell would wait for more.
pub(super) fn logical_lines(script: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut logical = String::new();
    let mut first_line = 0;
    for (n, line) in script.lines().enumerate() {
        if logical.is_empty() {
            first_line = n;
        }
        let trimmed = line.trim_end();
        if let Some(continued) = trimmed.strip_suffix('\\') {
            logical.push_str(continued);
            logical.push(' ');
            continue;
        }
        logical.push_str(trimmed);
        out.push((first_line, std::mem::take(&mut logical)));
    }
    out
}

/// The `package.json` script a package-manager command runs, with the arguments it appends.
fn package_script(words: &[String], cwd: Option<&str>, root: Option<&Path>) -> Option<String> {
    let (manager, rest) = words.split_first()?;
    let (name, args): (&String, Vec<&String>) = match manager.as_str() {
        "npm" | "pnpm" => {
            let rest = match rest.first().map(String::as_str) {
                Some("run" | "run-script") => &rest[1..],
                _ if manager == "pnpm" => rest,
                _ => return None,
            };
            let (name, after) = rest.split_first()?;
            let args = match after.iter().position(|a| a == "--") {
                Some(i) => after[i + 1..].iter().collect(),
                None if manager == "pnpm" => after.iter().collect(),
                None => Vec::new(),
            };
            (name, args)
        }
        "yarn" => {
            let rest = match rest.first().map(String::as_str) {
                Some("run") => &rest[1..],
                _ => rest,
            };
            let (name, after) = rest.split_first()?;
            (name, after.iter().filter(|a| *a != "--").collect())
        }
        _ => return None,
    };
    let folder = root?.join(cwd?);
    let text = std::fs::read_to_string(folder.join("package.json")).ok()?;
    let package: serde_json::Value = serde_json::from_str(&text).ok()?;
    let script = package.get("scripts")?.get(name.as_str())?.as_str()?;
    let mut line = script.to_string();
    for a in args {
        line.push(' ');
        line.push_str(a);
    }
    Some(line)
}

/// `to` taken from `from`, as a repository-relative folder (`.` at the top); `None` when either
/// is unknown, absolute or leaves the repository.
/// For a `cd X` command, the folder it moves to from `cwd` (`None` inside: not known);
/// `None` for any other command.
pub(super) fn cd(words: &[String], scope: &Scope, cwd: Option<&str>) -> Option<Option<String>> {
    (words.first().map(String::as_str) == Some("cd")).then(|| {
        words
            .get(1)
            .and_then(|to| scope.one(to))
            .and_then(|to| join(cwd, to.trim_end_matches('/')))
    })
}

pub(super) fn join(from: Option<&str>, to: &str) -> Option<String> {
    let from = from?;
    if to.starts_with(['/', '~', '-']) || to.contains('$') {
        return None;
    }
    let mut parts: Vec<&str> = from
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for part in to.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    })
}

/// For a command that runs `sls deploy` / `serverless deploy`: its stage argument (`None` when
/// the command gives none: the framework's default applies).
fn deploy_stage(command: &str) -> Option<Option<String>> {
    let tokens = tokens(command);
    // `sls`, `serverless`, `serverless@3`, `./node_modules/.bin/sls`, and Serverless Compose
    // (`npx @serverless/compose deploy`), which deploys every service with the stage given.
    let cli = tokens.iter().position(|t| {
        let bare = t.split('@').find(|p| !p.is_empty()).unwrap_or(t);
        if bare == "serverless/compose" {
            return true;
        }
        let name = bare.rsplit('/').next().unwrap_or(bare);
        matches!(name, "sls" | "serverless" | "serverless-compose" | "osls")
    })?;
    let rest = &tokens[cli + 1..];
    if rest
        .iter()
        .find(|t| !t.starts_with('-'))
        .map(String::as_str)
        != Some("deploy")
    {
        return None;
    }
    let mut stage = None;
    for (i, t) in rest.iter().enumerate() {
        if let Some(v) = t.strip_prefix("--stage=") {
            stage = Some(v.to_string());
        } else if t == "--stage" || t == "-s" {
            stage = rest.get(i + 1).cloned();
        }
    }
    Some(stage)
}

/// Shell words, keeping `${{ ... }}` whole and taking quotes off.
pub(super) fn tokens(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut chars = command.chars().peekable();
    let mut braces = 0;
    while let Some(c) = chars.next() {
        match (c, quote) {
            ('$', None) if chars.peek() == Some(&'{') => {
                current.push(c);
                if let Some(open) = chars.next() {
                    current.push(open);
                }
                if chars.peek() == Some(&'{') {
                    braces += 1;
                }
            }
            ('}', _) if braces > 0 => {
                current.push(c);
                if chars.peek() == Some(&'}') {
                    if let Some(close) = chars.next() {
                        current.push(close);
                    }
                    braces -= 1;
                }
            }
            (q @ ('"' | '\''), None) if braces == 0 => quote = Some(q),
            (q, Some(open)) if q == open && braces == 0 => quote = None,
            (w, None) if w.is_whitespace() && braces == 0 => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            (other, _) => current.push(other),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The scalar strings of a node (a string, or a list of strings).
fn strings(node: Option<&Node>) -> Vec<String> {
    match node.map(|n| &n.value) {
        Some(Value::Scalar(s)) => vec![s.text.to_string()],
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Records the deploys of `script` (whose first line is at `at`) run from `cwd` with `scope`;
/// returns the folder the script ends in.
fn record(
    script: Option<&str>,
    at: Location,
    scope: &Scope,
    cwd: Option<String>,
    out: &mut Vec<DeployedStage>,
    saw_deploy: &mut bool,
) -> Option<String> {
    let Some(text) = script else {
        return cwd;
    };
    let (deploys, end) = deploy_commands(text, cwd, scope.root.as_deref(), 0);
    for deploy in deploys {
        *saw_deploy = true;
        let Some(stage) = deploy.stage else {
            continue;
        };
        let mut at = at.clone();
        // A block scalar's position is its first line of content.
        at.line += deploy.line as u32;
        for value in scope.text(&stage, 0) {
            push(
                out,
                DeployedStage {
                    stage: value,
                    at: at.clone(),
                    how: "--stage",
                    job: scope.job.clone(),
                    folder: deploy.folder.clone(),
                },
            );
        }
    }
    end
}

fn push(out: &mut Vec<DeployedStage>, mut deployed: DeployedStage) {
    deployed.stage = deployed.stage.trim().to_string();
    if deployed.stage.is_empty() || deployed.stage.contains(char::is_whitespace) {
        return;
    }
    if !out
        .iter()
        .any(|d| d.stage == deployed.stage && d.folder == deployed.folder)
    {
        out.push(deployed);
    }
}

/// The values each input of a called workflow is given by its callers (`uses:
/// ./.github/workflows/deploy.yml` with `with: {stage: prod}`), by called file.
pub(super) fn workflow_calls(
    workflows: &[(String, yaml::Document)],
) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (_, doc) in workflows {
        let Some(root) = doc.roots.first() else {
            continue;
        };
        let Some(Value::Map(jobs)) = root.get("jobs").map(|j| &j.value) else {
            continue;
        };
        for (_, job) in jobs {
            let Some(called) = job
                .get("uses")
                .and_then(Node::as_str)
                .and_then(|u| u.strip_prefix("./"))
            else {
                continue;
            };
            let scope = job_scope(root, job, None);
            let Some(Value::Map(with)) = job.get("with").map(|w| &w.value) else {
                continue;
            };
            for (k, v) in with {
                let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else {
                    continue;
                };
                let values = scope.text(v, 0);
                let slot = out
                    .entry(called.to_string())
                    .or_default()
                    .entry(k.to_string())
                    .or_default();
                for value in values {
                    if !slot.contains(&value) {
                        slot.push(value);
                    }
                }
            }
        }
    }
    out
}

/// A job's scope: the workflow's and job's `env`, its matrix, the workflow's inputs (defaults,
/// choices and what callers pass) and its environment.
pub(super) fn job_scope(
    root: &Node,
    job: &Node,
    called_with: Option<&BTreeMap<String, Vec<String>>>,
) -> Scope {
    let mut scope = Scope::default();
    // `on: {push: {branches: [main, production]}}`; a wildcard could be any branch.
    let branches = strings(
        root.get("on")
            .and_then(|o| o.get("push"))
            .and_then(|p| p.get("branches")),
    );
    if branches.iter().all(|b| !b.contains(['*', '?', '[', '!'])) {
        scope.branches = branches;
    }
    if let Some(on) = root.get("on") {
        for trigger in ["workflow_dispatch", "workflow_call"] {
            let Some(Value::Map(inputs)) = on
                .get(trigger)
                .and_then(|t| t.get("inputs"))
                .map(|i| &i.value)
            else {
                continue;
            };
            for (name, input) in inputs {
                let Some(name) = name.as_str() else {
                    continue;
                };
                let slot = scope.inputs.entry(name.to_string()).or_default();
                let given = strings(input.get("default"))
                    .into_iter()
                    .chain(strings(input.get("options")));
                for v in given {
                    if !slot.contains(&v) {
                        slot.push(v);
                    }
                }
            }
        }
    }
    if let Some(called_with) = called_with {
        for (name, values) in called_with {
            let slot = scope.inputs.entry(name.clone()).or_default();
            for v in values {
                if !slot.contains(v) {
                    slot.push(v.clone());
                }
            }
        }
    }
    if let Some(Value::Map(matrix)) = job
        .get("strategy")
        .and_then(|s| s.get("matrix"))
        .map(|m| &m.value)
    {
        for (k, v) in matrix {
            let Some(k) = k.as_str() else {
                continue;
            };
            if k == "include" {
                if let Value::Seq(items) = &v.value {
                    for item in items {
                        if let Value::Map(pairs) = &item.value {
                            for (ik, iv) in pairs {
                                if let (Some(ik), Some(iv)) = (ik.as_str(), iv.as_str()) {
                                    let slot = scope.matrix.entry(ik.to_string()).or_default();
                                    if !slot.iter().any(|s| s == iv) {
                                        slot.push(iv.to_string());
                                    }
                                }
                            }
                        }
                    }
                }
            } else if k != "exclude" {
                let slot = scope.matrix.entry(k.to_string()).or_default();
                slot.extend(strings(Some(v)));
            }
        }
    }
    scope.set_env(root.get("env"));
    scope.set_env(job.get("env"));
    let environment = job
        .get("environment")
        .and_then(|e| e.get("name").or(Some(e)))
        .and_then(Node::as_str);
    if let Some(environment) = environment {
        scope.environment = scope.text(environment, 0);
    }
    scope
}

fn github_workflow(
    dir: &Path,
    doc: &yaml::Document,
    root: &Node,
    called_with: Option<&BTreeMap<String, Vec<String>>>,
    out: &mut Vec<DeployedStage>,
) {
    let Some(Value::Map(jobs)) = root.get("jobs").map(|j| &j.value) else {
        return;
    };
    for (name, job) in jobs {
        let mut scope = job_scope(root, job, called_with);
        scope.job = name.as_str().unwrap_or_default().to_string();
        scope.root = Some(dir.to_path_buf());
        scope.cwd = default_working_directory(&scope, root, job);
        let mut saw_deploy = false;
        let before = out.len();
        if let Some(Value::Seq(steps)) = job.get("steps").map(|s| &s.value) {
            for step in steps {
                let mut step_scope = scope.clone();
                step_scope.set_env(step.get("env"));
                if let Some(dir) = step.get("working-directory").and_then(Node::as_str) {
                    step_scope.cwd = working_directory(&step_scope, Some(dir));
                }
                if let Some(run) = step.get("run") {
                    let cwd = step_scope.cwd.clone();
                    record(
                        run.as_str(),
                        doc.location(run),
                        &step_scope,
                        cwd,
                        out,
                        &mut saw_deploy,
                    );
                }
                // The Serverless Framework's action takes the command line as `args`.
                let action = step.get("uses").and_then(Node::as_str).unwrap_or("");
                if action.starts_with("serverless/github-action") {
                    if let Some(args) = step.get("with").and_then(|w| w.get("args")) {
                        if let Some(text) = args.as_str() {
                            let line = format!("serverless {}", text.replace("-c ", ""));
                            let cwd = step_scope.cwd.clone();
                            record(
                                Some(&line),
                                doc.location(args),
                                &step_scope,
                                cwd,
                                out,
                                &mut saw_deploy,
                            );
                        }
                    }
                }
            }
        }
        let at = job.get("environment").map(|e| doc.location(e));
        environment_fallback(at, &scope, saw_deploy, before, out);
    }
}

/// The folder a job's steps run in by default: `defaults.run.working-directory` of the job,
/// else of the workflow.
pub(super) fn default_working_directory(scope: &Scope, root: &Node, job: &Node) -> Option<String> {
    let default_dir = |node: &Node| {
        node.get("defaults")
            .and_then(|d| d.get("run"))
            .and_then(|r| r.get("working-directory"))
            .and_then(Node::as_str)
            .map(str::to_string)
    };
    working_directory(
        scope,
        default_dir(job).or_else(|| default_dir(root)).as_deref(),
    )
}

/// The folder a `working-directory` names (an expression resolved, one value only), from the
/// top of the repository when there is none.
pub(super) fn working_directory(scope: &Scope, dir: Option<&str>) -> Option<String> {
    let Some(dir) = dir else {
        return Some(".".to_string());
    };
    match scope.text(dir, 0).as_slice() {
        [one] => join(Some("."), one),
        _ => None,
    }
}

/// A job that deploys but whose stage no file states (`--stage ${{ vars.STAGE }}`) still names
/// the environment it deploys to.
fn environment_fallback(
    at: Option<Location>,
    scope: &Scope,
    saw_deploy: bool,
    before: usize,
    out: &mut Vec<DeployedStage>,
) {
    if !saw_deploy || out.len() > before {
        return;
    }
    let Some(at) = at else {
        return;
    };
    for name in &scope.environment {
        push(
            out,
            DeployedStage {
                stage: name.clone(),
                at: at.clone(),
                how: "environment",
                job: scope.job.clone(),
                folder: scope.cwd.clone(),
            },
        );
    }
}

/// GitLab's keys that are not jobs.
const GITLAB_GLOBAL: [&str; 11] = [
    "stages",
    "variables",
    "include",
    "default",
    "workflow",
    "image",
    "services",
    "before_script",
    "after_script",
    "cache",
    "types",
];

/// A GitLab CI job as its runner sees it: its variables, environment and branches, and its
/// `before_script` and `script` lines in order, each with its position.
pub(super) struct GitlabJob {
    pub scope: Scope,
    pub lines: Vec<(Option<String>, Location)>,
    /// Where its `environment:` is written.
    pub environment_at: Option<Location>,
}

fn gitlab(dir: &Path, out: &mut Vec<DeployedStage>) {
    for job in gitlab_jobs(dir) {
        let mut saw_deploy = false;
        let before = out.len();
        // One shell runs the job's scripts, from the top of the repository.
        let mut cwd = Some(".".to_string());
        for (text, at) in &job.lines {
            cwd = record(
                text.as_deref(),
                at.clone(),
                &job.scope,
                cwd,
                out,
                &mut saw_deploy,
            );
        }
        environment_fallback(
            job.environment_at.clone(),
            &job.scope,
            saw_deploy,
            before,
            out,
        );
    }
}

/// `.gitlab-ci.yml` and the local files it includes, merged as GitLab merges them: included
/// files first, the main file's keys last.
pub(super) fn gitlab_jobs(dir: &Path) -> Vec<GitlabJob> {
    let mut out = Vec::new();
    let mut docs: Vec<yaml::Document> = Vec::new();
    let mut queue = vec![".gitlab-ci.yml".to_string()];
    let mut seen: Vec<String> = Vec::new();
    while let Some(path) = queue.pop() {
        // GitLab allows 150 includes; past that the pipeline is refused.
        if seen.contains(&path) || seen.len() > 150 {
            continue;
        }
        seen.push(path.clone());
        let Some(doc) = parse(dir, &path) else {
            continue;
        };
        if let Some(root) = doc.roots.first() {
            for include in local_includes(root.get("include")) {
                queue.push(include);
            }
        }
        docs.push(doc);
    }
    // Jobs by name (hidden ones too, for `extends`), the later file's winning.
    let mut jobs: BTreeMap<String, (usize, &Node)> = BTreeMap::new();
    let mut globals = Scope::default();
    for (i, doc) in docs.iter().enumerate().rev() {
        let Some(Value::Map(entries)) = doc.roots.first().map(|r| &r.value) else {
            continue;
        };
        for (k, v) in entries {
            let Some(k) = k.as_str() else {
                continue;
            };
            if k == "variables" {
                globals.set_env(Some(v));
            } else if !GITLAB_GLOBAL.contains(&k) && matches!(v.value, Value::Map(_)) {
                jobs.insert(k.to_string(), (i, v));
            }
        }
    }
    for (name, (i, job)) in &jobs {
        if name.starts_with('.') {
            continue;
        }
        // The job after `extends`: its own keys, then its templates'.
        let mut chain: Vec<(usize, &Node)> = vec![(*i, job)];
        let mut cursor: Vec<String> = strings(job.get("extends"));
        while let Some(parent) = cursor.pop() {
            if chain.len() > 11 {
                break;
            }
            if let Some((at, p)) = jobs.get(&parent) {
                chain.push((*at, p));
                cursor.extend(strings(p.get("extends")));
            }
        }
        let mut scope = globals.clone();
        scope.job = name.clone();
        scope.root = Some(dir.to_path_buf());
        for (_, part) in chain.iter().rev() {
            scope.set_env(part.get("variables"));
        }
        let get = |key: &str| {
            chain
                .iter()
                .find_map(|(at, p)| p.get(key).map(|v| (*at, v)))
        };
        if let Some(environment) = get("environment")
            .and_then(|(_, e)| e.get("name").or(Some(e)))
            .and_then(Node::as_str)
        {
            scope.environment = scope.text(environment, 0);
        }
        // `rules: [{if: ..., variables: {STAGE: prod}}]`: each rule sets its own values.
        if let Some((_, Value::Seq(rules))) = get("rules").map(|(at, r)| (at, &r.value)) {
            for rule in rules {
                if let Some(Value::Map(vars)) = rule.get("variables").map(|v| &v.value) {
                    for (k, v) in vars {
                        if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                            let own = scope.env.get(k).cloned();
                            let slot = scope.env_alternatives.entry(k.to_string()).or_default();
                            if let Some(own) = own {
                                if !slot.contains(&own) {
                                    slot.push(own);
                                }
                            }
                            slot.push(v.to_string());
                        }
                    }
                }
            }
        }
        scope.branches = gitlab_branches(get("only").map(|(_, o)| o), get("rules").map(|(_, r)| r));
        // `parallel: {matrix: [{STAGE: [dev, prod]}]}`
        if let Some(Value::Seq(matrix)) = get("parallel")
            .and_then(|(_, p)| p.get("matrix"))
            .map(|m| &m.value)
        {
            for entry in matrix {
                if let Value::Map(vars) = &entry.value {
                    for (k, v) in vars {
                        if let Some(k) = k.as_str() {
                            scope
                                .env_alternatives
                                .entry(k.to_string())
                                .or_default()
                                .extend(strings(Some(v)));
                        }
                    }
                }
            }
        }
        // One shell runs the job's scripts, from the top of the repository.
        scope.cwd = Some(".".to_string());
        let mut lines = Vec::new();
        for key in ["before_script", "script"] {
            let Some((owner, node)) = get(key) else {
                continue;
            };
            let items: Vec<&Node> = match &node.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![node],
            };
            for line in items {
                lines.push((
                    line.as_str().map(str::to_string),
                    docs[owner].location(line),
                ));
            }
        }
        let environment_at = get("environment").map(|(owner, e)| docs[owner].location(e));
        out.push(GitlabJob {
            scope,
            lines,
            environment_at,
        });
    }
    out
}

/// The branches a GitLab job runs on, when it says: `only: [main, production]` (or
/// `only: {refs: [...]}`), or `rules: [{if: '$CI_COMMIT_BRANCH == "main"'}]`. Keywords
/// (`branches`, `tags`, `merge_requests`…) and regular expressions could be any branch: none then.
fn gitlab_branches(only: Option<&Node>, rules: Option<&Node>) -> Vec<String> {
    const KEYWORDS: [&str; 11] = [
        "branches",
        "tags",
        "merge_requests",
        "web",
        "schedules",
        "api",
        "triggers",
        "pipelines",
        "pushes",
        "external",
        "chat",
    ];
    let mut out = Vec::new();
    if let Some(only) = only {
        let refs = strings(only.get("refs").or(Some(only)));
        if refs.is_empty()
            || refs
                .iter()
                .any(|r| KEYWORDS.contains(&r.as_str()) || r.starts_with('/') || r.contains('*'))
        {
            return Vec::new();
        }
        out.extend(refs);
    }
    if let Some(Value::Seq(rules)) = rules.map(|r| &r.value) {
        for rule in rules {
            if rule.get("when").and_then(Node::as_str) == Some("never") {
                continue;
            }
            // A rule with no condition runs on any branch.
            let Some(condition) = rule.get("if").and_then(Node::as_str) else {
                return Vec::new();
            };
            // Only `$CI_COMMIT_BRANCH == "x"` alternatives joined by `||` name their branches.
            for alternative in condition.split("||") {
                let Some((left, right)) = alternative.split_once("==") else {
                    return Vec::new();
                };
                let (left, right) = (left.trim(), right.trim());
                let literal = |s: &str| {
                    s.strip_prefix('"')
                        .and_then(|s| s.strip_suffix('"'))
                        .or_else(|| s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                        .map(str::to_string)
                };
                let branch_var = |s: &str| matches!(s, "$CI_COMMIT_BRANCH" | "$CI_COMMIT_REF_NAME");
                match (branch_var(left), literal(right)) {
                    (true, Some(b)) => out.push(b),
                    _ => return Vec::new(),
                }
            }
        }
    }
    out.dedup();
    out
}

/// The local files an `include:` names (`include: ci/deploy.yml`, `- local: ci/deploy.yml`);
/// remote, project and template includes live outside the repository.
fn local_includes(node: Option<&Node>) -> Vec<String> {
    let items: Vec<&Node> = match node.map(|n| &n.value) {
        Some(Value::Seq(items)) => items.iter().collect(),
        Some(_) => node.into_iter().collect(),
        None => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|i| match i.as_str() {
            Some(s) if !s.starts_with("http://") && !s.starts_with("https://") => Some(s),
            Some(_) => None,
            None => i.get("local").and_then(Node::as_str),
        })
        .map(|s| s.trim_start_matches('/').to_string())
        // A wildcard include is expanded by GitLab; liftoff reads only named files.
        .filter(|s| !s.contains('*') && !s.contains(".."))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploy_commands_give_their_stage() {
        assert_eq!(
            deploy_stage("npx sls deploy --stage prod --verbose"),
            Some(Some("prod".into()))
        );
        assert_eq!(
            deploy_stage("npx serverless@3 deploy -s ${{ matrix.stage }}"),
            Some(Some("${{ matrix.stage }}".into()))
        );
        assert_eq!(
            deploy_stage("serverless deploy --stage=\"$STAGE\""),
            Some(Some("$STAGE".into()))
        );
        assert_eq!(deploy_stage("sls deploy"), Some(None));
        assert_eq!(
            deploy_stage("npx @serverless/compose deploy --stage $STAGE_NAME --verbose"),
            Some(Some("$STAGE_NAME".into()))
        );
        assert_eq!(deploy_stage("sls package --stage prod"), None);
        assert_eq!(deploy_stage("echo deploying"), None);
    }

    #[test]
    fn deploys_run_where_cd_and_config_put_them() {
        let (deploys, end) = deploy_commands(
            "cd services/api\nnpx sls deploy --stage prod\ncd ../worker && sls deploy -s prod -c conf/serverless.yml\n",
            Some(".".into()),
            None,
            0,
        );
        let folders: Vec<Option<String>> = deploys.into_iter().map(|d| d.folder).collect();
        assert_eq!(
            folders,
            vec![
                Some("services/api".to_string()),
                Some("services/worker/conf".to_string())
            ]
        );
        assert_eq!(end.as_deref(), Some("services/worker"));
        let (deploys, _) = deploy_commands(
            "cd $SERVICE\nsls deploy --stage prod",
            Some(".".into()),
            None,
            0,
        );
        assert_eq!(deploys[0].folder, None);
    }

    #[test]
    fn branch_expressions_take_every_value_they_can_end_with() {
        let scope = Scope::default();
        assert_eq!(
            scope.text("${{ github.ref_name == 'main' && 'prod' || 'dev' }}", 0),
            vec!["prod".to_string(), "dev".to_string()]
        );
        assert_eq!(scope.text("${{ vars.STAGE }}", 0), Vec::<String>::new());
        let mut scope = Scope::default();
        scope
            .env
            .insert("STAGE".into(), "${{ inputs.stage }}".into());
        scope
            .inputs
            .insert("stage".into(), vec!["staging".into(), "production".into()]);
        assert_eq!(scope.text("$STAGE", 0), vec!["staging", "production"]);
        assert_eq!(
            scope.text("${STAGE}-eu", 0),
            vec!["staging-eu", "production-eu"]
        );
        // A matrix value that is itself an expression takes the values it can end with.
        let mut scope = Scope::default();
        scope.matrix.insert(
            "env".into(),
            vec!["${{ startsWith(github.ref, 'refs/tags/v') && 'site-org' || 'site-net' }}".into()],
        );
        assert_eq!(
            scope.text("${{ matrix.env }}", 0),
            vec!["site-org", "site-net"]
        );
        scope
            .matrix
            .insert("env".into(), vec!["${{ vars.TARGET }}".into()]);
        assert!(scope.text("${{ matrix.env }}", 0).is_empty());
    }
}
