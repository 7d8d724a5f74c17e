//! Load time of a large KDE model file, JSON vs binary (safetensors):
//! `cargo run --release -p neon-xai --example model_file_load [ROWS] [COLUMNS]`
//! (default 1 000 000 × 16). Writes both files to a temporary folder, loads each three
//! times, checks the loaded models are equal and prints sizes and times.

use ndarray::Array2;
use neon_xai::data::FittedTransform;
use neon_xai::models::{Kde, KdeParams};
use neon_xai::ModelFile;
use rand::{Rng, SeedableRng};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map_or(Ok(1_000_000), |a| a.parse())?;
    let cols: usize = args.next().map_or(Ok(16), |a| a.parse())?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let points = Array2::from_shape_simple_fn((rows, cols), || rng.gen_range(-4.0..4.0));
    let model = Kde::fit(KdeParams::new(0.5), points.view())?;
    let names = (0..cols).map(|i| format!("x{i}")).collect();
    let file = ModelFile::new(names, FittedTransform::identity(), model.into());

    let dir = tempfile::tempdir()?;
    println!("KDE model of {rows} x {cols} training points");
    println!(
        "{:<12} {:>10} {:>10} {:>28}",
        "encoding", "MiB", "save s", "load s (3 runs)"
    );
    for name in ["model.json", "model.safetensors"] {
        let path = dir.path().join(name);
        let start = Instant::now();
        file.save(&path)?;
        let save = start.elapsed().as_secs_f64();
        let size = std::fs::metadata(&path)?.len() as f64 / (1024.0 * 1024.0);
        let mut loads = Vec::new();
        for _ in 0..3 {
            let start = Instant::now();
            let loaded = ModelFile::load(&path)?;
            loads.push(start.elapsed().as_secs_f64());
            if loaded != file {
                return Err(format!("{name}: the loaded model differs").into());
            }
        }
        let loads: Vec<String> = loads.iter().map(|s| format!("{s:.3}")).collect();
        let encoding = name.trim_start_matches("model.");
        println!(
            "{encoding:<12} {size:>10.1} {save:>10.3} {:>28}",
            loads.join(" ")
        );
    }
    Ok(())
}
