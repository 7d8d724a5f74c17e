//! The integration tests of `neon-cli`, one test binary (one link) for the crate.

mod cli;
mod columnar;
mod common;
mod evaluate;
mod explain_image;
mod hostile;
mod plot;
mod report;
mod schema;
mod stream;
