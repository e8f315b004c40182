//! AWS JSON 1.0 wire details: error bodies (P-7, P-8), request member checks (P-3, P-9),
//! timestamps (P-5) and pagination tokens (P-10). Names and ARNs are the engine's
//! (`engine/names.rs`).

use serde_json::{Map, Value as Json};
use std::fmt::Write as _;

/// An error answer: HTTP status, `__type` and `message`, plus the extra member some shapes have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `__type`, bare (`StateMachineDoesNotExist`).
    pub code: &'static str,
    /// `message`.
    pub message: String,
    /// An extra member (`reason`, `resourceName`).
    pub extra: Option<(&'static str, String)>,
}

impl ApiError {
    /// HTTP 400 with this code and message.
    pub fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            code,
            message: message.into(),
            extra: None,
        }
    }

    /// With `reason` (a ValidationException's).
    pub fn with_reason(mut self, reason: &'static str) -> ApiError {
        self.extra = Some(("reason", reason.to_string()));
        self
    }

    /// `SerializationException`: the body is not JSON or a member has the wrong type.
    pub fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new("SerializationException", message)
    }

    /// `ValidationException` with a message.
    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new("ValidationException", message)
    }

    /// `InvalidArn` "Invalid Arn: '&lt;detail&gt;'".
    pub fn invalid_arn(detail: &str) -> ApiError {
        ApiError::new("InvalidArn", format!("Invalid Arn: '{detail}'"))
    }

    /// `InvalidToken` for a pagination or task token.
    pub fn invalid_token(token: &str) -> ApiError {
        ApiError::new("InvalidToken", format!("Invalid Token: '{token}'"))
    }

    /// `ResourceNotFound` with its `resourceName` member.
    pub fn resource_not_found(arn: &str) -> ApiError {
        ApiError {
            extra: Some(("resourceName", arn.to_string())),
            ..ApiError::new("ResourceNotFound", format!("Resource not found: '{arn}'"))
        }
    }

    /// `InvalidExecutionInput` "Invalid State Machine Execution Input: '&lt;detail&gt;'".
    pub fn invalid_input(detail: &str) -> ApiError {
        ApiError::new(
            "InvalidExecutionInput",
            format!("Invalid State Machine Execution Input: '{detail}'"),
        )
    }

    /// `UnknownOperationException`.
    pub fn unknown_operation(target: &str) -> ApiError {
        ApiError::new(
            "UnknownOperationException",
            format!("Unknown operation: '{target}'"),
        )
    }

    /// HTTP 500 `InternalFailure`.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 500,
            ..ApiError::new("InternalFailure", message)
        }
    }

    /// The JSON body: `{"__type": ..., "message": ...}` and the extra member.
    pub fn body(&self) -> Vec<u8> {
        let mut m = Map::new();
        m.insert("__type".into(), Json::from(self.code));
        m.insert("message".into(), Json::from(self.message.as_str()));
        if let Some((k, v)) = &self.extra {
            m.insert((*k).into(), Json::from(v.as_str()));
        }
        serde_json::to_vec(&Json::Object(m)).unwrap_or_default()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// A request body's members, checked as the service model says: a wrong JSON type is a
/// `SerializationException` at once; constraint violations (missing required members, lengths,
/// ranges, enums) are collected and reported together as one `ValidationException` (P-9).
#[derive(Debug)]
pub struct Req<'a> {
    obj: &'a Map<String, Json>,
    errors: Vec<String>,
}

