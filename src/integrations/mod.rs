//! Task resources and distributed-Map I/O bound to real calls.

pub(crate) mod s3;
