//! Command-line definitions. Each flag's help text lives beside its definition.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const ABOUT: &str =
    "Explain the predictions of unsupervised models (kernel density estimation, k-means) \
by neuralization-propagation (NEON): per-feature relevance that adds up to the model's own score.";

const EXAMPLES: &str = "Examples:
  # fit a KDE on log-standardized spending and explain why customers are outliers
  neon fit kde --data data/wholesale_customers.csv --columns Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen \\
       --transform log,standardize --gamma 1 -o kde.json
  neon explain --model kde.json --target outlier --leave-one-out --rows 337,338 --format table

  # k-means with 6 clusters, then explain cluster membership of new rows
  neon fit kmeans --data data/wholesale_customers.csv --columns Fresh,Milk --transform log,standardize \\
       --n-clusters 6 --seed 0 -o km.json
  neon explain --model km.json --data new_customers.csv --target cluster --format json
  # the same with the midpoint rule, or the grounded rules of Appendix A
  neon explain --model km.json --data new_customers.csv --target cluster --rule midpoint

  # the chapter's Wholesale customers study as a report
  neon demo wholesale --out report/

  # why is a part of an image anomalous? (VGG-16 weights: tools/fetch-weights.sh)
  neon explain-image --image part.png --target outlier --overlay --out heat/
  # the chapter's image studies (Figs. 7-8) as a report
  neon demo images --out report-images/";

/// The `neon` command line.
#[derive(Debug, Parser)]
#[command(name = "neon", version, about = ABOUT, after_help = EXAMPLES)]
pub struct Cli {
    /// Number of worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// Hide progress bars.
    #[arg(long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fit a model on a data file and write it as a JSON model file.
    #[command(subcommand)]
    Fit(FitCommand),
    /// Score rows with a fitted model (outlierness, inlierness or cluster evidence).
    Score(ScoreArgs),
    /// Explain rows: relevance of each feature for the model's score.
    Explain(ExplainArgs),
    /// Run a study of the chapter end to end and write a report.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Compare explanation methods on a model: faithfulness curves, agreement and cost.
    Evaluate(crate::commands::evaluate::EvaluateArgs),
    /// Measure speed: rows per second and peak memory on synthetic data.
    Bench(crate::commands::bench::BenchArgs),
    /// Explain an image: a model (KDE, k-means) on VGG-16 Block-5 locations, attributed to the
    /// pixels (§5.2, Appendix A): heatmap PNGs, raw relevance (.npy), location scores, JSON.
    ExplainImage(crate::commands::image::ExplainImageArgs),
}

/// Data input options shared by the fit commands.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// CSV file with a header row, or a 2-D .npy array.
    #[arg(long)]
    pub data: PathBuf,
    /// Features to use, by name, in this order (default: every numeric column).
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// Transforms applied in order: log, log1p, standardize (comma-separated).
    #[arg(long, default_value = "")]
    pub transform: String,
}

