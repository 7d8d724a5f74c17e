//! `neon evaluate`: NEON side by side with the baselines on one model — removal, marginal-removal
//! and insertion curves against a random ordering, rank agreement, and cost per explanation.
//! Also the baselines of `neon explain --method …`.

use crate::cli::{EvaluateArgs, EvaluateFormat, ExplainArgs};
use crate::output::emit;
use crate::progress::DelayedProgress;
use anyhow::Context;
use ndarray::Array2;
use neon_xai::compare::{
    evaluate, explain_rows_with, EvaluationConfig, EvaluationReport, Method, MethodOptions,
    NeonVariant, RandomCurve, Reference, MAX_EXACT_FEATURES,
};
use neon_xai::models::{ExplainOptions, FittedModel, Queries, RuleSet, Target};
use neon_xai::{Dataset, Explanation, ModelFile};
use neon_xai_report::{Curve, LineChart};
use std::path::Path;

/// A baseline chosen with `neon explain --method` (NEON itself is `None`).
#[derive(Debug, Clone)]
pub struct Baseline {
    method: Method,
    options: MethodOptions,
}

impl Baseline {
    /// The baseline method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The baseline asked for, `None` for `--method neon`.
    pub fn from_args(args: &ExplainArgs) -> anyhow::Result<Option<Self>> {
        let method: Method = args.method.parse()?;
        if method == Method::Neon {
            if args.reference_row.is_some() {
                anyhow::bail!(
                    "--reference-row applies to the baselines (--method shapley-exact, \
                     shapley-sampling, integrated-gradients, occlusion); NEON explains f(x) itself"
                );
            }
            return Ok(None);
        }
        let options = MethodOptions {
            samples: args.samples,
            steps: args.steps,
            seed: args.seed,
            reference: args
                .reference_row
                .map_or(Reference::TrainingMean, Reference::TrainingRow),
        };
        options.validate()?;
        Ok(Some(Baseline { method, options }))
    }

    /// Check the baseline against `model` before anything is written (the reference row must
    /// exist).
    pub fn check(&self, model: &FittedModel) -> anyhow::Result<()> {
        self.options.reference.resolve(model)?;
        Ok(())
    }

    /// Explain `rows` with the baseline: the same explanations as NEON's, with
    /// `dissipated = f(reference) + completeness gap`.
    pub fn explain(
        &self,
        model: &FittedModel,
        queries: Queries<'_>,
        rows: &[usize],
        target: Target,
        options: &ExplainOptions,
        progress: &(dyn Fn() + Sync),
    ) -> anyhow::Result<Vec<Explanation>> {
        Ok(explain_rows_with(
            self.method,
            model,
            queries,
            Some(rows),
            target,
            options,
            &self.options,
            progress,
        )?
        .into_iter()
        .map(|e| e.explanation)
        .collect())
    }
}

/// Record the method (and a baseline's options) in the parameters of `neon explain`'s output.
pub fn annotate(parameters: &mut serde_json::Value, baseline: Option<&Baseline>) {
    let Some(object) = parameters.as_object_mut() else {
        return;
    };
    match baseline {
        None => {
            object.insert("method".into(), Method::Neon.to_string().into());
        }
        Some(b) => {
            object.insert("method".into(), b.method.to_string().into());
            let reference = serde_json::to_value(&b.options.reference).unwrap_or_default();
            object.insert("reference".into(), reference);
            match b.method {
                Method::ShapleySampling => {
                    object.insert("samples".into(), b.options.samples.into());
                }
                Method::IntegratedGradients => {
                    object.insert("steps".into(), b.options.steps.into());
                }
                _ => {}
            }
            object.insert(
                "dissipated_means".into(),
                "f(reference) + completeness gap: relevance explains f(x) - f(reference)".into(),
            );
        }
    }
}

