//! The pattern of PowerDNS's `search-data`: the whole text must match, `*`
//! stands for any run of characters (none included), `?` for exactly one,
//! and letters match without regard to case. A pattern without wildcards
//! is an exact (case-insensitive) match.

/// A compiled search pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// The pattern's characters, lower-cased.
    chars: Vec<char>,
}

impl Pattern {
    /// Compiles `pattern`.
    pub fn new(pattern: &str) -> Pattern {
        Pattern {
            chars: pattern.chars().map(|c| c.to_ascii_lowercase()).collect(),
        }
    }

    /// Whether `text` matches, in full.
    ///
    /// Runs in O(pattern × text) at worst: on a mismatch it resumes after
    /// the last `*` only, the classic greedy algorithm, so no pattern can
    /// make it backtrack exponentially.
    pub fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
        let pattern = &self.chars;
        let (mut p, mut t) = (0usize, 0usize);
        // Where the last `*` was, and where in the text it started to match.
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match pattern.get(p) {
                Some('*') => {
                    star = Some((p, t));
                    p += 1;
                }
                Some(&c) if c == '?' || c == text[t] => {
                    p += 1;
                    t += 1;
                }
                _ => match star {
                    // Let the last `*` swallow one more character.
                    Some((star_p, star_t)) => {
                        p = star_p + 1;
                        t = star_t + 1;
                        star = Some((star_p, star_t + 1));
                    }
                    None => return false,
                },
            }
        }
        pattern[p.min(pattern.len())..].iter().all(|&c| c == '*')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_powerdns_documents() {
        let cases = [
            ("www.example.com", "www.example.com", true),
            ("WWW.Example.COM", "www.example.com", true),
            ("www", "www.example.com", false),
            ("www*", "www.example.com", true),
            ("*example*", "www.example.com", true),
            ("*.com", "www.example.com", true),
            ("*.org", "www.example.com", false),
            ("w?w.example.com", "www.example.com", true),
            ("w?.example.com", "www.example.com", false),
            ("*", "", true),
            ("", "", true),
            ("?", "", false),
            ("192.0.2.*", "192.0.2.10", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("**a", "a", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                Pattern::new(pattern).matches(text),
                expected,
                "{pattern:?} against {text:?}"
            );
        }
    }

    #[test]
    fn hostile_patterns_stay_fast() {
        let pattern = Pattern::new(&"*a".repeat(500));
        let text = "a".repeat(5000) + "b";
        let started = std::time::Instant::now();
        assert!(!pattern.matches(&text));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
