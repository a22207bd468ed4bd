//! docker compose files, read as `docker compose -f a.yml -f b.yml` would.
//!
//! Each file is parsed on its own (so every fact keeps its file and line), interpolated, and
//! reduced to per-service facts; the files are then merged in order with compose's rules: later
//! files override single values, `environment` merges by name, `ports` accumulate. Interpolation
//! follows the Compose Specification: `${X}`, `${X:-d}`, `${X-d}`, `${X:?msg}`, `${X?msg}`, `$X`
//! and `$$`, from the `.env` beside the first file and the environment's own settings. A variable
//! liftoff cannot know stays unknown (a reference), never an error and never a guess; text that is
//! not compose syntax (`{{placeholder}}` from a deploy script) is kept as it is.

use super::dotenv;
use super::yaml::{self, Document, Node, Value};
use crate::diagnostic::{Diagnostic, InputError, did_you_mean};
use crate::model::{Fact, Location, Origin, Setting, SettingValue};
use std::collections::HashMap;
use std::path::Path;

/// What compose says about one service, merged over all files.
#[derive(Clone, Debug, Default)]
pub struct Service {
    pub name: String,
    pub origin: Option<Location>,
    pub image: Option<Fact<String>>,
    pub command: Option<Fact<String>>,
    pub replicas: Option<Fact<u32>>,
    pub settings: Vec<Setting>,
    /// Published ports: (host interface, host port).
    pub ports: Vec<Fact<(String, u16)>>,
    pub healthcheck: Option<Location>,
    /// `restart`, or swarm's `deploy.restart_policy.condition`: `no`/`none` and `on-failure`
    /// mark a run that ends.
    pub restart: Option<Fact<String>>,
    /// `entrypoint`, when the service overrides the image's.
    pub entrypoint: Option<Fact<String>>,
    /// `build`: the folder the image is built from (`build: ./app`, `build: {context: .}`).
    pub build: Option<Fact<String>>,
    /// `build.target`: the Dockerfile stage built.
    pub build_target: Option<Fact<String>>,
    /// A reverse proxy routes HTTP to it by its labels or settings (`traefik.http.routers.*`,
    /// `VIRTUAL_HOST`), though it publishes no port.
    pub routed: bool,
    /// `env_file`s whose path names a variable set outside the repository
    /// (`env_file: ${RUNNER_ENV_FILE}`, given by the shell running compose): not read, so the
    /// settings they hold are unknown.
    pub unread_env_files: Vec<UnreadEnvFile>,
}

/// An `env_file` liftoff cannot read because its path is only known when compose runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnreadEnvFile {
    /// The path as written (`${RUNNER_ENV_FILE}`).
    pub written: String,
    /// The variables it needs that nothing in the repository sets.
    pub unknown: Vec<String>,
    pub at: Location,
}

/// A compose project: its services in file order.
#[derive(Clone, Debug, Default)]
pub struct Project {
    pub services: Vec<Service>,
    /// Files read only because a service `extends` a service in them.
    pub extended: Vec<String>,
}

/// The start of the message for a chain of `extends` that comes back to where it started.
pub const EXTENDS_CYCLE: &str = "`extends` goes round in a cycle";

/// Whether these problems include an `extends` cycle (which compose refuses outright).
pub fn is_cycle(problems: &[Diagnostic]) -> bool {
    problems
        .iter()
        .any(|d| d.message.starts_with(EXTENDS_CYCLE))
}

/// A service's `extends`: the service it builds on, and the file that holds it when another.
#[derive(Clone, Debug)]
struct Extends {
    service: String,
    file: Option<String>,
    at: Location,
}

/// A file's services before `extends` is resolved.
struct FileServices {
    services: Vec<Service>,
    extends: HashMap<String, Extends>,
}

const TOP_LEVEL: [&str; 7] = [
    "version", "name", "services", "networks", "volumes", "secrets", "configs",
];

/// What the deployed commit (`${{ github.sha }}`, `$GITHUB_SHA`) is shown as in a value a deploy
/// job writes: a value fixed for each deployed commit, which liftoff cannot know.
pub const COMMIT: &str = "<commit>";

/// The `.env` a project is interpolated with.
#[derive(Clone, Debug, Default)]
pub enum ProjectEnv {
    /// The `.env` beside the first file, as compose reads it from the project directory.
    #[default]
    Beside,
    /// Not the `.env` of the repository: the deployment runs with another (a deploy job writes
    /// it, or the committed one is a developer's that selects other files). `values` are the
    /// ones known; each name in `unknown` is set there to a value liftoff cannot know, so neither
    /// it nor the `${X:-default}` the file falls back to is assumed.
    Instead {
        values: HashMap<String, String>,
        unknown: Vec<String>,
    },
}

/// Reads and merges `files` (relative to `dir`). `vars` are the variables known for interpolation
/// besides the `.env` beside the first file (the environment's settings).
pub fn read(
    dir: &Path,
    files: &[String],
    vars: &HashMap<String, String>,
) -> Result<Project, InputError> {
    read_with(dir, files, vars, &ProjectEnv::Beside)
}

/// [`read`] with the `.env` the project runs with.
pub fn read_with(
    dir: &Path,
    files: &[String],
    vars: &HashMap<String, String>,
    project_env: &ProjectEnv,
) -> Result<Project, InputError> {
    let mut known = vars.clone();
    let mut withheld = Vec::new();
    if let ProjectEnv::Instead { values, unknown } = project_env {
        for (name, value) in values {
            known.entry(name.clone()).or_insert_with(|| value.clone());
        }
        withheld = unknown
            .iter()
            .filter(|n| !known.contains_key(*n))
            .cloned()
            .collect();
    } else if let Some(first) = files.first() {
        let project_dir = Path::new(first).parent().unwrap_or(Path::new(""));
        let dotenv_path = project_dir.join(".env");
        let shown = dotenv_path.to_string_lossy().replace('\\', "/");
        if dir.join(&dotenv_path).is_file() {
            let text = super::read_text(&dir.join(&dotenv_path), &shown)?;
            // Interpolation needs the real values, so this reads them locally and keeps none.
            for (name, value) in dotenv::raw_values(&shown, &text)? {
                known.entry(name).or_insert(value);
            }
        }
    }
    let mut known = Vars::new(known);
    known.withheld = withheld;
    let mut project = Project::default();
    let mut problems = Vec::new();
    let mut cache: HashMap<String, Option<FileServices>> = HashMap::new();
    for file in files {
        let Some(names) = load_services(dir, file, &known, &mut cache, &mut problems)? else {
            continue;
        };
        let mut resolved = Vec::with_capacity(names.len());
        for name in names {
            let mut chain = Vec::new();
            let mut extended = Vec::new();
            if let Some(service) = resolve(
                dir,
                &known,
                &mut cache,
                file,
                &name,
                &mut chain,
                &mut extended,
                &mut problems,
            )? {
                resolved.push(service);
            }
            for f in extended {
                if !files.contains(&f) && !project.extended.contains(&f) {
                    project.extended.push(f);
                }
            }
        }
        merge(&mut project, resolved);
    }
    if known.exhausted.get() {
        problems.push(
            Diagnostic::in_file(
                files.first().map_or("docker-compose.yml", String::as_str),
                format!(
                    "interpolation produces more than {} MiB of values (references to large variables repeated many times)",
                    INTERPOLATION_BUDGET >> 20
                ),
            )
            .expected("values whose interpolation stays a realistic size"),
        );
    }
    if problems.is_empty() {
        Ok(project)
    } else {
        Err(InputError::Invalid(problems))
    }
}

