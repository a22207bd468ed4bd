//! Ansible inventories, YAML and INI, with `group_vars/` and `host_vars/`.
//!
//! The INI form is parsed by hand (no crate keeps line numbers); the YAML form uses liftoff's
//! spanned YAML tree. Variables apply in Ansible's order of precedence, lowest first: the `all`
//! group, parent groups, child groups, `group_vars/` files, the host's own line, `host_vars/`
//! files. liftoff reads the facts it judges: hardware (cpu, memory, disk, OS, architecture,
//! zone), the groups a host is in (its role, and its environment when a group is named after one)
//! and the admin users the inventory declares.

use super::yaml::{self, Document, Node, Value};
use crate::diagnostic::{Diagnostic, InputError};
use crate::model::Location;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A variable's value as written, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Var {
    pub value: VarValue,
    pub location: Location,
}

/// Inventory variables are YAML values; liftoff keeps scalars as text and lists of mappings
/// (the `users` list) as nested variables.
#[derive(Clone, Debug, PartialEq)]
pub enum VarValue {
    Text(String),
    List(Vec<BTreeMap<String, String>>),
    Other,
}

impl Var {
    /// The value as text, when it is a scalar.
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            VarValue::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// One host with its groups and effective variables.
#[derive(Clone, Debug, PartialEq)]
pub struct Host {
    pub name: String,
    pub location: Location,
    pub groups: BTreeSet<String>,
    pub vars: BTreeMap<String, Var>,
}

/// A whole inventory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inventory {
    pub hosts: Vec<Host>,
    /// Variables of the `all` group (users lists live here).
    pub all_vars: BTreeMap<String, Var>,
}

#[derive(Default)]
struct Group {
    vars: BTreeMap<String, Var>,
    children: BTreeSet<String>,
    hosts: BTreeMap<String, (Location, BTreeMap<String, Var>)>,
}

/// Reads an inventory file, or every inventory file of a directory, with the `group_vars/` and
/// `host_vars/` beside it.
pub fn read(dir: &Path, rel: &str) -> Result<Inventory, InputError> {
    let full = dir.join(rel);
    let (files, base) = if full.is_dir() {
        let mut files: Vec<String> = std::fs::read_dir(&full)
            .map_err(|source| InputError::Io {
                path: rel.to_string(),
                source,
            })?
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| {
                format!(
                    "{}/{}",
                    rel.trim_end_matches('/'),
                    e.file_name().to_string_lossy()
                )
            })
            .filter(|p| {
                !p.ends_with(".md") && !p.rsplit('/').next().unwrap_or_default().starts_with('.')
            })
            .collect();
        files.sort();
        (files, rel.trim_end_matches('/').to_string())
    } else {
        let base = Path::new(rel)
            .parent()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        (vec![rel.to_string()], base)
    };
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut problems = Vec::new();
    for file in &files {
        let text = super::read_text(&dir.join(file), file)?;
        let is_yaml = file.ends_with(".yml")
            || file.ends_with(".yaml")
            || text.trim_start().starts_with("all:")
            || text.trim_start().starts_with("---");
        if is_yaml {
            let doc = yaml::parse(file, &text, yaml::Limits::default())?;
            if let Some(root) = doc.roots.first() {
                read_yaml_root(&doc, root, &mut groups, &mut problems);
            }
        } else {
            read_ini(file, &text, &mut groups, &mut problems);
        }
    }
    if !problems.is_empty() {
        return Err(InputError::Invalid(problems));
    }
    let group_files = vars_files(dir, &base, "group_vars")?;
    let host_files = vars_files(dir, &base, "host_vars")?;
    Ok(resolve(&groups, &group_files, &host_files))
}

fn scalar_text(node: &Node) -> VarValue {
    match &node.value {
        Value::Scalar(s) => VarValue::Text(s.text.to_string()),
        Value::Seq(items) => VarValue::List(
            items
                .iter()
                .filter_map(|item| match &item.value {
                    Value::Map(entries) => Some(
                        entries
                            .iter()
                            .filter_map(|(k, v)| {
                                Some((k.as_str()?.to_string(), v.as_str()?.to_string()))
                            })
                            .collect(),
                    ),
                    _ => None,
                })
                .collect(),
        ),
        Value::Map(_) => VarValue::Other,
    }
}

