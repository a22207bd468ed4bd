//! The Terraform environments a pipeline or a Makefile deploys: `terraform workspace select
//! prod` (or `workspace new`, `select -or-create`), `-var-file=prod.tfvars`, `-var="env=prod"`,
//! each for the root the command runs in (the step's `working-directory`, a `cd`, `-chdir=`).
//!
//! GitHub Actions workflows and `.gitlab-ci.yml` are read as YAML, job by job, with the values
//! their runner substitutes that the file itself states (`${{ matrix.env }}` over the matrix,
//! `${{ env.X }}` and `$X` from the job's variables). A value from a secret, a repository
//! variable or a Make variable is unknown and names nothing.

use crate::model::Location;
use crate::sources::yaml::{self, Node, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// One `terraform` command line that selects an environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Deploy {
    /// The root it runs in, relative to the repository (`.` at the top).
    pub root: String,
    pub workspace: Option<String>,
    pub var_file: Option<String>,
    /// The folder of the variable file passed, when the folder is written literally even if
    /// the file's name is not (`-var-file ../vars/$(ENV).tfvars`): which roots a shared folder
    /// of variable files feeds.
    pub var_folder: Option<String>,
    /// `-var name=value` flags whose value names an environment.
    pub vars: Vec<(String, String)>,
    pub at: Location,
    /// A `terragrunt` command: it runs every unit at or below `root`.
    pub terragrunt: bool,
    /// The job's environment variables (what `get_env` sees): the value, or `None` when the
    /// job sets it to a value no file states (a secret).
    pub env: BTreeMap<String, Option<String>>,
}

impl Deploy {
    /// The environment name the command selects, as spelled: the workspace, else the variable
    /// file's, else a `-var` value's.
    pub fn spelled(&self) -> Option<String> {
        if self.terragrunt {
            // The variable the units read their environment from (`APP_ENV: production`).
            let named = |k: &String, v: &String| {
                let k = k.to_ascii_uppercase();
                (k.contains("ENV") || k.contains("STAGE"))
                    && crate::model::env_names::lookup(v).is_some()
            };
            return self
                .env
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
                .find(|(k, v)| named(k, v))
                .map(|(_, v)| v.clone());
        }
        if let Some(ws) = &self.workspace {
            return crate::model::env_names::lookup(ws).map(|_| ws.clone());
        }
        if let Some(file) = &self.var_file {
            return crate::model::env_names::in_path(file).map(|n| n.spelled);
        }
        self.vars.first().map(|(_, v)| v.clone())
    }
}

/// At most this many values per matrix key: a matrix names a few environments, not hundreds.
const MAX_VALUES: usize = 32;

/// Every environment-selecting Terraform command of the pipelines and Makefiles, and every one
/// passing a variable file from a folder written literally (`spelled()` is `None` for those
/// whose file's name is not).
pub(super) fn deploys(dir: &Path, pipelines: &[Location]) -> Vec<Deploy> {
    let mut out = Vec::new();
    for p in pipelines {
        let path = &*p.path;
        let Ok(text) = crate::sources::read_text_limited(&dir.join(path), path, 1 << 20) else {
            continue;
        };
        if !["terraform", "tofu", "terragrunt"]
            .iter()
            .any(|t| text.contains(t))
        {
            continue;
        }
        let Ok(doc) = yaml::parse(path, &text, yaml::Limits::default()) else {
            continue;
        };
        let Some(root) = doc.roots.first() else {
            continue;
        };
        if path.starts_with(".github/workflows/") {
            github(&doc, root, path, &mut out);
        } else if path == ".gitlab-ci.yml" {
            gitlab(&doc, root, path, &mut out);
        }
    }
    for name in ["Makefile", "GNUmakefile", "makefile"] {
        if let Ok(text) = crate::sources::read_text_limited(&dir.join(name), name, 1 << 20) {
            makefile(&text, name, &mut out);
        }
    }
    out.sort_by(|a, b| (&a.root, &a.at.path, a.at.line).cmp(&(&b.root, &b.at.path, b.at.line)));
    out.dedup_by(|a, b| {
        a.root == b.root
            && a.workspace == b.workspace
            && a.var_file == b.var_file
            && a.var_folder == b.var_folder
            && a.vars == b.vars
            && a.terragrunt == b.terragrunt
            && a.env == b.env
    });
    out
}

