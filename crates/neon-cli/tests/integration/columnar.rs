//! Parquet and Arrow IPC in and out: the same rows give the same numbers as CSV, read whole
//! or chunk by chunk; explanations and scores written as Parquet/Arrow read back to the numbers
//! of the CSV output.

use crate::common::{fit_on, neon, ok, stderr, wholesale};
use neon_xai::data::{Columnar, ColumnarWriter, OutputColumn};
use neon_xai::Dataset;
use std::path::{Path, PathBuf};

/// The Wholesale file as Parquet or Arrow: the spending columns as floats, Channel and Region
/// as integers, in batches of 100 rows (several row groups / record batches).
fn write_wholesale(dir: &Path, name: &str) -> PathBuf {
    let data = Dataset::load(&wholesale(), None).expect("csv");
    let path = dir.join(name);
    let format = Columnar::of(&path).expect("columnar name");
    let columns: Vec<OutputColumn> = data
        .feature_names()
        .iter()
        .map(|n| OutputColumn {
            name: n.clone(),
            integer: n == "Channel" || n == "Region",
        })
        .collect();
    let file = std::fs::File::create(&path).expect("create");
    let mut writer = ColumnarWriter::new(file, format, &columns, Vec::new(), name).expect("w");
    let values = data.values();
    for start in (0..values.nrows()).step_by(100) {
        let end = (start + 100).min(values.nrows());
        let batch = (0..values.ncols())
            .map(|c| (start..end).map(|r| values[[r, c]]).collect())
            .collect();
        writer.write(batch).expect("batch");
    }
    writer.finish().expect("finish");
    path
}

fn fit(dir: &Path, data: &Path, file: &str) -> PathBuf {
    fit_on(data, dir, file, "kde", &["--gamma", "1"])
}

#[test]
fn parquet_and_arrow_input_give_the_numbers_of_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = wholesale();
    let from_csv = fit(dir.path(), &csv, "csv.json");
    let reference = ok(&[
        "explain",
        "--model",
        from_csv.to_str().expect("path"),
        "--data",
        csv.to_str().expect("path"),
        "--target",
        "outlier",
        "--format",
        "csv",
    ]);
    for name in ["w.parquet", "w.arrow"] {
        let data = write_wholesale(dir.path(), name);
        // a model fitted on the columnar file is the model fitted on the CSV
        let model = fit(dir.path(), &data, &format!("{name}.json"));
        for chunk in [None, Some("64")] {
            let mut args = vec![
                "explain",
                "--model",
                model.to_str().expect("path"),
                "--data",
                data.to_str().expect("path"),
                "--target",
                "outlier",
                "--format",
                "csv",
            ];
            if let Some(rows) = chunk {
                args.extend(["--chunk-rows", rows]);
            }
            assert_eq!(ok(&args), reference, "{name} {chunk:?}");
        }
        // a column the file lacks is named with what it has
        let out = neon(&[
            "fit",
            "kde",
            "--data",
            data.to_str().expect("path"),
            "--columns",
            "Fresh,Nope",
            "--gamma",
            "1",
            "-o",
            dir.path().join("x.json").to_str().expect("path"),
        ]);
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("unknown column 'Nope'"),
            "{}",
            stderr(&out)
        );
    }
}

/// The CSV output as numbers, by column name.
fn csv_columns(text: &str) -> Vec<(String, Vec<f64>)> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let mut columns: Vec<(String, Vec<f64>)> =
        header.into_iter().map(|h| (h, Vec::new())).collect();
    for record in reader.records() {
        let record = record.expect("record");
        for (column, cell) in columns.iter_mut().zip(record.iter()) {
            column.1.push(cell.parse().unwrap_or(f64::NAN));
        }
    }
    columns
}

#[test]
fn explanations_and_scores_written_as_parquet_and_arrow_read_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit(dir.path(), &wholesale(), "kde.json");
    let model = model.to_str().expect("path");
    for target in ["outlier", "inlier-rff"] {
        let base = [
            "explain",
            "--model",
            model,
            "--leave-one-out",
            "--target",
            target,
            "--trials",
            "2",
        ];
        let mut csv_args = base.to_vec();
        csv_args.extend(["--format", "csv"]);
        let expected = csv_columns(&ok(&csv_args));
        for name in ["e.parquet", "e.arrow"] {
            let out = dir.path().join(format!("{target}-{name}"));
            let mut args = base.to_vec();
            // the format follows from the file name
            args.extend(["-o", out.to_str().expect("path")]);
            ok(&args);
            let back = Dataset::load(&out, None).expect("read back");
            let names: Vec<&str> = back.feature_names().iter().map(String::as_str).collect();
            let expected_names: Vec<&str> = expected.iter().map(|c| c.0.as_str()).collect();
            assert_eq!(names, expected_names, "{target} {name}");
            for (c, (column, values)) in expected.iter().enumerate() {
                let got = back.values().column(c).to_vec();
                assert_eq!(&got, values, "{target} {name} column {column}");
            }
            assert_eq!(back.n_rows(), 440);
        }
    }
    // scores, with the cluster column of k-means
    let km = fit_on(
        &wholesale(),
        dir.path(),
        "km.json",
        "kmeans",
        &["--n-clusters", "4"],
    );
    let score = |extra: &[&str]| {
        let mut args = vec![
            "score",
            "--model",
            km.to_str().expect("path"),
            "--leave-one-out",
        ];
        args.extend(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let csv_args = score(&["--format", "csv"]);
    let expected = csv_columns(&ok(&csv_args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()));
    let out = dir.path().join("scores.parquet");
    let args = score(&["--format", "parquet", "-o", out.to_str().expect("path")]);
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let back = Dataset::load(&out, None).expect("scores");
    assert_eq!(back.feature_names(), ["row", "score", "cluster"]);
    for (c, (_, values)) in expected.iter().enumerate() {
        assert_eq!(&back.values().column(c).to_vec(), values);
    }
    // a binary format is not written to a terminal
    let out = neon(&[
        "score",
        "--model",
        model,
        "--leave-one-out",
        "--format",
        "parquet",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("give -o FILE"), "{}", stderr(&out));
}
