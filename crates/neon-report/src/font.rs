//! The embedded font.
//!
//! Fresh machines (CI runners, containers) often have no system fonts, so the crate carries
//! DejaVu Sans (`assets/DejaVuSans.ttf`, licence in `assets/LICENSE-DejaVu.txt`) and registers it
//! with plotters' pure-Rust `ab_glyph` text renderer under the generic family names. PNG text is
//! rasterised from these bytes; SVG output refers to `font-family="sans-serif"` and is drawn with
//! whatever sans-serif font the viewer has, laid out with the same metrics.

use std::sync::OnceLock;

use plotters::style::FontStyle;

use crate::error::ReportError;

/// The bytes of DejaVu Sans, embedded at compile time.
pub(crate) const DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The font family every chart uses; the name the SVG output refers to.
pub(crate) const FAMILY: &str = "sans-serif";

/// Family names under which the embedded font is registered, so that any generic family a
/// plotters default refers to resolves to it.
const REGISTERED_NAMES: [&str; 4] = [FAMILY, "serif", "monospace", "DejaVu Sans"];

static REGISTERED: OnceLock<bool> = OnceLock::new();

/// Register the embedded font with plotters (once per process).
pub(crate) fn ensure_registered() -> Result<(), ReportError> {
    let ok = *REGISTERED.get_or_init(|| {
        REGISTERED_NAMES.iter().all(|name| {
            [FontStyle::Normal, FontStyle::Bold]
                .into_iter()
                .all(|style| plotters::style::register_font(name, style, DEJAVU_SANS).is_ok())
        })
    });
    if ok {
        Ok(())
    } else {
        Err(ReportError::Draw(
            "the embedded DejaVu Sans font could not be parsed".to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_registers() {
        assert!(DEJAVU_SANS.len() > 100_000);
        ensure_registered().expect("font registers");
        ensure_registered().expect("second call is a no-op");
    }
}
