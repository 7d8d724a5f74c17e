//! Columnar data files: Parquet (read one row group at a time) and Arrow IPC (`.arrow`,
//! `.feather`: one record batch at a time), in and out. Numeric columns of any width (floats,
//! signed and unsigned integers) are read as `f64`; columns are chosen by name as for CSV, and
//! every error names the file, the 1-based data row and the column.

use super::dataset::Dataset;
use crate::error::{NeonError, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type,
    UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch, RecordBatchReader};
use arrow_schema::{DataType, Schema};
use std::fs::File;
use std::path::Path;

/// The columnar formats neon reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columnar {
    /// Apache Parquet (`.parquet`, `.pq`).
    Parquet,
    /// Arrow IPC file format (`.arrow`, `.feather`, `.ipc`).
    ArrowIpc,
}

impl Columnar {
    /// The columnar format of `path`, from its extension (any case); `None` for other files.
    pub fn of(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "parquet" | "pq" => Some(Columnar::Parquet),
            "arrow" | "feather" | "ipc" => Some(Columnar::ArrowIpc),
            _ => None,
        }
    }
}

/// True if `dtype` is read as a number.
fn is_numeric(dtype: &DataType) -> bool {
    matches!(
        dtype,
        DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
    )
}

/// The values of a numeric column as `f64`, `None` where null.
fn column_values(array: &ArrayRef) -> Option<Vec<Option<f64>>> {
    macro_rules! read {
        ($t:ty, $conv:expr) => {
            array
                .as_primitive_opt::<$t>()
                .map(|a| a.iter().map(|v| v.map($conv)).collect())
        };
    }
    match array.data_type() {
        DataType::Float16 => read!(Float16Type, |v| f64::from(v.to_f32())),
        DataType::Float32 => read!(Float32Type, f64::from),
        DataType::Float64 => read!(Float64Type, |v| v),
        DataType::Int8 => read!(Int8Type, f64::from),
        DataType::Int16 => read!(Int16Type, f64::from),
        DataType::Int32 => read!(Int32Type, f64::from),
        DataType::Int64 => read!(Int64Type, |v| v as f64),
        DataType::UInt8 => read!(UInt8Type, f64::from),
        DataType::UInt16 => read!(UInt16Type, f64::from),
        DataType::UInt32 => read!(UInt32Type, f64::from),
        DataType::UInt64 => read!(UInt64Type, |v| v as f64),
        _ => None,
    }
}

/// A Parquet or Arrow IPC file read a chunk of rows at a time: the columnar counterpart of
/// [`super::CsvChunks`], behind [`Dataset::load`] and the streaming explanation. With
/// `columns`, exactly those columns are read, in that order (each must be numeric); without,
/// every numeric column.
pub struct ColumnarChunks {
    source: String,
    batches: Box<dyn RecordBatchReader + Send>,
    /// Column indices of the file schema, in output order.
    selected: Vec<usize>,
    names: Vec<String>,
    /// The batch being consumed and the number of its rows already returned.
    pending: Option<(RecordBatch, usize)>,
    /// Read nulls and NaN as NaN (for [`super::MissingValues`]) instead of failing.
    keep_missing: bool,
    rows: usize,
    total: Option<usize>,
}

impl ColumnarChunks {
    /// Open `path` (format from its extension) and check the requested columns.
    pub fn open(path: &Path, columns: Option<&[String]>) -> Result<Self> {
        let source = path.display().to_string();
        let format = Columnar::of(path).ok_or_else(|| NeonError::ColumnarFormat {
            file: source.clone(),
            message: "not a .parquet, .pq, .arrow, .feather or .ipc file".into(),
        })?;
        let bad = |message: String| NeonError::ColumnarFormat {
            file: source.clone(),
            message,
        };
        let file = File::open(path).map_err(|e| NeonError::io(path, e))?;
        let (batches, total): (Box<dyn RecordBatchReader + Send>, Option<usize>) = match format {
            Columnar::Parquet => {
                let builder =
                    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                        .map_err(|e| bad(e.to_string()))?;
                let total = usize::try_from(builder.metadata().file_metadata().num_rows()).ok();
                let reader = builder
                    .with_batch_size(65_536)
                    .build()
                    .map_err(|e| bad(e.to_string()))?;
                (Box::new(reader), total)
            }
            Columnar::ArrowIpc => {
                let reader = arrow_ipc::reader::FileReader::try_new(file, None)
                    .map_err(|e| bad(e.to_string()))?;
                (Box::new(reader), None)
            }
        };
        let schema = batches.schema();
        let (selected, names) = select_columns(&schema, columns, &source)?;
        Ok(ColumnarChunks {
            source,
            batches,
            selected,
            names,
            pending: None,
            keep_missing: false,
            rows: 0,
            total,
        })
    }

