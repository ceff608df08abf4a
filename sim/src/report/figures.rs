//! The figures of a run, as SVG and PNG (plotters; text in the embedded DejaVu font):
//!
//! - `cost`: the bill by provider and by purchase option (cloud runs);
//! - `capacity`: per shard (the four with the most instance-hours), reserved and booted
//!   capacity against what was busy, hour by hour (cloud runs; GPUs for GPU shards, vCPUs
//!   otherwise);
//! - `waits`: the cumulative distribution of waits per queue (log scale, wait + 1 s);
//! - `forecast` (planned runs): per size tier (the four with the most work), the forecast each
//!   window was planned on, its band (lowest to highest demand scenario) and the demand that
//!   arrived, in busy units hour by hour ([`engine::forecast::Measure::Busy`]).
//!
//! Each figure is drawn once by a function generic over the plotters backend, so the SVG and
//! the PNG show the same thing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use engine::cloud::{Catalog, OfferIx};
use engine::policy::{JobClass, TierForecast, WindowRecord, offer_capacity, tier_series};
use engine::time::SimDuration;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Summary;
use crate::platform::RunOutcome;
use crate::platform::cloud::TimelineRow;
use crate::plot::{FONT, register_font};
use crate::trace::Trace;

/// A figure could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot draw the figure: {message}")]
pub struct FigureError {
    /// The file.
    pub path: String,
    /// The drawing backend's message.
    pub message: String,
}

const SIZE: (u32, u32) = (1000, 480);
const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Writes `NAME.svg` and `NAME.png` into `dir`, drawn by `svg` and `png` (the same generic
/// drawing function, instantiated for each backend).
fn both<F, G>(
    dir: &Path,
    name: &str,
    size: (u32, u32),
    svg: F,
    png: G,
) -> Result<[PathBuf; 2], FigureError>
where
    F: Fn(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
    G: Fn(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
{
    register_font();
    let svg_path = dir.join(format!("{name}.svg"));
    let png_path = dir.join(format!("{name}.png"));
    let err =
        |path: &Path, message: String| FigureError { path: path.display().to_string(), message };
    {
        let root = SVGBackend::new(&svg_path, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&svg_path, e.to_string()))?;
        svg(&root).map_err(|m| err(&svg_path, m))?;
        root.present().map_err(|e| err(&svg_path, e.to_string()))?;
    }
    {
        let root = BitMapBackend::new(&png_path, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&png_path, e.to_string()))?;
        png(&root).map_err(|m| err(&png_path, m))?;
        root.present().map_err(|e| err(&png_path, e.to_string()))?;
    }
    Ok([svg_path, png_path])
}

/// One bar per entry of `values`, named and valued above the bar. The x axis is continuous
/// (bar `i` spans `i + 0.15 .. i + 0.85`), so `n` bars fill exactly `n` slots.
fn bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    values: &BTreeMap<String, f64>,
) -> Result<(), String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let max = values.values().copied().fold(0.0f64, f64::max).max(1e-9) * 1.15;
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 16))
        .margin(10)
        .x_label_area_size(10)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..values.len().max(1) as f64, 0f64..max)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .disable_x_axis()
        .y_desc("USD")
        .label_style((FONT, 12))
        .draw()
        .map_err(|x| e(&x))?;
    chart
        .draw_series(values.values().enumerate().map(|(i, v)| {
            let color = PALETTE[i % PALETTE.len()];
            let x = i as f64;
            Rectangle::new([(x + 0.15, 0.0), (x + 0.85, *v)], color.filled())
        }))
        .map_err(|x| e(&x))?;
    let style = TextStyle::from((FONT, 12).into_font())
        .pos(Pos::new(HPos::Center, VPos::Bottom))
        .color(&BLACK);
    chart
        .draw_series(values.iter().enumerate().map(|(i, (name, v))| {
            Text::new(format!("{name} {v:.0}"), (i as f64 + 0.5, *v + max * 0.01), style.clone())
        }))
        .map_err(|x| e(&x))?;
    Ok(())
}

fn cost<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    summary: &Summary,
) -> Result<(), String> {
    let Some(cost) = &summary.cost_usd else { return Ok(()) };
    let (left, right) = area.split_horizontally(SIZE.0 / 2);
    bars(&left, &format!("cost by provider (total ${:.2})", cost.total), &cost.by_provider)?;
    bars(&right, "cost by purchase option", &cost.by_option)
}

