//! Golden files: the compiled program of each shared bench machine (`aslx compile --dump`)
//! and the rendered diagnostics of invalid definitions. `ASLX_BLESS=1` rewrites them; review
//! the diff like code.

use aslx::asl::{parse_definition, MachineType};
use aslx::compile::{compile, dump::dump};
use std::path::PathBuf;

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("ASLX_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with ASLX_BLESS=1 to create it)",
            path.display()
        )
    });
    assert_eq!(
        expected,
        actual,
        "{} differs (ASLX_BLESS=1 rewrites it)",
        path.display()
    );
}

fn bench_machine(name: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/machines");
    std::fs::read_to_string(dir.join(format!("{name}.asl.json"))).unwrap()
}

#[test]
fn program_dumps_of_bench_machines() {
    for name in [
        "pass1",
        "pipeline5",
        "task3",
        "choice_loop",
        "catch_fail",
        "map10",
        "parallel3",
    ] {
        let model = parse_definition(&bench_machine(name), MachineType::Express).unwrap();
        let program = compile(&model).unwrap();
        golden(&format!("{name}.dump.txt"), &dump(&program));
    }
}

#[test]
fn program_dump_of_the_jsonata_bench_machine() {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("benches/machines/pipeline5_jsonata.asl.json"),
    )
    .unwrap();
    let program = compile(&parse_definition(&text, MachineType::Express).unwrap()).unwrap();
    golden("pipeline5_jsonata.dump.txt", &dump(&program));
}

#[test]
fn program_dump_of_the_example_workflow() {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/examples/order.asl.json"),
    )
    .unwrap();
    let program = compile(&parse_definition(&text, MachineType::Express).unwrap()).unwrap();
    golden("order.dump.txt", &dump(&program));
}

#[test]
fn rendered_diagnostics_of_a_definition_with_many_faults() {
    let def = r#"{
      "StartAt": "A",
      "Foo": 1,
      "States": {
        "A": {"Type": "Pass", "Next": "Nowhere"},
        "B": {"Type": "Wait", "Seconds": 1, "ResultPath": "$.x", "End": true},
        "C": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken", "End": true},
        "D": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": "1", "Next": "A"}]}
      }
    }"#;
    let err = parse_definition(def, MachineType::Express).unwrap_err();
    let mut text = err.to_string();
    text.push('\n');
    for d in err.diagnostics() {
        text.push_str(&d.to_string());
        text.push('\n');
    }
    golden("many_faults.diagnostics.txt", &text);
}
