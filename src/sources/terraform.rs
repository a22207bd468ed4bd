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
//! else they are listed and their inputs kept for the rules. Plan JSON is read by `tfplan`.

use crate::diagnostic::{Diagnostic, InputError};
use crate::model::Location;
use hcl::edit::Span;
use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

/// A resource instance as Terraform would address it.
#[derive(Clone, Debug)]
pub struct TfResource {
    pub address: String,
    pub resource_type: String,
    pub location: Location,
    /// Known attribute values (nested blocks are arrays of objects), with where each is written.
    pub attributes: crate::model::SortedMap<(Json, Location)>,
    /// Attributes whose value is known only after apply.
    pub unknown: crate::model::SortedMap<Location>,
    /// Inline waivers in comments before or inside the block: (rule id, reason, where).
    pub waivers: Vec<(String, String, Location)>,
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

/// Waivers written in comments: `# liftoff:ignore <rule> -- <reason>` and `#checkov:skip=<ID>:<reason>`.
fn inline_waivers(
    lines: &Lines<'_>,
    span: Option<std::ops::Range<usize>>,
    problems: &mut Vec<Diagnostic>,
) -> Vec<(String, String, Location)> {
    let Some(span) = span else { return Vec::new() };
    let first = lines.at(span.start).line as usize;
    let last = lines.at(span.end.saturating_sub(1)).line as usize;
    // The comment lines right above the block, then the lines of the block itself.
    let mut above = first.saturating_sub(1);
    while above > 0
        && lines
            .line(above)
            .is_some_and(|l| l.trim_start().starts_with('#') || l.trim_start().starts_with("//"))
    {
        above -= 1;
    }
    let mut out = Vec::new();
    for number in (above + 1)..=last {
        let Some(line) = lines.line(number) else {
            break;
        };
        let Some(at) = line.find('#').or_else(|| line.find("//")) else {
            continue;
        };
        let comment = line[at..].trim_start_matches(['#', '/']).trim();
        let location = Location::new(lines.path.clone(), number as u32, at as u32 + 1);
        if let Some(rest) = comment.strip_prefix("liftoff:ignore") {
            match rest.split_once("--") {
                Some((rule, reason)) if !rule.trim().is_empty() && !reason.trim().is_empty() => {
                    out.push((rule.trim().to_string(), reason.trim().to_string(), location));
                }
                _ => problems.push(
                    Diagnostic::at(location, "an inline waiver needs a rule id and a reason")
                        .expected("# liftoff:ignore <rule-id> -- <reason>"),
                ),
            }
        } else if let Some(rest) = comment.strip_prefix("checkov:skip=") {
            let (id, reason) = rest
                .split_once(':')
                .unwrap_or((rest, "skipped for checkov"));
            if let Some((_, rule)) = CHECKOV_IDS.iter().find(|(ckv, _)| *ckv == id.trim()) {
                out.push((
                    rule.to_string(),
                    format!("{} (checkov {})", reason.trim(), id.trim()),
                    location,
                ));
            }
        }
    }
    out
}

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
}

/// What a root module holds.
#[derive(Clone, Debug, Default)]
pub struct Root {
    pub resources: Vec<TfResource>,
    /// Module calls not evaluated (remote sources).
    pub modules: Vec<RemoteModule>,
    /// Every folder read, the root first and then its local modules.
    pub folders: Vec<String>,
    /// Every `.tf` file read, installed remote modules' included (discovery skips `.terraform`).
    pub files: Vec<String>,
    /// Files that do not parse, kept instead of failing the read (`--keep-going`).
    pub unreadable: Vec<Diagnostic>,
}

/// Maps byte offsets of one file to lines and columns.
struct Lines<'a> {
    /// Shared by every location in the file.
    path: std::sync::Arc<str>,
    starts: Vec<usize>,
    text: &'a str,
}

impl<'a> Lines<'a> {
    fn new(path: &str, text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines {
            path: path.into(),
            starts,
            text,
        }
    }

    fn at(&self, offset: usize) -> Location {
        let line = self.starts.partition_point(|s| *s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        Location::new(self.path.clone(), line as u32, column as u32)
    }

    /// Line `number` (1-based) without its line ending.
    fn line(&self, number: usize) -> Option<&'a str> {
        let start = *self.starts.get(number.checked_sub(1)?)?;
        let end = self
            .starts
            .get(number)
            .map_or(self.text.len(), |next| next - 1);
        self.text.get(start..end).map(|l| l.trim_end_matches('\r'))
    }

    fn of(&self, span: Option<Range<usize>>) -> Location {
        self.at(span.map_or(0, |s| s.start))
    }

    /// The source text of `span` (empty when unknown).
    fn text(&self, span: &Option<Range<usize>>) -> &'a str {
        span.as_ref()
            .and_then(|s| self.text.get(s.clone()))
            .unwrap_or("")
    }
}

/// A parsed file, kept compact: the hcl-edit tree (whitespace, comments and spans for every
/// token, several times the size of the text) is converted and dropped as soon as the file is
/// parsed, so a repository of a thousand files never holds a thousand trees at once.
struct Parsed {
    rel: String,
    text: String,
    body: TfBody,
}

/// A body: its attributes and blocks, in source order within each kind.
#[derive(Default)]
struct TfBody {
    attributes: Box<[TfAttribute]>,
    blocks: Box<[TfBlock]>,
}

impl TfBody {
    fn from_edit(body: hcl::edit::structure::Body, top_level: bool) -> TfBody {
        let mut attributes = Vec::new();
        let mut blocks = Vec::new();
        for structure in body {
            match structure {
                hcl::edit::structure::Structure::Attribute(attr) => {
                    attributes.push(TfAttribute::from_edit(attr))
                }
                hcl::edit::structure::Structure::Block(block) => {
                    blocks.push(TfBlock::from_edit(block, top_level))
                }
            }
        }
        // Boxed slices: exact size, where a vector keeps up to half again as spare capacity.
        TfBody {
            attributes: attributes.into_boxed_slice(),
            blocks: blocks.into_boxed_slice(),
        }
    }

    fn attributes(&self) -> impl Iterator<Item = &TfAttribute> {
        self.attributes.iter()
    }

    fn blocks(&self) -> impl Iterator<Item = &TfBlock> {
        self.blocks.iter()
    }

    fn attribute(&self, key: &str) -> Option<&TfAttribute> {
        self.attributes.iter().find(|a| &*a.key == key)
    }
}

/// A block with its labels and where it is written.
struct TfBlock {
    ident: String,
    labels: Box<[String]>,
    span: Option<Range<usize>>,
    body: TfBody,
    /// The variables and locals a top-level block names (empty for nested blocks).
    referenced: Names,
}

/// The variables and locals a block names, sorted, as compact lists.
#[derive(Default)]
struct Names {
    vars: Box<[String]>,
    locals: Box<[String]>,
    /// `var` or `local` used as a whole object: the block needs all of them.
    whole: bool,
}

impl TfBlock {
    fn from_edit(block: hcl::edit::structure::Block, top_level: bool) -> TfBlock {
        let mut referenced = Referenced::default();
        if top_level {
            hcl::edit::visit::Visit::visit_block(&mut referenced, &block);
        }
        let span = block.span();
        TfBlock {
            ident: block.ident.value().to_string(),
            labels: block
                .labels
                .iter()
                .map(|l| match l {
                    hcl::edit::structure::BlockLabel::Ident(i) => i.value().to_string(),
                    hcl::edit::structure::BlockLabel::String(s) => s.value().to_string(),
                })
                .collect(),
            span,
            body: TfBody::from_edit(block.body, false),
            referenced: Names {
                vars: referenced.vars.into_iter().collect(),
                locals: referenced.locals.into_iter().collect(),
                whole: referenced.whole,
            },
        }
    }
}

