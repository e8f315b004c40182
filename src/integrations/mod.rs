//! Task handlers that do real work outside the process: local programs run per call
//! (`command:`) or kept running and spoken to in JSON lines (`worker:`).

pub(crate) mod command;
pub(crate) mod worker;
