//! Notes on clients and matters.

use serde_json::{Map, Value};

use super::change::Changed;
use super::precondition::Precondition;
use super::records::{RecordListRequest, RecordPage};
use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::api_key::Scope;
use crate::domain::client::merge_patch;
use crate::domain::ids::NoteId;
use crate::domain::matter::MatterFields;
use crate::domain::note::{parse_note, Author, NoteFields, NoteParent};
use crate::domain::record::{RecordFields, Stored};
use crate::store::Write;

pub type Note = Stored<NoteFields>;

impl Service {
    pub async fn create_note(&self, actor: &Actor, parent: NoteParent, doc: &Map<String, Value>) -> ServiceResult<Note> {
        actor.require(Scope::NotesWrite)?;
        self.check_note_parent(actor, parent).await?;
        let content = parse_note(doc).map_err(ServiceError::Invalid)?;
        let author = Author { user_id: actor.user_id, key_id: actor.key_id };
        self.insert(actor, NoteFields::new(parent, content, author), Vec::new())
            .await
            .map_err(|e| parent_gone(e, parent))
    }

    pub async fn get_note(&self, actor: &Actor, id: NoteId) -> ServiceResult<Note> {
        actor.require(Scope::NotesRead)?;
        self.live(actor, id).await
    }

    /// Notes of one live client or matter; a parent of another firm is 404.
    pub async fn list_notes(&self, actor: &Actor, parent: NoteParent, mut request: RecordListRequest) -> ServiceResult<RecordPage<NoteFields>> {
        actor.require(Scope::NotesRead)?;
        self.check_note_parent(actor, parent).await?;
        request.filter.parent_id = Some(match parent {
            NoteParent::Client(id) => id.as_uuid(),
            NoteParent::Matter(id) => id.as_uuid(),
        });
        self.list(actor, request).await
    }

    pub async fn update_note(&self, actor: &Actor, id: NoteId, patch: &Map<String, Value>, pre: Precondition) -> ServiceResult<Note> {
        actor.require(Scope::NotesWrite)?;
        let patch = Value::Object(patch.clone());
        self.change::<Stored<NoteFields>>(actor, id, &pre, "updated", false, |current| {
            let mut doc = Value::Object(current.fields.to_document());
            merge_patch(&mut doc, &patch);
            let content = parse_note(doc.as_object().unwrap_or(&Map::new())).map_err(ServiceError::Invalid)?;
            let fields = NoteFields { subject: content.subject, body: content.body, ..current.fields.clone() };
            Ok((fields != current.fields).then(|| Changed::to(Stored { fields, ..current.clone() })))
        })
        .await
    }

    pub async fn delete_note(&self, actor: &Actor, id: NoteId, pre: Precondition) -> ServiceResult<()> {
        actor.require(Scope::NotesWrite)?;
        self.soft_delete::<NoteFields>(actor, id, &pre).await
    }

    pub async fn restore_note(&self, actor: &Actor, id: NoteId) -> ServiceResult<Note> {
        actor.require(Scope::NotesWrite)?;
        let firm = actor.firm.id;
        self.restore::<NoteFields>(actor, id, |note| {
            note.fields.references().into_iter().map(|reference| Write::RequireLive { firm, reference }).collect()
        })
        .await
    }

    /// The parent must be a live record of the actor's firm. Reading it needs
    /// no clients or matters scope: the note scope covers seeing it exists.
    async fn check_note_parent(&self, actor: &Actor, parent: NoteParent) -> ServiceResult<()> {
        match parent {
            NoteParent::Client(id) => match self.store.get_client(actor.firm.id, id).await? {
                Some(c) if c.deleted_at.is_none() => Ok(()),
                _ => Err(ServiceError::NotFound("client")),
            },
            NoteParent::Matter(id) => self.live::<MatterFields>(actor, id).await.map(|_| ()),
        }
    }
}

/// A parent deleted between the check and the write is the same 404 as one
/// that was never there.
fn parent_gone(e: ServiceError, parent: NoteParent) -> ServiceError {
    match e {
        ServiceError::Invalid(ref errors) if errors.iter().any(|f| f.field == "client_id" || f.field == "matter_id") => {
            ServiceError::NotFound(match parent {
                NoteParent::Client(_) => "client",
                NoteParent::Matter(_) => "matter",
            })
        }
        other => other,
    }
}