/// An attribute: its key, where the key is written, and its value.
struct TfAttribute {
    key: std::sync::Arc<str>,
    key_span: Option<Range<usize>>,
    value: TfExpr,
}

impl TfAttribute {
    fn from_edit(attr: hcl::edit::structure::Attribute) -> TfAttribute {
        let key_span = attr.key.span();
        TfAttribute {
            key: shared_key(attr.key.value()),
            key_span,
            value: TfExpr::from_edit(attr.value),
        }
    }
}

thread_local! {
    /// Attribute and block names read so far, shared: ten thousand resources need one copy of
    /// `storage_encrypted`, not ten thousand (a megabyte on the benchmark corpus).
    static KEYS: std::cell::RefCell<std::collections::HashSet<std::sync::Arc<str>>> =
        std::cell::RefCell::new(std::collections::HashSet::new());
}

/// `name` as a shared string, one allocation per distinct name.
fn shared_key(name: &str) -> std::sync::Arc<str> {
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if let Some(shared) = keys.get(name) {
            return shared.clone();
        }
        let shared: std::sync::Arc<str> = name.into();
        keys.insert(shared.clone());
        shared
    })
}

/// An expression in hcl-rs form, with the source range it was written in (for the text of a
/// reference) and whether it calls `try` or `can` (which need resolving before evaluation).
struct TfExpr {
    expr: hcl::Expression,
    /// A string template that calls `try` or `can`, parsed so the calls can be resolved. Other
    /// templates stay text, as hcl-rs keeps them: holding every template parsed cost 3 MB more
    /// peak memory and no measurable time on the 10,000-resource benchmark.
    template: Option<Box<hcl::Template>>,
    span: Option<Range<usize>>,
    special: bool,
}

impl TfExpr {
    fn from_edit(value: hcl::edit::expr::Expression) -> TfExpr {
        let span = value.span();
        let mut expr = hcl::Expression::from(value);
        let mut special = compact(&mut expr);
        let mut template = match &expr {
            hcl::Expression::TemplateExpr(text) if mentions_try_or_can(text) => {
                hcl::Template::from_expr(text).ok().map(Box::new)
            }
            _ => None,
        };
        if let Some(template) = &mut template {
            for element in template.elements_mut() {
                if let hcl::template::Element::Interpolation(interpolation) = element {
                    special |= compact(&mut interpolation.expr);
                }
            }
        }
        TfExpr {
            expr,
            template,
            span,
            special,
        }
    }
}

/// Whether a template's text may call `try` or `can` (parsing tells for sure).
fn mentions_try_or_can(template: &hcl::expr::TemplateExpr) -> bool {
    let text = match template {
        hcl::expr::TemplateExpr::QuotedString(text) => text,
        hcl::expr::TemplateExpr::Heredoc(heredoc) => &heredoc.template,
    };
    text.contains("try(") || text.contains("can(")
}

/// Evaluates a parsed template as hcl-rs evaluates a template expression: a template that is one
/// interpolation and nothing else keeps its value's type (`"${var.count}"` is a number).
fn evaluate_template(
    template: &hcl::Template,
    ctx: &Context,
) -> Result<hcl::Value, hcl::eval::Error> {
    match template.elements() {
        [hcl::template::Element::Interpolation(interpolation)] => interpolation.expr.evaluate(ctx),
        _ => template.evaluate(ctx).map(hcl::Value::String),
    }
}

/// Calls `visit` on each direct sub-expression of `expr`. A `for` expression's body is visited
/// only when `into_for_bodies`: its variables are bound only inside the loop.
fn each_child_mut(
    expr: &mut hcl::Expression,
    into_for_bodies: bool,
    visit: &mut dyn FnMut(&mut hcl::Expression),
) {
    use hcl::Expression as E;
    match expr {
        E::Array(items) => items.iter_mut().for_each(visit),
        E::Object(map) => map.values_mut().for_each(visit),
        E::Parenthesis(inner) => visit(inner),
        E::Traversal(traversal) => {
            visit(&mut traversal.expr);
            for op in &mut traversal.operators {
                if let hcl::expr::TraversalOperator::Index(index) = op {
                    visit(index);
                }
            }
        }
        E::Conditional(c) => {
            visit(&mut c.cond_expr);
            visit(&mut c.true_expr);
            visit(&mut c.false_expr);
        }
        E::Operation(op) => match op.as_mut() {
            hcl::expr::Operation::Unary(u) => visit(&mut u.expr),
            hcl::expr::Operation::Binary(b) => {
                visit(&mut b.lhs_expr);
                visit(&mut b.rhs_expr);
            }
        },
        E::ForExpr(f) => {
            visit(&mut f.collection_expr);
            if into_for_bodies {
                visit(&mut f.value_expr);
                if let Some(key) = &mut f.key_expr {
                    visit(key);
                }
                if let Some(cond) = &mut f.cond_expr {
                    visit(cond);
                }
            }
        }
        E::FuncCall(call) => call.args.iter_mut().for_each(visit),
        _ => {}
    }
}

/// Gives back the spare capacity of an expression's lists, and says whether it calls `try` or
/// `can` (which need resolving before evaluation). hcl-rs converts hcl-edit's lists in place, so
/// a traversal keeps room for four of hcl-edit's larger operators: a third of the memory of a
/// parsed configuration (measured with heaptrack).
fn compact(expr: &mut hcl::Expression) -> bool {
    let mut special = match expr {
        hcl::Expression::Array(items) => {
            items.shrink_to_fit();
            false
        }
        hcl::Expression::Traversal(traversal) => {
            traversal.operators.shrink_to_fit();
            false
        }
        hcl::Expression::FuncCall(call) => {
            call.args.shrink_to_fit();
            call.name.namespace.is_empty() && matches!(call.name.name.as_str(), "try" | "can")
        }
        _ => false,
    };
    each_child_mut(expr, true, &mut |child| special |= compact(child));
    special
}

fn parse(dir: &Path, rel: &str) -> Result<Parsed, InputError> {
    let text = super::read_text(&dir.join(rel), rel)?;
    match hcl::edit::parser::parse_body(&text) {
        Ok(body) => Ok(Parsed {
            rel: rel.to_string(),
            text,
            body: TfBody::from_edit(body, true),
        }),
        Err(e) => {
            let at = Location::new(
                rel,
                e.location().line() as u32,
                e.location().column() as u32,
            );
            let message = e
                .message()
                .lines()
                .next()
                .unwrap_or("invalid HCL")
                .to_string();
            Err(InputError::one(
                Diagnostic::at(at, format!("HCL syntax error: {message}"))
                    .expected("valid Terraform (HCL)"),
            ))
        }
    }
}

fn label(block: &TfBlock, index: usize) -> Option<String> {
    block.labels.get(index).cloned()
}

fn to_json(value: &hcl::Value) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

