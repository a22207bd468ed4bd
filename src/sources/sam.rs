//! AWS SAM and CloudFormation templates of their own (`template.yaml`, deployed with `sam deploy`
//! or `aws cloudformation deploy`), and the `samconfig` files that name their environments.
//!
//! A template is read for one deploy: its `Parameters` take the deploy's overrides, else their
//! `Default`; a parameter with neither is unknown, and so is every value built from it.
//! `Resources` are read as a serverless.yml's are ([`super::cloudformation`]); SAM's own types are
//! read as the transform expands them: `AWS::Serverless::Function` with `Globals.Function`
//! merged in (its runtime, environment, function URL and `Api`/`HttpApi` events with their
//! authorizer, else the API's `DefaultAuthorizer`), `AWS::Serverless::SimpleTable` as a DynamoDB
//! table, and `AWS::Serverless::Application` (a nested template) read when its `Location` is a
//! file of the repository.

use super::cloudformation::{self, Evaluator, Plain, Scalars};
use super::serverless::{App, Function, Package};
use super::yaml::{self, Document, Node, Value};
use crate::diagnostic::{Diagnostic, InputError};
use crate::model::{ApiRoute, Fact, Location, Origin, Setting};
use std::collections::HashMap;
use std::path::Path;

/// What a template deploys, for one set of parameter values.
#[derive(Clone, Debug, Default)]
pub struct Stack {
    /// Its functions, routes and CloudFormation resources, as a serverless.yml's are kept.
    pub app: App,
    /// Its nested applications.
    pub nested: Vec<Nested>,
    /// Parameters with no value for this deploy (no override and no `Default`).
    pub unknown_parameters: Vec<String>,
}

/// An `AWS::Serverless::Application` or `AWS::CloudFormation::Stack`.
#[derive(Clone, Debug)]
pub struct Nested {
    pub id: String,
    pub location: Location,
    /// The template's path in the repository, or why it is not read (an S3 URL, a Serverless
    /// Application Repository application).
    pub template: Result<String, String>,
    /// The `Parameters` the parent passes: `None` for a value known only at deploy time (the
    /// nested template's `Default` does not apply to it).
    pub parameters: HashMap<String, Option<String>>,
}

/// Whether a file's first bytes open a CloudFormation or SAM template.
pub fn is_template_head(head: &str) -> bool {
    head.lines().any(|l| {
        let l = l.trim_start().trim_start_matches(['"', '{']).trim_start();
        let l = l.trim_start_matches('"');
        l.starts_with("AWSTemplateFormatVersion")
            || (l.starts_with("Transform") && l.contains("AWS::Serverless"))
    })
}

/// The local templates a template nests (`Location: ./api/template.yaml`), as repository paths,
/// whatever the deploy's parameters. Empty when the file does not parse (its reader says so).
pub fn nested_templates(dir: &Path, rel: &str) -> Vec<String> {
    let Ok(text) = super::read_text(&dir.join(rel), rel) else {
        return Vec::new();
    };
    let Ok(doc) = yaml::parse(rel, &text, yaml::Limits::default()) else {
        return Vec::new();
    };
    let Some(Value::Map(entries)) = doc
        .roots
        .first()
        .and_then(|r| r.get("Resources"))
        .map(|r| &r.value)
    else {
        return Vec::new();
    };
    let folder = rel.rsplit_once('/').map_or("", |(f, _)| f);
    entries
        .iter()
        .filter_map(|(_, resource)| {
            let property = match resource.get("Type").and_then(Node::as_str)? {
                "AWS::Serverless::Application" => "Location",
                "AWS::CloudFormation::Stack" => "TemplateURL",
                _ => return None,
            };
            let location = resource.get("Properties")?.get(property)?;
            local_template(folder, Plain.text(location)?.as_str())
        })
        .collect()
}

/// A nested template's `Location` as a repository path, when it is a local file.
fn local_template(folder: &str, location: &str) -> Option<String> {
    let lower = location.to_ascii_lowercase();
    if lower.contains("://") || lower.starts_with("s3.") {
        return None;
    }
    super::serverless::within_repository(folder, location)
}

/// Reads a template with `overrides`, the parameter values the deploy passes (`None`: passed,
/// with a value known only at deploy time).
pub fn read(
    dir: &Path,
    rel: &str,
    overrides: &HashMap<String, Option<String>>,
) -> Result<Stack, InputError> {
    read_deploy(dir, rel, overrides, true)
}

