//! Parsing: each file's hcl-edit tree turned into a compact form (bodies, blocks, attributes,
//! expressions with their spans) and dropped at once.

use super::*;

/// A parsed file, kept compact: the hcl-edit tree (whitespace, comments and spans for every
/// token, several times the size of the text) is converted and dropped as soon as the file is
/// parsed, so a repository of a thousand files never holds a thousand trees at once.
pub(super) struct Parsed {
    pub(super) rel: String,
    pub(super) text: String,
    /// Where each line of `text` starts ([`line_starts`]).
    pub(super) starts: Box<[u32]>,
    pub(super) body: TfBody,
}

/// A body: its attributes and blocks, in source order within each kind.
#[derive(Default)]
pub(super) struct TfBody {
    pub(super) attributes: Box<[TfAttribute]>,
    pub(super) blocks: Box<[TfBlock]>,
}

impl TfBody {
    pub(super) fn from_edit(body: hcl::edit::structure::Body, top_level: bool) -> TfBody {
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

    pub(super) fn attributes(&self) -> impl Iterator<Item = &TfAttribute> {
        self.attributes.iter()
    }

    pub(super) fn blocks(&self) -> impl Iterator<Item = &TfBlock> {
        self.blocks.iter()
    }

    pub(super) fn attribute(&self, key: &str) -> Option<&TfAttribute> {
        self.attributes.iter().find(|a| &*a.key == key)
    }
}

/// A block with its labels and where it is written.
pub(super) struct TfBlock {
    pub(super) ident: String,
    pub(super) labels: Box<[String]>,
    pub(super) span: Option<Range<usize>>,
    pub(super) body: TfBody,
    /// The variables and locals a top-level block names (empty for nested blocks).
    pub(super) referenced: Names,
}

/// The variables and locals a block names, sorted, as compact lists.
#[derive(Default)]
pub(super) struct Names {
    pub(super) vars: Box<[String]>,
    pub(super) locals: Box<[String]>,
    /// `var` or `local` used as a whole object: the block needs all of them.
    pub(super) whole: bool,
}

impl TfBlock {
    pub(super) fn from_edit(block: hcl::edit::structure::Block, top_level: bool) -> TfBlock {
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
pub(super) struct TfAttribute {
    pub(super) key: std::sync::Arc<str>,
    pub(super) key_span: Option<Range<usize>>,
    pub(super) value: TfExpr,
}

impl TfAttribute {
    pub(super) fn from_edit(attr: hcl::edit::structure::Attribute) -> TfAttribute {
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
    pub(super) static KEYS: std::cell::RefCell<std::collections::HashSet<std::sync::Arc<str>>> =
        std::cell::RefCell::new(std::collections::HashSet::new());
}

/// `name` as a shared string, one allocation per distinct name.
pub(super) fn shared_key(name: &str) -> std::sync::Arc<str> {
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
pub(super) struct TfExpr {
    pub(super) expr: hcl::Expression,
    /// A string template that calls `try` or `can`, parsed so the calls can be resolved. Other
    /// templates stay text, as hcl-rs keeps them: holding every template parsed cost 3 MB more
    /// peak memory and no measurable time on the 10,000-resource benchmark.
    pub(super) template: Option<Box<hcl::Template>>,
    pub(super) span: Option<Range<usize>>,
    pub(super) special: bool,
}

impl TfExpr {
    pub(super) fn from_edit(value: hcl::edit::expr::Expression) -> TfExpr {
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
pub(super) fn mentions_try_or_can(template: &hcl::expr::TemplateExpr) -> bool {
    let text = match template {
        hcl::expr::TemplateExpr::QuotedString(text) => text,
        hcl::expr::TemplateExpr::Heredoc(heredoc) => &heredoc.template,
    };
    text.contains("try(") || text.contains("can(")
}

/// Evaluates a parsed template as hcl-rs evaluates a template expression: a template that is one
/// interpolation and nothing else keeps its value's type (`"${var.count}"` is a number).
pub(super) fn evaluate_template(
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
pub(super) fn each_child_mut(
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
pub(super) fn compact(expr: &mut hcl::Expression) -> bool {
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

/// The byte offset at which each line of `text` starts. Files are read under a 32 MB bound
/// ([`crate::sources::MAX_FILE_BYTES`]), so every offset fits in 32 bits; a longer text would only
/// make locations past 4 GB wrong, never panic.
fn line_starts(text: &str) -> Box<[u32]> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| (i + 1) as u32))
        .collect()
}

pub(super) fn parse(dir: &Path, rel: &str) -> Result<Parsed, InputError> {
    let text = crate::sources::read_text(&dir.join(rel), rel)?;
    match hcl::edit::parser::parse_body(&text) {
        Ok(body) => Ok(Parsed {
            rel: rel.to_string(),
            starts: line_starts(&text),
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

pub(super) fn label(block: &TfBlock, index: usize) -> Option<String> {
    block.labels.get(index).cloned()
}

pub(super) fn to_json(value: &hcl::Value) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

pub(super) fn from_json(value: &Json) -> hcl::Value {
    hcl::to_value(value).unwrap_or(hcl::Value::Null)
}
