//! The [`Manager`] as the node sees it: where the transports hand RFC 2136
//! updates, and what `hadns ctl sync` asks for.

use std::sync::Arc;

use answer::update::UpdateTicket;
use node::hooks::{ControlHooks, HookFuture, UpdateSink};
use wire::Name;

use crate::manager::Manager;

/// The node's hooks into a [`Manager`].
pub struct NodeHooks(pub Arc<Manager>);

impl UpdateSink for NodeHooks {
    fn update(&self, ticket: UpdateTicket, lane: usize) -> HookFuture<'_, Vec<u8>> {
        Box::pin(self.0.update(ticket, lane))
    }
}

impl ControlHooks for NodeHooks {
    fn sync(&self, zone: Name) -> HookFuture<'_, Result<String, String>> {
        Box::pin(async move { self.0.sync_zone(&zone).await.map_err(|e| e.to_string()) })
    }
}
