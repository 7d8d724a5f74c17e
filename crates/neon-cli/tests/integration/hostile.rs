//! Hostile inputs (issue "hostile inputs"): each case below once aborted, hung, or was accepted
//! with a wrong answer; each is now a named error, fast, with no output file left behind.

use crate::common::{neon, stderr};
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn s(p: &Path) -> &str {
    p.to_str().expect("path")
}

/// Run `neon args`, require failure with `message` in stderr and no file at `output`.
fn refused(args: &[&str], message: &str, output: Option<&Path>) {
    let out = neon(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    let text = stderr(&out);
    assert!(text.contains(message), "{args:?}: {text}");
    if let Some(path) = output {
        assert!(!path.exists(), "{args:?} left {}", path.display());
    }
}

/// `neon fit KIND --data DATA EXTRA… -o OUT` must fail with `message` and leave no `OUT`.
fn refused_fit(kind: &str, data: &Path, extra: &[&str], message: &str, out: &Path) {
    let mut args = vec!["fit", kind, "--data", s(data)];
    args.extend(extra);
    args.extend(["-o", s(out)]);
    refused(&args, message, Some(out));
}

fn fit_small(dir: &Path) -> PathBuf {
    let data = write(dir, "ok.csv", b"a,b\n1,2\n3,4\n5,7\n");
    let model = dir.join("m.json");
    let out = neon(&[
        "fit",
        "kde",
        "--data",
        s(&data),
        "--gamma",
        "1",
        "-o",
        s(&model),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    model
}

#[test]
fn csv_rows_columns_and_missing_values_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("x.json");
    // blank lines: the row is the line in the file
    let blank = write(dir.path(), "blank.csv", b"a,b\n1,2\n\n\n3,x\n");
    refused_fit(
        "kde",
        &blank,
        &["--gamma", "1"],
        "blank.csv, column b, row 5: 'x' is not a number",
        &model,
    );
    let crlf = write(dir.path(), "crlf.csv", b"a,b\r\n1,2\r\n\r\n3,z\r\n");
    refused_fit("kde", &crlf, &["--gamma", "1"], "column b, row 4", &model);
    // NA in the first data row: the column is not dropped, the missing value is named
    let na = write(dir.path(), "na.csv", b"a,b,c\n1,NA,3\n4,5,6\n7,8,9\n");
    refused_fit(
        "kde",
        &na,
        &["--gamma", "1"],
        "na.csv, column b, row 2: missing value ('NA')",
        &model,
    );
    let empty_cell = write(dir.path(), "gap.csv", b"a,b\n1,2\n3,4\n5,\n");
    refused_fit(
        "kde",
        &empty_cell,
        &["--gamma", "1"],
        "column b, row 4: missing value",
        &model,
    );
    // a column selected twice
    let ok = write(dir.path(), "ok.csv", b"a,b\n1,2\n3,4\n5,7\n");
    refused_fit(
        "kde",
        &ok,
        &["--columns", "a,a", "--gamma", "1"],
        "column 'a' is selected twice",
        &model,
    );
}

#[test]
fn values_that_overflow_squared_distances_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_small(dir.path());
    let far = write(dir.path(), "far.csv", b"a,b\n1e200,2\n");
    refused(
        &[
            "explain",
            "--model",
            s(&model),
            "--data",
            s(&far),
            "--target",
            "outlier",
        ],
        "far.csv, column a, row 2: value 1e200 (after the transform) is beyond ±1e150",
        None,
    );
    refused(
        &[
            "score",
            "--model",
            s(&model),
            "--data",
            s(&far),
            "--format",
            "json",
        ],
        "beyond ±1e150",
        None,
    );
    let big = write(dir.path(), "big.csv", b"a,b\n1e308,2\n-1e308,3\n1e308,5\n");
    let out = dir.path().join("x.json");
    refused_fit(
        "kde",
        &big,
        &["--transform", "standardize", "--gamma", "1"],
        "big.csv, column a: its mean or standard deviation overflows",
        &out,
    );
}

#[test]
fn model_files_with_impossible_values_are_refused_on_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_small(dir.path());
    let text = std::fs::read_to_string(&model).expect("model");
    let good: serde_json::Value = serde_json::from_str(&text).expect("json");
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "std0",
            Box::new(|m| {
                m["transform"] = serde_json::json!({"steps": [{"step": "standardize",
                    "mean": [0.0, 0.0], "std": [0.0, 1.0]}]})
            }),
            "standardize deviation of feature 0 is 0",
        ),
        (
            "stdneg",
            Box::new(|m| {
                m["transform"] = serde_json::json!({"steps": [{"step": "standardize",
                    "mean": [0.0, 0.0], "std": [1.0, -2.0]}]})
            }),
            "standardize deviation of feature 1 is -2",
        ),
        (
            "minmax0",
            Box::new(|m| {
                m["transform"] = serde_json::json!({"steps": [{"step": "minmax",
                    "min": [0.0, 3.0], "max": [1.0, 3.0]}]})
            }),
            "minmax range (maximum − minimum) of feature 1 is 0",
        ),
        (
            "iqrneg",
            Box::new(|m| {
                m["transform"] = serde_json::json!({"steps": [{"step": "robust",
                    "median": [0.0, 0.0], "iqr": [-1.0, 1.0]}]})
            }),
            "robust interquartile range of feature 0 is -1",
        ),
        (
            "huge",
            Box::new(|m| m["model"]["points"]["data"][0] = serde_json::json!(1e308)),
            "parameter points: value 1e308 at row 0, column 0",
        ),
        (
            "dupnames",
            Box::new(|m| m["feature_names"] = serde_json::json!(["a", "a"])),
            "feature name 'a' appears twice",
        ),
        (
            "nonames",
            Box::new(|m| m["feature_names"] = serde_json::json!([])),
            "no feature names",
        ),
    ];
    for (name, edit, message) in cases {
        let mut m = good.clone();
        edit(&mut m);
        let path = write(
            dir.path(),
            &format!("{name}.json"),
            m.to_string().as_bytes(),
        );
        refused(
            &["score", "--model", s(&path), "--leave-one-out"],
            message,
            None,
        );
    }
    // k-means: a negative stored beta
    let data = write(dir.path(), "k.csv", b"a,b\n1,2\n3,4\n5,7\n8,1\n");
    let km = dir.path().join("km.json");
    let out = neon(&[
        "fit",
        "kmeans",
        "--data",
        s(&data),
        "--n-clusters",
        "2",
        "-o",
        s(&km),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&km).expect("read")).expect("json");
    m["model"]["beta_auto"] = serde_json::json!(-1.0);
    let path = write(dir.path(), "negbeta.json", m.to_string().as_bytes());
    refused(
        &["score", "--model", s(&path), "--leave-one-out"],
        "beta_auto: stored value -1 is not a finite number > 0",
        None,
    );
}

