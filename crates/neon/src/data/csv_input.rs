//! CSV reading with errors that name the file, row and column.

use super::dataset::Dataset;
use crate::error::{NeonError, Result};
use std::path::Path;

fn parse_cell(cell: &str) -> Option<f64> {
    cell.trim().parse::<f64>().ok()
}

/// Cells that mean "no value" in the files people export (pandas, R, spreadsheets). A column
/// whose first data cell is one of them is still read as a number column, so that the missing
/// value is reported (row and column) instead of the column vanishing.
fn is_missing(cell: &str) -> bool {
    let cell = cell.trim();
    cell.is_empty()
        || ["na", "n/a", "nan", "null", "none", "-", "?"]
            .iter()
            .any(|token| cell.eq_ignore_ascii_case(token))
}

/// Counts the line breaks the CSV parser has been given, so that a record's byte offset maps
/// to its line in the file even after blank lines (which the parser skips without counting).
#[derive(Debug)]
struct LineCounter<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// Offsets of line breaks read but not yet passed by a record.
    pending: std::collections::VecDeque<u64>,
    /// Line breaks before the last record asked about.
    passed: u64,
}

impl<R: std::io::Read> std::io::Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                self.pending.push_back(self.offset + i as u64);
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R> LineCounter<R> {
    /// The 1-based line of the byte at `offset` (offsets must not decrease between calls).
    fn line_at(&mut self, offset: u64) -> usize {
        while self.pending.front().is_some_and(|&nl| nl < offset) {
            self.pending.pop_front();
            self.passed += 1;
        }
        self.passed as usize + 1
    }
}

/// A CSV file read a chunk of rows at a time: the one reader behind [`Dataset::load`] (all
/// rows in one chunk) and the streaming explanation (bounded chunks). Numeric columns are
/// those whose first data cell parses as a number; with `columns` given, exactly those
/// columns are read, in that order, and every cell must be a finite number. Errors name the
/// file, the spreadsheet row (the header is row 1) and the column.
pub struct CsvChunks<R: std::io::Read> {
    reader: csv::Reader<LineCounter<R>>,
    source: String,
    header: Vec<String>,
    selected: Option<Vec<usize>>,
    record: csv::StringRecord,
    /// Data rows returned so far.
    rows: usize,
    /// Read missing cells as NaN (for [`super::MissingValues`]) instead of failing.
    keep_missing: bool,
}

