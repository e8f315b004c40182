//! A distributed Map's Map Run: its identity and history events, its `ItemReader` request
//! and its `ResultWriter` output (MAP-10, MAP-12, MAP-13).
//!
//! The order of events follows AWS's: `MapStateStarted`, `MapRunStarted`, the iterations,
//! then — once a `ResultWriter` has written — `MapRunSucceeded` or `MapRunFailed`, and
//! `MapStateSucceeded` / `MapStateFailed`. Reading items happens before the fork starts (its
//! length is the number of items read); a read that fails records the Map Run's start and
//! failure around no iteration. Only distributed maps reach this module; only those with a
//! `ResultWriter` keep a record of each child.

use super::*;
use crate::asl::timestamp::format_millis;
use crate::compile::map_io::{
    ItemReader, ReadSource, ResultWriter, Transformation, MAX_ITEMS_LIMIT,
};
use crate::vm::map_io::{ItemRead, MapIo, MapIoRequest, ResultWrite};
use crate::vm::task::TaskError;

/// A Map Run under way.
pub(crate) struct MapRun {
    pub(super) arn: Str,
    /// The UUID ending the ARN: the folder of the result files.
    id: String,
    /// `<arn base>:execution:<machine>/<label>` and its `stateMachine` twin.
    child_arns: (String, String),
    /// With a `ResultWriter`: what each child was given and how it ended.
    pub(super) records: Option<Records>,
}

impl MapRun {
    /// Child `i` starts with `input`: recorded when a `ResultWriter` will need it.
    #[cold]
    #[inline(never)]
    pub(super) fn child_started(&mut self, i: usize, input: &Value, now_ms: i64) {
        if let Some(r) = &mut self.records {
            r.started(i, input, now_ms);
        }
    }

    /// Child `i` ended with `outcome`.
    #[cold]
    #[inline(never)]
    pub(super) fn child_ended(&mut self, i: usize, outcome: &Outcome, now_ms: i64) {
        if let Some(r) = &mut self.records {
            r.ended(i, outcome, now_ms);
        }
    }
}

/// Each child's input, times and outcome, by index.
pub(crate) struct Records(Vec<Option<Record>>);

struct Record {
    input: Value,
    start_ms: i64,
    stop_ms: i64,
    outcome: Option<Outcome>,
}

impl Records {
    fn started(&mut self, i: usize, input: &Value, now_ms: i64) {
        if let Some(slot) = self.0.get_mut(i) {
            *slot = Some(Record {
                input: input.clone(),
                start_ms: now_ms,
                stop_ms: now_ms,
                outcome: None,
            });
        }
    }

    fn ended(&mut self, i: usize, outcome: &Outcome, now_ms: i64) {
        if let Some(Some(r)) = self.0.get_mut(i) {
            r.stop_ms = now_ms;
            r.outcome = Some(outcome.clone());
        }
    }
}

/// A Map state waiting for the driver.
pub(crate) struct PendingIo {
    /// Handed to the driver by the next [`Execution::step`].
    pub(super) request: Option<MapIoRequest>,
    pub(super) then: Then,
}

pub(super) enum Then {
    /// The items read start the fork.
    Fork { effective: Value, ctx: Value },
    /// The results were written: the state ends with `result`, or fails with `failure`.
    End {
        arn: Str,
        result: Value,
        failure: Option<ExecError>,
    },
}

impl Execution {
    /// Evaluates the `ItemReader`'s parameters and asks the driver for the items.
    pub(super) fn read_items(
        &mut self,
        program: &Program,
        state: &State,
        reader: &ItemReader,
        effective: Value,
        ctx: Value,
    ) -> Flow {
        match self.item_read(state, reader, &effective, &ctx) {
            Ok(read) => Flow::MapIo(Box::new(PendingIo {
                request: Some(MapIoRequest {
                    kind: Box::new(MapIo::Read(read)),
                }),
                then: Then::Fork { effective, ctx },
            })),
            Err(e) if e.class() == ErrorClass::Fatal => Flow::Error(e),
            Err(e) => self.handle_error(program, e),
        }
    }

