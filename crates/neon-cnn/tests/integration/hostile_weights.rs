//! Hostile weight files (issue "hostile inputs"): each small file below once aborted, looped
//! forever or grew memory without bound; each is now a named error that names the file, read in
//! time and memory bounded by the file's length.

use std::io::Write;
use std::path::{Path, PathBuf};

use neon_xai_cnn::weights::read_tensors;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

/// `read_tensors(path)` must fail, naming the file and saying `message`.
fn refused(path: &Path, message: &str) {
    let err = match read_tensors(path) {
        Ok(store) => panic!(
            "{} was read: {:?}",
            path.display(),
            store.keys().collect::<Vec<_>>()
        ),
        Err(e) => e.to_string(),
    };
    let name = path.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(err.contains(name), "the error names the file: {err}");
    assert!(err.contains(message), "{err}");
}

/// A pickle (protocol 2) of `{"w": _rebuild_tensor_v2(storage "0" of `numel` floats, offset,
/// shape, stride, False, OrderedDict())}`, as `torch.save` writes a state dict.
fn state_dict_pickle(numel: u32, offset: u32, shape: &[i32], stride: &[i32]) -> Vec<u8> {
    fn string(out: &mut Vec<u8>, s: &str) {
        out.push(b'X');
        out.extend((s.len() as u32).to_le_bytes());
        out.extend(s.as_bytes());
    }
    fn int_tuple(out: &mut Vec<u8>, xs: &[i32]) {
        out.push(b'(');
        for &x in xs {
            out.push(b'J');
            out.extend(x.to_le_bytes());
        }
        out.push(b't');
    }
    let mut p = b"\x80\x02}(".to_vec();
    string(&mut p, "w");
    p.extend(b"ctorch._utils\n_rebuild_tensor_v2\n(");
    // the persistent id ("storage", FloatStorage, key, location, numel)
    p.push(b'(');
    string(&mut p, "storage");
    p.extend(b"ctorch\nFloatStorage\n");
    string(&mut p, "0");
    string(&mut p, "cpu");
    p.push(b'J');
    p.extend(numel.to_le_bytes());
    p.extend(b"tQ");
    p.push(b'J');
    p.extend(offset.to_le_bytes());
    int_tuple(&mut p, shape);
    int_tuple(&mut p, stride);
    p.extend(b"\x89ccollections\nOrderedDict\n)RtRu.");
    p
}

/// A zip `.pth` archive as `torch.save` writes it: `archive/data.pkl` and `archive/data/0`.
fn pth(pickle: &[u8], storage: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("archive/data.pkl", stored).expect("zip");
    zip.write_all(pickle).expect("zip");
    zip.start_file("archive/data/0", stored).expect("zip");
    zip.write_all(storage).expect("zip");
    zip.finish().expect("zip").into_inner()
}

#[test]
fn a_well_formed_handmade_pth_is_read() {
    // the test's own writer is right: a 2 × 2 view with a transposed stride reads back correctly
    let dir = tempfile::tempdir().expect("tempdir");
    let storage: Vec<u8> = [1f32, 2., 3., 4.]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let path = write(
        dir.path(),
        "ok.pth",
        &pth(&state_dict_pickle(4, 0, &[2, 2], &[1, 2]), &storage),
    );
    let store = read_tensors(&path).unwrap_or_else(|e| panic!("{e}"));
    let w = store.get("w").expect("tensor w");
    assert_eq!(w.shape, vec![2, 2]);
    assert_eq!(w.data, vec![1., 3., 2., 4.]);
}

#[test]
fn a_pth_tensor_claiming_terabytes_is_refused_before_materialisation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = [0u8; 16];
    // 10^6 × 10^6 floats: 4 TB claimed by a file of a few hundred bytes
    let bytes = pth(
        &state_dict_pickle(4, 0, &[1_000_000, 1_000_000], &[1_000_000, 1]),
        &storage,
    );
    assert!(bytes.len() < 1000, "{} bytes", bytes.len());
    let path = write(dir.path(), "huge.pth", &bytes);
    refused(
        &path,
        "tensor `w`: shape [1000000, 1000000] claims 1000000000000 elements",
    );
    // within the element limit, but far beyond its 4-element storage
    let path = write(
        dir.path(),
        "past.pth",
        &pth(
            &state_dict_pickle(4, 0, &[1000, 1000], &[1000, 1]),
            &storage,
        ),
    );
    refused(
        &path,
        "reads 1000000 elements from storage `0`, which holds 4",
    );
}

#[test]
fn a_pth_tensor_with_stride_zero_is_refused_before_materialisation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "stride0.pth",
        &pth(
            &state_dict_pickle(4, 0, &[16384, 16384], &[0, 0]),
            &[0u8; 16],
        ),
    );
    refused(&path, "stride 0 in dimension");
    // overlapping strides share storage slots
    let path = write(
        dir.path(),
        "overlap.pth",
        &pth(&state_dict_pickle(4, 0, &[2, 3], &[1, 1]), &[0u8; 16]),
    );
    refused(&path, "strides [1, 1] overlap");
    let path = write(
        dir.path(),
        "negative.pth",
        &pth(&state_dict_pickle(4, 0, &[2, -3], &[3, 1]), &[0u8; 16]),
    );
    refused(&path, "negative size in shape -3");
}

