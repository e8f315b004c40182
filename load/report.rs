//! `--report FILE.html`: the run on one self-contained page (no script, font or style fetched
//! from anywhere): the JSON line's figures, throughput over time (one point a second, the
//! warm-up shaded) and the latency by percentile as HdrHistogram plots it (percentiles on a
//! log scale of 1 / (1 - p), so the tail gets the room). The charts are SVG drawn here; the
//! data they show is embedded as JSON in `<script type="application/json" id="aslx-load-data">`
//! for whoever wants to read it back. The page is well-formed XML as well as HTML.

use crate::progress::Sample;
use crate::{group_digits, stats};
use hdrhistogram::Histogram;
use std::fmt::Write;
use std::path::Path;

const W: f64 = 760.0;
const H: f64 = 280.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 40.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// Writes the page for a run whose `--json` line is `line`.
///
/// # Errors
///
/// When the file cannot be written, with its path.
pub(crate) fn write(
    path: &Path,
    line: &str,
    samples: &[Sample],
    hist: &Histogram<u64>,
) -> Result<(), String> {
    let summary: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("the JSON line: {e}"))?;
    let percentiles = percentiles(hist);
    let data = serde_json::json!({
        "summary": summary,
        "timeline": samples.iter().map(|s| serde_json::json!({
            "t_s": round3(s.t_s),
            "exec_per_s": s.exec_per_s.round(),
            "completed": s.completed,
            "failed": s.failed,
            "measuring": s.measuring,
        })).collect::<Vec<_>>(),
        "percentiles": percentiles.iter().map(|(p, us)| serde_json::json!({
            "percentile": p, "latency_us": us,
        })).collect::<Vec<_>>(),
    });
    let page = page(&summary, &data, samples, &percentiles);
    std::fs::write(path, page).map_err(|e| format!("--report {}: {e}", path.display()))
}

/// (percentile, latency in µs) from 0 to the last percentile the run's count can tell apart
/// (ten points a decade of 1 / (1 - p)), then the maximum.
fn percentiles(hist: &Histogram<u64>) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    if hist.is_empty() {
        return out;
    }
    let n = hist.len() as f64;
    for k in 0..=60 {
        let tail = 10f64.powf(-(k as f64) / 10.0);
        if 1.0 / tail > n {
            break;
        }
        let q = 1.0 - tail;
        out.push((
            round6(q * 100.0),
            round3(stats::us(hist.value_at_quantile(q))),
        ));
    }
    out.push((100.0, round3(stats::us(hist.max()))));
    out
}

fn page(
    summary: &serde_json::Value,
    data: &serde_json::Value,
    samples: &[Sample],
    percentiles: &[(f64, f64)],
) -> String {
    let field = |k: &str| summary.get(k).map(|v| v.to_string()).unwrap_or_default();
    let title = format!(
        "aslx-load: {} {} {}",
        summary
            .get("machine")
            .and_then(|v| v.as_str())
            .unwrap_or("?"),
        summary.get("mode").and_then(|v| v.as_str()).unwrap_or("?"),
        summary
            .get("target")
            .and_then(|v| v.as_str())
            .unwrap_or("?"),
    );
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    let _ = writeln!(out, "<title>{}</title>", esc(&title));
    out.push_str("<style>body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#16191f}h1{font-size:20px}h2{font-size:16px;margin-top:28px}table{border-collapse:collapse}td,th{padding:3px 12px 3px 0;text-align:left;font-variant-numeric:tabular-nums}svg text{font-size:11px;fill:#545b64}.line{fill:none;stroke:#0972d3;stroke-width:2}.dot{fill:#0972d3}.grid{stroke:#e9ebed}.axis{stroke:#879196}.warmup{fill:#f2f3f3}code{font-size:12px}</style>\n</head>\n<body>\n");
    let _ = writeln!(out, "<h1>{}</h1>", esc(&title));
    out.push_str("<table>\n");
    for (label, key) in [
        ("executions measured", "executions"),
        ("failed", "failed"),
        ("seconds measured", "seconds"),
        ("executions per second", "exec_per_s"),
        ("concurrency", "concurrency"),
        ("rate", "rate"),
        ("p50 (µs)", "p50_us"),
        ("p90 (µs)", "p90_us"),
        ("p99 (µs)", "p99_us"),
        ("p99.9 (µs)", "p999_us"),
        ("max (µs)", "max_us"),
        ("peak RSS (MiB)", "rss_mb"),
    ] {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{label}</th><td>{}</td></tr>",
            esc(&field(key))
        );
    }
    out.push_str("</table>\n<h2>Throughput over time</h2>\n");
    throughput(&mut out, samples);
    out.push_str("<h2>Latency by percentile</h2>\n");
    latency(&mut out, percentiles);
    let _ = writeln!(
        out,
        "<h2>The JSON line</h2>\n<p><code>{}</code></p>",
        esc(&summary.to_string())
    );
    // JSON whose `<`, `>` and `&` (only ever inside strings) are escaped, so that nothing in
    // it can end the script element or read as markup.
    let json = data
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    let _ = writeln!(
        out,
        "<script type=\"application/json\" id=\"aslx-load-data\">{json}</script>"
    );
    out.push_str("</body>\n</html>\n");
    out
}

