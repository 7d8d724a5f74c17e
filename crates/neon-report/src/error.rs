//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong while embedding, drawing or writing a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A chart, embedding or heatmap was given no data.
    #[error("{what} is empty")]
    Empty {
        /// What was empty ("bar chart series", "t-SNE input", …).
        what: &'static str,
    },

    /// Two inputs that must have the same length (or shape) do not.
    #[error("{what}: expected {expected} values, found {found}")]
    LengthMismatch {
        /// Which input has the wrong length.
        what: String,
        /// The length implied by the other inputs.
        expected: usize,
        /// The length found.
        found: usize,
    },

    /// An input contains NaN or an infinity.
    #[error("{what} contains a non-finite value at index {index}")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// Flat index of the first offending value.
        index: usize,
    },

    /// A value lies outside the range that the parameter allows.
    #[error("{what} must lie in {range}, got {value}")]
    OutOfRange {
        /// Which parameter.
        what: &'static str,
        /// The allowed range, in words.
        range: &'static str,
        /// The value given.
        value: f64,
    },

    /// t-SNE needs `3 · perplexity < n_samples`.
    #[error(
        "perplexity {perplexity} is too large for {n_samples} samples (need 3 · perplexity < n_samples)"
    )]
    PerplexityTooLarge {
        /// The requested perplexity.
        perplexity: f64,
        /// The number of rows in the data.
        n_samples: usize,
    },

    /// A category index has no colour or name.
    #[error(
        "category {category} of point {index} has no entry among {n_categories} category names"
    )]
    UnknownCategory {
        /// Index of the point.
        index: usize,
        /// Its category.
        category: usize,
        /// How many category names were given.
        n_categories: usize,
    },

    /// A highlighted point index does not exist.
    #[error("highlighted point {index} is out of range for {n_points} points")]
    PointOutOfRange {
        /// The index asked for.
        index: usize,
        /// How many points there are.
        n_points: usize,
    },

    /// The model could not score or explain the rows (bad data, parameters, …).
    #[error(transparent)]
    Model(#[from] neon_xai::NeonError),

    /// Image and heatmap sizes disagree.
    #[error("image is {image_height}×{image_width} pixels but the heatmap is {heat_height}×{heat_width}")]
    ShapeMismatch {
        /// Image height in pixels.
        image_height: usize,
        /// Image width in pixels.
        image_width: usize,
        /// Heatmap rows.
        heat_height: usize,
        /// Heatmap columns.
        heat_width: usize,
    },

    /// An image array does not have three colour channels.
    #[error("an RGB image needs 3 channels, found {found}")]
    NotRgb {
        /// The number of channels found.
        found: usize,
    },

    /// A figure size is degenerate.
    #[error("figure size {width}×{height} is too small (at least {min}×{min} pixels)")]
    FigureTooSmall {
        /// Requested width in pixels.
        width: u32,
        /// Requested height in pixels.
        height: u32,
        /// The smallest side allowed.
        min: u32,
    },

    /// The plotting library failed while drawing.
    #[error("drawing failed: {0}")]
    Draw(String),

    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),

    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file that could not be written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Map any plotting error into [`ReportError::Draw`].
pub(crate) fn draw_err<E: std::fmt::Display>(error: E) -> ReportError {
    ReportError::Draw(error.to_string())
}

/// Check that every value is finite.
pub(crate) fn check_finite<'a>(
    what: &'static str,
    values: impl IntoIterator<Item = &'a f64>,
) -> Result<(), ReportError> {
    match values.into_iter().position(|v| !v.is_finite()) {
        Some(index) => Err(ReportError::NonFinite { what, index }),
        None => Ok(()),
    }
}

/// Check that `found` equals `expected`.
pub(crate) fn check_len(
    what: impl Into<String>,
    expected: usize,
    found: usize,
) -> Result<(), ReportError> {
    if expected == found {
        Ok(())
    } else {
        Err(ReportError::LengthMismatch {
            what: what.into(),
            expected,
            found,
        })
    }
}
