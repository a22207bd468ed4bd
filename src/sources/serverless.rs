//! serverless.yml (Serverless Framework, AWS provider).
//!
//! Variables are resolved the way the framework resolves them, innermost first: `${self:a.b}` from
//! this file, `${opt:stage}` / `${sls:stage}` from the source's `stage:` option (else the file's
//! `provider.stage`, else the framework's default `dev`), `${env:X}` from the environment's known
//! settings, with `, fallback` values, and `${file(path):address}` from a YAML or JSON file of the
//! repository (whole values too: `functions:` lists of included files, `environment:` blocks).
//! `${ssm:...}`, `${cf:...}`, a JavaScript `${file(...)}` and the like are only known at deploy
//! time: they stay unknown, never an error and never a guess. CloudFormation
//! short tags (`!Ref`, `!Sub`, `!GetAtt`, any other) are kept opaque; `Conditions` built from
//! `!Equals`, `!Not`, `!And`, `!Or` are evaluated so that resources gated to other stages are left out.

pub use super::cloudformation::CfnResource;
use super::cloudformation::{Scalars, read_resource_entries};
use super::yaml::{self, Document, Node, Value};
use crate::diagnostic::{Diagnostic, InputError};
use crate::model::{ApiRoute, Duration, Fact, Location, Origin, Setting};
use std::collections::HashMap;
use std::path::Path;

/// What a serverless.yml describes.
#[derive(Clone, Debug, Default)]
pub struct App {
    pub service: String,
    pub stage: String,
    pub functions: Vec<Function>,
    pub routes: Vec<ApiRoute>,
    /// `provider.tracing`: whether API Gateway or Lambda tracing is on.
    pub tracing: Option<Fact<bool>>,
    /// A `provider.tracing` switch the framework resolves only at deploy (`${ssm:/x}`), with its
    /// text, when no other switch turns tracing on.
    pub tracing_unresolved: Option<Fact<String>>,
    pub settings: Vec<Setting>,
    pub canaries: Vec<(Option<Duration>, Location)>,
    /// Alarm kinds (`5xx`, `canary`, `dlq`) with where they are defined.
    pub alarms: Vec<Fact<String>>,
    /// Queues and topics: (logical id, has a dead-letter queue, location).
    pub queues: Vec<(String, bool, Location)>,
    /// The managed product each queue or topic is (`Amazon SQS`, `Amazon SNS`), by logical id.
    pub queue_products: Vec<(String, &'static str)>,
    /// Where `provider` is written: a missing provider-wide setting points there.
    pub provider: Option<Location>,
    /// CloudFormation resources that sit in the team's VPC (`AWS::RDS::DBInstance`), by product.
    pub in_vpc: Vec<(&'static str, Location)>,
    /// CloudFormation resources that are machines of the team's own (`AWS::EC2::Instance`).
    pub machines: Vec<Location>,
    /// Files the service reads through `${file(...)}`, in order.
    pub included: Vec<String>,
    /// The CloudFormation resources of `resources.Resources` that exist for this stage, for the
    /// provider mapping to read as the resources they create.
    pub cloudformation: Vec<CfnResource>,
}

impl App {
    /// Adds what a template's resources tell (`resources:` here, or a SAM template's).
    pub(crate) fn absorb(&mut self, read: super::cloudformation::Read) {
        self.cloudformation.extend(read.cloudformation);
        self.canaries.extend(read.canaries);
        self.alarms.extend(read.alarms);
        self.in_vpc.extend(read.in_vpc);
        self.machines.extend(read.machines);
        self.queues.extend(read.queues);
        self.queue_products.extend(read.queue_products);
    }
}

/// A function and whether anyone may invoke it directly.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    pub location: Location,
    /// A function URL without IAM authorisation.
    pub public_url: Option<Location>,
    pub settings: Vec<Setting>,
    /// How the framework packages it: a container image (`image: <uri>` or
    /// `image: {name: x}` naming `provider.ecr.images.x.uri`), else a zip for a managed runtime.
    pub package: Package,
    /// `logRetentionInDays` of the function, else of the provider; `None` when neither sets it
    /// (the framework then creates a log group that never expires).
    pub log_retention_days: Option<Fact<u32>>,
    /// The function sets `logRetentionInDays` itself (else it is the provider's, or nobody's).
    pub own_log_retention: bool,
    /// `logRetentionInDays` is written, but its value is unknown until deploy.
    pub log_retention_unresolved: bool,
    /// Where the function is attached to a VPC (its own `vpc`, else the provider's).
    pub vpc: Option<Location>,
    /// With no retention: what keeps its logs forever, as its deploying tool says it (`None`:
    /// the framework's log group without `logRetentionInDays`).
    pub when_unset: Option<String>,
}

/// What AWS runs for a function.
#[derive(Clone, Debug)]
pub enum Package {
    /// A container image: its URI (judged by its tag), or `None` when it is built by the
    /// framework from a local Dockerfile (`provider.ecr.images.x.path`) and pushed by digest.
    Image(Option<Fact<String>>),
    /// A zip archive on a managed runtime (`nodejs20.x`, `dotnet8`), when one is named.
    Zip(Option<Fact<String>>),
}

const UNKNOWN: char = '\u{1}';

/// The stage of a deploy whose `--stage` comes from outside the repository (a CI variable):
/// every value that depends on it is unknown, never read for a guessed stage.
pub const UNKNOWN_STAGE: &str = "\u{1}stage\u{1}";

struct Resolver<'a> {
    root: &'a Node,
    stage: String,
    env: &'a HashMap<String, String>,
    /// The repository and the service file, which `${file(...)}` paths are relative to; `None`
    /// where files are not read.
    service: Option<(&'a Path, &'a str)>,
    /// The files `${file(...)}` read, in order.
    included: std::cell::RefCell<Vec<String>>,
    /// References the framework would refuse (a missing file, a path out of the repository).
    problems: std::cell::RefCell<Vec<Diagnostic>>,
}

