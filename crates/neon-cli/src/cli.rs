//! Command-line definitions. Each flag's help text lives beside its definition.

use clap::{Arg, ArgMatches, Args, Parser, Subcommand, ValueEnum};
use neon_xai::models::{entry, FitParam, ModelEntry, ParamKind, ParamValue, REGISTRY};
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
  neon demo wholesale --out-dir report/

  # why is a part of an image anomalous? (VGG-16 weights: tools/fetch-weights.sh)
  neon explain-image --image part.png --target outlier --overlay --out-dir heat/
  # the chapter's image studies (Figs. 7-8) as a report
  neon demo images --out-dir report-images/";

const SCORE_EXAMPLES: &str = "Examples:
  neon score --model kde.json --leave-one-out --target outlier --format csv
  neon score --model km.json --data data/examples/new_customers.csv --format json
  neon score --model kde.json --data big.parquet -o scores.parquet";

const EXPLAIN_EXAMPLES: &str = "Examples:
  neon explain --model kde.json --leave-one-out --rows 337,338 --target outlier
  neon explain --model km.json --data data/examples/new_customers.csv --target cluster --rule midpoint --format json
  neon explain --model kde.json --data big.csv --target outlier --chunk-rows 100000 -o relevance.parquet
  neon explain --model kde.json --leave-one-out --target outlier --method shapley-exact --rows 0,1,2
  neon explain --model kde.json --leave-one-out --target outlier --rows 337,338 --plot charts";

const DEMO_EXAMPLES: &str = "Examples:
  neon demo wholesale --out-dir report
  neon demo images --out-dir report-images   # VGG-16 weights: tools/fetch-weights.sh";

const EVALUATE_EXAMPLES: &str = "Examples:
  neon evaluate --model kde.json --leave-one-out --target outlier
  neon evaluate --model km.json --leave-one-out --target cluster --rules all --beta-factors 0,0.5,1,2
  neon evaluate --model km.json --leave-one-out --target cluster --methods neon,occlusion --format json -o eval.json
  neon evaluate --model kde.json --leave-one-out --target outlier --out-dir curves";

const BENCH_EXAMPLES: &str = "Examples:
  neon bench --n-train 10000 --n-rows 10000 --dim 16
  neon bench --wholesale data/wholesale_customers.csv
  neon bench cnn --repeats 5";

const IMAGE_EXAMPLES: &str = "Examples:
  neon explain-image --image data/images/coffee.png --target outlier --overlay --out-dir heat
  neon explain-image --image part.png --train-images good_parts/ --target outlier --out-dir heat
  neon explain-image --image data/images/coffee.png --target cluster --n-clusters 5 --out-dir concepts";

/// The `neon` command line.
#[derive(Debug, Parser)]
#[command(name = "neon", version, about = ABOUT, after_help = EXAMPLES)]
pub struct Cli {
    /// Number of worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true, help_heading = "Global options")]
    pub threads: Option<usize>,
    /// Hide progress bars.
    #[arg(long, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fit a model on a data file and write its model file (JSON, or binary for a name ending
    /// in .safetensors).
    Fit(FitArgs),
    /// Score rows with a fitted model (outlierness, inlierness or cluster evidence).
    #[command(after_help = SCORE_EXAMPLES)]
    Score(ScoreArgs),
    /// Explain rows: relevance of each feature for the model's score.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(ExplainArgs),
    /// Run a study of the chapter end to end and write a report.
    #[command(subcommand, after_help = DEMO_EXAMPLES)]
    Demo(DemoCommand),
    /// Compare explanation methods on a model: faithfulness curves, agreement and cost.
    #[command(after_help = EVALUATE_EXAMPLES)]
    Evaluate(EvaluateArgs),
    /// Measure speed: rows per second and peak memory on synthetic data.
    #[command(after_help = BENCH_EXAMPLES)]
    Bench(crate::commands::bench::BenchArgs),
    /// Explain an image: a model (KDE, k-means) on VGG-16 Block-5 locations, attributed to the
    /// pixels (§5.2, Appendix A): heatmap PNGs, raw relevance (.npy), location scores, JSON.
    #[command(after_help = IMAGE_EXAMPLES)]
    ExplainImage(crate::commands::image::ExplainImageArgs),
    /// Chart explanations written by `neon explain --format json`: a bar chart and a waterfall
    /// of each chosen row and a summary over every row, as PNG and SVG.
    #[command(after_help = PLOT_EXAMPLES)]
    Plot(crate::commands::plot::PlotArgs),
    /// Write an interactive HTML report of a model's explanations on many rows: a map to hover
    /// and click (each row's raw values and explanation), the top rows, per-cluster and global
    /// tables, conservation statistics; one self-contained file that opens offline.
    #[command(after_help = REPORT_EXAMPLES)]
    Report(crate::commands::report::ReportArgs),
}

