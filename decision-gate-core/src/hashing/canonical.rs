//! Canonical JSON writer shared by the JSON-value fast path and the serde serializer.
//!
//! Rules (core-model §11): RFC 8785 (JCS) layout and key order (UTF-16 code units of the
//! unescaped key), except that integers fitting `u64`/`i64` are printed digit for digit.
//! Other numbers use the ECMAScript `Number.prototype.toString` form. Non-finite numbers are
//! errors. Strings escape only `"`, `\` and U+0000..U+001F.
//!
//! This is hand-written rather than taken from a JCS crate because the exact-integer rule and
//! the size limit enforced during canonicalisation are not offered by any of them, and hashing
//! must stream a large value straight into SHA-256 without building the text first.

use std::cell::Cell;
use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// Canonicalisation failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// A NaN or infinite number was encountered.
    #[error("non-finite number cannot be canonicalized")]
    NonFinite,
    /// The canonical form is longer than the allowed maximum.
    #[error("canonical json exceeds size limit ({actual} > {max})")]
    TooLarge {
        /// Length of the full canonical form in bytes.
        actual: usize,
        /// The limit that was exceeded.
        max: usize,
    },
    /// A map key is not a string (or integer).
    #[error("map key must be a string")]
    KeyNotString,
    /// The same key appears twice in one object.
    #[error("duplicate object key: {0}")]
    DuplicateKey(String),
    /// Another serialisation failure.
    #[error("canonicalization failed: {0}")]
    Other(String),
}

impl serde::ser::Error for CanonicalError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        CanonicalError::Other(msg.to_string())
    }
}

/// Destination of canonical bytes.
pub(crate) trait ByteSink {
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]);
}

impl ByteSink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl<S: ByteSink + ?Sized> ByteSink for &mut S {
    fn put(&mut self, bytes: &[u8]) {
        (**self).put(bytes);
    }
}

/// Writes canonical bytes into a sink while counting the length of the final output.
///
/// Several writers (one per buffered object) share one counter, so every output byte is
/// counted exactly once: when it is first produced. Copying an already counted buffer into its
/// parent uses [`Writer::copy`]. Once the counter passes `max`, bytes are counted but no longer
/// stored, so the caller can still report the full length.
pub(crate) struct Writer<'c, S: ByteSink> {
    pub(crate) sink: S,
    pub(crate) counter: &'c Cell<usize>,
    pub(crate) max: usize,
}

impl<'c, S: ByteSink> Writer<'c, S> {
    /// Emits freshly produced bytes.
    #[inline]
    pub(crate) fn emit(&mut self, bytes: &[u8]) {
        let total = self.counter.get().saturating_add(bytes.len());
        self.counter.set(total);
        if total <= self.max {
            self.sink.put(bytes);
        }
    }

    /// Copies bytes that were already counted.
    #[inline]
    pub(crate) fn copy(&mut self, bytes: &[u8]) {
        if self.counter.get() <= self.max {
            self.sink.put(bytes);
        }
    }

    /// Fails when the counted length exceeds the maximum.
    pub(crate) fn check(&self) -> Result<(), CanonicalError> {
        let actual = self.counter.get();
        if actual > self.max { Err(CanonicalError::TooLarge { actual, max: self.max }) } else { Ok(()) }
    }
}

const NO_ESCAPE: u8 = 0;
const UNICODE_ESCAPE: u8 = b'u';

