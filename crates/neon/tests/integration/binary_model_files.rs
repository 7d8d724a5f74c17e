//! Binary (safetensors) model files: every model of the registry round-trips bit for bit and
//! explains exactly as in memory; truncated, corrupted, inconsistent and newer files are
//! refused with an error that names the file and what is wrong, never a panic.

use ndarray::Array2;
use neon_xai::data::transform::FittedStep;
use neon_xai::data::FittedTransform;
use neon_xai::models::{ExplainOptions, FittedModel, Queries, REGISTRY};
use neon_xai::persist::{ModelEncoding, BINARY_VERSION, LAYOUT_KEY, MODEL_FILE_KEY, MODEL_VERSION};
use neon_xai::ModelFile;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use serde_json::Value;
use std::collections::HashMap;

/// 300 irregular rows in 5 dimensions, three groups (as the layout round-trip test).
fn points() -> Array2<f64> {
    Array2::from_shape_fn((300, 5), |(i, j)| {
        let (i, j) = (i as f64, j as f64);
        3.0 * ((i % 3.0) - 1.0) + (1.37 * i + 2.11 * j).sin() * (0.7 + 0.1 * j)
    })
}

fn names(d: usize) -> Vec<String> {
    (0..d).map(|i| format!("x{i}")).collect()
}

/// A fitted transform with per-feature vectors, so the transform travels too.
fn transform(d: usize) -> FittedTransform {
    FittedTransform {
        steps: vec![
            FittedStep::Log1p,
            FittedStep::Standardize {
                mean: (0..d).map(|i| 0.25 * i as f64 - 0.1).collect(),
                std: (0..d).map(|i| 1.0 + 0.5 * i as f64).collect(),
            },
        ],
    }
}

fn kmeans_file() -> ModelFile {
    let entry = neon_xai::models::entry("kmeans").expect("kmeans is registered");
    let model = (entry.fit_default)(points().view()).expect("fit");
    ModelFile::new(names(5), transform(5), model)
}

fn bits(points: ndarray::ArrayView2<f64>) -> Vec<u64> {
    points.iter().map(|v| v.to_bits()).collect()
}

/// The metadata and tensors of a binary file, to rewrite it.
struct Parts {
    metadata: HashMap<String, String>,
    tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)>,
}

impl Parts {
    fn read(bytes: &[u8]) -> Self {
        let (_, header) = SafeTensors::read_metadata(bytes).expect("header");
        let metadata = header.metadata().clone().expect("__metadata__");
        let file = SafeTensors::deserialize(bytes).expect("safetensors");
        let mut tensors: Vec<_> = file
            .tensors()
            .into_iter()
            .map(|(name, view)| {
                (
                    name,
                    view.dtype(),
                    view.shape().to_vec(),
                    view.data().to_vec(),
                )
            })
            .collect();
        tensors.sort_by(|a, b| a.0.cmp(&b.0));
        Parts { metadata, tensors }
    }

    fn write(&self) -> Vec<u8> {
        let views: Vec<_> = self
            .tensors
            .iter()
            .map(|(name, dtype, shape, data)| {
                let view = TensorView::new(*dtype, shape.clone(), data).expect("view");
                (name.clone(), view)
            })
            .collect();
        safetensors::serialize(views, &Some(self.metadata.clone())).expect("serialize")
    }

    fn model_json(&self) -> Value {
        serde_json::from_str(&self.metadata[MODEL_FILE_KEY]).expect("model json")
    }

    fn set_model_json(&mut self, value: &Value) {
        let text = serde_json::to_string(value).expect("json");
        self.metadata.insert(MODEL_FILE_KEY.to_string(), text);
    }

    fn tensor_mut(&mut self, name: &str) -> &mut (String, Dtype, Vec<usize>, Vec<u8>) {
        self.tensors
            .iter_mut()
            .find(|t| t.0 == name)
            .expect("tensor present")
    }
}

fn error_of(bytes: &[u8]) -> String {
    match ModelFile::from_safetensors(bytes, "m.safetensors") {
        Ok(_) => panic!("a broken file was accepted"),
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.starts_with("m.safetensors: "),
                "the error names the file: {message}"
            );
            message
        }
    }
}

