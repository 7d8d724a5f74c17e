//! `neon bench`: rows per second and peak memory on synthetic data (a mixture of `K` Gaussian
//! blobs in `d` dimensions), for KDE outlier explanation (exact and approximate), random-feature
//! inlier explanation, k-means fitting and cluster explanation; or the chapter's Wholesale
//! study (§5.1) with `--wholesale`.

use anyhow::Context;
use clap::{Args, ValueEnum};
use ndarray::Array2;
use neon_xai::data::transform::parse_steps;
use neon_xai::data::FittedTransform;
use neon_xai::kernels::{Compute, PairKernel, Precision};
use neon_xai::models::kde::ApproxKde;
use neon_xai::models::BatchExplainer;
use neon_xai::models::{
    ExplainOptions, FittedModel, KMeans, KMeansParams, Kde, KdeParams, Queries,
};
use neon_xai::{Dataset, Target};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::path::PathBuf;
use std::time::Instant;

/// One benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Bench {
    /// Exact KDE outlier explanation of M rows against N training points (§3.1).
    KdeExact,
    /// Approximate KDE outlier explanation with --tolerance.
    KdeApprox,
    /// KDE outlierness only (no explanation), for comparison with scoring libraries.
    KdeScore,
    /// Random-feature inlier explanation with H features (§3.3).
    Rff,
    /// k-means fit (k-means++ and Lloyd, --n-init restarts) on the N training points.
    KmeansFit,
    /// Cluster explanation of M rows (§4.1).
    KmeansExplain,
    /// With --wholesale: leave-one-out outlier explanation of every row (γ = 1).
    WholesaleOutlier,
    /// With --wholesale: random-feature inlier explanation (H = 2500, 100 trials).
    WholesaleRff,
    /// With --wholesale: k-means fit (K = 6, 10 restarts).
    WholesaleKmeansFit,
    /// With --wholesale: cluster explanation of every row.
    WholesaleCluster,
}

/// `neon bench` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// VGG-16 forward pass and LRP explanation time at 224 and 448 px.
    Cnn(super::bench_cnn::CnnBenchArgs),
}

/// `neon bench` arguments.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    /// Time the CNN engine instead of the vector models.
    #[command(subcommand)]
    pub command: Option<BenchCommand>,
    /// Number N of training points.
    #[arg(long, default_value_t = 10_000)]
    pub n_train: usize,
    /// Number M of rows to explain.
    #[arg(long, default_value_t = 10_000)]
    pub n_rows: usize,
    /// Number d of features.
    #[arg(long, default_value_t = 16)]
    pub dim: usize,
    /// Number K of clusters (of the synthetic mixture and of k-means).
    #[arg(long, default_value_t = 16)]
    pub n_clusters: usize,
    /// Number H of random Fourier features.
    #[arg(long, default_value_t = 2500)]
    pub n_features: usize,
    /// Kernel parameter γ of the KDE (default: 1/(2d), a unit bandwidth per feature).
    #[arg(long)]
    pub gamma: Option<f64>,
    /// Tolerance τ of the approximate KDE mode.
    #[arg(long, default_value_t = 1e-6)]
    pub tolerance: f64,
    /// Precision of the blocked KDE kernels: f64 or f32.
    #[arg(long, default_value = "f64")]
    pub precision: Precision,
    /// How the blocked KDE kernels compute pairs: auto (direct in f64 for at most 16 features,
    /// 12 when only scoring), direct (from the differences) or expanded (through matrix
    /// products).
    #[arg(long, default_value = "auto")]
    pub pairs: PairKernel,
    /// k-means restarts.
    #[arg(long, default_value_t = 10)]
    pub n_init: usize,
    /// k-means relative tolerance (as scikit-learn).
    #[arg(long, default_value_t = 1e-4)]
    pub tol: f64,
    /// Maximum Lloyd iterations per restart.
    #[arg(long, default_value_t = 300)]
    pub max_iter: usize,
    /// Runs of each benchmark; the median time is reported.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Benchmarks to run (default: all of the synthetic ones, or all of the Wholesale ones
    /// with --wholesale).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Option<Vec<Bench>>,
    /// Standard deviation of the blob centres (the blobs have unit variance): 3 gives
    /// well-separated clusters, values below 1 overlapping ones (more Lloyd iterations).
    #[arg(long, default_value_t = 3.0)]
    pub spread: f64,
    /// Seed of the synthetic data and of k-means.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Time the Wholesale study instead (this CSV): leave-one-out outlier explanation
    /// (γ = 1), random-feature inlier explanation (H = 2500, 100 trials), k-means fit
    /// (K = 6, 10 restarts) and cluster explanation, on log-standardized spending.
    #[arg(long)]
    pub wholesale: Option<PathBuf>,
    /// Print one JSON object per benchmark instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One measured benchmark.
