//! Terraform configurations (HCL), read as far as Terraform itself knows values before `apply`.
//!
//! Files are parsed with hcl-edit (through hcl-rs), which keeps byte spans, so every attribute
//! keeps its file, line and column; expressions are evaluated with hcl-rs against `var.*`
//! (defaults, `terraform.tfvars`, `*.auto.tfvars`, declared var files), `local.*`,
//! `terraform.workspace`, `count.index` and `each.*`, and the functions real configurations use
//! most. A value that only exists at apply time (`data.*`, another resource's `.arn`) or that uses
//! a function liftoff does not evaluate is *unknown*: never an error, never a guess. `count` and
//! `for_each` expand into addresses exactly as Terraform prints them (`aws_s3_bucket.b[0]`,
//! `aws_s3_bucket.b["logs"]`). Provider `default_tags` merge into every resource's `tags`.
//!
//! Local modules are read recursively; remote ones from where `terraform init` installed them,
//! else they are listed and their inputs kept for the rules. Plan JSON is read by [`plan`].
//!
//! The reader is split by concern: [`syntax`] (parsing), [`modules`] (roots and the modules they
//! call), [`resources`] (expansion and attributes), [`eval`] (values and what is unknown),
//! [`functions`], [`waivers`] (inline waivers) and [`plan`] (plan JSON). The mapping to the model
//! is the loader's (`readers/terraform.rs`).

use crate::diagnostic::{Diagnostic, InputError};
use crate::model::Location;
use hcl::edit::Span;
use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

mod eval;
mod functions;
mod modules;
pub mod plan;
mod resources;
mod syntax;
pub mod terragrunt;
mod waivers;

use eval::*;
use functions::*;
use modules::*;
pub use modules::{EnvInputs, MODULE_CYCLE};
use resources::*;
use syntax::*;
use waivers::*;

/// Whether a file is a partial backend configuration, passed as `terraform init
/// -backend-config=<file>` (`prod.s3.tfbackend`, `backend-prod.hcl`, `prod.backend.hcl`,
/// `backends/prod.hcl`): one per environment names the environments a root deploys to.
pub fn is_backend_config(rel: &str) -> bool {
    let mut segments = rel.rsplit('/');
    let name = segments.next().unwrap_or(rel).to_ascii_lowercase();
    let folder = segments.next().unwrap_or("").to_ascii_lowercase();
    if name.ends_with(".tfbackend") {
        return true;
    }
    name.ends_with(".hcl")
        && name != "terragrunt.hcl"
        && !name.ends_with(".lock.hcl")
        && (name.starts_with("backend-")
            || name.starts_with("backend_")
            || name.ends_with(".backend.hcl")
            || folder == "backends"
            || folder == "backend-config"
            || folder == "backend-configs")
}

/// The `.tf` files of a root folder, parsed, in name order; `None` when one of them does not
/// parse (what it declares is then unknown).
fn parsed_root(dir: &Path, root: &str) -> Option<Vec<Parsed>> {
    root_files(dir, root)?
        .iter()
        .map(|rel| parse(dir, rel).ok())
        .collect()
}

/// The `.tf` files of a root folder, as paths relative to `dir`, in name order; `None` when the
/// folder cannot be listed.
pub fn root_files(dir: &Path, root: &str) -> Option<Vec<String>> {
    let entries = std::fs::read_dir(dir.join(root)).ok()?;
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tf"))
        .collect();
    names.sort();
    Some(
        names
            .into_iter()
            .map(|name| {
                if root == "." {
                    name
                } else {
                    format!("{root}/{name}")
                }
            })
            .collect(),
    )
}

/// The variables a root module declares, each with whether it has a `default` (one without
/// must be given a value for Terraform to plan); `None` when a file of the root does not parse.
pub fn root_variables(dir: &Path, root: &str) -> Option<BTreeMap<String, bool>> {
    let files = parsed_root(dir, root)?;
    Some(
        files
            .iter()
            .flat_map(|f| f.body.blocks())
            .filter(|b| b.ident == "variable")
            .filter_map(|b| Some((label(b, 0)?, b.body.attribute("default").is_some())))
            .collect(),
    )
}

/// Whether a file is a Terraform variable file by its name: `*.tfvars`, `*.tfvars.json`, or a
/// file called `vars` with no extension, which pipelines pass with `-var-file=` (Terraform takes
/// any name there; `profiles/<account>-<region>/vars` is one organisation's convention, seen on
/// companieshouse/chips-terraform). Other names without an extension are too often something
/// else to take as HCL.
pub fn is_variable_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    name.ends_with(".tfvars") || name.ends_with(".tfvars.json") || name == "vars"
}

