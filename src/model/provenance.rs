//! Where a fact came from: a line of liftoff.yaml, a line of an artefact, or a live probe.

use serde::Serialize;
use std::sync::Arc;

/// A file path of the assessed directory, interned: one copy of each distinct path for the
/// whole process, never freed (a repository has hundreds or thousands of files, and a watch
/// daemon reads the same ones again). A copy is a pointer. A path shared through a reference
/// count had its count changed by every finding made at that file: with rules judged on two
/// threads, the count's cache line went back and forth between the cores, and every read of the
/// path beside it waited (a twentieth of the time house policies added on the policies
/// benchmark).
#[derive(Clone, Copy)]
pub struct FilePath(&'static str);

impl FilePath {
    /// The path's text.
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

/// The interned copy of `path`.
fn intern(path: &str) -> &'static str {
    static PATHS: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<&'static str>>> =
        std::sync::OnceLock::new();
    thread_local! {
        // The last path interned on this thread: readers make every position of a file from
        // the same path.
        static LAST: std::cell::Cell<&'static str> = const { std::cell::Cell::new("") };
    }
    let last = LAST.get();
    if last == path {
        return last;
    }
    // A poisoned lock only means a panic elsewhere while inserting; the set is still valid.
    let mut paths = PATHS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let interned = match paths.get(path) {
        Some(found) => *found,
        None => {
            let leaked: &'static str = Box::leak(path.into());
            paths.insert(leaked);
            leaked
        }
    };
    LAST.set(interned);
    interned
}

impl std::ops::Deref for FilePath {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for FilePath {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl std::fmt::Display for FilePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::fmt::Debug for FilePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0, f)
    }
}

impl PartialEq for FilePath {
    fn eq(&self, other: &FilePath) -> bool {
        std::ptr::eq(self.0, other.0) || self.0 == other.0
    }
}

impl Eq for FilePath {}

impl PartialOrd for FilePath {
    fn partial_cmp(&self, other: &FilePath) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for FilePath {
    fn cmp(&self, other: &FilePath) -> std::cmp::Ordering {
        if std::ptr::eq(self.0, other.0) {
            return std::cmp::Ordering::Equal;
        }
        self.0.cmp(other.0)
    }
}

impl std::hash::Hash for FilePath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl Serialize for FilePath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl From<&str> for FilePath {
    fn from(path: &str) -> FilePath {
        FilePath(intern(path))
    }
}

impl From<String> for FilePath {
    fn from(path: String) -> FilePath {
        FilePath(intern(&path))
    }
}

impl From<Arc<str>> for FilePath {
    fn from(path: Arc<str>) -> FilePath {
        FilePath(intern(&path))
    }
}

/// A position in a file of the assessed directory. Paths are relative to that directory and use
/// `/` on every platform, so reports are identical wherever they are produced.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// File path relative to the assessed directory.
    pub path: FilePath,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Location {
    /// A position in a file.
    pub fn new(path: impl Into<FilePath>, line: u32, column: u32) -> Location {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// One copy per distinct path, however it is given; compared, ordered, hashed and written
    /// as its text.
    #[test]
    fn paths_are_one_copy_each_and_behave_as_their_text() {
        let a = FilePath::from("terraform/production/main.tf");
        let b = FilePath::from(String::from("terraform/production/main.tf"));
        let c = FilePath::from(Arc::<str>::from("terraform/staging/main.tf"));
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a < c);
        assert_eq!(a.cmp(&b), std::cmp::Ordering::Equal);
        assert_eq!(&*a, "terraform/production/main.tf");
        assert_eq!(
            serde_json::to_string(&Location::new(a, 3, 1)).unwrap(),
            r#"{"path":"terraform/production/main.tf","line":3,"column":1}"#
        );
        assert_eq!(format!("{a}"), "terraform/production/main.tf");
        assert_eq!(format!("{a:?}"), "\"terraform/production/main.tf\"");
        let hash = |p: &dyn Fn(&mut std::collections::hash_map::DefaultHasher)| {
            use std::hash::Hasher;
            let mut h = std::collections::hash_map::DefaultHasher::new();
            p(&mut h);
            h.finish()
        };
        use std::hash::Hash;
        assert_eq!(
            hash(&|h| a.hash(h)),
            hash(&|h| "terraform/production/main.tf".hash(h))
        );
    }
}
