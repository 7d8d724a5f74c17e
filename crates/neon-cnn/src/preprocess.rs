//! Input preprocessing presets and image loading (PNG/JPEG, optional resize).
//!
//! * `torchvision`: RGB, scaled to `[0, 1]`, then `(x − mean) / std` with ImageNet's
//!   mean `(0.485, 0.456, 0.406)` and std `(0.229, 0.224, 0.225)`.
//! * `caffe`: BGR, `[0, 255]`, minus the mean `B, G, R = 104.00699, 116.66877, 122.67892`
//!   (what Keras' VGG16 and HED expect).
//!
//! The per-channel bounds of the preprocessed input (image values 0 and 255 mapped through the
//! preset) are the box of the z^B rule.

use std::path::Path;

use image::imageops::FilterType;
use ndarray::Array3;
use serde::Serialize;

use crate::error::{CnnError, Result};
use crate::lrp::InputBounds;

/// The smallest image side VGG-16 accepts (five 2×2 poolings).
pub const MIN_SIDE: usize = 32;

const TV_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const TV_STD: [f32; 3] = [0.229, 0.224, 0.225];
const CAFFE_MEAN_BGR: [f32; 3] = [104.00699, 116.66877, 122.67892];

/// A preprocessing preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preprocess {
    /// RGB, /255, ImageNet mean/std (torchvision weights).
    Torchvision,
    /// BGR, 0..255, minus the Caffe BGR mean (Keras VGG16, HED weights).
    Caffe,
}

impl Preprocess {
    /// Parse `torchvision` or `caffe`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "torchvision" | "torch" => Ok(Preprocess::Torchvision),
            "caffe" | "keras" => Ok(Preprocess::Caffe),
            _ => Err(CnnError::UnknownName {
                kind: "preprocessing",
                name: name.into(),
                known: vec!["torchvision".into(), "caffe".into()],
            }),
        }
    }

    /// The preset's name.
    pub fn name(&self) -> &'static str {
        match self {
            Preprocess::Torchvision => "torchvision",
            Preprocess::Caffe => "caffe",
        }
    }

    /// Network input channel `c` from an RGB pixel with values in `0..=255`.
    pub fn apply_pixel(&self, rgb: [f32; 3], c: usize) -> f32 {
        match self {
            Preprocess::Torchvision => (rgb[c] / 255.0 - TV_MEAN[c]) / TV_STD[c],
            Preprocess::Caffe => rgb[2 - c] - CAFFE_MEAN_BGR[c],
        }
    }

    /// Preprocess an RGB image (`(height, width, 3)`, values `0..=255`) into the network input (HWC).
    pub fn apply(&self, rgb: &Array3<f32>) -> Array3<f32> {
        let (h, w, _) = rgb.dim();
        Array3::from_shape_fn((h, w, 3), |(y, x, c)| {
            self.apply_pixel([rgb[[y, x, 0]], rgb[[y, x, 1]], rgb[[y, x, 2]]], c)
        })
    }

    /// Per-channel bounds of the preprocessed input: the images of pixel values 0 and 255.
    pub fn bounds(&self) -> InputBounds {
        let lo: Vec<f32> = (0..3).map(|c| self.apply_pixel([0.0; 3], c)).collect();
        let hi: Vec<f32> = (0..3).map(|c| self.apply_pixel([255.0; 3], c)).collect();
        InputBounds { low: lo, high: hi }
    }
}

/// How to resize an image before preprocessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case", tag = "mode", content = "pixels")]
pub enum Resize {
    /// Keep the image's size.
    #[default]
    Keep,
    /// Resize to `n × n` (aspect ratio not kept).
    Square(u32),
    /// Resize so that the shorter side is `n`, keeping the aspect ratio.
    ShorterSide(u32),
}

