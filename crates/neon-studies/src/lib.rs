//! # neon-studies — the chapter's experiments as library calls
//!
//! [`wholesale`] runs the Wholesale customers study of §5.1 end to end: KDE inlier/outlier and
//! k-means cluster explanations of the chapter's two instances, the robustness analysis the
//! chapter does not show, the chapter's claims checked against the computed numbers, and a
//! self-contained HTML report with figures.
#![deny(missing_docs)]

pub mod images;
pub mod wholesale;

/// Errors of the studies.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// An error of the core library (data, model, explanation).
    #[error(transparent)]
    Neon(#[from] neon::NeonError),
    /// An error while drawing figures or writing the report.
    #[error(transparent)]
    Report(#[from] neon_report::ReportError),
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
}

/// Result alias of the studies.
pub type Result<T, E = StudyError> = std::result::Result<T, E>;
