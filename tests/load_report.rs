//! `aslx-load --report FILE.html` and the progress bar: the page is self-contained, well-formed,
//! and carries the run's data (the JSON line, throughput each second, latency by percentile);
//! the bar is drawn only on a terminal. No timing is asserted.

use quick_xml::events::Event;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn machines() -> PathBuf {
    std::env::var_os("ASLX_BENCH_MACHINES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/machines")
        })
}

fn args(machine: &str) -> Vec<String> {
    let dir = machines();
    vec![
        "--machine".into(),
        dir.join(format!("{machine}.asl.json"))
            .display()
            .to_string(),
        "--input".into(),
        dir.join(format!("{machine}.input.json"))
            .display()
            .to_string(),
        "--duration".into(),
        "1.5".into(),
        "--warmup".into(),
        "1".into(),
        "--threads".into(),
        "1".into(),
        "--concurrency".into(),
        "4".into(),
    ]
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aslx-load-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn load(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aslx-load"))
        .args(args("pass1"))
        .args(extra)
        .output()
        .expect("aslx-load runs")
}

/// The text of the `<script id="aslx-load-data">` element, and the number of `<svg>`
/// elements and of polylines, reading the page as XML (which fails on anything ill-formed).
fn read_page(html: &str) -> (String, usize, usize) {
    let mut r = quick_xml::Reader::from_str(html);
    let (mut data, mut svgs, mut lines) = (None, 0, 0);
    let mut in_data = false;
    loop {
        match r.read_event().expect("the page is well-formed") {
            Event::Start(e) if e.name().as_ref() == "script" => {
                let id = e
                    .try_get_attribute("id")
                    .unwrap()
                    .map(|a| a.value.into_owned());
                assert!(
                    e.try_get_attribute("src").unwrap().is_none(),
                    "no script is fetched"
                );
                in_data = id.as_deref() == Some("aslx-load-data");
            }
            Event::Text(t) if in_data => {
                data = Some(t.xml10_content().into_owned());
            }
            Event::End(e) if e.name().as_ref() == "script" => in_data = false,
            Event::Start(e) if e.name().as_ref() == "svg" => svgs += 1,
            Event::Empty(e) | Event::Start(e) if e.name().as_ref() == "polyline" => lines += 1,
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "link" => {
                panic!("no stylesheet is fetched: {e:?}")
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (data.expect("the data element"), svgs, lines)
}

#[test]
fn the_report_is_a_self_contained_page_with_the_run_embedded() {
    let path = temp("run.html");
    let out = load(&["--json", "--report", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: Value = serde_json::from_str(stdout.trim()).expect("the JSON line");
    let html = std::fs::read_to_string(&path).expect("the report is written");
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Nothing is fetched: the only URL is the SVG namespace.
    for (i, _) in html.match_indices("http") {
        assert!(
            html[i..].starts_with("http://www.w3.org/2000/svg"),
            "a URL in the page: {}",
            &html[i..(i + 60).min(html.len())]
        );
    }
    let (data, svgs, lines) = read_page(&html);
    assert_eq!((svgs, lines), (2, 2), "two charts, a line each");
    let data: Value = serde_json::from_str(&data).expect("the embedded data is JSON");
    assert_eq!(data["summary"], line, "the page carries the JSON line");
    let timeline = data["timeline"].as_array().unwrap();
    assert!(timeline.len() >= 2, "a sample a second: {timeline:?}");
    assert_eq!(timeline[0]["measuring"], false, "the warm-up first");
    assert_eq!(timeline.last().unwrap()["measuring"], true);
    assert!(timeline
        .iter()
        .any(|s| s["exec_per_s"].as_f64().unwrap() > 0.0));
    let completed: Vec<u64> = timeline
        .iter()
        .map(|s| s["completed"].as_u64().unwrap())
        .collect();
    assert!(completed.windows(2).all(|w| w[0] <= w[1]), "{completed:?}");
    let pct = data["percentiles"].as_array().unwrap();
    assert!(pct.len() >= 10, "{pct:?}");
    let p: Vec<f64> = pct
        .iter()
        .map(|x| x["percentile"].as_f64().unwrap())
        .collect();
    let us: Vec<f64> = pct
        .iter()
        .map(|x| x["latency_us"].as_f64().unwrap())
        .collect();
    assert_eq!(p[0], 0.0);
    assert_eq!(*p.last().unwrap(), 100.0);
    assert!(p.windows(2).all(|w| w[0] < w[1]), "{p:?}");
    assert!(us.windows(2).all(|w| w[0] <= w[1]), "{us:?}");
    assert_eq!(us.last(), line["max_us"].as_f64().as_ref());
}

#[test]
fn a_report_path_that_cannot_be_written_fails_before_the_run() {
    let out = load(&["--report", "/no/such/dir/run.html"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--report /no/such/dir/run.html"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing ran");
}

#[test]
fn the_progress_bar_is_drawn_on_a_terminal_only() {
    // Not a terminal: one plain line a second, no control characters.
    let out = load(&[]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("exec/s"), "{stderr}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "{stderr:?}"
    );
    // A terminal (script(1) gives the program a pseudo-terminal): the bar, redrawn in place.
    let cmd = std::iter::once(env!("CARGO_BIN_EXE_aslx-load").to_string())
        .chain(args("pass1"))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("script(1) runs (util-linux's bsdutils)");
    assert!(out.status.success(), "{:?}", out);
    let tty = String::from_utf8_lossy(&out.stdout);
    assert!(
        tty.contains("\r\x1b[2K["),
        "a bar redrawn in place: {tty:?}"
    );
    assert!(tty.contains("=>") || tty.contains("==="), "{tty:?}");
    assert!(
        tty.contains("latency (µs): p50"),
        "then the summary: {tty:?}"
    );
}
