//! Authoring sources with positions: a JSON value plus the byte offset of every value in the
//! original text (keyed by JSON pointer), so that parse, decode and validation errors can be
//! reported as `file:line:column: message` (core-model §2.9).

use std::collections::HashMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Deepest accepted nesting of arrays and objects in an authoring source.
pub const MAX_AUTHORING_DEPTH: usize = 64;

/// A problem in an authoring source, with its position when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// File name as given by the user.
    pub file: String,
    /// 1-based line and column (in characters), when the problem has a position.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for Diagnostic {}

/// A syntax error at a byte offset (before the file name is attached).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset into the text.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// A parsed authoring source.
#[derive(Clone, Debug)]
pub struct Document {
    /// The normalised JSON value.
    pub value: Value,
    /// Byte offset of every value by JSON pointer (`""` is the root).
    pub positions: HashMap<String, usize>,
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Appends one escaped JSON-pointer token.
pub fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&token.replace('~', "~0").replace('/', "~1"));
}

/// The JSON pointer of the first array or object nested deeper than [`MAX_AUTHORING_DEPTH`]
/// (the root container is at depth 1).
pub fn too_deep(value: &Value) -> Option<String> {
    fn walk(value: &Value, pointer: &mut String, depth: usize) -> Option<String> {
        let children: Vec<(String, &Value)> = match value {
            Value::Array(items) => items.iter().enumerate().map(|(index, item)| (index.to_string(), item)).collect(),
            Value::Object(map) => map.iter().map(|(key, item)| (key.clone(), item)).collect(),
            _ => return None,
        };
        if depth + 1 > MAX_AUTHORING_DEPTH {
            return Some(pointer.clone());
        }
        for (token, child) in children {
            let length = pointer.len();
            push_token(pointer, &token);
            let found = walk(child, pointer, depth + 1);
            pointer.truncate(length);
            if found.is_some() {
                return found;
            }
        }
        None
    }
    walk(value, &mut String::new(), 0)
}

/// Strips serde_json's ` at line L column C` suffix from an error message.
fn bare_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).map_or(text.clone(), str::to_owned)
}

/// Parses JSON text: syntax errors carry serde_json's line and column; the nesting depth is
/// limited to [`MAX_AUTHORING_DEPTH`]; every value's offset is indexed.
pub fn parse_json(text: &str) -> Result<Document, (Option<(usize, usize)>, String)> {
    let value: Value = serde_json::from_str(text).map_err(|error| {
        let position = (error.line() > 0).then(|| (error.line(), error.column().max(1)));
        (position, bare_message(&error))
    })?;
    let mut indexer = JsonIndexer { bytes: text.as_bytes(), pos: 0, positions: HashMap::new() };
    let mut pointer = String::new();
    indexer.value(&mut pointer, 0).map_err(|error| (Some(line_column(text, error.offset)), error.message))?;
    Ok(Document { value, positions: indexer.positions })
}

/// Walks JSON text that serde_json already accepted, recording value offsets.
struct JsonIndexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    positions: HashMap<String, usize>,
}