fn text_of(node: Option<&Node>) -> Option<String> {
    node.and_then(|n| n.as_str()).map(str::to_string)
}

fn entries(node: Option<&Node>) -> Vec<(String, &Node)> {
    match node.map(|n| &n.value) {
        Some(Value::Map(entries)) => entries
            .iter()
            .filter_map(|(k, v)| k.as_str().map(|k| (k.to_string(), v)))
            .collect(),
        _ => Vec::new(),
    }
}

fn strings(node: &Node) -> Vec<String> {
    match &node.value {
        Value::Scalar(s) => vec![s.text.to_string()],
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Value::Map(_) => Vec::new(),
    }
}

/// Variables stated in a mapping (`env:` or `variables:`), their values as written.
fn variables(node: Option<&Node>) -> BTreeMap<String, String> {
    entries(node)
        .into_iter()
        .filter_map(|(k, v)| match &v.value {
            Value::Scalar(s) => Some((k, s.text.to_string())),
            // GitLab's `VAR: {value: x, description: …}`.
            Value::Map(_) => text_of(v.get("value")).map(|t| (k, t)),
            Value::Seq(_) => None,
        })
        .collect()
}

/// Each combination of a matrix's values (`{env: [staging, prod]}` gives two), `include`
/// entries added.
pub(super) fn matrix_combinations(matrix: Option<&Node>) -> Vec<BTreeMap<String, String>> {
    let mut combos: Vec<BTreeMap<String, String>> = vec![BTreeMap::new()];
    let mut included = Vec::new();
    for (key, value) in entries(matrix) {
        if key == "include" {
            if let Value::Seq(items) = &value.value {
                for item in items {
                    included.push(variables(Some(item)));
                }
            }
            continue;
        }
        if key == "exclude" {
            continue;
        }
        let values: Vec<String> = strings(value).into_iter().take(MAX_VALUES).collect();
        if values.is_empty() {
            continue;
        }
        let mut next = Vec::new();
        for c in &combos {
            for v in &values {
                let mut c = c.clone();
                c.insert(key.clone(), v.clone());
                next.push(c);
            }
        }
        next.truncate(MAX_VALUES);
        combos = next;
    }
    if combos.len() == 1 && combos[0].is_empty() && !included.is_empty() {
        return included;
    }
    combos.extend(included);
    combos
}

/// `text` with the runner's substitutions that the file states: `${{ matrix.x }}`,
/// `${{ env.x }}`, `$x` and `${x}`. Anything else stays as written (and names nothing).
fn substitute(
    text: &str,
    matrix: &BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
) -> String {
    let mut out = text.to_string();
    for (k, v) in matrix {
        for form in [
            format!("${{{{ matrix.{k} }}}}"),
            format!("${{{{matrix.{k}}}}}"),
        ] {
            out = out.replace(&form, v);
        }
    }
    for (k, v) in env {
        for form in [
            format!("${{{{ env.{k} }}}}"),
            format!("${{{{env.{k}}}}}"),
            format!("${{{k}}}"),
        ] {
            out = out.replace(&form, v);
        }
        // `$KEY` not followed by more of a name.
        let plain = format!("${k}");
        let mut rebuilt = String::new();
        let mut rest = out.as_str();
        while let Some(at) = rest.find(&plain) {
            let after = &rest[at + plain.len()..];
            rebuilt.push_str(&rest[..at]);
            if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                rebuilt.push_str(&plain);
            } else {
                rebuilt.push_str(v);
            }
            rest = after;
        }
        rebuilt.push_str(rest);
        out = rebuilt;
    }
    out
}

