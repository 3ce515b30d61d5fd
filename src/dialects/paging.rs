//! Numbered pages, as CalmIntake, ActuallyCare and Clemta page their lists:
//! `page` from 1, a page size, and the total. Offset paging over the
//! canonical list (its keyset cursor is for `/v1` and Clio Grow).

use crate::api::extract::ParamReader;
use crate::domain::client::query::{ClientFilter, ClientSort};
use crate::domain::client::Client;
use crate::service::clients::ListRequest;
use crate::service::paging::{Counting, MAX_PAGE};
use crate::service::{Actor, Service, ServiceResult};

use super::common::{int_param, MAX_PAGE_NUMBER};

/// A vendor's numbered pages: its parameters' names and its default size.
#[derive(Debug, Clone, Copy)]
pub struct NumberedPages {
    pub page: &'static str,
    pub size: &'static str,
    pub default_size: u64,
}

/// The page a list request asks for.
#[derive(Debug, Clone, Copy)]
pub struct NumberedPage {
    pub number: u64,
    pub size: u64,
}

impl NumberedPages {
    /// The page and size parameters (1 and the default when absent).
    pub fn read(&self, p: &mut ParamReader<'_>) -> NumberedPage {
        let number = int_param(p, self.page, 1, MAX_PAGE_NUMBER).unwrap_or(1);
        let size = int_param(p, self.size, 1, MAX_PAGE as u64).unwrap_or(self.default_size);
        NumberedPage { number, size }
    }
}

impl NumberedPage {
    /// The canonical list request for this page, counting the total (numbered
    /// pages report it).
    fn request(&self, filter: ClientFilter, sort: ClientSort) -> ListRequest {
        ListRequest {
            filter,
            sort,
            cursor: None,
            offset: (self.number - 1) * self.size,
            limit: Some(self.size as usize),
            count: Counting::Exact,
        }
    }

    pub fn has_more(&self, total: u64) -> bool {
        self.number * self.size < total
    }

    /// This page of the firm's clients, with the total.
    pub async fn clients(&self, service: &Service, actor: &Actor, filter: ClientFilter, sort: ClientSort) -> ServiceResult<ClientsPage> {
        let found = service.list_clients(actor, self.request(filter, sort)).await?;
        let total = found.total.map_or(0, |t| t.count);
        Ok(ClientsPage { clients: found.items, number: self.number, size: self.size, total, has_more: self.has_more(total) })
    }
}

/// A numbered page of clients and what the vendors report of it.
pub struct ClientsPage {
    pub clients: Vec<Client>,
    pub number: u64,
    pub size: u64,
    pub total: u64,
    pub has_more: bool,
}
