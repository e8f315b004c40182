//! PublishStateMachineVersion, ListStateMachineVersions, DeleteStateMachineVersion and the
//! five alias operations: decoded here, answered by the engine (`engine/versions.rs` has the
//! rules).

use super::{json_body, OpResult, Service};
use crate::engine::{AliasInfo, Route};
use crate::serve::protocol::{timestamp, ApiError, Req};
use crate::value::Str;
use serde_json::{json, Value as Json};

/// Reads `routingConfiguration`: a list of `{stateMachineVersionArn, weight}`.
fn read_routing(r: &mut Req<'_>, required: bool) -> Result<Option<Vec<Route>>, ApiError> {
    let list = if required {
        Some(r.list_req("routingConfiguration")?)
    } else {
        r.list_opt("routingConfiguration")?
    };
    let Some(list) = list else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let Json::Object(o) = item else {
            return Err(ApiError::serialization(
                "Member 'routingConfiguration' must be a list of structures",
            ));
        };
        let mut ir = Req::new(o);
        let arn = ir.str_req("stateMachineVersionArn", 1, 256)?;
        let weight = ir.int_opt("weight", 0, 100)?;
        if weight.is_none() {
            ir.violation(None, "weight", "must not be null");
        }
        ir.finish().map_err(|mut e| {
            e.message = e.message.replace(
                " at '",
                &format!(" at 'routingConfiguration.{}.member.", i + 1),
            );
            e
        })?;
        out.push(Route {
            version_arn: Str::from(arn),
            weight: weight.unwrap_or(0) as u8,
        });
    }
    Ok(Some(out))
}

fn alias_json(a: &AliasInfo) -> Json {
    let routing: Vec<Json> = a
        .routing
        .iter()
        .map(|r| json!({"stateMachineVersionArn": &*r.version_arn, "weight": r.weight}))
        .collect();
    let mut o = json!({
        "stateMachineAliasArn": &*a.arn,
        "name": &*a.name,
        "routingConfiguration": routing,
        "creationDate": timestamp(a.created_ms),
        "updateDate": timestamp(a.updated_ms),
    });
    if let Some(d) = &a.description {
        o["description"] = Json::from(&**d);
    }
    o
}

impl Service {
    pub(super) fn publish_version(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("stateMachineArn", 1, 256)?;
        let revision = r.str_opt("revisionId", 0, 256)?;
        let description = r.str_opt("description", 0, 256)?;
        r.finish()?;
        let v = self.engine().publish_version(arn, description, revision)?;
        json_body(json!({
            "creationDate": timestamp(v.created_ms),
            "stateMachineVersionArn": v.version_arn.as_deref(),
        }))
    }

    pub(super) fn list_versions(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("stateMachineArn", 1, 256)?;
        let size = r.page_size(1000)?;
        let token = r.str_opt("nextToken", 1, 1024)?;
        r.finish()?;
        // Newest first: keyed by the distance from the highest number, zero-padded.
        let keyed: Vec<(String, Json)> = self
            .engine()
            .list_versions(arn)?
            .iter()
            .filter_map(|v| {
                let varn = v.version_arn.as_deref()?;
                let n: u32 = varn.rsplit(':').next()?.parse().ok()?;
                let item = json!({
                    "stateMachineVersionArn": varn,
                    "creationDate": timestamp(v.created_ms),
                });
                Some((format!("{:010}", u32::MAX - n), item))
            })
            .collect();
        super::list_page("stateMachineVersions", "ver", keyed, token, size)
    }

    pub(super) fn delete_version(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("stateMachineVersionArn", 1, 256)?;
        r.finish()?;
        self.engine().delete_version(arn)?;
        json_body(json!({}))
    }

    pub(super) fn create_alias(&self, mut r: Req<'_>) -> OpResult {
        let name = r.str_req("name", 1, 80)?;
        let description = r.str_opt("description", 0, 256)?;
        let routing = read_routing(&mut r, true)?.unwrap_or_default();
        r.finish()?;
        let a = self.engine().create_alias(name, description, &routing)?;
        json_body(json!({
            "stateMachineAliasArn": &*a.arn,
            "creationDate": timestamp(a.created_ms),
        }))
    }

    pub(super) fn describe_alias(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("stateMachineAliasArn", 1, 256)?;
        r.finish()?;
        json_body(alias_json(&self.engine().describe_alias(arn)?))
    }

    pub(super) fn update_alias(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("stateMachineAliasArn", 1, 256)?;
        let description = r.str_opt("description", 0, 256)?;
        let routing = read_routing(&mut r, false)?;
        r.finish()?;
        if description.is_none() && routing.is_none() {
            return Err(ApiError::validation(
                "Either the description or the RoutingConfiguration must be specified",
            )
            .with_reason("MISSING_REQUIRED_PARAMETER"));
        }
        let a = self
            .engine()
            .update_alias(arn, description, routing.as_deref())?;
        json_body(json!({ "updateDate": timestamp(a.updated_ms) }))
    }

    pub(super) fn delete_alias(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("stateMachineAliasArn", 1, 256)?;
        r.finish()?;
        self.engine().delete_alias(arn)?;
        json_body(json!({}))
    }

    pub(super) fn list_aliases(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("stateMachineArn", 1, 256)?;
        let size = r.page_size(1000)?;
        let token = r.str_opt("nextToken", 1, 1024)?;
        r.finish()?;
        let keyed: Vec<(String, Json)> = self
            .engine()
            .list_aliases(arn)?
            .iter()
            .map(|a| {
                let item = json!({
                    "stateMachineAliasArn": &*a.arn,
                    "creationDate": timestamp(a.created_ms),
                });
                (a.name.to_string(), item)
            })
            .collect();
        super::list_page("stateMachineAliases", "alias", keyed, token, size)
    }
}
