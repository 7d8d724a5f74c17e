//! Model files, written by `neon fit` and read by every command that takes `--model`: the
//! feature names, the fitted transform and the fitted model (training data, centroids,
//! support vectors), in one of two encodings of the same document.
//!
//! - **JSON** (any other extension, `model.json`): the versioned document
//!   `{"format": "neon-model", "version": 1, "producer", "feature_names", "transform",
//!   "model"}` (`schemas/model.schema.json`), arrays written as ndarray's
//!   `{"v": 1, "dim": [rows, cols], "data": [...]}`.
//! - **Binary** (extension `.safetensors`, [`BINARY_EXTENSION`]): a
//!   [safetensors](https://github.com/huggingface/safetensors) file. Every non-empty `f64`
//!   array of the document is a little-endian `F64` tensor named by its JSON path
//!   (`model.points`, `model.centroids`, `model.support_vectors`, `model.means`,
//!   `model.covariances`), and the safetensors `__metadata__` holds the strings
//!   `format` (`"neon-model"`), `layout_version` (the binary layout, [`BINARY_VERSION`]),
//!   `producer`, and `model_file`: the JSON document above with the `data` of each such array
//!   replaced by `{"$tensor": NAME}`. Loading parses only that small JSON and copies each
//!   tensor's bytes into its array, so a model of 10^6 × 16 training points loads in a
//!   fraction of a second (JSON needs several seconds to parse 16 M numbers). Any
//!   safetensors reader (`safetensors.numpy.load_file`) reads the arrays.
//!
//! [`ModelFile::load`] recognises the encoding by content (the safetensors header: an 8-byte
//! little-endian length, then `{`), falling back to the extension; [`ModelFile::save`] picks it
//! by extension. Both encodings go through the same checks (format tag, versions, feature
//! names, transform, the model's own validation); the binary one also checks that every
//! tensor is `F64`, finite, of the shape its array declares and referred to exactly once, and
//! names the file and what is wrong when it is truncated or corrupted.

mod binary;
mod tensors;

pub use binary::{BINARY_VERSION, FORMAT_KEY, LAYOUT_KEY, MODEL_FILE_KEY, PRODUCER_KEY};

use crate::data::FittedTransform;
use crate::error::{NeonError, Result};
use crate::models::FittedModel;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Format tag of neon model files.
pub const MODEL_FORMAT: &str = "neon-model";
/// Version of the model file layout this build writes and reads.
pub const MODEL_VERSION: u32 = 1;

/// What [`ModelFile::producer`] records: this library's package name and version.
pub const PRODUCER: &str = concat!(env!("CARGO_PKG_NAME"), " ", env!("CARGO_PKG_VERSION"));

/// Extension (without the dot) that selects the binary encoding when saving.
pub const BINARY_EXTENSION: &str = "safetensors";

/// The two encodings of a model file (see the [module documentation](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelEncoding {
    /// The JSON document.
    Json,
    /// A safetensors file: the arrays as `F64` tensors, the rest as JSON in its metadata.
    Safetensors,
}

impl ModelEncoding {
    /// The encoding a file name asks for: [`ModelEncoding::Safetensors`] for the extension
    /// [`BINARY_EXTENSION`] (any case), JSON otherwise.
    pub fn for_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case(BINARY_EXTENSION) => ModelEncoding::Safetensors,
            _ => ModelEncoding::Json,
        }
    }

    /// The encoding of `bytes`, recognised by content: a safetensors header, or JSON text
    /// (first non-blank byte `{`); `None` when neither.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if binary::looks_binary(bytes) {
            return Some(ModelEncoding::Safetensors);
        }
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Some(ModelEncoding::Json),
            _ => None,
        }
    }
}

/// A fitted model with everything needed to apply it to raw data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Always [`MODEL_FORMAT`].
    pub format: String,
    /// Layout version, [`MODEL_VERSION`].
    pub version: u32,
    /// The library and version that wrote the file (`neon 0.1.0`); empty in files written
    /// before it was recorded.
    #[serde(default)]
    pub producer: String,
    /// Feature (column) names, in model order.
    pub feature_names: Vec<String>,
    /// Transform from raw values to model space.
    pub transform: FittedTransform,
    /// The model.
    pub model: FittedModel,
}

impl ModelFile {
    /// Bundle a fitted model with its feature names and transform.
    pub fn new(feature_names: Vec<String>, transform: FittedTransform, model: FittedModel) -> Self {
        ModelFile {
            format: MODEL_FORMAT.to_string(),
            version: MODEL_VERSION,
            producer: PRODUCER.to_string(),
            feature_names,
            transform,
            model,
        }
    }

