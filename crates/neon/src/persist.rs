//! Model files: a versioned JSON document holding the feature names, the fitted transform and
//! the fitted model (training data or centroids), written by `neon fit` and read by
//! `neon score` / `neon explain`.

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

    /// Write atomically to `path`.
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = self.to_json()?;
        crate::io::write_atomic(path, json.as_bytes()).map_err(|e| NeonError::io(path, e))
    }

    /// Read and check a model file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| NeonError::io(path, e))?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Parse and check a model document; `file` names it in errors.
    pub fn from_json(text: &str, file: &str) -> Result<Self> {
        let format_error = |reason: String| NeonError::ModelFormat {
            file: file.to_string(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format_error(e.to_string()))?;
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
        let model: ModelFile =
            serde_json::from_value(value).map_err(|e| format_error(e.to_string()))?;
        model.check(file)?;
        Ok(model)
    }

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
