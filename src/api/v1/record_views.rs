//! Response bodies (and documented request bodies) of matters, notes, leads,
//! users, custom fields, custom actions and intake tokens.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::views::Pagination;
use crate::domain::custom_field::CustomFieldFields;
use crate::domain::matter::{MatterFields, Money};
use crate::domain::record::Stored;
use crate::domain::{custom_action::CustomActionFields, custom_action::IntakeTokenFields, lead::LeadFields, note::NoteFields, user::UserFields};

/// What every record shows besides its own fields.
#[derive(Serialize, ToSchema)]
pub struct Meta {
    pub version: i64,
    #[schema(example = "2026-01-15T10:30:00.000Z")]
    pub created_at: String,
    pub updated_at: String,
}

pub(crate) fn meta<F>(r: &Stored<F>) -> Meta {
    Meta { version: r.version, created_at: r.created_at.to_string(), updated_at: r.updated_at.to_string() }
}

fn id<F: crate::domain::record::RecordFields>(r: &Stored<F>) -> String {
    r.id().to_string()
}

/// One record, or one page of records, of a view type.
macro_rules! envelopes {
    ($view:ident, $one:ident, $list:ident) => {
        #[derive(Serialize, ToSchema)]
        pub struct $one {
            pub data: $view,
        }

        #[derive(Serialize, ToSchema)]
        pub struct $list {
            pub data: Vec<$view>,
            pub pagination: Pagination,
        }
    };
}

#[derive(Serialize, ToSchema)]
pub struct MoneyView {
    /// Minor units (cents).
    #[schema(example = 500000)]
    pub amount: i64,
    #[schema(example = "USD")]
    pub currency: String,
}

