//! State machine versions and aliases (PublishStateMachineVersion, ListStateMachineVersions,
//! DeleteStateMachineVersion, Create/Describe/Update/Delete/ListStateMachineAliases).
//!
//! 1. A version is an immutable snapshot of a revision, numbered from 1; numbers are never
//!    reused, even after a version is deleted. At most [`MAX_VERSIONS`] per machine.
//! 2. Publishing the revision the newest version already holds returns that version
//!    (idempotent per revision). A `revisionId` that is not the current one is a conflict.
//! 3. An alias routes starts to one or two versions of its machine, with weights that sum to
//!    100; each start picks one by weight. At most [`MAX_ALIASES`] per machine.
//! 4. A version an alias routes to cannot be deleted.
//! 5. Executions started through a version or alias record both ARNs (DescribeExecution,
//!    `ExecutionStarted`), and are listed under them.

use super::error::{EngineError, ErrorKind};
use super::machines::{version_arn, Entry, MachineInfo, Registered};
use super::{Engine, Shared};
use crate::runtime::machine::wall_clock_ms;
use crate::runtime::sync::{read, write};
use crate::value::Str;
use rand::Rng;
use std::sync::Arc;

/// Most versions a machine can have (AWS's quota).
pub const MAX_VERSIONS: usize = 1000;
/// Most aliases a machine can have (AWS's quota).
pub const MAX_ALIASES: usize = 100;

/// One route of an alias: a version and the share of starts it gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// `<machine arn>:<n>`.
    pub version_arn: Str,
    /// 0 to 100.
    pub weight: u8,
}

/// An alias (DescribeStateMachineAlias's data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasInfo {
    /// `<machine arn>:<alias name>`.
    pub arn: Str,
    /// Name.
    pub name: Str,
    /// Description.
    pub description: Option<Str>,
    /// Where starts go.
    pub routing: Vec<Route>,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
    /// Time of the last update (the creation time before any), epoch milliseconds.
    pub updated_ms: i64,
}

/// An alias as the machines table keeps it: its description, and each routed version
/// linked with the alias's ARN recorded (so executions started through it say so).
#[derive(Debug)]
pub(super) struct Alias {
    info: AliasInfo,
    routes: Vec<(Arc<Registered>, u8)>,
}

impl Alias {
    /// The version a start runs, by weight (rule 3).
    pub(super) fn pick(&self) -> Arc<Registered> {
        let mut roll = match self.routes.len() {
            1 => 0,
            _ => rand::rng().random_range(0..100u8),
        };
        for (reg, w) in &self.routes {
            if roll < *w {
                return Arc::clone(reg);
            }
            roll -= w;
        }
        Arc::clone(&self.routes[self.routes.len() - 1].0)
    }

    /// What DescribeStateMachineAlias shows.
    pub(super) fn info(&self) -> &AliasInfo {
        &self.info
    }

    fn routes_to(&self, n: u32) -> bool {
        let suffix = format!(":{n}");
        self.info
            .routing
            .iter()
            .any(|r| r.version_arn.ends_with(&suffix))
    }
}

/// The parts of a version or alias ARN: the machine name and the qualifier.
fn split_qualified<'a>(shared: &Shared, arn: &'a str) -> Result<(&'a str, &'a str), EngineError> {
    let name = shared.machine_name(arn)?;
    name.split_once(':')
        .ok_or_else(|| EngineError::invalid_arn(arn))
}

fn routing_error(message: impl Into<String>) -> EngineError {
    EngineError::new(ErrorKind::Validation, message).with_reason("INVALID_ROUTING_CONFIGURATION")
}

/// AWS's alias name rule: 1 to 80 of `[a-zA-Z0-9_.-]`, not all digits (that would be a
/// version number).
pub fn valid_alias_name(name: &str) -> bool {
    (1..=80).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && !name.bytes().all(|b| b.is_ascii_digit())
}