/// Parses `file` into the cache (once) and returns its service names in file order.
fn load_services(
    dir: &Path,
    file: &str,
    known: &Vars,
    cache: &mut HashMap<String, Option<FileServices>>,
    problems: &mut Vec<Diagnostic>,
) -> Result<Option<Vec<String>>, InputError> {
    if !cache.contains_key(file) {
        let text = super::read_text(&dir.join(file), file)?;
        let doc = yaml::parse(file, &text, yaml::Limits::default())?;
        let read = doc
            .roots
            .first()
            .and_then(|root| read_file(dir, &doc, root, known, problems));
        cache.insert(file.to_string(), read);
    }
    Ok(cache
        .get(file)
        .and_then(Option::as_ref)
        .map(|f| f.services.iter().map(|s| s.name.clone()).collect()))
}

/// A service with what it `extends` merged under it, as compose resolves it: the base's values
/// unless the service sets its own, settings and ports of both. `chain` holds the services being
/// resolved, to refuse a cycle; `extended` gathers the other files read.
#[allow(clippy::too_many_arguments)]
fn resolve(
    dir: &Path,
    known: &Vars,
    cache: &mut HashMap<String, Option<FileServices>>,
    file: &str,
    name: &str,
    chain: &mut Vec<(String, String, Location)>,
    extended: &mut Vec<String>,
    problems: &mut Vec<Diagnostic>,
) -> Result<Option<Service>, InputError> {
    let Some(file_services) = cache.get(file).and_then(Option::as_ref) else {
        return Ok(None);
    };
    let Some(service) = file_services
        .services
        .iter()
        .find(|s| s.name == name)
        .cloned()
    else {
        return Ok(None);
    };
    let Some(extends) = file_services.extends.get(name).cloned() else {
        return Ok(Some(service));
    };
    if let Some(start) = chain.iter().position(|(f, n, _)| f == file && n == name) {
        let mut steps: Vec<String> = chain[start..]
            .iter()
            .map(|(f, n, _)| format!("{n} ({f})"))
            .collect();
        steps.push(format!("{name} ({file})"));
        problems.push(
            Diagnostic::at(
                chain[start].2.clone(),
                format!("{EXTENDS_CYCLE}: {}", steps.join(" extends ")),
            )
            .expected("a chain of `extends` that ends at a service extending nothing"),
        );
        return Ok(None);
    }
    let base_file = match &extends.file {
        Some(other) => {
            let folder = Path::new(file).parent().unwrap_or(Path::new(""));
            super::join_relative(&folder.to_string_lossy().replace('\\', "/"), other)
        }
        None => file.to_string(),
    };
    if !dir.join(&base_file).is_file() {
        problems.push(
            Diagnostic::at(
                extends.at.clone(),
                format!("`extends` names the file `{base_file}`, which does not exist"),
            )
            .expected("a compose file relative to this one"),
        );
        return Ok(Some(service));
    }
    if base_file != file && !extended.contains(&base_file) {
        extended.push(base_file.clone());
    }
    if load_services(dir, &base_file, known, cache, problems)?.is_none() {
        return Ok(Some(service));
    }
    chain.push((file.to_string(), name.to_string(), extends.at.clone()));
    let base = resolve(
        dir,
        known,
        cache,
        &base_file,
        &extends.service,
        chain,
        extended,
        problems,
    )?;
    chain.pop();
    let Some(mut base) = base else {
        if !is_cycle(problems) {
            problems.push(
                Diagnostic::at(
                    extends.at.clone(),
                    format!(
                        "`extends` names the service `{}`, which `{base_file}` does not define",
                        extends.service
                    ),
                )
                .expected("a service of that file"),
            );
        }
        return Ok(Some(service));
    };
    base.name = service.name.clone();
    base.origin = service.origin.clone();
    let mut project = Project {
        services: vec![base],
        extended: Vec::new(),
    };
    merge(&mut project, vec![service]);
    Ok(project.services.pop())
}

fn read_file(
    dir: &Path,
    doc: &Document,
    root: &Node,
    known: &Vars,
    problems: &mut Vec<Diagnostic>,
) -> Option<FileServices> {
    let Value::Map(entries) = &root.value else {
        problems.push(
            Diagnostic::at(doc.location(root), format!("found {}", root.describe()))
                .expected("a compose file: a mapping with `services`"),
        );
        return None;
    };
    for (key, _) in entries {
        let Some(name) = key.as_str() else { continue };
        if !TOP_LEVEL.contains(&name) && !name.starts_with("x-") {
            let mut d = Diagnostic::at(
                doc.location(key),
                format!("`{name}` is not a top-level key of a compose file"),
            )
            .expected("services, networks, volumes, secrets, configs, name, or an x- extension");
            if let Some(near) = did_you_mean(name, TOP_LEVEL) {
                d = d.help(format!("did you mean `{near}`?"));
            }
            problems.push(d);
        }
    }
    let Some(services) = root.get("services") else {
        return Some(FileServices {
            services: Vec::new(),
            extends: HashMap::new(),
        });
    };
    let Value::Map(services) = &services.value else {
        problems.push(
            Diagnostic::at(
                doc.location(services),
                format!("`services` is {}", services.describe()),
            )
            .expected("a mapping of service names to services"),
        );
        return None;
    };
    let mut out = Vec::new();
    let mut extends = HashMap::new();
    for (key, node) in services {
        let Some(name) = key.as_str() else { continue };
        if let Some(e) = node.get("extends") {
            match (&e.value, e.get("service").and_then(Node::as_str)) {
                (Value::Scalar(_), _) => {
                    if let Some(service) = e.as_str() {
                        extends.insert(
                            name.to_string(),
                            Extends {
                                service: service.to_string(),
                                file: None,
                                at: doc.location(e),
                            },
                        );
                    }
                }
                (Value::Map(_), Some(service)) => {
                    extends.insert(
                        name.to_string(),
                        Extends {
                            service: service.to_string(),
                            file: e.get("file").and_then(Node::as_str).map(str::to_string),
                            at: doc.location(e),
                        },
                    );
                }
                _ => problems.push(
                    Diagnostic::at(
                        doc.location(e),
                        format!("the `extends` of service `{name}` names no service"),
                    )
                    .expected("`extends: <service>` or `extends: {service: <name>, file: <path>}`"),
                ),
            }
        }
        if node.is_null() {
            out.push(Service {
                name: name.to_string(),
                origin: Some(doc.location(key)),
                ..Service::default()
            });
            continue;
        }
        if !matches!(node.value, Value::Map(_)) {
            problems.push(
                Diagnostic::at(
                    doc.location(node),
                    format!("service `{name}` is {}", node.describe()),
                )
                .expected("a mapping"),
            );
            continue;
        }
        out.push(read_service(dir, doc, name, key, node, known, problems));
    }
    Some(FileServices {
        services: out,
        extends,
    })
}