const REPORT_EXAMPLES: &str = "Examples:
  neon report --model kde.json --leave-one-out --target outlier --out-dir explore
  neon report --model km.json --data customers.csv --id-column customer_id --map pca -o explore
  neon report --model kde.json --leave-one-out --methods occlusion,shapley-exact --unit m.u. -o explore";

const PLOT_EXAMPLES: &str = "Examples:
  neon explain --model kde.json --target outlier --leave-one-out --format json -o e.json
  neon plot e.json --out-dir plots --rows 337,338
  neon explain --model km.json --data new.csv --target cluster --format json | neon plot - -o plots";

/// Data input options shared by the fit commands.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Data file: CSV with a header row, Parquet (.parquet), Arrow IPC (.arrow, .feather) or a
    /// 2-D .npy array.
    #[arg(long)]
    pub data: PathBuf,
    /// Features to use, by name, in this order (default: every numeric column).
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// Transforms applied in order: log, log1p, standardize, minmax, robust (comma-separated;
    /// default: none).
    #[arg(long, default_value = "", hide_default_value = true)]
    pub transform: String,
    /// Missing values (empty, NA, NaN, null … cells): error names the first one; drop leaves
    /// out every row holding one; median replaces each by its column's median. What was
    /// dropped or imputed is reported on stderr.
    #[arg(long, value_name = "POLICY", default_value = "error",
          value_parser = ["error", "drop", "median"])]
    pub missing: String,
}