impl From<&Money> for MoneyView {
    fn from(m: &Money) -> Self {
        Self { amount: m.amount, currency: m.currency.clone() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MatterView {
    #[schema(example = "mat_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    pub id: String,
    /// Null only for a matter kept when its client was erased (`matters: detach`).
    pub client_id: Option<String>,
    #[schema(example = "Estate of J. Smith")]
    pub title: String,
    pub description: Option<String>,
    /// `open`, `pending` or `closed`.
    #[schema(value_type = crate::api::openapi::MatterStatusName, example = "open")]
    pub status: &'static str,
    #[schema(example = "personal_injury")]
    pub practice_area: Option<String>,
    pub projected_value: Option<MoneyView>,
    pub location: Option<String>,
    /// `YYYY-MM-DD`.
    pub hired_date: Option<String>,
    pub primary_contact_id: Option<String>,
    /// The lead this matter was converted from.
    pub lead_id: Option<String>,
    /// Another system's id for the matter.
    pub external_id: Option<String>,
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    #[serde(flatten)]
    pub meta: Meta,
}

impl From<&Stored<MatterFields>> for MatterView {
    fn from(m: &Stored<MatterFields>) -> Self {
        let f = &m.fields;
        Self {
            id: id(m),
            client_id: f.client_id.map(|c| c.to_string()),
            title: f.title.clone(),
            description: f.description.clone(),
            status: f.status.as_str(),
            practice_area: f.practice_area.clone(),
            projected_value: f.projected_value.as_ref().map(MoneyView::from),
            location: f.location.clone(),
            hired_date: f.hired_date.map(|d| d.to_string()),
            primary_contact_id: f.primary_contact_id.map(|c| c.to_string()),
            lead_id: f.lead_id.map(|l| l.to_string()),
            external_id: f.external_id.clone(),
            custom_fields: f.custom_fields.clone(),
            meta: meta(m),
        }
    }
}
envelopes!(MatterView, MatterEnvelope, MatterList);

crate::contract_body!(MatterWrite, crate::domain::matter::MATTER);
crate::contract_body!(MatterPatch, crate::domain::matter::MATTER, patch);

#[derive(Serialize, ToSchema)]
pub struct AuthorView {
    pub user_id: Option<String>,
    pub key_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NoteView {
    #[schema(example = "note_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matter_id: Option<String>,
    #[schema(example = "Follow-up call")]
    pub subject: Option<String>,
    #[schema(example = "Discussed project timeline and next steps.")]
    pub body: String,
    pub author: AuthorView,
    #[serde(flatten)]
    pub meta: Meta,
}

impl From<&Stored<NoteFields>> for NoteView {
    fn from(n: &Stored<NoteFields>) -> Self {
        let f = &n.fields;
        Self {
            id: id(n),
            client_id: f.client_id.map(|c| c.to_string()),
            matter_id: f.matter_id.map(|m| m.to_string()),
            subject: f.subject.clone(),
            body: f.body.clone(),
            author: AuthorView {
                user_id: f.author.user_id.map(|u| u.to_string()),
                key_id: f.author.key_id.map(|k| k.to_string()),
            },
            meta: meta(n),
        }
    }
}
envelopes!(NoteView, NoteEnvelope, NoteList);

crate::contract_body!(NoteWrite, crate::domain::note::NOTE);
crate::contract_body!(NotePatch, crate::domain::note::NOTE, patch);

#[derive(Serialize, ToSchema)]
pub struct LeadView {
    #[schema(example = "lead_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// As a client's `phone`: E.164, or as written when unverified.
    pub phone: Option<String>,
    /// As a client's `phone_verified`.
    pub phone_verified: Option<bool>,
    pub message: Option<String>,
    pub source: Option<String>,
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    /// `untriaged`, `ignored` or `converted`.
    #[schema(value_type = crate::api::openapi::LeadStateName, example = "untriaged")]
    pub state: &'static str,
    pub client_id: Option<String>,
    pub matter_id: Option<String>,
    pub converted_at: Option<String>,
    #[serde(flatten)]
    pub meta: Meta,
}

impl From<&Stored<LeadFields>> for LeadView {
    fn from(l: &Stored<LeadFields>) -> Self {
        let f = &l.fields;
        Self {
            id: id(l),
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            email: f.email.as_ref().map(|e| e.to_string()),
            phone: f.phone.as_ref().map(|p| p.as_str().to_string()),
            phone_verified: f.phone.as_ref().map(|p| p.is_verified()),
            message: f.message.clone(),
            source: f.source.clone(),
            custom_fields: f.custom_fields.clone(),
            state: f.state.as_str(),
            client_id: f.client_id.map(|c| c.to_string()),
            matter_id: f.matter_id.map(|m| m.to_string()),
            converted_at: f.converted_at.map(|t| t.to_string()),
            meta: meta(l),
        }
    }
}
envelopes!(LeadView, LeadEnvelope, LeadList);

crate::contract_body!(LeadWrite, crate::domain::lead::LEAD);
crate::contract_body!(LeadPatch, crate::domain::lead::LEAD, patch);

crate::contract_body!(LeadConvert, crate::domain::lead::CONVERT);

#[derive(Serialize, ToSchema)]
pub struct ConversionView<'a> {
    pub lead: LeadView,
    pub client: super::views::ClientView<'a>,
    pub matter: Option<MatterView>,
}

#[derive(Serialize, ToSchema)]
pub struct ConversionEnvelope<'a> {
    pub data: ConversionView<'a>,
}

crate::contract_body!(IntakeSubmission, crate::domain::lead::INTAKE);

#[derive(Serialize, ToSchema)]
pub struct UserView {
    #[schema(example = "usr_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// `owner`, `admin` or `member`.
    #[schema(value_type = crate::api::openapi::UserRoleName)]
    pub role: &'static str,
    #[serde(flatten)]
    pub meta: Meta,
}

impl From<&Stored<UserFields>> for UserView {
    fn from(u: &Stored<UserFields>) -> Self {
        let f = &u.fields;
        Self {
            id: id(u),
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            email: f.email.to_string(),
            role: f.role.as_str(),
            meta: meta(u),
        }
    }
}
envelopes!(UserView, UserEnvelope, UserList);

crate::contract_body!(UserWrite, crate::domain::user::USER);
crate::contract_body!(UserPatch, crate::domain::user::USER, patch);

#[derive(Serialize, ToSchema)]
pub struct CustomFieldView {
    #[schema(example = "cfd_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    pub id: String,
    /// `client` or `matter`.
    #[schema(value_type = crate::api::openapi::CustomFieldEntityName)]
    pub entity: &'static str,
    #[schema(example = "budget_max")]
    pub key: String,
    pub label: String,
    /// `text`, `number`, `boolean`, `date`, `enum` or `json`.
    #[serde(rename = "type")]
    #[schema(value_type = crate::api::openapi::CustomFieldTypeName)]
    pub field_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    pub required: bool,
    #[serde(flatten)]
    pub meta: Meta,
}

impl From<&Stored<CustomFieldFields>> for CustomFieldView {
    fn from(c: &Stored<CustomFieldFields>) -> Self {
        let f = &c.fields;
        Self {
            id: id(c),
            entity: f.entity.as_str(),
            key: f.key.clone(),
            label: f.label.clone(),
            field_type: f.field_type.as_str(),
            options: f.options.clone(),
            required: f.required,
            meta: meta(c),
        }
    }
}
envelopes!(CustomFieldView, CustomFieldEnvelope, CustomFieldList);

crate::contract_body!(CustomFieldWrite, crate::domain::custom_field::DEFINITION);
crate::contract_body!(CustomFieldPatch, crate::domain::custom_field::DEFINITION, patch);

#[derive(Serialize, ToSchema)]
pub struct CustomActionView {
    #[schema(example = "cact_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    pub id: String,
    #[schema(example = "Send Email")]
    pub label: String,
    #[schema(example = "matters/show")]
    pub ui_reference: String,
    pub target_url: Option<String>,
    #[serde(flatten)]
    pub meta: Meta,
}

impl From<&Stored<CustomActionFields>> for CustomActionView {
    fn from(c: &Stored<CustomActionFields>) -> Self {
        let f = &c.fields;
        Self {
            id: id(c),
            label: f.label.clone(),
            ui_reference: f.ui_reference.clone(),
            target_url: f.target_url.clone(),
            meta: meta(c),
        }
    }
}
envelopes!(CustomActionView, CustomActionEnvelope, CustomActionList);

crate::contract_body!(CustomActionWrite, crate::domain::custom_action::ACTION);
crate::contract_body!(CustomActionPatch, crate::domain::custom_action::ACTION, patch);

#[derive(Serialize, ToSchema)]
pub struct NonceView {
    /// Send as `?custom_action_nonce=` once, within 60 seconds.
    pub nonce: String,
    pub custom_action_id: String,
    pub expires_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct NonceEnvelope {
    pub data: NonceView,
}

#[derive(Serialize, ToSchema)]
pub struct IntakeTokenView {
    #[schema(example = "itk_01JD3M9ZK6Q4T0V8X2Y5B7C9EF")]
    pub id: String,
    pub name: Option<String>,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    /// The token itself: only in the response that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(flatten)]
    pub meta: Meta,
}

impl From<&Stored<IntakeTokenFields>> for IntakeTokenView {
    fn from(t: &Stored<IntakeTokenFields>) -> Self {
        Self { id: id(t), name: t.fields.name.clone(), prefix: t.fields.prefix.clone(), token: None, meta: meta(t) }
    }
}
envelopes!(IntakeTokenView, IntakeTokenEnvelope, IntakeTokenList);

crate::contract_body!(IntakeTokenWrite, crate::domain::custom_action::TOKEN);
