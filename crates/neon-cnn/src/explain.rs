//! The library entry point of `neon explain-image`: image → VGG-16 features at a cut layer →
//! model fitted on the locations (KDE or k-means) → Appendix A bridge → LRP to the pixels.

use std::path::PathBuf;
use std::time::Instant;

use ndarray::{Array2, Array3, Axis};
use neon_xai::Explanation;
use rayon::prelude::*;
use serde::Serialize;

use crate::bridge::{
    resolve_gamma, GammaSpec, KMeansParams, LocationKMeans, LocationKde, Locations,
};
use crate::error::{CnnError, Result};
use crate::lrp::{presets, InputBounds, LayerConservation, LrpContext, PoolRule, Rule};
use crate::network::{Network, VggConfig};
use crate::preprocess::{check_side, load_image, Preprocess, Resize};
use crate::weights::{load_network, LoadReport};

/// Default number H of random features (`n_features`) of the A.2 inlier explanation on images:
/// 1000. The parameter is the core's (`neon_xai::models::ExplainOptions::n_features`, `neon
/// explain --n-features`) and the same seed draws the same features; only the default differs
/// per setting: tables (§5.1, `neon explain`) use 2500 as the chapter does for the Wholesale
/// data, images use 1000 because every one of the up to a few hundred locations is explained
/// over C = 512 channels (H × C products per location) and the maps of §5.2 are stable at 1000.
pub const IMAGE_N_FEATURES: usize = 1000;

/// Default stabiliser ε of the cosine part of A.2 on images: 0.1. The parameter is the core's
/// (`neon_xai::models::ExplainOptions::epsilon`); tables default to `neon_xai::models::kde::
/// DEFAULT_EPSILON` (1e-9, which only guards a division by zero), while on activations the
/// projections `ω_jᵀa` of A.2 come close to 0 for many `j`, and ε = 0.1 keeps those few
/// near-zero denominators from dominating the map (the ε share is reported as dissipated).
pub const IMAGE_EPSILON: f64 = 0.1;

/// What is explained (chapter §3.1, §3.3, §4.1 through Appendix A.1–A.3). The names are the
/// core's targets (`neon_xai::models::Target`): `outlier`, `inlier-rff`, `cluster`. The core's
/// `inlier` (exact KDE inlierness with the uniform rule of §3.2) has no grounded rule — the
/// uniform rule gives deactivated channels relevance — so it is not a target on images.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "target")]
pub enum Target {
    /// KDE outlierness `o(x)` (A.1).
    Outlier,
    /// KDE inlierness through `n_features` random features (A.2).
    InlierRff {
        /// Number H of random features (default for images: [`IMAGE_N_FEATURES`]).
        n_features: usize,
        /// Stabiliser ε of the cosine part (default for images: [`IMAGE_EPSILON`]).
        epsilon: f64,
    },
    /// k-means cluster membership evidence (A.3).
    Cluster {
        /// Number of clusters.
        n_clusters: usize,
        /// k-means restarts.
        n_init: usize,
        /// Explain only this cluster (with `Selection::All`), or this cluster instead of the
        /// location's own (with `Selection::Location`).
        cluster: Option<usize>,
    },
}

impl Target {
    /// Parse `outlier`, `inlier-rff` or `cluster` (the core's names) with the image defaults
    /// (H = [`IMAGE_N_FEATURES`], ε = [`IMAGE_EPSILON`], 5 clusters as in §5.2, 10 restarts).
    /// `inlier` is refused with a pointer to `inlier-rff`: in the core it names the uniform
    /// rule of §3.2, which cannot be grounded on activations (Appendix A).
    pub fn parse(name: &str) -> Result<Target> {
        let known = || vec!["outlier".into(), "inlier-rff".into(), "cluster".into()];
        match name.parse::<neon_xai::models::Target>() {
            Ok(neon_xai::models::Target::Outlier) => Ok(Target::Outlier),
            Ok(neon_xai::models::Target::InlierRff) => Ok(Target::InlierRff {
                n_features: IMAGE_N_FEATURES,
                epsilon: IMAGE_EPSILON,
            }),
            Ok(neon_xai::models::Target::Cluster) => Ok(Target::Cluster {
                n_clusters: 5,
                n_init: 10,
                cluster: None,
            }),
            Ok(neon_xai::models::Target::Inlier) => Err(CnnError::param(
                "target",
                "`inlier` is the exact KDE inlierness with the uniform rule (§3.2), which gives \
                 deactivated channels relevance and cannot be propagated to the pixels; use \
                 `inlier-rff` (random features, Appendix A.2)",
            )),
            Err(_) => Err(CnnError::UnknownName {
                kind: "target",
                name: name.into(),
                known: known(),
            }),
        }
    }

