//! Chart builders. Each one stores its inputs, validates them in `render`, and draws the same
//! picture as SVG and PNG ([`crate::Figure`]).

mod axes;
mod bar;
mod boxplot;
mod heatmap;
mod line;
mod scatter;
mod strip;

pub use bar::{BarChart, BarSeries, Orientation};
pub use boxplot::{BoxGroup, BoxPlots, BoxStats};
pub use heatmap::{largest_abs, HeatmapPanel, HeatmapScale};
pub use line::{Curve, LineChart};
pub use scatter::ScatterMap;
pub use strip::StripChart;

#[cfg(test)]
pub(crate) mod test_support {
    use crate::figure::Figure;

    /// Decode the PNG, check its size and that it is not one flat colour.
    pub(crate) fn assert_png(fig: &Figure, size: (u32, u32)) {
        let img = image::load_from_memory_with_format(&fig.png, image::ImageFormat::Png)
            .expect("PNG decodes")
            .to_rgb8();
        assert_eq!(img.dimensions(), size);
        let first = img.get_pixel(0, 0);
        assert!(img.pixels().any(|p| p != first), "PNG is a single colour");
        // dark pixels: axes and (rasterised) text
        let dark = img.pixels().filter(|p| p.0.iter().all(|&c| c < 90)).count();
        assert!(
            dark > 200,
            "PNG has almost no dark (text/axis) pixels: {dark}"
        );
    }

    /// Check that the SVG is a document that contains `needles` as (escaped) text.
    pub(crate) fn assert_svg_contains(fig: &Figure, needles: &[&str]) {
        assert!(fig.svg.starts_with("<svg"), "not an SVG document");
        assert!(fig.svg.contains("font-family=\"sans-serif\""));
        for needle in needles {
            assert!(fig.svg.contains(needle), "SVG lacks {needle:?}");
        }
    }
}
