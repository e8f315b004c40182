//! The AWS query protocol, which SNS speaks: the request as a form-encoded POST
//! (`Action=Publish&Version=2010-03-31&TopicArn=...`), the answer in XML
//! (`<PublishResponse><PublishResult>...</PublishResult><ResponseMetadata>...`), errors as
//! `<ErrorResponse><Error><Code>..</Code><Message>..</Message></Error><RequestId>..`.
//!
//! Without the service's model, the conversion both ways follows the protocol's conventions:
//!
//! - Request: nested objects flatten to dotted names (`A.B=v`), arrays to `A.member.N`
//!   (1-based). Maps cannot be told from structures without the model, so SNS's maps are
//!   known by name: `MessageAttributes` entries become `MessageAttributes.entry.N.Name` /
//!   `.Value.<member>`, and every other object member whose name ends in `Attributes`
//!   (`Attributes` of CreateTopic, Subscribe, SetTopicAttributes' batch forms, ...) becomes
//!   `X.entry.N.key` / `.value`. Numbers and booleans are sent as their text; nulls are left
//!   out.
//! - Answer: the `<Action>Result` element becomes an object; an element with text only is a
//!   string (the XML does not say whether `5` is a number: every scalar stays a string); an
//!   element whose children are all `<member>` is an array; `<entry><key/><value/></entry>`
//!   children make an object. An empty element is an empty string — an empty list cannot be
//!   told from an empty string without the model.

use super::aws::AwsError;
use super::client::Reply;
use super::url::pair;
use crate::value::{Map, Value};
use quick_xml::events::Event;
use quick_xml::Reader;

/// The form body of `action` with `params` (an object; anything else sends no members).
pub(crate) fn form_body(action: &str, version: &str, params: &Value) -> String {
    let mut pairs = vec![
        ("Action".to_string(), action.to_string()),
        ("Version".to_string(), version.to_string()),
    ];
    if let Some(obj) = params.as_object() {
        for (k, v) in obj.iter() {
            flatten(k, k, v, &mut pairs);
        }
    }
    let parts: Vec<String> = pairs.iter().map(|(k, v)| pair(k, v)).collect();
    parts.join("&")
}

/// Adds the pairs of member `name` (its own name, for map detection) at `prefix`.
fn flatten(prefix: &str, name: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Null => {}
        Value::String(s) => out.push((prefix.to_string(), s.to_string())),
        Value::Bool(b) => out.push((prefix.to_string(), b.to_string())),
        Value::Int(_) | Value::Float(_) => out.push((prefix.to_string(), v.to_json())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}.member.{}", i + 1), "member", item, out);
            }
        }
        Value::Object(m) if name == "MessageAttributes" => {
            for (i, (k, val)) in m.iter().enumerate() {
                let entry = format!("{prefix}.entry.{}", i + 1);
                out.push((format!("{entry}.Name"), k.to_string()));
                flatten(&format!("{entry}.Value"), "Value", val, out);
            }
        }
        Value::Object(m) if name.ends_with("Attributes") => {
            for (i, (k, val)) in m.iter().enumerate() {
                let entry = format!("{prefix}.entry.{}", i + 1);
                out.push((format!("{entry}.key"), k.to_string()));
                flatten(&format!("{entry}.value"), "value", val, out);
            }
        }
        Value::Object(m) => {
            for (k, val) in m.iter() {
                flatten(&format!("{prefix}.{k}"), k, val, out);
            }
        }
    }
}

/// An XML element: its local name, its text, its child elements.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child named `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Parses an XML document into its root element.
///
/// # Errors
///
/// What is wrong with the XML, with the byte position.
pub(crate) fn parse_xml(text: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| format!("invalid XML at byte {pos}: {e}"))?;
        match event {
            Event::Start(e) => stack.push(Element {
                name: e.local_name().as_ref().to_string(),
                ..Element::default()
            }),
            Event::Empty(e) => {
                let el = Element {
                    name: e.local_name().as_ref().to_string(),
                    ..Element::default()
                };
                if let Some(top) = stack.last_mut() {
                    top.children.push(el);
                }
            }
            Event::End(_) => {
                let done = stack.pop().filter(|_| !stack.is_empty());
                match (done, stack.last_mut()) {
                    (Some(el), Some(parent)) => parent.children.push(el),
                    _ => return Err(format!("invalid XML at byte {pos}: unbalanced end tag")),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = r.into_inner().into_owned();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| {
                                format!("invalid XML at byte {pos}: unknown entity &{name};")
                            })?
                            .to_string()
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err("invalid XML: the document ends inside an element".to_string());
    }
    let mut doc = stack.pop().unwrap_or_default();
    match doc.children.len() {
        1 => Ok(doc.children.remove(0)),
        0 => Err("invalid XML: no root element".to_string()),
        _ => Err("invalid XML: more than one root element".to_string()),
    }
}

