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
