//! Helpers shared by the CLI's end-to-end tests: run the binary, read its streams, find the
//! shipped data.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run `neon` with `args`.
pub fn neon(args: &[&str]) -> Output {
    neon_env(args, &[])
}

/// Run `neon` with `args` and extra environment variables.
pub fn neon_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_neon"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run neon")
}

/// The standard error of a run, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The standard output of a run, as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The Wholesale customers CSV shipped in `data/`.
pub fn wholesale() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/wholesale_customers.csv")
}

/// The six spending columns of the Wholesale data.
pub const SPENDING: &str = "Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen";

/// Run `neon` with `args`, require success, and return its standard output.
pub fn ok(args: &[&str]) -> String {
    let out = neon(args);
    assert!(
        out.status.success(),
        "neon {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Fit a `kind` model on the Wholesale spending columns (log, standardize) with the extra
/// fit options `options`, written to `dir/file`.
pub fn fit_wholesale(dir: &Path, file: &str, kind: &str, options: &[&str]) -> PathBuf {
    let model = dir.join(file);
    let data = wholesale();
    let mut args = vec![
        "fit",
        kind,
        "--data",
        data.to_str().expect("path"),
        "--columns",
        SPENDING,
        "--transform",
        "log,standardize",
    ];
    args.extend(options);
    args.extend(["-o", model.to_str().expect("path")]);
    ok(&args);
    model
}

/// Fit the Wholesale KDE (log, standardize, γ = 1) into `dir`.
pub fn fit_kde(dir: &Path) -> PathBuf {
    fit_wholesale(dir, "kde.json", "kde", &["--gamma", "1"])
}

/// Fit the Wholesale k-means (log, standardize, K = 6, seed 0) into `dir`.
pub fn fit_kmeans(dir: &Path) -> PathBuf {
    fit_wholesale(
        dir,
        "kmeans.json",
        "kmeans",
        &["--n-clusters", "6", "--seed", "0"],
    )
}
