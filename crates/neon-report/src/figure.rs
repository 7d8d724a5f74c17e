//! [`Figure`]: one chart rendered twice, as SVG text and as PNG bytes, from the same drawing code.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};
use plotters::style::{IntoFont, RGBColor, TextStyle, WHITE};

use crate::color::encode_png;
use crate::error::ReportError;
use crate::font;
use crate::io::write_atomic;

/// A rendered chart: the same picture as an SVG document and as a PNG image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// The SVG document (text refers to `font-family="sans-serif"`).
    pub svg: String,
    /// The PNG image, text rasterised with the embedded DejaVu Sans font.
    pub png: Vec<u8>,
}

impl Figure {
    /// Write `dir/stem.svg` and `dir/stem.png`, each atomically (temporary sibling, then rename).
    pub fn save(&self, dir: impl AsRef<Path>, stem: &str) -> Result<(), ReportError> {
        let dir = dir.as_ref();
        write_atomic(&dir.join(format!("{stem}.svg")), self.svg.as_bytes())?;
        write_atomic(&dir.join(format!("{stem}.png")), &self.png)
    }
}

/// The smallest figure side accepted, in pixels.
pub(crate) const MIN_SIDE: u32 = 100;

/// Text sizes in pixels, shared by every chart.
pub(crate) const TITLE_SIZE: f64 = 22.0;
pub(crate) const LABEL_SIZE: f64 = 17.0;
pub(crate) const TICK_SIZE: f64 = 14.0;

/// Axis and text colour.
pub(crate) const INK: RGBColor = RGBColor(30, 30, 30);

pub(crate) fn text_style(size: f64) -> TextStyle<'static> {
    (font::FAMILY, size).into_font().color(&INK)
}

/// Something that can draw itself on any plotters backend.
pub(crate) trait Draw {
    /// Draw onto `area`, which has already been filled white.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ReportError>;
}

/// Check a requested figure size.
pub(crate) fn check_size((width, height): (u32, u32)) -> Result<(), ReportError> {
    if width < MIN_SIDE || height < MIN_SIDE {
        Err(ReportError::FigureTooSmall {
            width,
            height,
            min: MIN_SIDE,
        })
    } else {
        Ok(())
    }
}

/// Render `chart` at `size` pixels as SVG and as PNG.
pub(crate) fn render<C: Draw>(chart: &C, size: (u32, u32)) -> Result<Figure, ReportError> {
    check_size(size)?;
    font::ensure_registered()?;

    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        area.fill(&WHITE).map_err(crate::error::draw_err)?;
        chart.draw(&area)?;
        area.present().map_err(crate::error::draw_err)?;
    }

    let mut rgb = vec![255_u8; size.0 as usize * size.1 as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        area.fill(&WHITE).map_err(crate::error::draw_err)?;
        chart.draw(&area)?;
        area.present().map_err(crate::error::draw_err)?;
    }
    let png = encode_png(&rgb, size.0, size.1)?;
    Ok(Figure { svg, png })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_writes_both_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fig = Figure {
            svg: "<svg/>".to_string(),
            png: vec![1, 2, 3],
        };
        fig.save(dir.path(), "fig4").expect("save");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("fig4.svg")).expect("svg"),
            "<svg/>"
        );
        assert_eq!(
            std::fs::read(dir.path().join("fig4.png")).expect("png"),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn tiny_sizes_are_rejected() {
        assert!(matches!(
            check_size((50, 400)),
            Err(ReportError::FigureTooSmall { .. })
        ));
        assert!(check_size((100, 100)).is_ok());
    }
}
