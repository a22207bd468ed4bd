//! Modules: the root and the local and installed modules it calls, read recursively with their
//! variables, locals and inputs.

use super::*;

/// How a module is called: the root, or a `module` block of another module.
#[derive(Clone, Debug, Default)]
pub(super) struct ModuleCall {
    /// Address prefix of its resources (`module.db.`).
    pub(super) prefix: String,
    /// Input values from the calling block.
    pub(super) inputs: BTreeMap<String, hcl::Value>,
    /// Inputs whose value is unknown in the caller: their defaults must not be used.
    pub(super) unknown_inputs: Vec<String>,
    /// The provider's default tags, inherited from the root.
    pub(super) default_tags: BTreeMap<String, Json>,
    pub(super) depth: usize,
    /// Its key in `modules.json` (`app.db` for `module.app.module.db`); empty for the root.
    pub(super) key: String,
    /// Remote modules `terraform init` installed: key → folder in the repository.
    pub(super) installed: std::rc::Rc<BTreeMap<String, String>>,
    /// Keep problems in [`Root::unreadable`] and read the rest.
    pub(super) keep_going: bool,
    /// The caller's `count` or `for_each` known only after apply: everything inside may exist.
    pub(super) may_exist: Option<(String, Location)>,
    /// The folders of the modules that led here, root first: a module calling one of them is a
    /// cycle Terraform refuses.
    pub(super) chain: Vec<String>,
    /// Values the root's variables get from the environment (`TF_VAR_…`, as Terragrunt passes
    /// its `inputs`): over defaults, under every variable file.
    pub(super) env: EnvInputs,
    /// For the root: a folder whose files are copied over the module's before it runs (a
    /// Terragrunt unit's own `.tf` and variable files), a file of the same name replacing the
    /// module's.
    pub(super) overlay: Option<String>,
}

/// Root variables set from outside the configuration, as `TF_VAR_<name>` environment variables.
#[derive(Clone, Debug, Default)]
pub struct EnvInputs {
    pub values: BTreeMap<String, hcl::Value>,
    /// Set to values known only after apply.
    pub unknown: Vec<String>,
    /// Variables of names not known may be set too: no default can be trusted.
    pub open: bool,
    /// Where each value is written, for attributes that are exactly `var.<name>`.
    pub written_at: BTreeMap<String, Location>,
}

/// The start of the message for a module that calls itself, directly or through others.
pub const MODULE_CYCLE: &str = "modules call each other in a cycle";

