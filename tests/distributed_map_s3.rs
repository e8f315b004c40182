//! Distributed Maps that read their items from S3 (`ItemReader`, ASL checklist MAP-10) and
//! write their results there (`ResultWriter`, MAP-12), against a local directory
//! (`Handlers::s3_dir`, `--s3-dir`) and against a real S3 wire server (moto's, started by
//! the test when it is installed; required when `CI=true`).

#[path = "support/moto.rs"]
mod moto_server;
use aslx::engine::{Engine, StartRequest};
use aslx::integrations::{AwsCredentials, Endpoints, Integrations};
use aslx::{
    json, parse_json, Handlers, Machine, MachineError, MachineType, Outcome, Status, Value,
};
use moto_server::moto;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A temporary directory whose subdirectories are buckets; removed when dropped.
struct S3Dir(PathBuf);

impl S3Dir {
    fn new(buckets: &[&str]) -> S3Dir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "aslx-s3-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        for b in buckets {
            std::fs::create_dir_all(root.join(b)).unwrap();
        }
        S3Dir(root)
    }

    fn put(&self, bucket: &str, key: &str, body: impl AsRef<[u8]>) {
        let path = self.0.join(bucket).join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }

    fn get(&self, bucket: &str, key: &str) -> String {
        let path = self.0.join(bucket).join(key);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn handlers(&self) -> Handlers {
        let mut h = Handlers::new();
        h.s3_dir(&self.0);
        h
    }
}

impl Drop for S3Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A STANDARD machine whose state `M` is a distributed Map with `fields`, its processor a
/// Pass state (or `processor`), then the end.
fn dmap_with(fields: &str, processor: &str) -> String {
    format!(
        r#"{{"StartAt":"M","States":{{"M":{{"Type":"Map",{fields},
        "ItemProcessor":{{"ProcessorConfig":{{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"}},
          "StartAt":"P","States":{{"P":{processor}}}}},"End":true}}}}}}"#
    )
}

