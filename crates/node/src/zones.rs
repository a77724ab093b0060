//! Where served zones come from: zone files and the built-in zones, read
//! and checked into snapshots.

use std::fmt;
use std::path::{Path, PathBuf};

use wire::Name;
use zone::{BuildOptions, Zone};
use zonefile::Diagnostic;

/// The example zone served by `hadns serve` with no arguments.
pub const EXAMPLE_ZONE: &str = include_str!("../../../examples/example.test.zone");
/// Origin of [`EXAMPLE_ZONE`].
pub const EXAMPLE_ORIGIN: &str = "example.test.";

/// Where a zone's contents come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A master file on disk, re-read on reload.
    File(PathBuf),
    /// Text compiled into the binary.
    Embedded(&'static str, &'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Embedded(name, _) => write!(f, "<built-in {name}>"),
        }
    }
}

/// A zone the server answers for and how to (re)load it.
#[derive(Clone, Debug)]
pub struct ZoneSpec {
    /// The apex.
    pub origin: Name,
    /// The contents.
    pub source: Source,
}

/// Why a zone could not be loaded: every diagnostic, errors first.
#[derive(Debug)]
pub struct LoadError {
    /// The zone.
    pub origin: Name,
    /// What was wrong.
    pub diagnostics: Vec<Diagnostic>,
    /// When the records parsed but could not form a zone.
    pub structure: Option<zone::ZoneError>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "zone {} not loaded", self.origin)?;
        for d in self.diagnostics.iter().filter(|d| d.is_error()) {
            write!(f, "\n  {d}")?;
        }
        if let Some(e) = &self.structure {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// A loaded zone with the warnings its check produced.
pub struct Loaded {
    /// The snapshot.
    pub zone: Zone,
    /// Non-fatal findings (named-checkzone warnings).
    pub warnings: Vec<Diagnostic>,
}

/// Reads, checks and builds a zone, its answers not compiled yet. Check
/// errors (named-checkzone's errors) refuse the zone; warnings are
/// returned for logging.
pub fn load(spec: &ZoneSpec) -> Result<Loaded, LoadError> {
    let parsed = match &spec.source {
        Source::File(path) => zonefile::parse_file(path, &spec.origin),
        Source::Embedded(name, text) => zonefile::parse_str(text, &spec.origin, Path::new(name)),
    };
    let file = parsed.map_err(|diagnostics| LoadError {
        origin: spec.origin.clone(),
        diagnostics,
        structure: None,
    })?;
    // The checks and the snapshot build both only read the records and
    // take about as long as each other on a large zone: they run side by
    // side, and the build is thrown away when the checks find an error.
    // Answers are compiled by whoever publishes the zone, after it is
    // served (`Zone::compile`): the first answer need not wait for them.
    let options = BuildOptions { precompile: false };
    if file.records.len() < SIDE_BY_SIDE_FROM {
        let warnings = passed(spec, zonefile::check(&file))?;
        let built = Zone::build_from_slice(&spec.origin, &file.records, options);
        return loaded(spec, warnings, built);
    }
    let (diagnostics, built) = std::thread::scope(|scope| {
        let build = std::thread::Builder::new()
            .name("zone-build".into())
            .spawn_scoped(scope, || {
                Zone::build_from_slice(&spec.origin, &file.records, options)
            });
        let diagnostics = zonefile::check(&file);
        // No second thread: the same build, on this one.
        let built = match build.map(|handle| handle.join()) {
            Ok(Ok(built)) => built,
            _ => Zone::build_from_slice(&spec.origin, &file.records, options),
        };
        (diagnostics, built)
    });
    // A large zone's records are millions of small allocations: freed
    // off the path to the first answer (on this thread if none starts).
    let _ = std::thread::Builder::new()
        .name("zone-free".into())
        .spawn(move || drop(file));
    loaded(spec, passed(spec, diagnostics)?, built)
}

/// Zones with fewer records are checked and built on one thread: a
/// second would cost more than it saves.
const SIDE_BY_SIDE_FROM: usize = 10_000;

/// The checks' findings when they are only warnings; else why the zone
/// is refused.
fn passed(spec: &ZoneSpec, diagnostics: Vec<Diagnostic>) -> Result<Vec<Diagnostic>, LoadError> {
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(LoadError {
            origin: spec.origin.clone(),
            diagnostics,
            structure: None,
        });
    }
    Ok(diagnostics)
}

