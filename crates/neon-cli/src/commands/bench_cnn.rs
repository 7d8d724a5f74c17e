//! `neon bench cnn`: VGG-16 forward and LRP explanation time at several image sizes (random
//! weights, so no weight file is needed).

use clap::Args;

/// `neon bench cnn` arguments.
#[derive(Debug, Args)]
pub struct CnnBenchArgs {
    /// Image sizes (square side in pixels).
    #[arg(long, value_delimiter = ',', default_value = "224,448")]
    pub sizes: Vec<usize>,
    /// LRP preset.
    #[arg(long, default_value = "epsilon-gamma-box")]
    pub preset: String,
    /// Runs per size; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
}

pub fn run(args: CnnBenchArgs) -> anyhow::Result<()> {
    if args.repeats == 0 {
        anyhow::bail!("parameter --repeats: must be at least 1");
    }
    if let Some(&size) = args.sizes.iter().find(|&&s| s < 32) {
        anyhow::bail!("parameter --sizes: {size} px is under the 32 px VGG-16 needs");
    }
    eprintln!(
        "timing VGG-16 up to pool5, preset {}, {} run(s) per size, {} threads",
        args.preset,
        args.repeats,
        rayon::current_num_threads()
    );
    let rows = neon_xai_studies::images::bench_cnn(&args.sizes, &args.preset, args.repeats)?;
    print!("{}", neon_xai_studies::images::format_bench(&rows));
    Ok(())
}
