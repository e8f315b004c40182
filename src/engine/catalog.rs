//! The engine's records in a [`Catalog`](crate::durable::Catalog): one JSON record per
//! machine (its current revision, versions, aliases and tags) and per activity, rewritten
//! whole when it changes, and read back by [`Engine::recover`](super::Engine::recover).
//!
//! Changes are made in memory first, as without a catalog; the record's key is marked
//! dirty, and [`Engine::sync_catalog`] writes the current record of every dirty key (one
//! sync at a time, so a later state is never overwritten by an earlier one). `aslx serve`
//! awaits it before answering a change; the engine also starts one in the background after
//! each change, for library callers.
//!
//! A record is versioned (`"v": 1`); a record of another version is skipped and reported.

use super::error::{EngineError, ErrorKind};
use super::log::{LogConfig, LogLevel};
use super::machines::{Encryption, Entry, KeyType, MachineInfo, MachineStatus};
use super::versions::{AliasInfo, Route};
use super::{Engine, Registered, Shared};
use crate::asl::MachineType;
use crate::durable::{CatalogChange, CatalogKind};
use crate::runtime::sync::{lock, read, write, Mutex};
use crate::value::Str;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// The record format this engine writes.
const RECORD_VERSION: u64 = 1;

/// Catalog keys changed since last written: machines by name, activities by ARN.
#[derive(Debug, Default)]
pub(crate) struct Dirty {
    keys: Mutex<HashSet<(CatalogKind, Str)>>,
    /// One sync at a time.
    sync: tokio::sync::Mutex<()>,
}

impl Shared {
    /// Marks a machine (by name) or an activity (by ARN) changed.
    pub(super) fn catalog_changed(&self, kind: CatalogKind, key: &str) {
        if self.durable.catalog.is_some() {
            lock(&self.durable.dirty.keys).insert((kind, Str::from(key)));
        }
    }
}

impl Engine {
    /// Marks a change and writes it in the background (library callers); `aslx serve`
    /// awaits [`Engine::sync_catalog`] before it answers.
    pub(super) fn changed(&self, kind: CatalogKind, key: &str) {
        if self.shared.durable.catalog.is_none() {
            return;
        }
        self.shared.catalog_changed(kind, key);
        let shared = Arc::clone(&self.shared);
        self.handle.spawn(async move {
            let _ = shared.sync_catalog().await;
        });
    }

    /// Whether changes to machines or activities wait to be written to the catalog.
    pub fn catalog_pending(&self) -> bool {
        self.shared.durable.catalog.is_some() && !lock(&self.shared.durable.dirty.keys).is_empty()
    }

    /// Writes every changed machine and activity to the catalog; returns once they are
    /// recorded. Without a catalog, does nothing.
    ///
    /// # Errors
    ///
    /// `ServiceUnavailable` when the catalog cannot write (the change stays in memory and is
    /// written by a later sync).
    pub async fn sync_catalog(&self) -> Result<(), EngineError> {
        self.shared.sync_catalog().await
    }
}

impl Shared {
    async fn sync_catalog(&self) -> Result<(), EngineError> {
        let Some(catalog) = self.durable.catalog.clone() else {
            return Ok(());
        };
        let _one = self.durable.dirty.sync.lock().await;
        let keys: Vec<(CatalogKind, Str)> = lock(&self.durable.dirty.keys).drain().collect();
        for (i, (kind, key)) in keys.iter().enumerate() {
            let (arn, record) = match kind {
                CatalogKind::Machine => (self.arn_of(key), self.machine_record(key)),
                CatalogKind::Activity => (key.to_string(), self.activity_record(key)),
            };
            let done = match record {
                Some(r) => catalog.put(*kind, &arn, r).await,
                None => catalog.delete(*kind, &arn).await,
            };
            if let Err(e) = done {
                // Written by a later sync.
                lock(&self.durable.dirty.keys).extend(keys[i..].iter().cloned());
                return Err(EngineError::new(
                    ErrorKind::ShuttingDown,
                    format!("The change was made but could not be recorded durably: {e}"),
                ));
            }
        }
        Ok(())
    }

    /// The record of machine `name`, or `None` when it is gone (or going).
    fn machine_record(&self, name: &str) -> Option<Vec<u8>> {
        let machines = read(&self.machines);
        let e = machines.get(name).filter(|e| !e.deleting())?;
        let versions: Vec<Json> = e
            .versions
            .iter()
            .map(|(n, r)| json!({"n": n, "info": info_json(&r.info)}))
            .collect();
        let aliases: Vec<Json> = e.aliases.values().map(|a| alias_json(a.info())).collect();
        let tags: Vec<Json> = e.tags.iter().map(|(k, v)| json!([&**k, &**v])).collect();
        let (publish, desc) = e.created_publish();
        let rec = json!({
            "v": RECORD_VERSION,
            "current": info_json(&e.current.info),
            "versions": versions,
            "nextVersion": e.next_version,
            "aliases": aliases,
            "tags": tags,
            "createdPublish": [publish, desc.as_deref()],
        });
        serde_json::to_vec(&rec).ok()
    }

