//! CreateStateMachine, DescribeStateMachine, UpdateStateMachine, DeleteStateMachine,
//! ListStateMachines, ValidateStateMachineDefinition.

use super::{json_body, OpResult, Service};
use crate::asl::{parse_definition, MachineType, MAX_DEFINITION_CHARS};
use crate::engine::{
    Encryption, KeyType, LogConfig, LogLevel, MachineInfo, MachineSpec, MachineUpdate,
};
use crate::serve::protocol::{timestamp, ApiError, Req};
use crate::value::Str;
use serde_json::{json, Map, Value as Json};

const LOG_LEVELS: &[&str] = &["ALL", "ERROR", "FATAL", "OFF"];
const ENCRYPTION_TYPES: &[&str] = &["AWS_OWNED_KEY", "CUSTOMER_MANAGED_KMS_KEY"];

/// The optional configuration members shared by Create and Update, as the engine takes them.
pub(super) struct Configs {
    /// Level and data, with the log group's name.
    pub logging: Option<(LogConfig, Option<String>)>,
    pub tracing: Option<bool>,
    pub encryption: Option<Encryption>,
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
    let tracing = match r.obj_opt("tracingConfiguration")? {
        Some(t) => Some(Req::new(t).bool_opt("enabled")?.unwrap_or(false)),
        None => None,
    };
    let encryption = read_encryption(r)?;
    Ok(Configs {
        logging: engine_logging(logging)?,
        tracing,
        encryption,
    })
}

/// Reads and checks `encryptionConfiguration`.
pub(super) fn read_encryption(r: &mut Req<'_>) -> Result<Option<Encryption>, ApiError> {
    let Some(e) = r.obj_opt("encryptionConfiguration")? else {
        return Ok(None);
    };
    let mut er = Req::new(e);
    let kms_key_id = er.str_opt("kmsKeyId", 1, 2048)?;
    let reuse = er.int_opt("kmsDataKeyReusePeriodSeconds", 60, 900)?;
    let ty = er.enum_opt("type", ENCRYPTION_TYPES)?;
    if ty.is_none() {
        er.violation(None, "type", "must not be null");
    }
    er.finish().map_err(prefix("encryptionConfiguration"))?;
    Ok(Some(Encryption {
        key_type: match ty {
            Some("CUSTOMER_MANAGED_KMS_KEY") => KeyType::CustomerManaged,
            _ => KeyType::AwsOwned,
        },
        kms_key_id: kms_key_id.map(Str::from),
        reuse_period_seconds: reuse.map(|n| n as u32),
    }))
}

/// `encryptionConfiguration` as the API shows it.
pub(super) fn encryption_json(e: &Encryption) -> Json {
    let mut o = json!({"type": e.key_type.as_str()});
    if let Some(k) = &e.kms_key_id {
        o["kmsKeyId"] = Json::from(&**k);
    }
    if let Some(p) = e.reuse_period_seconds {
        o["kmsDataKeyReusePeriodSeconds"] = Json::from(p);
    }
    o
}

