//! The binary model file: a safetensors file whose tensors are the model's arrays
//! (little-endian `F64`) and whose `__metadata__` holds the rest of the model file as JSON
//! (see the [module documentation](super) for the layout).

use super::tensors::{self, tensor_ref, Node, Tensor};
use super::{check_header, ModelFile, MODEL_FORMAT};
use crate::data::FittedTransform;
use crate::error::{NeonError, Result};
use crate::models::{DiagonalKde, FittedModel, GaussianMixture, KMeans, Kde, OneClassSvm};
use safetensors::tensor::{Metadata, TensorInfo};
use safetensors::{Dtype, SafeTensorError, SafeTensors};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Version of the binary layout (the metadata keys and how arrays are referenced) this build
/// writes and reads; the model file inside has its own [`super::MODEL_VERSION`].
pub const BINARY_VERSION: u32 = 1;

/// Metadata key of the format tag, [`MODEL_FORMAT`].
pub const FORMAT_KEY: &str = "format";
/// Metadata key of the binary layout version, [`BINARY_VERSION`] in decimal.
pub const LAYOUT_KEY: &str = "layout_version";
/// Metadata key of the library and version that wrote the file.
pub const PRODUCER_KEY: &str = "producer";
/// Metadata key of the model file's JSON, arrays replaced by `{"$tensor": NAME}`.
pub const MODEL_FILE_KEY: &str = "model_file";

/// Whether `bytes` start as a safetensors file does: an 8-byte little-endian header length
/// (below 2^56, so its last byte is 0 — never in JSON text) followed by `{`.
pub(super) fn looks_binary(bytes: &[u8]) -> bool {
    bytes.len() > 8 && bytes[7] == 0 && bytes[8] == b'{'
}

/// Encode a model file as safetensors bytes. The header is written here rather than by
/// `safetensors::serialize` so that the same model always gives the same bytes (that one
/// writes the metadata in hash order): `__metadata__` first, then the tensors in document
/// order, data offsets increasing; [`decode`] reads it with the `safetensors` crate.
pub(super) fn encode(model: &ModelFile) -> Result<Vec<u8>> {
    let format_error = |reason: String| NeonError::ModelFormat {
        file: "<memory>".into(),
        reason,
    };
    let (json, tensors) = tensors::extract(model).map_err(|e| format_error(e.to_string()))?;
    let text = serde_json::to_string(&json).map_err(|e| format_error(e.to_string()))?;
    let mut metadata = serde_json::Map::new();
    metadata.insert(FORMAT_KEY.into(), MODEL_FORMAT.into());
    metadata.insert(LAYOUT_KEY.into(), BINARY_VERSION.to_string().into());
    metadata.insert(PRODUCER_KEY.into(), model.producer.clone().into());
    metadata.insert(MODEL_FILE_KEY.into(), text.into());
    let mut header = serde_json::Map::new();
    header.insert("__metadata__".into(), Value::Object(metadata));
    let mut offset = 0usize;
    for Tensor { name, shape, bytes } in &tensors {
        let end = offset + bytes.len();
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "F64", "shape": shape, "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut header =
        serde_json::to_vec(&Value::Object(header)).map_err(|e| format_error(e.to_string()))?;
    // the data starts 8-byte aligned, as safetensors writes it
    header.resize(header.len().div_ceil(8) * 8, b' ');
    let mut out = Vec::with_capacity(8 + header.len() + offset);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(&header);
    for tensor in &tensors {
        out.extend_from_slice(&tensor.bytes);
    }
    Ok(out)
}

/// Decode and check safetensors bytes; `file` names them in errors.
pub(super) fn decode(bytes: &[u8], file: &str) -> Result<ModelFile> {
    let format_error = |reason: String| NeonError::ModelFormat {
        file: file.to_string(),
        reason,
    };
    let (header_len, metadata) = read_metadata(bytes).map_err(format_error)?;
    let fields = metadata
        .metadata()
        .as_ref()
        .filter(|m| m.get(FORMAT_KEY).map(String::as_str) == Some(MODEL_FORMAT))
        .ok_or_else(|| {
            format_error(format!(
                "a safetensors file, but not a neon model (no \"{FORMAT_KEY}\": \
                 \"{MODEL_FORMAT}\" in its __metadata__)"
            ))
        })?;
    let layout = fields
        .get(LAYOUT_KEY)
        .ok_or_else(|| format_error(format!("no \"{LAYOUT_KEY}\" in the __metadata__")))?;
    if layout.parse::<u32>().ok() != Some(BINARY_VERSION) {
        return Err(format_error(format!(
            "binary layout version {layout} is not supported (this neon reads layout version \
             {BINARY_VERSION}); write the model again with this neon, or as JSON"
        )));
    }
    let text = fields
        .get(MODEL_FILE_KEY)
        .ok_or_else(|| format_error(format!("no \"{MODEL_FILE_KEY}\" in the __metadata__")))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format_error(format!("\"{MODEL_FILE_KEY}\" in the __metadata__: {e}")))?;
    check_header(&value, file)?;

    let data = bytes.get(8 + header_len..).unwrap_or_default();
    let arrays = tensor_data(&metadata, data).map_err(format_error)?;
    check_references(&value, &metadata, &arrays).map_err(format_error)?;

    let node = Node::new(&value, &arrays);
    let head = Head::deserialize(node).map_err(|e| format_error(e.to_string()))?;
    let model = value
        .get("model")
        .ok_or_else(|| format_error("missing field `model`".into()))
        .and_then(|v| deserialize_model(v, &arrays).map_err(|e| format_error(e.to_string())))?;
    let model_file = ModelFile {
        format: head.format,
        version: head.version,
        producer: head.producer,
        feature_names: head.feature_names,
        transform: head.transform,
        model,
    };
    model_file.check(file)?;
    Ok(model_file)
}

