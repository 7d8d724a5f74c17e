//! Binary (`.safetensors`) model files: header, tensor shapes and offsets, and every stored value
//! are validated on load, so any bytes give a model or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neon_xai::ModelFile;

fuzz_target!(|data: &[u8]| {
    let _ = ModelFile::from_safetensors(data, "fuzz.safetensors");
});