/// One hourly point of a shard: (hours since the first sample, reserved, booted, busy) units.
type Point = (f64, f64, f64, f64);

/// One shard's hourly series.
type Series = Vec<Point>;

/// A line of the capacity figure: its label, colour and the value it draws from a point.
type Line = (&'static str, RGBColor, fn(&Point) -> f64);

fn shard_series(catalog: &Catalog, rows: &[TimelineRow]) -> Vec<(String, bool, Series)> {
    let Some(first) = rows.first().map(|r| r.at) else { return vec![] };
    let mut by_shard: BTreeMap<OfferIx, (u64, Series)> = BTreeMap::new();
    for r in rows {
        let unit = offer_capacity(catalog, r.shard);
        let gpu = unit.gpu_milli > 0;
        let (per, total, busy) = if gpu {
            (unit.gpu_milli, r.total.gpu_milli, r.busy.gpu_milli)
        } else {
            (unit.cpu_milli, r.total.cpu_milli, r.busy.cpu_milli)
        };
        let e = by_shard.entry(r.shard).or_default();
        e.0 += u64::from(r.instances.iter().sum::<u32>());
        e.1.push((
            r.at.saturating_since(first).as_secs_f64() / 3600.0,
            f64::from(r.instances[2]) * per as f64 / 1000.0,
            total as f64 / 1000.0,
            busy as f64 / 1000.0,
        ));
    }
    let mut ranked: Vec<(OfferIx, (u64, Series))> = by_shard.into_iter().collect();
    // Most instance-hours first; ties by offer order.
    ranked.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(4)
        .map(|(offer, (_, series))| {
            let gpu = offer_capacity(catalog, offer).gpu_milli > 0;
            (super::shard_name(catalog.offer(offer)), gpu, series)
        })
        .collect()
}

/// The series legend of a panel (capacity, forecast): small type on a translucent box.
fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .label_font((FONT, 11))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|x| x.to_string())
}

fn capacity<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    shards: &[(String, bool, Series)],
) -> Result<(), String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let panels = area.split_evenly((shards.len().max(1), 1));
    // One time axis for every panel, so that the shards line up.
    let x_max = shards.iter().filter_map(|s| s.2.last()).map(|p| p.0).fold(1.0f64, f64::max);
    for ((name, gpu, series), panel) in shards.iter().zip(panels.iter()) {
        let y_max = series.iter().map(|p| p.1.max(p.2)).fold(0.0f64, f64::max).max(1.0) * 1.1;
        let mut chart = ChartBuilder::on(panel)
            .caption(name, (FONT, 14))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(|x| e(&x))?;
        chart
            .configure_mesh()
            .x_desc("hours")
            .x_label_formatter(&|h| format!("{h:.0}"))
            .y_desc(if *gpu { "GPUs" } else { "vCPUs" })
            .label_style((FONT, 11))
            .draw()
            .map_err(|x| e(&x))?;
        let lines: [Line; 3] = [
            ("booted", PALETTE[0], |p| p.2),
            ("reserved", PALETTE[1], |p| p.1),
            ("busy", PALETTE[2], |p| p.3),
        ];
        for (label, color, pick) in lines {
            chart
                .draw_series(LineSeries::new(series.iter().map(|p| (p.0, pick(p))), color))
                .map_err(|x| e(&x))?
                .label(label)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color));
        }
        legend(&mut chart)?;
    }
    Ok(())
}

/// Sorted waits (seconds) per queue, of jobs that started.
fn waits_by_queue(trace: &Trace, outcome: &RunOutcome) -> BTreeMap<String, Vec<f64>> {
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (job, o) in trace.jobs.iter().zip(&outcome.jobs) {
        if let Some(wait) = o.wait() {
            let queue = trace.queues.get(job.queue.0 as usize).cloned().unwrap_or_default();
            out.entry(queue).or_default().push(wait.as_secs_f64());
        }
    }
    for w in out.values_mut() {
        w.sort_by(f64::total_cmp);
    }
    out
}