/// The plot area's x and y of a value pair, given the axes' maxima.
fn at(x: f64, y: f64, x_max: f64, y_max: f64) -> (f64, f64) {
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    (
        LEFT + x / x_max.max(1e-9) * pw,
        TOP + ph - y / y_max.max(1e-9) * ph,
    )
}

/// A round number at or above `v` (1, 2 or 5 times a power of ten).
fn nice(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * p)
}

fn svg_open(out: &mut String, label: &str) {
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
        esc(label)
    );
}

/// Horizontal grid lines and y labels at fifths of `y_max`.
fn y_axis(out: &mut String, y_max: f64, x_max: f64, unit: &str) {
    for i in 0..=5 {
        let v = y_max * i as f64 / 5.0;
        let (_, y) = at(0.0, v, x_max, y_max);
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            group_digits(v)
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">{unit}</text>",
        TOP + (H - TOP - BOTTOM) / 2.0,
        TOP + (H - TOP - BOTTOM) / 2.0
    );
}

fn throughput(out: &mut String, samples: &[Sample]) {
    svg_open(out, "executions per second, each second of the run");
    let x_max = samples.last().map_or(1.0, |s| s.t_s).max(1.0);
    let y_max = nice(samples.iter().map(|s| s.exec_per_s).fold(0.0, f64::max) * 1.1);
    if let Some(end) = samples.iter().take_while(|s| !s.measuring).last() {
        let (x1, _) = at(end.t_s, 0.0, x_max, y_max);
        let _ = writeln!(
            out,
            "<rect class=\"warmup\" x=\"{LEFT}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{}\"/><text x=\"{:.1}\" y=\"{}\">warm-up</text>",
            x1 - LEFT,
            H - TOP - BOTTOM,
            LEFT + 4.0,
            TOP + 12.0
        );
    }
    y_axis(out, y_max, x_max, "executions / s");
    let step = nice(x_max / 8.0);
    let mut t = 0.0;
    while t <= x_max + 1e-9 {
        let (x, y) = at(t, 0.0, x_max, y_max);
        let _ = writeln!(
            out,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{t}</text>",
            y + 16.0
        );
        t += step;
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">seconds since start</text>",
        LEFT + (W - LEFT - RIGHT) / 2.0,
        H - 6.0
    );
    let points: Vec<(f64, f64)> = samples
        .iter()
        .map(|s| at(s.t_s, s.exec_per_s, x_max, y_max))
        .collect();
    polyline(out, &points);
    out.push_str("</svg>\n");
}

fn latency(out: &mut String, percentiles: &[(f64, f64)]) {
    svg_open(out, "latency by percentile");
    // x: log10 of 1 / (1 - p), the maximum drawn one decade past the last percentile.
    let xs: Vec<f64> = percentiles
        .iter()
        .map(|(p, _)| (1.0 / (1.0 - p / 100.0).max(1e-7)).log10())
        .collect();
    let finite = percentiles.len().saturating_sub(1);
    let last = xs[..finite].iter().copied().fold(0.0, f64::max);
    let x_max = (last + 1.0).ceil().max(1.0);
    let y_max = nice(percentiles.iter().map(|p| p.1).fold(0.0, f64::max) * 1.05);
    y_axis(out, y_max, x_max, "latency (µs)");
    for d in 0..=(x_max as usize) {
        let (x, y) = at(d as f64, 0.0, x_max, y_max);
        const TICKS: [&str; 8] = [
            "0%",
            "90%",
            "99%",
            "99.9%",
            "99.99%",
            "99.999%",
            "99.9999%",
            "99.99999%",
        ];
        let label = TICKS.get(d).copied().unwrap_or("");
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{y:.1}\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
            y + 16.0
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">percentile</text>",
        LEFT + (W - LEFT - RIGHT) / 2.0,
        H - 6.0
    );
    let points: Vec<(f64, f64)> = percentiles
        .iter()
        .zip(&xs)
        .enumerate()
        .map(|(i, ((_, us), x))| {
            let x = if i == finite { x_max } else { *x };
            at(x, *us, x_max, y_max)
        })
        .collect();
    polyline(out, &points);
    out.push_str("</svg>\n");
}

fn polyline(out: &mut String, points: &[(f64, f64)]) {
    if points.is_empty() {
        return;
    }
    let list: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let _ = writeln!(
        out,
        "<polyline class=\"line\" points=\"{}\"/>",
        list.join(" ")
    );
    for (x, y) in points {
        let _ = writeln!(
            out,
            "<circle class=\"dot\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.5\"/>"
        );
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