/// GitHub Actions: each job's steps, over its matrix.
fn github(doc: &yaml::Document, root: &Node, path: &str, out: &mut Vec<Deploy>) {
    let workflow_env = variables(root.get("env"));
    let workflow_dir = text_of(
        root.get("defaults")
            .and_then(|d| d.get("run"))
            .and_then(|r| r.get("working-directory")),
    );
    for (_, job) in entries(root.get("jobs")) {
        let mut job_env = workflow_env.clone();
        job_env.extend(variables(job.get("env")));
        let job_dir = text_of(
            job.get("defaults")
                .and_then(|d| d.get("run"))
                .and_then(|r| r.get("working-directory")),
        )
        .or_else(|| workflow_dir.clone());
        let combos = matrix_combinations(job.get("strategy").and_then(|s| s.get("matrix")));
        let Some(Value::Seq(steps)) = job.get("steps").map(|s| &s.value) else {
            continue;
        };
        for combo in &combos {
            for step in steps {
                let Some(run) = step.get("run") else { continue };
                let Some(script) = run.as_str() else { continue };
                let mut env = job_env.clone();
                env.extend(variables(step.get("env")));
                let dir = text_of(step.get("working-directory"))
                    .or_else(|| job_dir.clone())
                    .map(|d| substitute(&d, combo, &env))
                    .unwrap_or_else(|| ".".into());
                let script = substitute(script, combo, &env);
                // A block scalar's position is its first line of text.
                let first = doc.location(run).line;
                let stated = stated(&env, combo);
                commands(&script, &dir, &stated, path, first, out);
            }
        }
    }
}

/// GitLab CI: each job's `before_script` and `script`, with its variables and `parallel:
/// matrix`.
fn gitlab(doc: &yaml::Document, root: &Node, path: &str, out: &mut Vec<Deploy>) {
    let global = variables(root.get("variables"));
    for (name, job) in entries(Some(root)) {
        if name.starts_with('.') && job.get("script").is_none() {
            continue;
        }
        let Some(script) = job.get("script") else {
            continue;
        };
        let mut env = global.clone();
        env.extend(variables(job.get("variables")));
        let mut combos: Vec<BTreeMap<String, String>> = Vec::new();
        if let Some(Value::Seq(items)) = job
            .get("parallel")
            .and_then(|p| p.get("matrix"))
            .map(|m| &m.value)
        {
            for item in items {
                combos.extend(matrix_combinations(Some(item)));
            }
        }
        if combos.is_empty() {
            combos.push(BTreeMap::new());
        }
        let mut lines: Vec<&Node> = Vec::new();
        for key in ["before_script", "script"] {
            match job.get(key).map(|n| &n.value) {
                Some(Value::Seq(items)) => lines.extend(items.iter()),
                Some(Value::Scalar(_)) => lines.push(job.get(key).unwrap_or(script)),
                _ => {}
            }
        }
        for combo in &combos {
            let mut vars = env.clone();
            vars.extend(combo.clone());
            // One shell runs the lines in turn: a `cd` holds for the lines after it.
            let mut cwd = ".".to_string();
            for line in &lines {
                let Some(text) = line.as_str() else { continue };
                let text = substitute(text, &BTreeMap::new(), &vars);
                let stated = stated(&vars, &BTreeMap::new());
                cwd = commands(&text, &cwd, &stated, path, doc.location(line).line, out);
            }
        }
    }
}

/// A Makefile's recipe lines: Make variables are set where `make` runs, so only literal values
/// name an environment.
fn makefile(text: &str, path: &str, out: &mut Vec<Deploy>) {
    for (i, line) in text.lines().enumerate() {
        if let Some(recipe) = line.strip_prefix('\t') {
            let recipe = recipe.trim_start_matches(['@', '-', '+']);
            commands(recipe, ".", &BTreeMap::new(), path, i as u32 + 1, out);
        }
    }
}

/// The job's environment variables, substitutions made: a value the file states, or `None` for
/// one set from a secret or a repository variable (set, but unknown).
fn stated(
    env: &BTreeMap<String, String>,
    matrix: &BTreeMap<String, String>,
) -> BTreeMap<String, Option<String>> {
    env.iter()
        .map(|(k, v)| {
            let v = substitute(v, matrix, env);
            let known = !v.contains('$') && !v.contains("{{");
            (k.clone(), known.then_some(v))
        })
        .collect()
}