/// What a refused `${file(...)}` path should be instead.
const INSIDE_REPOSITORY: &str = "a path relative to the serverless.yml, inside the repository";

/// The most `${file(...)}` references followed one inside another: real services nest one or
/// two; a file including itself stops here.
const MAX_INCLUDE_DEPTH: usize = 8;

/// What a `${file(path):address}` reference gives.
enum Include {
    /// The node at the address, and the file it is written in.
    Found(Document, Node),
    /// No such file or no such address: the framework takes the fallback, or refuses.
    Missing(String),
    /// Known only when the framework runs (a JavaScript file, a path built from an unknown
    /// value).
    Unknown,
    /// A path liftoff does not follow (out of the repository), with why.
    Refused(String),
}

impl Scalars for Resolver<'_> {
    fn text(&self, node: &Node) -> Option<String> {
        Resolver::text(self, node)
    }
}

impl Resolver<'_> {
    fn lookup(&self, path: &str) -> Option<&Node> {
        path.split('.').try_fold(self.root, |node, key| {
            node.get(key)
                .or_else(|| key.parse::<usize>().ok().and_then(|i| node.index(i)))
        })
    }

    /// Resolves every variable in `text`; `None` when any stays unknown.
    fn resolve(&self, text: &str, depth: usize) -> Option<String> {
        let mut current = text.to_string();
        for _ in 0..64 {
            let Some(close) = current.find('}') else {
                break;
            };
            let Some(open) = current[..close].rfind("${") else {
                break;
            };
            let expr = current[open + 2..close].to_string();
            let value = self
                .expression(&expr, depth)
                .unwrap_or_else(|| format!("{UNKNOWN}{expr}{UNKNOWN}"));
            current.replace_range(open..=close, &value);
        }
        (!current.contains(UNKNOWN)).then_some(current)
    }

    fn expression(&self, expr: &str, depth: usize) -> Option<String> {
        if depth > 16 {
            return None;
        }
        let (main, fallback) = match split_fallback(expr) {
            Some((m, f)) => (m.trim(), Some(f.trim())),
            None => (expr.trim(), None),
        };
        // A reference built from an unknown value (`custom.x.${sls:stage}` for a stage a CI
        // variable sets) could name anything: its fallback is not its value.
        if main.contains(UNKNOWN) {
            return None;
        }
        let value = if let Some(path) = main.strip_prefix("self:") {
            self.lookup(path)
                .and_then(|n| n.as_str())
                .and_then(|t| self.resolve(t, depth + 1))
        } else if main == "opt:stage" || main == "sls:stage" {
            Some(self.stage.clone())
        } else if let Some(name) = main.strip_prefix("param:") {
            // v3 parameters: the stage's own, else `default`'s (dashboard ones are not here).
            let params = self.root.get("params");
            [self.stage.as_str(), "default"]
                .iter()
                .find_map(|stage| params.and_then(|p| p.get(stage)).and_then(|p| p.get(name)))
                .and_then(|n| n.as_str())
                .and_then(|t| self.resolve(t, depth + 1))
        } else if let Some(name) = main.strip_prefix("env:") {
            // The deploying process's environment decides (a CI job sets it from its secrets,
            // a shell exports it): its fallback is the value only where the variable is unset,
            // which the files cannot tell. Unknown, unless an environment file read for this
            // environment sets it.
            return self.env.get(name).cloned();
        } else if main.starts_with("file(") {
            match self.include(main, depth) {
                Include::Found(_, node) => node.as_str().and_then(|t| self.resolve(t, depth + 1)),
                Include::Refused(why) => {
                    if let Some((_, service)) = self.service {
                        self.problems
                            .borrow_mut()
                            .push(Diagnostic::in_file(service, why).expected(INSIDE_REPOSITORY));
                    }
                    None
                }
                Include::Missing(_) | Include::Unknown => None,
            }
        } else {
            None
        };
        value.or_else(|| {
            let fallback = fallback?;
            let unquoted = fallback.trim_matches(|c| c == '\'' || c == '"');
            if unquoted.starts_with("self:")
                || unquoted.starts_with("opt:")
                || unquoted.starts_with("env:")
                || unquoted.starts_with("sls:")
            {
                self.expression(unquoted, depth + 1)
            } else {
                Some(unquoted.to_string())
            }
        })
    }

    fn text(&self, node: &Node) -> Option<String> {
        match &node.value {
            Value::Scalar(s) if s.tag.is_none() => self.resolve(&s.text, 0),
            _ => None,
        }
    }

    /// Reads `file(path)` or `file(path):a.b` (variables inside already resolved) as the
    /// framework does: the path relative to the service file's folder, YAML or JSON parsed, the
    /// address followed key by key.
    fn include(&self, main: &str, depth: usize) -> Include {
        let Some((dir, service)) = self.service else {
            return Include::Unknown;
        };
        if depth > MAX_INCLUDE_DEPTH || main.contains(UNKNOWN) {
            return Include::Unknown;
        }
        let Some(rest) = main.strip_prefix("file(") else {
            return Include::Unknown;
        };
        let Some((path, after)) = rest.split_once(')') else {
            return Include::Unknown;
        };
        let path = path.trim().trim_matches(|c| c == '\'' || c == '"');
        let address = after.trim().strip_prefix(':').map(str::trim);
        let folder = service.rsplit_once('/').map_or("", |(f, _)| f);
        let Some(rel) = within_repository(folder, path) else {
            return Include::Refused(format!(
                "`${{file({path})}}` names a file outside the repository"
            ));
        };
        let lower = rel.to_ascii_lowercase();
        if !(lower.ends_with(".yml") || lower.ends_with(".yaml") || lower.ends_with(".json")) {
            // JavaScript runs when the framework does; other text is not structure.
            return Include::Unknown;
        }
        let full = dir.join(&rel);
        if !full.is_file() {
            return Include::Missing(format!("there is no file {rel}"));
        }
        // A link may lead out of the repository: what it leads to is not this repository's.
        if let (Ok(real), Ok(top)) = (full.canonicalize(), dir.canonicalize()) {
            if !real.starts_with(&top) {
                return Include::Refused(format!(
                    "`${{file({path})}}` is a link to a file outside the repository"
                ));
            }
        }
        let doc = match super::read_text(&full, &rel)
            .and_then(|text| yaml::parse(&rel, &text, yaml::Limits::default()))
        {
            Ok(doc) => doc,
            Err(InputError::Invalid(d)) => {
                self.problems.borrow_mut().extend(d);
                return Include::Unknown;
            }
            Err(e @ InputError::Io { .. }) => {
                self.problems
                    .borrow_mut()
                    .push(Diagnostic::in_file(&rel, e.to_string()));
                return Include::Unknown;
            }
        };
        {
            let mut included = self.included.borrow_mut();
            if !included.contains(&rel) {
                included.push(rel.clone());
            }
        }
        let Some(mut node) = doc.roots.first().cloned() else {
            return Include::Missing(format!("{rel} is empty"));
        };
        for key in address.into_iter().flat_map(|a| a.split('.')) {
            match node.get(key) {
                Some(next) => node = next.clone(),
                None => {
                    return Include::Missing(format!(
                        "{rel} has no `{}`",
                        address.unwrap_or_default()
                    ));
                }
            }
        }
        let light = Document {
            path: doc.path,
            roots: Vec::new(),
        };
        Include::Found(light, node)
    }

    /// The node a value stands for: itself, or, when it is a whole `${file(...)}` reference,
    /// what the file holds there (followed again when that is a reference too), with the file
    /// it is written in. `None` when the framework would know it only at deploy time, or would
    /// refuse it (then a problem names the reference).
    fn expand(&self, doc: &Document, node: &Node) -> Option<(Document, Node)> {
        let mut current = (
            Document {
                path: doc.path,
                roots: Vec::new(),
            },
            node.clone(),
        );
        for depth in 0..=MAX_INCLUDE_DEPTH {
            let Some(expr) = whole_reference(&current.1) else {
                return Some(current);
            };
            let (main, fallback) = match split_fallback(&expr) {
                Some((m, f)) => (m.trim().to_string(), Some(f.trim().to_string())),
                None => (expr.trim().to_string(), None),
            };
            if !main.starts_with("file(") {
                return Some(current);
            }
            // Variables inside the reference (`${self:provider.stage}`) first.
            let main = self.resolve(&main, depth + 1)?;
            match self.include(&main, depth) {
                Include::Found(doc, node) => current = (doc, node),
                Include::Missing(why) => {
                    let at = current.0.location(&current.1);
                    match fallback {
                        Some(fallback) => {
                            let text = fallback.trim_matches(|c| c == '\'' || c == '"');
                            let node = Node {
                                value: Value::Scalar(yaml::Scalar {
                                    text: text.into(),
                                    plain: false,
                                    tag: None,
                                }),
                                pos: current.1.pos,
                            };
                            return Some((current.0, node));
                        }
                        None => {
                            self.problems.borrow_mut().push(
                                Diagnostic::at(
                                    at,
                                    format!("`${{{main}}}` cannot be resolved: {why}"),
                                )
                                .expected("an existing YAML or JSON file, relative to the serverless.yml, or a fallback (`${file(x.yml):key, ''}`)"),
                            );
                            return None;
                        }
                    }
                }
                Include::Refused(why) => {
                    self.problems.borrow_mut().push(
                        Diagnostic::at(current.0.location(&current.1), why)
                            .expected(INSIDE_REPOSITORY),
                    );
                    return None;
                }
                Include::Unknown => return None,
            }
        }
        self.problems.borrow_mut().push(
            Diagnostic::at(
                doc.location(node),
                format!("`${{file(...)}}` references lead more than {MAX_INCLUDE_DEPTH} files deep (a file that includes itself?)"),
            )
            .expected("a reference that ends in a YAML or JSON value"),
        );
        None
    }
}

