//! CreateStateMachine, DescribeStateMachine, UpdateStateMachine, DeleteStateMachine,
//! ListStateMachines, ValidateStateMachineDefinition.

use super::{json_body, now_ms, read, write, MachineRec, OpResult, Service};
use crate::asl::{parse_definition, MachineType, MAX_DEFINITION_CHARS};
use crate::engine::{LogConfig, LogLevel, MachineSpec, MachineUpdate};
use crate::serve::protocol::{parse_arn, timestamp, valid_name, ApiError, Req};
use serde_json::{json, Map, Value as Json};
use std::sync::Arc;

const LOG_LEVELS: &[&str] = &["ALL", "ERROR", "FATAL", "OFF"];
const ENCRYPTION_TYPES: &[&str] = &["AWS_OWNED_KEY", "CUSTOMER_MANAGED_KMS_KEY"];

/// The optional configuration members shared by Create and Update.
pub(super) struct Configs {
    pub logging: Option<Json>,
    pub tracing: Option<Json>,
    pub encryption: Option<Json>,
}

/// Reads and checks `loggingConfiguration`, `tracingConfiguration`, `encryptionConfiguration`.
pub(super) fn read_configs(r: &mut Req<'_>) -> Result<Configs, ApiError> {
    let logging = r.obj_opt("loggingConfiguration")?;
    if let Some(l) = logging {
        let mut lr = Req::new(l);
        let level = lr.enum_opt("level", LOG_LEVELS)?;
        lr.bool_opt("includeExecutionData")?;
        let dests = lr.list_opt("destinations")?;
        lr.finish().map_err(prefix("loggingConfiguration"))?;
        if level.unwrap_or("OFF") != "OFF" && dests.is_none_or(|d| d.len() != 1) {
            return Err(ApiError::new(
                "InvalidLoggingConfiguration",
                "Invalid Logging Configuration: Must specify exactly one Log Destination if logging level is not OFF.",
            ));
        }
    }
    let tracing = r.obj_opt("tracingConfiguration")?;
    if let Some(t) = tracing {
        Req::new(t).bool_opt("enabled")?;
    }
    let encryption = r.obj_opt("encryptionConfiguration")?;
    if let Some(e) = encryption {
        let mut er = Req::new(e);
        er.str_opt("kmsKeyId", 1, 2048)?;
        er.int_opt("kmsDataKeyReusePeriodSeconds", 60, 900)?;
        let ty = er.enum_opt("type", ENCRYPTION_TYPES)?;
        if ty.is_none() {
            er.violation(None, "type", "must not be null");
        }
        er.finish().map_err(prefix("encryptionConfiguration"))?;
    }
    Ok(Configs {
        logging: logging.map(|o| Json::Object(o.clone())),
        tracing: tracing.map(|o| Json::Object(o.clone())),
        encryption: encryption.map(|o| Json::Object(o.clone())),
    })
}

/// `loggingConfiguration` as the engine takes it: the level, whether records carry data, and
/// the log group's name from its ARN (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`).
fn engine_logging(l: Option<&Json>) -> Result<(Option<LogConfig>, Option<String>), ApiError> {
    let Some(l) = l else {
        return Ok((None, None));
    };
    let level = l
        .get("level")
        .and_then(Json::as_str)
        .unwrap_or("OFF")
        .parse::<LogLevel>()
        .map_err(|e| ApiError::new("InvalidLoggingConfiguration", e))?;
    let config = LogConfig {
        level,
        include_execution_data: l
            .get("includeExecutionData")
            .and_then(Json::as_bool)
            .unwrap_or(false),
    };
    let arn = l
        .get("destinations")
        .and_then(|d| d.get(0))
        .and_then(|d| d.get("cloudWatchLogsLogGroup"))
        .and_then(|g| g.get("logGroupArn"))
        .and_then(Json::as_str);
    let group = match arn {
        None => None,
        Some(a) => Some(log_group_name(a).ok_or_else(|| {
            ApiError::new(
                "InvalidLoggingConfiguration",
                format!("Invalid Logging Configuration: Invalid Log Group ARN '{a}': expected arn:aws:logs:<region>:<account>:log-group:<name>:* with a name of 1 to 512 characters from [.-_/#A-Za-z0-9]"),
            )
        })?),
    };
    Ok((Some(config), group))
}

