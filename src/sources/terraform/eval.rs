//! Evaluation: the context of `var.*`, `local.*`, `terraform.workspace`, and what a value needs to
//! be known before apply; `file()` through the bounded reader.

use super::*;

pub(super) fn context(
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
    // Files are read relative to the module's folder (`path.module` is `.`); the root module's
    // folder, where Terraform runs, is reached from there (`file("${path.root}/policy.json")`
    // in a child module reads the root's file, as Terraform does).
    let root = root_from_module();
    ctx.declare_var(
        "path",
        hcl::value!({ module = ".", root = (root.clone()), cwd = (root) }),
    );
    for (name, def) in functions() {
        ctx.declare_func(name, def);
    }
    ctx
}

thread_local! {
    /// The directory of the module being read, for `file` and `templatefile`: hcl-rs functions are
    /// plain `fn`s that cannot capture it, and a module is read on one thread from start to end.
    pub(super) static MODULE_DIR: std::cell::RefCell<std::path::PathBuf> =
        std::cell::RefCell::new(std::path::PathBuf::new());
    /// The directory of the root module being read (empty: the module directory is the root).
    static ROOT_DIR: std::cell::RefCell<std::path::PathBuf> =
        std::cell::RefCell::new(std::path::PathBuf::new());
}

/// The root module's directory relative to the module being read (`.`, `../..`,
/// `../../envs/production`), with `/` between names.
fn root_from_module() -> String {
    let module = MODULE_DIR.with(|d| d.borrow().clone());
    let root = ROOT_DIR.with(|d| d.borrow().clone());
    relative_path(&module, &root)
}