    /// The core's target this one explains (`neon_xai::models::Target`), whose name it carries.
    pub fn core(&self) -> neon_xai::models::Target {
        match self {
            Target::Outlier => neon_xai::models::Target::Outlier,
            Target::InlierRff { .. } => neon_xai::models::Target::InlierRff,
            Target::Cluster { .. } => neon_xai::models::Target::Cluster,
        }
    }
}

/// Which locations of the (first) image are explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    /// One location `(row, column)` of the feature map.
    Location {
        /// Row.
        i: usize,
        /// Column.
        j: usize,
    },
    /// Every location (for `cluster`: one heatmap per cluster, over that cluster's locations).
    All,
}

/// Which locations form the data set of the model fitted at the cut layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataSet {
    /// The chapter's set-up (§5.2): the explained image's own locations, plus those of any extra
    /// images; each own location is scored against all the others (leave-one-out for the KDE).
    #[default]
    AllLocations,
    /// The inspection set-up: the model is fitted on the extra (reference, e.g. defect-free)
    /// images' locations only, and the explained image's locations are new points scored
    /// against it. Needs at least one extra image.
    Reference,
}

impl DataSet {
    /// Parse `all` / `all-locations` or `reference`.
    pub fn parse(name: &str) -> Result<DataSet> {
        match name {
            "all" | "all-locations" => Ok(DataSet::AllLocations),
            "reference" | "train" => Ok(DataSet::Reference),
            _ => Err(CnnError::UnknownName {
                kind: "data set",
                name: name.into(),
                known: vec!["all-locations".into(), "reference".into()],
            }),
        }
    }
}

/// Options independent of where the network and image come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExplainOptions {
    /// Cut layer: `pool5` (default) or `conv5_3`, or any other layer name.
    pub layer: String,
    /// What to explain.
    pub target: Target,
    /// Which locations.
    pub selection: Selection,
    /// γ of the KDE.
    pub gamma: GammaSpec,
    /// Soft-min stiffness β (default: γ for `outlier` as in §3.1; for `cluster` the core's
    /// `KMeans::beta_auto`, 1 / mean f_c over the locations k-means is fitted on).
    pub beta: Option<f64>,
    /// LRP preset name.
    pub preset: String,
    /// Per-layer rule overrides `(layer, rule)`, e.g. `("conv1_1", "flat")`.
    pub overrides: Vec<(String, String)>,
    /// Max-pool rule.
    pub pool_rule: PoolRule,
    /// Seed of all randomness: the core's random-feature draw (the same features as `neon
    /// explain --seed`) and k-means restarts.
    pub seed: u64,
    /// Which locations the model is fitted on.
    pub data_set: DataSet,
}

impl Default for ExplainOptions {
    fn default() -> Self {
        ExplainOptions {
            layer: "pool5".into(),
            target: Target::Outlier,
            selection: Selection::All,
            gamma: GammaSpec::Relative(1.0),
            beta: None,
            preset: presets::DEFAULT_PRESET.into(),
            overrides: Vec::new(),
            pool_rule: PoolRule::WinnerTakeAll,
            seed: 0,
            data_set: DataSet::AllLocations,
        }
    }
}

