//! A store in a temporary directory with the example zone, and the small
//! builders the tests write changes with.

use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use store::{
    Applied, ChangeMeta, ChangeSet, NewZone, PasswordCost, RecordInput, RrsetChange, RrsetInput,
    RrsetOp, SerialPolicy, Source, Store, WriteError, ZoneKind,
};
use tempfile::TempDir;
use wire::{Name, Record, Rtype, Serial};

/// 2024-02-29 12:00:00 UTC.
pub const NOW: u64 = 1_709_208_000;
/// One day, in seconds.
pub const DAY: u64 = 86_400;

/// A store in its own temporary directory.
pub struct Fixture {
    /// Removed when the fixture is dropped.
    pub _dir: TempDir,
    /// The database file.
    pub path: PathBuf,
    /// The store.
    pub store: Store,
}

impl Fixture {
    /// An empty store, with the cheapest password hashing.
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("data").join("store.sqlite");
        let store = Store::open_with(&path, PasswordCost::MINIMUM).expect("store opens");
        Fixture {
            _dir: dir,
            path,
            store,
        }
    }

    /// A store holding [`example_zone`] under `policy`.
    pub fn with_example(policy: SerialPolicy) -> Fixture {
        let fixture = Fixture::new();
        fixture
            .store
            .create_zone(example_zone(policy), &meta(NOW))
            .expect("the example zone is valid");
        fixture
    }

    /// Applies changes to example.com.
    pub fn apply(&self, changes: Vec<RrsetChange>) -> Result<Applied, WriteError> {
        self.apply_at(changes, NOW)
    }

    /// Applies changes to example.com at time `now`.
    pub fn apply_at(&self, changes: Vec<RrsetChange>, now: u64) -> Result<Applied, WriteError> {
        self.store
            .apply(&name("example.com"), &ChangeSet { changes }, &meta(now))
    }

    /// The served records of example.com, in master-file form, sorted.
    pub fn served(&self) -> Vec<String> {
        served_text(
            &self
                .store
                .zone_records(&name("example.com"))
                .expect("records read"),
        )
    }

    /// The serial of example.com.
    pub fn serial(&self) -> Serial {
        self.store
            .zone(&name("example.com"))
            .expect("zone read")
            .expect("zone exists")
            .serial
    }

    /// Every table of the file, as text.
    pub fn dump(&self) -> String {
        dump(&self.path)
    }

    /// Asserts that `change` is refused for `rtype` at `owner` with
    /// `reason`, that the message names both, and that nothing was written.
    pub fn assert_refused(
        &self,
        changes: Vec<RrsetChange>,
        owner: &str,
        rtype: Rtype,
        reason: store::ValidationReason,
    ) -> String {
        let before = self.dump();
        let error = self.apply(changes).expect_err("the change must be refused");
        let message = error.to_string();
        match error {
            WriteError::Validation {
                name: n,
                rtype: t,
                reason: r,
            } => {
                assert_eq!(n, owner_name(owner), "{message}");
                assert_eq!(t, rtype, "{message}");
                assert_eq!(r, reason, "{message}");
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
        let owner_text = owner_name(owner).to_string();
        assert!(
            message.starts_with(&format!("{owner_text} {rtype}: ")),
            "{message}"
        );
        assert_eq!(self.dump(), before, "a refused change must write nothing");
        message
    }
}

/// A name from text.
pub fn name(text: &str) -> Name {
    text.parse().expect("test names are valid")
}

/// A change by `alice` through the API at `now`.
pub fn meta(now: u64) -> ChangeMeta {
    ChangeMeta {
        author: "alice".to_string(),
        source: Source::Api,
        comment: None,
        now,
    }
}

/// Wire RDATA from presentation text, relative names under example.com.
pub fn rdata(rtype: Rtype, text: &str) -> Vec<u8> {
    zonefile::parse_rdata(rtype, text, &name("example.com"))
        .unwrap_or_else(|e| panic!("{rtype} {text}: {e}"))
}

/// An enabled record with derived content.
pub fn input(rtype: Rtype, text: &str) -> RecordInput {
    RecordInput {
        rdata: rdata(rtype, text),
        content: None,
        disabled: false,
    }
}

/// A disabled record.
pub fn disabled(rtype: Rtype, text: &str) -> RecordInput {
    RecordInput {
        disabled: true,
        ..input(rtype, text)
    }
}

/// A change of `owner` (relative to example.com unless it ends in a dot).
pub fn change(owner: &str, rtype: Rtype, op: RrsetOp) -> RrsetChange {
    RrsetChange {
        name: owner_name(owner),
        rtype,
        op,
        comments: None,
    }
}

/// PowerDNS REPLACE of `owner`/`rtype` with these records.
pub fn replace(owner: &str, rtype: Rtype, ttl: u32, texts: &[&str]) -> RrsetChange {
    let records = texts.iter().map(|t| input(rtype, t)).collect();
    change(owner, rtype, RrsetOp::Replace { ttl, records })
}

/// PowerDNS EXTEND.
pub fn extend(owner: &str, rtype: Rtype, ttl: u32, texts: &[&str]) -> RrsetChange {
    let records = texts.iter().map(|t| input(rtype, t)).collect();
    change(owner, rtype, RrsetOp::Extend { ttl, records })
}

/// `owner` under example.com, or as written when it ends in a dot.
pub fn owner_name(owner: &str) -> Name {
    if owner.ends_with('.') {
        name(owner)
    } else if owner == "@" {
        name("example.com")
    } else {
        name(&format!("{owner}.example.com."))
    }
}

/// An RRset of a new zone.
pub fn rrset(owner: &str, rtype: Rtype, ttl: u32, texts: &[&str]) -> RrsetInput {
    RrsetInput {
        name: owner_name(owner),
        rtype,
        ttl,
        records: texts.iter().map(|t| input(rtype, t)).collect(),
        comments: Vec::new(),
    }
}

/// The SOA of the example zone with `serial`.
pub fn example_soa(serial: u32) -> String {
    format!("ns1.example.com. hostmaster.example.com. {serial} 10800 3600 604800 3600")
}

/// example.com.: SOA serial 1, two NS, MX, two A at www, an A for mail,
/// a CNAME.
pub fn example_zone(policy: SerialPolicy) -> NewZone {
    NewZone {
        name: name("example.com"),
        kind: ZoneKind::Master,
        serial_policy: policy,
        rrsets: vec![
            rrset("@", Rtype::SOA, 3600, &[&example_soa(1)]),
            rrset(
                "@",
                Rtype::NS,
                3600,
                &["ns1.example.com.", "ns2.example.com."],
            ),
            rrset("@", Rtype::MX, 3600, &["10 mail.example.com."]),
            rrset("www", Rtype::A, 300, &["192.0.2.1", "192.0.2.2"]),
            rrset("mail", Rtype::A, 300, &["192.0.2.10"]),
            rrset("alias", Rtype::CNAME, 300, &["www.example.com."]),
        ],
        nameservers: Vec::new(),
        serial: None,
        settings: Default::default(),
    }
}

/// Records in master-file form, sorted.
pub fn served_text(records: &[Record]) -> Vec<String> {
    let mut text: Vec<String> = records.iter().map(Record::to_string).collect();
    text.sort();
    text
}

/// Every table of the database at `path` (schema, rows in row order, and
/// `user_version`), as text.
pub fn dump(path: &Path) -> String {
    let connection =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("opens");
    let version: i64 = connection
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version");
    let mut out = format!("user_version {version}\n");
    let mut statement = connection
        .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY name")
        .expect("schema query");
    let schema: Vec<(String, String, Option<String>)> = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("schema")
        .collect::<Result<_, _>>()
        .expect("schema rows");
    for (kind, table, sql) in &schema {
        out.push_str(&format!("{kind} {table}: {sql:?}\n"));
        if kind != "table" {
            continue;
        }
        let mut rows = connection
            .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
            .expect("table query");
        let columns = rows.column_count();
        let mut cursor = rows.query([]).expect("rows");
        while let Some(row) = cursor.next().expect("row") {
            let values: Vec<String> = (0..columns)
                .map(|i| match row.get_ref(i).expect("value") {
                    ValueRef::Null => "NULL".to_string(),
                    ValueRef::Integer(v) => v.to_string(),
                    ValueRef::Real(v) => v.to_string(),
                    ValueRef::Text(v) => format!("{:?}", String::from_utf8_lossy(v)),
                    ValueRef::Blob(v) => format!("x'{}'", hex(v)),
                })
                .collect();
            out.push_str(&format!("  {}\n", values.join(" | ")));
        }
    }
    out
}

/// Lower-case hex.
pub fn hex(octets: &[u8]) -> String {
    octets.iter().map(|o| format!("{o:02x}")).collect()
}
