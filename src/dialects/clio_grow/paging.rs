//! What every Clio Grow list shares: `page_token`, `created_since`,
//! `updated_since`, `ids[]` (and our `limit`), and `meta.paging.next`.

use serde::Serialize;
use utoipa::ToSchema;

use crate::api::extract::{ParamReader, NONCE_PARAM};
use crate::domain::client::query::{ClientFilter, ClientSort, SearchTerm, SortField};
use crate::domain::record::{RecordFilter, RecordSort};
use crate::domain::time::Timestamp;
use crate::service::clients::ListRequest;
use crate::service::paging::Counting;
use crate::service::records::RecordListRequest;

/// The seed's bound on `ids[]`.
const MAX_IDS: usize = 50;
const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 100;
const MAX_QUERY_CHARS: usize = 200;

pub const PAGE_TOKEN: &str = "page_token";

/// The common list parameters, parsed.
pub struct ListParams {
    pub seqs: Vec<i64>,
    pub created_since: Option<Timestamp>,
    pub updated_since: Option<Timestamp>,
    pub page_token: Option<String>,
    pub limit: usize,
}

impl ListParams {
    pub fn read(p: &mut ParamReader<'_>) -> Self {
        let page_token = p.get(PAGE_TOKEN).map(str::to_string);
        let mut instant =
            |name| p.parsed(name, |s| Timestamp::parse(s).ok_or("must be an ISO-8601 timestamp (or YYYY-MM-DD)".into()));
        let (created_since, updated_since) = (instant("created_since"), instant("updated_since"));
        let limit = p.parsed("limit", |s| {
            s.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or(format!("must be an integer from 1 to {MAX_LIMIT}"))
        });
        let seqs = ids(p);
        Self { seqs, created_since, updated_since, page_token, limit: limit.unwrap_or(DEFAULT_LIMIT) }
    }

    /// Oldest first, so a walk sees records created meanwhile at its end.
    pub fn records(self) -> RecordListRequest {
        RecordListRequest {
            filter: RecordFilter {
                seqs: self.seqs,
                created_since: self.created_since,
                updated_since: self.updated_since,
                ..RecordFilter::default()
            },
            sort: RecordSort { by_updated: false, descending: false },
            cursor: self.page_token,
            limit: Some(self.limit),
            count: Counting::None,
        }
    }

    pub fn clients(self, search: Option<SearchTerm>) -> ListRequest {
        ListRequest {
            filter: ClientFilter {
                seqs: self.seqs,
                created_since: self.created_since,
                updated_since: self.updated_since,
                search,
                ..ClientFilter::default()
            },
            sort: ClientSort { field: SortField::CreatedAt, descending: false },
            cursor: self.page_token,
            offset: 0,
            limit: Some(self.limit),
            count: Counting::None,
        }
    }
}

/// `ids[]=1&ids[]=2` (or `ids[]=1,2`): positive integers, at most 50.
fn ids(p: &mut ParamReader<'_>) -> Vec<i64> {
    let raw = p.list("ids[]");
    if raw.len() > MAX_IDS {
        p.error("ids[]", format!("must list at most {MAX_IDS} ids"));
        return Vec::new();
    }
    let mut seqs = Vec::with_capacity(raw.len());
    for text in raw {
        match text.parse::<i64>() {
            Ok(n) if n > 0 => seqs.push(n),
            _ => p.error("ids[]", format!("`{}` is not a positive integer id", text.chars().take(40).collect::<String>())),
        }
    }
    seqs
}

/// `query`: a search of names, emails and phone numbers.
pub fn search(p: &mut ParamReader<'_>) -> Option<SearchTerm> {
    p.parsed("query", |s| {
        if s.chars().count() > MAX_QUERY_CHARS {
            return Err(format!("must be at most {MAX_QUERY_CHARS} characters"));
        }
        Ok(SearchTerm::new(s))
    })
    .flatten()
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowPaging)]
pub struct Paging {
    /// The next page: this request again with its `page_token`. Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "/compat/clio-grow/api/v1/contacts?page_token=eyJzIjoiY3JlYXRlZF9hdCJ9")]
    next: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ClioGrowMeta)]
pub struct Meta {
    paging: Paging,
}

impl Meta {
    /// `next` repeats the request (`path`, `pairs`) with the new token; a
    /// custom action nonce is single-use, so it is never carried over.
    pub fn new(path: &str, pairs: &[(String, String)], next_token: Option<&str>) -> Self {
        let next = next_token.map(|token| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs.iter().filter(|(k, _)| k != PAGE_TOKEN && k != NONCE_PARAM) {
                query.append_pair(k, v);
            }
            query.append_pair(PAGE_TOKEN, token);
            format!("{path}?{}", query.finish())
        });
        Self { paging: Paging { next } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_repeats_the_request_without_the_nonce() {
        let pairs = vec![
            ("ids[]".to_string(), "1".to_string()),
            ("page_token".to_string(), "old".to_string()),
            (NONCE_PARAM.to_string(), "can_x".to_string()),
        ];
        let meta = Meta::new("/compat/clio-grow/api/v1/contacts", &pairs, Some("new"));
        assert_eq!(meta.paging.next.as_deref(), Some("/compat/clio-grow/api/v1/contacts?ids%5B%5D=1&page_token=new"));
        assert!(Meta::new("/x", &pairs, None).paging.next.is_none());
    }
}
