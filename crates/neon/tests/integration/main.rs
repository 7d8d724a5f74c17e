//! The integration tests of `neon`, one test binary (one link) for the crate.

mod binary_model_files;
mod compare;
mod conformance;
mod layout;
mod sklearn;