/// `loggingConfiguration` as the engine takes it: the level, whether records carry data, and
/// the log group's name from its ARN (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`).
#[allow(clippy::type_complexity)]
fn engine_logging(
    l: Option<&Map<String, Json>>,
) -> Result<Option<(LogConfig, Option<String>)>, ApiError> {
    let Some(l) = l else {
        return Ok(None);
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
    Ok(Some((config, group)))
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
        check_role_arn(role_arn)?;
        let machine_type = match ty {
            Some("EXPRESS") => MachineType::Express,
            _ => MachineType::Standard,
        };
        let (logging, group) = configs.logging.unzip();
        let m = self.engine().create_machine_with(MachineSpec {
            role_arn: Some(role_arn),
            logging,
            log_group: group.flatten().as_deref(),
            tracing: configs.tracing,
            encryption: configs.encryption,
            publish,
            version_description,
            tags,
            ..MachineSpec::new(name, definition, machine_type)
        })?;
        let mut out = json!({"stateMachineArn": &*m.arn, "creationDate": timestamp(m.created_ms)});
        if let Some(v) = &m.version_arn {
            out["stateMachineVersionArn"] = Json::from(&**v);
        }
        json_body(out)
    }

    pub(super) fn describe_state_machine(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("stateMachineArn", 1, 256)?;
        let included = r.enum_opt("includedData", &["ALL_DATA", "METADATA_ONLY"])?;
        r.finish()?;
        let m = self.engine().describe_machine(arn)?;
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
        let (logging, group) = configs.logging.unzip();
        let m = self.engine().update_machine_with(
            arn,
            MachineUpdate {
                definition,
                role_arn,
                logging,
                log_group: group.flatten().as_deref(),
                tracing: configs.tracing,
                encryption: configs.encryption,
                publish,
                version_description,
            },
        )?;
        let mut out = json!({"updateDate": timestamp(m.updated_ms)});
        if let Some(id) = &m.revision_id {
            out["revisionId"] = Json::from(&**id);
        }
        if let Some(v) = &m.version_arn {
            out["stateMachineVersionArn"] = Json::from(&**v);
        }
        json_body(out)
    }

    pub(super) fn delete_state_machine(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("stateMachineArn", 1, 256)?;
        r.finish()?;
        self.engine().delete_machine(arn)?;
        json_body(json!({}))
    }

    pub(super) fn list_state_machines(&self, mut r: Req<'_>) -> OpResult {
        let size = r.page_size(1000)?;
        let token = r.str_opt("nextToken", 1, 1024)?;
        r.finish()?;
        let keyed: Vec<(String, Json)> = self
            .engine()
            .list_machines()
            .iter()
            .map(|m| {
                let item = json!({
                    "stateMachineArn": &*m.arn,
                    "name": &*m.name,
                    "type": m.machine_type.as_str(),
                    "creationDate": timestamp(m.created_ms),
                });
                (m.name.to_string(), item)
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

/// DescribeStateMachine's answer (and DescribeStateMachineForExecution's with
/// `for_execution`).
pub(super) fn describe_json(m: &MachineInfo, metadata_only: bool, for_execution: bool) -> Json {
    let mut o = Map::new();
    let arn = m.version_arn.as_deref().unwrap_or(&m.arn);
    o.insert("stateMachineArn".into(), Json::from(arn));
    o.insert("name".into(), Json::from(&*m.name));
    if !for_execution {
        o.insert("status".into(), Json::from(m.status.as_str()));
    }
    let definition = if metadata_only { "{}" } else { &m.definition };
    o.insert("definition".into(), Json::from(definition));
    o.insert("roleArn".into(), Json::from(&*m.role_arn));
    if for_execution {
        o.insert("updateDate".into(), timestamp(m.updated_ms));
    } else {
        o.insert("type".into(), Json::from(m.machine_type.as_str()));
        o.insert("creationDate".into(), timestamp(m.created_ms));
    }
    let mut logging = json!({
        "level": m.logging.level.as_str(),
        "includeExecutionData": m.logging.include_execution_data,
    });
    if let Some(g) = &m.log_group {
        let (region, account) = region_account(&m.arn);
        logging["destinations"] = json!([{"cloudWatchLogsLogGroup": {
            "logGroupArn": format!("arn:aws:logs:{region}:{account}:log-group:{g}:*")
        }}]);
    }
    o.insert("loggingConfiguration".into(), logging);
    o.insert("tracingConfiguration".into(), json!({"enabled": m.tracing}));
    if let Some(id) = &m.revision_id {
        o.insert("revisionId".into(), Json::from(&**id));
    }
    if let Some(d) = &m.description {
        o.insert("description".into(), Json::from(&**d));
    }
    if let Some(e) = &m.encryption {
        o.insert("encryptionConfiguration".into(), encryption_json(e));
    }
    Json::Object(o)
}

/// The region and account of a Step Functions ARN.
fn region_account(arn: &str) -> (&str, &str) {
    let mut p = arn.split(':').skip(3);
    (p.next().unwrap_or_default(), p.next().unwrap_or_default())
}