/// An element as JSON, by the conventions in the module's doc.
pub(crate) fn to_json(el: &Element) -> Value {
    if el.children.is_empty() {
        return Value::from(el.text.trim());
    }
    if el.children.iter().all(|c| c.name == "member") {
        return Value::array(el.children.iter().map(to_json).collect());
    }
    if el.children.iter().all(|c| c.name == "entry") {
        let mut m = Map::with_capacity(el.children.len());
        for e in &el.children {
            let key = e.child("key").or_else(|| e.child("Name"));
            let value = e.child("value").or_else(|| e.child("Value"));
            if let (Some(k), Some(v)) = (key, value) {
                m.insert(k.text.trim().into(), to_json(v));
            }
        }
        return Value::object(m);
    }
    let mut m = Map::with_capacity(el.children.len());
    for c in &el.children {
        m.insert(c.name.as_str().into(), to_json(c));
    }
    Value::object(m)
}

/// The error of a non-2xx query-protocol answer; a body that is no `ErrorResponse` gives
/// `Http<status>` and the body's start as the message.
pub(crate) fn query_error(reply: &Reply) -> AwsError {
    let text = String::from_utf8_lossy(&reply.body);
    let doc = parse_xml(&text).ok();
    let error = doc.as_ref().and_then(|d| {
        d.child("Error")
            .or_else(|| d.child("Errors").and_then(|e| e.child("Error")))
    });
    let field = |name: &str| {
        error
            .and_then(|e| e.child(name))
            .map(|c| c.text.trim().to_string())
    };
    AwsError {
        status: reply.status,
        code: field("Code").unwrap_or_else(|| format!("Http{}", reply.status)),
        message: field("Message").unwrap_or_else(|| text.chars().take(512).collect()),
        request_id: doc
            .as_ref()
            .and_then(|d| d.child("RequestId"))
            .map(|r| r.text.trim().to_string())
            .unwrap_or_else(|| super::aws::request_id(reply)),
    }
}

/// The `<Action>Result` of a 2xx answer as JSON (`{}` when the answer has none).
///
/// # Errors
///
/// Why the body is not a query-protocol answer.
pub(crate) fn result_json(reply: &Reply, action: &str) -> Result<Map, String> {
    let text = std::str::from_utf8(&reply.body).map_err(|_| "the body is not UTF-8".to_string())?;
    let doc = parse_xml(text)?;
    if doc.name != format!("{action}Response") {
        return Err(format!("expected <{action}Response>, got <{}>", doc.name));
    }
    match doc.child(&format!("{action}Result")).map(to_json) {
        Some(Value::Object(m)) => Ok(std::sync::Arc::unwrap_or_clone(m)),
        _ => Ok(Map::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse_json;

    #[test]
    fn members_flatten_as_the_query_protocol_writes_them() {
        let p = parse_json(
            r#"{"TopicArn":"arn:t","Message":"a b&c","MessageAttributes":{"k":{"DataType":"String","StringValue":"v"}},
                "Attributes":{"DisplayName":"D"},"Tags":[{"Key":"a","Value":"1"}],"N":5,"Skip":null}"#,
        )
        .unwrap();
        assert_eq!(
            form_body("Publish", "2010-03-31", &p),
            "Action=Publish&Version=2010-03-31&TopicArn=arn%3At&Message=a%20b%26c\
             &MessageAttributes.entry.1.Name=k&MessageAttributes.entry.1.Value.DataType=String\
             &MessageAttributes.entry.1.Value.StringValue=v&Attributes.entry.1.key=DisplayName\
             &Attributes.entry.1.value=D&Tags.member.1.Key=a&Tags.member.1.Value=1&N=5"
        );
    }

    #[test]
    fn answers_convert_lists_maps_and_entities() {
        let xml = r#"<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
            <ListTopicsResult><Topics><member><TopicArn>a&amp;b</TopicArn></member>
            <member><TopicArn>c&#33;</TopicArn></member></Topics><NextToken/></ListTopicsResult>
            <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListTopicsResponse>"#;
        let reply = Reply {
            status: 200,
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::from(xml),
        };
        let m = result_json(&reply, "ListTopics").unwrap();
        assert_eq!(
            Value::object(m).to_json(),
            r#"{"Topics":[{"TopicArn":"a&b"},{"TopicArn":"c!"}],"NextToken":""}"#
        );
        let attrs = parse_xml(
            "<R><Attributes><entry><key>Owner</key><value>1</value></entry></Attributes></R>",
        )
        .unwrap();
        assert_eq!(to_json(&attrs).to_json(), r#"{"Attributes":{"Owner":"1"}}"#);
        assert!(result_json(&reply, "Publish")
            .unwrap_err()
            .contains("<PublishResponse>"));
    }

    #[test]
    fn errors_and_garbage() {
        let reply = |status, body: &str| Reply {
            status,
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::from(body.to_string()),
        };
        let e = query_error(&reply(
            404,
            "<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>R1</RequestId></ErrorResponse>",
        ));
        assert_eq!(
            (e.code.as_str(), e.message.as_str(), e.request_id.as_str()),
            ("NotFound", "Topic does not exist", "R1")
        );
        let e = query_error(&reply(503, "<html><body>down"));
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("Http503", "<html><body>down")
        );
        assert!(parse_xml("<a><b></a>").is_err());
        assert!(parse_xml("not xml").is_err());
    }
}