/// Everything `neon explain-image` needs.
#[derive(Debug, Clone)]
pub struct ExplainImageParams {
    /// VGG-16 weight file (`.pth`, `.safetensors`, `.h5`).
    pub weights: PathBuf,
    /// Preprocessing matching the weights.
    pub preprocess: Preprocess,
    /// The image to explain.
    pub image: PathBuf,
    /// More images whose locations join the data set (not explained); with
    /// [`DataSet::Reference`] they alone form it.
    pub extra_images: Vec<PathBuf>,
    /// Resize before preprocessing.
    pub resize: Resize,
    /// The rest.
    pub options: ExplainOptions,
}

/// One heatmap's explanation, stage by stage from the model's score to the pixels: the
/// bridge's [`neon_xai::Explanation`] (Appendix A.1–A.3), extended with the conservation of every
/// LRP layer down to the input and the pixel sum. Each stage conserves what it received up to
/// what it reports as dissipated or absorbed:
/// `score = bridge.relevance_sum + bridge.dissipated`,
/// `relevance_out = relevance_in + absorbed` per layer, the top layer receiving
/// `bridge.relevance_sum` and the last one passing `pixel_sum` on (see [`Self::gaps`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StagedExplanation {
    /// Stage 1, the bridge: the explanation of `Σ_l f(a_l)` over the explained locations `l`,
    /// with `relevance` per channel summed over them (zero for a channel inactive at all of
    /// them) and `dissipated` the part not grounded on activations (`R^res` of A.1/A.3, the
    /// ε share of A.2). `row` is the first explained location's row of [`Locations`] (0 when
    /// none is explained).
    pub bridge: Explanation,
    /// Stage 2, LRP through the CNN, layer by layer from the cut down to the input.
    pub stages: Vec<LayerConservation>,
    /// Stage 3, the pixels: Σ pixel relevance.
    pub pixel_sum: f64,
}

impl StagedExplanation {
    /// `dissipated / score` of the bridge (NaN when the score is 0).
    pub fn bridge_dissipated_share(&self) -> f64 {
        share(self.bridge.dissipated, self.bridge.score)
    }

    /// `(score − pixel_sum) / score`: everything that does not reach the pixels (NaN when the
    /// score is 0).
    pub fn total_dissipated_share(&self) -> f64 {
        share(self.bridge.score - self.pixel_sum, self.bridge.score)
    }

    /// The conservation gap of every stage and hand-over, in order: the bridge
    /// (`score − Σ R − dissipated`), bridge → top layer (`Σ R − relevance_out`, the f32
    /// rounding of the cut's relevance), each layer (`out − in − absorbed`) and layer → next
    /// layer, last layer → pixels (`relevance_in − pixel_sum`).
    pub fn gaps(&self) -> Vec<(String, f64)> {
        let mut out = vec![("bridge".to_string(), self.bridge.conservation_gap())];
        let mut previous = ("bridge".to_string(), self.bridge.relevance_sum);
        for s in &self.stages {
            out.push((
                format!("{} -> {}", previous.0, s.layer),
                previous.1 - s.relevance_out,
            ));
            out.push((
                s.layer.clone(),
                s.relevance_out - s.relevance_in - s.absorbed,
            ));
            previous = (s.layer.clone(), s.relevance_in);
        }
        out.push((
            format!("{} -> pixels", previous.0),
            previous.1 - self.pixel_sum,
        ));
        out
    }
}

/// `part / whole`, NaN when `whole` is 0.
fn share(part: f64, whole: f64) -> f64 {
    if whole != 0.0 {
        part / whole
    } else {
        f64::NAN
    }
}

/// One pixel heatmap.
#[derive(Debug, Clone)]
pub struct Heatmap {
    /// `outlier`, `inlier-rff`, `cluster 2`, … with the location when one was chosen.
    pub label: String,
    /// The cluster explained, for `cluster`.
    pub cluster: Option<usize>,
    /// Locations explained (row, column).
    pub locations: Vec<(usize, usize)>,
    /// Pixel relevance summed over the colour channels, `(height, width)`.
    pub pixels: Array2<f32>,
    /// Relevance of the cut layer's activations, HWC.
    pub feature_relevance: Array3<f32>,
    /// The explanation stage by stage: bridge, LRP layers, pixels.
    pub explanation: StagedExplanation,
    /// Seconds of the backward pass.
    pub lrp_s: f64,
}

