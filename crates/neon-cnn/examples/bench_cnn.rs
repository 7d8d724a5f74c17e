//! Print VGG-16 forward and explanation times at 224 and 448 (random weights), with the
//! process CPU time so that runs on a busy machine can be judged.
fn cpu_seconds() -> f64 {
    // utime + stime from /proc/self/stat (Linux; clock ticks of 1/100 s).
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            Some((rest.get(11)?.parse::<f64>().ok()? + rest.get(12)?.parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(f64::NAN)
}

fn main() {
    for preset in ["epsilon-gamma-box", "epsilon-plus-flat"] {
        let c0 = cpu_seconds();
        let t0 = std::time::Instant::now();
        match neon_cnn::bench::bench(&[224, 448], preset, 3, 0) {
            Ok(rows) => {
                for r in rows {
                    println!(
                        "{} {}: forward {:.3}s prepare {:.3}s backward {:.3}s explanation {:.3}s ({} threads)",
                        r.preset, r.size, r.forward_s, r.prepare_s, r.backward_s, r.explanation_s, r.threads
                    );
                }
            }
            Err(e) => eprintln!("{e}"),
        }
        println!(
            "  (wall {:.1}s, process CPU {:.1}s for 3 runs at each size)",
            t0.elapsed().as_secs_f64(),
            cpu_seconds() - c0
        );
    }
}
