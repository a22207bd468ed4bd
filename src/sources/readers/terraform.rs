//! Terraform: plan JSON files, and root modules read once per environment they deploy.
//!
//! Which root feeds which environment, in this order:
//! 1. a declared source (`sources:` in liftoff.yaml), for its environment or every deployed one;
//!    a root declared for some environments is still read by steps 2 to 5 for the others;
//! 2. a root folder named after an environment (`terraform/production/`);
//! 3. a shared root with one variable file per environment beside it (`production.tfvars`), or in
//!    a folder of variable files next to it (`config/prod.tfvars`) that feeds it, read once per
//!    file; then one backend file per environment, then the environments a pipeline or Makefile
//!    applies it for;
//! 4. a root that switches on `terraform.workspace`, read once per environment workspace it
//!    names; else one whose backend's literal state key names an environment;
//! 5. any other root, for the only deployed environment when there is exactly one (said so).
//!
//! Everything else is listed with the `sources:` line that would read it. `terraform.workspace`
//! is `default`, as in Terraform, unless a source or `--workspace` says otherwise.

use super::{LoadContext, Reader, folder_of};
use crate::diagnostic::InputError;
use crate::model::env_names::{self, EnvName};
use crate::model::{ArtefactFile, ArtefactKind, ArtefactStatus, SourceSuggestion};
use crate::sources::terraform;
use crate::sources::terraform::plan as tfplan;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub(super) struct Plans;
pub(super) struct Terraform;

impl Reader for Plans {
    fn kind(&self) -> ArtefactKind {
        ArtefactKind::Plan
    }

    fn read(&self, cx: &mut LoadContext<'_>) -> Result<(), InputError> {
        let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for artefact in cx.pending(ArtefactKind::Plan) {
            let Some(env) = artefact.environment.clone() else {
                continue;
            };
            used.entry(artefact.path.clone())
                .or_default()
                .push(env.clone());
            match tfplan::read(cx.dir, &artefact.path) {
                Ok(resources) => {
                    let shared_env: std::sync::Arc<str> = env.as_str().into();
                    cx.deployment.resources.reserve_exact(resources.len());
                    for r in resources {
                        cx.deployment.resources.push(into_resource(r, &shared_env));
                    }
                }
                Err(e) => cx.unreadable(e, ArtefactKind::Plan, Some(&env)),
            }
        }
        cx.mark_per_environment(ArtefactKind::Plan, &used, "read for", |_| {
            "not attached to an environment: name it after the environment (production.tfplan.json) or declare it under environments.<name>.sources".to_string()
        });
        Ok(())
    }
}

/// One read of a root: its folder, variable files, workspace, environment, and why.
#[derive(Clone, Debug)]
struct RootRead {
    root: String,
    var_files: Vec<String>,
    workspace: String,
    environment: String,
    how: Option<String>,
    /// `-var name=value` the deploy command passes for this environment.
    vars: Vec<(String, String)>,
    /// Files that name this read's environment without holding configuration (backend files).
    also: Vec<String>,
}

fn under_modules(folder: &str) -> bool {
    folder.split('/').any(|s| s.eq_ignore_ascii_case("modules"))
}

/// Whether a root's folder is named as a template (`environment-template/`, `env_template/`,
/// `template/`): a configuration a team copies and fills in for each environment, whose
/// placeholders (`bucket = "REPLACE_ME"`) and relative module paths are right only in the copy.
/// Terraform never applies it where it stands. A folder the root calls as a module
/// (`modules/launch-template/`) is read through its caller as any module is.
fn template_root(root: &str) -> bool {
    let name = root.rsplit('/').next().unwrap_or(root).to_ascii_lowercase();
    name == "template" || name.ends_with("-template") || name.ends_with("_template")
}

impl Reader for Terraform {
    fn kind(&self) -> ArtefactKind {
        ArtefactKind::Terraform
    }

    fn read(&self, cx: &mut LoadContext<'_>) -> Result<(), InputError> {
        let files = cx.pending(ArtefactKind::Terraform);
        // Which folders are called as modules: read once, used to pick roots and to explain
        // the files left.
        let mut modules = module_folders(cx.dir, &files);
        // Terragrunt units run their module with their inputs: the module's folder (or the
        // unit's own, with `.tf` files beside it) is read through the unit, never as a root.
        let deploys = super::tf_deploys::deploys(cx.dir, &cx.deployment.pipelines);
        let units = terragrunt_units(cx, &files, &deploys);
        for unit in units.iter().filter_map(|u| u.1.as_ref().ok()) {
            if let terraform::terragrunt::UnitSource::Local(folder)
            | terraform::terragrunt::UnitSource::OwnCopy { folder, .. } = &unit.source
            {
                modules.insert(folder.clone());
            }
        }
        let owned = unit_own_folders(&files, &units);
        // A unit's own folder is part of the unit's one root, never a root of its own.
        let mut not_roots = modules.clone();
        not_roots.extend(owned.keys().cloned());
        // A unit's folder a manifest declares is read through the unit, once, with its inputs.
        let run_by_units: BTreeSet<(String, String)> = units
            .iter()
            .filter(|u| u.1.is_ok())
            .filter_map(|u| Some((folder_of(&u.0), u.2.clone().ok()?)))
            .collect();
        let reads = plan(cx, &files, &not_roots, &run_by_units, &deploys);
        // An environment with a plan takes its values from the plan; its configuration still
        // supplies the inline waivers and module sources.
        let planned: BTreeSet<String> = cx
            .deployment
            .artefacts
            .iter()
            .filter(|a| a.kind == ArtefactKind::Plan && a.status == ArtefactStatus::Read)
            .filter_map(|a| a.environment.clone())
            .collect();
        // The root each variable file is read with, for the files named like them.
        let roots_of: BTreeMap<String, String> = reads
            .iter()
            .flat_map(|r| r.var_files.iter().map(|f| (f.clone(), r.root.clone())))
            .collect();
        let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for read in reads {
            let mut var_files = read.var_files.clone();
            var_files.extend(cx.options.var_files.iter().cloned());
            let workspace = cx
                .options
                .workspace
                .clone()
                .unwrap_or_else(|| read.workspace.clone());
            let env = read.environment.clone();
            for f in &read.also {
                used.entry(f.clone()).or_default().push(env.clone());
            }
            // The deploy command's `-var`, then liftoff's own `--var`, which wins.
            let mut vars = read.vars.clone();
            vars.extend(cx.options.vars.iter().cloned());
            let mut root = match terraform::read_root_with(
                cx.dir, &read.root, &var_files, &workspace, &vars, true,
            ) {
                Ok(root) => root,
                // Terraform refuses a module cycle outright: so does liftoff (exit 2).
                Err(InputError::Invalid(d))
                    if d.iter()
                        .any(|d| d.message.starts_with(terraform::MODULE_CYCLE)) =>
                {
                    return Err(InputError::Invalid(d));
                }
                Err(e) => {
                    for f in files.iter().filter(|f| folder_of(&f.path) == read.root) {
                        used.entry(f.path.clone()).or_default().push(env.clone());
                    }
                    cx.unreadable(e, ArtefactKind::Terraform, Some(&env));
                    continue;
                }
            };
            list_unreadable(cx, &mut root, &env);
            let label = match &read.how {
                Some(how) => format!("{env} ({how})"),
                None => env.clone(),
            };
            apply_root(cx, root, &env, &label, &var_files, &planned, &mut used);
        }
        read_units(cx, units, &owned, &planned, &mut used);
        super::aws::known_modules(&mut cx.deployment.resources, &cx.deployment.modules);
        super::aws::relate(&mut cx.deployment.resources);
        super::aws::apply_defaults(&mut cx.deployment.resources);
        super::aws::classify(&mut cx.deployment.resources);
        super::aws::ecs_services(&mut cx.deployment);
        let reasons = leftover_reasons(cx, &files, &used, &modules, &owned, &roots_of);
        cx.mark_per_environment(ArtefactKind::Terraform, &used, "read for", |a| {
            reasons.get(&a.path).cloned().unwrap_or_else(|| {
                "not read: no root that liftoff reads includes this file".to_string()
            })
        });
        Ok(())
    }
}

