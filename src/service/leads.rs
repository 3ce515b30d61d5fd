//! The intake inbox: leads, their triage, and converting one into a client
//! (and a matter) in one transaction.

use serde_json::{Map, Value};

use super::change::{record_error, Changed, Versioned};
use super::matters::Matter;
use super::precondition::{until_settled, Precondition, Round};
use super::records::{created_event, RecordListRequest, RecordPage};
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::{merge_patch, parse_document, Client, ClientFields};
use crate::domain::custom_field::{normalize, validate, CustomFieldFields, Entity};
use crate::domain::field::FieldError;
use crate::domain::ids::{ClientId, LeadId};
use crate::domain::lead::{parse_lead, LeadFields, LeadState};
use crate::domain::matter::parse_matter;
use crate::domain::record::{RecordKind, Stored};
use crate::domain::time::Timestamp;
use crate::store::{StoreError, Write};

pub type Lead = Stored<LeadFields>;

/// What converting a lead asks for: overrides of the client made from the
/// lead, and the matter to open, if any.
#[derive(Debug, Clone, Default)]
pub struct ConvertRequest {
    pub client: Map<String, Value>,
    pub matter: Option<Map<String, Value>>,
}

pub struct Conversion {
    pub lead: Lead,
    pub client: Client,
    pub matter: Option<Matter>,
}

impl Service {
    pub async fn create_lead(&self, actor: &Actor, doc: &Map<String, Value>) -> ServiceResult<Lead> {
        actor.require(Scope::LeadsWrite)?;
        let fields = parse_lead(doc, &actor.firm.settings, None).map_err(ServiceError::Invalid)?;
        self.insert(actor, fields, Vec::new()).await
    }

    pub async fn get_lead(&self, actor: &Actor, id: LeadId) -> ServiceResult<Lead> {
        actor.require(Scope::LeadsRead)?;
        self.live(actor, id).await
    }

    pub async fn list_leads(&self, actor: &Actor, request: RecordListRequest) -> ServiceResult<RecordPage<LeadFields>> {
        actor.require(Scope::LeadsRead)?;
        self.list(actor, request).await
    }

    /// JSON merge patch of a lead's writable fields (triage: `state`).
    pub async fn update_lead(&self, actor: &Actor, id: LeadId, patch: &Map<String, Value>, pre: Precondition) -> ServiceResult<Lead> {
        actor.require(Scope::LeadsWrite)?;
        let patch = Value::Object(patch.clone());
        let settings = actor.firm.settings.clone();
        self.change::<Lead>(actor, id, &pre, "updated", false, |current| {
            if current.fields.state == LeadState::Converted && patch.get("state").is_some() {
                return Err(ServiceError::LeadAlreadyConverted);
            }
            let mut doc = Value::Object(current.fields.to_document());
            // A converted lead keeps its state; only untriaged/ignored are writable.
            if current.fields.state == LeadState::Converted {
                doc.as_object_mut().map(|d| d.remove("state"));
            }
            merge_patch(&mut doc, &patch);
            let mut fields = parse_lead(doc.as_object().unwrap_or(&Map::new()), &settings, Some(&current.fields))
                .map_err(ServiceError::Invalid)?;
            if current.fields.state == LeadState::Converted {
                fields.state = LeadState::Converted;
            }
            Ok((fields != current.fields).then(|| Changed::to(Stored { fields, ..current.clone() })))
        })
        .await
    }

    /// Creates the client (and the matter, when asked) from the lead and marks
    /// it converted, all in one transaction.
    pub async fn convert_lead(&self, actor: &Actor, id: LeadId, request: ConvertRequest) -> ServiceResult<Conversion> {
        actor.require(Scope::LeadsWrite)?;
        actor.require(Scope::ClientsWrite)?;
        if request.matter.is_some() {
            actor.require(Scope::MattersWrite)?;
        }
        let definitions = Definitions {
            client: self.custom_field_definitions(actor, Entity::Client).await?,
            matter: self.custom_field_definitions(actor, Entity::Matter).await?,
        };
        let (request, definitions) = (&request, &definitions);
        until_settled("lead", || async move {
            let lead: Lead = self.live(actor, id).await?;
            if lead.fields.state == LeadState::Converted {
                return Err(ServiceError::LeadAlreadyConverted);
            }
            let mut conversion = self.conversion(actor, &lead, request, definitions)?;
            match self.commit(conversion.writes(actor, &lead)).await {
                Ok(seqs) => {
                    // Inserts in order: the client, then the matter.
                    conversion.client.seq = seqs.first().copied().unwrap_or_default();
                    if let Some(m) = conversion.matter.as_mut() {
                        m.seq = seqs.get(1).copied().unwrap_or_default();
                    }
                    conversion.client.matters_count = i64::from(conversion.matter.is_some());
                    Ok(Round::Done(conversion))
                }
                Err(StoreError::VersionMismatch) => Ok(Round::Raced),
                // A reference of the new client or matter: name it as the request did.
                Err(StoreError::MissingReference(r)) => Err(ServiceError::invalid(&format!("{}.{}", r.on, r.field), r.target.expectation())),
                Err(e) => Err(record_error(RecordKind::Lead, e)),
            }
        })
        .await
    }