/// The variables a variable file sets (`name = …` in a `.tfvars`, the keys of a
/// `.tfvars.json` object); `None` when it cannot be read or does not parse.
pub fn variable_file_names(dir: &Path, rel: &str) -> Option<BTreeSet<String>> {
    if rel.ends_with(".json") {
        let text = crate::sources::read_text(&dir.join(rel), rel).ok()?;
        let values: BTreeMap<String, Json> = serde_json::from_str(&text).ok()?;
        return Some(values.into_keys().collect());
    }
    let parsed = parse(dir, rel).ok()?;
    Some(
        parsed
            .body
            .attributes()
            .map(|a| a.key.to_string())
            .collect(),
    )
}

/// Where a root's backend block keeps its state, when written as a literal (`key =
/// "production/app.tfstate"` for s3 and azurerm, `prefix` for gcs, `path` for local and consul,
/// the `workspaces { name = … }` of a remote backend or a cloud block), with where it is written.
/// One literal state is one deployment: the environment it names is the one the root deploys.
pub fn backend_state(dir: &Path, root: &str) -> Option<(String, Location)> {
    let files = parsed_root(dir, root)?;
    for file in &files {
        let lines = Lines::of_parsed(file);
        for terraform in file.body.blocks().filter(|b| b.ident == "terraform") {
            let stores = terraform
                .body
                .blocks()
                .filter(|b| b.ident == "backend" || b.ident == "cloud");
            for store in stores {
                // `workspaces { prefix = … }` is many workspaces: only a `name` is one.
                let nested = store
                    .body
                    .blocks()
                    .filter(|b| b.ident == "workspaces")
                    .flat_map(|w| w.body.attributes())
                    .filter(|a| &*a.key == "name");
                let found = store
                    .body
                    .attributes()
                    .filter(|a| matches!(&*a.key, "key" | "prefix" | "path"))
                    .chain(nested)
                    .find_map(|a| match &a.value.expr {
                        hcl::Expression::String(s) => Some((s.clone(), a)),
                        _ => None,
                    });
                if let Some((value, attr)) = found {
                    return Some((value, lines.of(attr.key_span.clone())));
                }
            }
        }
    }
    None
}

/// The values a variable file (`*.tfvars`, `*.tfvars.json`) sets, each with where: `None` when
/// it cannot be read or does not parse. Values that need evaluation they cannot have (a
/// variable file holds literals) are left out.
pub fn variable_file_values(dir: &Path, rel: &str) -> Option<Vec<(String, hcl::Value, Location)>> {
    if rel.ends_with(".json") {
        let text = crate::sources::read_text(&dir.join(rel), rel).ok()?;
        let map = serde_json::from_str::<serde_json::Map<String, Json>>(&text).ok()?;
        return Some(
            map.iter()
                .map(|(k, v)| (k.clone(), from_json(v), Location::new(rel, 1, 1)))
                .collect(),
        );
    }
    let parsed = parse(dir, rel).ok()?;
    let lines = crate::sources::terraform::waivers::Lines::of_parsed(&parsed);
    let ctx = context(&BTreeMap::new(), &BTreeMap::new(), "default");
    Some(
        parsed
            .body
            .attributes()
            .filter_map(|a| {
                let value = evaluate_expr(&a.value, &ctx).ok()?;
                Some((a.key.to_string(), value, lines.of(a.key_span.clone())))
            })
            .collect(),
    )
}

