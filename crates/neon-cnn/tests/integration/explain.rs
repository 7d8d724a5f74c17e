//! End to end: features → model on locations → Appendix A bridge → LRP to pixels.

use ndarray::Array3;
use neon_xai_cnn::bridge::GammaSpec;
use neon_xai_cnn::lrp::{InputBounds, PoolRule};
use neon_xai_cnn::network::{Network, VggConfig};
use neon_xai_cnn::preprocess::{Preprocess, Resize};
use neon_xai_cnn::{
    explain_image, explain_input, explain_input_targets, CnnError, DataSet, ExplainImageParams,
    ExplainOptions, Selection, Target,
};
use rand::{Rng, SeedableRng};

fn small_vgg(with_bias: bool) -> Network {
    Network::random(
        &VggConfig {
            in_channels: 3,
            blocks: vec![vec![4], vec![6], vec![8], vec![8], vec![12]],
        },
        11,
        with_bias,
    )
}

fn image(seed: u64, side: usize) -> Array3<f32> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let rgb = Array3::from_shape_fn((side, side, 3), |(y, _, _)| {
        rng.gen_range(0.0..255.0f32) * if y < side / 2 { 1.0 } else { 0.3 }
    });
    Preprocess::Torchvision.apply(&rgb)
}

fn bounds() -> InputBounds {
    Preprocess::Torchvision.bounds()
}

#[test]
fn outlier_inlier_and_cluster_heatmaps_have_image_shape_and_bookkeeping() {
    let net = small_vgg(true);
    let x = image(1, 128);
    for target in [
        Target::Outlier,
        Target::InlierRff {
            n_features: 200,
            epsilon: 0.1,
        },
        Target::Cluster {
            n_clusters: 3,
            n_init: 2,
            cluster: None,
        },
    ] {
        let opts = ExplainOptions {
            target: target.clone(),
            ..Default::default()
        };
        let ex = explain_input(&net, &x, &[], &bounds(), &opts)
            .unwrap_or_else(|e| panic!("{target:?}: {e}"));
        assert_eq!(ex.feature_shape, (4, 4, 12));
        assert_eq!(ex.location_scores.dim(), (4, 4));
        let expected_maps = if matches!(target, Target::Cluster { .. }) {
            3
        } else {
            1
        };
        assert_eq!(ex.heatmaps.len(), expected_maps);
        for h in &ex.heatmaps {
            assert_eq!(h.pixels.dim(), (128, 128));
            assert!(h.pixels.iter().all(|v| v.is_finite()));
            let e = &h.explanation;
            // The bridge conserves: Σ R + dissipated = Σ f over the explained locations.
            assert!(e.bridge.conservation_gap().abs() < 1e-9 * e.bridge.score.abs().max(1.0));
            assert_eq!(e.bridge.relevance.len(), 12);
            let scores: f64 = h
                .locations
                .iter()
                .map(|&(i, j)| ex.location_scores[[i, j]])
                .sum();
            assert!((e.bridge.score - scores).abs() < 1e-9 * scores.abs().max(1.0));
            // The top stage receives exactly what the bridge propagated.
            let top = &e.stages[0];
            assert_eq!(top.layer, "pool5");
            assert!(
                (top.relevance_out - e.bridge.relevance_sum).abs()
                    < 1e-3 * e.bridge.relevance_sum.abs().max(1.0)
            );
            // Every stage and hand-over conserves (f32 LRP: to 1e-3 of the relevance).
            let gaps = e.gaps();
            assert_eq!(gaps.len(), 2 * e.stages.len() + 2);
            let scale = e
                .stages
                .iter()
                .map(|s| s.relevance_out.abs())
                .fold(1.0, f64::max);
            for (stage, gap) in &gaps {
                assert!(gap.abs() < 1e-3 * scale, "{stage}: {gap}");
            }
            // Stages chain: each layer's input relevance is the next one's output relevance.
            for pair in e.stages.windows(2) {
                assert!(
                    (pair[0].relevance_in - pair[1].relevance_out).abs()
                        < 1e-6 * pair[0].relevance_in.abs().max(1.0)
                );
            }
            // Channels inactive at every explained location get exactly zero.
            let cut = net.layer_index("pool5").unwrap_or_else(|e| panic!("{e}"));
            let fx = net
                .features(&x.view(), cut)
                .unwrap_or_else(|e| panic!("{e}"));
            for k in 0..12 {
                if h.locations.iter().all(|&(i, j)| fx[[i, j, k]] == 0.0) {
                    assert_eq!(e.bridge.relevance[k], 0.0);
                }
            }
            for ((i, j, k), v) in h.feature_relevance.indexed_iter() {
                if fx[[i, j, k]] == 0.0 {
                    assert_eq!(*v, 0.0);
                }
            }
        }
        if matches!(target, Target::Outlier | Target::InlierRff { .. }) {
            assert!(ex.gamma.is_some_and(|g| g > 0.0));
        } else {
            assert!(ex.cluster_map.is_some());
        }
        let json = serde_json::to_string(&ex.summary()).unwrap_or_else(|e| panic!("{e}"));
        assert!(json.contains("dissipated_share") && json.contains("relevance_out"));
    }
}

