//! Candidate duplicates: groups of a firm's live clients that share a match
//! key (docs/privacy.md, "Finding duplicates" has the rules and scores).
//!
//! Exact keys (email, phone, name and date of birth) are groups as the store
//! finds them. Block keys (an email domain or a phone prefix, each with the
//! name's initial) gather clients whose names are then compared by trigram
//! similarity here, pair by pair within the block, so no step is quadratic
//! in the firm. A page walks the kinds in order and, within a kind, the keys
//! in order; the cursor is where it stopped.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::{paging, Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::match_keys::{similarity, MatchKind};
use crate::domain::client::query::{ClientFilter, ClientQuery, ClientSort};
use crate::domain::client::Client;
use crate::domain::ids::ClientId;
use crate::store::{MatchGroup, MatchQuery};

/// Clients shown per group (`size` says how many share it).
pub const MAX_SHOWN: usize = 10;
/// Clients compared per block (the first, by id).
pub const BLOCK_MAX: usize = 100;
/// Blocks a page compares at most: past it, the page ends early, with a cursor.
pub const BLOCKS_PER_PAGE: usize = 2_000;
/// Trigram similarity from which two names in a block are a candidate.
pub const SIMILAR: f64 = 0.5;
const BLOCKS_READ_AT_ONCE: usize = 100;

/// One group of candidate duplicates.
pub struct DuplicateGroup {
    pub reason: &'static str,
    pub score: f64,
    pub size: u64,
    pub clients: Vec<Client>,
}

pub struct DuplicatePage {
    pub groups: Vec<DuplicateGroup>,
    pub next_cursor: Option<String>,
    pub limit: usize,
}

/// Where a walk is: the kind (index in [`MatchKind::ALL`]), the last key
/// read, and how many groups of that block were already given.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct Pos {
    r: usize,
    k: Option<String>,
    s: usize,
}

/// A group found, before its clients are read.
struct Found {
    kind: MatchKind,
    score: f64,
    size: u64,
    ids: Vec<ClientId>,
    /// Where the walk resumes after this group.
    after: Pos,
}

impl Service {
    /// A page of candidate duplicates. Needs `clients:read`: it shows only
    /// what the client list shows.
    pub async fn find_duplicates(&self, actor: &Actor, cursor: Option<&str>, limit: Option<usize>) -> ServiceResult<DuplicatePage> {
        actor.require(Scope::ClientsRead)?;
        let limit = paging::page_size(limit)?;
        let mut pos = cursor.map(decode).transpose()?.unwrap_or_default();
        let mut found: Vec<Found> = Vec::new();
        let mut blocks = 0;
        while pos.r < MatchKind::ALL.len() && found.len() <= limit && blocks < BLOCKS_PER_PAGE {
            let kind = MatchKind::ALL[pos.r];
            let batch = if kind.is_exact() { limit + 1 - found.len() } else { BLOCKS_READ_AT_ONCE };
            let max_members = if kind.is_exact() { MAX_SHOWN } else { BLOCK_MAX };
            let query = MatchQuery { kind, after: pos.k.clone(), inclusive: pos.s > 0, limit: batch, max_members };
            let groups = self.store.match_groups(actor.firm.id, &query).await?;
            let exhausted = groups.len() < batch;
            for group in groups {
                if found.len() > limit || blocks >= BLOCKS_PER_PAGE {
                    break;
                }
                if kind.is_exact() {
                    pos = Pos { r: pos.r, k: Some(group.key.clone()), s: 0 };
                    let ids = group.members.iter().map(|(id, _)| *id).collect();
                    found.push(Found { kind, score: exact_score(kind), size: group.size, ids, after: pos.clone() });
                } else {
                    blocks += 1;
                    let skip = if pos.s > 0 && pos.k.as_deref() == Some(group.key.as_str()) { pos.s } else { 0 };
                    pos = Pos { r: pos.r, k: Some(group.key.clone()), s: 0 };
                    similar_in_block(kind, &group, skip, pos.r, &mut found, limit);
                }
            }
            if exhausted && found.len() <= limit && blocks < BLOCKS_PER_PAGE {
                pos = Pos { r: pos.r + 1, k: None, s: 0 };
            }
        }
        let next_cursor = if found.len() > limit {
            found.truncate(limit);
            found.last().map(|f| encode(&f.after))
        } else {
            (pos.r < MatchKind::ALL.len()).then(|| encode(&pos))
        };
        let groups = self.with_clients(actor, found).await?;
        Ok(DuplicatePage { groups, next_cursor, limit })
    }

