//! [`Dataset`]: a named numeric table read from a CSV file or built in memory.

use crate::error::{NeonError, Result};
use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use std::path::Path;

/// True for a path with the `.npy` extension (any case): [`Dataset::load`] reads it as a NumPy
/// array, anything else as CSV.
pub fn is_npy(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
}

/// A data matrix (rows = data points, columns = features) with its feature names and origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub(super) feature_names: Vec<String>,
    pub(super) values: Array2<f64>,
    pub(super) source: String,
    pub(super) header_rows: usize,
    /// The row number a user sees for each data row, where rows are not consecutive (blank
    /// lines in a CSV file, rows dropped for missing values); `None`: `index + 1 + header_rows`.
    pub(super) row_numbers: Option<Vec<usize>>,
}

impl Dataset {
    /// One chunk of a file reader: `len` rows of `names.len()` values (row-major) from
    /// `source`, its row `i` displayed as `row_numbers[i]` where given, else as row
    /// `i + 1 + header_rows`. `None` for an empty chunk after the first; an empty first chunk
    /// (`first`) means the file has no data row.
    pub(super) fn from_chunk(
        names: Vec<String>,
        values: Vec<f64>,
        len: usize,
        source: &str,
        header_rows: usize,
        row_numbers: Option<Vec<usize>>,
        first: bool,
    ) -> Result<Option<Self>> {
        if len == 0 {
            if first {
                return Err(NeonError::EmptyFile {
                    file: source.to_string(),
                });
            }
            return Ok(None);
        }
        let d = names.len();
        let values =
            Array2::from_shape_vec((len, d), values).map_err(|e| NeonError::ShapeMismatch {
                what: format!("{source}: data matrix"),
                expected: format!("{len}x{d}"),
                found: e.to_string(),
            })?;
        Ok(Some(Dataset {
            feature_names: names,
            values,
            source: source.to_string(),
            header_rows,
            row_numbers,
        }))
    }

    /// Build a dataset from in-memory values. Checks that names match the columns, that names
    /// are unique and that every value is finite.
    pub fn new(feature_names: Vec<String>, values: Array2<f64>) -> Result<Self> {
        let dataset = Dataset {
            feature_names,
            values,
            source: "<memory>".to_string(),
            header_rows: 0,
            row_numbers: None,
        };
        dataset.validate()?;
        Ok(dataset)
    }

    /// Name of the origin used in error messages (a file path, or `<memory>`).
    pub fn with_source(mut self, source: impl Into<String>, header_rows: usize) -> Self {
        self.source = source.into();
        self.header_rows = header_rows;
        self.row_numbers = None;
        self
    }