    fn item_read(
        &self,
        state: &State,
        reader: &ItemReader,
        effective: &Value,
        ctx: &Value,
    ) -> Result<ItemRead, ExecError> {
        let params = self.s3_parameters(
            state,
            reader.parameters.as_ref(),
            reader.arguments.as_ref(),
            effective,
            ctx,
        )?;
        let env = Env {
            input: effective,
            context: ctx,
            vars: &self.vars,
        };
        let max_items = match (&reader.max_items, &reader.max_items_jsonata) {
            (Some(Num::Const(n)), _) => Some(*n),
            (Some(Num::Path(p)), _) => {
                let v = p
                    .eval(&env)
                    .map_err(|e| self.path_error("MaxItemsPath", p.text(), &e, effective))?;
                match v {
                    Value::Int(i) if i >= 1 => Some(i as u64),
                    other => return Err(reader_failed(bad_max_items(&other))),
                }
            }
            (None, Some(t)) => Some(self.max_items_jsonata(state, t, effective, ctx)?),
            (None, None) => None,
        };
        let listing = matches!(reader.source, ReadSource::Listing(_));
        let bucket = string_param(&params, "Bucket", true).map_err(reader_failed)?;
        let key = string_param(&params, if listing { "Prefix" } else { "Key" }, !listing)
            .map_err(reader_failed)?;
        Ok(ItemRead {
            source: reader.source.clone(),
            bucket,
            key,
            max_items: max_items.map(|n| n.min(MAX_ITEMS_LIMIT)),
        })
    }

    /// `Parameters` (JSONPath) or `Arguments` (JSONata) of a reader or writer, evaluated.
    fn s3_parameters(
        &self,
        state: &State,
        parameters: Option<&Template>,
        arguments: Option<&crate::jsonata::Template>,
        effective: &Value,
        ctx: &Value,
    ) -> Result<Value, ExecError> {
        if let Some(t) = arguments {
            return self.s3_arguments(state, t, effective, ctx);
        }
        let Some(t) = parameters else {
            return Ok(Value::Null);
        };
        let env = Env {
            input: effective,
            context: ctx,
            vars: &self.vars,
        };
        t.eval(&env).map_err(|e| self.template_error(e, effective))
    }

    /// The items arrived: the fork starts on them. Or the read failed: the Map Run starts
    /// and fails, and so does the state (Retry and Catch apply).
    fn items_read(
        &mut self,
        program: &Program,
        answer: Result<Value, TaskError>,
        effective: Value,
        ctx: Value,
        now_ms: i64,
    ) -> Flow {
        let state = &program.states[self.at.index()];
        match answer {
            Ok(items) => self.fork_with(program, state, effective, ctx, Some(items)),
            Err(e) => {
                let e = ExecError::new(e.error(), e.cause().map(str::to_string), ErrorClass::State);
                self.event_id += 1; // MapStateStarted
                if let Some(o) = &mut self.observer {
                    o.event(
                        self.event_id,
                        Event::ForkStarted {
                            map: true,
                            length: 0,
                        },
                    );
                }
                if let Op::Map(m) = &state.op {
                    let run = self.start_map_run(state, m, 0);
                    self.end_map_run(&run.arn, Some(&e));
                }
                self.end_fork(program, Some(e), Value::Null, now_ms)
            }
        }
    }

    /// Names the Map Run and records `MapRunStarted`.
    pub(super) fn start_map_run(&mut self, state: &State, m: &MapOp, total: usize) -> Box<MapRun> {
        let id = uuid::Uuid::new_v4().to_string();
        let label = match &m.label {
            Some(l) => l.to_string(),
            // AWS generates a label when there is none; the state's name, where an ARN can
            // hold it, keeps ARNs readable.
            None if arn_safe(&state.name) => state.name.to_string(),
            None => id[..8].to_string(),
        };
        let machine = &self.info.machine_id;
        let base = machine
            .split_once(":stateMachine:")
            .map_or(&**machine, |(b, _)| b);
        let name = &self.info.machine_name;
        let arn = Str::from(format!("{base}:mapRun:{name}/{label}:{id}"));
        let child_arns = (
            format!("{base}:execution:{name}/{label}"),
            format!("{base}:stateMachine:{name}/{label}"),
        );
        self.event_id += 1; // MapRunStarted
        if let Some(o) = &mut self.observer {
            o.event(self.event_id, Event::MapRunStarted { arn: &arn });
        }
        let records = m
            .writer
            .is_some()
            .then(|| Records((0..total).map(|_| None).collect()));
        Box::new(MapRun {
            arn,
            id,
            child_arns,
            records,
        })
    }

