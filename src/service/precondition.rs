//! Conditions a write must meet (`If-Match`, a body's `version`), and the one
//! loop every read-modify-write runs in: read, check, compare-and-set, and
//! again after losing a race to another writer.

use std::future::Future;

use super::{ServiceError, ServiceResult};

/// Attempts at a read-modify-write that raced with another writer, when the
/// caller didn't pin a version (with a pinned version a race is the caller's
/// conflict to resolve). Every round has a winner, so N writers on one record
/// need at most N rounds; this bounds the pile-up on a pathologically hot one.
const MAX_ATTEMPTS: u32 = 64;

/// Conditions a write must meet, from `If-Match` and a body's `version`.
#[derive(Debug, Clone, Default)]
pub struct Precondition {
    pub if_match: Option<IfMatch>,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IfMatch {
    /// `If-Match: *`: the record must exist.
    Any,
    /// Versions named by the entity tags; anything unparseable matches nothing.
    Versions(Vec<i64>),
}

impl Precondition {
    pub(crate) fn is_pinned(&self) -> bool {
        self.if_match.is_some() || self.version.is_some()
    }

    /// The error for a pinned write that lost a race to another writer.
    pub(crate) fn lost_race(&self, next_version: i64) -> ServiceError {
        match self.if_match {
            Some(_) => ServiceError::PreconditionFailed,
            None => ServiceError::VersionConflict { sent: self.version.unwrap_or_default(), current: next_version },
        }
    }

    pub(crate) fn check(&self, current: i64) -> ServiceResult<()> {
        if let Some(IfMatch::Versions(versions)) = &self.if_match {
            if !versions.contains(&current) {
                return Err(ServiceError::PreconditionFailed);
            }
        }
        match self.version {
            Some(sent) if sent != current => Err(ServiceError::VersionConflict { sent, current }),
            _ => Ok(()),
        }
    }
}

/// One round of a read-modify-write: its result, or `Raced` when its
/// compare-and-set found the record changed by another writer meanwhile.
pub(crate) enum Round<T> {
    Done(T),
    Raced,
}

/// Runs `round` until one is not raced, pausing a little more each time, so
/// racing writers don't collide in lockstep again. `what` names the record in
/// the error of a record too hot to change.
pub(crate) async fn until_settled<T, Fut>(what: &str, mut round: impl FnMut() -> Fut) -> ServiceResult<T>
where
    Fut: Future<Output = ServiceResult<Round<T>>>,
{
    for attempt in 0..MAX_ATTEMPTS {
        if attempt > 0 {
            backoff(attempt).await;
        }
        if let Round::Done(done) = round().await? {
            return Ok(done);
        }
    }
    Err(ServiceError::Unavailable(format!("the {what} is being changed too often; retry")))
}

/// A short random pause, longer after each lost round.
async fn backoff(attempt: u32) {
    use rand::Rng;
    let max_micros = 200 * u64::from(attempt.min(10));
    let pause = rand::rng().random_range(0..=max_micros);
    tokio::time::sleep(std::time::Duration::from_micros(pause)).await;
}