/// The keys of the root variables a root indexes by `terraform.workspace`
/// (`var.environments[terraform.workspace]`, `lookup(var.settings, terraform.workspace, …)`),
/// as Terraform loads their values: the default, then `terraform.tfvars`,
/// `terraform.tfvars.json` and the `*.auto.tfvars(.json)` files, the last one setting a variable
/// winning. Files that do not parse give nothing here (the root's read reports them).
pub fn workspace_map_keys(dir: &Path, root: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join(root)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let join = |n: &str| {
        if root == "." {
            n.to_string()
        } else {
            format!("{root}/{n}")
        }
    };
    let mut indexed: BTreeSet<String> = BTreeSet::new();
    let mut values: BTreeMap<String, hcl::Value> = BTreeMap::new();
    let ctx = context(&BTreeMap::new(), &BTreeMap::new(), "default");
    for name in names.iter().filter(|n| n.ends_with(".tf")) {
        let Ok(parsed) = parse(dir, &join(name)) else {
            continue;
        };
        indexed.extend(workspace_indexed_vars(&parsed.text));
        for block in parsed.body.blocks().filter(|b| b.ident == "variable") {
            if let (Some(var), Some(default)) = (label(block, 0), block.body.attribute("default")) {
                if let Ok(v) = evaluate_expr(&default.value, &ctx) {
                    values.insert(var, v);
                }
            }
        }
    }
    if indexed.is_empty() {
        return Vec::new();
    }
    let mut files: Vec<&String> = names
        .iter()
        .filter(|n| *n == "terraform.tfvars" || *n == "terraform.tfvars.json")
        .collect();
    files.sort_by_key(|n| n.ends_with(".json"));
    files.extend(
        names
            .iter()
            .filter(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")),
    );
    for name in files {
        let rel = join(name);
        if name.ends_with(".json") {
            let Ok(text) = crate::sources::read_text(&dir.join(&rel), &rel) else {
                continue;
            };
            if let Ok(map) = serde_json::from_str::<BTreeMap<String, Json>>(&text) {
                values.extend(map.iter().map(|(k, v)| (k.clone(), from_json(v))));
            }
        } else if let Ok(parsed) = parse(dir, &rel) {
            for attr in parsed.body.attributes() {
                if let Ok(v) = evaluate_expr(&attr.value, &ctx) {
                    values.insert(attr.key.to_string(), v);
                }
            }
        }
    }
    let mut out = Vec::new();
    for var in &indexed {
        if let Some(hcl::Value::Object(map)) = values.get(var) {
            out.extend(map.keys().cloned());
        }
    }
    out
}

/// The variables a configuration's text indexes by `terraform.workspace`.
fn workspace_indexed_vars(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let name_before = |s: &str| -> Option<String> {
        let s = s.trim_end();
        let start = s
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map_or(0, |i| i + 1);
        let name = &s[start..];
        s[..start]
            .ends_with("var.")
            .then(|| name.to_string())
            .filter(|n| !n.is_empty())
    };
    let compact: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for (at, _) in compact.match_indices("[terraform.workspace]") {
        out.extend(name_before(&compact[..at]));
    }
    for (at, _) in compact.match_indices(", terraform.workspace") {
        let head = &compact[..at];
        if let Some(open) = head.rfind("lookup(") {
            let arg = head[open + "lookup(".len()..].trim();
            if let Some(name) = arg.strip_prefix("var.") {
                if name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    out.push(name.to_string());
                }
            }
        }
    }
    out
}

/// A resource instance as Terraform would address it.
#[derive(Clone, Debug)]
pub struct TfResource {
    pub address: String,
    /// Shared among the resources of a type (see [`crate::model::Resource::resource_type`]).
    pub resource_type: std::sync::Arc<str>,
    pub location: Location,
    /// Known attribute values (nested blocks are arrays of objects), with where each is written.
    pub attributes: crate::model::SortedMap<(Json, Location)>,
    /// Attributes whose value is known only after apply.
    pub unknown: crate::model::SortedMap<Location>,
    /// Inline waivers in comments before or inside the block: (rule id, reason, where).
    /// Inline waivers: rule id, reason, where, and whether it is a `#checkov:skip` of an id
    /// no built-in rule maps (it may name a house policy).
    pub waivers: Vec<(String, String, Location, bool)>,
    /// Attributes that refer to another resource, by that resource's address
    /// (`bucket = aws_s3_bucket.b.id` refers to `aws_s3_bucket.b`).
    pub references: crate::model::SortedMap<String>,
}

/// The resource address an expression refers to: `aws_s3_bucket.docs["scans"].id` refers to
/// `aws_s3_bucket.docs["scans"]`. Written by hand because only this traversal shape matters.
pub fn reference(expression: &str) -> Option<String> {
    let text = expression.trim();
    let (rtype, rest) = text.split_once('.')?;
    if !rtype.contains('_')
        || !rtype
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        || rtype == "var"
        || rtype == "local"
    {
        return None;
    }
    // The name runs to the next `.` outside brackets.
    let mut depth = 0;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '.' if depth == 0 => {
                end = i;
                break;
            }
            c if depth == 0 && !(c.is_ascii_alphanumeric() || c == '_' || c == '-') => return None,
            _ => {}
        }
    }
    Some(format!("{rtype}.{}", &rest[..end]))
}

/// checkov's check ids that judge what a liftoff rule judges, so `#checkov:skip=` suppressions keep
/// working. Only ids whose checkov check inspects the same attribute are listed.
pub const CHECKOV_IDS: [(&str, &str); 10] = [
    ("CKV_AWS_5", "security.encryption-at-rest"),
    ("CKV_AWS_16", "security.encryption-at-rest"),
    ("CKV_AWS_26", "security.encryption-at-rest"),
    ("CKV_AWS_64", "security.encryption-at-rest"),
    ("CKV_AWS_17", "security.db-not-public"),
    ("CKV_AWS_28", "reliability.pitr"),
    ("CKV_AWS_66", "monitoring.log-retention"),
    ("CKV_AWS_157", "ha.db-replica"),
    ("CKV_AWS_59", "security.api-authorizer"),
    ("CKV_AWS_258", "security.function-not-public"),
];

