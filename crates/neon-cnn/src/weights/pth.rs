//! PyTorch checkpoints: the zip archive of `torch.save` (≥ 1.6: `archive/data.pkl` plus one
//! file per storage under `archive/data/`) and the legacy stream of older files (five pickles,
//! then each storage as `u64` element count + raw little-endian data), which is the format of
//! torchvision's published `vgg16-397923af.pth`.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use super::pickle::{parse, Value};
use super::store::{Dtype, RawTensor, TensorStore};
use crate::error::{CnnError, Result};

struct TensorRef {
    key: String,
    dtype: Dtype,
    offset: usize,
    shape: Vec<usize>,
    stride: Vec<usize>,
}

fn storage_dtype(v: &Value) -> Option<Dtype> {
    match v {
        Value::Global(_, n) => match n.as_str() {
            "FloatStorage" => Some(Dtype::F32),
            "DoubleStorage" => Some(Dtype::F64),
            "HalfStorage" => Some(Dtype::F16),
            "BFloat16Storage" => Some(Dtype::BF16),
            _ => None,
        },
        _ => None,
    }
}

fn storage_type_name(v: &Value) -> String {
    match v {
        Value::Global(m, n) => format!("{m}.{n}"),
        other => format!("{other:?}"),
    }
}

/// Recognise `_rebuild_tensor_v2(storage, offset, size, stride, …)` (possibly wrapped in `_rebuild_parameter`).
fn tensor_ref(v: &Value, name: &str) -> Result<Option<TensorRef>> {
    let Value::Call(f, args) = v else {
        return Ok(None);
    };
    let Value::Global(_, fname) = f.as_ref() else {
        return Ok(None);
    };
    let args = args.items().unwrap_or(&[]);
    match fname.as_str() {
        "_rebuild_parameter" | "_rebuild_parameter_with_state" => match args.first() {
            Some(inner) => tensor_ref(inner, name),
            None => Ok(None),
        },
        "_rebuild_tensor_v2" | "_rebuild_tensor" => {
            let Some(Value::PersId(pid)) = args.first() else {
                return Ok(None);
            };
            let pid = pid.items().unwrap_or(&[]);
            let (Some(stype), Some(key)) = (pid.get(1), pid.get(2)) else {
                return Ok(None);
            };
            let dtype = storage_dtype(stype).ok_or_else(|| CnnError::UnsupportedDtype {
                name: name.to_string(),
                dtype: storage_type_name(stype),
            })?;
            let key = match key {
                Value::Str(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                _ => return Ok(None),
            };
            let int_list = |v: Option<&Value>| -> Vec<usize> {
                v.and_then(|v| v.items())
                    .map(|xs| {
                        xs.iter()
                            .filter_map(|x| x.as_int())
                            .map(|x| x.max(0) as usize)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let offset = args.get(1).and_then(|v| v.as_int()).unwrap_or(0).max(0) as usize;
            Ok(Some(TensorRef {
                key,
                dtype,
                offset,
                shape: int_list(args.get(2)),
                stride: int_list(args.get(3)),
            }))
        }
        _ => Ok(None),
    }
}

/// The `name → tensor` entries of the checkpoint (a state dict, or `{"state_dict": …}` / `{"model": …}`).
fn state_dict(root: &Value, path: &Path) -> Result<Vec<(String, TensorRef)>> {
    let Value::Dict(items) = root else {
        return Err(CnnError::format(
            path,
            "pth",
            "the checkpoint is not a dict of tensors (save `model.state_dict()`)",
        ));
    };
    let mut out = Vec::new();
    for (k, v) in items {
        let Some(name) = k.as_str() else { continue };
        if let Some(t) = tensor_ref(v, name)? {
            out.push((name.to_string(), t));
        }
    }
    if out.is_empty() {
        for key in ["state_dict", "model", "model_state_dict"] {
            if let Some((_, inner)) = items.iter().find(|(k, _)| k.as_str() == Some(key)) {
                return state_dict(inner, path);
            }
        }
    }
    if !out.is_empty() && out.iter().all(|(n, _)| n.starts_with("module.")) {
        for (n, _) in &mut out {
            *n = n["module.".len()..].to_string();
        }
    }
    Ok(out)
}

fn materialize(name: &str, t: &TensorRef, storage: &[u8], path: &Path) -> Result<RawTensor> {
    let numel: usize = t.shape.iter().product();
    let es = t.dtype.size();
    let all = t.dtype.decode_le(&storage[..storage.len() / es * es]);
    let mut data = Vec::with_capacity(numel);
    if numel > 0 {
        let rank = t.shape.len();
        let stride = if t.stride.len() == rank {
            t.stride.clone()
        } else {
            vec![0; rank]
        };
        let mut idx = vec![0usize; rank];
        for _ in 0..numel {
            let off = t.offset + idx.iter().zip(&stride).map(|(i, s)| i * s).sum::<usize>();
            data.push(*all.get(off).ok_or_else(|| {
                CnnError::format(
                    path,
                    "pth",
                    format!("tensor `{name}` reads past its storage"),
                )
            })?);
            for d in (0..rank).rev() {
                idx[d] += 1;
                if idx[d] < t.shape[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
    }
    Ok(RawTensor {
        shape: t.shape.clone(),
        data,
    })
}

/// Read every floating-point tensor of a PyTorch checkpoint.
pub fn read_pth(path: &Path) -> Result<TensorStore> {
    let bytes = std::fs::read(path).map_err(|source| CnnError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if bytes.starts_with(b"PK") {
        read_zip(&bytes, path)
    } else if bytes.first() == Some(&0x80) {
        read_legacy(&bytes, path)
    } else {
        Err(CnnError::format(
            path,
            "pth",
            "neither a zip archive nor a pickle stream",
        ))
    }
}

fn read_zip(bytes: &[u8], path: &Path) -> Result<TensorStore> {
    let zerr = |e: zip::result::ZipError| CnnError::format(path, "pth", e.to_string());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(zerr)?;
    let pkl_name = archive
        .file_names()
        .find(|n| n.ends_with("data.pkl"))
        .map(str::to_string)
        .ok_or_else(|| CnnError::format(path, "pth", "no data.pkl in the archive"))?;
    let prefix = pkl_name.trim_end_matches("data.pkl").to_string();
    let mut read_entry = |name: &str| -> Result<Vec<u8>> {
        let mut f = archive.by_name(name).map_err(zerr)?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).map_err(|source| CnnError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(buf)
    };
    let pkl = read_entry(&pkl_name)?;
    let (root, _) = parse(&pkl, path)?;
    let mut store = TensorStore::new();
    let mut cache: HashMap<String, Vec<u8>> = HashMap::new();
    for (name, t) in state_dict(&root, path)? {
        if !cache.contains_key(&t.key) {
            let data = read_entry(&format!("{prefix}data/{}", t.key))?;
            cache.insert(t.key.clone(), data);
        }
        let storage = cache.get(&t.key).map(Vec::as_slice).unwrap_or(&[]);
        store.insert(name.clone(), materialize(&name, &t, storage, path)?);
    }
    Ok(store)
}

fn read_legacy(bytes: &[u8], path: &Path) -> Result<TensorStore> {
    let mut pos = 0;
    let next = |pos: &mut usize| -> Result<Value> {
        let (v, n) = parse(&bytes[*pos..], path)?;
        *pos += n;
        Ok(v)
    };
    let magic = next(&mut pos)?;
    if !matches!(magic, Value::Int(_)) {
        return Err(CnnError::format(path, "pth", "bad legacy magic number"));
    }
    let _protocol = next(&mut pos)?;
    let _sys_info = next(&mut pos)?;
    let root = next(&mut pos)?;
    let keys = next(&mut pos)?;
    let keys: Vec<String> = keys
        .items()
        .unwrap_or(&[])
        .iter()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect();
    let entries = state_dict(&root, path)?;
    let dtypes: HashMap<&str, Dtype> = entries
        .iter()
        .map(|(_, t)| (t.key.as_str(), t.dtype))
        .collect();
    let mut storages: HashMap<String, &[u8]> = HashMap::new();
    for key in &keys {
        let es = dtypes.get(key.as_str()).map(|d| d.size()).ok_or_else(|| {
            CnnError::format(path, "pth", format!("storage {key} of unknown type"))
        })?;
        let n = bytes
            .get(pos..pos + 8)
            .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .ok_or_else(|| CnnError::format(path, "pth", "truncated storage header"))?
            as usize;
        pos += 8;
        let len = n
            .checked_mul(es)
            .ok_or_else(|| CnnError::format(path, "pth", "storage size overflow"))?;
        let data = bytes
            .get(pos..pos + len)
            .ok_or_else(|| CnnError::format(path, "pth", format!("storage {key} truncated")))?;
        pos += len;
        storages.insert(key.clone(), data);
    }
    let mut store = TensorStore::new();
    for (name, t) in entries {
        let storage = storages.get(&t.key).copied().ok_or_else(|| {
            CnnError::format(
                path,
                "pth",
                format!("tensor `{name}`: storage {} missing", t.key),
            )
        })?;
        store.insert(name.clone(), materialize(&name, &t, storage, path)?);
    }
    Ok(store)
}