fn waits<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    by_queue: &BTreeMap<String, Vec<f64>>,
) -> Result<(), String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let x_max = by_queue.values().filter_map(|w| w.last()).fold(1.0f64, |a, b| a.max(*b)) + 1.0;
    let mut chart = ChartBuilder::on(area)
        .caption("wait-time CDF per queue", (FONT, 16))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((1f64..x_max.max(10.0)).log_scale(), 0f64..1.0)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc("wait + 1 s (log scale)")
        .y_desc("share of started jobs")
        .label_style((FONT, 12))
        .draw()
        .map_err(|x| e(&x))?;
    for (i, (queue, w)) in by_queue.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let n = w.len() as f64;
        let points = w.iter().enumerate().map(|(k, v)| (v + 1.0, (k + 1) as f64 / n));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|x| e(&x))?
            .label(format!("{queue} ({} jobs)", w.len()))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FONT, 12))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|x| e(&x))?;
    Ok(())
}

/// One hour of a tier's forecast figure: (hours since the first planned window, actual,
/// point, lower, upper).
type ForecastPoint = (f64, f64, f64, f64, f64);

/// A line of the forecast figure: its label, colour and the value it draws from a point.
type ForecastLine = (&'static str, RGBColor, fn(&ForecastPoint) -> f64);

/// One size tier's forecast figure: its label, unit, quantile levels of the band and one
/// segment of hours per planned window.
struct TierPanel {
    label: String,
    unit: &'static str,
    levels: (f64, f64),
    windows: Vec<Vec<ForecastPoint>>,
}

/// The forecast of every planned window beside the demand that arrived (the same measure,
/// [`engine::forecast::Measure::Busy`], computed from the whole trace over the window), per tier label; the four
/// tiers with the most demand, most first (ties by label).
fn forecast_panels(trace: &Trace, plans: &[WindowRecord]) -> Vec<TierPanel> {
    const HOUR: SimDuration = SimDuration::from_hours(1);
    let Some(origin) = plans.iter().flat_map(|r| r.forecast.first()).map(|f| f.start).min() else {
        return vec![];
    };
    let mut panels: BTreeMap<String, (f64, TierPanel)> = BTreeMap::new();
    for record in plans {
        if record.forecast.is_empty() {
            continue;
        }
        let tiers: Vec<_> = record.forecast.iter().map(|f| f.tier.clone()).collect();
        let hours = record.forecast.iter().map(|f| f.point.len()).max().unwrap_or(0) as u64;
        let start = record.forecast[0].start;
        let end = start + SimDuration(HOUR.0 * hours);
        // Only jobs that overlap the window count; filter first, so that a long trace is not
        // copied once per window.
        let overlapping: Vec<engine::Job> = trace
            .jobs
            .iter()
            .filter(|j| j.submit < end && j.submit + j.runtime > start)
            .cloned()
            .collect();
        // A window the builder cannot cover (zero hours) has nothing to draw.
        let Ok(actual) = tier_series(&overlapping, &tiers, start, end) else { continue };
        for (i, f) in record.forecast.iter().enumerate() {
            let realised = actual.get(&i);
            let offset = f.start.saturating_since(origin).as_secs_f64() / 3600.0;
            let segment: Vec<ForecastPoint> = (0..f.point.len())
                .map(|h| {
                    let a = realised.and_then(|r| r.get(h)).copied().unwrap_or(0.0);
                    let (lower, upper) = band(f, h);
                    (offset + h as f64, a, f.point[h], lower, upper)
                })
                .collect();
            let label = f.tier.label();
            let (work, panel) = panels.entry(label.clone()).or_insert_with(|| {
                let unit = if matches!(f.tier.class, JobClass::Gpu(_)) { "GPUs" } else { "vCPUs" };
                (0.0, TierPanel { label, unit, levels: f.levels, windows: vec![] })
            });
            *work += segment.iter().map(|p| p.1).sum::<f64>();
            panel.windows.push(segment);
        }
    }
    let mut ranked: Vec<(f64, TierPanel)> = panels.into_values().collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.label.cmp(&b.1.label)));
    ranked.into_iter().take(4).map(|(_, p)| p).collect()
}

/// The band of `f` at hour `h`, (lower, upper).
fn band(f: &TierForecast, h: usize) -> (f64, f64) {
    let point = f.point[h];
    (f.lower.get(h).copied().unwrap_or(point), f.upper.get(h).copied().unwrap_or(point))
}

