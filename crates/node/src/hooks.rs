//! What a node asks of the primary's writer when it has one: the node
//! takes dynamic updates and `hadns ctl sync` without knowing the store,
//! through these traits, which the writer implements.

use std::future::Future;
use std::pin::Pin;

use answer::update::UpdateTicket;
use wire::Name;

/// A future a hook returns (boxed: hooks are trait objects).
pub type HookFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Applies RFC 2136 updates the transports accepted.
pub trait UpdateSink: Send + Sync {
    /// Applies `ticket` (for the lane at index `lane`) and returns the
    /// signed reply to send, once the change is committed or refused.
    fn update(&self, ticket: UpdateTicket, lane: usize) -> HookFuture<'_, Vec<u8>>;
}

/// Control-socket commands about zones the node does not keep itself.
pub trait ControlHooks: Send + Sync {
    /// `sync ZONE`: re-read a store zone another process changed; the text
    /// says what happened, the error why it could not.
    fn sync(&self, zone: Name) -> HookFuture<'_, Result<String, String>>;
}