fn dmap(fields: &str) -> String {
    dmap_with(fields, r#"{"Type":"Pass","End":true}"#)
}

fn reader(resource: &str, config: &str, params: &str) -> String {
    format!(
        r#""ItemReader":{{"Resource":"arn:aws:states:::s3:{resource}","ReaderConfig":{config},"Parameters":{params}}}"#
    )
}

fn run(h: &Handlers, def: &str, input: Value) -> Outcome {
    let m = Machine::new("m", def, MachineType::Standard, h).unwrap_or_else(|e| panic!("{e}"));
    m.run_blocking(input)
}

fn output(o: &Outcome) -> String {
    assert_eq!(o.status, Status::Succeeded, "{o:?}");
    o.output.as_ref().unwrap().to_json()
}

fn failure(o: &Outcome) -> (String, String) {
    assert_eq!(o.status, Status::Failed, "{o:?}");
    (
        o.error.as_deref().unwrap_or_default().to_string(),
        o.cause.clone().unwrap_or_default(),
    )
}

// ------------------------------------------------------------------ input types

#[test]
fn map10_json_array_items_with_item_selector_reading_item_and_state_input() {
    let s3 = S3Dir::new(&["in"]);
    s3.put("in", "data/facts.json", r#"[{"v":"a"},{"v":"b"}]"#);
    let def = dmap(&format!(
        r#"{},"ItemSelector":{{"item.$":"$$.Map.Item.Value.v","index.$":"$$.Map.Item.Index","run.$":"$.run"}}"#,
        reader(
            "getObject",
            r#"{"InputType":"JSON"}"#,
            r#"{"Bucket":"in","Key.$":"$.key"}"#
        )
    ));
    let o = run(
        &s3.handlers(),
        &def,
        json!({"key": "data/facts.json", "run": 7}),
    );
    assert_eq!(
        output(&o),
        r#"[{"item":"a","index":0,"run":7},{"item":"b","index":1,"run":7}]"#
    );
}

#[test]
fn map10_json_lines_give_one_item_per_line_skipping_blank_lines() {
    let s3 = S3Dir::new(&["in"]);
    s3.put("in", "l.jsonl", "{\"n\":1}\r\n\n  \n[2]\n\"three\"\n");
    let def = dmap(&reader(
        "getObject",
        r#"{"InputType":"JSONL"}"#,
        r#"{"Bucket":"in","Key":"l.jsonl"}"#,
    ));
    assert_eq!(
        output(&run(&s3.handlers(), &def, json!({}))),
        r#"[{"n":1},[2],"three"]"#
    );
}

#[test]
fn map10_csv_first_row_headers_give_string_values_with_quotes_and_escapes() {
    let s3 = S3Dir::new(&["in"]);
    s3.put(
        "in",
        "r.csv",
        "userId|movieId|title\n1|307|\"A|B \"\"quoted\"\"\"\n2|481|C:\\\\dir\n",
    );
    let config = r#"{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW","CSVDelimiter":"PIPE"}"#;
    let def = dmap(&reader(
        "getObject",
        config,
        r#"{"Bucket":"in","Key":"r.csv"}"#,
    ));
    assert_eq!(
        output(&run(&s3.handlers(), &def, json!({}))),
        r#"[{"userId":"1","movieId":"307","title":"A|B \"quoted\""},{"userId":"2","movieId":"481","title":"C:\\dir"}]"#
    );
}

#[test]
fn map10_csv_given_headers_fill_short_rows_with_empty_strings_and_drop_extra_fields() {
    let s3 = S3Dir::new(&["in"]);
    s3.put("in", "t.tsv", "1\t307\t3.5\t99\n2\n");
    let config = r#"{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVDelimiter":"TAB",
        "CSVHeaders":["userId","movieId","rating"]}"#;
    let def = dmap(&reader(
        "getObject",
        config,
        r#"{"Bucket":"in","Key":"t.tsv"}"#,
    ));
    assert_eq!(
        output(&run(&s3.handlers(), &def, json!({}))),
        r#"[{"userId":"1","movieId":"307","rating":"3.5"},{"userId":"2","movieId":"","rating":""}]"#
    );
}

#[test]
fn map10_an_s3_inventory_manifest_names_gzip_csv_files_whose_columns_its_file_schema_gives() {
    let s3 = S3Dir::new(&["inventory", "source"]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(
        b"\"source\",\"csvDataset/\",\"0\",\"2022-11-16T00:27:19.000Z\"\n\
          \"source\",\"csvDataset/titles.csv\",\"3399671\",\"2022-11-16T00:29:32.000Z\"\n",
    )
    .unwrap();
    s3.put("inventory", "inv/data/1.csv.gz", gz.finish().unwrap());
    s3.put(
        "inventory",
        "inv/manifest.json",
        r#"{"sourceBucket":"source","destinationBucket":"arn:aws:s3:::inventory",
            "version":"2016-11-30","fileFormat":"CSV",
            "fileSchema":"Bucket, Key, Size, LastModifiedDate",
            "files":[{"key":"inv/data/1.csv.gz","size":7300,"MD5checksum":"x"}]}"#,
    );
    let def = dmap(&reader(
        "getObject",
        r#"{"InputType":"MANIFEST"}"#,
        r#"{"Bucket":"inventory","Key":"inv/manifest.json"}"#,
    ));
    let out = output(&run(&s3.handlers(), &def, json!({})));
    assert_eq!(
        out,
        r#"[{"Bucket":"source","Key":"csvDataset/","Size":"0","LastModifiedDate":"2022-11-16T00:27:19.000Z"},{"Bucket":"source","Key":"csvDataset/titles.csv","Size":"3399671","LastModifiedDate":"2022-11-16T00:29:32.000Z"}]"#
    );
}

#[test]
fn map10_list_objects_v2_gives_each_object_under_the_prefix_as_aws_spells_it() {
    let s3 = S3Dir::new(&["b"]);
    s3.put("b", "logs/b.txt", "hello");
    s3.put("b", "logs/a.txt", "");
    s3.put("b", "other/c.txt", "x");
    let def = dmap(
        r#""ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2",
        "Parameters":{"Bucket":"b","Prefix":"logs/"}}"#,
    );
    let out = run(&s3.handlers(), &def, json!({})).output.unwrap();
    let items = out.as_array().unwrap();
    assert_eq!(items.len(), 2);
    // Key order, the listing's.
    assert_eq!(items[0].get("Key"), Some(&json!("logs/a.txt")));
    let b = &items[1];
    assert_eq!(b.get("Key"), Some(&json!("logs/b.txt")));
    assert_eq!(b.get("Size"), Some(&json!(5)));
    // The MD5 of "hello", quoted, as S3's ETag of a single-part upload.
    assert_eq!(
        b.get("Etag"),
        Some(&json!("\"5d41402abc4b2a76b9719d911017c592\""))
    );
    assert_eq!(b.get("StorageClass"), Some(&json!("STANDARD")));
    assert!(b.get("LastModified").and_then(Value::as_i64).unwrap() > 1_600_000_000);
}