/// The expression of a scalar written as one whole `${...}` and nothing else.
fn whole_reference(node: &Node) -> Option<String> {
    let Value::Scalar(s) = &node.value else {
        return None;
    };
    if s.tag.is_some() {
        return None;
    }
    let text = s.text.trim();
    let inner = text.strip_prefix("${")?.strip_suffix('}')?;
    // `${a}-${b}` is text, not one reference: the first `${` must close at the very end.
    let mut depth = 1usize;
    for (i, c) in inner.char_indices() {
        match c {
            '{' if inner[..i].ends_with('$') => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return None;
                }
            }
            _ => {}
        }
    }
    Some(inner.to_string())
}

/// A path written relative to the service file's folder, as a repository path; `None` when it
/// is absolute or leads out of the repository.
pub(crate) fn within_repository(folder: &str, path: &str) -> Option<String> {
    if path.starts_with('/') || path.starts_with('~') || path.contains('\\') {
        return None;
    }
    let mut parts: Vec<&str> = folder
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Splits `expr, fallback` at the top-level comma.
fn split_fallback(expr: &str) -> Option<(&str, &str)> {
    let mut depth = 0;
    for (i, c) in expr.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => return Some((&expr[..i], &expr[i + 1..])),
            _ => {}
        }
    }
    None
}

