//! The compose files something names together, in the order compose merges them: the
//! `COMPOSE_FILE` of a `.env` (compose reads it from the folder it runs in), and the
//! `docker compose` commands of GitHub Actions jobs with their `-f` flags, or the
//! `COMPOSE_FILE` of the step's or job's `env:`, or of the `.env` the job writes before it runs
//! compose (`echo "COMPOSE_FILE=..." >> .env`, a `cat > .env <<EOF` heredoc). Paths in
//! `COMPOSE_FILE` are split at `COMPOSE_PATH_SEPARATOR`, `:` unless it says otherwise (compose's
//! default on Linux, where servers run it).
//!
//! A job's script run over SSH (`appleboy/ssh-action`'s `script:`) runs in a checkout liftoff
//! cannot see: the files it names are looked up from the top of the repository, and kept only
//! when they are there. A `.env` one step writes is still there for the job's later steps on the
//! same machine (the runner's, or the server's), and a `make <target>` runs the compose commands
//! of that target's recipe in the Makefile of the folder it runs in.

use super::pipelines::{Scope, default_working_directory, job_scope, logical_lines, parse, tokens};
use crate::model::{ArtefactFile, ArtefactKind, Location};
use crate::sources::yaml::{Node, Value};
use std::collections::HashMap;
use std::path::Path;

/// A list of compose files that run together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ComposeSet {
    /// Relative to the repository, in merge order.
    pub files: Vec<String>,
    /// Where the list is written.
    pub at: Location,
    /// The environments of the job that runs it, as spelled (none for a `.env`).
    pub job_environments: Vec<String>,
    /// The `.env` the job writes beside the first file before it runs compose.
    pub written: Option<WrittenEnv>,
}

/// A `.env` a job writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct WrittenEnv {
    /// Names with the value written, `None` when only the runner knows it (a secret, a
    /// repository variable).
    pub values: Vec<(String, Option<String>)>,
    /// Whether the repository's `.env` is gone first (`>`, `mv`, `rm`), or only added to (`>>`).
    pub replaces: bool,
}

/// What a shell redirection writes into `file` (a `.env`; none when it is another file):
/// started afresh by `>` (`truncates`), added to by `>>`.
fn written_to(
    written: &mut HashMap<String, WrittenEnv>,
    file: Option<String>,
    truncates: bool,
) -> Option<&mut WrittenEnv> {
    let entry = written.entry(file?).or_default();
    if truncates {
        *entry = WrittenEnv {
            values: Vec::new(),
            replaces: true,
        };
    }
    Some(entry)
}

impl WrittenEnv {
    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }
}

use crate::sources::compose::COMMIT;

/// The file names compose reads by default, in its order of preference.
pub(super) const DEFAULT_BASES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Compose's default separator of `COMPOSE_FILE` on Linux and macOS.
const DEFAULT_SEPARATOR: &str = ":";

