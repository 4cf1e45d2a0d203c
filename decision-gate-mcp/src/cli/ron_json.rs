//! RON authoring sources normalised to JSON (core-model §2.9), with the position of every value.
//!
//! RON uses the same field names as JSON. Mapping:
//! - `()`, `None` and `null` ⇒ `null`; `Some(x)` ⇒ `x`; `true`/`false` ⇒ booleans;
//! - `(field: value, …)` ⇒ object; `(a, b)` ⇒ array; `[…]` ⇒ array; `{"key": value}` ⇒ object
//!   (keys must be strings or bare identifiers);
//! - strings (`"…"` with escapes, raw `r#"…"#`) and chars ⇒ strings; numbers ⇒ numbers
//!   (non-finite values are rejected);
//! - a bare identifier ⇒ its name as a string (unit enum variants: `fail`, `linear`, …);
//! - `Name(…)` ⇒ the externally tagged enum variant `{"Name": …}` (one value, a tuple as an
//!   array, or named fields as an object): `And([Condition("a"), Not(Condition("b"))])`,
//!   `RequireGroup(min: 1, reqs: […])`. The names of the scenario's struct types
//!   (`ScenarioSpec(…)`, `StageSpec(…)`, …) are treated as struct names and dropped.
//!
//! Comments (`//`, nested `/* */`) and leading `#![enable(…)]` attributes are skipped.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use super::source::{Document, MAX_AUTHORING_DEPTH, SyntaxError, push_token, too_deep};

/// Struct type names of the scenario model, accepted (and dropped) before `(`.
const STRUCT_NAMES: [&str; 13] = [
    "ScenarioSpec",
    "StageSpec",
    "GateSpec",
    "ConditionSpec",
    "EvidenceQuery",
    "PacketSpec",
    "TimeoutSpec",
    "BranchRule",
    "ContentRef",
    "PolicyRef",
    "SchemaRef",
    "HashDigest",
    "TrustRequirement",
];

/// Parses RON text into a JSON value with value positions.
pub fn parse_ron(text: &str) -> Result<Document, SyntaxError> {
    let mut parser = RonParser { text, bytes: text.as_bytes(), pos: 0, positions: HashMap::new() };
    parser.skip_ws()?;
    while parser.rest().starts_with("#![") {
        match parser.rest().find(']') {
            Some(end) => parser.pos += end + 1,
            None => return Err(parser.error("unterminated attribute")),
        }
        parser.skip_ws()?;
    }
    let mut pointer = String::new();
    let value = parser.value(&mut pointer, 0)?;
    parser.skip_ws()?;
    if parser.pos < parser.bytes.len() {
        return Err(parser.error("trailing characters after the value"));
    }
    let document = Document { value, positions: parser.positions };
    if let Some(pointer) = too_deep(&document.value) {
        return Err(SyntaxError {
            offset: document.offset_of(&pointer).unwrap_or(0),
            message: format!("nesting depth exceeds {MAX_AUTHORING_DEPTH}"),
        });
    }
    Ok(document)
}

struct RonParser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    positions: HashMap<String, usize>,
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

fn is_ident_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

