//! A graceful stop, shared by everything that must see it: SIGTERM,
//! SIGINT and `hadns ctl stop` [`request`](Shutdown::request) it; the
//! transports stop accepting when it is requested and hold a [`Hold`]
//! for each piece of work under way (a TCP connection, the HTTP server, a
//! control session), and the node waits until every hold is dropped
//! ([`Shutdown::drained`]), within a bound, before it exits.
//!
//! ```text
//!  SIGTERM / SIGINT / ctl stop ─► request ─► UDP workers stop, listeners close,
//!                                            replicators start nothing new
//!  TCP connections, transfers out, HTTP, control sessions ─ Hold … dropped ─► drained
//!  transfers in ─ Replicator::transfers_in_finished ─────────────────────────┘
//!                  (both bounded by STOP_GRACE) ─► timers saved, logs flushed, exit 0
//! ```

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// How long a stop waits for work under way (queries on TCP, transfers
/// in and out, HTTP requests) before the process exits anyway.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// The stop request and the count of work under way.
#[derive(Debug)]
pub struct Shutdown {
    requested: watch::Sender<bool>,
    in_flight: watch::Sender<usize>,
}

impl Default for Shutdown {
    fn default() -> Shutdown {
        Shutdown {
            requested: watch::Sender::new(false),
            in_flight: watch::Sender::new(0),
        }
    }
}

impl Shutdown {
    /// Asks the node to stop; later calls do nothing more.
    pub fn request(&self) {
        self.requested.send_replace(true);
    }

    /// Whether a stop has been requested.
    pub fn is_requested(&self) -> bool {
        *self.requested.borrow()
    }

    /// Resolves once a stop has been requested (at once if it has been).
    pub async fn requested(&self) {
        let mut receiver = self.requested.subscribe();
        // The sender lives in `self`, so the channel cannot close first.
        let _ = receiver.wait_for(|requested| *requested).await;
    }

    /// Counts one piece of work as under way until the hold is dropped.
    pub fn hold(self: &Arc<Self>) -> Hold {
        self.in_flight.send_modify(|n| *n += 1);
        Hold(Arc::clone(self))
    }

    /// Work under way now.
    pub fn in_flight(&self) -> usize {
        *self.in_flight.borrow()
    }

    /// Resolves once no hold is left.
    pub async fn drained(&self) {
        let mut receiver = self.in_flight.subscribe();
        let _ = receiver.wait_for(|n| *n == 0).await;
    }
}

/// One piece of work the stop waits for ([`Shutdown::hold`]).
#[derive(Debug)]
pub struct Hold(Arc<Shutdown>);

impl Drop for Hold {
    fn drop(&mut self) {
        self.0.in_flight.send_modify(|n| *n = n.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drained_waits_for_every_hold() {
        let shutdown = Arc::new(Shutdown::default());
        let first = shutdown.hold();
        let second = shutdown.hold();
        assert_eq!(shutdown.in_flight(), 2);
        drop(first);
        let waited = tokio::time::timeout(Duration::from_millis(50), shutdown.drained()).await;
        assert!(waited.is_err(), "drained with a hold left");
        drop(second);
        tokio::time::timeout(Duration::from_secs(5), shutdown.drained())
            .await
            .expect("drained once every hold is dropped");
    }

    #[tokio::test]
    async fn requested_resolves_for_waiters_before_and_after_the_request() {
        let shutdown = Arc::new(Shutdown::default());
        assert!(!shutdown.is_requested());
        let waiter = {
            let shutdown = Arc::clone(&shutdown);
            tokio::spawn(async move { shutdown.requested().await })
        };
        shutdown.request();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiter saw the request")
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), shutdown.requested())
            .await
            .expect("a later waiter sees it at once");
        assert!(shutdown.is_requested());
    }
}