fn from_json(value: &Json) -> hcl::Value {
    hcl::to_value(value).unwrap_or(hcl::Value::Null)
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
    let empty = context(&BTreeMap::new(), &BTreeMap::new(), workspace);
    let inputs = overrides
        .iter()
        .map(|(name, text)| {
            let value = hcl::edit::parser::parse_expr(text)
                .ok()
                .and_then(|e| hcl::Expression::from(e).evaluate(&empty).ok())
                .unwrap_or_else(|| hcl::Value::from(text.as_str()));
            (name.clone(), value)
        })
        .collect();
    let call = ModuleCall {
        inputs,
        installed: std::rc::Rc::new(installed_modules(dir, rel.trim_end_matches('/'))?),
        keep_going,
        ..ModuleCall::default()
    };
    read_module(dir, rel, var_files, workspace, &call)
}

/// How a module is called: the root, or a `module` block of another module.
#[derive(Clone, Debug, Default)]
struct ModuleCall {
    /// Address prefix of its resources (`module.db.`).
    prefix: String,
    /// Input values from the calling block.
    inputs: BTreeMap<String, hcl::Value>,
    /// Inputs whose value is unknown in the caller: their defaults must not be used.
    unknown_inputs: Vec<String>,
    /// The provider's default tags, inherited from the root.
    default_tags: BTreeMap<String, Json>,
    depth: usize,
    /// Its key in `modules.json` (`app.db` for `module.app.module.db`); empty for the root.
    key: String,
    /// Remote modules `terraform init` installed: key → folder in the repository.
    installed: std::rc::Rc<BTreeMap<String, String>>,
    /// Keep problems in [`Root::unreadable`] and read the rest.
    keep_going: bool,
}

/// The remote modules `terraform init` downloaded for the root in `folder`, from
/// `.terraform/modules/modules.json` when it exists: module key → folder in the repository.
fn installed_modules(dir: &Path, folder: &str) -> Result<BTreeMap<String, String>, InputError> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        #[serde(rename = "Modules")]
        modules: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Key")]
        key: String,
        #[serde(rename = "Dir")]
        dir: String,
    }
    let rel = module_path(folder, ".terraform/modules/modules.json");
    let path = dir.join(&rel);
    if !path.is_file() {
        return Ok(BTreeMap::new());
    }
    let text = super::read_text(&path, &rel)?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        InputError::one(
            Diagnostic::at(
                Location::new(rel.as_str(), e.line() as u32, e.column() as u32),
                format!("not a Terraform modules manifest: {e}"),
            )
            .expected("{\"Modules\": [{\"Key\": …, \"Source\": …, \"Dir\": …}]} as `terraform init` writes it"),
        )
    })?;
    Ok(manifest
        .modules
        .into_iter()
        .filter(|m| !m.key.is_empty())
        .map(|m| (m.key, module_path(folder, &m.dir)))
        .collect())
}

/// The most deeply nested module liftoff follows (Terraform has no limit; a cycle would).
const MAX_MODULE_DEPTH: usize = 8;

