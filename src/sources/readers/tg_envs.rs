//! The environment of a Terragrunt unit whose path names none, as the unit itself says it.
//!
//! In the usual Terragrunt tree (`live/<environment>/<unit>/terragrunt.hcl`) the folder below
//! `live/` is the environment, and its name is the team's own (`playground`, `ops`, `mgmt`). The
//! unit is told which one it runs in by the locals Terragrunt reads for it (`environment =
//! "non-prod"` in an `env.hcl` the root reads with `read_terragrunt_config`), or by its inputs.
//! A value the vocabulary knows gives the environment; otherwise the environment is one whose
//! kind nothing tells: listed, never read, and never taken for another (a unit of an unknown
//! environment read for production is the false finding this avoids).

use crate::model::env_names::{self, EnvName};
use crate::model::{ArtefactFile, ArtefactKind, ArtefactStatus, Location};
use crate::sources::discover;
use crate::sources::terraform::terragrunt::{self, ENVIRONMENT_KEYS, UnitSource};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The environment one Terragrunt unit whose path names none runs in.
#[derive(Clone, Debug)]
pub(super) struct UnitEnvironment {
    /// The unit's `terragrunt.hcl`.
    pub unit: String,
    /// The folder that stands for the environment (`live/playground`).
    pub folder: String,
    /// The vocabulary's entry for what the unit's locals or inputs call the environment, when
    /// they agree on one; `None` when they name none it knows, or disagree.
    pub named: Option<&'static EnvName>,
    /// Where it says so (`live/ops/env.hcl:3 (environment = "non-prod")`), or the folder.
    pub shown: String,
}

/// The Terragrunt units of a repository whose paths name no environment, and what they run in.
#[derive(Clone, Debug, Default)]
pub(super) struct TerragruntEnvironments {
    pub units: Vec<UnitEnvironment>,
    /// Configurations that units include (a root shared by every environment below it): they
    /// belong to no environment of their own.
    pub included: BTreeSet<String>,
    /// The local module folders of units of an unknown environment that no other unit runs.
    modules_only_of_unknown: BTreeMap<String, String>,
    /// The local module folder of every unit (a unit's own folder aside): code the units run
    /// with their inputs, never a deployment by itself.
    unit_modules: BTreeSet<String>,
    /// Every unit of the repository is of an environment of unknown kind.
    only_unknown: bool,
}

impl TerragruntEnvironments {
    /// The units whose environment is unknown, by the folder that stands for it.
    pub fn unclassified(&self) -> Vec<&UnitEnvironment> {
        let mut out: Vec<&UnitEnvironment> = Vec::new();
        for u in self.units.iter().filter(|u| u.named.is_none()) {
            if !out.iter().any(|o| o.folder == u.folder) {
                out.push(u);
            }
        }
        out
    }

    /// Whether `path` is a configuration file of a folder that units run as their module.
    pub fn runs_module(&self, path: &str) -> bool {
        path.ends_with(".tf") && self.unit_modules.contains(&super::folder_of(path))
    }

    /// Whether `path` is a file that deploys to an environment whose kind is unknown.
    pub fn in_unclassified(&self, path: &str) -> bool {
        self.set_aside(path, &[]).is_some()
    }

    /// Why `path` is not read, when it belongs to an environment whose kind is unknown (a file
    /// of its folder, or of a module only its units run), or to one its locals name but
    /// `declared` (the manifest's environments) does not hold.
    pub fn set_aside(&self, path: &str, declared: &[String]) -> Option<String> {
        if self.included.contains(path) {
            return self.only_unknown.then(|| {
                "not read: a Terragrunt configuration that only units of environments of unknown kind include".to_string()
            });
        }
        let undeclared = self.units.iter().find(|u| {
            u.named.is_some_and(|n| {
                !declared.is_empty() && !declared.iter().any(|d| env_names::same_environment(d, n))
            }) && path.starts_with(&format!("{}/", u.folder))
        });
        if let Some(u) = undeclared {
            return Some(format!(
                "not read: the Terragrunt units of {}/ run in `{}` ({}), which liftoff.yaml does not declare: add it under environments",
                u.folder,
                u.named.map_or("", |n| n.canonical),
                u.shown
            ));
        }
        if let Some(u) = self
            .unclassified()
            .into_iter()
            .find(|u| path.starts_with(&format!("{}/", u.folder)))
        {
            return Some(unclassified_reason(u));
        }
        let folder = path.rsplit_once('/').map_or(".", |(d, _)| d);
        let unit = self.modules_only_of_unknown.get(folder)?;
        let u = self.units.iter().find(|u| u.unit == *unit)?;
        Some(format!(
            "not read: the module of the Terragrunt unit {}, {}",
            super::folder_of(&u.unit),
            unclassified_reason(u).trim_start_matches("not read: ")
        ))
    }
}