    /// Serialise to pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| NeonError::ModelFormat {
            file: "<memory>".into(),
            reason: e.to_string(),
        })
    }

    /// Encode as a binary (safetensors) model file: the arrays as little-endian `F64`
    /// tensors, the rest as JSON in the metadata (see the [module documentation](self)).
    pub fn to_safetensors(&self) -> Result<Vec<u8>> {
        binary::encode(self)
    }

    /// Decode and check a binary (safetensors) model file; `file` names it in errors.
    pub fn from_safetensors(bytes: &[u8], file: &str) -> Result<Self> {
        binary::decode(bytes, file)
    }

    /// Encode in `encoding`.
    pub fn to_bytes(&self, encoding: ModelEncoding) -> Result<Vec<u8>> {
        match encoding {
            ModelEncoding::Json => self.to_json().map(String::into_bytes),
            ModelEncoding::Safetensors => self.to_safetensors(),
        }
    }

    /// Decode and check a model file in either encoding, recognised by content
    /// ([`ModelEncoding::sniff`]), else `fallback`; `file` names it in errors.
    pub fn from_bytes(bytes: &[u8], fallback: ModelEncoding, file: &str) -> Result<Self> {
        match ModelEncoding::sniff(bytes).unwrap_or(fallback) {
            ModelEncoding::Safetensors => Self::from_safetensors(bytes, file),
            ModelEncoding::Json => {
                let text = std::str::from_utf8(bytes).map_err(|e| NeonError::ModelFormat {
                    file: file.to_string(),
                    reason: format!("neither JSON text nor a safetensors file ({e})"),
                })?;
                Self::from_json(text, file)
            }
        }
    }

    /// Write atomically to `path`: binary for the extension [`BINARY_EXTENSION`]
    /// (`model.safetensors`), JSON otherwise.
    pub fn save(&self, path: &Path) -> Result<()> {
        self.save_as(path, ModelEncoding::for_path(path))
    }

    /// Write atomically to `path` in `encoding`, whatever its extension.
    pub fn save_as(&self, path: &Path, encoding: ModelEncoding) -> Result<()> {
        let bytes = self.to_bytes(encoding)?;
        crate::io::write_atomic(path, &bytes).map_err(|e| NeonError::io(path, e))
    }

    /// Read and check a model file in either encoding, recognised by content (else by the
    /// extension of `path`).
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| NeonError::io(path, e))?;
        Self::from_bytes(
            &bytes,
            ModelEncoding::for_path(path),
            &path.display().to_string(),
        )
    }

    /// Parse and check a model document; `file` names it in errors.
    pub fn from_json(text: &str, file: &str) -> Result<Self> {
        let format_error = |reason: String| NeonError::ModelFormat {
            file: file.to_string(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format_error(e.to_string()))?;
        check_header(&value, file)?;
        let model: ModelFile =
            serde_json::from_value(value).map_err(|e| format_error(e.to_string()))?;
        model.check(file)?;
        Ok(model)
    }

    /// The checks of a decoded model file, in either encoding: feature names, transform,
    /// training data width and the model's own validation.
    fn check(&self, file: &str) -> Result<()> {
        let d = self.feature_names.len();
        let format_error = |reason: String| NeonError::ModelFormat {
            file: file.to_string(),
            reason,
        };
        if d == 0 {
            return Err(format_error(
                "no feature names (a model needs at least 1 feature)".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(name) = self.feature_names.iter().find(|n| !seen.insert(n.as_str())) {
            return Err(format_error(format!("feature name '{name}' appears twice")));
        }
        self.transform
            .check_width(d)
            .and_then(|()| self.transform.validate())
            .map_err(|e| format_error(e.to_string()))?;
        let points = self.model.training_points();
        if points.ncols() != d {
            return Err(format_error(format!(
                "{} feature names but training data has {} columns",
                d,
                points.ncols()
            )));
        }
        self.model
            .model()
            .validate()
            .map_err(|e| format_error(e.to_string()))?;
        Ok(())
    }
}

/// Check the format tag and version of a model document (the JSON file, or the JSON in a
/// binary file's metadata).
fn check_header(value: &serde_json::Value, file: &str) -> Result<()> {
    let format_error = |reason: String| NeonError::ModelFormat {
        file: file.to_string(),
        reason,
    };
    if value.get("format").and_then(|f| f.as_str()) != Some(MODEL_FORMAT) {
        return Err(format_error(format!(
            "not a neon model (missing \"format\": \"{MODEL_FORMAT}\")"
        )));
    }
    let version = value
        .get("version")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| format_error("missing \"version\"".into()))?;
    if version != u64::from(MODEL_VERSION) {
        return Err(NeonError::UnsupportedVersion {
            file: file.to_string(),
            found: u32::try_from(version).unwrap_or(u32::MAX),
            supported: MODEL_VERSION,
        });
    }
    Ok(())
}
