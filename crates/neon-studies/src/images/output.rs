//! Output files are assembled in memory first and written only when everything succeeded, into
//! a staging folder renamed into place at the end, so an error or a kill leaves no partial
//! result behind.

use std::path::{Path, PathBuf};

use crate::{Result, StudyError};

/// Files to write: paths relative to an output directory, and their bytes.
#[derive(Debug, Default, Clone)]
pub struct Outputs {
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Outputs {
    /// No files yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file at `relative` (e.g. `study1/a_outlier.png`).
    pub fn add(&mut self, relative: impl Into<PathBuf>, bytes: Vec<u8>) -> &mut Self {
        self.files.push((relative.into(), bytes));
        self
    }

    /// Relative paths, in the order added.
    pub fn paths(&self) -> Vec<&Path> {
        self.files.iter().map(|(p, _)| p.as_path()).collect()
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there is no file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Write every file into a staging folder next to `dir`, then rename it to `dir` (an
    /// earlier output folder there is replaced whole); returns the paths as they are after
    /// the rename. A failure or a kill leaves no partial folder behind.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StudyError::Io { path, source }
        };
        let staged = neon_xai::io::StagedDir::create(dir).map_err(io_err(dir))?;
        let mut written = Vec::with_capacity(self.files.len());
        for (rel, bytes) in &self.files {
            let path = staged.path().join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io_err(parent))?;
            }
            std::fs::write(&path, bytes).map_err(io_err(&path))?;
            written.push(dir.join(rel));
        }
        staged.commit().map_err(io_err(dir))?;
        Ok(written)
    }
}

/// A file-name-safe form of a label: `cluster 2 at (3, 4)` → `cluster_2_at_3_4`.
pub fn slug(label: &str) -> String {
    let mut s = String::with_capacity(label.len());
    for c in label.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    s.trim_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_nested_files_and_slugs() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut out = Outputs::new();
        out.add("a.txt", b"a".to_vec())
            .add("sub/b.txt", b"b".to_vec());
        let written = out.write(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(written.len(), 2);
        assert_eq!(
            std::fs::read(dir.path().join("sub/b.txt")).unwrap_or_default(),
            b"b"
        );
        assert_eq!(slug("cluster 2 at (3, 4)"), "cluster_2_at_3_4");
        assert_eq!(slug("inlier-rff"), "inlier-rff");
    }
}
