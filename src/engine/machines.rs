//! The engine's state machine records: what CreateStateMachine stores and DescribeStateMachine
//! shows, and the one table executions are started from.
//!
//! Rules, in the order AWS applies them:
//!
//! 1. A name is created once. Creating it again with the same definition, type, logging,
//!    tracing, encryption, `publish` and version description returns the existing machine;
//!    any other difference is `StateMachineAlreadyExists` (a different role or tags are
//!    ignored, not applied).
//! 2. An update makes a new revision: running executions keep the version they started on.
//!    The revision id is absent until the first update, then a new UUID per update
//!    (`INITIAL` names the revision before any update, as AWS accepts it).
//! 3. Versions ([`versions`](super::versions)) are immutable snapshots of a revision;
//!    aliases route starts to one or two of them by weight.
//! 4. Deleting a machine while STANDARD executions of it run leaves it `DELETING` until the
//!    last one ends: meanwhile starts, updates and creates of the name answer
//!    `StateMachineDeleting`. Its versions, aliases and tags go with it.

use super::error::{EngineError, ErrorKind};
use super::log::LogConfig;
use super::names::{check_name, parse_arn};
use super::versions::Alias;
use super::{Engine, Shared};
use crate::asl::MachineType;
use crate::runtime::machine::wall_clock_ms;
use crate::runtime::sync::{lock, read, write, Ordering};
use crate::runtime::Machine;
use crate::value::Str;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::Arc;

/// Whether a machine can be used (DescribeStateMachine's `status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MachineStatus {
    /// `ACTIVE`.
    Active,
    /// `DELETING`: deleted while STANDARD executions of it still run.
    Deleting,
}

impl MachineStatus {
    /// `ACTIVE` or `DELETING`.
    pub fn as_str(self) -> &'static str {
        match self {
            MachineStatus::Active => "ACTIVE",
            MachineStatus::Deleting => "DELETING",
        }
    }
}

/// Who holds the key data at rest is encrypted with (`encryptionConfiguration.type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// `AWS_OWNED_KEY`.
    AwsOwned,
    /// `CUSTOMER_MANAGED_KMS_KEY`.
    CustomerManaged,
}

impl KeyType {
    /// AWS's name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::AwsOwned => "AWS_OWNED_KEY",
            KeyType::CustomerManaged => "CUSTOMER_MANAGED_KMS_KEY",
        }
    }
}

/// `encryptionConfiguration`: kept and shown as given (nothing is encrypted locally).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encryption {
    /// `type`.
    pub key_type: KeyType,
    /// `kmsKeyId`.
    pub kms_key_id: Option<Str>,
    /// `kmsDataKeyReusePeriodSeconds`.
    pub reuse_period_seconds: Option<u32>,
}

/// A state machine as the engine knows it (DescribeStateMachine's data): the current
/// revision, or a version ([`MachineInfo::version_arn`]).
#[derive(Clone, Debug)]
pub struct MachineInfo {
    /// `arn:aws:states:<region>:<account>:stateMachine:<name>` (unqualified, also for versions).
    pub arn: Str,
    /// Name.
    pub name: Str,
    /// `EXPRESS` or `STANDARD`; never changes.
    pub machine_type: MachineType,
    /// The definition, exactly as given.
    pub definition: Str,
    /// Role ARN (`$$.Execution.RoleArn`).
    pub role_arn: Str,
    /// Creation time (of the version, for a version), epoch milliseconds.
    pub created_ms: i64,
    /// Time of the last update (the creation time before any), epoch milliseconds.
    pub updated_ms: i64,
    /// 1 at creation, one more per update.
    pub revision: u64,
    /// `revisionId`: absent before the first update, then a UUID per update.
    pub revision_id: Option<Str>,
    /// Logging settings.
    pub logging: LogConfig,
    /// The log group records go to (`loggingConfiguration.destinations`), by name.
    pub log_group: Option<Str>,
    /// `tracingConfiguration.enabled`.
    pub tracing: bool,
    /// `encryptionConfiguration`, when given.
    pub encryption: Option<Encryption>,
    /// `ACTIVE` or `DELETING`.
    pub status: MachineStatus,
    /// For a version: `<arn>:<n>`. On the answer of a create or update that published a
    /// version: that version's ARN.
    pub version_arn: Option<Str>,
    /// A version's description.
    pub description: Option<Str>,
    /// For an execution started through an alias: the alias's ARN.
    pub alias_arn: Option<Str>,
}