fn text_of(doc: &Document, node: &Node, known: &Vars) -> Fact<String> {
    let raw = match &node.value {
        Value::Scalar(s) => s.text.to_string(),
        Value::Seq(items) => items
            .iter()
            .filter_map(Node::as_str)
            .map(quote_word)
            .collect::<Vec<_>>()
            .join(" "),
        Value::Map(_) => String::new(),
    };
    Fact::new(
        known.interpolate(&raw).0,
        Origin::Artefact(doc.location(node)),
    )
}

fn quote_word(word: &str) -> String {
    if word.contains(char::is_whitespace) {
        format!("'{word}'")
    } else {
        word.to_string()
    }
}

fn read_service(
    dir: &Path,
    doc: &Document,
    name: &str,
    key: &Node,
    node: &Node,
    known: &Vars,
    problems: &mut Vec<Diagnostic>,
) -> Service {
    let mut service = Service {
        name: name.to_string(),
        origin: Some(doc.location(key)),
        ..Service::default()
    };
    service.image = node.get("image").map(|n| text_of(doc, n, known));
    service.command = node.get("command").map(|n| text_of(doc, n, known));
    service.entrypoint = node.get("entrypoint").map(|n| text_of(doc, n, known));
    service.build = node.get("build").map(|b| match b.get("context") {
        Some(context) => text_of(doc, context, known),
        None if b.as_str().is_some() => text_of(doc, b, known),
        None => Fact::new(".".to_string(), Origin::Artefact(doc.location(b))),
    });
    service.routed = match node.get("labels").map(|l| &l.value) {
        Some(Value::Map(entries)) => entries
            .iter()
            .any(|(k, _)| k.as_str().is_some_and(routing_label)),
        Some(Value::Seq(items)) => items.iter().any(|i| i.as_str().is_some_and(routing_label)),
        _ => false,
    };
    service.build_target = node
        .get("build")
        .and_then(|b| b.get("target"))
        .map(|t| text_of(doc, t, known));
    let replicas = node
        .get("deploy")
        .and_then(|d| d.get("replicas"))
        .or_else(|| node.get("scale"));
    if let Some(r) = replicas {
        let text = known.interpolate(r.as_str().unwrap_or_default()).0;
        match text.parse::<u32>() {
            Ok(n) => service.replicas = Some(Fact::new(n, Origin::Artefact(doc.location(r)))),
            Err(_) if text.contains("${") => {}
            Err(_) => problems.push(
                Diagnostic::at(doc.location(r), format!("`{text}` is not a replica count"))
                    .expected("a whole number"),
            ),
        }
    }
    let restart = node.get("restart").or_else(|| {
        node.get("deploy")
            .and_then(|d| d.get("restart_policy"))
            .and_then(|p| p.get("condition"))
    });
    if let Some(r) = restart {
        if let Some(text) = r.as_str() {
            service.restart = Some(Fact::new(
                text.to_ascii_lowercase(),
                Origin::Artefact(doc.location(r)),
            ));
        }
    }
    if let Some(h) = node.get("healthcheck") {
        service.healthcheck = Some(doc.location(h));
    }
    // env_file first: `environment` overrides it, as in compose.
    if let Some(files) = node.get("env_file") {
        let base = Path::new(&*doc.path).parent().unwrap_or(Path::new(""));
        let listed: Vec<&Node> = match &files.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![files],
        };
        for item in listed {
            let path_node = item.get("path").unwrap_or(item);
            let required = item.get("required").and_then(Node::as_str) != Some("false");
            let Some(written) = path_node.as_str() else {
                continue;
            };
            // Compose interpolates the path as any other value, from the project's `.env` and
            // the shell; a variable only the shell gives leaves the file unknown, not missing.
            let (rel, literal) = known.interpolate(written);
            if rel != literal {
                service.unread_env_files.push(UnreadEnvFile {
                    written: written.to_string(),
                    unknown: known.unknown_in(written),
                    at: doc.location(path_node),
                });
                continue;
            }
            let path = base.join(&rel).to_string_lossy().replace('\\', "/");
            if !dir.join(&path).is_file() {
                // `docker compose` stops on a missing env_file unless it is `required: false`.
                if required {
                    let shown = if rel == written {
                        format!("the env_file `{path}` does not exist")
                    } else {
                        format!("the env_file `{written}` (`{path}`) does not exist")
                    };
                    problems.push(
                        Diagnostic::at(doc.location(path_node), shown)
                            .expected("a file relative to the compose file")
                            .help("docker compose stops on a missing env_file; `required: false` (long syntax) lets it start without one"),
                    );
                }
                continue;
            }
            match super::read_text(&dir.join(&path), &path).and_then(|t| dotenv::parse(&path, &t)) {
                Ok(settings) => service.settings.extend(settings),
                Err(InputError::Invalid(d)) => problems.extend(d),
                Err(InputError::Io { path, source }) => {
                    problems.push(Diagnostic::in_file(&path, format!("cannot read: {source}")))
                }
            }
        }
    }
    if let Some(env) = node.get("environment") {
        read_environment(doc, env, known, &mut service.settings);
    }
    if let Some(ports) = node.get("ports") {
        if let Value::Seq(items) = &ports.value {
            for item in items {
                match published(item, known) {
                    Ok(Some(p)) => service
                        .ports
                        .push(Fact::new(p, Origin::Artefact(doc.location(item)))),
                    Ok(None) => {}
                    Err(why) => problems.push(
                        Diagnostic::at(doc.location(item), why)
                            .expected("HOST_IP:HOST:CONTAINER, HOST:CONTAINER or CONTAINER"),
                    ),
                }
            }
        }
    }
    service
}

fn read_environment(doc: &Document, env: &Node, known: &Vars, out: &mut Vec<Setting>) {
    let mut add = |name: &str, value: Option<&str>, at: &Node| {
        let setting_value = match value {
            // `- KEY` or `KEY:` takes the value from the shell running compose: unknown here.
            None => SettingValue::Reference,
            Some(raw) => {
                let (value, literal) = known.interpolate(raw);
                dotenv::classify(name, &value, &literal)
            }
        };
        out.push(Setting {
            name: name.to_string(),
            value: setting_value,
            origin: Origin::Artefact(doc.location(at)),
        });
    };
    match &env.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                if let Some(name) = k.as_str() {
                    let value = (!v.is_null()).then(|| v.as_str().unwrap_or_default());
                    add(name, value, k);
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                if let Some(text) = item.as_str() {
                    match text.split_once('=') {
                        Some((name, value)) => add(name, Some(value), item),
                        None => add(text, None, item),
                    }
                }
            }
        }
        Value::Scalar(_) => {}
    }
}