/// Seconds per stage. When several targets are explained from one forward pass
/// ([`explain_input_targets`]), `load_s`, `forward_s` and `lrp_prepare_s` are shared and appear in
/// each target's timings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Timings {
    /// Loading weights and images.
    pub load_s: f64,
    /// Forward passes (all images).
    pub forward_s: f64,
    /// Fitting the model on the locations and the bridge.
    pub model_s: f64,
    /// Preparing the LRP rules (once per image).
    pub lrp_prepare_s: f64,
    /// All backward passes.
    pub lrp_s: f64,
    /// Everything.
    pub total_s: f64,
}

/// Result of [`explain_image`] / [`explain_input`].
#[derive(Debug, Clone)]
pub struct ImageExplanation {
    /// Input size `(height, width)` after resizing.
    pub image_size: (usize, usize),
    /// Cut layer.
    pub layer: String,
    /// Feature map shape `(height, width, channels)`.
    pub feature_shape: (usize, usize, usize),
    /// Locations in the data set (all images, or the reference images' with
    /// [`DataSet::Reference`]).
    pub n_locations: usize,
    /// γ used (KDE targets).
    pub gamma: Option<f64>,
    /// β used (soft-min), if any.
    pub beta: Option<f64>,
    /// Model score of every location of the explained image, `(feature height, feature width)`.
    pub location_scores: Array2<f64>,
    /// k-means cluster of every location, for `cluster`.
    pub cluster_map: Option<Array2<usize>>,
    /// The heatmaps (one, or one per cluster).
    pub heatmaps: Vec<Heatmap>,
    /// Rule of each layer, `(layer, rule)`.
    pub rules: Vec<(String, String)>,
    /// Options used.
    pub options: ExplainOptions,
    /// Weight loading report (when loaded from a file).
    pub weights: Option<LoadReport>,
    /// Timings.
    pub timings: Timings,
}

/// The numbers of a heatmap's bridge stage ([`StagedExplanation::bridge`]) for the JSON summary,
/// with the names of [`neon_xai::Explanation`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BridgeSummary {
    /// Σ of the model scores explained.
    pub score: f64,
    /// Σ relevance put on the activations.
    pub relevance_sum: f64,
    /// `score − relevance_sum`: `R^res` of A.1/A.3, the ε-dissipated cosine part of A.2.
    pub dissipated: f64,
    /// `dissipated / score` (NaN when the score is 0).
    pub dissipated_share: f64,
}

/// Serializable summary (everything except the arrays) for the JSON output.
#[derive(Debug, Clone, Serialize)]
pub struct Summary<'a> {
    /// Input size.
    pub image_size: (usize, usize),
    /// Cut layer.
    pub layer: &'a str,
    /// Feature shape.
    pub feature_shape: (usize, usize, usize),
    /// Locations in the data set.
    pub n_locations: usize,
    /// γ used.
    pub gamma: Option<f64>,
    /// β used.
    pub beta: Option<f64>,
    /// Options.
    pub options: &'a ExplainOptions,
    /// Per-layer rules.
    pub rules: &'a [(String, String)],
    /// Weight report.
    pub weights: Option<&'a LoadReport>,
    /// Per heatmap: label, cluster, bridge numbers, stages, pixel relevance sum.
    pub heatmaps: Vec<HeatmapSummary<'a>>,
    /// Timings.
    pub timings: &'a Timings,
}

/// Per-heatmap part of [`Summary`].
#[derive(Debug, Clone, Serialize)]
pub struct HeatmapSummary<'a> {
    /// Label.
    pub label: &'a str,
    /// Cluster.
    pub cluster: Option<usize>,
    /// Number of locations explained.
    pub n_locations: usize,
    /// The bridge's explanation without the per-channel relevance.
    pub bridge: BridgeSummary,
    /// Σ pixel relevance.
    pub pixel_relevance_sum: f64,
    /// `(score − pixel sum) / score`: everything not reaching the pixels.
    pub total_dissipated_share: f64,
    /// LRP conservation per layer.
    pub stages: &'a [LayerConservation],
    /// Seconds of the backward pass.
    pub lrp_s: f64,
}

