//! Text that comes from outside (a heartbeat message, a value in a scanned file, a URL) made safe
//! to print: a newline could forge a log line and an escape sequence could rewrite the terminal,
//! so control characters are shown as `\n`, `\t`, `\r` or `\u{1b}` instead.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character written as an escape.
pub fn controls(text: &str) -> Cow<'_, str> {
    // Control characters are U+0000-U+001F, U+007F and U+0080-U+009F (in UTF-8, 0xC2 then
    // 0x80-0x9F): a byte scan finds none in nearly every text, far faster than decoding chars
    // (every message of every result passes here). A 0xC2 that leads another character only
    // takes the careful path below.
    if !text.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) {
        return Cow::Borrowed(text);
    }
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::controls;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert!(matches!(
            controls("plain text"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            controls("ok\nFAIL forged\x1b[2Jline\u{85}\u{7f}"),
            "ok\\nFAIL forged\\u{1b}[2Jline\\u{85}\\u{7f}"
        );
        // A character led by the byte 0xC2 that is no control stays as it is.
        assert!(matches!(controls("£5 ©"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(controls("a\u{9f}b"), "a\\u{9f}b");
    }
}