/// Whether a file is a service's own configuration (`serverless.yml`), not a compose file nor
/// a file a service includes through `${file(...)}`.
pub fn is_service(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    name.starts_with("serverless") && !is_compose(rel)
}

/// Whether a file is a Serverless Framework compose file (`serverless-compose.yml`), which
/// deploys the services of its folders together rather than being one.
pub fn is_compose(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    name == "serverless-compose.yml" || name == "serverless-compose.yaml"
}

/// The service files a serverless compose deploys (`services: {api: {path: api}}`), relative to
/// the repository, as far as they exist.
pub fn compose_services(dir: &Path, rel: &str) -> Result<Vec<String>, InputError> {
    let text = super::read_text(&dir.join(rel), rel)?;
    let doc = yaml::parse(rel, &text, yaml::Limits::default())?;
    let folder = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut out = Vec::new();
    if let Some(Value::Map(services)) = doc
        .roots
        .first()
        .and_then(|r| r.get("services"))
        .map(|s| &s.value)
    {
        for (_, service) in services {
            let Some(path) = service.get("path").and_then(Node::as_str) else {
                continue;
            };
            let base = if folder.is_empty() {
                path.trim_start_matches("./").to_string()
            } else {
                format!("{folder}/{}", path.trim_start_matches("./"))
            };
            let config = service.get("config").and_then(Node::as_str);
            let candidates: Vec<String> = match config {
                Some(c) => vec![format!("{base}/{c}")],
                None => ["serverless.yml", "serverless.yaml"]
                    .iter()
                    .map(|n| format!("{base}/{n}"))
                    .collect(),
            };
            match candidates.into_iter().find(|c| dir.join(c).is_file()) {
                Some(found) => out.push(found),
                None => out.push(format!("{base}/ (no serverless.yml found)")),
            }
        }
    }
    Ok(out)
}

