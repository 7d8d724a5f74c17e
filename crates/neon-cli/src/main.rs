//! `neon`: explain the predictions of unsupervised models (KDE, k-means) from the command line.
//! The binary only parses, validates and calls the `neon` libraries; results go to stdout,
//! messages to stderr, and any error exits non-zero.

mod cli;
mod commands;
mod output;
mod progress;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    if let Some(threads) = cli.threads {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let most = (4 * cores).max(256);
        if threads == 0 || threads > most {
            eprintln!(
                "error: --threads {threads}: give 1 to {most} (this machine has {cores} cores)"
            );
            std::process::exit(2);
        }
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
        {
            eprintln!("error: --threads: {e}");
            std::process::exit(2);
        }
    }
    if let Err(error) = commands::run(cli) {
        eprintln!("error: {}", message(&error));
        std::process::exit(1);
    }
}

/// The command-line flag of a library parameter name (`n_clusters` → `--n-clusters`).
fn flag(name: &str) -> String {
    match name {
        "points" => "--data".into(),
        "reference" => "--reference-row".into(),
        _ => format!("--{}", name.replace('_', "-")),
    }
}

/// The error and its causes on one line; a cause whose text the message already shows (library
/// errors print their I/O cause themselves) is not repeated. Library parameters are named by
/// the flag that sets them.
fn message(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    let renames: Vec<(String, String)> = error
        .chain()
        .filter_map(|cause| match cause.downcast_ref::<neon_xai::NeonError>() {
            Some(e) => e.parameter().map(|name| {
                (
                    format!("parameter {name}:"),
                    format!("parameter {}:", flag(name)),
                )
            }),
            None => None,
        })
        .collect();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    for (from, to) in renames {
        text = text.replace(&from, &to);
    }
    text
}
