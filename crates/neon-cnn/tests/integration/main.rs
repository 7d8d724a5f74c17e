//! The integration tests of `neon-cnn`, one test binary (one link) for the crate.

mod explain;
mod fixtures;
mod hed_weights;
mod hostile_weights;