/// A remote module call, as written.
#[derive(Clone, Debug)]
pub struct RemoteModule {
    /// Its address, `module.network`.
    pub address: String,
    /// Its `source`.
    pub source: String,
    /// Its `version` constraint, for registry modules.
    pub version: Option<String>,
    /// The `module` block.
    pub location: Location,
    /// Whether its code was read from where `terraform init` installed it.
    pub followed: bool,
    /// A local source whose folder is not in the repository (`./vendor/modules/aks`): the
    /// folder it names, relative to the repository. Whether something makes it before `plan`
    /// (a `git clone` in a Makefile) is the caller's to say.
    pub missing: Option<String>,
}

/// What a root module holds.
#[derive(Clone, Debug, Default)]
pub struct Root {
    pub resources: Vec<TfResource>,
    /// Module calls not evaluated (remote sources, and local ones whose folder is missing).
    pub modules: Vec<RemoteModule>,
    /// Every folder read, the root first and then its local modules.
    pub folders: Vec<String>,
    /// The folder whose files were copied over the root's (a Terragrunt unit's own folder).
    pub overlay: Option<String>,
    /// Every `.tf` file read, installed remote modules' included (discovery skips `.terraform`).
    pub files: Vec<String>,
    /// Files that do not parse, kept instead of failing the read (`--keep-going`).
    pub unreadable: Vec<Diagnostic>,
    /// Files `file()` or `templatefile()` named but could not read (a device, a pipe, too
    /// large, missing), with why; the expressions that read them stay unknown.
    pub files_not_read: Vec<(std::path::PathBuf, String)>,
}

/// Reads a root module: the `.tf` files of `rel` (a directory) with its variable files, and the
/// local modules it calls.
pub fn read_root(
    dir: &Path,
    rel: &str,
    var_files: &[String],
    workspace: &str,
) -> Result<Root, InputError> {
    read_root_with(dir, rel, var_files, workspace, &[], false)
}

/// [`read_root`] with `-var name=value` overrides, which beat every variable file as they do in
/// Terraform. A value is read as an HCL expression when it is one (`3`, `true`, `["a"]`), else
/// as a string, as Terraform reads values of string-typed variables.
pub fn read_root_with(
    dir: &Path,
    rel: &str,
    var_files: &[String],
    workspace: &str,
    overrides: &[(String, String)],
    keep_going: bool,
) -> Result<Root, InputError> {
    let inputs = override_values(overrides, workspace);
    read_root_env(
        dir,
        rel,
        var_files,
        workspace,
        inputs,
        EnvInputs::default(),
        "",
        keep_going,
    )
}

/// `-var name=value` values: an HCL expression when the text is one (`3`, `true`, `["a"]`), else
/// the text, as Terraform reads values of string-typed variables.
pub fn override_values(
    overrides: &[(String, String)],
    workspace: &str,
) -> BTreeMap<String, hcl::Value> {
    let empty = context(&BTreeMap::new(), &BTreeMap::new(), workspace);
    overrides
        .iter()
        .map(|(name, text)| {
            let value = hcl::edit::parser::parse_expr(text)
                .ok()
                .and_then(|e| hcl::Expression::from(e).evaluate(&empty).ok())
                .unwrap_or_else(|| hcl::Value::from(text.as_str()));
            (name.clone(), value)
        })
        .collect()
}

/// [`read_root_with`] with `-var` values already evaluated, root variables set from the
/// environment (Terragrunt's `inputs`), and a prefix for every resource address (the unit a
/// Terragrunt tree runs the root as).
#[allow(clippy::too_many_arguments)]
pub fn read_root_env(
    dir: &Path,
    rel: &str,
    var_files: &[String],
    workspace: &str,
    inputs: BTreeMap<String, hcl::Value>,
    env: EnvInputs,
    prefix: &str,
    keep_going: bool,
) -> Result<Root, InputError> {
    read_unit_root(
        dir, rel, None, var_files, workspace, inputs, env, prefix, keep_going,
    )
}

