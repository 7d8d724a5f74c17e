//! Shared by the fuzz targets: the loaders read files, so each input is written to a file of
//! this process first (one per target and process, reused across inputs).

use std::path::PathBuf;

/// Write `data` to `neon-fuzz-PID.EXT` in the temporary folder and return its path.
pub fn as_file(data: &[u8], ext: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("neon-fuzz-{}.{ext}", std::process::id()));
    std::fs::write(&path, data).expect("the fuzz input could not be written to a file");
    path
}
