//! The validators: `hadns zone check` (as named-checkzone) and `hadns
//! config check` (as named-checkconf).

use std::process::ExitCode;

use anyhow::Context;
use config::Config;
use node::zones::{self, Source, ZoneSpec};
use wire::Name;

/// Runs `hadns zone check`.
pub fn zone_check(file: &std::path::Path, origin: &str) -> anyhow::Result<ExitCode> {
    let origin = Name::from_text(origin, Some(&Name::root()))
        .with_context(|| format!("bad origin `{origin}`"))?;
    let parsed = match zonefile::parse_file(file, &origin) {
        Ok(parsed) => parsed,
        Err(diagnostics) => {
            for d in &diagnostics {
                println!("{d}");
            }
            println!("zone {origin}/IN: not loaded due to errors");
            return Ok(ExitCode::FAILURE);
        }
    };
    // The checks and the snapshot build both only read the records: on a
    // large zone they take about as long as each other, so they run side
    // by side, the build reading the parsed records in place.
    let (diagnostics, built) = std::thread::scope(|scope| {
        let build = scope.spawn(|| {
            let options = zone::BuildOptions { precompile: false };
            zone::Zone::build_from_slice(&origin, &parsed.records, options)
        });
        let diagnostics = zonefile::check(&parsed);
        (diagnostics, build.join())
    });
    for d in &diagnostics {
        println!("{d}");
    }
    if diagnostics.iter().any(zonefile::Diagnostic::is_error) {
        println!("zone {origin}/IN: not loaded due to errors");
        return Ok(ExitCode::FAILURE);
    }
    let zone = match built {
        Ok(result) => result?,
        Err(_) => anyhow::bail!("building the zone failed unexpectedly"),
    };
    println!(
        "zone {origin}/IN: loaded serial {}, {} records",
        zone.serial(),
        zone.record_count()
    );
    println!("OK");
    Ok(ExitCode::SUCCESS)
}

/// Runs `hadns config check`.
pub fn config_check(file: &std::path::Path, check_zones: bool) -> anyhow::Result<ExitCode> {
    let config = match Config::load(file) {
        Ok(config) => config,
        Err(e) => {
            println!("{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    // Not errors: such a key may be kept in the store, which the file
    // cannot show; the node warns at start if the store lacks it too.
    for reference in &config.unconfigured_keys {
        println!("warning: {}", reference.place);
    }
    let mut ok = true;
    if check_zones {
        for zone in &config.zones {
            let Some(path) = &zone.file else { continue };
            let spec = ZoneSpec {
                origin: zone.name.clone(),
                source: Source::File(path.clone()),
            };
            match zones::load(&spec) {
                Ok(loaded) => {
                    for w in &loaded.warnings {
                        println!("{w}");
                    }
                    println!(
                        "zone {}/IN: loaded serial {}",
                        zone.name,
                        loaded.zone.serial()
                    );
                }
                Err(e) => {
                    println!("{e}");
                    ok = false;
                }
            }
        }
    }
    if ok {
        println!("OK");
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}
