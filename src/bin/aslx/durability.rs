//! `aslx serve`'s durability options: where accepted async starts, machines and activities
//! are kept across a crash (`--data-dir`, `--fsync`), or not (`--in-memory`).

use aslx::durable::embedded::{EmbeddedStore, Fsync};
use aslx::engine::{Engine, EngineBuilder};
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;

/// The data directory used when none is given, under the working directory.
pub const DEFAULT_DATA_DIR: &str = "aslx-data";

/// Durability options of `aslx serve`.
#[derive(Args, Debug)]
pub struct DurabilityArgs {
    /// Directory of the embedded store (default: ./aslx-data, printed at start-up): every
    /// accepted StartExecution is written there before it is answered and run again after a
    /// crash until it ends (at least once); machines, versions, aliases, activities and tags
    /// are kept there across restarts. One process per directory (it is locked). Not with
    /// `--queue`, where the NATS server keeps all of that.
    #[arg(long = "data-dir", conflicts_with_all = ["in_memory", "queue"])]
    data_dir: Option<PathBuf>,
    /// Keep nothing on disk: a crash or restart loses accepted async executions that had not
    /// ended, and every machine and activity.
    #[arg(long = "in-memory")]
    in_memory: bool,
    /// When a start is answered: `always` (written and fsynced: survives power loss),
    /// `batch` (written to the OS, fsynced every 50 ms: survives kill -9; power loss may lose
    /// the last 50 ms), `never` (written to the OS: survives kill -9; the OS syncs when it
    /// chooses).
    #[arg(long, default_value = "batch", value_parser = parse_fsync)]
    fsync: Fsync,
}

fn parse_fsync(s: &str) -> Result<Fsync, String> {
    s.parse()
}

impl DurabilityArgs {
    /// Opens the data directory, unless `--in-memory`; what it found goes to `notes`
    /// (printed after the address, which stays the first line).
    pub fn open(&self, notes: &mut Vec<String>) -> Result<Option<Arc<EmbeddedStore>>, String> {
        if self.in_memory {
            return Ok(None);
        }
        let dir = self
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let shown = std::path::absolute(&dir).unwrap_or_else(|_| dir.clone());
        let (store, opened) = EmbeddedStore::open(&dir, self.fsync)
            .map_err(|e| format!("--data-dir {}: {e}", shown.display()))?;
        notes.push(format!(
            "aslx serve: data directory {} (fsync {}); {} accepted execution(s) to run again",
            shown.display(),
            format!("{:?}", self.fsync).to_lowercase(),
            opened.pending
        ));
        for (file, bytes) in &opened.discarded {
            eprintln!(
                "aslx serve: --data-dir {}: discarded a torn or corrupt tail of {bytes} bytes from {} (a write cut by a crash; everything before it is kept)",
                shown.display(),
                file.display()
            );
        }
        Ok(Some(store))
    }
}

/// The engine with the store as its intake and catalog.
pub fn configure(b: EngineBuilder, store: Option<&Arc<EmbeddedStore>>) -> EngineBuilder {
    match store {
        Some(s) => b.intake(s.clone()).catalog(s.clone()),
        None => b,
    }
}

/// Reads machines and activities back from `source` (`--data-dir` or `--queue`), then runs
/// the accepted executions again or starts taking them from the queue.
pub async fn recover(engine: &Engine, source: &str, notes: &mut Vec<String>) -> Result<(), String> {
    let found = engine
        .recover()
        .await
        .map_err(|e| format!("{source}: {}", e.message()))?;
    for s in &found.skipped {
        eprintln!("aslx serve: {source}: a record was skipped: {s}");
    }
    notes.push(format!(
        "aslx serve: {source}: restored {} state machine(s) and {} activit(ies)",
        found.machines, found.activities
    ));
    Ok(())
}
