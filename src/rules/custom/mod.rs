//! House rules: policies a team writes for itself, judged exactly like the built-in rules.
//!
//! Two formats are read: checkov's YAML custom policies ([`checkov`]), so a team's existing
//! policies work unchanged, and Rego ([`rego`]) over the documented model. Each policy becomes one
//! more [`Rule`] with its own [`RuleMeta`]: the profile resolves its levels, `assess` judges it,
//! waivers, baselines and every report treat its results as they treat a built-in rule's, and
//! `liftoff explain` / `liftoff rules` show it. Nothing downstream has a special case.
//!
//! A rule's metadata is `&'static` because the built-in catalogue is; a policy's is read at run
//! time, so it is leaked once per distinct policy text ([`intern`]): a process loads its policies
//! once (check) or a handful of times (tests, watch reloads of an unchanged folder cost nothing).

pub mod checkov;
pub mod rego;
pub mod testing;

use crate::diagnostic::{Diagnostic, InputError};
use crate::rules::{Rule, RuleMeta};
use std::path::{Path, PathBuf};

/// The largest policy file read, in bytes: a policy is a page of text, not data.
pub const MAX_POLICY_BYTES: u64 = 1 << 20;

/// Policies found under the given paths, in a stable order (by path, then as written in the file).
#[derive(Default)]
pub struct Policies {
    /// One rule per policy id.
    pub rules: Vec<&'static dyn Rule>,
    /// Every policy file read, shown relative to the assessed directory where possible.
    pub files: Vec<String>,
}

/// Reads every policy under `paths` (files, or folders read recursively for `*.yaml`, `*.yml`
/// and `*.rego`). `base` is the directory paths are shown relative to. Ids must be unique and
/// must not shadow a built-in rule.
pub fn load(paths: &[PathBuf], base: &Path) -> Result<Policies, InputError> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files)?;
    }
    files.sort();
    files.dedup();
    let mut out = Policies::default();
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    for file in &files {
        let shown = shown_path(file, base);
        let text = read_policy(file, &shown)?;
        let loaded = match file.extension().and_then(|e| e.to_str()) {
            Some("rego") => rego::load(&shown, &text),
            _ => checkov::load_at(&shown, &text, file),
        };
        match loaded {
            Ok(rules) => {
                for rule in rules {
                    let id = rule.meta().id;
                    if crate::rules::find(id).is_some() {
                        problems.push(Diagnostic::in_file(
                            &shown,
                            format!("the policy id `{id}` is a built-in rule's id"),
                        ));
                    } else if let Some(earlier) = seen.insert(id, shown.clone()) {
                        problems.push(Diagnostic::in_file(
                            &shown,
                            format!("the policy id `{id}` is already declared in {earlier}"),
                        ));
                    }
                    out.rules.push(rule);
                }
            }
            Err(InputError::Invalid(mut found)) => problems.append(&mut found),
            Err(other) => return Err(other),
        }
        out.files.push(shown);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(InputError::Invalid(problems))
    }
}

/// `path` itself when it is a file, every policy file under it when it is a folder.
pub(super) fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let io = |source| InputError::Io {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Hidden folders (.git) and a policy's examples (`<policy>.tests/`) are not policies.
        if name.starts_with('.') || name.ends_with(".tests") {
            continue;
        }
        if entry.is_dir() {
            collect(&entry, out)?;
        } else if matches!(
            entry.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "rego")
        ) {
            out.push(entry);
        }
    }
    Ok(())
}

pub(super) fn shown_path(file: &Path, base: &Path) -> String {
    file.strip_prefix(base)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/")
}

pub(super) fn read_policy(file: &Path, shown: &str) -> Result<String, InputError> {
    let io = |source| InputError::Io {
        path: shown.to_string(),
        source,
    };
    let size = std::fs::metadata(file).map_err(io)?.len();
    if size > MAX_POLICY_BYTES {
        return Err(InputError::one(
            Diagnostic::in_file(shown, format!("the policy file is {size} bytes"))
                .expected(format!("at most {MAX_POLICY_BYTES} bytes")),
        ));
    }
    std::fs::read_to_string(file).map_err(io)
}

/// Makes a policy's metadata `'static`, once per distinct content: loading the same policies
/// again (a test, a watcher reloading its manifest) returns the same allocation.
pub fn intern(meta: RuleMeta) -> &'static RuleMeta {
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<Vec<&'static RuleMeta>>> = OnceLock::new();
    let seen = SEEN.get_or_init(|| Mutex::new(Vec::new()));
    // A poisoned lock only means another thread panicked while pushing; the list is still valid.
    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(found) = seen.iter().find(|m| same_meta(m, &meta)) {
        return found;
    }
    let leaked: &'static RuleMeta = Box::leak(Box::new(meta));
    seen.push(leaked);
    leaked
}

/// A string made `'static` once per distinct value (policy ids, titles, texts).
pub fn intern_str(text: &str) -> &'static str {
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<std::collections::BTreeSet<&'static str>>> = OnceLock::new();
    let seen = SEEN.get_or_init(|| Mutex::new(Default::default()));
    // As above: the set stays valid after a panic elsewhere.
    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(found) = seen.get(text) {
        return found;
    }
    let leaked: &'static str = Box::leak(text.to_string().into_boxed_str());
    seen.insert(leaked);
    leaked
}

fn same_meta(a: &RuleMeta, b: &RuleMeta) -> bool {
    a.id == b.id
        && a.title == b.title
        && a.pillar == b.pillar
        && a.stages == b.stages
        && a.checks == b.checks
        && a.rationale == b.rationale
        && a.remediation == b.remediation
        && a.pass_example == b.pass_example
        && a.fail_example == b.fail_example
}
