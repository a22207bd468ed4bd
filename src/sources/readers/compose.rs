//! docker compose files, combined into projects as `docker compose -f base -f overlay` would.
//!
//! A project is the files of one folder: an environment's overlay (`docker-compose.prod.yml`,
//! `docker-compose.production-deploy.yml`) over the base its name leaves when the environment is
//! taken out (`docker-compose.yml`, `docker-compose.deploy.yml`), or the compose files of a
//! folder named after an environment. Files in different folders are different projects; an
//! overlay named for development, tests or CI belongs to that environment, never to production.

use super::compose_sets::{ComposeSet, DEFAULT_BASES};
use super::{LoadContext, Reader, folder_of, set_command, set_image};
use crate::diagnostic::InputError;
use crate::model::{ArtefactFile, ArtefactKind, ArtefactStatus};
use crate::sources::compose;
use std::collections::BTreeMap;

pub(super) struct Compose;

/// One project to read: its environment, its files in merge order, and the `.env` it runs with.
struct Project {
    environment: String,
    files: Vec<String>,
    project_env: compose::ProjectEnv,
}

/// Lists the compose files a `.env` or a deploy job names that discovery did not find by name
/// (`docker/prod.yml`), so that each is read or said not to be.
pub(super) fn add_named_files(
    dir: &std::path::Path,
    artefacts: &mut Vec<ArtefactFile>,
    sets: &[super::compose_sets::ComposeSet],
) {
    for set in sets {
        for file in &set.files {
            if artefacts.iter().any(|a| &a.path == file) {
                continue;
            }
            let mut found = crate::sources::discover::named_file(file, ArtefactKind::Compose);
            if !dir.join(file).is_file() {
                found.status = ArtefactStatus::NotRead;
                found.reason = Some(format!(
                    "named at {}:{} as a compose file, but not in the repository",
                    set.at.path, set.at.line
                ));
            } else if found.status == ArtefactStatus::Pending {
                found.reason = Some(format!("named at {}:{}", set.at.path, set.at.line));
            }
            artefacts.push(found);
        }
    }
    artefacts.sort();
}

impl Reader for Compose {
    fn kind(&self) -> ArtefactKind {
        ArtefactKind::Compose
    }

