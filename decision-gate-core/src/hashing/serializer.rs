//! A serde `Serializer` that writes canonical JSON directly from typed values.
//!
//! Sequences and scalars stream into the current writer; objects (maps and structs) are
//! buffered so their entries can be emitted in canonical key order. Non-finite floats are
//! rejected instead of becoming `null`.

use std::cell::Cell;
use std::ops::Range;

use serde::Serialize;
use serde::ser::{self, Impossible};

use super::canonical::{ByteSink, CanonicalError, Writer, compare_keys_utf16, write_f64, write_string};

/// Canonical JSON bytes of any serialisable value.
pub fn to_canonical_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    to_canonical_vec_limited(value, usize::MAX)
}

/// Canonical JSON bytes of any serialisable value, failing if longer than `max` bytes.
pub fn to_canonical_vec_limited<T: Serialize + ?Sized>(value: &T, max: usize) -> Result<Vec<u8>, CanonicalError> {
    let counter = Cell::new(0);
    let mut writer = Writer { sink: Vec::new(), counter: &counter, max };
    value.serialize(Canon { w: &mut writer })?;
    writer.check()?;
    Ok(writer.sink)
}

struct Canon<'a, 'c, S: ByteSink> {
    w: &'a mut Writer<'c, S>,
}

impl<'a, 'c, S: ByteSink> Canon<'a, 'c, S> {
    fn integer(self, text: &str) -> Result<(), CanonicalError> {
        self.w.emit(text.as_bytes());
        Ok(())
    }
}

/// An object under construction: unescaped keys and canonical values, emitted sorted at the end.
struct ObjectBuffer<'a, 'c, S: ByteSink> {
    parent: &'a mut Writer<'c, S>,
    keys: String,
    values: Vec<u8>,
    entries: Vec<(Range<usize>, Range<usize>)>,
    pending_key: Option<Range<usize>>,
    /// For `{"Variant": {...}}` struct variants: the variant name to wrap the object in.
    wrap_variant: Option<&'static str>,
}

impl<'a, 'c, S: ByteSink> ObjectBuffer<'a, 'c, S> {
    fn new(parent: &'a mut Writer<'c, S>, wrap_variant: Option<&'static str>) -> Self {
        ObjectBuffer {
            parent,
            keys: String::new(),
            values: Vec::new(),
            entries: Vec::new(),
            pending_key: None,
            wrap_variant,
        }
    }

    fn push_key(&mut self, key: &str) -> Range<usize> {
        let start = self.keys.len();
        self.keys.push_str(key);
        start..self.keys.len()
    }

    fn push_value<T: Serialize + ?Sized>(&mut self, key: Range<usize>, value: &T) -> Result<(), CanonicalError> {
        let start = self.values.len();
        let mut child = Writer { sink: &mut self.values, counter: self.parent.counter, max: self.parent.max };
        value.serialize(Canon { w: &mut child })?;
        let end = self.values.len();
        self.entries.push((key, start..end));
        Ok(())
    }

    fn finish(self) -> Result<(), CanonicalError> {
        let ObjectBuffer { parent, keys, values, mut entries, wrap_variant, .. } = self;
        entries.sort_by(|a, b| compare_keys_utf16(&keys[a.0.clone()], &keys[b.0.clone()]));
        if let Some(pair) = entries.windows(2).find(|pair| keys[pair[0].0.clone()] == keys[pair[1].0.clone()]) {
            return Err(CanonicalError::DuplicateKey(keys[pair[0].0.clone()].to_owned()));
        }
        if let Some(variant) = wrap_variant {
            parent.emit(b"{");
            write_string(parent, variant);
            parent.emit(b":");
        }
        parent.emit(b"{");
        let overflowed = parent.counter.get() > parent.max;
        for (index, (key, value)) in entries.iter().enumerate() {
            if index > 0 {
                parent.emit(b",");
            }
            write_string(parent, &keys[key.clone()]);
            parent.emit(b":");
            if !overflowed {
                parent.copy(&values[value.clone()]);
            }
        }
        parent.emit(b"}");
        if wrap_variant.is_some() {
            parent.emit(b"}");
        }
        Ok(())
    }
}

/// A sequence under construction (streams straight into the writer).
struct SeqWriter<'a, 'c, S: ByteSink> {
    w: &'a mut Writer<'c, S>,
    first: bool,
    /// For `{"Variant": [...]}` tuple variants.
    wrapped: bool,
}

impl<'a, 'c, S: ByteSink> SeqWriter<'a, 'c, S> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
        if !self.first {
            self.w.emit(b",");
        }
        self.first = false;
        value.serialize(Canon { w: &mut *self.w })
    }

    fn close(self) -> Result<(), CanonicalError> {
        self.w.emit(b"]");
        if self.wrapped {
            self.w.emit(b"}");
        }
        Ok(())
    }
}

impl<'a, 'c, S: ByteSink> ser::Serializer for Canon<'a, 'c, S> {
    type Ok = ();
    type Error = CanonicalError;
    type SerializeSeq = SeqWriter<'a, 'c, S>;
    type SerializeTuple = SeqWriter<'a, 'c, S>;
    type SerializeTupleStruct = SeqWriter<'a, 'c, S>;
    type SerializeTupleVariant = SeqWriter<'a, 'c, S>;
    type SerializeMap = ObjectBuffer<'a, 'c, S>;
    type SerializeStruct = ObjectBuffer<'a, 'c, S>;
    type SerializeStructVariant = ObjectBuffer<'a, 'c, S>;