/// The small fields of a model file (everything but the model).
#[derive(Deserialize)]
struct Head {
    format: String,
    version: u32,
    #[serde(default)]
    producer: String,
    feature_names: Vec<String>,
    transform: FittedTransform,
}

/// The model kinds [`deserialize_model`] reads directly, by their tag in model files.
const DIRECT_KINDS: [&str; 5] = ["kde", "kmeans", "ocsvm", "gmm", "kde-diagonal"];

/// Deserialise the tagged model. Known kinds are read straight into their type (serde's
/// internally tagged enums would first buffer every number of the model); any other kind
/// takes the general path.
fn deserialize_model(
    value: &Value,
    arrays: &HashMap<String, &[u8]>,
) -> std::result::Result<FittedModel, serde_json::Error> {
    let kind = value.get("kind").and_then(Value::as_str);
    let fields = match (kind, value) {
        (Some(kind), Value::Object(map)) if DIRECT_KINDS.contains(&kind) => {
            let mut map = map.clone();
            map.shift_remove("kind");
            Value::Object(map)
        }
        _ => return FittedModel::deserialize(Node::new(value, arrays)),
    };
    let node = Node::new(&fields, arrays);
    match kind {
        Some("kde") => Kde::deserialize(node).map(FittedModel::Kde),
        Some("kmeans") => KMeans::deserialize(node).map(FittedModel::Kmeans),
        Some("ocsvm") => OneClassSvm::deserialize(node).map(FittedModel::Ocsvm),
        Some("gmm") => GaussianMixture::deserialize(node).map(FittedModel::Gmm),
        Some("kde-diagonal") => DiagonalKde::deserialize(node).map(FittedModel::KdeDiagonal),
        _ => FittedModel::deserialize(Node::new(value, arrays)),
    }
}

