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

/// A tensor as the pickle describes it: a view (offset, shape, stride, in elements) of a
/// storage. Nothing here is trusted until [`layout`] has checked it against the storage.
struct TensorRef {
    key: String,
    dtype: Dtype,
    offset: i64,
    shape: Vec<i64>,
    stride: Vec<i64>,
}

/// Most elements one tensor may have (8 GiB as `f32`; VGG-16's largest has 103 M).
const MAX_ELEMENTS: usize = 1 << 31;

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
        // a short excerpt: the value can be large
        other => format!("{other:?}").chars().take(60).collect(),
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
            let int_list = |v: Option<&Value>| -> Vec<i64> {
                v.and_then(|v| v.items())
                    .map(|xs| xs.iter().filter_map(|x| x.as_int()).collect())
                    .unwrap_or_default()
            };
            Ok(Some(TensorRef {
                key,
                dtype,
                offset: args.get(1).and_then(|v| v.as_int()).unwrap_or(0),
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

/// A view checked against its storage: every element it reads lies inside the storage, and no
/// two elements share a storage slot, so the tensor is never larger than the storage.
#[derive(Debug)]
struct Layout {
    offset: usize,
    shape: Vec<usize>,
    stride: Vec<usize>,
    numel: usize,
}

/// Check a tensor's shape, strides and offset against its storage of `storage_bytes` bytes,
/// before anything of the claimed size is allocated.
fn layout(name: &str, t: &TensorRef, storage_bytes: usize, path: &Path) -> Result<Layout> {
    let fail = |reason: String| CnnError::format(path, "pth", format!("tensor `{name}`: {reason}"));
    let to_usize =
        |what: &str, v: i64| usize::try_from(v).map_err(|_| fail(format!("negative {what} {v}")));
    if t.stride.len() != t.shape.len() {
        return Err(fail(format!(
            "{} strides for the {} dimensions of shape {:?}",
            t.stride.len(),
            t.shape.len(),
            t.shape
        )));
    }
    let offset = to_usize("storage offset", t.offset)?;
    let shape = t
        .shape
        .iter()
        .map(|&d| to_usize("size in shape", d))
        .collect::<Result<Vec<_>>>()?;
    let stride = t
        .stride
        .iter()
        .map(|&s| to_usize("stride", s))
        .collect::<Result<Vec<_>>>()?;
    let numel = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| fail(format!("shape {shape:?} overflows")))?;
    if numel > MAX_ELEMENTS {
        return Err(fail(format!(
            "shape {shape:?} claims {numel} elements, above the limit of {MAX_ELEMENTS}"
        )));
    }
    let layout = Layout {
        offset,
        shape,
        stride,
        numel,
    };
    if numel == 0 {
        return Ok(layout);
    }
    // Dimensions of size > 1 by increasing stride: each stride must step over everything the
    // smaller ones span, or elements would share storage slots (stride 0 is the extreme case).
    let mut dims: Vec<(usize, usize)> = layout
        .shape
        .iter()
        .zip(&layout.stride)
        .enumerate()
        .filter(|(_, (&d, _))| d > 1)
        .map(|(i, (_, &s))| (s, i))
        .collect();
    dims.sort_unstable();
    let mut span = 1usize; // elements covered by the dimensions seen so far
    for &(s, i) in &dims {
        if s == 0 {
            return Err(fail(format!(
                "stride 0 in dimension {i} of shape {:?} (a broadcast view; save a contiguous copy)",
                layout.shape
            )));
        }
        if s < span {
            return Err(fail(format!(
                "strides {:?} overlap for shape {:?}",
                layout.stride, layout.shape
            )));
        }
        span = (layout.shape[i] - 1)
            .checked_mul(s)
            .and_then(|x| x.checked_add(span))
            .ok_or_else(|| fail(format!("strides {:?} overflow", layout.stride)))?;
    }
    let es = t.dtype.size();
    let available = storage_bytes / es;
    let end = offset.checked_add(span).filter(|&e| e <= available);
    if end.is_none() {
        return Err(fail(format!(
            "shape {:?} with strides {:?} at offset {offset} reads {span} elements from storage `{}`, which holds {available} ({storage_bytes} bytes)",
            layout.shape, layout.stride, t.key
        )));
    }
    Ok(layout)
}

/// Copy a checked view out of its storage, converted to `f32`.
fn materialize(l: &Layout, dtype: Dtype, storage: &[u8]) -> RawTensor {
    let es = dtype.size();
    let rank = l.shape.len();
    let mut contiguous = true;
    let mut expect = 1usize;
    for d in (0..rank).rev() {
        if l.shape[d] > 1 && l.stride[d] != expect {
            contiguous = false;
        }
        expect = expect.saturating_mul(l.shape[d]);
    }
    let data = if l.numel == 0 {
        Vec::new()
    } else if contiguous {
        // `layout` checked that offset + numel elements lie inside the storage
        let start = l.offset * es;
        dtype.decode_le(&storage[start..start + l.numel * es])
    } else {
        let mut data = Vec::with_capacity(l.numel);
        let mut idx = vec![0usize; rank];
        for _ in 0..l.numel {
            let off = l.offset + idx.iter().zip(&l.stride).map(|(i, s)| i * s).sum::<usize>();
            data.push(dtype.decode_one(&storage[off * es..(off + 1) * es]));
            for d in (0..rank).rev() {
                idx[d] += 1;
                if idx[d] < l.shape[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
        data
    };
    RawTensor {
        shape: l.shape.clone(),
        data,
    }
}

/// Bounds the `f32` values all tensors of one file may add up to: a multiple of the file's
/// length, so that storages shared by many tensors cannot multiply the memory used.
struct OutputBudget {
    left: usize,
}

impl OutputBudget {
    fn new(file_len: usize) -> Self {
        OutputBudget {
            left: file_len.saturating_mul(2).saturating_add(1 << 20),
        }
    }

    fn take(&mut self, name: &str, numel: usize, path: &Path) -> Result<()> {
        self.left = self.left.checked_sub(numel).ok_or_else(|| {
            CnnError::format(
                path,
                "pth",
                format!(
                    "tensor `{name}`: the tensors read more elements than the file could hold (storages shared too often)"
                ),
            )
        })?;
        Ok(())
    }
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
    let mut budget = OutputBudget::new(bytes.len());
    for (name, t) in state_dict(&root, path)? {
        if !cache.contains_key(&t.key) {
            let data = read_entry(&format!("{prefix}data/{}", t.key))?;
            cache.insert(t.key.clone(), data);
        }
        let storage = cache.get(&t.key).map(Vec::as_slice).unwrap_or(&[]);
        let l = layout(&name, &t, storage.len(), path)?;
        budget.take(&name, l.numel, path)?;
        store.insert(name, materialize(&l, t.dtype, storage));
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
            .get(pos..pos.saturating_add(8))
            .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .ok_or_else(|| CnnError::format(path, "pth", "truncated storage header"))?;
        pos += 8;
        // the claimed length is checked against the bytes left before anything is read
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(es))
            .and_then(|len| pos.checked_add(len))
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| {
                CnnError::format(
                    path,
                    "pth",
                    format!(
                        "storage {key} claims {n} elements of {es} bytes, more than the {} bytes left in the file",
                        bytes.len() - pos.min(bytes.len())
                    ),
                )
            })?;
        let data = &bytes[pos..end];
        pos = end;
        storages.insert(key.clone(), data);
    }
    let mut store = TensorStore::new();
    let mut budget = OutputBudget::new(bytes.len());
    for (name, t) in entries {
        let storage = storages.get(&t.key).copied().ok_or_else(|| {
            CnnError::format(
                path,
                "pth",
                format!("tensor `{name}`: storage {} missing", t.key),
            )
        })?;
        let l = layout(&name, &t, storage.len(), path)?;
        budget.take(&name, l.numel, path)?;
        store.insert(name, materialize(&l, t.dtype, storage));
    }
    Ok(store)
}
