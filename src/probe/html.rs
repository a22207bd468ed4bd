//! Start tags and their attributes, pulled from an HTML page.
//!
//! Written here rather than taken from a crate because a probe needs only the attributes of
//! `<meta>` and `<script>` start tags, and the HTML parsers that do more (html5ever, lol_html) cost
//! more build time than the whole probe. It follows the tokenizer rules that matter for finding
//! tags honestly: comments, raw-text elements (`script`, `style`, `textarea`, `title`) whose
//! content is not markup, quoted and unquoted attribute values, case-insensitive names.

/// A start tag: lower-case name and attributes (names lower case, values with entities left as is).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub attributes: Vec<(String, String)>,
}

impl Tag {
    /// The value of an attribute (the first when repeated, as browsers do).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the attribute is present at all.
    pub fn has(&self, name: &str) -> bool {
        self.attributes.iter().any(|(n, _)| n == name)
    }
}

/// Every start tag of the page, in document order.
pub fn start_tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(offset) = html[i..].find('<') {
        i += offset + 1;
        if html[i..].starts_with("!--") {
            i = html[i + 3..]
                .find("-->")
                .map_or(bytes.len(), |end| i + 3 + end + 3);
            continue;
        }
        if html[i..].starts_with('!') || html[i..].starts_with('?') || html[i..].starts_with('/') {
            i = html[i..].find('>').map_or(bytes.len(), |end| i + end + 1);
            continue;
        }
        let name_len = html[i..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
            .count();
        if name_len == 0 || !bytes[i].is_ascii_alphabetic() {
            continue;
        }
        let name = html[i..i + name_len].to_ascii_lowercase();
        i += name_len;
        let (attributes, end) = attributes(html, i);
        i = end;
        let raw_text = matches!(name.as_str(), "script" | "style" | "textarea" | "title");
        tags.push(Tag {
            name: name.clone(),
            attributes,
        });
        if raw_text {
            // The element's content is text up to its end tag, whatever it looks like.
            i = find_end_tag(html, i, &name);
        }
    }
    tags
}

/// The index of `</name` (any case) at or after `from`, or the end of the page.
fn find_end_tag(html: &str, mut from: usize, name: &str) -> usize {
    while let Some(offset) = html[from..].find("</") {
        let at = from + offset;
        let candidate = html.as_bytes().get(at + 2..at + 2 + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
            return at;
        }
        from = at + 2;
    }
    html.len()
}

/// Attributes from `start` up to the end of the tag; returns them and the index after `>`.
fn attributes(html: &str, mut i: usize) -> (Vec<(String, String)>, usize) {
    let bytes = html.as_bytes();
    let mut out: Vec<(String, String)> = Vec::new();
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            return (out, i);
        }
        if bytes[i] == b'>' {
            return (out, i + 1);
        }
        let name_start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
        {
            i += 1;
        }
        let name = html[name_start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let quote = bytes[i] as char;
                let value_start = i + 1;
                let end = html[value_start..]
                    .find(quote)
                    .map_or(bytes.len(), |e| value_start + e);
                value = html[value_start..end].to_string();
                i = (end + 1).min(bytes.len());
            } else {
                let value_start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                value = html[value_start..i].to_string();
            }
        }
        if !name.is_empty() && !out.iter().any(|(n, _)| *n == name) {
            out.push((name, decode_entities(&value)));
        }
    }
}

/// The few character references that occur in attribute values that matter here (URLs, policies).
fn decode_entities(value: &str) -> String {
    if !value.contains('&') {
        return value.to_string();
    }
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tags_outside_comments_and_scripts() {
        let html = r#"<!doctype html><html><head>
<!-- <meta http-equiv="Content-Security-Policy" content="ignored"> -->
<META HTTP-EQUIV='Content-Security-Policy' CONTENT="default-src 'self'">
<script>document.write("<script src=/not-a-tag.js></script>")</script>
<script src=/app.js integrity="sha384-abc" defer></script>
<meta name=referrer content=no-referrer>
</head></html>"#;
        let tags = start_tags(html);
        let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["html", "head", "meta", "script", "script", "meta"]);
        assert_eq!(tags[2].attr("content"), Some("default-src 'self'"));
        assert_eq!(tags[4].attr("src"), Some("/app.js"));
        assert!(tags[4].has("defer"));
        assert_eq!(tags[5].attr("content"), Some("no-referrer"));
    }

    #[test]
    fn survives_truncated_markup() {
        for html in [
            "<", "<a", "<a b", "<a b=", "<a b='x", "<!--", "<script>", "<a/", "<1>",
        ] {
            let _ = start_tags(html);
        }
    }
}
