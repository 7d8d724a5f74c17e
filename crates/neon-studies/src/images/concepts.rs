//! Study 2 — concepts in a scene (§5.2, Fig. 8).
//!
//! The Block-5 locations of one scene photo are clustered by k-means (k = 5), the centroids are
//! rescaled to a common norm, and the membership evidence `f_c` of each location (§4.1, Eq. 5)
//! is attributed to its activations with the rule of Appendix A.3 and then to the pixels with
//! standard LRP. Each cluster's heatmap explains the evidence of the locations assigned to it;
//! all five come from one forward pass.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{Array2, Array3};
use neon_xai_cnn::lrp::LayerConservation;
use neon_xai_cnn::network::Network;
use neon_xai_cnn::preprocess::{load_image, Preprocess, Resize};
use neon_xai_cnn::{explain_input_targets_with, ExplainOptions, Selection, Target};
use serde::Serialize;

use super::regions::{
    area_share, cell_box, cell_concentration, correlation, positive_share_inside, positive_sum,
    receptive_field_mask, union_of_boxes, CellConcentration, ReceptiveField,
};
use super::{check_image_size, Check};
use crate::{Result, StudyError};

/// A cluster's positive relevance must be more concentrated on its own locations' cells than
/// this many times their share of the image area (1: more than relevance spread evenly).
pub const MIN_CONCENTRATION: f64 = 1.0;

/// Two cluster heatmaps "differ" when their Pearson correlation is below this.
pub const MAX_CORRELATION: f64 = 0.9;

/// Parameters of the concept study.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConceptParams {
    /// The scene photo (PNG/JPEG).
    pub image: PathBuf,
    /// The shorter side is resized to this (aspect ratio kept); 448 turns the 400×600
    /// `coffee.png` into 448×672, a 14×21 Block-5 map.
    pub size: usize,
    /// Clusters (the chapter: 5).
    pub n_clusters: usize,
    /// k-means restarts.
    pub n_init: usize,
    /// Seed of the core's k-means (k-means++ restarts).
    pub seed: u64,
    /// Cut layer.
    pub layer: String,
    /// LRP preset.
    pub preset: String,
    /// Soft-min stiffness β of A.3 (default: the core's `KMeans::beta_auto`, 1 / mean f_c over
    /// the locations, each for its own cluster).
    pub beta: Option<f64>,
}

/// The photo shipped for this study: `data/images/coffee.png` (scikit-image, CC0).
pub fn default_scene() -> PathBuf {
    let local = PathBuf::from("data/images/coffee.png");
    if local.exists() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/images/coffee.png")
}

impl Default for ConceptParams {
    fn default() -> Self {
        ConceptParams {
            image: default_scene(),
            size: 448,
            n_clusters: 5,
            n_init: 10,
            seed: 0,
            layer: "pool5".into(),
            preset: neon_xai_cnn::lrp::presets::DEFAULT_PRESET.into(),
            beta: None,
        }
    }
}

/// Numbers of one cluster's heatmap.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterResult {
    /// Cluster index.
    pub cluster: usize,
    /// Locations assigned to it.
    pub n_locations: usize,
    /// Σ of their membership evidence `f_c` (the score explained).
    pub evidence: f64,
    /// Part put on Block-5 activations (A.3: `Σ R^dot`).
    pub propagated: f64,
    /// `(evidence − propagated) / evidence`.
    pub bridge_residual_share: f64,
    /// Σ pixel relevance.
    pub pixel_sum: f64,
    /// Σ positive pixel relevance.
    pub positive_sum: f64,
    /// Share of the positive relevance within the union of the (theoretical) receptive fields
    /// of the cluster's locations (at pool5 this union covers nearly the whole image, so the
    /// share is close to 1 whatever the heatmap; kept as a number, not used as a check).
    pub share_in_receptive_field: f64,
    /// That union's share of the image area.
    pub receptive_field_area: f64,
    /// Share of the positive relevance within the locations' cells grown by one cell on every
    /// side (a stricter, "central" region).
    pub share_near: f64,
    /// That region's share of the image area.
    pub near_area: f64,
    /// Positive relevance on the cluster's own locations' cells (no margin) against their area,
    /// and whether the cell with the most positive relevance is one of them.
    pub on_own_cells: CellConcentration,
    /// LRP conservation per layer.
    pub stages: Vec<LayerConservation>,
    /// Seconds of the backward pass.
    pub lrp_s: f64,
    /// Assigned locations `(row, column)`.
    pub locations: Vec<(usize, usize)>,
    /// Pixel relevance.
    #[serde(skip)]
    pub pixels: Array2<f32>,
}

