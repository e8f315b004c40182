//! S3 at an endpoint (`--endpoint s3=URL`, `S3_ENDPOINT`, `AWS_ENDPOINT_URL_S3`): the REST
//! API with path-style addressing (`URL/bucket/key`, which S3-compatible servers such as
//! moto and MinIO serve without DNS tricks), SigV4-signed by the shared client. Errors are
//! S3's XML `<Error><Code>…</Code><Message>…</Message></Error>`.

use super::{Listing, ObjectInfo, ObjectStore, StoreError, StoreFuture};
use crate::integrations::aws::AwsRequest;
use crate::integrations::client::Reply;
use crate::integrations::url::uri_encode;
use crate::integrations::Integrations;
use bytes::Bytes;
use std::sync::Arc;

/// The most bytes of one object read into memory: an in-process engine holds every item,
/// so objects are bounded well below S3's own limit (AWS reads files of up to 10 GB).
pub(crate) const MAX_OBJECT_BYTES: usize = 256 * 1024 * 1024;

/// An S3 endpoint reached through the shared integrations (client, endpoint, credentials).
#[derive(Debug)]
pub(crate) struct RestStore {
    integrations: Arc<Integrations>,
}

impl RestStore {
    pub(crate) fn new(integrations: Arc<Integrations>) -> RestStore {
        RestStore { integrations }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        query: Vec<(String, String)>,
        body: Bytes,
        max_body: usize,
    ) -> Result<Reply, StoreError> {
        let req = AwsRequest {
            service: "s3",
            method,
            path,
            query,
            headers: Vec::new(),
            body,
            prefix: "S3",
        };
        let reply = self
            .integrations
            .aws_send_limited(req, max_body)
            .await
            .map_err(|e| StoreError::new("SdkClientException", e.cause().unwrap_or(""), 0))?;
        if (200..300).contains(&reply.status) {
            Ok(reply)
        } else {
            Err(xml_error(&reply))
        }
    }
}

/// `/bucket/key`, each segment percent-encoded once.
fn object_path(bucket: &str, key: &str) -> String {
    format!("/{}/{}", uri_encode(bucket, false), uri_encode(key, true))
}

impl ObjectStore for RestStore {
    fn get_object<'a>(&'a self, bucket: &'a str, key: &'a str) -> StoreFuture<'a, Vec<u8>> {
        Box::pin(async move {
            let path = object_path(bucket, key);
            let reply = self
                .call("GET", &path, Vec::new(), Bytes::new(), MAX_OBJECT_BYTES)
                .await?;
            Ok(reply.body.to_vec())
        })
    }

    fn put_object<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        body: Vec<u8>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let path = object_path(bucket, key);
            self.call("PUT", &path, Vec::new(), Bytes::from(body), 64 * 1024)
                .await
                .map(|_| ())
        })
    }

    fn list_objects_v2<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
        continuation: Option<&'a str>,
    ) -> StoreFuture<'a, Listing> {
        Box::pin(async move {
            let mut query = vec![("list-type".to_string(), "2".to_string())];
            if !prefix.is_empty() {
                query.push(("prefix".to_string(), prefix.to_string()));
            }
            if let Some(t) = continuation {
                query.push(("continuation-token".to_string(), t.to_string()));
            }
            let path = format!("/{}", uri_encode(bucket, false));
            let reply = self
                .call("GET", &path, query, Bytes::new(), 16 * 1024 * 1024)
                .await?;
            let text = String::from_utf8_lossy(&reply.body);
            parse_listing(&text)
        })
    }
}

/// A `ListBucketResult` page.
fn parse_listing(xml: &str) -> Result<Listing, StoreError> {
    let bad = || {
        StoreError::new(
            "InvalidResponse",
            "the ListObjectsV2 answer is not a ListBucketResult",
            200,
        )
    };
    if !xml.contains("<ListBucketResult") {
        return Err(bad());
    }
    let mut objects = Vec::new();
    for c in elements(xml, "Contents") {
        let field = |name: &str| elements(c, name).next().map(unescape);
        let key = field("Key").ok_or_else(bad)?;
        objects.push(ObjectInfo {
            size: field("Size").and_then(|s| s.parse().ok()).unwrap_or(0),
            etag: field("ETag").unwrap_or_default(),
            last_modified: field("LastModified")
                .and_then(|t| crate::asl::timestamp::parse_timestamp(&t))
                .map_or(0, |ns| (ns / 1_000_000_000) as i64),
            storage_class: field("StorageClass").unwrap_or_else(|| "STANDARD".to_string()),
            key,
        });
    }
    let truncated = elements(xml, "IsTruncated").next() == Some("true");
    let next = if truncated {
        elements(xml, "NextContinuationToken").next().map(unescape)
    } else {
        None
    };
    Ok(Listing { objects, next })
}

/// S3's XML error, or the status alone when the body is not one.
fn xml_error(reply: &Reply) -> StoreError {
    let text = String::from_utf8_lossy(&reply.body);
    let code = elements(&text, "Code").next().map(unescape);
    let message = elements(&text, "Message").next().map(unescape);
    match (code, message) {
        (Some(c), m) => StoreError::new(&c, m.unwrap_or_default(), reply.status),
        (None, _) if reply.status == 404 => StoreError::new("NotFound", "Not Found", 404),
        (None, _) => StoreError::new(
            "UnknownError",
            format!(
                "the endpoint answered HTTP {} with no S3 error",
                reply.status
            ),
            reply.status,
        ),
    }
}

/// The contents of each `<name>…</name>` element of `xml`, in order (no nesting of the same
/// name: S3's answers have none).
fn elements<'a>(xml: &'a str, name: &str) -> impl Iterator<Item = &'a str> + 'a {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut rest = xml;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let len = rest[start..].find(&close)?;
        let inner = &rest[start..start + len];
        rest = &rest[start + len + close.len()..];
        Some(inner)
    })
}

/// XML's five entities and numeric references.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_page_gives_keys_etags_dates_and_the_next_token() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
<Contents><Key>a/1 &amp; 2.json</Key><LastModified>2022-11-17T15:44:41.000Z</LastModified>
<ETag>&quot;05704fbdccb224cb01c59005bebbad28&quot;</ETag><Size>34910</Size>
<StorageClass>STANDARD</StorageClass></Contents>
<IsTruncated>true</IsTruncated><NextContinuationToken>tok/+=</NextContinuationToken>
</ListBucketResult>"#;
        let l = parse_listing(xml).unwrap();
        assert_eq!(l.objects.len(), 1);
        let o = &l.objects[0];
        assert_eq!(o.key, "a/1 & 2.json");
        assert_eq!(o.etag, "\"05704fbdccb224cb01c59005bebbad28\"");
        assert_eq!(o.size, 34910);
        assert_eq!(o.last_modified, 1668699881);
        assert_eq!(l.next.as_deref(), Some("tok/+="));
    }

    #[test]
    fn s3_errors_keep_their_code_and_message() {
        let reply = Reply {
            status: 404,
            headers: http::HeaderMap::new(),
            body: Bytes::from_static(
                b"<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>",
            ),
        };
        let e = xml_error(&reply);
        assert_eq!(e.code, "NoSuchBucket");
        assert_eq!(e.message, "The specified bucket does not exist");
        assert_eq!(e.status, 404);
    }
}