fn vars_of(doc: &Document, node: &Node) -> BTreeMap<String, Var> {
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.as_str()?.to_string(),
                    Var {
                        value: scalar_text(v),
                        location: doc.location(v),
                    },
                ))
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn read_yaml_root(
    doc: &Document,
    root: &Node,
    groups: &mut BTreeMap<String, Group>,
    problems: &mut Vec<Diagnostic>,
) {
    let Value::Map(entries) = &root.value else {
        problems.push(
            Diagnostic::at(doc.location(root), format!("found {}", root.describe()))
                .expected("an inventory: a mapping of group names"),
        );
        return;
    };
    for (key, node) in entries {
        if let Some(name) = key.as_str() {
            read_yaml_group(doc, name, node, groups, problems, 0);
        }
    }
}

fn read_yaml_group(
    doc: &Document,
    name: &str,
    node: &Node,
    groups: &mut BTreeMap<String, Group>,
    problems: &mut Vec<Diagnostic>,
    depth: usize,
) {
    groups.entry(name.to_string()).or_default();
    if node.is_null() {
        return;
    }
    let Value::Map(entries) = &node.value else {
        problems.push(
            Diagnostic::at(
                doc.location(node),
                format!("group `{name}` is {}", node.describe()),
            )
            .expected("a mapping with hosts, vars or children"),
        );
        return;
    };
    for (key, value) in entries {
        match key.as_str() {
            Some("hosts") => match &value.value {
                Value::Map(hosts) => {
                    for (host, vars) in hosts {
                        if let Some(host_name) = host.as_str() {
                            let entry = groups.entry(name.to_string()).or_default();
                            entry.hosts.insert(
                                host_name.to_string(),
                                (doc.location(host), vars_of(doc, vars)),
                            );
                        }
                    }
                }
                _ if value.is_null() => {}
                _ => problems.push(
                    Diagnostic::at(
                        doc.location(value),
                        format!("the hosts of `{name}` are {}", value.describe()),
                    )
                    .expected("a mapping of host names (a YAML inventory lists hosts as keys)"),
                ),
            },
            Some("vars") => {
                let vars = vars_of(doc, value);
                groups
                    .entry(name.to_string())
                    .or_default()
                    .vars
                    .extend(vars);
            }
            Some("children") => match &value.value {
                Value::Map(children) if depth < 32 => {
                    for (child, child_node) in children {
                        if let Some(child_name) = child.as_str() {
                            groups
                                .entry(name.to_string())
                                .or_default()
                                .children
                                .insert(child_name.to_string());
                            read_yaml_group(
                                doc,
                                child_name,
                                child_node,
                                groups,
                                problems,
                                depth + 1,
                            );
                        }
                    }
                }
                _ if value.is_null() => {}
                _ => problems.push(
                    Diagnostic::at(
                        doc.location(value),
                        format!("the children of `{name}` are {}", value.describe()),
                    )
                    .expected("a mapping of group names"),
                ),
            },
            Some(other) => problems.push(
                Diagnostic::at(
                    doc.location(key),
                    format!("`{other}` is not part of an inventory group"),
                )
                .expected("hosts, vars or children")
                .help("hosts go under `hosts:` and variables under `vars:`"),
            ),
            None => {}
        }
    }
}

/// Splits `key=value key2="two words"` the way Ansible's INI inventory does.
fn ini_pairs(text: &str) -> Result<Vec<(String, String, usize)>, String> {
    let mut out = Vec::new();
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && bytes[i] != '=' && !bytes[i].is_whitespace() {
            i += 1;
        }
        let key: String = bytes[start..i].iter().collect();
        if i >= bytes.len() || bytes[i] != '=' {
            return Err(format!("`{key}` is not key=value"));
        }
        i += 1;
        let mut value = String::new();
        if i < bytes.len() && (bytes[i] == '"' || bytes[i] == '\'') {
            let quote = bytes[i];
            i += 1;
            while i < bytes.len() && bytes[i] != quote {
                value.push(bytes[i]);
                i += 1;
            }
            if i >= bytes.len() {
                return Err(format!("the value of `{key}` is never closed"));
            }
            i += 1;
        } else {
            while i < bytes.len() && !bytes[i].is_whitespace() {
                value.push(bytes[i]);
                i += 1;
            }
        }
        out.push((key, value, start));
    }
    Ok(out)
}

