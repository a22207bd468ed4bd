//! Terragrunt units: a `terragrunt.hcl` that names a Terraform module (`terraform { source }`,
//! or the `.tf` files beside it) and the `inputs` it runs that module with.
//!
//! Read as Terragrunt reads it: `include` blocks first (the included file evaluated for the
//! including unit, its `inputs` and `terraform` block merged in — shallow by default, the unit
//! winning — and, with `expose = true`, its values under `include.<name>`), then `locals`, then
//! everything else. `dependency` outputs exist only after the other unit is applied, so they are
//! unknown (their `mock_outputs` are stand-ins for `plan`, never real values); `get_env` is its
//! default, or unknown without one; AWS look-ups and `run_cmd` are unknown.

use super::*;
use std::path::PathBuf;

/// Whether a repository file is a Terragrunt configuration discovery lists.
pub fn is_terragrunt(path: &str) -> bool {
    path.rsplit('/').next() == Some("terragrunt.hcl")
}

/// The module a unit runs.
#[derive(Clone, Debug, PartialEq)]
pub enum UnitSource {
    /// A folder of this repository.
    Local(String),
    /// A module fetched from elsewhere (git, the registry, a URL): not read.
    Remote(String),
    /// A git source naming this very repository at a release known only at run time
    /// (`git::https://…/this-repo//modules/api?ref=${get_env("VERSION")}`): the folder is read
    /// from the copy here, which may be newer than the release deployed.
    OwnCopy { folder: String, source: String },
    /// Why the module cannot be named (a path outside the repository, an unknown value).
    Unknown(String),
}

/// A Terragrunt unit as it would run.
#[derive(Clone, Debug)]
pub struct Unit {
    /// The unit's `terragrunt.hcl`.
    pub file: String,
    pub source: UnitSource,
    /// Where the source is written (the `terraform` block, or the unit file).
    pub source_at: Location,
    /// Inputs whose value is known, with where each is written.
    pub inputs: BTreeMap<String, (hcl::Value, Location)>,
    /// Inputs set to values known only after apply (dependency outputs, `get_env` without a
    /// default).
    pub unknown_inputs: BTreeMap<String, Location>,
    /// Whether inputs of unknown names may be set too (`merge(dependency.x.outputs, …)`).
    pub open: bool,
    /// The configuration files read, the unit first.
    pub files: Vec<String>,
    /// Locals that name the unit's environment (`environment = "prod"` in an `env.hcl` the
    /// root reads), in the order Terragrunt evaluates them: the files read first.
    pub environment_locals: Vec<EnvironmentLocal>,
}

/// A local whose name says it holds the environment (`environment`, `env`, `stage`), as a
/// unit evaluates it.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvironmentLocal {
    pub key: String,
    pub value: String,
    pub at: Location,
}

/// The names of locals and inputs that hold the environment a configuration is for.
pub const ENVIRONMENT_KEYS: &[&str] = &[
    "environment",
    "env",
    "stage",
    "environment_name",
    "env_name",
];

/// What one configuration file gives once evaluated.
#[derive(Clone, Debug, Default)]
struct Config {
    locals: hcl::Map<String, hcl::Value>,
    inputs: BTreeMap<String, (hcl::Value, Location)>,
    unknown_inputs: BTreeMap<String, Location>,
    open: bool,
    /// `terraform { source }`: the value (or `None` when unknown) and where.
    source: Option<(Option<String>, Location)>,
    /// The source expression as written, for one whose value is known only at run time.
    source_text: Option<String>,
    /// The files read: this one, then those `read_terragrunt_config` read.
    files: Vec<String>,
    /// `extra_arguments` var files passed to plan and apply (`required_var_files`,
    /// `optional_var_files`): the path, absolute, whether it is required, and where it is named.
    var_files: Vec<(PathBuf, bool, Location)>,
}

/// Where evaluation stands: the repository, the unit being run, the file being evaluated and
/// the file that includes it.
struct Scope<'a> {
    repo: &'a Path,
    /// The unit's folder (Terragrunt's working directory), absolute.
    unit_dir: PathBuf,
    /// The file whose expressions are evaluated, absolute.
    file: PathBuf,
    /// The included files of the unit, by include name, absolute (for the unit itself).
    includes: Vec<(String, PathBuf)>,
    /// For an included file: itself (it is the "parent" its functions speak of).
    included: bool,
    depth: usize,
    /// The environment variables the unit is run with: a value a file states, or `None` when
    /// the job sets it to a value no file shows.
    vars: &'a BTreeMap<String, Option<String>>,
}

/// The most configurations one unit reads through `include` and `read_terragrunt_config`
/// (real trees read four or five); past it a read is refused, so a file reading itself ends.
const MAX_DEPTH: usize = 8;