    /// The groups with their live clients (in one read); a group left with
    /// fewer than two (a client deleted since) is dropped.
    async fn with_clients(&self, actor: &Actor, found: Vec<Found>) -> ServiceResult<Vec<DuplicateGroup>> {
        let ids: Vec<ClientId> = found.iter().flat_map(|f| f.ids.iter().copied()).collect();
        let query = ClientQuery {
            filter: ClientFilter { ids: ids.clone(), ..ClientFilter::default() },
            sort: ClientSort::default(),
            after: None,
            offset: 0,
            limit: ids.len().max(1),
        };
        let clients = if ids.is_empty() { Vec::new() } else { self.store.list_clients(actor.firm.id, &query).await? };
        let groups = found
            .into_iter()
            .map(|f| DuplicateGroup {
                reason: reason(f.kind),
                score: f.score,
                size: f.size,
                clients: f.ids.iter().filter_map(|id| clients.iter().find(|c| c.id == *id).cloned()).collect(),
            })
            .filter(|g| g.clients.len() >= 2)
            .collect();
        Ok(groups)
    }
}

/// The groups of similar names in one block, from its `skip`-th on, until
/// the page holds one more than `limit`.
fn similar_in_block(kind: MatchKind, block: &MatchGroup, skip: usize, r: usize, found: &mut Vec<Found>, limit: usize) {
    let groups = similar_groups(&block.members);
    let n = groups.len();
    for (i, (score, ids)) in groups.into_iter().enumerate().skip(skip) {
        let after = Pos { r, k: Some(block.key.clone()), s: if i + 1 == n { 0 } else { i + 1 } };
        let size = ids.len() as u64;
        found.push(Found { kind, score, size, ids: ids.into_iter().take(MAX_SHOWN).collect(), after });
        if found.len() > limit {
            return;
        }
    }
}

/// Clients of one block joined when their names are similar (transitively),
/// each group with its score: 0.8 times the lowest similarity that joined it.
fn similar_groups(members: &[(ClientId, String)]) -> Vec<(f64, Vec<ClientId>)> {
    let n = members.len();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut lowest = vec![1.0_f64; n];
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..n {
        for j in i + 1..n {
            let sim = similarity(&members[i].1, &members[j].1);
            if sim >= SIMILAR {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                let low = lowest[a].min(lowest[b]).min(sim);
                parent[b.max(a)] = a.min(b);
                lowest[a.min(b)] = low;
            }
        }
    }
    let mut groups: Vec<(usize, Vec<ClientId>)> = Vec::new();
    for i in 0..n {
        let r = root(&mut parent, i);
        match groups.iter_mut().find(|(root, _)| *root == r) {
            Some((_, ids)) => ids.push(members[i].0),
            None => groups.push((r, vec![members[i].0])),
        }
    }
    groups.into_iter().filter(|(_, ids)| ids.len() >= 2).map(|(r, ids)| (round(0.8 * lowest[r]), ids)).collect()
}

fn round(score: f64) -> f64 {
    (score * 100.0).round() / 100.0
}

fn exact_score(kind: MatchKind) -> f64 {
    match kind {
        MatchKind::Email => 1.0,
        MatchKind::NameDob => 0.95,
        _ => 0.9,
    }
}

/// The reason a group's clients are candidates, as the API names it.
pub fn reason(kind: MatchKind) -> &'static str {
    match kind {
        MatchKind::Email => "same_email",
        MatchKind::Phone => "same_phone",
        MatchKind::NameDob => "same_name_and_date_of_birth",
        MatchKind::Domain => "similar_name_same_email_domain",
        MatchKind::PhonePrefix => "similar_name_same_phone_prefix",
    }
}

pub const REASONS: [&str; 5] =
    ["same_email", "same_phone", "same_name_and_date_of_birth", "similar_name_same_email_domain", "similar_name_same_phone_prefix"];

fn encode(pos: &Pos) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(pos).unwrap_or_default())
}

fn decode(cursor: &str) -> ServiceResult<Pos> {
    let bad = || ServiceError::invalid("cursor", "is not a cursor this server issued");
    if cursor.len() > 1024 {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let pos: Pos = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if pos.r > MatchKind::ALL.len() || (pos.s > 0 && pos.k.is_none()) {
        return Err(bad());
    }
    Ok(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_names_join_transitively_and_others_stay_out() {
        let id = |n: u8| ClientId::from_uuid(uuid::Uuid::from_bytes([n; 16]));
        let members = vec![(id(1), "john smith".into()), (id(2), "jon smith".into()), (id(3), "mary jones".into()), (id(4), "john smyth".into())];
        let groups = similar_groups(&members);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].1, vec![id(1), id(2), id(4)]);
        assert!(groups[0].0 >= 0.4 && groups[0].0 <= 0.8, "{}", groups[0].0);
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let pos = Pos { r: 3, k: Some("acme.com s".into()), s: 2 };
        assert_eq!(decode(&encode(&pos)).unwrap(), pos);
        assert!(decode("nonsense!").is_err());
        assert!(decode(&URL_SAFE_NO_PAD.encode(br#"{"r":9,"k":null,"s":0}"#)).is_err());
    }
}