/// Joins a module's relative `source` onto the calling module's folder.
fn module_path(folder: &str, source: &str) -> String {
    let mut parts: Vec<&str> = folder
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for segment in source.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

fn read_module(
    dir: &Path,
    rel: &str,
    var_files: &[String],
    workspace: &str,
    call: &ModuleCall,
) -> Result<Root, InputError> {
    let folder = rel.trim_end_matches('/');
    let _module_dir = ModuleDirGuard::enter(dir.join(folder));
    let mut names: Vec<String> = std::fs::read_dir(dir.join(folder))
        .map_err(|source| InputError::Io {
            path: rel.to_string(),
            source,
        })?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let join = |n: &str| {
        if folder.is_empty() || folder == "." {
            n.to_string()
        } else {
            format!("{folder}/{n}")
        }
    };
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut root_unreadable = Vec::new();
    for name in names.iter().filter(|n| n.ends_with(".tf")) {
        match parse(dir, &join(name)) {
            Ok(p) => files.push(p),
            Err(InputError::Invalid(d)) => problems.extend(d),
            Err(e) => return Err(e),
        }
    }
    if !problems.is_empty() {
        if !call.keep_going {
            return Err(InputError::Invalid(problems));
        }
        // Only files that do not parse are kept going past; every other problem stops the read.
        root_unreadable.append(&mut problems);
    }
    // Variables: defaults, then terraform.tfvars, *.auto.tfvars, then the declared files.
    let mut vars: BTreeMap<String, hcl::Value> = BTreeMap::new();
    let base_ctx = context(&BTreeMap::new(), &BTreeMap::new(), workspace);
    for file in &files {
        for block in file
            .body
            .blocks()
            .filter(|b| b.ident.as_str() == "variable")
        {
            if let (Some(name), Some(default)) = (label(block, 0), block.body.attribute("default"))
            {
                if let Ok(v) = evaluate_expr(&default.value, &base_ctx) {
                    vars.insert(name, v);
                }
            }
        }
    }
    let mut tfvars: Vec<String> = names
        .iter()
        .filter(|n| {
            *n == "terraform.tfvars"
                || n.ends_with(".auto.tfvars")
                || n.ends_with(".auto.tfvars.json")
        })
        .map(|n| join(n))
        .collect();
    tfvars.extend(var_files.iter().cloned());
    // Variable files feed the root module only; a called module gets its inputs.
    if call.depth > 0 {
        tfvars.clear();
    }
    for path in tfvars {
        if path.ends_with(".json") {
            let text = super::read_text(&dir.join(&path), &path)?;
            let values: BTreeMap<String, Json> = serde_json::from_str(&text).map_err(|e| {
                InputError::one(Diagnostic::at(
                    Location::new(path.as_str(), e.line() as u32, e.column() as u32),
                    format!("invalid JSON: {e}"),
                ))
            })?;
            vars.extend(values.iter().map(|(k, v)| (k.clone(), from_json(v))));
        } else {
            let parsed = parse(dir, &path)?;
            for attr in parsed.body.attributes() {
                if let Ok(v) = evaluate_expr(&attr.value, &base_ctx) {
                    vars.insert(attr.key.to_string(), v);
                }
            }
        }
    }
    vars.extend(call.inputs.clone());
    for unknown in &call.unknown_inputs {
        vars.remove(unknown);
    }
    // Locals may refer to each other: evaluate until nothing more resolves.
    let mut locals: BTreeMap<String, hcl::Value> = BTreeMap::new();
    let local_exprs: Vec<(String, &TfExpr)> = files
        .iter()
        .flat_map(|f| f.body.blocks().filter(|b| b.ident.as_str() == "locals"))
        .flat_map(|b| b.body.attributes().map(|a| (a.key.to_string(), &a.value)))
        .collect();
    // Locals may refer to each other in any order: evaluate in rounds until nothing more resolves.
    // `try`/`can` are resolved only once plain rounds are stuck, so a `try(local.x, ...)` does not
    // take its fallback merely because `local.x` comes later in the file.
    let mut resolve_special = false;
    for _ in 0..(2 * local_exprs.len() + 2) {
        let ctx = context(&vars, &locals, workspace);
        let before = locals.len();
        for (name, expr) in &local_exprs {
            if !locals.contains_key(name) {
                let value = evaluate_with(expr, &ctx, resolve_special);
                if let Ok(v) = value {
                    locals.insert(name.clone(), v);
                }
            }
        }
        match (locals.len() == before, resolve_special) {
            (true, true) => break,
            (true, false) => resolve_special = true,
            (false, _) => resolve_special = false,
        }
    }
    let ctx = context(&vars, &locals, workspace);
    let mut scratch = context(&BTreeMap::new(), &BTreeMap::new(), workspace);
    let mut default_tags = call.default_tags.clone();
    default_tags.extend(provider_default_tags(&files, &ctx));
    let mut root = Root::default();
    root.folders.push(folder.to_string());
    root.files.extend(files.iter().map(|f| f.rel.clone()));
    // Each file is dropped once its resources are read, so its memory serves the next ones.
    for file in files {
        let lines = Lines::new(&file.rel, &file.text);
        for block in file.body.blocks() {
            match block.ident.as_str() {
                "resource" => {
                    if let (Some(rtype), Some(name)) = (label(block, 0), label(block, 1)) {
                        let mut expanded = expand(
                            block,
                            &rtype,
                            &name,
                            &mut scratch,
                            &vars,
                            &locals,
                            &lines,
                            &default_tags,
                            &mut problems,
                        );
                        for r in &mut expanded {
                            r.address = format!("{}{}", call.prefix, r.address);
                        }
                        root.resources.extend(expanded);
                    }
                }
                "module" => {
                    let name = label(block, 0).unwrap_or_default();
                    let value_of = |key: &str| block.body.attribute(key);
                    let source = value_of("source")
                        .and_then(|a| evaluate_expr(&a.value, &ctx).ok())
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default();
                    let local = source.starts_with("./") || source.starts_with("../");
                    let key = if call.key.is_empty() {
                        name.clone()
                    } else {
                        format!("{}.{name}", call.key)
                    };
                    let installed = call.installed.get(&key).filter(|p| dir.join(p).is_dir());
                    if !local || call.depth >= MAX_MODULE_DEPTH {
                        let version = value_of("version")
                            .and_then(|a| evaluate_expr(&a.value, &ctx).ok())
                            .and_then(|v| v.as_str().map(String::from));
                        let followed =
                            !local && installed.is_some() && call.depth < MAX_MODULE_DEPTH;
                        root.modules.push(RemoteModule {
                            address: format!("{}module.{name}", call.prefix),
                            source: source.clone(),
                            version,
                            location: lines.of(block.span.clone()),
                            followed,
                        });
                        if !followed {
                            // Its code is out of reach, but its inputs are written here: rules
                            // judge the inputs they recognise (`storage_encrypted`, `multi_az`, …).
                            let mut inputs = TfResource {
                                address: format!("{}module.{name}", call.prefix),
                                resource_type: "module".to_string(),
                                location: lines.of(block.span.clone()),
                                attributes: Default::default(),
                                unknown: Default::default(),
                                waivers: inline_waivers(&lines, block.span.clone(), &mut problems),
                                references: Default::default(),
                            };
                            read_body(&block.body, "", &ctx, &lines, &mut inputs);
                            root.resources.push(inputs);
                            continue;
                        }
                    }
                    let mut inner = ModuleCall {
                        prefix: format!("{}module.{name}.", call.prefix),
                        default_tags: default_tags.clone(),
                        depth: call.depth + 1,
                        installed: call.installed.clone(),
                        keep_going: call.keep_going,
                        key,
                        ..ModuleCall::default()
                    };
                    let meta = [
                        "source",
                        "version",
                        "count",
                        "for_each",
                        "providers",
                        "depends_on",
                    ];
                    for attr in block.body.attributes().filter(|a| !meta.contains(&&*a.key)) {
                        match evaluate_expr(&attr.value, &ctx) {
                            Ok(v) => {
                                inner.inputs.insert(attr.key.to_string(), v);
                            }
                            Err(_) => inner.unknown_inputs.push(attr.key.to_string()),
                        }
                    }
                    let path = match installed.filter(|_| !local) {
                        Some(installed) => installed.clone(),
                        None => module_path(folder, &source),
                    };
                    if !dir.join(&path).is_dir() {
                        problems.push(
                            Diagnostic::at(lines.of(block.span.clone()), format!("module `{name}`: the source `{source}` is not a directory in the repository"))
                                .expected("a local module path relative to this folder"),
                        );
                        continue;
                    }
                    match read_module(dir, &path, &[], workspace, &inner) {
                        Ok(read) => {
                            root.resources.extend(read.resources);
                            root.modules.extend(read.modules);
                            root.folders.extend(read.folders);
                            root.files.extend(read.files);
                            root.unreadable.extend(read.unreadable);
                        }
                        Err(InputError::Invalid(d)) => problems.extend(d),
                        Err(e) => return Err(e),
                    }
                }
                _ => {}
            }
        }
    }
    if problems.is_empty() {
        root.unreadable.extend(root_unreadable);
        Ok(root)
    } else {
        Err(InputError::Invalid(problems))
    }
}

fn provider_default_tags(files: &[Parsed], ctx: &Context) -> BTreeMap<String, Json> {
    let mut tags = BTreeMap::new();
    for file in files {
        for provider in file
            .body
            .blocks()
            .filter(|b| b.ident.as_str() == "provider" && label(b, 0).as_deref() == Some("aws"))
        {
            for block in provider
                .body
                .blocks()
                .filter(|b| b.ident.as_str() == "default_tags")
            {
                if let Some(attr) = block.body.attribute("tags") {
                    if let Ok(hcl::Value::Object(map)) = evaluate_expr(&attr.value, ctx) {
                        tags.extend(map.iter().map(|(k, v)| (k.clone(), to_json(v))));
                    }
                }
            }
        }
    }
    tags
}

/// The `var.*` and `local.*` names an HCL block refers to.
///
/// hcl-rs evaluates `local.name` by copying the whole `local` object before indexing into it, so
/// evaluating a large module's resources against all its locals is quadratic. Each resource is
/// evaluated against the variables and locals it names instead.
#[derive(Default)]
struct Referenced {
    vars: BTreeSet<String>,
    locals: BTreeSet<String>,
    /// `var` or `local` used as a whole object: the resource needs all of them.
    whole: bool,
}

impl hcl::edit::visit::Visit for Referenced {
    fn visit_traversal(&mut self, node: &hcl::edit::expr::Traversal) {
        use hcl::edit::expr::{Expression, TraversalOperator};
        let root = match &node.expr {
            Expression::Variable(v) => Some(v.as_str()),
            _ => None,
        };
        let first = node.operators.first().map(|o| o.value());
        match (root, first) {
            (Some(root @ ("var" | "local")), Some(TraversalOperator::GetAttr(name))) => {
                let set = if root == "var" {
                    &mut self.vars
                } else {
                    &mut self.locals
                };
                set.insert(name.as_str().to_string());
                for operator in &node.operators {
                    self.visit_traversal_operator(operator);
                }
            }
            _ => hcl::edit::visit::visit_traversal(self, node),
        }
    }

    fn visit_expr(&mut self, node: &hcl::edit::expr::Expression) {
        if let hcl::edit::expr::Expression::Variable(v) = node {
            self.whole |= matches!(v.as_str(), "var" | "local");
        }
        hcl::edit::visit::visit_expr(self, node);
    }
}

/// The object of the `names` of `all` (or all of them when `whole`).
fn subset(all: &BTreeMap<String, hcl::Value>, names: &[String], whole: bool) -> hcl::Value {
    let pick = |(k, v): (&String, &hcl::Value)| (k.clone(), v.clone());
    hcl::Value::Object(if whole {
        all.iter().map(pick).collect()
    } else {
        names
            .iter()
            .filter_map(|n| all.get_key_value(n))
            .map(pick)
            .collect()
    })
}

/// Expands a resource block into its instances. `ctx` is a scratch context holding the module's
/// functions; the variables and locals the block names and each instance's `count` and `each`
/// are declared in it in turn.
#[allow(clippy::too_many_arguments)]
fn expand(
    block: &TfBlock,
    rtype: &str,
    name: &str,
    ctx: &mut Context<'static>,
    vars: &BTreeMap<String, hcl::Value>,
    locals: &BTreeMap<String, hcl::Value>,
    lines: &Lines<'_>,
    default_tags: &BTreeMap<String, Json>,
    problems: &mut Vec<Diagnostic>,
) -> Vec<TfResource> {
    let referenced = &block.referenced;
    ctx.declare_var("var", subset(vars, &referenced.vars, referenced.whole));
    ctx.declare_var(
        "local",
        subset(locals, &referenced.locals, referenced.whole),
    );
    let meta = |key: &str| block.body.attribute(key);
    let base = format!("{rtype}.{name}");
    // (address suffix, count.index, each.key, each.value)
    let mut instances: Vec<(String, Option<i64>, Option<hcl::Value>)> = Vec::new();
    if let Some(count) = meta("count") {
        match evaluate_expr(&count.value, ctx) {
            Ok(v) => {
                let n = v.as_u64().unwrap_or(0);
                instances.extend((0..n as i64).map(|i| (format!("[{i}]"), Some(i), None)));
            }
            // An unknown count: judge the configuration once, under the bare address.
            Err(_) => instances.push((String::new(), Some(0), None)),
        }
    } else if let Some(each) = meta("for_each") {
        match evaluate_expr(&each.value, ctx) {
            Ok(hcl::Value::Object(map)) => instances.extend(map.iter().map(|(k, v)| {
                (
                    format!("[\"{k}\"]"),
                    None,
                    Some(hcl::Value::Array(vec![
                        hcl::Value::from(k.clone()),
                        v.clone(),
                    ])),
                )
            })),
            Ok(hcl::Value::Array(set)) => {
                instances.extend(set.iter().filter_map(|v| v.as_str()).map(|k| {
                    (
                        format!("[\"{k}\"]"),
                        None,
                        Some(hcl::Value::Array(vec![
                            hcl::Value::from(k),
                            hcl::Value::from(k),
                        ])),
                    )
                }))
            }
            _ => instances.push((String::new(), None, None)),
        }
    } else {
        instances.push((String::new(), None, None));
    }
    let mut out = Vec::new();
    let waivers = inline_waivers(lines, block.span.clone(), problems);
    for (suffix, index, each) in instances {
        // Null, not left over from the previous resource: `count.index` outside a counted
        // resource must not evaluate.
        match index {
            Some(i) => ctx.declare_var("count", hcl::value!({ index = (i) })),
            None => ctx.declare_var("count", hcl::Value::Null),
        }
        match &each {
            Some(hcl::Value::Array(pair)) => {
                let mut obj = hcl::Map::new();
                obj.insert("key".to_string(), pair[0].clone());
                obj.insert("value".to_string(), pair[1].clone());
                ctx.declare_var("each", hcl::Value::Object(obj));
            }
            _ => ctx.declare_var("each", hcl::Value::Null),
        }
        let mut resource = TfResource {
            address: format!("{base}{suffix}"),
            resource_type: rtype.to_string(),
            location: lines.of(block.span.clone()),
            attributes: Default::default(),
            unknown: Default::default(),
            waivers: waivers.clone(),
            references: Default::default(),
        };
        read_body(&block.body, "", ctx, lines, &mut resource);
        if !default_tags.is_empty() && rtype.starts_with("aws_") {
            let (mut tags, at) = match resource.attributes.remove("tags") {
                Some((Json::Object(own), at)) => (own, at),
                _ => (serde_json::Map::new(), resource.location.clone()),
            };
            for (k, v) in default_tags {
                tags.entry(k.clone()).or_insert_with(|| v.clone());
            }
            resource.attributes.insert("tags", (Json::Object(tags), at));
        }
        resource.attributes.shrink_to_fit();
        resource.unknown.shrink_to_fit();
        resource.references.shrink_to_fit();
        out.push(resource);
    }
    out
}

/// Expands a `dynamic "name" { for_each = …; content { … } }` block into one nested `name` block
/// per element, as Terraform does. A `for_each` known only after apply leaves the block unknown.
fn read_dynamic(
    block: &TfBlock,
    prefix: &str,
    ctx: &Context,
    lines: &Lines<'_>,
    nested: &mut BTreeMap<String, Vec<Json>>,
    nested_at: &mut BTreeMap<String, Location>,
    resource: &mut TfResource,
) {
    let Some(name) = label(block, 0) else { return };
    let key = format!("{prefix}{name}");
    let attribute = |k: &str| block.body.attribute(k);
    let Some(content) = block.body.blocks().find(|b| b.ident.as_str() == "content") else {
        return;
    };
    // `iterator = rule` names the loop variable; it defaults to the block's label.
    let iterator = attribute("iterator")
        .map(|a| lines.text(&a.value.span).trim().to_string())
        .unwrap_or_else(|| name.clone());
    let elements: Vec<(hcl::Value, hcl::Value)> =
        match attribute("for_each").map(|a| evaluate_expr(&a.value, ctx)) {
            Some(Ok(hcl::Value::Array(items))) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (hcl::Value::from(i as u64), v))
                .collect(),
            Some(Ok(hcl::Value::Object(map))) => map
                .into_iter()
                .map(|(k, v)| (hcl::Value::from(k), v))
                .collect(),
            _ => {
                resource.unknown.insert(key, lines.of(block.span.clone()));
                return;
            }
        };
    nested_at
        .entry(key.clone())
        .or_insert_with(|| lines.of(block.span.clone()));
    let entries = nested.entry(key).or_default();
    for (k, v) in elements {
        let mut scope = ctx.clone();
        let mut object = hcl::Map::new();
        object.insert("key".to_string(), k);
        object.insert("value".to_string(), v);
        scope.declare_var(iterator.as_str(), hcl::Value::Object(object));
        let mut inner = TfResource {
            address: String::new(),
            resource_type: String::new(),
            location: lines.of(content.span.clone()),
            attributes: Default::default(),
            unknown: Default::default(),
            waivers: Vec::new(),
            references: Default::default(),
        };
        read_body(&content.body, "", &scope, lines, &mut inner);
        entries.push(Json::Object(
            inner
                .attributes
                .into_iter()
                .map(|(k, (v, _))| (k.to_string(), v))
                .collect(),
        ));
    }
}

