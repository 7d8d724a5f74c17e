//! The serde bridge of the binary model format: [`extract`] serialises a value to a small
//! `serde_json::Value` in which the `data` of every non-empty `f64` ndarray array is replaced
//! by a reference `{"$tensor": NAME}` to a little-endian tensor taken out beside it, and
//! [`Node`] deserialises such a value back, reading each referenced tensor straight from its
//! bytes (the numbers never pass through a `serde_json::Value`).
//!
//! Arrays are recognised by the serde form ndarray gives them (a struct `Array` with the
//! fields `v`, `dim` and `data`), so every model of the registry is covered without a
//! per-model hook, and the models' own `Deserialize` implementations (with their checks) run
//! unchanged on load.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde::ser::{self, Impossible, Serialize, Serializer};
use serde_json::{Error, Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;

/// Key of a tensor reference: `{"$tensor": "model.points"}` stands for the tensor of that
/// name.
pub(crate) const TENSOR_KEY: &str = "$tensor";

/// Serde name of ndarray's arrays.
const NDARRAY_STRUCT: &str = "Array";

/// A tensor taken out of a model file: its name (the JSON path of the array, `model.points`),
/// shape and little-endian `f64` bytes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub bytes: Vec<u8>,
}

/// Serialise `value` to JSON with its non-empty `f64` ndarray arrays taken out as tensors
/// named by their path (`model.points`, `model.centroids`).
pub(crate) fn extract<T: Serialize + ?Sized>(value: &T) -> Result<(Value, Vec<Tensor>), Error> {
    let tensors = RefCell::new(Vec::new());
    let json = value.serialize(Ser {
        tensors: &tensors,
        path: &Path::Root,
    })?;
    Ok((json, tensors.into_inner()))
}

/// If `map` is a tensor reference, the tensor's name.
pub(crate) fn tensor_ref(map: &Map<String, Value>) -> Option<&str> {
    match (map.len(), map.get(TENSOR_KEY)) {
        (1, Some(Value::String(name))) => Some(name),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Serialisation

/// Where a value sits in the document, for tensor names.
enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn name(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Field(parent, key) => join(parent.name(), key),
            Path::Index(parent, i) => join(parent.name(), &i.to_string()),
        }
    }
}

fn join(parent: String, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// The serializer of [`extract`]: JSON values, with arrays diverted to tensors.
#[derive(Clone, Copy)]
struct Ser<'a> {
    tensors: &'a RefCell<Vec<Tensor>>,
    path: &'a Path<'a>,
}

impl<'a> Ser<'a> {
    fn child<'b>(&self, path: &'b Path<'b>) -> Ser<'b>
    where
        'a: 'b,
    {
        Ser {
            tensors: self.tensors,
            path,
        }
    }

    /// A unique tensor name for the array at this path.
    fn tensor_name(&self) -> String {
        let base = match self.path.name() {
            name if name.is_empty() => "tensor".to_string(),
            name => name,
        };
        let taken = |name: &str| self.tensors.borrow().iter().any(|t| t.name == name);
        let mut name = base.clone();
        let mut n = 1;
        while taken(&name) {
            n += 1;
            name = format!("{base}#{n}");
        }
        name
    }
}

fn json() -> serde_json::value::Serializer {
    serde_json::value::Serializer
}