/// Every set of compose files the repository's `.env` files and GitHub Actions jobs name.
pub(super) fn named_sets(
    dir: &Path,
    artefacts: &[ArtefactFile],
    pipelines: &[Location],
) -> Vec<ComposeSet> {
    let mut out = Vec::new();
    for a in artefacts
        .iter()
        .filter(|a| a.kind == ArtefactKind::Dotenv && a.path.rsplit('/').next() == Some(".env"))
    {
        let Ok(text) = crate::sources::read_text(&dir.join(&a.path), &a.path) else {
            continue;
        };
        // A `.env` that does not parse is reported by its reader.
        let Ok(settings) = crate::sources::dotenv::parse(&a.path, &text) else {
            continue;
        };
        let literal = |name: &str| {
            settings.iter().rev().find(|s| s.name == name).map(|s| {
                let value = match &s.value {
                    crate::model::SettingValue::Literal(v) => Some(v.clone()),
                    _ => None,
                };
                (value, s.origin.location().cloned())
            })
        };
        let Some((Some(list), Some(at))) = literal("COMPOSE_FILE") else {
            continue;
        };
        let separator = literal("COMPOSE_PATH_SEPARATOR").and_then(|(v, _)| v);
        let folder = super::folder_of(&a.path);
        let files = split_list(&list, separator.as_deref(), Some(&folder));
        if !files.is_empty() {
            out.push(ComposeSet {
                files,
                at,
                job_environments: Vec::new(),
                written: None,
            });
        }
    }
    for p in pipelines
        .iter()
        .filter(|p| p.path.starts_with(".github/workflows/"))
    {
        let Some(doc) = parse(dir, &p.path) else {
            continue;
        };
        let Some(root) = doc.roots.first() else {
            continue;
        };
        let Some(Value::Map(jobs)) = root.get("jobs").map(|j| &j.value) else {
            continue;
        };
        for (name, job) in jobs {
            // The `.env` files the job's steps have written so far, by folder: on the runner,
            // and on the server its SSH steps run on.
            let mut on_runner: HashMap<String, WrittenEnv> = HashMap::new();
            let mut on_server: HashMap<String, WrittenEnv> = HashMap::new();
            let mut scope = job_scope(root, job, None);
            scope.job = name.as_str().unwrap_or_default().to_string();
            scope.cwd = default_working_directory(&scope, root, job);
            let Some(Value::Seq(steps)) = job.get("steps").map(|s| &s.value) else {
                continue;
            };
            for step in steps {
                let mut step_scope = scope.clone();
                step_scope.set_env(step.get("env"));
                let remote = step.get("run").is_none();
                let (script, cwd) = match (step.get("run"), remote_script(step)) {
                    (Some(run), _) => {
                        let cwd = match step.get("working-directory").and_then(Node::as_str) {
                            Some(d) => super::pipelines::working_directory(&step_scope, Some(d)),
                            None => step_scope.cwd.clone(),
                        };
                        (run, cwd)
                    }
                    (None, Some(script)) => (script, None),
                    (None, None) => continue,
                };
                let Some(text) = script.as_str() else {
                    continue;
                };
                let at = doc.location(script);
                let cwd = if remote { Some(".".to_string()) } else { cwd };
                let written = if remote {
                    &mut on_server
                } else {
                    &mut on_runner
                };
                for (line, set) in in_script(dir, text, cwd, remote, &step_scope, written) {
                    let mut at = at.clone();
                    at.line += line as u32;
                    let set = ComposeSet {
                        at,
                        job_environments: step_scope.environment.clone(),
                        ..set
                    };
                    let exists = set.files.iter().all(|f| dir.join(f).is_file());
                    if exists && !out.iter().any(|o: &ComposeSet| same_run(o, &set)) {
                        out.push(set);
                    }
                }
            }
        }
    }
    out
}

fn same_run(a: &ComposeSet, b: &ComposeSet) -> bool {
    a.files == b.files && a.job_environments == b.job_environments && a.written == b.written
}

/// The script of an action that runs it on a server over SSH (`appleboy/ssh-action`).
fn remote_script(step: &Node) -> Option<&Node> {
    let uses = step.get("uses").and_then(Node::as_str)?;
    if !uses.to_ascii_lowercase().contains("ssh") {
        return None;
    }
    step.get("with")?.get("script")
}

/// `COMPOSE_FILE`'s paths, each taken from `folder` (compose's working directory); none when a
/// path is absolute or unknown.
pub(super) fn split_list(list: &str, separator: Option<&str>, folder: Option<&str>) -> Vec<String> {
    let separator = separator
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_SEPARATOR);
    let mut out = Vec::new();
    for item in list
        .split(separator)
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        match super::pipelines::join(folder, item) {
            Some(path) => out.push(path),
            None => return Vec::new(),
        }
    }
    out
}

