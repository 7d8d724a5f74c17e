//! Model files: every stored value is validated on load, and any text gives a model or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neon_xai::ModelFile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = ModelFile::from_json(text, "fuzz.json");
});