/// Reads a template for a deploy that passes `overrides`; a parameter it does not pass takes
/// its `Default` when `defaults_apply`, and is unknown when not: the deploy's other values come
/// from a samconfig file the repository does not hold, which may set any of them.
pub fn read_deploy(
    dir: &Path,
    rel: &str,
    overrides: &HashMap<String, Option<String>>,
    defaults_apply: bool,
) -> Result<Stack, InputError> {
    let text = super::read_text(&dir.join(rel), rel)?;
    let doc = yaml::parse(rel, &text, yaml::Limits::default())?;
    let Some(root) = doc.roots.first() else {
        return Err(InputError::one(
            Diagnostic::in_file(rel, "the file is empty")
                .expected("a CloudFormation template with `Resources`"),
        ));
    };
    let Some(Value::Map(resources)) = root.get("Resources").map(|r| &r.value) else {
        return Err(InputError::one(
            Diagnostic::at(
                doc.location(root),
                "this template has no `Resources` mapping",
            )
            .expected("a CloudFormation template: a mapping with `Resources` of logical ids"),
        ));
    };
    let mut stack = Stack::default();
    // Parameter values: the deploy's, else the default.
    let mut values: HashMap<String, String> = HashMap::new();
    if let Some(Value::Map(parameters)) = root.get("Parameters").map(|p| &p.value) {
        for (key, parameter) in parameters {
            let Some(name) = key.as_str() else { continue };
            let value = match overrides.get(name) {
                Some(passed) => passed.clone(),
                None if defaults_apply => parameter.get("Default").and_then(|d| Plain.text(d)),
                None => None,
            };
            match value {
                Some(v) => {
                    values.insert(name.to_string(), v);
                }
                None => stack.unknown_parameters.push(name.to_string()),
            }
        }
    }
    let ev = Evaluator::new(&values, root.get("Mappings"), root.get("Conditions"));
    let globals = root.get("Globals");
    let service = stack_name(rel);
    stack.app.service = service.clone();
    stack.app.stage = "template".into();
    // Every resource, its SAM globals merged in and its intrinsic functions evaluated, for the
    // mapping shared with serverless.yml.
    let mut evaluated: Vec<(Node, Node)> = Vec::new();
    let mut exists: Vec<&(Node, Node)> = Vec::new();
    for entry in resources {
        let (key, resource) = entry;
        if let Some(gate) = resource.get("Condition").and_then(|c| Plain.text(c)) {
            if ev.holds(&gate) == Some(false) {
                continue;
            }
        }
        exists.push(entry);
        let kind = resource.get("Type").and_then(Node::as_str).unwrap_or("");
        let global = match kind {
            "AWS::Serverless::Function" => globals.and_then(|g| g.get("Function")),
            "AWS::Serverless::SimpleTable" => globals.and_then(|g| g.get("SimpleTable")),
            "AWS::Serverless::Api" => globals.and_then(|g| g.get("Api")),
            "AWS::Serverless::HttpApi" => globals.and_then(|g| g.get("HttpApi")),
            _ => None,
        };
        let mut resource = resource.clone();
        if let (Some(global), Value::Map(entries)) = (global, &mut resource.value) {
            let merged = match entries
                .iter()
                .position(|(k, _)| k.as_str() == Some("Properties"))
            {
                Some(i) => merge(global, &entries[i].1),
                None => global.clone(),
            };
            entries.retain(|(k, _)| k.as_str() != Some("Properties"));
            entries.push((cloudformation::plain("Properties", resource.pos), merged));
        }
        let resource = ev.eval(&resource);
        evaluated.push((key.clone(), resource));
    }
    let conditions = ev.conditions();
    // Gates were applied above: a gate left undecided keeps the resource, as for serverless.yml.
    stack.app.absorb(cloudformation::read_resource_entries(
        &doc,
        &Plain,
        &evaluated,
        &|_| conditions,
    ));
    for ((key, resource), (_, raw)) in evaluated.iter().zip(exists.iter()) {
        let Some(id) = key.as_str() else { continue };
        let kind = resource.get("Type").and_then(Node::as_str).unwrap_or("");
        let properties = resource.get("Properties");
        match kind {
            "AWS::Serverless::Function" => {
                read_function(
                    &doc,
                    id,
                    (key, resource),
                    raw,
                    (&evaluated, &exists),
                    &mut stack.app,
                );
            }
            "AWS::Serverless::Application" | "AWS::CloudFormation::Stack" => {
                let property = if kind == "AWS::CloudFormation::Stack" {
                    "TemplateURL"
                } else {
                    "Location"
                };
                let folder = rel.rsplit_once('/').map_or("", |(f, _)| f);
                let location = properties.and_then(|p| p.get(property));
                // A nested stack behind a condition this deploy cannot decide may not exist:
                // what it would deploy is not judged as deployed (it is listed, with why).
                let undecided = raw
                    .get("Condition")
                    .and_then(|c| Plain.text(c))
                    .filter(|gate| ev.holds(gate).is_none());
                let template = match location.map(|l| (l, Plain.text(l))) {
                    _ if undecided.is_some() => Err(format!(
                        "it is deployed only when its condition `{}` holds, which depends on parameters this deploy does not give",
                        undecided.as_deref().unwrap_or_default()
                    )),
                    Some((_, Some(text))) => local_template(folder, &text).ok_or_else(|| {
                        format!("its `{property}` is `{text}`, a template outside the repository (uploaded to S3), which liftoff does not fetch")
                    }),
                    Some((l, None)) if matches!(l.value, Value::Map(_)) => Err(format!(
                        "its `{property}` is an application of the Serverless Application Repository, which liftoff does not fetch"
                    )),
                    Some(_) => Err(format!(
                        "its `{property}` is known only at deploy time"
                    )),
                    None => Err(format!("it has no `{property}`")),
                };
                let parameters = match properties.and_then(|p| p.get("Parameters")) {
                    Some(Node {
                        value: Value::Map(entries),
                        ..
                    }) => entries
                        .iter()
                        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), Plain.text(v))))
                        .collect(),
                    _ => HashMap::new(),
                };
                stack.nested.push(Nested {
                    id: id.to_string(),
                    location: doc.location(key),
                    template,
                    parameters,
                });
            }
            _ => {}
        }
    }
    Ok(stack)
}