/// `neon fit MODEL …`: one subcommand per model of the library's registry, with one flag per
/// fit parameter the registry row lists (`n_clusters` → `--n-clusters`), so a new model gets
/// its command without a line here.
#[derive(Debug)]
pub struct FitArgs {
    /// Registry name of the model.
    pub model: String,
    /// The data to fit on.
    pub data: DataArgs,
    /// The parameters given on the command line (the others take the registry's defaults).
    pub values: Vec<(&'static str, ParamValue)>,
    /// The matrix to import the model from instead of fitting it (k-means centroids).
    pub import: Option<PathBuf>,
    /// Output model file: JSON, or binary (safetensors; loads in a fraction of the time for
    /// large models) when the name ends in .safetensors.
    pub output: PathBuf,
}

const FIT_EXAMPLES: &str = "Examples:
  neon fit kde --data data/wholesale_customers.csv --transform log,standardize --gamma 1 -o kde.json
  neon fit kmeans --data data/wholesale_customers.csv --transform log,standardize --n-clusters 6 -o km.json
  # import centroids fitted elsewhere (e.g. scikit-learn's cluster_centers_, transformed space)
  neon fit kmeans --data data/wholesale_customers.csv --transform log,standardize --centroids c.csv -o km.json
  # rows with missing cells left out (each reported on stderr)
  neon fit kde --data survey.csv --missing drop --gamma 0.5 -o kde.json";

/// The flag of a library parameter name.
fn long_flag(name: &str) -> String {
    name.replace('_', "-")
}

/// The flag of one fit parameter, with its value parser.
fn param_arg(p: &FitParam) -> Arg {
    let arg = Arg::new(p.name)
        .long(long_flag(p.name))
        .value_name(p.name.to_uppercase())
        .help(p.help);
    match p.kind {
        ParamKind::Real => arg
            .value_parser(clap::value_parser!(f64))
            .allow_negative_numbers(true),
        ParamKind::Count | ParamKind::Seed => arg.value_parser(clap::value_parser!(u64)),
        ParamKind::Choice(names) => {
            arg.value_parser(clap::builder::PossibleValuesParser::new(names))
        }
    }
}

/// The `neon fit NAME` command of one registry row.
fn model_command(entry: &'static ModelEntry) -> clap::Command {
    let mut cmd = DataArgs::augment_args(clap::Command::new(entry.name))
        .about(entry.about)
        .after_help(FIT_EXAMPLES);
    // the parameters a fit requires conflict with an import, except those it also reads
    let required: Vec<&str> = entry
        .params
        .iter()
        .filter(|p| p.default.is_none())
        .filter(|p| !entry.import.is_some_and(|i| i.uses.contains(&p.name)))
        .map(|p| p.name)
        .collect();
    for p in entry.params {
        let help = match p.default {
            Some(default) => format!("{} [default: {default}]", p.help),
            None => p.help.to_string(),
        };
        let mut arg = param_arg(p).help(help);
        if let Some(other) = p.alternative {
            arg = arg.conflicts_with(other);
        }
        // a missing parameter with a rule of thumb is reported with the suggested value; one
        // with an alternative is checked with it by the library
        if p.default.is_none() && p.rule_of_thumb.is_none() && p.alternative.is_none() {
            arg = match entry.import {
                Some(import) => arg.required_unless_present(import.name),
                None => arg.required(true),
            };
        }
        cmd = cmd.arg(arg);
    }
    if let Some(import) = entry.import {
        for p in import.params {
            cmd = cmd.arg(param_arg(p).requires(import.name));
        }
        cmd = cmd.arg(
            Arg::new(import.name)
                .long(long_flag(import.name))
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .conflicts_with_all(required)
                .requires_ifs(
                    import
                        .params
                        .iter()
                        .chain(
                            entry
                                .params
                                .iter()
                                .filter(|p| import.uses.contains(&p.name)),
                        )
                        .map(|p| (clap::builder::ArgPredicate::IsPresent, p.name)),
                )
                .help(import.help),
        );
    }
    cmd.arg(
        Arg::new("output")
            .short('o')
            .long("output")
            .required(true)
            .value_name("FILE")
            .value_parser(clap::value_parser!(PathBuf))
            .help("Output model file: JSON, or binary (safetensors) when the name ends in .safetensors."),
    )
}

impl clap::Args for FitArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.subcommand_required(true)
            .arg_required_else_help(true)
            .after_help(FIT_EXAMPLES)
            .subcommands(REGISTRY.iter().map(model_command))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl clap::FromArgMatches for FitArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let missing = || clap::Error::new(clap::error::ErrorKind::MissingSubcommand);
        let (name, sub) = matches.subcommand().ok_or_else(missing)?;
        let entry = entry(name).ok_or_else(missing)?;
        let mut values = Vec::new();
        let import_params = entry.import.map_or(&[][..], |i| i.params);
        for p in entry.params.iter().chain(import_params) {
            let value = match p.kind {
                ParamKind::Real => sub.get_one::<f64>(p.name).map(|v| ParamValue::Real(*v)),
                ParamKind::Count | ParamKind::Seed => {
                    sub.get_one::<u64>(p.name).map(|v| ParamValue::Integer(*v))
                }
                ParamKind::Choice(names) => sub
                    .get_one::<String>(p.name)
                    .and_then(|v| names.iter().find(|n| *n == v))
                    .map(|n| ParamValue::Choice(n)),
            };
            if let Some(value) = value {
                values.push((p.name, value));
            }
        }
        Ok(FitArgs {
            model: entry.name.to_string(),
            data: DataArgs::from_arg_matches(sub)?,
            values,
            import: entry
                .import
                .and_then(|i| sub.get_one::<PathBuf>(i.name).cloned()),
            output: sub
                .get_one::<PathBuf>("output")
                .cloned()
                .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::MissingRequiredArgument))?,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
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
    /// Apache Parquet file (needs -o FILE): one column per value, the parameters in the
    /// file's metadata.
    Parquet,
    /// Arrow IPC file (needs -o FILE), as Parquet.
    Arrow,
}