/// The host side of a port mapping: (interface, port), or `None` when nothing is published.
fn published(item: &Node, known: &Vars) -> Result<Option<(String, u16)>, String> {
    if let Value::Map(_) = item.value {
        let Some(target) = item.get("target") else {
            return Err("a long-syntax port needs `target`".into());
        };
        let port_text = item
            .get("published")
            .or(Some(target))
            .and_then(Node::as_str)
            .unwrap_or_default();
        let host_ip = item
            .get("host_ip")
            .and_then(Node::as_str)
            .unwrap_or("0.0.0.0");
        let port = first_port(&known.interpolate(port_text).0)?;
        return Ok(Some((host_ip.to_string(), port)));
    }
    let text = known.interpolate(item.as_str().unwrap_or_default()).0;
    let without_protocol = text.split('/').next().unwrap_or_default();
    // IPv6 interfaces are bracketed: [::1]:8080:80
    let (interface, rest) = match without_protocol.strip_prefix('[') {
        Some(v6) => match v6.split_once("]:") {
            Some((ip, rest)) => (ip.to_string(), rest.to_string()),
            None => return Err(format!("`{text}` has an unclosed IPv6 address")),
        },
        None => {
            let parts: Vec<&str> = without_protocol.split(':').collect();
            match parts.as_slice() {
                [_container] => ("0.0.0.0".to_string(), without_protocol.to_string()),
                [_, _] => ("0.0.0.0".to_string(), without_protocol.to_string()),
                [ip, host, container] => (ip.to_string(), format!("{host}:{container}")),
                _ => return Err(format!("`{text}` is not a port mapping")),
            }
        }
    };
    let host = rest.split(':').next().unwrap_or_default();
    if host.contains("${") {
        return Ok(None);
    }
    let interface = if interface.is_empty() {
        "0.0.0.0".to_string()
    } else {
        interface
    };
    Ok(Some((interface, first_port(host)?)))
}

fn first_port(text: &str) -> Result<u16, String> {
    let first = text.split('-').next().unwrap_or_default().trim();
    first
        .parse::<u16>()
        .map_err(|_| format!("`{text}` is not a port"))
}

/// The most interpolation may produce across one project's files: every value is kept in the
/// model, so a file that repeats a large variable many times must stop, not fill memory.
const INTERPOLATION_BUDGET: usize = 16 << 20;

/// The variables a project interpolates with, and what its interpolation has produced so far.
struct Vars {
    values: HashMap<String, String>,
    /// Variables set to values liftoff cannot know: their defaults are not assumed.
    withheld: Vec<String>,
    spent: std::cell::Cell<usize>,
    exhausted: std::cell::Cell<bool>,
}

impl Vars {
    fn new(values: HashMap<String, String>) -> Vars {
        Vars {
            values,
            withheld: Vec::new(),
            spent: std::cell::Cell::new(0),
            exhausted: std::cell::Cell::new(false),
        }
    }

    /// [`interpolate`], charged to the budget; once it is spent, values stay as written (and
    /// `read` reports the file).
    fn interpolate(&self, text: &str) -> (String, String) {
        if self.exhausted.get() {
            return (text.to_string(), text.to_string());
        }
        let (value, literal) = if self.withheld.is_empty() {
            interpolate(text, &self.values)
        } else {
            interpolate(&withhold_defaults(text, &self.withheld), &self.values)
        };
        let spent = self.spent.get() + value.len() + literal.len();
        self.spent.set(spent);
        if spent > INTERPOLATION_BUDGET {
            self.exhausted.set(true);
            return (text.to_string(), text.to_string());
        }
        (value, literal)
    }

    /// The variables `text` refers to (`${X}`, `${X:-d}`, `$X`; not `$$`) that are unknown here.
    fn unknown_in(&self, text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            let after = &rest[at + 1..];
            if let Some(escaped) = after.strip_prefix('$') {
                rest = escaped;
                continue;
            }
            let braced = after.strip_prefix('{');
            let name_text = braced.unwrap_or(after);
            let len = name_text
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(name_text.len());
            let name = &name_text[..len];
            let after_name = &name_text[len..];
            // `${X:-d}` and `${X-d}` fall back to their default: X is not needed.
            let defaulted =
                braced.is_some() && (after_name.starts_with(":-") || after_name.starts_with('-'));
            let withheld = self.withheld.iter().any(|w| w == name);
            if !name.is_empty()
                && (!defaulted || withheld)
                && !self.values.contains_key(name)
                && !out.iter().any(|n| n == name)
            {
                out.push(name.to_string());
            }
            rest = after_name;
        }
        out
    }
}

/// Compose interpolation. Returns the value and the value without unresolved references (what
/// the file itself states), as [`dotenv::classify`] needs both.
pub fn interpolate(text: &str, known: &HashMap<String, String>) -> (String, String) {
    // `$$` is a literal dollar; protect it from the expansion shared with .env files.
    let protected = text.replace("$$", "\u{0}");
    let normalised = normalise_required(&protected);
    let (value, literal) = dotenv::expand(&normalised, known);
    (value.replace('\u{0}', "$"), literal.replace('\u{0}', "$"))
}

/// `${X:-d}`, `${X-d}`, `${X:?msg}` and `${X?msg}` of a `withheld` variable become `${X}`: the
/// deployment sets X to a value liftoff cannot know, so the default is not what runs.
fn withhold_defaults(text: &str, withheld: &[String]) -> String {
    bare_references(text, |name, expr| {
        name != expr && withheld.iter().any(|w| w == name)
    })
}

/// `${X:?msg}` and `${X?msg}` behave like `${X}` here: when X is unknown to liftoff it is a
/// reference, because the real deployment may well set it.
fn normalise_required(text: &str) -> String {
    bare_references(text, |_, expr| expr.contains('?'))
}

