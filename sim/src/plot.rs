//! Figures (plotters, SVG). Text is drawn with DejaVu Sans from the `dejavu` crate, registered
//! once, so no system font or fontconfig is needed.
//!
//! - [`forecast_svg`]: a forecast against what happened, with its 90% band.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

/// The font family every figure uses.
pub(crate) const FONT: &str = "sans-serif";

pub(crate) fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped by the `dejavu` crate.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

/// One forecast window to draw: hours from the origin on the x axis.
#[derive(Clone, Copy, Debug)]
pub struct ForecastFigure<'a> {
    /// Title line.
    pub title: &'a str,
    /// Unit of the y axis, e.g. `vCPU-hours submitted`.
    pub y_label: &'a str,
    /// What happened.
    pub actual: &'a [f64],
    /// The point forecast.
    pub forecast: &'a [f64],
    /// Lower edge of the band.
    pub lower: &'a [f64],
    /// Upper edge of the band.
    pub upper: &'a [f64],
}

/// Draw `figure` to an SVG file at `path`.
pub fn forecast_svg(path: &Path, figure: &ForecastFigure<'_>) -> Result<(), String> {
    register_font();
    let n = figure.actual.len();
    let y_max = [figure.actual, figure.forecast, figure.upper]
        .iter()
        .flat_map(|s| s.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.05;
    let root = SVGBackend::new(path, (1000, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(figure.title, (FONT, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..n as f64, 0f64..y_max)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("hours since the origin")
        .y_desc(figure.y_label)
        .label_style((FONT, 12))
        .draw()
        .map_err(|e| e.to_string())?;
    let band: Vec<(f64, f64)> = (0..n)
        .map(|i| (i as f64, figure.upper[i]))
        .chain((0..n).rev().map(|i| (i as f64, figure.lower[i])))
        .collect();
    chart
        .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.15).filled())))
        .map_err(|e| e.to_string())?
        .label("90% band")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLUE.mix(0.15).filled()));
    let line = |values: &[f64]| -> Vec<(f64, f64)> {
        values.iter().enumerate().map(|(i, v)| (i as f64, *v)).collect()
    };
    chart
        .draw_series(LineSeries::new(line(figure.actual), BLACK.stroke_width(1)))
        .map_err(|e| e.to_string())?
        .label("actual")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK));
    chart
        .draw_series(LineSeries::new(line(figure.forecast), BLUE.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label("forecast")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLUE.stroke_width(2)));
    chart
        .configure_series_labels()
        .label_font((FONT, 12))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forecast_figure_has_its_lines_band_and_text() {
        let actual: Vec<f64> = (0..48).map(|i| 10.0 + (i % 24) as f64).collect();
        let forecast: Vec<f64> = actual.iter().map(|a| a + 1.0).collect();
        let lower: Vec<f64> = forecast.iter().map(|f| f - 3.0).collect();
        let upper: Vec<f64> = forecast.iter().map(|f| f + 3.0).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.svg");
        let figure = ForecastFigure {
            title: "test title",
            y_label: "units",
            actual: &actual,
            forecast: &forecast,
            lower: &lower,
            upper: &upper,
        };
        forecast_svg(&path, &figure).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        for text in ["test title", "hours since the origin", "90% band", "forecast", "actual"] {
            assert!(svg.contains(text), "missing {text}");
        }
        assert!(svg.contains("<polygon") && svg.matches("<polyline").count() >= 2);
    }
}