/// A machine to create: [`Engine::create_machine_with`]. Start from [`MachineSpec::new`].
#[derive(Clone, Debug)]
pub struct MachineSpec<'a> {
    /// Name (ID-1 rules).
    pub name: &'a str,
    /// ASL definition text.
    pub definition: &'a str,
    /// `EXPRESS` or `STANDARD`.
    pub machine_type: MachineType,
    /// Role ARN; the engine's default role when `None`.
    pub role_arn: Option<&'a str>,
    /// Logging; the engine's default when `None`.
    pub logging: Option<LogConfig>,
    /// The log group records go to, by name (a [`LogSink::directory`](super::LogSink::directory)
    /// files them by group).
    pub log_group: Option<&'a str>,
    /// `tracingConfiguration.enabled` (default `false`).
    pub tracing: Option<bool>,
    /// `encryptionConfiguration`.
    pub encryption: Option<Encryption>,
    /// Also publish version 1.
    pub publish: bool,
    /// Version 1's description (only with `publish`).
    pub version_description: Option<&'a str>,
    /// Tags, applied only when the machine is new.
    pub tags: Vec<(Str, Str)>,
}

impl<'a> MachineSpec<'a> {
    /// A machine with the engine's defaults for everything but these.
    pub fn new(name: &'a str, definition: &'a str, machine_type: MachineType) -> Self {
        MachineSpec {
            name,
            definition,
            machine_type,
            role_arn: None,
            logging: None,
            log_group: None,
            tracing: None,
            encryption: None,
            publish: false,
            version_description: None,
            tags: Vec::new(),
        }
    }
}

/// Changes to a machine: [`Engine::update_machine_with`]; `None` keeps the current value.
#[derive(Clone, Debug, Default)]
pub struct MachineUpdate<'a> {
    /// New definition.
    pub definition: Option<&'a str>,
    /// New role ARN.
    pub role_arn: Option<&'a str>,
    /// New logging settings, with their log group (`None` for none).
    pub logging: Option<LogConfig>,
    /// The log group of the new logging settings; read only with `logging`.
    pub log_group: Option<&'a str>,
    /// New `tracingConfiguration.enabled`.
    pub tracing: Option<bool>,
    /// New `encryptionConfiguration`.
    pub encryption: Option<Encryption>,
    /// Also publish the new revision as the next version.
    pub publish: bool,
    /// That version's description (only with `publish`).
    pub version_description: Option<&'a str>,
}

/// One version of a machine: what an execution holds on to while it runs.
#[derive(Debug)]
pub(super) struct Registered {
    pub(super) machine: Machine,
    pub(super) info: MachineInfo,
    /// The machine name's counters, shared by all its versions (metrics.rs, rule 1).
    pub(super) metrics: Arc<super::metrics::MachineCounters>,
}

/// A machine name's record: its current revision, versions, aliases and tags.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) current: Arc<Registered>,
    /// Version number → the version.
    pub(super) versions: BTreeMap<u32, Arc<Registered>>,
    /// The number the next version gets (numbers are never reused).
    pub(super) next_version: u32,
    pub(super) aliases: BTreeMap<Str, Alias>,
    pub(super) tags: Vec<(Str, Str)>,
    pub(super) status: MachineStatus,
    /// What the create asked besides the settings (rule 1).
    created_publish: (bool, Option<Str>),
}

impl Entry {
    /// An entry read back from a catalog (`engine/catalog.rs`).
    pub(super) fn restored(
        current: Arc<Registered>,
        versions: BTreeMap<u32, Arc<Registered>>,
        next_version: u32,
        tags: Vec<(Str, Str)>,
        created_publish: (bool, Option<Str>),
    ) -> Entry {
        Entry {
            current,
            versions,
            next_version,
            aliases: BTreeMap::new(),
            tags,
            status: MachineStatus::Active,
            created_publish,
        }
    }