fn read_ini(
    file: &str,
    text: &str,
    groups: &mut BTreeMap<String, Group>,
    problems: &mut Vec<Diagnostic>,
) {
    let mut section = ("ungrouped".to_string(), "hosts");
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let indent = (line.len() - line.trim_start().len()) as u32;
        let at = |column: u32| Location::new(file, index as u32 + 1, indent + column + 1);
        if let Some(header) = trimmed.strip_prefix('[') {
            let Some(header) = header.strip_suffix(']') else {
                problems.push(
                    Diagnostic::at(at(0), "a section header is never closed")
                        .expected("[group], [group:vars] or [group:children]"),
                );
                continue;
            };
            section = match header.split_once(':') {
                Some((group, "vars")) => (group.to_string(), "vars"),
                Some((group, "children")) => (group.to_string(), "children"),
                Some((_, kind)) => {
                    problems.push(
                        Diagnostic::at(at(0), format!("`:{kind}` is not an inventory section"))
                            .expected(":vars or :children"),
                    );
                    continue;
                }
                None => (header.to_string(), "hosts"),
            };
            groups.entry(section.0.clone()).or_default();
            continue;
        }
        let group = groups.entry(section.0.clone()).or_default();
        match section.1 {
            "children" => {
                group.children.insert(trimmed.to_string());
            }
            "vars" => match trimmed.split_once('=') {
                Some((k, v)) => {
                    let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
                    group.vars.insert(
                        k.trim().to_string(),
                        Var {
                            value: VarValue::Text(v.to_string()),
                            location: at(0),
                        },
                    );
                }
                None => problems.push(
                    Diagnostic::at(at(0), format!("`{trimmed}` is not key=value"))
                        .expected("a group variable: name=value"),
                ),
            },
            _ => {
                let (host, rest) = trimmed
                    .split_once(char::is_whitespace)
                    .unwrap_or((trimmed, ""));
                let rest_offset = (trimmed.len() - rest.len()) as u32;
                match ini_pairs(rest) {
                    Ok(pairs) => {
                        let vars = pairs
                            .into_iter()
                            .map(|(k, v, col)| {
                                (
                                    k,
                                    Var {
                                        value: VarValue::Text(v),
                                        location: at(rest_offset + col as u32),
                                    },
                                )
                            })
                            .collect();
                        group.hosts.insert(host.to_string(), (at(0), vars));
                    }
                    Err(why) => problems.push(
                        Diagnostic::at(at(rest_offset), why)
                            .expected("host name followed by key=value variables"),
                    ),
                }
            }
        }
    }
}

/// `group_vars/<name>.yml` (or a `<name>/` directory of YAML files), by group or host name.
fn vars_files(
    dir: &Path,
    base: &str,
    kind: &str,
) -> Result<BTreeMap<String, BTreeMap<String, Var>>, InputError> {
    let folder = if base.is_empty() {
        kind.to_string()
    } else {
        format!("{base}/{kind}")
    };
    let mut out: BTreeMap<String, BTreeMap<String, Var>> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir.join(&folder)) else {
        return Ok(out);
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = format!("{folder}/{name}");
        let (owner, files) = if entry.path().is_dir() {
            let mut inner: Vec<String> = std::fs::read_dir(entry.path())
                .map(|r| {
                    r.flatten()
                        .map(|e| format!("{rel}/{}", e.file_name().to_string_lossy()))
                        .collect()
                })
                .unwrap_or_default();
            inner.sort();
            (name.clone(), inner)
        } else {
            let owner = name
                .trim_end_matches(".yml")
                .trim_end_matches(".yaml")
                .to_string();
            (owner, vec![rel])
        };
        for file in files.into_iter().filter(|f| {
            f.ends_with(".yml")
                || f.ends_with(".yaml")
                || !f.rsplit('/').next().unwrap_or_default().contains('.')
        }) {
            let text = super::read_text(&dir.join(&file), &file)?;
            let doc = yaml::parse(&file, &text, yaml::Limits::default())?;
            if let Some(root) = doc.roots.first() {
                out.entry(owner.clone())
                    .or_default()
                    .extend(vars_of(&doc, root));
            }
        }
    }
    Ok(out)
}