impl<R: std::io::Read> CsvChunks<R> {
    /// Read and check the header.
    pub fn new(reader: R, source: &str, columns: Option<&[String]>) -> Result<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(LineCounter {
                inner: reader,
                offset: 0,
                pending: Default::default(),
                passed: 0,
            });
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| NeonError::Csv {
                file: source.to_string(),
                row: 1,
                message: e.to_string(),
            })?
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
        if let Some(cols) = columns {
            let mut seen = std::collections::HashSet::new();
            if let Some(name) = cols.iter().find(|c| !seen.insert(c.as_str())) {
                return Err(NeonError::DuplicateColumn {
                    file: source.to_string(),
                    column: name.clone(),
                });
            }
        }
        let selected = match columns {
            Some(cols) => Some(
                cols.iter()
                    .map(|name| {
                        header.iter().position(|h| h == name).ok_or_else(|| {
                            NeonError::UnknownColumn {
                                file: source.to_string(),
                                column: name.clone(),
                                available: header.join(","),
                            }
                        })
                    })
                    .collect::<Result<_>>()?,
            ),
            None => None,
        };
        Ok(CsvChunks {
            reader,
            source: source.to_string(),
            header,
            selected,
            record: csv::StringRecord::new(),
            rows: 0,
            keep_missing: false,
        })
    }

    /// Names of the columns read (known once the first data row is read when they are chosen
    /// as the numeric ones).
    pub fn feature_names(&self) -> Option<Vec<String>> {
        self.selected
            .as_ref()
            .map(|cols| cols.iter().map(|&c| self.header[c].clone()).collect())
    }

    /// Data rows returned so far.
    pub fn rows_read(&self) -> usize {
        self.rows
    }

    /// Bytes of the input consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// Read missing cells as NaN instead of failing (resolved by [`super::MissingValues`]).
    pub(super) fn keep_missing(mut self) -> Self {
        self.keep_missing = true;
        self
    }

    /// The next at most `max` data rows (blank lines skipped) as a dataset whose
    /// [`Dataset::display_row`] gives the spreadsheet row of each; `None` at the end of the
    /// file. A file without any data row is an error.
    pub fn next_chunk(&mut self, max: usize) -> Result<Option<Dataset>> {
        let start = self.rows;
        let mut values: Vec<f64> = Vec::new();
        let mut lines: Vec<usize> = Vec::new();
        let mut len = 0usize;
        while len < max {
            let before = self.reader.position().byte();
            let more = match self.reader.read_record(&mut self.record) {
                Ok(more) => more,
                Err(e) => {
                    let byte = e.position().map_or(before, |p| p.byte());
                    return Err(NeonError::Csv {
                        file: self.source.clone(),
                        row: self.reader.get_mut().line_at(byte),
                        message: e.to_string(),
                    });
                }
            };
            if !more {
                break;
            }
            // the parser's record position counts from the end of the previous record, blank
            // lines included; the record's own last byte (its line break) gives its line
            let end = self.reader.position().byte().saturating_sub(1).max(before);
            let row = self.reader.get_mut().line_at(end);
            let record = &self.record;
            if record.len() == 1 && record.get(0).is_some_and(|c| c.trim().is_empty()) {
                continue; // blank line
            }
            if record.len() != self.header.len() {
                return Err(NeonError::RaggedRow {
                    file: self.source.clone(),
                    row,
                    expected: self.header.len(),
                    found: record.len(),
                });
            }
            let header = &self.header;
            let cols = self.selected.get_or_insert_with(|| {
                (0..header.len())
                    .filter(|&c| {
                        record
                            .get(c)
                            .is_some_and(|cell| parse_cell(cell).is_some() || is_missing(cell))
                    })
                    .collect()
            });
            if cols.is_empty() {
                return Err(NeonError::NoNumericColumns {
                    file: self.source.clone(),
                });
            }
            for &c in cols.iter() {
                let cell = record.get(c).unwrap_or("");
                if is_missing(cell) && parse_cell(cell).is_none_or(f64::is_nan) {
                    if self.keep_missing {
                        values.push(f64::NAN);
                        continue;
                    }
                    return Err(NeonError::MissingValue {
                        file: self.source.clone(),
                        row,
                        column: header[c].clone(),
                        value: cell.trim().to_string(),
                    });
                }
                let value = parse_cell(cell).ok_or_else(|| NeonError::NonNumeric {
                    file: self.source.clone(),
                    row,
                    column: header[c].clone(),
                    value: cell.to_string(),
                })?;
                if !value.is_finite() {
                    return Err(NeonError::NonFinite {
                        file: self.source.clone(),
                        row,
                        column: header[c].clone(),
                        value: cell.trim().to_string(),
                    });
                }
                values.push(value);
            }
            lines.push(row);
            len += 1;
        }
        self.rows += len;
        let names = self.feature_names().unwrap_or_default();
        Dataset::from_chunk(
            names,
            values,
            len,
            &self.source,
            1 + start,
            Some(lines),
            start == 0,
        )
    }
}

/// Parse CSV text: every row of [`CsvChunks`] in one chunk.
pub(super) fn read_csv<R: std::io::Read>(
    reader: R,
    source: &str,
    columns: Option<&[String]>,
) -> Result<Dataset> {
    let mut chunks = CsvChunks::new(reader, source, columns)?;
    chunks
        .next_chunk(usize::MAX)?
        .ok_or_else(|| NeonError::EmptyFile {
            file: source.to_string(),
        })
}

/// The CSV constructors of [`Dataset`] (here, next to the reader they use).
impl Dataset {
    /// Read a CSV file with a header row. See [`Dataset::load`].
    pub fn from_csv(path: &Path, columns: Option<&[String]>) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| NeonError::io(path, e))?;
        read_csv(file, &path.display().to_string(), columns)
    }

    /// Read CSV text from any reader; `source` names it in error messages.
    pub fn from_csv_reader<R: std::io::Read>(
        reader: R,
        source: &str,
        columns: Option<&[String]>,
    ) -> Result<Self> {
        read_csv(reader, source, columns)
    }
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
        // NaN is how pandas and R mark a missing value
        let err = read("a,b\n1,NaN\n", None).expect_err("NaN");
        assert!(
            matches!(err, NeonError::MissingValue { row: 2, .. }),
            "{err}"
        );
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