impl Engine {
    /// Publishes `entry`'s current revision as its next version (rules 1 and 2).
    pub(super) fn publish_in(
        &self,
        entry: &mut Entry,
        description: Option<&str>,
    ) -> Result<MachineInfo, EngineError> {
        let cur = &entry.current.info;
        if let Some((_, newest)) = entry.versions.last_key_value() {
            if newest.info.revision == cur.revision && newest.info.definition == cur.definition {
                return Ok(newest.info.clone());
            }
        }
        if entry.versions.len() >= MAX_VERSIONS {
            return Err(EngineError::new(
                ErrorKind::ServiceQuotaExceeded,
                format!(
                    "The maximum number of versions ({MAX_VERSIONS}) has been reached for state machine '{}'",
                    cur.arn
                ),
            ));
        }
        let n = entry.next_version;
        let mut info = cur.clone();
        info.version_arn = Some(version_arn(&cur.arn, n));
        info.description = description.map(Str::from);
        info.created_ms = wall_clock_ms();
        let machine = self.link(&info.name, &info.definition, info.machine_type)?;
        let metrics = Arc::clone(&entry.current.metrics);
        let reg = Arc::new(Registered {
            machine,
            info,
            metrics,
        });
        entry.next_version += 1;
        entry.versions.insert(n, Arc::clone(&reg));
        Ok(reg.info.clone())
    }

    /// PublishStateMachineVersion: the machine's current revision as a new version, or the
    /// newest version when it holds that revision already. `revision_id`, when given, must
    /// be the current one (`INITIAL` before any update).
    ///
    /// # Errors
    ///
    /// `StateMachineDoesNotExist`, `InvalidArn`, `ValidationException` for a qualified ARN,
    /// `StateMachineDeleting`, `ConflictException` for another revision id,
    /// `ServiceQuotaExceededException` past [`MAX_VERSIONS`].
    pub fn publish_version(
        &self,
        machine: &str,
        description: Option<&str>,
        revision_id: Option<&str>,
    ) -> Result<MachineInfo, EngineError> {
        let _mark = self.mark(machine);
        let name = self.shared.unqualified(machine)?;
        let mut machines = write(&self.shared.machines);
        let entry = machines
            .get_mut(name)
            .filter(|e| self.shared.same_machine(machine, e))
            .ok_or_else(|| EngineError::machine_missing(&self.shared.arn_of(machine)))?;
        if entry.deleting() {
            return Err(EngineError::deleting(&entry.current.info.arn));
        }
        if let Some(want) = revision_id {
            let current = entry
                .current
                .info
                .revision_id
                .as_deref()
                .unwrap_or("INITIAL");
            if want != current {
                return Err(EngineError::new(
                    ErrorKind::Conflict,
                    format!(
                        "Failed to publish the State Machine version for revision {want}. The current State Machine revision is {current}."
                    ),
                ));
            }
        }
        self.publish_in(entry, description)
    }

    /// A machine's versions, newest first.
    ///
    /// # Errors
    ///
    /// `StateMachineDoesNotExist`, `InvalidArn`, `ValidationException` for a qualified ARN.
    pub fn list_versions(&self, machine: &str) -> Result<Vec<MachineInfo>, EngineError> {
        self.with_entry(machine, |e| {
            Ok(e.versions.values().rev().map(|r| r.info.clone()).collect())
        })
    }

    /// DeleteStateMachineVersion. Deleting a version that does not exist succeeds.
    ///
    /// # Errors
    ///
    /// `InvalidArn`; `ConflictException` while an alias routes to it (rule 4).
    pub fn delete_version(&self, version_arn: &str) -> Result<(), EngineError> {
        let _mark = self.mark(version_arn);
        let (base, q) = split_qualified(&self.shared, version_arn)?;
        let Ok(n) = q.parse::<u32>() else {
            return Err(EngineError::invalid_arn(&format!(
                "Invalid version ARN: {version_arn}"
            )));
        };
        let mut machines = write(&self.shared.machines);
        let Some(entry) = machines
            .get_mut(base)
            .filter(|e| self.shared.same_machine(version_arn, e))
        else {
            return Ok(());
        };
        let users: Vec<&str> = entry
            .aliases
            .values()
            .filter(|a| a.routes_to(n))
            .map(|a| &*a.info.arn)
            .collect();
        if !users.is_empty() {
            return Err(EngineError::new(
                ErrorKind::Conflict,
                format!(
                    "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [{}]",
                    users.join(", ")
                ),
            ));
        }
        entry.versions.remove(&n);
        Ok(())
    }

