//! `aslx graph` and [`aslx::graph`]: the graph model of definitions with nested Map and
//! Parallel states, Choice rules and Catch; golden DOT and Mermaid text (`ASLX_BLESS=1`
//! rewrites them: review the diff like code); the SVG's structure and layout; bad input.

#[path = "support/run_aslx.rs"]
mod run_aslx;

use aslx::graph::{Container, Direction, EdgeKind, Graph};
use aslx::MachineType;
use quick_xml::events::Event;
use run_aslx::aslx;
use std::path::PathBuf;

const DEFINITIONS: [(&str, &str); 3] = [
    ("order", "tests/examples/order.asl.json"),
    ("nested", "tests/graph/nested.asl.json"),
    ("catch", "tests/graph/catch.asl.json"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn golden(name: &str, actual: &str) {
    let path = root().join("tests/graph").join(name);
    if std::env::var_os("ASLX_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (ASLX_BLESS=1 creates it)", path.display()));
    assert_eq!(
        expected,
        actual,
        "{} differs (ASLX_BLESS=1 rewrites it)",
        path.display()
    );
}

fn graph(file: &str) -> Graph {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    Graph::from_definition(&text, MachineType::Standard).unwrap()
}

fn containers(c: &Container) -> Vec<&Container> {
    let mut out = vec![c];
    for n in &c.nodes {
        for child in &n.children {
            out.extend(containers(child));
        }
    }
    out
}

#[test]
fn dot_and_mermaid_text_match_the_golden_files() {
    for (name, file) in DEFINITIONS {
        let g = graph(file);
        golden(&format!("{name}.dot"), &g.to_dot(Direction::TopBottom));
        golden(&format!("{name}.mmd"), &g.to_mermaid(Direction::TopBottom));
    }
    let g = graph("tests/graph/nested.asl.json");
    golden("nested.lr.mmd", &g.to_mermaid(Direction::LeftRight));
}

#[test]
fn the_model_nests_branches_and_processors_with_their_own_markers() {
    let g = graph("tests/graph/nested.asl.json");
    let all = containers(&g.root);
    // The top level, two branches, the Map's processor, the inner Parallel's two branches.
    assert_eq!(all.len(), 6);
    let names: Vec<&str> = g.nodes().iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names.len(), 14, "{names:?}");
    let fan = &g.root.nodes[0];
    assert_eq!((fan.state_type, fan.children.len()), ("Parallel", 2));
    let map = &fan.children[0].nodes[0];
    assert_eq!((map.state_type, map.children.len()), ("Map", 1));
    let both = &map.children[0].nodes[0];
    assert_eq!((both.state_type, both.children.len()), ("Parallel", 2));
    assert_eq!(both.children[1].label.as_deref(), Some("Branch 2"));
    // Every container starts at its StartAt and has an edge into its end marker.
    for c in &all {
        assert_eq!(c.edges[0].from, c.start);
        assert_eq!(c.edges[0].kind, EdgeKind::Start);
        assert!(c.edges.iter().any(|e| e.to == c.end), "{}", c.id);
    }
    // Ids are unique across the whole graph.
    let mut ids: Vec<&str> = g.nodes().iter().map(|n| n.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 14);
    // Catch edges carry their error names; Choice edges their conditions and Default.
    let catches: Vec<&EdgeKind> = g.root.edges.iter().map(|e| &e.kind).collect();
    assert!(catches.contains(&&EdgeKind::Catch {
        errors: vec!["Poll.Gone".into(), "States.Timeout".into()]
    }));
    let poll = &fan.children[1];
    let labels: Vec<String> = poll.edges.iter().map(|e| e.kind.label()).collect();
    assert!(
        labels.contains(&"$.status == \"READY\"".to_string()),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"not $.status is present".to_string()),
        "{labels:?}"
    );
    assert!(labels.contains(&"Default".to_string()), "{labels:?}");
}

/// What the SVG holds, read back as XML.
#[derive(Default, Debug)]
struct SvgCount {
    states: usize,
    compound: usize,
    containers: usize,
    edges: usize,
    catch_edges: usize,
    markers: usize,
    /// (x, y, w, h) of each plain state's box with the translation of its container.
    boxes: Vec<(String, f64, f64, f64, f64)>,
}

