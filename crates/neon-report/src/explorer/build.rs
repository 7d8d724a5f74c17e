//! From a model file and its rows to the numbers of the interactive page: scores of every row,
//! the shown rows (all of them, or the top rows plus a seeded sample), their NEON explanations,
//! raw values, clusters, a 2-D map and, optionally, baselines.

use super::data::{BaselineSet, ExplorerData};
use crate::error::ReportError;
use crate::pca::pca_map;
use crate::tsne::{TsneMethod, TsneParams};
use ndarray::{Array2, Axis};
use neon_xai::compare::{explain_rows_with, Method, MethodOptions};
use neon_xai::models::{ExplainOptions, Model, Target};
use neon_xai::query::QuerySource;
use neon_xai::ModelFile;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// How the 2-D map is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MapKind {
    /// t-SNE with this perplexity (lowered to fit small data); exact up to 1 000 rows,
    /// Barnes-Hut above.
    Tsne {
        /// Effective number of neighbours.
        perplexity: f64,
    },
    /// The first two principal components: fast, linear.
    Pca,
}

/// What [`explore`] computes.
#[derive(Debug, Clone)]
pub struct ExploreSettings {
    /// The prediction explained.
    pub target: Target,
    /// NEON's rule options.
    pub options: ExplainOptions,
    /// The map.
    pub map: MapKind,
    /// Seed of the map and of the row sample.
    pub seed: u64,
    /// Most rows shown; beyond, the top rows and a seeded random sample of the others.
    pub max_rows: usize,
    /// Rows in the top-rows table (always among the shown rows).
    pub top: usize,
    /// Baselines explained beside NEON.
    pub methods: Vec<Method>,
    /// Options of the baselines.
    pub method_options: MethodOptions,
    /// Most rows a baseline explains: the most remarkable shown rows first.
    pub baseline_rows: usize,
    /// Identifier of every data row, when an id column was given.
    pub ids: Option<Vec<String>>,
    /// Unit of the raw values.
    pub unit: Option<String>,
    /// The data's name as shown (a file name, or "training rows (leave-one-out)").
    pub data_name: String,
}

impl ExploreSettings {
    /// Settings for `target` with the defaults: t-SNE of perplexity 30, seed 0, at most
    /// 10 000 rows shown, top 20, no baselines.
    pub fn new(target: Target) -> Self {
        ExploreSettings {
            target,
            options: ExplainOptions::default(),
            map: MapKind::Tsne { perplexity: 30.0 },
            seed: 0,
            max_rows: 10_000,
            top: 20,
            methods: Vec::new(),
            method_options: MethodOptions::default(),
            baseline_rows: 1_000,
            ids: None,
            unit: None,
            data_name: String::new(),
        }
    }
}

/// A stage of [`explore`], for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Explaining the shown rows with NEON.
    Explain,
    /// Explaining rows with a baseline (index into the methods).
    Baseline(usize),
    /// Computing the map.
    Map,
}

/// The name of `target`'s score as the page shows it, and whether a high value marks an
/// unusual row.
fn score_name(target: Target) -> (&'static str, bool) {
    match target {
        Target::Outlier => ("outlierness o(x)", true),
        Target::Inlier => ("inlierness p̃(x)", false),
        Target::InlierRff => ("inlierness î(x), random features", false),
        Target::Cluster => ("cluster evidence f_c(x)", false),
    }
}

/// Round to 10 significant digits: raw values mapped back through the model's transform
/// (`exp` of a logarithm …) show as the numbers of the data file, not `12668.999999999998`.
fn tidy(v: f64) -> f64 {
    format!("{v:.9e}").parse().unwrap_or(v)
}

/// The model's transform as `--transform` spells it ("none" for the identity).
fn transform_name(file: &ModelFile) -> String {
    let steps: Vec<&str> = file.transform.steps.iter().map(|s| s.name()).collect();
    if steps.is_empty() {
        "none".into()
    } else {
        steps.join(",")
    }
}