#[derive(Debug, serde::Serialize)]
struct Measured {
    bench: String,
    rows: usize,
    seconds_median: f64,
    seconds_all: Vec<f64>,
    rows_per_second: f64,
    peak_mib: Option<f64>,
    note: String,
}

pub fn run(args: BenchArgs, _show_progress: bool) -> anyhow::Result<()> {
    if let Some(BenchCommand::Cnn(cnn)) = args.command {
        return super::bench_cnn::run(cnn);
    }
    if args.repeats == 0 {
        anyhow::bail!("--repeats must be at least 1");
    }
    let threads = rayon::current_num_threads();
    let results = match &args.wholesale {
        Some(path) => wholesale(&args, path)?,
        None => synthetic(&args)?,
    };
    if args.json {
        for r in &results {
            println!("{}", serde_json::to_string(r)?);
        }
    } else {
        let vectors = neon_xai::kernels::simd::level();
        match &args.wholesale {
            Some(path) => println!(
                "threads = {threads}, vectors = {vectors}, Wholesale study ({}), repeats = {}",
                path.display(),
                args.repeats
            ),
            None => println!(
                "threads = {threads}, vectors = {vectors}, N = {}, M = {}, d = {}, K = {}, H = {}, repeats = {}",
                args.n_train, args.n_rows, args.dim, args.n_clusters, args.n_features, args.repeats
            ),
        }
        println!(
            "{:<16} {:>10} {:>12} {:>14} {:>10}  note",
            "bench", "rows", "median s", "rows/s", "peak MiB"
        );
        for r in &results {
            println!(
                "{:<16} {:>10} {:>12.4} {:>14.0} {:>10}  {}",
                r.bench,
                r.rows,
                r.seconds_median,
                r.rows_per_second,
                r.peak_mib.map_or("-".to_string(), |m| format!("{m:.0}")),
                r.note
            );
        }
    }
    Ok(())
}

/// Peak resident memory of this process (VmHWM) in MiB, Linux only.
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Reset the peak to the current resident memory (Linux ≥ 4.0; ignored elsewhere).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Run `f` `repeats` times; the peak memory covers all runs.
fn measure(
    name: &str,
    rows: usize,
    repeats: usize,
    mut f: impl FnMut() -> anyhow::Result<String>,
) -> anyhow::Result<Measured> {
    reset_peak();
    let mut seconds = Vec::with_capacity(repeats);
    let mut note = String::new();
    for _ in 0..repeats {
        let start = Instant::now();
        note = f()?;
        seconds.push(start.elapsed().as_secs_f64());
    }
    let mut sorted = seconds.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    eprintln!("{name}: median {median:.4} s over {repeats} runs");
    Ok(Measured {
        bench: name.to_string(),
        rows,
        seconds_median: median,
        seconds_all: seconds,
        rows_per_second: rows as f64 / median,
        peak_mib: peak_mib(),
        note,
    })
}

/// `n` points of a mixture of `centers` (unit-variance blobs).
fn mixture(n: usize, centers: &Array2<f64>, rng: &mut ChaCha8Rng) -> Array2<f64> {
    let d = centers.ncols();
    let mut out = Array2::zeros((n, d));
    for mut row in out.rows_mut() {
        let c = rng.gen_range(0..centers.nrows());
        for (i, v) in row.iter_mut().enumerate() {
            *v = centers[[c, i]] + rng.sample::<f64, _>(StandardNormal);
        }
    }
    out
}