    /// Names of the columns read, in order.
    pub fn feature_names(&self) -> &[String] {
        &self.names
    }

    /// Number of data rows, where the file states it (Parquet).
    pub fn total_rows(&self) -> Option<usize> {
        self.total
    }

    /// Data rows returned so far.
    pub fn rows_read(&self) -> usize {
        self.rows
    }

    /// Read nulls and NaN as NaN instead of failing (resolved by [`super::MissingValues`]).
    pub(super) fn keep_missing(mut self) -> Self {
        self.keep_missing = true;
        self
    }

    /// The next at most `max` rows as a dataset whose [`Dataset::display_row`] gives the
    /// 1-based data row of each; `None` at the end. A file without any row is an error.
    pub fn next_chunk(&mut self, max: usize) -> Result<Option<Dataset>> {
        let start = self.rows;
        let mut values: Vec<f64> = Vec::new();
        let mut len = 0usize;
        while len < max {
            let (batch, used) = match self.pending.take() {
                Some(p) => p,
                None => match self.batches.next() {
                    Some(batch) => (
                        batch.map_err(|e| NeonError::ColumnarFormat {
                            file: self.source.clone(),
                            message: e.to_string(),
                        })?,
                        0,
                    ),
                    None => break,
                },
            };
            let take = (batch.num_rows() - used).min(max - len);
            let columns: Vec<Vec<Option<f64>>> = self
                .selected
                .iter()
                .zip(&self.names)
                .map(|(&c, name)| {
                    let column = batch.column(c).slice(used, take);
                    column_values(&column).ok_or_else(|| NeonError::ColumnarFormat {
                        file: self.source.clone(),
                        message: format!(
                            "column {name}: type {} is not numeric",
                            column.data_type()
                        ),
                    })
                })
                .collect::<Result<_>>()?;
            for i in 0..take {
                let row = start + len + i + 1;
                for (column, name) in columns.iter().zip(&self.names) {
                    if self.keep_missing && column[i].is_none_or(f64::is_nan) {
                        values.push(f64::NAN);
                        continue;
                    }
                    let value = column[i].ok_or_else(|| NeonError::MissingValue {
                        file: self.source.clone(),
                        row,
                        column: name.clone(),
                        value: "null".into(),
                    })?;
                    if !value.is_finite() {
                        return Err(NeonError::NonFinite {
                            file: self.source.clone(),
                            row,
                            column: name.clone(),
                            value: value.to_string(),
                        });
                    }
                    values.push(value);
                }
            }
            len += take;
            if used + take < batch.num_rows() {
                self.pending = Some((batch, used + take));
            }
        }
        self.rows += len;
        Dataset::from_chunk(
            self.names.clone(),
            values,
            len,
            &self.source,
            start,
            None,
            start == 0,
        )
    }
}

