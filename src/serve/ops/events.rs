//! The EventBridge API subset that wires rules to state machines (`X-Amz-Target:
//! AWSEvents.<Operation>`, AWS JSON 1.1, on the same port): PutEvents, PutRule, DescribeRule,
//! ListRules, DeleteRule, EnableRule, DisableRule, PutTargets, RemoveTargets,
//! ListTargetsByRule, TestEventPattern, and Create/Describe/Delete/ListEventBus(es). Decoded
//! here, answered by [`EventBridge`](crate::events::EventBridge), encoded here.

use super::{json_body, request_object, OpResult, Service};
use crate::events::{
    EventEntry, EventsError, InputSettings, InputTransformer, RetryPolicy, RuleInfo, RuleSpec,
    RuleState, TargetInput, TargetSpec,
};
use crate::serve::protocol::{ApiError, Req};
use crate::value::Str;
use serde_json::{json, Map, Value as Json};

/// Every operation answered under `AWSEvents.`.
pub const EVENT_OPERATIONS: &[&str] = &[
    "PutEvents",
    "PutRule",
    "DescribeRule",
    "ListRules",
    "DeleteRule",
    "EnableRule",
    "DisableRule",
    "PutTargets",
    "RemoveTargets",
    "ListTargetsByRule",
    "TestEventPattern",
    "CreateEventBus",
    "DescribeEventBus",
    "DeleteEventBus",
    "ListEventBuses",
];

/// Most entries of one PutEvents (AWS's limit).
const MAX_ENTRIES: usize = 10;

impl From<EventsError> for ApiError {
    fn from(e: EventsError) -> ApiError {
        ApiError::new(e.code(), e.message())
    }
}

/// A bus named by name or ARN.
fn bus_name(s: Option<&str>) -> Option<&str> {
    s.map(|b| match b.strip_prefix("arn:") {
        Some(_) => b.rsplit('/').next().unwrap_or(b),
        None => b,
    })
}

fn rule_json(r: &RuleInfo) -> Json {
    let mut o = json!({
        "Name": &*r.name,
        "Arn": &*r.arn,
        "State": r.state.as_str(),
        "EventBusName": &*r.bus,
    });
    if let Some(p) = &r.pattern {
        o["EventPattern"] = Json::from(&**p);
    }
    if let Some(s) = &r.schedule {
        o["ScheduleExpression"] = Json::from(&**s);
    }
    if let Some(d) = &r.description {
        o["Description"] = Json::from(&**d);
    }
    if let Some(a) = &r.role_arn {
        o["RoleArn"] = Json::from(&**a);
    }
    o
}

fn target_json(t: &TargetSpec) -> Json {
    let settings = &t.settings;
    let mut o = json!({"Id": &*t.id, "Arn": &*t.arn});
    if let Some(r) = &t.role_arn {
        o["RoleArn"] = Json::from(&**r);
    }
    if let Some(i) = &settings.input {
        o["Input"] = Json::from(i.as_str());
    }
    if let Some(p) = &settings.input_path {
        o["InputPath"] = Json::from(p.as_str());
    }
    if let Some(x) = &settings.input_transformer {
        let mut paths = Map::new();
        for (k, v) in &x.input_paths_map {
            paths.insert(k.clone(), Json::from(v.as_str()));
        }
        o["InputTransformer"] = json!({"InputPathsMap": paths, "InputTemplate": x.input_template});
    }
    // AWS shows the members a target was put with: a target put without a RetryPolicy has
    // none. The policy is stored resolved, so one equal to the default is taken as not given.
    if t.retry != RetryPolicy::default() {
        o["RetryPolicy"] = json!({
            "MaximumRetryAttempts": t.retry.max_attempts,
            "MaximumEventAgeInSeconds": t.retry.max_age_seconds,
        });
    }
    o
}

