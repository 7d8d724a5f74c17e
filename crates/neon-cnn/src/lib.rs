//! # neon-cnn
//!
//! Deep features for NEON (chapter §5.2 and Appendix A): a VGG-16 feature extractor as an explicit
//! list of layers, weight loading (PyTorch `.pth`, safetensors, Keras HDF5), LRP rules for
//! convolutions and max-pooling with presets, and the bridge that attributes a KDE or k-means
//! model fitted on Block-5 activations back to those activations and then to the pixels. The
//! models, random features and Appendix A rules are the core's (`neon`); the bridge maps
//! feature maps to data points and rescales centroids, and every explanation is a
//! [`neon_xai::Explanation`] ([`StagedExplanation`] extends it with LRP's per-layer conservation).
//!
//! ```
//! use neon_xai_cnn::network::{Network, VggConfig};
//! let net = Network::random(&VggConfig { in_channels: 3, blocks: vec![vec![4], vec![4]] }, 0, true);
//! let image = ndarray::Array3::<f32>::from_elem((8, 8, 3), 0.5);
//! let record = net.forward(&image, net.layer_index("pool2").unwrap()).unwrap();
//! assert_eq!(record.output.dim(), (2, 2, 4));
//! ```

pub mod bench;
pub mod bridge;
pub mod error;
pub mod explain;
mod kernel;
pub mod lrp;
pub mod network;
pub mod ops;
pub mod preprocess;
pub mod weights;
mod winograd;

pub use error::{CnnError, Result};
pub use explain::{
    explain_image, explain_image_targets, explain_input, explain_input_targets,
    explain_input_targets_with, DataSet, ExplainImageParams, ExplainOptions, ImageExplanation,
    Selection, StagedExplanation, Target, IMAGE_EPSILON, IMAGE_N_FEATURES,
};
