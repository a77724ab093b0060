//! hadns's own endpoints beside the PowerDNS ones: a zone's history (one
//! entry per change of served data), the difference each change made,
//! reverting to an earlier serial, and the replication state of the node's
//! zones.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One journal entry: a committed change of served data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// Serial before the change (0 for the change that created the zone).
    pub serial_from: u32,
    /// Serial after the change: the entry's key in `…/history/{serial}`.
    pub serial_to: u32,
    /// Who: the API token's user and name, a TSIG key for UPDATE, …
    #[schema(example = "admin (token ci)")]
    pub author: String,
    /// Through which door: `api`, `update`, `ui` or `import`.
    #[schema(example = "api")]
    pub source: String,
    /// Unix time of the commit.
    pub changed_at: u64,
    /// The reason given, if any.
    pub comment: Option<String>,
    /// How many records it removed, the old SOA included.
    pub removed_count: usize,
    /// How many records it added, the new SOA included.
    pub added_count: usize,
    /// The view whose copy of the zone it changed; absent for the base
    /// data (which every view without data of its own serves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
}

/// A record in a difference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangedRecord {
    /// Owner name, absolute.
    pub name: String,
    /// Type mnemonic.
    #[serde(rename = "type")]
    pub rtype: String,
    /// TTL.
    pub ttl: u32,
    /// RDATA in canonical presentation format.
    pub content: String,
}

/// `GET …/history/{serial}`: one change with the records it removed and
/// added (the old SOA first in `removed`, the new SOA first in `added`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangeDiff {
    /// The journal entry.
    pub change: HistoryEntry,
    /// Served records removed.
    pub removed: Vec<ChangedRecord>,
    /// Served records added.
    pub added: Vec<ChangedRecord>,
}

/// `POST …/revert`: bring the served data back to what it was at `serial`,
/// as a new change (history is never rewritten).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RevertRequest {
    /// The serial to go back to: one the journal produced.
    #[serde(deserialize_with = "crate::pdns::whole::u32")]
    pub serial: u32,
    /// Why (stored in the journal); defaults to `revert to serial N`.
    #[serde(default)]
    pub comment: Option<String>,
}

/// The outcome of a revert, or of its dry run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RevertResult {
    /// True when nothing was written (`?dry_run=true`).
    pub dry_run: bool,
    /// The serial before.
    pub serial_from: u32,
    /// The new serial (equal to `serial_from` when nothing had to change).
    pub serial_to: u32,
    /// Served records removed, the old SOA first.
    pub removed: Vec<ChangedRecord>,
    /// Served records added, the new SOA first.
    pub added: Vec<ChangedRecord>,
}

/// `GET /api/v1/cluster`: the replication state of every zone this node
/// serves under replication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Cluster {
    /// The node's name.
    pub node: String,
    /// Zones, by name.
    pub zones: Vec<ZoneReplication>,
}

/// One zone's replication state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ZoneReplication {
    /// The zone, absolute.
    pub zone: String,
    /// The view whose copy this is; absent on a node without views.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
    /// `primary` or `secondary`.
    pub role: String,
    /// The serial served here, if any.
    pub serial: Option<u32>,
    /// The IXFR journal this node answers from.
    pub journal: Option<JournalSpan>,
    /// The configured NOTIFY targets (secondaries of this zone).
    pub targets: Vec<NotifyTarget>,
    /// For a secondary zone: its refresh state.
    pub secondary: Option<SecondaryState>,
    /// For a member of a consumed catalog zone (RFC 9432): the catalog
    /// that provisioned it; absent for configured zones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
}

/// The serials an IXFR journal covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JournalSpan {
    /// The oldest serial IXFR can start from.
    pub first_serial: Option<u32>,
    /// The newest serial.
    pub last_serial: Option<u32>,
    /// How many changes it holds.
    pub entries: usize,
}