/// What the report says of a file of an environment whose kind is unknown.
fn unclassified_reason(u: &UnitEnvironment) -> String {
    let name = u.folder.rsplit('/').next().unwrap_or(&u.folder);
    format!(
        "not read: the Terragrunt environment `{name}` ({}) is of a kind nothing tells: {}; declare it in liftoff.yaml with its `kind:` and `- {{terraform: {}}}` under its sources",
        folder_slash(&u.folder),
        u.shown,
        crate::model::flow_scalar(&folder_slash(&u.folder))
    )
}

fn folder_slash(folder: &str) -> String {
    format!("{folder}/")
}

/// A value a unit's locals or inputs give one of [`ENVIRONMENT_KEYS`].
struct Said {
    key: String,
    value: String,
    at: Location,
}

impl Said {
    fn shown(&self) -> String {
        format!(
            "{}:{} ({} = {:?})",
            self.at.path, self.at.line, self.key, self.value
        )
    }
}

/// The environments of the Terragrunt units among `artefacts` whose paths name none. A unit a
/// pipeline runs for a named environment is the pipeline's (the Terraform reader's rule) and is
/// left out.
pub(super) fn find(
    dir: &Path,
    artefacts: &[ArtefactFile],
    pipelines: &[Location],
) -> TerragruntEnvironments {
    let files: Vec<String> = artefacts
        .iter()
        .filter(|a| {
            a.kind == ArtefactKind::Terraform
                && a.status == ArtefactStatus::Pending
                && terragrunt::is_terragrunt(&a.path)
        })
        .map(|a| a.path.clone())
        .collect();
    if files.is_empty() {
        return TerragruntEnvironments::default();
    }
    let (units, included) = terragrunt::units(dir, &files);
    let deploys = super::tf_deploys::deploys(dir, pipelines);
    let run_by_pipeline = |unit: &str| {
        let folder = super::folder_of(unit);
        deploys.iter().filter(|d| d.terragrunt).any(|d| {
            let covers =
                d.root == "." || folder == d.root || folder.starts_with(&format!("{}/", d.root));
            covers && d.spelled().is_some_and(|s| env_names::lookup(&s).is_some())
        })
    };
    let mut read: Vec<(String, Option<terragrunt::Unit>)> = Vec::new();
    let mut found: Vec<UnitEnvironment> = Vec::new();
    for unit in &units {
        let parsed = terragrunt::read_unit(dir, unit, &BTreeMap::new()).ok();
        let path_names = discover::named_environment(unit, ArtefactKind::Terraform).is_some();
        if let (Some(u), false, false) = (&parsed, path_names, run_by_pipeline(unit)) {
            if let Some(env) = environment_of(u, &included) {
                found.push(env);
            }
        }
        read.push((unit.clone(), parsed));
    }
    // A folder that stands for an environment holds that environment's units only: where it
    // would hold a unit of another, the unit's own folder stands for it instead.
    let key = |unit: &str| -> String {
        match found.iter().find(|f| f.unit == unit) {
            Some(f) => match f.named {
                Some(n) => n.canonical.to_string(),
                None => format!("?{}", f.folder),
            },
            None => match discover::named_environment(unit, ArtefactKind::Terraform) {
                Some(n) => n.name.canonical.to_string(),
                None => format!("!{unit}"),
            },
        }
    };
    let keys: Vec<(String, String)> = units.iter().map(|u| (u.clone(), key(u))).collect();
    for f in &mut found {
        let mine = keys
            .iter()
            .find(|(u, _)| *u == f.unit)
            .map(|(_, k)| k.clone());
        let shared = f.folder == "."
            || keys.iter().any(|(unit, k)| {
                unit.starts_with(&format!("{}/", f.folder)) && Some(k) != mine.as_ref()
            });
        if shared {
            f.folder = super::folder_of(&f.unit);
        }
    }
    // Local modules only units of an unknown environment run: theirs, not production's.
    let mut modules: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
    for (unit, parsed) in &read {
        let Some(UnitSource::Local(folder) | UnitSource::OwnCopy { folder, .. }) =
            parsed.as_ref().map(|p| &p.source)
        else {
            continue;
        };
        let unknown = found.iter().any(|f| f.unit == *unit && f.named.is_none());
        modules
            .entry(folder.clone())
            .or_default()
            .push((unit.clone(), unknown));
    }
    let unit_modules: BTreeSet<String> = modules
        .iter()
        .filter(|(folder, users)| {
            !users
                .iter()
                .any(|(unit, _)| super::folder_of(unit) == **folder)
        })
        .map(|(folder, _)| folder.clone())
        .collect();
    let modules_only_of_unknown = modules
        .into_iter()
        .filter(|(folder, users)| {
            users.iter().all(|(_, unknown)| *unknown)
                && !users
                    .iter()
                    .any(|(unit, _)| super::folder_of(unit) == *folder)
        })
        .filter_map(|(folder, users)| users.first().map(|(unit, _)| (folder, unit.clone())))
        .collect();
    let only_unknown = !units.is_empty()
        && units
            .iter()
            .all(|u| found.iter().any(|f| f.unit == *u && f.named.is_none()));
    TerragruntEnvironments {
        units: found,
        included,
        modules_only_of_unknown,
        unit_modules,
        only_unknown,
    }
}

