//! Embed the Wholesale customers data as in the chapter's §5.1 (log, standardise, t-SNE with
//! perplexity 100), report the time taken, and optionally save the map.
//!
//! ```text
//! cargo run --release -p neon-xai-report --example tsne_wholesale -- [OUT_DIR [DATA.csv]]
//! ```

use std::time::Instant;

use ndarray::{Array2, Axis};
use neon_xai_report::{tsne, ScatterMap};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The six spending categories (the two geographic columns are dropped, as in the chapter).
    // the copy shipped in the repository's data/ folder, or a path given as second argument
    let path = std::env::args().nth(2).map_or_else(
        || {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../data/wholesale_customers.csv")
        },
        std::path::PathBuf::from,
    );
    let data = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let rows: Vec<Vec<f64>> = data
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(',')
                .skip(2)
                .map(|v| v.trim().parse::<f64>().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let mut data = Array2::from_shape_fn((rows.len(), 6), |(i, j)| rows[i][j].ln());
    for mut column in data.axis_iter_mut(Axis(1)) {
        let mean = column.mean().unwrap_or(0.0);
        let std = column.std(0.0).max(f64::EPSILON);
        column.mapv_inplace(|v| (v - mean) / std);
    }

    let start = Instant::now();
    let map = tsne(data.view(), 100.0, 0)?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "t-SNE of {}×{} (perplexity 100, 1000 iterations): {seconds:.2} s",
        data.nrows(),
        data.ncols()
    );

    if let Some(dir) = std::env::args().nth(1) {
        let fresh: Vec<f64> = data.column(0).to_vec();
        ScatterMap::new("Wholesale customers (t-SNE, perplexity 100)", map.view())
            .continuous(fresh, "log-standardised 'fresh' spending (σ)")
            // The chapter numbers instances from 1: its 338 and 339 are rows 337 and 338.
            .highlight(337, "338")
            .highlight(338, "339")
            .render()?
            .save(&dir, "wholesale_tsne")?;
        println!("wrote {dir}/wholesale_tsne.svg and .png");
    }
    Ok(())
}