    /// What the create asked besides the settings (rule 1).
    pub(super) fn created_publish(&self) -> &(bool, Option<Str>) {
        &self.created_publish
    }

    pub(super) fn deleting(&self) -> bool {
        self.status == MachineStatus::Deleting
    }

    /// The current revision's description, with the machine's status.
    pub(super) fn info(&self) -> MachineInfo {
        let mut info = self.current.info.clone();
        info.status = self.status;
        info
    }
}

/// The machines table: every start looks a name up here, with the crate's fast hasher.
pub(super) type Machines = HashMap<Str, Entry, BuildHasherDefault<crate::hash::FxHasher>>;

impl Engine {
    /// Creates a machine: parses, validates, compiles and links it once.
    ///
    /// Creating a machine that exists with the same definition and type returns it unchanged
    /// (AWS's idempotency).
    ///
    /// # Errors
    ///
    /// `InvalidName`, `InvalidDefinition` (with every finding, see
    /// [`EngineError::definition_error`]), `StateMachineAlreadyExists`.
    pub fn create_machine(
        &self,
        name: &str,
        definition: &str,
        machine_type: MachineType,
    ) -> Result<MachineInfo, EngineError> {
        self.create_machine_with(MachineSpec::new(name, definition, machine_type))
    }

    /// [`Engine::create_machine`] with every setting CreateStateMachine takes.
    ///
    /// # Errors
    ///
    /// As [`Engine::create_machine`], and `StateMachineDeleting` while a machine of that name
    /// is being deleted.
    pub fn create_machine_with(&self, spec: MachineSpec<'_>) -> Result<MachineInfo, EngineError> {
        let _mark = self.mark(spec.name);
        check_name(spec.name)?;
        if let Some(existing) = read(&self.shared.machines).get(spec.name) {
            return same_or_conflict(existing, &spec);
        }
        let machine = self.link(spec.name, spec.definition, spec.machine_type)?;
        let info = self.machine_info(&spec, wall_clock_ms());
        let mut machines = write(&self.shared.machines);
        // A concurrent create of the same name: the first one wins, as above.
        if let Some(existing) = machines.get(spec.name) {
            return same_or_conflict(existing, &spec);
        }
        self.shared
            .config
            .quotas
            .check_machines(&machines, true, spec.definition.len())?;
        let current = Arc::new(Registered {
            machine,
            info,
            metrics: Arc::default(),
        });
        let mut entry = Entry {
            current,
            versions: BTreeMap::new(),
            next_version: 1,
            aliases: BTreeMap::new(),
            tags: spec.tags.clone(),
            status: MachineStatus::Active,
            created_publish: (spec.publish, spec.version_description.map(Str::from)),
        };
        let mut out = entry.current.info.clone();
        if spec.publish {
            let v = self.publish_in(&mut entry, spec.version_description)?;
            out.version_arn = v.version_arn;
        }
        machines.insert(out.name.clone(), entry);
        Ok(out)
    }

    /// Replaces a machine's definition. Running executions finish on the version they started
    /// with; new ones use this one.
    ///
    /// # Errors
    ///
    /// `StateMachineDoesNotExist`, `InvalidArn`, `InvalidDefinition`.
    pub fn update_machine(
        &self,
        machine: &str,
        definition: &str,
    ) -> Result<MachineInfo, EngineError> {
        self.update_machine_with(
            machine,
            MachineUpdate {
                definition: Some(definition),
                ..MachineUpdate::default()
            },
        )
    }