/// Scans a shell script run in `cwd` for Terraform commands, line `first` of `path` being its
/// first; gives back the folder it ends in.
fn commands(
    script: &str,
    cwd: &str,
    env: &BTreeMap<String, Option<String>>,
    path: &str,
    first: u32,
    out: &mut Vec<Deploy>,
) -> String {
    let mut cwd = cwd.trim_end_matches('/').to_string();
    let joined = script.replace("\\\n", " ");
    for (i, line) in joined.lines().enumerate() {
        for part in line.split("&&").flat_map(|p| p.split(';')) {
            let words: Vec<String> = part
                .split_whitespace()
                .map(|w| w.trim_matches(['"', '\'']).to_string())
                .collect();
            let Some(cmd) = words.first() else { continue };
            if cmd == "cd" {
                if let Some(to) = words.get(1).filter(|t| !t.contains('$')) {
                    cwd = crate::sources::join_relative(&cwd, to);
                }
                continue;
            }
            // `terragrunt hclfmt` or `validate` deploys nothing: only a plan or an apply runs a
            // unit for its environment.
            let runs = words
                .iter()
                .any(|w| matches!(w.as_str(), "apply" | "plan" | "run-all" | "--all"));
            if cmd == "terragrunt" && runs {
                let mut root = cwd.clone();
                let mut words = words[1..].iter();
                while let Some(word) = words.next() {
                    let dir = match word.as_str() {
                        "--terragrunt-working-dir" | "--working-dir" => words.next().cloned(),
                        w => w
                            .strip_prefix("--terragrunt-working-dir=")
                            .or_else(|| w.strip_prefix("--working-dir="))
                            .map(str::to_string),
                    };
                    if let Some(dir) = dir {
                        root = crate::sources::join_relative(&root, &dir);
                    }
                }
                let deploy = Deploy {
                    root,
                    workspace: None,
                    var_file: None,
                    var_folder: None,
                    vars: Vec::new(),
                    at: Location::new(path, first + i as u32, 1),
                    terragrunt: true,
                    env: env.clone(),
                };
                if !deploy.root.contains('$') && deploy.spelled().is_some() {
                    out.push(deploy);
                }
                continue;
            }
            if cmd != "terraform" && cmd != "tofu" {
                continue;
            }
            let mut root = cwd.clone();
            let mut deploy = Deploy {
                root: String::new(),
                workspace: None,
                var_file: None,
                var_folder: None,
                vars: Vec::new(),
                at: Location::new(path, first + i as u32, 1),
                terragrunt: false,
                env: BTreeMap::new(),
            };
            let mut rest = words[1..].iter().peekable();
            let mut positional: Vec<&String> = Vec::new();
            while let Some(word) = rest.next() {
                if let Some(dir) = word.strip_prefix("-chdir=") {
                    root = crate::sources::join_relative(&root, dir.trim_matches(['"', '\'']));
                } else if word == "-var-file" || word == "--var-file" {
                    deploy.var_file = rest.next().cloned();
                } else if let Some(f) = word
                    .strip_prefix("-var-file=")
                    .or_else(|| word.strip_prefix("--var-file="))
                {
                    deploy.var_file = Some(f.trim_matches(['"', '\'']).to_string());
                } else if word == "-var" || word == "--var" {
                    if let Some((k, v)) = rest.next().and_then(|w| w.split_once('=')) {
                        deploy
                            .vars
                            .push((k.to_string(), v.trim_matches(['"', '\'']).to_string()));
                    }
                } else if let Some(kv) = word
                    .strip_prefix("-var=")
                    .or_else(|| word.strip_prefix("--var="))
                {
                    if let Some((k, v)) = kv.trim_matches(['"', '\'']).split_once('=') {
                        deploy
                            .vars
                            .push((k.to_string(), v.trim_matches(['"', '\'']).to_string()));
                    }
                } else if !word.starts_with('-') {
                    positional.push(word);
                }
            }
            if positional.first().map(|w| w.as_str()) == Some("workspace")
                && matches!(
                    positional.get(1).map(|w| w.as_str()),
                    Some("select" | "new")
                )
            {
                deploy.workspace = positional.get(2).map(|w| w.to_string());
            }
            // Only values written in the file name an environment.
            let literal = |s: &str| !s.contains('$') && !s.contains("{{");
            deploy.workspace = deploy.workspace.filter(|w| literal(w));
            deploy.var_folder = deploy
                .var_file
                .as_deref()
                .and_then(|f| f.rsplit_once('/'))
                .map(|(folder, _)| folder)
                .filter(|folder| literal(folder))
                .map(|folder| crate::sources::join_relative(&root, folder));
            deploy.var_file = deploy
                .var_file
                .filter(|f| literal(f))
                .map(|f| crate::sources::join_relative(&root, &f));
            deploy
                .vars
                .retain(|(_, v)| literal(v) && crate::model::env_names::lookup(v).is_some());
            if root.contains('$') || root.contains("{{") {
                continue;
            }
            deploy.root = root;
            if deploy.spelled().is_some() || deploy.var_folder.is_some() {
                out.push(deploy);
            }
        }
    }
    cwd
}