/// [`read_root_env`] for a Terragrunt unit: the module in `rel` with the files of `overlay` (the
/// unit's own folder) copied over it, as Terragrunt runs them, one root.
#[allow(clippy::too_many_arguments)]
pub fn read_unit_root(
    dir: &Path,
    rel: &str,
    overlay: Option<&str>,
    var_files: &[String],
    workspace: &str,
    inputs: BTreeMap<String, hcl::Value>,
    env: EnvInputs,
    prefix: &str,
    keep_going: bool,
) -> Result<Root, InputError> {
    let call = ModuleCall {
        inputs,
        env,
        overlay: overlay.map(str::to_string),
        prefix: prefix.to_string(),
        installed: std::rc::Rc::new(installed_modules(dir, rel.trim_end_matches('/'))?),
        keep_going,
        ..ModuleCall::default()
    };
    eval::FILES_NOT_READ.with(|f| f.borrow_mut().clear());
    let mut root = read_module(dir, rel, var_files, workspace, &call);
    let mut not_read = eval::FILES_NOT_READ.with(|f| std::mem::take(&mut *f.borrow_mut()));
    not_read.sort();
    not_read.dedup_by(|a, b| a.0 == b.0);
    if let Ok(root) = &mut root {
        root.files_not_read = not_read;
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sources::test_support::write;

    #[test]
    fn a_literal_backend_key_is_one_state_and_a_workspace_prefix_is_not() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "edge/main.tf",
            "terraform {\n  backend \"s3\" {\n    bucket = \"state\"\n    key    = \"production/edge.tfstate\"\n  }\n}\n",
        );
        write(
            tmp.path(),
            "many/main.tf",
            "terraform {\n  backend \"remote\" {\n    workspaces {\n      prefix = \"app-prod-\"\n    }\n  }\n}\n",
        );
        write(
            tmp.path(),
            "one/main.tf",
            "terraform {\n  cloud {\n    workspaces {\n      name = \"app-staging\"\n    }\n  }\n}\n",
        );
        write(
            tmp.path(),
            "computed/main.tf",
            "terraform {\n  backend \"s3\" {\n    key = \"${var.env}/app.tfstate\"\n  }\n}\n",
        );
        let (key, at) = backend_state(tmp.path(), "edge").unwrap();
        assert_eq!(key, "production/edge.tfstate");
        assert_eq!((&*at.path, at.line, at.column), ("edge/main.tf", 4, 5));
        assert_eq!(backend_state(tmp.path(), "many"), None);
        assert_eq!(
            backend_state(tmp.path(), "one").map(|s| s.0).as_deref(),
            Some("app-staging")
        );
        assert_eq!(backend_state(tmp.path(), "computed"), None);
    }

    #[test]
    fn variable_files_name_what_they_set_and_roots_what_they_declare() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "app/variables.tf",
            "variable \"env\" {}\nvariable \"size\" {\n  default = 2\n}\n",
        );
        write(
            tmp.path(),
            "vars/prod.tfvars",
            "env = \"prod\"\nowner = \"ops\"\n",
        );
        write(
            tmp.path(),
            "vars/qa.tfvars.json",
            "{\"env\": \"qa\", \"size\": 1}",
        );
        write(tmp.path(), "vars/broken.tfvars.json", "{\"env\": ");
        let declared = root_variables(tmp.path(), "app").unwrap();
        assert_eq!(
            declared.into_iter().collect::<Vec<_>>(),
            [("env".to_string(), false), ("size".to_string(), true)]
        );
        let names =
            |rel| variable_file_names(tmp.path(), rel).map(|s| s.into_iter().collect::<Vec<_>>());
        assert_eq!(names("vars/prod.tfvars").unwrap(), ["env", "owner"]);
        assert_eq!(names("vars/qa.tfvars.json").unwrap(), ["env", "size"]);
        assert_eq!(names("vars/broken.tfvars.json"), None);
    }

    #[test]
    fn a_unit_folder_copied_over_its_module_replaces_files_of_the_same_name() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "modules/app/main.tf",
            "variable \"name\" {}\nvariable \"days\" {\n  default = 0\n}\nresource \"aws_s3_bucket\" \"data\" {\n  bucket = var.name\n}\n",
        );
        write(
            tmp.path(),
            "modules/app/queue.tf",
            "resource \"aws_sqs_queue\" \"old\" {\n  name = var.name\n}\n",
        );
        write(
            tmp.path(),
            "live/app/queue.tf",
            "resource \"aws_sqs_queue\" \"new\" {\n  name                      = var.name\n  message_retention_seconds = var.days\n}\n",
        );
        // Loaded by Terraform from the folder it runs in, over the unit's inputs.
        write(tmp.path(), "live/app/terraform.tfvars", "days = 4\n");
        write(tmp.path(), "live/app/terragrunt.hcl", "inputs = {}\n");
        let inputs = EnvInputs {
            values: [
                ("name".to_string(), hcl::Value::from("billing")),
                ("days".to_string(), hcl::Value::from(2)),
            ]
            .into_iter()
            .collect(),
            ..EnvInputs::default()
        };
        let root = read_unit_root(
            tmp.path(),
            "modules/app",
            Some("live/app"),
            &[],
            "default",
            BTreeMap::new(),
            inputs,
            "live/app:",
            false,
        )
        .unwrap();
        let found: Vec<(&str, &str, Json)> = root
            .resources
            .iter()
            .map(|r| {
                let value = r
                    .attributes
                    .get("message_retention_seconds")
                    .or_else(|| r.attributes.get("bucket"))
                    .map(|v| v.0.clone())
                    .unwrap_or(Json::Null);
                (r.address.as_str(), &*r.location.path, value)
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "live/app:aws_s3_bucket.data",
                    "modules/app/main.tf",
                    serde_json::json!("billing")
                ),
                (
                    "live/app:aws_sqs_queue.new",
                    "live/app/queue.tf",
                    serde_json::json!(4)
                ),
            ]
        );
        assert_eq!(root.files, ["modules/app/main.tf", "live/app/queue.tf"]);
        assert_eq!(root.overlay.as_deref(), Some("live/app"));
    }

    #[test]
    fn locals_and_variables_reach_every_expression_form() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "infra/main.tf",
            r#"