#[test]
fn map10_list_objects_v2_load_and_flatten_reads_the_items_inside_each_object() {
    let s3 = S3Dir::new(&["b"]);
    s3.put("b", "p/1.json", "[1,2]");
    s3.put("b", "p/2.json", "[3]");
    let def = dmap(
        r#""ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2",
        "ReaderConfig":{"InputType":"JSON","Transformation":"LOAD_AND_FLATTEN"},
        "Parameters":{"Bucket":"b","Prefix":"p/"}}"#,
    );
    assert_eq!(output(&run(&s3.handlers(), &def, json!({}))), "[1,2,3]");
}

#[test]
fn map10_max_items_and_max_items_path_stop_the_reader() {
    let s3 = S3Dir::new(&["in"]);
    s3.put("in", "n.json", "[1,2,3,4,5]");
    let params = r#"{"Bucket":"in","Key":"n.json"}"#;
    let literal = dmap(&reader(
        "getObject",
        r#"{"InputType":"JSON","MaxItems":2}"#,
        params,
    ));
    assert_eq!(output(&run(&s3.handlers(), &literal, json!({}))), "[1,2]");
    let path = dmap(&reader(
        "getObject",
        r#"{"InputType":"JSON","MaxItemsPath":"$.max"}"#,
        params,
    ));
    assert_eq!(
        output(&run(&s3.handlers(), &path, json!({"max": 3}))),
        "[1,2,3]"
    );
    let (error, cause) = failure(&run(&s3.handlers(), &path, json!({"max": 0})));
    assert_eq!(error, "States.ItemReaderFailed");
    assert!(cause.contains("MaxItems must be positive"), "{cause}");
}

#[test]
fn map10_jsonata_arguments_and_a_max_items_expression() {
    let s3 = S3Dir::new(&["in"]);
    s3.put("in", "n.jsonl", "1\n2\n3\n");
    let def = r#"{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map",
        "ItemReader":{"Resource":"arn:aws:states:::s3:getObject",
          "ReaderConfig":{"InputType":"JSONL","MaxItems":"{% $states.input.max %}"},
          "Arguments":{"Bucket":"in","Key":"{% $states.input.key %}"}},
        "ItemSelector":{"twice":"{% $states.context.Map.Item.Value * 2 %}","key":"{% $states.input.key %}"},
        "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
          "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}"#;
    let o = run(&s3.handlers(), def, json!({"key": "n.jsonl", "max": 2}));
    // `$states.input` is the state's input, not what the reader read.
    assert_eq!(
        output(&o),
        r#"[{"twice":2,"key":"n.jsonl"},{"twice":4,"key":"n.jsonl"}]"#
    );
}

#[test]
fn map11_item_batcher_batches_the_items_read() {
    let s3 = S3Dir::new(&["in"]);
    s3.put("in", "n.json", "[1,2,3]");
    let def = dmap(&format!(
        r#"{},"ItemBatcher":{{"MaxItemsPerBatch":2,"BatchInput":{{"b":true}}}}"#,
        reader(
            "getObject",
            r#"{"InputType":"JSON"}"#,
            r#"{"Bucket":"in","Key":"n.json"}"#
        )
    ));
    assert_eq!(
        output(&run(&s3.handlers(), &def, json!({}))),
        r#"[{"BatchInput":{"b":true},"Items":[1,2]},{"BatchInput":{"b":true},"Items":[3]}]"#
    );
}

// ------------------------------------------------------------------ ResultWriter

const WRITER: &str = r#""ResultWriter":{"Resource":"arn:aws:states:::s3:putObject",
    "Parameters":{"Bucket":"out","Prefix.$":"$.prefix"}}"#;

/// A writer for maps whose input is the items array.
const PLAIN_WRITER: &str = r#""ResultWriter":{"Resource":"arn:aws:states:::s3:putObject",
    "Parameters":{"Bucket":"out","Prefix":"p"}}"#;

/// The manifest the Map's result points to, checked against the result.
fn manifest(s3: &S3Dir, result: &Value) -> Value {
    let details = result.get("ResultWriterDetails").unwrap();
    assert_eq!(details.get("Bucket"), Some(&json!("out")));
    let key = details.get("Key").and_then(Value::as_str).unwrap();
    let m = parse_json(&s3.get("out", key)).unwrap();
    assert_eq!(m.get("DestinationBucket"), Some(&json!("out")));
    assert_eq!(m.get("MapRunArn"), result.get("MapRunArn"));
    m
}