fn forecast<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panels: &[TierPanel],
) -> Result<(), String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let areas = area.split_evenly((panels.len().max(1), 1));
    for (panel, area) in panels.iter().zip(areas.iter()) {
        let points = || panel.windows.iter().flatten();
        let x_max = points().map(|p| p.0 + 1.0).fold(1.0f64, f64::max);
        let y_max = points().map(|p| p.1.max(p.2).max(p.4)).fold(0.0f64, f64::max).max(1e-9) * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption(format!("{}: forecast against demand", panel.label), (FONT, 14))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(|x| e(&x))?;
        chart
            .configure_mesh()
            .x_desc("hours since the first planned window")
            .x_label_formatter(&|h| format!("{h:.0}"))
            .y_desc(format!("busy {}", panel.unit))
            .label_style((FONT, 11))
            .draw()
            .map_err(|x| e(&x))?;
        let fill = PALETTE[0].mix(0.2).filled();
        let (lo, hi) = panel.levels;
        for (k, w) in panel.windows.iter().enumerate() {
            let outline: Vec<(f64, f64)> =
                w.iter().map(|p| (p.0, p.4)).chain(w.iter().rev().map(|p| (p.0, p.3))).collect();
            let drawn = chart
                .draw_series(std::iter::once(Polygon::new(outline, fill)))
                .map_err(|x| e(&x))?;
            if k == 0 {
                // Without calibration every scenario is the point forecast: say so.
                let label = if lo < hi {
                    format!("band q{lo:.2}–q{hi:.2}")
                } else {
                    "no band (too little history to calibrate)".to_owned()
                };
                drawn
                    .label(label)
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], fill));
            }
        }
        let lines: [ForecastLine; 2] =
            [("forecast", PALETTE[0], |p| p.2), ("demand", BLACK, |p| p.1)];
        for (label, color, pick) in lines {
            for (k, w) in panel.windows.iter().enumerate() {
                let drawn = chart
                    .draw_series(LineSeries::new(w.iter().map(|p| (p.0, pick(p))), color))
                    .map_err(|x| e(&x))?;
                if k == 0 {
                    drawn
                        .label(label)
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color));
                }
            }
        }
        legend(&mut chart)?;
    }
    Ok(())
}

/// What only a cloud run has to draw.
#[derive(Clone, Copy, Debug)]
pub struct CloudFigures<'a> {
    /// The catalog the run bought from.
    pub catalog: &'a Catalog,
    /// The hourly shard samples.
    pub timeline: &'a [TimelineRow],
    /// What a planning policy planned per window.
    pub plans: &'a [WindowRecord],
}

/// Draws every figure the run has data for into `dir`; returns the SVG paths, in the order
/// cost, capacity, forecast, waits (PNG files sit beside them).
pub fn write_all(
    dir: &Path,
    summary: &Summary,
    trace: &Trace,
    outcome: &RunOutcome,
    cloud: Option<CloudFigures<'_>>,
) -> Result<Vec<PathBuf>, FigureError> {
    let mut svgs = Vec::new();
    if summary.cost_usd.is_some() {
        let [svg, _] = both(dir, "cost", SIZE, |a| cost(a, summary), |a| cost(a, summary))?;
        svgs.push(svg);
    }
    if let Some(cloud) = cloud {
        let shards = shard_series(cloud.catalog, cloud.timeline);
        if !shards.is_empty() {
            let size = (SIZE.0, 260 * shards.len() as u32);
            let [svg, _] =
                both(dir, "capacity", size, |a| capacity(a, &shards), |a| capacity(a, &shards))?;
            svgs.push(svg);
        }
        let panels = forecast_panels(trace, cloud.plans);
        if !panels.is_empty() {
            let size = (SIZE.0, 260 * panels.len() as u32);
            let [svg, _] =
                both(dir, "forecast", size, |a| forecast(a, &panels), |a| forecast(a, &panels))?;
            svgs.push(svg);
        }
    }
    let by_queue = waits_by_queue(trace, outcome);
    if !by_queue.is_empty() {
        let [svg, _] = both(dir, "waits", SIZE, |a| waits(a, &by_queue), |a| waits(a, &by_queue))?;
        svgs.push(svg);
    }
    Ok(svgs)
}
