//! Atomic output: every file neon writes goes to a temporary sibling first and is renamed into
//! place, so an error never leaves a half-written result behind. Output folders (reports,
//! figures) are assembled in a temporary sibling folder and renamed into place as a whole
//! ([`StagedDir`]). Temporaries that a killed run left behind are removed by the next run.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Write `bytes` to `path` atomically (temporary file in the same directory, then rename).
/// Temporaries of `path` left by earlier runs that were killed are removed first.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    remove_stale_temporaries(path, ".tmp");
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
    result
}

/// The temporary path used by [`write_atomic`] for `path`: a hidden sibling ending in `.tmp`.
pub fn temp_sibling(path: &Path) -> PathBuf {
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

/// Name of the marker file in every output folder neon writes; a folder holding it (or a
/// `report.html`, `results.json` or `summary.json` of an earlier version) may be replaced.
pub const OUTPUT_MARKER: &str = ".neon-output";

/// Files whose presence marks a folder as one neon wrote (and may replace).
const NEON_OUTPUT_FILES: [&str; 4] = [OUTPUT_MARKER, "report.html", "results.json", "summary.json"];

/// An output folder assembled in a hidden sibling (`.NAME.PID.partial`) and renamed into place
/// by [`StagedDir::commit`], so a killed or failed run never leaves a folder with figures but
/// without its report. Dropped without commit, the staging folder is removed.
///
/// The target may be missing, empty, or a folder neon wrote before (which is replaced whole);
/// a non-empty folder that neon did not write is refused rather than overwritten.
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Check that `target` may be written, remove stale staging folders of killed runs, and
    /// create the staging folder.
    pub fn create(target: &Path) -> std::io::Result<Self> {
        if target.exists() {
            if !target.is_dir() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "exists and is not a folder",
                ));
            }
            if !is_replaceable(target)? {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "is a folder that neon did not write and is not empty; give a new or empty \
                     folder (neon replaces its own output folders whole)",
                ));
            }
        }
        if let Some(parent) = non_empty_parent(target) {
            std::fs::create_dir_all(parent)?;
        }
        remove_stale_temporaries(target, ".partial");
        remove_stale_temporaries(target, ".old");
        let staging = sibling(target, "partial");
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir(&staging)?;
        std::fs::write(
            staging.join(OUTPUT_MARKER),
            format!("written by neon {}\n", env!("CARGO_PKG_VERSION")),
        )?;
        Ok(Self {
            target: target.to_path_buf(),
            staging,
            committed: false,
        })
    }

    /// The folder to write into now (the staging folder).
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The folder the files will be in after [`Self::commit`].
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Where `path` (inside the staging folder) will be after the commit.
    pub fn final_path(&self, path: &Path) -> PathBuf {
        match path.strip_prefix(&self.staging) {
            Ok(rel) => self.target.join(rel),
            Err(_) => path.to_path_buf(),
        }
    }

    /// Move the finished folder into place: an earlier output folder at the target is moved
    /// aside, the staging folder renamed to the target, then the old one removed.
    pub fn commit(mut self) -> std::io::Result<PathBuf> {
        let old = sibling(&self.target, "old");
        let had_old = self.target.exists();
        if had_old {
            if old.exists() {
                std::fs::remove_dir_all(&old)?;
            }
            std::fs::rename(&self.target, &old)?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            if had_old {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(e);
        }
        self.committed = true;
        if had_old {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(self.target.clone())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Whether the existing folder `dir` is empty or was written by neon.
fn is_replaceable(dir: &Path) -> std::io::Result<bool> {
    let mut entries = std::fs::read_dir(dir)?;
    if entries.next().is_none() {
        return Ok(true);
    }
    Ok(NEON_OUTPUT_FILES.iter().any(|f| dir.join(f).is_file()))
}

fn non_empty_parent(path: &Path) -> Option<&Path> {
    path.parent().filter(|p| !p.as_os_str().is_empty())
}

/// `.NAME.PID.KIND` next to `path`.
fn sibling(path: &Path, kind: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_string());
    let tmp_name = format!(".{name}.{}.{kind}", std::process::id());
    match non_empty_parent(path) {
        Some(parent) => parent.join(tmp_name),
        None => PathBuf::from(tmp_name),
    }
}

/// Remove `.NAME.PID<suffix>` siblings of `path` whose process is no longer running (a run
/// killed while writing). Temporaries of a live process (another run writing now) are kept.
fn remove_stale_temporaries(path: &Path, suffix: &str) {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let dir = non_empty_parent(path).unwrap_or(Path::new("."));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.filter_map(Result::ok) {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || process_is_running(pid) {
            continue;
        }
        let stale = entry.path();
        let _ = if stale.is_dir() {
            std::fs::remove_dir_all(&stale)
        } else {
            std::fs::remove_file(&stale)
        };
    }
}

/// Whether process `pid` runs (Linux: `/proc/PID`; elsewhere unknown, taken as not running,
/// so only temporaries of this process's own pid are ever kept).
fn process_is_running(pid: u32) -> bool {
    let proc_root = Path::new("/proc");
    proc_root.join("self").exists() && proc_root.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.json");
        write_atomic(&path, b"{\"a\":1}").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"{\"a\":1}");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("missing-dir").join("out.json");
        assert!(write_atomic(&path, b"x").is_err());
        assert!(!path.exists());
    }

    #[test]
    fn staged_dir_appears_whole_on_commit_and_not_at_all_on_drop() {
        let root = tempfile::tempdir().expect("tempdir");
        let target = root.path().join("report");
        {
            let staged = StagedDir::create(&target).expect("stage");
            std::fs::write(staged.path().join("a.png"), b"png").expect("write");
            assert!(!target.exists(), "nothing at the target before the commit");
        }
        assert!(!target.exists(), "dropped without commit: no target");
        assert_eq!(std::fs::read_dir(root.path()).expect("list").count(), 0);

        let staged = StagedDir::create(&target).expect("stage");
        let png = staged.path().join("a.png");
        std::fs::write(&png, b"png").expect("write");
        assert_eq!(staged.final_path(&png), target.join("a.png"));
        staged.commit().expect("commit");
        assert_eq!(std::fs::read(target.join("a.png")).expect("read"), b"png");
        assert!(target.join(OUTPUT_MARKER).is_file());

        // a second run replaces the folder whole: the old figure does not survive
        let staged = StagedDir::create(&target).expect("stage again");
        std::fs::write(staged.path().join("b.png"), b"new").expect("write");
        staged.commit().expect("commit");
        assert!(!target.join("a.png").exists());
        assert!(target.join("b.png").is_file());
        let names: Vec<String> = std::fs::read_dir(root.path())
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            vec!["report".to_string()],
            "no staging or old folder left"
        );
    }

    #[test]
    fn a_folder_neon_did_not_write_is_never_replaced() {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::write(root.path().join("thesis.tex"), b"precious").expect("write");
        let err = StagedDir::create(root.path()).expect_err("must refuse");
        assert!(err.to_string().contains("neon did not write"), "{err}");
        assert_eq!(
            std::fs::read(root.path().join("thesis.tex")).expect("read"),
            b"precious"
        );
        // an empty folder is fine
        let empty = root.path().join("empty");
        std::fs::create_dir(&empty).expect("mkdir");
        StagedDir::create(&empty)
            .expect("stage")
            .commit()
            .expect("commit");
    }

    #[test]
    fn temporaries_of_killed_runs_are_removed() {
        let root = tempfile::tempdir().expect("tempdir");
        // pid 0 is never a user process: these are a killed run's leftovers
        let stale_dir = root.path().join(".report.0.partial");
        std::fs::create_dir(&stale_dir).expect("mkdir");
        std::fs::write(stale_dir.join("fig.png"), b"half").expect("write");
        let stale_file = root.path().join(".out.json.0.tmp");
        std::fs::write(&stale_file, b"half").expect("write");
        let staged = StagedDir::create(&root.path().join("report")).expect("stage");
        assert!(!stale_dir.exists());
        staged.commit().expect("commit");
        write_atomic(&root.path().join("out.json"), b"{}").expect("write");
        assert!(!stale_file.exists());
    }
}
