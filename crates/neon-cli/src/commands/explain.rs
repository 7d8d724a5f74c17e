//! `neon score` and `neon explain`.

use super::emit;
use crate::cli::{ExplainArgs, QueryArgs, ScoreArgs};
use crate::output;
use crate::progress::DelayedProgress;
use ndarray::Array2;
use neon::models::{ExplainOptions, FittedModel, Queries, Target};
use neon::{Dataset, ModelFile};

/// The model, and the new points in model space (None: leave-one-out on training rows).
fn load(query: &QueryArgs) -> anyhow::Result<(ModelFile, Option<Array2<f64>>)> {
    let model = ModelFile::load(&query.model)?;
    let points = match (&query.data, query.leave_one_out) {
        (Some(path), _) => {
            let data = Dataset::load(path, Some(&model.feature_names))?;
            Some(model.transform.apply(&data)?)
        }
        (None, true) => None,
        (None, false) => anyhow::bail!(
            "give --data FILE (new points) or --leave-one-out (the model's own training rows)"
        ),
    };
    Ok((model, points))
}

fn queries(points: &Option<Array2<f64>>) -> Queries<'_> {
    match points {
        Some(p) => Queries::Points(p.view()),
        None => Queries::LeaveOneOut,
    }
}

fn default_target(model: &FittedModel) -> Target {
    model
        .entry()
        .and_then(|e| e.targets.first().copied())
        .unwrap_or(Target::Outlier)
}

pub fn score(args: ScoreArgs) -> anyhow::Result<()> {
    let (file, points) = load(&args.query)?;
    let target = match &args.target {
        Some(t) => t.parse()?,
        None => default_target(&file.model),
    };
    let options = ExplainOptions::default();
    let q = queries(&points);
    let n_rows = points
        .as_ref()
        .map_or(file.model.training_points().nrows(), |p| p.nrows());
    let rows = neon::models::resolve_rows(args.query.rows.as_deref(), n_rows)?;
    let scores = file.model.score_rows(q, Some(&rows), target, &options)?;
    let clusters = match &file.model {
        FittedModel::Kmeans(km) => {
            let pts = points
                .as_ref()
                .map_or(file.model.training_points(), |p| p.view());
            Some(
                rows.iter()
                    .map(|&r| km.predict(pts.row(r)))
                    .collect::<Vec<_>>(),
            )
        }
        FittedModel::Kde(_) => None,
    };
    let text = output::scores(
        args.query.format,
        target,
        &rows,
        &scores,
        clusters.as_deref(),
    )?;
    emit(&text, args.query.output.as_deref())
}

/// The rule options given on the command line, checked.
pub(super) fn options(args: &ExplainArgs) -> anyhow::Result<ExplainOptions> {
    let options = ExplainOptions {
        beta: args.beta,
        epsilon: args.epsilon,
        n_features: args.n_features,
        trials: args.trials,
        seed: args.seed,
    };
    options.validate()?;
    Ok(options)
}

pub fn explain(args: ExplainArgs, show_progress: bool) -> anyhow::Result<()> {
    if super::stream::wanted(&args)? {
        return super::stream::explain(args, show_progress);
    }
    let target: Target = args.target.parse()?;
    let options = options(&args)?;
    let baseline = super::evaluate::Baseline::from_args(&args)?;
    let (file, points) = load(&args.query)?;
    let n_rows = points
        .as_ref()
        .map_or(file.model.training_points().nrows(), |p| p.nrows());
    let rows = neon::models::resolve_rows(args.query.rows.as_deref(), n_rows)?;
    let progress = DelayedProgress::new(rows.len() as u64, "explaining", show_progress);
    let explanations = match &baseline {
        Some(b) => b.explain(
            &file.model,
            queries(&points),
            &rows,
            target,
            &options,
            &|| progress.inc(),
        )?,
        None => {
            file.model
                .explain_rows(queries(&points), Some(&rows), target, &options, &|| {
                    progress.inc()
                })?
        }
    };
    progress.finish();
    let beta_used = match (&file.model, args.beta) {
        (_, Some(b)) => b,
        (FittedModel::Kde(k), None) => k.gamma,
        (FittedModel::Kmeans(k), None) => k.beta_auto,
    };
    let mut parameters = serde_json::json!({
        "model": file.model.name(),
        "beta": beta_used,
        "epsilon": args.epsilon,
        "n_features": args.n_features,
        "trials": args.trials,
        "seed": args.seed,
        "leave_one_out": points.is_none(),
    });
    super::evaluate::annotate(&mut parameters, baseline.as_ref());
    let text = output::explanations(
        args.query.format,
        target,
        &file.feature_names,
        &explanations,
        parameters,
    )?;
    emit(&text, args.query.output.as_deref())
}
