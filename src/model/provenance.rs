//! Where a fact came from: a line of liftoff.yaml, a line of an artefact, or a live probe.

use serde::Serialize;
use std::sync::Arc;

/// A position in a file of the assessed directory. Paths are relative to that directory and use
/// `/` on every platform, so reports are identical wherever they are produced.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// File path relative to the assessed directory. Shared: a large manifest has a hundred
    /// thousand facts, all in the same file.
    pub path: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Location {
    /// A position in a file.
    pub fn new(path: impl Into<Arc<str>>, line: u32, column: u32) -> Location {
        Location {
            path: path.into(),
            line,
            column,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A folder has no line to point at.
        if self.line == 0 || self.path.ends_with('/') {
            write!(f, "{}", self.path)
        } else {
            write!(f, "{}:{}:{}", self.path, self.line, self.column)
        }
    }
}

/// How a fact became known.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Origin {
    /// Declared by the team in liftoff.yaml.
    Declared(Location),
    /// Read from an artefact (Terraform, compose, ...).
    Artefact(Location),
    /// Observed by a live probe of this URL.
    Probe { url: String },
    /// Not written anywhere: worked out by liftoff (for example an environment's kind from its name).
    /// Boxed fields keep every fact small: a large check holds tens of thousands of origins.
    Derived {
        from: Option<Box<Location>>,
        how: Box<str>,
    },
}

impl Origin {
    /// The file position behind the fact, when there is one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Origin::Declared(l) | Origin::Artefact(l) => Some(l),
            Origin::Derived { from, .. } => from.as_deref(),
            Origin::Probe { .. } => None,
        }
    }

    /// [`Origin::location`], taken.
    pub fn into_location(self) -> Option<Location> {
        match self {
            Origin::Declared(l) | Origin::Artefact(l) => Some(l),
            Origin::Derived { from, .. } => from.map(|l| *l),
            Origin::Probe { .. } => None,
        }
    }
}

/// A value together with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Fact<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Fact<T> {
    pub fn new(value: T, origin: Origin) -> Fact<T> {
        Fact { value, origin }
    }

    /// The file position behind the fact, when there is one.
    pub fn location(&self) -> Option<&Location> {
        self.origin.location()
    }
}

impl<T: Copy> Fact<T> {
    /// The value, copied.
    pub fn get(&self) -> T {
        self.value
    }
}

/// Reads the value of an optional fact.
pub trait FactValue<T> {
    /// The value when the fact is known.
    fn val(&self) -> Option<&T>;
}

impl<T> FactValue<T> for Option<Fact<T>> {
    fn val(&self) -> Option<&T> {
        self.as_ref().map(|f| &f.value)
    }
}
