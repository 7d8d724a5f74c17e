//! `neon score` and `neon explain`. Both read their rows through the library's one chunked
//! reader ([`QuerySource`]); `neon explain` writes through the one [`ExplanationWriter`],
//! whether the rows come in one chunk or many (`--chunk-rows`), so the output is the same byte
//! for byte either way.

use super::evaluate::Baseline;
use crate::cli::{ExplainArgs, ScoreArgs};
use crate::output::{self, emit_bytes, Columns, ExplanationWriter, Sink};
use crate::progress::DelayedProgress;
use neon_xai::compare::Method;
use neon_xai::data::is_npy;
use neon_xai::engine::{ApproxBound, ApproxExplainer};
use neon_xai::kernels::{Compute, Precision, BATCH_MIN_ROWS};
use neon_xai::models::{resolve_rows, BatchExplainer, ExplainOptions, FittedModel, Model, Target};
use neon_xai::query::{QueryChunk, QuerySource};
use neon_xai::summary::SummaryBuilder;
use neon_xai::{Explanation, ModelFile};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// `--data` files larger than this are read in chunks even without `--chunk-rows`.
pub const AUTO_STREAM_BYTES: u64 = 256 << 20;

/// Rows per chunk when a large file is read in chunks without `--chunk-rows`.
pub const DEFAULT_CHUNK_ROWS: usize = 65_536;

/// The data file, or `None` for leave-one-out on the training rows.
fn data_path(query: &crate::cli::QueryArgs) -> anyhow::Result<Option<&Path>> {
    match (&query.data, query.leave_one_out) {
        (Some(path), _) => Ok(Some(path.as_path())),
        (None, true) => Ok(None),
        (None, false) => anyhow::bail!(
            "give --data FILE (new points) or --leave-one-out (the model's own training rows)"
        ),
    }
}

pub fn score(args: ScoreArgs) -> anyhow::Result<()> {
    let file = ModelFile::load(&args.query.model)?;
    let target = match &args.target {
        Some(t) => t.parse()?,
        None => file.model.default_target(),
    };
    let mut source = QuerySource::open(&file, data_path(&args.query)?)?;
    let chunk = source
        .next_chunk(usize::MAX)?
        .ok_or_else(|| anyhow::anyhow!("no rows to score"))?;
    let queries = chunk.queries();
    let rows = resolve_rows(args.query.rows.as_deref(), chunk.len)?;
    let options = ExplainOptions::default();
    let scores = file
        .model
        .score_rows(queries, Some(&rows), target, &options)?;
    if let Some((&row, &score)) = rows.iter().zip(&scores).find(|(_, s)| !s.is_finite()) {
        return Err(neon_xai::NeonError::NonFiniteResult {
            row,
            what: "score".into(),
            value: score,
        }
        .into());
    }
    let clusters = file.model.clusters(queries, &rows);
    let text = output::scores(
        args.query.format()?,
        target,
        &rows,
        &scores,
        clusters.as_deref(),
    )?;
    emit_bytes(&text, args.query.output.as_deref())
}

/// The rule options given on the command line, checked.
pub(super) fn options(args: &ExplainArgs) -> anyhow::Result<ExplainOptions> {
    let options = ExplainOptions {
        beta: args.beta,
        epsilon: args.epsilon,
        n_features: args.n_features,
        trials: args.trials,
        seed: args.seed,
        rule: args.rule.as_deref().map(str::parse).transpose()?,
        cluster: args.cluster,
    };
    options.validate()?;
    Ok(options)
}

/// An explanation held back until the rows are written in the order asked for, with its
/// bound (approximate mode) and the cluster its row belongs to (`--summary`).
type Kept = (Explanation, Option<ApproxBound>, Option<usize>);