/// A NOTIFY target and what is known of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotifyTarget {
    /// `ADDRESS:PORT`.
    pub address: String,
    /// Serial of the last NOTIFY sent to it.
    pub notified_serial: Option<u32>,
    /// Unix time the last NOTIFY was acknowledged.
    pub acknowledged_at: Option<u64>,
    /// The serial that acknowledgement was for: older than
    /// `notified_serial` while the newest NOTIFY is unacknowledged.
    pub acknowledged_serial: Option<u32>,
    /// Why the last NOTIFY failed, if it did.
    pub error: Option<String>,
    /// The serial it answered for the zone's SOA just now (`probe=true`,
    /// the default), if it answered.
    pub serial: Option<u32>,
    /// How many serials it is behind this node (RFC 1982 distance), when
    /// its serial is known; 0 when in step.
    pub lag: Option<u32>,
    /// Why the SOA probe got no serial, if it did not.
    pub probe_error: Option<String>,
}

/// A secondary zone's refresh state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SecondaryState {
    /// The primaries it transfers from.
    pub primaries: Vec<String>,
    /// Unix time of the last successful check (SOA query or transfer).
    pub last_check: Option<u64>,
    /// Unix time of the last successful transfer.
    pub last_transfer: Option<u64>,
    /// Unix time of the next scheduled check.
    pub next_refresh: u64,
    /// Unix time the copy expires, if it has one.
    pub expires_at: Option<u64>,
    /// Whether the copy has expired (the zone answers SERVFAIL).
    pub expired: bool,
    /// The most recent failure, if the last attempt failed.
    pub last_error: Option<String>,
}

/// `GET /api/v1/views`: a `[[view]]` of the configuration and what the
/// store zones hold of their own in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ViewInfo {
    /// The view's name, as `view=` takes it on the zone endpoints.
    pub name: String,
    /// Its place in match order (0 is tried first).
    pub order: usize,
    /// The store zones, each as this view serves it.
    pub zones: Vec<ViewZone>,
}

/// One store zone as a view serves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ViewZone {
    /// The zone, absolute.
    pub zone: String,
    /// The serial of the view's copy (the base's while the view has
    /// nothing of its own).
    pub serial: u32,
    /// How many RRsets the view has of its own (in place of the base's).
    pub own_rrsets: usize,
    /// How many of the base's RRsets the view hides.
    pub hidden_rrsets: usize,
}

/// `POST /api/v1/control`: one `hadns ctl` command, run by the same
/// dispatch as the node's control socket. The answer is the command's
/// JSON, as `hadns ctl --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlRequest {
    /// `status`, `zones`, `zone-status`, `notify`, `refresh`,
    /// `retransfer`, `reload`, `sync` or `stop`. A read-only token may
    /// run `status`, `zones` and `zone-status`.
    #[schema(example = "zone-status")]
    pub command: String,
    /// The zone, for `zone-status`, `notify`, `refresh`, `retransfer`
    /// and `sync`.
    #[serde(default)]
    #[schema(example = "example.com.")]
    pub zone: Option<String>,
    /// The zone's view, on a node with views where it is in several.
    #[serde(default)]
    pub view: Option<String>,
}

/// One event of the audit log (`GET /api/v1/audit`): who did what, when,
/// from where, and whether it worked. Never holds a password or a token
/// secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// The event's position: larger is newer; pass it as `before` to read
    /// what came before it.
    pub id: u64,
    /// Unix time of the event.
    pub at: u64,
    /// The same time in RFC 3339, UTC.
    #[schema(example = "2026-03-01T12:00:00Z")]
    pub time: String,
    /// The user: logged in to the UI, owner of the API token, or the name
    /// typed at a login.
    #[schema(example = "admin")]
    pub user: String,
    /// The API token's name, for actions through the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The client's address, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "127.0.0.1")]
    pub client: Option<String>,
    /// What was done: `login`, `logout`, `session.revoke`,
    /// `password.change`, `user.create`, `user.delete`, `user.disable`,
    /// `user.enable`, `user.password_reset`, `user.role`, `grant.add`,
    /// `grant.revoke`, `token.create`, `token.revoke`, `zone.create`,
    /// `zone.delete`, `zone.settings`, `zone.revert`, `zone.import`,
    /// `zone.notify`, `zone.refresh` or `zone.retransfer`.
    #[schema(example = "zone.create")]
    pub action: String,
    /// What it was done to: a zone (absolute), a user or a token; empty
    /// when none.
    #[schema(example = "example.com.")]
    pub target: String,
    /// A short note: why it failed, a token's scope, …
    pub detail: String,
    /// `success` or `failure`.
    #[schema(example = "success")]
    pub outcome: String,
}