impl<'a> Serializer for Ser<'a> {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqOut<'a>;
    type SerializeTuple = SeqOut<'a>;
    type SerializeTupleStruct = SeqOut<'a>;
    type SerializeTupleVariant = VariantOut<SeqOut<'a>>;
    type SerializeMap = MapOut<'a>;
    type SerializeStruct = StructOut<'a>;
    type SerializeStructVariant = VariantOut<StructOut<'a>>;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        json().serialize_bool(v)
    }
    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        json().serialize_i8(v)
    }
    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        json().serialize_i16(v)
    }
    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        json().serialize_i32(v)
    }
    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        json().serialize_i64(v)
    }
    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        json().serialize_i128(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        json().serialize_u8(v)
    }
    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        json().serialize_u16(v)
    }
    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        json().serialize_u32(v)
    }
    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        json().serialize_u64(v)
    }
    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        json().serialize_u128(v)
    }
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        json().serialize_f32(v)
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        json().serialize_f64(v)
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        json().serialize_char(v)
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        json().serialize_str(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        json().serialize_bytes(v)
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(Value::String(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        let path = Path::Field(self.path, variant);
        let inner = value.serialize(self.child(&path))?;
        let mut map = Map::new();
        map.insert(variant.to_string(), inner);
        Ok(Value::Object(map))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqOut<'a>, Error> {
        Ok(SeqOut {
            ser: self,
            variant: None,
            items: Vec::with_capacity(len.unwrap_or(0).min(4096)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqOut<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqOut<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantOut<SeqOut<'a>>, Error> {
        Ok(VariantOut {
            variant,
            inner: SeqOut {
                variant: Some(variant),
                ..self.serialize_seq(Some(len))?
            },
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapOut<'a>, Error> {
        Ok(MapOut {
            ser: self,
            map: Map::new(),
            key: None,
        })
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<StructOut<'a>, Error> {
        Ok(StructOut {
            ser: self,
            variant: None,
            map: Map::new(),
            array: name == NDARRAY_STRUCT,
        })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantOut<StructOut<'a>>, Error> {
        Ok(VariantOut {
            variant,
            inner: StructOut {
                variant: Some(variant),
                ..self.serialize_struct(variant, len)?
            },
        })
    }
}

/// A sequence being serialised.
struct SeqOut<'a> {
    ser: Ser<'a>,
    /// The variant a tuple variant's items sit under (a path segment).
    variant: Option<&'static str>,
    items: Vec<Value>,
}

impl SeqOut<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let under;
        let parent = match self.variant {
            Some(variant) => {
                under = Path::Field(self.ser.path, variant);
                &under
            }
            None => self.ser.path,
        };
        let path = Path::Index(parent, self.items.len());
        let item = value.serialize(self.ser.child(&path))?;
        self.items.push(item);
        Ok(())
    }
}

/// The sequence-like serde traits of [`SeqOut`] (sequences, tuples, tuple structs): each
/// element pushed, the whole an array.
macro_rules! seq_out_impl {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for SeqOut<'_> {
            type Ok = Value;
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.push(value)
            }
            fn end(self) -> Result<Value, Error> {
                Ok(Value::Array(self.items))
            }
        }
    )*};
}

seq_out_impl!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

/// A map being serialised (keys become JSON strings, as serde_json writes them).
struct MapOut<'a> {
    ser: Ser<'a>,
    map: Map<String, Value>,
    key: Option<String>,
}

impl ser::SerializeMap for MapOut<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        let key = match key.serialize(json())? {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(ser::Error::custom("a map key must be a string or a number")),
        };
        self.key = Some(key);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| <Error as ser::Error>::custom("map value without a key"))?;
        let path = Path::Field(self.ser.path, &key);
        let value = value.serialize(self.ser.child(&path))?;
        self.map.insert(key, value);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Object(self.map))
    }
}

/// A struct being serialised; an ndarray array's `data` goes to a tensor.
struct StructOut<'a> {
    ser: Ser<'a>,
    /// The variant a struct variant's fields sit under (a path segment).
    variant: Option<&'static str>,
    map: Map<String, Value>,
    array: bool,
}