/// The name a template's functions and routes are shown under: its folder's for SAM's
/// canonical `template.yaml`, else its own.
fn stack_name(rel: &str) -> String {
    let (folder, file) = rel.rsplit_once('/').unwrap_or(("", rel));
    let stem = file.split('.').next().unwrap_or(file);
    if stem.eq_ignore_ascii_case("template") && !folder.is_empty() {
        folder.rsplit('/').next().unwrap_or(folder).to_string()
    } else {
        stem.to_string()
    }
}

/// SAM's merge of `Globals` into a resource: maps merged key by key (the resource's value
/// wins), anything else the resource's.
fn merge(global: &Node, own: &Node) -> Node {
    match (&global.value, &own.value) {
        (Value::Map(g), Value::Map(o)) => {
            let mut entries: Vec<(Node, Node)> = Vec::new();
            for (k, v) in g {
                let ours = o.iter().find(|(ok, _)| ok.as_str() == k.as_str());
                match ours {
                    Some((ok, ov)) => entries.push((ok.clone(), merge(v, ov))),
                    None => entries.push((k.clone(), v.clone())),
                }
            }
            for (k, v) in o {
                if !g.iter().any(|(gk, _)| gk.as_str() == k.as_str()) {
                    entries.push((k.clone(), v.clone()));
                }
            }
            Node {
                value: Value::Map(entries),
                pos: own.pos,
            }
        }
        _ => own.clone(),
    }
}

fn group_name(group: &Node) -> Option<&Node> {
    group.get("Properties").and_then(|p| p.get("LogGroupName"))
}

/// The logical id of the function a log group's name refers to, as written:
/// `!Sub '/aws/lambda/${Function}'` or `!Join ['', ['/aws/lambda/', !Ref Function]]` (the
/// function's physical name, whether set or generated).
fn lambda_group_function(name: &Node) -> Option<&str> {
    if let Some(text) = cloudformation::sub_text(name) {
        let id = text
            .trim()
            .strip_prefix("/aws/lambda/${")?
            .strip_suffix('}')?;
        return (!id.contains(['.', '$', '{', '}']) && !id.is_empty()).then_some(id);
    }
    let args = match &name.value {
        Value::Map(entries) => match entries.as_slice() {
            [(k, v)] if matches!(k.as_str(), Some("Fn::Join" | "!Join")) => match &v.value {
                Value::Seq(items) => items.as_slice(),
                _ => return None,
            },
            _ => return None,
        },
        _ => return None,
    };
    let [separator, parts] = args else {
        return None;
    };
    if Plain.text(separator).as_deref() != Some("") {
        return None;
    }
    let Value::Seq(parts) = &parts.value else {
        return None;
    };
    match parts.as_slice() {
        [prefix, function] if Plain.text(prefix).as_deref() == Some("/aws/lambda/") => {
            cloudformation::ref_target(function)
        }
        _ => None,
    }
}