/// `text` with each `${expr}` for which `bare(name, expr)` holds written `${name}` (its default
/// or message dropped), the rest as written.
fn bare_references(text: &str, bare: impl Fn(&str, &str) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let expr = &after[..end];
        let name = expr.split([':', '-', '?']).next().unwrap_or(expr);
        if bare(name, expr) {
            out.push_str("${");
            out.push_str(name);
            out.push('}');
        } else {
            out.push_str(&rest[start..start + 2 + end + 1]);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn merge(project: &mut Project, services: Vec<Service>) {
    for service in services {
        match project.services.iter_mut().find(|s| s.name == service.name) {
            None => project.services.push(service),
            Some(existing) => {
                existing.image = service.image.or(existing.image.take());
                existing.command = service.command.or(existing.command.take());
                existing.replicas = service.replicas.or(existing.replicas.take());
                existing.healthcheck = service.healthcheck.or(existing.healthcheck.take());
                existing.restart = service.restart.or(existing.restart.take());
                existing.entrypoint = service.entrypoint.or(existing.entrypoint.take());
                existing.build = service.build.or(existing.build.take());
                existing.build_target = service.build_target.or(existing.build_target.take());
                existing.routed |= service.routed;
                existing.unread_env_files.extend(service.unread_env_files);
                // Later settings win by name; `Environment::setting` reads the last one.
                existing.settings.extend(service.settings);
                existing.ports.extend(service.ports);
            }
        }
    }
}

/// The web-server worker count a command starts: gunicorn / hypercorn `-w N` or `--workers N`,
/// uvicorn `--workers N`.
pub fn workers(command: &str) -> Option<u32> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let server = words
        .iter()
        .any(|w| w.ends_with("gunicorn") || w.ends_with("hypercorn") || w.ends_with("uvicorn"));
    if !server {
        return None;
    }
    for (i, word) in words.iter().enumerate() {
        if let Some(n) = word
            .strip_prefix("--workers=")
            .or_else(|| word.strip_prefix("-w").filter(|n| !n.is_empty()))
        {
            return n.parse().ok();
        }
        if matches!(*word, "-w" | "--workers") {
            return words.get(i + 1).and_then(|n| n.parse().ok());
        }
    }
    // Each of these starts one worker unless told otherwise.
    Some(1)
}

/// Development servers by a word of the command that starts them.
const DEV_SERVERS: [(&str, &str); 7] = [
    ("runserver", "Django's development server"),
    ("flask run", "Flask's development server"),
    ("npm run dev", "a development build"),
    ("yarn dev", "a development build"),
    ("nodemon", "nodemon"),
    ("--reload", "an auto-reloading server"),
    ("rails server -e development", "Rails in development"),
];

/// Whether a command runs a development server.
pub fn dev_server(command: &str) -> Option<&'static str> {
    let lower = command.to_ascii_lowercase();
    DEV_SERVERS
        .into_iter()
        .find(|(marker, _)| lower.contains(marker))
        .map(|(_, what)| what)
}

/// A shell test a command's development server runs under: `if [ "$DEBUG" = "1" ]; then
/// python manage.py runserver …; else hypercorn …; fi`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellCondition {
    /// The condition as written (`[ "$DEBUG" = "1" ]`).
    pub text: String,
    pub variable: String,
    pub value: String,
    /// The dev server is in the `else` branch: it runs when the test fails.
    pub negated: bool,
}

/// The condition a command's development server is behind, when it is behind one.
pub fn dev_server_condition(command: &str) -> Option<ShellCondition> {
    let lower = command.to_ascii_lowercase();
    let marker = DEV_SERVERS.into_iter().find_map(|(m, _)| lower.find(m))?;
    let start = lower[..marker].rfind("if ")?;
    let then = start + lower[start..].find("then")?;
    if then > marker {
        return None;
    }
    let branch = &lower[then..marker];
    let negated = branch.contains("else");
    if branch.contains("fi\n") || branch.contains("fi;") || branch.contains("elif") {
        return None;
    }
    let text = command[start + 3..then]
        .trim()
        .trim_end_matches(';')
        .trim()
        .to_string();
    let words: Vec<&str> = text
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split_whitespace()
        .map(|w| w.trim_matches('"').trim_matches('\''))
        .collect();
    let (variable, op, value) = match words.as_slice() {
        [var, op, value] => (*var, *op, *value),
        _ => return None,
    };
    let variable = variable
        .trim_start_matches('$')
        .trim_start_matches('{')
        .trim_end_matches('}');
    let negated = match op {
        "=" | "==" => negated,
        "!=" => !negated,
        _ => return None,
    };
    if variable.is_empty() {
        return None;
    }
    let (variable, value) = (variable.to_string(), value.to_string());
    Some(ShellCondition {
        text,
        variable,
        value,
        negated,
    })
}

/// Programs that talk to a data store and exit: a service whose command runs one is a job.
const CLIENTS: [&str; 16] = [
    "mongosh",
    "mongo",
    "psql",
    "pg_dump",
    "pg_restore",
    "pg_isready",
    "redis-cli",
    "mysql",
    "mysqldump",
    "mysqladmin",
    "mongodump",
    "mongorestore",
    "curl",
    "wget",
    "elasticdump",
    "mc",
];

/// Server programs and what they make a service.
const SERVERS: [(&str, crate::model::ComponentKind); 9] = [
    ("mongod", crate::model::ComponentKind::Database),
    ("postgres", crate::model::ComponentKind::Database),
    ("mysqld", crate::model::ComponentKind::Database),
    ("mariadbd", crate::model::ComponentKind::Database),
    ("redis-server", crate::model::ComponentKind::Cache),
    ("valkey-server", crate::model::ComponentKind::Cache),
    ("memcached", crate::model::ComponentKind::Cache),
    ("rabbitmq-server", crate::model::ComponentKind::Queue),
    ("elasticsearch", crate::model::ComponentKind::Search),
];

/// Observability tools: they watch the service and serve no user.
const MONITORING: [&str; 31] = [
    "flower",
    "celery-flower",
    "uptime-kuma",
    "netdata",
    "dozzle",
    "telegraf",
    "statsd",
    "graphite",
    "victoriametrics",
    "tempo",
    "mimir",
    "elastalert",
    "zipkin",
    "prometheus",
    "grafana",
    "kibana",
    "apm-server",
    "alertmanager",
    "node-exporter",
    "cadvisor",
    "metricbeat",
    "filebeat",
    "heartbeat",
    "logstash",
    "fluentd",
    "fluent-bit",
    "jaeger",
    "otel-collector",
    "opentelemetry-collector",
    "loki",
    "promtail",
];

/// Administration tools: web consoles onto a data store or the host, for operators only.
const ADMIN: [&str; 11] = [
    "pgadmin",
    "pgadmin4",
    "adminer",
    "phpmyadmin",
    "mongo-express",
    "redis-commander",
    "redisinsight",
    "portainer",
    "kafka-ui",
    "kafdrop",
    "cloudbeaver",
];

/// The programs a command runs, in order: through `sh -c "a && b"`, `exec`, and leading
/// `VAR=value` assignments.
fn programs(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let words: Vec<&str> = command.split_whitespace().collect();
    let shell = matches!(
        words.first().map(|w| w.rsplit('/').next().unwrap_or(w)),
        Some("sh" | "bash" | "ash")
    ) && words.get(1) == Some(&"-c");
    let body = if shell {
        words[2..].join(" ")
    } else {
        command.to_string()
    };
    for part in body.split(['&', ';', '|', '\n']) {
        let mut words = part
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '\'' || c == '"'))
            .filter(|w| !w.is_empty() && !w.contains('=') && *w != "exec");
        if let Some(first) = words.next() {
            out.push(first.rsplit('/').next().unwrap_or(first).to_string());
        }
    }
    out
}