#[test]
fn every_registry_model_round_trips_bit_for_bit_and_explains_identically() {
    let points = points();
    let queries = points.mapv(|v| v * 1.1 + 0.05);
    let opts = ExplainOptions {
        n_features: 200,
        ..Default::default()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in REGISTRY {
        let model = (entry.fit_default)(points.view()).expect("fit");
        let original = ModelFile::new(names(5), transform(5), model);
        let bytes = original.to_safetensors().expect("encode");
        assert_eq!(
            ModelEncoding::sniff(&bytes),
            Some(ModelEncoding::Safetensors),
            "{}",
            entry.name
        );
        let decoded = ModelFile::from_safetensors(&bytes, "round trip").expect("decode");
        assert_eq!(decoded, original, "{}", entry.name);
        assert_eq!(
            bits(decoded.model.training_points()),
            bits(original.model.training_points()),
            "{}: training points, bit for bit",
            entry.name
        );
        // every number of the model, bit for bit (the JSON of both is the same text)
        assert_eq!(
            decoded.to_json().expect("json"),
            original.to_json().expect("json"),
            "{}",
            entry.name
        );
        // the training points are a tensor a safetensors reader sees as it is
        let file = SafeTensors::deserialize(&bytes).expect("safetensors");
        let tensor = file.tensor("model.points").expect("model.points");
        assert_eq!(tensor.dtype(), Dtype::F64);
        assert_eq!(tensor.shape(), &[300, 5]);

        // through files: `.safetensors` writes binary; load recognises it by content
        let path = dir.path().join(format!("{}.safetensors", entry.name));
        original.save(&path).expect("save");
        let written = std::fs::read(&path).expect("read");
        assert_eq!(written, bytes, "{}: save writes the same bytes", entry.name);
        let renamed = dir.path().join(format!("{}.model", entry.name));
        std::fs::rename(&path, &renamed).expect("rename");
        let loaded = ModelFile::load(&renamed).expect("load by content");
        assert_eq!(loaded, original, "{}", entry.name);
        let json_path = dir.path().join(format!("{}.json", entry.name));
        original.save(&json_path).expect("save json");
        let from_json = ModelFile::load(&json_path).expect("load json");
        assert_eq!(from_json, loaded, "{}: JSON and binary", entry.name);

        for target in entry.targets() {
            let run = |m: &FittedModel| {
                m.explain_rows(Queries::Points(queries.view()), None, target, &opts, &|| {})
                    .expect("explain")
            };
            let reference = run(&original.model);
            assert_eq!(reference, run(&loaded.model), "{} {target}", entry.name);
            let scores = |m: &FittedModel| {
                m.score_rows(Queries::LeaveOneOut, None, target, &opts)
                    .expect("scores")
                    .iter()
                    .map(|s| s.to_bits())
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                scores(&original.model),
                scores(&loaded.model),
                "{} {target}: leave-one-out scores",
                entry.name
            );
        }
    }
}

#[test]
fn the_extension_chooses_the_encoding_and_the_content_wins_on_load() {
    let file = kmeans_file();
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("m.json");
    file.save(&json).expect("save");
    let text = std::fs::read(&json).expect("read");
    assert_eq!(ModelEncoding::sniff(&text), Some(ModelEncoding::Json));
    assert_eq!(
        ModelEncoding::for_path(std::path::Path::new("a/b.SafeTensors")),
        ModelEncoding::Safetensors
    );
    // JSON content under a binary name still loads
    let misnamed = dir.path().join("m.safetensors");
    std::fs::write(&misnamed, &text).expect("write");
    assert_eq!(ModelFile::load(&misnamed).expect("load"), file);
    // save_as overrides the extension
    let forced = dir.path().join("forced.json");
    file.save_as(&forced, ModelEncoding::Safetensors)
        .expect("save");
    let bytes = std::fs::read(&forced).expect("read");
    assert_eq!(
        ModelEncoding::sniff(&bytes),
        Some(ModelEncoding::Safetensors)
    );
    assert_eq!(ModelFile::load(&forced).expect("load"), file);
    // neither JSON nor safetensors: the extension decides which error
    let junk = dir.path().join("junk.safetensors");
    std::fs::write(&junk, b"\x01\x02not a model").expect("write");
    let message = ModelFile::load(&junk).expect_err("junk").to_string();
    assert!(message.contains("junk.safetensors"), "{message}");
}

#[test]
fn a_truncated_file_is_refused_with_the_file_and_the_cut_named() {
    let bytes = kmeans_file().to_safetensors().expect("encode");
    let header_end =
        8 + usize::try_from(u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")))
            .expect("header length");
    let cuts = [
        0,
        1,
        7,
        8,
        9,
        header_end / 2,
        header_end - 1,
        header_end,
        header_end + 1,
        header_end + 8,
        (header_end + bytes.len()) / 2,
        bytes.len() - 8,
        bytes.len() - 1,
    ];
    for cut in cuts {
        let message = error_of(&bytes[..cut]);
        assert!(message.contains("truncated"), "cut at {cut}: {message}");
    }
    // through load, whatever the extension of the truncated copy
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["cut.safetensors", "cut.json"] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes[..bytes.len() - 100]).expect("write");
        let message = ModelFile::load(&path).expect_err("truncated").to_string();
        assert!(message.contains(name), "{message}");
        assert!(message.contains("truncated"), "{message}");
    }
    // bytes after the data are refused too
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 16]);
    let message = error_of(&longer);
    assert!(message.contains("16 unexpected bytes"), "{message}");
}