    /// `MapRunSucceeded`, or `MapRunFailed` with the error that ends it.
    fn end_map_run(&mut self, arn: &str, failure: Option<&ExecError>) {
        self.event_id += 1; // MapRunSucceeded / MapRunFailed
        if let Some(o) = &mut self.observer {
            let event = match failure {
                None => Event::MapRunEnded {
                    arn,
                    error: None,
                    cause: None,
                },
                Some(e) => Event::MapRunEnded {
                    arn,
                    error: Some(e.error()),
                    cause: e.cause(),
                },
            };
            o.event(self.event_id, event);
        }
    }

    /// Ends a distributed Map's fork: through its `ResultWriter`, if it has one.
    pub(super) fn finish_map_run(
        &mut self,
        program: &Program,
        fork: Fork,
        run: MapRun,
        now_ms: i64,
    ) -> Flow {
        let state = &program.states[self.at.index()];
        let Op::Map(m) = &state.op else {
            return Flow::Error(self.runtime("internal error: not a Map state"));
        };
        let (results, failure, pending) = self.fork_parts(program, fork);
        let Some(w) = m.writer.as_deref() else {
            self.end_map_run(&run.arn, failure.as_ref());
            return self.end_fork(program, failure, Value::array(results), now_ms);
        };
        let records = run.records.as_ref().map_or(&[][..], |r| &r.0[..]);
        if !w.export {
            // WriterConfig alone: the transformed results are the state's result.
            let result = match w.transformation {
                Transformation::None => Value::array(
                    records
                        .iter()
                        .filter_map(|r| Some(entry(&run, r.as_ref()?)))
                        .collect(),
                ),
                Transformation::Compact => Value::array(results),
                Transformation::Flatten => Value::array(flatten(results)),
            };
            self.end_map_run(&run.arn, failure.as_ref());
            return self.end_fork(program, failure, result, now_ms);
        }
        let ctx = self.context(state, true);
        let write = self.result_write(state, w, &run, records, results, pending, &ctx);
        match write {
            Ok((write, result)) => Flow::MapIo(Box::new(PendingIo {
                request: Some(MapIoRequest {
                    kind: Box::new(MapIo::Write(write)),
                }),
                then: Then::End {
                    arn: run.arn.clone(),
                    result,
                    failure,
                },
            })),
            Err(e) => {
                let failure = failure.or(Some(e));
                self.end_map_run(&run.arn, failure.as_ref());
                self.end_fork(program, failure, Value::Null, now_ms)
            }
        }
    }