#[test]
fn lrp0_without_biases_delivers_the_propagated_bridge_relevance_to_the_pixels() {
    let net = small_vgg(false);
    let x = image(2, 64);
    let opts = ExplainOptions {
        preset: "lrp-0".into(),
        selection: Selection::Location { i: 1, j: 0 },
        gamma: GammaSpec::Absolute(0.05),
        ..Default::default()
    };
    let ex = explain_input(&net, &x, &[image(3, 64)], &bounds(), &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ex.n_locations, 8);
    assert_eq!(ex.gamma, Some(0.05));
    let h = &ex.heatmaps[0];
    let pix: f64 = h.pixels.iter().map(|&v| v as f64).sum();
    let propagated = h.explanation.bridge.relevance_sum;
    assert!(
        (pix - propagated).abs() < 1e-3 * propagated.abs().max(1e-3),
        "{pix} vs {propagated}"
    );
    assert!((h.explanation.pixel_sum - pix).abs() < 1e-9 * pix.abs().max(1.0));
    // Only the chosen location carries relevance at the cut.
    let nonzero: Vec<(usize, usize)> = h
        .feature_relevance
        .indexed_iter()
        .filter(|(_, &v)| v != 0.0)
        .map(|((i, j, _), _)| (i, j))
        .collect();
    assert!(!nonzero.is_empty() && nonzero.iter().all(|&p| p == (1, 0)));
}

#[test]
fn conv5_3_cut_and_pool_rule_and_errors() {
    let net = small_vgg(true);
    let x = image(4, 64);
    let opts = ExplainOptions {
        layer: "conv5_1".into(),
        pool_rule: PoolRule::Proportional,
        overrides: vec![("conv1_1".into(), "flat".into())],
        ..Default::default()
    };
    let ex = explain_input(&net, &x, &[], &bounds(), &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ex.feature_shape, (4, 4, 12));
    assert!(ex.rules.iter().any(|(l, r)| l == "conv1_1" && r == "flat"));
    let bad = ExplainOptions {
        selection: Selection::Location { i: 9, j: 0 },
        ..Default::default()
    };
    assert!(matches!(
        explain_input(&net, &x, &[], &bounds(), &bad),
        Err(CnnError::LocationOutOfRange { .. })
    ));
    let bad = ExplainOptions {
        layer: "fc7".into(),
        ..Default::default()
    };
    assert!(matches!(
        explain_input(&net, &x, &[], &bounds(), &bad),
        Err(CnnError::UnknownName { kind: "layer", .. })
    ));
    let bad = ExplainOptions {
        preset: "magic".into(),
        ..Default::default()
    };
    assert!(matches!(
        explain_input(&net, &x, &[], &bounds(), &bad),
        Err(CnnError::UnknownName { kind: "preset", .. })
    ));
    let tiny = Array3::zeros((20, 64, 3));
    assert!(matches!(
        explain_input(&net, &tiny, &[], &bounds(), &ExplainOptions::default()),
        Err(CnnError::ImageTooSmall { .. })
    ));
}

