//! The JSON outputs and the model files validate against the schemas shipped in `schemas/`:
//! every model of the registry, every target and rule set, NEON and every baseline, the
//! approximate mode, `json` and `jsonl`, scores, and model files fitted or imported.

use crate::common::{fit_wholesale, neon, ok, wholesale, SPENDING};
use neon_xai::models::REGISTRY;
use serde_json::Value;
use std::path::Path;

fn schema(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The schema of one `$defs` entry of `schema` (for JSON lines).
fn definition(schema: &Value, name: &str) -> Value {
    let mut wrapper = serde_json::json!({ "$ref": format!("#/$defs/{name}") });
    wrapper["$defs"] = schema["$defs"].clone();
    wrapper
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema).expect("a valid schema")
}

fn check(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

fn check_output(document: &jsonschema::Validator, line: &jsonschema::Validator, args: &[&str]) {
    for format in ["json", "jsonl"] {
        let mut all = args.to_vec();
        all.extend(["--format", format]);
        let text = ok(&all);
        if format == "json" {
            let doc: Value = serde_json::from_str(&text).expect("json");
            check(document, &doc, &format!("{all:?}"));
        } else {
            for l in text.lines() {
                let doc: Value = serde_json::from_str(l).expect("json line");
                check(line, &doc, &format!("{all:?}"));
            }
        }
    }
}

#[test]
fn every_json_output_and_model_file_validates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let explanations = schema("explanations.schema.json");
    let explanation_doc = validator(&explanations);
    let explanation_line = validator(&definition(&explanations, "explanation"));
    let scores = schema("scores.schema.json");
    let score_doc = validator(&scores);
    let score_line = validator(&definition(&scores, "score"));
    let model_schema = validator(&schema("model.schema.json"));
    let rows = "0,5,337";
    for entry in REGISTRY {
        let (flags, _) = crate::common::required_flags(entry);
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let path = fit_wholesale(
            dir.path(),
            &format!("{}.json", entry.name),
            entry.name,
            &flags,
        );
        let text = std::fs::read_to_string(&path).expect("model file");
        let doc: Value = serde_json::from_str(&text).expect("model json");
        check(&model_schema, &doc, entry.name);
        assert!(
            doc["producer"]
                .as_str()
                .is_some_and(|p| p.ends_with(env!("CARGO_PKG_VERSION"))),
            "the model file names its producer: {}",
            doc["producer"]
        );
        let model = path.to_str().expect("path");
        let base = [
            "explain",
            "--model",
            model,
            "--leave-one-out",
            "--rows",
            rows,
        ];
        for target in entry.targets() {
            let target = target.to_string();
            for rule in entry.rules_for(target.parse().expect("target")) {
                let rule = rule.to_string();
                let mut args = base.to_vec();
                args.extend(["--target", &target, "--rule", &rule]);
                check_output(&explanation_doc, &explanation_line, &args);
            }
            for method in [
                "shapley-exact",
                "shapley-sampling",
                "integrated-gradients",
                "occlusion",
            ] {
                let mut args = base.to_vec();
                args.extend(["--target", &target, "--method", method]);
                check_output(&explanation_doc, &explanation_line, &args);
            }
            let mut args = base.to_vec();
            args.extend(["--target", &target, "--tolerance", "0.01"]);
            if neon(&args).status.success() {
                check_output(&explanation_doc, &explanation_line, &args);
            }
            let score = [
                "score",
                "--model",
                model,
                "--leave-one-out",
                "--rows",
                rows,
                "--target",
                &target,
            ];
            check_output(&score_doc, &score_line, &score);
        }
    }
    // an imported k-means model
    let centroids = dir.path().join("centroids.csv");
    std::fs::write(
        &centroids,
        "Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n\
         0,0,0,0,0,0\n1,1,1,1,1,1\n-1,-1,-1,-1,-1,-1\n",
    )
    .expect("write");
    let path = fit_wholesale(
        dir.path(),
        "imported.json",
        "kmeans",
        &["--centroids", centroids.to_str().expect("path")],
    );
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    check(&model_schema, &doc, "imported k-means");
    // a KDE whose bandwidth a rule chose stores the rule and h beside γ
    let path = fit_wholesale(dir.path(), "kde-loo.json", "kde", &["--bandwidth", "loo"]);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    check(&model_schema, &doc, "KDE with a chosen bandwidth");
    assert_eq!(doc["model"]["bandwidth"]["rule"], "loo", "{doc}");
}