/// A Terragrunt unit found: its file, the environment it runs in (or why none), and what it
/// runs (or why it cannot be read).
type FoundUnit = (
    String,
    Result<terraform::terragrunt::Unit, InputError>,
    Result<String, String>,
    // How a pipeline runs it, when one does.
    Option<String>,
);

/// The Terragrunt units of the repository, each read once per environment it runs in: those a
/// pipeline runs it for (`APP_ENV: production` in a job running `terragrunt apply` in or above
/// its folder, `get_env` seeing the job's variables), else the one its path names, else the only
/// deployed environment.
fn terragrunt_units(
    cx: &LoadContext<'_>,
    files: &[ArtefactFile],
    deploys: &[super::tf_deploys::Deploy],
) -> Vec<FoundUnit> {
    let candidates: Vec<String> = files
        .iter()
        .filter(|f| terraform::terragrunt::is_terragrunt(&f.path))
        .map(|f| f.path.clone())
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    let (units, _) = terraform::terragrunt::units(cx.dir, &candidates);
    let deployed = cx.deployed();
    let mut out = Vec::new();
    for file in units {
        let folder = folder_of(&file);
        let mut runs: Vec<(String, &super::tf_deploys::Deploy)> = Vec::new();
        for d in deploys.iter().filter(|d| d.terragrunt) {
            let covers =
                d.root == "." || folder == d.root || folder.starts_with(&format!("{}/", d.root));
            let Some(spelled) = d.spelled().filter(|_| covers) else {
                continue;
            };
            let Some(name) = env_names::lookup(&spelled) else {
                continue;
            };
            let Some(env) = cx
                .deployment
                .environments
                .iter()
                .find(|e| env_names::same_environment(&e.name, name) || e.name == spelled)
            else {
                continue;
            };
            if !runs.iter().any(|(e, _)| *e == env.name) {
                runs.push((env.name.clone(), d));
            }
        }
        let path_env = files
            .iter()
            .find(|f| f.path == file)
            .and_then(|f| f.environment.clone());
        // A unit whose path names its environment runs there, whatever else a pipeline runs.
        if let Some(env) = &path_env {
            runs.retain(|(e, _)| e == env);
        }
        if !runs.is_empty() {
            for (env, d) in runs {
                let mut unit = terraform::terragrunt::read_unit(cx.dir, &file, &d.env);
                if let Ok(unit) = &mut unit {
                    unit.apply_tf_vars(&d.env, &d.at);
                }
                let how = format!("run by {}:{}", d.at.path, d.at.line);
                out.push((file.clone(), unit, Ok(env), Some(how)));
            }
            continue;
        }
        let env = match path_env {
            Some(env) => Ok(env),
            None => match deployed.as_slice() {
                [only] => Ok(only.clone()),
                _ => Err(format!(
                    "a Terragrunt unit whose path names no environment{}; declare it under environments.<name>.sources in liftoff.yaml",
                    if deployed.is_empty() {
                        ""
                    } else {
                        ", and the service deploys to several"
                    }
                )),
            },
        };
        let unit = terraform::terragrunt::read_unit(cx.dir, &file, &BTreeMap::new());
        out.push((file, unit, env, None));
    }
    out
}

/// The folders of Terragrunt units that run a module from elsewhere and hold `.tf` files of
/// their own, with the unit: Terragrunt copies those files over the module's and runs one root.
fn unit_own_folders(files: &[ArtefactFile], units: &[FoundUnit]) -> BTreeMap<String, String> {
    use terraform::terragrunt::UnitSource;
    let tf_folders: BTreeSet<String> = files
        .iter()
        .filter(|f| f.path.ends_with(".tf"))
        .map(|f| folder_of(&f.path))
        .collect();
    let mut out = BTreeMap::new();
    for unit in units.iter().filter_map(|u| u.1.as_ref().ok()) {
        let folder = folder_of(&unit.file);
        let elsewhere = match &unit.source {
            UnitSource::Local(module) | UnitSource::OwnCopy { folder: module, .. } => {
                *module != folder
            }
            UnitSource::Remote(_) | UnitSource::Unknown(_) => true,
        };
        if elsewhere && tf_folders.contains(&folder) {
            out.insert(folder, unit.file.clone());
        }
    }
    out
}

/// Reads each Terragrunt unit's module with the unit's inputs, for the unit's environment; the
/// unit's own `.tf` files (in `owned`) are read with it, as the one root Terragrunt runs.
fn read_units(
    cx: &mut LoadContext<'_>,
    units: Vec<FoundUnit>,
    owned: &BTreeMap<String, String>,
    planned: &BTreeSet<String>,
    used: &mut BTreeMap<String, Vec<String>>,
) {
    use terraform::terragrunt::UnitSource;
    for (file, unit, env, how) in units {
        let env = match env {
            Ok(env) => env,
            Err(why) => {
                cx.mark(&file, ArtefactKind::Terraform, ArtefactStatus::Ignored, why);
                continue;
            }
        };
        let unit = match unit {
            Ok(unit) => unit,
            Err(e) => {
                cx.unreadable(e, ArtefactKind::Terraform, Some(&env));
                continue;
            }
        };
        let folder = folder_of(&unit.file);
        let label = match &how {
            Some(how) => format!("{env} (Terragrunt unit {folder}, {how})"),
            None => format!("{env} (Terragrunt unit {folder})"),
        };
        // The configuration files the unit read, listed like any deployment file.
        for f in &unit.files {
            if !cx.deployment.artefacts.iter().any(|a| a.path == *f) {
                cx.deployment.artefacts.push(ArtefactFile {
                    path: f.clone(),
                    kind: ArtefactKind::Terraform,
                    environment: None,
                    status: ArtefactStatus::Pending,
                    reason: None,
                });
            }
            // The unit's own file says which unit; files units share say which environment.
            let said = if *f == unit.file { &label } else { &env };
            let entry = used.entry(f.clone()).or_default();
            if !entry.contains(said) {
                entry.push(said.clone());
            }
        }
        if let UnitSource::OwnCopy {
            folder: copy,
            source,
        } = &unit.source
        {
            cx.deployment.artefacts.push(ArtefactFile {
                path: format!("{}#terraform.source", unit.file),
                kind: ArtefactKind::TerraformModule,
                environment: Some(env.clone()),
                status: ArtefactStatus::Read,
                reason: Some(format!(
                    "`{source}` is this repository at a release chosen at run time: read from its copy here, `{copy}/`, which may be newer than the release {env} runs"
                )),
            });
        }
        let overlay = owned.contains_key(&folder).then_some(folder.as_str());
        let prefix = format!("{folder}:");
        let read = match &unit.source {
            UnitSource::Local(root) | UnitSource::OwnCopy { folder: root, .. } => {
                Some((root.as_str(), overlay))
            }
            // The module is not read, but the unit's own files run with its inputs all the same.
            UnitSource::Remote(_) | UnitSource::Unknown(_) => overlay.map(|own| (own, None)),
        };
        if let Some((root, overlay)) = read {
            let overrides = terraform::override_values(&cx.options.vars, "default");
            let read = terraform::read_unit_root(
                cx.dir,
                root,
                overlay,
                &cx.options.var_files,
                cx.options.workspace.as_deref().unwrap_or("default"),
                overrides,
                unit.env_inputs(),
                &prefix,
                true,
            );
            match read {
                Ok(mut root) => {
                    list_unreadable(cx, &mut root, &env);
                    apply_root(cx, root, &env, &label, &[], planned, used);
                }
                Err(e) => cx.unreadable(e, ArtefactKind::Terraform, Some(&env)),
            }
        }
        match &unit.source {
            UnitSource::Local(_) | UnitSource::OwnCopy { .. } => {}
            UnitSource::Remote(source) => {
                let address = format!("{folder}:module");
                cx.deployment.modules.push(crate::model::ModuleSource {
                    address: address.clone(),
                    source: source.clone(),
                    version: None,
                    environment: Some(env.clone()),
                    origin: crate::model::Origin::Artefact(unit.source_at.clone()),
                });
                let known = super::aws::is_known_module(source);
                cx.deployment.artefacts.push(ArtefactFile {
                    path: format!("{}#terraform.source", unit.file),
                    kind: ArtefactKind::TerraformModule,
                    environment: Some(env.clone()),
                    status: ArtefactStatus::NotRead,
                    reason: Some(if known {
                        format!("remote module `{source}` is fetched by Terragrunt when it runs; liftoff knows what it creates and judges that from the unit's inputs")
                    } else {
                        format!("remote module `{source}` is fetched by Terragrunt when it runs, so its resources are not judged (only the unit's inputs are)")
                    }),
                });
                if !planned.contains(&env) {
                    let shared: std::sync::Arc<str> = env.as_str().into();
                    let resource = unit.inputs_resource(&address);
                    cx.deployment
                        .resources
                        .push(into_resource(resource, &shared));
                }
            }
            UnitSource::Unknown(why) => {
                cx.deployment.artefacts.push(ArtefactFile {
                    path: format!("{}#terraform.source", unit.file),
                    kind: ArtefactKind::TerraformModule,
                    environment: Some(env.clone()),
                    status: ArtefactStatus::NotRead,
                    reason: Some(format!("the unit's module is not read: {why}")),
                });
            }
        }
    }
}