/// Reads the unit `rel` (a `terragrunt.hcl`) of the repository in `dir`.
pub fn read_unit(
    dir: &Path,
    rel: &str,
    vars: &BTreeMap<String, Option<String>>,
) -> Result<Unit, InputError> {
    // Terragrunt's functions give absolute paths: work on the absolute folder.
    let absolute = absolute(dir);
    let dir = absolute.as_path();
    let repo = dir;
    let file = dir.join(rel);
    let unit_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let _module_dir = DirGuard::module(unit_dir.clone());
    let parsed = parse(dir, rel)?;
    let lines = Lines::of_parsed(&parsed);
    // 1. The includes, evaluated with the functions alone.
    let mut scope = Scope {
        repo,
        unit_dir: unit_dir.clone(),
        file: file.clone(),
        includes: Vec::new(),
        included: false,
        depth: 0,
        vars,
    };
    let mut merged = Config::default();
    let mut exposed: hcl::Map<String, hcl::Value> = hcl::Map::new();
    let mut files = vec![rel.to_string()];
    let mut problems = Vec::new();
    // Units are read one at a time: what an earlier, failed read left is not this unit's.
    ENVIRONMENT_LOCALS.with(|l| l.borrow_mut().clear());
    for block in parsed.body.blocks().filter(|b| b.ident == "include") {
        let name = label(block, 0).unwrap_or_default();
        let at = lines.of(block.span.clone());
        let Some(path) = block.body.attribute("path") else {
            problems.push(
                Diagnostic::at(at, "an `include` block without `path`")
                    .expected("include { path = find_in_parent_folders(\"root.hcl\") }"),
            );
            continue;
        };
        let ctx = scope.context(&hcl::Map::new(), &hcl::Map::new());
        let Some(target) = scope
            .evaluate(&path.value, &ctx)
            .ok()
            .and_then(|v| v.as_str().map(PathBuf::from))
        else {
            problems.push(
                Diagnostic::at(
                    lines.of(path.value.span.clone()),
                    "the included file cannot be named before apply (or no such file exists above the unit)",
                )
                .expected("a path, or find_in_parent_folders(\"<name>\") of a file that exists"),
            );
            continue;
        };
        let target = scope.resolve(&target.to_string_lossy());
        scope.includes.push((name.clone(), target.clone()));
        let Some(target_rel) = scope.relative(&target) else {
            problems.push(Diagnostic::at(
                at,
                format!(
                    "the included file {} is outside the repository",
                    target.display()
                ),
            ));
            continue;
        };
        let parent_scope = Scope {
            repo,
            unit_dir: unit_dir.clone(),
            file: target.clone(),
            includes: Vec::new(),
            included: true,
            depth: 1,
            vars,
        };
        let parent = match parent_scope.config(&target_rel) {
            Ok(c) => c,
            Err(InputError::Invalid(d)) => {
                problems.extend(d);
                continue;
            }
            Err(e) => return Err(e),
        };
        files.extend(parent.files.iter().cloned());
        let expose = block
            .body
            .attribute("expose")
            .and_then(|a| scope.evaluate(&a.value, &ctx).ok())
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if expose {
            let value = exposed_value(&parent);
            if name.is_empty() {
                if let hcl::Value::Object(map) = value {
                    exposed.extend(map);
                }
            } else {
                exposed.insert(name.clone(), value);
            }
        }
        let strategy = block
            .body
            .attribute("merge_strategy")
            .and_then(|a| scope.evaluate(&a.value, &ctx).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "shallow".into());
        match strategy.as_str() {
            "no_merge" => {}
            "deep" => merge_into(&mut merged, parent, true),
            _ => merge_into(&mut merged, parent, false),
        }
    }
    if !problems.is_empty() {
        return Err(InputError::Invalid(problems));
    }
    // 2. The unit's own values, over what it includes.
    let own = scope.evaluate_body(&parsed, &lines, exposed);
    let environment_locals: Vec<EnvironmentLocal> =
        ENVIRONMENT_LOCALS.with(|l| std::mem::take(&mut *l.borrow_mut()));
    let own = own?;
    files.extend(own.files.iter().skip(1).cloned());
    merge_into(&mut merged, own, false);
    // Var files are passed as `-var-file`, which Terraform ranks above the `TF_VAR_` variables
    // Terragrunt passes `inputs` as: their values win, the later file's over the earlier's.
    for (path, required, at) in std::mem::take(&mut merged.var_files) {
        let Some(file) = scope.relative(&path).filter(|_| path.is_file()) else {
            // A required file not in the repository is made where the unit runs (decrypted
            // or written by the job): it may set any variable. An optional one Terragrunt
            // skips too.
            if required {
                merged.open = true;
            }
            continue;
        };
        match super::variable_file_values(scope.repo, &file) {
            Some(values) => {
                for (key, value, where_) in values {
                    merged.unknown_inputs.remove(&key);
                    merged.inputs.insert(key, (value, where_));
                }
                files.push(file);
            }
            None => problems.push(
                Diagnostic::at(at, format!("the var file {file} does not parse"))
                    .expected("`name = value` lines, or a JSON object for .tfvars.json"),
            ),
        }
    }
    if !problems.is_empty() {
        return Err(InputError::Invalid(problems));
    }
    files.dedup();
    let unit_folder = scope.relative(&unit_dir).unwrap_or_else(|| ".".into());
    let (source, source_at) = match merged.source.clone() {
        Some((Some(source), at)) => (scope.source(&source), at),
        Some((None, at)) => match merged
            .source_text
            .as_deref()
            .and_then(|text| own_copy(text, scope.repo))
        {
            Some((folder, source)) => (UnitSource::OwnCopy { folder, source }, at),
            None => (
                UnitSource::Unknown("its `terraform { source }` is known only at run time".into()),
                at,
            ),
        },
        None => (UnitSource::Local(unit_folder), Location::new(rel, 1, 1)),
    };
    Ok(Unit {
        file: rel.to_string(),
        source,
        source_at,
        inputs: merged.inputs,
        unknown_inputs: merged.unknown_inputs,
        open: merged.open,
        files,
        environment_locals,
    })
}

