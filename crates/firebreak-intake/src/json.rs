//! JSON plumbing shared by the parsers: deserializing with the path of the
//! field at fault, and naming JSON types in messages.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::IntakeError;

/// Deserializes `bytes` as `T`, turning serde's error into an
/// [`IntakeError`] that names the JSON path of the field at fault.
///
/// Tracking the path costs a little on every field, so a document is first
/// read without it; only one that fails is read again to find the path.
pub(crate) fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, IntakeError> {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        from_serde(path, err.into_inner())
    })?;
    // Trailing bytes after the document are a malformed body, not extra data.
    de.end().map_err(|err| from_serde(String::new(), err))?;
    Ok(value)
}

/// Parses `bytes` as any JSON value.
pub(crate) fn value(bytes: &[u8]) -> Result<Value, IntakeError> {
    serde_json::from_slice(bytes).map_err(|err| from_serde(String::new(), err))
}

fn from_serde(path: String, err: serde_json::Error) -> IntakeError {
    let message = without_location(&err.to_string());
    if err.is_data() {
        IntakeError::Invalid {
            // serde_path_to_error writes the document root as "."; keep that,
            // so a path is never empty.
            path: if path.is_empty() {
                ".".to_owned()
            } else {
                path
            },
            message,
        }
    } else {
        IntakeError::Syntax {
            line: err.line(),
            column: err.column(),
            message,
        }
    }
}

/// serde_json appends " at line L column C" to its messages; the error
/// carries those separately.
fn without_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// The JSON type of a value, as messages name it.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A scalar as text: strings as they are, numbers and booleans as JSON
/// writes them. Null, arrays and objects have no text.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Deserializes a map that Go may have written as `null` (a nil map) as an
/// empty one.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    let value: Option<T> = serde::Deserialize::deserialize(deserializer)?;
    Ok(value.unwrap_or_default())
}