impl StructOut<'_> {
    /// The shape the array's `dim` field gave, if it is one.
    fn shape(&self) -> Option<Vec<usize>> {
        self.map
            .get("dim")?
            .as_array()?
            .iter()
            .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
            .collect()
    }

    /// Take the `data` of an ndarray array out as a tensor: `Some` reference if it is a
    /// non-empty sequence of `f64` matching `dim`.
    fn divert<T: Serialize + ?Sized>(&mut self, value: &T) -> Option<Value> {
        let shape = self.shape()?;
        let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))?;
        if count == 0 {
            return None;
        }
        let mut bytes = Vec::with_capacity(count.checked_mul(8)?);
        value.serialize(F64Seq { bytes: &mut bytes }).ok()?;
        if bytes.len() != count * 8 {
            return None;
        }
        let name = self.ser.tensor_name();
        let mut reference = Map::new();
        reference.insert(TENSOR_KEY.to_string(), Value::String(name.clone()));
        self.ser
            .tensors
            .borrow_mut()
            .push(Tensor { name, shape, bytes });
        Some(Value::Object(reference))
    }
}

impl ser::SerializeStruct for StructOut<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let diverted = if self.array && key == "data" {
            self.divert(value)
        } else {
            None
        };
        let value = match diverted {
            Some(reference) => reference,
            None => {
                let under;
                let parent = match self.variant {
                    Some(variant) => {
                        under = Path::Field(self.ser.path, variant);
                        &under
                    }
                    None => self.ser.path,
                };
                let path = Path::Field(parent, key);
                value.serialize(self.ser.child(&path))?
            }
        };
        self.map.insert(key.to_string(), value);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Object(self.map))
    }
}

/// A tuple or struct variant: `{VARIANT: content}`, as serde_json writes it.
struct VariantOut<T> {
    variant: &'static str,
    inner: T,
}

fn wrap_variant(variant: &str, inner: Value) -> Value {
    let mut map = Map::new();
    map.insert(variant.to_string(), inner);
    Value::Object(map)
}

impl ser::SerializeTupleVariant for VariantOut<SeqOut<'_>> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.inner.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(wrap_variant(self.variant, Value::Array(self.inner.items)))
    }
}

impl ser::SerializeStructVariant for VariantOut<StructOut<'_>> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(wrap_variant(self.variant, Value::Object(self.inner.map)))
    }
}

/// Collects a sequence of `f64` as little-endian bytes; anything else is refused (and the
/// array then stays in the JSON).
struct F64Seq<'b> {
    bytes: &'b mut Vec<u8>,
}

fn not_f64() -> Error {
    ser::Error::custom("not a sequence of f64")
}

macro_rules! refuse {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, _: $ty) -> Result<Self::Ok, Error> {
            Err(not_f64())
        })*
    };
}