/// The log group name in a log group ARN, when it is one.
pub(crate) fn log_group_name(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(6, ':');
    let (partition, service, _region, account) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let kind = parts.next()?;
    let name = parts.next()?;
    let name = name.strip_suffix(":*").unwrap_or(name);
    let ok = !partition.is_empty()
        && service == "logs"
        && !account.is_empty()
        && kind == "log-group"
        && crate::engine::valid_log_group_name(name);
    ok.then(|| name.to_string())
}

/// Nested member names in validation messages: `'level'` → `'loggingConfiguration.level'`.
fn prefix(p: &'static str) -> impl Fn(ApiError) -> ApiError {
    move |mut e| {
        e.message = e.message.replace(" at '", &format!(" at '{p}."));
        e
    }
}

/// `roleArn` must be an IAM role ARN.
pub(super) fn check_role_arn(role: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = role.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "iam"
        && parts[5]
            .strip_prefix("role/")
            .is_some_and(|n| !n.is_empty());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_arn(&format!(
            "Invalid ARN prefix: {role}"
        )))
    }
}

/// A definition error as the API reports it.
fn logging_or_default(l: &Option<Json>) -> Json {
    l.clone()
        .unwrap_or_else(|| json!({"level": "OFF", "includeExecutionData": false}))
}

impl Service {
    pub(super) fn create_state_machine(&self, mut r: Req<'_>) -> OpResult {
        let name = r.str_req("name", 1, 80)?;
        let definition = r.str_req("definition", 1, MAX_DEFINITION_CHARS)?;
        let role_arn = r.str_req("roleArn", 1, 256)?;
        let ty = r.enum_opt("type", &["STANDARD", "EXPRESS"])?;
        let publish = r.bool_opt("publish")?.unwrap_or(false);
        let version_description = r.str_opt("versionDescription", 0, 256)?;
        let tags = super::tags::read_tags(&mut r, "tags", false)?;
        let configs = read_configs(&mut r)?;
        r.finish()?;
        if version_description.is_some() && !publish {
            return Err(ApiError::validation(
                "Version description can only be set when publish is true",
            ));
        }
        if !valid_name(name) {
            return Err(ApiError::invalid_name(name));
        }
        check_role_arn(role_arn)?;
        let machine_type = match ty {
            Some("EXPRESS") => MachineType::Express,
            _ => MachineType::Standard,
        };
        if tags.len() > 50 {
            return Err(ApiError::too_many_tags(&self.id.arn("stateMachine", name)));
        }
        let arn = self.id.arn("stateMachine", name);
        if let Some(existing) = read(&self.machines).get(name).cloned() {
            return self.idempotent_create(
                &existing,
                definition,
                machine_type,
                &configs,
                publish,
                version_description,
            );
        }
        let (logging, group) = engine_logging(configs.logging.as_ref())?;
        self.backend.create_machine(MachineSpec {
            name,
            definition,
            machine_type,
            role_arn: Some(role_arn),
            logging,
            log_group: group.as_deref(),
        })?;
        let now = now_ms();
        let rec = Arc::new(MachineRec {
            arn: arn.clone(),
            name: name.to_string(),
            machine_type,
            definition: definition.to_string(),
            role_arn: role_arn.to_string(),
            creation_ms: now,
            update_ms: now,
            revision_id: uuid::Uuid::new_v4().to_string(),
            logging: configs.logging,
            tracing: configs.tracing,
            encryption: configs.encryption,
            publish,
            version_description: version_description.map(str::to_string),
        });
        {
            let mut machines = write(&self.machines);
            if let Some(existing) = machines.get(name).cloned() {
                drop(machines);
                let c = Configs {
                    logging: rec.logging.clone(),
                    tracing: rec.tracing.clone(),
                    encryption: rec.encryption.clone(),
                };
                return self.idempotent_create(
                    &existing,
                    definition,
                    machine_type,
                    &c,
                    publish,
                    version_description,
                );
            }
            machines.insert(name.to_string(), rec);
        }
        if !tags.is_empty() {
            super::lock(&self.tags).insert(arn.clone(), tags);
        }
        let mut out = json!({"stateMachineArn": arn, "creationDate": timestamp(now)});
        if publish {
            out["stateMachineVersionArn"] = Json::from(format!("{arn}:1"));
        }
        json_body(out)
    }

