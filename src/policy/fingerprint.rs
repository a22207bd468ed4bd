//! A finding's identity across runs, and what a baseline says of it. `assess` gives every result
//! its fingerprint; [`super::baseline`] records fingerprints and compares with them.
//!
//! A finding is recognised by its fingerprint: the rule, the environment, the logical target (a
//! Terraform address with the folder of the root or module it is declared in, a component, a
//! URL) and the fact that decided it (the message, without positions). Line numbers and file
//! names inside a folder never enter it, so a finding survives line shifts, reformatting and
//! moving a resource to another file; the same address in two roots gives two fingerprints.

use serde::{Deserialize, Serialize};

/// Whether a failing result was already in the baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline: it gates as usual.
    New,
    /// In the baseline: reported, but it does not block.
    Baselined,
}

/// One recorded finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub target: String,
    pub message: String,
}

/// What comparing with a baseline found, for the reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BaselineSummary {
    /// Where the baseline came from (a file, or `git:<revision>`).
    pub source: String,
    /// Failing results not in the baseline.
    pub new: usize,
    /// Failing results in the baseline (they do not block).
    pub baselined: usize,
    /// Baseline findings that no longer fail: the baseline can shrink.
    pub gone: Vec<BaselineEntry>,
}

/// The fingerprint of a result (see the module documentation): 32 hex digits of a SHA-256.
pub fn fingerprint(
    rule: &str,
    environment: Option<&str>,
    target: &str,
    location: Option<&crate::model::Location>,
    message: &str,
) -> String {
    // A target that is a file (an unparsable input) is its own folder; a Terraform address is
    // qualified by the folder it is declared in, so two roots with one address differ and a
    // move to another file of the folder changes nothing.
    let folder = location
        .map(|l| l.path.rsplit_once('/').map_or("", |(folder, _)| folder))
        .unwrap_or("");
    // Hashed piece by piece, and the message normalised into one buffer: a large check
    // fingerprints hundreds of thousands of results, and a string per word (or a copy of the whole
    // text) was a third of the time of a check with house policies.
    let mut message_words = String::with_capacity(message.len());
    normalise_into(message, &mut message_words);
    let mut hash = ring::digest::Context::new(&ring::digest::SHA256);
    for (n, part) in [
        rule,
        environment.unwrap_or(""),
        target,
        folder,
        message_words.as_str(),
    ]
    .into_iter()
    .enumerate()
    {
        if n > 0 {
            hash.update(b"\0");
        }
        hash.update(part.as_bytes());
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = hash.finish();
    let mut out = String::with_capacity(32);
    for b in &digest.as_ref()[..16] {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

/// The deciding fact of a message, without what moves when a file is edited: positions
/// (`main.tf:12:3`, `line 12`), case and spacing; words are appended to `out`, one space apart.
fn normalise_into(message: &str, out: &mut String) {
    let mut lower = String::new();
    let mut after_line = false;
    for word in message.split_whitespace() {
        lower.clear();
        lower.extend(word.chars().map(|c| c.to_ascii_lowercase()));
        let bare = lower.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        // `line 12`, `lines 3-4`: the number is a position.
        if after_line && bare.chars().all(|c| c.is_ascii_digit() || c == '-') && !bare.is_empty() {
            after_line = false;
            continue;
        }
        after_line = bare == "line" || bare == "lines";
        // `path/to/file.tf:12:3` or `at 12:3`: drop the position, keep the file.
        let without_position = strip_position(&lower);
        if !without_position.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(without_position);
        }
    }
}

#[cfg(test)]
fn normalise(message: &str) -> String {
    let mut out = String::new();
    normalise_into(message, &mut out);
    out
}

/// `file.tf:12:3` → `file.tf`; `12:3` → ``; anything else unchanged.
fn strip_position(word: &str) -> &str {
    let trimmed = word.trim_end_matches([',', ')', ';', '.']);
    let mut kept = trimmed;
    let mut dropped = false;
    while let Some((head, last)) = kept.rsplit_once(':') {
        if last.is_empty() || !last.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        kept = head;
        dropped = true;
    }
    if !kept.contains(':') && kept.bytes().all(|b| b.is_ascii_digit()) && trimmed.contains(':') {
        return "";
    }
    if dropped { kept } else { word }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;

    fn at(path: &str, line: u32) -> Location {
        Location::new(path, line, 3)
    }

    #[test]
    fn positions_and_files_of_a_folder_do_not_change_a_fingerprint() {
        let a = fingerprint(
            "security.encryption-at-rest",
            Some("production"),
            "aws_db_instance.main",
            Some(&at("terraform/prod/main.tf", 10)),
            "`storage_encrypted` does not turn on encryption at rest",
        );
        // Moved down the file, then into another file of the same root.
        let moved = fingerprint(
            "security.encryption-at-rest",
            Some("production"),
            "aws_db_instance.main",
            Some(&at("terraform/prod/db.tf", 42)),
            "`storage_encrypted`  does not turn on encryption at rest",
        );
        assert_eq!(a, moved);
        assert_eq!(a.len(), 32);
        // The same address in another root is another finding.
        let other_root = fingerprint(
            "security.encryption-at-rest",
            Some("production"),
            "aws_db_instance.main",
            Some(&at("terraform/reporting/main.tf", 10)),
            "`storage_encrypted` does not turn on encryption at rest",
        );
        assert_ne!(a, other_root);
        // Another environment, another rule, another fact: other findings.
        for (rule, env, message) in [
            (
                "security.encryption-at-rest",
                Some("staging"),
                "`storage_encrypted` does not turn on encryption at rest",
            ),
            (
                "reliability.pitr",
                Some("production"),
                "`storage_encrypted` does not turn on encryption at rest",
            ),
            (
                "security.encryption-at-rest",
                Some("production"),
                "encrypted at rest",
            ),
        ] {
            assert_ne!(
                a,
                fingerprint(
                    rule,
                    env,
                    "aws_db_instance.main",
                    Some(&at("terraform/prod/main.tf", 10)),
                    message
                )
            );
        }
    }

    #[test]
    fn messages_lose_their_positions() {
        assert_eq!(
            normalise("the file does not parse at main.tf:12:3 (line 12, column 3)"),
            normalise("The file does not parse at main.tf:40:1 (line 40, column 3)")
        );
        assert_eq!(normalise("logs kept 30 days"), "logs kept 30 days");
        assert_ne!(
            normalise("logs kept 30 days"),
            normalise("logs kept 10 days")
        );
    }
}
