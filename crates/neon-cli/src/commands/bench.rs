//! `neon bench`: speed on synthetic data.

use clap::Args;

/// `neon bench` arguments.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Number of training points.
    #[arg(long, default_value_t = 10_000)]
    pub n_train: usize,
}

pub fn run(_args: BenchArgs, _show_progress: bool) -> anyhow::Result<()> {
    anyhow::bail!("neon bench is not available in this build yet")
}
