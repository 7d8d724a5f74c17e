//! VGG-16 (and small VGG-like networks) as an explicit list of layers, so that LRP can visit
//! every layer's weights and stored activations (chapter §5.2: "the output of Block 5").
//!
//! Layers are named like the chapter and torchvision: `conv{block}_{i}` (a 3×3 convolution
//! followed by its ReLU) and `pool{block}` (2×2 max-pooling). The two cut points of the issue are
//! `conv5_3` (stride 16, after its ReLU) and `pool5` (stride 32, the default).

use ndarray::{Array3, ArrayView3};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

use crate::error::{CnnError, Result};
use crate::ops::{self, Kernel, Post};

/// VGG-16's feature extractor: output channels of the convolutions, block by block.
pub const VGG16_BLOCKS: [&[usize]; 5] = [
    &[64, 64],
    &[128, 128],
    &[256, 256, 256],
    &[512, 512, 512],
    &[512, 512, 512],
];

/// A 3×3 convolution (stride 1, padding 1) with bias, followed by a ReLU.
#[derive(Debug, Clone)]
pub struct Conv {
    /// Layer name, e.g. `conv1_1`.
    pub name: String,
    /// HWIO kernel.
    pub kernel: Kernel,
    /// Bias, one per output channel.
    pub bias: Vec<f32>,
}

/// One layer of the feature extractor.
#[derive(Debug, Clone)]
pub enum Layer {
    /// Convolution + ReLU.
    Conv(Conv),
    /// 2×2 max-pooling with stride 2.
    MaxPool {
        /// Layer name, e.g. `pool1`.
        name: String,
    },
}

impl Layer {
    /// The layer's name.
    pub fn name(&self) -> &str {
        match self {
            Layer::Conv(c) => &c.name,
            Layer::MaxPool { name } => name,
        }
    }
}

/// A VGG-like feature extractor: blocks of 3×3 conv + ReLU layers, each block closed by a 2×2 max-pool.
#[derive(Debug, Clone)]
pub struct Network {
    /// The layers in forward order.
    pub layers: Vec<Layer>,
    /// Input channels (3 for images).
    pub in_channels: usize,
}

/// Activations recorded by [`Network::forward`], everything LRP needs.
#[derive(Debug, Clone)]
pub struct ForwardRecord {
    /// `inputs[l]` is the input of layer `l` (HWC); `inputs[0]` is the preprocessed image.
    pub inputs: Vec<Array3<f32>>,
    /// Pre-activations `z` (before ReLU, bias included) of the convolutions; `None` for pools.
    pub pre_activations: Vec<Option<Array3<f32>>>,
    /// Output of the last layer run (the cut point's activations).
    pub output: Array3<f32>,
}

impl ForwardRecord {
    /// Number of layers that were run.
    pub fn n_layers(&self) -> usize {
        self.inputs.len()
    }
}

/// Shape of a VGG-like network: channels per block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VggConfig {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels of each convolution, block by block.
    pub blocks: Vec<Vec<usize>>,
}

impl VggConfig {
    /// VGG-16's 13 convolutions in 5 blocks.
    pub fn vgg16() -> Self {
        VggConfig {
            in_channels: 3,
            blocks: VGG16_BLOCKS.iter().map(|b| b.to_vec()).collect(),
        }
    }

    /// Layer names in forward order.
    pub fn layer_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for (b, block) in self.blocks.iter().enumerate() {
            for i in 0..block.len() {
                names.push(format!("conv{}_{}", b + 1, i + 1));
            }
            names.push(format!("pool{}", b + 1));
        }
        names
    }

    /// Each convolution's `(name, c_in, c_out, torchvision index, keras name)`.
    ///
    /// The torchvision index counts modules like `torchvision.models.vgg.make_layers` (conv, ReLU,
    /// …, pool), so VGG-16's convs are `features.{0,2,5,7,10,12,14,17,19,21,24,26,28}`.
    pub fn convs(&self) -> Vec<ConvSlot> {
        let mut out = Vec::new();
        let mut c_in = self.in_channels;
        let mut index = 0;
        for (b, block) in self.blocks.iter().enumerate() {
            for (i, &c_out) in block.iter().enumerate() {
                out.push(ConvSlot {
                    name: format!("conv{}_{}", b + 1, i + 1),
                    keras_name: format!("block{}_conv{}", b + 1, i + 1),
                    torch_index: index,
                    c_in,
                    c_out,
                });
                index += 2;
                c_in = c_out;
            }
            index += 1;
        }
        out
    }
}

/// Where one convolution's weights live in the supported naming schemes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvSlot {
    /// Our name, `conv{b}_{i}`.
    pub name: String,
    /// Keras' name, `block{b}_conv{i}`.
    pub keras_name: String,
    /// torchvision's module index `N` in `features.N.weight`.
    pub torch_index: usize,
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
}

impl Network {
    /// Build a network from a config and one `(kernel, bias)` per convolution, in order.
    pub fn from_parts(config: &VggConfig, params: Vec<(Kernel, Vec<f32>)>) -> Result<Self> {
        let slots = config.convs();
        if slots.len() != params.len() {
            return Err(CnnError::param(
                "params",
                format!(
                    "{} convolutions need {} kernels, got {}",
                    slots.len(),
                    slots.len(),
                    params.len()
                ),
            ));
        }
        let mut params = params.into_iter();
        let mut layers = Vec::new();
        let mut slot_iter = slots.iter();
        for (b, block) in config.blocks.iter().enumerate() {
            for _ in block {
                let (slot, (kernel, bias)) = match (slot_iter.next(), params.next()) {
                    (Some(s), Some(p)) => (s, p),
                    _ => return Err(CnnError::param("params", "fewer kernels than convolutions")),
                };
                if kernel.c_in != slot.c_in
                    || kernel.c_out != slot.c_out
                    || bias.len() != slot.c_out
                {
                    return Err(CnnError::ShapeMismatch {
                        name: slot.name.clone(),
                        expected: vec![3, 3, slot.c_in, slot.c_out],
                        found: vec![3, 3, kernel.c_in, kernel.c_out],
                    });
                }
                layers.push(Layer::Conv(Conv {
                    name: slot.name.clone(),
                    kernel,
                    bias,
                }));
            }
            layers.push(Layer::MaxPool {
                name: format!("pool{}", b + 1),
            });
        }
        Ok(Network {
            layers,
            in_channels: config.in_channels,
        })
    }

