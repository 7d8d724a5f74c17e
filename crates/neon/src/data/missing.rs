//! Missing values: one policy, chosen explicitly. By default a missing cell (empty, `NA`,
//! `NaN`, `null`, … in CSV; null or NaN in Parquet/Arrow/.npy) is an error naming its row and
//! column. [`MissingValues::DropRows`] drops every row holding one; [`MissingValues::ImputeMedian`]
//! replaces it by the median of the values present in its column. Both are reported
//! ([`MissingReport`]) so the user sees what changed.

use super::columnar::{Columnar, ColumnarChunks};
use super::csv_input::CsvChunks;
use super::dataset::{is_npy, Dataset};
use crate::error::{NeonError, Result};
use ndarray::Axis;
use std::path::Path;

/// What to do with a missing value in a data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingValues {
    /// Refuse the file, naming the first missing cell's row and column.
    #[default]
    Error,
    /// Drop every row with a missing value (rows keep their numbers in later messages).
    DropRows,
    /// Replace a missing value by the median of the values present in its column.
    ImputeMedian,
}

impl std::fmt::Display for MissingValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MissingValues::Error => "error",
            MissingValues::DropRows => "drop",
            MissingValues::ImputeMedian => "median",
        })
    }
}

impl std::str::FromStr for MissingValues {
    type Err = NeonError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "error" => Ok(MissingValues::Error),
            "drop" => Ok(MissingValues::DropRows),
            "median" => Ok(MissingValues::ImputeMedian),
            other => Err(NeonError::param(
                "missing",
                format!("'{other}' is not a policy; give error, drop or median"),
            )),
        }
    }
}

/// What a [`MissingValues`] policy changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MissingReport {
    /// Rows dropped, as the user numbers them (spreadsheet rows in a CSV file).
    pub dropped_rows: Vec<usize>,
    /// Per column with imputed cells: its name, how many cells, and the median used.
    pub imputed: Vec<(String, usize, f64)>,
}

impl MissingReport {
    /// Whether nothing was dropped or imputed.
    pub fn is_empty(&self) -> bool {
        self.dropped_rows.is_empty() && self.imputed.is_empty()
    }
}

impl std::fmt::Display for MissingReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.dropped_rows.is_empty() {
            let shown: Vec<String> = self
                .dropped_rows
                .iter()
                .take(10)
                .map(usize::to_string)
                .collect();
            let more = if self.dropped_rows.len() > 10 {
                ", …"
            } else {
                ""
            };
            write!(
                f,
                "dropped {} row(s) with missing values (rows {}{more})",
                self.dropped_rows.len(),
                shown.join(", ")
            )?;
        }
        for (i, (column, count, median)) in self.imputed.iter().enumerate() {
            if i > 0 || !self.dropped_rows.is_empty() {
                f.write_str("; ")?;
            }
            write!(
                f,
                "column {column}: {count} missing value(s) set to the median {median}"
            )?;
        }
        Ok(())
    }
}

impl Dataset {
    /// [`Dataset::load`] with a missing-value policy; the report says what was dropped or
    /// imputed. With [`MissingValues::Error`] this is exactly [`Dataset::load`].
    pub fn load_with_missing(
        path: &Path,
        columns: Option<&[String]>,
        policy: MissingValues,
    ) -> Result<(Self, MissingReport)> {
        if policy == MissingValues::Error {
            return Ok((Self::load(path, columns)?, MissingReport::default()));
        }
        let source = path.display().to_string();
        let empty = || NeonError::EmptyFile {
            file: source.clone(),
        };
        let raw = if is_npy(path) {
            Self::from_npy_keeping_nan(path, columns)?
        } else if Columnar::of(path).is_some() {
            ColumnarChunks::open(path, columns)?
                .keep_missing()
                .next_chunk(usize::MAX)?
                .ok_or_else(empty)?
        } else {
            let file = std::fs::File::open(path).map_err(|e| NeonError::io(path, e))?;
            CsvChunks::new(file, &source, columns)?
                .keep_missing()
                .next_chunk(usize::MAX)?
                .ok_or_else(empty)?
        };
        raw.resolve_missing(policy)
    }

