//! The rows a saved model is asked about, read chunk by chunk: the model's own training rows
//! (leave-one-out), a `.npy` array, or a CSV, Parquet or Arrow IPC file whose columns are
//! picked by the model's feature names and transformed with its stored transform. One reader serves explaining all
//! rows at once (one chunk) and streaming a file larger than memory (bounded chunks), so both
//! see the same numbers.

use crate::data::{is_npy, Columnar, ColumnarChunks, CsvChunks, Dataset};
use crate::error::{NeonError, Result};
use crate::models::Queries;
use crate::persist::ModelFile;
use ndarray::{Array2, Axis, Slice};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// One chunk of query rows: data rows `start..start + len`, in model space (`None`: the
/// model's training rows, explained leave-one-out).
#[derive(Debug, Clone)]
pub struct QueryChunk {
    /// Index of the chunk's first row among all rows of the source.
    pub start: usize,
    /// Number of rows.
    pub len: usize,
    /// The rows in model space; `None` for leave-one-out on the training rows.
    pub points: Option<Array2<f64>>,
}

impl QueryChunk {
    /// The chunk as [`Queries`].
    pub fn queries(&self) -> Queries<'_> {
        match &self.points {
            Some(points) => Queries::Points(points.view()),
            None => Queries::LeaveOneOut,
        }
    }

    /// The index, within [`QueryChunk::queries`], of the chunk's row `local` (`0..len`): the
    /// row itself for the chunk's own points, `start + local` among the training rows.
    pub fn query_index(&self, local: usize) -> usize {
        match self.points {
            Some(_) => local,
            None => self.start + local,
        }
    }
}

enum Inner<'a> {
    LeaveOneOut {
        n: usize,
    },
    Memory {
        points: Array2<f64>,
    },
    Csv {
        chunks: Box<CsvChunks<BufReader<File>>>,
        size: u64,
        model: &'a ModelFile,
    },
    Columnar {
        chunks: Box<ColumnarChunks>,
        model: &'a ModelFile,
    },
}

/// Where query rows come from (see the module documentation).
pub struct QuerySource<'a> {
    inner: Inner<'a>,
    next: usize,
    done: bool,
}

impl<'a> QuerySource<'a> {
    /// Rows of `data` (CSV, Parquet, Arrow IPC or `.npy`, raw values), or the model's training rows when `data` is
    /// `None`.
    pub fn open(model: &'a ModelFile, data: Option<&Path>) -> Result<Self> {
        let inner = match data {
            None => Inner::LeaveOneOut {
                n: model.model.training_points().nrows(),
            },
            Some(path) if is_npy(path) => {
                let data = Dataset::load(path, Some(&model.feature_names))?;
                Inner::Memory {
                    points: model.transform.apply(&data)?,
                }
            }
            Some(path) if Columnar::of(path).is_some() => Inner::Columnar {
                chunks: Box::new(ColumnarChunks::open(path, Some(&model.feature_names))?),
                model,
            },
            Some(path) => {
                let file = File::open(path).map_err(|e| NeonError::io(path, e))?;
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                let chunks = CsvChunks::new(
                    BufReader::new(file),
                    &path.display().to_string(),
                    Some(&model.feature_names),
                )?;
                Inner::Csv {
                    chunks: Box::new(chunks),
                    size,
                    model,
                }
            }
        };
        Ok(QuerySource {
            inner,
            next: 0,
            done: false,
        })
    }

    /// Number of rows, where known before reading (training rows, `.npy`, Parquet).
    pub fn total_rows(&self) -> Option<usize> {
        match &self.inner {
            Inner::LeaveOneOut { n } => Some(*n),
            Inner::Memory { points } => Some(points.nrows()),
            Inner::Csv { .. } => None,
            Inner::Columnar { chunks, .. } => chunks.total_rows(),
        }
    }

    /// Estimated number of rows from the bytes read so far (CSV), or the exact number.
    pub fn estimated_rows(&self) -> Option<u64> {
        match &self.inner {
            Inner::Csv { chunks, size, .. } => {
                let rows = chunks.rows_read();
                let read = chunks.bytes_read().max(1);
                let per_row = read as f64 / rows.max(1) as f64;
                let rest = size.saturating_sub(read) as f64 / per_row.max(1.0);
                Some(rows as u64 + rest.round() as u64)
            }
            Inner::Columnar { chunks, .. } => Some(
                chunks
                    .total_rows()
                    .map_or(chunks.rows_read() as u64, |n| n as u64),
            ),
            _ => self.total_rows().map(|n| n as u64),
        }
    }

    /// Rows returned so far.
    pub fn rows_read(&self) -> usize {
        self.next
    }

    /// The next at most `max` rows (`max ≥ 1`), or `None` after the last.
    pub fn next_chunk(&mut self, max: usize) -> Result<Option<QueryChunk>> {
        if self.done {
            return Ok(None);
        }
        let max = max.max(1);
        let start = self.next;
        let chunk = match &mut self.inner {
            Inner::LeaveOneOut { n } => (start < *n).then(|| QueryChunk {
                start,
                len: max.min(*n - start),
                points: None,
            }),
            Inner::Memory { points } => {
                let n = points.nrows();
                (start < n).then(|| {
                    let len = max.min(n - start);
                    QueryChunk {
                        start,
                        len,
                        points: Some(
                            points
                                .slice_axis(Axis(0), Slice::from(start..start + len))
                                .to_owned(),
                        ),
                    }
                })
            }
            Inner::Csv { chunks, model, .. } => match chunks.next_chunk(max)? {
                Some(raw) => Some(QueryChunk {
                    start,
                    len: raw.n_rows(),
                    points: Some(model.transform.apply(&raw)?),
                }),
                None => None,
            },
            Inner::Columnar { chunks, model } => match chunks.next_chunk(max)? {
                Some(raw) => Some(QueryChunk {
                    start,
                    len: raw.n_rows(),
                    points: Some(model.transform.apply(&raw)?),
                }),
                None => None,
            },
        };
        match &chunk {
            Some(c) => self.next += c.len,
            None => self.done = true,
        }
        Ok(chunk)
    }
}
