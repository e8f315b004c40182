//! What the optimised integrations (`dynamodb:*`, `sqs:sendMessage`, `sns:publish`,
//! `events:putEvents`) share: the request cut down to the parameters AWS accepts (the others
//! are dropped silently, as AWS drops them), members AWS sends as JSON text, and the result's
//! shape (the answer's members and the SDK metadata, in the alphabetical order AWS prints).

use super::aws::{sdk_metadata, JsonCall};
use super::client::Reply;
use super::Integrations;
use crate::runtime::{Handler, HandlerResult};
use crate::value::{write_json, Map, Value};
use crate::vm::TaskError;
use std::sync::Arc;

/// The members of `params` that AWS accepts for the action, in the order given. A request
/// that is not an object is sent as `{}`: the service then names what is missing.
pub(crate) fn accepted(params: &Value, names: &[&str]) -> Map {
    let Some(obj) = params.as_object() else {
        return Map::new();
    };
    obj.iter()
        .filter(|(k, _)| names.contains(&&***k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A member AWS sends as text (`MessageBody`, `Message`, `Detail`): a string as is, anything
/// else as its compact JSON text.
pub(crate) fn json_text(v: &Value) -> Value {
    match v {
        Value::String(_) => v.clone(),
        other => {
            let mut s = String::new();
            write_json(other, &mut s);
            Value::from(s)
        }
    }
}

/// Replaces `map[key]` by its JSON text, when present.
pub(crate) fn stringify_member(map: &mut Map, key: &str) {
    if let Some(v) = map.get_mut(key) {
        *v = json_text(v);
    }
}

/// The Task result of an optimised integration: the answer's members with `SdkHttpMetadata`
/// and `SdkResponseMetadata`, keys sorted as AWS shows them.
pub(crate) fn with_metadata(answer: Map, reply: &Reply) -> Value {
    let mut out = answer;
    sdk_metadata(reply, &mut out);
    let mut entries: Vec<_> = out.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Value::object(entries.into_iter().collect())
}

/// An optimised integration that is one call in a JSON protocol (`dynamodb:*`,
/// `sqs:sendMessage`): the accepted members, one of them sent as text, and the answer with
/// its metadata.
pub(crate) struct JsonAction {
    pub integrations: Arc<Integrations>,
    /// The `--endpoint` name.
    pub service: &'static str,
    /// `X-Amz-Target`: `DynamoDB_20120810.PutItem`, `AmazonSQS.SendMessage`.
    pub target: String,
    /// `1.0` or `1.1`.
    pub version: &'static str,
    /// The members AWS's integration passes on.
    pub members: Vec<&'static str>,
    /// The member sent as JSON text when it is not a string (`MessageBody`).
    pub text_member: Option<&'static str>,
    /// The error prefix of transport failures and unreadable answers.
    pub prefix: &'static str,
    /// The Task error of a non-2xx answer.
    pub error: fn(&Reply) -> TaskError,
}

impl Handler for JsonAction {
    fn call(&self, input: Value) -> HandlerResult {
        let i = Arc::clone(&self.integrations);
        let mut body = accepted(&input, &self.members);
        if let Some(m) = self.text_member {
            stringify_member(&mut body, m);
        }
        let body = Value::object(body);
        let call = JsonCall {
            service: self.service,
            target: self.target.clone(),
            version: self.version,
            prefix: self.prefix,
        };
        let error = self.error;
        HandlerResult::Pending(Box::pin(async move {
            let (answer, reply) = i.json_call(call, &body, error).await?;
            Ok(with_metadata(answer, &reply))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse_json;

    #[test]
    fn unknown_parameters_are_dropped_and_text_members_stringified() {
        let p = parse_json(r#"{"QueueUrl":"u","MessageBody":{"a":[1,true]},"Bogus":1}"#).unwrap();
        let mut m = accepted(&p, &["QueueUrl", "MessageBody"]);
        stringify_member(&mut m, "MessageBody");
        assert_eq!(
            Value::object(m).to_json(),
            r#"{"QueueUrl":"u","MessageBody":"{\"a\":[1,true]}"}"#
        );
        assert!(accepted(&Value::from("x"), &["QueueUrl"]).is_empty());
        assert_eq!(json_text(&Value::from("as is")), Value::from("as is"));
    }
}
