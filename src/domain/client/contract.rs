//! The writable fields of a client, declared once (see `domain::contract`).

pub use crate::domain::contract::{CUSTOM_FIELDS, EXTERNAL_ID, VERSION};
use crate::domain::contract::{Contract, Field, Kind};

const NAME: Kind = Kind::Name { max: 200 };
pub const LABEL: Field = Field::new("label", Kind::Text { max: 50 }, "What the entry is (`work`, `home` …).");
const OTHERS: usize = 10;

pub const KIND: Field = Field::new("kind", Kind::Enum(&["person", "company"]), "`person` (the default) or `company`.").example("person");
pub const FIRST_NAME: Field = Field::new("first_name", NAME, "A person's given name(s); none for a person known by a single name.").example("David");
pub const LAST_NAME: Field = Field::new("last_name", NAME, "Required for a person: the family name, or the only name of a person known by one.").example("Johnson");
pub const COMPANY_NAME: Field = Field::new("name", NAME, "Required for a company; derived (read-only) for a person.");
pub const EMAIL: Field = Field::new(
    "email",
    Kind::Email,
    "Unique per firm: addresses that differ only in case, width or the form of an international domain are one.",
)
.example("david.johnson@example.com");
pub const PHONE: Field = Field::new(
    "phone",
    Kind::Phone,
    "Any common format (an extension as `x12` or `ext. 12`; the firm's default region applies). Stored as E.164 \
     (`+12125550187;ext=12`) when it can exist in its country's plan, else as written, with `phone_verified` false.",
)
.example("(555) 123-4567");
pub const ADDRESS: Field = Field::new("address", Kind::Object(&ADDRESS_FIELDS), "");
pub const OTHER_EMAILS: Field = Field::new("other_emails", Kind::Objects { of: &LABELED_EMAIL, max_items: OTHERS }, "");
pub const OTHER_PHONES: Field = Field::new("other_phones", Kind::Objects { of: &LABELED_PHONE, max_items: OTHERS }, "");
pub const OTHER_ADDRESSES: Field = Field::new("other_addresses", Kind::Objects { of: &LABELED_ADDRESS, max_items: OTHERS }, "");
pub const DATE_OF_BIRTH: Field = Field::new("date_of_birth", Kind::Date, "Not in the future.").example("1985-06-15");
pub const COMPANY_ID: Field = Field::new("company_id", Kind::Id { prefix: "cli" }, "A company client of this firm (a person only).");
pub const STATUS: Field = Field::new("status", Kind::Status, "One of the firm's statuses (default: `active`, `inactive`, `closed`).");
pub const TAGS: Field = Field::new("tags", Kind::Strings { max_items: 50, max_chars: 64 }, "Without commas; repeats are dropped.");
pub const SOURCE: Field = Field::new("source", Kind::Text { max: 200 }, "Where the client came from.");
pub const NOTES: Field = Field::new("notes", Kind::Multiline { max: 10_000 }, "Internal notes.");
/// A client's writable fields: the body of `POST` and `PUT`, and (every field
/// optional, `null` clearing) of `PATCH`.
pub const CLIENT: Contract = Contract {
    name: "ClientWrite",
    doc: "The writable fields of a client: the body of `POST` and `PUT`, and (every field optional, `null` \
          clearing) of `PATCH`. Unknown and read-only fields are refused.",
    fields: &[
        KIND, FIRST_NAME, LAST_NAME, COMPANY_NAME, EMAIL, PHONE, ADDRESS, OTHER_EMAILS, OTHER_PHONES, OTHER_ADDRESSES,
        DATE_OF_BIRTH, COMPANY_ID, STATUS, TAGS, SOURCE, NOTES, EXTERNAL_ID, CUSTOM_FIELDS, VERSION,
    ],
    required: &[],
};

pub const LINE1: Field = Field::new("line1", Kind::Text { max: 200 }, "");
pub const LINE2: Field = Field::new("line2", Kind::Text { max: 200 }, "");
pub const CITY: Field = Field::new("city", Kind::Text { max: 100 }, "");
pub const REGION: Field = Field::new("region", Kind::Text { max: 100 }, "State, province or county.");
pub const POSTAL_CODE: Field = Field::new("postal_code", Kind::Text { max: 20 }, "");
pub const COUNTRY: Field = Field::new("country", Kind::Text { max: 100 }, "");

pub const ADDRESS_FIELDS: Contract = Contract {
    name: "AddressWrite",
    doc: "A postal address; every line optional.",
    fields: &[LINE1, LINE2, CITY, REGION, POSTAL_CODE, COUNTRY],
    required: &[],
};

pub const EMAIL_ADDRESS: Field = Field::new("address", Kind::Email, "");
pub const PHONE_NUMBER: Field = Field::new("number", Kind::Phone, "");

pub const LABELED_EMAIL: Contract = Contract {
    name: "LabeledEmailWrite",
    doc: "Another email address of the client.",
    fields: &[EMAIL_ADDRESS, LABEL],
    required: &["address"],
};

pub const LABELED_PHONE: Contract = Contract {
    name: "LabeledPhoneWrite",
    doc: "Another phone number of the client.",
    fields: &[PHONE_NUMBER, LABEL],
    required: &["number"],
};

pub const LABELED_ADDRESS: Contract = Contract {
    name: "LabeledAddressWrite",
    doc: "Another address of the client: a label and the address's lines.",
    fields: &[LABEL, LINE1, LINE2, CITY, REGION, POSTAL_CODE, COUNTRY],
    required: &[],
};
