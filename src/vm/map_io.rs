//! What a distributed Map asks of the driver ([`Step::MapIo`](super::Step::MapIo)): read its
//! items from Amazon S3 (`ItemReader`, MAP-10), or write its results there (`ResultWriter`,
//! MAP-12).
//!
//! The VM does everything that needs no I/O: it evaluates `Parameters`/`Arguments` into a
//! bucket and key, and shapes the result files and their manifest. The driver only fetches
//! and parses objects, or stores the bytes it is given, through the configured S3 backend,
//! then resumes the execution with [`Execution::resume_map_io`](super::Execution::resume_map_io):
//! the items read (a JSON array), or a [`TaskError`](super::TaskError) such as
//! `States.ItemReaderFailed` / `States.ResultWriterFailed` with a cause naming the object.

use crate::compile::map_io::ReadSource;

/// An S3 request of a distributed Map; serve it through an S3 backend and answer with
/// [`Execution::resume_map_io`](super::Execution::resume_map_io). Opaque: only the engine's
/// driver knows how to serve one; a driver without S3 answers with an error.
#[derive(Debug)]
pub struct MapIoRequest {
    /// Boxed: a [`Step`](super::Step) stays as small as it was without it.
    pub(crate) kind: Box<MapIo>,
}

#[derive(Debug)]
pub(crate) enum MapIo {
    /// Read the items: answer with a JSON array.
    Read(ItemRead),
    /// Put these objects, in order (the manifest last): answer with anything.
    Write(ResultWrite),
}

/// One `ItemReader` call, its parameters evaluated.
#[derive(Debug)]
pub(crate) struct ItemRead {
    pub source: ReadSource,
    pub bucket: String,
    /// The object's key (`s3:getObject`) or the listing's prefix (`s3:listObjectsV2`).
    pub key: String,
    /// `ReaderConfig.MaxItems`: stop after this many items.
    pub max_items: Option<u64>,
}

/// The objects a `ResultWriter` puts.
#[derive(Debug)]
pub(crate) struct ResultWrite {
    pub bucket: String,
    pub objects: Vec<(String, Vec<u8>)>,
}

impl MapIoRequest {
    /// `s3:getObject`, `s3:listObjectsV2` or `s3:putObject`: what the request calls.
    pub fn action(&self) -> &'static str {
        match &*self.kind {
            MapIo::Read(r) => match r.source {
                ReadSource::Object(_) => "s3:getObject",
                ReadSource::Listing(_) => "s3:listObjectsV2",
            },
            MapIo::Write(_) => "s3:putObject",
        }
    }

    /// The bucket the request reads or writes.
    pub fn bucket(&self) -> &str {
        match &*self.kind {
            MapIo::Read(r) => &r.bucket,
            MapIo::Write(w) => &w.bucket,
        }
    }
}
