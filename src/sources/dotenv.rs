//! `.env` files, read the way docker compose reads them.
//!
//! Hand-written: no maintained crate keeps line numbers (dotenvy has none and no release since
//! 2023). Semantics follow compose's .env format: `#` comments, an optional `export`, unquoted
//! values (an inline comment needs a space before `#`), single-quoted values taken literally,
//! double-quoted values with `\n`, `\t`, `\"`, `\\` and `\$` escapes that may span lines, and
//! `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$VAR` expansion from earlier lines (not in
//! single quotes). Values of secret-looking names never leave this module: they become
//! [`SettingValue::Secret`].

use crate::diagnostic::{Diagnostic, InputError};
use crate::model::{Location, Origin, Setting, SettingValue};
use std::collections::HashMap;

/// The largest value a setting may expand to (a certificate or a JSON document fits easily).
pub const MAX_VALUE_BYTES: usize = 256 * 1024;

/// Reads `.env` text into settings for the model. `path` names the file in locations and errors.
pub fn parse(path: &str, text: &str) -> Result<Vec<Setting>, InputError> {
    Ok(entries(path, text)?
        .into_iter()
        .map(|e| Setting {
            value: classify(&e.name, &e.value, &e.literal),
            name: e.name,
            origin: Origin::Artefact(e.location),
        })
        .collect())
}

/// The raw values of a `.env` file, for interpolating other files (compose reads the `.env` beside
/// it). The caller must not store them: secrets are among them.
pub fn raw_values(path: &str, text: &str) -> Result<Vec<(String, String)>, InputError> {
    Ok(entries(path, text)?
        .into_iter()
        .map(|e| (e.name, e.value))
        .collect())
}

/// One line (or multi-line value) of a `.env` file, before classification.
struct Entry {
    name: String,
    value: String,
    /// The value without unresolved references.
    literal: String,
    location: Location,
}

fn entries(path: &str, text: &str) -> Result<Vec<Entry>, InputError> {
    let mut settings: Vec<Entry> = Vec::new();
    let mut known: HashMap<String, String> = HashMap::new();
    let mut problems = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut index = 0;
    while index < lines.len() {
        let line_no = index as u32 + 1;
        let raw = lines[index].strip_suffix('\r').unwrap_or(lines[index]);
        index += 1;
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = (raw.len() - trimmed.len()) as u32;
        let body = trimmed
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(trimmed);
        let name_col = indent + (trimmed.len() - body.len()) as u32 + 1;
        let at = |column: u32| Location::new(path, line_no, column);
        let Some(eq) = body.find('=') else {
            problems.push(
                Diagnostic::at(
                    at(name_col),
                    format!("`{}` is not a setting", shorten(body)),
                )
                .expected("NAME=value"),
            );
            continue;
        };
        let name = body[..eq].trim_end();
        if !is_name(name) {
            problems.push(
                Diagnostic::at(
                    at(name_col),
                    format!("`{}` is not a valid variable name", shorten(name)),
                )
                .expected("letters, digits and underscores, not starting with a digit"),
            );
            continue;
        }
        let value_text = body[eq + 1..].trim_start();
        let value_col = name_col + (body.len() - value_text.len()) as u32;
        let value = match value_text.chars().next() {
            Some('\'') => match value_text[1..].find('\'') {
                Some(end) => {
                    let text = value_text[1..1 + end].to_string();
                    (text.clone(), text)
                }
                None => {
                    problems.push(
                        Diagnostic::at(at(value_col), "this single-quoted value is never closed")
                            .expected("a closing '"),
                    );
                    continue;
                }
            },
            Some('"') => {
                // Double-quoted values may continue on the following lines until the closing quote.
                let mut collected = value_text[1..].to_string();
                let closed = loop {
                    if let Some(end) = closing_quote(&collected) {
                        collected.truncate(end);
                        break true;
                    }
                    if index >= lines.len() {
                        break false;
                    }
                    collected.push('\n');
                    collected.push_str(lines[index].strip_suffix('\r').unwrap_or(lines[index]));
                    index += 1;
                };
                if !closed {
                    problems.push(
                        Diagnostic::at(at(value_col), "this double-quoted value is never closed")
                            .expected("a closing \""),
                    );
                    continue;
                }
                expand(&unescape(&collected), &known)
            }
            _ => {
                let without_comment = match value_text.find(" #").or_else(|| value_text.find("\t#"))
                {
                    Some(at) => &value_text[..at],
                    None => value_text,
                };
                expand(without_comment.trim_end(), &known)
            }
        };
        let (value, literal) = value;
        // Interpolation can double a value per line (`B=${A}${A}`): a value that outgrows any
        // real setting stops here instead of filling memory.
        if value.len() > MAX_VALUE_BYTES {
            problems.push(
                Diagnostic::at(
                    at(value_col),
                    format!("`{name}` expands past the {MAX_VALUE_BYTES}-byte limit for a setting"),
                )
                .expected("a setting of a reasonable size"),
            );
            break;
        }
        known.insert(name.to_string(), value.clone());
        settings.push(Entry {
            name: name.to_string(),
            value,
            literal,
            location: at(name_col),
        });
    }
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(InputError::Invalid(problems))
    }
}

