//! One function per subcommand: parse → validate → call the library → print/write.

pub mod bench;
mod bench_cnn;
mod demo;
pub mod evaluate;
mod explain;
mod fit;
pub mod image;
pub mod plot;
pub mod report;

use crate::cli::{Cli, Command};

/// Run the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let show_progress = !cli.quiet;
    match cli.command {
        Command::Fit(fit) => fit::run(fit),
        Command::Score(args) => explain::score(args),
        Command::Explain(args) => explain::explain(args, show_progress),
        Command::Demo(demo) => demo::run(demo, show_progress),
        Command::Evaluate(args) => evaluate::run(args, show_progress),
        Command::Bench(args) => bench::run(args, show_progress),
        Command::ExplainImage(args) => image::explain_image(args, show_progress),
        Command::Plot(args) => plot::run(args),
        Command::Report(args) => report::run(args, show_progress),
    }
}
