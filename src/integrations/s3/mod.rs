//! Amazon S3 for distributed Maps: `ItemReader` (MAP-10) reads items, `ResultWriter`
//! (MAP-12) writes results, through one small storage trait with two backends:
//!
//! - [`dir::DirStore`]: a local directory (`--s3-dir DIR`): bucket = subdirectory, key =
//!   relative path, for users with no S3 at all;
//! - an S3 endpoint (`--endpoint s3=URL`): path-style REST calls, SigV4-signed.
//!
//! The VM asks ([`Step::MapIo`](crate::vm::Step::MapIo)); the driver calls [`serve`], which
//! fetches and parses objects ([`reader`]) or stores the files the VM shaped, and answers
//! with the items or a `States.ItemReaderFailed` / `States.ResultWriterFailed` error whose
//! cause names the bucket and key.

pub(crate) mod dir;
pub(crate) mod reader;
pub(crate) mod rest;

use crate::value::Value;
use crate::vm::map_io::{MapIo, ResultWrite};
use crate::vm::{MapIoRequest, TaskError};
use std::future::Future;
use std::pin::Pin;

/// What a backend call returns.
pub(crate) type StoreFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The three S3 calls a distributed Map makes.
pub(crate) trait ObjectStore: Send + Sync + std::fmt::Debug {
    /// `GetObject`: the object's bytes.
    fn get_object<'a>(&'a self, bucket: &'a str, key: &'a str) -> StoreFuture<'a, Vec<u8>>;
    /// `PutObject`.
    fn put_object<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        body: Vec<u8>,
    ) -> StoreFuture<'a, ()>;
    /// `ListObjectsV2`: one page of the objects under `prefix`, in key order.
    fn list_objects_v2<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
        continuation: Option<&'a str>,
    ) -> StoreFuture<'a, Listing>;
}

/// One page of a listing.
#[derive(Clone, Debug, Default)]
pub(crate) struct Listing {
    pub objects: Vec<ObjectInfo>,
    /// `NextContinuationToken`, when more pages follow.
    pub next: Option<String>,
}

/// An object of a listing, as `ListObjectsV2` describes it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// With its quotes, as S3 gives it: `"9b2cf535f27731c974343645a3985328"`.
    pub etag: String,
    /// Epoch seconds.
    pub last_modified: i64,
    pub storage_class: String,
}

/// Why an S3 call failed, in S3's terms.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StoreError {
    /// S3's error code: `NoSuchBucket`, `NoSuchKey`, `AccessDenied`, `InvalidObjectName`...
    pub code: String,
    pub message: String,
    /// The HTTP status S3 answers with (a local directory answers as S3 would).
    pub status: u16,
}

impl StoreError {
    pub(crate) fn new(code: &str, message: impl Into<String>, status: u16) -> StoreError {
        StoreError {
            code: code.to_string(),
            message: message.into(),
            status,
        }
    }

    pub(crate) fn no_such_bucket() -> StoreError {
        StoreError::new("NoSuchBucket", "The specified bucket does not exist", 404)
    }

    pub(crate) fn no_such_key() -> StoreError {
        StoreError::new("NoSuchKey", "The specified key does not exist.", 404)
    }

    /// The cause of a failed call of `action` on `s3://bucket/key`, in the shape of the AWS
    /// SDK's service exceptions.
    pub(crate) fn cause(&self, action: &str, bucket: &str, key: &str) -> String {
        format!(
            "S3 {action} of s3://{bucket}/{key} failed: {} (Service: S3, Status Code: {}, Error Code: {})",
            self.message, self.status, self.code
        )
    }
}

/// Serves a distributed Map's request through `store`: the items read, or `null` once the
/// result files are written.
pub(crate) async fn serve(
    store: &dyn ObjectStore,
    request: MapIoRequest,
) -> Result<Value, TaskError> {
    match *request.kind {
        MapIo::Read(read) => reader::read_items(store, &read)
            .await
            .map_err(|cause| TaskError::new("States.ItemReaderFailed", cause)),
        MapIo::Write(write) => write_results(store, write).await,
    }
}

/// Puts the result files, then the manifest (the last object), so a reader that sees the
/// manifest finds every file it names.
async fn write_results(store: &dyn ObjectStore, write: ResultWrite) -> Result<Value, TaskError> {
    let bucket = write.bucket;
    for (key, body) in write.objects {
        if let Err(e) = store.put_object(&bucket, &key, body).await {
            return Err(TaskError::new(
                "States.ResultWriterFailed",
                e.cause("PutObject", &bucket, &key),
            ));
        }
    }
    Ok(Value::Null)
}

/// The error of a Map with an `ItemReader` or `ResultWriter` that reached a driver with no
/// S3 backend (a machine cannot be created so; this guards drivers outside an engine).
pub(crate) fn unconfigured() -> TaskError {
    TaskError::new(
        "States.ItemReaderFailed",
        "no S3 backend is configured: give --s3-dir DIR or --endpoint s3=URL \
         (Handlers::s3_dir in the library)",
    )
}
