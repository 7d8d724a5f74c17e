//! A small read-only HDF5 reader covering what Keras weight files use, so that no C library is
//! needed to build neon: superblock versions 0–3, object headers v1/v2 with continuations, groups
//! as symbol tables (v1 B-tree + local heap) or compact link messages, contiguous and compact
//! datasets of IEEE floats, and string attributes (fixed-length or variable-length through the
//! global heap). Chunked or filtered (compressed) datasets and dense link storage are refused
//! with a clear error.
//!
//! Keras layouts recognised (see [`read_hdf5`]): Keras 2 (`/block1_conv1/block1_conv1/kernel:0`)
//! and Keras 3 `.weights.h5` (`…/vars/0`, `…/vars/1` in a group whose `name` attribute is the
//! layer name, e.g. `block1_conv1`).

use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::store::{Dtype, RawTensor, TensorStore};
use crate::error::{CnnError, Result};

const UNDEF: u64 = u64::MAX;

/// How many times over the file's length its structures and data may be read.
const BUDGET_FACTOR: usize = 4;

/// Deepest group nesting followed (Keras files nest three or four levels).
const MAX_GROUP_DEPTH: usize = 64;

struct File<'a> {
    bytes: &'a [u8],
    path: &'a Path,
    so: usize,
    sl: usize,
    base: u64,
    /// Bytes of headers, B-trees, heaps and data still allowed to be read: a multiple of the
    /// file's length, so that overlapping or repeated structures cannot make the work (or the
    /// memory) grow beyond the file's size.
    budget: &'a Cell<usize>,
}

struct Cur<'a, 'b> {
    f: &'b File<'a>,
    pos: usize,
}

impl<'a, 'b> Cur<'a, 'b> {
    fn err(&self, what: &str) -> CnnError {
        CnnError::format(
            self.f.path,
            "hdf5",
            format!("{what} (at byte {})", self.pos),
        )
    }
    fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.f.bytes.len())
            .ok_or_else(|| self.err("unexpected end of file"))?;
        let s = &self.f.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn uint(&mut self, n: usize) -> Result<u64> {
        let b = self.bytes(n)?;
        let mut v = 0u64;
        for (i, &x) in b.iter().enumerate().take(8) {
            v |= (x as u64) << (8 * i);
        }
        if n == 8 && v == u64::MAX {
            return Ok(UNDEF);
        }
        if n < 8 && v == (1u64 << (8 * n)) - 1 {
            return Ok(UNDEF);
        }
        Ok(v)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.bytes(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn addr(&mut self) -> Result<u64> {
        let so = self.f.so;
        let v = self.uint(so)?;
        if v == UNDEF {
            return Ok(UNDEF);
        }
        v.checked_add(self.f.base)
            .ok_or_else(|| self.err(&format!("address {v} outside the file")))
    }
    /// A length field that must fit in `usize`.
    fn size(&mut self) -> Result<usize> {
        let v = self.len()?;
        usize::try_from(v).map_err(|_| self.err(&format!("length {v} larger than the file")))
    }
    fn len(&mut self) -> Result<u64> {
        let sl = self.f.sl;
        self.uint(sl)
    }
    fn skip(&mut self, n: usize) -> Result<()> {
        self.bytes(n).map(|_| ())
    }
    fn sig(&mut self, s: &[u8]) -> Result<()> {
        if self.bytes(s.len())? != s {
            return Err(self.err(&format!(
                "expected signature {}",
                String::from_utf8_lossy(s)
            )));
        }
        Ok(())
    }
}

struct Msg<'a> {
    kind: u16,
    flags: u8,
    data: &'a [u8],
}

enum Value {
    Floats(Vec<usize>, Vec<f32>),
    Str(String),
    Other,
}

