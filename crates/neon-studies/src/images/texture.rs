//! A deterministic generator of wood-grain textures with an optional thin scratch and its mask —
//! the test image of the anomaly study (Fig. 7 set-up), written from scratch so that no
//! third-party pixels are needed.

use ndarray::{Array2, Array3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A generated texture: RGB pixels (height × width × 3) and the scratch mask (height × width).
#[derive(Debug, Clone)]
pub struct Texture {
    /// RGB image, row-major, `u8`.
    pub image: Array3<u8>,
    /// `true` on scratch pixels (all `false` for a clean texture).
    pub mask: Array2<bool>,
}

/// Smooth value noise on a lattice of spacing `cell` pixels.
struct ValueNoise {
    grid: Array2<f64>,
    cell: f64,
}

impl ValueNoise {
    fn new(width: usize, height: usize, cell: f64, rng: &mut ChaCha8Rng) -> Self {
        let gw = (width as f64 / cell).ceil() as usize + 2;
        let gh = (height as f64 / cell).ceil() as usize + 2;
        let grid = Array2::from_shape_simple_fn((gh, gw), || rng.gen::<f64>() * 2.0 - 1.0);
        ValueNoise { grid, cell }
    }

    fn at(&self, x: f64, y: f64) -> f64 {
        let (gx, gy) = (x / self.cell, y / self.cell);
        let (ix, iy) = (gx.floor() as usize, gy.floor() as usize);
        let smooth = |t: f64| t * t * (3.0 - 2.0 * t);
        let (tx, ty) = (smooth(gx - ix as f64), smooth(gy - iy as f64));
        let g = |r: usize, c: usize| {
            self.grid[[r.min(self.grid.nrows() - 1), c.min(self.grid.ncols() - 1)]]
        };
        let top = g(iy, ix) * (1.0 - tx) + g(iy, ix + 1) * tx;
        let bottom = g(iy + 1, ix) * (1.0 - tx) + g(iy + 1, ix + 1) * tx;
        top * (1.0 - ty) + bottom * ty
    }
}

/// Generate a `size × size` wood panel from `seed`: vertical grain with wavy growth rings and
/// fine fibres; with `scratch`, a thin pale horizontal scratch across the middle part of the
/// panel, whose pixels are `true` in the mask.
pub fn wood_texture(size: usize, seed: u64, scratch: bool) -> Texture {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let warp = ValueNoise::new(size, size, 96.0, &mut rng);
    let warp_fine = ValueNoise::new(size, size, 24.0, &mut rng);
    let fibre = ValueNoise::new(size, size, 3.0, &mut rng);
    let period = 18.0 + 6.0 * rng.gen::<f64>();
    let light = [196.0, 150.0, 98.0];
    let dark = [122.0, 80.0, 42.0];
    let mut image = Array3::<u8>::zeros((size, size, 3));
    for y in 0..size {
        for x in 0..size {
            let (xf, yf) = (x as f64, y as f64);
            // vertical grain: rings are functions of x, warped slowly along y
            let u = xf + 14.0 * warp.at(xf, yf * 0.25) + 3.0 * warp_fine.at(xf, yf * 0.5);
            let ring = 0.5 + 0.5 * (std::f64::consts::TAU * u / period).sin();
            let ring = ring.powf(1.6);
            let t = (ring + 0.12 * fibre.at(xf, yf * 0.15)).clamp(0.0, 1.0);
            for c in 0..3 {
                image[[y, x, c]] = (light[c] * (1.0 - t) + dark[c] * t).round() as u8;
            }
        }
    }
    let mut mask = Array2::from_elem((size, size), false);
    if scratch {
        let y0 = size as f64 * (0.42 + 0.16 * rng.gen::<f64>());
        let x_start = (size as f64 * 0.2) as usize;
        let x_end = (size as f64 * 0.8) as usize;
        let phase = rng.gen::<f64>() * std::f64::consts::TAU;
        let half_width = 1.6;
        for x in x_start..x_end {
            let yc = y0 + 4.0 * ((x as f64) / 53.0 + phase).sin() + 0.02 * (x - x_start) as f64;
            let lo = (yc - half_width).floor().max(0.0) as usize;
            let hi = ((yc + half_width).ceil() as usize).min(size - 1);
            for y in lo..=hi {
                let distance = (y as f64 - yc).abs();
                if distance <= half_width {
                    mask[[y, x]] = true;
                    let strength = 1.0 - 0.3 * distance / half_width;
                    for (c, pale) in [236.0, 222.0, 196.0].iter().enumerate() {
                        let v = image[[y, x, c]] as f64;
                        image[[y, x, c]] = (v * (1.0 - strength) + pale * strength).round() as u8;
                    }
                }
            }
        }
    }
    Texture { image, mask }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_for_a_seed_and_different_across_seeds() {
        let a = wood_texture(128, 3, true);
        let b = wood_texture(128, 3, true);
        assert_eq!(a.image, b.image);
        assert_eq!(a.mask, b.mask);
        let c = wood_texture(128, 4, true);
        assert_ne!(a.image, c.image);
    }

    #[test]
    fn scratch_is_thin_horizontal_and_masked() {
        let t = wood_texture(448, 1, true);
        let painted = t.mask.iter().filter(|&&m| m).count();
        // about 60 % of the width, 3–4 px thick
        assert!(
            painted > 448 * 6 / 10 * 2 && painted < 448 * 6 / 10 * 5,
            "{painted}"
        );
        let rows: Vec<usize> = (0..448)
            .filter(|&y| t.mask.row(y).iter().any(|&m| m))
            .collect();
        assert!(rows.len() < 30, "scratch spans {} rows", rows.len());
        // scratch pixels are paler than the panel on average
        let mean = |on: bool| {
            let v: Vec<f64> = t
                .mask
                .indexed_iter()
                .filter(|(_, &m)| m == on)
                .map(|((y, x), _)| t.image[[y, x, 0]] as f64)
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        assert!(mean(true) > mean(false) + 30.0);
        let clean = wood_texture(448, 1, false);
        assert!(clean.mask.iter().all(|&m| !m));
    }
}
