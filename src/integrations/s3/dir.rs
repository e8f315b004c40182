//! S3 on a local directory (`--s3-dir DIR`): bucket `b` is the subdirectory `DIR/b`, key
//! `k/x.json` the file `DIR/b/k/x.json`. Buckets are not created: a bucket is a directory
//! that exists, as a bucket on S3 is one that was created. Keys that could leave the
//! bucket (`..`, absolute paths) are refused, never followed.

use super::{Listing, ObjectInfo, ObjectStore, StoreError, StoreFuture};
use md5::{Digest, Md5};
use std::path::{Path, PathBuf};

/// Keys a listing page holds, as S3's `MaxKeys` default.
const PAGE: usize = 1000;

/// A directory whose subdirectories are buckets.
#[derive(Clone, Debug)]
pub(crate) struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub(crate) fn new(root: impl Into<PathBuf>) -> DirStore {
        DirStore { root: root.into() }
    }

    fn bucket(&self, bucket: &str) -> Result<PathBuf, StoreError> {
        let ok = !bucket.is_empty()
            && bucket != "."
            && bucket != ".."
            && !bucket.contains(['/', '\\'])
            && !bucket.contains('\0');
        if !ok {
            return Err(StoreError::new(
                "InvalidBucketName",
                format!("The specified bucket is not valid: '{bucket}'"),
                400,
            ));
        }
        let dir = self.root.join(bucket);
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err(StoreError::no_such_bucket())
        }
    }

    /// The file of `key` in `bucket`; `..`, absolute and empty-segment keys are refused.
    fn object(&self, bucket: &str, key: &str) -> Result<PathBuf, StoreError> {
        let dir = self.bucket(bucket)?;
        // Checked segment by segment: `Path::components` would drop `.` and `//` silently.
        let plain = !key.contains('\0')
            && !key.contains('\\')
            && key
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != "..");
        if !plain {
            return Err(StoreError::new(
                "InvalidObjectName",
                format!(
                    "the key '{key}' cannot be a file of a local S3 directory (no '..', '.', \
                     absolute or empty path segments, no trailing '/')"
                ),
                400,
            ));
        }
        Ok(dir.join(key))
    }
}

/// Runs file-system work off the runtime's worker threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(StoreError::new("InternalError", e.to_string(), 500)))
}

fn io_error(e: std::io::Error) -> StoreError {
    StoreError::new("InternalError", e.to_string(), 500)
}

impl ObjectStore for DirStore {
    fn get_object<'a>(&'a self, bucket: &'a str, key: &'a str) -> StoreFuture<'a, Vec<u8>> {
        let path = self.object(bucket, key);
        Box::pin(blocking(move || {
            let path = path?;
            match std::fs::read(&path) {
                Ok(b) => Ok(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(StoreError::no_such_key())
                }
                // A directory where the key's file would be: no such object.
                Err(_) if path.is_dir() => Err(StoreError::no_such_key()),
                Err(e) => Err(io_error(e)),
            }
        }))
    }

    fn put_object<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        body: Vec<u8>,
    ) -> StoreFuture<'a, ()> {
        let path = self.object(bucket, key);
        Box::pin(blocking(move || {
            let path = path?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io_error)?;
            }
            // Written aside, then renamed: a reader never sees half a file.
            let tmp = path.with_extension(format!("aslx-{}.tmp", uuid::Uuid::new_v4().simple()));
            std::fs::write(&tmp, body).map_err(io_error)?;
            std::fs::rename(&tmp, &path).map_err(io_error)
        }))
    }

    fn list_objects_v2<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
        continuation: Option<&'a str>,
    ) -> StoreFuture<'a, Listing> {
        let dir = self.bucket(bucket);
        let prefix = prefix.to_string();
        let after = continuation.map(str::to_string);
        Box::pin(blocking(move || list(&dir?, &prefix, after.as_deref())))
    }
}

/// Every file under `dir` whose key starts with `prefix`, in key order, from after the key
/// `after` (the continuation token is the last key of the page before).
fn list(dir: &Path, prefix: &str, after: Option<&str>) -> Result<Listing, StoreError> {
    let mut keys = Vec::new();
    walk(dir, "", &mut keys).map_err(io_error)?;
    // S3 lists keys in the binary order of their UTF-8 bytes.
    keys.sort();
    let mut selected = keys
        .into_iter()
        .filter(|k| k.starts_with(prefix) && after.is_none_or(|a| k.as_str() > a));
    let mut objects = Vec::new();
    for key in selected.by_ref().take(PAGE) {
        let path = dir.join(&key);
        let meta = std::fs::metadata(&path).map_err(io_error)?;
        let body = std::fs::read(&path).map_err(io_error)?;
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64);
        objects.push(ObjectInfo {
            etag: format!("\"{:x}\"", Md5::digest(&body)),
            size: meta.len(),
            last_modified: modified,
            storage_class: "STANDARD".to_string(),
            key,
        });
    }
    let next = match selected.next() {
        Some(_) => objects.last().map(|o| o.key.clone()),
        None => None,
    };
    Ok(Listing { objects, next })
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue; // not a key S3 could hold
        };
        // Files being written by `put_object`.
        if name.contains(".aslx-") && name.ends_with(".tmp") {
            continue;
        }
        let key = format!("{rel}{name}");
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), &format!("{key}/"), out)?;
        } else if kind.is_file() {
            out.push(key);
        }
    }
    Ok(())
}