#[test]
fn explain_image_reports_weight_errors_with_the_tensor_name() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let img = dir.path().join("img.png");
    image::RgbImage::from_pixel(40, 40, image::Rgb([1, 2, 3]))
        .save(&img)
        .unwrap_or_else(|e| panic!("{e}"));
    let params = ExplainImageParams {
        weights: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.pth"),
        preprocess: Preprocess::Torchvision,
        image: img,
        extra_images: vec![],
        resize: Resize::Keep,
        options: ExplainOptions::default(),
    };
    let err = explain_image(&params)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("features.0.weight") && err.contains("[64, 3, 3, 3]"),
        "{err}"
    );
}

#[test]
fn several_targets_from_one_forward_pass_equal_separate_calls() {
    let net = small_vgg(true);
    let x = image(5, 64);
    let extra = [image(6, 64)];
    let targets = [
        Target::Outlier,
        Target::InlierRff {
            n_features: 100,
            epsilon: 0.1,
        },
        Target::Cluster {
            n_clusters: 2,
            n_init: 2,
            cluster: None,
        },
    ];
    let opts = ExplainOptions::default();
    let together = explain_input_targets(&net, &x, &extra, &bounds(), &opts, &targets)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(together.len(), 3);
    for (t, joint) in targets.iter().zip(&together) {
        let alone = explain_input(
            &net,
            &x,
            &extra,
            &bounds(),
            &ExplainOptions {
                target: t.clone(),
                ..opts.clone()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(joint.options.target, *t);
        assert_eq!(joint.location_scores, alone.location_scores);
        assert_eq!(joint.heatmaps.len(), alone.heatmaps.len());
        for (a, b) in joint.heatmaps.iter().zip(&alone.heatmaps) {
            assert_eq!(a.label, b.label);
            assert_eq!(a.pixels, b.pixels);
        }
    }
}

#[test]
fn reference_data_set_scores_the_image_against_the_reference_locations_only() {
    use neon_xai_cnn::bridge::{squared_distances, Locations};
    let net = small_vgg(true);
    let x = image(7, 64);
    let refs = [image(8, 64), image(9, 64)];
    let opts = ExplainOptions {
        data_set: DataSet::Reference,
        gamma: GammaSpec::Absolute(0.02),
        ..Default::default()
    };
    let ex = explain_input(&net, &x, &refs, &bounds(), &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ex.n_locations, 8);
    // o(x) = −1/γ log(1/N Σ_k exp(−γ‖x − u_k‖²)) over the reference locations, by brute force.
    let cut = net.layer_index("pool5").unwrap_or_else(|e| panic!("{e}"));
    let fx = net
        .features(&x.view(), cut)
        .unwrap_or_else(|e| panic!("{e}"));
    let fr: Vec<_> = refs
        .iter()
        .map(|r| {
            net.features(&r.view(), cut)
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let locs = Locations::from_features(&[&fx, &fr[0], &fr[1]]).unwrap_or_else(|e| panic!("{e}"));
    let d2 = squared_distances(locs.data.view());
    for r in 0..4 {
        let mean: f64 = (4..12).map(|k| (-0.02 * d2[[r, k]]).exp()).sum::<f64>() / 8.0;
        let o = -mean.ln() / 0.02;
        let got = ex.location_scores[[r / 2, r % 2]];
        assert!((got - o).abs() < 1e-9 * o.abs().max(1.0), "{got} vs {o}");
    }
    // The default data set puts the image's own locations in the sum (leave-one-out).
    let pooled = explain_input(
        &net,
        &x,
        &refs,
        &bounds(),
        &ExplainOptions {
            data_set: DataSet::AllLocations,
            ..opts.clone()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pooled.n_locations, 12);
    assert_ne!(pooled.location_scores, ex.location_scores);
    // k-means and random features accept the reference set too.
    for target in [
        Target::InlierRff {
            n_features: 50,
            epsilon: 0.1,
        },
        Target::Cluster {
            n_clusters: 2,
            n_init: 2,
            cluster: None,
        },
    ] {
        let e = explain_input(
            &net,
            &x,
            &refs,
            &bounds(),
            &ExplainOptions {
                target,
                ..opts.clone()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(e.heatmaps.iter().all(|h| h.pixels.dim() == (64, 64)));
    }
    // A reference data set needs reference images.
    assert!(matches!(
        explain_input(&net, &x, &[], &bounds(), &opts),
        Err(CnnError::InvalidParameter {
            name: "data_set",
            ..
        })
    ));
}

/// The outlier heatmaps of the bridge on the core's `Kde` equal those of the bridge's own KDE
/// that it replaced, to 1e-6 of each array's largest magnitude: location scores, Block-5
/// relevance and pixels recorded from the old implementation (commit dafa9aa) on this small
/// random VGG, in `tests/fixtures/bridge_v0.json` and `bridge_v0_outlier_*_pixels.npy`.
#[test]
fn outlier_heatmaps_equal_the_recorded_ones_of_the_old_bridge() {
    use ndarray_npy::ReadNpyExt;
    let (dir, fixture) = old_bridge_fixture();
    let net = small_vgg(true);
    let x = image(5, 64);
    let extra = [image(6, 64)];
    let setups = [
        ("all_locations", ExplainOptions::default()),
        (
            "reference",
            ExplainOptions {
                data_set: DataSet::Reference,
                gamma: GammaSpec::Absolute(0.02),
                ..Default::default()
            },
        ),
    ];
    for (name, opts) in setups {
        let old = &fixture[format!("e2e_{name}")];
        let ex =
            explain_input(&net, &x, &extra, &bounds(), &opts).unwrap_or_else(|e| panic!("{e}"));
        let h = &ex.heatmaps[0];
        let gamma = ex.gamma.unwrap_or(f64::NAN);
        same(
            &[gamma],
            &[old["gamma"].as_f64().unwrap_or(f64::NAN)],
            "gamma",
        );
        same(
            &ex.location_scores.iter().copied().collect::<Vec<_>>(),
            &numbers(&old["location_scores"]),
            "location scores",
        );
        same(
            &h.feature_relevance
                .iter()
                .map(|&v| f64::from(v))
                .collect::<Vec<_>>(),
            &numbers(&old["feature_relevance"]),
            "Block-5 relevance",
        );
        let b = &h.explanation.bridge;
        same(
            &[b.score],
            &[old["score"].as_f64().unwrap_or(f64::NAN)],
            "score",
        );
        same(
            &[b.relevance_sum],
            &[old["propagated"].as_f64().unwrap_or(f64::NAN)],
            "relevance sum",
        );
        same(
            &[b.dissipated],
            &[old["residual"].as_f64().unwrap_or(f64::NAN)],
            "dissipated",
        );
        let file = dir.join(format!("bridge_v0_outlier_{name}_pixels.npy"));
        let reader = std::fs::File::open(&file).unwrap_or_else(|e| panic!("{e}"));
        let old_pixels = ndarray::Array2::<f32>::read_npy(reader).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(old_pixels.dim(), h.pixels.dim());
        same(
            &h.pixels.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
            &old_pixels.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
            "pixels",
        );
    }
}

/// The values recorded from the bridge's own implementation before it used the core (commit
/// dafa9aa): `tests/fixtures/bridge_v0.json` (its `source` field says how) and the directory.
fn old_bridge_fixture() -> (std::path::PathBuf, serde_json::Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let text =
        std::fs::read_to_string(dir.join("bridge_v0.json")).unwrap_or_else(|e| panic!("{e}"));
    let fixture = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    (dir, fixture)
}

/// The numbers of a JSON array.
fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap_or_else(|| panic!("not a number: {x}")))
        .collect()
}

/// `new` equals `old` to 1e-6 of the largest magnitude in `old` (which must not be all zero).
fn same(new: &[f64], old: &[f64], what: &str) {
    assert_eq!(new.len(), old.len(), "{what}");
    let scale = old.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(scale > 0.0, "{what}: the fixture has values to compare");
    for (a, b) in new.iter().zip(old) {
        assert!(
            (a - b).abs() <= 1e-6 * scale,
            "{what}: {a} vs {b} (scale {scale})"
        );
    }
}

/// The core's random features for a seed are the ones the bridge drew itself before (the same
/// ChaCha8 stream, ω before b): the A.2 heatmap of seed 0, H = 1000 equals the recorded one.
#[test]
fn inlier_rff_heatmaps_equal_the_recorded_ones_of_the_old_bridge() {
    let (_, fixture) = old_bridge_fixture();
    let old = &fixture["e2e_inlier_rff"];
    let net = small_vgg(true);
    let x = image(1, 128);
    let opts = ExplainOptions {
        target: Target::InlierRff {
            n_features: 1000,
            epsilon: 0.1,
        },
        seed: 0,
        ..Default::default()
    };
    let ex = explain_input(&net, &x, &[], &bounds(), &opts).unwrap_or_else(|e| panic!("{e}"));
    same(
        &ex.location_scores.iter().copied().collect::<Vec<_>>(),
        &numbers(&old["location_scores"]),
        "location scores",
    );
    let h = &ex.heatmaps[0];
    same(
        &h.feature_relevance
            .iter()
            .map(|&v| f64::from(v))
            .collect::<Vec<_>>(),
        &numbers(&old["feature_relevance"]),
        "Block-5 relevance",
    );
    let b = &h.explanation.bridge;
    let num = |k: &str| old[k].as_f64().unwrap_or(f64::NAN);
    same(&[b.score], &[num("score")], "score");
    same(&[b.relevance_sum], &[num("propagated")], "relevance sum");
    same(&[b.dissipated], &[num("residual")], "dissipated");
}

/// The inlier-rff location scores of the image pipeline are the core's `neon explain --target
/// inlier-rff --rule grounded` scores for the same seed and H: a `Kde` fitted on the member
/// locations, each member left out of its own score.
#[test]
fn inlier_rff_scores_are_the_cores_for_the_same_seed_and_n_features() {
    use neon_xai::models::{ExplainOptions as CoreOptions, Kde, KdeParams, RuleSet};
    use neon_xai_cnn::bridge::Locations;
    let net = small_vgg(true);
    let x = image(1, 128);
    let (seed, n_features) = (17, 300);
    let opts = ExplainOptions {
        target: Target::InlierRff {
            n_features,
            epsilon: 0.1,
        },
        seed,
        ..Default::default()
    };
    let ex = explain_input(&net, &x, &[], &bounds(), &opts).unwrap_or_else(|e| panic!("{e}"));
    let gamma = ex.gamma.unwrap_or(f64::NAN);
    let cut = net.layer_index("pool5").unwrap_or_else(|e| panic!("{e}"));
    let fx = net
        .features(&x.view(), cut)
        .unwrap_or_else(|e| panic!("{e}"));
    let locs = Locations::from_features(&[&fx]).unwrap_or_else(|e| panic!("{e}"));
    let kde = Kde::fit(KdeParams::new(gamma), locs.data.view()).unwrap_or_else(|e| panic!("{e}"));
    let core = kde
        .explainer(
            neon_xai::models::Target::InlierRff,
            &CoreOptions {
                seed,
                n_features,
                epsilon: 0.1,
                rule: Some(RuleSet::Grounded),
                ..CoreOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let draw = &core.draws()[0];
    let mut total = 0.0;
    for r in 0..locs.len() {
        let (score, _) = core.explain_rff_draw(draw, locs.data.row(r), Some(r));
        let got = ex.location_scores[[r / 4, r % 4]];
        assert_eq!(got, score, "location {r}");
        total += score;
    }
    let b = &ex.heatmaps[0].explanation.bridge;
    assert!((b.score - total).abs() < 1e-12 * total.abs().max(1.0));
    assert!(b.conservation_gap().abs() < 1e-9 * b.score.abs().max(1.0));
}

#[test]
fn targets_carry_the_cores_names_and_the_image_defaults() {
    assert_eq!(
        Target::parse("inlier-rff").unwrap_or_else(|e| panic!("{e}")),
        Target::InlierRff {
            n_features: neon_xai_cnn::IMAGE_N_FEATURES,
            epsilon: neon_xai_cnn::IMAGE_EPSILON,
        }
    );
    for t in ["outlier", "inlier-rff", "cluster"] {
        let parsed = Target::parse(t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.core().to_string(), t);
    }
    // the core's `inlier` is the uniform rule, which cannot be grounded on activations
    let err = Target::parse("inlier")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("inlier-rff") && err.contains("uniform"),
        "{err}"
    );
    assert!(matches!(
        Target::parse("density"),
        Err(CnnError::UnknownName { kind: "target", .. })
    ));
}
