//! CSV reading with errors that name the file, row and column.

use super::Dataset;
use crate::error::{NeonError, Result};
use ndarray::Array2;

fn parse_cell(cell: &str) -> Option<f64> {
    cell.trim().parse::<f64>().ok()
}

/// Parse CSV text. Numeric columns are those whose first data cell parses as a number; with
/// `columns` given, exactly those columns are read and every cell must be a finite number.
pub(super) fn read_csv<R: std::io::Read>(
    reader: R,
    source: &str,
    columns: Option<&[String]>,
) -> Result<Dataset> {
    let mut csv_reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let csv_error = |row: usize, e: csv::Error| NeonError::Csv {
        file: source.to_string(),
        row,
        message: e.to_string(),
    };
    let header: Vec<String> = csv_reader
        .headers()
        .map_err(|e| csv_error(1, e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(NeonError::EmptyFile {
            file: source.to_string(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for name in &header {
        if !seen.insert(name.as_str()) {
            return Err(NeonError::DuplicateHeader {
                file: source.to_string(),
                column: name.clone(),
            });
        }
    }
    let requested: Option<Vec<usize>> = match columns {
        Some(cols) => Some(
            cols.iter()
                .map(|name| {
                    header
                        .iter()
                        .position(|h| h == name)
                        .ok_or_else(|| NeonError::UnknownColumn {
                            file: source.to_string(),
                            column: name.clone(),
                            available: header.join(","),
                        })
                })
                .collect::<Result<_>>()?,
        ),
        None => None,
    };

    let mut selected: Option<Vec<usize>> = requested;
    let mut values: Vec<f64> = Vec::new();
    let mut n_rows = 0usize;
    for (index, record) in csv_reader.records().enumerate() {
        let row = index + 2;
        let record = record.map_err(|e| csv_error(row, e))?;
        if record.len() == 1 && record.get(0).is_some_and(|c| c.trim().is_empty()) {
            continue; // blank line
        }
        if record.len() != header.len() {
            return Err(NeonError::RaggedRow {
                file: source.to_string(),
                row,
                expected: header.len(),
                found: record.len(),
            });
        }
        let cols = selected.get_or_insert_with(|| {
            (0..header.len())
                .filter(|&c| record.get(c).and_then(parse_cell).is_some())
                .collect()
        });
        if cols.is_empty() {
            return Err(NeonError::NoNumericColumns {
                file: source.to_string(),
            });
        }
        for &c in cols.iter() {
            let cell = record.get(c).unwrap_or("");
            let value = parse_cell(cell).ok_or_else(|| NeonError::NonNumeric {
                file: source.to_string(),
                row,
                column: header[c].clone(),
                value: cell.to_string(),
            })?;
            if !value.is_finite() {
                return Err(NeonError::NonFinite {
                    file: source.to_string(),
                    row,
                    column: header[c].clone(),
                    value: cell.trim().to_string(),
                });
            }
            values.push(value);
        }
        n_rows += 1;
    }
    let cols = match selected {
        Some(cols) if n_rows > 0 => cols,
        _ => {
            return Err(NeonError::EmptyFile {
                file: source.to_string(),
            })
        }
    };
    let names: Vec<String> = cols.iter().map(|&c| header[c].clone()).collect();
    let matrix = Array2::from_shape_vec((n_rows, names.len()), values).map_err(|e| {
        NeonError::ShapeMismatch {
            what: format!("{source}: data matrix"),
            expected: format!("{n_rows}x{}", names.len()),
            found: e.to_string(),
        }
    })?;
    Ok(Dataset {
        feature_names: names,
        values: matrix,
        source: source.to_string(),
        header_rows: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, columns: Option<&[String]>) -> Result<Dataset> {
        read_csv(text.as_bytes(), "t.csv", columns)
    }

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_numeric_columns_and_skips_text_ones() {
        let d = read("id,a,b\nx,1,2\ny,3,4\n", None).expect("valid csv");
        assert_eq!(d.feature_names(), &["a", "b"]);
        assert_eq!(d.values()[[1, 1]], 4.0);
        assert_eq!(d.display_row(0), 2);
    }

    #[test]
    fn columns_select_and_order() {
        let d = read("a,b,c\n1,2,3\n", Some(&cols(&["c", "a"]))).expect("valid");
        assert_eq!(d.feature_names(), &["c", "a"]);
        assert_eq!(d.values().row(0).to_vec(), vec![3.0, 1.0]);
    }

    #[test]
    fn non_numeric_cell_names_row_and_column() {
        let err = read("a,b\n1,2\n3,abc\n", None).expect_err("must fail");
        assert!(matches!(err, NeonError::NonNumeric { row: 3, ref column, .. } if column == "b"));
        assert_eq!(
            err.to_string(),
            "t.csv, column b, row 3: 'abc' is not a number"
        );
    }

    #[test]
    fn nan_and_inf_are_rejected() {
        let err = read("a,b\n1,NaN\n", None).expect_err("NaN");
        assert!(matches!(err, NeonError::NonFinite { row: 2, .. }));
        let err = read("a,b\n1,2\ninf,2\n", None).expect_err("inf");
        assert!(matches!(err, NeonError::NonFinite { row: 3, ref column, .. } if column == "a"));
    }

    #[test]
    fn ragged_row_is_rejected() {
        let err = read("a,b\n1,2\n3\n", None).expect_err("ragged");
        assert!(matches!(
            err,
            NeonError::RaggedRow {
                row: 3,
                expected: 2,
                found: 1,
                ..
            }
        ));
    }

    #[test]
    fn empty_file_is_rejected() {
        assert!(matches!(
            read("", None).expect_err("empty"),
            NeonError::EmptyFile { .. }
        ));
        assert!(matches!(
            read("a,b\n", None).expect_err("header only"),
            NeonError::EmptyFile { .. }
        ));
    }

    #[test]
    fn unknown_column_is_rejected() {
        let err = read("a,b\n1,2\n", Some(&cols(&["z"]))).expect_err("unknown");
        assert!(matches!(err, NeonError::UnknownColumn { ref column, .. } if column == "z"));
    }

    #[test]
    fn duplicate_header_is_rejected() {
        let err = read("a,a\n1,2\n", None).expect_err("duplicate");
        assert!(matches!(err, NeonError::DuplicateHeader { ref column, .. } if column == "a"));
    }
}