    /// The result files, the manifest and the state's result (MAP-12).
    #[allow(clippy::too_many_arguments)]
    fn result_write(
        &self,
        state: &State,
        w: &ResultWriter,
        run: &MapRun,
        records: &[Option<Record>],
        results: Vec<Value>,
        pending: Vec<(usize, Value)>,
        ctx: &Value,
    ) -> Result<(ResultWrite, Value), ExecError> {
        // `$` of the writer's parameters is the Map's raw input.
        let params = self.s3_parameters(
            state,
            w.parameters.as_ref(),
            w.arguments.as_ref(),
            &self.input,
            ctx,
        )?;
        let bucket = string_param(&params, "Bucket", true).map_err(writer_failed)?;
        let prefix = string_param(&params, "Prefix", false).map_err(writer_failed)?;
        let folder = match prefix.trim_end_matches('/') {
            "" => run.id.clone(),
            p => format!("{p}/{}", run.id),
        };
        let (mut succeeded, mut failed) = (Vec::new(), Vec::new());
        for (i, r) in records.iter().enumerate() {
            let Some(r) = r else { continue };
            match r.outcome.as_ref().map(|o| o.status) {
                Some(Status::Succeeded) => succeeded.push(match w.transformation {
                    Transformation::None => entry(run, r),
                    _ => results.get(i).cloned().unwrap_or_default(),
                }),
                // Failed, timed out, or (no outcome) stopped when the Map Run failed: the
                // FAILED file holds all three.
                _ => failed.push(entry(run, r)),
            }
        }
        if w.transformation == Transformation::Flatten {
            succeeded = flatten(succeeded);
        }
        let pending: Vec<Value> = pending
            .iter()
            .map(|(_, input)| pending_entry(input))
            .collect();
        let mut objects = Vec::with_capacity(4);
        let mut files = Map::with_capacity(3);
        for (status, entries) in [
            ("FAILED", failed),
            ("PENDING", pending),
            ("SUCCEEDED", succeeded),
        ] {
            let mut listed = Vec::new();
            if !entries.is_empty() {
                let key = format!("{folder}/{status}_0.json");
                let body = file_body(&entries, w.json_lines);
                let mut f = Map::with_capacity(2);
                f.insert("Key".into(), Value::from(key.as_str()));
                f.insert("Size".into(), Value::Int(body.len() as i64));
                listed.push(Value::object(f));
                objects.push((key, body));
            }
            files.insert(status.into(), Value::array(listed));
        }
        let manifest_key = format!("{folder}/manifest.json");
        let mut manifest = Map::with_capacity(3);
        manifest.insert("DestinationBucket".into(), Value::from(bucket.as_str()));
        manifest.insert("MapRunArn".into(), Value::String(run.arn.clone()));
        manifest.insert("ResultFiles".into(), Value::object(files));
        objects.push((
            manifest_key.clone(),
            Value::object(manifest).to_json().into_bytes(),
        ));
        let mut details = Map::with_capacity(2);
        details.insert("Bucket".into(), Value::from(bucket.as_str()));
        details.insert("Key".into(), Value::from(manifest_key.as_str()));
        let mut result = Map::with_capacity(2);
        result.insert("MapRunArn".into(), Value::String(run.arn.clone()));
        result.insert("ResultWriterDetails".into(), Value::object(details));
        Ok((ResultWrite { bucket, objects }, Value::object(result)))
    }

    /// The driver answered a [`Step::MapIo`]; then call [`Execution::step`].
    pub fn resume_map_io(&mut self, answer: Result<Value, TaskError>, now_ms: i64) {
        if let Phase::Forked(fork) = &mut self.phase {
            // The request came from a child running inline.
            if let Some((_, child)) = &mut fork.current {
                child.resume_map_io(answer, now_ms);
            }
            return;
        }
        let pending = match std::mem::replace(&mut self.phase, Phase::TaskPending) {
            Phase::MapIo(p) if p.request.is_none() => p,
            other => {
                self.phase = other;
                return;
            }
        };
        let program = Arc::clone(&self.program);
        let flow = match pending.then {
            Then::Fork { effective, ctx } => {
                self.items_read(&program, answer, effective, ctx, now_ms)
            }
            Then::End {
                arn,
                result,
                failure,
            } => {
                // A Map Run that failed keeps its own error; a failed write fails one that
                // succeeded.
                let failure = failure.or_else(|| {
                    answer.err().map(|e| {
                        ExecError::new(e.error(), e.cause().map(str::to_string), ErrorClass::State)
                    })
                });
                self.end_map_run(&arn, failure.as_ref());
                self.end_fork(&program, failure, result, now_ms)
            }
        };
        self.phase = self.phase_after(flow);
    }
}