fn synthetic(args: &BenchArgs) -> anyhow::Result<Vec<Measured>> {
    let (n, m, d, k) = (args.n_train, args.n_rows, args.dim, args.n_clusters);
    if n < 2 || m == 0 || d == 0 || k < 2 {
        anyhow::bail!("need --n-train >= 2, --n-rows >= 1, --dim >= 1, --n-clusters >= 2");
    }
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let centers = Array2::from_shape_simple_fn((k, d), || {
        args.spread * rng.sample::<f64, _>(StandardNormal)
    });
    let train = mixture(n, &centers, &mut rng);
    let queries = mixture(m, &centers, &mut rng);
    let gamma = args.gamma.unwrap_or(1.0 / (2.0 * d as f64));
    let kde = FittedModel::Kde(Kde::fit(KdeParams::new(gamma), train.view())?);
    let all: Vec<usize> = (0..m).collect();
    let compute = Compute {
        precision: args.precision,
        pairs: args.pairs,
        path: neon_xai::kernels::ComputePath::Batch,
        ..Compute::default()
    };
    let wanted = |b: Bench| args.only.as_ref().is_none_or(|o| o.contains(&b));
    let mut out = Vec::new();
    let options = ExplainOptions {
        n_features: args.n_features,
        ..Default::default()
    };
    if wanted(Bench::KdeScore) {
        let FittedModel::Kde(model) = &kde else {
            unreachable!("built as a KDE")
        };
        let batch = neon_xai::models::kde::KdeBatch::for_scores(model, &compute);
        out.push(measure("kde-score", m, args.repeats, || {
            let s = batch.outlier_scores(queries.view(), &all, false);
            Ok(format!(
                "γ = {gamma}, mean o = {:.4}",
                s.iter().sum::<f64>() / m as f64
            ))
        })?);
    }
    if wanted(Bench::KdeExact) {
        out.push(measure("kde-exact", m, args.repeats, || {
            let batch = BatchExplainer::new(&kde, Target::Outlier, &options, &compute, all.len())?;
            let e = batch.explain(Queries::Points(queries.view()), &all, &|_| {});
            Ok(format!(
                "γ = {gamma}, {} rows, {} per-point fallbacks, {}",
                e.len(),
                batch.fallbacks(),
                args.precision
            ))
        })?);
    }
    if wanted(Bench::KdeApprox) {
        let FittedModel::Kde(model) = &kde else {
            unreachable!("built as a KDE")
        };
        out.push(measure("kde-approx", m, args.repeats, || {
            let approx = ApproxKde::new(model, args.tolerance, compute.tiles)?;
            let e = approx.explain_outlier(queries.view(), &all, false, gamma, 1e-9, &|_| {});
            let used = e.iter().map(|a| a.bound.n_used as f64).sum::<f64>() / m as f64;
            let worst = e.iter().map(|a| a.bound.neglected_mass).fold(0.0, f64::max);
            Ok(format!(
                "τ = {}, {} , mean points used {used:.0}, max neglected mass {worst:.2e}",
                args.tolerance,
                if approx.uses_tree() {
                    "k-d tree"
                } else if args.dim > neon_xai::models::kde::approx::MAX_TREE_DIM {
                    "exact (d > 16)"
                } else {
                    "exact (the tree would not pay)"
                }
            ))
        })?);
    }
    if wanted(Bench::Rff) {
        out.push(measure("rff", m, args.repeats, || {
            let batch =
                BatchExplainer::new(&kde, Target::InlierRff, &options, &compute, all.len())?;
            let e = batch.explain(Queries::Points(queries.view()), &all, &|_| {});
            Ok(format!("H = {}, {} rows", args.n_features, e.len()))
        })?);
    }
    let params = KMeansParams::new(k)
        .n_init(args.n_init)
        .tol(args.tol)
        .max_iter(args.max_iter)
        .seed(args.seed);
    let mut fitted: Option<KMeans> = None;
    if wanted(Bench::KmeansFit) {
        out.push(measure("kmeans-fit", n, args.repeats, || {
            let km = KMeans::fit(params, train.view())?;
            let note = format!(
                "K = {k}, n_init = {}, tol = {}, inertia = {:.6e}, iterations = {}",
                args.n_init, args.tol, km.inertia, km.n_iter
            );
            fitted = Some(km);
            Ok(note)
        })?);
    }
    if wanted(Bench::KmeansExplain) {
        let km = match fitted {
            Some(km) => km,
            None => KMeans::fit(params, train.view())?,
        };
        let model = FittedModel::Kmeans(km);
        out.push(measure("kmeans-explain", m, args.repeats, || {
            let batch =
                BatchExplainer::new(&model, Target::Cluster, &options, &compute, all.len())?;
            let e = batch.explain(Queries::Points(queries.view()), &all, &|_| {});
            Ok(format!("K = {k}, {} rows", e.len()))
        })?);
    }
    Ok(out)
}

