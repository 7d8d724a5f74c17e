//! Images (PNG, JPEG, sniffed from the content): decoded sizes are capped from the header.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use neon_xai_cnn::preprocess::{load_image, Resize};

fuzz_target!(|data: &[u8]| {
    let path = common::as_file(data, "png");
    let _ = load_image(&path, Resize::Keep);
});
