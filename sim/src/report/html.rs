//! `report.html`: one self-contained page per run, viewable offline: the key figures of the
//! summary as tables, every SVG figure inlined, and the scenario file as run. No scripts, no
//! external style sheets or fonts, nothing fetched.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Summary;

/// `report.html` could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot write the report page: {source}")]
pub struct HtmlError {
    /// The file.
    pub path: PathBuf,
    /// The I/O error.
    pub source: std::io::Error,
}

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn row(html: &mut String, key: &str, value: &str) {
    let _ = writeln!(html, "<tr><th>{}</th><td>{}</td></tr>", escape(key), escape(value));
}

/// The page for `summary`, with the SVG files `figures` inlined and `scenario_text` shown.
pub fn render(summary: &Summary, figures: &[String], scenario_text: &str) -> String {
    let mut html = String::new();
    let title = format!("shardcast: {} (seed {})", summary.scenario, summary.seed);
    let _ = writeln!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>",
        escape(&title)
    );
    html.push_str(
        "<style>body{font-family:sans-serif;max-width:1040px;margin:2em auto;color:#222}\
         table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;\
         padding:4px 10px;text-align:left}th{background:#f4f4f4}pre{background:#f8f8f8;\
         padding:1em;overflow-x:auto}figure{margin:1.5em 0}svg{max-width:100%;height:auto}\
         </style></head><body>\n",
    );
    let _ = writeln!(html, "<h1>{}</h1>", escape(&title));
    let w = &summary.workload;
    let _ = writeln!(
        html,
        "<p>Workload {} ({}), {} jobs. Digest <code>{}</code>.</p>",
        escape(&w.source),
        escape(&w.format),
        w.jobs,
        escape(&summary.digest)
    );
    html.push_str("<h2>Jobs</h2><table>\n");
    let j = &summary.jobs;
    row(&mut html, "submitted", &j.submitted.to_string());
    row(&mut html, "completed", &j.completed.to_string());
    row(&mut html, "failed", &j.failed.to_string());
    row(&mut html, "cancelled", &j.cancelled.to_string());
    row(&mut html, "rejected", &j.rejected.to_string());
    for (reason, n) in &j.by_reason {
        row(&mut html, &format!("  by reason: {reason}"), &n.to_string());
    }
    let s = &summary.wait_s;
    row(
        &mut html,
        "wait (s)",
        &format!(
            "mean {:.1}, p50 {:.1}, p95 {:.1}, p99 {:.1}, max {:.1}",
            s.mean, s.p50, s.p95, s.p99, s.max
        ),
    );
    row(
        &mut html,
        "SLA",
        &format!(
            "{:.1} % completed within {} s (target {:.1} %: {})",
            summary.sla.attained * 100.0,
            summary.sla.wait_target_s,
            summary.sla.share_target * 100.0,
            if summary.sla.met { "met" } else { "missed" }
        ),
    );
    html.push_str("</table>\n");
    if let Some(c) = &summary.cost_usd {
        html.push_str("<h2>Cost (USD)</h2><table>\n");
        row(&mut html, "total", &format!("{:.2}", c.total));
        row(&mut html, "used by jobs", &format!("{:.2}", c.jobs));
        row(&mut html, "idle", &format!("{:.2}", c.idle));
        for (label, map) in [
            ("provider", &c.by_provider),
            ("region", &c.by_region),
            ("option", &c.by_option),
            ("queue", &c.by_queue),
        ] {
            for (k, v) in map {
                row(&mut html, &format!("by {label}: {k}"), &format!("{v:.2}"));
            }
        }
        if let Some(u) = summary.reserved_utilisation {
            row(&mut html, "reserved capacity used", &format!("{:.1} %", u * 100.0));
        }
        if let (Some(oracle), Some(ratio)) = (&summary.oracle, summary.cost_ratio_to_oracle) {
            let bound = oracle.get("cost_usd").and_then(serde_json::Value::as_f64);
            let method = oracle.get("method").and_then(serde_json::Value::as_str);
            row(
                &mut html,
                "oracle (perfect-foresight lower bound)",
                &format!("{:.2} ({})", bound.unwrap_or(f64::NAN), method.unwrap_or("?")),
            );
            row(&mut html, "cost ratio to oracle", &format!("{ratio:.3}"));
        }
        html.push_str("</table>\n");
    }
    if !summary.wait_s_by_queue.is_empty() {
        html.push_str(
            "<h2>Waits per queue (s)</h2><table><tr><th>queue</th><th>mean</th>\
                       <th>p50</th><th>p95</th><th>max</th></tr>\n",
        );
        for (q, s) in &summary.wait_s_by_queue {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td></tr>",
                escape(q),
                s.mean,
                s.p50,
                s.p95,
                s.max
            );
        }
        html.push_str("</table>\n");
    }
    if !figures.is_empty() {
        html.push_str("<h2>Figures</h2>\n");
        for svg in figures {
            // Inline the SVG element itself (drop any XML prolog before it).
            let start = svg.find("<svg").unwrap_or(0);
            let _ = writeln!(html, "<figure>{}</figure>", &svg[start..]);
        }
    }
    for note in &summary.notes {
        let _ = writeln!(html, "<p><em>{}</em></p>", escape(note));
    }
    let _ = writeln!(html, "<h2>Scenario</h2><pre>{}</pre>", escape(scenario_text));
    html.push_str("</body></html>\n");
    html
}

/// Writes `report.html` into `dir`, inlining the SVG files at `figures`.
pub fn write(
    dir: &Path,
    summary: &Summary,
    figures: &[PathBuf],
    scenario_text: &str,
) -> Result<PathBuf, HtmlError> {
    let path = dir.join("report.html");
    let err = |source| HtmlError { path: path.clone(), source };
    let svgs: Vec<String> =
        figures.iter().map(std::fs::read_to_string).collect::<Result<_, _>>().map_err(err)?;
    std::fs::write(&path, render(summary, &svgs, scenario_text)).map_err(err)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }
}
