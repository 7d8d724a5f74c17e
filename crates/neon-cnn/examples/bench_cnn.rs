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

/// Time one VGG-16-sized convolution both ways (same inputs, same run).
fn conv_paths() {
    use ndarray::Array3;
    use neon_xai_cnn::ops::{conv3x3, conv3x3_im2col, Kernel, Post};
    for (side, c) in [(112usize, 128usize), (56, 256), (28, 512), (14, 512)] {
        let x = Array3::from_shape_fn((side, side, c), |(y, x, ch)| {
            ((y * 31 + x * 7 + ch) % 13) as f32 * 0.1 - 0.6
        });
        let k = Kernel::from_hwio(
            c,
            c,
            (0..9 * c * c)
                .map(|i| ((i % 17) as f32 - 8.0) * 0.01)
                .collect(),
        );
        let time = |f: &dyn Fn() -> Array3<f32>| {
            let _ = f();
            let t = std::time::Instant::now();
            for _ in 0..3 {
                let _ = f();
            }
            t.elapsed().as_secs_f64() / 3.0
        };
        let a = time(&|| conv3x3_im2col(&x.view(), &k, Post::None));
        let b = time(&|| conv3x3(&x.view(), &k, Post::None));
        println!("conv {side}x{side}x{c}->{c}: im2col {a:.4}s, conv3x3 (Winograd where it pays) {b:.4}s, ratio {:.2}x", a / b);
    }
}

fn main() {
    conv_paths();
    for preset in ["epsilon-gamma-box", "epsilon-plus-flat"] {
        let c0 = cpu_seconds();
        let t0 = std::time::Instant::now();
        match neon_xai_cnn::bench::bench(&[224, 448], preset, 3, 0) {
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
