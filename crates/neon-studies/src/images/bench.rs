//! `neon bench cnn`: forward time and seconds per explanation of VGG-16 at the study sizes
//! (the speed goal of the deep-features issue: one explanation at 224×224 in ≤ 0.4 s on two cores).

use neon_xai_cnn::bench::BenchResult;

use crate::Result;

/// Time VGG-16 (random weights; the arithmetic does not depend on the values) at each square
/// `size`, best of `repeats`, explaining from `pool5` with the LRP `preset`.
pub fn bench_cnn(sizes: &[usize], preset: &str, repeats: usize) -> Result<Vec<BenchResult>> {
    Ok(neon_xai_cnn::bench::bench(sizes, preset, repeats, 0)?)
}

/// A plain-text table of [`bench_cnn`]'s results.
pub fn format_bench(rows: &[BenchResult]) -> String {
    let mut s = format!(
        "{:>6} {:>18} {:>10} {:>10} {:>10} {:>14} {:>8}\n",
        "size", "preset", "forward s", "prepare s", "backward s", "explanation s", "threads"
    );
    for r in rows {
        s += &format!(
            "{:>6} {:>18} {:>10.3} {:>10.3} {:>10.3} {:>14.3} {:>8}\n",
            r.size, r.preset, r.forward_s, r.prepare_s, r.backward_s, r.explanation_s, r.threads
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_one_line_per_size() {
        let rows = bench_cnn(&[32], "epsilon-gamma-box", 1).unwrap_or_else(|e| panic!("{e}"));
        let text = format_bench(&rows);
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains("epsilon-gamma-box") && rows[0].explanation_s > 0.0);
        assert!(bench_cnn(&[32], "nope", 1).is_err());
    }
}