/// A child's record as AWS writes it with `Transformation: NONE` (its ResultWriter page):
/// the execution's identity, input and output as JSON text, status and dates.
fn entry(run: &MapRun, r: &Record) -> Value {
    let name = uuid::Uuid::new_v4().to_string();
    let status = r.outcome.as_ref().map_or(Status::Aborted, |o| o.status);
    let text = |v: &Value| Value::from(v.to_json());
    let included = || {
        let mut m = Map::with_capacity(1);
        m.insert("Included".into(), Value::Bool(true));
        Value::object(m)
    };
    let mut m = Map::with_capacity(14);
    m.insert(
        "ExecutionArn".into(),
        Value::from(format!("{}:{name}", run.child_arns.0)),
    );
    m.insert("Input".into(), text(&r.input));
    m.insert("InputDetails".into(), included());
    m.insert("Name".into(), Value::from(name));
    if let Some(o) = &r.outcome {
        if let Some(out) = &o.output {
            m.insert("Output".into(), text(out));
            m.insert("OutputDetails".into(), included());
        }
        if let Some(e) = &o.error {
            m.insert("Error".into(), Value::String(e.clone()));
        }
        if let Some(c) = &o.cause {
            m.insert("Cause".into(), Value::from(c.as_str()));
        }
    }
    m.insert("RedriveCount".into(), Value::Int(0));
    if status == Status::Succeeded {
        m.insert("RedriveStatus".into(), Value::string("NOT_REDRIVABLE"));
        m.insert(
            "RedriveStatusReason".into(),
            Value::string("Execution is SUCCEEDED and cannot be redriven"),
        );
    } else {
        // A failed child of a Map Run is redriven with its Map Run.
        m.insert(
            "RedriveStatus".into(),
            Value::string("REDRIVABLE_BY_MAP_RUN"),
        );
    }
    m.insert("StartDate".into(), Value::from(format_millis(r.start_ms)));
    m.insert(
        "StateMachineArn".into(),
        Value::from(run.child_arns.1.as_str()),
    );
    m.insert("Status".into(), Value::string(status.as_str()));
    m.insert("StopDate".into(), Value::from(format_millis(r.stop_ms)));
    Value::object(m)
}

/// An item no child was started for (the Map Run failed first). AWS's shape for these is
/// not documented beyond "the child workflow executions that weren't started": the input
/// and the status are what is known of them.
fn pending_entry(input: &Value) -> Value {
    let mut m = Map::with_capacity(3);
    m.insert("Input".into(), Value::from(input.to_json()));
    let mut d = Map::with_capacity(1);
    d.insert("Included".into(), Value::Bool(true));
    m.insert("InputDetails".into(), Value::object(d));
    m.insert("Status".into(), Value::string("PENDING"));
    Value::object(m)
}

/// `Transformation: FLATTEN`: array results spread into the list, others kept as they are.
fn flatten(results: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Value::Array(a) => out.extend(a.iter().cloned()),
            other => out.push(other),
        }
    }
    out
}

/// A result file: a JSON array, or JSON Lines (`OutputType: JSONL`).
fn file_body(entries: &[Value], json_lines: bool) -> Vec<u8> {
    let mut s = String::new();
    if json_lines {
        for e in entries {
            crate::value::write_json(e, &mut s);
            s.push('\n');
        }
    } else {
        s = Value::array(entries.to_vec()).to_json();
    }
    s.into_bytes()
}

/// A string member of evaluated S3 parameters; `required` or else empty when absent.
fn string_param(params: &Value, name: &str, required: bool) -> Result<String, String> {
    match params.get(name) {
        Some(Value::String(s)) => Ok(s.to_string()),
        None | Some(Value::Null) if !required => Ok(String::new()),
        None | Some(Value::Null) => Err(format!(
            "the field '{name}' is missing from the S3 parameters"
        )),
        Some(other) => Err(format!(
            "the field '{name}' must be a string, but was: {}",
            other.to_json()
        )),
    }
}

fn bad_max_items(v: &Value) -> String {
    format!(
        "field MaxItems must be positive, but MaxItemsPath gave: {}",
        v.to_json()
    )
}

#[cold]
fn reader_failed(cause: String) -> ExecError {
    ExecError::new("States.ItemReaderFailed", Some(cause), ErrorClass::State)
}

#[cold]
fn writer_failed(cause: String) -> ExecError {
    ExecError::new("States.ResultWriterFailed", Some(cause), ErrorClass::State)
}

/// Characters a Map Run ARN's label may hold (MAP-13): no whitespace, brackets, wildcards,
/// or the ARN's own separators.
fn arn_safe(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= 40
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
