//! [`Dataset::load`]: one entry point for every data file format, chosen by extension.

use super::columnar::{Columnar, ColumnarChunks};
use super::dataset::{is_npy, Dataset};
use crate::error::Result;
use std::path::Path;

impl Dataset {
    /// Read a data file, the format chosen by its extension: `.npy` (a 2-D float array),
    /// `.parquet`/`.pq` (Parquet), `.arrow`/`.feather`/`.ipc` (Arrow IPC), anything else CSV
    /// (header row required). `columns` selects and orders features by name; `None` takes
    /// every numeric column.
    pub fn load(path: &Path, columns: Option<&[String]>) -> Result<Self> {
        if is_npy(path) {
            Self::from_npy(path, columns)
        } else if Columnar::of(path).is_some() {
            Self::from_columnar(path, columns)
        } else {
            Self::from_csv(path, columns)
        }
    }

    /// Read a Parquet or Arrow IPC file whole. See [`Dataset::load`].
    pub fn from_columnar(path: &Path, columns: Option<&[String]>) -> Result<Self> {
        let mut chunks = ColumnarChunks::open(path, columns)?;
        chunks
            .next_chunk(usize::MAX)?
            .ok_or_else(|| crate::error::NeonError::EmptyFile {
                file: path.display().to_string(),
            })
    }
}