/// The compose sets a script runs, each with the line (within the script) of its command.
/// `written` holds the `.env` files written so far on the machine it runs on, by folder.
fn in_script(
    dir: &Path,
    script: &str,
    cwd: Option<String>,
    remote: bool,
    scope: &Scope,
    written: &mut HashMap<String, WrittenEnv>,
) -> Vec<(usize, ComposeSet)> {
    let mut out = Vec::new();
    let mut cwd = cwd;
    let lines = logical_lines(script);
    let mut index = 0;
    while index < lines.len() {
        let (line, logical) = &lines[index];
        index += 1;
        for command in commands(logical) {
            let words = tokens(&command);
            if let Some(to) = super::pipelines::cd(&words, scope, cwd.as_deref()) {
                // On a server, a `cd` into a folder the repository lacks is into its checkout.
                match to {
                    Some(to) if !remote || dir.join(&to).is_dir() => cwd = Some(to),
                    _ if remote => {}
                    to => cwd = to,
                }
                continue;
            }
            let Some(folder) = cwd.clone() else {
                continue;
            };
            let dotenv = |target: &str| {
                super::pipelines::join(Some(&folder), target)
                    .is_some_and(|p| p.rsplit('/').next() == Some(".env"))
                    .then(|| folder_of_target(&folder, target))
                    .flatten()
            };
            match words.first().map(String::as_str) {
                Some("mv" | "rm") => {
                    // `mv .env .env-dev`, `rm -f .env`: the repository's file is gone.
                    let target = words[1..].iter().find(|w| !w.starts_with('-'));
                    if let Some(f) = target.and_then(|t| dotenv(t)) {
                        written.insert(
                            f,
                            WrittenEnv {
                                values: Vec::new(),
                                replaces: true,
                            },
                        );
                    }
                }
                Some("echo" | "printf") => {
                    let Some((truncates, target, body)) = redirected(&words) else {
                        continue;
                    };
                    let Some(entry) = written_to(written, dotenv(&target), truncates) else {
                        continue;
                    };
                    add_line(entry, &body.join(" "), scope);
                }
                Some("cat") if command.contains("<<") => {
                    let Some((truncates, target, _)) = redirected(&words) else {
                        continue;
                    };
                    let Some(delimiter) = heredoc_delimiter(&command) else {
                        continue;
                    };
                    let Some(entry) = written_to(written, dotenv(&target), truncates) else {
                        continue;
                    };
                    while index < lines.len() {
                        let body = lines[index].1.trim();
                        index += 1;
                        if body == delimiter {
                            break;
                        }
                        add_line(entry, body, scope);
                    }
                }
                Some("make") => {
                    for set in make_targets(dir, &words, &folder, written, scope) {
                        if !out.iter().any(|(_, o)| same_run(o, &set)) {
                            out.push((*line, set));
                        }
                    }
                }
                _ => {
                    if let Some(set) = compose_command(dir, &words, &folder, written, scope)
                        && !out.iter().any(|(_, o)| same_run(o, &set))
                    {
                        out.push((*line, set));
                    }
                }
            }
        }
    }
    out
}

/// The folder of the `.env` a redirection writes.
fn folder_of_target(cwd: &str, target: &str) -> Option<String> {
    let path = super::pipelines::join(Some(cwd), target)?;
    Some(super::folder_of(&path))
}