/// Puts one read root into the model: its resources, module calls, inline waivers and files.
fn apply_root(
    cx: &mut LoadContext<'_>,
    read: terraform::Root,
    env: &str,
    label: &str,
    var_files: &[String],
    planned: &BTreeSet<String>,
    used: &mut BTreeMap<String, Vec<String>>,
) {
    missing_modules(cx, &read.modules, env);
    let deployment = &mut cx.deployment;
    // Remote modules are not evaluated: the report lists each, so nothing is skipped silently.
    for module in read.modules.iter().filter(|m| m.missing.is_none()) {
        let (address, source, at) = (&module.address, &module.source, &module.location);
        deployment.modules.push(crate::model::ModuleSource {
            address: address.clone(),
            source: source.clone(),
            version: module.version.clone(),
            environment: Some(env.to_string()),
            origin: crate::model::Origin::Artefact(at.clone()),
        });
        if module.followed {
            continue;
        }
        list_module_not_read(&mut deployment.artefacts, &at.path, address, env, || {
            if super::aws::is_known_module(source) {
                format!(
                    "remote module `{source}` is not installed under .terraform/modules; liftoff knows what it creates and judges that from the inputs written here (run `terraform init` to let liftoff read its code)"
                )
            } else {
                format!(
                    "remote module `{source}` is not installed under .terraform/modules (run `terraform init` to let liftoff read it), so its resources are not judged"
                )
            }
        });
    }
    // Files `file()` / `templatefile()` could not read: listed, never silently dropped.
    for (full, why) in &read.files_not_read {
        let path = full
            .strip_prefix(cx.dir)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| full.to_string_lossy().into_owned());
        if deployment.artefacts.iter().any(|a| a.path == path) {
            continue;
        }
        deployment.artefacts.push(ArtefactFile {
            path,
            kind: ArtefactKind::Terraform,
            environment: Some(env.to_string()),
            status: ArtefactStatus::Skipped,
            reason: Some(format!(
                "named by `file()` or `templatefile()` in {label} but not read: {why}; the value stays unknown"
            )),
        });
    }
    // Sized once: doubling a vector of ten thousand resources leaves a third of it spare.
    deployment.resources.reserve_exact(read.resources.len());
    let shared_env: std::sync::Arc<str> = env.into();
    for r in read.resources {
        for (rule, reason, at, checkov) in &r.waivers {
            deployment.inline_waivers.push(crate::model::Waiver {
                rule: rule.clone(),
                target: r.address.clone(),
                // The comment sits in this root: it waives the resource where the root deploys.
                environment: Some(env.to_string()),
                reason: reason.clone(),
                owner: None,
                approved_by: None,
                expires: None,
                inline: true,
                checkov: *checkov,
                origin: crate::model::Origin::Artefact(at.clone()),
            });
        }
        if !planned.contains(env) {
            deployment.resources.push(into_resource(r, &shared_env));
        }
    }
    // Files of installed remote modules are not discovered (`.terraform` is skipped): list them
    // so the report names every file a result can point at.
    let listed: std::collections::HashSet<&str> = deployment
        .artefacts
        .iter()
        .map(|a| a.path.as_str())
        .collect();
    let unlisted: Vec<String> = read
        .files
        .iter()
        .filter(|file| !listed.contains(file.as_str()))
        .cloned()
        .collect();
    deployment
        .artefacts
        .extend(unlisted.into_iter().map(|path| ArtefactFile {
            path,
            kind: ArtefactKind::Terraform,
            environment: None,
            status: ArtefactStatus::Pending,
            reason: None,
        }));
    // The root's and its local modules' configuration, and the variable files read with it
    // (a folder's other variable files belong to other environments).
    // A unit's own folder gives the files copied over the module: its `.tf` files read, not
    // its other configuration.
    let overlay = read.overlay.as_deref();
    let read_folder = |path: &str| {
        read.folders.iter().any(|f| folder_of(path) == *f)
            || (overlay == Some(folder_of(path).as_str()) && read.files.iter().any(|f| f == path))
    };
    // Terraform loads these from the root's own folder whatever the command line says.
    let auto_loaded = |path: &str| {
        let name = path.rsplit('/').next().unwrap_or(path);
        let folder = folder_of(path);
        (read.folders.first() == Some(&folder) || overlay == Some(folder.as_str()))
            && (name == "terraform.tfvars"
                || name == "terraform.tfvars.json"
                || name.ends_with(".auto.tfvars")
                || name.ends_with(".auto.tfvars.json"))
    };
    for a in deployment.artefacts.iter().filter(|a| {
        a.kind == ArtefactKind::Terraform
            && ((read_folder(&a.path)
                && !terraform::is_variable_file(&a.path)
                && !terraform::is_backend_config(&a.path))
                || var_files.contains(&a.path)
                || auto_loaded(&a.path))
    }) {
        let said = if var_files.contains(&a.path) || auto_loaded(&a.path) {
            env
        } else {
            label
        };
        used.entry(a.path.clone())
            .or_default()
            .push(said.to_string());
    }
}

/// Lists a module call that was not read, once however many environments read its root (the
/// listing says what was not read, and the call is the same in each); `why` is asked only for
/// the first.
fn list_module_not_read(
    artefacts: &mut Vec<ArtefactFile>,
    file: &str,
    address: &str,
    env: &str,
    why: impl FnOnce() -> String,
) {
    let path = format!("{file}#{address}");
    if let Some(listed) = artefacts
        .iter_mut()
        .find(|a| a.kind == ArtefactKind::TerraformModule && a.path == path)
    {
        if listed.environment.as_deref() != Some(env) {
            listed.environment = None;
        }
        return;
    }
    artefacts.push(ArtefactFile {
        path,
        kind: ArtefactKind::TerraformModule,
        environment: Some(env.to_string()),
        status: ArtefactStatus::NotRead,
        reason: Some(why()),
    });
}