/// Read the safetensors header, with errors that say what is wrong with the file.
fn read_metadata(bytes: &[u8]) -> std::result::Result<(usize, Metadata), String> {
    let Some(length) = bytes.get(..8) else {
        return Err(format!(
            "truncated: {} bytes, shorter than the 8-byte header length a safetensors file \
             starts with",
            bytes.len()
        ));
    };
    let mut le = [0u8; 8];
    le.copy_from_slice(length);
    let declared = u64::from_le_bytes(le);
    let available = (bytes.len() - 8) as u64;
    if declared > available {
        return Err(format!(
            "truncated: the safetensors header is {declared} bytes long but only {available} \
             bytes follow the header length"
        ));
    }
    SafeTensors::read_metadata(bytes).map_err(|e| describe(e, bytes, declared as usize))
}

/// What a safetensors error means for the file.
fn describe(error: SafeTensorError, bytes: &[u8], header_len: usize) -> String {
    let header = &bytes[8..8 + header_len];
    match error {
        SafeTensorError::MetadataIncompleteBuffer => {
            let have = bytes.len() - 8 - header_len;
            let need = data_end(header);
            match need {
                Some(need) if need > have => format!(
                    "truncated: the tensors need {need} bytes after the header, the file holds \
                     {have}"
                ),
                Some(need) => format!(
                    "{} unexpected bytes after the end of the tensor data",
                    have - need
                ),
                None => "the tensor data does not fill the file (corrupted file)".into(),
            }
        }
        SafeTensorError::InvalidHeader => "the safetensors header is not UTF-8 text \
                                           (corrupted file)"
            .into(),
        SafeTensorError::InvalidHeaderDeserialization => {
            let detail = match serde_json::from_slice::<Value>(header) {
                Err(e) => e.to_string(),
                Ok(_) => "JSON, but not a description of tensors".into(),
            };
            format!("the safetensors header is not valid: {detail} (corrupted file)")
        }
        SafeTensorError::HeaderTooLarge => format!(
            "the safetensors header declares {header_len} bytes, more than safetensors \
             allows (corrupted file)"
        ),
        SafeTensorError::InvalidOffset(name) => {
            format!("tensor '{name}' has invalid data offsets (corrupted file)")
        }
        SafeTensorError::TensorInvalidInfo => {
            "a tensor's shape and dtype do not match its data offsets (corrupted file)".into()
        }
        SafeTensorError::ValidationOverflow => {
            "a tensor's shape is too large to address (corrupted file)".into()
        }
        other => format!("not a valid safetensors file: {other}"),
    }
}

/// The end of the tensor data the header describes, if it can be read.
fn data_end(header: &[u8]) -> Option<usize> {
    let header: serde_json::Map<String, Value> = serde_json::from_slice(header).ok()?;
    header
        .iter()
        .filter(|(name, _)| name.as_str() != "__metadata__")
        .map(|(_, info)| {
            info.get("data_offsets")?
                .get(1)?
                .as_u64()
                .and_then(|e| usize::try_from(e).ok())
        })
        .try_fold(0usize, |end, e| Some(end.max(e?)))
}

/// The bytes of every tensor, by name; each must be `F64` and hold finite numbers only (JSON
/// model files cannot hold others).
fn tensor_data<'a>(
    metadata: &'a Metadata,
    data: &'a [u8],
) -> std::result::Result<HashMap<String, &'a [u8]>, String> {
    let mut arrays = HashMap::new();
    let mut names: Vec<_> = metadata.tensors().into_iter().collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, info) in names {
        let TensorInfo {
            dtype,
            shape,
            data_offsets: (start, end),
        } = info;
        if *dtype != Dtype::F64 {
            return Err(format!(
                "tensor '{name}' has dtype {dtype:?}; neon model files store F64"
            ));
        }
        let bytes = data
            .get(*start..*end)
            .ok_or_else(|| format!("tensor '{name}' lies outside the file (corrupted file)"))?;
        if let Some((i, v)) = bytes
            .chunks_exact(8)
            .map(|c| {
                let mut le = [0u8; 8];
                le.copy_from_slice(c);
                f64::from_le_bytes(le)
            })
            .enumerate()
            .find(|(_, v)| !v.is_finite())
        {
            return Err(format!(
                "tensor '{name}' holds the non-finite value {v} at {} (model files hold finite \
                 numbers only)",
                position(i, shape)
            ));
        }
        arrays.insert(name, bytes);
    }
    Ok(arrays)
}