/// What the unit's locals and inputs say of its environment, and the folder that stands for
/// it: the one below `live/`, else the folder of the file that says so (an `env.hcl`), else
/// the unit's own. `None` when nothing says anything and no `live/` tree holds the unit.
fn environment_of(unit: &terragrunt::Unit, included: &BTreeSet<String>) -> Option<UnitEnvironment> {
    let mut said: Vec<Said> = Vec::new();
    for l in &unit.environment_locals {
        if !said
            .iter()
            .any(|s| s.at == l.at && s.key == l.key && s.value == l.value)
        {
            said.push(Said {
                key: l.key.clone(),
                value: l.value.clone(),
                at: l.at.clone(),
            });
        }
    }
    for key in ENVIRONMENT_KEYS {
        if let Some((hcl::Value::String(value), at)) = unit.inputs.get(*key) {
            if !said.iter().any(|s| s.value == *value) {
                said.push(Said {
                    key: (*key).to_string(),
                    value: value.clone(),
                    at: at.clone(),
                });
            }
        }
    }
    let unit_folder = super::folder_of(&unit.file);
    let live = live_environment_folder(&unit_folder);
    if said.is_empty() && live.is_none() {
        return None;
    }
    let classified: Vec<(&'static EnvName, &Said)> = said
        .iter()
        .filter_map(|s| env_names::lookup(&s.value).map(|n| (n, s)))
        .collect();
    // A value of the vocabulary and one of the team's own (`environment = "prod"`, `account =
    // "blue"`) do not contradict each other: the known one names it. Two known ones that
    // differ leave it unknown, and both are shown.
    let (named, evidence): (Option<&'static EnvName>, Vec<&Said>) = match classified.first() {
        Some((first, s))
            if classified
                .iter()
                .all(|(n, _)| n.canonical == first.canonical) =>
        {
            (Some(*first), vec![*s])
        }
        Some(_) => (None, classified.iter().map(|(_, s)| *s).collect()),
        None => (None, said.first().into_iter().collect()),
    };
    // The file that says it, when it is neither the unit nor a root every unit includes (an
    // `env.hcl` in a folder above the unit): its folder is the environment's.
    let file_folder = evidence
        .first()
        .map(|s| s.at.path.to_string())
        .filter(|p| *p != unit.file && !included.contains(p))
        .map(|p| super::folder_of(&p))
        .filter(|f| *f != "." && (*f == unit_folder || unit_folder.starts_with(&format!("{f}/"))));
    let folder = match (file_folder, live) {
        (Some(file), Some(live)) if file == live || file.starts_with(&format!("{live}/")) => file,
        (_, Some(live)) => live,
        (Some(file), None) => file,
        (None, None) => unit_folder.clone(),
    };
    let shown = if evidence.is_empty() {
        format!("{folder}/ (no local or input of its units names the environment)")
    } else {
        evidence
            .iter()
            .map(|s| s.shown())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(UnitEnvironment {
        unit: unit.file.clone(),
        folder,
        named,
        shown,
    })
}

/// The folder right below the last `live` folder above the unit's (`live/playground` for
/// `live/playground/app`), when one sits between them.
fn live_environment_folder(unit_folder: &str) -> Option<String> {
    let segments: Vec<&str> = unit_folder.split('/').collect();
    let live = segments
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("live"))?;
    // `live/<unit>` has none: the unit is the environment's.
    (segments.len() > live + 2).then(|| segments[..=live + 1].join("/"))
}
