//! A batch job: a Map state runs over the lines of a file, a typed handler parses each, bad
//! lines are caught per item (the others go on), and a last Task totals the good ones.
//!
//! ```text
//! cargo run --example batch_lines -- orders.csv      # lines of "sku,qty,cents"
//! ```

use aslx::{CheckedDefinition, Handlers, Machine, TaskError, Value};
use serde::{Deserialize, Serialize};

const LINES: CheckedDefinition = aslx_macros::definition!("examples/machines/lines.asl.json");

#[derive(Deserialize)]
struct Item {
    line: String,
    number: u64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Parsed {
    sku: String,
    qty: u32,
    cents: u64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Report {
    lines: usize,
    total_cents: u64,
    /// `(line number, why)` of every line that did not parse, first line 1.
    rejected: Vec<(u64, String)>,
}

fn parse_line(item: Item) -> Result<Parsed, TaskError> {
    let bad = |why: String| TaskError::new("Line.Invalid", why);
    let fields: Vec<&str> = item.line.split(',').map(str::trim).collect();
    let [sku, qty, cents] = fields[..] else {
        return Err(bad(format!("expected sku,qty,cents; got {:?}", item.line)));
    };
    Ok(Parsed {
        sku: sku.to_string(),
        qty: qty.parse().map_err(|e| bad(format!("qty {qty:?}: {e}")))?,
        cents: cents
            .parse()
            .map_err(|e| bad(format!("cents {cents:?}: {e}")))?,
    })
}

/// Each Map result is a parsed line, or `{"rejected": index, "why": cause}`.
fn total(results: Vec<Value>) -> Result<Report, TaskError> {
    let mut report = Report {
        lines: results.len(),
        total_cents: 0,
        rejected: Vec::new(),
    };
    for r in results {
        match r.get("rejected").and_then(Value::as_i64) {
            Some(i) => {
                let why = r.get("why").and_then(Value::as_str).unwrap_or("");
                report.rejected.push((i as u64 + 1, why.to_string()));
            }
            None => {
                let p: Parsed = aslx::from_value(r)
                    .map_err(|e| TaskError::new("States.Runtime", e.to_string()))?;
                report.total_cents += p.qty as u64 * p.cents;
            }
        }
    }
    Ok(report)
}

/// Runs the machine over the lines of `text`.
async fn run(text: &str) -> Result<Report, String> {
    let mut h = Handlers::new();
    h.typed("parse_line", |item: Item| {
        let _ = item.number;
        parse_line(item)
    });
    h.typed("total", total);
    let machine =
        Machine::new("lines", LINES.text(), LINES.machine_type(), &h).map_err(|e| e.to_string())?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let input =
        aslx::to_value(&serde_json::json!({ "lines": lines })).map_err(|e| e.to_string())?;
    let outcome = machine.run(input).await;
    match outcome.output {
        Some(out) => aslx::from_value(out).map_err(|e| e.to_string()),
        None => Err(format!("{:?}: {:?}", outcome.error, outcome.cause)),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(&path).unwrap_or_else(|e| {
            eprintln!("{path}: {e}");
            std::process::exit(2)
        }),
        None => "A-1,2,450\nB-2,1,1000\nC-3,x,5\n".to_string(),
    };
    match run(&text).await {
        Ok(report) => println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
        Err(e) => {
            eprintln!("the batch failed: {e}");
            std::process::exit(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_of_lines_is_totalled_and_bad_lines_are_kept_aside() {
        let path = std::env::temp_dir().join(format!("aslx-batch-{}.csv", std::process::id()));
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!("SKU-{i},{},{}\n", i % 3 + 1, 100));
        }
        text.push_str("broken line\n");
        text.push_str("Z,1,-5\n");
        std::fs::write(&path, &text).unwrap();
        let report = run(&std::fs::read_to_string(&path).unwrap()).await.unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(report.lines, 202);
        // qty cycles 1, 2, 3: 67 ones, 67 twos, 66 threes.
        assert_eq!(report.total_cents, (67 + 2 * 67 + 3 * 66) * 100);
        assert_eq!(report.rejected.len(), 2);
        assert_eq!(report.rejected[0].0, 201);
        assert!(
            report.rejected[0].1.contains("expected sku,qty,cents"),
            "{report:?}"
        );
        assert_eq!(report.rejected[1].0, 202);
        assert!(report.rejected[1].1.contains("cents \"-5\""), "{report:?}");
    }
}
