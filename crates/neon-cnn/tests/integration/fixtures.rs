//! End-to-end checks against files written by `tools/cnn_fixtures.py` (PyTorch + Zennit + h5py):
//! every weight format loads to the same network, loader errors name the tensor, and LRP matches
//! Zennit 0.5.1 on a tiny VGG-like network for every preset.

use std::path::{Path, PathBuf};

use ndarray::Array3;
use neon_xai_cnn::lrp::{presets, LrpContext, PoolRule};
use neon_xai_cnn::network::{Layer, Network, VggConfig};
use neon_xai_cnn::preprocess::Preprocess;
use neon_xai_cnn::weights::{load_network, network_from_store, read_tensors};
use neon_xai_cnn::CnnError;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn tiny() -> VggConfig {
    VggConfig {
        in_channels: 3,
        blocks: vec![vec![4, 6], vec![8]],
    }
}

fn load(name: &str) -> Network {
    load_network(&fixture(name), &tiny())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .0
}

fn params(net: &Network) -> Vec<(Vec<f32>, Vec<f32>)> {
    net.layers
        .iter()
        .filter_map(|l| match l {
            Layer::Conv(c) => Some((c.kernel.data.clone(), c.bias.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn every_format_loads_the_same_network() {
    let reference = params(&load("tiny.pth"));
    for name in [
        "tiny_legacy.pth",
        "tiny.safetensors",
        "tiny_keras2.h5",
        "tiny_keras3.weights.h5",
    ] {
        assert_eq!(params(&load(name)), reference, "{name}");
    }
    let (_, report) = load_network(&fixture("tiny.pth"), &tiny()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.naming, "torchvision");
    assert_eq!(
        report.ignored,
        vec![
            "classifier.bias".to_string(),
            "classifier.weight".to_string()
        ]
    );
    let (_, report) =
        load_network(&fixture("tiny_keras3.weights.h5"), &tiny()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (report.naming.as_str(), report.ignored.clone()),
        ("keras", vec!["dsn1/vars/0".to_string()])
    );
    let (_, report) =
        load_network(&fixture("tiny_keras2.h5"), &tiny()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.ignored.iter().all(|n| n.starts_with("predictions")),
        "{:?}",
        report.ignored
    );
}

#[test]
fn loader_errors_name_the_tensor() {
    let path = fixture("tiny.pth");
    let store = read_tensors(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut missing = store.clone();
    missing.remove("features.2.bias");
    match network_from_store(&missing, &tiny(), &path) {
        Err(e @ CnnError::MissingTensor { .. }) => {
            assert!(e.to_string().contains("features.2.bias"))
        }
        other => panic!("{:?}", other.err()),
    }
    let wider = VggConfig {
        in_channels: 3,
        blocks: vec![vec![4, 7], vec![8]],
    };
    match network_from_store(&store, &wider, &path) {
        Err(e @ CnnError::ShapeMismatch { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("features.2.weight")
                    && msg.contains("[6, 4, 3, 3]")
                    && msg.contains("[7, 4, 3, 3]"),
                "{msg}"
            );
        }
        other => panic!("{:?}", other.err()),
    }
    let shorter = VggConfig {
        in_channels: 3,
        blocks: vec![vec![4, 6]],
    };
    match network_from_store(&store, &shorter, &path) {
        Err(e @ CnnError::UnexpectedTensors { .. }) => {
            assert!(e.to_string().contains("features.5.weight"))
        }
        other => panic!("{:?}", other.err()),
    }
    let kstore = read_tensors(&fixture("tiny_keras2.h5")).unwrap_or_else(|e| panic!("{e}"));
    let mut kmissing = kstore.clone();
    kmissing.remove("block2_conv1/kernel");
    let err = network_from_store(&kmissing, &tiny(), &path)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("block2_conv1/kernel"), "{err}");
    let junk = fixture("zennit_tiny.json");
    assert!(read_tensors(&junk).is_err());
}

#[test]
fn lrp_matches_zennit_for_every_preset() {
    let text =
        std::fs::read_to_string(fixture("zennit_tiny.json")).unwrap_or_else(|e| panic!("{e}"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let floats = |x: &serde_json::Value| -> Vec<f32> {
        x.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_f64())
                    .map(|f| f as f32)
                    .collect()
            })
            .unwrap_or_default()
    };
    let input = Array3::from_shape_vec((16, 16, 3), floats(&v["input_hwc"]))
        .unwrap_or_else(|e| panic!("{e}"));
    let net = load("tiny.pth");
    let cut = net.layer_index("pool2").unwrap_or_else(|e| panic!("{e}"));
    let record = net.forward(&input, cut).unwrap_or_else(|e| panic!("{e}"));
    let presets_json = v["presets"].as_object().cloned().unwrap_or_default();
    assert_eq!(presets_json.len(), 2);
    for (name, expected) in presets_json {
        let preset = presets::preset(&name).unwrap_or_else(|e| panic!("{e}"));
        let rules = presets::assign(
            &net,
            cut,
            preset,
            &Preprocess::Torchvision.bounds(),
            PoolRule::WinnerTakeAll,
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let ctx = LrpContext::new(&net, &record, rules).unwrap_or_else(|e| panic!("{e}"));
        let res = ctx
            .propagate(&record.output)
            .unwrap_or_else(|e| panic!("{e}"));
        let want = floats(&expected["relevance_hwc"]);
        assert_eq!(want.len(), res.input_relevance.len());
        let scale = want.iter().fold(0f32, |a, v| a.max(v.abs()));
        let err = res
            .input_relevance
            .iter()
            .zip(&want)
            .fold(0f32, |a, (g, w)| a.max((g - w).abs()));
        assert!(
            err <= 1e-5 * scale,
            "{name}: max |neon − zennit| = {err}, max |zennit| = {scale}"
        );
        let out_sum = expected["output_sum"].as_f64().unwrap_or(f64::NAN);
        assert!((res.layers[0].relevance_out - out_sum).abs() < 1e-4 * out_sum.abs().max(1.0));
    }
}
