//! `neon report`: the interactive HTML page of a model's explanations on many rows (a map to
//! hover and click, the row's explanation, tables), written atomically into an output folder.
//! The numbers come from the library's [`explore`]; the page from [`render_explorer`].

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context;
use clap::{Args, ValueEnum};
use neon_xai::compare::{Method, MethodOptions};
use neon_xai::io::StagedDir;
use neon_xai::models::{ExplainOptions, Target};
use neon_xai::{Dataset, ModelFile};
use neon_xai_report::{explore, render_explorer, ExploreSettings, MapKind, Stage};

use crate::progress::DelayedProgress;

/// The 2-D map of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MapChoice {
    /// t-SNE (exact up to 1 000 rows, Barnes-Hut above).
    Tsne,
    /// The first two principal components (fast).
    Pca,
}

/// `neon report` arguments.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Fitted model file.
    #[arg(long)]
    pub model: PathBuf,
    /// Rows to explore: raw values, as for `neon explain` (CSV, Parquet, Arrow IPC or .npy).
    #[arg(long, conflicts_with = "leave_one_out")]
    pub data: Option<PathBuf>,
    /// Explore the model's own training rows (KDE: each against the model without it).
    #[arg(long)]
    pub leave_one_out: bool,
    /// Output folder for report.html (written atomically; a folder neon did not write is
    /// refused).
    #[arg(long = "out-dir", alias = "out", short = 'o', value_name = "DIR")]
    pub out_dir: PathBuf,
    /// What to explain: outlier, inlier, inlier-rff (KDE) or cluster (k-means). Default: the
    /// model's first.
    #[arg(long)]
    pub target: Option<String>,
    /// The map: t-SNE or PCA.
    #[arg(long, value_enum, default_value = "tsne")]
    pub map: MapChoice,
    /// t-SNE perplexity (lowered to a third of the rows for small data).
    #[arg(long, default_value_t = 30.0)]
    pub perplexity: f64,
    /// Seed of the map, the row sample and the random features.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Most rows on the page; beyond, the top rows and a seeded random sample of the others
    /// (the page says so).
    #[arg(long, default_value_t = 10_000)]
    pub max_rows: usize,
    /// Rows in the table of the most remarkable rows.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Baselines shown beside NEON for the pinned row: shapley-exact, shapley-sampling,
    /// integrated-gradients, occlusion (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub methods: Option<Vec<String>>,
    /// Most rows each baseline explains (the most remarkable first).
    #[arg(long, default_value_t = 1_000)]
    pub baseline_rows: usize,
    /// A column of the data file holding each row's id (shown, and searchable on the page).
    #[arg(long)]
    pub id_column: Option<String>,
    /// The file holding --id-column when exploring --leave-one-out (the training data file).
    #[arg(long, requires = "id_column")]
    pub id_data: Option<PathBuf>,
    /// Unit of the raw values, shown beside them (e.g. "m.u.").
    #[arg(long)]
    pub unit: Option<String>,
    /// Rule set (see `neon explain --help`; default: the model's most faithful).
    #[arg(long)]
    pub rule: Option<String>,
    /// Stiffness β of the soft argmin (see `neon explain --help`).
    #[arg(long, allow_negative_numbers = true)]
    pub beta: Option<f64>,
    /// Stabiliser ε of the outlier, random-feature grounded and midpoint rules.
    #[arg(long, default_value_t = neon_xai::models::kde::DEFAULT_EPSILON)]
    pub epsilon: f64,
    /// Number H of random Fourier features (inlier-rff).
    #[arg(long, default_value_t = 2500)]
    pub n_features: usize,
}

/// Each row's id from `column` of `path`, as text (integers without a fraction).
fn read_ids(path: &std::path::Path, column: &str) -> anyhow::Result<Vec<String>> {
    let data = Dataset::load(path, Some(&[column.to_string()]))
        .with_context(|| format!("--id-column {column}"))?;
    Ok(data
        .values()
        .column(0)
        .iter()
        .map(|&v| {
            if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{}", v as i64)
            } else {
                v.to_string()
            }
        })
        .collect())
}

