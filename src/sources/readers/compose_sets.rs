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
//! when they are there.

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
                for (line, set) in in_script(dir, text, cwd, remote, &step_scope) {
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
fn in_script(
    dir: &Path,
    script: &str,
    cwd: Option<String>,
    remote: bool,
    scope: &Scope,
) -> Vec<(usize, ComposeSet)> {
    let mut out = Vec::new();
    let mut cwd = cwd;
    // The `.env` files the script writes so far, by folder.
    let mut written: HashMap<String, WrittenEnv> = HashMap::new();
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
                    let Some(f) = dotenv(&target) else { continue };
                    let entry = written.entry(f).or_default();
                    if truncates {
                        *entry = WrittenEnv {
                            values: Vec::new(),
                            replaces: true,
                        };
                    }
                    add_line(entry, &body.join(" "), scope);
                }
                Some("cat") if command.contains("<<") => {
                    let Some((truncates, target, _)) = redirected(&words) else {
                        continue;
                    };
                    let Some(delimiter) = heredoc_delimiter(&command) else {
                        continue;
                    };
                    let Some(f) = dotenv(&target) else { continue };
                    let entry = written.entry(f).or_default();
                    if truncates {
                        *entry = WrittenEnv {
                            values: Vec::new(),
                            replaces: true,
                        };
                    }
                    while index < lines.len() {
                        let body = lines[index].1.trim();
                        index += 1;
                        if body == delimiter {
                            break;
                        }
                        add_line(entry, body, scope);
                    }
                }
                _ => {
                    if let Some(set) = compose_command(dir, &words, &folder, &written, scope)
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
    // The `.env` compose interpolates with is the project directory's: the first file's folder.
    let project = match &project_dir {
        Some(_) => folder,
        None => super::folder_of(&files[0]),
    };
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
}
