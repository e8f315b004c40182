//! The `aslx` command line: validate, compile and run state machines.

use aslx::asl::{parse_definition, StateMachine};
use aslx::compile::{compile, dump::dump};
use aslx::runtime::HandlerSpec;
use aslx::{Handlers, Machine, MachineError};
use clap::{Parser, Subcommand};
use definition::{findings, load, read_text, DefinitionArgs, LoadError};
use std::process::ExitCode;

mod definition;
mod durability;
mod graph;
mod integrations;
mod queue;
mod serve;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "aslx",
    version,
    about = "Amazon States Language state machines, compiled and run in-process"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a definition as AWS does; exit 0 when valid, 1 when not.
    Validate {
        #[command(flatten)]
        def: DefinitionArgs,
        /// Print diagnostics as JSON (ValidateStateMachineDefinition's form).
        #[arg(long)]
        json: bool,
    },
    /// Compile a definition and print its bytecode.
    Compile {
        #[command(flatten)]
        def: DefinitionArgs,
        /// Print the compiled program.
        #[arg(long)]
        dump: bool,
    },
    /// Run one execution and print its outcome as JSON.
    Run {
        #[command(flatten)]
        def: DefinitionArgs,
        /// Execution input: JSON text, or @FILE.
        #[arg(long, default_value = "{}")]
        input: String,
        /// RESOURCE=identity | RESOURCE=return:JSON | RESOURCE=raise:TYPE:MESSAGE |
        /// RESOURCE=command:PROGRAM ARGS... (run per call: input JSON on stdin, result JSON on
        /// stdout) | RESOURCE=worker:PROGRAM ARGS... (one process, JSON lines; see README) |
        /// RESOURCE=http:URL (POSTs the input as JSON to URL; the JSON answer is the result);
        /// RESOURCE is a Task's Resource string or a Lambda function name. ARGS are split like
        /// shell words (quotes, backslash), with no shell. Repeatable.
        #[arg(long = "handler")]
        handlers: Vec<String>,
        #[command(flatten)]
        integrations: integrations::IntegrationArgs,
    },
    /// Draw a definition's graph: DOT, Mermaid, SVG or an HTML page.
    Graph(graph::GraphArgs),
    /// Serve the AWS Step Functions API (AWS JSON 1.0) over HTTP/1.1 and HTTP/2.
    Serve(Box<serve::ServeArgs>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Serve(args) = cli.command {
        return serve::main(*args);
    }
    match run(cli) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("aslx: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Parses and validates for `compile` and `run`: any problem is one error message.
fn model(def: &DefinitionArgs) -> Result<(String, StateMachine), String> {
    let text = load(def).map_err(LoadError::into_message)?;
    match parse_definition(&text, def.machine_type) {
        Ok(m) => Ok((text, m)),
        Err(e) => Err(format!(
            "{}: invalid definition:\n{}",
            def.file,
            findings(def, &text, &e).join("\n")
        )),
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Serve(_) => unreachable!("handled in main"),
        Command::Graph(args) => graph::run(args),
        Command::Validate { def, json } => {
            let (text, result) = match load(&def) {
                Ok(text) => {
                    let r = parse_definition(&text, def.machine_type);
                    (text, r)
                }
                Err(LoadError::Usage(m)) => return Err(m),
                Err(LoadError::Invalid(lines)) => {
                    if json {
                        let out = serde_json::json!({"result": "FAIL", "diagnostics": [], "errors": lines});
                        println!("{out}");
                    } else {
                        for l in lines {
                            println!("{l}");
                        }
                    }
                    return Ok(ExitCode::from(1));
                }
            };
            if json {
                let diags: Vec<serde_json::Value> = match &result {
                    Ok(_) => Vec::new(),
                    Err(e) => e.diagnostics().iter().map(|d| d.to_json()).collect(),
                };
                let out = serde_json::json!({
                    "result": if result.is_ok() { "OK" } else { "FAIL" },
                    "diagnostics": diags,
                });
                println!("{out}");
            } else {
                match &result {
                    Ok(_) => println!("OK"),
                    Err(e) => {
                        for line in findings(&def, &text, e) {
                            println!("{line}");
                        }
                    }
                }
            }
            Ok(if result.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Compile {
            def,
            dump: want_dump,
        } => {
            let (_, model) = model(&def)?;
            let program = compile(&model).map_err(|e| format!("unsupported: {e}"))?;
            if want_dump {
                print!("{}", dump(&program));
            } else {
                println!(
                    "OK: {} states, {} task sites",
                    program.len(),
                    program.tasks().len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            def,
            input,
            handlers,
            integrations,
        } => {
            let (text, _) = model(&def)?;
            let input_text = match input.strip_prefix('@') {
                Some(path) => read_text(path)?,
                None => input,
            };
            let input = aslx::parse_json(&input_text).map_err(|e| format!("--input: {e}"))?;
            let mut registry = Handlers::new();
            for spec in &handlers {
                add_handler(&mut registry, spec)?;
            }
            // The region is AWS_REGION / AWS_DEFAULT_REGION's (`AwsCredentials::from_env`).
            registry.integrations(integrations.build("us-east-1")?);
            if let Some(dir) = integrations.s3_dir()? {
                registry.s3_dir(dir);
            }
            let name = std::path::Path::new(&def.file)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("machine")
                .split('.')
                .next()
                .unwrap_or("machine")
                .to_string();
            let machine = match Machine::new(&name, &text, def.machine_type, &registry) {
                Ok(m) => m,
                Err(MachineError::UnknownResource(unbound)) => return Err(unbound_help(&unbound)),
                Err(e) => return Err(e.to_string()),
            };
            let outcome = machine.run_blocking(input);
            println!("{}", outcome.to_json().to_json());
            Ok(if outcome.status == aslx::Status::Succeeded {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// Every Task resource with no handler at once, each with the `--handler` that binds it.
fn unbound_help(unbound: &[aslx::runtime::UnboundTask]) -> String {
    const KINDS: &str = "identity, return:JSON, raise:TYPE:MESSAGE, command:PROGRAM ARGS..., worker:PROGRAM ARGS... or http:URL";
    let or_bind = |t: &aslx::runtime::UnboundTask| {
        t.hint
            .as_ref()
            .map(|h| format!(", or {h}"))
            .unwrap_or_default()
    };
    if let [t] = unbound {
        return format!(
            "state {:?} calls {:?}, which has no handler; pass --handler '{}=identity' (or any of {KINDS}){}",
            t.state,
            t.resource,
            t.resource,
            or_bind(t)
        );
    }
    let lines = aslx::runtime::UnboundTask::by_resource(unbound);
    let mut msg = format!(
        "{} Task resources have no handler; pass a --handler for each (BEHAVIOUR: {KINDS}):",
        lines.len()
    );
    for (t, states) in lines {
        let or = t
            .hint
            .as_ref()
            .map(|h| format!(" or {h}"))
            .unwrap_or_default();
        let states: Vec<String> = states.iter().map(|s| format!("{s:?}")).collect();
        msg.push_str(&format!(
            "\n  --handler '{}=BEHAVIOUR'{or}   (state {})",
            t.resource,
            states.join(", ")
        ));
    }
    msg
}

/// `RESOURCE=identity | return:JSON | raise:TYPE:MESSAGE | command:... | worker:...`, parsed by the library's shared parser.
fn add_handler(h: &mut Handlers, spec: &str) -> Result<(), String> {
    HandlerSpec::parse(spec)
        .map_err(|e| format!("--{e}"))?
        .register(h);
    Ok(())
}
