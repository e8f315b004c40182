//! The `aslx` command line: validate, compile and run state machines.

use aslx::asl::parse_definition;
use aslx::compile::{compile, dump::dump};
use aslx::runtime::HandlerSpec;
use aslx::{Handlers, Machine, MachineError, MachineType};
use clap::{Parser, Subcommand};
use std::process::ExitCode;

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
        /// EXPRESS (default) or STANDARD.
        #[arg(long = "type", default_value = "EXPRESS")]
        machine_type: MachineType,
        /// Print diagnostics as JSON.
        #[arg(long)]
        json: bool,
        /// The definition file.
        file: String,
    },
    /// Compile a definition and print its bytecode.
    Compile {
        /// EXPRESS (default) or STANDARD.
        #[arg(long = "type", default_value = "EXPRESS")]
        machine_type: MachineType,
        /// Print the compiled program.
        #[arg(long)]
        dump: bool,
        /// The definition file.
        file: String,
    },
    /// Run one execution and print its outcome as JSON.
    Run {
        /// EXPRESS (default) or STANDARD.
        #[arg(long = "type", default_value = "EXPRESS")]
        machine_type: MachineType,
        /// Execution input: JSON text, or @FILE.
        #[arg(long, default_value = "{}")]
        input: String,
        /// RESOURCE=identity | RESOURCE=return:JSON | RESOURCE=raise:TYPE:MESSAGE; RESOURCE is
        /// a Task's Resource string or a Lambda function name. Repeatable.
        #[arg(long = "handler")]
        handlers: Vec<String>,
        /// The definition file.
        file: String,
    },
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

fn read_text(path: &str) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{path}: invalid UTF-8 at byte {}",
            e.utf8_error().valid_up_to()
        )
    })
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Serve(_) => unreachable!("handled in main"),
        Command::Validate {
            machine_type,
            json,
            file,
        } => {
            let text = read_text(&file)?;
            let result = parse_definition(&text, machine_type);
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
                        for d in e.diagnostics() {
                            println!("{d}");
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
            machine_type,
            dump: want_dump,
            file,
        } => {
            let text = read_text(&file)?;
            let model = parse_definition(&text, machine_type).map_err(|e| e.to_string())?;
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
            machine_type,
            input,
            handlers,
            file,
        } => {
            let text = read_text(&file)?;
            let input_text = match input.strip_prefix('@') {
                Some(path) => read_text(path)?,
                None => input,
            };
            let input = aslx::parse_json(&input_text).map_err(|e| format!("--input: {e}"))?;
            let mut registry = Handlers::new();
            for spec in &handlers {
                add_handler(&mut registry, spec)?;
            }
            let name = std::path::Path::new(&file)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("machine")
                .split('.')
                .next()
                .unwrap_or("machine")
                .to_string();
            let machine = match Machine::new(&name, &text, machine_type, &registry) {
                Ok(m) => m,
                Err(MachineError::UnknownResource { state, resource }) => {
                    return Err(format!(
                        "state {state:?} calls {resource:?}, which has no handler; pass --handler '{resource}=identity' (or return:JSON, raise:TYPE:MESSAGE)"
                    ))
                }
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

/// `RESOURCE=identity | return:JSON | raise:TYPE:MESSAGE`, parsed by the library's shared parser.
fn add_handler(h: &mut Handlers, spec: &str) -> Result<(), String> {
    HandlerSpec::parse(spec)
        .map_err(|e| format!("--{e}"))?
        .register(h);
    Ok(())
}