/// Evaluates a body's attributes and nested blocks into `resource`, under `prefix`.
fn read_body(
    body: &TfBody,
    prefix: &str,
    ctx: &Context,
    lines: &Lines<'_>,
    resource: &mut TfResource,
) {
    for attr in body.attributes() {
        let key = if prefix.is_empty() {
            attr.key.clone()
        } else {
            shared_key(&format!("{prefix}{}", attr.key))
        };
        if matches!(&*attr.key, "count" | "for_each" | "depends_on" | "provider")
            && prefix.is_empty()
        {
            continue;
        }
        let at = lines.of(attr.key_span.clone());
        match evaluate_expr(&attr.value, ctx) {
            Ok(value) => {
                let mut value = normalise(to_json(&value));
                // A secret known before apply is written in the repository (literally, as a
                // variable default or in a variable file); its value never enters the model.
                // Flags such as `manage_master_user_password = true` hold no secret.
                let literal = value.as_str().is_some_and(|s| !s.is_empty());
                if crate::secrets::is_terraform_secret(&attr.key) && literal {
                    value = Json::String(crate::secrets::REDACTED.into());
                }
                resource.attributes.insert(key, (value, at));
            }
            Err(_) => {
                if let Some(address) = reference(lines.text(&attr.value.span)) {
                    resource.references.insert(key.clone(), address);
                }
                resource.unknown.insert(key, at);
            }
        }
    }
    // Nested blocks become arrays of objects under the block's name (`encrypt_at_rest[0].enabled`).
    let mut nested: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    let mut nested_at: BTreeMap<String, Location> = BTreeMap::new();
    for block in body.blocks() {
        let ident = block.ident.clone();
        if ident == "lifecycle" {
            continue;
        }
        if ident == "dynamic" {
            read_dynamic(
                block,
                prefix,
                ctx,
                lines,
                &mut nested,
                &mut nested_at,
                resource,
            );
            continue;
        }
        let mut inner = TfResource {
            address: String::new(),
            resource_type: String::new(),
            location: lines.of(block.span.clone()),
            attributes: Default::default(),
            unknown: Default::default(),
            waivers: Vec::new(),
            references: Default::default(),
        };
        read_body(&block.body, "", ctx, lines, &mut inner);
        let object: serde_json::Map<String, Json> = inner
            .attributes
            .into_iter()
            .map(|(k, (v, _))| (k.to_string(), v))
            .collect();
        nested_at
            .entry(format!("{prefix}{ident}"))
            .or_insert_with(|| lines.of(block.span.clone()));
        nested
            .entry(format!("{prefix}{ident}"))
            .or_default()
            .push(Json::Object(object));
    }
    for (key, items) in nested {
        let at = nested_at
            .remove(&key)
            .unwrap_or_else(|| resource.location.clone());
        resource
            .attributes
            .insert(shared_key(&key), (Json::Array(items), at));
    }
}