    /// CreateStateMachineAlias. Creating an alias that exists with the same description and
    /// routing returns it.
    ///
    /// # Errors
    ///
    /// `ValidationException` for a bad name or routing (reason
    /// `INVALID_ROUTING_CONFIGURATION`), `ResourceNotFound` for a version that does not
    /// exist, `ConflictException` for an alias of that name with other settings,
    /// `StateMachineDeleting`, `ServiceQuotaExceededException` past [`MAX_ALIASES`].
    pub fn create_alias(
        &self,
        name: &str,
        description: Option<&str>,
        routing: &[Route],
    ) -> Result<AliasInfo, EngineError> {
        let _mark = routing.first().and_then(|r| self.mark(&r.version_arn));
        if !valid_alias_name(name) {
            return Err(EngineError::invalid_name(name));
        }
        let base = self.routing_machine(routing)?;
        let mut machines = write(&self.shared.machines);
        let entry = self.routing_entry(&mut machines, base, routing)?;
        if let Some(existing) = entry.aliases.get(name) {
            let same = existing.info.description.as_deref() == description
                && existing.info.routing == routing;
            return match same {
                true => Ok(existing.info.clone()),
                false => Err(EngineError::new(
                    ErrorKind::Conflict,
                    format!(
                        "Failed to create alias because an alias with the same name and a different routing configuration already exists: '{}'",
                        existing.info.arn
                    ),
                )),
            };
        }
        if entry.aliases.len() >= MAX_ALIASES {
            return Err(EngineError::new(
                ErrorKind::ServiceQuotaExceeded,
                format!(
                    "The maximum number of aliases ({MAX_ALIASES}) has been reached for state machine '{}'",
                    entry.current.info.arn
                ),
            ));
        }
        let now = wall_clock_ms();
        let info = AliasInfo {
            arn: Str::from(format!("{}:{name}", entry.current.info.arn)),
            name: Str::from(name),
            description: description.map(Str::from),
            routing: routing.to_vec(),
            created_ms: now,
            updated_ms: now,
        };
        let alias = self.linked_alias(entry, info)?;
        let out = alias.info.clone();
        entry.aliases.insert(out.name.clone(), alias);
        Ok(out)
    }

    /// DescribeStateMachineAlias.
    ///
    /// # Errors
    ///
    /// `InvalidArn`, `ResourceNotFound`.
    pub fn describe_alias(&self, alias_arn: &str) -> Result<AliasInfo, EngineError> {
        let (base, q) = split_qualified(&self.shared, alias_arn)?;
        read(&self.shared.machines)
            .get(base)
            .filter(|e| self.shared.same_machine(alias_arn, e))
            .and_then(|e| e.aliases.get(q))
            .map(|a| a.info.clone())
            .ok_or_else(|| EngineError::resource_not_found(alias_arn))
    }

    /// UpdateStateMachineAlias: a new description or routing (`None` keeps it).
    ///
    /// # Errors
    ///
    /// As [`Engine::create_alias`], and `ResourceNotFound` for an alias that does not exist.
    pub fn update_alias(
        &self,
        alias_arn: &str,
        description: Option<&str>,
        routing: Option<&[Route]>,
    ) -> Result<AliasInfo, EngineError> {
        let _mark = self.mark(alias_arn);
        let (base, q) = split_qualified(&self.shared, alias_arn)?;
        if let Some(r) = routing {
            if self.routing_machine(r)? != base {
                return Err(routing_error(
                    "Routing configuration must contain versions of the alias's state machine",
                ));
            }
        }
        let mut machines = write(&self.shared.machines);
        let entry = match routing {
            Some(r) => self.routing_entry(&mut machines, base, r)?,
            None => machines
                .get_mut(base)
                .ok_or_else(|| EngineError::resource_not_found(alias_arn))?,
        };
        let Some(old) = entry.aliases.get(q) else {
            return Err(EngineError::resource_not_found(alias_arn));
        };
        let mut info = old.info.clone();
        if let Some(d) = description {
            info.description = Some(Str::from(d));
        }
        if let Some(r) = routing {
            info.routing = r.to_vec();
        }
        info.updated_ms = wall_clock_ms();
        let alias = self.linked_alias(entry, info)?;
        let out = alias.info.clone();
        entry.aliases.insert(out.name.clone(), alias);
        Ok(out)
    }

    /// DeleteStateMachineAlias. Deleting an alias that does not exist succeeds.
    ///
    /// # Errors
    ///
    /// `InvalidArn`.
    pub fn delete_alias(&self, alias_arn: &str) -> Result<(), EngineError> {
        let _mark = self.mark(alias_arn);
        let (base, q) = split_qualified(&self.shared, alias_arn)?;
        if let Some(e) = write(&self.shared.machines)
            .get_mut(base)
            .filter(|e| self.shared.same_machine(alias_arn, e))
        {
            e.aliases.remove(q);
        }
        Ok(())
    }