    /// A network with He-normal random weights and small random biases (for tests and the benchmark).
    pub fn random(config: &VggConfig, seed: u64, with_bias: bool) -> Self {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let params = config
            .convs()
            .iter()
            .map(|s| {
                let std = (2.0 / (9.0 * s.c_in as f64)).sqrt();
                let normal = Normal::new(0.0, std)
                    .unwrap_or_else(|_| Normal::new(0.0, 1.0).unwrap_or_else(|_| unreachable!()));
                let data: Vec<f32> = (0..9 * s.c_in * s.c_out)
                    .map(|_| normal.sample(&mut rng) as f32)
                    .collect();
                let bias: Vec<f32> = (0..s.c_out)
                    .map(|_| {
                        if with_bias {
                            (normal.sample(&mut rng) * 0.1) as f32
                        } else {
                            0.0
                        }
                    })
                    .collect();
                (Kernel::from_hwio(s.c_in, s.c_out, data), bias)
            })
            .collect();
        // The config's convs and the params have the same count and shapes by construction.
        Network::from_parts(config, params).unwrap_or_else(|_| Network {
            layers: Vec::new(),
            in_channels: config.in_channels,
        })
    }

    /// Names of the layers, in forward order.
    pub fn layer_names(&self) -> Vec<String> {
        self.layers.iter().map(|l| l.name().to_string()).collect()
    }

    /// Index of the layer called `name` (a cut point such as `pool5` or `conv5_3`).
    pub fn layer_index(&self, name: &str) -> Result<usize> {
        self.layers
            .iter()
            .position(|l| l.name() == name)
            .ok_or_else(|| CnnError::UnknownName {
                kind: "layer",
                name: name.to_string(),
                known: self.layer_names(),
            })
    }

    /// Total stride (input pixels per feature-map cell) at the output of layer `index`.
    pub fn stride_at(&self, index: usize) -> usize {
        let end = (index + 1).min(self.layers.len());
        1 << self.layers[..end]
            .iter()
            .filter(|l| matches!(l, Layer::MaxPool { .. }))
            .count()
    }

    /// Run layers `0..=cut` on `input` (HWC), recording what LRP needs.
    pub fn forward(&self, input: &Array3<f32>, cut: usize) -> Result<ForwardRecord> {
        let (h, w, c) = input.dim();
        if c != self.in_channels {
            return Err(CnnError::BadShape {
                what: "input",
                found: vec![h, w, c],
                expected: format!("(height, width, {})", self.in_channels),
            });
        }
        if cut >= self.layers.len() {
            return Err(CnnError::param(
                "cut",
                format!("layer index {cut} >= {} layers", self.layers.len()),
            ));
        }
        let mut inputs = Vec::with_capacity(cut + 1);
        let mut pre = Vec::with_capacity(cut + 1);
        let mut x = input.clone();
        for layer in &self.layers[..=cut] {
            let (hh, ww, _) = x.dim();
            let y = match layer {
                Layer::Conv(conv) => {
                    let z = ops::conv3x3(&x.view(), &conv.kernel, Post::Bias(&conv.bias));
                    let mut a = z.clone();
                    ops::relu_inplace(&mut a);
                    pre.push(Some(z));
                    a
                }
                Layer::MaxPool { name } => {
                    if hh < 2 || ww < 2 {
                        return Err(CnnError::BadShape {
                            what: "max-pool input",
                            found: vec![hh, ww],
                            expected: format!("both sides >= 2 at {name}"),
                        });
                    }
                    pre.push(None);
                    ops::maxpool2x2(&x.view())
                }
            };
            inputs.push(std::mem::replace(&mut x, y));
        }
        Ok(ForwardRecord {
            inputs,
            pre_activations: pre,
            output: x,
        })
    }

    /// Only the activations at layer `cut` (no record kept).
    pub fn features(&self, input: &ArrayView3<f32>, cut: usize) -> Result<Array3<f32>> {
        let rec = self.forward(&input.to_owned(), cut)?;
        Ok(rec.output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vgg16_has_the_torchvision_indices_and_cut_points() {
        let cfg = VggConfig::vgg16();
        let idx: Vec<usize> = cfg.convs().iter().map(|s| s.torch_index).collect();
        assert_eq!(idx, vec![0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]);
        let net = Network::random(
            &VggConfig {
                in_channels: 3,
                blocks: vec![vec![2], vec![2]],
            },
            1,
            true,
        );
        assert_eq!(
            net.layer_names(),
            vec!["conv1_1", "pool1", "conv2_1", "pool2"]
        );
        assert!(net.layer_index("pool7").is_err());
        assert_eq!(net.stride_at(net.layer_index("conv2_1").unwrap_or(0)), 2);
        assert_eq!(net.stride_at(3), 4);
        let vgg = VggConfig::vgg16().layer_names();
        assert_eq!(vgg.iter().position(|n| n == "conv5_3"), Some(16));
        assert_eq!(vgg.iter().position(|n| n == "pool5"), Some(17));
    }
}