/// The stages a serverless.yml names itself, as spelled, each with where: the keys of v3
/// `params:` (but `default`), a `custom.stages` list or map, and the keys of a `custom` map the
/// file looks up by stage (`${self:custom.domains.${sls:stage}}`).
pub fn declared_stages(dir: &Path, rel: &str) -> Vec<(String, crate::model::Location)> {
    let Ok(text) = super::read_text(&dir.join(rel), rel) else {
        return Vec::new();
    };
    // A file that does not parse is reported by its reader.
    let Ok(doc) = yaml::parse(rel, &text, yaml::Limits::default()) else {
        return Vec::new();
    };
    let Some(root) = doc.roots.first() else {
        return Vec::new();
    };
    let mut out: Vec<(String, crate::model::Location)> = Vec::new();
    let mut add = |name: &str, node: &Node| {
        if name != "default" && !out.iter().any(|(n, _)| n == name) {
            out.push((name.to_string(), doc.location(node)));
        }
    };
    let keys_of = |node: Option<&Node>| -> Vec<(String, Node)> {
        match node.map(|n| &n.value) {
            Some(Value::Map(entries)) => entries
                .iter()
                .filter_map(|(k, _)| k.as_str().map(|s| (s.to_string(), k.clone())))
                .collect(),
            Some(Value::Seq(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(|s| (s.to_string(), i.clone())))
                .collect(),
            _ => Vec::new(),
        }
    };
    for (name, node) in keys_of(root.get("params")) {
        add(&name, &node);
    }
    let custom = root.get("custom");
    for (name, node) in keys_of(custom.and_then(|c| c.get("stages"))) {
        add(&name, &node);
    }
    for marker in [".${sls:stage}", ".${opt:stage}"] {
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${self:custom.") {
            let after = &rest[start + "${self:custom.".len()..];
            rest = after;
            let Some(end) = after.find(marker) else {
                continue;
            };
            let path = &after[..end];
            if path.contains(['$', '{', '}', ' ', ',']) {
                continue;
            }
            let map = path
                .split('.')
                .try_fold(custom, |node, key| node.map(|n| n.get(key)))
                .flatten();
            if let Some(Value::Map(entries)) = map.map(|m| &m.value) {
                for (k, _) in entries {
                    if let Some(name) = k.as_str() {
                        add(name, k);
                    }
                }
            }
        }
    }
    out
}

/// Reads a serverless.yml. `stage` is the source's `stage:` option; `env` the known variables.
pub fn read(
    dir: &Path,
    rel: &str,
    stage: Option<&str>,
    env: &HashMap<String, String>,
) -> Result<App, InputError> {
    let text = super::read_text(&dir.join(rel), rel)?;
    let doc = yaml::parse(rel, &text, yaml::Limits::default())?;
    let Some(root) = doc.roots.first() else {
        return Err(InputError::one(
            Diagnostic::in_file(rel, "the file is empty")
                .expected("a serverless.yml with `service` and `provider`"),
        ));
    };
    if !matches!(root.value, Value::Map(_)) || root.get("provider").is_none() {
        return Err(InputError::one(
            Diagnostic::at(doc.location(root), "this is not a serverless.yml")
                .expected("a mapping with `service`, `provider` and `functions`"),
        ));
    }
    let provider = root.get("provider");
    let bootstrap = Resolver {
        root,
        stage: "dev".into(),
        env,
        service: None,
        included: Default::default(),
        problems: Default::default(),
    };
    let stage = stage
        .map(String::from)
        .or_else(|| {
            provider
                .and_then(|p| p.get("stage"))
                .and_then(|s| bootstrap.text(s))
        })
        .unwrap_or_else(|| "dev".into());
    let r = Resolver {
        root,
        stage: stage.clone(),
        env,
        service: Some((dir, rel)),
        included: Default::default(),
        problems: Default::default(),
    };
    let service = root
        .get("service")
        .and_then(|s| s.get("name").or(Some(s)))
        .and_then(|s| r.text(s))
        .unwrap_or_else(|| "service".into());
    let mut app = App {
        service,
        stage: if stage == UNKNOWN_STAGE {
            "unknown".to_string()
        } else {
            stage
        },
        provider: provider.map(|p| doc.location(p)),
        ..App::default()
    };
    if let Some(tracing) = provider.and_then(|p| p.get("tracing")) {
        let switches: Vec<(&Node, Option<String>)> = ["apiGateway", "lambda"]
            .iter()
            .filter_map(|k| tracing.get(k))
            .map(|v| (v, r.text(v)))
            .collect();
        let on = switches.iter().any(|(_, v)| {
            v.as_deref()
                .is_some_and(|v| v == "true" || v == "Active" || v == "PassThrough")
        });
        let unresolved = switches
            .iter()
            .find_map(|(node, v)| match (&node.value, v) {
                (Value::Scalar(s), None) if s.text.contains("${") => {
                    Some((node, s.text.to_string()))
                }
                _ => None,
            });
        match unresolved.filter(|_| !on) {
            Some((node, text)) => {
                app.tracing_unresolved =
                    Some(Fact::new(text, Origin::Artefact(doc.location(node))));
            }
            None => {
                app.tracing = Some(Fact::new(on, Origin::Artefact(doc.location(tracing))));
            }
        }
    }
    app.settings = settings(&doc, &r, provider.and_then(|p| p.get("environment")));
    for (fdoc, key, function) in function_entries(&doc, &r, root.get("functions")) {
        let Some(name) = key.as_str() else { continue };
        read_function(
            &fdoc,
            &r,
            &app.service.clone(),
            name,
            &key,
            &function,
            &mut app,
        );
    }
    let parts = resource_parts(&doc, &r, root.get("resources"));
    read_resources(&parts, &r, &mut app);
    app.included = r.included.take();
    let problems = r.problems.take();
    if problems.is_empty() {
        Ok(app)
    } else {
        Err(InputError::Invalid(problems))
    }
}

/// The functions as the framework merges them: `functions:` a map, a file holding one
/// (`${file(./functions.yml)}`), or a list of maps and such files merged in order (a later
/// function of the same name replacing an earlier one); each function's body may be a file
/// too. Each comes with the file it is written in.
fn function_entries(
    doc: &Document,
    r: &Resolver<'_>,
    node: Option<&Node>,
) -> Vec<(Document, Node, Node)> {
    let mut out: Vec<(Document, Node, Node)> = Vec::new();
    let Some((doc, node)) = node.and_then(|n| r.expand(doc, n)) else {
        return out;
    };
    let maps: Vec<(Document, Node)> = match &node.value {
        Value::Seq(items) => items.iter().filter_map(|i| r.expand(&doc, i)).collect(),
        _ => vec![(doc, node)],
    };
    for (doc, map) in maps {
        let Value::Map(entries) = &map.value else {
            continue;
        };
        for (key, body) in entries {
            let Some(name) = key.as_str() else { continue };
            let Some((body_doc, body)) = r.expand(&doc, body) else {
                continue;
            };
            // A body read from another file is located there, at its start.
            let key = if body_doc.path == doc.path {
                key.clone()
            } else {
                Node {
                    value: key.value.clone(),
                    pos: body.pos,
                }
            };
            out.retain(|(_, k, _)| k.as_str() != Some(name));
            out.push((body_doc, key, body));
        }
    }
    out
}

fn settings(doc: &Document, r: &Resolver<'_>, node: Option<&Node>) -> Vec<Setting> {
    // `environment: ${file(env.yml):${self:provider.stage}}`: the stage's block of that file.
    let Some((doc, node)) = node.and_then(|n| r.expand(doc, n)) else {
        return Vec::new();
    };
    variables(&doc, r, &node)
}

/// A map of environment variables as settings: a value known here is classified as a dotenv
/// value is, one resolved only at deploy is a reference. (serverless.yml's `environment:`, a SAM
/// function's `Environment.Variables`.)
pub(crate) fn variables(doc: &Document, r: &dyn Scalars, node: &Node) -> Vec<Setting> {
    let Value::Map(entries) = &node.value else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|(k, v)| {
            let name = k.as_str()?;
            let value = match r.text(v) {
                Some(text) => super::dotenv::classify(name, &text, &text),
                None => crate::model::SettingValue::Reference,
            };
            Some(Setting {
                name: name.to_string(),
                value,
                origin: Origin::Artefact(doc.location(k)),
            })
        })
        .collect()
}