    fn serialize_bool(self, v: bool) -> Result<(), CanonicalError> {
        self.w.emit(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), CanonicalError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), CanonicalError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), CanonicalError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), CanonicalError> {
        self.integer(itoa::Buffer::new().format(v))
    }
    fn serialize_i128(self, v: i128) -> Result<(), CanonicalError> {
        self.integer(itoa::Buffer::new().format(v))
    }
    fn serialize_u8(self, v: u8) -> Result<(), CanonicalError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), CanonicalError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), CanonicalError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), CanonicalError> {
        self.integer(itoa::Buffer::new().format(v))
    }
    fn serialize_u128(self, v: u128) -> Result<(), CanonicalError> {
        self.integer(itoa::Buffer::new().format(v))
    }
    fn serialize_f32(self, v: f32) -> Result<(), CanonicalError> {
        write_f64(self.w, f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), CanonicalError> {
        write_f64(self.w, v)
    }
    fn serialize_char(self, v: char) -> Result<(), CanonicalError> {
        write_string(self.w, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), CanonicalError> {
        write_string(self.w, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), CanonicalError> {
        let mut seq = SeqWriter { w: self.w, first: true, wrapped: false };
        seq.w.emit(b"[");
        for byte in v {
            seq.element(byte)?;
        }
        seq.close()
    }
    fn serialize_none(self) -> Result<(), CanonicalError> {
        self.w.emit(b"null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), CanonicalError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), CanonicalError> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), CanonicalError> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), CanonicalError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.w.emit(b"{");
        write_string(self.w, variant);
        self.w.emit(b":");
        value.serialize(Canon { w: &mut *self.w })?;
        self.w.emit(b"}");
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, CanonicalError> {
        self.w.emit(b"[");
        Ok(SeqWriter { w: self.w, first: true, wrapped: false })
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, CanonicalError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, CanonicalError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, CanonicalError> {
        self.w.emit(b"{");
        write_string(self.w, variant);
        self.w.emit(b":[");
        Ok(SeqWriter { w: self.w, first: true, wrapped: true })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, CanonicalError> {
        Ok(ObjectBuffer::new(self.w, None))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, CanonicalError> {
        Ok(ObjectBuffer::new(self.w, None))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, CanonicalError> {
        Ok(ObjectBuffer::new(self.w, Some(variant)))
    }
}

macro_rules! seq_impl {
    ($trait:ident, $method:ident) => {
        impl<'a, 'c, S: ByteSink> ser::$trait for SeqWriter<'a, 'c, S> {
            type Ok = ();
            type Error = CanonicalError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
                self.element(value)
            }
            fn end(self) -> Result<(), CanonicalError> {
                self.close()
            }
        }
    };
}

seq_impl!(SerializeSeq, serialize_element);
seq_impl!(SerializeTuple, serialize_element);
seq_impl!(SerializeTupleStruct, serialize_field);
seq_impl!(SerializeTupleVariant, serialize_field);

impl<'a, 'c, S: ByteSink> ser::SerializeMap for ObjectBuffer<'a, 'c, S> {
    type Ok = ();
    type Error = CanonicalError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CanonicalError> {
        let text = key.serialize(KeyText)?;
        self.pending_key = Some(self.push_key(&text));
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
        let key = self.pending_key.take().ok_or_else(|| CanonicalError::Other("map value without key".into()))?;
        self.push_value(key, value)
    }

    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

impl<'a, 'c, S: ByteSink> ser::SerializeStruct for ObjectBuffer<'a, 'c, S> {
    type Ok = ();
    type Error = CanonicalError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), CanonicalError> {
        let key = self.push_key(key);
        self.push_value(key, value)
    }

    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

impl<'a, 'c, S: ByteSink> ser::SerializeStructVariant for ObjectBuffer<'a, 'c, S> {
    type Ok = ();
    type Error = CanonicalError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), CanonicalError> {
        let key = self.push_key(key);
        self.push_value(key, value)
    }

    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

/// Turns a map key into its text: strings as is, integers as decimal text (as serde_json does).
struct KeyText;

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = CanonicalError;
    type SerializeSeq = Impossible<String, CanonicalError>;
    type SerializeTuple = Impossible<String, CanonicalError>;
    type SerializeTupleStruct = Impossible<String, CanonicalError>;
    type SerializeTupleVariant = Impossible<String, CanonicalError>;
    type SerializeMap = Impossible<String, CanonicalError>;
    type SerializeStruct = Impossible<String, CanonicalError>;
    type SerializeStructVariant = Impossible<String, CanonicalError>;

    fn serialize_str(self, v: &str) -> Result<String, CanonicalError> {
        Ok(v.to_owned())
    }
    fn serialize_char(self, v: char) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }
    fn serialize_unit_variant(
        self,
        _n: &'static str,
        _i: u32,
        variant: &'static str,
    ) -> Result<String, CanonicalError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _n: &'static str,
        value: &T,
    ) -> Result<String, CanonicalError> {
        value.serialize(self)
    }
    fn serialize_i8(self, v: i8) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, CanonicalError> {
        Ok(v.to_string())
    }
    fn serialize_bool(self, _v: bool) -> Result<String, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_f32(self, _v: f32) -> Result<String, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_f64(self, _v: f64) -> Result<String, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_none(self) -> Result<String, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_unit(self) -> Result<String, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_unit_struct(self, _n: &'static str) -> Result<String, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _n: &'static str,
        _i: u32,
        _v: &'static str,
        _value: &T,
    ) -> Result<String, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_tuple_struct(
        self,
        _n: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_tuple_variant(
        self,
        _n: &'static str,
        _i: u32,
        _v: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_struct(self, _n: &'static str, _len: usize) -> Result<Self::SerializeStruct, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
    fn serialize_struct_variant(
        self,
        _n: &'static str,
        _i: u32,
        _v: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, CanonicalError> {
        Err(CanonicalError::KeyNotString)
    }
}
