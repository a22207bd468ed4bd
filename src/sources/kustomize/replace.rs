//! `replacements:`: copy a field of one object (its `source`) into fields of others (its
//! `targets`), as kustomize's replacement transformer does, last of all transformers. The copied
//! value keeps the place it was written, so a fact set by a replacement points at its source.

use super::patch::{Selector, content};
use super::tree::{Placed, Tree};
use super::{Builder, Resource};

pub(super) fn replacements(
    builder: &mut Builder<'_>,
    file: &str,
    folder: &str,
    root: &Placed,
    acc: &mut [Resource],
) {
    for item in root
        .get("replacements")
        .map(Placed::items)
        .unwrap_or_default()
    {
        // An entry is a replacement, or `path:` to a file of them.
        let listed: Vec<Placed> = if item.get("path").is_some() {
            content(builder, file, folder, item.get("path"), None)
                .unwrap_or_default()
                .into_iter()
                .flat_map(|doc| match doc.value {
                    Tree::Seq(items) => items,
                    _ => vec![doc],
                })
                .collect()
        } else {
            vec![item.clone()]
        };
        for r in &listed {
            if let Err(why) = replace(r, acc) {
                builder.note(
                    file,
                    format!("replacements at line {}", r.at.line),
                    format!(
                        "{why}: kustomize build would stop here, so the replacement is not applied"
                    ),
                );
            }
        }
    }
}

/// The segments of a field path: `spec.containers.[name=web].image`, `metadata.annotations.[a.b/c]`.
fn segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => {
                depth += 1;
                current.push(c);
            }
            ']' => {
                depth -= 1;
                current.push(c);
            }
            '.' if depth == 0 => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    out.push(current);
    out.into_iter().filter(|s| !s.is_empty()).collect()
}

/// The nodes at a field path (several with `*`), created on the way when `create` is set.
fn locate<'a>(node: &'a mut Placed, path: &[String], create: bool) -> Vec<&'a mut Placed> {
    let Some((first, rest)) = path.split_first() else {
        return vec![node];
    };
    let bracket = first.strip_prefix('[').and_then(|s| s.strip_suffix(']'));
    if matches!(node.value, Tree::Seq(_)) {
        let Tree::Seq(items) = &mut node.value else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some((k, v)) = bracket.and_then(|s| s.split_once('=')) {
            for i in items.iter_mut() {
                if i.get(k).and_then(Placed::as_str) == Some(v) {
                    out.extend(locate(i, rest, create));
                }
            }
        } else if first == "*" {
            for i in items.iter_mut() {
                out.extend(locate(i, rest, create));
            }
        } else if let Some(i) = first.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
            out.extend(locate(i, rest, create));
        }
        return out;
    }
    let key = bracket.unwrap_or(first);
    if node.get(key).is_none() {
        if !create {
            return Vec::new();
        }
        let at = node.at.clone();
        node.set(key, Placed::map(at));
    }
    match node.get_mut(key) {
        Some(next) => locate(next, rest, create),
        None => Vec::new(),
    }
}

fn replace(r: &Placed, acc: &mut [Resource]) -> Result<(), String> {
    let source = r.get("source").ok_or("a replacement without `source`")?;
    let selector = Selector::read(source)?;
    let matching: Vec<usize> = (0..acc.len())
        .filter(|&i| selector.selects(&acc[i]))
        .collect();
    let [index] = matching.as_slice() else {
        return Err(format!(
            "its source selects {} objects, not exactly one",
            matching.len()
        ));
    };
    let field = source
        .get("fieldPath")
        .and_then(Placed::as_str)
        .unwrap_or("metadata.name");
    let mut copy = acc[*index].tree.clone();
    let mut value = locate(&mut copy, &segments(field), false)
        .into_iter()
        .next()
        .map(|n| n.clone())
        .ok_or_else(|| format!("its source has no `{field}`"))?;
    if let Some(options) = source.get("options") {
        if let Some(delimiter) = options.get("delimiter").and_then(Placed::as_str) {
            let index: usize = options
                .get("index")
                .and_then(Placed::as_str)
                .and_then(|i| i.parse().ok())
                .unwrap_or(0);
            let text = value.as_str().unwrap_or_default().to_string();
            let part = text.split(delimiter).nth(index).unwrap_or_default();
            value = Placed::string(part, value.at.clone());
        }
    }
    for target in r.get("targets").map(Placed::items).unwrap_or_default() {
        let select = Selector::read(target.get("select").ok_or("a target without `select`")?)?;
        let rejects: Vec<Selector> = target
            .get("reject")
            .map(Placed::items)
            .unwrap_or_default()
            .iter()
            .map(Selector::read)
            .collect::<Result<_, _>>()?;
        let options = target.get("options");
        let flag =
            |k: &str| options.and_then(|o| o.get(k)).and_then(Placed::as_str) == Some("true");
        let create = flag("create");
        let delimiter = options
            .and_then(|o| o.get("delimiter"))
            .and_then(Placed::as_str);
        let part: usize = options
            .and_then(|o| o.get("index"))
            .and_then(Placed::as_str)
            .and_then(|i| i.parse().ok())
            .unwrap_or(0);
        for res in acc
            .iter_mut()
            .filter(|res| select.selects(res) && !rejects.iter().any(|j| j.selects(res)))
        {
            let paths = target
                .get("fieldPaths")
                .map(Placed::items)
                .unwrap_or_default();
            for path in paths.iter().filter_map(Placed::as_str) {
                for node in locate(&mut res.tree, &segments(path), create) {
                    *node = match delimiter {
                        Some(d) => {
                            let old = node.as_str().unwrap_or_default().to_string();
                            let mut parts: Vec<&str> = old.split(d).collect();
                            let new = value.as_str().unwrap_or_default();
                            if part < parts.len() {
                                parts[part] = new;
                            } else {
                                parts.push(new);
                            }
                            Placed::string(&parts.join(d), value.at.clone())
                        }
                        None => value.clone(),
                    };
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::segments;

    #[test]
    fn field_paths_keep_bracketed_keys_whole() {
        assert_eq!(
            segments("spec.template.spec.containers.[name=web].image"),
            [
                "spec",
                "template",
                "spec",
                "containers",
                "[name=web]",
                "image"
            ]
        );
        assert_eq!(
            segments("metadata.annotations.[example.org/team]"),
            ["metadata", "annotations", "[example.org/team]"]
        );
    }
}
