//! The Kubernetes folders a GitHub Actions job applies, and the environment the job names:
//! `kubectl apply -k deploy/blue`, `kustomize build deploy/blue | kubectl apply -f -`,
//! `kubectl apply -f k8s/` in a job with `environment: production`. A job that only calls a
//! reusable workflow of this repository (`uses: ./.github/workflows/deploy.yml` with
//! `with: {environment: prod}`) is followed into it with the values it passes, call by call.
//!
//! A folder or an environment that a repository variable or a secret decides is unknown and
//! names nothing.

use super::pipelines::{
    Scope, default_working_directory, job_scope, join, logical_lines, parse, tokens,
    working_directory,
};
use crate::model::Location;
use crate::sources::yaml::{self, Node, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// A folder (or file) of manifests a CI job applies to a named environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct KubeDeploy {
    /// The job's environment, as spelled.
    pub environment: String,
    /// What is applied, relative to the repository (`deploy/blue`), without a trailing `/`.
    pub path: String,
    /// Whether it is applied as a kustomization (`-k`, `kustomize build`).
    pub kustomize: bool,
    pub job: String,
    pub at: Location,
    /// The job that called this one's workflow (`deploy-staging`, with its call's position),
    /// when it runs in a reusable workflow: where the environment's value is written.
    pub called_by: Option<(String, Location)>,
}

/// Calls of reusable workflows are followed at most this deep, as GitHub nests them.
const MAX_CALL_DEPTH: usize = 4;

/// Every folder the repository's GitHub Actions workflows apply in a job naming an environment.
pub(super) fn kube_deploys(dir: &Path, pipelines: &[Location]) -> Vec<KubeDeploy> {
    let workflows: BTreeMap<String, yaml::Document> = pipelines
        .iter()
        .filter(|p| p.path.starts_with(".github/workflows/"))
        .filter_map(|p| parse(dir, &p.path).map(|d| (p.path.to_string(), d)))
        .collect();
    let mut out = Vec::new();
    for doc in workflows.values() {
        if let Some(root) = doc.roots.first() {
            workflow(&workflows, doc, root, None, None, 0, &mut out);
        }
    }
    out
}

fn workflow(
    workflows: &BTreeMap<String, yaml::Document>,
    doc: &yaml::Document,
    root: &Node,
    called_with: Option<&BTreeMap<String, Vec<String>>>,
    called_by: Option<&(String, Location)>,
    depth: usize,
    out: &mut Vec<KubeDeploy>,
) {
    let Some(Value::Map(jobs)) = root.get("jobs").map(|j| &j.value) else {
        return;
    };
    for (name, job) in jobs {
        let mut scope = job_scope(root, job, called_with);
        scope.job = name.as_str().unwrap_or_default().to_string();
        if let Some(called) = job
            .get("uses")
            .and_then(Node::as_str)
            .and_then(|u| u.strip_prefix("./"))
        {
            // The values this call passes, alone: another caller's values are another run.
            let mut with: BTreeMap<String, Vec<String>> = BTreeMap::new();
            if let Some(Value::Map(given)) = job.get("with").map(|w| &w.value) {
                for (k, v) in given {
                    if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                        with.insert(k.to_string(), scope.text(v, 0));
                    }
                }
            }
            if let Some(called_doc) = workflows.get(called).filter(|_| depth < MAX_CALL_DEPTH)
                && let Some(called_root) = called_doc.roots.first()
            {
                let caller = (scope.job.clone(), doc.location(job));
                workflow(
                    workflows,
                    called_doc,
                    called_root,
                    Some(&with),
                    Some(&caller),
                    depth + 1,
                    out,
                );
            }
            continue;
        }
        if scope.environment.is_empty() {
            continue;
        }
        scope.cwd = default_working_directory(&scope, root, job);
        let Some(Value::Seq(steps)) = job.get("steps").map(|s| &s.value) else {
            continue;
        };
        for step in steps {
            let mut cwd = scope.cwd.clone();
            if let Some(d) = step.get("working-directory").and_then(Node::as_str) {
                cwd = working_directory(&scope, Some(d));
            }
            let Some(run) = step.get("run") else { continue };
            let Some(text) = run.as_str() else { continue };
            for (line, path, kustomize) in applied(text, cwd, &scope) {
                let mut at = doc.location(run);
                at.line += line as u32;
                for environment in &scope.environment {
                    let deploy = KubeDeploy {
                        environment: environment.clone(),
                        path: path.clone(),
                        kustomize,
                        job: scope.job.clone(),
                        at: at.clone(),
                        called_by: called_by.cloned(),
                    };
                    if !out
                        .iter()
                        .any(|d| d.environment == deploy.environment && d.path == deploy.path)
                    {
                        out.push(deploy);
                    }
                }
            }
        }
    }
}

