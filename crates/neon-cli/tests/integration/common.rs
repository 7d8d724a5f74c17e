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
    fit_on(&wholesale(), dir, file, kind, options)
}

/// Fit a `kind` model on the spending columns of `data` (log, standardize) with the extra fit
/// options `options`, written to `dir/file`.
pub fn fit_on(data: &Path, dir: &Path, file: &str, kind: &str, options: &[&str]) -> PathBuf {
    let model = dir.join(file);
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

/// Flags and values for the required fit parameters of a registry row (0.5 for reals, 3 for
/// counts, the first name of a choice; of two alternatives the first), so that a test can fit
/// every model.
pub fn required_flags(
    entry: &neon_xai::models::ModelEntry,
) -> (
    Vec<String>,
    Vec<(&'static str, neon_xai::models::ParamValue)>,
) {
    use neon_xai::models::{ParamKind, ParamValue};
    let mut flags = Vec::new();
    let mut values = Vec::new();
    for p in entry.params.iter().filter(|p| p.default.is_none()) {
        // of two alternatives (a KDE's gamma or bandwidth) the first one
        if p.alternative
            .is_some_and(|a| values.iter().any(|(n, _)| *n == a))
        {
            continue;
        }
        let (text, value) = match p.kind {
            ParamKind::Real => ("0.5", ParamValue::Real(0.5)),
            ParamKind::Count | ParamKind::Seed => ("3", ParamValue::Integer(3)),
            ParamKind::Choice(names) => (names[0], ParamValue::Choice(names[0])),
        };
        flags.push(format!("--{}", p.name.replace('_', "-")));
        flags.push(text.to_string());
        values.push((p.name, value));
    }
    (flags, values)
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