/// Compute everything the interactive page shows for `file`'s model on the rows of `data`
/// (`None`: the training rows, leave-one-out). `progress(stage, done, total)` is called as
/// work finishes. The result depends on the settings and seed only, not on the thread count.
pub fn explore(
    file: &ModelFile,
    data: Option<&Path>,
    settings: &ExploreSettings,
    progress: &(dyn Fn(Stage, usize, usize) + Sync),
) -> Result<ExplorerData, ReportError> {
    let model = &file.model;
    let target = settings.target;
    let options = &settings.options;
    options.validate()?;
    let mut source = QuerySource::open(file, data)?;
    let chunk = source
        .next_chunk(usize::MAX)?
        .ok_or(ReportError::Empty { what: "data rows" })?;
    let queries = chunk.queries();
    let total = chunk.len;
    if let Some(ids) = &settings.ids {
        if ids.len() != total {
            return Err(ReportError::LengthMismatch {
                what: "ids (one per data row)".into(),
                expected: total,
                found: ids.len(),
            });
        }
    }
    let (name, high_is_unusual) = score_name(target);

    // the shown rows: all, or the top rows and a seeded sample of the others
    let scores = model.score_rows(queries, None, target, options)?;
    if let Some(row) = scores.iter().position(|s| !s.is_finite()) {
        return Err(ReportError::Model(neon_xai::NeonError::NonFiniteResult {
            row,
            what: "score".into(),
            value: scores[row],
        }));
    }
    let mut ranked: Vec<usize> = (0..total).collect();
    ranked.sort_by(|&a, &b| {
        let order = if high_is_unusual {
            scores[b].total_cmp(&scores[a])
        } else {
            scores[a].total_cmp(&scores[b])
        };
        order.then(a.cmp(&b))
    });
    let max_rows = settings.max_rows.max(1);
    let mut shown: Vec<usize> = if total <= max_rows {
        (0..total).collect()
    } else {
        let top = settings.top.min(max_rows);
        let mut rest: Vec<usize> = ranked[top..].to_vec();
        rest.sort_unstable();
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
        rest.shuffle(&mut rng);
        ranked[..top]
            .iter()
            .copied()
            .chain(rest.into_iter().take(max_rows - top))
            .collect()
    };
    shown.sort_unstable();

    // NEON explanations of the shown rows
    let n = shown.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tick = |stage: Stage, total: usize| {
        let k = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress(stage, k, total);
    };
    let explanations = model.explain_rows(queries, Some(&shown), target, options, &|| {
        tick(Stage::Explain, n)
    })?;
    for e in &explanations {
        e.check_finite()?;
    }
    let (points, _) = model.query_points(queries);
    let selected: Array2<f64> = points.select(Axis(0), &shown);
    let raw = file.transform.invert(&selected);
    let cluster = model.clusters(queries, &shown);

    // baselines, on the most remarkable shown rows first
    let position: std::collections::HashMap<usize, usize> =
        shown.iter().enumerate().map(|(k, &r)| (r, k)).collect();
    let mut baselines = Vec::new();
    for (m, &method) in settings.methods.iter().enumerate() {
        if method == Method::Neon {
            continue;
        }
        let rows: Vec<usize> = ranked
            .iter()
            .copied()
            .filter(|r| position.contains_key(r))
            .take(settings.baseline_rows)
            .collect();
        done.store(0, std::sync::atomic::Ordering::Relaxed);
        let explained = explain_rows_with(
            method,
            model,
            queries,
            Some(&rows),
            target,
            options,
            &settings.method_options,
            &|| tick(Stage::Baseline(m), rows.len()),
        )?;
        let mut set = BaselineSet {
            method: method.to_string(),
            points: Vec::with_capacity(rows.len()),
            relevance: Vec::with_capacity(rows.len()),
            dissipated: Vec::with_capacity(rows.len()),
        };
        for (row, e) in rows.iter().zip(explained) {
            e.explanation.check_finite()?;
            set.points.push(position[row]);
            set.relevance.push(e.explanation.relevance);
            set.dissipated.push(e.explanation.dissipated);
        }
        baselines.push(set);
    }

    // the map, of the rows in model space
    progress(Stage::Map, 0, 1);
    let (map, map_name) = match settings.map {
        MapKind::Pca => (
            pca_map(selected.view())?,
            "PCA (first two components)".to_string(),
        ),
        MapKind::Tsne { perplexity } if n >= 4 => {
            // perplexity must stay below n / 3
            let fitted = perplexity.min(((n - 1) / 3) as f64).max(1.0);
            let method = TsneMethod::auto(n);
            let params = TsneParams::new(fitted).seed(settings.seed).method(method);
            let map = params
                .fit_with_progress(selected.view(), &|i, total| progress(Stage::Map, i, total))?;
            let how = match method {
                TsneMethod::Exact => "exact".to_string(),
                TsneMethod::BarnesHut { theta } => format!("Barnes-Hut, θ = {theta}"),
            };
            (
                map,
                format!("t-SNE (perplexity {fitted}, seed {}, {how})", settings.seed),
            )
        }
        MapKind::Tsne { .. } => (
            pca_map(selected.view())?,
            "PCA (too few rows for t-SNE)".to_string(),
        ),
    };
    progress(Stage::Map, 1, 1);

    let mut notes = vec![format!(
        "{} of {} explained: {}{}.",
        model.name(),
        settings.data_name,
        name,
        if n < total {
            format!(
                "; the page shows {n} of {total} rows: the {} with the {} score and a random sample (seed {}) of the others",
                settings.top.min(n),
                if high_is_unusual { "highest" } else { "lowest" },
                settings.seed
            )
        } else {
            format!(", all {total} rows")
        }
    )];
    notes.push(
        "Each explanation conserves the score: score = Σ R + dissipated, where the dissipated part is what the rules absorbed (ε terms, residuals not grounded on the features)."
            .to_string(),
    );
    let rule = options.rule_for(model.capabilities(), target);
    let mut params = vec![
        ("model".to_string(), model.name().to_string()),
        ("data".to_string(), settings.data_name.clone()),
        ("target".to_string(), target.to_string()),
        ("rule".to_string(), rule.to_string()),
        (
            "beta".to_string(),
            options
                .beta
                .unwrap_or_else(|| model.default_beta())
                .to_string(),
        ),
        ("epsilon".to_string(), options.epsilon.to_string()),
        (
            "rows shown / in the data".to_string(),
            format!("{n} / {total}"),
        ),
        ("map".to_string(), map_name.clone()),
        ("seed".to_string(), settings.seed.to_string()),
        ("features".to_string(), file.feature_names.join(", ")),
        ("transform".to_string(), transform_name(file)),
        ("model file written by".to_string(), file.producer.clone()),
    ];
    if target == Target::InlierRff {
        params.push(("n_features (H)".into(), options.n_features.to_string()));
        params.push(("trials".into(), options.trials.to_string()));
    }
    for b in &baselines {
        params.push((
            format!("baseline {}", b.method),
            format!("{} rows (the most remarkable first)", b.points.len()),
        ));
    }

    Ok(ExplorerData {
        title: format!("neon report: {} of {}", name, settings.data_name),
        notes,
        features: file.feature_names.clone(),
        unit: settings.unit.clone(),
        target: target.to_string(),
        score_name: name.to_string(),
        high_is_unusual,
        total_rows: total,
        ids: settings
            .ids
            .as_ref()
            .map(|ids| shown.iter().map(|&r| ids[r].clone()).collect()),
        raw: raw
            .outer_iter()
            .map(|r| r.iter().map(|&v| tidy(v)).collect())
            .collect(),
        score: explanations.iter().map(|e| e.score).collect(),
        relevance: explanations.iter().map(|e| e.relevance.clone()).collect(),
        relevance_sum: explanations.iter().map(|e| e.relevance_sum).collect(),
        dissipated: explanations.iter().map(|e| e.dissipated).collect(),
        cluster,
        map: map.outer_iter().map(|r| [r[0], r[1]]).collect(),
        map_name,
        baselines,
        params,
        top: settings.top,
        rows: shown,
    })
}
