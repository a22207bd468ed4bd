//! Inline waivers written in Terraform comments (`# liftoff:ignore <rule> -- <reason>`).

use super::*;

/// Waivers written in comments: `# liftoff:ignore <rule> -- <reason>` and `#checkov:skip=<ID>:<reason>`.
pub(super) fn inline_waivers(
    lines: &Lines<'_>,
    span: Option<std::ops::Range<usize>>,
    problems: &mut Vec<Diagnostic>,
) -> Vec<(String, String, Location, bool)> {
    let Some(span) = span else { return Vec::new() };
    let first = lines.at(span.start).line as usize;
    let last = lines.at(span.end.saturating_sub(1)).line as usize;
    // The comment lines right above the block, then the lines of the block itself.
    let mut above = first.saturating_sub(1);
    while above > 0
        && lines
            .line(above)
            .is_some_and(|l| l.trim_start().starts_with('#') || l.trim_start().starts_with("//"))
    {
        above -= 1;
    }
    let mut out = Vec::new();
    for number in (above + 1)..=last {
        let Some(line) = lines.line(number) else {
            break;
        };
        let Some(at) = line.find('#').or_else(|| line.find("//")) else {
            continue;
        };
        let comment = line[at..].trim_start_matches(['#', '/']).trim();
        let location = Location::new(lines.path, number as u32, at as u32 + 1);
        if let Some(rest) = comment.strip_prefix("liftoff:ignore") {
            match rest.split_once("--") {
                Some((rule, reason)) if !rule.trim().is_empty() && !reason.trim().is_empty() => {
                    out.push((
                        rule.trim().to_string(),
                        reason.trim().to_string(),
                        location,
                        false,
                    ));
                }
                _ => problems.push(
                    Diagnostic::at(location, "an inline waiver needs a rule id and a reason")
                        .expected("# liftoff:ignore <rule-id> -- <reason>"),
                ),
            }
        } else if let Some(rest) = comment.strip_prefix("checkov:skip=") {
            let (id, reason) = rest
                .split_once(':')
                .unwrap_or((rest, "skipped for checkov"));
            let id = id.trim();
            let reason = format!("{} (checkov {id})", reason.trim());
            match CHECKOV_IDS.iter().find(|(ckv, _)| *ckv == id) {
                Some((_, rule)) => out.push((rule.to_string(), reason, location, false)),
                // A house policy may carry the id (a team's own checkov policy, kept unchanged).
                None if !id.is_empty() => out.push((id.to_string(), reason, location, true)),
                None => {}
            }
        }
    }
    out
}

/// Maps byte offsets of one file to lines and columns.
pub(super) struct Lines<'a> {
    /// Shared by every location in the file.
    pub(super) path: crate::model::FilePath,
    pub(super) starts: &'a [u32],
    pub(super) text: &'a str,
}

impl<'a> Lines<'a> {
    /// The lines of a parsed file, from the line starts found while it was parsed: its text is
    /// in the cache then, and on a root of 200,000 resources it is not by the time the
    /// resources are read (scanning it again was a cache miss per 64 bytes of configuration).
    pub(super) fn of_parsed(parsed: &'a super::syntax::Parsed) -> Lines<'a> {
        Lines {
            path: parsed.rel.as_str().into(),
            starts: &parsed.starts,
            text: &parsed.text,
        }
    }

    pub(super) fn at(&self, offset: usize) -> Location {
        let line = self
            .starts
            .partition_point(|s| *s as usize <= offset)
            .max(1);
        let start = self.starts[line - 1] as usize;
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        Location::new(self.path, line as u32, column as u32)
    }

    /// Line `number` (1-based) without its line ending.
    pub(super) fn line(&self, number: usize) -> Option<&'a str> {
        let start = *self.starts.get(number.checked_sub(1)?)? as usize;
        let end = self
            .starts
            .get(number)
            .map_or(self.text.len(), |next| *next as usize - 1);
        self.text.get(start..end).map(|l| l.trim_end_matches('\r'))
    }

    pub(super) fn of(&self, span: Option<Range<usize>>) -> Location {
        self.at(span.map_or(0, |s| s.start))
    }

    /// The source text of `span` (empty when unknown).
    pub(super) fn text(&self, span: &Option<Range<usize>>) -> &'a str {
        span.as_ref()
            .and_then(|s| self.text.get(s.clone()))
            .unwrap_or("")
    }
}