fn read_function(
    doc: &Document,
    r: &Resolver<'_>,
    service: &str,
    name: &str,
    key: &Node,
    function: &Node,
    app: &mut App,
) {
    let provider = r.root.get("provider");
    let fact_text = |node: &Node| {
        r.text(node)
            .map(|t| Fact::new(t, Origin::Artefact(doc.location(node))))
    };
    let package = match function.get("image") {
        Some(image) => {
            let uri = match image.get("name").and_then(|n| r.text(n)) {
                Some(name) => provider
                    .and_then(|p| p.get("ecr"))
                    .and_then(|e| e.get("images"))
                    .and_then(|i| i.get(&name))
                    .and_then(|i| i.get("uri"))
                    .and_then(fact_text),
                None => image.get("uri").or(Some(image)).and_then(fact_text),
            };
            Package::Image(uri)
        }
        None => Package::Zip(
            function
                .get("runtime")
                .or_else(|| provider.and_then(|p| p.get("runtime")))
                .and_then(fact_text),
        ),
    };
    let log_retention_node = function
        .get("logRetentionInDays")
        .or_else(|| provider.and_then(|p| p.get("logRetentionInDays")));
    let log_retention_days = log_retention_node.and_then(|n| {
        let days = r.text(n)?.parse().ok()?;
        Some(Fact::new(days, Origin::Artefact(doc.location(n))))
    });
    let mut out = Function {
        name: name.to_string(),
        location: doc.location(key),
        public_url: None,
        settings: settings(doc, r, function.get("environment")),
        package,
        log_retention_days,
        own_log_retention: function.get("logRetentionInDays").is_some(),
        log_retention_unresolved: log_retention_node.is_some_and(|n| r.text(n).is_none()),
        vpc: function
            .get("vpc")
            .or_else(|| provider.and_then(|p| p.get("vpc")))
            .filter(|v| {
                matches!(v.value, Value::Map(_)) || r.text(v).is_some_and(|t| !t.is_empty())
            })
            .map(|v| doc.location(v)),
        when_unset: None,
    };
    if let Some(url) = function.get("url") {
        let iam = url
            .get("authorizer")
            .and_then(|a| r.text(a))
            .is_some_and(|a| a.eq_ignore_ascii_case("aws_iam"));
        let enabled = !matches!(r.text(url).as_deref(), Some("false"));
        if enabled && !iam {
            out.public_url = Some(doc.location(url));
        }
    }
    if let Some(Value::Seq(events)) = function.get("events").map(|e| &e.value) {
        for event in events {
            // A WebSocket API authorizes once, when the client connects: an authorizer may be
            // attached to the `$connect` route only, and the other routes run on the
            // connection it let in. So `$connect` is the route that must require one.
            if let Some(socket) = event.get("websocket") {
                let route = r
                    .text(socket)
                    .or_else(|| socket.get("route").and_then(|n| r.text(n)));
                if route.as_deref() == Some("$connect") {
                    let authorizer = socket.get("authorizer").map(|a| {
                        a.get("name")
                            .or(a.get("arn"))
                            .or(Some(a))
                            .and_then(|n| r.text(n))
                            .unwrap_or_else(|| "(unresolved)".into())
                    });
                    app.routes.push(ApiRoute {
                        service: service.to_string(),
                        function: name.to_string(),
                        method: "WEBSOCKET".into(),
                        path: "$connect".into(),
                        authorizer,
                        api_key_only: false,
                        origin: Origin::Artefact(doc.location(socket)),
                    });
                }
            }
            for kind in ["http", "httpApi"] {
                let Some(http) = event.get(kind) else {
                    continue;
                };
                let (method, path) = match r.text(http) {
                    Some(short) => match short.split_once(' ') {
                        Some((m, p)) => (m.to_string(), p.to_string()),
                        None => ("ANY".to_string(), short.clone()),
                    },
                    None => (
                        http.get("method")
                            .and_then(|m| r.text(m))
                            .unwrap_or_else(|| "ANY".into()),
                        http.get("path")
                            .and_then(|p| r.text(p))
                            .unwrap_or_else(|| "/".into()),
                    ),
                };
                let authorizer = http.get("authorizer").map(|a| {
                    a.get("name")
                        .or(a.get("arn"))
                        .or(a.get("type"))
                        .or(Some(a))
                        .and_then(|n| r.text(n))
                        .unwrap_or_else(|| "(unresolved)".into())
                });
                let api_key_only = http
                    .get("private")
                    .and_then(|p| r.text(p))
                    .is_some_and(|p| p == "true");
                // `path: ""` is the API's root, as the framework reads it (seen on
                // opengovsg/checkfirst).
                let path = if path.starts_with('/') {
                    path
                } else {
                    format!("/{path}")
                };
                app.routes.push(ApiRoute {
                    service: service.to_string(),
                    function: name.to_string(),
                    method: method.to_ascii_uppercase(),
                    path,
                    authorizer,
                    api_key_only,
                    origin: Origin::Artefact(doc.location(http)),
                });
            }
        }
    }
    app.functions.push(out);
}

