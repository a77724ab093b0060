//! Parses and checks one zone file, printing the findings and the time each
//! step took: `cargo run --release -p zonefile --example check_zone -- FILE ORIGIN [--print]`.
//! With `--print` the records go to standard output, one per line, like
//! `named-checkzone -D -o -` prints them (for comparing the two).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let mut arguments = std::env::args().skip(1);
    let (Some(file), Some(origin)) = (arguments.next(), arguments.next()) else {
        eprintln!("usage: check_zone FILE ORIGIN [--print]");
        return ExitCode::FAILURE;
    };
    let Ok(origin) = origin.parse::<wire::Name>() else {
        eprintln!("bad origin {origin}");
        return ExitCode::FAILURE;
    };
    let print = arguments.next().is_some_and(|a| a == "--print");
    let started = Instant::now();
    let zone = match zonefile::parse_file(&PathBuf::from(file), &origin) {
        Ok(zone) => zone,
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            return ExitCode::FAILURE;
        }
    };
    let parsed = started.elapsed();
    let findings = zonefile::check(&zone);
    let checked = started.elapsed() - parsed;
    for finding in &findings {
        eprintln!("{finding}");
    }
    if print {
        for sourced in &zone.records {
            println!("{}", sourced.record);
        }
    }
    eprintln!(
        "{} records; parse {:.3?}, check {:.3?}",
        zone.records.len(),
        parsed,
        checked
    );
    if findings.iter().any(zonefile::Diagnostic::is_error) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
