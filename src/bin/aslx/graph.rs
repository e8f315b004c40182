//! `aslx graph FILE [--format dot|mermaid|svg|html] [--direction TB|LR] [-o OUT]`: the graph of
//! a definition ([`aslx::graph`]) as DOT or Mermaid text, an SVG file, or the console's
//! standalone page.

use crate::definition::{findings, load, DefinitionArgs};
use aslx::asl::parse_definition;
use aslx::graph::{Direction, Graph};
use std::process::ExitCode;

/// What `aslx graph` writes.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum Format {
    /// Graphviz DOT (`dot -Tpng`), containers as clusters.
    Dot,
    /// A Mermaid flowchart (GitHub and GitLab render it in Markdown).
    Mermaid,
    /// A standalone SVG image, laid out by aslx.
    Svg,
    /// A standalone HTML page with the console's interactive graph.
    Html,
}

#[derive(clap::Args)]
pub(crate) struct GraphArgs {
    #[command(flatten)]
    def: DefinitionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "dot")]
    format: Format,
    /// Which way the flow runs: TB (top to bottom, the AWS console's way) or LR.
    #[arg(long, default_value = "TB")]
    direction: Direction,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<String>,
}

pub(crate) fn run(args: GraphArgs) -> Result<ExitCode, String> {
    let def = &args.def;
    let text = load(def).map_err(|e| e.into_message())?;
    let model = parse_definition(&text, def.machine_type).map_err(|e| {
        format!(
            "{}: invalid definition:\n{}",
            def.file,
            findings(def, &text, &e).join("\n")
        )
    })?;
    let graph = Graph::from_model(&model);
    let out = match args.format {
        Format::Dot => graph.to_dot(args.direction),
        Format::Mermaid => graph.to_mermaid(args.direction),
        Format::Svg => graph.to_svg(args.direction),
        // The console's renderer, inlined: it reads the definition as JSON (a YAML file
        // was parsed above, so it converts).
        Format::Html => {
            let json = match aslx::parse_json(&text) {
                Ok(_) => text.clone(),
                Err(_) => aslx::value::parse_yaml(&text)
                    .map_err(|e| format!("{}: {e}", def.file))?
                    .to_json(),
            };
            aslx::console::graph_page(&json, &def.file)
        }
    };
    match &args.output {
        None => print!("{out}"),
        Some(path) => std::fs::write(path, out).map_err(|e| format!("-o {path}: {e}"))?,
    }
    Ok(ExitCode::SUCCESS)
}