/// One `Targets` member, compiled.
///
/// Input settings that do not compile refuse the whole request with a `ValidationException`
/// naming the target (`InputPath for target <id> is invalid.`), as AWS answers PutTargets
/// with HTTP 400; only a target this server cannot start is a `FailedEntries` member.
fn read_target(i: usize, t: &Json) -> Result<TargetSpec, ApiError> {
    let Json::Object(o) = t else {
        return Err(ApiError::serialization(
            "Member 'Targets' must be a list of structures",
        ));
    };
    let mut r = Req::new(o);
    let id = r.str_req("Id", 1, 64)?;
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        r.violation(
            o.get("Id"),
            &format!("targets.{}.member.id", i + 1),
            "must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
        );
    }
    let arn = r.str_req("Arn", 1, 1600)?;
    let role = r.str_opt("RoleArn", 1, 1600)?;
    let input = r.str_opt("Input", 0, 8192)?;
    let input_path = r.str_opt("InputPath", 0, 256)?;
    let transformer = r.obj_opt("InputTransformer")?;
    let retry = r.obj_opt("RetryPolicy")?;
    r.finish()?;
    let input_transformer = match transformer {
        None => None,
        Some(x) => {
            let mut xr = Req::new(x);
            let paths = xr.obj_opt("InputPathsMap")?;
            let template = xr.str_req("InputTemplate", 1, 8192)?;
            xr.finish()?;
            let mut map = Vec::new();
            for (k, v) in paths.into_iter().flatten() {
                let Some(v) = v.as_str() else {
                    return Err(ApiError::serialization(
                        "InputPathsMap values must be strings",
                    ));
                };
                map.push((k.clone(), v.to_string()));
            }
            Some(InputTransformer {
                input_paths_map: map,
                input_template: template.to_string(),
            })
        }
    };
    let mut policy = RetryPolicy::default();
    if let Some(p) = retry {
        let mut pr = Req::new(p);
        if let Some(n) = pr.int_opt("MaximumRetryAttempts", 0, 185)? {
            policy.max_attempts = n as u32;
        }
        if let Some(n) = pr.int_opt("MaximumEventAgeInSeconds", 60, 86_400)? {
            policy.max_age_seconds = n as u32;
        }
        pr.finish()?;
    }
    let settings = InputSettings {
        input: input.map(str::to_string),
        input_path: input_path.map(str::to_string),
        input_transformer,
    };
    let input = TargetInput::compile(id, i + 1, &settings)
        .map_err(|e| ApiError::validation(e.message()))?;
    Ok(TargetSpec {
        id: Str::from(id),
        arn: Str::from(arn),
        role_arn: role.map(Str::from),
        input,
        settings,
        retry: policy,
    })
}

/// One `Entries` member of PutEvents. A member of the wrong JSON type refuses the whole
/// request (`SerializationException`, as the service model's decoder does); a missing
/// `Source`, `DetailType` or `Detail` is that entry's own `InvalidArgument` (PutEvents).
fn read_entry(e: &Json) -> Result<EventEntry<'_>, ApiError> {
    let Json::Object(o) = e else {
        return Err(ApiError::serialization(
            "Member 'Entries' must be a list of structures",
        ));
    };
    let mut r = Req::new(o);
    let source = r.str_opt("Source", 0, usize::MAX)?;
    let detail_type = r.str_opt("DetailType", 0, usize::MAX)?;
    let detail = r.str_opt("Detail", 0, usize::MAX)?;
    let bus = r.str_opt("EventBusName", 1, 1600)?;
    r.str_opt("TraceHeader", 1, 500)?;
    let mut resources = Vec::new();
    for v in r.list_opt("Resources")?.unwrap_or_default() {
        match v.as_str() {
            Some(s) => resources.push(s),
            None => {
                return Err(ApiError::serialization(
                    "Member 'Resources' must be a list of strings",
                ))
            }
        }
    }
    // A timestamp is epoch seconds in AWS JSON 1.1.
    let time_ms = match o.get("Time") {
        None | Some(Json::Null) => None,
        Some(Json::Number(n)) => n.as_f64().map(|t| (t * 1000.0) as i64),
        Some(_) => {
            return Err(ApiError::serialization(
                "Member 'Time' must be a timestamp (epoch seconds)",
            ))
        }
    };
    r.finish()?;
    Ok(EventEntry {
        source,
        detail_type,
        detail,
        resources,
        time_ms,
        bus,
    })
}