/// An included file's values as `include.<name>` shows them.
fn exposed_value(config: &Config) -> hcl::Value {
    let mut out = hcl::Map::new();
    out.insert(
        "locals".to_string(),
        hcl::Value::Object(config.locals.clone()),
    );
    out.insert(
        "inputs".to_string(),
        hcl::Value::Object(
            config
                .inputs
                .iter()
                .map(|(k, (v, _))| (k.clone(), v.clone()))
                .collect(),
        ),
    );
    if let Some((Some(source), _)) = &config.source {
        out.insert(
            "terraform".to_string(),
            hcl::value!({ source = (source.clone()) }),
        );
    }
    hcl::Value::Object(out)
}

/// Merges `later` (the including unit, or a later include) over `into`, as Terragrunt merges an
/// included configuration: inputs key by key (nested maps too when `deep`), the later value
/// winning; the later `terraform` source when it has one.
fn merge_into(into: &mut Config, later: Config, deep: bool) {
    if later.open {
        into.open = true;
    }
    for (key, at) in later.unknown_inputs {
        into.inputs.remove(&key);
        into.unknown_inputs.insert(key, at);
    }
    for (key, (value, at)) in later.inputs {
        into.unknown_inputs.remove(&key);
        let value = match (deep, into.inputs.remove(&key)) {
            (true, Some((earlier, _))) => deep_merge(earlier, value),
            _ => value,
        };
        into.inputs.insert(key, (value, at));
    }
    if later.source.is_some() {
        into.source = later.source;
        into.source_text = later.source_text;
    }
    // Terragrunt passes the included file's arguments, then the unit's.
    into.var_files.extend(later.var_files);
}

fn deep_merge(earlier: hcl::Value, later: hcl::Value) -> hcl::Value {
    match (earlier, later) {
        (hcl::Value::Object(mut a), hcl::Value::Object(b)) => {
            for (k, v) in b {
                let v = match a.shift_remove(&k) {
                    Some(old) => deep_merge(old, v),
                    None => v,
                };
                a.insert(k, v);
            }
            hcl::Value::Object(a)
        }
        (hcl::Value::Array(mut a), hcl::Value::Array(b)) => {
            a.extend(b);
            hcl::Value::Array(a)
        }
        (_, later) => later,
    }
}

/// `dir` as an absolute, cleaned path (the current folder joined, no link resolved).
fn absolute(dir: &Path) -> PathBuf {
    let joined = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    PathBuf::from(clean(&joined.to_string_lossy()))
}