fn read_svg(svg: &str) -> SvgCount {
    let mut r = quick_xml::Reader::from_str(svg);
    let mut count = SvgCount::default();
    // Translation stack (one entry per open <g>) and the class of the innermost open <g>.
    let mut stack: Vec<((f64, f64), String)> = vec![((0.0, 0.0), String::new())];
    loop {
        let ev = r.read_event().expect("the SVG is well-formed XML");
        match ev {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "rect" => {
                let attr = |k: &str| -> f64 {
                    let a = e.try_get_attribute(k).unwrap().unwrap();
                    a.value.parse().unwrap()
                };
                let (off, class) = stack.last().unwrap().clone();
                if class.starts_with("state ") && !class.contains("compound") {
                    count.boxes.push((
                        class,
                        off.0 + attr("x"),
                        off.1 + attr("y"),
                        attr("width"),
                        attr("height"),
                    ));
                }
            }
            Event::Start(e) if e.name().as_ref() == "g" => {
                let get = |k: &str| {
                    e.try_get_attribute(k)
                        .unwrap()
                        .map(|a| a.value.into_owned())
                };
                let class = get("class").unwrap_or_default();
                let mut off = stack.last().unwrap().0;
                if let Some(t) = get("transform") {
                    let inner = t.trim_start_matches("translate(").trim_end_matches(')');
                    let (x, y) = inner.split_once(',').unwrap();
                    off = (
                        off.0 + x.parse::<f64>().unwrap(),
                        off.1 + y.parse::<f64>().unwrap(),
                    );
                }
                if class.starts_with("state ") {
                    count.states += 1;
                    count.compound += class.contains("compound") as usize;
                } else if class == "container" {
                    count.containers += 1;
                } else if class.starts_with("edge ") {
                    count.edges += 1;
                    count.catch_edges += (class == "edge catch") as usize;
                } else if class.starts_with("marker ") {
                    count.markers += 1;
                }
                stack.push((off, class));
            }
            Event::End(e) if e.name().as_ref() == "g" => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    count
}

#[test]
fn the_svg_has_every_state_container_and_edge_and_no_box_overlaps_another() {
    for (_, file) in DEFINITIONS {
        let g = graph(file);
        let all = containers(&g.root);
        let edges: usize = all.iter().map(|c| c.edges.len()).sum();
        let catches: usize = all
            .iter()
            .flat_map(|c| &c.edges)
            .filter(|e| matches!(e.kind, EdgeKind::Catch { .. }))
            .count();
        for dir in [Direction::TopBottom, Direction::LeftRight] {
            let svg = g.to_svg(dir);
            let c = read_svg(&svg);
            assert_eq!(c.states, g.nodes().len(), "{file} {dir:?}");
            assert_eq!(c.containers, all.len(), "{file}");
            assert_eq!(c.markers, 2 * all.len(), "{file}");
            assert_eq!(c.edges, edges, "{file}");
            assert_eq!(c.catch_edges, catches, "{file}");
            assert_eq!(c.states - c.compound, c.boxes.len());
            for (i, a) in c.boxes.iter().enumerate() {
                for b in &c.boxes[i + 1..] {
                    let apart = a.1 + a.3 <= b.1
                        || b.1 + b.3 <= a.1
                        || a.2 + a.4 <= b.2
                        || b.2 + b.4 <= a.2;
                    assert!(apart, "{file} {dir:?}: {a:?} overlaps {b:?}");
                }
            }
        }
    }
}

#[test]
fn a_top_to_bottom_chain_runs_down_and_a_left_to_right_one_runs_across() {
    let g = graph("tests/examples/order.asl.json");
    let tb = read_svg(&g.to_svg(Direction::TopBottom));
    let lr = read_svg(&g.to_svg(Direction::LeftRight));
    // Validate (Choice) comes before Charge (Task), which comes before Done.
    let at = |c: &SvgCount, i: usize| (c.boxes[i].1, c.boxes[i].2);
    assert!(at(&tb, 0).1 < at(&tb, 1).1 && at(&tb, 1).1 < at(&tb, 2).1);
    assert!(at(&lr, 0).0 < at(&lr, 1).0 && at(&lr, 1).0 < at(&lr, 2).0);
}

#[test]
fn names_are_escaped_in_every_format() {
    let text =
        r#"{"StartAt": "<script>\"&", "States": {"<script>\"&": {"Type": "Pass", "End": true}}}"#;
    let g = Graph::from_definition(text, MachineType::Standard).unwrap();
    let svg = g.to_svg(Direction::TopBottom);
    assert!(!svg.contains("<script>"));
    assert!(svg.contains("&lt;script&gt;&quot;&amp;"));
    read_svg(&svg);
    assert!(g
        .to_dot(Direction::TopBottom)
        .contains(r#"label="<script>\"&""#));
    assert!(g
        .to_mermaid(Direction::TopBottom)
        .contains("[\"#lt;script#gt;#quot;#amp;\"]"));
}

#[test]
fn the_command_prints_each_format_or_writes_the_file() {
    let (code, out, err) = aslx(&["graph", "tests/graph/nested.asl.json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        graph("tests/graph/nested.asl.json").to_dot(Direction::TopBottom)
    );
    let (code, out, _) = aslx(&[
        "graph",
        "tests/graph/nested.asl.json",
        "--format",
        "mermaid",
        "--direction",
        "LR",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        graph("tests/graph/nested.asl.json").to_mermaid(Direction::LeftRight)
    );
    let out_file = run_aslx::temp_file("graph", "order.svg", "");
    let (code, out, err) = aslx(&[
        "graph",
        "tests/examples/order.asl.json",
        "--format",
        "svg",
        "-o",
        &out_file,
    ]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let svg = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(read_svg(&svg).states, 5);
    // YAML and substitutions, as the other commands read definitions.
    let yaml = run_aslx::temp_file(
        "graph",
        "m.asl.yaml",
        "StartAt: A\nStates:\n  A:\n    Type: Task\n    Resource: ${Fn}\n    End: true\n",
    );
    let (code, out, err) = aslx(&[
        "graph",
        &yaml,
        "--sub",
        "Fn=arn:aws:lambda:us-east-1:123456789012:function:f",
        "--format",
        "mermaid",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("s1[\"A\"]"), "{out}");
}

#[test]
fn bad_input_names_the_file_and_the_place() {
    let (code, _, err) = aslx(&["graph", "tests/graph/no-such-file.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("tests/graph/no-such-file.json"), "{err}");
    let not_json = run_aslx::temp_file(
        "graph",
        "broken.json",
        "{\"StartAt\": \"A\",\n  \"States\": {\n",
    );
    let (code, _, err) = aslx(&["graph", &not_json]);
    assert_eq!(code, 2);
    assert!(err.contains("broken.json"), "{err}");
    assert!(err.contains("line 3"), "the position: {err}");
    let invalid = run_aslx::temp_file(
        "graph",
        "invalid.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}"#,
    );
    let (code, _, err) = aslx(&["graph", &invalid]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid.json"), "{err}");
    assert!(err.contains("/States/A/Next"), "{err}");
    let (code, _, err) = aslx(&["graph", "tests/examples/order.asl.json", "--format", "png"]);
    assert_eq!(code, 2);
    assert!(err.contains("png"), "{err}");
    let (code, _, err) = aslx(&[
        "graph",
        "tests/examples/order.asl.json",
        "-o",
        "/no/such/dir/x.dot",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/dir/x.dot"), "{err}");
}

/// `--format html` is the console's page (`crate::console::graph_page`), wired in when the
/// console lands; until then it is a clear refusal, never an empty file.
#[test]
fn html_is_the_consoles_standalone_page_with_the_definition_inlined() {
    let out_file = run_aslx::temp_file("graph", "order.html", "");
    let (code, out, err) = aslx(&[
        "graph",
        "tests/examples/order.asl.json",
        "--format",
        "html",
        "-o",
        &out_file,
    ]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let page = std::fs::read_to_string(&out_file).unwrap();
    assert!(page.starts_with("<!doctype html>"), "{}", &page[..80]);
    // Self-contained: no script or style is fetched.
    assert!(
        !page.contains("<script src") && !page.contains("<link"),
        "fetches nothing"
    );
    let def: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("tests/examples/order.asl.json").unwrap())
            .unwrap();
    for state in def["States"].as_object().unwrap().keys() {
        assert!(page.contains(state.as_str()), "state {state} inlined");
    }
}