/// How rows are explained: NEON (per point or blocked, fixed once), NEON's approximate KDE
/// mode, or a baseline.
enum Engine<'a> {
    Neon(BatchExplainer<'a>),
    Approx(Box<dyn ApproxExplainer + 'a>),
    Baseline(Baseline),
}

impl Engine<'_> {
    /// Explanations of `rows` (indices into the chunk's queries), with bounds in approximate
    /// mode; `tick` gets the number of rows finished.
    fn explain(
        &self,
        model: &FittedModel,
        chunk: &QueryChunk,
        rows: &[usize],
        target: Target,
        options: &ExplainOptions,
        tick: &(dyn Fn(usize) + Sync),
    ) -> anyhow::Result<Vec<(Explanation, Option<ApproxBound>)>> {
        let queries = chunk.queries();
        Ok(match self {
            Engine::Neon(batch) => batch
                .explain(queries, rows, tick)
                .into_iter()
                .map(|e| (e, None))
                .collect(),
            Engine::Approx(approx) => {
                let (points, loo) = model.query_points(queries);
                approx
                    .explain(points, rows, loo, tick)
                    .into_iter()
                    .map(|(explanation, bound)| (explanation, Some(bound)))
                    .collect()
            }
            Engine::Baseline(baseline) => baseline
                .explain(model, queries, rows, target, options, &|| tick(1))?
                .into_iter()
                .map(|e| (e, None))
                .collect(),
        })
    }
}