/// A path lexically cleaned: `.` and empty segments dropped, `..` taking one off (`//`, the
/// module sub-folder separator, is a plain separator for a local path).
fn clean(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// The relative path from folder `from` to `to` (both cleaned, absolute).
fn relative_between(from: &Path, to: &Path) -> String {
    let from: Vec<String> = clean(&from.to_string_lossy())
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let to: Vec<String> = clean(&to.to_string_lossy())
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(to[common..].iter().cloned());
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

impl Scope<'_> {
    /// The repository root as Terragrunt's `get_repo_root()` finds it: the nearest folder above
    /// the unit holding `.git`, else the folder checked.
    fn repo_root(&self) -> PathBuf {
        let mut at = Some(self.unit_dir.as_path());
        while let Some(dir) = at {
            if dir.join(".git").exists() {
                return dir.to_path_buf();
            }
            if dir == self.repo {
                break;
            }
            at = dir.parent();
        }
        self.repo.to_path_buf()
    }

    /// `path` made absolute against the unit's folder, and cleaned.
    fn resolve(&self, path: &str) -> PathBuf {
        let joined = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("{}/{path}", self.unit_dir.to_string_lossy())
        };
        PathBuf::from(clean(&joined))
    }

    /// `path` relative to the repository, or `None` outside it.
    fn relative(&self, path: &Path) -> Option<String> {
        let repo = PathBuf::from(clean(&self.repo.to_string_lossy()));
        let path = PathBuf::from(clean(&path.to_string_lossy()));
        let rel = path.strip_prefix(&repo).ok()?;
        let rel = rel.to_string_lossy().replace('\\', "/");
        Some(if rel.is_empty() { ".".into() } else { rel })
    }

    /// The module a `source` names.
    fn source(&self, source: &str) -> UnitSource {
        let local =
            source.starts_with('/') || source.starts_with("./") || source.starts_with("../");
        if !local {
            return UnitSource::Remote(source.to_string());
        }
        let path = self.resolve(source.split('?').next().unwrap_or(source));
        match self.relative(&path) {
            Some(rel) if self.repo.join(&rel).is_dir() => UnitSource::Local(rel),
            Some(rel) => UnitSource::Unknown(format!(
                "its source `{source}` is not a folder of the repository ({rel})"
            )),
            None => UnitSource::Unknown(format!("its source `{source}` is outside the repository")),
        }
    }

    /// The folder the "parent" functions speak of: the included file's own folder when it is
    /// evaluated, else the unit's (first, or named) include's.
    fn parent_dir(&self, name: Option<&str>) -> Option<PathBuf> {
        if self.included {
            return self.file.parent().map(Path::to_path_buf);
        }
        let include = match name {
            Some(n) => self.includes.iter().find(|(i, _)| i == n),
            None => self.includes.first(),
        }?;
        include.1.parent().map(Path::to_path_buf)
    }

    /// The evaluation context of a configuration: Terraform's functions, `local` and
    /// `include`. `dependency` is deliberately absent: its outputs are unknown.
    fn context(
        &self,
        locals: &hcl::Map<String, hcl::Value>,
        exposed: &hcl::Map<String, hcl::Value>,
    ) -> Context<'static> {
        let mut ctx = Context::new();
        ctx.declare_var("local", hcl::Value::Object(locals.clone()));
        if !exposed.is_empty() {
            ctx.declare_var("include", hcl::Value::Object(exposed.clone()));
        }
        for (name, def) in functions() {
            ctx.declare_func(name, def);
        }
        ctx
    }

    /// Evaluates an expression after replacing Terragrunt's own function calls by their values.
    fn evaluate(&self, expr: &TfExpr, ctx: &Context) -> Result<hcl::Value, hcl::eval::Error> {
        let mut resolved = match &expr.template {
            Some(template) => {
                let mut template = (**template).clone();
                for element in template.elements_mut() {
                    if let hcl::template::Element::Interpolation(i) = element {
                        self.resolve_calls(&mut i.expr, ctx);
                        resolve_special_calls(&mut i.expr, ctx);
                    }
                }
                return evaluate_template(&template, ctx);
            }
            None => expr.expr.clone(),
        };
        self.resolve_calls(&mut resolved, ctx);
        resolve_special_calls(&mut resolved, ctx);
        match &resolved {
            // hcl-rs keeps string templates as text: parse them to reach the calls inside.
            hcl::Expression::TemplateExpr(text) => match hcl::Template::from_expr(text) {
                Ok(mut template) => {
                    for element in template.elements_mut() {
                        if let hcl::template::Element::Interpolation(i) = element {
                            self.resolve_calls(&mut i.expr, ctx);
                            resolve_special_calls(&mut i.expr, ctx);
                        }
                    }
                    evaluate_template(&template, ctx)
                }
                Err(_) => resolved.evaluate(ctx),
            },
            _ => resolved.evaluate(ctx),
        }
    }

    /// Replaces calls of Terragrunt's functions (innermost first) by their values. A call whose
    /// value is not known before apply is left, and evaluates to an error: unknown.
    fn resolve_calls(&self, expr: &mut hcl::Expression, ctx: &Context) {
        each_child_mut(expr, true, &mut |child| self.resolve_calls(child, ctx));
        // Templates inside (a path built with `${…}`) are text to hcl-rs: resolve them too.
        if let hcl::Expression::TemplateExpr(text) = expr {
            if text_mentions_call(text) {
                if let Ok(mut template) = hcl::Template::from_expr(text) {
                    for element in template.elements_mut() {
                        if let hcl::template::Element::Interpolation(i) = element {
                            self.resolve_calls(&mut i.expr, ctx);
                        }
                    }
                    if let Ok(value) = evaluate_template(&template, ctx) {
                        *expr = hcl::Expression::from(value);
                    }
                }
            }
            return;
        }
        let hcl::Expression::FuncCall(call) = expr else {
            return;
        };
        if !call.name.namespace.is_empty() {
            return;
        }
        let args: Vec<Option<hcl::Value>> = call
            .args
            .iter()
            .map(|a| {
                let mut a = a.clone();
                resolve_special_calls(&mut a, ctx);
                a.evaluate(ctx).ok()
            })
            .collect();
        let text = |i: usize| {
            args.get(i)
                .and_then(|a| a.as_ref())
                .and_then(|v| v.as_str().map(str::to_string))
        };
        let path_value = |p: &Path| Some(hcl::Value::from(p.to_string_lossy().into_owned()));
        let value: Option<hcl::Value> = match call.name.name.as_str() {
            "find_in_parent_folders" => {
                let name = text(0).unwrap_or_else(|| "terragrunt.hcl".into());
                self.find_in_parent_folders(&name)
                    .map_or_else(|| args.get(1).cloned().flatten(), |p| path_value(&p))
            }
            "get_terragrunt_dir" | "get_original_terragrunt_dir" => path_value(&self.unit_dir),
            "get_parent_terragrunt_dir" => self
                .parent_dir(text(0).as_deref())
                .and_then(|p| path_value(&p)),
            "get_repo_root" => path_value(&self.repo_root()),
            "get_path_from_repo_root" => Some(hcl::Value::from(relative_between(
                &self.repo_root(),
                &self.unit_dir,
            ))),
            "get_path_to_repo_root" => Some(hcl::Value::from(relative_between(
                &self.unit_dir,
                &self.repo_root(),
            ))),
            "path_relative_to_include" => Some(hcl::Value::from(
                match self.parent_dir(text(0).as_deref()) {
                    Some(parent) => relative_between(&parent, &self.unit_dir),
                    None => ".".into(),
                },
            )),
            "path_relative_from_include" => Some(hcl::Value::from(
                match self.parent_dir(text(0).as_deref()) {
                    Some(parent) => relative_between(&self.unit_dir, &parent),
                    None => ".".into(),
                },
            )),
            // The variable's value where liftoff runs says nothing of where Terragrunt runs: the
            // value the deploy job states, else the default, else unknown.
            "get_env" => match text(0).and_then(|name| self.vars.get(&name)) {
                Some(Some(value)) => Some(hcl::Value::from(value.clone())),
                // Set by the job to a secret: unknown, never the default.
                Some(None) => None,
                None => args.get(1).cloned().flatten(),
            },
            "dirname" => text(0).map(|p| {
                hcl::Value::from(p.rsplit_once('/').map_or(".".to_string(), |(d, _)| {
                    if d.is_empty() {
                        "/".into()
                    } else {
                        d.to_string()
                    }
                }))
            }),
            "basename" => text(0).map(|p| {
                hcl::Value::from(
                    p.trim_end_matches('/')
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .to_string(),
                )
            }),
            "abspath" => text(0).map(|p| hcl::Value::from(clean(&p))),
            "read_terragrunt_config" => {
                let read = text(0).and_then(|p| self.read_config_value(&self.resolve(&p)));
                read.or_else(|| args.get(1).cloned().flatten())
            }
            _ => None,
        };
        if let Some(value) = value {
            *expr = hcl::Expression::from(value);
        }
    }

    /// The nearest `name` in the folders above the unit's, within the repository.
    fn find_in_parent_folders(&self, name: &str) -> Option<PathBuf> {
        let start = if self.included {
            self.unit_dir.clone()
        } else {
            self.file.parent()?.to_path_buf()
        };
        let repo = PathBuf::from(clean(&self.repo.to_string_lossy()));
        let mut at = PathBuf::from(clean(&start.to_string_lossy()))
            .parent()
            .map(Path::to_path_buf);
        while let Some(dir) = at {
            if !dir.starts_with(&repo) {
                break;
            }
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(PathBuf::from(clean(&candidate.to_string_lossy())));
            }
            at = dir.parent().map(Path::to_path_buf);
        }
        None
    }

    /// `read_terragrunt_config`: the file evaluated on its own (its functions speak of it), as
    /// the object Terragrunt gives (`locals`, `inputs`, …).
    fn read_config_value(&self, path: &Path) -> Option<hcl::Value> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        let rel = self.relative(path)?;
        let scope = Scope {
            repo: self.repo,
            unit_dir: path.parent()?.to_path_buf(),
            file: path.to_path_buf(),
            includes: Vec::new(),
            included: false,
            depth: self.depth + 1,
            vars: self.vars,
        };
        let config = scope.config(&rel).ok()?;
        READ_FILES.with(|f| f.borrow_mut().extend(config.files.iter().cloned()));
        Some(exposed_value(&config))
    }

    /// Parses and evaluates the configuration file `rel` (an included or read one).
    fn config(&self, rel: &str) -> Result<Config, InputError> {
        if self.depth > MAX_DEPTH {
            return Err(InputError::one(Diagnostic::in_file(
                rel,
                format!("Terragrunt configurations read each other more than {MAX_DEPTH} deep"),
            )));
        }
        let parsed = parse(self.repo, rel)?;
        let lines = Lines::of_parsed(&parsed);
        self.evaluate_body(&parsed, &lines, hcl::Map::new())
    }

    /// Locals, then the `terraform` source and the `inputs` of a parsed file.
    fn evaluate_body(
        &self,
        parsed: &Parsed,
        lines: &Lines<'_>,
        exposed: hcl::Map<String, hcl::Value>,
    ) -> Result<Config, InputError> {
        let mut config = Config {
            files: vec![parsed.rel.clone()],
            ..Config::default()
        };
        let before = READ_FILES.with(|f| f.borrow().len());
        // Locals in any order: evaluated pass after pass until none more can be (a local that
        // needs a dependency's output never can: it stays unknown).
        let attributes: Vec<_> = parsed
            .body
            .blocks()
            .filter(|b| b.ident == "locals")
            .flat_map(|b| b.body.attributes())
            .collect();
        let exprs: Vec<(&str, &TfExpr)> = attributes.iter().map(|a| (&*a.key, &a.value)).collect();
        let mut left: Vec<usize> = (0..exprs.len()).collect();
        loop {
            let ctx = self.context(&config.locals, &exposed);
            let mut progressed = false;
            left.retain(|&i| match self.evaluate(exprs[i].1, &ctx) {
                Ok(v) => {
                    config.locals.insert(exprs[i].0.to_string(), v);
                    progressed = true;
                    false
                }
                Err(_) => true,
            });
            if !progressed || left.is_empty() {
                break;
            }
        }
        for a in &attributes {
            if !ENVIRONMENT_KEYS.contains(&&*a.key) {
                continue;
            }
            if let Some(hcl::Value::String(value)) = config.locals.get(&*a.key) {
                let local = EnvironmentLocal {
                    key: a.key.to_string(),
                    value: value.clone(),
                    at: lines.of(a.key_span.clone()),
                };
                ENVIRONMENT_LOCALS.with(|l| l.borrow_mut().push(local));
            }
        }
        let ctx = self.context(&config.locals, &exposed);
        for block in parsed.body.blocks().filter(|b| b.ident == "terraform") {
            for extra in block.body.blocks().filter(|b| b.ident == "extra_arguments") {
                // Arguments for other commands (`init`, `validate`) set nothing deployed; a
                // list that cannot be evaluated (`get_terraform_commands_that_need_vars()`)
                // is the commands that take variables, plan and apply among them.
                let deploys = match extra
                    .body
                    .attribute("commands")
                    .and_then(|c| self.evaluate(&c.value, &ctx).ok())
                {
                    Some(hcl::Value::Array(commands)) => commands
                        .iter()
                        .any(|c| matches!(c.as_str(), Some("apply" | "plan"))),
                    _ => true,
                };
                if !deploys {
                    continue;
                }
                for (name, required) in
                    [("required_var_files", true), ("optional_var_files", false)]
                {
                    let Some(attribute) = extra.body.attribute(name) else {
                        continue;
                    };
                    let at = lines.of(attribute.key_span.clone());
                    if let Ok(hcl::Value::Array(paths)) = self.evaluate(&attribute.value, &ctx) {
                        config.var_files.extend(
                            paths
                                .iter()
                                .filter_map(hcl::Value::as_str)
                                .map(|p| (self.resolve(p), required, at.clone())),
                        );
                    }
                }
            }
            if let Some(source) = block.body.attribute("source") {
                let value = self
                    .evaluate(&source.value, &ctx)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string));
                config.source_text = value
                    .is_none()
                    .then(|| lines.text(&source.value.span).to_string());
                config.source = Some((value, lines.of(source.key_span.clone())));
            }
        }
        if let Some(inputs) = parsed.body.attribute("inputs") {
            let at = lines.of(inputs.key_span.clone());
            let text = lines.text(&inputs.value.span);
            let start = inputs.value.span.as_ref().map_or(0, |s| s.start);
            let key_at = |key: &str| -> Location {
                key_offset(text, key).map_or(at.clone(), |o| lines.at(start + o))
            };
            match self.evaluate(&inputs.value, &ctx) {
                Ok(hcl::Value::Object(map)) => {
                    for (k, v) in map {
                        let where_ = key_at(&k);
                        config.inputs.insert(k, (v, where_));
                    }
                }
                Ok(_) => config.open = true,
                Err(_) => {
                    let mut resolved = inputs.value.expr.clone();
                    self.resolve_calls(&mut resolved, &ctx);
                    resolve_special_calls(&mut resolved, &ctx);
                    match partial_object(&resolved, &ctx) {
                        Some(partial) => {
                            for (k, v) in partial.known {
                                let where_ = key_at(&k);
                                config.inputs.insert(k, (from_json(&v), where_));
                            }
                            for k in partial.unknown_keys {
                                let where_ = key_at(&k);
                                config.unknown_inputs.insert(k, where_);
                            }
                            config.open |= partial.open;
                        }
                        None => config.open = true,
                    }
                }
            }
        }
        READ_FILES.with(|f| {
            let mut f = f.borrow_mut();
            config.files.extend(f.drain(before..));
        });
        Ok(config)
    }
}