/// Results of the concept study.
#[derive(Debug, Clone, Serialize)]
pub struct ConceptResults {
    /// Parameters.
    pub params: ConceptParams,
    /// Preprocessing used.
    pub preprocess: Preprocess,
    /// `(height, width)` after resizing.
    pub image_size: (usize, usize),
    /// Block-5 map `(height, width, channels)`.
    pub feature_shape: (usize, usize, usize),
    /// Receptive field of the cut layer.
    pub receptive_field: ReceptiveField,
    /// β used by A.3.
    pub beta: f64,
    /// Cluster of every location.
    pub cluster_map: Vec<Vec<usize>>,
    /// Membership evidence `f_c` of every location for its own cluster.
    pub evidence_map: Vec<Vec<f64>>,
    /// One entry per cluster.
    pub clusters: Vec<ClusterResult>,
    /// Pearson correlation between the cluster heatmaps.
    pub correlation: Vec<Vec<f64>>,
    /// The largest off-diagonal correlation.
    pub max_correlation: f64,
    /// Seconds: forward pass, k-means, bridge and all backward passes.
    pub seconds: f64,
    /// Forward passes run (one for all heatmaps).
    pub forward_passes: usize,
    /// The chapter's statements about Fig. 8, checked.
    pub checks: Vec<Check>,
    /// The photo, resized.
    #[serde(skip)]
    pub image: Array3<u8>,
}