/// Everything but the sequence methods of a serializer refuses.
macro_rules! refuse_all_but_seq {
    () => {
        refuse! {
            serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
            serialize_i64(i64), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32),
            serialize_u64(u64), serialize_f32(f32), serialize_char(char),
            serialize_str(&str), serialize_bytes(&[u8]), serialize_unit_struct(&'static str),
        }
        fn serialize_none(self) -> Result<Self::Ok, Error> {
            Err(not_f64())
        }
        fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Self::Ok, Error> {
            Err(not_f64())
        }
        fn serialize_unit(self) -> Result<Self::Ok, Error> {
            Err(not_f64())
        }
        fn serialize_unit_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
        ) -> Result<Self::Ok, Error> {
            Err(not_f64())
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<Self::Ok, Error> {
            Err(not_f64())
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Error> {
            Err(not_f64())
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Error> {
            Err(not_f64())
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
            Err(not_f64())
        }
        fn serialize_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStruct, Error> {
            Err(not_f64())
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Error> {
            Err(not_f64())
        }
    };
}

impl<'b> Serializer for F64Seq<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    refuse_all_but_seq!();
    refuse! { serialize_f64(f64) }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Error> {
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, Error> {
        Ok(self)
    }
}

impl ser::SerializeSeq for F64Seq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let v = value.serialize(F64Only)?;
        self.bytes.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeTuple for F64Seq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

/// One element of an [`F64Seq`]: an `f64` and nothing else.
struct F64Only;

impl Serializer for F64Only {
    type Ok = f64;
    type Error = Error;
    type SerializeSeq = Impossible<f64, Error>;
    type SerializeTuple = Impossible<f64, Error>;
    type SerializeTupleStruct = Impossible<f64, Error>;
    type SerializeTupleVariant = Impossible<f64, Error>;
    type SerializeMap = Impossible<f64, Error>;
    type SerializeStruct = Impossible<f64, Error>;
    type SerializeStructVariant = Impossible<f64, Error>;

    refuse_all_but_seq!();

    fn serialize_f64(self, v: f64) -> Result<f64, Error> {
        Ok(v)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<f64, Error> {
        value.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(not_f64())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(not_f64())
    }
}

// ---------------------------------------------------------------------------------------------
// Deserialisation

/// A JSON value with tensor references, deserialised with the tensors put back in.
#[derive(Clone, Copy)]
pub(crate) struct Node<'a> {
    value: &'a Value,
    tensors: &'a HashMap<String, &'a [u8]>,
}

impl<'a> Node<'a> {
    /// `value` whose references name tensors of `tensors` (name to little-endian `f64`
    /// bytes, a multiple of 8 long).
    pub(crate) fn new(value: &'a Value, tensors: &'a HashMap<String, &'a [u8]>) -> Self {
        Node { value, tensors }
    }

    fn at(&self, value: &'a Value) -> Self {
        Node {
            value,
            tensors: self.tensors,
        }
    }

    fn tensor(&self, name: &str) -> Result<&'a [u8], Error> {
        self.tensors
            .get(name)
            .copied()
            .ok_or_else(|| de::Error::custom(format!("no tensor '{name}' in the file")))
    }
}

impl<'de> Deserializer<'de> for Node<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Array(items) => visitor.visit_seq(SeqIn {
                node: self,
                items: items.iter(),
            }),
            Value::Object(map) => match tensor_ref(map) {
                Some(name) => visitor.visit_seq(TensorIn {
                    chunks: self.tensor(name)?.chunks_exact(8),
                }),
                None => visitor.visit_map(MapIn {
                    node: self,
                    entries: map.iter(),
                    value: None,
                }),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            Value::Object(map) if map.len() == 1 => match map.iter().next() {
                Some((variant, value)) => visitor.visit_enum(EnumIn {
                    variant,
                    node: self.at(value),
                }),
                None => Err(de::Error::custom("empty enum object")),
            },
            other => Err(de::Error::invalid_type(unexpected(other), &"an enum")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(_) => de::Unexpected::Other("a number"),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

/// The items of a JSON array.
struct SeqIn<'a> {
    node: Node<'a>,
    items: std::slice::Iter<'a, Value>,
}

impl<'de> SeqAccess<'de> for SeqIn<'de> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.items
            .next()
            .map(|item| seed.deserialize(self.node.at(item)))
            .transpose()
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The numbers of a tensor, read from its little-endian bytes.
struct TensorIn<'a> {
    chunks: std::slice::ChunksExact<'a, u8>,
}

impl<'de> SeqAccess<'de> for TensorIn<'de> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.chunks.next() {
            Some(chunk) => {
                let bytes = <[u8; 8]>::try_from(chunk).map_err(de::Error::custom)?;
                let v = f64::from_le_bytes(bytes);
                seed.deserialize(v.into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.chunks.len())
    }
}

/// The entries of a JSON object.
struct MapIn<'a> {
    node: Node<'a>,
    entries: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'de> MapAccess<'de> for MapIn<'de> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(key.as_str().into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| <Error as de::Error>::custom("map value without a key"))?;
        seed.deserialize(self.node.at(value))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum written `{VARIANT: content}`.
struct EnumIn<'a> {
    variant: &'a str,
    node: Node<'a>,
}

