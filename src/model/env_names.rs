//! The vocabulary of environment names: which words name which environment, and of what kind.
//!
//! One table serves the manifest (an environment's kind taken from its name), discovery (the
//! environment a file belongs to, from its path) and `init`. Words are matched whole, compound
//! names (`pre-production`, `non-prod`) before their parts, so `pre-production` is never read as
//! `production`.

use super::EnvKind;

/// One environment name and its spellings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvName {
    /// The name an inferred environment gets.
    pub canonical: &'static str,
    pub kind: EnvKind,
    /// Every spelling, lower case; compound ones with `-` between their words.
    pub spellings: &'static [&'static str],
}

/// The vocabulary, as documented in the README ("How files find their environment").
pub const VOCABULARY: &[EnvName] = &[
    EnvName {
        canonical: "production",
        kind: EnvKind::Production,
        spellings: &["production", "prod", "prd", "live"],
    },
    EnvName {
        canonical: "pre-production",
        kind: EnvKind::Staging,
        spellings: &["pre-production", "preproduction", "preprod", "pre-prod"],
    },
    EnvName {
        canonical: "non-production",
        kind: EnvKind::Staging,
        spellings: &["non-production", "nonproduction", "nonprod", "non-prod"],
    },
    EnvName {
        canonical: "staging",
        kind: EnvKind::Staging,
        spellings: &["staging", "stage", "stg"],
    },
    EnvName {
        canonical: "uat",
        kind: EnvKind::Staging,
        spellings: &["uat"],
    },
    EnvName {
        canonical: "qa",
        kind: EnvKind::Qa,
        spellings: &["qa"],
    },
    EnvName {
        canonical: "development",
        kind: EnvKind::Development,
        spellings: &["development", "dev"],
    },
    EnvName {
        canonical: "sandbox",
        kind: EnvKind::Development,
        spellings: &["sandbox"],
    },
    EnvName {
        canonical: "local",
        kind: EnvKind::Development,
        spellings: &["local"],
    },
    EnvName {
        canonical: "test",
        kind: EnvKind::Development,
        spellings: &["test", "tests", "testing", "tst"],
    },
    EnvName {
        canonical: "ci",
        kind: EnvKind::Development,
        spellings: &["ci"],
    },
    EnvName {
        canonical: "backup",
        kind: EnvKind::Backup,
        spellings: &["backup", "backups", "dr"],
    },
];

/// The entry a whole name spells (`prod`, `Pre-Production`, `pre_prod`), if any.
pub fn lookup(name: &str) -> Option<&'static EnvName> {
    let words = words(name);
    match words.as_slice() {
        [one] => find(&[one.as_str()]),
        [a, b] => find(&[a.as_str(), b.as_str()]),
        _ => None,
    }
}

/// The entry a sequence of one or two words spells.
fn find(words: &[&str]) -> Option<&'static EnvName> {
    let joined = words.join("-");
    VOCABULARY
        .iter()
        .find(|e| e.spellings.contains(&joined.as_str()))
}

/// A name split into lower-case words at `-`, `_`, `.` and spaces.
fn words(name: &str) -> Vec<String> {
    name.split(['-', '_', '.', ' '])
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Whether text names a production environment among its words (`.github/workflows/production.yml`,
/// "a job's `environment: prod`").
pub fn names_production(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || matches!(c, '/' | '`' | ':' | '\'' | '"'))
        .flat_map(names_in)
        .any(|(name, _)| name.kind == super::EnvKind::Production)
}

/// The environment names within one path segment or file-name part, left to right, each with
/// the text that spelled it. Compound names are taken before their words.
pub fn names_in(segment: &str) -> Vec<(&'static EnvName, String)> {
    // Words with their byte ranges, so a compound keeps the separator it is written with.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in segment.char_indices() {
        let separator = matches!(c, '-' | '_' | '.' | ' ');
        match (separator, start) {
            (true, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, segment.len()));
    }
    let lower: Vec<String> = words
        .iter()
        .map(|(a, b)| segment[*a..*b].to_ascii_lowercase())
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if i + 1 < words.len() {
            if let Some(e) = find(&[&lower[i], &lower[i + 1]]) {
                out.push((e, segment[words[i].0..words[i + 1].1].to_string()));
                i += 2;
                continue;
            }
        }
        if let Some(e) = find(&[&lower[i]]) {
            out.push((e, segment[words[i].0..words[i].1].to_string()));
        }
        i += 1;
    }
    out
}

/// Where in a path an environment name was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathName {
    pub name: &'static EnvName,
    /// The text as the path spells it (`prod`, `pre-production`).
    pub spelled: String,
    /// The folder that names it, or `None` when the file name does.
    pub folder: Option<String>,
}

