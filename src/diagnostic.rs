//! Errors about the user's input, with the file position and what was expected.
//!
//! Every reader reports bad input as [`Diagnostic`]s; only the CLI renders them.

use crate::model::Location;

/// One problem in an input file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Where the problem is; `None` when it concerns a whole file that has no position.
    pub location: Option<Location>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What liftoff expected there.
    pub expected: Option<String>,
    /// A hint, such as the nearest known key.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A problem at a position.
    pub fn at(location: Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            location: Some(location),
            message: message.into(),
            expected: None,
            help: None,
        }
    }

    /// A problem with a file as a whole.
    pub fn in_file(path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(
            Location {
                path: path.into(),
                line: 1,
                column: 1,
            },
            message,
        )
    }

    /// Adds what was expected.
    pub fn expected(mut self, expected: impl Into<String>) -> Diagnostic {
        self.expected = Some(expected.into());
        self
    }

    /// Adds a hint.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(expected) = &self.expected {
            write!(f, " (expected {expected})")?;
        }
        if let Some(help) = &self.help {
            write!(f, "; {help}")?;
        }
        Ok(())
    }
}

/// An input could not be assessed. Maps to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// One or more problems in the input files.
    #[error("{} problem{} in the input", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Invalid(Vec<Diagnostic>),
    /// A file could not be read at all.
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl InputError {
    /// A single problem.
    pub fn one(diagnostic: Diagnostic) -> InputError {
        InputError::Invalid(vec![diagnostic])
    }
}

/// Suggests the candidate nearest to `found`, when one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    found: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let found_lower = found.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&found_lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_near_misses_only() {
        assert_eq!(
            did_you_mean("enviroments", ["environments", "service"]),
            Some("environments")
        );
        assert_eq!(
            did_you_mean("servise", ["environments", "service"]),
            Some("service")
        );
        assert_eq!(did_you_mean("zzz", ["environments", "service"]), None);
    }
}