    /// Changes a machine's definition, role, logging, tracing or encryption settings, and
    /// publishes the result as a version when asked.
    ///
    /// # Errors
    ///
    /// As [`Engine::update_machine`]; `ValidationException` for a version or alias ARN;
    /// `StateMachineDeleting`; `ServiceQuotaExceededException` past 1,000 versions.
    pub fn update_machine_with(
        &self,
        machine: &str,
        update: MachineUpdate<'_>,
    ) -> Result<MachineInfo, EngineError> {
        let _mark = self.mark(machine);
        let name = self.shared.unqualified(machine)?;
        let current = self.shared.current(machine, name)?;
        let mut info = current.info.clone();
        let linked = match update.definition {
            Some(d) => {
                let m = self.link(&info.name, d, info.machine_type)?;
                info.definition = Str::from(d);
                Some(m)
            }
            None => None,
        };
        if let Some(r) = update.role_arn {
            info.role_arn = Str::from(r);
        }
        if let Some(l) = update.logging {
            info.logging = l;
            info.log_group = update.log_group.map(Str::from);
        }
        if let Some(t) = update.tracing {
            info.tracing = t;
        }
        if let Some(e) = update.encryption {
            info.encryption = Some(e);
        }
        info.updated_ms = wall_clock_ms();
        info.revision += 1;
        info.revision_id = Some(Str::from(uuid::Uuid::new_v4().to_string()));
        let machine = match linked {
            Some(m) => m,
            // Same program, new settings: relink (cheap next to the execution it serves).
            None => self.link(&info.name, &info.definition, info.machine_type)?,
        };
        let mut machines = write(&self.shared.machines);
        let Some(entry) = machines.get_mut(&info.name) else {
            return Err(EngineError::machine_missing(&info.arn));
        };
        if entry.deleting() {
            return Err(EngineError::deleting(&info.arn));
        }
        if let Some(d) = update.definition {
            self.shared
                .config
                .quotas
                .check_machines(&machines, false, d.len())?;
        }
        let Some(entry) = machines.get_mut(&info.name) else {
            return Err(EngineError::machine_missing(&info.arn));
        };
        let metrics = Arc::clone(&entry.current.metrics);
        entry.current = Arc::new(Registered {
            machine,
            info,
            metrics,
        });
        let mut out = entry.current.info.clone();
        if update.publish {
            out.version_arn = self
                .publish_in(entry, update.version_description)?
                .version_arn;
        }
        Ok(out)
    }

