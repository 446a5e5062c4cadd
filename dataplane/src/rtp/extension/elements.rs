//! Reading RFC 8285 elements out of an extension block.

use super::{ExtensionElement, ExtensionForm};

/// Iterator over the elements of an extension block.
///
/// Padding bytes (id 0) are skipped. In the one-byte form, id 15 ends the block (RFC 8285
/// sec. 4.2). An element whose length runs past the block ends iteration and marks the
/// iterator [`truncated`](Self::truncated); nothing after it is trusted.
#[derive(Debug, Clone)]
pub struct ExtensionElements<'a> {
    form: ExtensionForm,
    rest: &'a [u8],
    truncated: bool,
}

impl<'a> ExtensionElements<'a> {
    /// Iterates the elements of `data` laid out in `form`.
    pub fn new(form: ExtensionForm, data: &'a [u8]) -> Self {
        Self {
            form,
            rest: data,
            truncated: false,
        }
    }

    /// An iterator that yields nothing.
    pub fn empty() -> Self {
        Self::new(ExtensionForm::OneByte, &[])
    }

    /// Whether iteration stopped at an element that ran past the end of the block.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The data of the first element with `id`.
    pub fn find(mut self, id: u8) -> Option<&'a [u8]> {
        self.find_map(|e| (e.id == id).then_some(e.data))
    }

    fn stop(&mut self, truncated: bool) -> Option<ExtensionElement<'a>> {
        self.rest = &[];
        self.truncated = truncated;
        None
    }
}

impl<'a> Iterator for ExtensionElements<'a> {
    type Item = ExtensionElement<'a>;

    fn next(&mut self) -> Option<ExtensionElement<'a>> {
        loop {
            let (&first, after) = self.rest.split_first()?;
            if first == 0 {
                self.rest = after;
                continue;
            }
            let (id, len, body) = match self.form {
                ExtensionForm::OneByte => {
                    let id = first >> 4;
                    if id == 15 {
                        return self.stop(false);
                    }
                    if id == 0 {
                        // An id-0 byte with a nonzero length nibble is still one byte of
                        // padding; skipping it keeps the parse aligned with other stacks.
                        self.rest = after;
                        continue;
                    }
                    (id, usize::from(first & 0x0f) + 1, after)
                }
                ExtensionForm::TwoByte => match after.split_first() {
                    Some((&len, body)) => (first, usize::from(len), body),
                    None => return self.stop(true),
                },
            };
            if len > body.len() {
                return self.stop(true);
            }
            let (data, rest) = body.split_at(len);
            self.rest = rest;
            return Some(ExtensionElement { id, data });
        }
    }
}