/// Flattens groups into hosts with their effective variables.
fn resolve(
    groups: &BTreeMap<String, Group>,
    group_files: &BTreeMap<String, BTreeMap<String, Var>>,
    host_files: &BTreeMap<String, BTreeMap<String, Var>>,
) -> Inventory {
    // Parents of each group, to apply variables from the outside in.
    let mut parents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, group) in groups {
        for child in &group.children {
            parents
                .entry(child.as_str())
                .or_default()
                .push(name.as_str());
        }
    }
    let ancestry = |group: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut frontier = vec![group.to_string()];
        while let Some(g) = frontier.pop() {
            if out.contains(&g) || out.len() > 64 {
                continue;
            }
            frontier.extend(
                parents
                    .get(g.as_str())
                    .into_iter()
                    .flatten()
                    .map(|p| p.to_string()),
            );
            out.push(g);
        }
        out.reverse();
        out
    };
    let mut hosts: BTreeMap<String, Host> = BTreeMap::new();
    for (group_name, group) in groups {
        for (host_name, (location, own)) in &group.hosts {
            let host = hosts.entry(host_name.clone()).or_insert_with(|| Host {
                name: host_name.clone(),
                location: location.clone(),
                groups: BTreeSet::new(),
                vars: BTreeMap::new(),
            });
            for g in ancestry(group_name) {
                host.groups.insert(g);
            }
            host.vars.extend(own.clone());
        }
    }
    let all_vars = {
        let mut v = groups
            .get("all")
            .map(|g| g.vars.clone())
            .unwrap_or_default();
        v.extend(group_files.get("all").cloned().unwrap_or_default());
        v
    };
    for host in hosts.values_mut() {
        let own = std::mem::take(&mut host.vars);
        let mut vars = all_vars.clone();
        // Parents before children: `ancestry` lists the outermost groups first.
        let mut ordered: Vec<&String> = host.groups.iter().collect();
        ordered.sort_by_key(|g| ancestry(g).len());
        for g in &ordered {
            if let Some(group) = groups.get(g.as_str()) {
                vars.extend(group.vars.clone());
            }
        }
        for g in &ordered {
            if let Some(file) = group_files.get(g.as_str()) {
                vars.extend(file.clone());
            }
        }
        vars.extend(own);
        if let Some(file) = host_files.get(&host.name) {
            vars.extend(file.clone());
        }
        host.vars = vars;
    }
    Inventory {
        hosts: hosts.into_values().collect(),
        all_vars,
    }
}

/// The role a host's groups give it.
pub fn role(groups: &BTreeSet<String>) -> Option<&'static str> {
    let has = |markers: &[&str]| {
        groups
            .iter()
            .any(|g| markers.iter().any(|m| g.to_ascii_lowercase().contains(m)))
    };
    let word = |markers: &[&str]| {
        groups.iter().any(|g| {
            g.to_ascii_lowercase()
                .split(|c: char| !c.is_ascii_alphabetic())
                .any(|w| markers.contains(&w))
        })
    };
    if has(&["backup"]) || word(&["dr"]) {
        Some("backup")
    } else if has(&["jump", "bastion"]) {
        Some("bastion")
    } else if has(&["manager"]) {
        Some("manager")
    } else if has(&["worker"]) {
        Some("worker")
    } else if has(&["db", "database", "postgres", "mysql", "mongo"]) {
        Some("db")
    } else {
        None
    }
}

