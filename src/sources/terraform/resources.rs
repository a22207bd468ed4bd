//! Resources: `count`, `for_each` and `dynamic` expanded into addresses as Terraform prints them,
//! and each resource's attributes, known or unknown before apply.

use super::*;

/// The `var.*` and `local.*` names an HCL block refers to.
///
/// hcl-rs evaluates `local.name` by copying the whole `local` object before indexing into it, so
/// evaluating a large module's resources against all its locals is quadratic. Each resource is
/// evaluated against the variables and locals it names instead.
#[derive(Default)]
pub(super) struct Referenced {
    pub(super) vars: BTreeSet<String>,
    pub(super) locals: BTreeSet<String>,
    /// `var` or `local` used as a whole object: the resource needs all of them.
    pub(super) whole: bool,
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
pub(super) fn subset(
    all: &BTreeMap<String, hcl::Value>,
    names: &[String],
    whole: bool,
) -> hcl::Value {
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
pub(super) fn expand(
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
            // An unknown count: judge the configuration once, under the bare address, as one
            // that may exist (`count` is recorded as unknown).
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
    // `count` / `for_each` that Terraform knows only after apply.
    let may_exist = [("count", meta("count")), ("for_each", meta("for_each"))]
        .into_iter()
        .find_map(|(key, attr)| {
            let attr = attr?;
            evaluate_expr(&attr.value, ctx)
                .is_err()
                .then(|| (key, lines.of(attr.value.span.clone())))
        });
    let mut out = Vec::new();
    let waivers = inline_waivers(lines, block.span.clone(), problems);
    // Attributes Terraform stops managing after creation (`lifecycle { ignore_changes = [...] }`):
    // what is written for them is a placeholder, changed outside Terraform.
    let ignored: Vec<String> = block
        .body
        .blocks()
        .filter(|b| b.ident.as_str() == "lifecycle")
        .filter_map(|b| b.body.attribute("ignore_changes"))
        .flat_map(|a| {
            lines
                .text(&a.value.span)
                .trim_matches(['[', ']'])
                .split(',')
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
        })
        .collect();
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
            resource_type: super::syntax::shared_key(rtype),
            location: lines.of(block.span.clone()),
            attributes: Default::default(),
            unknown: Default::default(),
            waivers: waivers.clone(),
            references: Default::default(),
        };
        read_body(&block.body, "", ctx, lines, &mut resource);
        // `aws_instance.db[count.index].id` in the second of two counted attachments refers to
        // `aws_instance.db[1]`: the index is this instance's own (so with `each.key`).
        if !suffix.is_empty() {
            let own = match (index, &each) {
                (Some(_), _) => Some("[count.index]"),
                (None, Some(_)) => Some("[each.key]"),
                _ => None,
            };
            if let Some(own) = own {
                for (_, address) in resource.references.iter_mut() {
                    if address.contains(own) {
                        *address = address.replace(own, &suffix);
                    }
                }
            }
        }
        // One of unknown count is judged once under its bare address, as are the resources it
        // names by its own index: `aws_rds_cluster.db[count.index]` there is the bare
        // `aws_rds_cluster.db`, so a cluster instance still joins its cluster.
        if suffix.is_empty() && may_exist.is_some() {
            for (_, address) in resource.references.iter_mut() {
                for own in ["[count.index]", "[each.key]"] {
                    if address.contains(own) {
                        *address = address.replace(own, "");
                    }
                }
            }
        }
        for name in &ignored {
            if let Some((value, _)) = resource.attributes.get_mut(name.as_str()) {
                if value.as_str() == Some(crate::secrets::REDACTED) {
                    *value = Json::String(crate::secrets::UNMANAGED.into());
                }
            }
        }
        if let Some((key, at)) = &may_exist {
            resource.unknown.insert(*key, at.clone());
        }
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
pub(super) fn read_dynamic(
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
            resource_type: "".into(),
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
pub(super) fn read_body(
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
        let mut at = lines.of(attr.key_span.clone());
        // A root variable set by a Terragrunt unit: the value is written in the unit.
        if let Some(input) = input_location(lines.text(&attr.value.span)) {
            at = input;
        }
        match evaluate_expr(&attr.value, ctx) {
            Ok(value) => {
                let mut value = normalise(to_json(&value));
                // A secret known before apply is written in the repository (literally, as a
                // variable default or in a variable file); its value never enters the model.
                // Flags such as `manage_master_user_password = true` hold no secret.
                let committed = value.as_str().is_some_and(|s| {
                    crate::secrets::judge(&attr.key, s) == crate::secrets::Verdict::Secret
                });
                // A private key is one under any name (an SSM parameter's `value`).
                if committed
                    && (crate::secrets::is_terraform_secret(&attr.key)
                        || value.as_str().is_some_and(crate::secrets::private_key))
                {
                    value = Json::String(crate::secrets::REDACTED.into());
                }
                resource.attributes.insert(key, (value, at));
            }
            Err(_) => {
                // `jsonencode(...)` known in part: the text of its known part, and what is
                // unknown in it under `key.path` (`container_definitions.image`).
                if let Some((known, unknown)) = partial_json(&attr.value.expr, ctx) {
                    record_inner_references(&key, &attr.value.expr, resource);
                    for path in unknown {
                        resource
                            .unknown
                            .insert(shared_key(&format!("{key}.{path}")), at.clone());
                    }
                    let text = Json::String(known.to_string());
                    resource.attributes.insert(key, (text, at));
                    continue;
                }
                // An object known in part: its known keys are facts, the rest is unknown key by
                // key (`tags.Name`), or as a whole (`tags.*`) after an opaque `merge` argument.
                if let Some(partial) = partial_object(&attr.value.expr, ctx) {
                    record_inner_references(&key, &attr.value.expr, resource);
                    for k in &partial.unknown_keys {
                        resource.unknown.insert(format!("{key}.{k}"), at.clone());
                    }
                    if partial.open {
                        resource.unknown.insert(format!("{key}.*"), at.clone());
                    }
                    resource
                        .attributes
                        .insert(key, (Json::Object(partial.known), at));
                    continue;
                }
                let text = lines.text(&attr.value.span);
                if let Some(address) = reference(text).or_else(|| module_output(text.trim())) {
                    resource.references.insert(key.clone(), address);
                } else {
                    // A list of references (`resources = [aws_dynamodb_table.t.arn]`): each
                    // element under `key[i]`.
                    for (i, address) in list_references(text) {
                        resource.references.insert(format!("{key}[{i}]"), address);
                    }
                    // A string template (`"${aws_cloudwatch_log_group.x.arn}:*"`, or the old
                    // `"${aws_s3_bucket.b.id}"` form of a plain reference) refers to what its
                    // interpolations name, as Terraform's dependency graph has it.
                    let templated = template_references(text);
                    match templated.as_slice() {
                        [only] => {
                            resource.references.insert(key.clone(), only.clone());
                        }
                        many => {
                            for (i, address) in many.iter().enumerate() {
                                resource
                                    .references
                                    .insert(format!("{key}[{i}]"), address.clone());
                            }
                        }
                    }
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
            resource_type: "".into(),
            location: lines.of(block.span.clone()),
            attributes: Default::default(),
            unknown: Default::default(),
            waivers: Vec::new(),
            references: Default::default(),
        };
        read_body(&block.body, "", ctx, lines, &mut inner);
        // Values known only after apply inside the block, under `block.attribute`.
        for (k, at) in inner.unknown.iter() {
            let name = format!("{prefix}{ident}.{k}");
            if !resource.unknown.contains_key(&name) {
                resource.unknown.insert(shared_key(&name), at.clone());
            }
        }
        // References inside the block, under `block.attribute` (the first block's win).
        for (k, address) in inner.references.iter() {
            let name = format!("{prefix}{ident}.{k}");
            if !resource.references.contains_key(&name) {
                resource
                    .references
                    .insert(shared_key(&name), address.clone());
            }
        }
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

/// The resources an object's values refer to, under `key.path`: in `jsonencode({
/// deadLetterTargetArn = aws_sqs_queue.dlq.arn })` under `redrive_policy`, the reference is
/// `redrive_policy.deadLetterTargetArn`, as a nested block's are. Objects are followed through
/// `jsonencode`, `merge` and `tomap`, and nested objects by their dotted path; the first
/// reference of a path wins.
fn record_inner_references(key: &str, expr: &hcl::Expression, resource: &mut TfResource) {
    fn walk(expr: &hcl::Expression, path: &str, out: &mut Vec<(String, String)>) {
        use hcl::Expression as E;
        match expr {
            E::Parenthesis(inner) => walk(inner, path, out),
            E::FuncCall(call)
                if call.name.namespace.is_empty()
                    && matches!(call.name.name.as_str(), "jsonencode" | "merge" | "tomap") =>
            {
                for arg in &call.args {
                    walk(arg, path, out);
                }
            }
            E::Object(object) => {
                for (k, value) in object {
                    let name = match k {
                        hcl::ObjectKey::Identifier(id) => id.to_string(),
                        hcl::ObjectKey::Expression(E::String(s)) => s.clone(),
                        _ => continue,
                    };
                    walk(value, &format!("{path}.{name}"), out);
                }
            }
            E::Traversal(_) => {
                let text = expr.to_string();
                if let Some(address) =
                    super::reference(&text).or_else(|| module_output(text.trim()))
                {
                    out.push((path.to_string(), address));
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(expr, key, &mut found);
    for (path, address) in found {
        if path != key && !resource.references.contains_key(&path) {
            resource.references.insert(shared_key(&path), address);
        }
    }
}

/// Terraform converts strings to booleans and numbers where the schema wants them: `"true"`,
/// `"300"`. Without the provider schema, liftoff normalises the unambiguous forms.
pub(super) fn normalise(value: Json) -> Json {
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

thread_local! {
    /// Where each root variable set from outside is written (a Terragrunt unit's `inputs`), while
    /// the root module itself is read: empty inside called modules, whose `var.` are their own.
    pub(super) static INPUT_AT: std::cell::RefCell<BTreeMap<String, Location>> =
        const { std::cell::RefCell::new(BTreeMap::new()) };
}

/// Where the value of an attribute written as exactly `var.<name>` is set, when a unit sets it.
fn input_location(text: &str) -> Option<Location> {
    let name = text.trim().strip_prefix("var.")?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    INPUT_AT.with(|m| m.borrow().get(name).cloned())
}

/// Sets [`INPUT_AT`] until dropped, giving back what was there before.
pub(super) struct InputAtGuard(BTreeMap<String, Location>);

impl InputAtGuard {
    pub(super) fn set(at: BTreeMap<String, Location>) -> InputAtGuard {
        InputAtGuard(INPUT_AT.with(|m| m.replace(at)))
    }
}

impl Drop for InputAtGuard {
    fn drop(&mut self) {
        let previous = std::mem::take(&mut self.0);
        INPUT_AT.with(|m| *m.borrow_mut() = previous);
    }
}

/// The resources a list expression refers to, by position: `[aws_a.x.arn, "literal", aws_b.y.arn]`
/// gives `(0, aws_a.x)` and `(2, aws_b.y)`. Elements are split at top-level commas.
pub(super) fn list_references(text: &str) -> Vec<(usize, String)> {
    let Some(inner) = text
        .trim()
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
    else {
        return Vec::new();
    };
    let mut elements = Vec::new();
    let (mut depth, mut start, mut quoted) = (0i32, 0, false);
    for (i, c) in inner.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '[' | '(' | '{' if !quoted => depth += 1,
            ']' | ')' | '}' if !quoted => depth -= 1,
            ',' if depth == 0 && !quoted => {
                elements.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    elements.push(&inner[start..]);
    elements
        .into_iter()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .enumerate()
        .filter_map(|(i, e)| {
            super::reference(e)
                .or_else(|| module_output(e))
                // `["${aws_instance.web.*.private_ip[count.index]}"]`, the old form.
                .or_else(|| template_references(e).into_iter().next())
                .map(|a| (i, a))
        })
        .collect()
}

/// The resources a quoted string template's `${...}` interpolations name, each once, in order:
/// `"${aws_a.x.arn}:*"` gives `aws_a.x`. Nested braces inside an interpolation are skipped over.
fn template_references(text: &str) -> Vec<String> {
    let text = text.trim();
    let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    let mut rest = inner;
    while let Some(open) = rest.find("${") {
        let body = &rest[open + 2..];
        let mut depth = 0usize;
        let Some(close) = body.char_indices().find_map(|(i, c)| match c {
            '{' => {
                depth += 1;
                None
            }
            '}' if depth == 0 => Some(i),
            '}' => {
                depth -= 1;
                None
            }
            _ => None,
        }) else {
            break;
        };
        let expression = &body[..close];
        if let Some(address) =
            super::reference(expression).or_else(|| module_output(expression.trim()))
        {
            if !out.contains(&address) {
                out.push(address);
            }
        }
        rest = &body[close + 1..];
    }
    out
}

/// The module an output reference comes from: `module.store.bucket_arn` gives `module.store`.
fn module_output(expression: &str) -> Option<String> {
    let rest = expression.strip_prefix("module.")?;
    let (name, output) = rest.split_once('.')?;
    let plain = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    (plain(name) && plain(output)).then(|| format!("module.{name}"))
}