    /// A machine's aliases, by name.
    ///
    /// # Errors
    ///
    /// `StateMachineDoesNotExist`, `InvalidArn`, `ValidationException` for a qualified ARN.
    pub fn list_aliases(&self, machine: &str) -> Result<Vec<AliasInfo>, EngineError> {
        self.with_entry(machine, |e| {
            Ok(e.aliases.values().map(|a| a.info.clone()).collect())
        })
    }

    /// Runs `f` on the entry of an unqualified machine ARN or name.
    pub(super) fn with_entry<T>(
        &self,
        machine: &str,
        f: impl FnOnce(&Entry) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let name = self.shared.unqualified(machine)?;
        let machines = read(&self.shared.machines);
        let entry = machines
            .get(name)
            .filter(|e| self.shared.same_machine(machine, e))
            .ok_or_else(|| EngineError::machine_missing(&self.shared.arn_of(machine)))?;
        f(entry)
    }

    /// Checks a routing configuration's shape (rule 3) and returns its machine's name.
    fn routing_machine<'a>(&self, routing: &'a [Route]) -> Result<&'a str, EngineError> {
        if routing.is_empty() || routing.len() > 2 {
            return Err(routing_error(
                "Routing configuration must contain one or two state machine versions",
            ));
        }
        if routing.iter().any(|r| r.weight > 100) {
            return Err(routing_error("Each weight must be between 0 and 100"));
        }
        if routing.iter().map(|r| u32::from(r.weight)).sum::<u32>() != 100 {
            return Err(routing_error(
                "The weights of the routing configuration must sum to 100",
            ));
        }
        if routing.len() == 2 && routing[0].version_arn == routing[1].version_arn {
            return Err(routing_error(
                "Routing configuration must contain distinct state machine versions",
            ));
        }
        let mut base = None;
        for r in routing {
            let (b, q) = split_qualified(&self.shared, &r.version_arn)?;
            if q.parse::<u32>().is_err() {
                return Err(routing_error(format!(
                    "Routing configuration must contain state machine version ARNs, not '{}'",
                    r.version_arn
                )));
            }
            if base.is_some_and(|x| x != b) {
                return Err(routing_error(
                    "Routing configuration must contain versions of the same state machine",
                ));
            }
            base = Some(b);
        }
        Ok(base.unwrap_or_default())
    }

    /// The entry whose versions `routing` names, each of which must exist.
    fn routing_entry<'m>(
        &self,
        machines: &'m mut super::machines::Machines,
        base: &str,
        routing: &[Route],
    ) -> Result<&'m mut Entry, EngineError> {
        let entry = machines
            .get_mut(base)
            .filter(|e| self.shared.same_machine(&routing[0].version_arn, e))
            .ok_or_else(|| EngineError::resource_not_found(&routing[0].version_arn))?;
        if entry.deleting() {
            return Err(EngineError::deleting(&entry.current.info.arn));
        }
        for r in routing {
            let n = r
                .version_arn
                .rsplit(':')
                .next()
                .and_then(|n| n.parse().ok());
            if !n.is_some_and(|n: u32| entry.versions.contains_key(&n)) {
                return Err(EngineError::resource_not_found(&r.version_arn));
            }
        }
        Ok(entry)
    }

    /// `info`'s routed versions, relinked with the alias's ARN recorded on them.
    fn linked_alias(&self, entry: &Entry, info: AliasInfo) -> Result<Alias, EngineError> {
        self.shared.alias_of_entry(entry, info)
    }
}

impl Shared {
    /// [`Engine::linked_alias`], for a catalog read back.
    pub(super) fn alias_of_entry(
        &self,
        entry: &Entry,
        info: AliasInfo,
    ) -> Result<Alias, EngineError> {
        let mut routes = Vec::with_capacity(info.routing.len());
        for r in &info.routing {
            let n: u32 = r
                .version_arn
                .rsplit(':')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let Some(v) = entry.versions.get(&n) else {
                return Err(EngineError::resource_not_found(&r.version_arn));
            };
            let mut vi = v.info.clone();
            vi.alias_arn = Some(info.arn.clone());
            let machine = self.link(&vi.name, &vi.definition, vi.machine_type)?;
            let metrics = Arc::clone(&v.metrics);
            let reg = Registered {
                machine,
                info: vi,
                metrics,
            };
            routes.push((Arc::new(reg), r.weight));
        }
        Ok(Alias { info, routes })
    }
}