impl<'a> RonParser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError { offset: self.pos, message: message.into() }
    }

    fn error_at(&self, offset: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError { offset, message: message.into() }
    }

    fn skip_ws(&mut self) -> Result<(), SyntaxError> {
        loop {
            match self.peek() {
                Some(byte) if byte.is_ascii_whitespace() => self.pos += 1,
                Some(b'/') if self.rest().starts_with("//") => {
                    self.pos = self.rest().find('\n').map_or(self.bytes.len(), |end| self.pos + end);
                }
                Some(b'/') if self.rest().starts_with("/*") => {
                    let start = self.pos;
                    let mut nesting = 0usize;
                    loop {
                        if self.rest().starts_with("/*") {
                            nesting += 1;
                            self.pos += 2;
                        } else if self.rest().starts_with("*/") {
                            nesting -= 1;
                            self.pos += 2;
                            if nesting == 0 {
                                break;
                            }
                        } else if self.pos >= self.bytes.len() {
                            return Err(self.error_at(start, "unterminated block comment"));
                        } else {
                            self.pos += 1;
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), SyntaxError> {
        self.skip_ws()?;
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected {what}")))
        }
    }

    fn ident(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_char) {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    /// Syntactic nesting guard (the exact JSON depth is checked on the result).
    fn enter(&self, depth: usize) -> Result<usize, SyntaxError> {
        if depth + 1 > 2 * MAX_AUTHORING_DEPTH {
            return Err(self.error(format!("nesting depth exceeds {MAX_AUTHORING_DEPTH}")));
        }
        Ok(depth + 1)
    }

    fn value(&mut self, pointer: &mut String, depth: usize) -> Result<Value, SyntaxError> {
        self.skip_ws()?;
        self.positions.insert(pointer.clone(), self.pos);
        match self.peek() {
            None => Err(self.error("unexpected end of input, expected a value")),
            Some(b'(') => self.parenthesized(pointer, depth),
            Some(b'[') => self.list(pointer, depth),
            Some(b'{') => self.map(pointer, depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b'\'') => self.char_literal().map(Value::String),
            Some(b'r') if matches!(self.bytes.get(self.pos + 1), Some(b'"' | b'#')) => {
                self.raw_string().map(Value::String)
            }
            Some(b'b') if matches!(self.bytes.get(self.pos + 1), Some(b'"' | b'\'')) => {
                Err(self.error("byte strings are not supported; use an array of integers"))
            }
            Some(byte) if byte.is_ascii_digit() || matches!(byte, b'-' | b'+' | b'.') => self.number(),
            Some(byte) if is_ident_start(byte) => self.identifier_value(pointer, depth),
            Some(_) => Err(self.error("expected a value")),
        }
    }

    fn identifier_value(&mut self, pointer: &mut String, depth: usize) -> Result<Value, SyntaxError> {
        let start = self.pos;
        let name = self.ident();
        match name {
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            "None" | "null" => return Ok(Value::Null),
            "inf" | "NaN" => return Err(self.error_at(start, "non-finite numbers are not allowed")),
            _ => {}
        }
        self.skip_ws()?;
        if self.peek() != Some(b'(') {
            return Ok(Value::String(name.to_owned()));
        }
        // Every parenthesised form counts towards the syntactic nesting guard.
        let depth = self.enter(depth)?;
        if name == "Some" {
            self.pos += 1;
            let inner = self.value(pointer, depth)?;
            self.expect(b')', "`)` after the value of Some(…)")?;
            return Ok(inner);
        }
        if STRUCT_NAMES.contains(&name) {
            return self.parenthesized(pointer, depth - 1);
        }
        let length = pointer.len();
        push_token(pointer, name);
        let content = self.variant_content(pointer, depth)?;
        pointer.truncate(length);
        let mut object = Map::new();
        object.insert(name.to_owned(), content);
        Ok(Value::Object(object))
    }

    /// The content of `Name(…)`: `()` ⇒ null, named fields ⇒ object, one element ⇒ that
    /// element (a newtype variant, positioned at the variant's pointer), more ⇒ array.
    fn variant_content(&mut self, pointer: &mut String, depth: usize) -> Result<Value, SyntaxError> {
        self.positions.insert(pointer.clone(), self.pos);
        self.pos += 1;
        self.skip_ws()?;
        if self.peek() == Some(b')') {
            self.pos += 1;
            return Ok(Value::Null);
        }
        if self.at_field() {
            let depth = self.enter(depth)?;
            return self.fields(pointer, depth).map(Value::Object);
        }
        let first = self.value(pointer, depth)?;
        if !self.separator(b')')? {
            return Ok(first);
        }
        // A tuple variant: the first element moves under `/0`.
        let depth = self.enter(depth)?;
        self.rekey(pointer, &format!("{pointer}/0"));
        let mut items = vec![first];
        self.sequence(pointer, depth, b')', &mut items)?;
        Ok(Value::Array(items))
    }

    /// Moves every recorded position at or below `from` to the same place below `to`.
    fn rekey(&mut self, from: &str, to: &str) {
        let below = format!("{from}/");
        let moved: Vec<String> =
            self.positions.keys().filter(|key| *key == from || key.starts_with(&below)).cloned().collect();
        for key in moved {
            if let Some(offset) = self.positions.remove(&key) {
                self.positions.insert(format!("{to}{}", &key[from.len()..]), offset);
            }
        }
    }

    /// Whether the parser is at `ident :` (a struct field), without consuming anything.
    fn at_field(&mut self) -> bool {
        let start = self.pos;
        let is_field = if self.peek().is_some_and(is_ident_start) {
            self.ident();
            self.skip_ws().is_ok() && self.peek() == Some(b':') && self.bytes.get(self.pos + 1) != Some(&b':')
        } else {
            false
        };
        self.pos = start;
        is_field
    }

    /// `()` ⇒ null, `(field: v, …)` ⇒ object, `(a, b, …)` ⇒ array (element positions are
    /// recorded under the current pointer plus the index; field positions plus the name).
    fn parenthesized(&mut self, pointer: &mut String, depth: usize) -> Result<Value, SyntaxError> {
        self.pos += 1;
        self.skip_ws()?;
        if self.peek() == Some(b')') {
            self.pos += 1;
            return Ok(Value::Null);
        }
        let depth = self.enter(depth)?;
        if self.at_field() {
            return self.fields(pointer, depth).map(Value::Object);
        }
        let mut items = Vec::new();
        self.sequence(pointer, depth, b')', &mut items)?;
        Ok(Value::Array(items))
    }

    /// Named fields `name: value, …` up to and including `)`.
    fn fields(&mut self, pointer: &mut String, depth: usize) -> Result<Map<String, Value>, SyntaxError> {
        let mut object = Map::new();
        loop {
            self.skip_ws()?;
            if self.peek() == Some(b')') {
                self.pos += 1;
                return Ok(object);
            }
            if !self.peek().is_some_and(is_ident_start) {
                return Err(self.error("expected a field name"));
            }
            let field = self.ident();
            self.expect(b':', "`:` after the field name")?;
            let length = pointer.len();
            push_token(pointer, field);
            let value = self.value(pointer, depth)?;
            pointer.truncate(length);
            object.insert(field.to_owned(), value);
            if !self.separator(b')')? {
                return Ok(object);
            }
        }
    }

    fn list(&mut self, pointer: &mut String, depth: usize) -> Result<Value, SyntaxError> {
        let depth = self.enter(depth)?;
        self.pos += 1;
        let mut items = Vec::new();
        self.sequence(pointer, depth, b']', &mut items)?;
        Ok(Value::Array(items))
    }

    /// Elements (appended to `items`, indexed from its length) up to and including `close`.
    fn sequence(
        &mut self,
        pointer: &mut String,
        depth: usize,
        close: u8,
        items: &mut Vec<Value>,
    ) -> Result<(), SyntaxError> {
        loop {
            self.skip_ws()?;
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(());
            }
            let length = pointer.len();
            push_token(pointer, &items.len().to_string());
            let item = self.value(pointer, depth)?;
            pointer.truncate(length);
            items.push(item);
            if !self.separator(close)? {
                return Ok(());
            }
        }
    }

    /// After an element: `,` ⇒ true (more may follow), `close` ⇒ consumed, false.
    fn separator(&mut self, close: u8) -> Result<bool, SyntaxError> {
        self.skip_ws()?;
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(byte) if byte == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.error(format!("expected `,` or `{}`", close as char))),
        }
    }

    fn map(&mut self, pointer: &mut String, depth: usize) -> Result<Value, SyntaxError> {
        let depth = self.enter(depth)?;
        self.pos += 1;
        let mut object = Map::new();
        loop {
            self.skip_ws()?;
            if self.peek() == Some(b'}') {
                self.pos += 1;
                break;
            }
            let key = match self.peek() {
                Some(b'"') => self.string()?,
                Some(b'r') if matches!(self.bytes.get(self.pos + 1), Some(b'"' | b'#')) => self.raw_string()?,
                Some(byte) if is_ident_start(byte) => self.ident().to_owned(),
                _ => return Err(self.error("map keys must be strings")),
            };
            self.expect(b':', "`:` after the map key")?;
            let length = pointer.len();
            push_token(pointer, &key);
            let value = self.value(pointer, depth)?;
            pointer.truncate(length);
            object.insert(key, value);
            if !self.separator(b'}')? {
                break;
            }
        }
        Ok(Value::Object(object))
    }

    fn escape(&mut self) -> Result<char, SyntaxError> {
        let start = self.pos;
        self.pos += 1; // backslash
        let Some(kind) = self.rest().chars().next() else { return Err(self.error("unterminated escape")) };
        self.pos += kind.len_utf8();
        let hex = |parser: &mut Self, digits: &str| {
            u32::from_str_radix(digits, 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| parser.error_at(start, "invalid escape sequence"))
        };
        Ok(match kind {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            '0' => '\0',
            'b' => '\u{8}',
            'f' => '\u{c}',
            '\\' | '"' | '\'' | '/' => kind,
            'x' => {
                let digits = self.rest().get(..2).ok_or_else(|| self.error_at(start, "invalid escape sequence"))?;
                self.pos += 2;
                hex(self, digits)?
            }
            'u' if self.peek() == Some(b'{') => {
                let end = self.rest().find('}').ok_or_else(|| self.error_at(start, "invalid escape sequence"))?;
                let digits = &self.rest()[1..end];
                self.pos += end + 1;
                hex(self, digits)?
            }
            'u' => {
                let digits = self.rest().get(..4).ok_or_else(|| self.error_at(start, "invalid escape sequence"))?;
                self.pos += 4;
                hex(self, digits)?
            }
            _ => return Err(self.error_at(start, "invalid escape sequence")),
        })
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            let Some(next) = self.rest().chars().next() else {
                return Err(self.error_at(start, "unterminated string"));
            };
            match next {
                '"' => {
                    self.pos += 1;
                    return Ok(text);
                }
                '\\' => text.push(self.escape()?),
                other => {
                    text.push(other);
                    self.pos += other.len_utf8();
                }
            }
        }
    }

    fn raw_string(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        self.pos += 1; // r
        let hashes = self.rest().bytes().take_while(|byte| *byte == b'#').count();
        self.pos += hashes;
        if self.peek() != Some(b'"') {
            return Err(self.error("expected `\"` in raw string"));
        }
        self.pos += 1;
        let terminator = format!("\"{}", "#".repeat(hashes));
        let end = self.rest().find(&terminator).ok_or_else(|| self.error_at(start, "unterminated raw string"))?;
        let text = self.rest()[..end].to_owned();
        self.pos += end + terminator.len();
        Ok(text)
    }

    fn char_literal(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        let value = match self.rest().chars().next() {
            Some('\\') => self.escape()?,
            Some(other) => {
                self.pos += other.len_utf8();
                other
            }
            None => return Err(self.error_at(start, "unterminated char literal")),
        };
        if self.peek() != Some(b'\'') {
            return Err(self.error_at(start, "unterminated char literal"));
        }
        self.pos += 1;
        Ok(value.to_string())
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        if self.rest().starts_with("inf") || self.rest().starts_with("NaN") {
            return Err(self.error_at(start, "non-finite numbers are not allowed"));
        }
        let radix = match self.rest().get(..2) {
            Some("0x") => 16,
            Some("0o") => 8,
            Some("0b") => 2,
            _ => 10,
        };
        if radix != 10 {
            self.pos += 2;
        }
        let body_start = self.pos;
        let mut is_float = false;
        while let Some(byte) = self.peek() {
            let accepted = match byte {
                b'_' => true,
                b'.' if radix == 10 => {
                    is_float = true;
                    true
                }
                b'e' | b'E' if radix == 10 => {
                    is_float = true;
                    if matches!(self.bytes.get(self.pos + 1), Some(b'+' | b'-')) {
                        self.pos += 1;
                    }
                    true
                }
                _ => byte.is_ascii_hexdigit() && (radix == 16 || byte.is_ascii_digit()),
            };
            if !accepted {
                break;
            }
            self.pos += 1;
        }
        if self.peek().is_some_and(is_ident_char) {
            return Err(self.error("unexpected character in number"));
        }
        let digits: String = self.text[body_start..self.pos].chars().filter(|c| *c != '_').collect();
        let sign = if negative { "-" } else { "" };
        let invalid = || SyntaxError { offset: start, message: "invalid number".to_owned() };
        if digits.is_empty() {
            return Err(invalid());
        }
        if is_float {
            let parsed: f64 = format!("{sign}{digits}").parse().map_err(|_| invalid())?;
            return Number::from_f64(parsed)
                .map(Value::Number)
                .ok_or_else(|| self.error_at(start, "non-finite numbers are not allowed"));
        }
        let magnitude = u128::from_str_radix(&digits, radix).map_err(|_| invalid())?;
        let out_of_range = || SyntaxError { offset: start, message: "integer out of range".to_owned() };
        if negative {
            let value = i128::try_from(magnitude).map_err(|_| out_of_range())?;
            i64::try_from(-value).map(|value| Value::Number(value.into())).map_err(|_| out_of_range())
        } else {
            u64::try_from(magnitude).map(|value| Value::Number(value.into())).map_err(|_| out_of_range())
        }
    }
}