impl<'de> EnumAccess<'de> for EnumIn<'de> {
    type Error = Error;
    type Variant = Node<'de>;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Node<'de>), Error> {
        let variant = seed.deserialize(self.variant.into_deserializer())?;
        Ok((variant, self.node))
    }
}

impl<'de> VariantAccess<'de> for Node<'de> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        match self.value {
            Value::Null => Ok(()),
            other => Err(de::Error::invalid_type(
                unexpected(other),
                &"a unit variant",
            )),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1, Array2};
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Shape {
        Unit,
        Newtype(Array1<f64>),
        Tuple(f64, Array2<f64>),
        Struct { a: Array2<f64> },
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "kind")]
    enum Tagged {
        One { m: Array2<f64> },
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Doc {
        name: String,
        maybe: Option<Array2<f64>>,
        none: Option<Array2<f64>>,
        counts: Array1<usize>,
        empty: Array2<f64>,
        shapes: Vec<Shape>,
        map: BTreeMap<String, Array2<f64>>,
        tagged: Tagged,
        plain: Vec<f64>,
        column_major: Array2<f64>,
    }

    fn doc() -> Doc {
        Doc {
            name: "doc".into(),
            maybe: Some(array![[1.0, -0.0], [f64::MIN_POSITIVE, 1e300]]),
            none: None,
            counts: array![1, 2, 3],
            empty: Array2::zeros((0, 4)),
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(array![0.5, 0.25]),
                Shape::Tuple(2.0, array![[3.0]]),
                Shape::Struct {
                    a: array![[1.0, 2.0, 3.0]],
                },
            ],
            map: BTreeMap::from([("k".to_string(), array![[7.0], [8.0]])]),
            tagged: Tagged::One {
                m: array![[0.1, 0.2]],
            },
            plain: vec![0.1, 0.2],
            column_major: array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]].reversed_axes(),
        }
    }

    /// Every `f64` array, wherever it sits, becomes a tensor named by its path and comes back
    /// bit for bit; other arrays stay JSON.
    #[test]
    fn arrays_anywhere_round_trip_through_tensors() {
        let original = doc();
        let (value, tensors) = extract(&original).expect("extract");
        let names: Vec<&str> = tensors.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "maybe",
                "shapes.1.Newtype",
                "shapes.2.Tuple.1",
                "shapes.3.Struct.a",
                "map.k",
                "tagged.m",
                "column_major"
            ]
        );
        assert!(value["counts"]["data"].is_array(), "usize arrays stay JSON");
        assert!(value["empty"]["data"].is_array(), "empty arrays stay JSON");
        assert_eq!(value["maybe"]["data"][TENSOR_KEY], "maybe");
        // logical (row-major) order, whatever the memory layout
        let column_major = &tensors[6];
        assert_eq!(column_major.shape, [3, 2]);
        assert_eq!(column_major.bytes[8..16], 4.0_f64.to_le_bytes());

        let arrays: HashMap<String, &[u8]> = tensors
            .iter()
            .map(|t| (t.name.clone(), t.bytes.as_slice()))
            .collect();
        let back = Doc::deserialize(Node::new(&value, &arrays)).expect("deserialize");
        assert_eq!(back, original);
        let bits = |m: &Option<Array2<f64>>| {
            m.iter()
                .flat_map(|m| m.iter().map(|v| v.to_bits()))
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&back.maybe), bits(&original.maybe));
        // the same document as serde_json writes, once the tensors are put back as numbers
        let plain = serde_json::to_value(&original).expect("json");
        let again = serde_json::to_value(&back).expect("json");
        assert_eq!(plain, again);
    }

    #[test]
    fn a_missing_tensor_is_an_error() {
        let (value, _) = extract(&doc()).expect("extract");
        let none = HashMap::new();
        let error = Doc::deserialize(Node::new(&value, &none)).expect_err("missing");
        assert!(error.to_string().contains("no tensor 'maybe'"), "{error}");
    }
}