variable "zones" { default = ["a", "b"] }
variable "owner" { default = "registry-team" }
locals {
  prefix = "reg"
  sizes  = { small = 10, large = 100 }
}
resource "aws_sqs_queue" "q" {
  name     = upper("${local.prefix}-q")
  zones    = [for z in var.zones : "${local.prefix}-${z}" if z != "b"]
  size     = local.sizes["large"]
  policy   = <<-EOT
    {"queue": "${local.prefix}"}
  EOT
  all_vars = length(keys(var))
  subnet   = cidrsubnet("10.0.0.0/16", 8, local.sizes["small"])
}
"#,
        );
        let root = read_root(tmp.path(), "infra", &[], "default").unwrap();
        let q = &root.resources[0].attributes;
        assert_eq!(q["name"].0, "REG-Q");
        assert_eq!(q["zones"].0, serde_json::json!(["reg-a"]));
        assert_eq!(q["size"].0, 100);
        assert_eq!(q["subnet"].0, "10.0.10.0/24");
        assert!(q["policy"].0.as_str().unwrap().contains("\"reg\""));
        assert_eq!(
            q["all_vars"].0, 2,
            "`var` as a whole object holds every variable, not only those named"
        );
    }

    #[test]
    fn try_can_file_and_templatefile_evaluate_like_terraform() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "infra/main.tf",
            r#"
