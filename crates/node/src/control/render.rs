//! The text people read, made from a command's JSON (`report`): the
//! node's facts as `name: value` lines, the zones as a table, a zone's
//! status as `name: value` lines, times in the local time zone as RFC
//! 3339 with their offset (and, in `zone-status`, how far from now).
//! Pure but for the clock and the local time zone; nothing the JSON
//! holds can make it panic.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use super::report::{NodeStatus, duration_text};
use crate::clock::{local_rfc3339, unix_now};

/// The text of a command's successful reply.
pub fn text(command: &str, value: &Value) -> String {
    match command {
        "status" => status(value),
        "zones" => zones(value),
        "zone-status" => zone_status(value),
        "stats" => stats(value),
        "querylog" => format!(
            "query log {} (was {}); {} lines written, {} dropped\n",
            text_of(&value["querylog"]),
            text_of(&value["was"]),
            text_of(&value["lines"]),
            text_of(&value["dropped"]),
        ),
        _ => match value.get("message").and_then(Value::as_str) {
            Some("") | None => String::new(),
            Some(message) => format!("{message}\n"),
        },
    }
}

/// `status`: the facts in [`NodeStatus::FIELDS`] order (then any others
/// a newer node sends), then one tab-separated line per zone as earlier
/// releases printed them (zone, role, serial, view, `catalog=`).
fn status(value: &Value) -> String {
    let mut out = String::new();
    let Some(object) = value.as_object() else {
        return out;
    };
    let mut keys: Vec<&str> = NodeStatus::FIELDS
        .iter()
        .copied()
        .filter(|k| object.contains_key(*k))
        .collect();
    let mut others: Vec<&str> = object
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "zones" && !NodeStatus::FIELDS.contains(k))
        .collect();
    others.sort_unstable();
    keys.extend(others);
    for key in keys {
        let _ = writeln!(out, "{}", fact(key, &object[key]));
    }
    if let Some(zones) = object.get("zones").and_then(Value::as_array) {
        out.push('\n');
        for zone in zones {
            let _ = write!(
                out,
                "{}\t{}\t{}",
                text_of(&zone["zone"]),
                text_of(&zone["role"]),
                text_of(&zone["serial"])
            );
            if let Some(view) = zone["view"].as_str() {
                let _ = write!(out, "\t{view}");
            }
            // Members of a consumed catalog name it, so an operator sees
            // where a zone nobody configured came from.
            if let Some(catalog) = zone["catalog"].as_str() {
                let _ = write!(out, "\tcatalog={catalog}");
            }
            out.push('\n');
        }
    }
    out
}

/// One fact as `name: value`: `_at` keys are times shown in local time,
/// `_seconds` keys durations; the name loses that suffix and its
/// underscores.
fn fact(key: &str, value: &Value) -> String {
    let (name, shown) = if let Some(name) = key.strip_suffix("_seconds") {
        let shown = value
            .as_u64()
            .map_or_else(|| text_of(value), |s| duration_text(Duration::from_secs(s)));
        (name, shown)
    } else if key.ends_with("_at") {
        (key, local_time(value))
    } else {
        (key, text_of(value))
    };
    format!("{}: {shown}", name.replace('_', " "))
}