/// The schema's columns to read, by index, and their names.
fn select_columns(
    schema: &Schema,
    columns: Option<&[String]>,
    source: &str,
) -> Result<(Vec<usize>, Vec<String>)> {
    let fields = schema.fields();
    let available = || {
        fields
            .iter()
            .map(|f| f.name().as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    let selected: Vec<usize> = match columns {
        Some(cols) => cols
            .iter()
            .map(|name| {
                let index = fields
                    .iter()
                    .position(|f| f.name() == name)
                    .ok_or_else(|| NeonError::UnknownColumn {
                        file: source.to_string(),
                        column: name.clone(),
                        available: available(),
                    })?;
                if !is_numeric(fields[index].data_type()) {
                    return Err(NeonError::ColumnarFormat {
                        file: source.to_string(),
                        message: format!(
                            "column {name}: type {} is not numeric",
                            fields[index].data_type()
                        ),
                    });
                }
                Ok(index)
            })
            .collect::<Result<_>>()?,
        None => (0..fields.len())
            .filter(|&i| is_numeric(fields[i].data_type()))
            .collect(),
    };
    if selected.is_empty() {
        return Err(NeonError::NoNumericColumns {
            file: source.to_string(),
        });
    }
    let names = selected.iter().map(|&i| fields[i].name().clone()).collect();
    Ok((selected, names))
}

/// A table of `f64` columns, written as Parquet or Arrow IPC one batch at a time (explanations,
/// scores, data). Write with [`ColumnarWriter::write`] and close with
/// [`ColumnarWriter::finish`], which writes the file's footer.
pub struct ColumnarWriter<W: std::io::Write + Send> {
    schema: std::sync::Arc<Schema>,
    inner: WriterInner<W>,
}

enum WriterInner<W: std::io::Write + Send> {
    Parquet(Box<parquet::arrow::ArrowWriter<W>>),
    ArrowIpc(Box<arrow_ipc::writer::FileWriter<W>>),
}

/// One output column: a name and whether it holds integers (row indices, clusters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputColumn {
    /// Column name.
    pub name: String,
    /// `true`: 64-bit unsigned integers, nullable; `false`: 64-bit floats.
    pub integer: bool,
}

impl<W: std::io::Write + Send> ColumnarWriter<W> {
    /// A writer of `columns` in `format` onto `out`, with key-value `metadata` stored in the
    /// file's schema (what produced the numbers); `what` names the output in errors.
    pub fn new(
        out: W,
        format: Columnar,
        columns: &[OutputColumn],
        metadata: Vec<(String, String)>,
        what: &str,
    ) -> Result<Self> {
        let fields: Vec<arrow_schema::Field> = columns
            .iter()
            .map(|c| {
                let dtype = if c.integer {
                    DataType::UInt64
                } else {
                    DataType::Float64
                };
                arrow_schema::Field::new(&c.name, dtype, c.integer)
            })
            .collect();
        let schema = std::sync::Arc::new(
            Schema::new(fields).with_metadata(
                metadata
                    .into_iter()
                    .collect::<std::collections::HashMap<_, _>>(),
            ),
        );
        let bad = |message: String| NeonError::ColumnarFormat {
            file: what.to_string(),
            message,
        };
        let inner = match format {
            Columnar::Parquet => WriterInner::Parquet(Box::new(
                parquet::arrow::ArrowWriter::try_new(out, schema.clone(), None)
                    .map_err(|e| bad(e.to_string()))?,
            )),
            Columnar::ArrowIpc => WriterInner::ArrowIpc(Box::new(
                arrow_ipc::writer::FileWriter::try_new(out, &schema)
                    .map_err(|e| bad(e.to_string()))?,
            )),
        };
        Ok(ColumnarWriter { schema, inner })
    }

    /// Write one batch: one vector per column, all of the same length (integer columns hold
    /// whole numbers ≥ 0 or NaN for null).
    pub fn write(&mut self, columns: Vec<Vec<f64>>) -> Result<()> {
        let arrays: Vec<ArrayRef> = self
            .schema
            .fields()
            .iter()
            .zip(columns)
            .map(|(field, values)| -> ArrayRef {
                if field.data_type() == &DataType::UInt64 {
                    std::sync::Arc::new(arrow_array::UInt64Array::from_iter(
                        values
                            .into_iter()
                            .map(|v| (v.is_finite() && v >= 0.0).then_some(v as u64)),
                    ))
                } else {
                    std::sync::Arc::new(arrow_array::Float64Array::from(values))
                }
            })
            .collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| {
            NeonError::ColumnarFormat {
                file: "output".into(),
                message: e.to_string(),
            }
        })?;
        let result = match &mut self.inner {
            WriterInner::Parquet(w) => w.write(&batch).map_err(|e| e.to_string()),
            WriterInner::ArrowIpc(w) => w.write(&batch).map_err(|e| e.to_string()),
        };
        result.map_err(|message| NeonError::ColumnarFormat {
            file: "output".into(),
            message,
        })
    }

    /// Write the footer and return the underlying writer.
    pub fn finish(self) -> Result<W> {
        let bad = |message: String| NeonError::ColumnarFormat {
            file: "output".into(),
            message,
        };
        match self.inner {
            WriterInner::Parquet(w) => w.into_inner().map_err(|e| bad(e.to_string())),
            WriterInner::ArrowIpc(mut w) => {
                w.finish().map_err(|e| bad(e.to_string()))?;
                w.into_inner().map_err(|e| bad(e.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(path: &Path, format: Columnar) {
        let file = File::create(path).expect("create");
        let columns = [
            OutputColumn {
                name: "a".into(),
                integer: false,
            },
            OutputColumn {
                name: "id".into(),
                integer: true,
            },
            OutputColumn {
                name: "b".into(),
                integer: false,
            },
        ];
        let mut w = ColumnarWriter::new(
            file,
            format,
            &columns,
            vec![("k".into(), "v".into())],
            "test",
        )
        .expect("writer");
        w.write(vec![vec![1.0, 2.0], vec![7.0, 8.0], vec![0.5, -0.5]])
            .expect("batch 1");
        w.write(vec![vec![3.0], vec![9.0], vec![1.5]])
            .expect("batch 2");
        w.finish().expect("finish");
    }

    #[test]
    fn written_tables_read_back_in_chunks_for_both_formats() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, format) in [
            ("t.parquet", Columnar::Parquet),
            ("t.arrow", Columnar::ArrowIpc),
        ] {
            let path = dir.path().join(name);
            table(&path, format);
            assert_eq!(Columnar::of(&path), Some(format));
            let cols = ["b".to_string(), "a".to_string()];
            let mut chunks = ColumnarChunks::open(&path, Some(&cols)).expect("open");
            let first = chunks.next_chunk(2).expect("read").expect("rows");
            assert_eq!(first.values(), &ndarray::array![[0.5, 1.0], [-0.5, 2.0]]);
            let second = chunks.next_chunk(2).expect("read").expect("rows");
            assert_eq!(second.values(), &ndarray::array![[1.5, 3.0]]);
            assert_eq!(second.display_row(0), 3);
            assert!(chunks.next_chunk(2).expect("end").is_none());
            // every numeric column, integers included, when none are named
            let all = Dataset::load(&path, None).expect("load");
            assert_eq!(all.feature_names(), ["a", "id", "b"]);
            assert_eq!(all.values().column(1).to_vec(), vec![7.0, 8.0, 9.0]);
            let err = ColumnarChunks::open(&path, Some(&["c".to_string()]))
                .err()
                .expect("unknown column");
            assert!(err.to_string().contains("unknown column 'c'"), "{err}");
        }
    }

    #[test]
    fn nulls_and_non_finite_values_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("n.parquet");
        let file = File::create(&path).expect("create");
        let columns = [
            OutputColumn {
                name: "x".into(),
                integer: false,
            },
            OutputColumn {
                name: "k".into(),
                integer: true,
            },
        ];
        let mut w =
            ColumnarWriter::new(file, Columnar::Parquet, &columns, Vec::new(), "t").expect("w");
        w.write(vec![vec![1.0, 2.0], vec![1.0, f64::NAN]])
            .expect("write");
        w.finish().expect("finish");
        let err = Dataset::load(&path, None).expect_err("null");
        assert_eq!(
            err.to_string(),
            format!(
                "{}, column k, row 2: missing value ('null'); drop or impute the row first",
                path.display()
            )
        );
        let err = Dataset::load(&path, Some(&["x".to_string()]))
            .map(|d| d.n_rows())
            .expect("x alone is fine");
        assert_eq!(err, 2);
    }
}