/// Local module calls whose folder is not in the repository. One a Makefile or a pipeline clones
/// before `plan` is listed as not read, like a remote module (its inputs are still judged);
/// one nothing makes is an error at its `module` block, since Terraform would refuse it.
fn missing_modules(cx: &mut LoadContext<'_>, modules: &[terraform::RemoteModule], env: &str) {
    let mut broken = Vec::new();
    for module in modules {
        let Some(missing) = &module.missing else {
            continue;
        };
        let (address, source, at) = (&module.address, &module.source, &module.location);
        let cloned = super::tf_deploys::cloned_folders(cx.dir, &cx.deployment.pipelines, missing)
            .into_iter()
            .find(|c| *missing == c.folder || missing.starts_with(&format!("{}/", c.folder)));
        let Some(cloned) = cloned else {
            broken.push(
                crate::diagnostic::Diagnostic::at(
                    at.clone(),
                    format!(
                        "{address}: the local module folder `{missing}` (source `{source}`) is not a directory in the repository, and no Makefile or pipeline liftoff reads creates it (`git clone` into it) before plan"
                    ),
                )
                .expected("a module folder committed with the configuration, or a command that fetches it"),
            );
            continue;
        };
        list_module_not_read(&mut cx.deployment.artefacts, &at.path, address, env, || {
            format!(
                "local module folder `{}` does not exist in the repository: {}:{} creates it (`git clone` into `{}`) before plan, so its resources are not judged (only the inputs written here are)",
                cloned_relative(source),
                cloned.at.path,
                cloned.at.line,
                cloned.folder
            )
        });
    }
    if !broken.is_empty() {
        cx.unreadable(
            InputError::Invalid(broken),
            ArtefactKind::Terraform,
            Some(env),
        );
    }
}

/// A module source without its subfolder (`./vendor/modules/aks//aks` is the folder
/// `./vendor/modules/aks`).
fn cloned_relative(source: &str) -> &str {
    let start = source.find(|c| c != '.' && c != '/').unwrap_or(0);
    match source[start..].find("//") {
        Some(at) => &source[..start + at],
        None => source,
    }
}

/// The roots to read, for which environments.
fn plan(
    cx: &LoadContext<'_>,
    files: &[ArtefactFile],
    modules: &BTreeSet<String>,
    run_by_units: &BTreeSet<(String, String)>,
    deploys: &[super::tf_deploys::Deploy],
) -> Vec<RootRead> {
    let deployed = cx.deployed();
    let mut out = Vec::new();
    let declared = cx.declared_of(ArtefactKind::Terraform);
    for d in &declared {
        let envs: Vec<String> = match &d.environment {
            Some(name) => vec![name.clone()],
            None => deployed.clone(),
        };
        let root = d.path.trim_end_matches('/');
        // Variable files or a workspace of its own make it a read the unit does not do.
        let plain = d.var_files.is_empty() && d.workspace.is_none();
        for env in envs {
            if plain && run_by_units.contains(&(root.to_string(), env.clone())) {
                continue;
            }
            out.push(RootRead {
                root: d.path.trim_end_matches('/').to_string(),
                var_files: d.var_files.clone(),
                workspace: d.workspace.clone().unwrap_or_else(|| "default".into()),
                environment: env,
                how: Some("declared in liftoff.yaml".into()),
                vars: Vec::new(),
                also: Vec::new(),
            });
        }
    }
    // A declared root is still read for the environments no declaration reads it for: one root
    // applied with different variable files is a deployment per file, and declaring `aat`'s
    // (`var_files: [infrastructure/aat.tfvars]`) leaves production's `prod.tfvars` discovered.
    // A root declared globally is read for every deployed environment, so for none besides.
    let declared_for = |root: &str, env: &str| {
        declared.iter().any(|d| {
            d.path.trim_end_matches('/') == root
                && d.environment.as_deref().is_none_or(|e| e == env)
        })
    };
    for root in candidate_roots(files) {
        if modules.contains(&root) || under_modules(&root) || template_root(&root) {
            continue;
        }
        let globally = declared
            .iter()
            .any(|d| d.path.trim_end_matches('/') == root && d.environment.is_none());
        if globally {
            continue;
        }
        out.extend(
            reads_of_root(cx, files, &root, &deployed, deploys)
                .into_iter()
                .filter(|r| !declared_for(&root, &r.environment)),
        );
    }
    out
}

/// Folders holding `.tf` files, in path order.
fn candidate_roots(files: &[ArtefactFile]) -> Vec<String> {
    let mut roots: Vec<String> = files
        .iter()
        .filter(|a| a.path.ends_with(".tf"))
        .map(|a| folder_of(&a.path))
        .collect();
    roots.sort();
    roots.dedup();
    roots
}

/// The environments the variable files of each folder name (`app/production.tfvars`), by folder.
pub(super) fn variable_file_environments(
    artefacts: &[ArtefactFile],
) -> BTreeMap<String, Vec<&'static str>> {
    let mut out: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    for a in artefacts
        .iter()
        .filter(|a| a.kind == ArtefactKind::Terraform && terraform::is_variable_file(&a.path))
    {
        if let Some(named) = crate::sources::named_environment(&a.path, a.kind) {
            out.entry(folder_of(&a.path))
                .or_default()
                .push(named.name.canonical);
        }
    }
    out
}

/// The variable files (those `take` keeps) in the folders of variable files inside `root`
/// (`sandbox/vars/dev.tfvars`), not beside it: a root named after an environment whose own
/// variable files name others is deployed as those (step 2).
pub(super) fn inner_variable_files<'a>(
    files: &'a [ArtefactFile],
    root: &str,
    take: impl Fn(&&ArtefactFile) -> bool + Copy,
) -> Vec<&'a ArtefactFile> {
    if root.is_empty() {
        return Vec::new();
    }
    let inside = format!("{root}/");
    let folders: BTreeSet<String> = variable_folders(files, root, take)
        .into_iter()
        .filter(|folder| folder.starts_with(&inside))
        .collect();
    files
        .iter()
        .filter(|a| {
            terraform::is_variable_file(&a.path) && take(a) && folders.contains(&folder_of(&a.path))
        })
        .collect()
}