/// The remote modules `terraform init` downloaded for the root in `folder`, from
/// `.terraform/modules/modules.json` when it exists: module key → folder in the repository.
pub(super) fn installed_modules(
    dir: &Path,
    folder: &str,
) -> Result<BTreeMap<String, String>, InputError> {
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
    let text = crate::sources::read_text(&path, &rel)?;
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
pub(super) const MAX_MODULE_DEPTH: usize = 8;

/// Joins a module's relative `source` onto the calling module's folder.
pub(super) fn module_path(folder: &str, source: &str) -> String {
    crate::sources::join_relative(folder, source)
}

pub(super) fn read_module(
    dir: &Path,
    rel: &str,
    var_files: &[String],
    workspace: &str,
    call: &ModuleCall,
) -> Result<Root, InputError> {
    let folder = rel.trim_end_matches('/');
    let _root_dir = (call.depth == 0).then(|| DirGuard::root(dir.join(folder)));
    let _module_dir = DirGuard::module(dir.join(folder));
    let _inputs_at = InputAtGuard::set(if call.depth == 0 {
        call.env.written_at.clone()
    } else {
        BTreeMap::new()
    });
    let in_folder = |folder: &str, n: &str| {
        if folder.is_empty() || folder == "." {
            n.to_string()
        } else {
            format!("{folder}/{n}")
        }
    };
    let list = |folder: &str, rel: &str| -> Result<Vec<String>, InputError> {
        Ok(std::fs::read_dir(dir.join(folder))
            .map_err(|source| InputError::Io {
                path: rel.to_string(),
                source,
            })?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect())
    };
    // Each file name and the file read for it: the module's, or the overlay's that replaces it,
    // as Terragrunt copies the unit's files over the module's in its cache.
    let mut paths: BTreeMap<String, String> = list(folder, rel)?
        .into_iter()
        .map(|n| (n.clone(), in_folder(folder, &n)))
        .collect();
    let overlay = call
        .overlay
        .as_deref()
        .filter(|_| call.depth == 0)
        .map(|o| o.trim_end_matches('/'));
    if let Some(overlay) = overlay {
        for n in list(overlay, overlay)? {
            let path = in_folder(overlay, &n);
            paths.insert(n, path);
        }
    }
    let names: Vec<String> = paths.keys().cloned().collect();
    let join = |n: &str| {
        paths
            .get(n)
            .cloned()
            .unwrap_or_else(|| in_folder(folder, n))
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
    // Terraform's order: the environment, terraform.tfvars, terraform.tfvars.json, the
    // *.auto.tfvars(.json) files in name order, then the files named on the command line.
    if call.depth == 0 {
        if call.env.open {
            vars.clear();
        }
        vars.extend(call.env.values.clone());
        for unknown in &call.env.unknown {
            vars.remove(unknown);
        }
    }
    let mut tfvars: Vec<String> = ["terraform.tfvars", "terraform.tfvars.json"]
        .into_iter()
        .filter(|n| names.iter().any(|m| m == n))
        .map(join)
        .collect();
    tfvars.extend(
        names
            .iter()
            .filter(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
            .map(|n| join(n)),
    );
    tfvars.extend(var_files.iter().cloned());
    // Variable files feed the root module only; a called module gets its inputs.
    if call.depth > 0 {
        tfvars.clear();
    }
    for path in tfvars {
        if path.ends_with(".json") {
            let text = crate::sources::read_text(&dir.join(&path), &path)?;
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
    // Locals may refer to each other in any order: each is evaluated once, after the locals it
    // names (a depth-first order over `local.<name>` mentions), so a long chain costs linear
    // time and a cycle is found and named, as Terraform refuses it.
    let mut locals: BTreeMap<String, hcl::Value> = BTreeMap::new();
    // (name, expression, where its name is written, its text)
    let local_exprs: Vec<(String, &TfExpr, Location, String)> = files
        .iter()
        .flat_map(|f| {
            let lines = Lines::of_parsed(f);
            f.body
                .blocks()
                .filter(|b| b.ident.as_str() == "locals")
                .flat_map(|b| b.body.attributes())
                .map(move |a| {
                    let at = lines.of(a.key_span.clone());
                    let text = lines.text(&a.value.span).to_string();
                    (a.key.to_string(), &a.value, at, text)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    match local_order(&local_exprs) {
        Ok(order) => {
            for index in order {
                let (name, expr, _, text) = &local_exprs[index];
                let needed: BTreeMap<String, hcl::Value> = mentioned_locals(text)
                    .into_iter()
                    .filter_map(|n| locals.get(&n).map(|v| (n, v.clone())))
                    .collect();
                let ctx = context(&vars, &needed, workspace);
                if let Ok(v) = evaluate_with(expr, &ctx, true) {
                    locals.insert(name.clone(), v);
                }
            }
        }
        Err(cycle) => problems.push(cycle),
    }
    let ctx = context(&vars, &locals, workspace);
    let mut scratch = context(&BTreeMap::new(), &BTreeMap::new(), workspace);
    let mut default_tags = call.default_tags.clone();
    default_tags.extend(provider_default_tags(&files, &ctx));
    let mut root = Root::default();
    root.folders.push(folder.to_string());
    root.overlay = overlay.map(str::to_string);
    root.files.extend(files.iter().map(|f| f.rel.clone()));
    // Each file is dropped once its resources are read, so its memory serves the next ones.
    for file in files {
        let lines = Lines::of_parsed(&file);
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
                            // References name resources of the same module: make them whole
                            // addresses, so split resources join inside modules as at the root.
                            if !call.prefix.is_empty() {
                                for (_, target) in r.references.iter_mut() {
                                    *target = format!("{}{target}", call.prefix);
                                }
                            }
                            // Inside a module whose count is known only after apply.
                            if let Some((key, at)) = &call.may_exist {
                                r.unknown.insert(key.as_str(), at.clone());
                            }
                        }
                        root.resources.extend(expanded);
                    }
                }
                "module" => {
                    let name = label(block, 0).unwrap_or_default();
                    for instance in instances(block, &ctx, &lines) {
                        // `count.index` and `each` are known inside this instance's inputs.
                        let owned;
                        let ctx: &Context = match (&instance.index, &instance.each) {
                            (None, None) => &ctx,
                            (index, each) => {
                                let mut c = context(&vars, &locals, workspace);
                                if let Some(i) = index {
                                    c.declare_var("count", hcl::value!({ index = (*i) }));
                                }
                                if let Some((k, v)) = each {
                                    let mut obj = hcl::Map::new();
                                    obj.insert("key".to_string(), k.clone());
                                    obj.insert("value".to_string(), v.clone());
                                    c.declare_var("each", hcl::Value::Object(obj));
                                }
                                owned = c;
                                &owned
                            }
                        };
                        let address = format!("{}module.{name}{}", call.prefix, instance.suffix);
                        let may_exist = instance.unknown.clone().or(call.may_exist.clone());
                        read_module_call(
                            dir,
                            folder,
                            workspace,
                            call,
                            block,
                            &name,
                            &address,
                            may_exist,
                            ctx,
                            &lines,
                            &default_tags,
                            &mut root,
                            &mut problems,
                        )?;
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

/// The names a local's expression mentions as `local.<name>`.
pub(super) fn mentioned_locals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("local.") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + "local.".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        // `xlocal.` is another word; `local.` alone names nothing.
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
            out.push(name.clone());
        }
        rest = &after[name.len()..];
    }
    out
}

/// The order to evaluate locals in (each after the locals it mentions), or the cycle that makes
/// one impossible, named with its members.
fn local_order(locals: &[(String, &TfExpr, Location, String)]) -> Result<Vec<usize>, Diagnostic> {
    let index: BTreeMap<&str, usize> = locals
        .iter()
        .enumerate()
        .map(|(i, (n, ..))| (n.as_str(), i))
        .collect();
    let deps: Vec<Vec<usize>> = locals
        .iter()
        .map(|(_, _, _, text)| {
            mentioned_locals(text)
                .iter()
                .filter_map(|m| index.get(m.as_str()).copied())
                .collect()
        })
        .collect();
    // 0: not visited, 1: on the path, 2: done. Iterative, so a chain of thousands of locals
    // cannot overflow the stack.
    let mut state = vec![0u8; locals.len()];
    let mut order = Vec::with_capacity(locals.len());
    for start in 0..locals.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some((node, next)) = stack.pop() {
            if let Some(&dep) = deps[node].get(next) {
                stack.push((node, next + 1));
                match state[dep] {
                    0 => {
                        state[dep] = 1;
                        stack.push((dep, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut names: Vec<String> = stack[from..]
                            .iter()
                            .map(|(n, _)| format!("local.{}", locals[*n].0))
                            .collect();
                        names.push(format!("local.{}", locals[dep].0));
                        return Err(Diagnostic::at(
                            locals[dep].2.clone(),
                            format!(
                                "locals refer to each other in a cycle: {}",
                                names.join(" → ")
                            ),
                        )
                        .expected("locals that each end at values, variables or resources"));
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                order.push(node);
            }
        }
    }
    Ok(order)
}

/// One instance of a `module` block (`count` and `for_each` expand it as they do resources).
pub(super) struct Instance {
    /// `[0]`, `["logs"]`, or empty.
    pub(super) suffix: String,
    pub(super) index: Option<i64>,
    pub(super) each: Option<(hcl::Value, hcl::Value)>,
    /// Where the `count` or `for_each` is that Terraform knows only after apply: the instance may
    /// not exist.
    pub(super) unknown: Option<(String, Location)>,
}

/// The instances a block's `count` or `for_each` creates: none when it is 0 or empty (switched
/// off, so nothing inside is judged), one bare instance "that may exist" when the value is
/// known only after apply.
pub(super) fn instances(block: &TfBlock, ctx: &Context, lines: &Lines<'_>) -> Vec<Instance> {
    let bare = |unknown| Instance {
        suffix: String::new(),
        index: None,
        each: None,
        unknown,
    };
    if let Some(count) = block.body.attribute("count") {
        return match evaluate_expr(&count.value, ctx) {
            Ok(v) => {
                let n = v
                    .as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    .or_else(|| v.as_bool().map(u64::from))
                    .unwrap_or(0);
                (0..n as i64)
                    .map(|i| Instance {
                        suffix: format!("[{i}]"),
                        index: Some(i),
                        each: None,
                        unknown: None,
                    })
                    .collect()
            }
            Err(_) => vec![bare(Some((
                "count".into(),
                lines.of(count.value.span.clone()),
            )))],
        };
    }
    if let Some(each) = block.body.attribute("for_each") {
        return match evaluate_expr(&each.value, ctx) {
            Ok(hcl::Value::Object(map)) => map
                .iter()
                .map(|(k, v)| Instance {
                    suffix: format!("[\"{k}\"]"),
                    index: None,
                    each: Some((hcl::Value::from(k.clone()), v.clone())),
                    unknown: None,
                })
                .collect(),
            Ok(hcl::Value::Array(set)) => set
                .iter()
                .filter_map(|v| v.as_str())
                .map(|k| Instance {
                    suffix: format!("[\"{k}\"]"),
                    index: None,
                    each: Some((hcl::Value::from(k), hcl::Value::from(k))),
                    unknown: None,
                })
                .collect(),
            _ => vec![bare(Some((
                "for_each".into(),
                lines.of(each.value.span.clone()),
            )))],
        };
    }
    vec![bare(None)]
}

/// Reads one instance of a module call: a remote module's inputs, or the module's resources.
#[allow(clippy::too_many_arguments)]
fn read_module_call(
    dir: &Path,
    folder: &str,
    workspace: &str,
    call: &ModuleCall,
    block: &TfBlock,
    name: &str,
    address: &str,
    may_exist: Option<(String, Location)>,
    ctx: &Context,
    lines: &Lines<'_>,
    default_tags: &BTreeMap<String, Json>,
    root: &mut Root,
    problems: &mut Vec<Diagnostic>,
) -> Result<(), InputError> {
    let value_of = |key: &str| block.body.attribute(key);
    let source = value_of("source")
        .and_then(|a| evaluate_expr(&a.value, ctx).ok())
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    let local = source.starts_with("./") || source.starts_with("../");
    let key = if call.key.is_empty() {
        name.to_string()
    } else {
        format!("{}.{name}", call.key)
    };
    let installed = call.installed.get(&key).filter(|p| dir.join(p).is_dir());
    // A local folder that is not in the repository: another command makes it before `plan`
    // (`git clone … vendor/modules/x`), or the configuration is broken. With `keep_going` the
    // call is kept like a remote module's (its inputs judged) and the caller says which;
    // otherwise it is an error here.
    let missing = (local && call.keep_going)
        .then(|| module_path(folder, &source))
        .filter(|path| !dir.join(path).is_dir());
    if !local || call.depth >= MAX_MODULE_DEPTH || missing.is_some() {
        let version = value_of("version")
            .and_then(|a| evaluate_expr(&a.value, ctx).ok())
            .and_then(|v| v.as_str().map(String::from));
        let followed = !local && installed.is_some() && call.depth < MAX_MODULE_DEPTH;
        root.modules.push(RemoteModule {
            address: address.to_string(),
            source: source.clone(),
            version,
            location: lines.of(block.span.clone()),
            followed,
            missing,
        });
        if !followed {
            // Its code is out of reach, but its inputs are written here: rules
            // judge the inputs they recognise (`storage_encrypted`, `multi_az`, …).
            let mut inputs = TfResource {
                address: address.to_string(),
                resource_type: super::syntax::shared_key("module"),
                location: lines.of(block.span.clone()),
                attributes: Default::default(),
                unknown: Default::default(),
                waivers: inline_waivers(lines, block.span.clone(), problems),
                references: Default::default(),
            };
            read_body(&block.body, "", ctx, lines, &mut inputs);
            // Its inputs refer to resources of the calling module, named as resources are.
            if !call.prefix.is_empty() {
                for (_, target) in inputs.references.iter_mut() {
                    *target = format!("{}{target}", call.prefix);
                }
            }
            if let Some((key, at)) = &may_exist {
                inputs.unknown.insert(key.as_str(), at.clone());
            }
            root.resources.push(inputs);
            return Ok(());
        }
    }
    let mut inner = ModuleCall {
        prefix: format!("{address}."),
        may_exist: may_exist.clone(),
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
        match evaluate_expr(&attr.value, ctx) {
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
    let mut chain = call.chain.clone();
    chain.push(folder.trim_end_matches('/').to_string());
    if let Some(start) = chain.iter().position(|f| *f == path) {
        let mut steps: Vec<String> = chain[start..].to_vec();
        steps.push(path.clone());
        problems.push(
            Diagnostic::at(
                lines.of(block.span.clone()),
                format!(
                    "{MODULE_CYCLE}: module `{name}` (source `{source}`) leads back to `{path}`: {}",
                    steps.join(" → ")
                ),
            )
            .expected("modules that call other modules, never themselves"),
        );
        return Ok(());
    }
    inner.chain = chain;
    if !dir.join(&path).is_dir() {
        problems.push(
            Diagnostic::at(
                lines.of(block.span.clone()),
                format!(
                    "module `{name}`: the source `{source}` is not a directory in the repository"
                ),
            )
            .expected("a local module path relative to this folder"),
        );
        return Ok(());
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
    Ok(())
}

pub(super) fn provider_default_tags(files: &[Parsed], ctx: &Context) -> BTreeMap<String, Json> {
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