    fn activity_record(&self, arn: &str) -> Option<Vec<u8>> {
        let a = self.callbacks.activities.get(arn)?;
        let meta = lock(&self.activity_meta);
        let m = meta.get(arn);
        let tags: Vec<Json> = m
            .map(|m| m.tags.iter().map(|(k, v)| json!([&**k, &**v])).collect())
            .unwrap_or_default();
        let rec = json!({
            "v": RECORD_VERSION,
            "arn": &*a.arn,
            "name": &*a.name,
            "created": a.created_ms,
            "encryption": m.and_then(|m| m.encryption.as_ref()).map(encryption_json),
            "tags": tags,
        });
        serde_json::to_vec(&rec).ok()
    }

    /// Restores every record; one that cannot be read is skipped and reported.
    pub(super) fn restore_catalog(&self, records: Vec<CatalogChange>) -> super::Recovered {
        let mut found = super::Recovered::default();
        for (kind, key, bytes) in records {
            let Some(bytes) = bytes else { continue };
            match self.restore(kind, &bytes) {
                Ok(()) if kind == CatalogKind::Machine => found.machines += 1,
                Ok(()) => found.activities += 1,
                Err(e) => found.skipped.push(format!("{key}: {e}")),
            }
        }
        found
    }

    /// A change another process made (a shared catalog).
    pub(super) fn apply_change(&self, (kind, key, bytes): CatalogChange) {
        match bytes {
            Some(b) => {
                let _ = self.restore(kind, &b);
            }
            None => match kind {
                CatalogKind::Machine => {
                    let name = key.rsplit(':').next().unwrap_or(&key).to_string();
                    write(&self.machines).remove(name.as_str());
                }
                CatalogKind::Activity => {
                    lock(&self.activity_meta).remove(key.as_str());
                    let _ = self.callbacks.activities.delete(&key);
                }
            },
        }
    }

    fn restore(&self, kind: CatalogKind, bytes: &[u8]) -> Result<(), String> {
        let rec: Json = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
        match rec.get("v").and_then(Json::as_u64) {
            Some(RECORD_VERSION) => {}
            v => return Err(format!("record version {v:?}; this aslx reads version 1")),
        }
        match kind {
            CatalogKind::Machine => self.restore_machine(&rec),
            CatalogKind::Activity => self.restore_activity(&rec),
        }
    }

    fn restore_machine(&self, rec: &Json) -> Result<(), String> {
        let current = info_of(rec.get("current").ok_or("no current revision")?)?;
        // One set of counters for the name, shared by its versions (metrics.rs, rule 1).
        let metrics: Arc<super::metrics::MachineCounters> = Arc::default();
        let link = |info: MachineInfo| -> Result<Arc<Registered>, String> {
            let machine = self
                .link(&info.name, &info.definition, info.machine_type)
                .map_err(|e| format!("{}: {}", info.arn, e.message()))?;
            Ok(Arc::new(Registered {
                machine,
                info,
                metrics: Arc::clone(&metrics),
            }))
        };
        let name = current.name.clone();
        let current = link(current)?;
        let mut versions = BTreeMap::new();
        for v in rec["versions"].as_array().into_iter().flatten() {
            let n = v["n"].as_u64().ok_or("a version without a number")? as u32;
            versions.insert(n, link(info_of(&v["info"])?)?);
        }
        let tags = tags_of(&rec["tags"]);
        let publish = &rec["createdPublish"];
        let mut entry = Entry::restored(
            current,
            versions,
            rec["nextVersion"].as_u64().unwrap_or(1) as u32,
            tags,
            (
                publish[0].as_bool().unwrap_or(false),
                publish[1].as_str().map(Str::from),
            ),
        );
        for a in rec["aliases"].as_array().into_iter().flatten() {
            let info = alias_of(a)?;
            let alias = self
                .alias_of_entry(&entry, info)
                .map_err(|e| e.message().to_string())?;
            entry.aliases.insert(alias.info().name.clone(), alias);
        }
        write(&self.machines).insert(name, entry);
        Ok(())
    }

    fn restore_activity(&self, rec: &Json) -> Result<(), String> {
        let arn = Str::from(rec["arn"].as_str().ok_or("an activity without an ARN")?);
        let name = Str::from(rec["name"].as_str().ok_or("an activity without a name")?);
        let created = rec["created"].as_i64().unwrap_or(0);
        self.callbacks.activities.create(arn.clone(), name, created);
        lock(&self.activity_meta).insert(
            arn,
            super::tags::ActivityMeta {
                encryption: encryption_of(&rec["encryption"]),
                tags: tags_of(&rec["tags"]),
            },
        );
        Ok(())
    }
}

fn opt(s: &Option<Str>) -> Json {
    s.as_deref().map_or(Json::Null, Json::from)
}

fn ostr(v: &Json) -> Option<Str> {
    v.as_str().map(Str::from)
}