/// The role a host's own name gives it when its groups give none: `backup-1`, `backups`, `dr01`
/// keep the backups or stand by for disaster recovery, and serve no user.
pub fn role_from_name(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let first = lower.split('.').next().unwrap_or_default();
    let words: Vec<&str> = first
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .iter()
        .any(|w| matches!(*w, "backup" | "backups" | "dr"))
        .then_some("backup")
}

/// The first variable of `names` a host sets, as a number (`16`, `16G`, `16GB`).
pub fn number(host: &Host, names: &[&str]) -> Option<(f64, Location)> {
    names.iter().find_map(|n| {
        let var = host.vars.get(*n)?;
        let text = var
            .text()?
            .trim()
            .trim_end_matches(['G', 'g', 'B', 'b'])
            .trim();
        text.parse::<f64>().ok().map(|v| (v, var.location.clone()))
    })
}

/// The first variable of `names` a host sets, as text.
pub fn text(host: &Host, names: &[&str]) -> Option<(String, Location)> {
    names.iter().find_map(|n| {
        host.vars
            .get(*n)
            .and_then(|v| v.text().map(|t| (t.to_string(), v.location.clone())))
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn backup_and_dr_hosts_are_known_by_name() {
        assert_eq!(role_from_name("backup-1"), Some("backup"));
        assert_eq!(role_from_name("dr01.example.org"), Some("backup"));
        assert_eq!(role_from_name("backups"), Some("backup"));
        assert_eq!(role_from_name("drupal-1"), None, "whole words only");
        assert_eq!(role_from_name("app-01"), None);
    }

    use super::*;

    #[test]
    fn ini_inventories_with_children_and_vars() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("inv/group_vars")).unwrap();
        std::fs::write(
            tmp.path().join("inv/staging.ini"),
            "# staging\n[managers]\nstg-1 ansible_host=10.0.1.10 cpu=8 ram_gb=16 note=\"two words\"\n\n[workers]\nstg-2 ansible_host=10.0.1.11\n\n[staging:children]\nmanagers\nworkers\n\n[staging:vars]\ndisk_gb=500\n",
        )
        .unwrap();
        std::fs::write(
            tmp.path().join("inv/group_vars/workers.yml"),
            "cpu: 4\nram_gb: 8\n",
        )
        .unwrap();
        let inventory = read(tmp.path(), "inv/staging.ini").unwrap();
        let names: Vec<&str> = inventory.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["stg-1", "stg-2"]);
        let stg1 = &inventory.hosts[0];
        assert!(stg1.groups.contains("staging") && stg1.groups.contains("managers"));
        assert_eq!(number(stg1, &["cpu"]).unwrap().0, 8.0);
        assert_eq!(
            number(stg1, &["disk_gb"]).unwrap().0,
            500.0,
            "inherited from the parent group"
        );
        assert_eq!(stg1.vars["note"].text(), Some("two words"));
        assert_eq!(
            stg1.vars["cpu"].location.to_string(),
            "inv/staging.ini:3:30"
        );
        assert_eq!(
            number(&inventory.hosts[1], &["cpu"]).unwrap().0,
            4.0,
            "group_vars file"
        );
        assert_eq!(role(&stg1.groups), Some("manager"));
    }

    #[test]
    fn broken_inventories_name_the_line() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("a.ini"),
            "[web\nhost-1 cpu\n[db:vars]\nnot a pair\n",
        )
        .unwrap();
        let InputError::Invalid(d) = read(tmp.path(), "a.ini").unwrap_err() else {
            panic!()
        };
        let lines: Vec<u32> = d
            .iter()
            .map(|d| d.location.as_ref().unwrap().line)
            .collect();
        assert_eq!(lines, [1, 2, 4]);
        std::fs::write(
            tmp.path().join("b.yml"),
            "all:\n  hosts:\n    - web-1\n  hostz: {}\n",
        )
        .unwrap();
        let InputError::Invalid(d) = read(tmp.path(), "b.yml").unwrap_err() else {
            panic!()
        };
        assert!(d[0].to_string().contains("b.yml:3:5"), "{}", d[0]);
        assert!(
            d[1].to_string()
                .contains("`hostz` is not part of an inventory group")
        );
    }
}