impl Format {
    /// The format a file name implies by its extension.
    pub fn of_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "json" => Format::Json,
            "jsonl" | "ndjson" => Format::Jsonl,
            "csv" => Format::Csv,
            "txt" => Format::Table,
            "parquet" | "pq" => Format::Parquet,
            "arrow" | "feather" | "ipc" => Format::Arrow,
            _ => return None,
        })
    }

    /// The columnar format, for Parquet and Arrow.
    pub fn columnar(self) -> Option<neon_xai::data::Columnar> {
        match self {
            Format::Parquet => Some(neon_xai::data::Columnar::Parquet),
            Format::Arrow => Some(neon_xai::data::Columnar::ArrowIpc),
            _ => None,
        }
    }
}

/// Which rows of which data to use.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Fitted model file.
    #[arg(long)]
    pub model: PathBuf,
    /// New data, raw values (CSV, Parquet, Arrow IPC or .npy; transformed with the model's
    /// stored transform).
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
    /// Output format [default: from the extension of -o (.json, .jsonl, .csv, .parquet,
    /// .arrow), else table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the results to this file instead of stdout (atomically).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

impl QueryArgs {
    /// The output format: `--format`, else the one `-o` implies, else a table. Parquet and
    /// Arrow are binary files and need `-o`.
    pub fn format(&self) -> anyhow::Result<Format> {
        let format = self
            .format
            .or_else(|| self.output.as_deref().and_then(Format::of_path))
            .unwrap_or(Format::Table);
        if format.columnar().is_some() && self.output.is_none() {
            let name = format!("{format:?}").to_lowercase();
            anyhow::bail!("--format {name} writes a binary file: give -o FILE");
        }
        Ok(format)
    }
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
    /// Stiffness β of the soft argmin (default: γ/4 for a KDE's outlier, γ for a one-class SVM,
    /// 1/mean f_c for k-means, 1 for a Gaussian mixture; the chapter uses β = γ).
    #[arg(long, allow_negative_numbers = true)]
    pub beta: Option<f64>,
    /// Rule set: standard (the chapter's §3–§4), grounded (Appendix A: only non-zero features
    /// receive relevance, the rest is reported as dissipated; outlier, inlier-rff, cluster) or
    /// midpoint (cluster: relevance along w_k around the centroids' midpoint). Default: the
    /// model's most faithful for the target as measured in docs/compare.md (grounded for
    /// k-means, the one-class SVM and mixture membership; standard otherwise).
    #[arg(long)]
    pub rule: Option<String>,
    /// Stabiliser ε of the outlier, random-feature grounded and midpoint rules.
    #[arg(long, default_value_t = neon_xai::models::kde::DEFAULT_EPSILON)]
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
    #[arg(long, default_value_t = neon_xai::compare::DEFAULT_STEPS)]
    pub steps: usize,
    /// Reference point of the baselines: this 0-based training row (default: the mean of the
    /// training data in model space). Baselines explain f(x) − f(reference).
    #[arg(long)]
    pub reference_row: Option<usize>,
    /// Cluster target: explain the evidence for this cluster (0-based) instead of each row's
    /// own. For rows outside it the evidence, and the sum of the relevances, is negative.
    #[arg(long)]
    pub cluster: Option<usize>,
    /// Print a summary instead of one explanation per row: mean relevance per feature for each
    /// cluster (rows grouped by the cluster they belong to), mean |R| over all rows, mean
    /// score and dissipated part.
    #[arg(long)]
    pub summary: bool,
    /// Also chart the explanations into this folder, as `neon plot` does: a bar chart and a
    /// waterfall of each row (the 5 of highest score when there are more) and a summary over
    /// all rows, PNG and SVG.
    #[arg(long, value_name = "DIR", conflicts_with = "summary")]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub scale: ScaleArgs,
}

/// `neon demo …`
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// The Wholesale customers study (§5.1) on the shipped data.
    #[command(after_help = DEMO_EXAMPLES)]
    Wholesale(WholesaleArgs),
    /// The image studies (§5.2, Figs. 7-8) with a pretrained VGG-16.
    #[command(after_help = DEMO_EXAMPLES)]
    Images(crate::commands::image::ImagesArgs),
}

