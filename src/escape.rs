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
    if !may_hold_control(text.as_bytes()) {
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

/// Whether `bytes` hold a byte below 0x20, 0x7F or 0xC2.
fn may_hold_control(bytes: &[u8]) -> bool {
    any_byte(bytes, |b| (b < 0x20) | (b == 0x7f) | (b == 0xc2))
}

/// Whether any byte of `bytes` is `suspect`. Sixteen bytes are tested at a time, without a
/// branch among them, so the compiler tests them together in vector registers (a byte at a
/// time, such tests were most of the cost of escaping); the last few as one more group of
/// sixteen, overlapping the one before.
pub fn any_byte(bytes: &[u8], suspect: impl Fn(u8) -> bool + Copy) -> bool {
    let group = |chunk: &[u8]| chunk.iter().fold(false, |found, &b| found | suspect(b));
    let len = bytes.len();
    if len < 16 {
        return bytes.iter().any(|&b| suspect(b));
    }
    bytes.chunks_exact(16).any(group) || (len % 16 != 0 && group(&bytes[len - 16..]))
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

    #[test]
    fn a_control_character_is_found_wherever_it_stands() {
        let plain = "x".repeat(40);
        for at in 0..40 {
            for c in ['\n', '\u{1b}', '\u{7f}', '\u{85}'] {
                let mut text = plain.clone();
                text.insert(at, c);
                assert!(
                    matches!(controls(&text), std::borrow::Cow::Owned(_)),
                    "{c:?} at {at}"
                );
            }
        }
        assert!(matches!(controls(&plain), std::borrow::Cow::Borrowed(_)));
    }
}