/// Whether a service runs once and exits: compose never restarts it (`restart: "no"`, swarm's
/// `condition: none`), or it only runs clients or scripts against a data store image.
pub fn runs_once(service: &Service) -> bool {
    let restart = service.restart.as_ref().map(|r| r.value.as_str());
    if matches!(restart, Some("no" | "none")) {
        return true;
    }
    // What runs is the entrypoint, then the command (its arguments, or the whole program when
    // the image's entrypoint is a shell).
    let run: Vec<&str> = [&service.entrypoint, &service.command]
        .into_iter()
        .flatten()
        .map(|f| f.value.as_str())
        .collect();
    if run.is_empty() {
        return false;
    }
    let command = run.join(" ; ").to_ascii_lowercase();
    let programs = programs(&command);
    if programs.iter().any(|p| SERVERS.iter().any(|(s, _)| p == s)) {
        return false;
    }
    if programs
        .first()
        .is_some_and(|p| CLIENTS.contains(&p.as_str()))
    {
        return true;
    }
    // A data store's image running a script and no server: the image is there for its tools.
    let scripted = programs.iter().any(|p| {
        matches!(p.as_str(), "bash" | "sh" | "python" | "python3" | "node") || p.ends_with(".sh")
    });
    let store_image = service.image.as_ref().is_some_and(|i| {
        let repo = i.value.to_ascii_lowercase();
        [
            "mongo",
            "postgres",
            "mysql",
            "mariadb",
            "redis",
            "elasticsearch",
            "minio/mc",
            "curlimages/curl",
        ]
        .iter()
        .any(|m| repo.rsplit('/').next().unwrap_or(&repo).starts_with(m) || repo.starts_with(m))
    });
    scripted && store_image && matches!(restart, None | Some("on-failure"))
}

/// The component kind a service's command, image and name suggest.
pub fn kind_of(service: &Service) -> crate::model::ComponentKind {
    use crate::model::ComponentKind as K;
    if runs_once(service) {
        return K::Job;
    }
    // What the command starts decides: `mongod --replSet rs0` is a database whatever the image.
    if let Some(command) = &service.command {
        let lower = command.value.to_ascii_lowercase();
        if let Some((_, kind)) = programs(&lower)
            .iter()
            .find_map(|p| SERVERS.iter().find(|(s, _)| p == s))
        {
            return *kind;
        }
    }
    let named = |text: &str| {
        text.ends_with("-exporter")
            || text.ends_with("_exporter")
            || MONITORING.iter().any(|m| {
                text == *m
                    || text.starts_with(&format!("{m}-"))
                    || text.starts_with(&format!("{m}:"))
            })
    };
    let image = lower_image(service);
    // A service built here (`build:`) names its image for the local build: its name says more.
    let by_name = image.is_empty() || service.build.is_some();
    let name = service.name.to_ascii_lowercase();
    let admin = |text: &str| {
        ADMIN.iter().any(|m| {
            text == *m || text.starts_with(&format!("{m}-")) || text.starts_with(&format!("{m}:"))
        })
    };
    if admin(&repository_of(&image)) || (by_name && admin(&name)) {
        return K::Admin;
    }
    // `celery -A app flower` is Celery's monitoring UI, not a worker.
    let flower = service.command.as_ref().is_some_and(|c| {
        let lower = c.value.to_ascii_lowercase();
        lower.split_whitespace().any(|w| w == "flower")
    });
    if flower || named(&repository_of(&image)) || (by_name && named(&name)) {
        return K::Monitoring;
    }
    kind_from_image(service)
}

/// A service's image reference in lower case (empty when it has none).
fn lower_image(service: &Service) -> String {
    service
        .image
        .as_ref()
        .map(|i| i.value.to_ascii_lowercase())
        .unwrap_or_default()
}