/// A template's resources, evaluated and as written (the same entries, in the same order).
type Resources<'a> = (&'a [(Node, Node)], &'a [&'a (Node, Node)]);

/// An `AWS::Serverless::Function`, its globals merged in: `raw` is the resource as written
/// (references to other resources read from it), `resource` evaluated; the template's resources
/// come evaluated and as written.
fn read_function(
    doc: &Document,
    id: &str,
    (key, resource): (&Node, &Node),
    raw: &Node,
    (resources, raw_resources): Resources<'_>,
    app: &mut App,
) {
    let properties = resource.get("Properties");
    let property = |name: &str| properties.and_then(|p| p.get(name));
    let fact_text = |node: &Node| {
        Plain
            .text(node)
            .map(|t| Fact::new(t, Origin::Artefact(doc.location(node))))
    };
    let image = property("PackageType")
        .and_then(|p| Plain.text(p))
        .is_some_and(|p| p == "Image");
    let package = if image {
        Package::Image(property("ImageUri").and_then(fact_text))
    } else {
        Package::Zip(property("Runtime").and_then(fact_text))
    };
    let settings: Vec<Setting> = match property("Environment").and_then(|e| e.get("Variables")) {
        Some(variables) => super::serverless::variables(doc, &Plain, variables),
        None => Vec::new(),
    };
    // The log group Lambda writes to: one the template makes for it (`LoggingConfig.LogGroup`,
    // or a group named `/aws/lambda/<function's physical name>`), else the one Lambda creates on
    // first invocation, which never expires.
    let raw_properties = raw.get("Properties");
    let named_group = raw_properties
        .and_then(|p| p.get("LoggingConfig"))
        .and_then(|l| l.get("LogGroup"));
    let is_group =
        |group: &Node| group.get("Type").and_then(Node::as_str) == Some("AWS::Logs::LogGroup");
    // Evaluated and raw resources come from the same entries, in the same order.
    let groups = || {
        resources
            .iter()
            .zip(raw_resources.iter())
            .filter(|((_, group), _)| is_group(group))
    };
    // The physical name: `FunctionName` when set (`None` inside: known only at deploy time),
    // else one CloudFormation generates, which only a reference to the function can name.
    let function_name: Option<Option<String>> = property("FunctionName").map(|n| Plain.text(n));
    let mut unresolved_group = false;
    let group = groups()
        .find(|((gk, _), _)| {
            named_group.is_some_and(|named| cloudformation::ref_target(named) == gk.as_str())
        })
        .or_else(|| {
            groups().find(|(_, (_, raw_group))| {
                group_name(raw_group).and_then(lambda_group_function) == Some(id)
            })
        })
        .or_else(|| {
            let mut found = None;
            for entry in groups() {
                let ((_, group), (_, raw_group)) = entry;
                // A group named after another function by reference is that function's.
                if group_name(raw_group)
                    .and_then(lambda_group_function)
                    .is_some()
                {
                    continue;
                }
                let name = group_name(group).map(|n| Plain.text(n));
                match (name, &function_name) {
                    (Some(Some(name)), Some(Some(function)))
                        if name.trim() == format!("/aws/lambda/{function}") =>
                    {
                        found = Some(entry);
                        break;
                    }
                    // Either name is known only at deploy time: the group may be this
                    // function's.
                    (Some(None), _) => unresolved_group = true,
                    (Some(Some(name)), Some(None)) if name.trim().starts_with("/aws/lambda/") => {
                        unresolved_group = true
                    }
                    _ => {}
                }
            }
            found
        });
    let (log_retention_days, log_retention_unresolved) = match group {
        Some(((_, group), _)) => {
            let days = group
                .get("Properties")
                .and_then(|p| p.get("RetentionInDays"));
            match days {
                Some(d) => match Plain.text(d).and_then(|t| t.parse().ok()) {
                    Some(n) => (Some(Fact::new(n, Origin::Artefact(doc.location(d)))), false),
                    None => (None, true),
                },
                None => (None, false),
            }
        }
        // A log group named in `LoggingConfig` that the template does not make, or one whose
        // name is known only at deploy time.
        None => (None, named_group.is_some() || unresolved_group),
    };
    let url = property("FunctionUrlConfig");
    let public_url = url
        .filter(|u| {
            u.get("AuthType")
                .and_then(|a| Plain.text(a))
                .is_some_and(|a| a.eq_ignore_ascii_case("NONE"))
        })
        .map(|u| doc.location(u));
    app.functions.push(Function {
        name: id.to_string(),
        location: doc.location(key),
        public_url,
        settings,
        package,
        log_retention_days,
        own_log_retention: true,
        log_retention_unresolved,
        vpc: property("VpcConfig").map(|v| doc.location(v)),
        when_unset: Some(
            "no log group with `RetentionInDays` for the function: Lambda creates `/aws/lambda/<function>` on first invocation and keeps its logs forever (make one in the template and name it in `LoggingConfig.LogGroup`)".to_string(),
        ),
    });
    let Some(Value::Map(events)) = property("Events").map(|e| &e.value) else {
        return;
    };
    let raw_events = raw_properties.and_then(|p| p.get("Events"));
    for (name, event) in events {
        let kind = event.get("Type").and_then(|t| Plain.text(t));
        let api_type = match kind.as_deref() {
            Some("Api") => "AWS::Serverless::Api",
            Some("HttpApi") => "AWS::Serverless::HttpApi",
            _ => continue,
        };
        let props = event.get("Properties");
        let raw_props = name
            .as_str()
            .and_then(|n| raw_events?.get(n))
            .and_then(|e| e.get("Properties"));
        let text = |key: &str| props.and_then(|p| p.get(key)).and_then(|v| Plain.text(v));
        // An HttpApi event with neither is the API's `$default` route.
        let method = text("Method").unwrap_or_else(|| "ANY".into());
        let path = text("Path").unwrap_or_else(|| "/".into());
        // The API it is on: one of the template (`ApiId`, `RestApiId`), else the implicit API
        // SAM makes, whose settings are the globals'.
        let api = ["ApiId", "RestApiId"]
            .iter()
            .find_map(|k| raw_props.and_then(|p| p.get(k)))
            .and_then(cloudformation::ref_target)
            .and_then(|target| {
                resources
                    .iter()
                    .find(|(k, r)| {
                        k.as_str() == Some(target)
                            && r.get("Type").and_then(Node::as_str) == Some(api_type)
                    })
                    .and_then(|(_, r)| r.get("Properties"))
            });
        let api_auth = api.and_then(|a| a.get("Auth"));
        let own = props.and_then(|p| p.get("Auth"));
        let authorizer = match own.and_then(|a| a.get("Authorizer")) {
            Some(a) => match Plain.text(a) {
                Some(a) if a == "NONE" => None,
                Some(a) => Some(a),
                None => Some("(unresolved)".to_string()),
            },
            None => api_auth
                .and_then(|a| a.get("DefaultAuthorizer"))
                .map(|a| Plain.text(a).unwrap_or_else(|| "(unresolved)".into())),
        };
        let api_key_only = authorizer.is_none()
            && own
                .or(api_auth)
                .and_then(|a| a.get("ApiKeyRequired"))
                .and_then(|k| Plain.text(k))
                .is_some_and(|k| k == "true");
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        app.routes.push(ApiRoute {
            service: app.service.clone(),
            function: id.to_string(),
            method: method.to_ascii_uppercase(),
            path,
            authorizer,
            api_key_only,
            origin: Origin::Artefact(doc.location(event)),
        });
    }
}

