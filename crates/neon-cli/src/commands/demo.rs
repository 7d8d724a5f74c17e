//! `neon demo …`: the chapter's studies end to end.

use crate::cli::DemoCommand;

pub fn run(command: DemoCommand, _show_progress: bool) -> anyhow::Result<()> {
    match command {
        DemoCommand::Wholesale(_args) => {
            anyhow::bail!("the Wholesale report is not available in this build yet")
        }
    }
}