/// How one undeclared root is read (steps 2 to 5 of the module documentation).
fn reads_of_root(
    cx: &LoadContext<'_>,
    files: &[ArtefactFile],
    root: &str,
    deployed: &[String],
    deploys: &[super::tf_deploys::Deploy],
) -> Vec<RootRead> {
    let in_root: Vec<&ArtefactFile> = files
        .iter()
        .filter(|a| folder_of(&a.path) == root)
        .collect();
    let backends = backend_files(files, root);
    let backends_of = |env: &str| -> Vec<String> {
        backends
            .iter()
            .filter(|b| b.environment.as_deref() == Some(env))
            .map(|b| b.path.clone())
            .collect()
    };
    let read = |var_files: Vec<String>, workspace: &str, env: &str, how: Option<String>| RootRead {
        root: root.to_string(),
        var_files,
        workspace: workspace.to_string(),
        environment: env.to_string(),
        how,
        vars: Vec::new(),
        also: backends_of(env),
    };
    // 2. A root folder named after an environment, unless variable files beside it, or in its
    // own folder of variable files, name other environments: `ci/terraform/app/` with
    // `production.tfvars` and `staging.tfvars` is one root read per file (step 3), `ci/` being
    // where the repository keeps its delivery files; `sandbox/` with `vars/dev.tfvars` and
    // `vars/test.tfvars` is the team's sandbox deployed as dev and test (cisagov/con-pca-cicd).
    // Only folders inside the root count: a folder of variable files beside it may serve its
    // sibling roots (`envs/production/`, `envs/staging/`).
    let inner = inner_variable_files(files, root, |a| a.environment.is_some());
    let beside_name_others = |env: &str| {
        in_root.iter().chain(&inner).any(|a| {
            terraform::is_variable_file(&a.path)
                && a.environment.as_deref().is_some_and(|e| e != env)
        })
    };
    if let Some(env) = in_root
        .iter()
        .filter(|a| a.path.ends_with(".tf"))
        .find_map(|a| a.environment.clone())
        .filter(|env| !beside_name_others(env))
    {
        // Its own variable files, beside it or in its folder of variable files
        // (`production/vars/production.tfvars`).
        let vars = in_root
            .iter()
            .chain(&inner)
            .filter(|a| {
                terraform::is_variable_file(&a.path) && a.environment.as_deref() == Some(&env)
            })
            .map(|a| a.path.clone())
            .collect();
        return vec![read(vars, "default", &env, None)];
    }
    // 3. One variable file per environment, beside the root or in a folder of variable files.
    let own: Vec<&&ArtefactFile> = in_root
        .iter()
        .filter(|a| terraform::is_variable_file(&a.path) && a.environment.is_some())
        .collect();
    if !own.is_empty() {
        return own
            .iter()
            .map(|a| {
                let env = a.environment.clone().unwrap_or_default();
                read(vec![a.path.clone()], "default", &env, None)
            })
            .collect();
    }
    let beside = variable_folder_files(cx.dir, files, root, deploys);
    if !beside.is_empty() {
        // Files that name an environment each (`vars/prod.tfvars`, `vars/staging.tfvars`) are
        // one read each. The files of a folder named for an environment (`vars/prod/`, split
        // by subject: `network.auto.tfvars`, `app.auto.tfvars`) are that environment's values
        // together, as Terraform loads them once the pipeline copies or passes them: one read
        // with all of them, not one read per file with the others' values missing.
        let mut out: Vec<RootRead> = Vec::new();
        for a in &beside {
            let env = a.environment.clone().unwrap_or_default();
            let folder = folder_of(&a.path);
            let by_folder = crate::sources::named_environment(&a.path, a.kind)
                .is_some_and(|named| named.folder.is_some());
            let same = out.iter_mut().find(|r| {
                by_folder
                    && r.environment == env
                    && r.var_files.first().is_some_and(|f| folder_of(f) == folder)
            });
            match same {
                Some(r) => {
                    r.var_files.push(a.path.clone());
                    r.how = Some(format!(
                        "with the {} variable files of {folder}/",
                        r.var_files.len()
                    ));
                }
                None => out.push(read(
                    vec![a.path.clone()],
                    "default",
                    &env,
                    Some(format!("with {}", a.path)),
                )),
            }
        }
        // Terraform's order: `terraform.tfvars`, `terraform.tfvars.json`, then the rest by
        // name (later files win).
        for r in &mut out {
            r.var_files.sort_by_key(|f| {
                let name = f.rsplit('/').next().unwrap_or(f).to_string();
                (
                    match name.as_str() {
                        "terraform.tfvars" => 0,
                        "terraform.tfvars.json" => 1,
                        _ => 2,
                    },
                    name,
                )
            });
        }
        return out;
    }
    // 3b. One backend configuration per environment (`prod.s3.tfbackend`): the root is run once
    // per environment with the variable the deploy command sets to its name.
    if !backends.is_empty() {
        let variable = environment_variable(cx, root);
        let mut out: Vec<RootRead> = Vec::new();
        for b in &backends {
            let Some(env) = b.environment.clone() else {
                continue;
            };
            if out.iter().any(|r| r.environment == env) {
                continue;
            }
            let spelled = crate::sources::named_environment(&b.path, b.kind)
                .map(|n| n.spelled)
                .unwrap_or_else(|| env.clone());
            let name = b.path.rsplit('/').next().unwrap_or(&b.path);
            let (vars, how) = match &variable {
                Some((var, from)) => (
                    vec![(var.clone(), spelled.clone())],
                    format!("with backend {name} and {var} = \"{spelled}\", {from}"),
                ),
                None => (
                    Vec::new(),
                    format!(
                        "with backend {name}; no variable of the root takes the environment's name, so every environment reads the same values"
                    ),
                ),
            };
            let mut r = read(Vec::new(), "default", &env, Some(how));
            r.vars = vars;
            out.push(r);
        }
        if !out.is_empty() {
            return out;
        }
    }
    // 3c. The environments a pipeline or Makefile applies this root to (`terraform workspace
    // select prod`, `-var-file=prod.tfvars`, `-var="env=prod"`), each with what it selects.
    let mut staged: Vec<RootRead> = Vec::new();
    for d in deploys.iter().filter(|d| d.root == root && !d.terragrunt) {
        let Some(spelled) = d.spelled() else { continue };
        let Some(name) = env_names::lookup(&spelled) else {
            continue;
        };
        let Some(env) = cx
            .deployment
            .environments
            .iter()
            .find(|e| env_names::same_environment(&e.name, name) || e.name == spelled)
        else {
            continue;
        };
        let what = match (&d.workspace, &d.var_file) {
            (Some(ws), _) => format!("in workspace `{ws}`"),
            (None, Some(f)) => format!("with {f}"),
            (None, None) => d
                .vars
                .iter()
                .map(|(k, v)| format!("{k} = \"{v}\""))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let how = format!("{what}, as {}:{} deploys it", d.at.path, d.at.line);
        match staged.iter_mut().find(|r| r.environment == env.name) {
            // One job selects the workspace and names the variable file: one read with both.
            Some(r) => {
                if let Some(ws) = &d.workspace {
                    r.workspace = ws.clone();
                }
                if let Some(f) = &d.var_file {
                    if !r.var_files.contains(f) && cx.dir.join(f).is_file() {
                        r.var_files.push(f.clone());
                    }
                }
                for v in &d.vars {
                    if !r.vars.contains(v) {
                        r.vars.push(v.clone());
                    }
                }
            }
            None => {
                let var_files = d
                    .var_file
                    .iter()
                    .filter(|f| cx.dir.join(f).is_file())
                    .cloned()
                    .collect();
                let mut r = read(
                    var_files,
                    d.workspace.as_deref().unwrap_or("default"),
                    &env.name,
                    Some(how),
                );
                r.vars = d.vars.clone();
                staged.push(r);
            }
        }
    }
    if !staged.is_empty() {
        return staged;
    }
    // 4. A root keyed by workspace.
    let keyed: Vec<RootRead> = workspace_names(cx.dir, root)
        .into_iter()
        .filter_map(|(spelled, name)| {
            let env = cx
                .deployment
                .environments
                .iter()
                .find(|e| env_names::same_environment(&e.name, name) || e.name == spelled)?;
            Some(read(
                Vec::new(),
                &spelled,
                &env.name,
                Some(format!(
                    "in workspace `{spelled}`, which the root switches on"
                )),
            ))
        })
        .collect();
    if !keyed.is_empty() {
        return keyed;
    }
    // 4b. One state, kept where its backend's literal key names an environment (`key =
    // "production/common.tfstate"`): the root is that environment's single deployment.
    if let Some(env) = state_environment(cx, root) {
        return vec![read(Vec::new(), "default", &env.0, Some(env.1))];
    }
    // 5. The only deployed environment.
    if let [only] = deployed {
        return vec![read(
            Vec::new(),
            "default",
            only,
            Some(format!(
                "the folder names no environment; {only} is the only deployed environment"
            )),
        )];
    }
    Vec::new()
}

/// The known environment a root's literal backend state names, with how that is said.
fn state_environment(cx: &LoadContext<'_>, root: &str) -> Option<(String, String)> {
    let (state, at) = terraform::backend_state(cx.dir, root)?;
    let named = env_names::in_path(&state)?;
    let env =
        cx.deployment.environments.iter().find(|e| {
            env_names::same_environment(&e.name, named.name) || e.name == named.spelled
        })?;
    Some((
        env.name.clone(),
        format!(
            "its backend keeps one state, `{state}` at {}:{}, which names it",
            at.path, at.line
        ),
    ))
}

/// Backend configurations naming an environment, in the root's folder or a folder of them inside
/// it (`backends/prod.hcl`).
fn backend_files<'a>(files: &'a [ArtefactFile], root: &str) -> Vec<&'a ArtefactFile> {
    files
        .iter()
        .filter(|a| terraform::is_backend_config(&a.path) && a.environment.is_some())
        .filter(|a| {
            let folder = folder_of(&a.path);
            folder == root || folder_of(&folder) == root
        })
        .collect()
}