/// One environment of a samconfig file: `[prod.deploy.parameters]` in samconfig.toml,
/// `prod: {deploy: {parameters: ...}}` in samconfig.yaml.
#[derive(Clone, Debug)]
pub struct ConfigEnv {
    /// The config environment (`default`, `prod`).
    pub name: String,
    pub location: Location,
    /// `parameter_overrides`, in order.
    pub parameters: Vec<(String, String)>,
}

/// The samconfig files beside a template (`samconfig.toml`, `samconfig.yaml`,
/// `samconfig.<name>.yaml` for `--config-file`), in the repository's `folder`.
pub fn config_files(dir: &Path, folder: &str) -> Vec<String> {
    let full = if folder.is_empty() {
        dir.to_path_buf()
    } else {
        dir.join(folder)
    };
    let Ok(entries) = std::fs::read_dir(&full) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .filter(|n| {
            let lower = n.to_ascii_lowercase();
            lower.starts_with("samconfig")
                && (lower.ends_with(".toml") || lower.ends_with(".yaml") || lower.ends_with(".yml"))
        })
        .map(|n| {
            if folder.is_empty() {
                n
            } else {
                format!("{folder}/{n}")
            }
        })
        .collect();
    out.sort();
    out
}

/// The environment a samconfig file's name gives its `default` section (`samconfig.production.yaml`
/// deployed with `--config-file`).
pub fn config_file_environment(rel: &str) -> Option<&str> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let inner = name.strip_prefix("samconfig.")?;
    let (env, _) = inner.rsplit_once('.')?;
    (!env.is_empty()).then_some(env)
}