/// The repository part of an image reference: `redis` for `docker.io/library/redis:7@sha256:…`.
fn repository_of(image: &str) -> String {
    image
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .split([':', '@'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The kind of service the repository part of an image names (`postgres`, `redis-stack`), when
/// it is a well-known program: a store, a queue, a proxy or a worker.
fn image_kind(repository: &str, mssql: bool) -> Option<crate::model::ComponentKind> {
    use crate::model::ComponentKind as K;
    let table: [(&[&str], K); 7] = [
        (
            &[
                "postgres",
                "postgis",
                "mysql",
                "mariadb",
                "mongo",
                "mssql",
                "server",
                "oracle",
                "cockroach",
                "timescaledb",
                "influxdb",
                // Key-value and wide-column stores: data kept, not a web tier. (Consul is left
                // out: the same image runs its client agents, which keep nothing.)
                "etcd",
                "zookeeper",
                "cassandra",
                "scylla",
                "couchdb",
                "neo4j",
                "clickhouse",
            ],
            K::Database,
        ),
        (&["redis", "memcached", "valkey", "keydb"], K::Cache),
        (&["rabbitmq", "kafka", "nats", "activemq"], K::Queue),
        (
            &["elasticsearch", "opensearch", "solr", "meilisearch"],
            K::Search,
        ),
        (
            &["nginx", "traefik", "haproxy", "caddy", "envoy"],
            K::LoadBalancer,
        ),
        (&["minio"], K::Storage),
        (&["celery", "sidekiq", "worker"], K::Worker),
    ];
    for (markers, kind) in table {
        if markers.iter().any(|m| {
            repository == *m
                || repository.starts_with(&format!("{m}-"))
                || (*m == "server" && mssql)
        }) {
            return Some(kind);
        }
    }
    None
}

/// Whether `image` is a data store, cache, queue or search engine of its own (`postgres:16`,
/// `redis`, `rabbitmq:3-management`): what an application keeps its data in, not the
/// application.
pub fn backing_service_image(image: &str) -> bool {
    use crate::model::ComponentKind as K;
    let image = image.to_ascii_lowercase();
    let repository = repository_of(&image);
    let mssql = image.contains("mssql");
    // `mcr.microsoft.com/mssql/server` is SQL Server; any other `…/server` is someone's program.
    (repository != "server" || mssql)
        && matches!(
            image_kind(&repository, mssql),
            Some(K::Database | K::Cache | K::Queue | K::Search | K::Storage)
        )
}

/// The kind an image (or, with none, the service's name) suggests.
fn kind_from_image(service: &Service) -> crate::model::ComponentKind {
    use crate::model::ComponentKind as K;
    let image = lower_image(service);
    let repository = repository_of(&image);
    let command = service
        .command
        .as_ref()
        .map(|c| c.value.to_ascii_lowercase())
        .unwrap_or_default();
    let name = service.name.to_ascii_lowercase();
    // With no image (it comes from a file fetched at deploy time), the service's name is the
    // best evidence: `mongo1` is a MongoDB member.
    let repository = if image.is_empty() {
        name.trim_end_matches(|c: char| c.is_ascii_digit())
            .to_string()
    } else {
        repository
    };
    if let Some(kind) = image_kind(&repository, image.contains("mssql")) {
        return kind;
    }
    if is_ssh_gateway(service) {
        return K::Admin;
    }
    // A web server command, or a service named for its role, serves HTTP behind the proxy.
    if name == "api" || name.ends_with("-api") {
        return K::Api;
    }
    if workers(&command).is_some() || ["web", "app", "frontend", "site"].contains(&name.as_str()) {
        return K::Web;
    }
    // Whole words only: `--workers 4` belongs to a web server, `celery ... worker` is a worker.
    let worker_words = ["celery", "worker", "sidekiq", "rq", "cron", "crond"];
    if command
        .split_whitespace()
        .any(|w| worker_words.contains(&w))
        || ["worker", "celery", "cron", "scheduler"]
            .iter()
            .any(|m| name.contains(m))
    {
        return K::Worker;
    }
    let proxied = service.routed
        || service
            .settings
            .iter()
            .any(|s| s.name == "VIRTUAL_HOST" && !matches!(s.value, SettingValue::Empty));
    if service.ports.is_empty() && !proxied {
        K::Worker
    } else {
        K::Web
    }
}

/// Ports that carry HTTP(S) by convention.
const HTTP_PORTS: [u16; 4] = [80, 443, 8080, 8443];

/// Whether the service is an SSH gateway (a bastion): its image or name says SSH or bastion, or
/// every port it exposes is SSH's (22), and nothing routes HTTP to it. Being reachable does not
/// make it a web tier: operators pass through it, users' browsers never reach it.
pub fn is_ssh_gateway(service: &Service) -> bool {
    let http = service.routed
        || service
            .ports
            .iter()
            .any(|p| HTTP_PORTS.contains(&p.value.1));
    if http {
        return false;
    }
    let words = |text: &str| -> bool {
        text.split(['-', '_', '.', '/', ':'])
            .any(|w| ["ssh", "sshd", "openssh", "bastion", "jumpbox", "jumphost"].contains(&w))
    };
    let image = lower_image(service);
    let ssh_ports = !service.ports.is_empty() && service.ports.iter().all(|p| p.value.1 == 22);
    ssh_ports || words(&repository_of(&image)) || words(&service.name.to_ascii_lowercase())
}

/// What lets anyone connect to a data store without credentials, judged from its image, command
/// and settings: Redis or Valkey told to drop protected mode or to allow an empty password with
/// none set, MongoDB with neither a root user nor `--auth`, Elasticsearch or OpenSearch with
/// their security switched off. `None` when nothing says it is open.
pub fn open_access(image: &str, command: &str, settings: &[Setting]) -> Option<String> {
    let setting = |name: &str| {
        settings
            .iter()
            .rev()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    };
    let literal = |name: &str| match setting(name).map(|s| &s.value) {
        Some(SettingValue::Literal(v)) => Some(v.to_ascii_lowercase()),
        _ => None,
    };
    let set = |name: &str| setting(name).is_some_and(|s| !matches!(s.value, SettingValue::Empty));
    let repository = repository_of(&image.to_ascii_lowercase());
    let command = command.to_ascii_lowercase();
    let words: Vec<&str> = command.split_whitespace().collect();
    let runs = |program: &str| {
        repository.starts_with(program) || programs(&command).iter().any(|p| p.starts_with(program))
    };
    if runs("redis") || runs("valkey") {
        let password = words.contains(&"--requirepass")
            || ["REDIS_PASSWORD", "VALKEY_PASSWORD", "REDIS_PASSWORD_FILE"]
                .iter()
                .any(|n| set(n));
        if password {
            return None;
        }
        let unprotected = words
            .windows(2)
            .any(|w| w[0] == "--protected-mode" && w[1] == "no");
        if unprotected {
            return Some("it runs with `--protected-mode no` and no password".into());
        }
        if literal("ALLOW_EMPTY_PASSWORD").is_some_and(|v| v == "yes" || v == "true") {
            return Some("`ALLOW_EMPTY_PASSWORD=yes` and no password is set".into());
        }
        return None;
    }
    if repository == "mongo" || repository == "mongodb" || repository.starts_with("mongodb-") {
        let auth = words.iter().any(|w| *w == "--auth" || *w == "--keyfile")
            || [
                "MONGO_INITDB_ROOT_PASSWORD",
                "MONGO_INITDB_ROOT_PASSWORD_FILE",
                "MONGODB_ROOT_PASSWORD",
            ]
            .iter()
            .any(|n| set(n));
        return (!auth).then(|| {
            "MongoDB starts without authentication: no root password and no `--auth`".to_string()
        });
    }
    if runs("elasticsearch") || runs("opensearch") {
        if literal("xpack.security.enabled").is_some_and(|v| v == "false") {
            return Some("`xpack.security.enabled=false` switches authentication off".into());
        }
        if literal("DISABLE_SECURITY_PLUGIN").is_some_and(|v| v == "true")
            || literal("plugins.security.disabled").is_some_and(|v| v == "true")
        {
            return Some("the security plugin is disabled, so no one has to log in".into());
        }
    }
    None
}

/// Whether a label routes HTTP to the service through a reverse proxy (Traefik, caddy-docker-proxy).
fn routing_label(label: &str) -> bool {
    let key = label.split('=').next().unwrap_or(label).trim();
    key.starts_with("traefik.http.routers.") || key == "caddy" || key.starts_with("caddy.")
}

/// The engine (`postgres`) and version (`16.4`) an image names.
pub fn engine_and_version(image: &str) -> (Option<String>, Option<String>) {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let (repo, tag) = match last.split_once(':') {
        Some((r, t)) => (r, Some(t.to_string())),
        None => (last, None),
    };
    let engine = match repo {
        "postgres" | "postgis" | "timescaledb" => Some("postgres"),
        "mysql" => Some("mysql"),
        "mariadb" => Some("mariadb"),
        "mongo" => Some("mongodb"),
        "server" if image.contains("mssql") => Some("sqlserver"),
        "redis" => Some("redis"),
        "elasticsearch" => Some("elasticsearch"),
        "opensearch" => Some("opensearch"),
        "rabbitmq" => Some("rabbitmq"),
        _ => None,
    };
    (engine.map(String::from), tag.filter(|t| t != "latest"))
}

/// Known values of settings for interpolation (literal values only; secrets are not kept).
pub fn known_from(settings: &[Setting]) -> HashMap<String, String> {
    settings
        .iter()
        .filter_map(|s| match &s.value {
            SettingValue::Literal(v) => Some((s.name.clone(), v.clone())),
            SettingValue::Empty => Some((s.name.clone(), String::new())),
            _ => None,
        })
        .collect()
}

/// Whether a published interface can be reached from the internet: not loopback, not a private
/// (RFC 1918) or unique-local IPv6 address such as a VPN interface.
pub fn public_interface(interface: &str) -> bool {
    if interface == "localhost" {
        return false;
    }
    match interface.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            !(ip.is_loopback() || ip.is_private() || ip.is_link_local())
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            !(ip.is_loopback() || (ip.segments()[0] & 0xfe00) == 0xfc00)
        }
        // A host name published on: liftoff cannot tell, so it counts as reachable.
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_on_ssh_alone_is_no_web_tier() {
        use crate::model::ComponentKind as K;
        let service = |name: &str, image: &str, ports: &[u16]| Service {
            name: name.into(),
            image: Some(Fact::new(
                image.into(),
                Origin::Artefact(Location::new("compose.yml", 1, 1)),
            )),
            ports: ports
                .iter()
                .map(|p| {
                    Fact::new(
                        ("0.0.0.0".to_string(), *p),
                        Origin::Artefact(Location::new("compose.yml", 1, 1)),
                    )
                })
                .collect(),
            ..Service::default()
        };
        assert_eq!(
            kind_of(&service(
                "bastion",
                "linuxserver/openssh-server:9.7",
                &[2222]
            )),
            K::Admin
        );
        assert_eq!(
            kind_of(&service("tunnel", "ghcr.io/example/tunnel:1.0", &[22])),
            K::Admin
        );
        assert_eq!(
            kind_of(&service("jump", "ghcr.io/example/bastion:3", &[])),
            K::Admin
        );
        // An HTTP port or a route makes it serve HTTP, whatever it is called.
        assert_eq!(
            kind_of(&service(
                "ssh-portal",
                "ghcr.io/example/portal:1",
                &[22, 443]
            )),
            K::Web
        );
        assert_eq!(
            kind_of(&service("shop", "ghcr.io/example/shop:1", &[3000])),
            K::Web
        );
    }

    /// The variables an `env_file` path needs and nothing in the repository sets: defaults and
    /// `$$` need none.
    #[test]
    fn unknown_variables_of_a_path() {
        let known = Vars::new([("DIR".to_string(), "config".to_string())].into());
        assert_eq!(known.unknown_in("${RUNNER_ENV_FILE}"), ["RUNNER_ENV_FILE"]);
        assert_eq!(known.unknown_in("$DIR/${STAGE}.env"), ["STAGE"]);
        assert_eq!(known.unknown_in("$ENV/$ENV.env"), ["ENV"]);
        assert!(known.unknown_in("${STAGE:-dev}.env").is_empty());
        assert!(known.unknown_in("${STAGE-dev}.env").is_empty());
        assert!(known.unknown_in("$$HOME/app.env").is_empty());
    }

    #[test]
    fn interpolation_follows_the_compose_specification() {
        let known: HashMap<String, String> = [
            ("TAG".to_string(), "1.2".to_string()),
            ("EMPTY".to_string(), String::new()),
        ]
        .into();
        let value = |t: &str| interpolate(t, &known).0;
        assert_eq!(value("app:${TAG}"), "app:1.2");
        assert_eq!(value("app:$TAG"), "app:1.2");
        assert_eq!(value("${EMPTY:-fallback}"), "fallback");
        assert_eq!(value("${EMPTY-fallback}"), "");
        assert_eq!(value("${MISSING-fallback}"), "fallback");
        assert_eq!(value("cost: $$5"), "cost: $5");
        assert_eq!(
            value("${REQUIRED:?set it}"),
            "${REQUIRED}",
            "unknown, not an error"
        );
        assert_eq!(
            value("{{ deploy_placeholder }}"),
            "{{ deploy_placeholder }}"
        );
        assert_eq!(
            interpolate("${REQUIRED:?x}", &known).1,
            "",
            "nothing literal is left"
        );
    }

    #[test]
    fn a_withheld_variable_keeps_no_default() {
        let withheld = vec!["TAG".to_string()];
        assert_eq!(
            withhold_defaults("app:${TAG:-dev} ${PORT:-80} ${TAG-x} ${TAG}", &withheld),
            "app:${TAG} ${PORT:-80} ${TAG} ${TAG}"
        );
        let mut vars = Vars::new(HashMap::new());
        vars.withheld = withheld;
        assert_eq!(vars.interpolate("app:${TAG:-dev}").0, "app:${TAG}");
        assert_eq!(vars.unknown_in("${TAG:-dev}.env"), ["TAG"]);
        assert!(vars.unknown_in("${PORT:-80}").is_empty());
    }

    #[test]
    fn ports_and_their_interfaces() {
        let known = Vars::new(HashMap::new());
        let port = |t: &str| {
            let doc = yaml::parse("c.yml", &format!("- {t}\n"), yaml::Limits::default()).unwrap();
            published(&doc.roots[0].index(0).unwrap().clone(), &known)
        };
        assert_eq!(port("\"8000\"").unwrap(), Some(("0.0.0.0".into(), 8000)));
        assert_eq!(port("\"8080:80\"").unwrap(), Some(("0.0.0.0".into(), 8080)));
        assert_eq!(
            port("\"127.0.0.1:5432:5432\"").unwrap(),
            Some(("127.0.0.1".into(), 5432))
        );
        assert_eq!(
            port("\"[::1]:6379:6379/tcp\"").unwrap(),
            Some(("::1".into(), 6379))
        );
        assert_eq!(
            port("\"9000-9005:9000-9005\"").unwrap(),
            Some(("0.0.0.0".into(), 9000))
        );
        assert!(port("\"1:2:3:4\"").is_err());
        assert!(
            !public_interface("10.8.0.1")
                && !public_interface("127.0.0.1")
                && !public_interface("fd00::1")
        );
        assert!(public_interface("0.0.0.0") && public_interface("203.0.113.7"));
    }

    #[test]
    fn open_data_stores_are_recognised_and_a_password_closes_them() {
        let setting = |name: &str, value: SettingValue| Setting {
            name: name.into(),
            value,
            origin: Origin::Derived {
                from: None,
                how: "test".into(),
            },
        };
        assert!(open_access("redis:7", "redis-server --protected-mode no", &[]).is_some());
        assert_eq!(
            open_access(
                "redis:7",
                "redis-server --protected-mode no",
                &[setting("REDIS_PASSWORD", SettingValue::Reference)]
            ),
            None
        );
        assert_eq!(
            open_access("redis:7", "redis-server", &[]),
            None,
            "nothing says open"
        );
        assert!(open_access("mongo:7", "", &[]).is_some());
        assert_eq!(
            open_access(
                "mongo:7",
                "",
                &[setting("MONGO_INITDB_ROOT_PASSWORD", SettingValue::Secret)]
            ),
            None
        );
        assert_eq!(open_access("mongo:7", "mongod --auth", &[]), None);
        assert!(
            open_access(
                "opensearchproject/opensearch:2",
                "",
                &[setting(
                    "DISABLE_SECURITY_PLUGIN",
                    SettingValue::Literal("true".into())
                )]
            )
            .is_some()
        );
        assert_eq!(open_access("postgres:16", "", &[]), None);
        assert!(routing_label("traefik.http.routers.web.rule=Host(`a`)"));
        assert!(!routing_label("traefik.enable=false"));
    }

    #[test]
    fn commands_reveal_workers_and_dev_servers() {
        assert_eq!(workers("gunicorn app.wsgi --workers 4"), Some(4));
        assert_eq!(workers("hypercorn -w 1 -b 0.0.0.0:8000 app:app"), Some(1));
        assert_eq!(workers("uvicorn app:app --workers=2"), Some(2));
        assert_eq!(workers("hypercorn app:app"), Some(1));
        assert_eq!(workers("celery -A app worker"), None);
        assert_eq!(
            dev_server("python manage.py runserver 0.0.0.0:8000"),
            Some("Django's development server")
        );
        assert_eq!(dev_server("gunicorn app.wsgi"), None);
        assert_eq!(
            engine_and_version("postgres:16.4-alpine"),
            (Some("postgres".into()), Some("16.4-alpine".into()))
        );
        assert_eq!(
            engine_and_version("mcr.microsoft.com/mssql/server:2022-latest")
                .0
                .as_deref(),
            Some("sqlserver")
        );
    }
}
