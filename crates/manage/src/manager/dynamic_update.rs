//! RFC 2136 dynamic updates: the ticket the transports accepted, planned
//! against the served zone and applied through the write path.

use super::*;

impl Manager {
    /// Applies an RFC 2136 UPDATE that came in through lane `lane` (the
    /// view that matched the request) and returns the reply to send: the
    /// prerequisites and update section are evaluated against that lane's
    /// served snapshot under the write lock, so no other change can slip
    /// between the check and the commit; with views the change is the
    /// view's own, as each view's zone is its own in BIND.
    pub async fn update(self: &Arc<Self>, mut ticket: UpdateTicket, lane: usize) -> Vec<u8> {
        let rcode = self.update_rcode(&ticket, lane).await;
        ticket.reply(rcode, node::clock::unix_now())
    }

    pub(super) async fn update_rcode(
        self: &Arc<Self>,
        ticket: &UpdateTicket,
        lane: usize,
    ) -> Rcode {
        let apex = ticket.apex.to_lowercase();
        if self.rules.load().elsewhere.contains_key(&apex) {
            return Rcode::NOTAUTH;
        }
        let Some(view) = self.lanes.get(lane).map(|l| l.view.clone()) else {
            return Rcode::SERVFAIL;
        };
        let _writer = self.writes.lock().await;
        let Some(zone) = self.lanes[lane].replicator.current(&apex) else {
            return Rcode::SERVFAIL;
        };
        let ops = match update::plan(&zone, &ticket.message) {
            Ok(ops) => ops,
            Err(rcode) => return rcode,
        };
        if ops.is_empty() {
            return Rcode::NOERROR;
        }
        let author = match &ticket.key {
            Some(key) => format!("key {key}"),
            None => format!("address {}", ticket.client.address.ip()),
        };
        let changes = ChangeSet {
            changes: ops.into_iter().map(update_change).collect(),
        };
        let meta = ChangeMeta {
            author,
            source: Source::Update,
            comment: None,
            now: node::clock::unix_now(),
        };
        let this = Arc::clone(self);
        let result = blocking(move || {
            let applied = match &view {
                None => this.store.apply(&apex, &changes, &meta)?,
                Some(name) => this.store.apply_in_view(&apex, name, &changes, &meta)?,
            };
            this.publish_committed(view.as_deref(), &applied);
            Ok(applied)
        })
        .await;
        match result {
            Ok(applied) => {
                tracing::info!(zone = %ticket.apex, view = self.lanes[lane].view, client = %ticket.client.address, from = applied.from.0, to = applied.to.0, "dynamic update applied");
                Rcode::NOERROR
            }
            Err(ManageError::Refused(
                error @ (WriteError::Validation { .. } | WriteError::InView { .. }),
            )) => {
                tracing::info!(zone = %ticket.apex, client = %ticket.client.address, "dynamic update refused: {error}");
                Rcode::REFUSED
            }
            Err(e) => {
                tracing::error!(zone = %ticket.apex, client = %ticket.client.address, "dynamic update failed: {e}");
                Rcode::SERVFAIL
            }
        }
    }
}

/// Maps one RFC 2136 operation to the store's vocabulary.
pub(super) fn update_change(op: UpdateOp) -> RrsetChange {
    let input = |record: &Record| RecordInput {
        rdata: record.rdata.clone(),
        content: None,
        disabled: false,
    };
    let (name, rtype, op) = match op {
        // RFC 2136 §3.4.2.2: an added SOA or CNAME replaces the one there
        // (the planner has already dropped what must be ignored).
        UpdateOp::Add(record) if matches!(record.rtype, Rtype::SOA | Rtype::CNAME) => {
            let op = RrsetOp::Replace {
                ttl: record.ttl,
                records: vec![input(&record)],
            };
            (record.owner, record.rtype, op)
        }
        UpdateOp::Add(record) => {
            let op = RrsetOp::Extend {
                ttl: record.ttl,
                records: vec![input(&record)],
            };
            (record.owner, record.rtype, op)
        }
        UpdateOp::DeleteRrset(name, rtype) => (name, rtype, RrsetOp::Delete),
        UpdateOp::DeleteName(name) => (name, Rtype::ANY, RrsetOp::DeleteName),
        UpdateOp::DeleteRecord(record) => {
            let op = RrsetOp::DeleteRecord {
                rdata: record.rdata.clone(),
            };
            (record.owner, record.rtype, op)
        }
    };
    RrsetChange {
        name,
        rtype,
        op,
        comments: None,
    }
}