#[test]
fn the_schemas_refuse_what_they_must() {
    let explanations = schema("explanations.schema.json");
    let line = validator(&definition(&explanations, "explanation"));
    let good = serde_json::json!({"row": 0, "score": 1.0, "relevance": [0.5, 0.5],
        "relevance_sum": 1.0, "dissipated": 0.0});
    assert!(line.is_valid(&good));
    for broken in [
        serde_json::json!({"row": -1, "score": 1.0, "relevance": [1.0], "relevance_sum": 1.0, "dissipated": 0.0}),
        serde_json::json!({"row": 0, "score": null, "relevance": [1.0], "relevance_sum": 1.0, "dissipated": 0.0}),
        serde_json::json!({"row": 0, "score": 1.0, "relevance": [1.0], "relevance_sum": 1.0}),
        serde_json::json!({"row": 0, "score": 1.0, "relevance": [1.0], "relevance_sum": 1.0, "dissipated": 0.0, "extra": 1}),
    ] {
        assert!(!line.is_valid(&broken), "{broken}");
    }
    let model = validator(&schema("model.schema.json"));
    let not_a_model = serde_json::json!({"format": "neon-model", "version": 2});
    assert!(!model.is_valid(&not_a_model));
}

#[test]
fn model_files_validate_with_every_transform() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model_schema = validator(&schema("model.schema.json"));
    let data = wholesale();
    let mut fitted = None;
    for transform in [
        "log",
        "log1p",
        "standardize",
        "minmax",
        "robust",
        "log,minmax",
        "log,robust",
        "log1p,robust,minmax,standardize",
    ] {
        let path = dir
            .path()
            .join(format!("{}.json", transform.replace(',', "-")));
        let path = path.to_str().expect("path");
        ok(&[
            "fit",
            "kde",
            "--data",
            data.to_str().expect("path"),
            "--columns",
            SPENDING,
            "--transform",
            transform,
            "--gamma",
            "1",
            "-o",
            path,
        ]);
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
        check(&model_schema, &doc, transform);
        let steps: Vec<&str> = doc["transform"]["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| s["step"].as_str().expect("step name"))
            .collect();
        assert_eq!(steps, transform.split(',').collect::<Vec<_>>());
        // the file loads again and scores
        ok(&["score", "--model", path, "--leave-one-out", "--rows", "0,5"]);
        fitted = Some(doc);
    }
    // stored steps the schema refuses: a zero interquartile range, a missing maximum, a
    // field of another step
    let good = fitted.expect("a fitted model");
    let zeros = serde_json::json!([0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let ones = serde_json::json!([1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
    let with_step = |step: Value| {
        let mut m = good.clone();
        m["transform"] = serde_json::json!({ "steps": [step] });
        m
    };
    check(
        &model_schema,
        &with_step(serde_json::json!({"step": "minmax", "min": zeros, "max": ones})),
        "hand-written minmax",
    );
    check(
        &model_schema,
        &with_step(serde_json::json!({"step": "robust", "median": zeros, "iqr": ones})),
        "hand-written robust",
    );
    for broken in [
        serde_json::json!({"step": "robust", "median": zeros, "iqr": zeros}),
        serde_json::json!({"step": "robust", "median": zeros}),
        serde_json::json!({"step": "robust", "mean": zeros, "std": ones}),
        serde_json::json!({"step": "minmax", "min": zeros}),
        serde_json::json!({"step": "minmax", "min": zeros, "max": ones, "std": ones}),
        serde_json::json!({"step": "minmax", "min": zeros, "max": ["a"]}),
    ] {
        assert!(
            !model_schema.is_valid(&with_step(broken.clone())),
            "{broken}"
        );
    }
}