pub fn explain(args: ExplainArgs, show_progress: bool) -> anyhow::Result<()> {
    let target: Target = args.target.parse()?;
    let options = options(&args)?;
    let baseline = Baseline::from_args(&args)?;
    let scale = &args.scale;
    let scale_given = scale.chunk_rows.is_some()
        || scale.tolerance.is_some()
        || scale.precision != Precision::F64;
    if baseline.is_some() && scale_given {
        anyhow::bail!("--chunk-rows, --tolerance and --precision apply to --method neon only");
    }
    let data = data_path(&args.query)?;
    let chunk_rows = match scale.chunk_rows {
        Some(0) => anyhow::bail!("--chunk-rows must be at least 1"),
        Some(n) => n,
        None => {
            let big = data.is_some_and(|path| {
                !is_npy(path) && std::fs::metadata(path).is_ok_and(|m| m.len() > AUTO_STREAM_BYTES)
            });
            if big {
                DEFAULT_CHUNK_ROWS
            } else {
                usize::MAX
            }
        }
    };
    let file = ModelFile::load(&args.query.model)?;
    let model = &file.model;
    let mut source = QuerySource::open(&file, data)?;
    let wanted = args.query.rows.as_deref();
    if let Some(total) = source.total_rows() {
        resolve_rows(wanted, total)?;
    }
    // The path (per point or blocked) depends on how many rows are explained; where the
    // source does not know, read ahead until that is decided.
    let ahead = chunk_rows.max(BATCH_MIN_ROWS);
    let first = source.next_chunk(ahead)?;
    let first_len = first.as_ref().map_or(0, |c| c.len);
    let n_rows = match (wanted, source.total_rows()) {
        (Some(rows), _) => rows.len(),
        (None, Some(total)) => total,
        (None, None) if first_len < ahead => first_len,
        (None, None) => usize::MAX,
    };
    let compute = Compute {
        precision: scale.precision,
        ..Compute::default()
    };
    let engine = match (&baseline, scale.tolerance) {
        (Some(b), _) => {
            b.check(model)?;
            Engine::Baseline(b.clone())
        }
        (None, Some(tolerance)) => Engine::Approx(model.approximate_explainer(
            target,
            &options,
            tolerance,
            compute.tiles,
        )?),
        (None, None) => Engine::Neon(BatchExplainer::new(
            model, target, &options, &compute, n_rows,
        )?),
    };

    let beta_used = args.beta.unwrap_or_else(|| model.default_beta());
    let mut parameters = serde_json::json!({
        "model": model.name(),
        "rule": options.rule_for(model.capabilities(), target).to_string(),
        "beta": beta_used,
        "epsilon": args.epsilon,
        "n_features": args.n_features,
        "trials": args.trials,
        "seed": args.seed,
        "leave_one_out": data.is_none(),
        "precision": scale.precision.to_string(),
        "tolerance": scale.tolerance,
    });
    if let Some(cluster) = args.cluster {
        parameters["cluster"] = cluster.into();
    }
    super::evaluate::annotate(&mut parameters, baseline.as_ref());
    let method = baseline.as_ref().map_or(Method::Neon, |b| b.method());
    let columns = Columns {
        std: target == Target::InlierRff || method == Method::ShapleySampling,
        cluster: target == Target::Cluster,
        exact: target == Target::InlierRff && method == Method::Neon,
        bound: scale.tolerance.is_some(),
    };
    let format = args.query.format()?;
    let mut writer = ExplanationWriter::new(format, target, &file.feature_names, columns);
    let mut sink = Sink::open(args.query.output.as_deref())?;
    let total = wanted.map(|w| w.len() as u64).or(source.estimated_rows());
    let progress = DelayedProgress::new(total.unwrap_or(0), "explaining", show_progress);
    let mut summary = args.summary.then(SummaryBuilder::default);
    // the explanations written, kept for --plot
    let mut plotted: Option<Vec<Explanation>> = args.plot.as_ref().map(|_| Vec::new());
    let result = (|| -> anyhow::Result<()> {
        if summary.is_none() {
            writer.header(&mut sink, parameters.clone())?;
        }
        let unique: Option<BTreeSet<usize>> = wanted.map(|w| w.iter().copied().collect());
        let mut kept: HashMap<usize, Kept> = HashMap::new();
        let mut next = first;
        while let Some(chunk) = next {
            if wanted.is_none() {
                if let Some(estimate) = source.estimated_rows() {
                    progress.set_length(estimate);
                }
            }
            let local: Vec<usize> = (0..chunk.len)
                .filter(|i| {
                    unique
                        .as_ref()
                        .is_none_or(|u| u.contains(&(chunk.start + i)))
                })
                .collect();
            let rows: Vec<usize> = local.iter().map(|&i| chunk.query_index(i)).collect();
            let tick = |n: usize| progress.inc_by(n as u64);
            let explained = engine.explain(model, &chunk, &rows, target, &options, &tick)?;
            // the cluster each row belongs to groups the summary (not a chosen cluster)
            let groups = match summary {
                Some(_) => model.clusters(chunk.queries(), &rows),
                None => None,
            };
            for (k, (&i, (mut e, bound))) in local.iter().zip(explained).enumerate() {
                e.row = chunk.start + i;
                e.check_finite()?;
                let group = groups.as_ref().map(|g| g[k]);
                if unique.is_some() {
                    kept.insert(e.row, (e, bound, group));
                } else if let Some(builder) = summary.as_mut() {
                    builder.add(&e, group)?;
                } else {
                    writer.explanation(&mut sink, &e, bound.as_ref())?;
                    if let Some(kept) = plotted.as_mut() {
                        kept.push(e);
                    }
                }
            }
            if unique.is_none() {
                use std::io::Write;
                sink.flush()?;
            }
            next = source.next_chunk(chunk_rows)?;
        }
        if let Some(rows) = wanted {
            resolve_rows(Some(rows), source.rows_read())?;
            for row in rows {
                if let Some((e, bound, group)) = kept.get(row) {
                    match summary.as_mut() {
                        Some(builder) => builder.add(e, *group)?,
                        None => {
                            writer.explanation(&mut sink, e, bound.as_ref())?;
                            if let Some(kept) = plotted.as_mut() {
                                kept.push(e.clone());
                            }
                        }
                    }
                }
            }
        }
        match &summary {
            Some(builder) => {
                use std::io::Write;
                let text = output::summary(
                    format,
                    target,
                    &file.feature_names,
                    parameters,
                    &builder.finish()?,
                )?;
                sink.write_all(&text)?;
            }
            None => writer.footer(&mut sink)?,
        }
        Ok(())
    })();
    progress.finish();
    match result {
        Ok(()) => sink.commit()?,
        Err(e) => {
            sink.abandon();
            return Err(e);
        }
    }
    if let (Some(dir), Some(explanations)) = (&args.plot, plotted) {
        for path in super::plot::write_plots(
            "neon explain",
            &target.to_string(),
            &file.feature_names,
            &method.to_string(),
            &explanations,
            None,
            dir,
        )? {
            eprintln!("chart: {}", path.display());
        }
    }
    Ok(())
}