pub fn run(args: EvaluateArgs, show_progress: bool) -> anyhow::Result<()> {
    let target: Target = args.target.parse()?;
    let file = ModelFile::load(&args.model)?;
    let rule: Option<RuleSet> = args.rule.as_deref().map(str::parse).transpose()?;
    let options = ExplainOptions {
        beta: args.beta,
        n_features: args.n_features,
        seed: args.seed,
        rule,
        cluster: args.cluster,
        ..Default::default()
    };
    options.validate()?;
    let variants = match (&args.rules, &args.beta_factors) {
        (None, None) => Vec::new(),
        (None, Some(_)) => anyhow::bail!("--beta-factors applies with --rules"),
        (Some(names), factors) => {
            let factors = factors.clone().unwrap_or_else(|| vec![1.0]);
            let all = NeonVariant::grid(&file.model, target, &factors);
            if names.iter().any(|n| n == "all") {
                all
            } else {
                let rules: Vec<RuleSet> =
                    names.iter().map(|n| n.parse()).collect::<Result<_, _>>()?;
                for r in &rules {
                    file.model.entry().map_or(Ok(()), |e| e.check(target, *r))?;
                }
                all.into_iter()
                    .filter(|v| rules.contains(&v.rule))
                    .collect()
            }
        }
    };
    let points: Option<Array2<f64>> = match (&args.data, args.leave_one_out) {
        (Some(path), _) => {
            let data = Dataset::load(path, Some(&file.feature_names))?;
            Some(file.transform.apply(&data)?)
        }
        (None, true) => None,
        (None, false) => anyhow::bail!(
            "give --data FILE (new points) or --leave-one-out (the model's own training rows)"
        ),
    };
    let queries = match &points {
        Some(p) => Queries::Points(p.view()),
        None => Queries::LeaveOneOut,
    };
    let d = file.model.n_features();
    let methods: Vec<Method> = match &args.methods {
        Some(names) => names
            .iter()
            .map(|n| n.parse::<Method>())
            .collect::<Result<_, _>>()?,
        None => {
            if d > MAX_EXACT_FEATURES {
                eprintln!(
                    "note: shapley-exact skipped ({d} features > {MAX_EXACT_FEATURES}); \
                     the others are compared"
                );
            }
            Method::ALL
                .into_iter()
                .filter(|&m| m != Method::ShapleyExact || d <= MAX_EXACT_FEATURES)
                .collect()
        }
    };
    let config = EvaluationConfig {
        methods,
        method_options: MethodOptions {
            samples: args.samples,
            steps: args.steps,
            seed: args.seed,
            reference: args
                .reference_row
                .map_or(Reference::TrainingMean, Reference::TrainingRow),
        },
        random_orders: args.random_orders,
        marginal_draws: args.marginal_draws,
        variants,
    };
    config.validate()?;
    let n_rows = points
        .as_ref()
        .map_or(file.model.training_points().nrows(), |p| p.nrows());
    let rows = neon_xai::models::resolve_rows(args.rows.as_deref(), n_rows)?;
    let total = rows.len() * (config.methods.len() + config.variants.len() + 1);
    let progress = DelayedProgress::new(total as u64, "evaluating", show_progress);
    let report = evaluate(
        &file.model,
        queries,
        Some(&rows),
        target,
        &options,
        &config,
        &|| progress.inc(),
    )?;
    progress.finish();
    if let Some(dir) = &args.plot_dir {
        plot(&report, dir)?;
    }
    let text = match args.format {
        EvaluateFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        EvaluateFormat::Table => table(&report),
    };
    emit(&text, args.output.as_deref())
}

/// The evaluation as aligned text: one line per method, the random baseline, then the rank
/// agreement matrix.
fn table(report: &EvaluationReport) -> String {
    let reference = match &report.config.method_options.reference {
        Reference::TrainingMean => "training mean".to_string(),
        Reference::TrainingRow(r) => format!("training row {r}"),
        Reference::Point(_) => "given point".to_string(),
    };
    let mut out = format!(
        "{} {}: {} rows{}, d = {}, reference = {}, {} threads\n\
         AUC of the mean curve over the fraction of features removed/inserted (score units); \
         removal: lower is better, insertion: higher is better\n\n",
        report.model,
        report.target,
        report.n_rows,
        if report.leave_one_out {
            " (leave-one-out)"
        } else {
            ""
        },
        report.n_features,
        reference,
        report.threads,
    );
    let anchor = report
        .config
        .methods
        .iter()
        .position(|&m| m == Method::Neon)
        .unwrap_or(0);
    let anchor_name = report.config.methods[anchor].to_string();
    let with_gain = report
        .methods
        .iter()
        .any(|m| m.removal_gain_vs_shapley.is_some());
    let mut header: Vec<String> = [
        "method",
        "removal",
        "marginal",
        "insertion",
        &format!("ρ vs {anchor_name}"),
        "|gap|",
        "evals/row",
        "µs/row",
        "evals × neon",
        "time × neon",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if with_gain {
        header.push("gain × shapley".into());
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (i, m) in report.methods.iter().enumerate() {
        let rho = report
            .agreement
            .spearman
            .get(i)
            .and_then(|row| row.get(anchor).copied().flatten());
        let mut row = vec![
            m.label.clone(),
            fixed(m.removal.auc),
            fixed(m.marginal_removal.auc),
            fixed(m.insertion.auc),
            rho.map_or("–".into(), |r| format!("{r:.3}")),
            m.mean_abs_completeness_gap
                .map_or("–".into(), |g| format!("{g:.1e}")),
            format!("{:.0}", m.cost.evaluations_per_row),
            format!("{:.2}", m.cost.seconds_per_row * 1e6),
            m.cost
                .evaluation_ratio_to_neon
                .map_or("–".into(), |r| format!("{r:.0}")),
            m.cost
                .time_ratio_to_neon
                .map_or("–".into(), |r| format!("{r:.1}")),
        ];
        if with_gain {
            row.push(
                m.removal_gain_vs_shapley
                    .map_or("–".into(), |r| format!("{r:.3}")),
            );
        }
        rows.push(row);
    }
    let spread = |c: &RandomCurve| format!("{} ± {}", fixed(c.auc_mean), fixed(c.auc_std));
    let mut random = vec![
        format!("random ({} orders)", report.config.random_orders),
        spread(&report.random.removal),
        spread(&report.random.marginal_removal),
        spread(&report.random.insertion),
    ];
    random.resize(header.len(), String::new());
    rows.push(random);
    out += &align(&header, &rows);
    out += &format!(
        "ρ: Spearman rank correlation with {anchor_name}; |gap|: mean |f(x) − f(r) − Σ R| \
         (baselines explain f(x) − f(r)); evals: model evaluations per explanation (NEON: one \
         forward/backward pass); µs/row: wall time of one explanation on its worker thread\n"
    );
    if with_gain {
        out += "gain × shapley: (random − method) / (random − shapley-exact) of the removal AUC, \
                the share of exact Shapley's gain over a random ordering\n";
    }
    out +=
        "\nrank agreement (Spearman ρ of the relevance vectors, mean over rows where both vary)\n";
    let mut header = vec![String::new()];
    header.extend(report.agreement.methods.iter().map(|m| m.to_string()));
    let matrix: Vec<Vec<String>> = report
        .agreement
        .methods
        .iter()
        .enumerate()
        .map(|(a, m)| {
            let mut row = vec![m.to_string()];
            row.extend(
                report.agreement.spearman[a]
                    .iter()
                    .map(|v| v.map_or("–".into(), |r| format!("{r:.3}"))),
            );
            row
        })
        .collect();
    out += &align(&header, &matrix);
    if let Some(s) = report.method(Method::ShapleySampling) {
        if let Some(se) = s.mean_std_error {
            out += &format!(
                "\nshapley-sampling: {} orderings, mean standard error of a relevance {se:.2e}\n",
                report.config.method_options.samples
            );
        }
    }
    out
}

fn fixed(v: f64) -> String {
    if v.abs() >= 1e-3 && v.abs() < 1e5 || v == 0.0 {
        format!("{v:.4}")
    } else {
        format!("{v:.3e}")
    }
}

fn align(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let text: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = w.saturating_sub(c.chars().count());
                if i == 0 {
                    format!("{c}{}", " ".repeat(pad))
                } else {
                    format!("{}{c}", " ".repeat(pad))
                }
            })
            .collect();
        text.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header);
    for row in rows {
        out += &line(row);
    }
    out
}

