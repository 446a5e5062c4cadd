//! Splitting a header value into its comma-separated elements (RFC 3261 sec. 7.3.1),
//! ignoring commas inside quoted strings and inside `<...>`.

use crate::sip::syntax::trim_lws;

/// Iterator over the elements of a comma-separated header value, trimmed of white space.
/// Empty elements are yielded (as `""`) so a grammar check can reject them; a value that is
/// nothing but white space yields no element.
#[derive(Debug, Clone)]
pub struct ListItems<'a> {
    rest: Option<&'a str>,
}

/// Splits `value` at its top-level commas.
pub fn split_list(value: &str) -> ListItems<'_> {
    let rest = (!trim_lws(value).is_empty()).then_some(value);
    ListItems { rest }
}

impl<'a> Iterator for ListItems<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let text = self.rest?;
        let bytes = text.as_bytes();
        let mut in_quotes = false;
        let mut in_angle = false;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\\' if in_quotes => i += 1,
                b'"' if !in_angle => in_quotes = !in_quotes,
                b'<' if !in_quotes => in_angle = true,
                b'>' if !in_quotes => in_angle = false,
                b',' if !in_quotes && !in_angle => {
                    self.rest = text.get(i + 1..);
                    return Some(trim_lws(text.get(..i).unwrap_or("")));
                }
                _ => {}
            }
            i += 1;
        }
        self.rest = None;
        Some(trim_lws(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_inside_quotes_and_brackets_do_not_split() {
        let items: Vec<_> =
            split_list("\"Doe, J\" <sip:a@b;x=1,2>;q=0.5 , <sip:c@d>,\r\n sip:e@f").collect();
        assert_eq!(
            items,
            ["\"Doe, J\" <sip:a@b;x=1,2>;q=0.5", "<sip:c@d>", "sip:e@f"]
        );
        let items: Vec<_> = split_list("\"a\\\",b\", c").collect();
        assert_eq!(items, ["\"a\\\",b\"", "c"]);
    }

    #[test]
    fn empty_elements_are_visible() {
        let items: Vec<_> = split_list("a,,b,").collect();
        assert_eq!(items, ["a", "", "b", ""]);
        assert_eq!(split_list("  ").count(), 0);
    }
}
