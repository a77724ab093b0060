//! Just enough of BIND's named.conf to find its primary zones for
//! `hadns import --named-conf`: `options { directory "…"; }`, `include`,
//! and `zone "NAME" [class] { type primary|master; file "…"; };`, at top
//! level and inside `view` blocks. Everything else is skipped by matching
//! braces. As in BIND, relative paths (of zone files and includes) are
//! taken from `directory`, or from the configuration file's directory when
//! there is none.
//!
//! Comments in all three of BIND's forms (`//`, `#`, `/* */`) and quoted
//! strings with backslash escapes are understood; errors name `file:line`.

use std::path::{Path, PathBuf};

/// A primary zone found in the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrimaryZone {
    /// The zone's name as written (no trailing dot needed).
    pub name: String,
    /// Its file, resolved against `options { directory }` (or the
    /// configuration file's directory).
    pub file: PathBuf,
    /// Where the zone statement is, for messages.
    pub location: String,
}

/// What was found: primary zones, and notes about zones skipped.
#[derive(Debug, Default)]
pub struct Found {
    /// The primary zones, in order.
    pub zones: Vec<PrimaryZone>,
    /// Zones skipped (secondaries, forwards, hints…), with why.
    pub skipped: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Open,
    Close,
    Semicolon,
}

/// A token and its line.
type Located = (Token, usize);

/// Splits configuration text into tokens.
fn tokenize(text: &str, file: &Path) -> Result<Vec<Located>, String> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let at = |line: usize| format!("{}:{line}", file.display());
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start = line;
                i += 2;
                loop {
                    if i + 1 >= bytes.len() {
                        return Err(format!("{}: comment never closed", at(start)));
                    }
                    if bytes[i] == b'*' && bytes[i + 1] == b'/' {
                        i += 2;
                        break;
                    }
                    if bytes[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
            b'{' => {
                tokens.push((Token::Open, line));
                i += 1;
            }
            b'}' => {
                tokens.push((Token::Close, line));
                i += 1;
            }
            b';' => {
                tokens.push((Token::Semicolon, line));
                i += 1;
            }
            b'"' => {
                let start = line;
                let mut value = Vec::new();
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return Err(format!("{}: string never closed", at(start))),
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') if i + 1 < bytes.len() => {
                            value.push(bytes[i + 1]);
                            i += 2;
                        }
                        Some(&b) => {
                            if b == b'\n' {
                                line += 1;
                            }
                            value.push(b);
                            i += 1;
                        }
                    }
                }
                tokens.push((
                    Token::Quoted(String::from_utf8_lossy(&value).into_owned()),
                    start,
                ));
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !bytes[i].is_ascii_whitespace()
                    && !matches!(bytes[i], b'{' | b'}' | b';' | b'"')
                {
                    i += 1;
                }
                tokens.push((
                    Token::Word(String::from_utf8_lossy(&bytes[start..i]).into_owned()),
                    line,
                ));
            }
        }
    }
    Ok(tokens)
}

/// Reads a named.conf (following `include`) and lists its primary zones.
pub fn read(path: &Path) -> Result<Found, String> {
    let mut reader = Reader {
        directory: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        found: Found::default(),
        depth: 0,
    };
    reader.file(path)?;
    Ok(reader.found)
}

struct Reader {
    directory: PathBuf,
    found: Found,
    depth: usize,
}

