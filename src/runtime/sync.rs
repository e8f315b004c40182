//! The locks, atomics and channels of the runtime and the engine, imported from one place so a
//! model checker (loom) can be swapped in later.
//!
//! Locks here guard short, synchronous critical sections only: no lock is ever held across an
//! `.await`. A panic while a lock is held cannot happen in our critical sections (they call no
//! user code), so a poisoned lock is simply taken over rather than propagated.

pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
pub(crate) use std::sync::{Mutex, MutexGuard, RwLock};
pub(crate) use tokio::sync::oneshot;

/// Locks `m`, taking over a poisoned lock.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Read-locks `l`, taking over a poisoned lock.
pub(crate) fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Write-locks `l`, taking over a poisoned lock.
pub(crate) fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}
