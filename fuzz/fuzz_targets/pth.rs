//! `.pth` weight files: sizes, offsets and cycles are checked against the file's length, so the
//! time and memory of a read are bounded by it.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use neon_xai_cnn::weights::read_tensors;

fuzz_target!(|data: &[u8]| {
    let path = common::as_file(data, "pth");
    let _ = read_tensors(&path);
});
