//! Response bodies written a piece at a time on a blocking thread: a
//! large zone's RRsets or zone file are read from the store a chunk at a
//! time (`store::RrsetCursor`) and sent as they are made, so memory holds
//! one chunk, not the whole answer, and the first bytes leave at once.
//!
//! The status and headers are sent before the body, so an error while
//! the body is made can no longer change them: the body then ends early
//! (the connection is closed without the end of the chunked encoding),
//! which a client sees as a truncated response, not as a complete one.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use tokio::sync::mpsc;

/// How many pieces may wait for the client: enough to keep the writer
/// busy, few enough that a slow client holds little memory.
const QUEUED: usize = 4;

/// Where a producer puts the body's pieces.
pub(crate) struct Sink(mpsc::Sender<Result<Bytes, std::io::Error>>);

impl Sink {
    /// Sends a piece; `false` when the client has gone (stop making more).
    pub(crate) fn send(&self, piece: Vec<u8>) -> bool {
        piece.is_empty() || self.0.blocking_send(Ok(Bytes::from(piece))).is_ok()
    }

    /// Ends the body early because making it failed.
    pub(crate) fn fail(&self, error: String) {
        let _ = self.0.blocking_send(Err(std::io::Error::other(error)));
    }
}

/// A body whose pieces `produce` sends from a blocking thread.
pub(crate) fn blocking_body(produce: impl FnOnce(Sink) + Send + 'static) -> Body {
    let (sender, receiver) = mpsc::channel(QUEUED);
    tokio::task::spawn_blocking(move || produce(Sink(sender)));
    Body::from_stream(Pieces(receiver))
}

/// The receiving end as a stream of pieces.
struct Pieces(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_core::Stream for Pieces {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}
