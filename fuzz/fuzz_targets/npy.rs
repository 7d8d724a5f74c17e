//! `.npy` data files: header sizes and shapes are checked against the file before allocating.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use neon_xai::data::Dataset;

fuzz_target!(|data: &[u8]| {
    let path = common::as_file(data, "npy");
    let _ = Dataset::from_npy(&path, None);
});