/// A folder a command clones a repository into (`git clone <url> vendor/modules/aks`), relative
/// to the repository, and the line that does it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Cloned {
    pub folder: String,
    pub at: Location,
}

/// Options of `git clone` followed by a separate value (`--branch v1`).
const CLONE_VALUED: [&str; 18] = [
    "-b",
    "--branch",
    "-o",
    "--origin",
    "-c",
    "--config",
    "--depth",
    "--reference",
    "--reference-if-able",
    "--separate-git-dir",
    "-j",
    "--jobs",
    "--filter",
    "--template",
    "-u",
    "--upload-pack",
    "--shallow-since",
    "--shallow-exclude",
];

/// The folders `git clone` fills, from the recipes of the Makefiles in `near` and the folders
/// above it (make runs a recipe in its Makefile's folder) and from the pipelines' scripts (run
/// from the top, or the folder a `cd` on the same line goes to). A destination written with a
/// variable names no folder.
pub(super) fn cloned_folders(dir: &Path, pipelines: &[Location], near: &str) -> Vec<Cloned> {
    let mut out = Vec::new();
    let mut folder = near.trim_end_matches('/').to_string();
    loop {
        for name in ["Makefile", "GNUmakefile", "makefile"] {
            let rel = if folder == "." {
                name.to_string()
            } else {
                format!("{folder}/{name}")
            };
            let Ok(text) = crate::sources::read_text_limited(&dir.join(&rel), &rel, 1 << 20) else {
                continue;
            };
            // A recipe line goes on after a trailing backslash; its number is its first line's.
            let mut pending: Option<(u32, String)> = None;
            for (i, line) in text.lines().enumerate() {
                let line = match &mut pending {
                    Some((_, joined)) => {
                        joined.push(' ');
                        joined.push_str(line.trim());
                        None
                    }
                    None => line.strip_prefix('\t').map(|recipe| {
                        (
                            i as u32 + 1,
                            recipe.trim_start_matches(['@', '-', '+']).to_string(),
                        )
                    }),
                };
                if let Some(started) = line {
                    pending = Some(started);
                }
                let continued = pending
                    .as_ref()
                    .is_some_and(|(_, joined)| joined.ends_with('\\'));
                if continued {
                    if let Some((_, joined)) = &mut pending {
                        joined.pop();
                    }
                    continue;
                }
                if let Some((number, recipe)) = pending.take() {
                    clones(&recipe, &folder, &rel, number, &mut out);
                }
            }
        }
        if folder == "." {
            break;
        }
        folder = super::folder_of(&folder);
    }
    for p in pipelines {
        let path = &*p.path;
        let Ok(text) = crate::sources::read_text_limited(&dir.join(path), path, 1 << 20) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if line.contains("clone") {
                clones(line, ".", path, i as u32 + 1, &mut out);
            }
        }
    }
    out
}

