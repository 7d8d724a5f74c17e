//! `neon evaluate`: baselines side by side with NEON.

use clap::Args;

/// `neon evaluate` arguments.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Fitted model file.
    #[arg(long)]
    pub model: std::path::PathBuf,
}

pub fn run(_args: EvaluateArgs, _show_progress: bool) -> anyhow::Result<()> {
    anyhow::bail!("neon evaluate is not available in this build yet")
}