/// The parts `resources:` is written in, each with the file it comes from: one map, a
/// `${file(resources.yml)}`, or a list of both, which the framework merges into one template.
fn resource_parts(
    doc: &Document,
    r: &Resolver<'_>,
    resources: Option<&Node>,
) -> Vec<(Document, Node)> {
    let Some((doc, node)) = resources.and_then(|n| r.expand(doc, n)) else {
        return Vec::new();
    };
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .filter_map(|item| r.expand(&doc, item))
            .collect(),
        _ => vec![(doc, node)],
    }
}

fn read_resources(parts: &[(Document, Node)], r: &Resolver<'_>, app: &mut App) {
    // The merged template's conditions, by name, with the map each is defined in (a condition
    // refers to others of its own map).
    let conditions_map = |gate: &str| {
        parts
            .iter()
            .filter_map(|(_, part)| part.get("Conditions"))
            .find(|c| c.get(gate).is_some())
    };
    for (doc, part) in parts {
        let Some(Value::Map(entries)) = part.get("Resources").map(|n| &n.value) else {
            continue;
        };
        app.absorb(read_resource_entries(doc, r, entries, &conditions_map));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_resolve_innermost_first_with_fallbacks() {
        let doc = yaml::parse("s.yml", "provider: {stage: \"${opt:stage, 'dev'}\"}\ncustom:\n  domains: {production: api.example.org, dev: dev.example.org}\n  domain: ${self:custom.domains.${sls:stage}}\n", yaml::Limits::default()).unwrap();
        let env = HashMap::from([("REGION".to_string(), "eu-west-1".to_string())]);
        let r = Resolver {
            root: &doc.roots[0],
            stage: "production".into(),
            env: &env,
            service: None,
            included: Default::default(),
            problems: Default::default(),
        };
        assert_eq!(
            r.resolve("${self:custom.domain}", 0).as_deref(),
            Some("api.example.org")
        );
        assert_eq!(
            r.resolve("${env:REGION}-${opt:stage}", 0).as_deref(),
            Some("eu-west-1-production")
        );
        // The deploying process's environment may set it (a CI job from its secrets): its
        // fallback is not known to be the value. A file's own fallback is.
        assert_eq!(r.resolve("${env:MISSING, 'fallback'}", 0), None);
        assert_eq!(
            r.resolve("${env:REGION, 'us-east-1'}", 0).as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            r.resolve("${self:custom.nothing, 'fallback'}", 0)
                .as_deref(),
            Some("fallback")
        );
        assert_eq!(
            r.resolve("${ssm:/registry/db-password}", 0),
            None,
            "only known at deploy time"
        );
        assert_eq!(r.resolve("${self:custom.nothing}", 0), None);
    }
}