    /// Apply `policy` to the NaN cells of this dataset (read with missing values kept).
    pub(super) fn resolve_missing(
        mut self,
        policy: MissingValues,
    ) -> Result<(Self, MissingReport)> {
        let mut report = MissingReport::default();
        match policy {
            MissingValues::Error => {}
            MissingValues::DropRows => {
                let keep: Vec<usize> = (0..self.n_rows())
                    .filter(|&r| self.values.row(r).iter().all(|v| !v.is_nan()))
                    .collect();
                if keep.len() < self.n_rows() {
                    report.dropped_rows = (0..self.n_rows())
                        .filter(|r| keep.binary_search(r).is_err())
                        .map(|r| self.display_row(r))
                        .collect();
                    if keep.is_empty() {
                        return Err(NeonError::param(
                            "missing",
                            format!(
                                "{}: every row has a missing value; nothing is left after dropping them",
                                self.source
                            ),
                        ));
                    }
                    let numbers: Vec<usize> = keep.iter().map(|&r| self.display_row(r)).collect();
                    self.values = self.values.select(Axis(0), &keep);
                    self.row_numbers = Some(numbers);
                }
            }
            MissingValues::ImputeMedian => {
                let names = self.feature_names.clone();
                for (c, mut column) in self.values.axis_iter_mut(Axis(1)).enumerate() {
                    let mut present: Vec<f64> =
                        column.iter().copied().filter(|v| !v.is_nan()).collect();
                    let count = column.len() - present.len();
                    if count == 0 {
                        continue;
                    }
                    if present.is_empty() {
                        return Err(NeonError::param(
                            "missing",
                            format!(
                                "{}, column {}: every value is missing; there is no median to impute",
                                self.source, names[c]
                            ),
                        ));
                    }
                    let median = median(&mut present);
                    column.mapv_inplace(|v| if v.is_nan() { median } else { v });
                    report.imputed.push((names[c].clone(), count, median));
                }
            }
        }
        self.check_finite()?;
        Ok((self, report))
    }

    /// Read a `.npy` file with NaN cells kept (for [`Dataset::load_with_missing`]).
    fn from_npy_keeping_nan(path: &Path, columns: Option<&[String]>) -> Result<Self> {
        let dataset = Self::npy_unchecked(path)?;
        match columns {
            Some(cols) => dataset.select_columns(cols),
            None => Ok(dataset),
        }
    }
}

/// The median of `values` (not empty): the middle value, or the mean of the two middle ones.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn default_policy_names_the_missing_cell() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "m.csv", "a,b\n1,2\n\n3,NA\n");
        let err = Dataset::load_with_missing(&path, None, MissingValues::Error)
            .expect_err("missing is an error by default");
        assert!(err.to_string().contains("column b, row 4"), "{err}");
    }

    #[test]
    fn drop_rows_keeps_the_row_numbers_of_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        // row 3 is missing b; row 4 is blank; row 6 has a value that cannot be logged
        let path = write(&dir, "m.csv", "a,b\n1,2\n5,\n\n3,4\n0,6\n");
        let (data, report) =
            Dataset::load_with_missing(&path, None, MissingValues::DropRows).expect("load");
        assert_eq!(report.dropped_rows, vec![3]);
        assert_eq!(data.n_rows(), 3);
        assert_eq!(data.values()[[1, 0]], 3.0);
        assert_eq!(
            (0..3).map(|r| data.display_row(r)).collect::<Vec<_>>(),
            vec![2, 5, 6]
        );
        assert!(report.to_string().contains("dropped 1 row(s)"), "{report}");
    }

    #[test]
    fn median_imputation_uses_the_column_median_and_reports_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "m.csv", "a,b\n1,NaN\n2,10\n3,\n4,30\n5,20\n");
        let (data, report) =
            Dataset::load_with_missing(&path, None, MissingValues::ImputeMedian).expect("load");
        assert_eq!(data.values()[[0, 1]], 20.0);
        assert_eq!(data.values()[[2, 1]], 20.0);
        assert_eq!(data.values()[[3, 1]], 30.0);
        assert_eq!(report.imputed, vec![("b".to_string(), 2, 20.0)]);
        assert!(report.dropped_rows.is_empty());
    }

    #[test]
    fn nothing_left_or_nothing_to_impute_is_an_error_naming_the_parameter() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(&dir, "m.csv", "a,b\n1,NA\n2,\n");
        let err = Dataset::load_with_missing(&path, None, MissingValues::DropRows)
            .expect_err("all rows dropped");
        assert!(
            err.to_string().contains("every row has a missing value"),
            "{err}"
        );
        let err = Dataset::load_with_missing(&path, None, MissingValues::ImputeMedian)
            .expect_err("column b has no value");
        assert!(
            err.to_string().contains("column b: every value is missing"),
            "{err}"
        );
        assert!("sometimes".parse::<MissingValues>().is_err());
    }

    #[test]
    fn npy_nan_is_a_missing_value_under_a_policy() {
        use ndarray_npy::WriteNpyExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.npy");
        let values = ndarray::array![[1.0, f64::NAN], [2.0, 4.0], [3.0, 8.0]];
        values
            .write_npy(std::fs::File::create(&path).expect("create"))
            .expect("write npy");
        assert!(Dataset::load(&path, None).is_err());
        let (data, report) =
            Dataset::load_with_missing(&path, None, MissingValues::ImputeMedian).expect("load");
        assert_eq!(data.values()[[0, 1]], 6.0);
        assert_eq!(report.imputed.len(), 1);
    }
}
