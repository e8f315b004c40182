//! TagResource, UntagResource, ListTagsForResource.

use super::{json_body, OpResult, Service};
use crate::serve::protocol::{ApiError, Req};
use crate::value::Str;
use serde_json::{json, Value as Json};

/// Reads a list of `{key, value}` tags, checking their lengths.
pub(super) fn read_tags(
    r: &mut Req<'_>,
    member: &str,
    required: bool,
) -> Result<Vec<(Str, Str)>, ApiError> {
    let list = if required {
        Some(r.list_req(member)?)
    } else {
        r.list_opt(member)?
    };
    let mut out = Vec::new();
    for (i, t) in list.unwrap_or_default().iter().enumerate() {
        let Json::Object(o) = t else {
            return Err(ApiError::serialization(format!(
                "Member '{member}' must be a list of structures"
            )));
        };
        let mut tr = Req::new(o);
        let key = tr.str_req("key", 1, 128)?;
        let value = tr.str_opt("value", 0, 256)?.unwrap_or("");
        tr.finish().map_err(|mut e| {
            e.message = e
                .message
                .replace(" at '", &format!(" at '{member}.{}.member.", i + 1));
            e
        })?;
        out.push((Str::from(key), Str::from(value)));
    }
    Ok(out)
}

impl Service {
    pub(super) fn tag_resource(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("resourceArn", 1, 256)?;
        let tags = read_tags(&mut r, "tags", true)?;
        r.finish()?;
        self.engine().tag_resource(arn, &tags)?;
        json_body(json!({}))
    }

    pub(super) fn untag_resource(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("resourceArn", 1, 256)?;
        let keys = r.list_req("tagKeys")?;
        r.finish()?;
        let mut names = Vec::with_capacity(keys.len());
        for k in keys {
            match k {
                Json::String(s) => names.push(s.as_str()),
                _ => {
                    return Err(ApiError::serialization(
                        "Member 'tagKeys' must be a list of strings",
                    ))
                }
            }
        }
        self.engine().untag_resource(arn, &names)?;
        json_body(json!({}))
    }

    pub(super) fn list_tags(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("resourceArn", 1, 256)?;
        r.finish()?;
        let tags: Vec<Json> = self
            .engine()
            .list_tags(arn)?
            .iter()
            .map(|(k, v)| json!({"key": &**k, "value": &**v}))
            .collect();
        json_body(json!({ "tags": tags }))
    }
}