    /// CreateStateMachine for a name that exists: the same machine again succeeds with the
    /// original answer; any difference but role and tags is `StateMachineAlreadyExists`.
    fn idempotent_create(
        &self,
        existing: &MachineRec,
        definition: &str,
        machine_type: MachineType,
        c: &Configs,
        publish: bool,
        version_description: Option<&str>,
    ) -> OpResult {
        let same = existing.definition == definition
            && existing.machine_type == machine_type
            && existing.logging == c.logging
            && existing.tracing == c.tracing
            && existing.encryption == c.encryption
            && existing.publish == publish
            && existing.version_description.as_deref() == version_description;
        if !same {
            return Err(ApiError::new(
                "StateMachineAlreadyExists",
                format!("State Machine Already Exists: '{}'", existing.arn),
            ));
        }
        let mut out = json!({"stateMachineArn": existing.arn, "creationDate": timestamp(existing.creation_ms)});
        if publish {
            out["stateMachineVersionArn"] = Json::from(format!("{}:1", existing.arn));
        }
        json_body(out)
    }

    pub(super) fn describe_state_machine(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("stateMachineArn", 1, 256)?;
        let included = r.enum_opt("includedData", &["ALL_DATA", "METADATA_ONLY"])?;
        r.finish()?;
        let m = self.machine_by_arn(arn)?;
        json_body(describe_json(&m, included == Some("METADATA_ONLY"), false))
    }

    pub(super) fn update_state_machine(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("stateMachineArn", 1, 256)?;
        let definition = r.str_opt("definition", 1, MAX_DEFINITION_CHARS)?;
        let role_arn = r.str_opt("roleArn", 1, 256)?;
        let publish = r.bool_opt("publish")?.unwrap_or(false);
        let version_description = r.str_opt("versionDescription", 0, 256)?;
        let configs = read_configs(&mut r)?;
        r.finish()?;
        let a = parse_arn(arn)?;
        if a.kind == "stateMachine" && a.rest.contains(':') {
            return Err(ApiError::validation(
                "Invalid Arn: 'Qualified state machine ARNs are not supported by this API'",
            ));
        }
        let old = self.machine_by_arn(arn)?;
        if definition.is_none()
            && role_arn.is_none()
            && configs.logging.is_none()
            && configs.tracing.is_none()
            && configs.encryption.is_none()
        {
            return Err(ApiError::new(
                "MissingRequiredParameter",
                "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
            ));
        }
        if version_description.is_some() && !publish {
            return Err(ApiError::validation(
                "Version description can only be set when publish is true",
            ));
        }
        if let Some(role) = role_arn {
            check_role_arn(role)?;
        }
        let (logging, group) = engine_logging(configs.logging.as_ref())?;
        let update = MachineUpdate {
            definition,
            role_arn,
            logging,
            log_group: group.as_deref(),
        };
        self.backend.update_machine(&old.name, update)?;
        let now = now_ms();
        let rec = Arc::new(MachineRec {
            arn: old.arn.clone(),
            name: old.name.clone(),
            machine_type: old.machine_type,
            definition: definition.map_or_else(|| old.definition.clone(), str::to_string),
            role_arn: role_arn.map_or_else(|| old.role_arn.clone(), str::to_string),
            creation_ms: old.creation_ms,
            update_ms: now,
            revision_id: uuid::Uuid::new_v4().to_string(),
            logging: configs.logging.or_else(|| old.logging.clone()),
            tracing: configs.tracing.or_else(|| old.tracing.clone()),
            encryption: configs.encryption.or_else(|| old.encryption.clone()),
            publish: old.publish,
            version_description: old.version_description.clone(),
        });
        let revision = rec.revision_id.clone();
        write(&self.machines).insert(old.name.clone(), rec);
        let mut out = json!({"updateDate": timestamp(now), "revisionId": revision});
        if publish {
            out["stateMachineVersionArn"] = Json::from(format!("{}:1", old.arn));
        }
        json_body(out)
    }

