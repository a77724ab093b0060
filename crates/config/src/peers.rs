//! `[[peer]]`s: the other hadns nodes this one may ask to act over their
//! HTTP API — the cluster page's "transfer again" on a secondary that is
//! a hadns node. DNS has no message for "transfer this zone again", so
//! the request goes to the peer's `POST /api/v1/control`, with a token of
//! that node read from a file.

use crate::checker::Checker;
use crate::error::ConfigError;
use crate::spec;
use crate::validated::PeerConfig;

/// The port a peer's API listens on unless its address says otherwise
/// (`[api] listen`'s default).
const DEFAULT_API_PORT: u16 = 8053;

impl Checker<'_> {
    /// `[[peer]]`s: names and DNS addresses unique, addresses readable.
    pub(crate) fn peers(&self, spec: &spec::FileSpec) -> Result<Vec<PeerConfig>, ConfigError> {
        let mut out: Vec<PeerConfig> = Vec::new();
        for (i, p) in spec.peer.iter().enumerate() {
            let line = Some(self.line_of(p.span().start));
            let prefix = format!("peer[{i}]");
            let p = p.get_ref();
            let name = p.name.get_ref().trim().to_string();
            if name.is_empty() {
                return Err(self.at(&p.name, format!("{prefix}.name"), "a peer needs a name"));
            }
            if let Some(other) = out.iter().find(|o| o.name == name) {
                return Err(self.at(
                    &p.name,
                    format!("{prefix}.name"),
                    format!(
                        "peer `{name}` is named twice (also line {})",
                        other.line.unwrap_or(0)
                    ),
                ));
            }
            let dns = self.socket(&p.dns, &format!("{prefix}.dns"), 53)?;
            if let Some(other) = out.iter().find(|o| o.dns == dns) {
                return Err(self.at(
                    &p.dns,
                    format!("{prefix}.dns"),
                    format!("{dns} is also peer `{}`'s address", other.name),
                ));
            }
            let api_text = p.api.get_ref().trim();
            if api_text.starts_with("https://") {
                return Err(self.at(
                    &p.api,
                    format!("{prefix}.api"),
                    "the peer's API is reached over plain HTTP (keep it on a private network)",
                ));
            }
            let api_value = toml::Spanned::new(
                p.api.span(),
                api_text
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_string(),
            );
            let api = self.socket(&api_value, &format!("{prefix}.api"), DEFAULT_API_PORT)?;
            if p.token_file.get_ref().trim().is_empty() {
                return Err(self.at(
                    &p.token_file,
                    format!("{prefix}.token_file"),
                    "give the file holding an API token of that node",
                ));
            }
            out.push(PeerConfig {
                name,
                dns,
                api,
                token_file: self.path(p.token_file.get_ref()),
                line,
            });
        }
        Ok(out)
    }
}