/// Terraform converts strings to booleans and numbers where the schema wants them: `"true"`,
/// `"300"`. Without the provider schema, liftoff normalises the unambiguous forms.
fn normalise(value: Json) -> Json {
    match value {
        Json::String(s) if s == "true" => Json::Bool(true),
        Json::String(s) if s == "false" => Json::Bool(false),
        Json::String(s)
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.len() < 16 =>
        {
            s.parse::<i64>().map(Json::from).unwrap_or(Json::String(s))
        }
        other => other,
    }
}

fn context(
    vars: &BTreeMap<String, hcl::Value>,
    locals: &BTreeMap<String, hcl::Value>,
    workspace: &str,
) -> Context<'static> {
    let mut ctx = Context::new();
    ctx.declare_var(
        "var",
        hcl::Value::Object(vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
    );
    ctx.declare_var(
        "local",
        hcl::Value::Object(locals.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
    );
    ctx.declare_var("terraform", hcl::value!({ workspace = (workspace) }));
    ctx.declare_var("path", hcl::value!({ module = ".", root = ".", cwd = "." }));
    for (name, def) in functions() {
        ctx.declare_func(name, def);
    }
    ctx
}

thread_local! {
    /// The directory of the module being read, for `file` and `templatefile`: hcl-rs functions are
    /// plain `fn`s that cannot capture it, and a module is read on one thread from start to end.
    static MODULE_DIR: std::cell::RefCell<std::path::PathBuf> =
        std::cell::RefCell::new(std::path::PathBuf::new());
}

/// Sets the module directory for the file functions until the guard is dropped.
struct ModuleDirGuard(std::path::PathBuf);

impl ModuleDirGuard {
    fn enter(dir: std::path::PathBuf) -> ModuleDirGuard {
        ModuleDirGuard(MODULE_DIR.with(|d| d.replace(dir)))
    }
}

impl Drop for ModuleDirGuard {
    fn drop(&mut self) {
        let previous = std::mem::take(&mut self.0);
        MODULE_DIR.with(|d| *d.borrow_mut() = previous);
    }
}

/// The most of a file `file` or `templatefile` reads; configuration files are small.
const FILE_LIMIT: u64 = 1 << 20;

/// Reads a file named relative to the module directory, as `file()` does.
fn read_module_file(path: &str) -> Result<String, String> {
    let relative = path.trim_start_matches("./");
    let full = MODULE_DIR.with(|d| d.borrow().join(relative));
    // The bounded reader: regular files only (a pipe would block, /dev/zero never ends), the
    // size checked before reading.
    super::read_text_limited(&full, path, FILE_LIMIT).map_err(|e| match e {
        crate::diagnostic::InputError::Invalid(d) => format!(
            "file {path}: {}",
            d.first()
                .map(|d| d.message.as_str())
                .unwrap_or("unreadable")
        ),
        other => format!("file {path}: {other}"),
    })
}

/// Whether an evaluation failed only because a value is not known before apply (a reference to a
/// data source or another resource), as opposed to a real error such as a missing map key.
fn unknown_before_apply(error: &hcl::eval::Error) -> bool {
    matches!(error.kind(), hcl::eval::ErrorKind::UndefinedVar(_))
}

/// Resolves `try` and `can`, which hcl-rs cannot run as functions because it evaluates every
/// argument first. `try` takes the first argument that evaluates; `can` says whether its argument
/// does. An argument that is unknown before apply leaves the call unresolved, so it stays unknown
/// instead of silently taking the fallback. `for` bodies are left alone: their variables are bound
/// only inside the loop. String templates are resolved by [`evaluate_with`], which holds them
/// parsed; a template nested inside another expression (an object value, a call argument) keeps
/// its `try` unresolved, and so unknown.
fn resolve_special_calls(expr: &mut hcl::Expression, ctx: &Context) {
    use hcl::Expression as E;
    each_child_mut(expr, false, &mut |child| resolve_special_calls(child, ctx));
    let E::FuncCall(call) = expr else { return };
    if !call.name.namespace.is_empty() {
        return;
    }
    let replacement = match call.name.name.as_str() {
        "try" => {
            let mut chosen = None;
            for arg in &call.args {
                match arg.evaluate(ctx) {
                    Ok(value) => {
                        chosen = Some(E::from(value));
                        break;
                    }
                    Err(e) if unknown_before_apply(&e) => break,
                    Err(_) => {}
                }
            }
            chosen
        }
        "can" => match call.args.first().map(|a| a.evaluate(ctx)) {
            Some(Ok(_)) => Some(E::Bool(true)),
            Some(Err(e)) if unknown_before_apply(&e) => None,
            Some(Err(_)) => Some(E::Bool(false)),
            None => None,
        },
        _ => None,
    };
    if let Some(replacement) = replacement {
        *expr = replacement;
    }
}

/// Evaluates a configuration expression, `try` and `can` included.
fn evaluate_expr(expr: &TfExpr, ctx: &Context) -> Result<hcl::Value, hcl::eval::Error> {
    evaluate_with(expr, ctx, true)
}

/// Evaluates an expression, resolving `try` and `can` first when `resolve_special` (inside string
/// templates too).
fn evaluate_with(
    expr: &TfExpr,
    ctx: &Context,
    resolve_special: bool,
) -> Result<hcl::Value, hcl::eval::Error> {
    match (&expr.template, expr.special && resolve_special) {
        (Some(template), false) => evaluate_template(template, ctx),
        (Some(template), true) => {
            let mut resolved = (**template).clone();
            for element in resolved.elements_mut() {
                if let hcl::template::Element::Interpolation(interpolation) = element {
                    resolve_special_calls(&mut interpolation.expr, ctx);
                }
            }
            evaluate_template(&resolved, ctx)
        }
        (None, false) => expr.expr.evaluate(ctx),
        (None, true) => {
            let mut resolved = expr.expr.clone();
            resolve_special_calls(&mut resolved, ctx);
            resolved.evaluate(ctx)
        }
    }
}

/// The most elements `range` makes, as in Terraform: a larger list is almost always a mistake.
const RANGE_LIMIT: usize = 1024;

/// Terraform's `range(start, limit, step)`: from `start` up to (not including) `limit`; the step
/// defaults to 1, or -1 when `limit` is below `start`, and must point from `start` to `limit`.
fn number_range(start: f64, limit: f64, step: Option<f64>) -> Result<Vec<f64>, String> {
    let step = step.unwrap_or(if limit >= start { 1.0 } else { -1.0 });
    if step == 0.0 {
        return Err("range: step must not be zero".into());
    }
    if (limit > start && step < 0.0) || (limit < start && step > 0.0) {
        return Err("range: the step must go from start towards limit".into());
    }
    let mut out = Vec::new();
    let mut value = start;
    while (step > 0.0 && value < limit) || (step < 0.0 && value > limit) {
        if out.len() == RANGE_LIMIT {
            return Err(format!("range: more than {RANGE_LIMIT} elements"));
        }
        out.push(value);
        value = start + step * out.len() as f64;
    }
    Ok(out)
}

/// An IPv4 or IPv6 prefix as (address bits, prefix length, address width).
fn parse_cidr(prefix: &str) -> Result<(u128, u32, u32), String> {
    let (address, length) = prefix
        .split_once('/')
        .ok_or_else(|| format!("`{prefix}` is not a CIDR prefix"))?;
    let length: u32 = length
        .parse()
        .map_err(|_| format!("`{prefix}` has no prefix length"))?;
    let (bits, width) = match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => (u128::from(u32::from(v4)), 32),
        Ok(std::net::IpAddr::V6(v6)) => (u128::from(v6), 128),
        Err(_) => return Err(format!("`{address}` is not an IP address")),
    };
    if length > width {
        return Err(format!("`{prefix}`: the prefix is longer than the address"));
    }
    Ok((bits, length, width))
}