fn wholesale(args: &BenchArgs, path: &std::path::Path) -> anyhow::Result<Vec<Measured>> {
    let columns: Vec<String> = neon_xai_studies::wholesale::chapter::FEATURES
        .map(String::from)
        .to_vec();
    let data = Dataset::load(path, Some(&columns))
        .with_context(|| format!("reading {}", path.display()))?;
    let (_, values) = FittedTransform::fit(&parse_steps("log,standardize")?, &data)?;
    let n = values.nrows();
    let kde = FittedModel::Kde(Kde::fit(KdeParams::new(1.0), values.view())?);
    let rows: Vec<usize> = (0..n).collect();
    let compute = Compute {
        pairs: args.pairs,
        ..Compute::default()
    };
    let mut out = Vec::new();
    let wanted = |b: Bench| args.only.as_ref().is_none_or(|only| only.contains(&b));
    let outlier = ExplainOptions::default();
    if wanted(Bench::WholesaleOutlier) {
        out.push(measure("wholesale-outlier", n, args.repeats, || {
            let e = kde.explain_rows_with(
                Queries::LeaveOneOut,
                None,
                Target::Outlier,
                &outlier,
                &compute,
                &|| {},
            )?;
            Ok(format!(
                "γ = 1, leave-one-out, row 338: o = {:.4}",
                e[338.min(n - 1)].score
            ))
        })?);
    }
    let rff = ExplainOptions {
        n_features: 2500,
        trials: 100,
        ..Default::default()
    };
    if wanted(Bench::WholesaleRff) {
        out.push(measure("wholesale-rff", n, args.repeats, || {
            let e = kde.explain_rows_with(
                Queries::LeaveOneOut,
                None,
                Target::InlierRff,
                &rff,
                &compute,
                &|| {},
            )?;
            Ok(format!(
                "H = 2500, T = 100, row 338: î = {:.4}",
                e[338.min(n - 1)].score
            ))
        })?);
    }
    let params = KMeansParams::new(6).n_init(10).seed(args.seed);
    let mut fitted = None;
    if wanted(Bench::WholesaleKmeansFit) {
        out.push(measure("wholesale-kmeans-fit", n, args.repeats, || {
            let km = KMeans::fit(params, values.view())?;
            let note = format!("K = 6, n_init = 10, inertia = {:.4}", km.inertia);
            fitted = Some(km);
            Ok(note)
        })?);
    }
    let km = match fitted {
        Some(km) => km,
        None => KMeans::fit(params, values.view())?,
    };
    let model = FittedModel::Kmeans(km);
    if wanted(Bench::WholesaleCluster) {
        out.push(measure("wholesale-cluster", n, args.repeats, || {
            let e = model.explain_rows_with(
                Queries::Points(values.view()),
                Some(&rows),
                Target::Cluster,
                &ExplainOptions::default(),
                &compute,
                &|| {},
            )?;
            Ok(format!("K = 6, {} rows", e.len()))
        })?);
    }
    Ok(out)
}
