//! Print VGG-16 forward and explanation times at 224 and 448 (random weights).
fn main() {
    for preset in ["epsilon-gamma-box", "epsilon-plus-flat"] {
        match neon_cnn::bench::bench(&[224, 448], preset, 3, 0) {
            Ok(rows) => {
                for r in rows {
                    println!("{} {}: forward {:.3}s prepare {:.3}s backward {:.3}s explanation {:.3}s ({} threads)", r.preset, r.size, r.forward_s, r.prepare_s, r.backward_s, r.explanation_s, r.threads);
                }
            }
            Err(e) => eprintln!("{e}"),
        }
    }
}