/// Formats address bits of `width` (32 or 128) as an address.
fn format_address(bits: u128, width: u32) -> String {
    if width == 32 {
        // The bits came from an IPv4 address and stay below 2^32.
        std::net::Ipv4Addr::from(bits as u32).to_string()
    } else {
        std::net::Ipv6Addr::from(bits).to_string()
    }
}

/// The network part of `bits` under a prefix of `length` bits.
fn network(bits: u128, length: u32, width: u32) -> u128 {
    let host_bits = width - length;
    if host_bits >= 128 {
        0
    } else {
        bits >> host_bits << host_bits
    }
}

/// Terraform's `cidrsubnet`: the `netnum`th subnet of `prefix`, `newbits` longer.
fn cidr_subnet(prefix: &str, newbits: u64, netnum: u64) -> Result<String, String> {
    let (bits, length, width) = parse_cidr(prefix)?;
    let newbits = u32::try_from(newbits).map_err(|_| "cidrsubnet: newbits too large")?;
    let sub_length = length + newbits;
    if sub_length > width {
        return Err(format!(
            "cidrsubnet: {newbits} more bits do not fit in `{prefix}`"
        ));
    }
    if newbits < 64 && u128::from(netnum) >= 1u128 << newbits {
        return Err(format!(
            "cidrsubnet: {netnum} does not fit in {newbits} bits"
        ));
    }
    let base = network(bits, length, width);
    let subnet = base | (u128::from(netnum) << (width - sub_length));
    Ok(format!("{}/{sub_length}", format_address(subnet, width)))
}

/// Terraform's `cidrhost`: the address of host `hostnum` in `prefix`.
fn cidr_host(prefix: &str, hostnum: u64) -> Result<String, String> {
    let (bits, length, width) = parse_cidr(prefix)?;
    let host_bits = width - length;
    if host_bits < 64 && u128::from(hostnum) >= 1u128 << host_bits {
        return Err(format!("cidrhost: {hostnum} does not fit in `{prefix}`"));
    }
    Ok(format_address(
        network(bits, length, width) | u128::from(hostnum),
        width,
    ))
}