impl Reader {
    fn file(&mut self, path: &Path) -> Result<(), String> {
        if self.depth > 16 {
            return Err(format!("{}: includes nested too deep", path.display()));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let tokens = tokenize(&text, path)?;
        self.depth += 1;
        let result = self.statements(&tokens, path, false);
        self.depth -= 1;
        result
    }

    /// Reads statements until the end of `tokens`.
    fn statements(&mut self, tokens: &[Located], file: &Path, in_view: bool) -> Result<(), String> {
        let mut i = 0;
        while i < tokens.len() {
            let (token, line) = &tokens[i];
            let at = format!("{}:{line}", file.display());
            let end =
                statement_end(tokens, i).ok_or_else(|| format!("{at}: statement never ends"))?;
            let statement = &tokens[i..end];
            match token {
                Token::Word(w) if w.eq_ignore_ascii_case("options") && !in_view => {
                    if let Some(dir) = option_value(statement, "directory") {
                        let dir = PathBuf::from(dir);
                        self.directory = if dir.is_absolute() {
                            dir
                        } else {
                            file.parent().unwrap_or(Path::new(".")).join(dir)
                        };
                    }
                }
                Token::Word(w) if w.eq_ignore_ascii_case("include") => {
                    let Some((Token::Quoted(target), _)) = statement.get(1) else {
                        return Err(format!("{at}: include needs a quoted file name"));
                    };
                    let target = self.resolve(target);
                    self.file(&target)?;
                }
                Token::Word(w) if w.eq_ignore_ascii_case("view") => {
                    let open = statement
                        .iter()
                        .position(|(t, _)| *t == Token::Open)
                        .ok_or_else(|| format!("{at}: view without a body"))?;
                    // The body, without its braces and the final semicolon.
                    let close = statement.len().saturating_sub(2);
                    if close > open {
                        self.statements(&statement[open + 1..close], file, true)?;
                    }
                }
                Token::Word(w) if w.eq_ignore_ascii_case("zone") => self.zone(statement, &at)?,
                _ => {}
            }
            i = end;
        }
        Ok(())
    }

    fn zone(&mut self, statement: &[Located], at: &str) -> Result<(), String> {
        let name = match statement.get(1) {
            Some((Token::Quoted(n) | Token::Word(n), _)) => n.clone(),
            _ => return Err(format!("{at}: zone needs a name")),
        };
        let kind = option_value(statement, "type").unwrap_or_default();
        let file = option_value(statement, "file");
        match (kind.to_ascii_lowercase().as_str(), file) {
            ("primary" | "master", Some(file)) => {
                let file = self.resolve(&file);
                self.found.zones.push(PrimaryZone {
                    name,
                    file,
                    location: at.to_string(),
                })
            }
            ("primary" | "master", None) => {
                return Err(format!("{at}: primary zone {name} has no file"));
            }
            (other, _) => self.found.skipped.push(format!(
                "{at}: zone {name} (type {other}) is not a primary zone"
            )),
        }
        Ok(())
    }

    fn resolve(&self, path: &str) -> PathBuf {
        let path = PathBuf::from(path);
        if path.is_absolute() {
            path
        } else {
            self.directory.join(path)
        }
    }
}

/// Index just past the statement starting at `start`: its `;` at brace
/// depth zero.
fn statement_end(tokens: &[Located], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, (token, _)) in tokens.iter().enumerate().skip(start) {
        match token {
            Token::Open => depth += 1,
            Token::Close => depth = depth.checked_sub(1)?,
            Token::Semicolon if depth == 0 => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The value of `key VALUE;` directly inside a statement's first block.
fn option_value(statement: &[Located], key: &str) -> Option<String> {
    let mut depth = 0;
    let mut i = 0;
    while i < statement.len() {
        match &statement[i].0 {
            Token::Open => depth += 1,
            Token::Close => depth -= 1,
            Token::Word(w) if depth == 1 && w.eq_ignore_ascii_case(key) => {
                if let Some((Token::Quoted(v) | Token::Word(v), _)) = statement.get(i + 1) {
                    return Some(v.clone());
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_primary_zones_through_includes_views_and_comments() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("named.conf"),
            r#"// main config
options {
    directory "zones";  # relative to this file
    allow-query { any; };
};
/* a block
   comment with zone "fake" { type master; file "no"; }; inside */
include "extra.conf";
zone "example.com" IN { type master; file "example.com.db"; allow-update { none; }; };
zone "sec.example" { type secondary; primaries { 192.0.2.1; }; file "sec.db"; };
view "inside" {
    match-clients { 10.0.0.0/8; };
    zone "inner.example" { type primary; file "/abs/inner.db"; };
};
"#,
        )
        .unwrap();
        // Like BIND, relative paths (includes too) are taken from `directory`.
        std::fs::create_dir(dir.path().join("zones")).unwrap();
        std::fs::write(
            dir.path().join("zones/extra.conf"),
            "zone \"with\\\"quote.test\" { type primary; file \"q.db\"; };\n",
        )
        .unwrap();
        let found = read(&dir.path().join("named.conf")).unwrap();
        let names: Vec<&str> = found.zones.iter().map(|z| z.name.as_str()).collect();
        assert_eq!(names, ["with\"quote.test", "example.com", "inner.example"]);
        assert_eq!(found.zones[1].file, dir.path().join("zones/example.com.db"));
        assert_eq!(found.zones[2].file, PathBuf::from("/abs/inner.db"));
        assert_eq!(found.skipped.len(), 1);
        assert!(found.skipped[0].contains("sec.example"));
    }

    #[test]
    fn errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("named.conf");
        std::fs::write(&path, "options { };\n\nzone \"a.test\" { type master; };\n").unwrap();
        let error = read(&path).unwrap_err();
        assert!(
            error.ends_with("named.conf:3: primary zone a.test has no file"),
            "{error}"
        );
        std::fs::write(&path, "zone \"a.test\" {\n type master;\n").unwrap();
        let error = read(&path).unwrap_err();
        assert!(
            error.contains("named.conf:1: statement never ends"),
            "{error}"
        );
        std::fs::write(&path, "/* open\n").unwrap();
        assert!(read(&path).unwrap_err().contains("comment never closed"));
    }
}