thread_local! {
    /// Files `read_terragrunt_config` read while a configuration is evaluated: the unit lists
    /// them as read (a function cannot hand them back any other way).
    static READ_FILES: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Environment locals of every file evaluated for the unit being read, the ones
    /// `read_terragrunt_config` reads included (for the same reason).
    static ENVIRONMENT_LOCALS: std::cell::RefCell<Vec<EnvironmentLocal>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether template text may call a Terragrunt function.
fn text_mentions_call(text: &hcl::expr::TemplateExpr) -> bool {
    let text = match text {
        hcl::expr::TemplateExpr::QuotedString(text) => text,
        hcl::expr::TemplateExpr::Heredoc(heredoc) => &heredoc.template,
    };
    text.contains("${") && text.contains('(')
}

/// The offset in an object's text where `key` is written as a key (`key =`, `"key" =`,
/// `key:`), if it is.
fn key_offset(text: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let bare = trimmed
            .strip_prefix('{')
            .map(str::trim_start)
            .unwrap_or(trimmed);
        let lead = trimmed.len() - bare.len();
        let rest = bare
            .strip_prefix(&format!("\"{key}\""))
            .or_else(|| bare.strip_prefix(key));
        if let Some(rest) = rest {
            let rest = rest.trim_start();
            if rest.starts_with('=') && !rest.starts_with("==") || rest.starts_with(':') {
                return Some(offset + indent + lead);
            }
        }
        offset += line.len();
    }
    None
}