/// `DIR/<target>-removal`, `-marginal-removal` and `-insertion`, each as `.png` and `.svg`: the
/// mean curve of every method and the random baseline with ± one standard deviation over seeds.
/// The folder is assembled in a staging sibling and renamed into place at the end.
fn plot(report: &EvaluationReport, dir: &Path) -> anyhow::Result<()> {
    let staged = neon_xai::io::StagedDir::create(dir)
        .with_context(|| format!("--out-dir {}", dir.display()))?;
    let mut written = Vec::new();
    let d = report.n_features;
    let x: Vec<f64> = (0..=d).map(|k| k as f64).collect();
    let kinds: [(&str, &str, &str); 3] = [
        (
            "removal",
            "Removal to the reference (lower is better)",
            "features removed",
        ),
        (
            "marginal-removal",
            "Removal to draws from the marginals (lower is better)",
            "features removed",
        ),
        (
            "insertion",
            "Insertion from the reference (higher is better)",
            "features inserted",
        ),
    ];
    for (kind, (stem, title, x_label)) in kinds.into_iter().enumerate() {
        let mut chart = LineChart::new(format!(
            "{title} — {} {}, {} rows",
            report.model, report.target, report.n_rows
        ))
        .x_label(x_label)
        .y_label(format!("mean {} score", report.target));
        for m in &report.methods {
            let curve = match kind {
                0 => &m.removal,
                1 => &m.marginal_removal,
                _ => &m.insertion,
            };
            chart = chart.curve(
                Curve::new(
                    format!("{} (AUC {})", m.label, fixed(curve.auc)),
                    x.clone(),
                    curve.points.clone(),
                )
                .markers(true),
            );
        }
        let random = match kind {
            0 => &report.random.removal,
            1 => &report.random.marginal_removal,
            _ => &report.random.insertion,
        };
        chart = chart.curve(
            Curve::new(
                format!(
                    "random (AUC {} ± {})",
                    fixed(random.auc_mean),
                    fixed(random.auc_std)
                ),
                x.clone(),
                random.points.clone(),
            )
            .band(random.points_std.clone()),
        );
        let stem = format!("{}-{stem}", report.target);
        chart
            .render()?
            .save(staged.path(), &stem)
            .with_context(|| format!("writing {}/{stem}.png and .svg", dir.display()))?;
        written.push(stem);
    }
    staged
        .commit()
        .with_context(|| format!("moving the figures into {}", dir.display()))?;
    for stem in written {
        eprintln!("wrote {}/{stem}.png and .svg", dir.display());
    }
    Ok(())
}