fn encryption_json(e: &Encryption) -> Json {
    json!({"type": e.key_type.as_str(), "kmsKeyId": opt(&e.kms_key_id),
           "reuse": e.reuse_period_seconds})
}

fn encryption_of(v: &Json) -> Option<Encryption> {
    let t = v.get("type")?.as_str()?;
    Some(Encryption {
        key_type: match t {
            "CUSTOMER_MANAGED_KMS_KEY" => KeyType::CustomerManaged,
            _ => KeyType::AwsOwned,
        },
        kms_key_id: ostr(&v["kmsKeyId"]),
        reuse_period_seconds: v["reuse"].as_u64().map(|n| n as u32),
    })
}

fn info_json(i: &MachineInfo) -> Json {
    json!({
        "arn": &*i.arn, "name": &*i.name, "type": i.machine_type.as_str(),
        "definition": &*i.definition, "roleArn": &*i.role_arn,
        "created": i.created_ms, "updated": i.updated_ms,
        "revision": i.revision, "revisionId": opt(&i.revision_id),
        "logLevel": i.logging.level.as_str(),
        "includeData": i.logging.include_execution_data,
        "logGroup": opt(&i.log_group), "tracing": i.tracing,
        "encryption": i.encryption.as_ref().map(encryption_json),
        "versionArn": opt(&i.version_arn), "description": opt(&i.description),
    })
}

fn info_of(v: &Json) -> Result<MachineInfo, String> {
    let s = |k: &str| -> Result<Str, String> {
        v[k].as_str()
            .map(Str::from)
            .ok_or_else(|| format!("a machine record without {k}"))
    };
    Ok(MachineInfo {
        arn: s("arn")?,
        name: s("name")?,
        machine_type: match v["type"].as_str() {
            Some("STANDARD") => MachineType::Standard,
            _ => MachineType::Express,
        },
        definition: s("definition")?,
        role_arn: s("roleArn")?,
        created_ms: v["created"].as_i64().unwrap_or(0),
        updated_ms: v["updated"].as_i64().unwrap_or(0),
        revision: v["revision"].as_u64().unwrap_or(1),
        revision_id: ostr(&v["revisionId"]),
        logging: LogConfig {
            level: v["logLevel"]
                .as_str()
                .and_then(|l| l.parse().ok())
                .unwrap_or(LogLevel::Off),
            include_execution_data: v["includeData"].as_bool().unwrap_or(false),
        },
        log_group: ostr(&v["logGroup"]),
        tracing: v["tracing"].as_bool().unwrap_or(false),
        encryption: encryption_of(&v["encryption"]),
        status: MachineStatus::Active,
        version_arn: ostr(&v["versionArn"]),
        description: ostr(&v["description"]),
        alias_arn: None,
    })
}

fn alias_json(a: &AliasInfo) -> Json {
    let routing: Vec<Json> = a
        .routing
        .iter()
        .map(|r| json!([&*r.version_arn, r.weight]))
        .collect();
    json!({"arn": &*a.arn, "name": &*a.name, "description": opt(&a.description),
           "routing": routing, "created": a.created_ms, "updated": a.updated_ms})
}

fn alias_of(v: &Json) -> Result<AliasInfo, String> {
    let routing = v["routing"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(Route {
                version_arn: Str::from(r[0].as_str()?),
                weight: r[1].as_u64()? as u8,
            })
        })
        .collect();
    Ok(AliasInfo {
        arn: ostr(&v["arn"]).ok_or("an alias without an ARN")?,
        name: ostr(&v["name"]).ok_or("an alias without a name")?,
        description: ostr(&v["description"]),
        routing,
        created_ms: v["created"].as_i64().unwrap_or(0),
        updated_ms: v["updated"].as_i64().unwrap_or(0),
    })
}

fn tags_of(v: &Json) -> Vec<(Str, Str)> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((Str::from(t[0].as_str()?), Str::from(t[1].as_str()?))))
        .collect()
}

/// Marks a catalog key changed when dropped: declared first in a method that changes a
/// machine or an activity, it marks after every lock of the method is released, on every
/// path (marking an unchanged key only rewrites its record).
pub(super) struct MarkOnDrop<'a> {
    engine: &'a Engine,
    kind: CatalogKind,
    key: String,
}

impl Drop for MarkOnDrop<'_> {
    fn drop(&mut self) {
        self.engine.changed(self.kind, &self.key);
    }
}

impl Engine {
    /// A [`MarkOnDrop`] for the machine (name or ARN, possibly qualified) or the activity
    /// (ARN) `target`; `None` without a catalog.
    pub(super) fn mark(&self, target: &str) -> Option<MarkOnDrop<'_>> {
        self.shared.durable.catalog.as_ref()?;
        let (kind, key) = if target.contains(":activity:") {
            (CatalogKind::Activity, target.to_string())
        } else {
            let name = target.split_once(":stateMachine:").map_or(target, |x| x.1);
            let name = name.split(':').next().unwrap_or(name);
            (CatalogKind::Machine, name.to_string())
        };
        Some(MarkOnDrop {
            engine: self,
            kind,
            key,
        })
    }
}
