//! Renders input errors the way compilers do: message, position, the source line, a caret.
//!
//! Written here instead of using miette: the snippet is a few lines, and liftoff's diagnostics
//! already carry everything (file, line, column, expected, help) that needs showing.

use liftoff::diagnostic::{Diagnostic, InputError};
use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

/// The text of an input error, for standard error.
pub fn render(error: &InputError, base: &Path) -> String {
    let mut out = String::new();
    match error {
        InputError::Io { path, source } => {
            let _ = writeln!(out, "error: cannot read {path}: {source}");
        }
        InputError::Invalid(diagnostics) => {
            let mut files: HashMap<String, Option<String>> = HashMap::new();
            for d in diagnostics {
                render_one(&mut out, d, base, &mut files);
            }
            if diagnostics.len() > 1 {
                let _ = writeln!(
                    out,
                    "error: {} problems; nothing was assessed",
                    diagnostics.len()
                );
            }
        }
    }
    out
}

fn render_one(
    out: &mut String,
    d: &Diagnostic,
    base: &Path,
    files: &mut HashMap<String, Option<String>>,
) {
    // Messages quote the files they are about, and those may hold escape sequences.
    let _ = writeln!(out, "error: {}", liftoff::escape::controls(&d.message));
    if let Some(l) = &d.location {
        let _ = writeln!(out, "  --> {l}");
        let text = files
            .entry(l.path.to_string())
            // Through the bounded reader: the file an error names may be a device or a pipe
            // (`profile: /dev/zero`), which must not be read to show a line of it.
            .or_insert_with(|| liftoff::sources::read_text(&base.join(&*l.path), &l.path).ok());
        if let Some(line) = text
            .as_deref()
            .and_then(|t| t.lines().nth(l.line.saturating_sub(1) as usize))
        {
            let number = l.line.to_string();
            let pad = " ".repeat(number.len());
            // Tabs are kept (the caret lines up under them); other control characters are
            // shown escaped, and the caret counts their escapes.
            let visible = |text: &str| -> String {
                text.split('\t')
                    .map(|part| liftoff::escape::controls(part).into_owned())
                    .collect::<Vec<_>>()
                    .join("\t")
            };
            let raw: String = line.chars().take(160).collect();
            let shown = visible(&raw);
            let before: String = raw
                .chars()
                .take(l.column.saturating_sub(1) as usize)
                .collect();
            let caret_at = visible(&before)
                .chars()
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect::<String>();
            let _ = writeln!(out, "{pad} |\n{number} | {shown}\n{pad} | {caret_at}^");
        }
    }
    if let Some(expected) = &d.expected {
        let _ = writeln!(out, "  = expected {}", liftoff::escape::controls(expected));
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "  = help: {}", liftoff::escape::controls(help));
    }
    out.push('\n');
}
