//! TagResource, UntagResource, ListTagsForResource.

use super::{json_body, lock, read, OpResult, Service};
use crate::serve::protocol::{parse_arn, ApiError, Req};
use serde_json::{json, Value as Json};

const MAX_TAGS: usize = 50;

/// Reads a list of `{key, value}` tags, checking their lengths.
pub(super) fn read_tags(
    r: &mut Req<'_>,
    member: &str,
    required: bool,
) -> Result<Vec<(String, String)>, ApiError> {
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
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

impl Service {
    /// The ARN of an existing state machine or activity, else `ResourceNotFound`.
    fn taggable(&self, arn: &str) -> Result<String, ApiError> {
        let a = parse_arn(arn)?;
        let here = a.region == self.id.region && a.account == self.id.account;
        let found = here
            && match a.kind {
                "stateMachine" => {
                    !a.rest.contains(':') && read(&self.machines).contains_key(a.rest)
                }
                "activity" => read(&self.activities).contains_key(a.rest),
                _ => false,
            };
        if found {
            Ok(arn.to_string())
        } else {
            Err(ApiError::resource_not_found(arn))
        }
    }

    pub(super) fn tag_resource(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("resourceArn", 1, 256)?;
        let tags = read_tags(&mut r, "tags", true)?;
        r.finish()?;
        let arn = self.taggable(arn)?;
        let mut all = lock(&self.tags);
        let mut merged = all.get(&arn).cloned().unwrap_or_default();
        for (k, v) in tags {
            match merged.iter_mut().find(|(ek, _)| *ek == k) {
                Some(e) => e.1 = v,
                None => merged.push((k, v)),
            }
        }
        if merged.len() > MAX_TAGS {
            return Err(ApiError::too_many_tags(&arn));
        }
        all.insert(arn, merged);
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
        let arn = self.taggable(arn)?;
        if let Some(tags) = lock(&self.tags).get_mut(&arn) {
            tags.retain(|(k, _)| !names.contains(&k.as_str()));
        }
        json_body(json!({}))
    }

    pub(super) fn list_tags(&self, mut r: Req<'_>) -> OpResult {
        let arn = r.str_req("resourceArn", 1, 256)?;
        r.finish()?;
        let arn = self.taggable(arn)?;
        let tags: Vec<Json> = lock(&self.tags)
            .get(&arn)
            .map(|t| {
                t.iter()
                    .map(|(k, v)| json!({"key": k, "value": v}))
                    .collect()
            })
            .unwrap_or_default();
        json_body(json!({ "tags": tags }))
    }

    /// Forgets the tags of a deleted resource.
    pub(super) fn drop_tags(&self, arn: &str) {
        lock(&self.tags).remove(arn);
    }
}