impl Service {
    /// Answers one EventBridge request (`op` after `AWSEvents.`).
    pub async fn call_events(&self, op: &str, body: &[u8]) -> OpResult {
        if !EVENT_OPERATIONS.contains(&op) {
            return Err(ApiError::unknown_operation(op));
        }
        let obj = request_object(body)?;
        let mut r = Req::new(&obj);
        let eb = self.events();
        match op {
            "PutRule" => {
                let name = r.str_req("Name", 1, 64)?;
                let pattern = r.str_opt("EventPattern", 0, 4096)?;
                let schedule = r.str_opt("ScheduleExpression", 0, 256)?;
                let state = r.enum_opt(
                    "State",
                    &[
                        "ENABLED",
                        "DISABLED",
                        "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
                    ],
                )?;
                let description = r.str_opt("Description", 0, 512)?;
                let role_arn = r.str_opt("RoleArn", 1, 1600)?;
                let bus = r.str_opt("EventBusName", 1, 1600)?;
                r.list_opt("Tags")?;
                r.finish()?;
                let info = eb.put_rule(RuleSpec {
                    name,
                    bus: bus_name(bus),
                    pattern,
                    schedule,
                    state: state.map(|s| match s {
                        "DISABLED" => RuleState::Disabled,
                        _ => RuleState::Enabled,
                    }),
                    description,
                    role_arn,
                })?;
                json_body(json!({"RuleArn": &*info.arn}))
            }
            "DescribeRule" => {
                let name = r.str_req("Name", 1, 64)?;
                let bus = r.str_opt("EventBusName", 1, 1600)?;
                r.finish()?;
                let info = eb.describe_rule(bus_name(bus), name)?;
                let mut o = rule_json(&info);
                o["CreatedBy"] = Json::from(&*self.id.account);
                json_body(o)
            }
            "ListRules" => {
                let prefix = r.str_opt("NamePrefix", 1, 64)?.unwrap_or("");
                let bus = r.str_opt("EventBusName", 1, 1600)?;
                let token = r.str_opt("NextToken", 1, 2048)?;
                let limit = r.int_opt("Limit", 1, 100)?.unwrap_or(100) as usize;
                r.finish()?;
                let rules = eb.list_rules(bus_name(bus), prefix)?;
                let keyed: Vec<(String, Json)> = rules
                    .iter()
                    .map(|x| (x.name.to_string(), rule_json(x)))
                    .collect();
                page("Rules", "rules", keyed, token, limit)
            }
            "DeleteRule" => {
                let name = r.str_req("Name", 1, 64)?;
                let bus = r.str_opt("EventBusName", 1, 1600)?;
                let force = r.bool_opt("Force")?.unwrap_or(false);
                r.finish()?;
                eb.delete_rule(bus_name(bus), name, force)?;
                json_body(json!({}))
            }
            "EnableRule" | "DisableRule" => {
                let name = r.str_req("Name", 1, 64)?;
                let bus = r.str_opt("EventBusName", 1, 1600)?;
                r.finish()?;
                let state = match op {
                    "EnableRule" => RuleState::Enabled,
                    _ => RuleState::Disabled,
                };
                eb.set_rule_state(bus_name(bus), name, state)?;
                json_body(json!({}))
            }
            "PutTargets" => {
                let rule = r.str_req("Rule", 1, 64)?;
                let bus = r.str_opt("EventBusName", 1, 1600)?;
                let targets = r.list_req("Targets")?;
                r.finish()?;
                if targets.is_empty() || targets.len() > 100 {
                    return Err(ApiError::validation(format!(
                        "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 100 (got {})",
                        targets.len()
                    )));
                }
                let mut specs = Vec::with_capacity(targets.len());
                for (i, t) in targets.iter().enumerate() {
                    specs.push(Ok(read_target(i, t)?));
                }
                let failed = eb.put_targets(bus_name(bus), rule, specs)?;
                let entries: Vec<Json> = failed
                    .iter()
                    .map(|(id, code, msg)| json!({"TargetId": &**id, "ErrorCode": code, "ErrorMessage": msg}))
                    .collect();
                json_body(json!({"FailedEntryCount": entries.len(), "FailedEntries": entries}))
            }
            "RemoveTargets" => {
                let rule = r.str_req("Rule", 1, 64)?;
                let bus = r.str_opt("EventBusName", 1, 1600)?;
                let ids = r.list_req("Ids")?;
                r.bool_opt("Force")?;
                r.finish()?;
                let ids: Vec<&str> = ids.iter().filter_map(Json::as_str).collect();
                eb.remove_targets(bus_name(bus), rule, &ids)?;
                json_body(json!({"FailedEntryCount": 0, "FailedEntries": []}))
            }
            "ListTargetsByRule" => {
                let rule = r.str_req("Rule", 1, 64)?;
                let bus = r.str_opt("EventBusName", 1, 1600)?;
                let token = r.str_opt("NextToken", 1, 2048)?;
                let limit = r.int_opt("Limit", 1, 100)?.unwrap_or(100) as usize;
                r.finish()?;
                let mut targets = eb.list_targets(bus_name(bus), rule)?;
                // By id, so that a page token (the last id) says where the next page starts.
                targets.sort_by(|a, b| a.id.cmp(&b.id));
                let keyed: Vec<(String, Json)> = targets
                    .iter()
                    .map(|t| (t.id.to_string(), target_json(t)))
                    .collect();
                page("Targets", "targets", keyed, token, limit)
            }
            "PutEvents" => {
                let entries = r.list_req("Entries")?;
                r.str_opt("EndpointId", 1, 50)?;
                r.finish()?;
                if entries.is_empty() || entries.len() > MAX_ENTRIES {
                    return Err(ApiError::validation(format!(
                        "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to {MAX_ENTRIES}"
                    )));
                }
                let list = entries
                    .iter()
                    .map(read_entry)
                    .collect::<Result<Vec<_>, _>>()?;
                let results = eb.put_events(&list);
                let failed = results.iter().filter(|r| r.is_err()).count();
                let out: Vec<Json> = results
                    .iter()
                    .map(|r| match r {
                        Ok(id) => json!({"EventId": &**id}),
                        Err((code, msg)) => json!({"ErrorCode": code, "ErrorMessage": msg}),
                    })
                    .collect();
                json_body(json!({"FailedEntryCount": failed, "Entries": out}))
            }
            "TestEventPattern" => {
                let pattern = r.str_req("EventPattern", 1, 4096)?;
                let event = r.str_req("Event", 1, 262_144)?;
                r.finish()?;
                let result = crate::events::test_event_pattern(pattern, event)?;
                json_body(json!({ "Result": result }))
            }
            "CreateEventBus" => {
                let name = r.str_req("Name", 1, 256)?;
                r.str_opt("EventSourceName", 1, 256)?;
                r.str_opt("Description", 0, 512)?;
                r.list_opt("Tags")?;
                r.finish()?;
                let arn = eb.create_bus(name)?;
                json_body(json!({ "EventBusArn": &*arn }))
            }
            "DescribeEventBus" => {
                let name = r.str_opt("Name", 1, 1600)?;
                r.finish()?;
                let name = bus_name(name).unwrap_or("default");
                let (n, arn) = eb
                    .list_buses()
                    .into_iter()
                    .find(|(n, _)| &**n == name)
                    .ok_or_else(|| {
                        ApiError::from(EventsError::new(
                            "ResourceNotFoundException",
                            format!("Event bus {name} does not exist."),
                        ))
                    })?;
                json_body(json!({"Name": &*n, "Arn": &*arn}))
            }
            "DeleteEventBus" => {
                let name = r.str_req("Name", 1, 256)?;
                r.finish()?;
                eb.delete_bus(name)?;
                json_body(json!({}))
            }
            "ListEventBuses" => {
                let prefix = r.str_opt("NamePrefix", 1, 256)?.unwrap_or("");
                let token = r.str_opt("NextToken", 1, 2048)?;
                let limit = r.int_opt("Limit", 1, 100)?.unwrap_or(100) as usize;
                r.finish()?;
                let keyed: Vec<(String, Json)> = eb
                    .list_buses()
                    .into_iter()
                    .filter(|(n, _)| n.starts_with(prefix))
                    .map(|(n, a)| (n.to_string(), json!({"Name": &*n, "Arn": &*a})))
                    .collect();
                page("EventBuses", "buses", keyed, token, limit)
            }
            _ => Err(ApiError::unknown_operation(op)),
        }
    }
}

/// A page of an EventBridge list (`NextToken`, PascalCase).
fn page(
    member: &str,
    kind: &str,
    keyed: Vec<(String, Json)>,
    token: Option<&str>,
    size: usize,
) -> OpResult {
    super::paged((member, "NextToken"), kind, keyed, token, size, |j| j)
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
