//! [`NatsCatalog`]: machines and activities as entries of a JetStream key-value bucket
//! (`<prefix>_CATALOG`, file storage, latest value only), shared by every process.
//!
//! Keys are `m.<ARN>` and `a.<ARN>` (ARNs base64url-encoded: keys allow few characters). A
//! process's own writes are not reported back to it by [`Catalog::watch`]: each write's
//! revision is remembered, and an entry not newer than this process's last write of its key
//! is skipped, so a slow report of another process's older write cannot undo a newer local one.

use super::codec::{catalog_key, parse_catalog_key};
use super::intake::key_value;
use super::{connect, unavailable, Closer, NatsOptions};
use crate::durable::{BoxFuture, Catalog, CatalogChange, CatalogKind, DurableError};
use crate::runtime::sync::{AtomicU64, Ordering};
use async_nats::jetstream::{kv, Context};
use futures_util::StreamExt as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The NATS JetStream catalog. See the [module docs](self).
pub struct NatsCatalog {
    opts: NatsOptions,
    js: Context,
    kv: kv::Store,
    bucket: String,
    /// The revision of this process's last write of each key. Held across a write, so that
    /// the watcher cannot see the write before its revision is here.
    own: tokio::sync::Mutex<HashMap<String, u64>>,
    /// The bucket's last revision when [`Catalog::load`] read it: where the watch starts.
    loaded: AtomicU64,
    closer: Closer,
}

impl std::fmt::Debug for NatsCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsCatalog")
            .field("url", &self.opts.url)
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

impl NatsCatalog {
    /// Connects to the server of `opts` and creates (or binds to) the bucket.
    ///
    /// # Errors
    ///
    /// [`DurableError::Unavailable`] naming the URL when the server is down or does not run
    /// JetStream.
    pub async fn connect(opts: NatsOptions) -> Result<Self, DurableError> {
        let (_, js) = connect(&opts).await?;
        let kv = key_value(&js, &opts, "CATALOG", Duration::ZERO).await?;
        Ok(NatsCatalog {
            bucket: format!("{}_CATALOG", opts.prefix),
            opts,
            js,
            kv,
            own: tokio::sync::Mutex::new(HashMap::new()),
            loaded: AtomicU64::new(NOT_LOADED),
            closer: Closer::new(),
        })
    }

    /// Ends [`Catalog::watch`].
    pub fn close(&self) {
        self.closer.close();
    }

    fn error(&self, what: &str, key: &str, e: impl std::fmt::Display) -> DurableError {
        unavailable(
            format!(
                "NATS at {}: {what} {key} in bucket {}",
                self.opts.url, self.bucket
            ),
            e,
        )
    }

    /// The bucket's last revision (0 when empty).
    async fn last_revision(&self) -> Result<u64, DurableError> {
        let mut stream = self
            .js
            .get_stream(format!("KV_{}", self.bucket))
            .await
            .map_err(|e| self.error("reading", "the state of", e))?;
        let info = stream
            .info()
            .await
            .map_err(|e| self.error("reading", "the state of", e))?;
        Ok(info.state.last_sequence)
    }

    /// Reports the bucket's changes from revision `*from` on until the watch fails (why is
    /// returned), advancing `*from`; `*outage` is cleared by the first change seen.
    async fn watch_from(
        &self,
        from: &mut u64,
        outage: &mut bool,
        on_change: &(dyn Fn(CatalogChange) + Send + Sync),
    ) -> String {
        let mut entries = match self.kv.watch_all_from_revision(*from).await {
            Ok(w) => w,
            Err(e) => return e.to_string(),
        };
        while let Some(entry) = entries.next().await {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => return e.to_string(),
            };
            *outage = false;
            *from = entry.revision + 1;
            let mine = self.own.lock().await.get(&entry.key).copied();
            if mine.is_some_and(|rev| entry.revision <= rev) {
                continue;
            }
            let Some((kind, arn)) = parse_catalog_key(&entry.key) else {
                continue;
            };
            let record = match entry.operation {
                kv::Operation::Put => Some(entry.value.to_vec()),
                kv::Operation::Delete | kv::Operation::Purge => None,
            };
            on_change((kind, arn, record));
        }
        "the watch ended".into()
    }
}

/// [`NatsCatalog::loaded`] before [`Catalog::load`] ran.
const NOT_LOADED: u64 = u64::MAX;

impl Catalog for NatsCatalog {
    fn put<'a>(
        &'a self,
        kind: CatalogKind,
        key: &'a str,
        record: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), DurableError>> {
        Box::pin(async move {
            let k = catalog_key(kind, key);
            let mut own = self.own.lock().await;
            let rev = self
                .kv
                .put(&k, record.into())
                .await
                .map_err(|e| self.error("writing", key, e))?;
            own.insert(k, rev);
            Ok(())
        })
    }

    fn delete<'a>(
        &'a self,
        kind: CatalogKind,
        key: &'a str,
    ) -> BoxFuture<'a, Result<(), DurableError>> {
        Box::pin(async move {
            let k = catalog_key(kind, key);
            let mut own = self.own.lock().await;
            // `kv::Store::delete` does not return the delete marker's revision, which the
            // watcher needs to skip it: the marker is published here as the store would.
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("KV-Operation", "DEL");
            let ack = self
                .js
                .publish_with_headers(format!("$KV.{}.{k}", self.bucket), headers, "".into())
                .await
                .map_err(|e| self.error("deleting", key, e))?
                .await
                .map_err(|e| self.error("deleting", key, e))?;
            own.insert(k, ack.sequence);
            Ok(())
        })
    }

    fn load(&self) -> BoxFuture<'_, Result<Vec<CatalogChange>, DurableError>> {
        Box::pin(async move {
            let last = self.last_revision().await?;
            let mut out = Vec::new();
            let mut keys = self
                .kv
                .keys()
                .await
                .map_err(|e| self.error("listing", "the keys", e))?;
            while let Some(k) = keys.next().await {
                let k = k.map_err(|e| self.error("listing", "the keys", e))?;
                let Some((kind, arn)) = parse_catalog_key(&k) else {
                    continue;
                };
                if let Some(record) = self
                    .kv
                    .get(&k)
                    .await
                    .map_err(|e| self.error("reading", &arn, e))?
                {
                    out.push((kind, arn, Some(record.to_vec())));
                }
            }
            // Changes after `last` are reported again by the watch, in order: applying a
            // record seen here once more is harmless.
            self.loaded.store(last, Ordering::Relaxed);
            Ok(out)
        })
    }

    fn watch(
        self: Arc<Self>,
        on_change: Arc<dyn Fn(CatalogChange) + Send + Sync>,
    ) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let run = async {
                // From what `load` read (an empty bucket is revision 0: everything after it),
                // so that nothing put between the load and this watch is missed. Not loaded:
                // the changes from now on (from the start if that is unknown).
                let from = match self.loaded.load(Ordering::Relaxed) {
                    NOT_LOADED => self.last_revision().await.unwrap_or(0),
                    last => last,
                };
                let mut from = from + 1;
                let mut outage = false;
                loop {
                    let why = self.watch_from(&mut from, &mut outage, &*on_change).await;
                    if !outage {
                        eprintln!(
                            "aslx: NATS at {}: watching bucket {}: {why}; retrying",
                            self.opts.url, self.bucket
                        );
                        outage = true;
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            };
            tokio::select! {
                _ = self.closer.closed() => {}
                _ = run => {}
            }
        })
    }
}
