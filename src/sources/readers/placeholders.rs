//! Template placeholders: values a template repository leaves for its users to fill in
//! (`application_name = your application name`, `<ACCOUNT_ID>`, `{{ service }}`), which no
//! parser accepts. Naming them tells the reader what to do, where a parse error would not.

use crate::model::Location;
use std::path::Path;

/// What the line at `at` looks like when it holds a placeholder.
pub(super) fn hint(dir: &Path, at: &Location) -> Option<String> {
    // In a Helm chart, `{{ }}` is the template language liftoff renders, not a placeholder.
    if crate::sources::helm::role(dir, &at.path) != crate::sources::helm::Role::Outside {
        return None;
    }
    let text = crate::sources::read_text(&dir.join(&*at.path), &at.path).ok()?;
    let line = text.lines().nth((at.line as usize).checked_sub(1)?)?;
    placeholder_in(line)
        .map(|p| format!("this looks like a template placeholder (`{p}`) that was never filled in"))
}

/// The placeholder in one line, if it has one.
fn placeholder_in(line: &str) -> Option<String> {
    let value = line
        .split_once('=')
        .or_else(|| line.split_once(':'))
        .map(|(_, v)| v.trim())
        .unwrap_or(line.trim());
    // A trailing comment is not part of the value.
    let value = value
        .split(" #")
        .next()
        .unwrap_or(value)
        .split(" //")
        .next()
        .unwrap_or(value);
    let value = value.trim_end_matches(',').trim();
    if value.is_empty() {
        return None;
    }
    if let (Some(start), Some(end)) = (value.find("{{"), value.find("}}")) {
        if start < end {
            return Some(value[start..end + 2].to_string());
        }
    }
    if let (Some(start), Some(end)) = (value.find('<'), value.rfind('>')) {
        let inner = &value[start + 1..end];
        if start < end
            && !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ' | '.'))
        {
            return Some(value[start..=end].to_string());
        }
    }
    let lower = value.to_ascii_lowercase();
    let unquoted = !value.starts_with('"') && !value.starts_with('\'');
    let marker = [
        "your ",
        "your-",
        "your_",
        "replace",
        "change_me",
        "changeme",
        "todo",
        "fill in",
        "xxx",
    ]
    .iter()
    .any(|m| lower.starts_with(m) || lower.contains(&format!(" {m}")));
    if marker
        || (unquoted
            && value.split_whitespace().count() > 1
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-' || c == '_'))
    {
        return Some(value.trim_matches('"').to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::placeholder_in;

    #[test]
    fn placeholders_are_named() {
        assert_eq!(
            placeholder_in("  application_name = your application name").as_deref(),
            Some("your application name")
        );
        assert_eq!(
            placeholder_in("account_id = <ACCOUNT_ID>").as_deref(),
            Some("<ACCOUNT_ID>")
        );
        assert_eq!(
            placeholder_in("  name = {{ service_name }}").as_deref(),
            Some("{{ service_name }}")
        );
        assert_eq!(
            placeholder_in("  name = your application name # The name to use").as_deref(),
            Some("your application name")
        );
        assert_eq!(placeholder_in("  count = 3 +").as_deref(), None);
        assert_eq!(
            placeholder_in("resource \"aws_s3_bucket\" {").as_deref(),
            None
        );
        assert_eq!(placeholder_in("  tags = var.tags ==").as_deref(), None);
    }
}