variable "settings" { default = { retention = 30 } }
locals {
  retention  = try(var.settings.retention, 14)
  encryption = try(var.settings.encryption, "aws:kms")
  has_tier   = can(var.settings.tier)
  late       = try(local.defined_later, "fallback")
  defined_later = "from-later-local"
  from_data  = try(data.aws_kms_key.main.arn, "guessed")
  prefix     = "${try(var.settings.prefix, "records")}-${terraform.workspace}"
}
resource "aws_sqs_queue" "q" {
  name      = "${local.prefix}-${try(var.settings.suffix, "jobs")}"
  name_late = "${try(data.aws_ssm_parameter.p.value, "x")}-q"
  delay     = "${var.settings.retention}"
  retention = local.retention
  sse       = local.encryption
  tiered    = local.has_tier
  late      = local.late
  key       = local.from_data
  policy    = file("${path.module}/policy.json")
  rendered  = templatefile("./templates/name.tpl", { env = "prod", n = 2 })
  missing   = file("nope.json")
}
"#,
        );
        write(
            tmp.path(),
            "infra/policy.json",
            r#"{"Version": "2012-10-17"}"#,
        );
        write(
            tmp.path(),
            "infra/templates/name.tpl",
            "queue-${env}-%{ for i in [1, n] }x%{ endfor }${upper(env)}",
        );
        let root = read_root(tmp.path(), "infra", &[], "default").unwrap();
        let q = &root.resources[0];
        let attr = |name: &str| q.attributes.get(name).map(|a| a.0.clone());
        assert_eq!(attr("retention"), Some(serde_json::json!(30)));
        assert_eq!(
            attr("name"),
            Some(serde_json::json!("records-default-jobs")),
            "try inside string templates, in locals and in resources"
        );
        assert!(
            q.unknown.contains_key("name_late"),
            "an apply-time value inside a template stays unknown"
        );
        assert_eq!(
            attr("delay"),
            Some(serde_json::json!(30)),
            "a template of one interpolation keeps the value's type"
        );
        assert_eq!(attr("sse"), Some(serde_json::json!("aws:kms")));
        assert_eq!(attr("tiered"), Some(serde_json::json!(false)));
        assert_eq!(
            attr("late"),
            Some(serde_json::json!("from-later-local")),
            "try waits for locals defined later in the file"
        );
        assert_eq!(
            attr("key"),
            None,
            "an apply-time value is unknown, not the fallback"
        );
        assert!(q.unknown.contains_key("key"), "{:?}", q.unknown);
        assert_eq!(
            attr("policy"),
            Some(serde_json::json!(r#"{"Version": "2012-10-17"}"#))
        );
        assert_eq!(attr("missing"), None);
        assert_eq!(
            attr("rendered"),
            Some(serde_json::json!("queue-prod-xxPROD"))
        );
    }

    #[test]
    fn cidr_functions_compute_like_terraform() {
        assert_eq!(cidr_subnet("10.0.0.0/16", 8, 2).unwrap(), "10.0.2.0/24");
        assert_eq!(cidr_subnet("10.1.2.0/24", 4, 15).unwrap(), "10.1.2.240/28");
        assert_eq!(cidr_subnet("172.16.0.0/12", 4, 2).unwrap(), "172.18.0.0/16");
        assert_eq!(
            cidr_subnet("fd00:fd12:3456:7890::/56", 16, 162).unwrap(),
            "fd00:fd12:3456:7800:a200::/72"
        );
        assert_eq!(cidr_host("10.12.112.0/20", 16).unwrap(), "10.12.112.16");
        assert_eq!(cidr_host("10.12.112.0/20", 268).unwrap(), "10.12.113.12");
        assert!(
            cidr_subnet("10.0.0.0/30", 4, 0).is_err(),
            "longer than 32 bits"
        );
        assert!(
            cidr_subnet("10.0.0.0/16", 2, 4).is_err(),
            "netnum beyond 2 bits"
        );
        assert!(cidr_host("10.0.0.0/30", 4).is_err());
        assert!(cidr_subnet("nonsense", 1, 0).is_err());
    }

    #[test]
    fn range_counts_like_terraform() {
        assert_eq!(number_range(0.0, 3.0, None).unwrap(), [0.0, 1.0, 2.0]);
        assert_eq!(number_range(1.0, 4.0, None).unwrap(), [1.0, 2.0, 3.0]);
        assert_eq!(number_range(4.0, 1.0, None).unwrap(), [4.0, 3.0, 2.0]);
        assert_eq!(
            number_range(0.0, 1.0, Some(0.25)).unwrap(),
            [0.0, 0.25, 0.5, 0.75]
        );
        assert_eq!(number_range(3.0, 3.0, None).unwrap(), Vec::<f64>::new());
        assert!(number_range(0.0, 3.0, Some(0.0)).is_err());
        assert!(number_range(0.0, 3.0, Some(-1.0)).is_err());
        assert!(
            number_range(0.0, 2000.0, None).is_err(),
            "over 1024 elements"
        );

        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "infra/main.tf",
            r#"
locals {
  zones = [for i in range(3) : "eu-west-1${element(["a", "b", "c"], i)}"]
}
resource "aws_subnet" "private" {
  count             = length(range(1, 7, 2))
  availability_zone = local.zones[count.index]
  cidr_block        = cidrsubnet("10.0.0.0/16", 8, range(10, 13)[count.index])
}
"#,
        );
        let root = read_root(tmp.path(), "infra", &[], "default").unwrap();
        let addresses: Vec<&str> = root.resources.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(
            addresses,
            [
                "aws_subnet.private[0]",
                "aws_subnet.private[1]",
                "aws_subnet.private[2]"
            ]
        );
        let last = &root.resources[2];
        assert_eq!(
            last.attributes
                .get("availability_zone")
                .map(|a| a.0.clone()),
            Some(serde_json::json!("eu-west-1c"))
        );
        assert_eq!(
            last.attributes.get("cidr_block").map(|a| a.0.clone()),
            Some(serde_json::json!("10.0.12.0/24"))
        );
    }

    #[test]
    fn dynamic_blocks_expand_like_terraform() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "infra/main.tf",
            r#"
variable "ports" { default = [443, 22] }
locals {
  admin = { ssh = { port = 22, cidr = "10.0.0.0/8" } }
}
resource "aws_security_group" "web" {
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
  dynamic "egress" {
    for_each = local.admin
    iterator = rule
    content {
      from_port   = rule.value.port
      description = rule.key
    }
  }
  dynamic "tag" {
    for_each = data.aws_subnets.all.ids
    content { value = tag.value }
  }
}
"#,
        );
        let root = read_root(tmp.path(), "infra", &[], "default").unwrap();
        let sg = &root.resources[0];
        assert_eq!(
            sg.attributes["ingress"].0,
            serde_json::json!([
                {"from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]},
                {"from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}
            ])
        );
        assert_eq!(
            sg.attributes["egress"].0,
            serde_json::json!([{"from_port": 22, "description": "ssh"}])
        );
        assert_eq!(
            sg.attributes["ingress"].1.line, 7,
            "the dynamic block's line"
        );
        assert!(
            sg.unknown.contains_key("tag"),
            "a for_each known only after apply"
        );
    }

    #[test]
    fn count_and_each_do_not_leak_into_the_next_resource() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "infra/main.tf",
            r#"
resource "aws_sqs_queue" "jobs" {
  for_each = toset(["a", "b"])
  name     = "jobs-${each.key}"
}
resource "aws_sqs_queue" "single" {
  name = "single-${each.key}"
  slot = count.index
}
"#,
        );
        let root = read_root(tmp.path(), "infra", &[], "default").unwrap();
        let single = root
            .resources
            .iter()
            .find(|r| r.address == "aws_sqs_queue.single")
            .unwrap();
        assert_eq!(root.resources[1].attributes["name"].0, "jobs-b");
        assert!(
            !single.attributes.contains_key("name") && !single.attributes.contains_key("slot"),
            "`each` and `count` outside for_each / count evaluate to nothing: {:?}",
            single.attributes
        );
    }

    #[test]
    fn variables_locals_count_and_for_each() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "infra/main.tf",
            r#"