/// `neon demo wholesale`
#[derive(Debug, Args)]
pub struct WholesaleArgs {
    /// Output directory for report.html, figures and results.json (created if missing).
    #[arg(long = "out-dir", alias = "out", value_name = "DIR")]
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
    /// bounds: neglected_mass, score_bound (ô − o ≤ it), relevance_bound (L1). It helps when
    /// each row's kernel mass sits on a few neighbours (a narrow kernel, large γ, d ≤ 16):
    /// a k-d tree then finds them faster than the exact pass over all training points. neon
    /// checks this on a sample of the training points and runs the exact path (bounds 0)
    /// where more than 2 % of the points would be used.
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// Precision of the blocked kernels: f64, or f32 (faster; within 1e-3 of f64 on
    /// standardized data; KDE only, random features and k-means stay f64).
    #[arg(long, default_value = "f64")]
    pub precision: neon_xai::kernels::Precision,
}

/// Output format of `neon evaluate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvaluateFormat {
    /// The full report as a JSON document (curves, per-seed AUCs, agreement matrix, costs).
    Json,
    /// Aligned text tables.
    Table,
}

/// `neon evaluate` arguments.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Fitted model file.
    #[arg(long)]
    pub model: PathBuf,
    /// New data, raw values (CSV, Parquet, Arrow IPC or .npy; transformed with the model's
    /// stored transform).
    #[arg(long, conflicts_with = "leave_one_out")]
    pub data: Option<PathBuf>,
    /// Use the model's own training rows, each against the model without that row.
    #[arg(long)]
    pub leave_one_out: bool,
    /// What to explain: outlier, inlier, inlier-rff (KDE) or cluster (k-means).
    #[arg(long)]
    pub target: String,
    /// Methods to compare, comma-separated: neon, shapley-exact, shapley-sampling,
    /// integrated-gradients, occlusion (default: all; shapley-exact only up to 20 features).
    #[arg(long, value_delimiter = ',')]
    pub methods: Option<Vec<String>>,
    /// 0-based data rows (default: every row).
    #[arg(long, value_delimiter = ',')]
    pub rows: Option<Vec<usize>>,
    /// Orderings sampled per row by shapley-sampling.
    #[arg(long, default_value_t = 1000)]
    pub samples: usize,
    /// Integration steps of integrated-gradients.
    #[arg(long, default_value_t = neon_xai::compare::DEFAULT_STEPS)]
    pub steps: usize,
    /// Seed of shapley-sampling, the marginal draws, the random orderings and the random
    /// features.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Reference point of the baselines and the removal curves: this 0-based training row
    /// (default: the mean of the training data in model space).
    #[arg(long)]
    pub reference_row: Option<usize>,
    /// Random orderings (seeds) of the random baseline.
    #[arg(long, default_value_t = 10)]
    pub random_orders: usize,
    /// Draws from the data's marginals per row for the marginal-removal curve.
    #[arg(long, default_value_t = 16)]
    pub marginal_draws: usize,
    /// Stiffness β of NEON's soft argmin (default: the model's, as for `neon explain`).
    #[arg(long, allow_negative_numbers = true)]
    pub beta: Option<f64>,
    /// NEON's rule set (see `neon explain --rule`; default: the model's default for the target).
    #[arg(long)]
    pub rule: Option<String>,
    /// Cluster target: the evidence for this cluster instead of each row's own.
    #[arg(long)]
    pub cluster: Option<usize>,
    /// Also evaluate NEON with these rule sets (comma-separated, or `all` for every rule set
    /// that applies to the target), each at every factor of --beta-factors.
    #[arg(long, value_delimiter = ',')]
    pub rules: Option<Vec<String>>,
    /// With --rules: the stiffnesses to sweep, as multiples of the chapter's β (γ for a KDE or
    /// one-class SVM, 1/mean f_c for k-means, 1 for a Gaussian mixture; 0: plain average over
    /// the pooled units; large: the hard minimum) [default: 1].
    #[arg(long, value_delimiter = ',')]
    pub beta_factors: Option<Vec<f64>>,
    /// Number H of random Fourier features (inlier-rff).
    #[arg(long, default_value_t = 2500)]
    pub n_features: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = EvaluateFormat::Table)]
    pub format: EvaluateFormat,
    /// Write the report to this file instead of stdout (atomically).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Write the removal, marginal-removal and insertion curves as PNG and SVG into this
    /// folder (assembled next to it and renamed into place; a folder neon wrote earlier is
    /// replaced, a non-empty folder of other files refused).
    #[arg(long = "out-dir", alias = "plot-dir", value_name = "DIR")]
    pub plot_dir: Option<PathBuf>,
}