impl Unit {
    /// The root variables the unit sets, as Terragrunt passes them (`TF_VAR_…`).
    pub fn env_inputs(&self) -> EnvInputs {
        EnvInputs {
            values: self
                .inputs
                .iter()
                .map(|(k, (v, _))| (k.clone(), v.clone()))
                .collect(),
            unknown: self.unknown_inputs.keys().cloned().collect(),
            open: self.open,
            written_at: self
                .inputs
                .iter()
                .map(|(k, (_, at))| (k.clone(), at.clone()))
                .chain(self.unknown_inputs.clone())
                .collect(),
        }
    }

    /// The unit's inputs as the inputs of a module call at `address`, for a remote module that
    /// is not read: rules judge the inputs they recognise, as for a `module` block.
    pub fn inputs_resource(&self, address: &str) -> TfResource {
        let mut resource = TfResource {
            address: address.to_string(),
            resource_type: super::syntax::shared_key("module"),
            location: self.source_at.clone(),
            attributes: Default::default(),
            unknown: Default::default(),
            waivers: Vec::new(),
            references: Default::default(),
        };
        for (key, (value, at)) in &self.inputs {
            let mut value = normalise(to_json(value));
            let committed = value
                .as_str()
                .is_some_and(|s| crate::secrets::judge(key, s) == crate::secrets::Verdict::Secret);
            if crate::secrets::is_terraform_secret(key) && committed {
                value = Json::String(crate::secrets::REDACTED.into());
            }
            resource
                .attributes
                .insert(shared_key(key), (value, at.clone()));
        }
        for (key, at) in &self.unknown_inputs {
            resource.unknown.insert(key.as_str(), at.clone());
        }
        resource
    }
}

