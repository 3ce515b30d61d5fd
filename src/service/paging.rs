//! Page sizes, and cutting a fetched page to size: what every list shares.

use super::{ServiceError, ServiceResult};

pub const MAX_PAGE: usize = 100;
pub const DEFAULT_PAGE: usize = 25;

/// The page size a request asks for (the default if none), within 1..=MAX_PAGE.
pub(crate) fn page_size(limit: Option<usize>) -> ServiceResult<usize> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if (1..=MAX_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        Err(ServiceError::invalid("limit", format!("must be between 1 and {MAX_PAGE}")))
    }
}

/// Cuts `items`, fetched as `limit + 1` to learn whether more follow, to
/// `limit`; the last one kept names where the next page starts.
pub(crate) fn cut<T>(items: &mut Vec<T>, limit: usize) -> Option<&T> {
    if items.len() > limit {
        items.truncate(limit);
        items.last()
    } else {
        None
    }
}