/// The environment a repository path names, the deepest mention winning (the file name, then
/// its folder, then the folders above): `infra/live/nonprod/main.tf` is non-production. Nothing
/// at or below a `modules/` folder names an environment: a module is code every environment
/// calls. A segment naming environments of two kinds (`prod-to-staging`) names none; of one kind
/// (`test-local`), the first.
pub fn in_path(rel: &str) -> Option<PathName> {
    let segments: Vec<&str> = rel.split('/').collect();
    if segments[..segments.len().saturating_sub(1)]
        .iter()
        .any(|s| s.eq_ignore_ascii_case("modules"))
    {
        return None;
    }
    for (index, segment) in segments.iter().enumerate().rev() {
        let is_file = index + 1 == segments.len();
        let names = names_in(segment);
        let Some((first, spelled)) = names.first() else {
            continue;
        };
        if names.iter().any(|(n, _)| n.kind != first.kind) {
            return None;
        }
        return Some(PathName {
            name: first,
            spelled: spelled.clone(),
            folder: (!is_file).then(|| segments[..=index].join("/")),
        });
    }
    None
}

/// Whether a declared environment named `declared` is the one `found` (a vocabulary entry)
/// spells: the same entry, or a declared name that is one of its spellings.
pub fn same_environment(declared: &str, found: &EnvName) -> bool {
    lookup(declared).is_some_and(|d| d.canonical == found.canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(path: &str) -> Option<&'static str> {
        in_path(path).map(|p| p.name.canonical)
    }

    #[test]
    fn compound_names_win_over_their_parts() {
        assert_eq!(
            canonical("terraform/pre-production/main.tf"),
            Some("pre-production")
        );
        assert_eq!(
            canonical("infra/non-production/x.tf"),
            Some("non-production")
        );
        assert_eq!(
            canonical("infra/live/nonprod/main.tf"),
            Some("non-production")
        );
        assert_eq!(canonical("infra/live/prod/main.tf"), Some("production"));
        assert_eq!(
            canonical("docker/pre-production-data-cleanup/Dockerfile"),
            Some("pre-production")
        );
        assert_eq!(canonical("config/pre_prod.tfvars"), Some("pre-production"));
        assert_eq!(
            in_path("docker-compose.pre_prod.yml").map(|p| p.spelled),
            Some("pre_prod".to_string()),
            "spelled as written"
        );
        assert_eq!(
            lookup("pre-production").map(|e| e.kind),
            Some(EnvKind::Staging)
        );
    }

    #[test]
    fn file_names_and_folders() {
        assert_eq!(
            canonical("docker-compose.production.yml"),
            Some("production")
        );
        assert_eq!(
            canonical("infrastructure/docker-compose.production-deploy.yml"),
            Some("production")
        );
        assert_eq!(canonical("docker-compose.test.yml"), Some("test"));
        assert_eq!(canonical("docker-compose.test-local.yml"), Some("test"));
        assert_eq!(canonical("scripts/prod-to-staging/sync.yml"), None);
        assert_eq!(canonical("docker-compose.dev.yml"), Some("development"));
        assert_eq!(canonical("inventory/staging.yml"), Some("staging"));
        assert_eq!(canonical("terraform/prod/main.tf"), Some("production"));
        assert_eq!(canonical("docker-compose.yml"), None);
        assert_eq!(canonical("terraform/etl/main.tf"), None);
        // The file name is deeper than its folder.
        assert_eq!(
            canonical("deploy/production/docker-compose.dev.yml"),
            Some("development")
        );
    }

    #[test]
    fn modules_name_no_environment() {
        assert_eq!(canonical("terraform/modules/api/api-prod.tf"), None);
        assert_eq!(canonical("modules/production/main.tf"), None);
        // A folder merely called like a module is still a root.
        assert_eq!(
            canonical("terraform/production/modules.tf"),
            Some("production")
        );
    }

    /// A bounded, deterministic mutation run over path fragments (the `names` fuzz target runs
    /// the same invariants on arbitrary bytes): no panic, and what a path names is spelled in it.
    #[test]
    fn paths_built_from_fragments_keep_the_invariants() {
        let fragments = [
            "pre",
            "prod",
            "-",
            "_",
            ".",
            "/",
            "modules",
            "staging",
            "x",
            "Prod",
            "PRE-PROD",
            "live",
            "dev",
            "test",
            "local",
            "non",
            "ü",
            "",
            "tf",
            "docker-compose",
            "é-prod",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut path = String::new();
            for _ in 0..(seed % 9) {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                path.push_str(fragments[(seed >> 33) as usize % fragments.len()]);
            }
            seed = seed.wrapping_add(0x2545_f491_4f6c_dd1d);
            if let Some(named) = in_path(&path) {
                assert!(path.contains(&named.spelled), "{path:?} -> {named:?}");
                assert!(lookup(named.name.canonical).is_some());
            }
        }
    }

    #[test]
    fn words_are_whole() {
        assert_eq!(canonical("products/main.tf"), None);
        assert_eq!(canonical("stagecoach/main.tf"), None);
        assert_eq!(canonical("devops/main.tf"), None);
        assert_eq!(lookup("prod").map(|e| e.canonical), Some("production"));
        assert_eq!(
            lookup("Pre_Prod").map(|e| e.canonical),
            Some("pre-production")
        );
        assert_eq!(lookup("eu-prod"), None);
        assert!(same_environment("prd", lookup("live").unwrap()));
        assert!(!same_environment("staging", lookup("preprod").unwrap()));
    }
}
