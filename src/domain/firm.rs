//! Firms (tenants) and their settings.

use serde::{Deserialize, Serialize};

use super::ids::FirmId;
use super::phone::Region;
use super::time::Timestamp;

#[derive(Debug, Clone)]
pub struct Firm {
    pub id: FirmId,
    /// Per-table integer id (what integer-id dialects show as an account id);
    /// 0 until the firm is inserted.
    pub seq: i64,
    pub name: String,
    pub settings: FirmSettings,
    pub created_at: Timestamp,
}

/// Per-firm choices that shape validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirmSettings {
    /// ISO 3166 region for phone numbers written without a country code.
    pub default_phone_region: String,
    /// Statuses a client may have; the first is the default for new clients.
    pub client_statuses: Vec<String>,
    /// Days a soft-deleted record stays restorable before it is purged.
    pub retention_days: u32,
    /// Requests a minute each of the firm's keys may make, unless the key
    /// has its own limit; `None` means the server's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_minute: Option<u32>,
}

impl Default for FirmSettings {
    fn default() -> Self {
        Self {
            default_phone_region: "US".into(),
            client_statuses: vec!["active".into(), "inactive".into(), "closed".into()],
            retention_days: 30,
            rate_limit_per_minute: None,
        }
    }
}

impl FirmSettings {
    pub fn phone_region(&self) -> Region {
        Region::parse(&self.default_phone_region).unwrap_or_default()
    }

    pub fn default_status(&self) -> &str {
        self.client_statuses.first().map(String::as_str).unwrap_or("active")
    }

    pub fn allows_status(&self, status: &str) -> bool {
        self.client_statuses.iter().any(|s| s == status)
    }
}