    pub(super) fn delete_state_machine(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("stateMachineArn", 1, 256)?;
        r.finish()?;
        let a = parse_arn(arn)?;
        if a.kind != "stateMachine" {
            return Err(ApiError::invalid_arn(&format!(
                "Resource type not valid in this context: {}",
                a.kind
            )));
        }
        if a.region == self.id.region && a.account == self.id.account && !a.rest.contains(':') {
            if let Some(m) = write(&self.machines).remove(a.rest) {
                self.backend.delete_machine(&m.name);
                super::lock(&self.tags).remove(&m.arn);
            }
        }
        json_body(json!({}))
    }

    pub(super) fn list_state_machines(&self, mut r: Req<'_>) -> OpResult {
        let size = r.page_size(1000)?;
        let token = r.str_opt("nextToken", 1, 1024)?;
        r.finish()?;
        let keyed: Vec<(String, Json)> = read(&self.machines)
            .values()
            .map(|m| {
                let item = json!({
                    "stateMachineArn": m.arn,
                    "name": m.name,
                    "type": m.machine_type.as_str(),
                    "creationDate": timestamp(m.creation_ms),
                });
                (m.name.clone(), item)
            })
            .collect();
        super::list_page("stateMachines", "sm", keyed, token, size)
    }

    pub(super) fn validate_definition(&self, mut r: Req<'_>) -> OpResult {
        let definition = r.str_req("definition", 0, MAX_DEFINITION_CHARS)?;
        let ty = r.enum_opt("type", &["STANDARD", "EXPRESS"])?;
        r.enum_opt("severity", &["ERROR", "WARNING"])?;
        let max = match r.int_opt("maxResults", 0, 100)? {
            None | Some(0) => 100,
            Some(n) => n as usize,
        };
        r.finish()?;
        let machine_type = match ty {
            Some("EXPRESS") => MachineType::Express,
            _ => MachineType::Standard,
        };
        let diags: Vec<Json> = match parse_definition(definition, machine_type) {
            Ok(_) => Vec::new(),
            Err(e) => e.diagnostics().iter().map(|d| d.to_json()).collect(),
        };
        let result = if diags.is_empty() { "OK" } else { "FAIL" };
        let truncated = diags.len() > max;
        let diags: Vec<Json> = diags.into_iter().take(max).collect();
        json_body(json!({"result": result, "diagnostics": diags, "truncated": truncated}))
    }
}

/// DescribeStateMachine's answer (and DescribeStateMachineForExecution's with `for_execution`).
pub(super) fn describe_json(m: &MachineRec, metadata_only: bool, for_execution: bool) -> Json {
    let mut o = Map::new();
    o.insert("stateMachineArn".into(), Json::from(m.arn.as_str()));
    o.insert("name".into(), Json::from(m.name.as_str()));
    if !for_execution {
        o.insert("status".into(), Json::from("ACTIVE"));
    }
    o.insert(
        "definition".into(),
        Json::from(if metadata_only {
            "{}"
        } else {
            m.definition.as_str()
        }),
    );
    o.insert("roleArn".into(), Json::from(m.role_arn.as_str()));
    if for_execution {
        o.insert("updateDate".into(), timestamp(m.update_ms));
    } else {
        o.insert("type".into(), Json::from(m.machine_type.as_str()));
        o.insert("creationDate".into(), timestamp(m.creation_ms));
    }
    o.insert(
        "loggingConfiguration".into(),
        logging_or_default(&m.logging),
    );
    o.insert(
        "tracingConfiguration".into(),
        m.tracing
            .clone()
            .unwrap_or_else(|| json!({"enabled": false})),
    );
    o.insert("revisionId".into(), Json::from(m.revision_id.as_str()));
    if let Some(e) = &m.encryption {
        o.insert("encryptionConfiguration".into(), e.clone());
    }
    Json::Object(o)
}