/// A version-0 superblock (8-byte offsets and lengths) whose root group's object header (v1,
/// at byte 96) holds only `messages`.
fn hdf5_v1(messages: &[u8]) -> Vec<u8> {
    let mut f = b"\x89HDF\r\n\x1a\n".to_vec();
    f.extend([0, 0, 0, 0, 0, 8, 8, 0]); // versions, sizes of offsets and lengths
    f.extend([4, 0, 16, 0, 0, 0, 0, 0]); // B-tree K values, consistency flags
    f.extend(0u64.to_le_bytes()); // base address
    f.extend(u64::MAX.to_le_bytes()); // free space
    f.extend(0u64.to_le_bytes()); // end of file (patched below)
    f.extend(u64::MAX.to_le_bytes()); // driver information
    f.extend(0u64.to_le_bytes()); // root entry: link name offset
    f.extend(96u64.to_le_bytes()); // root entry: object header
    f.extend([0u8; 24]); // cache type, reserved, scratch pad
    assert_eq!(f.len(), 96);
    f.extend([1, 0]); // version 1, reserved
    f.extend(2u16.to_le_bytes()); // number of messages
    f.extend(1u32.to_le_bytes()); // reference count
    f.extend((messages.len() as u32).to_le_bytes());
    f.extend([0u8; 4]); // padding to 8 bytes
    f.extend(messages);
    let eof = f.len() as u64;
    f[40..48].copy_from_slice(&eof.to_le_bytes());
    f
}

fn continuation_v1(address: u64, length: u64) -> Vec<u8> {
    let mut m = 0x10u16.to_le_bytes().to_vec();
    m.extend(16u16.to_le_bytes());
    m.extend([0u8; 4]); // flags, reserved
    m.extend(address.to_le_bytes());
    m.extend(length.to_le_bytes());
    m
}

#[test]
fn an_hdf5_v1_header_continuation_pointing_to_itself_is_a_named_cycle() {
    let dir = tempfile::tempdir().expect("tempdir");
    // the messages start at byte 112; the continuation sends the reader back there
    let path = write(dir.path(), "cycle1.h5", &hdf5_v1(&continuation_v1(112, 24)));
    refused(&path, "was already read (a cycle)");
    // a continuation past the end of the file
    let path = write(
        dir.path(),
        "past.h5",
        &hdf5_v1(&continuation_v1(112, 1 << 40)),
    );
    refused(&path, "runs past the end of the file");
}

#[test]
fn an_hdf5_v2_header_continuation_chain_that_loops_is_a_named_cycle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let message = |address: u64, length: u64| {
        let mut m = vec![0x10u8];
        m.extend(16u16.to_le_bytes());
        m.push(0);
        m.extend(address.to_le_bytes());
        m.extend(length.to_le_bytes());
        m
    };
    let mut f = b"\x89HDF\r\n\x1a\n".to_vec();
    f.extend([2, 8, 8, 0]); // version 2, sizes of offsets and lengths, flags
    f.extend(0u64.to_le_bytes()); // base address
    f.extend(u64::MAX.to_le_bytes()); // superblock extension
    f.extend(0u64.to_le_bytes()); // end of file (patched below)
    f.extend(48u64.to_le_bytes()); // root object header
    f.extend([0u8; 4]); // checksum
    assert_eq!(f.len(), 48);
    // OHDR v2, flags 0 (1-byte chunk size), one continuation to the OCHK block at byte 79
    f.extend(b"OHDR\x02\x00");
    f.push(20);
    f.extend(message(79, 28));
    f.extend([0u8; 4]);
    assert_eq!(f.len(), 79);
    // the OCHK block continues to itself: without the cycle check each pass pushed one more
    // block to read, and memory grew without bound
    f.extend(b"OCHK");
    f.extend(message(79, 28));
    f.extend([0u8; 4]);
    let eof = f.len() as u64;
    f[28..36].copy_from_slice(&eof.to_le_bytes());
    let path = write(dir.path(), "cycle2.h5", &f);
    refused(&path, "was already read (a cycle)");
}

#[test]
fn safetensors_headers_and_offsets_outside_the_file_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = |header: &str, data: &[u8]| {
        let mut b = (header.len() as u64).to_le_bytes().to_vec();
        b.extend(header.as_bytes());
        b.extend(data);
        b
    };
    let ok = r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
    let path = write(dir.path(), "ok.safetensors", &file(ok, &[0u8; 8]));
    assert_eq!(
        read_tensors(&path)
            .unwrap_or_else(|e| panic!("{e}"))
            .get("w")
            .map(|t| t.shape.clone()),
        Some(vec![2])
    );
    // a header length of 2^40 bytes in a 100-byte file
    let mut huge = (1u64 << 40).to_le_bytes().to_vec();
    huge.extend(b"{}");
    let path = write(dir.path(), "header.safetensors", &huge);
    refused(&path, "the header claims 1099511627776 bytes");
    let far = r#"{"w":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}"#;
    let path = write(dir.path(), "offsets.safetensors", &file(far, &[0u8; 8]));
    refused(
        &path,
        "data_offsets [0, 4000000000] outside the 8 data bytes",
    );
}
