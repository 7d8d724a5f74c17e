//! The one error type of the `neon` library. Every variant carries the file, row, column or
//! parameter that is wrong, so the message alone tells the user what to fix.

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = NeonError> = std::result::Result<T, E>;

/// Everything that can go wrong in `neon`. Rows are reported as a spreadsheet shows them
/// (1-based, the header of a CSV file being row 1).
#[derive(Debug, thiserror::Error)]
pub enum NeonError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file holds no header or no data row.
    #[error("{file}: the file is empty (expected a header row and at least one data row)")]
    EmptyFile {
        /// The file.
        file: String,
    },
    /// The CSV parser failed (bad quoting, invalid UTF-8 …).
    #[error("{file}, row {row}: {message}")]
    Csv {
        /// The file.
        file: String,
        /// Spreadsheet row.
        row: usize,
        /// What the parser said.
        message: String,
    },
    /// Two header cells have the same name.
    #[error("{file}: duplicate column name '{column}' in the header")]
    DuplicateHeader {
        /// The file.
        file: String,
        /// The repeated name.
        column: String,
    },
    /// `--columns` names a column that the file lacks.
    #[error("{file}: unknown column '{column}' (available: {available})")]
    UnknownColumn {
        /// The file.
        file: String,
        /// The requested name.
        column: String,
        /// Comma-separated list of the file's columns.
        available: String,
    },
    /// A column is selected twice.
    #[error("{file}: column '{column}' is selected twice")]
    DuplicateColumn {
        /// The file.
        file: String,
        /// The repeated name.
        column: String,
    },
    /// A cell holds no value (empty, NA, null …). neon needs a value in every cell: drop or
    /// impute such rows before.
    #[error("{file}, column {column}, row {row}: missing value ('{value}'); drop or impute the row first")]
    MissingValue {
        /// The file.
        file: String,
        /// Spreadsheet row.
        row: usize,
        /// Column name.
        column: String,
        /// The cell as written.
        value: String,
    },
    /// No column of the file is numeric.
    #[error("{file}: no numeric column found")]
    NoNumericColumns {
        /// The file.
        file: String,
    },
    /// A row has more or fewer cells than the header.
    #[error("{file}, row {row}: expected {expected} fields, found {found}")]
    RaggedRow {
        /// The file.
        file: String,
        /// Spreadsheet row.
        row: usize,
        /// Number of header cells.
        expected: usize,
        /// Number of cells in this row.
        found: usize,
    },
    /// A cell is not a number.
    #[error("{file}, column {column}, row {row}: '{value}' is not a number")]
    NonNumeric {
        /// The file.
        file: String,
        /// Spreadsheet row.
        row: usize,
        /// Column name.
        column: String,
        /// The cell as written.
        value: String,
    },
    /// A cell is NaN or infinite.
    #[error("{file}, column {column}, row {row}: value {value} is not finite")]
    NonFinite {
        /// The file.
        file: String,
        /// Spreadsheet row.
        row: usize,
        /// Column name.
        column: String,
        /// The cell as written.
        value: String,
    },
    /// A value is outside the domain of a transform (≤ 0 under `log`, ≤ −1 under `log1p`).
    #[error("{file}, column {column}, row {row}: value {value} cannot be {transform}-transformed")]
    TransformDomain {
        /// The file.
        file: String,
        /// Spreadsheet row.
        row: usize,
        /// Column name.
        column: String,
        /// The offending value.
        value: f64,
        /// `log` or `log1p`.
        transform: String,
    },
    /// A model-space value is so large that squared distances would overflow.
    #[error("{file}, column {column}, row {row}: value {value:e} (after the transform) is beyond ±{limit:e}, where squared distances overflow; rescale the data")]
    OutOfRange {
        /// The file.
        file: String,
        /// Spreadsheet row.
        row: usize,
        /// Column name.
        column: String,
        /// The value in model space.
        value: f64,
        /// The largest magnitude accepted.
        limit: f64,
    },
    /// A column's statistics overflow (values near the largest float).
    #[error("{file}, column {column}: {what} overflows; the values are too large to {transform} — rescale them")]
    Overflow {
        /// The file.
        file: String,
        /// Column name.
        column: String,
        /// What overflowed.
        what: String,
        /// What the transform does (`standardize`, `min-max scale`, `robust-scale`).
        transform: String,
    },
    /// A column is constant, so it cannot be standardized.
    #[error("{file}, column {column}: zero variance, cannot be standardized")]
    ZeroVariance {
        /// The file.
        file: String,
        /// Column name.
        column: String,
    },
    /// A column is constant (maximum = minimum), so it cannot be min-max scaled.
    #[error("{file}, column {column}: zero range, cannot be min-max scaled")]
    ZeroRange {
        /// The file.
        file: String,
        /// Column name.
        column: String,
    },
    /// A column's 25th and 75th percentiles coincide, so it cannot be robust-scaled.
    #[error("{file}, column {column}: zero interquartile range, cannot be robust-scaled")]
    ZeroIqr {
        /// The file.
        file: String,
        /// Column name.
        column: String,
    },
    /// A parameter has an invalid value.
    #[error("parameter {name}: {reason}")]
    InvalidParameter {
        /// Parameter name, as the chapter and the library spell it (`gamma`, `beta`,
        /// `n_clusters`); the CLI shows its flag instead.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A hyperparameter or rule option fails one of its checks. Each model (and the rule
    /// options) has its own error type with one variant per check; [`NeonError::check`]
    /// returns it, so callers can match the variant.
    #[error("parameter {}: {}", .0.parameter(), .0)]
    Hyperparameter(Box<dyn ParamCheck>),
    /// Two arrays that must agree in shape do not.
    #[error("{what}: expected {expected}, found {found}")]
    ShapeMismatch {
        /// What was being checked.
        what: String,
        /// Expected shape.
        expected: String,
        /// Actual shape.
        found: String,
    },
    /// A row index is out of range.
    #[error("row {row} is out of range (the data has {n_rows} rows, indices 0..{n_rows})")]
    RowOutOfRange {
        /// 0-based index asked for.
        row: usize,
        /// Number of rows.
        n_rows: usize,
    },
    /// The model cannot produce this target.
    #[error("model '{model}' does not support target '{target}' (supported: {supported})")]
    UnsupportedTarget {
        /// Model name.
        model: String,
        /// Requested target.
        target: String,
        /// Supported targets.
        supported: String,
    },
    /// The rule set does not apply to this model and target.
    #[error("rule set '{rule}' does not apply to target '{target}' of model '{model}' (applicable: {supported})")]
    UnsupportedRule {
        /// Model name.
        model: String,
        /// Requested target.
        target: String,
        /// Requested rule set.
        rule: String,
        /// Rule sets that apply.
        supported: String,
    },
    /// A computed score or relevance is not finite (refused rather than written as `null`).
    #[error("row {row}: the {what} is {value}, not a finite number (is the point extremely far from the data?)")]
    NonFiniteResult {
        /// 0-based data row.
        row: usize,
        /// Which number.
        what: String,
        /// Its value.
        value: f64,
    },
    /// A request would need more memory than the budget allows.
    #[error("{what} would need {needed}, above the memory budget of {budget}; {hint}, or raise the budget with NEON_MEMORY_LIMIT (e.g. NEON_MEMORY_LIMIT=32G)")]
    MemoryBudget {
        /// What would be allocated.
        what: String,
        /// The memory it needs, human-readable.
        needed: String,
        /// The budget, human-readable.
        budget: String,
        /// What to lower.
        hint: String,
    },
    /// A model file is malformed.
    #[error("{file}: invalid model file: {reason}")]
    ModelFormat {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A model file was written by a newer neon.
    #[error("{file}: model format version {found} is not supported (this neon reads version {supported})")]
    UnsupportedVersion {
        /// The file.
        file: String,
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// A Parquet or Arrow IPC file could not be read or written.
    #[error("{file}: {message}")]
    ColumnarFormat {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A `.npy` file could not be read as a 2-D float array.
    #[error("{file}: {message}")]
    Npy {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// One failed check of a hyperparameter: implemented by each model's error type (one variant
/// per check) and by the rule options' (`OptionsError`).
pub trait ParamCheck: std::error::Error + Send + Sync + 'static {
    /// The parameter's name, as the chapter and the library spell it (`gamma`, `n_clusters`).
    fn parameter(&self) -> &'static str;
    /// The check as `Any`, for [`NeonError::check`].
    fn as_any(&self) -> &dyn std::any::Any;
}

impl NeonError {
    /// The failed check of a [`NeonError::Hyperparameter`] error, if it is of type `T`.
    pub fn check<T: ParamCheck>(&self) -> Option<&T> {
        match self {
            NeonError::Hyperparameter(check) => check.as_any().downcast_ref::<T>(),
            _ => None,
        }
    }

    /// The name of the parameter an error is about ([`NeonError::InvalidParameter`] or
    /// [`NeonError::Hyperparameter`]).
    pub fn parameter(&self) -> Option<&str> {
        match self {
            NeonError::InvalidParameter { name, .. } => Some(name),
            NeonError::Hyperparameter(check) => Some(check.parameter()),
            _ => None,
        }
    }

    /// Shorthand for [`NeonError::InvalidParameter`].
    pub fn param(name: &str, reason: impl Into<String>) -> Self {
        NeonError::InvalidParameter {
            name: name.to_string(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`NeonError::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        NeonError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Implement [`ParamCheck`] and `From<…> for NeonError` for an error enum with one variant per
/// check; `$name` maps each variant to the parameter it checks.
macro_rules! param_check {
    ($ty:ty, |$e:ident| $name:expr) => {
        impl $crate::error::ParamCheck for $ty {
            fn parameter(&self) -> &'static str {
                let $e = self;
                $name
            }
            fn as_any(&self) -> &dyn std::any::Any {
                self
            }
        }
        impl From<$ty> for $crate::error::NeonError {
            fn from(check: $ty) -> Self {
                $crate::error::NeonError::Hyperparameter(Box::new(check))
            }
        }
    };
}
pub(crate) use param_check;