    fn read(&self, cx: &mut LoadContext<'_>) -> Result<(), InputError> {
        let pending = cx.pending(ArtefactKind::Compose);
        let projects = plan(cx, &pending);
        let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // `<compose file>#env_file <path>` → (environments, services, variables).
        let mut unread: BTreeMap<String, UnreadEnvFile> = BTreeMap::new();
        let mut per_env: BTreeMap<String, usize> = BTreeMap::new();
        for p in &projects {
            *per_env.entry(p.environment.clone()).or_default() += 1;
        }
        for project in projects {
            let Some(index) = cx
                .deployment
                .environments
                .iter()
                .position(|e| e.name == project.environment)
            else {
                continue;
            };
            let known = compose::known_from(&cx.deployment.environments[index].settings);
            match compose::read_with(cx.dir, &project.files, &known, &project.project_env) {
                Ok(read) => {
                    // Several projects in one environment keep their services apart by folder.
                    let folder = folder_of(project.files.last().map_or("", String::as_str));
                    let several = per_env.get(&project.environment).copied().unwrap_or(0) > 1;
                    let prefix = several.then(|| {
                        folder
                            .rsplit('/')
                            .next()
                            .unwrap_or(folder.as_str())
                            .to_string()
                    });
                    // The environment's own file (the last) names its services in targets.
                    let before = cx.deployment.environments[index].components.len();
                    apply_compose(
                        &mut cx.deployment.environments[index],
                        &read,
                        project.files.last().map_or("", String::as_str),
                        prefix.as_deref(),
                    );
                    replica_sets(&mut cx.deployment.environments[index].components[before..]);
                    for f in &project.files {
                        used.entry(f.clone())
                            .or_default()
                            .push(project.environment.clone());
                    }
                    for f in read.extended {
                        used.entry(f).or_default().push(project.environment.clone());
                    }
                    for service in &read.services {
                        for e in &service.unread_env_files {
                            let entry = unread
                                .entry(format!("{}#env_file {}", e.at.path, e.written))
                                .or_default();
                            add_once(&mut entry.environments, &project.environment);
                            add_once(&mut entry.services, &service.name);
                            for v in &e.unknown {
                                add_once(&mut entry.variables, v);
                            }
                        }
                    }
                }
                Err(InputError::Invalid(d)) if compose::is_cycle(&d) => {
                    return Err(InputError::Invalid(d));
                }
                Err(e) => {
                    for f in &project.files {
                        used.entry(f.clone())
                            .or_default()
                            .push(project.environment.clone());
                    }
                    cx.unreadable(e, ArtefactKind::Compose, Some(&project.environment));
                }
            }
        }
        note_unread_env_files(cx, unread);
        note_selecting_dotenvs(cx, &pending);
        note_unclassified_job_environments(cx);
        let environment = super::kubernetes::production_name(cx);
        for a in pending.iter().filter(|a| {
            a.environment.is_none()
                && !used.contains_key(&a.path)
                && crate::sources::named_environment(&a.path, a.kind).is_none()
        }) {
            cx.deployment
                .suggestions
                .push(crate::model::SourceSuggestion::new(
                    &a.path,
                    ArtefactKind::Compose,
                    &environment,
                ));
        }
        let reasons: BTreeMap<String, String> = pending
            .iter()
            .map(|a| {
                let why = cx.unattached_reason(
                    a,
                    &format!(
                        "names no environment, and no overlay uses it as its base: add `- {{compose: {}}}` under environments.<name>.sources in liftoff.yaml",
                        crate::model::flow_scalar(&a.path)
                    ),
                );
                (a.path.clone(), why)
            })
            .collect();
        cx.mark_per_environment(ArtefactKind::Compose, &used, "merged for", |a| {
            reasons.get(&a.path).cloned().unwrap_or_default()
        });
        // Files read only through `extends` (any name) are listed too.
        for (path, envs) in &used {
            if !cx.deployment.artefacts.iter().any(|a| &a.path == path) {
                let mut envs = envs.clone();
                envs.dedup();
                cx.mark(
                    path,
                    ArtefactKind::Compose,
                    ArtefactStatus::Read,
                    format!("merged for {} (through `extends`)", envs.join(", ")),
                );
            }
        }
        Ok(())
    }
}

/// Says of each `.env` left unread whose `COMPOSE_FILE` selects files for one environment
/// (the developer's, merging `docker/dev.yml`) which files and environment it is for, and that
/// other environments' projects take none of its values.
fn note_selecting_dotenvs(cx: &mut LoadContext<'_>, pending: &[ArtefactFile]) {
    let mut notes = Vec::new();
    for set in cx
        .compose_sets
        .iter()
        .filter(|s| s.job_environments.is_empty())
    {
        let Some(environment) = set_environment(cx, set, pending) else {
            continue;
        };
        notes.push((
            set.at.path.to_string(),
            format!(
                "its COMPOSE_FILE (line {}) selects {} for {environment}: its values are that environment's, and are not used for any other",
                set.at.line,
                set.files
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(" + ")
            ),
        ));
    }
    for (path, why) in notes {
        if let Some(a) = cx
            .deployment
            .artefacts
            .iter_mut()
            .find(|a| a.path == path && a.status == ArtefactStatus::Ignored)
        {
            a.reason = Some(why);
        }
    }
}

/// The environments a deploy job runs a compose set in whose names do not say their kind
/// (`open-prices-org`, from `environment: ${{ matrix.env }}`): each is listed as a stage of
/// unknown kind, a question for liftoff.yaml, never taken for production.
fn note_unclassified_job_environments(cx: &mut LoadContext<'_>) {
    // A liftoff.yaml says which environments there are.
    if cx.deployment.manifest.is_some() {
        return;
    }
    let mut found: Vec<(String, String)> = Vec::new();
    for set in &cx.compose_sets {
        for spelled in &set.job_environments {
            if crate::model::env_names::lookup(spelled).is_some()
                || cx
                    .deployment
                    .environments
                    .iter()
                    .any(|e| e.name == *spelled)
            {
                continue;
            }
            let files = set
                .files
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" + ");
            found.push((
                spelled.clone(),
                format!(
                    "{}:{} (a deploy job runs {files} in its environment `{spelled}`)",
                    set.at.path, set.at.line
                ),
            ));
        }
    }
    for (stage, shown) in found {
        let stages = &mut cx.deployment.unclassified_stages;
        match stages.iter_mut().find(|s| s.stage == stage) {
            Some(s) => {
                if !s.from.contains(&shown) {
                    s.from.push(shown);
                }
            }
            None => stages.push(crate::model::UnclassifiedStage {
                stage,
                from: vec![shown],
                folder: None,
                var_file: None,
            }),
        }
    }
}