/// `zones`: a table with a header, columns padded to their widest cell.
fn zones(value: &Value) -> String {
    const HEADER: [&str; 6] = ["VIEW", "ZONE", "ROLE", "SERIAL", "LAST CHANGE", "STATE"];
    let mut rows: Vec<[String; 6]> = vec![HEADER.map(str::to_string)];
    for zone in value["zones"].as_array().map_or(&[][..], Vec::as_slice) {
        let mut zone_name = text_of(&zone["zone"]);
        if let Some(catalog) = zone["catalog"].as_str() {
            zone_name.push_str(&format!(" (catalog {catalog})"));
        }
        rows.push([
            text_of(&zone["view"]),
            zone_name,
            text_of(&zone["role"]),
            text_of(&zone["serial"]),
            local_time(&zone["last_change_at"]),
            text_of(&zone["state"]),
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `zone-status` as `name: value` lines.
fn zone_status(s: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "zone: {}", text_of(&s["zone"]));
    let _ = writeln!(out, "role: {}", text_of(&s["role"]));
    let _ = writeln!(
        out,
        "serial: {}",
        match s["serial"].as_u64() {
            Some(serial) => serial.to_string(),
            None => "none (not served)".to_string(),
        }
    );
    let _ = writeln!(out, "state: {}", text_of(&s["state"]));
    let _ = writeln!(out, "last change: {}", relative_time(&s["last_change_at"]));
    if let Some(primaries) = s["primaries"].as_array().filter(|p| !p.is_empty()) {
        let list: Vec<String> = primaries.iter().map(text_of).collect();
        let _ = writeln!(out, "primaries: {}", list.join(", "));
    }
    if let Some(catalog) = s["catalog"].as_str() {
        let _ = writeln!(out, "catalog: {catalog}");
    }
    let sec = &s["secondary"];
    if sec.is_object() {
        let _ = writeln!(
            out,
            "last transfer: {}",
            relative_time(&sec["last_transfer"])
        );
        let _ = writeln!(out, "last check: {}", relative_time(&sec["last_check"]));
        let _ = writeln!(out, "next refresh: {}", relative_time(&sec["next_refresh"]));
        let _ = writeln!(out, "expires: {}", relative_time(&sec["expires"]));
        let _ = writeln!(out, "expired: {}", text_of(&sec["expired"]));
        let behind = &sec["behind"];
        if behind.is_object() {
            let _ = writeln!(
                out,
                "behind: since {}, the primary has serial {}",
                relative_time(&behind["since"]),
                text_of(&behind["primary_serial"])
            );
        } else {
            let _ = writeln!(out, "behind: no");
        }
        let timers = &sec["timers"];
        let _ = writeln!(
            out,
            "timers: refresh {}s retry {}s expire {}s",
            text_of(&timers["refresh"]),
            text_of(&timers["retry"]),
            text_of(&timers["expire"])
        );
        if let Some(e) = sec["last_error"].as_str() {
            let _ = writeln!(out, "last error: {e}");
        }
    }
    let journal = &s["journal"];
    if journal.is_object() {
        let _ = writeln!(
            out,
            "journal: {} entries, serials {} to {}",
            text_of(&journal["entries"]),
            text_of(&journal["first_serial"]),
            text_of(&journal["last_serial"])
        );
    }
    for n in s["notify"].as_array().map_or(&[][..], Vec::as_slice) {
        let _ = writeln!(
            out,
            "notify {}: serial {} acknowledged {}{}",
            text_of(&n["target"]),
            text_of(&n["serial"]),
            relative_time(&n["acknowledged"]),
            n["error"]
                .as_str()
                .map_or(String::new(), |e| format!(" error: {e}"))
        );
    }
    out
}

/// `stats`: the counters as `name: value` lines, then a table of zones
/// (queries by transport and results).
fn stats(value: &Value) -> String {
    let mut out = String::new();
    if let Some(counters) = value["counters"].as_object() {
        let width = counters.keys().map(String::len).max().unwrap_or(0);
        for (name, count) in counters {
            let _ = writeln!(out, "{name:width$}  {}", text_of(count));
        }
    }
    let zones = value["zones"].as_array().map_or(&[][..], Vec::as_slice);
    if zones.is_empty() {
        return out;
    }
    let header = [
        "VIEW", "ZONE", "SERIAL", "UDP", "TCP", "SUCCESS", "NODATA", "NXDOMAIN", "REFUSED",
        "SERVFAIL",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for z in zones {
        let results = &z["results"];
        rows.push(vec![
            match &z["view"] {
                Value::Null => "default".to_string(),
                other => text_of(other),
            },
            text_of(&z["zone"]),
            text_of(&z["serial"]),
            text_of(&z["queries_udp"]),
            text_of(&z["queries_tcp"]),
            text_of(&results["success"]),
            text_of(&results["nodata"]),
            text_of(&results["nxdomain"]),
            text_of(&results["refused"]),
            text_of(&results["servfail"]),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// A JSON value as a table cell or fact: strings bare, `null` as `-`,
/// lists comma-separated (`-` when empty).
fn text_of(value: &Value) -> String {
    match value {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "-".to_string(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// An RFC 3339 UTC time from the JSON in local time; `never` for `null`;
/// anything else as it came.
fn local_time(value: &Value) -> String {
    match value {
        Value::Null => "never".to_string(),
        Value::String(text) => parse_utc(text).map_or_else(|| text.clone(), local_rfc3339),
        other => other.to_string(),
    }
}

/// [`local_time`] with how far it is from now: `… (in 30s)`, `… (12s ago)`.
fn relative_time(value: &Value) -> String {
    let shown = local_time(value);
    let Some(unix) = value.as_str().and_then(parse_utc) else {
        return shown;
    };
    let now = unix_now();
    if unix > now {
        format!("{shown} (in {}s)", unix - now)
    } else {
        format!("{shown} ({}s ago)", now - unix)
    }
}

/// The Unix time of `YYYY-MM-DDTHH:MM:SSZ` (the form the JSON carries).
fn parse_utc(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if year < 1970 || second > 60 {
        return None;
    }
    // Howard Hinnant's days_from_civil, the inverse of wire::time's.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = (era * 146_097 + day_of_era).checked_sub(719_468)?;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn utc_times_parse_back_to_what_wire_printed() {
        for unix in [0, 951_782_400, 1_709_208_000, 1_796_000_000, 4_102_444_799] {
            assert_eq!(parse_utc(&wire::time::rfc3339(unix)), Some(unix));
        }
        for bad in [
            "",
            "2026-13-01T00:00:00Z",
            "2026-01-01 00:00:00Z",
            "x026-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_zones_table_has_a_header_and_a_row_per_zone() {
        let value = json!({"zones": [
            {"view": null, "zone": "a.test.", "role": "primary", "serial": 7,
             "last_change_at": "2026-12-07T11:10:05Z", "state": "loaded", "catalog": null},
            {"view": null, "zone": "long-name.test.", "role": "secondary", "serial": null,
             "last_change_at": null, "state": "not-yet-transferred", "catalog": "cat.test."},
        ]});
        let text = text("zones", &value);
        let lines: Vec<Vec<&str>> = text
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            lines[0],
            ["VIEW", "ZONE", "ROLE", "SERIAL", "LAST", "CHANGE", "STATE"]
        );
        assert_eq!(lines[1][..4], ["-", "a.test.", "primary", "7"]);
        assert_eq!(lines[1][5], "loaded");
        assert_eq!(lines[2][1], "long-name.test.");
        assert_eq!(lines[2].last(), Some(&"not-yet-transferred"));
        assert_eq!(lines.len(), 3);
        // Columns line up: every row's state starts where the header's does.
        let column = text.lines().next().unwrap().find("STATE").unwrap();
        for line in text.lines().skip(1) {
            assert!(
                line[column..].starts_with(|c: char| c.is_ascii_alphabetic()),
                "{text}"
            );
        }
    }

    #[test]
    fn status_facts_read_as_names_and_values_then_the_zone_lines() {
        let value = json!({
            "version": "0.1.0", "started_at": "2026-12-07T11:10:05Z",
            "uptime_seconds": 3_725, "roles": ["primary"], "zone_count": 1,
            "views": [], "queries_per_second": null,
            "zones": [{"zone": "a.test.", "view": null, "role": "primary", "serial": 7, "catalog": null}],
        });
        let text = text("status", &value);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "version: 0.1.0");
        assert!(lines[1].starts_with("started at: 2026-12-07T"), "{text}");
        assert_eq!(lines[2], "uptime: 1h 2m 5s");
        assert_eq!(lines[3], "roles: primary");
        assert_eq!(lines[4], "zone count: 1");
        assert_eq!(lines[5], "views: -");
        assert_eq!(lines[6], "queries per second: -");
        assert_eq!(lines[7], "");
        assert_eq!(lines[8], "a.test.\tprimary\t7");
    }

    #[test]
    fn nothing_in_the_json_makes_rendering_panic() {
        for value in [
            json!(null),
            json!([]),
            json!({"zones": 3}),
            json!({"secondary": {"timers": 1}}),
        ] {
            for command in [
                "status",
                "zones",
                "zone-status",
                "notify",
                "stats",
                "querylog",
            ] {
                let _ = text(command, &value);
            }
        }
    }
}
