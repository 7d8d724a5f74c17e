//! Atomic file output: write to a temporary sibling, then rename, so that a failure never leaves
//! a half-written figure or report behind.

use std::path::Path;

use crate::error::ReportError;

/// Write `bytes` to `path` atomically (the core library's temporary-sibling-then-rename writer),
/// naming the path in the error.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    neon_xai::io::write_atomic(path, bytes).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("fig.svg");
        write_atomic(&path, b"<svg/>").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"<svg/>");
        let leftovers = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .count();
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn failed_write_names_the_path_and_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("missing").join("fig.svg");
        let err = write_atomic(&path, b"x").expect_err("must fail");
        assert!(err.to_string().contains("fig.svg"));
        assert!(!path.exists());
    }
}
