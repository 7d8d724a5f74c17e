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

/// The error and its causes on one line; a cause whose text the message already shows (library
/// errors print their I/O cause themselves) is not repeated.
fn message(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