/// Run the study with a loaded network (`preprocess` must match its weights).
pub fn run_concepts(
    net: &Network,
    preprocess: Preprocess,
    p: &ConceptParams,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<ConceptResults> {
    let side = u32::try_from(p.size).map_err(|_| StudyError::Parameter {
        name: "size",
        reason: format!("{} is too large", p.size),
    })?;
    check_image_size(&p.image)?;
    let rgb = load_image(&p.image, Resize::ShorterSide(side))?;
    let image = rgb.mapv(|v| v.round().clamp(0.0, 255.0) as u8);
    let input = preprocess.apply(&rgb);
    let opts = ExplainOptions {
        layer: p.layer.clone(),
        selection: Selection::All,
        beta: p.beta,
        preset: p.preset.clone(),
        seed: p.seed,
        ..ExplainOptions::default()
    };
    let target = Target::Cluster {
        n_clusters: p.n_clusters,
        n_init: p.n_init,
        cluster: None,
    };
    let t = Instant::now();
    let mut all = explain_input_targets_with(
        net,
        &input,
        &[],
        &preprocess.bounds(),
        &opts,
        std::slice::from_ref(&target),
        &|s| progress(&format!("study 2: {s}")),
    )?;
    let seconds = t.elapsed().as_secs_f64();
    let ex = all.pop().ok_or_else(|| StudyError::Parameter {
        name: "target",
        reason: "no explanation was produced".into(),
    })?;
    let cut = net.layer_index(&p.layer)?;
    let rf = ReceptiveField::of(net, cut);
    let shape = ex.image_size;
    let cluster_map = ex
        .cluster_map
        .clone()
        .ok_or_else(|| StudyError::Parameter {
            name: "target",
            reason: "k-means returned no cluster map".into(),
        })?;
    let clusters: Vec<ClusterResult> = ex
        .heatmaps
        .iter()
        .map(|h| {
            let rf_mask = receptive_field_mask(&rf, &h.locations, shape);
            let near = union_of_boxes(
                h.locations
                    .iter()
                    .map(|&(i, j)| cell_box(i, j, rf.stride, rf.stride, shape)),
                shape,
            );
            ClusterResult {
                cluster: h.cluster.unwrap_or(0),
                n_locations: h.locations.len(),
                evidence: h.explanation.bridge.score,
                propagated: h.explanation.bridge.relevance_sum,
                bridge_residual_share: h.explanation.bridge_dissipated_share(),
                pixel_sum: h.pixels.iter().map(|&v| f64::from(v)).sum(),
                positive_sum: positive_sum(h.pixels.view()),
                share_in_receptive_field: positive_share_inside(h.pixels.view(), &rf_mask),
                receptive_field_area: area_share(&rf_mask),
                share_near: positive_share_inside(h.pixels.view(), &near),
                near_area: area_share(&near),
                on_own_cells: cell_concentration(
                    h.pixels.view(),
                    &h.locations,
                    rf.stride,
                    (ex.feature_shape.0, ex.feature_shape.1),
                ),
                stages: h.explanation.stages.clone(),
                lrp_s: h.lrp_s,
                locations: h.locations.clone(),
                pixels: h.pixels.clone(),
            }
        })
        .collect();
    let k = clusters.len();
    let mut corr = vec![vec![1.0; k]; k];
    let mut max_corr = f64::NEG_INFINITY;
    for a in 0..k {
        for b in (a + 1)..k {
            let c = correlation(clusters[a].pixels.view(), clusters[b].pixels.view());
            corr[a][b] = c;
            corr[b][a] = c;
            if !c.is_nan() {
                max_corr = max_corr.max(c);
            }
        }
    }
    let mut results = ConceptResults {
        params: p.clone(),
        preprocess,
        image_size: shape,
        feature_shape: ex.feature_shape,
        receptive_field: rf,
        beta: ex.beta.unwrap_or(f64::NAN),
        cluster_map: cluster_map.outer_iter().map(|r| r.to_vec()).collect(),
        evidence_map: ex
            .location_scores
            .outer_iter()
            .map(|r| r.to_vec())
            .collect(),
        clusters,
        correlation: corr,
        max_correlation: if max_corr.is_finite() {
            max_corr
        } else {
            f64::NAN
        },
        seconds,
        forward_passes: 1,
        checks: Vec::new(),
        image,
    };
    results.checks = checks(&results);
    Ok(results)
}

fn pct(v: f64) -> String {
    format!("{:.1} %", 100.0 * v)
}

/// The chapter's statements about Fig. 8 as checks on measured numbers.
pub fn checks(r: &ConceptResults) -> Vec<Check> {
    let mut out = Vec::new();
    let k = r.clusters.len();
    out.push(Check {
        id: "clusters-differ".into(),
        statement: "Different clusters identify distinct image features (the heatmaps differ)"
            .into(),
        criterion: format!(
            "every pair of the {k} cluster heatmaps has Pearson correlation < {MAX_CORRELATION}"
        ),
        measured: format!("largest pairwise correlation {:.3}", r.max_correlation),
        holds: r.max_correlation < MAX_CORRELATION,
    });
    let concentrated = r
        .clusters
        .iter()
        .filter(|c| c.n_locations > 0)
        .all(|c| c.on_own_cells.concentrates(MIN_CONCENTRATION));
    out.push(Check {
        id: "relevance-on-own-locations".into(),
        statement: "Each cluster's explanation lies on the image regions of its own locations".into(),
        criterion: format!(
            "for every cluster, the share of its positive pixel relevance on its locations' {s}×{s}-px cells is more than {MIN_CONCENTRATION}× those cells' share of the image area (relevance spread evenly scores exactly 1×, relevance on other clusters' cells less)",
            s = r.receptive_field.stride
        ),
        measured: r
            .clusters
            .iter()
            .map(|c| {
                format!(
                    "{}: {} on {} of the area ({:.2}×)",
                    c.cluster,
                    pct(c.on_own_cells.share),
                    pct(c.on_own_cells.area),
                    c.on_own_cells.ratio
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        holds: concentrated,
    });
    let enriched = r
        .clusters
        .iter()
        .filter(|c| c.n_locations > 0)
        .all(|c| c.share_near > c.near_area);
    out.push(Check {
        id: "relevance-near-locations".into(),
        statement: "… and concentrates near them (stricter than the chapter)".into(),
        criterion: format!(
            "for every cluster, the share of positive relevance within its locations' {s}-px cells grown by {s} px exceeds that region's area share",
            s = r.receptive_field.stride
        ),
        measured: r
            .clusters
            .iter()
            .map(|c| format!("{}: {} vs {}", c.cluster, pct(c.share_near), pct(c.near_area)))
            .collect::<Vec<_>>()
            .join("; "),
        holds: enriched,
    });
    out
}
