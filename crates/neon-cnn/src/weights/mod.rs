//! Loading VGG weights by name, with shapes checked at load (the tensor's name is in every error).
//!
//! Formats: PyTorch `.pth`/`.pt` (zip archives of `torch.save` ≥ 1.6 and the legacy pickle
//! stream of older files such as torchvision's `vgg16-397923af.pth`), `.safetensors`, and Keras
//! HDF5 (`.h5`, Keras 2 and Keras 3 `.weights.h5` layouts).
//!
//! Naming schemes:
//! * torchvision: `features.{N}.weight` (OIHW) and `features.{N}.bias`, N as in
//!   `torchvision.models.vgg16().features` (0, 2, 5, 7, 10, …, 28). Tensors outside `features.`
//!   (the classifier) are ignored and listed; an unexpected `features.*` tensor is an error.
//! * Keras: layers `block{B}_conv{C}` with an HWIO kernel and a bias. Other layers (the
//!   classifier, HED's side outputs) are ignored and listed.

mod hdf5;
mod pickle;
mod pth;
mod store;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{CnnError, Result};
use crate::network::{Network, VggConfig};
use crate::ops::Kernel;

pub use hdf5::read_hdf5;
pub use pth::read_pth;
pub(crate) use store::Dtype;
pub use store::{RawTensor, TensorStore};

/// The weight file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightFormat {
    /// PyTorch `torch.save` file.
    Pth,
    /// safetensors.
    Safetensors,
    /// Keras HDF5.
    Hdf5,
}