/// What a script applies: (line within the script, path, as a kustomization), each path
/// resolved from the folder the script is in at that point.
fn applied(script: &str, cwd: Option<String>, scope: &Scope) -> Vec<(usize, String, bool)> {
    let mut out = Vec::new();
    let mut cwd = cwd;
    for (first_line, logical) in logical_lines(script) {
        // `kustomize build X > all.yaml` only writes a file: the line must apply what it builds.
        let applies = logical.contains("kubectl") && logical.contains("apply");
        for command in logical.split(['&', ';', '|']) {
            let words = tokens(command);
            if let Some(to) = super::pipelines::cd(&words, scope, cwd.as_deref()) {
                cwd = to;
                continue;
            }
            let Some((target, kustomize)) = target(&words) else {
                continue;
            };
            if !applies {
                continue;
            }
            if let Some(path) = scope
                .one(&target)
                .map(|v| v.trim_end_matches('/').to_string())
                .and_then(|t| join(cwd.as_deref(), &t))
            {
                out.push((first_line, path, kustomize));
            }
        }
    }
    out
}

/// The argument of `kubectl apply -k X` / `-f X` (not `-f -`), `kubectl kustomize X` or
/// `kustomize build X`, and whether it is a kustomization.
fn target(words: &[String]) -> Option<(String, bool)> {
    let program = |w: &String| w.rsplit('/').next().unwrap_or(w).to_string();
    let at = words.iter().position(|w| {
        let p = program(w);
        p == "kubectl" || p == "kustomize"
    })?;
    let rest = &words[at + 1..];
    if program(&words[at]) == "kustomize" {
        return match rest {
            [build, path, ..] if build == "build" && !path.starts_with('-') => {
                Some((path.clone(), true))
            }
            [build] if build == "build" => Some((".".to_string(), true)),
            _ => None,
        };
    }
    // kubectl's global flags that take a value in the next word (`-n shop apply`).
    const VALUED: [&str; 9] = [
        "-n",
        "--namespace",
        "--context",
        "--kubeconfig",
        "--cluster",
        "--user",
        "-s",
        "--server",
        "--token",
    ];
    let mut words_left = rest.iter();
    let verb = loop {
        let w = words_left.next()?;
        if VALUED.contains(&w.as_str()) {
            words_left.next();
        } else if !w.starts_with('-') {
            break w;
        }
    };
    if verb == "kustomize" {
        let path = rest
            .iter()
            .skip_while(|w| *w != "kustomize")
            .nth(1)
            .cloned()
            .unwrap_or_else(|| ".".to_string());
        return Some((path, true));
    }
    if verb != "apply" {
        return None;
    }
    for (i, w) in rest.iter().enumerate() {
        let flag = |short: &str, long: &str| -> Option<String> {
            if w == short || w == long {
                rest.get(i + 1).cloned()
            } else {
                w.strip_prefix(&format!("{long}="))
                    .or_else(|| w.strip_prefix(&format!("{short}=")))
                    .map(String::from)
            }
        };
        if let Some(path) = flag("-k", "--kustomize") {
            return Some((path, true));
        }
        if let Some(path) = flag("-f", "--filename").filter(|p| p != "-" && !p.contains("://")) {
            return Some((path, false));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(command: &str) -> Vec<String> {
        tokens(command)
    }

    #[test]
    fn apply_commands_name_what_they_apply() {
        assert_eq!(
            target(&words("kubectl apply -k deploy/blue")),
            Some(("deploy/blue".into(), true))
        );
        assert_eq!(
            target(&words("kubectl -n shop apply --kustomize=overlays/prod")),
            Some(("overlays/prod".into(), true))
        );
        assert_eq!(
            target(&words("kustomize build deploy/green")),
            Some(("deploy/green".into(), true))
        );
        assert_eq!(
            target(&words("kubectl apply -f k8s/ --prune")),
            Some(("k8s/".into(), false))
        );
        assert_eq!(target(&words("kubectl apply -f -")), None);
        assert_eq!(target(&words("kubectl get pods")), None);
        let scope = Scope::default();
        assert_eq!(
            applied(
                "cd deploy\nkustomize build blue | kubectl apply -f -\nkustomize build green > out.yaml\n",
                Some(".".into()),
                &scope
            ),
            vec![(1, "deploy/blue".to_string(), true)]
        );
    }
}
