//! TestState: runs one state without creating a machine.

use super::{OpResult, Service};
use crate::serve::protocol::{ApiError, Req};

impl Service {
    pub(super) async fn test_state(&self, r: Req<'_>) -> OpResult {
        r.finish()?;
        Err(ApiError::internal("TestState: not yet"))
    }
}