/// A script line's commands: split at `;`, `&&`, `||` and `|` outside quotes.
fn commands(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (c, quote) {
            ('"' | '\'', None) => {
                quote = Some(c);
                current.push(c);
            }
            (q, Some(open)) if q == open => {
                quote = None;
                current.push(c);
            }
            (';' | '&' | '|', None) => {
                if !current.trim().is_empty() {
                    out.push(std::mem::take(&mut current).trim().to_string());
                }
                current.clear();
            }
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// `echo A B > F` / `>> F` (also `>F`): whether it truncates, the target and what is written.
fn redirected(words: &[String]) -> Option<(bool, String, Vec<String>)> {
    let mut body = Vec::new();
    let mut target = None;
    let mut iter = words[1..].iter();
    while let Some(w) = iter.next() {
        let (truncates, rest) = if let Some(rest) = w.strip_prefix(">>") {
            (false, rest)
        } else if let Some(rest) = w.strip_prefix('>') {
            (true, rest)
        } else {
            if !w.starts_with('-') && !w.starts_with("<<") {
                body.push(w.clone());
            }
            continue;
        };
        let file = if rest.is_empty() {
            iter.next()?.clone()
        } else {
            rest.to_string()
        };
        target = Some((truncates, file));
    }
    let (truncates, file) = target?;
    Some((truncates, file, body))
}

/// The word that ends a heredoc (`<<EOF`, `<< 'EOF'`, `<<-EOF`).
fn heredoc_delimiter(command: &str) -> Option<String> {
    let after = command.split_once("<<")?.1;
    let after = after.strip_prefix('-').unwrap_or(after).trim_start();
    let word = after.split_whitespace().next()?;
    let word = word.trim_matches(['"', '\'']);
    (!word.is_empty() && !word.starts_with('>')).then(|| word.to_string())
}

/// Records one `NAME=value` line written into a `.env`, with the value the runner gives it.
fn add_line(entry: &mut WrittenEnv, line: &str, scope: &Scope) {
    let line = line.trim();
    let Some((name, value)) = line.split_once('=') else {
        return;
    };
    let name = name.trim().trim_start_matches("export ").trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return;
    }
    let value = value.trim().trim_matches(['"', '\'']);
    entry
        .values
        .push((name.to_string(), runner_value(value, scope)));
}

/// The value the runner writes: expressions it substitutes from the files, the deployed commit
/// shown as [`COMMIT`]; `None` when anything else decides it.
fn runner_value(value: &str, scope: &Scope) -> Option<String> {
    let mut text = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${{") {
        let end = rest[start..].find("}}")? + start;
        let expr = rest[start + 3..end].trim();
        text.push_str(&rest[..start]);
        if expr == "github.sha" {
            text.push_str(COMMIT);
        } else {
            text.push_str(&rest[start..end + 2]);
        }
        rest = &rest[end + 2..];
    }
    text.push_str(rest);
    let text = text
        .replace("${GITHUB_SHA}", COMMIT)
        .replace("$GITHUB_SHA", COMMIT);
    if !text.contains('$') {
        return Some(text);
    }
    scope.one(&text)
}

/// The compose commands `make [-C dir] [-f file] target...` runs: the recipe lines of each
/// target (the default goal, the first target, when none is given) with the Makefile's own
/// variables substituted (`DOCKER_COMPOSE = docker compose --env-file=${ENV_FILE}`), run in the
/// Makefile's folder. Prerequisites are not followed; a variable only the shell sets stays as
/// written, so a `-f` naming it names nothing.
fn make_targets(
    dir: &Path,
    words: &[String],
    cwd: &str,
    written: &HashMap<String, WrittenEnv>,
    scope: &Scope,
) -> Vec<ComposeSet> {
    let mut folder = cwd.to_string();
    let mut file: Option<String> = None;
    let mut targets = Vec::new();
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut i = 1;
    while i < words.len() {
        let w = &words[i];
        match w.as_str() {
            "-C" | "--directory" => {
                let Some(to) = words.get(i + 1).and_then(|d| scope.one(d)) else {
                    return Vec::new();
                };
                let Some(to) = super::pipelines::join(Some(&folder), &to) else {
                    return Vec::new();
                };
                folder = to;
                i += 2;
                continue;
            }
            "-f" | "--file" | "--makefile" => {
                file = words.get(i + 1).cloned();
                i += 2;
                continue;
            }
            _ if w.starts_with('-') => {}
            _ => match w.split_once('=') {
                Some((k, v)) => {
                    vars.insert(k.to_string(), v.to_string());
                }
                None => targets.push(w.clone()),
            },
        }
        i += 1;
    }
    let path = match &file {
        Some(f) => super::pipelines::join(Some(&folder), f),
        None => ["Makefile", "GNUmakefile", "makefile"]
            .iter()
            .filter_map(|n| super::pipelines::join(Some(&folder), n))
            .find(|p| dir.join(p).is_file()),
    };
    let Some(path) = path else {
        return Vec::new();
    };
    let Ok(text) = crate::sources::read_text_limited(&dir.join(&path), &path, 1 << 20) else {
        return Vec::new();
    };
    let makefile = Makefile::parse(&text, vars);
    let targets = if targets.is_empty() {
        makefile.first.iter().cloned().collect()
    } else {
        targets
    };
    let mut out: Vec<ComposeSet> = Vec::new();
    for target in &targets {
        for recipe in makefile.recipe(target) {
            let line = makefile.expand(&recipe, 0);
            for command in commands(&line) {
                let words = tokens(&command);
                if let Some(set) = compose_command(dir, &words, &folder, written, scope)
                    && !out.iter().any(|o| same_run(o, &set))
                {
                    out.push(set);
                }
            }
        }
    }
    out
}

/// What liftoff reads of a Makefile: its variables and its targets' recipes.
struct Makefile {
    vars: HashMap<String, String>,
    /// Each target's recipe lines, continuation lines joined.
    recipes: HashMap<String, Vec<String>>,
    /// The default goal.
    first: Option<String>,
}

impl Makefile {
    /// `given` are the variables of the command line, which win over the Makefile's.
    fn parse(text: &str, given: HashMap<String, String>) -> Makefile {
        let mut vars: HashMap<String, String> = HashMap::new();
        let mut recipes: HashMap<String, Vec<String>> = HashMap::new();
        let mut first = None;
        let mut current: Vec<String> = Vec::new();
        let mut pending = String::new();
        for raw in text.lines() {
            let joined = if pending.is_empty() {
                raw.to_string()
            } else {
                format!("{pending} {}", raw.trim_start())
            };
            if let Some(head) = joined.strip_suffix('\\') {
                pending = head.to_string();
                continue;
            }
            pending.clear();
            let line = joined;
            if let Some(recipe) = line.strip_prefix('\t') {
                let recipe = recipe.trim_start_matches(['@', '-', '+', ' ']);
                if !recipe.trim_start().starts_with('#') {
                    for t in &current {
                        recipes
                            .entry(t.clone())
                            .or_default()
                            .push(recipe.to_string());
                    }
                }
                continue;
            }
            let trimmed = line.trim();
            // Conditionals inside a recipe keep it going: both branches are read.
            let conditional = ["ifdef", "ifndef", "ifeq", "ifneq", "else", "endif"]
                .iter()
                .any(|c| trimmed == *c || trimmed.starts_with(&format!("{c} ")));
            if trimmed.is_empty() || trimmed.starts_with('#') || conditional {
                continue;
            }
            let assignment = trimmed.strip_prefix("export ").unwrap_or(trimmed);
            if let Some((name, value, op)) = assignment_of(assignment) {
                current.clear();
                if given.contains_key(name) || (op == '?' && vars.contains_key(name)) {
                    continue;
                }
                let value = match (op, vars.get(name)) {
                    ('+', Some(before)) => format!("{before} {value}"),
                    _ => value.to_string(),
                };
                vars.insert(name.to_string(), value);
                continue;
            }
            current.clear();
            if let Some((names, _)) = trimmed.split_once(':') {
                for name in names.split_whitespace() {
                    if name.starts_with('.') || name.contains('%') {
                        continue;
                    }
                    if first.is_none() {
                        first = Some(name.to_string());
                    }
                    current.push(name.to_string());
                    recipes.entry(name.to_string()).or_default();
                }
            }
        }
        vars.extend(given);
        Makefile {
            vars,
            recipes,
            first,
        }
    }

    fn recipe(&self, target: &str) -> Vec<String> {
        self.recipes.get(target).cloned().unwrap_or_default()
    }

    /// `$(NAME)` and `${NAME}` of the Makefile's variables substituted, `$$` made `$` (the
    /// shell's); any other reference stays as written.
    fn expand(&self, text: &str, depth: usize) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if let Some(tail) = after.strip_prefix('$') {
                out.push('$');
                rest = tail;
                continue;
            }
            let close = match after.chars().next() {
                Some('(') => ')',
                Some('{') => '}',
                _ => {
                    out.push('$');
                    rest = after;
                    continue;
                }
            };
            let Some(end) = after.find(close) else {
                out.push_str(&rest[at..]);
                return out;
            };
            let name = &after[1..end];
            match self.vars.get(name) {
                Some(value) if depth < 8 => out.push_str(&self.expand(value, depth + 1)),
                _ => out.push_str(&rest[at..at + 1 + end + 1]),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// A Makefile variable assignment (`A = b`, `A := b`, `A ::= b`, `A ?= b`, `A += b`): its
/// name, value and operator (`?` gives way to an earlier value, `+` appends, `=` sets).
fn assignment_of(line: &str) -> Option<(&str, &str, char)> {
    let eq = line.find('=')?;
    let (left, value) = (&line[..eq], line[eq + 1..].trim());
    let (name, op) = if let Some(n) = left.strip_suffix("::") {
        (n, '=')
    } else if let Some(n) = left.strip_suffix(':') {
        (n, '=')
    } else if let Some(n) = left.strip_suffix('?') {
        (n, '?')
    } else if let Some(n) = left.strip_suffix('+') {
        (n, '+')
    } else {
        (left, '=')
    };
    let name = name.trim();
    (!name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'))
    .then_some((name, value, op))
}

/// A `docker compose` / `docker-compose` command's files: its `-f` flags, else `COMPOSE_FILE`
/// as compose finds it (the command's own assignment, the step's or job's `env:`, then the
/// `.env` of the folder), else the default file of the folder when the job wrote that `.env`.
fn compose_command(
    dir: &Path,
    words: &[String],
    cwd: &str,
    written: &HashMap<String, WrittenEnv>,
    scope: &Scope,
) -> Option<ComposeSet> {
    let mut assigned: HashMap<&str, &str> = HashMap::new();
    let mut at = 0;
    while let Some((k, v)) = words.get(at).and_then(|w| w.split_once('=')) {
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            break;
        }
        assigned.insert(k, v);
        at += 1;
    }
    let rest = &words[at..];
    let program = |w: &String| w.rsplit('/').next().unwrap_or(w).to_string();
    let args = match rest {
        [docker, compose, args @ ..] if program(docker) == "docker" && compose == "compose" => args,
        [compose, args @ ..] if program(compose) == "docker-compose" => args,
        _ => return None,
    };
    let mut files = Vec::new();
    let mut project_dir: Option<String> = None;
    let mut env_file: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        let value = |long: &str| -> Option<String> {
            w.strip_prefix(&format!("{long}=")).map(String::from)
        };
        if w == "-f" || w == "--file" {
            files.push(args.get(i + 1)?.clone());
            i += 2;
            continue;
        }
        if let Some(f) = value("--file").or_else(|| {
            w.strip_prefix("-f")
                .filter(|f| !f.is_empty())
                .map(String::from)
        }) {
            files.push(f);
        } else if w == "--project-directory" {
            project_dir = Some(args.get(i + 1)?.clone());
            i += 2;
            continue;
        } else if let Some(d) = value("--project-directory") {
            project_dir = Some(d);
        } else if w == "--env-file" {
            env_file = Some(args.get(i + 1)?.clone());
            i += 2;
            continue;
        } else if let Some(f) = value("--env-file") {
            env_file = Some(f);
        }
        i += 1;
    }
    let folder = match &project_dir {
        Some(d) => super::pipelines::join(Some(cwd), &scope.one(d)?)?,
        None => cwd.to_string(),
    };
    let env_written = written.get(&folder).cloned();
    let lookup = |name: &str| -> Option<String> {
        assigned
            .get(name)
            .map(|v| v.to_string())
            .or_else(|| scope.one(&format!("${{{name}}}")))
            .or_else(|| env_written.as_ref()?.get(name).map(String::from))
    };
    let files: Vec<String> = if !files.is_empty() {
        files
            .iter()
            .map(|f| super::pipelines::join(Some(cwd), &scope.one(f)?))
            .collect::<Option<Vec<_>>>()?
    } else if let Some(list) = lookup("COMPOSE_FILE") {
        let separator = lookup("COMPOSE_PATH_SEPARATOR");
        split_list(&list, separator.as_deref(), Some(&folder))
    } else {
        // Without a `.env` of the job's own, the repository's `COMPOSE_FILE` (read above) applies.
        env_written.as_ref()?;
        let default = DEFAULT_BASES
            .iter()
            .filter_map(|b| super::pipelines::join(Some(&folder), b))
            .find(|f| dir.join(f).is_file())?;
        vec![default]
    };
    if files.is_empty() {
        return None;
    }
    // The `.env` compose interpolates with is the project directory's: the first file's folder,
    // unless `--env-file` names a `.env` elsewhere.
    let project = match &project_dir {
        Some(_) => folder,
        None => super::folder_of(&files[0]),
    };
    let project = env_file
        .and_then(|f| super::pipelines::join(Some(cwd), &scope.one(&f)?))
        .filter(|p| p.rsplit('/').next() == Some(".env"))
        .map_or(project, |p| super::folder_of(&p));
    Some(ComposeSet {
        files,
        at: Location::new("", 0, 0),
        job_environments: Vec::new(),
        written: written.get(&project).cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(script: &str) -> Vec<ComposeSet> {
        in_script(
            Path::new("."),
            script,
            Some(".".into()),
            false,
            &Scope::default(),
            &mut HashMap::new(),
        )
        .into_iter()
        .map(|(_, s)| s)
        .collect()
    }

    #[test]
    fn compose_file_lists_split_at_the_separator_compose_uses() {
        assert_eq!(
            split_list("docker-compose.yml:docker/prod.yml", None, Some(".")),
            ["docker-compose.yml", "docker/prod.yml"]
        );
        assert_eq!(
            split_list("docker-compose.yml;docker/dev.yml", Some(";"), Some("app")),
            ["app/docker-compose.yml", "app/docker/dev.yml"]
        );
        // With `:` as the separator, a `;` list is one path (which does not exist).
        assert_eq!(split_list("a.yml;b.yml", None, Some(".")), ["a.yml;b.yml"]);
        assert!(split_list("/srv/app/docker-compose.yml", None, Some(".")).is_empty());
    }

    #[test]
    fn a_deploy_script_names_its_files_and_writes_its_env() {
        let found = sets(
            "mv .env .env-dev\n\
             echo \"COMPOSE_PATH_SEPARATOR=;\" > .env\n\
             echo \"COMPOSE_FILE=docker-compose.yml;docker/prod.yml\" >> .env\n\
             echo \"TAG=sha-${{ github.sha }}\" >> .env\n\
             echo \"DB_PASSWORD=${{ secrets.DB_PASSWORD }}\" >> .env\n\
             docker compose pull && docker compose up -d\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].files, ["docker-compose.yml", "docker/prod.yml"]);
        let written = found[0].written.as_ref().unwrap();
        assert!(written.replaces);
        assert_eq!(written.get("TAG"), Some("sha-<commit>"));
        assert_eq!(written.get("DB_PASSWORD"), None);
        // `-f` flags win over COMPOSE_FILE; a heredoc writes lines as echo does.
        let found = sets(
            "cat > .env <<EOF\nTAG=1.4.2\nEOF\n\
             docker-compose -f docker-compose.yml -f deploy/prod.yml up -d\n",
        );
        assert_eq!(found[0].files, ["docker-compose.yml", "deploy/prod.yml"]);
        assert_eq!(found[0].written.as_ref().unwrap().get("TAG"), Some("1.4.2"));
        // A command that is not compose names nothing.
        assert!(sets("echo \"COMPOSE_FILE=a.yml\" >> .env\nmake test\n").is_empty());
    }

    #[test]
    fn a_later_step_runs_compose_with_the_env_an_earlier_one_wrote() {
        let mut written = HashMap::new();
        let scope = Scope::default();
        let first = in_script(
            Path::new("."),
            "mv .env .env-dev\necho \"COMPOSE_FILE=docker-compose.yml:deploy/prod.yml\" > .env\n",
            Some(".".into()),
            true,
            &scope,
            &mut written,
        );
        assert!(first.is_empty());
        let later = in_script(
            Path::new("."),
            "docker compose up -d\n",
            Some(".".into()),
            true,
            &scope,
            &mut written,
        );
        assert_eq!(later[0].1.files, ["docker-compose.yml", "deploy/prod.yml"]);
        // A fresh machine has no such `.env`.
        let fresh = in_script(
            Path::new("."),
            "docker compose up -d\n",
            Some(".".into()),
            true,
            &scope,
            &mut HashMap::new(),
        );
        assert!(fresh.is_empty());
    }

    #[test]
    fn make_recipes_are_read_with_the_makefiles_variables() {
        let makefile = Makefile::parse(
            "ENV_FILE ?= .env\nDC = docker compose --env-file=${ENV_FILE}\nexport X:=1\n\n\
             up:\nifdef svc\n\t@${DC} up -d ${svc}\nelse\n\t${DC} up -d\nendif\n\
             pull: up\n\t$(DC) pull \\\n\t  --quiet\n",
            HashMap::from([("ENV_FILE".to_string(), "prod.env".to_string())]),
        );
        assert_eq!(makefile.first.as_deref(), Some("up"));
        let up: Vec<String> = makefile
            .recipe("up")
            .iter()
            .map(|r| makefile.expand(r, 0))
            .collect();
        assert_eq!(
            up,
            [
                "docker compose --env-file=prod.env up -d ${svc}",
                "docker compose --env-file=prod.env up -d"
            ]
        );
        assert_eq!(
            makefile.expand(&makefile.recipe("pull")[0], 0),
            "docker compose --env-file=prod.env pull  --quiet"
        );
        assert!(makefile.recipe("test").is_empty());
    }
}