/// `neon fit …`
#[derive(Debug, Subcommand)]
pub enum FitCommand {
    /// Gaussian kernel density estimation (§3 of the chapter).
    Kde {
        #[command(flatten)]
        data: DataArgs,
        /// Kernel parameter γ > 0 of exp(−γ‖x − u‖²).
        #[arg(long, allow_negative_numbers = true)]
        gamma: f64,
        /// Output model file (JSON).
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// k-means clustering (§4), fitted here or imported from centroids.
    Kmeans {
        #[command(flatten)]
        data: DataArgs,
        /// Number of clusters K (required unless --centroids is given).
        #[arg(long, required_unless_present = "centroids")]
        n_clusters: Option<usize>,
        /// Number of k-means++ restarts; the lowest inertia is kept.
        #[arg(long, default_value_t = 10)]
        n_init: usize,
        /// Maximum Lloyd iterations per restart.
        #[arg(long, default_value_t = 300)]
        max_iter: usize,
        /// Relative convergence tolerance (as scikit-learn).
        #[arg(long, default_value_t = 1e-4)]
        tol: f64,
        /// Seed of the restarts.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Import centroids fitted elsewhere (CSV, one row per cluster, in the transformed space,
        /// same column order); no refit.
        #[arg(long, conflicts_with = "n_clusters")]
        centroids: Option<PathBuf>,
        /// Output model file (JSON).
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// JSON document.
    Json,
    /// CSV, one line per row.
    Csv,
    /// Aligned text table.
    Table,
    /// JSON lines: one JSON object per row.
    Jsonl,
}

/// Which rows of which data to use.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Fitted model file.
    #[arg(long)]
    pub model: PathBuf,
    /// New data (raw values; transformed with the model's stored transform).
    #[arg(long, conflicts_with = "leave_one_out")]
    pub data: Option<PathBuf>,
    /// Use the model's own training rows, each against the model without that row (KDE); for
    /// k-means, against the fitted centroids, which are not refitted.
    #[arg(long)]
    pub leave_one_out: bool,
    /// 0-based data rows (default: every row), in the order given; a row listed twice is
    /// reported twice.
    #[arg(long, value_delimiter = ',')]
    pub rows: Option<Vec<usize>>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the results to this file instead of stdout (atomically).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

/// `neon score`
#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub query: QueryArgs,
    /// What to score: outlier, inlier (KDE) or cluster (k-means). Default: the model's first.
    #[arg(long)]
    pub target: Option<String>,
}

/// `neon explain`
#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub query: QueryArgs,
    /// What to explain: outlier, inlier, inlier-rff (KDE) or cluster (k-means).
    #[arg(long)]
    pub target: String,
    /// Stiffness β of the soft argmin (default: γ for outlier; 1/mean f_c for cluster).
    #[arg(long, allow_negative_numbers = true)]
    pub beta: Option<f64>,
    /// Rule set: standard (the chapter's §3–§4), grounded (Appendix A: only non-zero features
    /// receive relevance, the rest is reported as dissipated; outlier, inlier-rff, cluster) or
    /// midpoint (cluster: relevance along w_k around the centroids' midpoint).
    #[arg(long, default_value = "standard")]
    pub rule: String,
    /// Stabiliser ε of the outlier, random-feature grounded and midpoint rules.
    #[arg(long, default_value_t = neon::models::kde::DEFAULT_EPSILON)]
    pub epsilon: f64,
    /// Number H of random Fourier features (inlier-rff).
    #[arg(long, default_value_t = 2500)]
    pub n_features: usize,
    /// Independent random-feature draws; mean and std per feature are reported (inlier-rff).
    #[arg(long, default_value_t = 1)]
    pub trials: usize,
    /// Seed of the random features and of shapley-sampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Explanation method: neon, or a baseline to compare with it — shapley-exact,
    /// shapley-sampling, integrated-gradients, occlusion (see `neon evaluate`).
    #[arg(long, default_value = "neon")]
    pub method: String,
    /// Orderings sampled per row (shapley-sampling; the standard errors are shown as ±).
    #[arg(long, default_value_t = 1000)]
    pub samples: usize,
    /// Integration steps (integrated-gradients).
    #[arg(long, default_value_t = neon::compare::DEFAULT_STEPS)]
    pub steps: usize,
    /// Reference point of the baselines: this 0-based training row (default: the mean of the
    /// training data in model space). Baselines explain f(x) − f(reference).
    #[arg(long)]
    pub reference_row: Option<usize>,
    #[command(flatten)]
    pub scale: ScaleArgs,
}

/// `neon demo …`
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// The Wholesale customers study (§5.1) on the shipped data.
    Wholesale(WholesaleArgs),
    /// The image studies (§5.2, Figs. 7-8) with a pretrained VGG-16.
    Images(crate::commands::image::ImagesArgs),
}

/// `neon demo wholesale`
#[derive(Debug, Args)]
pub struct WholesaleArgs {
    /// Output directory for report.html, figures and results.json.
    #[arg(long)]
    pub out: PathBuf,
    /// The Wholesale customers CSV (default: the copy shipped in data/).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Seed of every random step (t-SNE, k-means, random features).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Stiffness β of the outlier explanation (default: β = γ).
    #[arg(long)]
    pub beta: Option<f64>,
    /// Number of k-means seeds in the robustness study.
    #[arg(long, default_value_t = 100)]
    pub robustness_seeds: usize,
}

/// Scale options of `neon explain`.
#[derive(Debug, Clone, Args)]
pub struct ScaleArgs {
    /// Explain the data in chunks of this many rows, writing each chunk's results before
    /// reading the next (memory bounded by the chunk, for files larger than memory). Automatic,
    /// with 65536 rows, for --data files over 256 MiB. The output is the same with or without.
    #[arg(long)]
    pub chunk_rows: Option<usize>,
    /// Approximate KDE outlier explanation: leave out training points whose kernel weight
    /// relative to the nearest one is below this (0 < τ < 1). Each row reports certified
    /// bounds: neglected_mass, score_bound (ô − o ≤ it), relevance_bound (L1).
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// Precision of the blocked kernels: f64, or f32 (faster; within 1e-3 of f64 on
    /// standardized data; KDE only, random features and k-means stay f64).
    #[arg(long, default_value = "f64")]
    pub precision: neon::kernels::Precision,
}
