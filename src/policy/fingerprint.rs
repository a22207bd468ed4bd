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
    // Hashed in one piece, from one buffer per thread that the message is normalised straight
    // into: a large check fingerprints hundreds of thousands of results, and a string per word,
    // or one digest update per part, was a third of the time of a check with house policies
    // (measured with callgrind: about 12,000 instructions per result, then 3,500).
    thread_local! {
        static INPUT: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let digest = INPUT.with(|input| {
        let mut input = input.borrow_mut();
        input.clear();
        for part in [rule, environment.unwrap_or(""), target, folder] {
            input.extend_from_slice(part.as_bytes());
            input.push(0);
        }
        normalise_into(message, &mut input);
        ring::digest::digest(&ring::digest::SHA256, &input)
    });
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in &digest.as_ref()[..16] {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

/// The deciding fact of a message, without what moves when a file is edited: positions
/// (`main.tf:12:3`, `line 12`), case and spacing; words are appended to `out`, one space apart.
///
/// Works on bytes: every test below is on ASCII bytes (letters, digits, `-`, `:`), and a
/// character outside ASCII is bytes of 0x80 and above, none of which any test matches, so a word
/// is cut and compared as its characters would be.
fn normalise_into(message: &str, out: &mut Vec<u8>) {
    if !as_written_into(message.as_bytes(), out) {
        by_words_into(message, out);
    }
}

/// [`normalise_into`] word by word, for any message.
fn by_words_into(message: &str, out: &mut Vec<u8>) {
    if message.is_ascii() {
        // The characters `split_whitespace` splits at, as bytes: no ASCII text holds another.
        let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
        words_into(message.as_bytes().split(space), out);
    } else {
        words_into(message.split_whitespace().map(str::as_bytes), out);
    }
}

/// [`normalise_into`] of most messages, in two passes over their bytes rather than one step per
/// word (a third of a fingerprint's instructions): an ASCII message whose words stand one space
/// apart, in which no position can stand (no `:` before a digit, no word `line` or `lines`),
/// normalises to itself lowercased. Appends it and says so; leaves `out` as it was otherwise.
fn as_written_into(bytes: &[u8], out: &mut Vec<u8>) -> bool {
    let mut previous = b' ';
    for &b in bytes {
        let spacing =
            matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r') || b == b' ' && previous == b' ';
        let position = previous == b':' && b.is_ascii_digit();
        if !b.is_ascii() || spacing || position {
            return false;
        }
        previous = b;
    }
    if bytes.last() == Some(&b' ') {
        return false;
    }
    let start = out.len();
    out.extend_from_slice(bytes);
    out[start..].make_ascii_lowercase();
    // A word that starts `line` (after its punctuation) may be `line` or `lines` before a number.
    let written = &out[start..];
    let line = written
        .windows(4)
        .enumerate()
        .any(|(i, w)| w == b"line" && (i == 0 || !written[i - 1].is_ascii_alphanumeric()));
    if line {
        out.truncate(start);
    }
    !line
}

/// [`normalise_into`] of the words of a message. Each word is written lowercased where it goes,
/// then cut back to what is kept of it: no copy of the word on the side.
fn words_into<'a>(words: impl Iterator<Item = &'a [u8]>, out: &mut Vec<u8>) {
    let start = out.len();
    let mut after_line = false;
    for word in words.filter(|w| !w.is_empty()) {
        let before = out.len();
        if before > start {
            out.push(b' ');
        }
        let at = out.len();
        out.extend_from_slice(word);
        out[at..].make_ascii_lowercase();
        let lower = &out[at..];
        let bare = trim_bytes(lower, |b| !b.is_ascii_alphanumeric());
        // `line 12`, `lines 3-4`: the number is a position.
        if after_line && !bare.is_empty() && bare.iter().all(|&b| b.is_ascii_digit() || b == b'-') {
            after_line = false;
            out.truncate(before);
            continue;
        }
        after_line = bare == b"line" || bare == b"lines";
        // `path/to/file.tf:12:3` or `at 12:3`: drop the position, keep the file.
        match strip_position(lower).len() {
            0 => out.truncate(before),
            kept => out.truncate(at + kept),
        }
    }
}

/// `bytes` without the bytes at either end that `cut` matches.
fn trim_bytes(bytes: &[u8], cut: impl Fn(u8) -> bool) -> &[u8] {
    let from = bytes.iter().position(|&b| !cut(b)).unwrap_or(bytes.len());
    let to = bytes.iter().rposition(|&b| !cut(b)).map_or(from, |i| i + 1);
    &bytes[from..to]
}

#[cfg(test)]
fn normalise(message: &str) -> String {
    let mut out = Vec::new();
    normalise_into(message, &mut out);
    String::from_utf8(out).expect("whole words of a str")
}

/// `file.tf:12:3` → `file.tf`; `12:3` → ``; anything else unchanged.
fn strip_position(word: &[u8]) -> &[u8] {
    let mut end = word.len();
    while end > 0 && matches!(word[end - 1], b',' | b')' | b';' | b'.') {
        end -= 1;
    }
    let trimmed = &word[..end];
    let mut kept = trimmed;
    let mut dropped = false;
    while let Some(colon) = kept.iter().rposition(|&b| b == b':') {
        let last = &kept[colon + 1..];
        if last.is_empty() || !last.iter().all(u8::is_ascii_digit) {
            break;
        }
        kept = &kept[..colon];
        dropped = true;
    }
    if !kept.contains(&b':') && kept.iter().all(u8::is_ascii_digit) && trimmed.contains(&b':') {
        return b"";
    }
    if dropped { kept } else { word }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;

    fn by_words(message: &str) -> Vec<u8> {
        let mut out = Vec::new();
        by_words_into(message, &mut out);
        out
    }

    #[test]
    fn messages_taken_as_written_normalise_as_word_by_word() {
        // Messages of the pieces that decide a normalisation (spacing, case, colons before
        // digits, `line`, punctuation, characters outside ASCII), drawn at random.
        let pieces = [
            " ",
            "  ",
            "\t",
            "\n",
            "a",
            "B",
            "Line",
            "line",
            "lines",
            "pipeline",
            "baseline",
            "12",
            "3",
            ":",
            ":4",
            "main.tf:12:3",
            "12:3",
            "-",
            ".",
            ",",
            ")",
            ";",
            "`x`",
            "é",
            "\u{a0}",
            "`storage_encrypted`",
            "=",
            "\"\"",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut fast = 0;
        for _ in 0..100_000 {
            let length = next() % 9;
            let message: String = (0..length)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            let mut out = b"prefix".to_vec();
            normalise_into(&message, &mut out);
            assert_eq!(&out[6..], by_words(&message), "{message:?}");
            fast += usize::from(as_written_into(message.as_bytes(), &mut Vec::new()));
        }
        // Both ways were taken many times.
        assert!((10_000..90_000).contains(&fast), "{fast}");
    }

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

    /// The fingerprint as the first release computed it, word by word on characters and one
    /// digest update per part: baselines written then must keep matching.
    fn as_first_released(
        rule: &str,
        environment: Option<&str>,
        target: &str,
        folder: &str,
        message: &str,
    ) -> String {
        let mut words: Vec<String> = Vec::new();
        let mut after_line = false;
        for word in message.split_whitespace() {
            let lower: String = word.chars().map(|c| c.to_ascii_lowercase()).collect();
            let bare = lower.trim_matches(|c: char| !c.is_ascii_alphanumeric());
            if after_line
                && bare.chars().all(|c| c.is_ascii_digit() || c == '-')
                && !bare.is_empty()
            {
                after_line = false;
                continue;
            }
            after_line = bare == "line" || bare == "lines";
            let trimmed = lower.trim_end_matches([',', ')', ';', '.']);
            let mut kept = trimmed;
            let mut dropped = false;
            while let Some((head, last)) = kept.rsplit_once(':') {
                if last.is_empty() || !last.bytes().all(|b| b.is_ascii_digit()) {
                    break;
                }
                kept = head;
                dropped = true;
            }
            let word = if !kept.contains(':')
                && kept.bytes().all(|b| b.is_ascii_digit())
                && trimmed.contains(':')
            {
                ""
            } else if dropped {
                kept
            } else {
                lower.as_str()
            };
            if !word.is_empty() {
                words.push(word.to_string());
            }
        }
        let mut hash = ring::digest::Context::new(&ring::digest::SHA256);
        let message = words.join(" ");
        for (n, part) in [rule, environment.unwrap_or(""), target, folder, &message]
            .into_iter()
            .enumerate()
        {
            if n > 0 {
                hash.update(b"\0");
            }
            hash.update(part.as_bytes());
        }
        hash.finish().as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn fingerprints_are_those_of_the_first_release() {
        // Pinned: a baseline written by any release matches in the next.
        assert_eq!(
            fingerprint(
                "security.encryption-at-rest",
                Some("production"),
                "aws_db_instance.main",
                Some(&at("terraform/prod/main.tf", 10)),
                "`storage_encrypted` does not turn on encryption at rest",
            ),
            as_first_released(
                "security.encryption-at-rest",
                Some("production"),
                "aws_db_instance.main",
                "terraform/prod",
                "`storage_encrypted` does not turn on encryption at rest",
            )
        );
        let messages = [
            "",
            "   ",
            "logs kept 30 days",
            "the file does not parse at main.tf:12:3 (line 12, column 3)",
            "lines 3-4 and LINE 7: at 12:3, then 40:1. or x:1:2; y:z:3)",
            "Ünïcode wörds — «quoted», naïve café: 日本語 line ４２ a:١٢",
            "tabs\tand\nnewlines\x0bvertical\x0cfeed\u{a0}nbsp\u{2003}em\u{3000}ideographic",
            "(line) 12 lines - -- 3- line\u{85}5",
            "file\u{1c}sep\u{1f}unit   line\r\n12 ok",
            "trailing: punctuation,;). ::: :1 1: a::2",
            "`/aws/lambda/records-7` keeps logs 14 days (under 30)",
        ];
        for message in messages {
            for (env, target, location) in [
                (None, "deployment", None),
                (
                    Some("production"),
                    "aws_s3_bucket.b[\"x\"]",
                    Some(at("infra/live/prod/s3.tf", 3)),
                ),
                (Some("staging"), "main.tf", Some(at("main.tf", 1))),
            ] {
                let folder = location
                    .as_ref()
                    .and_then(|l| l.path.rsplit_once('/').map(|(f, _)| f.to_string()))
                    .unwrap_or_default();
                assert_eq!(
                    fingerprint("a.rule", env, target, location.as_ref(), message),
                    as_first_released("a.rule", env, target, &folder, message),
                    "{message:?}"
                );
            }
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
