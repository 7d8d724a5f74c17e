//! CSV data files: any bytes give a dataset or an error, never a panic or an unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neon_xai::data::Dataset;

fuzz_target!(|data: &[u8]| {
    let _ = Dataset::from_csv_reader(data, "fuzz.csv", None);
});