#[test]
fn sizes_are_checked_before_anything_is_allocated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("x.json");
    // a 200-byte .npy whose header claims 10^9 × 10^9 values
    let mut header =
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }".to_vec();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend((header.len() as u16).to_le_bytes());
    npy.extend(&header);
    npy.extend([0u8; 16]);
    let huge = write(dir.path(), "huge.npy", &npy);
    refused_fit(
        "kde",
        &huge,
        &["--gamma", "1"],
        "the header announces shape [1000000000, 1000000000]",
        &out,
    );
    // a version-3 header that claims 4 GB
    let mut v3 = b"\x93NUMPY\x03\x00".to_vec();
    v3.extend(u32::MAX.to_le_bytes());
    v3.extend(b"xx");
    let v3 = write(dir.path(), "v3.npy", &v3);
    refused_fit(
        "kde",
        &v3,
        &["--gamma", "1"],
        "the header claims 4294967295 bytes",
        &out,
    );
    // random features beyond the memory budget, and a budget the user raised
    let model = fit_small(dir.path());
    refused(
        &[
            "explain",
            "--model",
            s(&model),
            "--leave-one-out",
            "--target",
            "inlier-rff",
            "--n-features",
            "1000000000",
        ],
        "random features (trials × n_features × (d + 2) × 8 bytes) would need 29.8 GiB",
        None,
    );
    let raised = crate::common::neon_env(
        &[
            "explain",
            "--model",
            s(&model),
            "--leave-one-out",
            "--target",
            "inlier-rff",
            "--n-features",
            "100",
            "--trials",
            "1000000000",
        ],
        &[("NEON_MEMORY_LIMIT", "16G")],
    );
    assert!(!raised.status.success());
    assert!(
        stderr(&raised).contains("above the memory budget of 16.0 GiB"),
        "{}",
        stderr(&raised)
    );
    // thread counts
    refused(
        &[
            "--threads",
            "10000",
            "score",
            "--model",
            s(&model),
            "--leave-one-out",
        ],
        "--threads 10000: give 1 to",
        None,
    );
    // k-means with more clusters than distinct points
    let dup = write(dir.path(), "dup.csv", b"a,b\n1,1\n1,1\n1,1\n2,2\n");
    refused_fit(
        "kmeans",
        &dup,
        &["--n-clusters", "3"],
        "3 clusters cannot be fitted on 2 distinct points",
        &out,
    );
}

