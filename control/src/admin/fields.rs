//! Reading a JSON request body field by field, so that every 400 names the field at fault
//! (serde's derived errors say "invalid type at line 1 column 17", which an operator has to
//! decode). Unknown fields are refused too: a typo must not be silently ignored.

use std::ops::RangeInclusive;

use serde_json::{Map, Value};

use super::error::ApiError;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Parses a request body; an empty body reads as `{}`.
pub fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_field("body", format!("not JSON: {e}")))
}

/// The fields of one JSON object, with the path that names them in errors.
#[derive(Debug)]
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    prefix: String,
    read: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    /// The fields of `value`, which must be an object; `path` names it (`body`, `srtp`).
    pub fn of(value: &'a Value, path: &str) -> Result<Fields<'a>, ApiError> {
        let object = value
            .as_object()
            .ok_or_else(|| ApiError::bad_field(path, "expected a JSON object"))?;
        let prefix = if path == "body" {
            String::new()
        } else {
            format!("{path}.")
        };
        Ok(Fields {
            object,
            prefix,
            read: Vec::new(),
        })
    }

    /// The dotted path of field `name`.
    pub fn path(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// 400 naming field `name`.
    pub fn error(&self, name: &str, problem: impl std::fmt::Display) -> ApiError {
        ApiError::bad_field(&self.path(name), problem)
    }

    /// The raw value of `name`; `null` counts as absent.
    pub fn value(&mut self, name: &'static str) -> Option<&'a Value> {
        self.read.push(name);
        self.object.get(name).filter(|v| !v.is_null())
    }

    /// A string field.
    pub fn string(&mut self, name: &'static str) -> Result<Option<&'a str>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.error(name, "expected a string")),
        }
    }

    /// A required string field.
    pub fn required_string(&mut self, name: &'static str) -> Result<&'a str, ApiError> {
        self.string(name)?
            .ok_or_else(|| self.error(name, "is required"))
    }

    /// An integer field within `range`.
    pub fn integer(
        &mut self,
        name: &'static str,
        range: RangeInclusive<u64>,
    ) -> Result<Option<u64>, ApiError> {
        let Some(value) = self.value(name) else {
            return Ok(None);
        };
        match value.as_u64().filter(|n| range.contains(n)) {
            Some(n) => Ok(Some(n)),
            None => Err(self.error(
                name,
                format!(
                    "expected an integer from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    /// A nested object field.
    pub fn object(&mut self, name: &'static str) -> Result<Option<Fields<'a>>, ApiError> {
        let path = self.path(name);
        self.value(name).map(|v| Fields::of(v, &path)).transpose()
    }

    /// Refuses any field that was not read.
    pub fn finish(self) -> Result<(), ApiError> {
        match self
            .object
            .keys()
            .find(|key| !self.read.contains(&key.as_str()))
        {
            Some(unknown) => Err(ApiError::bad_field(
                &self.path(unknown),
                format!("unknown field (expected one of: {})", self.read.join(", ")),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_dotted_field() {
        let body = parse_body(br#"{"n": "three", "srtp": {"suite": 5}, "x": 1}"#).unwrap();
        let mut fields = Fields::of(&body, "body").unwrap();
        let err = fields.integer("n", 1..=64).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("n"));
        assert!(err.message.contains("`n`"), "{}", err.message);
        let mut srtp = fields.object("srtp").unwrap().unwrap();
        let err = srtp.string("suite").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("srtp.suite"));
        srtp.finish().unwrap();
        let err = fields.finish().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("x"));
        assert_eq!(err.status, 400);
    }

    #[test]
    fn empty_body_is_an_empty_object_and_bad_json_names_the_body() {
        assert_eq!(parse_body(b"  \n").unwrap(), Value::Object(Map::new()));
        let err = parse_body(b"{nope").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("body"));
        let array = parse_body(b"[1]").unwrap();
        assert_eq!(
            Fields::of(&array, "body").unwrap_err().field.as_deref(),
            Some("body")
        );
    }

    #[test]
    fn null_is_absent_and_ranges_are_enforced() {
        let body = parse_body(br#"{"a": null, "b": 0, "c": 65}"#).unwrap();
        let mut fields = Fields::of(&body, "body").unwrap();
        assert_eq!(fields.string("a").unwrap(), None);
        assert!(fields.integer("b", 1..=64).is_err());
        assert!(fields.integer("c", 1..=64).is_err());
        assert!(fields.required_string("d").is_err());
    }
}