impl ImageExplanation {
    /// The JSON summary.
    pub fn summary(&self) -> Summary<'_> {
        Summary {
            image_size: self.image_size,
            layer: &self.layer,
            feature_shape: self.feature_shape,
            n_locations: self.n_locations,
            gamma: self.gamma,
            beta: self.beta,
            options: &self.options,
            rules: &self.rules,
            weights: self.weights.as_ref(),
            heatmaps: self
                .heatmaps
                .iter()
                .map(|h| {
                    let e = &h.explanation;
                    HeatmapSummary {
                        label: &h.label,
                        cluster: h.cluster,
                        n_locations: h.locations.len(),
                        bridge: BridgeSummary {
                            score: e.bridge.score,
                            relevance_sum: e.bridge.relevance_sum,
                            dissipated: e.bridge.dissipated,
                            dissipated_share: e.bridge_dissipated_share(),
                        },
                        pixel_relevance_sum: e.pixel_sum,
                        total_dissipated_share: e.total_dissipated_share(),
                        stages: &e.stages,
                        lrp_s: h.lrp_s,
                    }
                })
                .collect(),
            timings: &self.timings,
        }
    }
}

/// Serialize a 2-D array as `.npy` bytes (write them with an atomic file writer).
pub fn npy_bytes<T: ndarray_npy::WritableElement>(a: &Array2<T>) -> Result<Vec<u8>> {
    use ndarray_npy::WriteNpyExt;
    let mut buf = Vec::new();
    a.write_npy(&mut buf).map_err(|e| CnnError::Write {
        path: PathBuf::from("<npy buffer>"),
        reason: e.to_string(),
    })?;
    Ok(buf)
}

/// One heatmap to compute: label, cluster, rows of the locations and their bridge explanations.
type Group = (String, Option<usize>, Vec<usize>, Vec<Explanation>);

/// Load weights and images, then [`explain_input`].
pub fn explain_image(p: &ExplainImageParams) -> Result<ImageExplanation> {
    let mut all = explain_image_targets(p, std::slice::from_ref(&p.options.target))?;
    all.pop()
        .ok_or_else(|| CnnError::param("target", "no explanation was produced"))
}

/// Load weights and images once, then [`explain_input_targets`]: one explanation per target
/// from one forward pass (e.g. the outlier and inlier heatmaps of Fig. 7).
pub fn explain_image_targets(
    p: &ExplainImageParams,
    targets: &[Target],
) -> Result<Vec<ImageExplanation>> {
    let t0 = Instant::now();
    let (net, report) = load_network(&p.weights, &VggConfig::vgg16())?;
    let image = p.preprocess.apply(&load_image(&p.image, p.resize)?);
    let extra = p
        .extra_images
        .iter()
        .map(|e| load_image(e, p.resize).map(|img| p.preprocess.apply(&img)))
        .collect::<Result<Vec<_>>>()?;
    let load_s = t0.elapsed().as_secs_f64();
    let mut out = explain_input_targets(
        &net,
        &image,
        &extra,
        &p.preprocess.bounds(),
        &p.options,
        targets,
    )?;
    for ex in &mut out {
        ex.weights = Some(report.clone());
        ex.timings.load_s = load_s;
        ex.timings.total_s += load_s;
    }
    Ok(out)
}

/// Explain a preprocessed input (HWC) with `net`; `extra` inputs only add locations to the data
/// set (or, with [`DataSet::Reference`], form it).
pub fn explain_input(
    net: &Network,
    input: &Array3<f32>,
    extra: &[Array3<f32>],
    bounds: &InputBounds,
    opts: &ExplainOptions,
) -> Result<ImageExplanation> {
    let mut all = explain_input_targets(
        net,
        input,
        extra,
        bounds,
        opts,
        std::slice::from_ref(&opts.target),
    )?;
    all.pop()
        .ok_or_else(|| CnnError::param("target", "no explanation was produced"))
}

