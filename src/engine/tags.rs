//! Tags on state machines and activities (TagResource, UntagResource, ListTagsForResource).
//!
//! Tags are kept with their resource and go when it goes. A version or alias ARN is not a
//! taggable resource (`ResourceNotFound`, as AWS answers). Keys keep their first place when
//! overwritten; at most [`MAX_TAGS`] per resource.

use super::error::EngineError;
use super::machines::Encryption;
use super::names::parse_arn;
use super::Engine;
use crate::runtime::sync::{lock, write};
use crate::value::Str;

/// Most tags on one resource (AWS's quota).
pub const MAX_TAGS: usize = 50;

/// What an activity carries beside its queue.
#[derive(Debug, Default)]
pub(super) struct ActivityMeta {
    pub(super) encryption: Option<Encryption>,
    pub(super) tags: Vec<(Str, Str)>,
}

/// `tags` added to `to`: new keys at the end, existing keys overwritten in place.
pub(super) fn merge(to: &mut Vec<(Str, Str)>, tags: &[(Str, Str)]) {
    for (k, v) in tags {
        match to.iter_mut().find(|(ek, _)| ek == k) {
            Some(e) => e.1 = v.clone(),
            None => to.push((k.clone(), v.clone())),
        }
    }
}

impl Engine {
    /// Adds tags to a state machine or activity; existing keys are overwritten.
    ///
    /// # Errors
    ///
    /// `InvalidArn`, `ResourceNotFound`, `TooManyTags` past [`MAX_TAGS`] (nothing is changed).
    pub fn tag_resource(&self, arn: &str, tags: &[(Str, Str)]) -> Result<(), EngineError> {
        let _mark = self.mark(arn);
        self.with_tags(arn, |t| {
            let mut merged = t.clone();
            merge(&mut merged, tags);
            if merged.len() > MAX_TAGS {
                return Err(EngineError::too_many_tags(arn));
            }
            *t = merged;
            Ok(())
        })
    }

    /// Removes tags by key; keys that are not there are no error.
    ///
    /// # Errors
    ///
    /// `InvalidArn`, `ResourceNotFound`.
    pub fn untag_resource(&self, arn: &str, keys: &[&str]) -> Result<(), EngineError> {
        let _mark = self.mark(arn);
        self.with_tags(arn, |t| {
            t.retain(|(k, _)| !keys.contains(&&**k));
            Ok(())
        })
    }

    /// A resource's tags, in the order they were first set.
    ///
    /// # Errors
    ///
    /// `InvalidArn`, `ResourceNotFound`.
    pub fn list_tags(&self, arn: &str) -> Result<Vec<(Str, Str)>, EngineError> {
        self.with_tags(arn, |t| Ok(t.clone()))
    }

    /// Runs `f` on the tags of the machine or activity `arn` names.
    fn with_tags<T>(
        &self,
        arn: &str,
        f: impl FnOnce(&mut Vec<(Str, Str)>) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let a = parse_arn(arn)?;
        match a.kind {
            "stateMachine" if !a.rest.contains(':') => {
                let mut machines = write(&self.shared.machines);
                match machines
                    .get_mut(a.rest)
                    .filter(|e| *e.current.info.arn == *arn)
                {
                    Some(e) => f(&mut e.tags),
                    None => Err(EngineError::resource_not_found(arn)),
                }
            }
            "activity" if self.shared.callbacks.activities.get(arn).is_some() => {
                let mut meta = lock(&self.shared.activity_meta);
                f(&mut meta.entry(Str::from(arn)).or_default().tags)
            }
            _ => Err(EngineError::resource_not_found(arn)),
        }
    }
}