    /// What converting `lead` makes: the client, the matter if asked, and the
    /// converted lead. Every problem with the client and the matter is
    /// reported at once.
    fn conversion(&self, actor: &Actor, lead: &Lead, request: &ConvertRequest, definitions: &Definitions) -> ServiceResult<Conversion> {
        let now = Timestamp::now();
        let mut errors = Vec::new();
        let client_id = ClientId::generate();
        let client = match self.client_from_lead(actor, lead, &request.client) {
            Ok(mut fields) => {
                normalize(&definitions.client, &mut fields.custom_fields);
                errors.extend(prefixed("client", validate(&definitions.client, &fields.custom_fields)));
                Some(new_client(actor, client_id, fields, now))
            }
            Err(e) => {
                errors.extend(prefixed("client", e));
                None
            }
        };
        let matter = request.matter.as_ref().and_then(|doc| {
            let mut doc = doc.clone();
            if doc.contains_key("client_id") {
                errors.push(FieldError::new("matter.client_id", "is the converted client; leave it out"));
            }
            doc.insert("client_id".into(), Value::String(client_id.to_string()));
            match parse_matter(&doc, Some(lead.id())) {
                Ok(mut fields) => {
                    normalize(&definitions.matter, &mut fields.custom_fields);
                    errors.extend(prefixed("matter", validate(&definitions.matter, &fields.custom_fields)));
                    Some(Stored::new(actor.firm.id, fields))
                }
                Err(e) => {
                    errors.extend(prefixed("matter", e));
                    None
                }
            }
        });
        let Some(client) = client.filter(|_| errors.is_empty()) else {
            return Err(ServiceError::Invalid(errors));
        };
        let mut converted = lead.clone();
        converted.fields.state = LeadState::Converted;
        converted.fields.client_id = Some(client.id);
        converted.fields.matter_id = matter.as_ref().map(|m| m.id());
        converted.fields.converted_at = Some(now);
        converted.follow(lead);
        Ok(Conversion { lead: converted, client, matter })
    }

    /// The fields of the client a lead becomes: a person with the lead's names
    /// and contact details, with `overrides` merged over them. A person needs
    /// both names; a lead without one must supply it in `overrides`.
    fn client_from_lead(&self, actor: &Actor, lead: &Lead, overrides: &Map<String, Value>) -> Result<ClientFields, Vec<FieldError>> {
        let f = &lead.fields;
        let mut doc = serde_json::json!({
            "kind": "person",
            "first_name": f.first_name,
            "last_name": f.last_name,
            "email": f.email.as_ref().map(|e| e.as_str()),
            "phone": f.phone.as_ref().map(|p| p.as_str()),
            "source": f.source,
            "custom_fields": f.custom_fields,
        });
        merge_patch(&mut doc, &Value::Object(overrides.clone()));
        parse_document(doc.as_object().unwrap_or(&Map::new()), &actor.firm.settings)
    }
}

/// The custom field definitions a conversion validates against.
struct Definitions {
    client: Vec<CustomFieldFields>,
    matter: Vec<CustomFieldFields>,
}

impl Conversion {
    /// The lead first: a second conversion racing this one fails on the
    /// lead's version (409 lead_already_converted) before its client could
    /// collide on the email. References (the client's company, the matter's
    /// contact) are checked by the store once all of these have run.
    fn writes(&self, actor: &Actor, lead: &Lead) -> Vec<Write> {
        let client = &self.client;
        let mut writes = vec![Write::update_record(lead, &self.lead)];
        writes.push(Write::insert_client(client));
        writes.push(Write::Event(actor.event("client.created", "client", client.id.to_string(), None, Some(client.snapshot()))));
        if let Some(m) = &self.matter {
            writes.push(Write::insert_record(m));
            writes.push(Write::Event(created_event(actor, m)));
        }
        writes.push(Write::Event(Lead::event(actor, "converted", lead, &self.lead)));
        writes
    }
}

fn new_client(actor: &Actor, id: ClientId, fields: ClientFields, now: Timestamp) -> Client {
    Client { id, firm_id: actor.firm.id, seq: 0, fields, matters_count: 0, version: 1, created_at: now, updated_at: now, deleted_at: None, merged_into: None }
}

fn prefixed(prefix: &str, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors.into_iter().map(|e| FieldError::new(format!("{prefix}.{}", e.field), e.message)).collect()
}