/// How a value is kept in the model: secrets are never stored. `literal` is the value with every
/// unresolved reference removed: what is written in the file itself.
pub fn classify(name: &str, value: &str, literal: &str) -> SettingValue {
    use crate::secrets::{Verdict, judge, url_with_password};
    // A secret-named value that still has a real literal part is a committed secret even if it
    // contains a `$` by accident (`SECRET_KEY=abc$def...`). What counts as a secret is one
    // judgement for every reader (`secrets::judge`).
    // Judged on the whole value: a stray `$` cuts the literal short, an unresolved `${X}` makes
    // it a reference.
    let verdict = judge(name, value);
    let literal_secret = verdict == Verdict::Secret && literal.trim().chars().count() >= 8;
    if value.is_empty() {
        SettingValue::Empty
    } else if literal != value && !literal_secret && !url_with_password(literal) {
        SettingValue::Reference
    } else if (verdict == Verdict::Secret && (literal == value || literal_secret))
        || url_with_password(literal)
    {
        SettingValue::Secret
    } else {
        SettingValue::Literal(value.to_string())
    }
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

fn shorten(text: &str) -> String {
    crate::sources::yaml::shorten(text)
}

/// The byte offset of the first unescaped `"`.
fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            // `\$` stays escaped so expansion leaves it alone; `expand` removes the backslash.
            Some('$') => out.push_str("\\$"),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Expands `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$VAR` from earlier settings. An
/// unknown variable stays a reference (`${VAR}`), as liftoff cannot know the real environment.
/// Returns the expanded value and the same without its unresolved references. Expansion stops
/// once the value passes [`MAX_VALUE_BYTES`] (the caller sees a value over the limit), so a
/// line of many references to a large value costs no more than the limit.
pub fn expand(text: &str, known: &HashMap<String, String>) -> (String, String) {
    let mut literal = String::with_capacity(text.len());
    let mut out = String::with_capacity(text.len());
    // `out[literal_mark..]` is what has been expanded since the last unresolved reference.
    let mut literal_mark = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() && out.len() <= MAX_VALUE_BYTES {
        let rest = &text[i..];
        if let Some(after) = rest.strip_prefix("\\$") {
            out.push('$');
            i = text.len() - after.len();
        } else if let Some(inner) = rest.strip_prefix("${") {
            match inner.find('}') {
                Some(end) => {
                    let expr = &inner[..end];
                    let (name, default, colon) = match expr.find(":-") {
                        Some(p) => (&expr[..p], Some(&expr[p + 2..]), true),
                        None => match expr.find('-') {
                            Some(p) => (&expr[..p], Some(&expr[p + 1..]), false),
                            None => (expr, None, false),
                        },
                    };
                    match (known.get(name), default) {
                        (Some(v), Some(d)) if colon && v.is_empty() => out.push_str(d),
                        (Some(v), _) => out.push_str(v),
                        (None, Some(d)) => out.push_str(d),
                        (None, None) => {
                            literal.push_str(&out[literal_mark..]);
                            out.push_str("${");
                            out.push_str(expr);
                            out.push('}');
                            literal_mark = out.len();
                        }
                    }
                    i += 2 + end + 1;
                }
                None => {
                    out.push_str(rest);
                    break;
                }
            }
        } else if bytes[i] == b'$'
            && rest.len() > 1
            && (rest.as_bytes()[1].is_ascii_alphabetic() || rest.as_bytes()[1] == b'_')
        {
            let name_len = rest[1..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len() - 1);
            let name = &rest[1..1 + name_len];
            match known.get(name) {
                Some(v) => out.push_str(v),
                None => {
                    literal.push_str(&out[literal_mark..]);
                    out.push_str(&rest[..1 + name_len]);
                    literal_mark = out.len();
                }
            }
            i += 1 + name_len;
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8();
        }
    }
    literal.push_str(&out[literal_mark..]);
    (out, literal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, SettingValue, u32)> {
        parse(".env", text)
            .unwrap()
            .into_iter()
            .map(|s| (s.name, s.value, s.origin.location().map_or(0, |l| l.line)))
            .collect()
    }

    #[test]
    fn a_messy_real_world_file() {
        let text = "# Production settings\n\
                    export DJANGO_SETTINGS_MODULE=bibxml.settings.production\n\
                    DEBUG=0   # never 1 here\n\
                    SITE_URL=https://bib.example.org/#top\n\
                    GREETING='Hello, ${NAME} # not a comment'\n\
                    MOTD=\"line one\\nline \\\"two\\\"\"\n\
                    CERT=\"-----BEGIN-----\nabc\n-----END-----\"\n\
                    \n\
                    DB_HOST=db.internal\n\
                    DATABASE_URL=postgres://app@${DB_HOST}:5432/bib\n\
                    FALLBACK=${MISSING:-default-value}\n\
                    UNRESOLVED=${NOT_SET}\n\
                    SECRET_KEY=s3cr3t-value-that-must-not-leak\n\
                    SENTRY_DSN=\n\
                    PRICE=\\$5\r\n";
        let v = values(text);
        let get = |n: &str| v.iter().find(|(name, ..)| name == n).unwrap().clone();
        assert_eq!(
            get("DJANGO_SETTINGS_MODULE").1,
            SettingValue::Literal("bibxml.settings.production".into())
        );
        assert_eq!(get("DEBUG").1, SettingValue::Literal("0".into()));
        assert_eq!(
            get("SITE_URL").1,
            SettingValue::Literal("https://bib.example.org/#top".into())
        );
        assert_eq!(
            get("GREETING").1,
            SettingValue::Literal("Hello, ${NAME} # not a comment".into())
        );
        assert_eq!(
            get("MOTD").1,
            SettingValue::Literal("line one\nline \"two\"".into())
        );
        assert_eq!(
            get("CERT").1,
            SettingValue::Literal("-----BEGIN-----\nabc\n-----END-----".into())
        );
        assert_eq!(
            get("DB_HOST").2,
            11,
            "lines are counted after a multi-line value"
        );
        assert_eq!(
            get("DATABASE_URL").1,
            SettingValue::Literal("postgres://app@db.internal:5432/bib".into())
        );
        assert_eq!(
            get("FALLBACK").1,
            SettingValue::Literal("default-value".into())
        );
        assert_eq!(get("UNRESOLVED").1, SettingValue::Reference);
        assert_eq!(get("SECRET_KEY").1, SettingValue::Secret);
        assert_eq!(get("SENTRY_DSN").1, SettingValue::Empty);
        assert_eq!(get("PRICE").1, SettingValue::Literal("$5".into()));
        assert_eq!(
            classify(
                "DATABASE_URL",
                "postgres://app:pw@db/x",
                "postgres://app:pw@db/x"
            ),
            SettingValue::Secret
        );
        assert_eq!(
            classify("DATABASE_URL", "postgres://app@db/x", "postgres://app@db/x"),
            SettingValue::Literal("postgres://app@db/x".into())
        );
        assert_eq!(
            classify(
                "DATABASE_URL",
                "postgres://app:${PW}@db/x",
                "postgres://app:@db/x"
            ),
            SettingValue::Reference
        );
        assert_eq!(
            classify("SECRET_KEY", "abcdefgh$xyz", "abcdefgh"),
            SettingValue::Secret,
            "a stray $ does not hide a secret"
        );
        assert_eq!(
            classify("SECRET_KEY", "${SECRET_KEY}", ""),
            SettingValue::Reference
        );
        assert!(
            !format!("{v:?}").contains("s3cr3t"),
            "a secret value left the reader"
        );
    }

    #[test]
    fn broken_files_name_line_and_column() {
        let err = parse(
            ".env.production",
            "OK=1\nthis line has no equals\n1BAD=x\nQ=\"never closed\nNEXT=1\n",
        )
        .unwrap_err();
        let InputError::Invalid(d) = err else {
            panic!()
        };
        let at: Vec<(u32, u32)> = d
            .iter()
            .map(|d| {
                (
                    d.location.as_ref().unwrap().line,
                    d.location.as_ref().unwrap().column,
                )
            })
            .collect();
        assert_eq!(at, vec![(2, 1), (3, 1), (4, 3)]);
        assert!(d[2].message.contains("never closed"));
        assert!(matches!(
            parse(".env", "A='x\n"),
            Err(InputError::Invalid(_))
        ));
    }
}