/// `row r, column c` of a matrix (or the index path of another shape) of flat index `i`.
fn position(i: usize, shape: &[usize]) -> String {
    let mut rest = i;
    let mut index = vec![0; shape.len()];
    for (k, &d) in shape.iter().enumerate().rev() {
        if d > 0 {
            index[k] = rest % d;
            rest /= d;
        }
    }
    match index.as_slice() {
        [r, c] => format!("row {r}, column {c}"),
        _ => format!("index {index:?}"),
    }
}

/// Check the tensor references of the model file against the tensors: each names a tensor of
/// the file, no tensor is referred to twice or not at all, and an array's `dim` is the shape
/// of its tensor.
fn check_references(
    value: &Value,
    metadata: &Metadata,
    arrays: &HashMap<String, &[u8]>,
) -> std::result::Result<(), String> {
    fn walk<'v>(
        value: &'v Value,
        metadata: &Metadata,
        used: &mut HashSet<&'v str>,
    ) -> std::result::Result<(), String> {
        match value {
            Value::Array(items) => items.iter().try_for_each(|v| walk(v, metadata, used)),
            Value::Object(map) => {
                if let Some(name) = tensor_ref(map) {
                    if metadata.info(name).is_none() {
                        return Err(format!(
                            "the model refers to tensor '{name}', which the file does not hold"
                        ));
                    }
                    if !used.insert(name) {
                        return Err(format!("tensor '{name}' is referred to twice"));
                    }
                    return Ok(());
                }
                if let (Some(Value::Object(data)), Some(dim)) = (map.get("data"), map.get("dim")) {
                    if let Some(name) = tensor_ref(data) {
                        let shape = metadata.info(name).map(|i| i.shape.as_slice());
                        let dim: Option<Vec<usize>> = dim.as_array().and_then(|d| {
                            d.iter()
                                .map(|x| x.as_u64().and_then(|x| usize::try_from(x).ok()))
                                .collect()
                        });
                        if let (Some(shape), Some(dim)) = (shape, &dim) {
                            if shape != dim.as_slice() {
                                return Err(format!(
                                    "tensor '{name}' has shape {shape:?} but the model gives \
                                     its array the shape {dim:?}"
                                ));
                            }
                        }
                    }
                }
                map.values().try_for_each(|v| walk(v, metadata, used))
            }
            _ => Ok(()),
        }
    }
    let mut used = HashSet::new();
    walk(value, metadata, &mut used)?;
    let mut unused: Vec<_> = arrays
        .keys()
        .filter(|n| !used.contains(n.as_str()))
        .collect();
    unused.sort();
    match unused.first() {
        Some(name) => Err(format!(
            "tensor '{name}' is not referred to by the model (corrupted file)"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::REGISTRY;
    use ndarray::Array2;

    /// Every model of the registry is read without serde's buffering of tagged enums.
    #[test]
    fn every_registry_model_is_read_directly() {
        let points = Array2::from_shape_fn((30, 3), |(i, j)| {
            ((i * 7 + j * 3) % 11) as f64 + 0.1 * (i as f64).sin()
        });
        for entry in REGISTRY {
            let model = (entry.fit_default)(points.view()).expect("fit");
            let value = serde_json::to_value(&model).expect("to value");
            let kind = value.get("kind").and_then(Value::as_str).expect("kind");
            assert!(DIRECT_KINDS.contains(&kind), "{}: kind {kind}", entry.name);
        }
    }

    #[test]
    fn positions_name_row_and_column() {
        assert_eq!(position(7, &[3, 4]), "row 1, column 3");
        assert_eq!(position(5, &[2, 2, 2]), "index [1, 0, 1]");
    }
}
