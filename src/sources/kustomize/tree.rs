//! A Kubernetes object as kustomize handles it: a YAML tree in which every node remembers the file
//! and position it was written at. After an overlay patches a base, one object holds nodes of
//! several files, and a fact read from it must point at the overlay line that set it.

use crate::model::Location;
use crate::sources::yaml::{Document, Node, Scalar, Typed, Value};
use std::collections::BTreeMap;

/// The content of a [`Placed`] node.
#[derive(Clone, Debug)]
pub enum Tree {
    Scalar(Scalar),
    Seq(Vec<Placed>),
    Map(Vec<(Placed, Placed)>),
}

/// A YAML node and where it was written.
#[derive(Clone, Debug)]
pub struct Placed {
    pub value: Tree,
    pub at: Location,
}

impl Placed {
    /// The node of a parsed file, with the file's path on every node.
    pub fn from_yaml(doc: &Document, node: &Node) -> Placed {
        let value = match &node.value {
            Value::Scalar(s) => Tree::Scalar(s.clone()),
            Value::Seq(items) => {
                Tree::Seq(items.iter().map(|i| Placed::from_yaml(doc, i)).collect())
            }
            Value::Map(entries) => Tree::Map(
                entries
                    .iter()
                    .map(|(k, v)| (Placed::from_yaml(doc, k), Placed::from_yaml(doc, v)))
                    .collect(),
            ),
        };
        Placed {
            value,
            at: doc.location(node),
        }
    }

    /// Every non-empty document of a file.
    pub fn documents(doc: &Document) -> Vec<Placed> {
        doc.roots
            .iter()
            .filter(|r| !r.is_null())
            .map(|r| Placed::from_yaml(doc, r))
            .collect()
    }

    /// A string written by liftoff on behalf of a kustomization line (a new tag, a prefixed name).
    pub fn string(text: &str, at: Location) -> Placed {
        Placed {
            value: Tree::Scalar(Scalar {
                text: text.into(),
                plain: false,
                tag: None,
            }),
            at,
        }
    }

    /// A number or other plain scalar, typed as YAML types it.
    pub fn plain(text: &str, at: Location) -> Placed {
        Placed {
            value: Tree::Scalar(Scalar {
                text: text.into(),
                plain: true,
                tag: None,
            }),
            at,
        }
    }

    /// An empty mapping.
    pub fn map(at: Location) -> Placed {
        Placed {
            value: Tree::Map(Vec::new()),
            at,
        }
    }

    /// The value at `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Placed> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value node at `key` when this node is a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Placed, &Placed)> {
        match &self.value {
            Tree::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The value at `key`, to change it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Placed> {
        match &mut self.value {
            Tree::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Sets `key` to `value`, in place when the key exists (keeping its position in the mapping).
    /// A node that is not a mapping becomes one, as kustomize creates the fields it sets.
    pub fn set(&mut self, key: &str, value: Placed) {
        if !matches!(self.value, Tree::Map(_)) {
            self.value = Tree::Map(Vec::new());
        }
        if let Tree::Map(entries) = &mut self.value {
            match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
                Some((_, v)) => *v = value,
                None => {
                    let k = Placed::string(key, value.at.clone());
                    entries.push((k, value));
                }
            }
        }
    }

    /// Sets the entry of `key`'s text to `key` and `value`, both replacing what was there: a
    /// value an overlay sets is reported at the overlay's line, key included.
    pub fn set_entry(&mut self, key: Placed, value: Placed) {
        let Some(text) = key.as_str().map(str::to_string) else {
            return;
        };
        if !matches!(self.value, Tree::Map(_)) {
            self.value = Tree::Map(Vec::new());
        }
        if let Tree::Map(entries) = &mut self.value {
            match entries.iter_mut().find(|(k, _)| k.as_str() == Some(&text)) {
                Some(entry) => *entry = (key, value),
                None => entries.push((key, value)),
            }
        }
    }

    /// The mapping at `key`, created (at `at`) when missing or not a mapping.
    pub fn ensure_map(&mut self, key: &str, at: &Location) -> &mut Placed {
        let missing = !matches!(self.get(key).map(|v| &v.value), Some(Tree::Map(_)));
        if missing {
            self.set(key, Placed::map(at.clone()));
        }
        // The entry exists: it was found or set just above.
        match self.get_mut(key) {
            Some(v) => v,
            None => unreachable!("set above"),
        }
    }

    /// Removes `key` from a mapping, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Placed> {
        match &mut self.value {
            Tree::Map(entries) => {
                let i = entries.iter().position(|(k, _)| k.as_str() == Some(key))?;
                Some(entries.remove(i).1)
            }
            _ => None,
        }
    }

    /// The item at `index` when this node is a sequence.
    pub fn index(&self, index: usize) -> Option<&Placed> {
        match &self.value {
            Tree::Seq(items) => items.get(index),
            _ => None,
        }
    }

    /// The items of a sequence (none for anything else).
    pub fn items(&self) -> &[Placed] {
        match &self.value {
            Tree::Seq(items) => items,
            _ => &[],
        }
    }

    /// The scalar's text, when this node is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Tree::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    /// Whether this node is a null scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Tree::Scalar(s) if s.typed() == Typed::Null)
    }

    /// A mapping of strings (labels, a selector); other entries are left out.
    pub fn string_map(&self) -> BTreeMap<String, String> {
        match &self.value {
            Tree::Map(entries) => entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect(),
            _ => BTreeMap::new(),
        }
    }

    /// Whether two nodes hold the same value, wherever they were written (JSON patch `test`).
    pub fn same_value(&self, other: &Placed) -> bool {
        match (&self.value, &other.value) {
            (Tree::Scalar(a), Tree::Scalar(b)) => match (a.typed(), b.typed()) {
                (Typed::Str, Typed::Str) => a.text == b.text,
                (x, y) => x == y,
            },
            (Tree::Seq(a), Tree::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_value(y))
            }
            (Tree::Map(a), Tree::Map(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(k, v)| {
                        k.as_str()
                            .and_then(|k| other.get(k))
                            .is_some_and(|w| v.same_value(w))
                    })
            }
            _ => false,
        }
    }

    /// The object's `kind`.
    pub fn kind(&self) -> Option<&str> {
        self.get("kind").and_then(Placed::as_str)
    }

    /// The object's `metadata.name`.
    pub fn name(&self) -> Option<&str> {
        self.get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Placed::as_str)
    }

    /// The object's `metadata.namespace`.
    pub fn namespace(&self) -> Option<&str> {
        self.get("metadata")
            .and_then(|m| m.get("namespace"))
            .and_then(Placed::as_str)
    }

    /// The number of nodes under this one, itself included.
    pub fn size(&self) -> usize {
        1 + match &self.value {
            Tree::Scalar(_) => 0,
            Tree::Seq(items) => items.iter().map(Placed::size).sum(),
            Tree::Map(entries) => entries.iter().map(|(k, v)| k.size() + v.size()).sum(),
        }
    }
}