/// The root variable a deploy command sets to the environment's name, and where that is said:
/// a `-var="<name>=$(ENV)"` in a Makefile or a pipeline whose `<name>` the root declares, else a
/// variable the root declares named `environment`, `environment_name`, `env` or `stage`.
fn environment_variable(cx: &LoadContext<'_>, root: &str) -> Option<(String, String)> {
    let declared = declared_variables(cx.dir, root);
    for (path, text) in deploy_files(cx) {
        for (name, value) in var_flags(&text) {
            if value.contains('$') && declared.contains(&name) {
                return Some((name, format!("as {path} passes it")));
            }
        }
    }
    ["environment", "environment_name", "env", "stage"]
        .iter()
        .find(|n| declared.contains(**n))
        .map(|n| {
            (
                n.to_string(),
                "the root's variable for the environment".to_string(),
            )
        })
}

/// The text of each `.tf` file of a root folder, in name order (a file that cannot be read is the
/// root reader's to report).
fn root_texts(dir: &Path, root: &str) -> Vec<String> {
    terraform::root_files(dir, root)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|rel| crate::sources::read_text(&dir.join(&rel), &rel).ok())
        .collect()
}

/// The variables a root declares, as Terraform reads them (none when a file of the root does not
/// parse: the root reader reports that file).
fn declared_variables(dir: &Path, root: &str) -> BTreeSet<String> {
    terraform::root_variables(dir, root)
        .map(|declared| declared.into_keys().collect())
        .unwrap_or_default()
}

/// The files that run Terraform: Makefiles at the top and the pipelines discovery found, with
/// their text.
fn deploy_files(cx: &LoadContext<'_>) -> Vec<(String, String)> {
    let mut paths: Vec<String> = ["Makefile", "GNUmakefile", "makefile"]
        .iter()
        .filter(|n| cx.dir.join(n).is_file())
        .map(|n| n.to_string())
        .collect();
    paths.extend(cx.deployment.pipelines.iter().map(|p| p.path.to_string()));
    paths
        .into_iter()
        .filter_map(|p| {
            crate::sources::read_text_limited(&cx.dir.join(&p), &p, 1 << 20)
                .ok()
                .map(|t| (p, t))
        })
        .collect()
}

/// The `-var name=value` flags of command lines (`-var="env=$(ENV)"`, `-var 'env=prod'`,
/// `-var=env=prod`), as (name, value) with quotes taken off.
fn var_flags(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("-var") {
        let rest = &text[at + "-var".len()..];
        // `-var-file` is another flag; `-variable` is no flag.
        let Some(rest) = rest
            .strip_prefix('=')
            .or_else(|| rest.strip_prefix(' '))
            .map(str::trim_start)
        else {
            continue;
        };
        let (quote, rest) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => (Some(q), &rest[1..]),
            _ => (None, rest),
        };
        let end = match quote {
            Some(q) => rest.find(q),
            None => rest.find(|c: char| c.is_whitespace() || c == ';' || c == '\\'),
        }
        .unwrap_or(rest.len());
        let Some((name, value)) = rest[..end].split_once('=') else {
            continue;
        };
        if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            out.push((
                name.to_string(),
                value.trim_matches(['"', '\'']).to_string(),
            ));
        }
    }
    out
}

/// Variable files naming an environment in a folder with no `.tf` files that sits inside the
/// root (`terraform/core/env/`), or beside it (`terraform/config/` for `terraform/core/`) and
/// feeds it (see [`feeds`]).
fn variable_folder_files<'a>(
    dir: &Path,
    files: &'a [ArtefactFile],
    root: &str,
    deploys: &[super::tf_deploys::Deploy],
) -> Vec<&'a ArtefactFile> {
    let named = |a: &&ArtefactFile| a.environment.is_some();
    // Judged once per folder: `feeds` parses the root and the folder's files.
    let feeding: BTreeSet<String> = variable_folders(files, root, named)
        .into_iter()
        .filter(|folder| {
            folder_of(folder) == root || feeds(dir, files, root, folder, deploys, named)
        })
        .collect();
    files
        .iter()
        .filter(|a| {
            terraform::is_variable_file(&a.path)
                && named(a)
                && feeding.contains(&folder_of(&a.path))
        })
        .collect()
}

/// The folders of variable files (those `take` keeps) with no `.tf` files but an environment's
/// `backend.tf`, outside any `modules` folder, inside `root` or beside it, or one folder further
/// down inside it (`_vars/live/`, which the pipeline copies into the root; seen on
/// nationalarchives/ds-infrastructure-web).
fn variable_folders(
    files: &[ArtefactFile],
    root: &str,
    take: impl Fn(&&ArtefactFile) -> bool,
) -> BTreeSet<String> {
    // A folder whose only configuration is its environment's `backend.tf` holds that
    // environment's settings, not a root of its own.
    let backend_only = |folder: &str| {
        files
            .iter()
            .filter(|a| a.path.ends_with(".tf") && folder_of(&a.path) == folder)
            .all(|a| a.path.rsplit('/').next() == Some("backend.tf"))
    };
    let roots: BTreeSet<String> = candidate_roots(files)
        .into_iter()
        .filter(|folder| folder == root || !backend_only(folder))
        .collect();
    // One folder down only when the folder itself is named for an environment (`_vars/live/`,
    // or `profiles/heritage-live-eu-west-2/`, an account and region that name one; seen on
    // companieshouse/chips-terraform): `tfvars/backends/production.tfvars` holds a backend's
    // settings.
    let grouped_inside = |folder: &str| {
        let group = folder_of(folder);
        let own = folder.rsplit('/').next().unwrap_or(folder);
        !group.is_empty()
            && folder_of(&group) == root
            && !roots.contains(&group)
            && env_names::in_path(own).is_some()
    };
    files
        .iter()
        .filter(|a| terraform::is_variable_file(&a.path) && take(a))
        .map(|a| folder_of(&a.path))
        .filter(|folder| {
            !roots.contains(folder)
                && !under_modules(folder)
                && (folder_of(folder) == folder_of(root)
                    || folder_of(folder) == root
                    || grouped_inside(folder))
        })
        .collect()
}

