//! XML escaping for attribute values and text content.

use std::fmt::{self, Write};

/// Displays `text` with `&`, `<`, `>`, `"` and `'` escaped, so it is safe both as text
/// content and inside a double- or single-quoted attribute. Control characters XML 1.0
/// forbids are dropped.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&apos;")?,
                '\t' | '\n' | '\r' => f.write_char(c)?,
                c if (c as u32) < 0x20 => {}
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// `text`, escaped.
pub fn escape(text: &str) -> Escaped<'_> {
    Escaped(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped_and_controls_dropped() {
        let out = escape("a<b>&\"c'\u{1}d").to_string();
        assert_eq!(out, "a&lt;b&gt;&amp;&quot;c&apos;d");
        assert_eq!(
            escape("sip:alice@example.com").to_string(),
            "sip:alice@example.com"
        );
    }
}