fn functions() -> Vec<(&'static str, FuncDef)> {
    fn merge(args: FuncArgs) -> Result<hcl::Value, String> {
        let mut out = hcl::Map::new();
        for a in args.iter() {
            if let hcl::Value::Object(m) = a {
                out.extend(m.clone());
            }
        }
        Ok(hcl::Value::Object(out))
    }
    fn lookup(args: FuncArgs) -> Result<hcl::Value, String> {
        let key = args[1].as_str().ok_or("lookup: key must be a string")?;
        match (&args[0], args.get(2)) {
            (hcl::Value::Object(m), default) => m
                .get(key)
                .cloned()
                .or_else(|| default.cloned())
                .ok_or_else(|| format!("lookup: no key {key}")),
            _ => Err("lookup: not a map".into()),
        }
    }
    fn coalesce(args: FuncArgs) -> Result<hcl::Value, String> {
        args.iter()
            .find(|v| !v.is_null() && v.as_str() != Some(""))
            .cloned()
            .ok_or_else(|| "coalesce: all null".into())
    }
    fn concat(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::Array(
            args.iter()
                .filter_map(|a| a.as_array())
                .flatten()
                .cloned()
                .collect(),
        ))
    }
    fn length(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::from(match &args[0] {
            hcl::Value::Array(a) => a.len(),
            hcl::Value::Object(m) => m.len(),
            hcl::Value::String(s) => s.chars().count(),
            _ => return Err("length: not a collection".into()),
        } as u64))
    }
    fn lower(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::from(
            args[0].as_str().unwrap_or_default().to_lowercase(),
        ))
    }
    fn upper(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::from(
            args[0].as_str().unwrap_or_default().to_uppercase(),
        ))
    }
    fn join(args: FuncArgs) -> Result<hcl::Value, String> {
        let sep = args[0].as_str().unwrap_or_default();
        let items: Vec<String> = args[1]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect();
        Ok(hcl::Value::from(items.join(sep)))
    }
    fn split(args: FuncArgs) -> Result<hcl::Value, String> {
        let sep = args[0].as_str().unwrap_or_default();
        Ok(hcl::Value::Array(
            args[1]
                .as_str()
                .unwrap_or_default()
                .split(sep)
                .map(|s| hcl::Value::from(s.to_string()))
                .collect(),
        ))
    }
    fn replace(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::from(
            args[0].as_str().unwrap_or_default().replace(
                args[1].as_str().unwrap_or_default(),
                args[2].as_str().unwrap_or_default(),
            ),
        ))
    }
    fn identity(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(args[0].clone())
    }
    fn keys(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::Array(
            args[0]
                .as_object()
                .into_iter()
                .flat_map(|m| m.keys().map(|k| hcl::Value::from(k.clone())))
                .collect(),
        ))
    }
    fn values(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::Array(
            args[0]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values().cloned())
                .collect(),
        ))
    }
    fn contains(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::Bool(
            args[0].as_array().is_some_and(|a| a.contains(&args[1])),
        ))
    }
    fn range(args: FuncArgs) -> Result<hcl::Value, String> {
        let numbers: Vec<f64> = args
            .iter()
            .map(|a| a.as_f64().ok_or("range: arguments must be numbers"))
            .collect::<Result<_, _>>()?;
        let (start, limit, step) = match numbers[..] {
            [limit] => (0.0, limit, None),
            [start, limit] => (start, limit, None),
            [start, limit, step] => (start, limit, Some(step)),
            _ => return Err("range: one to three arguments".into()),
        };
        Ok(hcl::Value::Array(
            number_range(start, limit, step)?
                .into_iter()
                .map(|n| {
                    if n.fract() == 0.0 && n.abs() < 9.0e15 {
                        hcl::Value::from(n as i64)
                    } else {
                        hcl::Value::from(n)
                    }
                })
                .collect(),
        ))
    }
    fn element(args: FuncArgs) -> Result<hcl::Value, String> {
        let list = args[0].as_array().ok_or("element: not a list")?;
        let i = args[1].as_u64().ok_or("element: bad index")? as usize;
        list.get(i % list.len().max(1))
            .cloned()
            .ok_or_else(|| "element: empty list".into())
    }
    fn flatten(args: FuncArgs) -> Result<hcl::Value, String> {
        fn walk(v: &hcl::Value, out: &mut Vec<hcl::Value>) {
            match v {
                hcl::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                other => out.push(other.clone()),
            }
        }
        let mut out = Vec::new();
        walk(&args[0], &mut out);
        Ok(hcl::Value::Array(out))
    }
    fn jsonencode(args: FuncArgs) -> Result<hcl::Value, String> {
        serde_json::to_string(&to_json(&args[0]))
            .map(hcl::Value::from)
            .map_err(|e| e.to_string())
    }
    fn jsondecode(args: FuncArgs) -> Result<hcl::Value, String> {
        let json: Json = serde_json::from_str(args[0].as_str().unwrap_or_default())
            .map_err(|e| e.to_string())?;
        Ok(from_json(&json))
    }
    fn format(args: FuncArgs) -> Result<hcl::Value, String> {
        let mut rest = args.iter().skip(1);
        let template = args[0].as_str().unwrap_or_default();
        let mut out = String::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '%' {
                match chars.next() {
                    Some('%') => out.push('%'),
                    Some(_) => out.push_str(
                        &rest
                            .next()
                            .map(|v| {
                                v.as_str()
                                    .map(String::from)
                                    .unwrap_or_else(|| v.to_string())
                            })
                            .unwrap_or_default(),
                    ),
                    None => out.push('%'),
                }
            } else {
                out.push(c);
            }
        }
        Ok(hcl::Value::from(out))
    }
    fn file(args: FuncArgs) -> Result<hcl::Value, String> {
        let path = args[0].as_str().ok_or("file: the path must be a string")?;
        read_module_file(path).map(hcl::Value::from)
    }
    fn templatefile(args: FuncArgs) -> Result<hcl::Value, String> {
        let path = args[0]
            .as_str()
            .ok_or("templatefile: the path must be a string")?;
        let hcl::Value::Object(vars) = &args[1] else {
            return Err("templatefile: the variables must be an object".into());
        };
        let text = read_module_file(path)?;
        let template: hcl::Template = text
            .parse()
            .map_err(|e| format!("templatefile {path}: {e}"))?;
        let mut ctx = Context::new();
        for (name, value) in vars {
            ctx.declare_var(name.as_str(), value.clone());
        }
        for (name, def) in functions() {
            ctx.declare_func(name, def);
        }
        template
            .evaluate(&ctx)
            .map(hcl::Value::from)
            .map_err(|e| format!("templatefile {path}: {e}"))
    }
    fn cidrsubnet(args: FuncArgs) -> Result<hcl::Value, String> {
        let (newbits, netnum) = (args[1].as_u64(), args[2].as_u64());
        let (Some(newbits), Some(netnum)) = (newbits, netnum) else {
            return Err("cidrsubnet: newbits and netnum must be whole numbers".into());
        };
        cidr_subnet(args[0].as_str().unwrap_or_default(), newbits, netnum).map(hcl::Value::from)
    }
    fn cidrhost(args: FuncArgs) -> Result<hcl::Value, String> {
        let hostnum = args[1]
            .as_u64()
            .ok_or("cidrhost: hostnum must be a whole number")?;
        cidr_host(args[0].as_str().unwrap_or_default(), hostnum).map(hcl::Value::from)
    }
    let any = |n: usize| FuncDef::new(identity, std::iter::repeat_n(ParamType::Any, n));
    vec![
        (
            "cidrsubnet",
            FuncDef::new(cidrsubnet, [ParamType::Any, ParamType::Any, ParamType::Any]),
        ),
        (
            "cidrhost",
            FuncDef::new(cidrhost, [ParamType::Any, ParamType::Any]),
        ),
        (
            "merge",
            FuncDef::builder()
                .variadic_param(ParamType::Any)
                .build(merge),
        ),
        (
            "lookup",
            FuncDef::builder()
                .param(ParamType::Any)
                .param(ParamType::Any)
                .variadic_param(ParamType::Any)
                .build(lookup),
        ),
        (
            "coalesce",
            FuncDef::builder()
                .variadic_param(ParamType::Any)
                .build(coalesce),
        ),
        (
            "concat",
            FuncDef::builder()
                .variadic_param(ParamType::Any)
                .build(concat),
        ),
        ("length", FuncDef::new(length, [ParamType::Any])),
        ("lower", FuncDef::new(lower, [ParamType::Any])),
        ("upper", FuncDef::new(upper, [ParamType::Any])),
        ("join", FuncDef::new(join, [ParamType::Any, ParamType::Any])),
        (
            "split",
            FuncDef::new(split, [ParamType::Any, ParamType::Any]),
        ),
        (
            "replace",
            FuncDef::new(replace, [ParamType::Any, ParamType::Any, ParamType::Any]),
        ),
        ("tomap", any(1)),
        ("tolist", any(1)),
        ("toset", any(1)),
        ("tostring", any(1)),
        ("keys", FuncDef::new(keys, [ParamType::Any])),
        ("values", FuncDef::new(values, [ParamType::Any])),
        (
            "contains",
            FuncDef::new(contains, [ParamType::Any, ParamType::Any]),
        ),
        (
            "element",
            FuncDef::new(element, [ParamType::Any, ParamType::Any]),
        ),
        ("flatten", FuncDef::new(flatten, [ParamType::Any])),
        (
            "range",
            FuncDef::builder()
                .variadic_param(ParamType::Any)
                .build(range),
        ),
        ("jsonencode", FuncDef::new(jsonencode, [ParamType::Any])),
        ("jsondecode", FuncDef::new(jsondecode, [ParamType::Any])),
        ("file", FuncDef::new(file, [ParamType::Any])),
        (
            "templatefile",
            FuncDef::new(templatefile, [ParamType::Any, ParamType::Any]),
        ),
        (
            "format",
            FuncDef::builder()
                .param(ParamType::Any)
                .variadic_param(ParamType::Any)
                .build(format),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sources::test_support::write;

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
        assert_eq!(root.resources[7].resource_type, "module");
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