#[test]
fn a_corrupted_header_never_panics() {
    let bytes = kmeans_file().to_safetensors().expect("encode");
    let header_end =
        8 + usize::try_from(u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")))
            .expect("header length");
    let mut refused = 0;
    for i in 0..header_end {
        for replacement in [b'x', b'"', b'9', 0xFF] {
            let mut broken = bytes.clone();
            if broken[i] == replacement {
                continue;
            }
            broken[i] = replacement;
            if let Err(e) = ModelFile::from_safetensors(&broken, "m.safetensors") {
                assert!(e.to_string().starts_with("m.safetensors: "), "{e}");
                refused += 1;
            }
        }
    }
    assert!(
        refused > header_end,
        "most corruptions are refused ({refused})"
    );
}

#[test]
fn non_finite_and_out_of_range_values_are_refused() {
    let bytes = kmeans_file().to_safetensors().expect("encode");
    let mut parts = Parts::read(&bytes);
    // row 2, column 3 of the 300 × 5 training points
    let at = (2 * 5 + 3) * 8;
    parts.tensor_mut("model.points").3[at..at + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    let message = error_of(&parts.write());
    assert!(message.contains("model.points"), "{message}");
    assert!(message.contains("non-finite"), "{message}");
    assert!(message.contains("row 2, column 3"), "{message}");

    parts.tensor_mut("model.points").3[at..at + 8].copy_from_slice(&1e300_f64.to_le_bytes());
    let message = error_of(&parts.write());
    assert!(message.contains("row 2, column 3"), "{message}");
}

#[test]
fn shapes_that_disagree_are_refused() {
    let file = kmeans_file();
    // fewer feature names than the training points have columns
    let mut narrow = file.clone();
    narrow.feature_names.pop();
    narrow.transform = transform(4);
    let message = error_of(&narrow.to_safetensors().expect("encode"));
    assert!(
        message.contains("4 feature names but training data has 5 columns"),
        "{message}"
    );

    let bytes = file.to_safetensors().expect("encode");
    // a tensor whose shape is not the one its array declares
    let mut parts = Parts::read(&bytes);
    parts.tensor_mut("model.points").2 = vec![5, 300];
    let message = error_of(&parts.write());
    assert!(
        message.contains("'model.points' has shape [5, 300]"),
        "{message}"
    );
    assert!(message.contains("[300, 5]"), "{message}");

    // a tensor of another dtype
    let mut parts = Parts::read(&bytes);
    let points = parts.tensor_mut("model.points");
    points.1 = Dtype::F32;
    points.3.truncate(points.3.len() / 2);
    let message = error_of(&parts.write());
    assert!(message.contains("dtype F32"), "{message}");

    // a tensor nothing refers to, and a reference to a missing tensor
    let mut parts = Parts::read(&bytes);
    parts.tensors.push((
        "extra".into(),
        Dtype::F64,
        vec![1],
        1.0_f64.to_le_bytes().to_vec(),
    ));
    let message = error_of(&parts.write());
    assert!(message.contains("'extra' is not referred to"), "{message}");
    let mut parts = Parts::read(&bytes);
    let mut json = parts.model_json();
    json["model"]["centroids"]["data"]["$tensor"] = Value::from("model.missing");
    parts.set_model_json(&json);
    let message = error_of(&parts.write());
    assert!(message.contains("'model.missing'"), "{message}");
}

#[test]
fn the_layout_and_the_model_file_are_versioned() {
    let bytes = kmeans_file().to_safetensors().expect("encode");
    let parts = Parts::read(&bytes);
    assert_eq!(parts.metadata[LAYOUT_KEY], BINARY_VERSION.to_string());
    assert_eq!(parts.metadata["format"], "neon-model");
    assert_eq!(parts.model_json()["version"], MODEL_VERSION);

    let newer = BINARY_VERSION + 1;
    let mut future = Parts::read(&bytes);
    future
        .metadata
        .insert(LAYOUT_KEY.to_string(), newer.to_string());
    let message = error_of(&future.write());
    assert!(
        message.contains(&format!("layout version {newer} is not supported"))
            && message.contains(&format!("reads layout version {BINARY_VERSION}")),
        "{message}"
    );

    let mut unversioned = Parts::read(&bytes);
    unversioned.metadata.remove(LAYOUT_KEY);
    let message = error_of(&unversioned.write());
    assert!(message.contains(LAYOUT_KEY), "{message}");

    let mut newer_model = Parts::read(&bytes);
    let mut json = newer_model.model_json();
    json["version"] = Value::from(MODEL_VERSION + 1);
    newer_model.set_model_json(&json);
    let message = error_of(&newer_model.write());
    assert!(
        message.contains(&format!("version {}", MODEL_VERSION + 1))
            && message.contains(&format!("reads version {MODEL_VERSION}")),
        "{message}"
    );

    let mut foreign = Parts::read(&bytes);
    foreign.metadata.remove("format");
    let message = error_of(&foreign.write());
    assert!(message.contains("not a neon model"), "{message}");
}
