//! `neon bench cnn`: forward time and seconds per explanation of VGG-16 on random weights.

use std::time::Instant;

use ndarray::Array3;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::error::Result;
use crate::lrp::{presets, LrpContext, PoolRule};
use crate::network::{Network, VggConfig};

/// Timings at one input size (best of `repeats`).
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    /// Input side in pixels (square input).
    pub size: usize,
    /// Preset used for the explanation.
    pub preset: String,
    /// One forward pass up to `pool5`, recording activations (s).
    pub forward_s: f64,
    /// Preparing the rules for one image: denominators and modified kernels (s).
    pub prepare_s: f64,
    /// One backward pass from `pool5` to the pixels (s).
    pub backward_s: f64,
    /// One whole explanation: forward + prepare + backward (s).
    pub explanation_s: f64,
    /// Worker threads used.
    pub threads: usize,
}

/// Time VGG-16 (random He-normal weights, seed `seed`) at each size in `sizes`, best of `repeats`.
pub fn bench(
    sizes: &[usize],
    preset_name: &str,
    repeats: usize,
    seed: u64,
) -> Result<Vec<BenchResult>> {
    let net = Network::random(&VggConfig::vgg16(), seed, true);
    let cut = net.layer_index("pool5")?;
    let preset = presets::preset(preset_name)?;
    let bounds = crate::preprocess::Preprocess::Torchvision.bounds();
    let mut out = Vec::new();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for &size in sizes {
        let x = Array3::from_shape_fn((size, size, 3), |(_, _, c)| {
            rng.gen_range(bounds.low[c]..bounds.high[c])
        });
        let mut best = (f64::MAX, f64::MAX, f64::MAX);
        for _ in 0..repeats.max(1) {
            let t0 = Instant::now();
            let rec = net.forward(&x, cut)?;
            let t1 = Instant::now();
            let rules = presets::assign(&net, cut, preset, &bounds, PoolRule::WinnerTakeAll, &[])?;
            let ctx = LrpContext::new(&net, &rec, rules)?;
            let t2 = Instant::now();
            let res = ctx.propagate(&rec.output)?;
            let t3 = Instant::now();
            std::hint::black_box(res.input_relevance.len());
            best.0 = best.0.min((t1 - t0).as_secs_f64());
            best.1 = best.1.min((t2 - t1).as_secs_f64());
            best.2 = best.2.min((t3 - t2).as_secs_f64());
        }
        out.push(BenchResult {
            size,
            preset: preset_name.to_string(),
            forward_s: best.0,
            prepare_s: best.1,
            backward_s: best.2,
            explanation_s: best.0 + best.1 + best.2,
            threads: rayon::current_num_threads(),
        });
    }
    Ok(out)
}
