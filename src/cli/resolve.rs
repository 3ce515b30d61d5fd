//! Finding a matter's client by its email or external id, for `import
//! matters`: external ids are looked up a hundred at a time through the
//! client export's `external_id=` filter; emails (which no filter matches
//! exactly), and external ids with a comma (which the filter would split),
//! through one walk over every client of the firm, kept for the rest of the
//! import. Every answer is kept, found or not.

use std::collections::HashMap;

use serde_json::Value;

use super::remote::{Failure, Patience, Remote};
use crate::api::extract::MAX_LIST_VALUES;
use crate::domain::email::Email;

/// How a row names its client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// The canonical form of an email ([`Email::key`]).
    Email(String),
    ExternalId(String),
}

impl Reference {
    /// The reference a row's `client_email` or `client_external_id` makes.
    pub fn parse(field: &str, value: &str) -> Result<Reference, String> {
        let value = value.trim();
        if value.is_empty() {
            return Err("is empty".into());
        }
        match field {
            "client_email" => Email::parse(value).map(|e| Reference::Email(e.key())),
            _ => Ok(Reference::ExternalId(value.to_string())),
        }
    }
}

#[derive(Default)]
pub struct ClientIndex {
    /// External ids looked up one by one: the client's id, or none.
    external: HashMap<String, Option<String>>,
    /// Every client, once it was needed.
    everyone: Option<Everyone>,
}

#[derive(Default)]
struct Everyone {
    by_email: HashMap<String, String>,
    by_external_id: HashMap<String, String>,
}

impl ClientIndex {
    /// The client a reference names, once [`ClientIndex::look_up`] has run.
    pub fn get(&self, reference: &Reference) -> Option<&str> {
        match reference {
            Reference::ExternalId(x) => match self.external.get(x) {
                Some(found) => found.as_deref(),
                None => self.everyone.as_ref().and_then(|e| e.by_external_id.get(x)).map(String::as_str),
            },
            Reference::Email(key) => self.everyone.as_ref().and_then(|e| e.by_email.get(key)).map(String::as_str),
        }
    }

    /// Looks up every reference not looked up before.
    pub async fn look_up<'a>(&mut self, remote: &Remote, references: impl IntoIterator<Item = &'a Reference>) -> Result<(), Failure> {
        let mut wanted: Vec<&str> = Vec::new();
        let mut walk = false;
        for reference in references {
            match reference {
                Reference::ExternalId(x) if x.contains(',') => walk |= self.everyone.is_none(),
                Reference::ExternalId(x) => {
                    if !self.external.contains_key(x) && self.everyone.is_none() && !wanted.contains(&x.as_str()) {
                        wanted.push(x);
                    }
                }
                Reference::Email(_) => walk |= self.everyone.is_none(),
            }
        }
        if walk {
            self.everyone = Some(Self::walk_everyone(remote).await?);
            return Ok(());
        }
        for chunk in wanted.chunks(MAX_LIST_VALUES) {
            let query = form_urlencoded::Serializer::new(String::new()).append_pair("format", "ndjson").append_pair("external_id", &chunk.join(",")).finish();
            let mut found: HashMap<String, String> = HashMap::new();
            each_line(remote, &format!("/v1/clients/export?{query}"), |view| {
                if let (Some(x), Some(id)) = (view["external_id"].as_str(), view["id"].as_str()) {
                    found.insert(x.to_string(), id.to_string());
                }
            })
            .await?;
            for x in chunk {
                self.external.insert(x.to_string(), found.get(*x).cloned());
            }
        }
        Ok(())
    }

    async fn walk_everyone(remote: &Remote) -> Result<Everyone, Failure> {
        let mut everyone = Everyone::default();
        each_line(remote, "/v1/clients/export?format=ndjson", |view| {
            let Some(id) = view["id"].as_str() else { return };
            if let Some(key) = view["email"].as_str().and_then(|e| Email::parse(e).ok()).map(|e| e.key()) {
                everyone.by_email.insert(key, id.to_string());
            }
            if let Some(x) = view["external_id"].as_str() {
                everyone.by_external_id.insert(x.to_string(), id.to_string());
            }
        })
        .await?;
        Ok(everyone)
    }
}

/// Streams an NDJSON export, one parsed line at a time.
async fn each_line(remote: &Remote, path: &str, mut each: impl FnMut(Value)) -> Result<(), Failure> {
    let mut response = remote.get_streamed(path, Patience::Long).await?;
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let chunk = response.chunk().await.map_err(|e| Failure::Unreachable(format!("reading the clients from {}: {e}", remote.base())))?;
        let Some(chunk) = chunk else { break };
        pending.extend_from_slice(&chunk);
        let mut start = 0;
        while let Some(end) = pending[start..].iter().position(|b| *b == b'\n') {
            if let Ok(view) = serde_json::from_slice::<Value>(&pending[start..start + end]) {
                each(view);
            }
            start += end + 1;
        }
        pending.drain(..start);
    }
    if let Ok(view) = serde_json::from_slice::<Value>(&pending) {
        each(view);
    }
    Ok(())
}