#[test]
fn a_reference_row_out_of_range_names_the_option_before_any_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_small(dir.path());
    for command in ["explain", "evaluate"] {
        let out = neon(&[
            command,
            "--model",
            s(&model),
            "--leave-one-out",
            "--target",
            "outlier",
            "--method",
            "occlusion",
            "--reference-row",
            "440",
        ]);
        let out = if command == "evaluate" {
            neon(&[
                command,
                "--model",
                s(&model),
                "--leave-one-out",
                "--target",
                "outlier",
                "--reference-row",
                "440",
            ])
        } else {
            out
        };
        assert!(!out.status.success(), "{command}");
        assert!(
            stderr(&out).contains(
                "parameter --reference-row: training row 440 is out of range (the model has 3 training rows"
            ),
            "{command}: {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty(), "{command} printed before failing");
    }
}

#[test]
fn missing_values_can_be_dropped_or_imputed_explicitly_and_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    // line 3 has NA, line 4 is blank, line 6 has an empty field
    let data = write(dir.path(), "gaps.csv", b"a,b\n1,2\n3,NA\n\n5,7\n2,\n4,5\n");
    let model = dir.path().join("m.json");
    let fit = |policy: Option<&str>| {
        let mut args = vec!["fit", "kde", "--data", s(&data), "--gamma", "1"];
        if let Some(p) = policy {
            args.extend(["--missing", p]);
        }
        args.extend(["-o", s(&model)]);
        neon(&args)
    };
    // by default a missing value is an error naming its column and row
    refused(
        &[
            "fit",
            "kde",
            "--data",
            s(&data),
            "--gamma",
            "1",
            "-o",
            s(&model),
        ],
        "column b, row 3: missing value",
        Some(&model),
    );
    let out = fit(Some("drop"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("dropped 2 row(s) with missing values (rows 3, 6)"),
        "{}",
        stderr(&out)
    );
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).expect("model")).expect("json");
    assert_eq!(
        file["model"]["points"]["dim"],
        serde_json::json!([3, 2]),
        "the three complete rows are kept"
    );
    let out = fit(Some("median"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("column b: 2 missing value(s) set to the median 5"),
        "{}",
        stderr(&out)
    );
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).expect("model")).expect("json");
    assert_eq!(file["model"]["points"]["dim"], serde_json::json!([5, 2]));
    assert!(!fit(None).status.success());
    refused(
        &[
            "fit",
            "kde",
            "--data",
            s(&data),
            "--gamma",
            "1",
            "--missing",
            "zero",
            "-o",
            s(&model),
        ],
        "invalid value 'zero'",
        None,
    );
}

#[test]
fn output_folders_appear_whole_and_never_replace_foreign_folders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_small(dir.path());
    // a folder with the user's own files is refused, and left as it was
    let foreign = dir.path().join("mine");
    std::fs::create_dir(&foreign).expect("mkdir");
    std::fs::write(foreign.join("notes.txt"), b"keep").expect("write");
    refused(
        &[
            "evaluate",
            "--model",
            s(&model),
            "--leave-one-out",
            "--target",
            "outlier",
            "--methods",
            "neon",
            "--random-orders",
            "2",
            "--out-dir",
            s(&foreign),
        ],
        "neon did not write",
        None,
    );
    assert_eq!(
        std::fs::read(foreign.join("notes.txt")).expect("read"),
        b"keep"
    );
    // a stale staging folder of a killed run (pid 0 never runs) is cleaned up, and the new
    // folder holds exactly this run's figures
    let plots = dir.path().join("plots");
    let stale = dir.path().join(".plots.0.partial");
    std::fs::create_dir(&stale).expect("mkdir");
    std::fs::write(stale.join("half.png"), b"").expect("write");
    let out = neon(&[
        "evaluate",
        "--model",
        s(&model),
        "--leave-one-out",
        "--target",
        "outlier",
        "--methods",
        "neon",
        "--random-orders",
        "2",
        "--out-dir",
        s(&plots),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stale.exists(), "stale staging folder removed");
    assert!(plots.join("outlier-removal.png").is_file());
    assert!(plots.join(".neon-output").is_file());
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
