//! The kinds of response RRL accounts separately.

/// The kinds of response accounted separately, as BIND's `rate-limit`
/// names them (each with its own rate; all default to
/// `responses_per_second`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A non-empty answer (NOERROR with records), keyed by qname and qtype.
    Answer,
    /// An empty NOERROR answer (NODATA), keyed by qname whatever the type.
    Nodata,
    /// NXDOMAIN, keyed by the zone: random names in one zone are one
    /// response.
    Nxdomain,
    /// A referral (a delegation below a zone cut), keyed by the cut.
    Referral,
    /// Any other RCODE (SERVFAIL, REFUSED, FORMERR, NOTIMP…), one key.
    Error,
}

impl Kind {
    /// Every kind, in counter order.
    pub const ALL: [Kind; 5] = [
        Kind::Answer,
        Kind::Nodata,
        Kind::Nxdomain,
        Kind::Referral,
        Kind::Error,
    ];

    /// Its name in metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Answer => "answer",
            Kind::Nodata => "nodata",
            Kind::Nxdomain => "nxdomain",
            Kind::Referral => "referral",
            Kind::Error => "error",
        }
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }
}