/// The `git clone` commands of one shell line run in `cwd`.
fn clones(line: &str, cwd: &str, path: &str, number: u32, out: &mut Vec<Cloned>) {
    let mut cwd = cwd.to_string();
    for part in line.split("&&").flat_map(|p| p.split(';')) {
        let words: Vec<&str> = part
            .split_whitespace()
            .map(|w| w.trim_matches(['"', '\'']))
            .collect();
        // A YAML list item or `run:` key before the command.
        let words: Vec<&str> = match words.iter().position(|w| *w == "cd" || *w == "git") {
            Some(start) => words[start..].to_vec(),
            None => continue,
        };
        if words[0] == "cd" {
            match words.get(1).filter(|to| !to.contains('$')) {
                Some(to) => cwd = crate::sources::join_relative(&cwd, to),
                // Somewhere no file states: what follows clones to an unknown place.
                None => return,
            }
            continue;
        }
        let mut here = cwd.clone();
        let mut rest = words[1..].iter();
        // git's own options before the subcommand (`-c advice.detachedHead=false`, `-C dir`).
        let mut subcommand = None;
        while let Some(word) = rest.next() {
            match *word {
                "-c" => {
                    rest.next();
                }
                "-C" => match rest.next() {
                    Some(to) if !to.contains('$') => {
                        here = crate::sources::join_relative(&here, to)
                    }
                    _ => return,
                },
                w if w.starts_with('-') => {}
                w => {
                    subcommand = Some(w);
                    break;
                }
            }
        }
        if subcommand != Some("clone") {
            continue;
        }
        let mut positional: Vec<&str> = Vec::new();
        while let Some(word) = rest.next() {
            if CLONE_VALUED.contains(word) {
                rest.next();
            } else if word.starts_with('-') {
                continue;
            } else {
                positional.push(word);
            }
        }
        let target = match positional.as_slice() {
            [_, target, ..] => target.to_string(),
            [url] => {
                let name = url
                    .trim_end_matches('/')
                    .rsplit(['/', ':'])
                    .next()
                    .unwrap_or(url);
                name.strip_suffix(".git").unwrap_or(name).to_string()
            }
            [] => continue,
        };
        if target.is_empty() || target.contains('$') {
            continue;
        }
        out.push(Cloned {
            folder: crate::sources::join_relative(&here, &target),
            at: Location::new(path, number, 1),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_name_the_root_and_the_environment() {
        let mut out = Vec::new();
        commands(
            "cd infra/app\nterraform workspace select -or-create prod\nterraform apply -var-file=vars/prod.tfvars -var=\"env=prod\"\nterraform -chdir=../db apply -var 'stage=staging'\nterraform apply -var-file=$VARS",
            ".",
            &BTreeMap::new(),
            "ci.yml",
            10,
            &mut out,
        );
        assert_eq!(out.len(), 3, "{out:#?}");
        assert_eq!(out[0].root, "infra/app");
        assert_eq!(out[0].workspace.as_deref(), Some("prod"));
        assert_eq!(out[0].at.line, 11);
        assert_eq!(
            out[1].var_file.as_deref(),
            Some("infra/app/vars/prod.tfvars")
        );
        assert_eq!(out[1].vars, [("env".to_string(), "prod".to_string())]);
        assert_eq!(out[2].root, "infra/db");
        assert_eq!(out[2].spelled().as_deref(), Some("staging"));
    }

    #[test]
    fn a_variable_file_from_a_literal_folder_names_the_folder_it_comes_from() {
        let mut out = Vec::new();
        commands(
            "terraform -chdir=infra/app plan -var-file ../settings/$(ENV).tfvars.json\nterraform -chdir=infra/edge plan -var-file=$(VARS)",
            ".",
            &BTreeMap::new(),
            "Makefile",
            3,
            &mut out,
        );
        assert_eq!(out.len(), 1, "{out:#?}");
        assert_eq!(out[0].root, "infra/app");
        assert_eq!(out[0].var_folder.as_deref(), Some("infra/settings"));
        assert_eq!(out[0].spelled(), None);
    }

    #[test]
    fn clones_name_the_folder_they_fill() {
        let mut out = Vec::new();
        let lines = [
            "git -c advice.detachedHead=false clone --depth=1 --branch $(TAG) https://example.org/mods.git vendor/mods",
            "cd infra && git clone -b v2 --origin up git@example.org:team/shared.git",
            "git -C tools clone https://example.org/lint",
            "git clone https://example.org/x.git $(DEST)",
            "cd $(DIR) && git clone https://example.org/y.git y",
            "- run: git clone --filter blob:none https://example.org/z.git deploy/z",
            "git fetch https://example.org/w.git",
        ];
        for (i, line) in lines.iter().enumerate() {
            clones(line, "ops", "Makefile", i as u32 + 1, &mut out);
        }
        let got: Vec<(&str, u32)> = out.iter().map(|c| (c.folder.as_str(), c.at.line)).collect();
        assert_eq!(
            got,
            [
                ("ops/vendor/mods", 1),
                ("ops/infra/shared", 2),
                ("ops/tools/lint", 3),
                ("ops/deploy/z", 6),
            ]
        );
    }

    #[test]
    fn substitutions_are_only_what_the_file_states() {
        let matrix = BTreeMap::from([("env".to_string(), "prod".to_string())]);
        let env = BTreeMap::from([("DIR".to_string(), "infra".to_string())]);
        assert_eq!(
            substitute(
                "cd $DIR && terraform workspace select ${{ matrix.env }} $DIRX ${{ secrets.X }}",
                &matrix,
                &env
            ),
            "cd infra && terraform workspace select prod $DIRX ${{ secrets.X }}"
        );
    }
}
