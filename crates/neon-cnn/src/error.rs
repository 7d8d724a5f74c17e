//! The one error type of `neon-cnn`: every variant carries the fields a caller needs to print a
//! precise message (the tensor's name, the expected and found shape, the offending path …).

use std::path::PathBuf;

/// Everything that can go wrong while loading weights or images, or while explaining.
#[derive(Debug, thiserror::Error)]
pub enum CnnError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not a valid instance of the format it claims to be.
    #[error("{path}: not a valid {format} file: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// `hdf5`, `pth`, `safetensors`, `npy` …
        format: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The weight file's extension (or content) does not tell which format it is.
    #[error("{path}: unknown weight format (expected .pth/.pt, .safetensors, .h5/.hdf5)")]
    UnknownWeightFormat {
        /// The file.
        path: PathBuf,
    },
    /// A tensor the network needs is not in the weight file.
    #[error("weights: tensor `{name}` is missing")]
    MissingTensor {
        /// The tensor's name in the file's naming scheme.
        name: String,
    },
    /// The weight file holds tensors of the feature extractor that the network does not have.
    #[error("weights: unexpected tensor(s) {}", names.join(", "))]
    UnexpectedTensors {
        /// Their names.
        names: Vec<String>,
    },
    /// A tensor has the wrong shape.
    #[error("weights: tensor `{name}` has shape {found:?}, expected {expected:?}")]
    ShapeMismatch {
        /// The tensor's name.
        name: String,
        /// The shape the network needs.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A tensor is stored with an element type we cannot convert to `f32`.
    #[error("weights: tensor `{name}` has unsupported element type {dtype}")]
    UnsupportedDtype {
        /// The tensor's name.
        name: String,
        /// The element type as the file names it.
        dtype: String,
    },
    /// The weight file uses neither the torchvision nor the Keras VGG-16 naming.
    #[error(
        "weights: found no VGG tensors (neither `features.N.weight` nor `blockB_convC`) in {path}"
    )]
    UnknownNaming {
        /// The file.
        path: PathBuf,
    },
    /// An image could not be decoded.
    #[error("image {path}: {reason}")]
    Image {
        /// The file.
        path: PathBuf,
        /// The decoder's message.
        reason: String,
    },
    /// An image side is below the network's minimum.
    #[error("image is {width}x{height} px; each side must be at least {min} px for VGG-16 (five 2x2 poolings)")]
    ImageTooSmall {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
        /// Minimum side.
        min: usize,
    },
    /// A name (layer, preset, rule, preprocessing) is not known.
    #[error("unknown {kind} `{name}`; known: {}", known.join(", "))]
    UnknownName {
        /// `layer`, `preset`, `rule`, `preprocessing`, `target`.
        kind: &'static str,
        /// The name given.
        name: String,
        /// The names that exist.
        known: Vec<String>,
    },
    /// A hyperparameter is out of its valid range.
    #[error("invalid {name}: {reason}")]
    InvalidParameter {
        /// The parameter (`gamma`, `n_clusters`, …).
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// An array has a shape the operation cannot take.
    #[error("{what}: got shape {found:?}, expected {expected}")]
    BadShape {
        /// Which array.
        what: &'static str,
        /// Its shape.
        found: Vec<usize>,
        /// What was expected, in words.
        expected: String,
    },
    /// The requested location is outside the feature map.
    #[error("location ({i}, {j}) is outside the {height}x{width} feature map")]
    LocationOutOfRange {
        /// Row.
        i: usize,
        /// Column.
        j: usize,
        /// Feature-map height.
        height: usize,
        /// Feature-map width.
        width: usize,
    },
    /// Too few locations to fit the model.
    #[error("{model} needs at least {needed} feature-map locations, got {found} (a larger image, or the conv5_3 cut layer, gives more)")]
    TooFewLocations {
        /// `kde` or `kmeans`.
        model: &'static str,
        /// Minimum.
        needed: usize,
        /// Given.
        found: usize,
    },
    /// The core model (`neon`: KDE, k-means, random features, the Appendix A rules) refused a
    /// parameter or the data; the message names the parameter as the chapter does.
    #[error("{0}")]
    Model(#[from] neon_xai::NeonError),
    /// Writing an output failed.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, CnnError>;

impl CnnError {
    /// Shorthand for a [`CnnError::Format`] error.
    pub(crate) fn format(
        path: &std::path::Path,
        format: &'static str,
        reason: impl Into<String>,
    ) -> Self {
        CnnError::Format {
            path: path.to_path_buf(),
            format,
            reason: reason.into(),
        }
    }

    /// Shorthand for a [`CnnError::InvalidParameter`] error.
    pub(crate) fn param(name: &'static str, reason: impl Into<String>) -> Self {
        CnnError::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}