impl WeightFormat {
    /// Guess the format from the extension, then from the first bytes.
    pub fn detect(path: &Path) -> Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if name.ends_with(".pth") || name.ends_with(".pt") || name.ends_with(".bin") {
            return Ok(WeightFormat::Pth);
        }
        if name.ends_with(".safetensors") {
            return Ok(WeightFormat::Safetensors);
        }
        if name.ends_with(".h5") || name.ends_with(".hdf5") || name.ends_with(".keras") {
            return Ok(WeightFormat::Hdf5);
        }
        let mut head = [0u8; 8];
        let n = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .map_err(|source| CnnError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        match &head[..n] {
            [0x89, b'H', b'D', b'F', ..] => Ok(WeightFormat::Hdf5),
            [b'P', b'K', ..] | [0x80, ..] => Ok(WeightFormat::Pth),
            _ => Err(CnnError::UnknownWeightFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// What a load found besides the tensors it used.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadReport {
    /// The file.
    pub path: PathBuf,
    /// Naming scheme recognised: `torchvision` or `keras`.
    pub naming: String,
    /// Tensors present but not part of the feature extractor (classifier, side outputs).
    pub ignored: Vec<String>,
}

/// Read every tensor of a weight file.
pub fn read_tensors(path: &Path) -> Result<TensorStore> {
    match WeightFormat::detect(path)? {
        WeightFormat::Pth => read_pth(path),
        WeightFormat::Safetensors => read_safetensors(path),
        WeightFormat::Hdf5 => read_hdf5(path),
    }
}

/// Load VGG-16 (or another [`VggConfig`]) from a weight file in any supported format.
pub fn load_network(path: &Path, config: &VggConfig) -> Result<(Network, LoadReport)> {
    let store = read_tensors(path)?;
    network_from_store(&store, config, path)
}

/// Build a network from named tensors, recognising torchvision or Keras naming.
pub fn network_from_store(
    store: &TensorStore,
    config: &VggConfig,
    path: &Path,
) -> Result<(Network, LoadReport)> {
    let torch = store.keys().any(|k| k.starts_with("features."));
    let keras = store.keys().any(|k| k.starts_with("block1_conv1"));
    if torch {
        from_torchvision(store, config, path)
    } else if keras {
        from_keras(store, config, path)
    } else {
        Err(CnnError::UnknownNaming {
            path: path.to_path_buf(),
        })
    }
}

fn take<'a>(store: &'a TensorStore, name: &str, expected: &[usize]) -> Result<&'a RawTensor> {
    let t = store.get(name).ok_or_else(|| CnnError::MissingTensor {
        name: name.to_string(),
    })?;
    if t.shape != expected {
        return Err(CnnError::ShapeMismatch {
            name: name.to_string(),
            expected: expected.to_vec(),
            found: t.shape.clone(),
        });
    }
    Ok(t)
}

fn from_torchvision(
    store: &TensorStore,
    config: &VggConfig,
    path: &Path,
) -> Result<(Network, LoadReport)> {
    let slots = config.convs();
    let mut used = std::collections::BTreeSet::new();
    let mut params = Vec::new();
    for s in &slots {
        let wn = format!("features.{}.weight", s.torch_index);
        let bn = format!("features.{}.bias", s.torch_index);
        let w = take(store, &wn, &[s.c_out, s.c_in, 3, 3])?;
        let b = take(store, &bn, &[s.c_out])?;
        // OIHW -> HWIO
        let mut data = vec![0f32; w.data.len()];
        for co in 0..s.c_out {
            for ci in 0..s.c_in {
                for k in 0..9 {
                    data[(k * s.c_in + ci) * s.c_out + co] = w.data[(co * s.c_in + ci) * 9 + k];
                }
            }
        }
        params.push((Kernel::from_hwio(s.c_in, s.c_out, data), b.data.clone()));
        used.insert(wn);
        used.insert(bn);
    }
    let is_feature = |k: &str| k.starts_with("features.");
    assemble(
        store,
        &used,
        is_feature,
        config,
        params,
        path,
        "torchvision",
    )
}

/// Refuse feature tensors that no layer used, list the other unused tensors as ignored, and
/// build the network.
fn assemble(
    store: &TensorStore,
    used: &std::collections::BTreeSet<String>,
    is_feature: impl Fn(&str) -> bool,
    config: &VggConfig,
    params: Vec<(Kernel, Vec<f32>)>,
    path: &Path,
    naming: &str,
) -> Result<(Network, LoadReport)> {
    let unexpected: Vec<String> = store
        .keys()
        .filter(|k| is_feature(k) && !used.contains(*k))
        .cloned()
        .collect();
    if !unexpected.is_empty() {
        return Err(CnnError::UnexpectedTensors { names: unexpected });
    }
    let ignored = store
        .keys()
        .filter(|k| !used.contains(*k))
        .cloned()
        .collect();
    let net = Network::from_parts(config, params)?;
    Ok((
        net,
        LoadReport {
            path: path.to_path_buf(),
            naming: naming.into(),
            ignored,
        },
    ))
}

fn from_keras(
    store: &TensorStore,
    config: &VggConfig,
    path: &Path,
) -> Result<(Network, LoadReport)> {
    let slots = config.convs();
    let mut used = std::collections::BTreeSet::new();
    let mut params = Vec::new();
    for s in &slots {
        let wn = format!("{}/kernel", s.keras_name);
        let bn = format!("{}/bias", s.keras_name);
        let w = take(store, &wn, &[3, 3, s.c_in, s.c_out])?;
        let b = take(store, &bn, &[s.c_out])?;
        params.push((
            Kernel::from_hwio(s.c_in, s.c_out, w.data.clone()),
            b.data.clone(),
        ));
        used.insert(wn);
        used.insert(bn);
    }
    let is_block_conv = |k: &str| k.starts_with("block") && k.contains("_conv");
    assemble(store, &used, is_block_conv, config, params, path, "keras")
}

/// Read a `.safetensors` file (F32, F64, F16 and BF16 tensors are converted to `f32`). The header's
/// length and every tensor's byte range are checked against the file's length first.
pub fn read_safetensors(path: &Path) -> Result<TensorStore> {
    let bytes = std::fs::read(path).map_err(|source| CnnError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    check_safetensors_header(&bytes, path)?;
    let st = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| CnnError::format(path, "safetensors", e.to_string()))?;
    let mut store = TensorStore::new();
    for (name, view) in st.tensors() {
        let dtype = match view.dtype() {
            safetensors::Dtype::F32 => Dtype::F32,
            safetensors::Dtype::F64 => Dtype::F64,
            safetensors::Dtype::F16 => Dtype::F16,
            safetensors::Dtype::BF16 => Dtype::BF16,
            other => {
                return Err(CnnError::UnsupportedDtype {
                    name,
                    dtype: format!("{other:?}"),
                })
            }
        };
        let data = dtype.decode_le(view.data());
        store.insert(
            name,
            RawTensor {
                shape: view.shape().to_vec(),
                data,
            },
        );
    }
    Ok(store)
}

/// The checks of a safetensors header that need only the file's length: the header fits in the
/// file and each tensor's `data_offsets` lie inside the data that follows it.
fn check_safetensors_header(bytes: &[u8], path: &Path) -> Result<()> {
    let fail = |reason: String| CnnError::format(path, "safetensors", reason);
    let head: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            fail(format!(
                "{} bytes, shorter than the 8-byte header length",
                bytes.len()
            ))
        })?;
    let n = u64::from_le_bytes(head);
    let data_len = usize::try_from(n)
        .ok()
        .and_then(|n| (bytes.len() - 8).checked_sub(n))
        .ok_or_else(|| {
            fail(format!(
                "the header claims {n} bytes, the file has {} after the length",
                bytes.len() - 8
            ))
        })?;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..bytes.len() - data_len])
            .map_err(|e| fail(format!("header: {e}")))?;
    for (name, info) in header.iter().filter(|(k, _)| *k != "__metadata__") {
        let offsets = info
            .get("data_offsets")
            .and_then(|o| o.as_array())
            .map(|o| o.iter().map(|x| x.as_u64()).collect::<Vec<_>>());
        let (start, end) = match offsets.as_deref() {
            Some([Some(s), Some(e)]) => (*s, *e),
            _ => return Err(fail(format!("tensor `{name}`: no valid data_offsets"))),
        };
        if start > end || end > data_len as u64 {
            return Err(fail(format!(
                "tensor `{name}`: data_offsets [{start}, {end}] outside the {data_len} data bytes"
            )));
        }
    }
    Ok(())
}