/// Load a PNG or JPEG as an RGB array `(height, width, 3)` with values `0..=255`, resized, and
/// refuse images with a side under [`MIN_SIDE`].
pub fn load_image(path: &Path, resize: Resize) -> Result<Array3<f32>> {
    let image_error = |reason: String| CnnError::Image {
        path: path.to_path_buf(),
        reason,
    };
    // the size from the header, before anything is decoded: the format is sniffed from the
    // content (a JPEG named .png is read as the JPEG it is)
    let (w, h) = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|source| CnnError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .into_dimensions()
        .map_err(|e| image_error(e.to_string()))?;
    check_pixels(w, h, "decoded").map_err(image_error)?;
    if let Some((nw, nh)) = resized_size(w, h, resize) {
        check_pixels(nw, nh, "resized").map_err(image_error)?;
    }
    let img = image::ImageReader::open(path)
        .map_err(|source| CnnError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .with_guessed_format()
        .map_err(|source| CnnError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .decode()
        .map_err(|e| CnnError::Image {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    let img = img.to_rgb8();
    let img = match resize {
        Resize::Keep => img,
        Resize::Square(n) => image::imageops::resize(&img, n, n, FilterType::Triangle),
        Resize::ShorterSide(n) => {
            let (w, h) = img.dimensions();
            let s = n as f64 / w.min(h).max(1) as f64;
            let (nw, nh) = (
                ((w as f64 * s).round() as u32).max(1),
                ((h as f64 * s).round() as u32).max(1),
            );
            image::imageops::resize(&img, nw, nh, FilterType::Triangle)
        }
    };
    let (w, h) = (img.width() as usize, img.height() as usize);
    check_side(w, h).map_err(|e| image_error(e.to_string()))?;
    let raw = img.into_raw();
    Array3::from_shape_vec((h, w, 3), raw.into_iter().map(f32::from).collect()).map_err(|e| {
        CnnError::Image {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    })
}

/// Largest image neon decodes or resizes to, in pixels (64 MP: 768 MiB as the `f32` RGB array
/// the network reads); larger inputs are refused before anything is allocated.
pub const MAX_PIXELS: u64 = 64_000_000;

fn check_pixels(width: u32, height: u32, what: &str) -> std::result::Result<(), String> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(format!(
            "the {what} image would be {width}x{height} px ({:.0} MP), above the limit of {} MP",
            pixels as f64 / 1e6,
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

/// The size `resize` gives a `width × height` image (`None`: unchanged).
fn resized_size(width: u32, height: u32, resize: Resize) -> Option<(u32, u32)> {
    match resize {
        Resize::Keep => None,
        Resize::Square(n) => Some((n, n)),
        Resize::ShorterSide(n) => {
            let s = f64::from(n) / f64::from(width.min(height).max(1));
            Some((
                ((f64::from(width) * s).round() as u32).max(1),
                ((f64::from(height) * s).round() as u32).max(1),
            ))
        }
    }
}

/// Refuse an input with a side under [`MIN_SIDE`].
pub fn check_side(width: usize, height: usize) -> Result<()> {
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(CnnError::ImageTooSmall {
            width,
            height,
            min: MIN_SIDE,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CRC-32 (IEEE) of `bytes`, for hand-made PNG chunks.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A PNG whose header announces `w × h` grey pixels (no pixel data follows).
    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend(w.to_be_bytes());
        ihdr.extend(h.to_be_bytes());
        ihdr.extend([8, 0, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut chunk = |body: &[u8]| {
            png.extend(((body.len() - 4) as u32).to_be_bytes());
            png.extend(body);
            png.extend(crc32(body).to_be_bytes());
        };
        chunk(&ihdr);
        // an IDAT with an empty zlib stream: the header is complete, the pixels are not there
        chunk(b"IDAT\x78\x9c\x03\x00\x00\x00\x00\x01");
        chunk(b"IEND");
        png
    }

    #[test]
    fn huge_images_are_refused_from_their_header_and_name_the_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("huge.png");
        std::fs::write(&path, png_header(20_000, 20_000)).unwrap_or_else(|e| panic!("{e}"));
        let err = load_image(&path, Resize::Keep)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("huge.png") && err.contains("20000x20000 px (400 MP)"),
            "{err}"
        );
        // a small image asked to grow beyond the limit
        let small = dir.path().join("small.png");
        image::RgbImage::new(40, 40)
            .save(&small)
            .unwrap_or_else(|e| panic!("{e}"));
        let err = load_image(&small, Resize::ShorterSide(100_000))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("resized image would be 100000x100000"),
            "{err}"
        );
        assert!(load_image(&small, Resize::Keep).is_ok());
        // a JPEG named .png is read as the JPEG it is
        let jpeg = dir.path().join("photo.png");
        image::RgbImage::new(40, 48)
            .save_with_format(&jpeg, image::ImageFormat::Jpeg)
            .unwrap_or_else(|e| panic!("{e}"));
        let img = load_image(&jpeg, Resize::Keep).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(img.dim(), (48, 40, 3));
    }

    #[test]
    fn caffe_is_bgr_minus_mean_and_torchvision_is_imagenet_normalised() {
        let rgb = Array3::from_shape_vec((1, 1, 3), vec![255.0, 128.0, 0.0]).unwrap_or_default();
        let c = Preprocess::Caffe.apply(&rgb);
        assert!((c[[0, 0, 0]] - (0.0 - 104.00699)).abs() < 1e-4);
        assert!((c[[0, 0, 2]] - (255.0 - 122.67892)).abs() < 1e-4);
        let t = Preprocess::Torchvision.apply(&rgb);
        assert!((t[[0, 0, 0]] - (1.0 - 0.485) / 0.229).abs() < 1e-5);
        let b = Preprocess::Torchvision.bounds();
        assert!(
            (b.low[1] + 0.456 / 0.224).abs() < 1e-5
                && (b.high[2] - (1.0 - 0.406) / 0.225).abs() < 1e-5
        );
        assert!(Preprocess::parse("tf").is_err());
    }

    #[test]
    fn small_images_are_refused_and_resize_works() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = dir.path().join("small.png");
        image::RgbImage::from_pixel(40, 20, image::Rgb([10, 20, 30]))
            .save(&p)
            .unwrap_or_else(|e| panic!("{e}"));
        let err = load_image(&p, Resize::Keep)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("40x20") && err.contains("at least 32"),
            "{err}"
        );
        let img = load_image(&p, Resize::ShorterSide(32)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(img.dim(), (32, 64, 3));
        let img = load_image(&p, Resize::Square(48)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(img.dim(), (48, 48, 3));
        assert_eq!(img[[5, 5, 2]], 30.0);
        let jpg = dir.path().join("x.jpg");
        image::RgbImage::from_pixel(64, 64, image::Rgb([200, 100, 50]))
            .save(&jpg)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            load_image(&jpg, Resize::Keep).map(|a| a.dim()).ok(),
            Some((64, 64, 3))
        );
        assert!(load_image(&dir.path().join("none.png"), Resize::Keep).is_err());
    }
}