impl Unit {
    /// The job's `TF_VAR_<name>` variables: Terragrunt leaves a variable the environment already
    /// sets alone, so each beats the unit's input of that name (known, or unknown for a secret).
    pub fn apply_tf_vars(&mut self, vars: &BTreeMap<String, Option<String>>, at: &Location) {
        for (key, value) in vars {
            let Some(name) = key.strip_prefix("TF_VAR_") else {
                continue;
            };
            match value {
                Some(v) => {
                    self.unknown_inputs.remove(name);
                    self.inputs
                        .insert(name.to_string(), (hcl::Value::from(v.clone()), at.clone()));
                }
                None => {
                    self.inputs.remove(name);
                    self.unknown_inputs.insert(name.to_string(), at.clone());
                }
            }
        }
    }
}

/// The units among `files` (`terragrunt.hcl` files of the repository): every one that no other
/// includes. A root configuration that units include is read through them.
pub fn units(dir: &Path, files: &[String]) -> (Vec<String>, BTreeSet<String>) {
    let absolute = absolute(dir);
    let dir = absolute.as_path();
    let no_vars = BTreeMap::new();
    let mut included = BTreeSet::new();
    for rel in files {
        let Ok(parsed) = parse(dir, rel) else {
            continue;
        };
        let file = dir.join(rel);
        let scope = Scope {
            repo: dir,
            unit_dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
            file: file.clone(),
            includes: Vec::new(),
            included: false,
            depth: 0,
            vars: &no_vars,
        };
        let ctx = scope.context(&hcl::Map::new(), &hcl::Map::new());
        for block in parsed.body.blocks().filter(|b| b.ident == "include") {
            let target = block
                .body
                .attribute("path")
                .and_then(|p| scope.evaluate(&p.value, &ctx).ok())
                .and_then(|v| v.as_str().map(str::to_string));
            if let Some(rel) = target.and_then(|t| scope.relative(&scope.resolve(&t))) {
                included.insert(rel);
            }
        }
    }
    let units = files
        .iter()
        .filter(|f| !included.contains(*f))
        .cloned()
        .collect();
    (units, included)
}

