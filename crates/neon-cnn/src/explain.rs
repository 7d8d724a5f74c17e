//! The library entry point of `neon explain-image`: image → VGG-16 features at a cut layer →
//! model fitted on the locations (KDE or k-means) → Appendix A bridge → LRP to the pixels.

use std::path::PathBuf;
use std::time::Instant;

use ndarray::{Array2, Array3};
use serde::Serialize;

use crate::bridge::{
    resolve_gamma, sq_dists, GammaSpec, KMeansModel, KMeansParams, Kde, LocationRelevance,
    Locations,
};
use crate::error::{CnnError, Result};
use crate::lrp::{presets, InputBounds, LayerConservation, LrpContext, PoolRule, Rule};
use crate::network::{Network, VggConfig};
use crate::preprocess::{check_side, load_image, Preprocess, Resize};
use crate::weights::{load_network, LoadReport};

/// What is explained (chapter §3.1, §3.3, §4.1 through Appendix A.1–A.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "target")]
pub enum Target {
    /// KDE outlierness `o(x)` (A.1).
    Outlier,
    /// KDE inlierness through `n_features` random features (A.2).
    InlierRff {
        /// Number H of random features.
        n_features: usize,
        /// Stabiliser ε of the cosine part.
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
    /// Parse `outlier`, `inlier-rff` or `cluster` with the chapter's defaults (H = 1000, ε = 0.1,
    /// 5 clusters, 10 restarts).
    pub fn parse(name: &str) -> Result<Target> {
        match name {
            "outlier" => Ok(Target::Outlier),
            "inlier-rff" | "inlier_rff" | "inlier" => Ok(Target::InlierRff {
                n_features: 1000,
                epsilon: 0.1,
            }),
            "cluster" => Ok(Target::Cluster {
                n_clusters: 5,
                n_init: 10,
                cluster: None,
            }),
            _ => Err(CnnError::UnknownName {
                kind: "target",
                name: name.into(),
                known: vec!["outlier".into(), "inlier-rff".into(), "cluster".into()],
            }),
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
    /// Soft-min stiffness β (default: γ for `outlier`, 1 / mean |evidence| for `cluster`).
    pub beta: Option<f64>,
    /// LRP preset name.
    pub preset: String,
    /// Per-layer rule overrides `(layer, rule)`, e.g. `("conv1_1", "flat")`.
    pub overrides: Vec<(String, String)>,
    /// Max-pool rule.
    pub pool_rule: PoolRule,
    /// Seed of all randomness (random features, k-means).
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

/// The bridge's bookkeeping for one heatmap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BridgeStats {
    /// Σ of the model scores explained.
    pub score: f64,
    /// Σ relevance put on activations.
    pub propagated: f64,
    /// `score − propagated` (not propagated: `R^res` of A.1/A.3, dissipated cosine part of A.2).
    pub residual: f64,
    /// `residual / score` (NaN when the score is 0).
    pub residual_share: f64,
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
    /// Bridge bookkeeping.
    pub bridge: BridgeStats,
    /// LRP conservation per layer, from the cut down to the input.
    pub stages: Vec<LayerConservation>,
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
    /// Per heatmap: label, cluster, bridge stats, stages, pixel relevance sum.
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
    /// Bridge bookkeeping.
    pub bridge: &'a BridgeStats,
    /// Σ pixel relevance.
    pub pixel_relevance_sum: f64,
    /// `(score − pixel sum) / score`: everything not reaching the pixels.
    pub total_residual_share: f64,
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
                    let s: f64 = h.pixels.iter().map(|&v| v as f64).sum();
                    HeatmapSummary {
                        label: &h.label,
                        cluster: h.cluster,
                        n_locations: h.locations.len(),
                        bridge: &h.bridge,
                        pixel_relevance_sum: s,
                        total_residual_share: if h.bridge.score != 0.0 {
                            (h.bridge.score - s) / h.bridge.score
                        } else {
                            f64::NAN
                        },
                        stages: &h.stages,
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

/// One heatmap to compute: label, cluster, rows of the locations and their bridge relevance.
type Group = (String, Option<usize>, Vec<usize>, Vec<LocationRelevance>);

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
/// target (`opts.target` is ignored; each target takes its place). The squared distances between
/// locations are computed once for all KDE targets.
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

    let mut d2_cache: Option<Array2<f64>> = None;
    let mut out = Vec::with_capacity(targets.len());
    for target in targets {
        let t_target = Instant::now();
        let mut target_opts = opts.clone();
        target_opts.target = target.clone();
        let mut ex = explain_target(&prep, &target_opts, &mut d2_cache, progress)?;
        ex.rules = rule_names.clone();
        ex.image_size = (h, w);
        ex.timings.forward_s = forward_s;
        ex.timings.lrp_prepare_s = lrp_prepare_s;
        ex.timings.total_s = forward_s + lrp_prepare_s + t_target.elapsed().as_secs_f64();
        out.push(ex);
    }
    Ok(out)
}

/// Squared distances between all locations, computed on first use.
fn distances<'c>(cache: &'c mut Option<Array2<f64>>, data: &Array2<f64>) -> &'c Array2<f64> {
    cache.get_or_insert_with(|| sq_dists(data))
}

/// Fit the target's model on the member locations, explain the selected locations through the
/// Appendix A bridge (A.1–A.3) and propagate each group to the pixels.
fn explain_target(
    prep: &Prepared<'_>,
    opts: &ExplainOptions,
    d2_cache: &mut Option<Array2<f64>>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<ImageExplanation> {
    let t = Instant::now();
    progress(&format!(
        "model: {}",
        match opts.target {
            Target::Outlier => "outlier (KDE)",
            Target::InlierRff { .. } => "inlier (KDE, random features)",
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
            let d2 = distances(d2_cache, &locs.data);
            // γ relative to the spread of the data set itself (the member locations).
            let d2_members = d2
                .select(ndarray::Axis(0), &member_rows)
                .select(ndarray::Axis(1), &member_rows);
            let gamma = resolve_gamma(&d2_members, opts.gamma)?;
            gamma_used = Some(gamma);
            let kde =
                Kde::with_members(locs.data.clone(), d2.clone(), gamma, prep.members.clone())?;
            if let Target::InlierRff {
                n_features,
                epsilon,
            } = opts.target
            {
                let rff = kde.random_features(n_features, epsilon, opts.seed)?;
                for &r in own {
                    location_scores[[r / fw, r % fw]] = rff.inlier_score(r);
                }
                let ex: Vec<LocationRelevance> = selected
                    .iter()
                    .map(|&r| rff.explain(&locs.data, r))
                    .collect();
                groups.push((format!("inlier-rff{loc_label}"), None, selected.clone(), ex));
            } else {
                let beta = opts.beta.unwrap_or(gamma);
                beta_used = Some(beta);
                for &r in own {
                    location_scores[[r / fw, r % fw]] = kde.outlier_score(r);
                }
                let ex: Vec<LocationRelevance> = selected
                    .iter()
                    .map(|&r| kde.explain_outlier(r, beta))
                    .collect();
                groups.push((format!("outlier{loc_label}"), None, selected.clone(), ex));
            }
        }
        Target::Cluster {
            n_clusters,
            n_init,
            cluster,
        } => {
            let fit_data = locs.data.select(ndarray::Axis(0), &member_rows);
            let km = KMeansModel::fit(
                &fit_data,
                &KMeansParams {
                    n_clusters: *n_clusters,
                    n_init: *n_init,
                    max_iter: 300,
                    seed: opts.seed,
                },
            )?;
            if let Some(c) = cluster {
                if *c >= *n_clusters {
                    return Err(CnnError::param(
                        "cluster",
                        format!("{c} >= n_clusters = {n_clusters}"),
                    ));
                }
            }
            let labels: Vec<usize> = own.iter().map(|&r| km.assign(locs.data.row(r))).collect();
            let evid: Vec<f64> = own
                .iter()
                .map(|&r| km.evidence(locs.data.row(r), labels[r]))
                .collect();
            let beta = opts.beta.unwrap_or_else(|| {
                let m = evid.iter().map(|v| v.abs()).sum::<f64>() / evid.len().max(1) as f64;
                if m > 0.0 {
                    1.0 / m
                } else {
                    1.0
                }
            });
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
                    let e = km.explain(locs.data.row(r), c, beta)?;
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
                            .iter()
                            .map(|&r| km.explain(locs.data.row(r), c, beta))
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
        let (mut score, mut prop) = (0.0, 0.0);
        for (&r, e) in rows.iter().zip(&ex) {
            let (_, i, j) = locs.index[r];
            for k in 0..fc {
                fr[[i, j, k]] += e.relevance[k] as f32;
            }
            score += e.score;
            prop += e.propagated;
        }
        let t = Instant::now();
        let res = prep.ctx.propagate(&fr)?;
        let lrp_s = t.elapsed().as_secs_f64();
        lrp_total += lrp_s;
        let residual = score - prop;
        heatmaps.push(Heatmap {
            label,
            cluster,
            locations: rows
                .iter()
                .map(|&r| (locs.index[r].1, locs.index[r].2))
                .collect(),
            pixels: res.heatmap(),
            feature_relevance: fr,
            bridge: BridgeStats {
                score,
                propagated: prop,
                residual,
                residual_share: if score != 0.0 {
                    residual / score
                } else {
                    f64::NAN
                },
            },
            stages: res.layers,
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