pub fn run(args: ReportArgs, show_progress: bool) -> anyhow::Result<()> {
    let data = match (&args.data, args.leave_one_out) {
        (Some(path), _) => Some(path.as_path()),
        (None, true) => None,
        (None, false) => anyhow::bail!(
            "give --data FILE (new points) or --leave-one-out (the model's own training rows)"
        ),
    };
    let file = ModelFile::load(&args.model)?;
    let target: Target = match &args.target {
        Some(t) => t.parse()?,
        None => file.model.default_target(),
    };
    if !(args.perplexity > 0.0 && args.perplexity.is_finite()) {
        anyhow::bail!("--perplexity must be positive, got {}", args.perplexity);
    }
    if args.max_rows == 0 {
        anyhow::bail!("--max-rows must be at least 1");
    }
    let options = ExplainOptions {
        beta: args.beta,
        epsilon: args.epsilon,
        n_features: args.n_features,
        seed: args.seed,
        rule: args.rule.as_deref().map(str::parse).transpose()?,
        ..ExplainOptions::default()
    };
    options.validate()?;
    let methods: Vec<Method> = args
        .methods
        .iter()
        .flatten()
        .map(|m| m.parse::<Method>())
        .collect::<Result<_, _>>()
        .context("--methods")?;
    let ids = match (&args.id_column, &args.id_data, data) {
        (Some(column), Some(path), _) => Some(read_ids(path, column)?),
        (Some(column), None, Some(path)) => Some(read_ids(path, column)?),
        (Some(_), None, None) => anyhow::bail!(
            "--id-column with --leave-one-out: give the training data file with --id-data FILE"
        ),
        (None, _, _) => None,
    };
    let data_name = match data {
        Some(path) => path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        ),
        None => "the training rows (leave-one-out)".to_string(),
    };
    let settings = ExploreSettings {
        target,
        options,
        map: match args.map {
            MapChoice::Tsne => MapKind::Tsne {
                perplexity: args.perplexity,
            },
            MapChoice::Pca => MapKind::Pca,
        },
        seed: args.seed,
        max_rows: args.max_rows,
        top: args.top,
        methods,
        method_options: MethodOptions {
            seed: args.seed,
            ..MethodOptions::default()
        },
        baseline_rows: args.baseline_rows,
        ids,
        unit: args.unit.clone(),
        data_name,
    };

    // one bar per stage, replaced when the stage changes
    let bar: Mutex<Option<(Stage, DelayedProgress)>> = Mutex::new(None);
    let progress = |stage: Stage, done: usize, total: usize| {
        let Ok(mut bar) = bar.lock() else { return };
        if bar.as_ref().is_none_or(|(s, _)| *s != stage) {
            if let Some((_, old)) = bar.take() {
                old.finish();
            }
            let label = match stage {
                Stage::Explain => "explaining".to_string(),
                Stage::Baseline(m) => settings
                    .methods
                    .get(m)
                    .map_or("baseline".to_string(), |m| m.to_string()),
                Stage::Map => "map".to_string(),
            };
            *bar = Some((
                stage,
                DelayedProgress::new(total as u64, &label, show_progress),
            ));
        }
        if let Some((_, b)) = bar.as_ref() {
            b.set_length(total as u64);
            let position = b.position();
            b.inc_by((done as u64).saturating_sub(position));
        }
    };
    let explored = explore(&file, data, &settings, &progress);
    if let Ok(mut bar) = bar.lock() {
        if let Some((_, b)) = bar.take() {
            b.finish();
        }
    }
    let explored = explored?;
    let html = render_explorer(&explored)?;

    let staged = StagedDir::create(&args.out_dir)
        .with_context(|| format!("--out-dir {}", args.out_dir.display()))?;
    let page = staged.path().join("report.html");
    std::fs::write(&page, html.as_bytes())
        .with_context(|| format!("writing {}", page.display()))?;
    let target_dir = staged
        .commit()
        .with_context(|| format!("--out-dir {}", args.out_dir.display()))?;
    eprintln!(
        "{} rows of {} on the page ({}); open it in a browser",
        explored.rows.len(),
        explored.total_rows,
        explored.map_name
    );
    println!("{}", target_dir.join("report.html").display());
    Ok(())
}