/// The folder of this repository a git source names when the source is this repository itself
/// at a release chosen at run time: `git::https://github.com/org/repo//aws/api?ref=${...}` in a
/// checkout of `repo` whose `aws/api` exists. The repository is known by its `origin` remote in
/// `.git/config`, else by its folder's name. Returns the folder and the source as written.
fn own_copy(text: &str, repo: &Path) -> Option<(String, String)> {
    let source = text.trim().trim_matches('"');
    let url = source.strip_prefix("git::").unwrap_or(source);
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let split = url[after_scheme..].find("//")? + after_scheme;
    let (address, rest) = (&url[..split], &url[split + 2..]);
    let folder = rest.split('?').next()?.trim_matches('/');
    if folder.is_empty() || folder.contains("${") || folder.split('/').any(|p| p == "..") {
        return None;
    }
    let name = address
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()?
        .trim_end_matches(".git");
    if name.is_empty() || name.contains("${") {
        return None;
    }
    let origin = std::fs::read_to_string(repo.join(".git/config")).ok();
    let ours = match origin.as_deref().and_then(|c| {
        c.lines()
            .map(str::trim)
            .find(|l| l.starts_with("url") && l.contains('='))
            .map(|l| l.split('=').nth(1).unwrap_or("").trim().to_string())
    }) {
        Some(url) => {
            url.trim_end_matches('/')
                .trim_end_matches(".git")
                .ends_with(&format!("/{name}"))
                || url.trim_end_matches(".git").ends_with(&format!(":{name}"))
        }
        None => repo
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .is_some_and(|dir| {
                dir == name
                    || dir
                        .strip_suffix(name)
                        .is_some_and(|head| head.ends_with(|c: char| !c.is_ascii_alphanumeric()))
            }),
    };
    (ours && repo.join(folder).is_dir()).then(|| (folder.to_string(), source.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_clean_and_relate_like_terragrunt() {
        assert_eq!(
            clean("/r/live/prod/app/../../../modules//rds"),
            "/r/modules/rds"
        );
        assert_eq!(clean("a/./b//c/.."), "a/b");
        assert_eq!(
            relative_between(Path::new("/r/live"), Path::new("/r/live/prod/app")),
            "prod/app"
        );
        assert_eq!(
            relative_between(Path::new("/r/live/prod/app"), Path::new("/r")),
            "../../.."
        );
    }

    #[test]
    fn input_keys_are_found_where_written() {
        let text = "{\n  name = \"x\"\n  \"multi_az\" = true\n  db_name: 1\n}";
        assert_eq!(key_offset(text, "name"), Some(4));
        assert_eq!(
            &text[key_offset(text, "multi_az").unwrap()..][..10],
            "\"multi_az\""
        );
        assert!(key_offset(text, "db_name").is_some());
        assert_eq!(key_offset(text, "missing"), None);
    }
}