/// What `Value '<v>' at '<member>'` prints for a value.
fn shown(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl<'a> Req<'a> {
    /// Checks members of `obj`.
    pub fn new(obj: &'a Map<String, Json>) -> Req<'a> {
        Req {
            obj,
            errors: Vec::new(),
        }
    }

    fn get(&self, name: &str) -> Option<&'a Json> {
        self.obj.get(name).filter(|v| !v.is_null())
    }

    fn wrong_type(name: &str, want: &str, found: &Json) -> ApiError {
        let kind = match found {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "list",
            Json::Object(_) => "structure",
        };
        ApiError::serialization(format!("Member '{name}' must be {want}, found a {kind}"))
    }

    /// Records a constraint violation.
    pub fn violation(&mut self, value: Option<&Json>, member: &str, rule: &str) {
        let msg = match value {
            None => format!("Value null at '{member}' failed to satisfy constraint: Member {rule}"),
            Some(v) => format!(
                "Value '{}' at '{member}' failed to satisfy constraint: Member {rule}",
                shown(v)
            ),
        };
        self.errors.push(msg);
    }

    /// An optional string member, with its length range in characters.
    pub fn str_opt(
        &mut self,
        name: &str,
        min: usize,
        max: usize,
    ) -> Result<Option<&'a str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::String(s)) => {
                let n = s.chars().count();
                if n < min {
                    self.violation(
                        self.get(name),
                        name,
                        &format!("must have length greater than or equal to {min}"),
                    );
                } else if n > max {
                    self.violation(
                        self.get(name),
                        name,
                        &format!("must have length less than or equal to {max}"),
                    );
                }
                Ok(Some(s))
            }
            Some(v) => Err(Req::wrong_type(name, "a string", v)),
        }
    }

    /// A required string member.
    pub fn str_req(&mut self, name: &str, min: usize, max: usize) -> Result<&'a str, ApiError> {
        match self.str_opt(name, min, max)? {
            Some(s) => Ok(s),
            None => {
                self.violation(None, name, "must not be null");
                Ok("")
            }
        }
    }

    /// An optional string member limited in UTF-8 bytes (execution input, task output).
    pub fn bytes_opt(&mut self, name: &str, max: usize) -> Result<Option<&'a str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::String(s)) => {
                if s.len() > max {
                    // The value itself is not echoed: it can be a quarter megabyte.
                    self.errors.push(format!(
                        "Value at '{name}' failed to satisfy constraint: Member must have length less than or equal to {max}"
                    ));
                }
                Ok(Some(s))
            }
            Some(v) => Err(Req::wrong_type(name, "a string", v)),
        }
    }

    /// An optional enum member.
    pub fn enum_opt(&mut self, name: &str, allowed: &[&str]) -> Result<Option<&'a str>, ApiError> {
        let s = self.str_opt(name, 0, usize::MAX)?;
        if let Some(s) = s {
            if !allowed.contains(&s) {
                self.violation(
                    self.get(name),
                    name,
                    &format!("must satisfy enum value set: [{}]", allowed.join(", ")),
                );
            }
        }
        Ok(s)
    }

    /// An optional integer member within `min..=max`.
    pub fn int_opt(&mut self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v @ Json::Number(n)) => {
                let Some(i) = n.as_i64() else {
                    return Err(Req::wrong_type(name, "an integer", v));
                };
                if i < min {
                    self.violation(
                        Some(v),
                        name,
                        &format!("must have value greater than or equal to {min}"),
                    );
                } else if i > max {
                    self.violation(
                        Some(v),
                        name,
                        &format!("must have value less than or equal to {max}"),
                    );
                }
                Ok(Some(i))
            }
            Some(v) => Err(Req::wrong_type(name, "an integer", v)),
        }
    }

    /// An optional boolean member.
    pub fn bool_opt(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(Req::wrong_type(name, "a boolean", v)),
        }
    }

    /// An optional structure member.
    pub fn obj_opt(&mut self, name: &str) -> Result<Option<&'a Map<String, Json>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Object(o)) => Ok(Some(o)),
            Some(v) => Err(Req::wrong_type(name, "a structure", v)),
        }
    }

    /// An optional list member.
    pub fn list_opt(&mut self, name: &str) -> Result<Option<&'a [Json]>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Array(a)) => Ok(Some(a)),
            Some(v) => Err(Req::wrong_type(name, "a list", v)),
        }
    }

    /// A required list member.
    pub fn list_req(&mut self, name: &str) -> Result<&'a [Json], ApiError> {
        match self.list_opt(name)? {
            Some(a) => Ok(a),
            None => {
                self.violation(None, name, "must not be null");
                Ok(&[])
            }
        }
    }

    /// `maxResults` as a page size: 0 or absent is the default 100.
    pub fn page_size(&mut self, max: i64) -> Result<usize, ApiError> {
        Ok(match self.int_opt("maxResults", 0, max)? {
            None | Some(0) => 100,
            Some(n) => n.clamp(1, max) as usize,
        })
    }

    /// The collected violations as one `ValidationException`, or `Ok`.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.errors[0]
            ))),
            n => Err(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

/// Epoch milliseconds as the protocol's timestamp: seconds with a millisecond fraction (P-5).
pub fn timestamp(ms: i64) -> Json {
    let secs = ms as f64 / 1000.0;
    serde_json::Number::from_f64(secs).map_or(Json::Null, Json::Number)
}

/// Writes a timestamp into a JSON text being built by hand.
pub fn write_timestamp(out: &mut String, ms: i64) {
    let (s, frac) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let _ = write!(out, "{s}.{frac:03}");
}

/// An opaque pagination token: the key of the last item of the previous page, in base64.
pub fn page_token(kind: &str, last_key: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("aslx1\n{kind}\n{last_key}"))
}