/// The result of [`load`] once the checks passed with `warnings`.
fn loaded(
    spec: &ZoneSpec,
    warnings: Vec<Diagnostic>,
    built: Result<Zone, zone::ZoneError>,
) -> Result<Loaded, LoadError> {
    let zone = built.map_err(|e| LoadError {
        origin: spec.origin.clone(),
        diagnostics: Vec::new(),
        structure: Some(e),
    })?;
    Ok(Loaded { zone, warnings })
}

/// The built-in zones (RFC 6303 style): `localhost.` and the loopback
/// reverse zones, so a stray query for them is answered here.
pub fn builtin() -> Vec<ZoneSpec> {
    let names = [
        ("localhost.", LOCALHOST_ZONE),
        ("0.0.127.in-addr.arpa.", LOOPBACK_V4_REVERSE),
        (LOOPBACK_V6_REVERSE_ORIGIN, LOOPBACK_V6_REVERSE),
    ];
    names
        .into_iter()
        .map(|(origin, text)| ZoneSpec {
            origin: origin.parse().expect("built-in origins are valid names"),
            source: Source::Embedded(origin, text),
        })
        .collect()
}

const LOCALHOST_ZONE: &str = "$TTL 86400
@ IN SOA localhost. nobody.invalid. 1 3600 1200 604800 10800
@ IN NS localhost.
@ IN A 127.0.0.1
@ IN AAAA ::1
";

const LOOPBACK_V4_REVERSE: &str = "$TTL 86400
@ IN SOA localhost. nobody.invalid. 1 3600 1200 604800 10800
@ IN NS localhost.
1 IN PTR localhost.
";

const LOOPBACK_V6_REVERSE_ORIGIN: &str =
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.";

const LOOPBACK_V6_REVERSE: &str = "$TTL 86400
@ IN SOA localhost. nobody.invalid. 1 3600 1200 604800 10800
@ IN NS localhost.
@ IN PTR localhost.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_and_example_zones_load() {
        for spec in builtin() {
            let loaded = load(&spec).unwrap_or_else(|e| panic!("{e}"));
            assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        }
        let example = ZoneSpec {
            origin: EXAMPLE_ORIGIN.parse().unwrap(),
            source: Source::Embedded("example.test.zone", EXAMPLE_ZONE),
        };
        let loaded = load(&example).unwrap_or_else(|e| panic!("{e}"));
        assert!(loaded.zone.record_count() > 10);
    }

    /// A zone file large enough to be checked and built side by side,
    /// with `extra` appended.
    fn large_zone(extra: &str) -> tempfile::NamedTempFile {
        let mut text = String::from("$TTL 300\n@ SOA ns host 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n");
        for n in 0..SIDE_BY_SIDE_FROM {
            text.push_str(&format!("h{n} A 192.0.2.{}\n", n % 256));
        }
        text.push_str(extra);
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    fn spec(file: &tempfile::NamedTempFile) -> ZoneSpec {
        ZoneSpec {
            origin: "large.test.".parse().unwrap(),
            source: Source::File(file.path().to_path_buf()),
        }
    }

    #[test]
    fn large_zones_checked_and_built_side_by_side_load_or_are_refused() {
        let file = large_zone("www CNAME h1\n");
        let loaded = load(&spec(&file)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.zone.record_count(), SIDE_BY_SIDE_FROM + 4);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        // A check error refuses the zone, with file:line (of h1's A
        // record, line 6), though the build beside it succeeded.
        let file = large_zone("h1 CNAME h2\n");
        let error = load(&spec(&file)).err().expect("refused");
        assert!(error.structure.is_none());
        let text = error.to_string();
        assert!(
            text.contains(&format!("{}:6:", file.path().display())),
            "{text}"
        );
        // A warning does not.
        let file = large_zone("h2 600 A 192.0.2.200\n");
        let loaded = load(&spec(&file)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    }
}