/// Whether a folder of variable files beside a root feeds it. Terraform warns about every value
/// a variable file sets that the root does not declare and uses nothing else of it, so a shared
/// folder (`terraform/workspace-variables/` beside `terraform/app/` and `terraform/common/`)
/// feeds a root only when a Makefile or pipeline passes its files to that root
/// (`-var-file=../workspace-variables/$(ENV).tfvars.json` run in it), or when the root declares
/// a variable the files set and has no default for it (Terraform cannot plan without a value),
/// or declares most of the variables the files set. A root that declares only a `region` among
/// thirty values is another deployment that happens to sit beside it. When the root's files or
/// the variable files cannot be parsed, which variables they hold is unknown and the folder is
/// taken as feeding it, as before.
fn feeds(
    dir: &Path,
    files: &[ArtefactFile],
    root: &str,
    folder: &str,
    deploys: &[super::tf_deploys::Deploy],
    take: impl Fn(&&ArtefactFile) -> bool,
) -> bool {
    if deploys
        .iter()
        .any(|d| d.root == root && d.var_folder.as_deref() == Some(folder))
    {
        return true;
    }
    let Some(declared) = terraform::root_variables(dir, root) else {
        return true;
    };
    let mut set: BTreeSet<String> = BTreeSet::new();
    for a in files
        .iter()
        .filter(|a| terraform::is_variable_file(&a.path) && take(a) && folder_of(&a.path) == folder)
    {
        match terraform::variable_file_names(dir, &a.path) {
            Some(names) => set.extend(names),
            None => return true,
        }
    }
    if set.is_empty() {
        return true;
    }
    let used: Vec<(&String, &bool)> = declared.iter().filter(|(n, _)| set.contains(*n)).collect();
    used.iter().any(|(_, has_default)| !**has_default) || used.len() * 2 > set.len()
}

/// Local module folders that some configuration calls (`source = "../modules/db"`): they are
/// read through their callers, never as roots of their own. A plain scan of the `source` lines is
/// enough here: discovery only needs to know which folders are called.
pub(super) fn module_folders(dir: &Path, files: &[ArtefactFile]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for a in files.iter().filter(|a| a.path.ends_with(".tf")) {
        let Ok(text) = crate::sources::read_text(&dir.join(&a.path), &a.path) else {
            continue;
        };
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("source") else {
                continue;
            };
            let Some(value) = rest.trim().strip_prefix('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            if value.starts_with("./") || value.starts_with("../") {
                let called = crate::sources::join_relative(&folder_of(&a.path), value);
                // A folder calling itself is still a root (and a cycle the reader refuses).
                if called != folder_of(&a.path) {
                    out.insert(called);
                }
            }
        }
    }
    out
}

/// Whether a root's environment comes from its folder or its variable files (steps 2 and 3),
/// judged by path names alone, before any environment is attached.
pub(super) fn named_by_paths(
    dir: &Path,
    files: &[ArtefactFile],
    root: &str,
    deploys: &[super::tf_deploys::Deploy],
) -> bool {
    let named = |a: &&ArtefactFile| crate::sources::named_environment(&a.path, a.kind).is_some();
    files
        .iter()
        .filter(|a| folder_of(&a.path) == root)
        .any(|a| named(&a))
        || variable_folders(files, root, named).iter().any(|folder| {
            folder_of(folder) == root || feeds(dir, files, root, folder, deploys, named)
        })
}

/// The environment workspaces a root switches on: the quoted names and map keys of the
/// vocabulary in its files that use `terraform.workspace`
/// (`terraform.workspace == "prod"`, `lookup({ staging = 1, production = 2 }, terraform.workspace)`).
pub(super) fn workspace_names(dir: &Path, root: &str) -> Vec<(String, &'static EnvName)> {
    let mut out: Vec<(String, &'static EnvName)> = Vec::new();
    for text in root_texts(dir, root) {
        if !text.contains("terraform.workspace") {
            continue;
        }
        for word in workspace_words(&text) {
            if let Some(entry) = env_names::lookup(&word) {
                if !out.iter().any(|(_, e)| e.canonical == entry.canonical) {
                    out.push((word, entry));
                }
            }
        }
    }
    // The keys of a map variable the root indexes by workspace, whatever file sets it
    // (`terraform.tfvars.json`: `{"environments": {"prod": {…}}}`).
    for key in terraform::workspace_map_keys(dir, root) {
        if let Some(entry) = env_names::lookup(&key) {
            if !out.iter().any(|(_, e)| e.canonical == entry.canonical) {
                out.push((key, entry));
            }
        }
    }
    // Development workspaces are not deployments the gate judges.
    out.retain(|(_, e)| e.kind != crate::model::EnvKind::Development);
    out
}

/// The words a configuration compares `terraform.workspace` with (`terraform.workspace ==
/// "prod"`), and the keys of the maps it keys by workspace (a line `staging = { ... }`). Quoted
/// values elsewhere (`? "Prod" : "None"`) are not workspaces.
fn workspace_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        for (at, _) in line.match_indices("terraform.workspace") {
            let after = line[at + "terraform.workspace".len()..].trim_start();
            let before = line[..at].trim_end();
            let quoted = |s: &str| {
                s.strip_prefix('"')
                    .and_then(|rest| rest.split_once('"'))
                    .map(|(w, _)| w.to_string())
            };
            if let Some(rest) = after
                .strip_prefix("==")
                .or_else(|| after.strip_prefix("!="))
            {
                out.extend(quoted(rest.trim_start()));
            }
            if let Some(head) = before
                .strip_suffix("==")
                .or_else(|| before.strip_suffix("!="))
            {
                let head = head.trim_end();
                if let Some(stripped) = head.strip_suffix('"') {
                    if let Some(start) = stripped.rfind('"') {
                        out.push(stripped[start + 1..].to_string());
                    }
                }
            }
        }
        // A map key on its own line: `prod = true`, `"pre-prod" = { ... }`.
        let trimmed = line.trim();
        if let Some((key, _)) = trimmed.split_once('=') {
            let key = key.trim().trim_matches('"');
            if !key.is_empty()
                && !trimmed[key.len()..].trim_start().starts_with("==")
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                out.push(key.to_string());
            }
        }
    }
    out
}