/// The model-independent part of one call: forward passes, locations, LRP preparation.
struct Prepared<'a> {
    locs: Locations,
    /// Rows of the explained image's locations (`0..fh·fw`).
    own: Vec<usize>,
    /// Rows the model is fitted on.
    members: Vec<bool>,
    selected: Vec<usize>,
    shape: (usize, usize, usize),
    ctx: LrpContext<'a>,
}

/// [`explain_input`] for several targets: one forward pass of the input and of each extra input,
/// one preparation of the LRP rules, then one model fit and one or more backward passes per
/// target (`opts.target` is ignored; each target takes its place). A relative γ is resolved once
/// for all KDE targets.
pub fn explain_input_targets(
    net: &Network,
    input: &Array3<f32>,
    extra: &[Array3<f32>],
    bounds: &InputBounds,
    opts: &ExplainOptions,
    targets: &[Target],
) -> Result<Vec<ImageExplanation>> {
    explain_input_targets_with(net, input, extra, bounds, opts, targets, &|_| {})
}

/// [`explain_input_targets`] reporting each stage as it starts to `progress` (a line such as
/// `forward pass`, `reference image 2/4`, `model: outlier`, `LRP: cluster 3 (4/5)`), for
/// progress display.
pub fn explain_input_targets_with(
    net: &Network,
    input: &Array3<f32>,
    extra: &[Array3<f32>],
    bounds: &InputBounds,
    opts: &ExplainOptions,
    targets: &[Target],
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Vec<ImageExplanation>> {
    let (h, w, _) = input.dim();
    check_side(w, h)?;
    if opts.data_set == DataSet::Reference && extra.is_empty() {
        return Err(CnnError::param(
            "data_set",
            "`reference` needs at least one reference (training) image",
        ));
    }
    let cut = net.layer_index(&opts.layer)?;
    let preset = presets::preset(&opts.preset)?;
    let overrides = opts
        .overrides
        .iter()
        .map(|(l, r)| Rule::parse(r, bounds).map(|r| (l.clone(), r)))
        .collect::<Result<Vec<_>>>()?;
    let rules = presets::assign(net, cut, preset, bounds, opts.pool_rule, &overrides)?;

    let t = Instant::now();
    progress("forward pass");
    let record = net.forward(input, cut)?;
    let extra_feats = extra
        .iter()
        .enumerate()
        .map(|(k, x)| {
            progress(&format!(
                "forward pass: reference image {}/{}",
                k + 1,
                extra.len()
            ));
            net.features(&x.view(), cut)
        })
        .collect::<Result<Vec<_>>>()?;
    let forward_s = t.elapsed().as_secs_f64();

    let (fh, fw, fc) = record.output.dim();
    let mut maps: Vec<&Array3<f32>> = vec![&record.output];
    maps.extend(extra_feats.iter());
    let locs = Locations::from_features(&maps)?;
    let own: Vec<usize> = (0..fh * fw).collect();
    let selected: Vec<usize> = match opts.selection {
        Selection::Location { i, j } => vec![locs.row(0, i, j)?],
        Selection::All => own.clone(),
    };
    let members: Vec<bool> = (0..locs.len())
        .map(|r| opts.data_set == DataSet::AllLocations || r >= own.len())
        .collect();

    let t = Instant::now();
    progress("preparing LRP rules");
    let ctx = LrpContext::new(net, &record, rules)?;
    let lrp_prepare_s = t.elapsed().as_secs_f64();
    let rule_names: Vec<(String, String)> = ctx
        .rules()
        .iter()
        .zip(&net.layers)
        .map(|(r, l)| (l.name().to_string(), r.name()))
        .collect();
    let prep = Prepared {
        locs,
        own,
        members,
        selected,
        shape: (fh, fw, fc),
        ctx,
    };

    let mut gamma_cache: Option<f64> = None;
    let mut out = Vec::with_capacity(targets.len());
    for target in targets {
        let t_target = Instant::now();
        let mut target_opts = opts.clone();
        target_opts.target = target.clone();
        let mut ex = explain_target(&prep, &target_opts, &mut gamma_cache, progress)?;
        ex.rules = rule_names.clone();
        ex.image_size = (h, w);
        ex.timings.forward_s = forward_s;
        ex.timings.lrp_prepare_s = lrp_prepare_s;
        ex.timings.total_s = forward_s + lrp_prepare_s + t_target.elapsed().as_secs_f64();
        out.push(ex);
    }
    Ok(out)
}

/// γ of the KDE for the member locations, resolved on first use (a relative γ needs the
/// squared distances between all member locations, by the core's distance kernel).
fn gamma_for(
    cache: &mut Option<f64>,
    locs: &Locations,
    member_rows: &[usize],
    spec: GammaSpec,
) -> Result<f64> {
    if let Some(g) = *cache {
        return Ok(g);
    }
    let g = resolve_gamma(locs.data.select(Axis(0), member_rows).view(), spec)?;
    *cache = Some(g);
    Ok(g)
}

/// Fit the target's model on the member locations (the core's KDE or k-means), explain the
/// selected locations through the Appendix A bridge (A.1–A.3) and propagate each group to the
/// pixels.
fn explain_target(
    prep: &Prepared<'_>,
    opts: &ExplainOptions,
    gamma_cache: &mut Option<f64>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<ImageExplanation> {
    let t = Instant::now();
    progress(&format!(
        "model: {}",
        match opts.target {
            Target::Outlier => "outlier (KDE)",
            Target::InlierRff { .. } => "inlier-rff (KDE, random features)",
            Target::Cluster { .. } => "cluster (k-means)",
        }
    ));
    let locs = &prep.locs;
    let (own, selected) = (&prep.own, &prep.selected);
    let (fh, fw, fc) = prep.shape;
    let member_rows: Vec<usize> = (0..locs.len()).filter(|&r| prep.members[r]).collect();
    let mut location_scores = Array2::<f64>::zeros((fh, fw));
    let mut cluster_map = None;
    let (mut gamma_used, mut beta_used) = (None, None);
    let mut groups: Vec<Group> = Vec::new();
    let loc_label = match opts.selection {
        Selection::Location { i, j } => format!(" at ({i}, {j})"),
        Selection::All => String::new(),
    };
    match &opts.target {
        Target::Outlier | Target::InlierRff { .. } => {
            // γ relative to the spread of the data set itself (the member locations).
            let gamma = gamma_for(gamma_cache, locs, &member_rows, opts.gamma)?;
            gamma_used = Some(gamma);
            let kde = LocationKde::fit(locs.data.view(), &prep.members, gamma)?;
            let explainer = match opts.target {
                Target::InlierRff {
                    n_features,
                    epsilon,
                } => kde.rff_explainer(n_features, epsilon, opts.seed)?,
                _ => {
                    let beta = opts.beta.unwrap_or(gamma);
                    beta_used = Some(beta);
                    kde.outlier_explainer(beta)?
                }
            };
            let scores: Vec<f64> = own
                .par_iter()
                .map(|&r| explainer.score(locs.data.row(r), r))
                .collect();
            for (&r, s) in own.iter().zip(scores) {
                location_scores[[r / fw, r % fw]] = s;
            }
            let ex: Vec<Explanation> = selected
                .par_iter()
                .map(|&r| explainer.explain(locs.data.row(r), r))
                .collect();
            groups.push((
                format!("{}{loc_label}", opts.target.core()),
                None,
                selected.clone(),
                ex,
            ));
        }
        Target::Cluster {
            n_clusters,
            n_init,
            cluster,
        } => {
            if let Some(c) = cluster {
                if *c >= *n_clusters {
                    return Err(CnnError::param(
                        "cluster",
                        format!("{c} >= n_clusters = {n_clusters}"),
                    ));
                }
            }
            let fit_data = locs.data.select(Axis(0), &member_rows);
            let km = LocationKMeans::fit(
                fit_data.view(),
                KMeansParams::new(*n_clusters)
                    .n_init(*n_init)
                    .seed(opts.seed),
            )?;
            let labels: Vec<usize> = own.iter().map(|&r| km.assign(locs.data.row(r))).collect();
            let evid: Vec<f64> = own
                .iter()
                .map(|&r| km.evidence(locs.data.row(r), labels[r]))
                .collect();
            let beta = opts.beta.unwrap_or(km.model().beta_auto);
            beta_used = Some(beta);
            let mut cmap = Array2::<usize>::zeros((fh, fw));
            for &r in own {
                location_scores[[r / fw, r % fw]] = evid[r];
                cmap[[r / fw, r % fw]] = labels[r];
            }
            cluster_map = Some(cmap);
            match opts.selection {
                Selection::Location { .. } => {
                    let r = selected[0];
                    let c = cluster.unwrap_or(labels[r]);
                    let e = km.explain(locs.data.row(r), c, beta, r)?;
                    groups.push((
                        format!("cluster {c}{loc_label}"),
                        Some(c),
                        selected.clone(),
                        vec![e],
                    ));
                }
                Selection::All => {
                    let clusters: Vec<usize> = match cluster {
                        Some(c) => vec![*c],
                        None => (0..*n_clusters).collect(),
                    };
                    for c in clusters {
                        let rows: Vec<usize> =
                            own.iter().copied().filter(|&r| labels[r] == c).collect();
                        let ex = rows
                            .par_iter()
                            .map(|&r| km.explain(locs.data.row(r), c, beta, r))
                            .collect::<Result<Vec<_>>>()?;
                        groups.push((format!("cluster {c}"), Some(c), rows, ex));
                    }
                }
            }
        }
    }
    let model_s = t.elapsed().as_secs_f64();

    let mut heatmaps = Vec::new();
    let mut lrp_total = 0.0;
    let n_groups = groups.len();
    for (g, (label, cluster, rows, ex)) in groups.into_iter().enumerate() {
        progress(&format!(
            "LRP to the pixels: {label} ({}/{n_groups})",
            g + 1
        ));
        let mut fr = Array3::<f32>::zeros((fh, fw, fc));
        let mut channels = vec![0.0; fc];
        let (mut score, mut dissipated) = (0.0, 0.0);
        for (&r, e) in rows.iter().zip(&ex) {
            let (_, i, j) = locs.index[r];
            for (k, &v) in e.relevance.iter().enumerate().take(fc) {
                fr[[i, j, k]] += v as f32;
                channels[k] += v;
            }
            score += e.score;
            dissipated += e.dissipated;
        }
        let bridge = Explanation::new(
            rows.first().copied().unwrap_or(0),
            score,
            channels,
            dissipated,
        );
        let t = Instant::now();
        let res = prep.ctx.propagate(&fr)?;
        let lrp_s = t.elapsed().as_secs_f64();
        lrp_total += lrp_s;
        let pixels = res.heatmap();
        let pixel_sum = pixels.iter().map(|&v| f64::from(v)).sum();
        heatmaps.push(Heatmap {
            label,
            cluster,
            locations: rows
                .iter()
                .map(|&r| (locs.index[r].1, locs.index[r].2))
                .collect(),
            pixels,
            feature_relevance: fr,
            explanation: StagedExplanation {
                bridge,
                stages: res.layers,
                pixel_sum,
            },
            lrp_s,
        });
    }
    Ok(ImageExplanation {
        image_size: (0, 0),
        layer: opts.layer.clone(),
        feature_shape: (fh, fw, fc),
        n_locations: member_rows.len(),
        gamma: gamma_used,
        beta: beta_used,
        location_scores,
        cluster_map,
        heatmaps,
        rules: Vec::new(),
        options: opts.clone(),
        weights: None,
        timings: Timings {
            load_s: 0.0,
            forward_s: 0.0,
            model_s,
            lrp_prepare_s: 0.0,
            lrp_s: lrp_total,
            total_s: 0.0,
        },
    })
}