/// The environments of a samconfig file with their `deploy` (and `global`) parameter
/// overrides. A file that does not parse is an error naming its line.
pub fn read_config(dir: &Path, rel: &str) -> Result<Vec<ConfigEnv>, InputError> {
    let text = super::read_text(&dir.join(rel), rel)?;
    if rel.to_ascii_lowercase().ends_with(".toml") {
        return read_config_toml(rel, &text);
    }
    let doc = yaml::parse(rel, &text, yaml::Limits::default())?;
    let mut out = Vec::new();
    let Some(Value::Map(envs)) = doc.roots.first().map(|r| &r.value) else {
        return Ok(out);
    };
    for (key, env) in envs {
        let Some(name) = key.as_str() else { continue };
        if name == "version" {
            continue;
        }
        let mut parameters = Vec::new();
        for command in ["global", "deploy"] {
            let Some(overrides) = env
                .get(command)
                .and_then(|c| c.get("parameters"))
                .and_then(|p| p.get("parameter_overrides"))
            else {
                continue;
            };
            match &overrides.value {
                Value::Seq(items) => {
                    for item in items.iter().filter_map(|i| Plain.text(i)) {
                        parameters.extend(parse_overrides(&item));
                    }
                }
                _ => parameters.extend(
                    Plain
                        .text(overrides)
                        .map_or_else(Vec::new, |t| parse_overrides(&t)),
                ),
            }
        }
        out.push(ConfigEnv {
            name: name.to_string(),
            location: doc.location(key),
            parameters,
        });
    }
    Ok(out)
}

/// samconfig.toml: `[env.command.parameters]` tables, read with the `toml` crate (TOML 1.0, as
/// SAM's own reader). `parameter_overrides` of `global`, then of `deploy` (which SAM lets
/// override it), a string or an array of strings, give the environment's values.
fn read_config_toml(rel: &str, text: &str) -> Result<Vec<ConfigEnv>, InputError> {
    const EXPECTED: &str =
        "samconfig.toml: `[env.command.parameters]` tables of `key = \"value\"` lines";
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |span| line_and_column(text, span.start));
        InputError::one(
            Diagnostic::at(
                Location::new(rel, line, column),
                e.message().trim_end().to_string(),
            )
            .expected(EXPECTED),
        )
    })?;
    let mut out = Vec::new();
    for (name, commands) in &table {
        // `version = 0.1` and other top-level keys are not environments.
        let Some(commands) = commands.as_table() else {
            continue;
        };
        let mut parameters = Vec::new();
        for command in ["global", "deploy"] {
            let overrides = commands
                .get(command)
                .and_then(|c| c.get("parameters"))
                .and_then(|p| p.get("parameter_overrides"));
            let texts: Vec<&str> = match overrides {
                Some(toml::Value::String(text)) => vec![text.as_str()],
                Some(toml::Value::Array(items)) => {
                    items.iter().filter_map(toml::Value::as_str).collect()
                }
                Some(_) => {
                    return Err(InputError::one(
                        Diagnostic::at(
                            Location::new(rel, header_line(text, name), 1),
                            format!(
                                "`{name}.{command}.parameters.parameter_overrides` is neither a string nor an array of strings"
                            ),
                        )
                        .expected(EXPECTED),
                    ));
                }
                None => Vec::new(),
            };
            for text in texts {
                parameters.extend(parse_overrides(text));
            }
        }
        out.push(ConfigEnv {
            name: name.clone(),
            location: Location::new(rel, header_line(text, name), 1),
            parameters,
        });
    }
    Ok(out)
}

/// The 1-based line and column of byte `offset` of `text`.
fn line_and_column(text: &str, offset: usize) -> (u32, u32) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line as u32, column as u32)
}