fn result_file(s3: &S3Dir, m: &Value, status: &str) -> Value {
    let files = m.get("ResultFiles").unwrap().get(status).unwrap();
    let f = &files.as_array().unwrap()[0];
    let key = f.get("Key").and_then(Value::as_str).unwrap();
    let text = s3.get("out", key);
    assert_eq!(f.get("Size"), Some(&json!(text.len() as i64)), "{key}");
    parse_json(&text).unwrap()
}

#[test]
fn map12_result_writer_writes_the_manifest_and_succeeded_file_and_returns_where_they_are() {
    let s3 = S3Dir::new(&["in", "out"]);
    s3.put("in", "n.json", r#"[{"n":1},{"n":2}]"#);
    let def = dmap(&format!(
        "{},{WRITER}",
        reader(
            "getObject",
            r#"{"InputType":"JSON"}"#,
            r#"{"Bucket":"in","Key":"n.json"}"#
        )
    ));
    let o = run(&s3.handlers(), &def, json!({"prefix": "jobs/"}));
    let result = o.output.clone().unwrap();
    let arn = result
        .get("MapRunArn")
        .and_then(Value::as_str)
        .unwrap()
        .to_string();
    // arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<map run id>
    assert!(
        arn.starts_with("arn:aws:states:us-east-1:111111111111:mapRun:m/M:"),
        "{arn}"
    );
    let id = arn.rsplit(':').next().unwrap();
    let key = format!("jobs/{id}/manifest.json");
    assert_eq!(
        result.get("ResultWriterDetails").unwrap().to_json(),
        json!({"Bucket": "out", "Key": key}).to_json()
    );
    let m = manifest(&s3, &result);
    let files = m.get("ResultFiles").unwrap();
    assert_eq!(files.get("FAILED"), Some(&json!([])));
    assert_eq!(files.get("PENDING"), Some(&json!([])));
    let succeeded = result_file(&s3, &m, "SUCCEEDED");
    let entries = succeeded.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let e = &entries[1];
    // Transformation NONE (the default when exporting): input and output as JSON text.
    assert_eq!(e.get("Input"), Some(&json!(r#"{"n":2}"#)));
    assert_eq!(e.get("Output"), Some(&json!(r#"{"n":2}"#)));
    assert_eq!(e.get("Status"), Some(&json!("SUCCEEDED")));
    let name = e.get("Name").and_then(Value::as_str).unwrap();
    assert_eq!(
        e.get("ExecutionArn").and_then(Value::as_str),
        Some(&*format!(
            "arn:aws:states:us-east-1:111111111111:execution:m/M:{name}"
        ))
    );
    assert_eq!(
        e.get("StateMachineArn"),
        Some(&json!(
            "arn:aws:states:us-east-1:111111111111:stateMachine:m/M"
        ))
    );
    for k in [
        "InputDetails",
        "OutputDetails",
        "StartDate",
        "StopDate",
        "RedriveStatus",
    ] {
        assert!(e.get(k).is_some(), "{k} missing from {}", e.to_json());
    }
}

#[test]
fn map12_tolerated_failures_are_written_to_the_failed_file() {
    let s3 = S3Dir::new(&["out"]);
    let def = dmap_with(
        &format!(r#""ToleratedFailureCount":1,{PLAIN_WRITER}"#),
        r#"{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":2,"Next":"Boom"}],"Default":"Ok"},
           "Boom":{"Type":"Fail","Error":"Bad","Cause":"two"},"Ok":{"Type":"Pass","End":true}"#,
    );
    let o = run(&s3.handlers(), &def, json!([1, 2, 3]));
    assert_eq!(o.status, Status::Succeeded, "{o:?}");
    // Without an ItemReader the items come from the input; the writer still writes.
    let m = manifest(&s3, o.output.as_ref().unwrap());
    let failed = result_file(&s3, &m, "FAILED");
    let f = &failed.as_array().unwrap()[0];
    assert_eq!(f.get("Status"), Some(&json!("FAILED")));
    assert_eq!(f.get("Error"), Some(&json!("Bad")));
    assert_eq!(f.get("Cause"), Some(&json!("two")));
    assert_eq!(f.get("Input"), Some(&json!("2")));
    assert_eq!(
        result_file(&s3, &m, "SUCCEEDED").as_array().unwrap().len(),
        2
    );
}

#[test]
fn map12_a_failed_map_run_still_writes_its_failed_and_pending_children_then_fails() {
    let s3 = S3Dir::new(&["out"]);
    let def = dmap_with(
        &format!(r#""MaxConcurrency":1,{PLAIN_WRITER}"#),
        r#"{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":1,"Next":"Boom"}],"Default":"Ok"},
           "Boom":{"Type":"Fail","Error":"Bad","Cause":"one"},"Ok":{"Type":"Pass","End":true}"#,
    );
    let o = run(&s3.handlers(), &def, json!([1, 2, 3]));
    // The Map fails with its child's error, as without a writer (MAP-6).
    assert_eq!(failure(&o), ("Bad".to_string(), "one".to_string()));
    let runs = std::fs::read_dir(s3.0.join("out/p"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let folder = format!("p/{}", runs.file_name().to_str().unwrap());
    let m = parse_json(&s3.get("out", &format!("{folder}/manifest.json"))).unwrap();
    assert_eq!(
        m.get("ResultFiles").unwrap().get("SUCCEEDED"),
        Some(&json!([]))
    );
    let failed = result_file(&s3, &m, "FAILED");
    assert_eq!(failed.as_array().unwrap().len(), 1);
    let pending = result_file(&s3, &m, "PENDING");
    let inputs: Vec<&str> = pending
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.get("Input")?.as_str())
        .collect();
    assert_eq!(inputs, ["2", "3"]);
}

#[test]
fn map12_writer_config_alone_returns_the_flattened_results_and_writes_nothing() {
    let s3 = S3Dir::new(&["out"]);
    let def = dmap_with(
        r#""ResultWriter":{"WriterConfig":{"Transformation":"FLATTEN","OutputType":"JSON"}}"#,
        r#"{"Type":"Pass","Parameters":{"a.$":"$","b":0},"OutputPath":"$.*","End":true}"#,
    );
    assert_eq!(
        output(&run(&s3.handlers(), &def, json!([1, 2]))),
        "[1,0,2,0]"
    );
    assert_eq!(std::fs::read_dir(s3.0.join("out")).unwrap().count(), 0);
}

#[test]
fn map12_compact_json_lines_results_are_one_output_per_line() {
    let s3 = S3Dir::new(&["out"]);
    let def = dmap(
        r#""ResultWriter":{"Resource":"arn:aws:states:::s3:putObject",
        "WriterConfig":{"Transformation":"COMPACT","OutputType":"JSONL"},
        "Parameters":{"Bucket":"out"}}"#,
    );
    let o = run(&s3.handlers(), &def, json!([{"a": 1}, [2]]));
    let result = o.output.unwrap();
    let key = result
        .get("ResultWriterDetails")
        .unwrap()
        .get("Key")
        .and_then(Value::as_str)
        .unwrap();
    // No prefix: the Map Run's folder sits at the top of the bucket.
    assert!(
        !key.starts_with('/') && key.ends_with("/manifest.json"),
        "{key}"
    );
    let m = manifest(&s3, &result);
    let f = &m
        .get("ResultFiles")
        .unwrap()
        .get("SUCCEEDED")
        .unwrap()
        .as_array()
        .unwrap()[0];
    let text = s3.get("out", f.get("Key").and_then(Value::as_str).unwrap());
    assert_eq!(text, "{\"a\":1}\n[2]\n");
}

// ------------------------------------------------------------------ histories

#[tokio::test]
async fn map10_a_distributed_map_records_its_map_run_around_the_iterations() {
    let s3 = S3Dir::new(&["in", "out"]);
    s3.put("in", "n.json", "[1]");
    let engine = Engine::builder()
        .runtime(tokio::runtime::Handle::current())
        .handlers(s3.handlers())
        .build()
        .unwrap();
    let def = dmap(&format!(
        "{},{WRITER}",
        reader(
            "getObject",
            r#"{"InputType":"JSON"}"#,
            r#"{"Bucket":"in","Key":"n.json"}"#
        )
    ));
    engine
        .create_machine("m", &def, MachineType::Standard)
        .unwrap();
    let h = engine
        .start_with_handle(StartRequest::new("m").input(json!({"prefix": "p"})))
        .unwrap();
    h.wait().await;
    let events = h.history();
    let types: Vec<&str> = events.iter().map(|e| e.event_type).collect();
    let at = |t: &str| {
        types
            .iter()
            .position(|x| *x == t)
            .unwrap_or_else(|| panic!("{t}: {types:?}"))
    };
    assert!(at("MapStateStarted") < at("MapRunStarted"), "{types:?}");
    assert!(at("MapRunStarted") < at("MapIterationStarted"), "{types:?}");
    assert!(
        at("MapIterationSucceeded") < at("MapRunSucceeded"),
        "{types:?}"
    );
    assert!(at("MapRunSucceeded") < at("MapStateSucceeded"), "{types:?}");
    let started = &events[at("MapRunStarted")];
    let arn = started
        .details
        .get("mapRunArn")
        .and_then(Value::as_str)
        .unwrap();
    assert!(arn.contains(":mapRun:m/M:"), "{arn}");
    assert_eq!(*types.last().unwrap(), "ExecutionSucceeded");
}

#[tokio::test]
async fn map10_a_failed_read_records_map_run_failed_with_the_error() {
    let s3 = S3Dir::new(&["in"]);
    let engine = Engine::builder()
        .runtime(tokio::runtime::Handle::current())
        .handlers(s3.handlers())
        .build()
        .unwrap();
    let def = dmap(&reader(
        "getObject",
        r#"{"InputType":"JSON"}"#,
        r#"{"Bucket":"in","Key":"gone.json"}"#,
    ));
    engine
        .create_machine("m", &def, MachineType::Standard)
        .unwrap();
    let h = engine.start_with_handle(StartRequest::new("m")).unwrap();
    h.wait().await;
    let events = h.history();
    let types: Vec<&str> = events.iter().map(|e| e.event_type).collect();
    let failed = events
        .iter()
        .find(|e| e.event_type == "MapRunFailed")
        .unwrap();
    assert_eq!(
        failed.details.get("error"),
        Some(&json!("States.ItemReaderFailed"))
    );
    let i = types.iter().position(|t| *t == "MapRunFailed").unwrap();
    assert_eq!(&types[i + 1..], &["MapStateFailed", "ExecutionFailed"]);
}

// ------------------------------------------------------------------ bad input

#[test]
fn map10_a_missing_key_or_bucket_fails_with_item_reader_failed_naming_the_object() {
    let s3 = S3Dir::new(&["in"]);
    let def = dmap(&reader(
        "getObject",
        r#"{"InputType":"JSON"}"#,
        r#"{"Bucket.$":"$.b","Key":"k.json"}"#,
    ));
    let (error, cause) = failure(&run(&s3.handlers(), &def, json!({"b": "in"})));
    assert_eq!(error, "States.ItemReaderFailed");
    assert!(
        cause.contains("s3://in/k.json") && cause.contains("NoSuchKey"),
        "{cause}"
    );
    let (error, cause) = failure(&run(&s3.handlers(), &def, json!({"b": "nobucket"})));
    assert_eq!(error, "States.ItemReaderFailed");
    assert!(
        cause.contains("NoSuchBucket") && cause.contains("s3://nobucket/k.json"),
        "{cause}"
    );
}

#[test]
fn map10_keys_that_leave_the_bucket_are_refused_not_followed() {
    let s3 = S3Dir::new(&["in", "secret"]);
    s3.put("secret", "x.json", "[1]");
    let def = dmap(&reader(
        "getObject",
        r#"{"InputType":"JSON"}"#,
        r#"{"Bucket":"in","Key.$":"$.k"}"#,
    ));
    for k in ["../secret/x.json", "/etc/passwd", "a/./b.json", "a//b.json"] {
        let (error, cause) = failure(&run(&s3.handlers(), &def, json!({"k": k})));
        assert_eq!(error, "States.ItemReaderFailed", "{k}");
        assert!(cause.contains("InvalidObjectName"), "{k}: {cause}");
    }
}

#[test]
fn map10_invalid_json_and_csv_name_the_object_line_and_column() {
    let s3 = S3Dir::new(&["in"]);
    s3.put("in", "bad.json", "[1,\n  2,,]");
    s3.put("in", "bad.jsonl", "{\"a\":1}\n{\"a\":}\n");
    s3.put("in", "bad.csv", "a,b\n1,\"2\n");
    s3.put("in", "dup.csv", "a,b,a\n1,2,3\n");
    s3.put("in", "obj.json", r#"{"not":"an array"}"#);
    let cases = [
        (
            r#"{"InputType":"JSON"}"#,
            "bad.json",
            "s3://in/bad.json is not valid JSON: line 2",
        ),
        (
            r#"{"InputType":"JSONL"}"#,
            "bad.jsonl",
            "s3://in/bad.jsonl: line 2 is not valid JSON",
        ),
        (
            r#"{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"}"#,
            "bad.csv",
            "s3://in/bad.csv: line 2, column 3: a quoted field is not closed",
        ),
        (
            r#"{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"}"#,
            "dup.csv",
            "CSV headers cannot contain duplicates.",
        ),
        (
            r#"{"InputType":"JSON"}"#,
            "obj.json",
            "Attempting to map over non-iterable node.",
        ),
    ];
    for (config, key, expected) in cases {
        let def = dmap(&reader(
            "getObject",
            config,
            &format!(r#"{{"Bucket":"in","Key":"{key}"}}"#),
        ));
        let (error, cause) = failure(&run(&s3.handlers(), &def, json!({})));
        assert_eq!(error, "States.ItemReaderFailed", "{key}");
        assert!(cause.contains(expected), "{key}: {cause}");
    }
}

#[test]
fn map10_items_over_the_limits_fail_the_map() {
    let s3 = S3Dir::new(&["in"]);
    // A child's input holds at most 256 KiB (QUO-2): an item past it fails the Map...
    let big = format!("{{\"s\":\"{}\"}}\n", "x".repeat(300 * 1024));
    s3.put("in", "big.jsonl", &big);
    let def = dmap(&reader(
        "getObject",
        r#"{"InputType":"JSONL"}"#,
        r#"{"Bucket":"in","Key":"big.jsonl"}"#,
    ));
    let (error, _) = failure(&run(&s3.handlers(), &def, json!({})));
    assert_eq!(error, "States.DataLimitExceeded");
    // ...unless ItemSelector makes it smaller; but no item is read past 8 MB.
    let slim = dmap(&format!(
        r#"{},"ItemSelector":{{"n.$":"States.StringToJson('1')"}}"#,
        reader(
            "getObject",
            r#"{"InputType":"JSONL"}"#,
            r#"{"Bucket":"in","Key":"big.jsonl"}"#
        )
    ));
    assert_eq!(
        output(&run(&s3.handlers(), &slim, json!({}))),
        r#"[{"n":1}]"#
    );
    let huge = format!("\"{}\"\n", "x".repeat(8 * 1024 * 1024 + 1));
    s3.put("in", "huge.jsonl", &huge);
    let def = dmap(&reader(
        "getObject",
        r#"{"InputType":"JSONL"}"#,
        r#"{"Bucket":"in","Key":"huge.jsonl"}"#,
    ));
    let (error, cause) = failure(&run(&s3.handlers(), &def, json!({})));
    assert_eq!(error, "States.ItemReaderFailed");
    assert!(
        cause.contains("s3://in/huge.jsonl: line 1 is larger than 8 MB"),
        "{cause}"
    );
}

#[test]
fn map10_item_reader_failed_is_retried_and_caught_like_any_state_error() {
    let s3 = S3Dir::new(&["in"]);
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map",
        "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},
          "Parameters":{"Bucket":"in","Key":"none.json"}},
        "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
          "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
        "Retry":[{"ErrorEquals":["States.ItemReaderFailed"],"MaxAttempts":1,"IntervalSeconds":1}],
        "Catch":[{"ErrorEquals":["States.ItemReaderFailed"],"ResultPath":"$.err","Next":"Done"}],
        "End":true},
      "Done":{"Type":"Pass","End":true}}}"#;
    let o = run(&s3.handlers(), def, json!({}));
    let out = o.output.unwrap();
    assert_eq!(
        out.get("err").unwrap().get("Error"),
        Some(&json!("States.ItemReaderFailed"))
    );
}

#[test]
fn map12_a_writer_bucket_that_does_not_exist_fails_with_result_writer_failed() {
    let s3 = S3Dir::new(&[]);
    let def = dmap(PLAIN_WRITER);
    let (error, cause) = failure(&run(&s3.handlers(), &def, json!([1])));
    // Items from the input: the error is the writer's.
    assert_eq!(error, "States.ResultWriterFailed");
    assert!(
        cause.contains("NoSuchBucket") && cause.contains("s3://out/"),
        "{cause}"
    );
}

#[test]
fn map10_map12_definitions_are_checked_when_the_machine_is_created() {
    let s3 = S3Dir::new(&[]);
    let cases = [
        (dmap(&reader("getObject", "{}", r#"{"Bucket":"b","Key":"k"}"#)), "/States/M/ItemReader/ReaderConfig", "InputType"),
        (
            dmap(&reader("getObject", r#"{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW","CSVDelimiter":"COLON"}"#, "{}")),
            "/States/M/ItemReader/ReaderConfig/CSVDelimiter",
            "COMMA, PIPE",
        ),
        (
            dmap(&reader("getObject", r#"{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["a","a"]}"#, "{}")),
            "/States/M/ItemReader/ReaderConfig/CSVHeaders/1",
            "CSV headers cannot contain duplicates.",
        ),
        (
            dmap(&reader("getObject", r#"{"InputType":"JSON","MaxItems":0}"#, "{}")),
            "/States/M/ItemReader/ReaderConfig/MaxItems",
            "positive",
        ),
        (dmap(&reader("deleteObject", r#"{"InputType":"JSON"}"#, "{}")), "/States/M/ItemReader/Resource", "s3:deleteObject"),
        (
            r#"{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
              "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{}},
              "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}"#
                .to_string(),
            "/States/M/ItemReader",
            "DISTRIBUTED",
        ),
    ];
    for (def, at, says) in cases {
        let e = Machine::new("m", &def, MachineType::Standard, &s3.handlers()).unwrap_err();
        let MachineError::Unsupported(c) = &e else {
            panic!("{at}: {e:?}")
        };
        assert_eq!(c.location(), at, "{e}");
        assert!(c.message().contains(says), "{e}");
    }
}

// ------------------------------------------------------------------ a real S3 wire server

/// moto wants bucket names of three characters or more, as S3 does.
const MOTO_WRITER: &str = r#""ResultWriter":{"Resource":"arn:aws:states:::s3:putObject",
    "Parameters":{"Bucket":"out-bucket","Prefix.$":"$.prefix"}}"#;

/// One plain HTTP/1.1 request to moto: status and body. moto checks no signature, but
/// answers an anonymous object read with 403, so the request carries a placeholder one.
fn http(port: u16, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, \
         SignedHeaders=host, Signature=00\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

#[test]
fn map10_map12_read_items_and_write_results_through_a_real_s3_endpoint() {
    let Some(moto) = moto() else { return };
    let p = moto.port();
    assert_eq!(http(p, "PUT", "/in-bucket", b"").0, 200);
    assert_eq!(http(p, "PUT", "/out-bucket", b"").0, 200);
    assert_eq!(
        http(
            p,
            "PUT",
            "/in-bucket/data/r%20s.csv",
            b"id,name\n1,ann\n2,\"b,ob\"\n"
        )
        .0,
        200
    );
    assert_eq!(http(p, "PUT", "/in-bucket/data/x.json", b"[]").0, 200);
    let mut endpoints = Endpoints::new();
    endpoints
        .set("s3", &format!("http://127.0.0.1:{p}"))
        .unwrap();
    let mut h = Handlers::new();
    h.integrations(Integrations::new(endpoints, AwsCredentials::default()));

    let def = dmap(&format!(
        "{},{MOTO_WRITER}",
        reader(
            "getObject",
            r#"{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"}"#,
            r#"{"Bucket":"in-bucket","Key":"data/r s.csv"}"#
        )
    ));
    let o = run(&h, &def, json!({"prefix": "runs"}));
    let result = o.output.clone().unwrap_or_else(|| panic!("{o:?}"));
    let key = result
        .get("ResultWriterDetails")
        .unwrap()
        .get("Key")
        .and_then(Value::as_str)
        .unwrap();
    let (status, text) = http(p, "GET", &format!("/out-bucket/{key}"), b"");
    assert_eq!(status, 200, "{text}");
    let m = parse_json(&text).unwrap();
    let f = &m
        .get("ResultFiles")
        .unwrap()
        .get("SUCCEEDED")
        .unwrap()
        .as_array()
        .unwrap()[0];
    let (_, file) = http(
        p,
        "GET",
        &format!(
            "/out-bucket/{}",
            f.get("Key").and_then(Value::as_str).unwrap()
        ),
        b"",
    );
    let entries = parse_json(&file).unwrap();
    assert_eq!(
        entries.as_array().unwrap()[1].get("Output"),
        Some(&json!(r#"{"id":"2","name":"b,ob"}"#))
    );

    // The listing, through ListObjectsV2.
    let list = dmap(
        r#""ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"in-bucket","Prefix":"data/"}}"#,
    );
    let out = run(&h, &list, json!({})).output.unwrap();
    let keys: Vec<&str> = out
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i.get("Key")?.as_str())
        .collect();
    assert_eq!(keys, ["data/r s.csv", "data/x.json"]);
    assert_eq!(out.as_array().unwrap()[1].get("Size"), Some(&json!(2)));

    // S3's own errors, named.
    let missing = dmap(&reader(
        "getObject",
        r#"{"InputType":"JSON"}"#,
        r#"{"Bucket":"in-bucket","Key":"nope.json"}"#,
    ));
    let (error, cause) = failure(&run(&h, &missing, json!({})));
    assert_eq!(error, "States.ItemReaderFailed");
    assert!(
        cause.contains("NoSuchKey") && cause.contains("s3://in-bucket/nope.json"),
        "{cause}"
    );
}