variable "env" { default = "staging" }
variable "replicas" { default = 1 }
locals {
  name   = "registry-${var.env}"
  tags   = merge({ Service = "registry" }, { Environment = var.env })
  is_prod = var.env == "production"
}
provider "aws" {
  default_tags { tags = { BackupPolicy = local.is_prod ? "Prod" : "Stg" } }
}
resource "aws_db_instance" "main" {
  identifier        = local.name
  storage_encrypted = "true"
  multi_az          = local.is_prod
  allocated_storage = "100"
  kms_key_id        = aws_kms_key.db.arn
  tags              = local.tags
}
resource "aws_s3_bucket" "assets" {
  for_each = toset(["logs", "uploads"])
  bucket   = "${local.name}-${each.key}"
}
resource "aws_sqs_queue" "jobs" {
  count = var.replicas + 1
  name  = "jobs-${count.index}"
}
resource "aws_dynamodb_table" "records" {
  name = "records"
  point_in_time_recovery { enabled = true }
  global_secondary_index { name = "by_date" }
  global_secondary_index { name = "by_district" }
}
module "network" { source = "terraform-aws-modules/vpc/aws" }
"#,
        );
        write(
            tmp.path(),
            "infra/production.tfvars",
            "env = \"production\"\nreplicas = 2\n",
        );
        let root = read_root(
            tmp.path(),
            "infra",
            &["infra/production.tfvars".to_string()],
            "default",
        )
        .unwrap();
        let addresses: Vec<&str> = root.resources.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(
            addresses,
            [
                "aws_db_instance.main",
                "aws_s3_bucket.assets[\"logs\"]",
                "aws_s3_bucket.assets[\"uploads\"]",
                "aws_sqs_queue.jobs[0]",
                "aws_sqs_queue.jobs[1]",
                "aws_sqs_queue.jobs[2]",
                "aws_dynamodb_table.records",
                // The remote module's inputs, for the rules that judge them.
                "module.network",
            ]
        );
        assert_eq!(&*root.resources[7].resource_type, "module");
        let db = &root.resources[0];
        assert_eq!(db.attributes["identifier"].0, "registry-production");
        assert_eq!(
            db.attributes["storage_encrypted"].0, true,
            "\"true\" is normalised"
        );
        assert_eq!(db.attributes["multi_az"].0, true);
        assert_eq!(db.attributes["allocated_storage"].0, 100);
        assert_eq!(
            db.attributes["storage_encrypted"].1.to_string(),
            "infra/main.tf:14:3"
        );
        assert!(
            db.unknown.contains_key("kms_key_id"),
            "another resource's attribute is unknown until apply"
        );
        assert_eq!(
            db.attributes["tags"].0["BackupPolicy"], "Prod",
            "provider default_tags merge in"
        );
        assert_eq!(db.attributes["tags"].0["Environment"], "production");
        assert_eq!(
            root.resources[1].attributes["bucket"].0,
            "registry-production-logs"
        );
        assert_eq!(root.resources[4].attributes["name"].0, "jobs-1");
        let table = &root.resources[6];
        assert_eq!(
            table.attributes["global_secondary_index"]
                .0
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            table.attributes["point_in_time_recovery"].0[0]["enabled"],
            true
        );
        assert_eq!(root.modules[0].source, "terraform-aws-modules/vpc/aws");
    }

    #[test]
    fn references_name_the_resource_they_point_at() {
        assert_eq!(
            reference("aws_s3_bucket.docs[\"scans\"].id").as_deref(),
            Some("aws_s3_bucket.docs[\"scans\"]")
        );
        assert_eq!(
            reference("aws_kms_key.db.arn").as_deref(),
            Some("aws_kms_key.db")
        );
        assert_eq!(reference("var.bucket_id"), None);
        assert_eq!(reference("\"literal\""), None);
        assert_eq!(
            reference("data.aws_caller_identity.current.account_id"),
            None
        );
    }

    #[test]
    fn syntax_errors_name_file_line_and_column() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "tf/main.tf",
            "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \n}\n",
        );
        let InputError::Invalid(d) = read_root(tmp.path(), "tf", &[], "default").unwrap_err()
        else {
            panic!()
        };
        assert!(d[0].to_string().starts_with("tf/main.tf:"), "{}", d[0]);
        assert!(d[0].message.starts_with("HCL syntax error"));
    }
}