/// The line of the first table header of environment `name` (`[prod.deploy.parameters]`,
/// `["prod".deploy...]`), or 1.
fn header_line(text: &str, name: &str) -> u32 {
    let bare = format!("[{name}.");
    let quoted = format!("[\"{name}\".");
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with(&bare) || l.starts_with(&quoted)
        })
        .map_or(1, |i| i as u32 + 1)
}

/// `Stage=prod Name="a b" Other='c'`, as `sam deploy --parameter-overrides` reads it (also
/// `ParameterKey=Stage,ParameterValue=prod`).
pub fn parse_overrides(text: &str) -> Vec<(String, String)> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            (_, c) => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
        .into_iter()
        .filter_map(|w| {
            if let Some(rest) = w.strip_prefix("ParameterKey=") {
                let (key, value) = rest.split_once(",ParameterValue=")?;
                return Some((key.to_string(), value.to_string()));
            }
            let (key, value) = w.split_once('=')?;
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz target (`fuzz/fuzz_targets/artefacts.rs`) runs where cargo-fuzz is installed;
    /// this runs every cut of a template and a samconfig file that uses what the reader
    /// evaluates, so a half-written file never panics here either.
    #[test]
    fn every_prefix_of_a_template_and_a_samconfig_reads_without_panicking() {
        let dir = tempfile::tempdir().unwrap();
        let template = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nParameters:\n  Stage: {Type: String, Default: dev}\n  Key: {Type: String}\nConditions:\n  IsProd: !Equals [!Ref Stage, prod]\nGlobals:\n  Function: {Runtime: python3.12, Environment: {Variables: {LEVEL: !If [IsProd, info, debug]}}}\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: !Sub '${Stage}-fn'\n      Events: {Get: {Type: HttpApi, Properties: {Path: /x, Method: get}}}\n  Logs:\n    Type: AWS::Logs::LogGroup\n    Properties: {LogGroupName: !Join ['', ['/aws/lambda/', !Ref Fn]], RetentionInDays: 30}\n  Child:\n    Type: AWS::Serverless::Application\n    Condition: IsProd\n    Properties: {Location: ./t.yaml, Parameters: {Key: !Ref Key}}\n";
        let config = "version = 0.1\n[prod.global.parameters]\nparameter_overrides = [\"Stage=prod\", \"Key='a b'\"]\n[prod.deploy.parameters]\nparameter_overrides = \"Stage=prod\"\n";
        let parameters = HashMap::from([
            ("Stage".to_string(), Some("prod".to_string())),
            ("Key".to_string(), None),
        ]);
        for end in (0..=template.len()).filter(|i| template.is_char_boundary(*i)) {
            std::fs::write(dir.path().join("t.yaml"), &template[..end]).unwrap();
            let _ = read(dir.path(), "t.yaml", &parameters);
        }
        assert!(read(dir.path(), "t.yaml", &parameters).is_ok());
        for end in (0..=config.len()).filter(|i| config.is_char_boundary(*i)) {
            std::fs::write(dir.path().join("samconfig.toml"), &config[..end]).unwrap();
            let _ = read_config(dir.path(), "samconfig.toml");
            let _ = parse_overrides(&config[..end]);
        }
        assert_eq!(read_config(dir.path(), "samconfig.toml").unwrap().len(), 1);
    }

    #[test]
    fn overrides_and_samconfig_toml() {
        assert_eq!(
            parse_overrides("Stage=prod Name=\"a b\" ParameterKey=X,ParameterValue=y"),
            vec![
                ("Stage".to_string(), "prod".to_string()),
                ("Name".to_string(), "a b".to_string()),
                ("X".to_string(), "y".to_string())
            ]
        );
        let envs = read_config_toml(
            "samconfig.toml",
            "version = 0.1\n[default.deploy.parameters]\nstack_name = \"app\" # a comment\nparameter_overrides = \"Stage=\\\"dev\\\"\"\n\n[prod.deploy.parameters]\nparameter_overrides = [\n  \"Stage=prod\",\n  \"Retention=30\",\n]\n",
        )
        .unwrap();
        assert_eq!(envs.len(), 2);
        assert_eq!(envs[0].name, "default");
        assert_eq!(envs[0].parameters, vec![("Stage".into(), "dev".into())]);
        assert_eq!(envs[1].name, "prod");
        assert_eq!(envs[1].location.line, 6);
        assert_eq!(
            envs[1].parameters,
            vec![
                ("Stage".into(), "prod".into()),
                ("Retention".into(), "30".into())
            ]
        );
        let broken = read_config_toml("samconfig.toml", "[prod.deploy.parameters\n");
        let Err(InputError::Invalid(d)) = broken else {
            panic!("a broken header is an error")
        };
        assert_eq!(d[0].location.as_ref().map(|l| l.line), Some(1));
        // SAM lets a command's parameters override the global ones: they come after them,
        // whatever order the tables are written in.
        let envs = read_config_toml(
            "samconfig.toml",
            "version = 0.1\n[prod.deploy.parameters]\nparameter_overrides = \"Stage=prod\"\n[prod.global.parameters]\nparameter_overrides = \"Stage=any Days=7\"\n",
        )
        .unwrap();
        assert_eq!(
            envs[0].parameters,
            vec![
                ("Stage".into(), "any".into()),
                ("Days".into(), "7".into()),
                ("Stage".into(), "prod".into())
            ]
        );
        assert_eq!(envs[0].location.line, 2);
        let Err(InputError::Invalid(d)) = read_config_toml(
            "samconfig.toml",
            "[prod.deploy.parameters]\nparameter_overrides = 7\n",
        ) else {
            panic!("a number is no override")
        };
        assert!(d[0].message.contains("neither a string nor an array"));
        let Err(InputError::Invalid(d)) = read_config_toml(
            "samconfig.toml",
            "[prod.deploy.parameters]\nstack = \"a\"\nx = = 1\n",
        ) else {
            panic!("a broken value is an error")
        };
        assert_eq!(
            d[0].location.as_ref().map(|l| (l.line, l.column)),
            Some((3, 5))
        );
        assert_eq!(
            config_file_environment("ci/samconfig.production.yaml"),
            Some("production")
        );
        assert_eq!(config_file_environment("samconfig.toml"), None);
    }

    #[test]
    fn intrinsics_evaluate_with_parameters() {
        let text = "Parameters:\n  Stage: {Type: String}\n  Days: {Type: Number, Default: 14}\nConditions:\n  IsProd: !Equals [!Ref Stage, prod]\nMappings:\n  Env: {prod: {Size: big}, dev: {Size: small}}\nResources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Sub '${Stage}-items'\n      Size: !FindInMap [Env, !Ref Stage, Size]\n      PointInTimeRecoverySpecification:\n        PointInTimeRecoveryEnabled: !If [IsProd, true, !Ref AWS::NoValue]\n      Days: !Ref Days\n      Arn: !GetAtt X.Arn\n";
        let doc = yaml::parse("t.yaml", text, yaml::Limits::default()).unwrap();
        let root = &doc.roots[0];
        let eval = |stage: Option<&str>| {
            let mut p = HashMap::from([("Days".to_string(), "14".to_string())]);
            if let Some(s) = stage {
                p.insert("Stage".into(), s.into());
            }
            let ev = Evaluator::new(&p, root.get("Mappings"), root.get("Conditions"));
            let t = ev.eval(root.get("Resources").unwrap().get("T").unwrap());
            let props = t.get("Properties").unwrap().clone();
            (ev.holds("IsProd"), props)
        };
        let (prod, props) = eval(Some("prod"));
        assert_eq!(prod, Some(true));
        let text = |n: Option<&Node>| n.and_then(|n| Plain.text(n));
        assert_eq!(text(props.get("TableName")).as_deref(), Some("prod-items"));
        assert_eq!(text(props.get("Size")).as_deref(), Some("big"));
        assert_eq!(text(props.get("Days")).as_deref(), Some("14"));
        assert_eq!(
            text(
                props
                    .get("PointInTimeRecoverySpecification")
                    .and_then(|p| p.get("PointInTimeRecoveryEnabled"))
            )
            .as_deref(),
            Some("true")
        );
        assert!(cloudformation::is_unknown(props.get("Arn").unwrap()));
        let (dev, props) = eval(Some("dev"));
        assert_eq!(dev, Some(false));
        // `AWS::NoValue` removes the property.
        assert!(
            props
                .get("PointInTimeRecoverySpecification")
                .and_then(|p| p.get("PointInTimeRecoveryEnabled"))
                .is_none()
        );
        // No value for `Stage`: unknown, never guessed.
        let (unknown, props) = eval(None);
        assert_eq!(unknown, None);
        assert!(cloudformation::is_unknown(props.get("TableName").unwrap()));
    }
}