    /// Deletes a machine with its versions, aliases and tags. While STANDARD executions of it
    /// run, it stays `DELETING` until the last one ends; running executions finish. Deleting
    /// a machine that does not exist succeeds, as on AWS.
    ///
    /// # Errors
    ///
    /// `InvalidArn` for an ARN that names no state machine.
    pub fn delete_machine(&self, machine: &str) -> Result<(), EngineError> {
        let _mark = self.mark(machine);
        let name = self.shared.machine_name(machine)?;
        if name.contains(':') {
            // A version or alias ARN: DeleteStateMachineVersion / DeleteStateMachineAlias.
            return Ok(());
        }
        // Counted under the table's lock, so no start slips in between (starts look the
        // machine up under it) and an execution ending now is seen ended or sees DELETING.
        let mut machines = write(&self.shared.machines);
        let running = self.shared.running_of(name);
        let Some(entry) = machines.get_mut(name) else {
            return Ok(());
        };
        if running == 0 {
            if entry.deleting() {
                self.shared.deleting.fetch_sub(1, Ordering::Relaxed);
            }
            machines.remove(name);
        } else if !entry.deleting() {
            entry.status = MachineStatus::Deleting;
            self.shared.deleting.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// A machine's description; a version ARN describes that version, an alias ARN the
    /// machine.
    ///
    /// # Errors
    ///
    /// `StateMachineDoesNotExist`, `InvalidArn`.
    pub fn describe_machine(&self, machine: &str) -> Result<MachineInfo, EngineError> {
        let name = self.shared.machine_name(machine)?;
        match name.split_once(':') {
            None => {
                let machines = read(&self.shared.machines);
                machines
                    .get(name)
                    .filter(|e| !machine.starts_with("arn:") || *e.current.info.arn == *machine)
                    .map(Entry::info)
                    .ok_or_else(|| EngineError::machine_missing(&self.shared.arn_of(machine)))
            }
            Some((base, qualifier)) => {
                let machines = read(&self.shared.machines);
                let entry = machines
                    .get(base)
                    .filter(|e| self.shared.same_machine(machine, e))
                    .ok_or_else(|| EngineError::machine_missing(machine))?;
                if qualifier.bytes().all(|b| b.is_ascii_digit()) {
                    qualifier
                        .parse::<u32>()
                        .ok()
                        .and_then(|n| entry.versions.get(&n))
                        .map(|r| r.info.clone())
                        .ok_or_else(|| EngineError::machine_missing(machine))
                } else if entry.aliases.contains_key(qualifier) {
                    Ok(entry.info())
                } else {
                    Err(EngineError::machine_missing(machine))
                }
            }
        }
    }

    /// Every machine, by name.
    pub fn list_machines(&self) -> Vec<MachineInfo> {
        let mut v: Vec<MachineInfo> = read(&self.shared.machines)
            .values()
            .map(Entry::info)
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// Revision 1 of `spec`, created at `now`.
    pub(super) fn machine_info(&self, spec: &MachineSpec<'_>, now: i64) -> MachineInfo {
        MachineInfo {
            arn: self.machine_arn(spec.name),
            name: Str::from(spec.name),
            machine_type: spec.machine_type,
            definition: Str::from(spec.definition),
            role_arn: spec
                .role_arn
                .map_or_else(|| self.shared.config.role_arn.clone(), Str::from),
            created_ms: now,
            updated_ms: now,
            revision: 1,
            revision_id: None,
            logging: spec.logging.unwrap_or(self.shared.log.default),
            log_group: spec.log_group.map(Str::from),
            tracing: spec.tracing.unwrap_or(false),
            encryption: spec.encryption.clone(),
            status: MachineStatus::Active,
            version_arn: None,
            description: None,
            alias_arn: None,
        }
    }

    fn machine_arn(&self, name: &str) -> Str {
        let c = &self.shared.config;
        Str::from(format!(
            "arn:aws:states:{}:{}:stateMachine:{name}",
            c.region, c.account
        ))
    }
}

/// CreateStateMachine's idempotency (rule 1).
fn same_or_conflict(existing: &Entry, spec: &MachineSpec<'_>) -> Result<MachineInfo, EngineError> {
    let info = &existing.current.info;
    if existing.deleting() {
        return Err(EngineError::deleting(&info.arn));
    }
    let same = *info.definition == *spec.definition
        && info.machine_type == spec.machine_type
        && spec.logging.is_none_or(|l| l == info.logging)
        && spec.log_group == info.log_group.as_deref()
        && spec.tracing.unwrap_or(false) == info.tracing
        && spec.encryption == info.encryption
        && existing.created_publish.0 == spec.publish
        && existing.created_publish.1.as_deref() == spec.version_description;
    if !same {
        return Err(EngineError::new(
            ErrorKind::StateMachineAlreadyExists,
            format!("State Machine Already Exists: '{}'", info.arn),
        ));
    }
    let mut out = info.clone();
    if spec.publish {
        out.version_arn = existing.versions.get(&1).map(|_| version_arn(&info.arn, 1));
    }
    Ok(out)
}

/// `<machine arn>:<n>`.
pub(super) fn version_arn(machine_arn: &str, n: u32) -> Str {
    Str::from(format!("{machine_arn}:{n}"))
}

impl Shared {
    /// The name in a machine name or ARN (`name:qualifier` for a qualified ARN).
    pub(super) fn machine_name<'a>(&self, machine: &'a str) -> Result<&'a str, EngineError> {
        if !machine.starts_with("arn:") {
            return Ok(machine);
        }
        let arn = parse_arn(machine)?;
        if arn.kind != "stateMachine" {
            return Err(EngineError::invalid_arn(&format!(
                "Resource type not valid in this context: {}",
                arn.kind
            )));
        }
        Ok(arn.rest)
    }

    /// The name of an unqualified machine name or ARN; a version or alias ARN is refused as
    /// AWS refuses it where only the machine itself fits.
    pub(super) fn unqualified<'a>(&self, machine: &'a str) -> Result<&'a str, EngineError> {
        let name = self.machine_name(machine)?;
        if name.contains(':') {
            return Err(EngineError::new(
                ErrorKind::Validation,
                "Invalid Arn: 'Qualified state machine ARNs are not supported by this API'",
            ));
        }
        Ok(name)
    }

    /// Whether `machine` (a name, or an ARN possibly qualified) is `entry`'s: an ARN must
    /// also have this engine's region and account.
    pub(super) fn same_machine(&self, machine: &str, entry: &Entry) -> bool {
        !machine.starts_with("arn:") || machine.starts_with(&*entry.current.info.arn)
    }

    /// The current revision of an unqualified machine `name` (from `machine`).
    fn current(&self, machine: &str, name: &str) -> Result<Arc<Registered>, EngineError> {
        let found = read(&self.machines)
            .get(name)
            .filter(|e| !machine.starts_with("arn:") || *e.current.info.arn == *machine)
            .map(|e| Arc::clone(&e.current));
        found.ok_or_else(|| EngineError::machine_missing(&self.arn_of(machine)))
    }

    /// The version a start runs: the current revision, a version, or one an alias picks by
    /// weight.
    ///
    /// # Errors
    ///
    /// `StateMachineDoesNotExist`, `InvalidArn`, `StateMachineDeleting`.
    pub(super) fn lookup(&self, machine: &str) -> Result<Arc<Registered>, EngineError> {
        // PERF: a plain name (the in-process case) holds no qualifier: ID-1 forbids ':'.
        if !machine.starts_with("arn:") {
            let machines = read(&self.machines);
            return match machines.get(machine) {
                Some(e) if e.deleting() => Err(EngineError::deleting(&e.current.info.arn)),
                Some(e) => Ok(Arc::clone(&e.current)),
                None => Err(EngineError::machine_missing(&self.arn_of(machine))),
            };
        }
        let name = self.machine_name(machine)?;
        let (base, qualifier) = match name.split_once(':') {
            Some((b, q)) => (b, Some(q)),
            None => (name, None),
        };
        let machines = read(&self.machines);
        let entry = machines
            .get(base)
            .filter(|e| match qualifier {
                None => !machine.starts_with("arn:") || *e.current.info.arn == *machine,
                Some(_) => self.same_machine(machine, e),
            })
            .ok_or_else(|| EngineError::machine_missing(&self.arn_of(machine)))?;
        if entry.deleting() {
            return Err(EngineError::deleting(&entry.current.info.arn));
        }
        let Some(q) = qualifier else {
            return Ok(Arc::clone(&entry.current));
        };
        let found = if q.bytes().all(|b| b.is_ascii_digit()) {
            q.parse::<u32>()
                .ok()
                .and_then(|n| entry.versions.get(&n))
                .cloned()
        } else {
            entry.aliases.get(q).map(Alias::pick)
        };
        found.ok_or_else(|| EngineError::machine_missing(machine))
    }

    pub(super) fn arn_of(&self, machine: &str) -> String {
        if machine.starts_with("arn:") {
            machine.to_string()
        } else {
            format!(
                "arn:aws:states:{}:{}:stateMachine:{machine}",
                self.config.region, self.config.account
            )
        }
    }

    /// STANDARD executions of machine `name` (any version) still running.
    fn running_of(&self, name: &str) -> usize {
        lock(&self.executions).running_of(name)
    }

    /// Called when a kept execution of machine `name` ends: a `DELETING` machine with no
    /// execution left running goes (rule 4).
    pub(super) fn execution_ended(&self, name: &str) {
        if self.deleting.load(Ordering::Relaxed) == 0 {
            return;
        }
        if self.running_of(name) > 0 {
            return;
        }
        let mut machines = write(&self.machines);
        if machines.get(name).is_some_and(Entry::deleting) {
            machines.remove(name);
            self.deleting.fetch_sub(1, Ordering::Relaxed);
        }
    }
}
