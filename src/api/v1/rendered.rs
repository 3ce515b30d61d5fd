//! Bodies of `GET /v1/clients/{id}` recently served, reused while the client
//! is unchanged.
//!
//! Rendering a client was the largest part of a read's own work once the
//! client came from memory (12k instructions; bench/README.md). A body is
//! reused only for a client just read whose version and `matters_count` are
//! those it was rendered from. Every change to a client's stored fields
//! raises its version (which is also its ETag, so the API already promises
//! that one version has one representation), and `matters_count` is the one
//! shown value that comes from other records. The client itself is read
//! from the store on every request, so this holds on every store and
//! across nodes.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

use super::views::{ClientEnvelope, ClientView};
use crate::domain::client::Client;
use crate::domain::ids::ClientId;

/// Bodies kept: about 7 MB of typical clients.
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct RenderedClients {
    bodies: Mutex<HashMap<ClientId, Rendered>>,
}

struct Rendered {
    version: i64,
    matters_count: i64,
    body: Bytes,
}

impl RenderedClients {
    /// The canonical JSON body (`{"data": …}`) of this client.
    pub fn body(&self, client: &Client) -> serde_json::Result<Bytes> {
        if let Some(found) = self.bodies().get(&client.id) {
            if found.version == client.version && found.matters_count == client.matters_count {
                return Ok(found.body.clone());
            }
        }
        let body = Bytes::from(serde_json::to_vec(&ClientEnvelope { data: ClientView::from(client) })?);
        let mut bodies = self.bodies();
        // A bound, not an LRU: hot clients come back within a few reads. The
        // full map is dropped after the lock is let go.
        let full = (bodies.len() >= CAPACITY).then(|| std::mem::take(&mut *bodies));
        bodies.insert(client.id, Rendered { version: client.version, matters_count: client.matters_count, body: body.clone() });
        drop(bodies);
        drop(full);
        Ok(body)
    }

    /// Forgets a client's body (it was erased: no copy of its data stays).
    pub fn forget(&self, id: ClientId) {
        self.bodies().remove(&id);
    }

    fn bodies(&self) -> std::sync::MutexGuard<'_, HashMap<ClientId, Rendered>> {
        self.bodies.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::{ClientFields, ClientKind};
    use crate::domain::ids::FirmId;
    use crate::domain::time::Timestamp;

    fn client() -> Client {
        Client {
            id: ClientId::generate(),
            firm_id: FirmId::generate(),
            seq: 1,
            fields: ClientFields { kind: ClientKind::Person, first_name: Some("Ann".into()), ..ClientFields::default() },
            matters_count: 0,
            version: 1,
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
            deleted_at: None,
            merged_into: None,
        }
    }

    fn rendered(c: &Client) -> Bytes {
        Bytes::from(serde_json::to_vec(&ClientEnvelope { data: ClientView::from(c) }).unwrap())
    }

    #[test]
    fn an_unchanged_client_gets_its_body_again() {
        let cache = RenderedClients::default();
        let c = client();
        let first = cache.body(&c).unwrap();
        assert_eq!(first, rendered(&c));
        // The same allocation: not rendered again.
        assert_eq!(cache.body(&c).unwrap().as_ptr(), first.as_ptr());
    }

    #[test]
    fn a_new_version_or_matters_count_is_rendered_afresh() {
        let cache = RenderedClients::default();
        let mut c = client();
        cache.body(&c).unwrap();
        c.fields.first_name = Some("Bea".into());
        c.version = 2;
        assert_eq!(cache.body(&c).unwrap(), rendered(&c));
        c.matters_count = 3;
        assert_eq!(cache.body(&c).unwrap(), rendered(&c));
    }
}