/// For each byte: 0 = copy verbatim, `u` = `\u00xx`, otherwise the short escape letter.
static ESCAPES: [u8; 256] = {
    let mut table = [NO_ESCAPE; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = UNICODE_ESCAPE;
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Writes a JSON string literal with canonical escaping.
pub(crate) fn write_string<S: ByteSink>(w: &mut Writer<'_, S>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    w.emit(b"\"");
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPES[byte as usize];
        if escape == NO_ESCAPE {
            continue;
        }
        if start < i {
            w.emit(&bytes[start..i]);
        }
        if escape == UNICODE_ESCAPE {
            w.emit(&[b'\\', b'u', b'0', b'0', HEX[(byte >> 4) as usize], HEX[(byte & 0xf) as usize]]);
        } else {
            w.emit(&[b'\\', escape]);
        }
        start = i + 1;
    }
    if start < bytes.len() {
        w.emit(&bytes[start..]);
    }
    w.emit(b"\"");
}

/// Canonical text of a finite `f64` (ECMAScript form); non-finite values are errors.
pub(crate) fn write_f64<S: ByteSink>(w: &mut Writer<'_, S>, value: f64) -> Result<(), CanonicalError> {
    if !value.is_finite() {
        return Err(CanonicalError::NonFinite);
    }
    if value == 0.0 {
        // Covers -0.0, which ECMAScript prints as "0".
        w.emit(b"0");
        return Ok(());
    }
    let mut buffer = ryu_js::Buffer::new();
    w.emit(buffer.format_finite(value).as_bytes());
    Ok(())
}

/// Writes a JSON number: exact digits for integers, ECMAScript form for everything else.
pub(crate) fn write_number<S: ByteSink>(w: &mut Writer<'_, S>, number: &Number) -> Result<(), CanonicalError> {
    if let Some(unsigned) = number.as_u64() {
        w.emit(itoa::Buffer::new().format(unsigned).as_bytes());
    } else if let Some(signed) = number.as_i64() {
        w.emit(itoa::Buffer::new().format(signed).as_bytes());
    } else {
        let float = number.as_f64().ok_or(CanonicalError::NonFinite)?;
        write_f64(w, float)?;
    }
    Ok(())
}

/// The canonical text of a JSON number (as hashed and as used for decimal comparison).
pub fn canonical_number_text(number: &Number) -> String {
    let counter = Cell::new(0);
    let mut writer = Writer { sink: Vec::new(), counter: &counter, max: usize::MAX };
    // serde_json numbers are always finite, so this cannot fail.
    let _ = write_number(&mut writer, number);
    String::from_utf8(writer.sink).unwrap_or_default()
}

/// Orders object keys by their UTF-16 code units (RFC 8785 §3.2.3).
///
/// UTF-8 byte order equals UTF-16 order unless a supplementary-plane character (4-byte UTF-8
/// sequence, lead byte >= 0xF0) is involved, so the fast path compares bytes.
pub fn compare_keys_utf16(a: &str, b: &str) -> Ordering {
    let supplementary = |s: &str| s.bytes().any(|byte| byte >= 0xF0);
    if supplementary(a) || supplementary(b) {
        a.encode_utf16().cmp(b.encode_utf16())
    } else {
        a.as_bytes().cmp(b.as_bytes())
    }
}

/// Writes any JSON value canonically.
pub(crate) fn write_value<S: ByteSink>(w: &mut Writer<'_, S>, value: &Value) -> Result<(), CanonicalError> {
    match value {
        Value::Null => w.emit(b"null"),
        Value::Bool(true) => w.emit(b"true"),
        Value::Bool(false) => w.emit(b"false"),
        Value::Number(number) => write_number(w, number)?,
        Value::String(text) => write_string(w, text),
        Value::Array(items) => {
            w.emit(b"[");
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    w.emit(b",");
                }
                write_value(w, item)?;
            }
            w.emit(b"]");
        }
        Value::Object(map) => write_object(w, map)?,
    }
    Ok(())
}

fn write_object<S: ByteSink>(w: &mut Writer<'_, S>, map: &Map<String, Value>) -> Result<(), CanonicalError> {
    w.emit(b"{");
    let mut keys = map.keys();
    let already_sorted = match keys.next() {
        None => true,
        Some(first) => {
            let mut previous = first;
            keys.all(|key| {
                let ordered = compare_keys_utf16(previous, key) == Ordering::Less;
                previous = key;
                ordered
            })
        }
    };
    if already_sorted {
        for (index, (key, item)) in map.iter().enumerate() {
            write_entry(w, index, key, item)?;
        }
    } else {
        let mut entries: Vec<(&String, &Value)> = map.iter().collect();
        entries.sort_by(|a, b| compare_keys_utf16(a.0, b.0));
        for (index, (key, item)) in entries.into_iter().enumerate() {
            write_entry(w, index, key, item)?;
        }
    }
    w.emit(b"}");
    Ok(())
}

fn write_entry<S: ByteSink>(
    w: &mut Writer<'_, S>,
    index: usize,
    key: &str,
    item: &Value,
) -> Result<(), CanonicalError> {
    if index > 0 {
        w.emit(b",");
    }
    write_string(w, key);
    w.emit(b":");
    write_value(w, item)
}

/// Streams the canonical form of `value` into `sink`, failing if it exceeds `max` bytes.
pub(crate) fn write_value_to<S: ByteSink>(value: &Value, sink: S, max: usize) -> Result<(), CanonicalError> {
    let counter = Cell::new(0);
    let mut writer = Writer { sink, counter: &counter, max };
    write_value(&mut writer, value)?;
    writer.check()
}

/// Canonical JSON bytes of a JSON value.
pub fn value_to_canonical_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // serde_json values hold only finite numbers and string keys, and there is no limit.
    let _ = write_value_to(value, &mut out, usize::MAX);
    out
}

/// Canonical JSON bytes of a JSON value, failing if longer than `max` bytes.
pub fn value_to_canonical_vec_limited(value: &Value, max: usize) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::new();
    write_value_to(value, &mut out, max)?;
    Ok(out)
}
