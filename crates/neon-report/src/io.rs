//! Atomic file output: write to a temporary sibling, then rename, so that a failure never leaves
//! a half-written figure or report behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::ReportError;

/// Write `bytes` to `path` atomically.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let tmp = temp_sibling(path);
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// A hidden sibling of `path` ending in `.tmp`, unique to this process.
fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_string());
    let tmp_name = format!(".{name}.{}.tmp", std::process::id());
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join(tmp_name),
        _ => PathBuf::from(tmp_name),
    }
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
