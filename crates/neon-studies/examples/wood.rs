//! Write a generated wood texture with a scratch, and its mask, as PNG files.
//! `cargo run -p neon-xai-studies --example wood -- OUT_DIR [SEED]`

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(args.get(1).map(String::as_str).unwrap_or("."));
    let seed = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(0);
    let t = neon_xai_studies::images::wood_texture(448, seed, true);
    let (h, w, _) = t.image.dim();
    let rgb = image::RgbImage::from_raw(w as u32, h as u32, t.image.iter().copied().collect())
        .ok_or("bad image buffer")?;
    rgb.save(out.join("wood.png"))?;
    let mask = image::GrayImage::from_raw(
        w as u32,
        h as u32,
        t.mask.iter().map(|&m| if m { 255 } else { 0 }).collect(),
    )
    .ok_or("bad mask buffer")?;
    mask.save(out.join("wood_mask.png"))?;
    Ok(())
}