impl<'a> File<'a> {
    fn at<'b>(&'b self, addr: u64) -> Result<Cur<'a, 'b>> {
        let pos = usize::try_from(addr)
            .ok()
            .filter(|&p| p < self.bytes.len())
            .ok_or_else(|| {
                CnnError::format(
                    self.path,
                    "hdf5",
                    format!("address {addr} outside the file"),
                )
            })?;
        Ok(Cur { f: self, pos })
    }

    fn sub<'b>(&'b self, data: &'a [u8]) -> File<'a> {
        File {
            bytes: data,
            path: self.path,
            so: self.so,
            sl: self.sl,
            base: self.base,
            budget: self.budget,
        }
    }

    fn fail(&self, reason: impl Into<String>) -> CnnError {
        CnnError::format(self.path, "hdf5", reason)
    }

    /// Count `n` bytes read against the budget.
    fn spend(&self, n: usize) -> Result<()> {
        let left = self.budget.get().checked_sub(n).ok_or_else(|| {
            self.fail(format!(
                "the headers, B-trees, heaps and data read add up to more than {} times the file's {} bytes (overlapping or repeated structures)",
                BUDGET_FACTOR,
                self.bytes.len()
            ))
        })?;
        self.budget.set(left);
        Ok(())
    }

    /// The end of a block of `len` bytes at `start`, refused when past the end of the file.
    fn block_end(&self, start: usize, len: u64, what: &str) -> Result<usize> {
        usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| {
                self.fail(format!(
                    "{what} at byte {start} of {len} bytes runs past the end of the file ({} bytes)",
                    self.bytes.len()
                ))
            })
    }

    fn open(bytes: &'a [u8], path: &'a Path, budget: &'a Cell<usize>) -> Result<(File<'a>, u64)> {
        const SIG: &[u8] = b"\x89HDF\r\n\x1a\n";
        let mut off = 0usize;
        while off + 8 <= bytes.len() && &bytes[off..off + 8] != SIG {
            off = if off == 0 { 512 } else { off * 2 };
        }
        if off + 8 > bytes.len() {
            return Err(CnnError::format(path, "hdf5", "no HDF5 signature"));
        }
        let mut f = File {
            bytes,
            path,
            so: 8,
            sl: 8,
            base: off as u64,
            budget,
        };
        let version = bytes.get(off + 8).copied().unwrap_or(255);
        let root = match version {
            0 | 1 => {
                let (so, sl) = (
                    bytes.get(off + 13).copied().unwrap_or(0) as usize,
                    bytes.get(off + 14).copied().unwrap_or(0) as usize,
                );
                if !matches!(so, 2 | 4 | 8) || !matches!(sl, 2 | 4 | 8) {
                    return Err(CnnError::format(
                        path,
                        "hdf5",
                        format!("unsupported offset/length sizes {so}/{sl}"),
                    ));
                }
                f.so = so;
                f.sl = sl;
                let p0 = (off as u64 + if version == 0 { 24 } else { 28 }) as usize;
                let (base, pos) = {
                    let mut c = f.at(p0 as u64)?;
                    (c.uint(so)?, c.pos)
                };
                f.base = if base == UNDEF { 0 } else { base };
                let mut c = Cur { f: &f, pos };
                c.skip(3 * so)?; // free-space, end-of-file, driver info
                c.skip(so)?; // root entry: link name offset
                c.addr()?
            }
            2 | 3 => {
                let (so, sl) = (
                    bytes.get(off + 9).copied().unwrap_or(0) as usize,
                    bytes.get(off + 10).copied().unwrap_or(0) as usize,
                );
                if !matches!(so, 2 | 4 | 8) || !matches!(sl, 2 | 4 | 8) {
                    return Err(CnnError::format(
                        path,
                        "hdf5",
                        format!("unsupported offset/length sizes {so}/{sl}"),
                    ));
                }
                f.so = so;
                f.sl = sl;
                let p0 = (off as u64 + 12) as usize;
                let (base, pos) = {
                    let mut c = f.at(p0 as u64)?;
                    (c.uint(so)?, c.pos)
                };
                f.base = if base == UNDEF { 0 } else { base };
                let mut c = Cur { f: &f, pos };
                c.skip(2 * so)?; // extension, end-of-file
                c.addr()?
            }
            v => {
                return Err(CnnError::format(
                    path,
                    "hdf5",
                    format!("unsupported superblock version {v}"),
                ))
            }
        };
        Ok((f, root))
    }

    /// All messages of the object header at `addr`, continuations followed. A continuation that
    /// leads back to a block already read is a cycle and refused.
    fn messages(&self, addr: u64) -> Result<Vec<Msg<'a>>> {
        let mut c = self.at(addr)?;
        let mut out = Vec::new();
        let mut visited = HashSet::new();
        let v2 = c.f.bytes.get(c.pos..c.pos.saturating_add(4)) == Some(b"OHDR");
        let (mut blocks, flags, n_max) = if v2 {
            c.skip(4)?;
            let version = c.u8()?;
            if version != 2 {
                return Err(c.err("unsupported object header version"));
            }
            let flags = c.u8()?;
            if flags & 0x20 != 0 {
                c.skip(16)?;
            }
            if flags & 0x10 != 0 {
                c.skip(4)?;
            }
            let size = c.uint(1 << (flags & 3))?;
            let end = self.block_end(c.pos, size, "object header")?;
            (vec![(c.pos, end)], flags, usize::MAX)
        } else {
            let version = c.u8()?;
            if version != 1 {
                return Err(c.err(&format!("unsupported object header version {version}")));
            }
            c.skip(1)?;
            let n = c.u16()? as usize;
            c.skip(4)?;
            let size = c.u32()?;
            c.skip(4)?; // alignment padding to 8 bytes
            let end = self.block_end(c.pos, u64::from(size), "object header")?;
            (vec![(c.pos, end)], 0, n)
        };
        visited.insert(blocks[0].0);
        // message prefix: v2 type (1), size (2), flags (1), [creation order (2)]; v1 type (2),
        // size (2), flags (1), reserved (3)
        let prefix = if !v2 {
            8
        } else if flags & 4 != 0 {
            6
        } else {
            4
        };
        while let Some((start, end)) = blocks.pop() {
            self.spend(end - start)?;
            let mut m = Cur {
                f: self,
                pos: start,
            };
            while m.pos + prefix <= end && out.len() < n_max {
                let kind = if v2 { m.u8()? as u16 } else { m.u16()? };
                let msize = m.u16()? as usize;
                let mflags = m.u8()?;
                m.skip(prefix - if v2 { 4 } else { 5 })?;
                let data = m.bytes(msize)?;
                if kind != 0x10 {
                    out.push(Msg {
                        kind,
                        flags: mflags,
                        data,
                    });
                    continue;
                }
                let mut cc = Cur {
                    f: &self.sub(data),
                    pos: 0,
                };
                let (a, l) = (cc.addr()?, cc.len()?);
                let mut oc = self.at(a)?;
                let block_start = oc.pos;
                let mut block_end = self.block_end(block_start, l, "header continuation")?;
                if v2 {
                    // a v2 continuation block is "OCHK", messages, checksum
                    oc.sig(b"OCHK")?;
                    block_end = block_end.saturating_sub(4).max(oc.pos);
                }
                if !visited.insert(block_start) {
                    return Err(self.fail(format!(
                        "object header at byte {addr}: the continuation at byte {block_start} was already read (a cycle)"
                    )));
                }
                blocks.push((oc.pos, block_end));
            }
        }
        Ok(out)
    }

    /// Children `(name, object header address)` of a group.
    fn children(&self, msgs: &[Msg<'a>]) -> Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        for m in msgs {
            let sub = self.sub(m.data);
            let mut c = Cur { f: &sub, pos: 0 };
            match m.kind {
                0x11 => {
                    let (btree, heap) = (c.addr()?, c.addr()?);
                    let mut h = self.at(heap)?;
                    h.sig(b"HEAP")?;
                    h.skip(4)?;
                    h.len()?;
                    h.len()?;
                    let data_seg = h.addr()?;
                    let mut visited = HashSet::new();
                    self.btree_group(btree, data_seg, &mut out, 0, &mut visited)?;
                }
                0x06 => {
                    c.u8()?;
                    let flags = c.u8()?;
                    let ltype = if flags & 8 != 0 { c.u8()? } else { 0 };
                    if flags & 4 != 0 {
                        c.skip(8)?;
                    }
                    if flags & 0x10 != 0 {
                        c.skip(1)?;
                    }
                    let nlen = c.uint(1 << (flags & 3))? as usize;
                    let name = String::from_utf8_lossy(c.bytes(nlen)?).into_owned();
                    if ltype == 0 {
                        out.push((name, c.addr()?));
                    }
                }
                0x02 => {
                    c.u8()?;
                    let flags = c.u8()?;
                    if flags & 1 != 0 {
                        c.skip(8)?;
                    }
                    if c.addr()? != UNDEF {
                        return Err(CnnError::format(self.path, "hdf5", "groups with dense link storage (fractal heap) are not supported; re-save with h5py's default libver"));
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Walk a group's B-tree; each node and symbol table is read once (a node reached twice is a
    /// cycle or a shared subtree, both refused).
    fn btree_group(
        &self,
        addr: u64,
        heap: u64,
        out: &mut Vec<(String, u64)>,
        depth: usize,
        visited: &mut HashSet<u64>,
    ) -> Result<()> {
        if depth > 32 {
            return Err(self.fail("B-tree too deep"));
        }
        if !visited.insert(addr) {
            return Err(self.fail(format!(
                "group B-tree node at byte {addr} reached twice (a cycle)"
            )));
        }
        let mut c = self.at(addr)?;
        c.sig(b"TREE")?;
        let ntype = c.u8()?;
        let level = c.u8()?;
        let used = c.u16()? as usize;
        if ntype != 0 {
            return Err(c.err("group B-tree of wrong node type"));
        }
        c.skip(2 * self.so)?;
        for _ in 0..used {
            c.len()?; // key
            let child = c.addr()?;
            self.spend(self.sl + self.so)?;
            if level > 0 {
                self.btree_group(child, heap, out, depth + 1, visited)?;
            } else {
                if !visited.insert(child) {
                    return Err(self.fail(format!(
                        "symbol table node at byte {child} reached twice (a cycle)"
                    )));
                }
                let mut s = self.at(child)?;
                s.sig(b"SNOD")?;
                s.skip(2)?;
                let n = s.u16()? as usize;
                for _ in 0..n {
                    let name_off = s.len_offset()?;
                    let obj = s.addr()?;
                    s.skip(24)?;
                    let name = self.cstr(heap.saturating_add(name_off))?;
                    self.spend(2 * self.so + 24 + name.len())?;
                    out.push((name, obj));
                }
            }
        }
        Ok(())
    }

    fn cstr(&self, addr: u64) -> Result<String> {
        let c = self.at(addr)?;
        let rest = &self.bytes[c.pos..];
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
    }

    fn dataspace(&self, data: &'a [u8]) -> Result<Vec<usize>> {
        let sub = self.sub(data);
        let mut c = Cur { f: &sub, pos: 0 };
        let version = c.u8()?;
        let rank = c.u8()? as usize;
        let _flags = c.u8()?;
        if version == 1 {
            c.skip(5)?;
        } else {
            let t = c.u8()?;
            if t == 2 {
                return Ok(vec![0]);
            }
        }
        let mut dims = Vec::with_capacity(rank);
        for _ in 0..rank {
            dims.push(c.size()?);
        }
        Ok(dims)
    }

    /// `(class, size, little_endian, inner)`; for vlen strings class 9 with inner string.
    fn datatype(&self, data: &'a [u8]) -> Result<(u8, usize, bool)> {
        let sub = self.sub(data);
        let mut c = Cur { f: &sub, pos: 0 };
        let b0 = c.u8()?;
        let bits = c.bytes(3)?;
        let size = c.u32()? as usize;
        let class = b0 & 0x0f;
        let le = bits[0] & 1 == 0;
        if class == 9 && bits[0] & 0x0f != 1 {
            return Ok((255, size, le)); // vlen sequence, not a string
        }
        Ok((class, size, le))
    }

    fn global_heap_object(&self, collection: u64, index: u32) -> Result<&'a [u8]> {
        let mut c = self.at(collection)?;
        let start = c.pos;
        c.sig(b"GCOL")?;
        c.skip(4)?;
        let csize = c.len()?;
        let end = usize::try_from(csize)
            .ok()
            .and_then(|s| start.checked_add(s))
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while c.pos + 8 + self.sl <= end {
            let idx = c.u16()?;
            c.skip(6)?;
            let size = c.size()?;
            if idx == 0 {
                break;
            }
            self.spend(8 + self.sl)?;
            let data = c.bytes(size)?;
            c.skip((8 - size % 8) % 8).ok();
            if idx as u32 == index {
                return Ok(data);
            }
        }
        Err(CnnError::format(
            self.path,
            "hdf5",
            format!("global heap object {index} not found"),
        ))
    }

    fn decode(
        &self,
        class: u8,
        size: usize,
        le: bool,
        dims: &[usize],
        raw: &'a [u8],
        name: &str,
    ) -> Result<Value> {
        match class {
            1 => {
                let dt = match size {
                    4 => Dtype::F32,
                    8 => Dtype::F64,
                    2 => Dtype::F16,
                    _ => {
                        return Err(CnnError::UnsupportedDtype {
                            name: name.into(),
                            dtype: format!("float{}", size * 8),
                        })
                    }
                };
                let need = dims
                    .iter()
                    .try_fold(dt.size(), |n, &d| n.checked_mul(d))
                    .filter(|&need| need <= raw.len())
                    .ok_or_else(|| {
                        self.fail(format!(
                            "`{name}`: shape {dims:?} needs more than the {} bytes stored",
                            raw.len()
                        ))
                    })?;
                self.spend(need)?;
                let mut bytes = raw[..need].to_vec();
                if !le {
                    for ch in bytes.chunks_mut(dt.size()) {
                        ch.reverse();
                    }
                }
                Ok(Value::Floats(dims.to_vec(), dt.decode_le(&bytes)))
            }
            3 => {
                let b = &raw[..size.min(raw.len())];
                Ok(Value::Str(
                    String::from_utf8_lossy(b)
                        .trim_end_matches(['\0', ' '])
                        .to_string(),
                ))
            }
            9 => {
                let sub = self.sub(raw);
                let mut c = Cur { f: &sub, pos: 0 };
                let _len = c.u32()?;
                let coll = c.addr()?;
                let idx = c.u32()?;
                let obj = self.global_heap_object(coll, idx)?;
                Ok(Value::Str(
                    String::from_utf8_lossy(obj)
                        .trim_end_matches('\0')
                        .to_string(),
                ))
            }
            _ => Ok(Value::Other),
        }
    }

    fn attribute(&self, data: &'a [u8]) -> Result<(String, Value)> {
        let sub = self.sub(data);
        let mut c = Cur { f: &sub, pos: 0 };
        let version = c.u8()?;
        c.skip(1)?;
        let (nsz, tsz, ssz) = (c.u16()? as usize, c.u16()? as usize, c.u16()? as usize);
        if version == 3 {
            c.skip(1)?;
        }
        let pad = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };
        let name_b = c.bytes(pad(nsz))?;
        let name = String::from_utf8_lossy(&name_b[..nsz.min(name_b.len())])
            .trim_end_matches('\0')
            .to_string();
        let dt = c.bytes(pad(tsz))?;
        let ds = c.bytes(pad(ssz))?;
        let raw = &data[c.pos..];
        let (class, size, le) = self.datatype(dt)?;
        let dims = self.dataspace(ds)?;
        let value = self.decode(class, size, le, &dims, raw, &name)?;
        Ok((name, value))
    }

    fn dataset(&self, msgs: &[Msg<'a>], name: &str) -> Result<Option<RawTensor>> {
        let mut dims = None;
        let mut dtype = None;
        let mut layout = None;
        for m in msgs {
            match m.kind {
                0x01 => dims = Some(self.dataspace(m.data)?),
                0x03 => {
                    if m.flags & 2 != 0 {
                        return Err(CnnError::format(
                            self.path,
                            "hdf5",
                            format!("`{name}`: shared (committed) datatypes are not supported"),
                        ));
                    }
                    dtype = Some(self.datatype(m.data)?)
                }
                0x08 => layout = Some(m.data),
                0x0B => {
                    return Err(CnnError::format(
                        self.path,
                        "hdf5",
                        format!("`{name}`: filtered (compressed) datasets are not supported"),
                    ))
                }
                _ => {}
            }
        }
        let (Some(dims), Some((class, size, le)), Some(layout)) = (dims, dtype, layout) else {
            return Ok(None);
        };
        let sub = self.sub(layout);
        let mut c = Cur { f: &sub, pos: 0 };
        let version = c.u8()?;
        let raw: &'a [u8] = if version >= 3 {
            match c.u8()? {
                0 => {
                    let sz = c.u16()? as usize;
                    let start = c.pos;
                    layout.get(start..start.saturating_add(sz)).ok_or_else(|| {
                        CnnError::format(self.path, "hdf5", "compact data truncated")
                    })?
                }
                1 => {
                    let a = c.addr()?;
                    if a == UNDEF {
                        return Err(CnnError::format(
                            self.path,
                            "hdf5",
                            format!("`{name}`: dataset has no data written"),
                        ));
                    }
                    let sz = c.size()?;
                    let mut d = self.at(a)?;
                    d.bytes(sz)?
                }
                _ => {
                    return Err(CnnError::format(
                        self.path,
                        "hdf5",
                        format!("`{name}`: chunked datasets are not supported"),
                    ))
                }
            }
        } else {
            let rank = c.u8()? as usize;
            let class_l = c.u8()?;
            c.skip(5)?;
            match class_l {
                1 => {
                    let a = c.addr()?;
                    let n = dims
                        .iter()
                        .try_fold(size, |n, &d| n.checked_mul(d))
                        .ok_or_else(|| self.fail(format!("`{name}`: shape {dims:?} overflows")))?;
                    let mut d = self.at(a)?;
                    d.bytes(n)?
                }
                0 => {
                    c.skip(4 * rank)?;
                    let sz = c.u32()? as usize;
                    let start = c.pos;
                    layout.get(start..start.saturating_add(sz)).ok_or_else(|| {
                        CnnError::format(self.path, "hdf5", "compact data truncated")
                    })?
                }
                _ => {
                    return Err(CnnError::format(
                        self.path,
                        "hdf5",
                        format!("`{name}`: chunked datasets are not supported"),
                    ))
                }
            }
        };
        match self.decode(class, size, le, &dims, raw, name)? {
            Value::Floats(shape, data) => Ok(Some(RawTensor { shape, data })),
            _ => Ok(None),
        }
    }

    fn walk(
        &self,
        addr: u64,
        path: &str,
        seen: &mut HashSet<u64>,
        out: &mut Vec<Entry>,
    ) -> Result<()> {
        if !seen.insert(addr) {
            return Ok(());
        }
        if path.split('/').count() > MAX_GROUP_DEPTH {
            return Err(self.fail(format!(
                "groups nested deeper than {MAX_GROUP_DEPTH} levels at `{}…`",
                path.chars().take(80).collect::<String>()
            )));
        }
        let msgs = self.messages(addr)?;
        if msgs.iter().any(|m| m.kind == 0x08) {
            if let Some(t) = self.dataset(&msgs, path)? {
                out.push(Entry::Dataset(path.to_string(), t));
            }
            return Ok(());
        }
        for m in msgs.iter().filter(|m| m.kind == 0x0C) {
            if let Ok((name, Value::Str(s))) = self.attribute(m.data) {
                if name == "name" {
                    out.push(Entry::NameAttr(path.to_string(), s));
                }
            }
        }
        for (name, child) in self.children(&msgs)? {
            let p = if path.is_empty() {
                name
            } else {
                format!("{path}/{name}")
            };
            self.walk(child, &p, seen, out)?;
        }
        Ok(())
    }
}

impl<'a, 'b> Cur<'a, 'b> {
    fn len_offset(&mut self) -> Result<u64> {
        let so = self.f.so;
        self.uint(so)
    }
}

enum Entry {
    Dataset(String, RawTensor),
    NameAttr(String, String),
}

fn is_keras_conv(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("block") else {
        return false;
    };
    let Some((b, c)) = rest.split_once("_conv") else {
        return false;
    };
    !b.is_empty()
        && !c.is_empty()
        && b.chars().all(|x| x.is_ascii_digit())
        && c.chars().all(|x| x.is_ascii_digit())
}

/// Read the float datasets of an HDF5 file. Datasets inside a Keras convolution layer
/// (`blockB_convC`, found as a group name or as a group's `name` attribute) are named
/// `blockB_convC/kernel` (rank 4) and `blockB_convC/bias` (rank 1); all others keep their path.
pub fn read_hdf5(path: &Path) -> Result<TensorStore> {
    let bytes = std::fs::read(path).map_err(|source| CnnError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let budget = Cell::new(
        bytes
            .len()
            .saturating_mul(BUDGET_FACTOR)
            .saturating_add(1 << 20),
    );
    let (file, root) = File::open(&bytes, path, &budget)?;
    let mut entries = Vec::new();
    file.walk(root, "", &mut HashSet::new(), &mut entries)?;
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for e in &entries {
        if let Entry::NameAttr(p, n) = e {
            names.insert(p.clone(), n.clone());
        }
    }
    let mut store = TensorStore::new();
    let mut duplicates = Vec::new();
    for e in entries {
        let Entry::Dataset(p, t) = e else { continue };
        // Nearest ancestor that names a Keras conv layer.
        let parts: Vec<&str> = p.split('/').collect();
        let mut layer = None;
        for k in (0..parts.len().saturating_sub(1)).rev() {
            let gp = parts[..=k].join("/");
            if let Some(n) = names.get(&gp).filter(|n| is_keras_conv(n)) {
                layer = Some(n.clone());
                break;
            }
            if is_keras_conv(parts[k]) {
                layer = Some(parts[k].to_string());
                break;
            }
        }
        let key = match (layer, t.shape.len()) {
            (Some(l), 4) => format!("{l}/kernel"),
            (Some(l), 1) => format!("{l}/bias"),
            _ => p.clone(),
        };
        if store.contains_key(&key) {
            duplicates.push(format!("{key} (again at {p})"));
            continue;
        }
        store.insert(key, t);
    }
    if !duplicates.is_empty() {
        return Err(CnnError::UnexpectedTensors { names: duplicates });
    }
    Ok(store)
}
