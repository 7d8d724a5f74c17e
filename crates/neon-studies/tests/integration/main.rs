//! The integration tests of `neon-studies`, one test binary (one link) for the crate.

mod images;
mod wholesale;
