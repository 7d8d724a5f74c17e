//! `neon demo …`: the chapter's studies end to end.

use crate::cli::{DemoCommand, WholesaleArgs};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use neon_xai_studies::wholesale::{run_analysis, summary, write_report, WholesaleParams};
use std::path::PathBuf;

pub fn run(command: DemoCommand, show_progress: bool) -> anyhow::Result<()> {
    match command {
        DemoCommand::Wholesale(args) => wholesale(args, show_progress),
        DemoCommand::Images(args) => super::image::demo_images(args, show_progress),
    }
}

/// The shipped data: `data/wholesale_customers.csv` next to the workspace, or in the current
/// directory's `data/`.
fn default_data() -> PathBuf {
    let local = PathBuf::from("data/wholesale_customers.csv");
    if local.exists() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/wholesale_customers.csv")
}

fn wholesale(args: WholesaleArgs, show_progress: bool) -> anyhow::Result<()> {
    let mut params = WholesaleParams::new(args.data.unwrap_or_else(default_data));
    params.seed = args.seed;
    params.beta = args.beta;
    params.robustness_seeds = args.robustness_seeds;
    if args.robustness_seeds == 0 {
        anyhow::bail!("parameter --robustness-seeds: must be at least 1");
    }
    let bar = ProgressBar::with_draw_target(
        Some(100),
        if show_progress {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed}] [{bar:30}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let progress = |stage: &str, fraction: f64| {
        bar.set_message(stage.to_string());
        bar.set_position((fraction * 100.0) as u64);
    };
    let results = run_analysis(&params, &progress)?;
    bar.set_message("writing report");
    let files = write_report(&results, &args.out)?;
    bar.finish_and_clear();
    print!("{}", summary(&results));
    println!(
        "report: {} ({} figures), results: {}",
        files.html.display(),
        files.figure_count,
        files.json.display()
    );
    Ok(())
}
