//! The image studies (§5.2, Figs. 7–8): test images and, with a VGG-16, pixel heatmaps of
//! outlierness, inlierness and cluster membership.

pub mod texture;

pub use texture::{wood_texture, Texture};