/// An `env_file` whose path only the shell running compose gives, over every project using it.
#[derive(Default)]
struct UnreadEnvFile {
    environments: Vec<String>,
    services: Vec<String>,
    variables: Vec<String>,
}

fn add_once(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|i| i == item) {
        list.push(item.to_string());
    }
}

/// Lists each `env_file` given by a variable nothing in the repository sets
/// (`env_file: ${RUNNER_ENV_FILE}`, `RUNNER_ENV_FILE=.ci.env docker compose up`): compose reads
/// whichever file the caller names, so its settings are unknown, and the rest of the file is
/// read as usual.
fn note_unread_env_files(cx: &mut LoadContext<'_>, unread: BTreeMap<String, UnreadEnvFile>) {
    for (path, e) in unread {
        if cx.deployment.artefacts.iter().any(|a| a.path == path) {
            continue;
        }
        let variables: Vec<String> = e.variables.iter().map(|v| format!("`{v}`")).collect();
        let (set, it) = match variables.len() {
            1 => ("is", "its"),
            _ => ("are", "their"),
        };
        let why = if variables.is_empty() {
            "its path is only known when compose runs".to_string()
        } else {
            format!(
                "its path comes from {}, which {set} set outside the repository (by the shell running docker compose; no `.env` beside the compose file gives {it} value)",
                variables.join(", ")
            )
        };
        cx.deployment.artefacts.push(ArtefactFile {
            path,
            kind: ArtefactKind::Compose,
            environment: match e.environments.as_slice() {
                [one] => Some(one.clone()),
                _ => None,
            },
            status: ArtefactStatus::NotRead,
            reason: Some(format!(
                "not read for {}: {why}, so the settings it gives {} are unknown",
                e.environments.join(", "),
                e.services
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        });
    }
}

/// The projects to read: declared ones (global files first, for every deployed environment,
/// then the environment's own, in the order written), then discovered ones by folder.
fn plan(cx: &LoadContext<'_>, pending: &[ArtefactFile]) -> Vec<Project> {
    let declared = cx.declared_of(ArtefactKind::Compose);
    let deployed = cx.deployed();
    let mut out = Vec::new();
    for env in &cx.deployment.environments {
        let global = declared
            .iter()
            .filter(|d| d.environment.is_none() && deployed.contains(&env.name));
        let own = declared
            .iter()
            .filter(|d| d.environment.as_deref() == Some(env.name.as_str()));
        let files: Vec<String> = global.chain(own).map(|d| d.path.clone()).collect();
        if !files.is_empty() {
            out.push(Project {
                environment: env.name.clone(),
                files,
                project_env: compose::ProjectEnv::Beside,
            });
        }
    }
    // Files a `.env` or a deploy job names together run together, as compose merges them.
    let mut claimed: Vec<(String, String)> = Vec::new();
    let mut sets: Vec<&ComposeSet> = cx.compose_sets.iter().collect();
    // The job that writes its own `.env` says the most about a run.
    sets.sort_by_key(|s| s.written.is_none());
    for set in sets {
        let all_pending = set
            .files
            .iter()
            .all(|f| pending.iter().any(|a| &a.path == f) && !declared.iter().any(|d| d.covers(f)));
        if !all_pending {
            continue;
        }
        let Some(environment) = set_environment(cx, set, pending) else {
            continue;
        };
        if out
            .iter()
            .any(|p| p.environment == environment && p.files == set.files)
        {
            continue;
        }
        for f in &set.files {
            claimed.push((f.clone(), environment.clone()));
        }
        let project_env = project_env(cx, Some(set), &set.files, &environment);
        out.push(Project {
            environment,
            files: set.files.clone(),
            project_env,
        });
    }
    let discovered: Vec<&ArtefactFile> = pending
        .iter()
        .filter(|a| !declared.iter().any(|d| d.path == a.path))
        .collect();
    let mut folders: BTreeMap<String, Vec<&ArtefactFile>> = BTreeMap::new();
    for a in discovered {
        folders.entry(folder_of(&a.path)).or_default().push(a);
    }
    for files in folders.values() {
        for a in files {
            let Some(env) = &a.environment else {
                continue;
            };
            if claimed.iter().any(|(f, e)| *f == a.path && e == env) {
                continue;
            }
            let named = crate::sources::named_environment(&a.path, a.kind);
            let by_file_name = named.as_ref().is_some_and(|n| n.folder.is_none());
            let mut project = Vec::new();
            if by_file_name {
                if let Some(base) = base_of(a, named.map(|n| n.spelled), files) {
                    project.push(base);
                }
            }
            project.push(a.path.clone());
            let project_env = project_env(cx, None, &project, env);
            out.push(Project {
                environment: env.clone(),
                files: project,
                project_env,
            });
        }
    }
    out
}

/// The environment a set of files runs for: the developer's when any of its files is named for
/// development (`docker/dev.yml`: the whole set is then a developer's, never production's),
/// else the one its last overlay naming an environment names (`docker/prod.yml`), else the one
/// of the job that runs it, else its first file's.
fn set_environment(
    cx: &LoadContext<'_>,
    set: &ComposeSet,
    pending: &[ArtefactFile],
) -> Option<String> {
    let of = |f: &String| {
        pending
            .iter()
            .find(|a| &a.path == f)
            .and_then(|a| a.environment.clone())
    };
    // By the file's own name, not the environment it was given: a file no name places may have
    // been judged as production.
    let for_development = |f: &&String| {
        crate::sources::named_environment(f, ArtefactKind::Compose)
            .is_some_and(|n| n.name.kind == crate::model::EnvKind::Development)
    };
    if let Some(env) = set.files.iter().filter(for_development).find_map(of) {
        return Some(env);
    }
    if let Some(env) = set.files.iter().skip(1).rev().find_map(of) {
        return Some(env);
    }
    let names: Vec<&str> = cx
        .deployment
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    for spelled in &set.job_environments {
        let found = names.iter().find(|n| **n == spelled.as_str()).or_else(|| {
            let named = crate::model::env_names::lookup(spelled)?;
            names
                .iter()
                .find(|n| crate::model::env_names::same_environment(n, named))
        });
        if let Some(env) = found {
            return Some(env.to_string());
        }
    }
    set.files.first().and_then(of)
}

/// The `.env` a project of `environment` runs with. A deploy job that writes one gives its
/// values (those only the runner knows stay unknown). Without one, the `.env` beside the first
/// file is compose's, unless its `COMPOSE_FILE` selects files for another environment (the
/// developer's `.env`, which merges `docker/dev.yml`): its values are then not this
/// environment's, and the variables it sets are unknown here, defaults included.
fn project_env(
    cx: &LoadContext<'_>,
    set: Option<&ComposeSet>,
    files: &[String],
    environment: &str,
) -> compose::ProjectEnv {
    let Some(first) = files.first() else {
        return compose::ProjectEnv::Beside;
    };
    let dotenv = match folder_of(first).as_str() {
        "." => ".env".to_string(),
        folder => format!("{folder}/.env"),
    };
    let committed = || -> Vec<(String, String)> {
        crate::sources::read_text(&cx.dir.join(&dotenv), &dotenv)
            .ok()
            .and_then(|t| crate::sources::dotenv::raw_values(&dotenv, &t).ok())
            .unwrap_or_default()
    };
    let other = other_environments_env(cx, &dotenv, files, environment);
    if let Some(written) = set.and_then(|s| s.written.as_ref()) {
        let mut values = std::collections::HashMap::new();
        let mut unknown = Vec::new();
        if !written.replaces {
            for (name, value) in committed() {
                if other.is_some() {
                    unknown.push(name);
                } else {
                    values.insert(name, value);
                }
            }
        }
        for (name, value) in &written.values {
            match value {
                Some(v) => {
                    values.insert(name.clone(), v.clone());
                    unknown.retain(|u| u != name);
                }
                None => {
                    values.remove(name);
                    unknown.push(name.clone());
                }
            }
        }
        return compose::ProjectEnv::Instead { values, unknown };
    }
    if other.is_some() {
        return compose::ProjectEnv::Instead {
            values: Default::default(),
            unknown: committed().into_iter().map(|(n, _)| n).collect(),
        };
    }
    compose::ProjectEnv::Beside
}

/// When the `.env` at `dotenv` selects, by its `COMPOSE_FILE`, other files than `files` for
/// another environment than `environment`: that set and its environment.
fn other_environments_env<'a>(
    cx: &'a LoadContext<'_>,
    dotenv: &str,
    files: &[String],
    environment: &str,
) -> Option<(&'a ComposeSet, String)> {
    let pending = cx.pending(ArtefactKind::Compose);
    cx.compose_sets
        .iter()
        .filter(|s| *s.at.path == *dotenv && s.files != files)
        .find_map(|s| {
            let env = set_environment(cx, s, &pending)?;
            (env != environment).then_some((s, env))
        })
}

/// The base an overlay extends: the file its name leaves when the environment is taken out
/// (`docker-compose.production-deploy.yml` → `docker-compose.deploy.yml`), else compose's
/// default file in the same folder, if it names no environment of its own.
fn base_of(
    overlay: &ArtefactFile,
    spelled: Option<String>,
    folder: &[&ArtefactFile],
) -> Option<String> {
    let name = overlay.path.rsplit('/').next().unwrap_or(&overlay.path);
    let lower = name.to_ascii_lowercase();
    let unattached = |candidate: &str| {
        folder
            .iter()
            .find(|f| {
                f.environment.is_none()
                    && f.path
                        .rsplit('/')
                        .next()
                        .is_some_and(|n| n.eq_ignore_ascii_case(candidate))
            })
            .map(|f| f.path.clone())
    };
    if let Some(spelled) = spelled {
        let word = spelled.to_ascii_lowercase();
        if let Some(at) = lower.find(&word) {
            let (before, after) = (&lower[..at], &lower[at + word.len()..]);
            let mut candidates = Vec::new();
            if let Some(rest) = after.strip_prefix(['-', '_', '.']) {
                candidates.push(format!("{before}{rest}"));
            }
            if let Some(head) = before.strip_suffix(['-', '_', '.']) {
                candidates.push(format!("{head}{after}"));
            }
            if let Some(found) = candidates.iter().find_map(|c| unattached(c)) {
                return Some(found);
            }
        }
    }
    DEFAULT_BASES.iter().find_map(|b| unattached(b))
}

/// MongoDB members started with the same `--replSet <name>` form one replica set: each has the
/// others as replicas and votes in a cluster.
fn replica_sets(components: &mut [crate::model::Component]) {
    use crate::model::{Fact, Origin};
    let set_of = |c: &crate::model::Component| {
        let command = c.command.as_ref()?;
        let mut words = command.value.split_whitespace();
        words.find(|w| *w == "--replSet")?;
        words
            .next()
            .map(|name| (name.to_string(), command.origin.clone()))
    };
    let sets: Vec<Option<(String, Origin)>> = components.iter().map(set_of).collect();
    let mut led: Vec<String> = Vec::new();
    for (i, c) in components.iter_mut().enumerate() {
        let Some((name, origin)) = &sets[i] else {
            continue;
        };
        let members = sets
            .iter()
            .flatten()
            .filter(|(other, _)| other == name)
            .count() as u32;
        let how = format!("one of {members} members of the replica set `{name}`");
        let derived = Origin::Derived {
            from: origin.location().cloned().map(Box::new),
            how: how.into(),
        };
        if members > 1 {
            c.replicas
                .get_or_insert(Fact::new(members - 1, derived.clone()));
        }
        // The set elects a primary: judged once, on its first member, with every member.
        if !led.contains(name) {
            led.push(name.clone());
            c.clustered.get_or_insert(Fact::new(true, derived.clone()));
            c.cluster_members = Some(Fact::new(members, derived));
        }
    }
}

/// Turns compose services into components of `env`: a component the manifest declares gets the
/// compose facts (the artefact wins); others are added with the kind their image suggests.
fn apply_compose(
    env: &mut crate::model::Environment,
    project: &compose::Project,
    file: &str,
    prefix: Option<&str>,
) {
    use crate::model::{Component, Fact, Origin};
    for service in &project.services {
        let origin = Origin::Artefact(
            service
                .origin
                .clone()
                .unwrap_or_else(|| crate::model::Location::new("compose", 1, 1)),
        );
        let name = match prefix {
            Some(p) => format!("{p}/{}", service.name),
            None => service.name.clone(),
        };
        let position = match env.components.iter().position(|c| c.name == name) {
            Some(i) => i,
            None => {
                let kind = compose::kind_of(service);
                let kind_origin = Origin::Derived {
                    from: origin.location().cloned().map(Box::new),
                    how: format!("kind {} from the image and ports", kind.as_str()).into(),
                };
                let mut component =
                    Component::new(name.clone(), Fact::new(kind, kind_origin), origin.clone());
                component.artefact_target = Some(format!("compose:{file}#{}", service.name));
                env.components.push(component);
                env.components.len() - 1
            }
        };
        let c = &mut env.components[position];
        if let Some(image) = &service.image {
            set_image(c, image);
        }
        if let Some(build) = &service.build {
            c.built_from = Some(build.clone());
            c.build_target = service.build_target.clone();
        }
        c.instances = Some(match &service.replicas {
            Some(r) => r.clone(),
            None => Fact::new(
                1,
                Origin::Derived {
                    from: origin.location().cloned().map(Box::new),
                    how: "compose runs one replica unless told otherwise".into(),
                },
            ),
        });
        if let Some(command) = &service.command {
            set_command(c, command);
        }
        if let Some(concurrency) = service
            .settings
            .iter()
            .rev()
            .find(|s| s.name == "WEB_CONCURRENCY")
        {
            if let crate::model::SettingValue::Literal(v) = &concurrency.value {
                if let Ok(n) = v.parse() {
                    c.workers_per_instance = Some(Fact::new(n, concurrency.origin.clone()));
                }
            }
        }
        c.settings = service.settings.clone();
        c.published = service.ports.clone();
        open_access(c, service.ports.first().map(|p| p.value.1));
        // Backing services and admin consoles are for the system and its operators only.
        // A bastion is there to be reached from outside: its exposure is its purpose.
        let console =
            c.kind() == crate::model::ComponentKind::Admin && !compose::is_ssh_gateway(service);
        if c.kind().is_backing_service() || console {
            c.public = Some(
                match service
                    .ports
                    .iter()
                    .find(|p| compose::public_interface(&p.value.0))
                {
                    Some(p) => Fact::new(true, p.origin.clone()),
                    None => match service.ports.first() {
                        Some(p) => Fact::new(false, p.origin.clone()),
                        None => Fact::new(
                            false,
                            Origin::Derived {
                                from: origin.location().cloned().map(Box::new),
                                how: "publishes no port".into(),
                            },
                        ),
                    },
                },
            );
        }
    }
}

/// Marks a data store that lets anyone in ([`compose::open_access`]), saying what else leaves it
/// reachable: `published` is a port it publishes on the host, `unguarded` that nothing in the
/// files limits who reaches it.
pub(super) fn open_access(c: &mut crate::model::Component, published: Option<u16>) {
    use crate::model::{ComponentKind, Fact};
    if !matches!(
        c.kind(),
        ComponentKind::Database | ComponentKind::Cache | ComponentKind::Search
    ) {
        return;
    }
    let image = c
        .image
        .as_ref()
        .map(|i| i.value.as_str())
        .unwrap_or_default();
    let command = c
        .command
        .as_ref()
        .map(|i| i.value.as_str())
        .unwrap_or_default();
    let Some(what) = compose::open_access(image, command, &c.settings) else {
        return;
    };
    let what = match published {
        Some(port) => format!("{what}, and port {port} is published on the host"),
        None => what,
    };
    let origin = c
        .command
        .as_ref()
        .or(c.image.as_ref())
        .map_or(c.origin.clone(), |f| f.origin.clone());
    c.open_access = Some(Fact::new(what, origin));
}