impl JsonIndexer<'_> {
    fn skip_ws(&mut self) {
        while self.bytes.get(self.pos).is_some_and(|byte| byte.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn too_deep(&self) -> SyntaxError {
        SyntaxError { offset: self.pos, message: format!("nesting depth exceeds {MAX_AUTHORING_DEPTH}") }
    }

    /// Skips a string starting at the opening quote; returns its raw text including quotes.
    fn string(&mut self) -> &str {
        let start = self.pos;
        self.pos += 1;
        while let Some(&byte) = self.bytes.get(self.pos) {
            self.pos += 1;
            match byte {
                b'\\' => self.pos += 1,
                b'"' => break,
                _ => {}
            }
        }
        std::str::from_utf8(&self.bytes[start..self.pos.min(self.bytes.len())]).unwrap_or("\"\"")
    }

    fn value(&mut self, pointer: &mut String, depth: usize) -> Result<(), SyntaxError> {
        self.skip_ws();
        self.positions.insert(pointer.clone(), self.pos);
        match self.bytes.get(self.pos) {
            Some(b'{') => {
                if depth + 1 > MAX_AUTHORING_DEPTH {
                    return Err(self.too_deep());
                }
                self.pos += 1;
                loop {
                    self.skip_ws();
                    match self.bytes.get(self.pos) {
                        Some(b'}') | None => break,
                        Some(b',') => self.pos += 1,
                        _ => {
                            let raw = self.string().to_owned();
                            let key: String = serde_json::from_str(&raw).unwrap_or_default();
                            self.skip_ws();
                            self.pos += 1; // ':'
                            let length = pointer.len();
                            push_token(pointer, &key);
                            self.value(pointer, depth + 1)?;
                            pointer.truncate(length);
                        }
                    }
                }
                self.pos += 1;
            }
            Some(b'[') => {
                if depth + 1 > MAX_AUTHORING_DEPTH {
                    return Err(self.too_deep());
                }
                self.pos += 1;
                let mut index = 0usize;
                loop {
                    self.skip_ws();
                    match self.bytes.get(self.pos) {
                        Some(b']') | None => break,
                        Some(b',') => self.pos += 1,
                        _ => {
                            let length = pointer.len();
                            push_token(pointer, &index.to_string());
                            self.value(pointer, depth + 1)?;
                            pointer.truncate(length);
                            index += 1;
                        }
                    }
                }
                self.pos += 1;
            }
            Some(b'"') => {
                self.string();
            }
            _ => {
                while self.bytes.get(self.pos).is_some_and(|byte| !b",]} \t\r\n".contains(byte)) {
                    self.pos += 1;
                }
            }
        }
        Ok(())
    }
}

/// Pretty JSON text with one value token per line, and the JSON pointer of each line; the
/// closing bracket of a container maps to the container.
fn pretty_with_pointers(value: &Value) -> (String, Vec<String>) {
    fn emit(
        value: &Value,
        pointer: &mut String,
        prefix: String,
        comma: bool,
        text: &mut String,
        lines: &mut Vec<String>,
    ) {
        let tail = if comma { ",\n" } else { "\n" };
        let scalar = |value: &Value| serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
        match value {
            Value::Array(items) if !items.is_empty() => {
                text.push_str(&format!("{prefix}[\n"));
                lines.push(pointer.clone());
                for (index, item) in items.iter().enumerate() {
                    let length = pointer.len();
                    push_token(pointer, &index.to_string());
                    emit(item, pointer, String::new(), index + 1 < items.len(), text, lines);
                    pointer.truncate(length);
                }
                text.push_str(&format!("]{tail}"));
                lines.push(pointer.clone());
            }
            Value::Object(map) if !map.is_empty() => {
                text.push_str(&format!("{prefix}{{\n"));
                lines.push(pointer.clone());
                for (index, (key, item)) in map.iter().enumerate() {
                    let length = pointer.len();
                    push_token(pointer, key);
                    let key_text = serde_json::to_string(key).unwrap_or_else(|_| "\"\"".to_owned());
                    emit(item, pointer, format!("{key_text}: "), index + 1 < map.len(), text, lines);
                    pointer.truncate(length);
                }
                text.push_str(&format!("}}{tail}"));
                lines.push(pointer.clone());
            }
            other => {
                text.push_str(&format!("{prefix}{}{tail}", scalar(other)));
                lines.push(pointer.clone());
            }
        }
    }
    let mut text = String::new();
    let mut lines = Vec::new();
    emit(value, &mut String::new(), String::new(), false, &mut text, &mut lines);
    (text, lines)
}

impl Document {
    /// The offset of the value at `pointer`, or of its nearest indexed ancestor.
    pub fn offset_of(&self, pointer: &str) -> Option<usize> {
        let mut current = pointer;
        loop {
            if let Some(offset) = self.positions.get(current) {
                return Some(*offset);
            }
            current = &current[..current.rfind('/')?];
        }
    }

    /// Decodes the value as `T`. On failure the message is serde's, and the position is that
    /// of the offending value in the original text (found by re-decoding a one-token-per-line
    /// rendering of the value and mapping the error line back to its JSON pointer).
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, (Option<String>, String)> {
        match T::deserialize(&self.value) {
            Ok(decoded) => Ok(decoded),
            Err(error) => {
                let (text, lines) = pretty_with_pointers(&self.value);
                let pointer = serde_json::from_str::<T>(&text)
                    .err()
                    .and_then(|located| lines.get(located.line().checked_sub(1)?).cloned());
                Err((pointer, error.to_string()))
            }
        }
    }
}