/// A page of the audit log, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditList {
    /// The events.
    pub events: Vec<AuditEntry>,
    /// When more events match: the `before` of the next (older) page.
    pub older: Option<u64>,
}

impl From<store::AuditRecord> for AuditEntry {
    fn from(record: store::AuditRecord) -> AuditEntry {
        let event = record.event;
        AuditEntry {
            id: record.id,
            at: event.at,
            time: wire::time::rfc3339(event.at),
            user: event.user,
            token: event.token,
            client: event.client.map(|c| c.to_string()),
            action: event.action.as_str().to_string(),
            target: event.target,
            detail: event.detail,
            outcome: event.outcome.as_str().to_string(),
        }
    }
}

impl From<store::AuditPage> for AuditList {
    fn from(page: store::AuditPage) -> AuditList {
        AuditList {
            events: page.records.into_iter().map(AuditEntry::from).collect(),
            older: page.older,
        }
    }
}

/// `GET`/`PUT /api/v1/servers/localhost/zones/{zone}/settings`: a store
/// zone's settings page as JSON. The SOA fields are the apex SOA's (the
/// serial is the server's: shown, never taken); a PUT changes the SOA as
/// one journaled change when a field differs. The rule fields are the
/// zone's own: `null` is not set (the configuration decides); a key in
/// `configured` that hadns.toml writes wins, and what a PUT gives for it
/// is not used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ZoneSettingsBody {
    /// The SOA's MNAME.
    pub mname: String,
    /// The SOA's RNAME, as a mailbox (`hostmaster@example.com`) or a name.
    pub rname: String,
    /// REFRESH: seconds, or text with units (`"3h"`).
    pub refresh: Seconds,
    /// RETRY.
    pub retry: Seconds,
    /// EXPIRE.
    pub expire: Seconds,
    /// MINIMUM (negative-caching TTL).
    pub minimum: Seconds,
    /// The SOA serial (read only).
    #[serde(default)]
    pub serial: u32,
    /// `increment`, `date` or `epoch`.
    pub serial_policy: String,
    /// TTL of new records in the web UI; `null`: 3600.
    #[serde(default)]
    pub default_ttl: Option<Seconds>,
    /// NOTIFY targets (`ADDR[:PORT][ key NAME]`); `[]` sends none.
    #[serde(default)]
    pub notify: Option<Vec<String>>,
    /// The key signing NOTIFYs.
    #[serde(default)]
    pub notify_key: Option<String>,
    /// Who may transfer (match list elements).
    #[serde(default)]
    pub allow_transfer: Option<Vec<String>>,
    /// Who may update (match list elements).
    #[serde(default)]
    pub allow_update: Option<Vec<String>>,
    /// The catalog member's `group`.
    #[serde(default)]
    pub catalog_group: Option<String>,
    /// The keys hadns.toml writes for this zone, with its values (read
    /// only; ignored in a PUT).
    #[serde(default)]
    pub configured: std::collections::BTreeMap<String, String>,
    /// What is legal but unwise (RFC 1912), by key (read only).
    #[serde(default)]
    pub warnings: std::collections::BTreeMap<String, String>,
}

/// A time: seconds as a number, or text with units as in zone files
/// (`"1h30m"`, `"2d"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Seconds {
    /// Seconds.
    Number(u32),
    /// Text with units.
    Text(String),
}

impl Seconds {
    /// As typed on the settings page.
    pub fn text(&self) -> String {
        match self {
            Seconds::Number(n) => n.to_string(),
            Seconds::Text(t) => t.clone(),
        }
    }
}