/// `to` relative to `from` (both folders, written the same way: both absolute or both relative
/// to one directory, without `..`).
fn relative_path(from: &std::path::Path, to: &std::path::Path) -> String {
    if to.as_os_str().is_empty() {
        return ".".into();
    }
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// Sets the module's (or the root module's) directory until the guard is dropped.
pub(super) struct DirGuard {
    slot: &'static std::thread::LocalKey<std::cell::RefCell<std::path::PathBuf>>,
    previous: std::path::PathBuf,
}

impl DirGuard {
    /// The module being read, for the file functions.
    pub(super) fn module(dir: std::path::PathBuf) -> DirGuard {
        DirGuard::set(&MODULE_DIR, dir)
    }

    /// The root module, for `path.root`.
    pub(super) fn root(dir: std::path::PathBuf) -> DirGuard {
        DirGuard::set(&ROOT_DIR, dir)
    }

    fn set(
        slot: &'static std::thread::LocalKey<std::cell::RefCell<std::path::PathBuf>>,
        dir: std::path::PathBuf,
    ) -> DirGuard {
        DirGuard {
            slot,
            previous: slot.with(|d| d.replace(dir)),
        }
    }
}

impl Drop for DirGuard {
    fn drop(&mut self) {
        let previous = std::mem::take(&mut self.previous);
        self.slot.with(|d| *d.borrow_mut() = previous);
    }
}

thread_local! {
    /// Files `file` and `templatefile` could not read, with why: the root's reader lists them
    /// as skipped, so no read is silently dropped.
    pub(super) static FILES_NOT_READ: std::cell::RefCell<Vec<(std::path::PathBuf, String)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The most of a file `file` or `templatefile` reads; configuration files are small.
pub(super) const FILE_LIMIT: u64 = 1 << 20;

/// Reads a file named relative to the module directory, as `file()` does.
pub(super) fn read_module_file(path: &str) -> Result<String, String> {
    let relative = path.trim_start_matches("./");
    let full = MODULE_DIR.with(|d| d.borrow().join(relative));
    // The bounded reader: regular files only (a pipe would block, /dev/zero never ends), the
    // size checked before reading.
    crate::sources::read_text_limited(&full, path, FILE_LIMIT).map_err(|e| {
        let why = match e {
            crate::diagnostic::InputError::Invalid(d) => d
                .first()
                .map(|d| d.message.clone())
                .unwrap_or_else(|| "unreadable".to_string()),
            other => other.to_string(),
        };
        FILES_NOT_READ.with(|f| f.borrow_mut().push((full.clone(), why.clone())));
        format!("file {path}: {why}")
    })
}

/// Whether an evaluation failed only because a value is not known before apply (a reference to a
/// data source or another resource), as opposed to a real error such as a missing map key.
pub(super) fn unknown_before_apply(error: &hcl::eval::Error) -> bool {
    matches!(error.kind(), hcl::eval::ErrorKind::UndefinedVar(_))
}

/// Resolves `try` and `can`, which hcl-rs cannot run as functions because it evaluates every
/// argument first. `try` takes the first argument that evaluates; `can` says whether its argument
/// does. An argument that is unknown before apply leaves the call unresolved, so it stays unknown
/// instead of silently taking the fallback. `for` bodies are left alone: their variables are bound
/// only inside the loop. String templates are resolved by [`evaluate_with`], which holds them
/// parsed; a template nested inside another expression (an object value, a call argument) keeps
/// its `try` unresolved, and so unknown.
pub(super) fn resolve_special_calls(expr: &mut hcl::Expression, ctx: &Context) {
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
pub(super) fn evaluate_expr(expr: &TfExpr, ctx: &Context) -> Result<hcl::Value, hcl::eval::Error> {
    evaluate_with(expr, ctx, true)
}

/// Evaluates an expression, resolving `try` and `can` first when `resolve_special` (inside string
/// templates too).
pub(super) fn evaluate_with(
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

/// What is known of an object whose whole value Terraform knows only after apply:
/// `merge(data.x.tags, { BackupPolicy = "Prod" })` still has a known `BackupPolicy`.
#[derive(Debug, Default, PartialEq)]
pub(super) struct PartialObject {
    /// Keys whose value is known.
    pub(super) known: serde_json::Map<String, Json>,
    /// Keys that are set, to values known only after apply.
    pub(super) unknown_keys: Vec<String>,
    /// Keys known only after apply may be present too (an opaque argument of `merge`).
    pub(super) open: bool,
}

impl PartialObject {
    /// Merges `later` over this object, as `merge()` does: its keys win; an open argument may
    /// override every key set before it.
    fn merge(&mut self, later: PartialObject) {
        if later.open {
            let earlier: Vec<String> = self.known.keys().cloned().collect();
            self.known.clear();
            self.unknown_keys.extend(earlier);
            self.open = true;
        }
        for key in later.unknown_keys {
            self.known.remove(&key);
            if !self.unknown_keys.contains(&key) {
                self.unknown_keys.push(key);
            }
        }
        for (key, value) in later.known {
            self.unknown_keys.retain(|k| k != &key);
            self.known.insert(key, value);
        }
    }
}

/// An object key as Terraform reads it: a name, or an expression whose value is a string;
/// `None` when that value is not known here.
fn object_key(key: &hcl::ObjectKey, ctx: &Context) -> Option<String> {
    match key {
        hcl::ObjectKey::Identifier(id) => Some(id.to_string()),
        hcl::ObjectKey::Expression(e) => e
            .evaluate(ctx)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string)),
        // The enum is non-exhaustive: a future kind of key is not known here.
        _ => None,
    }
}

/// The known part of an object expression (an object literal, `merge(...)`, `tomap(...)`), or
/// `None` when it is no such expression.
pub(super) fn partial_object(expr: &hcl::Expression, ctx: &Context) -> Option<PartialObject> {
    use hcl::Expression as E;
    match expr {
        E::Parenthesis(inner) => partial_object(inner, ctx),
        E::Object(object) => {
            let mut out = PartialObject::default();
            for (key, value) in object {
                let key = object_key(key, ctx);
                let Some(key) = key else {
                    out.open = true;
                    continue;
                };
                match value.evaluate(ctx) {
                    Ok(v) => {
                        out.known.insert(key, to_json(&v));
                    }
                    Err(_) => out.unknown_keys.push(key),
                }
            }
            Some(out)
        }
        E::FuncCall(call) if call.name.namespace.is_empty() => match call.name.name.as_str() {
            "tomap" => partial_object(call.args.first()?, ctx),
            "merge" if !call.expand_final => {
                let mut out = PartialObject::default();
                for arg in &call.args {
                    let part = match arg.evaluate(ctx) {
                        Ok(hcl::Value::Object(map)) => PartialObject {
                            known: map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect(),
                            ..PartialObject::default()
                        },
                        Ok(hcl::Value::Null) => PartialObject::default(),
                        Ok(_) => return None,
                        Err(_) => partial_object(arg, ctx).unwrap_or(PartialObject {
                            open: true,
                            ..PartialObject::default()
                        }),
                    };
                    out.merge(part);
                }
                Some(out)
            }
            _ => None,
        },
        _ => None,
    }
}

/// What is known of `jsonencode(<list or object>)` when Terraform knows the whole text only
/// after apply (a container definition naming its log group, an image from a repository
/// resource): the known part, decoded, with the paths of the values left unknown, dotted without
/// list indices (`environment.value`). A list with an unknown element is unknown as a whole: its
/// positions are not known. `None` when it is no such call, or nothing of it is known.
pub(super) fn partial_json(expr: &hcl::Expression, ctx: &Context) -> Option<(Json, Vec<String>)> {
    use hcl::Expression as E;
    let E::FuncCall(call) = expr else {
        return None;
    };
    if !call.name.namespace.is_empty() || call.name.name.as_str() != "jsonencode" {
        return None;
    }
    let [argument] = call.args.as_slice() else {
        return None;
    };
    fn walk(
        expr: &hcl::Expression,
        ctx: &Context,
        path: &str,
        unknown: &mut Vec<String>,
    ) -> Option<Json> {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            }
        };
        match expr {
            hcl::Expression::Parenthesis(inner) => walk(inner, ctx, path, unknown),
            hcl::Expression::Array(items) => {
                let mut known = Vec::new();
                let mut inner = Vec::new();
                for item in items {
                    known.push(walk(item, ctx, path, &mut inner)?);
                }
                unknown.extend(inner);
                Some(Json::Array(known))
            }
            hcl::Expression::Object(object) => {
                let mut known = serde_json::Map::new();
                let mut inner = Vec::new();
                for (key, value) in object {
                    let key = object_key(key, ctx);
                    // A key known only after apply: the object's keys are not known.
                    let key = key?;
                    match walk(value, ctx, &join(&key), &mut inner) {
                        Some(v) => {
                            known.insert(key, v);
                        }
                        None => inner.push(join(&key)),
                    }
                }
                unknown.extend(inner);
                Some(Json::Object(known))
            }
            other => other.evaluate(ctx).ok().map(|v| to_json(&v)),
        }
    }
    let mut unknown = Vec::new();
    let known = walk(argument, ctx, "", &mut unknown)?;
    unknown.dedup();
    Some((known, unknown))
}

#[cfg(test)]
mod tests {
    use super::relative_path;
    use std::path::Path;

    #[test]
    fn the_root_is_reached_from_any_module_folder() {
        let at = |from: &str, to: &str| relative_path(Path::new(from), Path::new(to));
        assert_eq!(at("/r/terraform", "/r/terraform"), ".");
        assert_eq!(at("/r/terraform/modules/iam", "/r/terraform"), "../..");
        assert_eq!(
            at("/r/modules/iam", "/r/envs/production"),
            "../../envs/production"
        );
        // No root set: the module is the root.
        assert_eq!(at("/r/modules/iam", ""), ".");
    }
}