/// Why each Terraform file that no read used was left, with the `sources:` line that would read
/// its root; the suggestions also go to the model for the report's summary.
fn leftover_reasons(
    cx: &mut LoadContext<'_>,
    files: &[ArtefactFile],
    used: &BTreeMap<String, Vec<String>>,
    modules: &BTreeSet<String>,
    owned: &BTreeMap<String, String>,
    roots_of: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let production = cx
        .deployment
        .environments
        .iter()
        .find(|e| e.kind() == crate::model::EnvKind::Production)
        .map_or("production".to_string(), |e| e.name.clone());
    let deployed = cx.deployed().len();
    let mut out = BTreeMap::new();
    let mut suggested: BTreeSet<String> = BTreeSet::new();
    // One set, not a scan of every artefact per file: with 20,000 files the scan was 400
    // million path comparisons, the one step of a large root that grew with the square.
    let pending: BTreeSet<&str> = cx
        .deployment
        .artefacts
        .iter()
        .filter(|f| f.status == ArtefactStatus::Pending)
        .map(|f| f.path.as_str())
        .collect();
    let leftovers: Vec<&ArtefactFile> = files
        .iter()
        .filter(|a| pending.contains(a.path.as_str()) && !used.contains_key(&a.path))
        .collect();
    for a in leftovers {
        let folder = folder_of(&a.path);
        let why = if let Some(unit) = owned.get(&folder) {
            format!(
                "not read: Terragrunt runs it as part of the unit {unit}, which is not read (see that file)"
            )
        } else if modules.contains(&folder) {
            "a module whose calls deploy nothing in the roots liftoff reads (`count = 0`, an empty `for_each`), or whose caller is not read".to_string()
        } else if under_modules(&folder) {
            "a module that no configuration here calls".to_string()
        } else if template_root(&folder) {
            format!(
                "a template for environments (its folder `{folder}/` says so): copied and filled in for each one, never applied where it stands; declare it under environments.<name>.sources in liftoff.yaml to read it"
            )
        } else if terraform::is_variable_file(&a.path)
            && !a.path.ends_with(".tf")
            && a.environment.is_none()
        {
            match discover_named(a) {
                Some(_) => {
                    cx.unattached_reason(a, "a variable file of no environment liftoff reads")
                }
                None => match sibling_environment(cx.dir, a, &cx.deployment.artefacts) {
                    Some((name, shown, sibling)) => {
                        let var_file = roots_of.get(&sibling).map(|root| {
                            let root = if root.is_empty() {
                                "./".to_string()
                            } else {
                                format!("{root}/")
                            };
                            (root, a.path.clone())
                        });
                        if !cx
                            .deployment
                            .unclassified_stages
                            .iter()
                            .any(|s| s.stage == name)
                        {
                            cx.deployment.unclassified_stages.push(
                                crate::model::UnclassifiedStage {
                                    stage: name.clone(),
                                    from: vec![format!("{} ({shown})", a.path)],
                                    folder: None,
                                    var_file,
                                },
                            );
                        }
                        format!(
                            "not read: it names the environment `{name}` ({shown}), whose kind liftoff does not know; declare it in liftoff.yaml with its `kind:` and this file under `var_files:`"
                        )
                    }
                    None => "a variable file that names no environment, and no root reads it"
                        .to_string(),
                },
            }
        } else if let Some(env) = &a.environment {
            format!("its root was not read for {env}")
        } else if let Some(reason) = discover_named(a).map(|_| cx.unattached_reason(a, "")) {
            reason
        } else {
            if suggested.insert(folder.clone()) {
                cx.deployment.suggestions.push(SourceSuggestion::new(
                    &format!("{folder}/"),
                    ArtefactKind::Terraform,
                    &production,
                ));
            }
            let why = if deployed == 0 {
                "not attached to an environment: its folder names none, and no deployed environment is known to read it for"
            } else {
                "not attached to an environment: its folder names none, and the service deploys to several"
            };
            format!(
                "{why}; add `- {{terraform: {}}}` under environments.<name>.sources in liftoff.yaml (with `var_files:` if it needs them)",
                crate::model::flow_scalar(&format!("{folder}/"))
            )
        };
        out.insert(a.path.clone(), why);
    }
    out
}

/// Names a variable file's pattern shares with files that are no environment's: values
/// shared by every environment, examples, secrets kept apart, backend settings.
const NOT_ENVIRONMENTS: &[&str] = &[
    "common",
    "shared",
    "default",
    "defaults",
    "global",
    "globals",
    "base",
    "backend",
    "backends",
    "terraform",
    "variables",
    "vars",
    "secret",
    "secrets",
    "example",
    "examples",
    "sample",
    "template",
    "override",
    "overrides",
    "versions",
    "providers",
    "account",
    "accounts",
    "all",
];

/// The environment a variable file names by its siblings' pattern when the vocabulary does not
/// know the name: `terraform-rba.tfvars` beside `terraform-production.tfvars`, or `aat.tfvars`
/// beside `prod.tfvars`, names `rba` or `aat`, if the file also says so itself
/// (`environment = "Rba"`, a literal of `environment`, `env` or `stage`) or has the sibling's
/// shape (three in four of the variables it sets, its sibling sets too), so a shared
/// `network.tfvars` beside `production.tfvars` names none. Files Terraform loads by itself
/// (`terraform.tfvars`, `*.auto.tfvars`) and names of shared, example or secret files never
/// name one. Returns the name, lower-cased, what shows it, and the sibling's path.
fn sibling_environment(
    dir: &Path,
    a: &ArtefactFile,
    artefacts: &[ArtefactFile],
) -> Option<(String, String, String)> {
    let folder = folder_of(&a.path);
    let file = a.path.rsplit('/').next()?;
    let lower = file.to_ascii_lowercase();
    if lower.starts_with("terraform.tfvars") || lower.contains(".auto.tfvars") {
        return None;
    }
    let own = || terraform::variable_file_names(dir, &a.path);
    for sibling in artefacts
        .iter()
        .filter(|s| s.path != a.path && s.kind == a.kind && folder_of(&s.path) == folder)
    {
        let Some(named) = discover_named(sibling).filter(|n| n.folder.is_none()) else {
            continue;
        };
        let other = sibling.path.rsplit('/').next()?.to_ascii_lowercase();
        let Some(at) = other.find(&named.spelled.to_ascii_lowercase()) else {
            continue;
        };
        let (prefix, suffix) = (&other[..at], &other[at + named.spelled.len()..]);
        let Some(varying) = lower
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
        else {
            continue;
        };
        if varying.is_empty()
            || !varying
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            || NOT_ENVIRONMENTS.contains(&varying)
        {
            continue;
        }
        let name = varying.to_string();
        let sibling_file = sibling
            .path
            .rsplit('/')
            .next()
            .unwrap_or(&sibling.path)
            .to_string();
        let follows = format!("its file name follows {sibling_file} beside it");
        let text = std::fs::read_to_string(dir.join(&a.path)).ok()?;
        let said = text.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            let value = value.trim().strip_prefix('"')?.strip_suffix('"')?;
            (terraform::terragrunt::ENVIRONMENT_KEYS.contains(&key.trim())
                && value.eq_ignore_ascii_case(&name))
            .then(|| format!("{} = \"{value}\"", key.trim()))
        });
        if let Some(said) = said {
            return Some((name, format!("{said}; {follows}"), sibling.path.clone()));
        }
        let (Some(mine), Some(theirs)) =
            (own(), terraform::variable_file_names(dir, &sibling.path))
        else {
            continue;
        };
        // Judged from the file's side: an environment often sets fewer variables than
        // production (a demo with a smaller database and nothing else), rarely others.
        let shared = mine.intersection(&theirs).count();
        if shared > 0 && shared * 4 >= mine.len() * 3 {
            return Some((
                name,
                format!("{follows}, and sets the same variables"),
                sibling.path.clone(),
            ));
        }
    }
    None
}

fn discover_named(a: &ArtefactFile) -> Option<env_names::PathName> {
    crate::sources::named_environment(&a.path, a.kind)
}

/// A resource as a reader saw it, into the model, for `env`.
fn into_resource(r: terraform::TfResource, env: &std::sync::Arc<str>) -> crate::model::Resource {
    let attributes = r
        .attributes
        .into_iter()
        .map(|(k, (v, at))| {
            (
                k,
                crate::model::Fact::new(v, crate::model::Origin::Artefact(at)),
            )
        })
        .collect();
    crate::model::Resource {
        address: r.address,
        resource_type: r.resource_type,
        environment: Some(env.clone()),
        origin: crate::model::Origin::Artefact(r.location),
        attributes,
        unknown: r.unknown,
        references: r.references,
        member_of: None,
        cloud: None,
    }
}

/// The files of `root` that did not parse, listed as unreadable in `env` (the rest of the root
/// is judged).
fn list_unreadable(
    cx: &mut LoadContext<'_>,
    root: &mut crate::sources::terraform::Root,
    env: &str,
) {
    let broken = std::mem::take(&mut root.unreadable);
    if !broken.is_empty() {
        cx.unreadable(
            InputError::Invalid(broken),
            ArtefactKind::Terraform,
            Some(env),
        );
    }
}