    fn validate(&self) -> Result<()> {
        if self.feature_names.len() != self.values.ncols() {
            return Err(NeonError::ShapeMismatch {
                what: "feature names vs columns".into(),
                expected: self.values.ncols().to_string(),
                found: self.feature_names.len().to_string(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        for name in &self.feature_names {
            if !seen.insert(name.as_str()) {
                return Err(NeonError::DuplicateHeader {
                    file: self.source.clone(),
                    column: name.clone(),
                });
            }
        }
        self.check_finite()
    }

    /// Every value is finite (the first that is not is named by row and column).
    pub(super) fn check_finite(&self) -> Result<()> {
        for ((row, col), value) in self.values.indexed_iter() {
            if !value.is_finite() {
                return Err(NeonError::NonFinite {
                    file: self.source.clone(),
                    row: self.display_row(row),
                    column: self.feature_names[col].clone(),
                    value: value.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Read a 2-D `.npy` array (float64 or float32). Features are named `x0`, `x1`, …
    pub fn from_npy(path: &Path, columns: Option<&[String]>) -> Result<Self> {
        let dataset = Self::npy_unchecked(path)?;
        dataset.validate()?;
        match columns {
            Some(cols) => dataset.select_columns(cols),
            None => Ok(dataset),
        }
    }

    /// A 2-D `.npy` file as a dataset (features `x0`, `x1`, …), header checked first, values
    /// not yet checked (NaN kept).
    pub(super) fn npy_unchecked(path: &Path) -> Result<Self> {
        use ndarray_npy::ReadNpyExt;
        let file_name = path.display().to_string();
        check_npy_header(path)?;
        let open = || std::fs::File::open(path).map_err(|e| NeonError::io(path, e));
        let values = match Array2::<f64>::read_npy(open()?) {
            Ok(v) => v,
            Err(first) => match Array2::<f32>::read_npy(open()?) {
                Ok(v) => v.mapv(f64::from),
                Err(_) => {
                    return Err(NeonError::Npy {
                        file: file_name,
                        message: format!("expected a 2-D float64 or float32 array: {first}"),
                    })
                }
            },
        };
        if values.nrows() == 0 || values.ncols() == 0 {
            return Err(NeonError::EmptyFile { file: file_name });
        }
        Ok(Dataset {
            feature_names: (0..values.ncols()).map(|i| format!("x{i}")).collect(),
            values,
            source: file_name,
            header_rows: 0,
            row_numbers: None,
        })
    }

    /// Keep and order the named columns.
    pub fn select_columns(&self, columns: &[String]) -> Result<Self> {
        let mut indices = Vec::with_capacity(columns.len());
        for name in columns {
            let index = self
                .column_index(name)
                .ok_or_else(|| NeonError::UnknownColumn {
                    file: self.source.clone(),
                    column: name.clone(),
                    available: self.feature_names.join(","),
                })?;
            if indices.contains(&index) {
                return Err(NeonError::param(
                    "columns",
                    format!("column '{name}' is listed twice"),
                ));
            }
            indices.push(index);
        }
        Ok(Dataset {
            feature_names: columns.to_vec(),
            values: self.values.select(Axis(1), &indices),
            source: self.source.clone(),
            header_rows: self.header_rows,
            row_numbers: self.row_numbers.clone(),
        })
    }

    /// Index of the column with this name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.feature_names.iter().position(|n| n == name)
    }

    /// Feature names, in column order.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// The data matrix (rows × features).
    pub fn values(&self) -> ArrayView2<'_, f64> {
        self.values.view()
    }

    /// One data row.
    pub fn row(&self, index: usize) -> ArrayView1<'_, f64> {
        self.values.row(index)
    }

    /// Number of data rows.
    pub fn n_rows(&self) -> usize {
        self.values.nrows()
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.values.ncols()
    }

    /// Where the data came from (for messages).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The row number a user sees for 0-based data row `index` (spreadsheet numbering: the
    /// header of a CSV file is row 1, so data row 0 is row 2).
    pub fn display_row(&self, index: usize) -> usize {
        match self.row_numbers.as_ref().and_then(|rows| rows.get(index)) {
            Some(&row) => row,
            None => index + 1 + self.header_rows,
        }
    }

    /// Per-feature mean of the values.
    pub fn column_means(&self) -> Vec<f64> {
        self.values
            .mean_axis(Axis(0))
            .map(|m| m.to_vec())
            .unwrap_or_default()
    }
}

/// Check a `.npy` header against the file before anything is allocated from it: the header
/// must fit in the file, and the array it announces (shape × item size) must be the data the
/// file holds — so a 200-byte file cannot make neon allocate terabytes.
fn check_npy_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let file_name = path.display().to_string();
    let bad = |message: String| NeonError::Npy {
        file: file_name.clone(),
        message,
    };
    let mut file = std::fs::File::open(path).map_err(|e| NeonError::io(path, e))?;
    let len = file.metadata().map_err(|e| NeonError::io(path, e))?.len();
    let mut prefix = [0u8; 12];
    let got = file.read(&mut prefix).map_err(|e| NeonError::io(path, e))?;
    if got < 10 || &prefix[..6] != b"\x93NUMPY" {
        return Err(bad("not a .npy file (no NUMPY magic string)".into()));
    }
    let (start, header_len) = match prefix[6] {
        1 => (10u64, u64::from(u16::from_le_bytes([prefix[8], prefix[9]]))),
        2 | 3 if got >= 12 => (
            12u64,
            u64::from(u32::from_le_bytes([
                prefix[8], prefix[9], prefix[10], prefix[11],
            ])),
        ),
        v => return Err(bad(format!("unsupported .npy format version {v}"))),
    };
    if start + header_len > len {
        return Err(bad(format!(
            "the header claims {header_len} bytes but the file has {len} bytes in all"
        )));
    }
    let mut header = vec![0u8; header_len as usize];
    use std::io::Seek;
    file.seek(std::io::SeekFrom::Start(start))
        .and_then(|_| file.read_exact(&mut header))
        .map_err(|e| NeonError::io(path, e))?;
    let header = String::from_utf8_lossy(&header);
    let item = if header.contains("f8") {
        8u64
    } else if header.contains("f4") {
        4
    } else {
        return Err(bad("expected a float64 or float32 array".into()));
    };
    let shape = header
        .split("'shape':")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .map(|dims| {
            dims.trim_start()
                .trim_start_matches('(')
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(|d| d.parse::<u64>())
                .collect::<std::result::Result<Vec<_>, _>>()
        })
        .ok_or_else(|| bad("the header has no shape".into()))?
        .map_err(|_| bad("the header's shape is not a list of sizes".into()))?;
    let needed = shape
        .iter()
        .try_fold(item, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad(format!("the shape {shape:?} overflows")))?;
    let available = len - start - header_len;
    if needed > available {
        return Err(bad(format!(
            "the header announces shape {shape:?} ({needed} bytes) but the file holds {available} bytes of data"
        )));
    }
    Ok(())
}