/// The last key of the previous page, or `InvalidToken` for a token that this server did not
/// issue for this kind of list.
pub fn read_page_token(kind: &str, token: &str) -> Result<String, ApiError> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| ApiError::invalid_token(token))?;
    let text = String::from_utf8(bytes).map_err(|_| ApiError::invalid_token(token))?;
    let mut it = text.splitn(3, '\n');
    match (it.next(), it.next(), it.next()) {
        (Some("aslx1"), Some(k), Some(last)) if k == kind => Ok(last.to_string()),
        _ => Err(ApiError::invalid_token(token)),
    }
}

/// One page of `items` (sorted by key) after the token's key: the page and the next token.
pub fn paginate<T, K: Fn(&T) -> &str>(
    items: Vec<T>,
    key: K,
    kind: &str,
    after: Option<&str>,
    size: usize,
) -> (Vec<T>, Option<String>) {
    let mut page = Vec::with_capacity(size.min(items.len()));
    let mut more = false;
    for item in items {
        if let Some(a) = after {
            if key(&item) <= a {
                continue;
            }
        }
        if page.len() == size {
            more = true;
            break;
        }
        page.push(item);
    }
    let next = if more {
        page.last().map(|l| page_token(kind, key(l)))
    } else {
        None
    };
    (page, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_9_violations_are_collected() {
        let body = serde_json::json!({"maxResults": 1001, "statusFilter": "succeeded"});
        let mut r = Req::new(body.as_object().unwrap());
        r.int_opt("maxResults", 0, 1000).unwrap();
        r.enum_opt("statusFilter", &["SUCCEEDED", "FAILED"])
            .unwrap();
        r.str_req("stateMachineArn", 1, 256).unwrap();
        let e = r.finish().unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert_eq!(
            e.message,
            "3 validation errors detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000; Value 'succeeded' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, FAILED]; Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn p_3_wrong_types_are_serialization_errors() {
        let body = serde_json::json!({"maxResults": "ten"});
        let mut r = Req::new(body.as_object().unwrap());
        assert_eq!(
            r.int_opt("maxResults", 0, 1000).unwrap_err().code,
            "SerializationException"
        );
    }

    #[test]
    fn p_10_tokens_round_trip_and_reject_foreign_ones() {
        let t = page_token("sm", "arn:x");
        assert_eq!(read_page_token("sm", &t).unwrap(), "arn:x");
        assert_eq!(read_page_token("act", &t).unwrap_err().code, "InvalidToken");
        assert_eq!(
            read_page_token("sm", "%%%").unwrap_err().code,
            "InvalidToken"
        );
        let items: Vec<String> = (0..5).map(|i| format!("k{i}")).collect();
        let (p, next) = paginate(items.clone(), |s| s.as_str(), "sm", None, 2);
        assert_eq!(p, ["k0", "k1"]);
        let after = read_page_token("sm", &next.unwrap()).unwrap();
        let (p, next) = paginate(items.clone(), |s| s.as_str(), "sm", Some(&after), 3);
        assert_eq!(p, ["k2", "k3", "k4"]);
        assert!(next.is_none());
    }

    #[test]
    fn p_5_timestamps() {
        let mut s = String::new();
        write_timestamp(&mut s, 1_717_171_717_123);
        assert_eq!(s, "1717171717.123");
        assert_eq!(timestamp(1_717_171_717_120).to_string(), "1717171717.12");
    }
}
