//! Structure-aware Terraform: generated roots with nested local modules (which may call each
//! other in cycles), locals that refer to each other, `count` / `for_each`, conditionals and
//! function calls. Reading must end without a panic, and a cycle must be an error, not a hang.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use std::fmt::Write;
use std::sync::OnceLock;

#[derive(Arbitrary, Debug)]
enum Expr {
    Num(i16),
    Str(u8),
    Bool(bool),
    Local(u8),
    Var(u8),
    Each,
    Count,
    Resource(u8),
    Func(Func, Vec<Expr>),
    List(Vec<Expr>),
    Object(Vec<(u8, Expr)>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Template(Vec<Expr>),
    Index(Box<Expr>, Box<Expr>),
    For(Box<Expr>, Box<Expr>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Func {
    Merge,
    Concat,
    Length,
    Lookup,
    Coalesce,
    Try,
    Can,
    Toset,
    Tomap,
    Format,
    Join,
    Keys,
    Flatten,
    File,
    Templatefile,
    Upper,
    Max,
    Range,
    Replace,
}

#[derive(Arbitrary, Debug)]
struct Call {
    /// The module called, by index (itself included: recursion must be refused).
    target: u8,
    count: Option<Expr>,
    for_each: Option<Expr>,
    inputs: Vec<(u8, Expr)>,
}

#[derive(Arbitrary, Debug)]
struct Module {
    locals: Vec<(u8, Expr)>,
    variables: Vec<(u8, Option<Expr>)>,
    resources: Vec<(u8, Option<Expr>, Vec<(u8, Expr)>)>,
    calls: Vec<Call>,
}

#[derive(Arbitrary, Debug)]
struct Config {
    root: Module,
    modules: Vec<Module>,
}

const TYPES: [&str; 6] = [
    "aws_db_instance",
    "aws_s3_bucket",
    "aws_dynamodb_table",
    "aws_sns_topic",
    "aws_lambda_function",
    "aws_security_group",
];
const ATTRIBUTES: [&str; 8] = [
    "storage_encrypted",
    "multi_az",
    "tags",
    "replicate_source_db",
    "kms_master_key_id",
    "ingress",
    "identifier",
    "bucket",
];

fn render(e: &Expr, depth: usize, out: &mut String) {
    // Deeper nesting than a person writes says nothing new; the parser's own limit is
    // exercised by the byte-level target.
    if depth > 6 {
        out.push('1');
        return;
    }
    let d = depth + 1;
    match e {
        Expr::Num(n) => {
            let _ = write!(out, "{n}");
        }
        Expr::Str(s) => {
            let _ = write!(out, "\"s{}\"", s % 8);
        }
        Expr::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Expr::Local(l) => {
            let _ = write!(out, "local.l{}", l % 8);
        }
        Expr::Var(v) => {
            let _ = write!(out, "var.v{}", v % 4);
        }
        Expr::Each => out.push_str("each.key"),
        Expr::Count => out.push_str("count.index"),
        Expr::Resource(r) => {
            let _ = write!(out, "{}.r{}.id", TYPES[*r as usize % TYPES.len()], r % 4);
        }
        Expr::Func(f, args) => {
            let name = format!("{f:?}").to_ascii_lowercase();
            let _ = write!(out, "{name}(");
            for (i, a) in args.iter().take(4).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(a, d, out);
            }
            out.push(')');
        }
        Expr::List(items) => {
            out.push('[');
            for (i, a) in items.iter().take(6).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(a, d, out);
            }
            out.push(']');
        }
        Expr::Object(entries) => {
            out.push('{');
            for (k, v) in entries.iter().take(6) {
                let _ = write!(out, " k{} = ", k % 8);
                render(v, d, out);
            }
            out.push_str(" }");
        }
        Expr::Cond(c, a, b) => {
            out.push('(');
            render(c, d, out);
            out.push_str(" ? ");
            render(a, d, out);
            out.push_str(" : ");
            render(b, d, out);
            out.push(')');
        }
        Expr::Template(parts) => {
            out.push('"');
            for p in parts.iter().take(4) {
                out.push_str("x${");
                render(p, d, out);
                out.push('}');
            }
            out.push('"');
        }
        Expr::Index(a, i) => {
            render(a, d, out);
            out.push('[');
            render(i, d, out);
            out.push(']');
        }
        Expr::For(over, body) => {
            out.push_str("[for x in ");
            render(over, d, out);
            out.push_str(" : ");
            render(body, d, out);
            out.push(']');
        }
    }
}

fn module_text(m: &Module, modules: usize) -> String {
    let mut out = String::new();
    if !m.locals.is_empty() {
        out.push_str("locals {\n");
        let mut seen = std::collections::BTreeSet::new();
        for (name, e) in m.locals.iter().take(8) {
            if seen.insert(name % 8) {
                let _ = write!(out, "  l{} = ", name % 8);
                render(e, 0, &mut out);
                out.push('\n');
            }
        }
        out.push_str("}\n");
    }
    let mut seen = std::collections::BTreeSet::new();
    for (name, default) in m.variables.iter().take(4) {
        if seen.insert(name % 4) {
            let _ = write!(out, "variable \"v{}\" {{\n", name % 4);
            if let Some(e) = default {
                out.push_str("  default = ");
                render(e, 0, &mut out);
                out.push('\n');
            }
            out.push_str("}\n");
        }
    }
    for (i, (kind, count, attributes)) in m.resources.iter().take(6).enumerate() {
        let _ = writeln!(
            out,
            "resource \"{}\" \"r{i}\" {{",
            TYPES[*kind as usize % TYPES.len()]
        );
        if let Some(c) = count {
            out.push_str("  count = ");
            render(c, 0, &mut out);
            out.push('\n');
        }
        let mut seen = std::collections::BTreeSet::new();
        for (a, e) in attributes.iter().take(6) {
            let a = ATTRIBUTES[*a as usize % ATTRIBUTES.len()];
            if seen.insert(a) {
                let _ = write!(out, "  {a} = ");
                render(e, 0, &mut out);
                out.push('\n');
            }
        }
        out.push_str("}\n");
    }
    for (i, call) in m.calls.iter().take(3).enumerate() {
        let target = call.target as usize % modules.max(1);
        let _ = writeln!(out, "module \"c{i}\" {{\n  source = \"../../modules/m{target}\"");
        if let Some(c) = &call.count {
            out.push_str("  count = ");
            render(c, 0, &mut out);
            out.push('\n');
        } else if let Some(f) = &call.for_each {
            out.push_str("  for_each = ");
            render(f, 0, &mut out);
            out.push('\n');
        }
        let mut seen = std::collections::BTreeSet::new();
        for (name, e) in call.inputs.iter().take(4) {
            if seen.insert(name % 4) {
                let _ = write!(out, "  v{} = ", name % 4);
                render(e, 0, &mut out);
                out.push('\n');
            }
        }
        out.push_str("}\n");
    }
    out
}

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|config: Config| {
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"));
    let _ = std::fs::remove_dir_all(dir.path().join("modules"));
    let modules = config.modules.len().min(4);
    for (i, m) in config.modules.iter().take(4).enumerate() {
        let folder = dir.path().join(format!("modules/m{i}"));
        if std::fs::create_dir_all(&folder).is_err()
            || std::fs::write(folder.join("main.tf"), module_text(m, modules)).is_err()
        {
            return;
        }
    }
    let root = dir.path().join("terraform/production");
    if std::fs::create_dir_all(&root).is_err()
        || std::fs::write(root.join("main.tf"), module_text(&config.root, modules)).is_err()
    {
        return;
    }
    let _ = liftoff::sources::terraform::read_root(
        dir.path(),
        "terraform/production",
        &[],
        "production",
    );
});
