//! aslx (in progress)
#![forbid(unsafe_code)]
pub mod value;
pub use value::{parse_json, parse_json_bytes, Map, Value};
