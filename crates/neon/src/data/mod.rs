//! Data in: a [`Dataset`] is a float64 matrix with feature names and the file it came from;
//! [`transform`] holds the `log` / `log1p` / `standardize` / `minmax` / `robust` steps that
//! remember their fit.

mod columnar;
mod csv_input;
mod dataset;
mod load;
mod missing;
pub mod transform;

pub use columnar::{Columnar, ColumnarChunks, ColumnarWriter, OutputColumn};
pub use csv_input::CsvChunks;
pub use dataset::{is_npy, Dataset};
pub use missing::{MissingReport, MissingValues};
pub use transform::{FittedTransform, TransformStep};
