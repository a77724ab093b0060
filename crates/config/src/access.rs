//! Checking the sections that say who is who: `[[key]]` (TSIG keys),
//! `[[acl]]` (named match lists) and `[[view]]`.

use std::collections::HashSet;

use wire::Name;
use wire::tsig::Algorithm;

use crate::checker::Checker;
use crate::error::ConfigError;
use crate::spec;
use crate::validated::{AclConfig, KeyConfig, ViewConfig};

impl Checker<'_> {
    /// `[[key]]`s, and their names.
    pub(crate) fn keys(
        &self,
        spec: &spec::FileSpec,
    ) -> Result<(Vec<KeyConfig>, HashSet<Name>), ConfigError> {
        let mut keys = Vec::new();
        let mut key_names = HashSet::new();
        for (i, k) in spec.key.iter().enumerate() {
            let k_ref = k.get_ref();
            let prefix = format!("key[{i}]");
            let name = self.name(&k_ref.name, &format!("{prefix}.name"))?;
            if !key_names.insert(name.clone()) {
                return Err(self.at(
                    &k_ref.name,
                    format!("{prefix}.name"),
                    format!("key `{name}` is defined twice"),
                ));
            }
            let algorithm = k_ref
                .algorithm
                .get_ref()
                .parse::<Algorithm>()
                .map_err(|e| {
                    self.at(
                        &k_ref.algorithm,
                        format!("{prefix}.algorithm"),
                        e.to_string(),
                    )
                })?;
            let (text, span_of) = match (&k_ref.secret, &k_ref.secret_file) {
                (Some(s), None) => (s.get_ref().clone(), s),
                (None, Some(f)) => {
                    let path = self.path(f.get_ref());
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        self.at(
                            f,
                            format!("{prefix}.secret_file"),
                            format!("cannot read {}: {e}", path.display()),
                        )
                    })?;
                    (secret_from_file(&text), f)
                }
                (Some(s), Some(_)) => {
                    return Err(self.at(s, &prefix, "give `secret` or `secret_file`, not both"));
                }
                (None, None) => return Err(self.at(k, &prefix, "needs `secret` or `secret_file`")),
            };
            let secret = wire::base64::decode(&text).map_err(|e| {
                self.at(
                    span_of,
                    format!("{prefix}.secret"),
                    format!("not base64: {e}"),
                )
            })?;
            if secret.is_empty() {
                return Err(self.at(span_of, format!("{prefix}.secret"), "the secret is empty"));
            }
            keys.push(KeyConfig {
                name,
                algorithm,
                secret,
            });
        }
        Ok((keys, key_names))
    }

    /// `[[acl]]`s, and their names.
    pub(crate) fn acls(
        &self,
        spec: &spec::FileSpec,
        key_names: &HashSet<Name>,
    ) -> Result<(Vec<AclConfig>, HashSet<String>), ConfigError> {
        let mut acl_names = HashSet::new();
        for a in &spec.acl {
            if !acl_names.insert(a.get_ref().name.get_ref().clone()) {
                return Err(self.at(
                    &a.get_ref().name,
                    "acl.name",
                    format!("acl `{}` is defined twice", a.get_ref().name.get_ref()),
                ));
            }
        }
        let mut acls = Vec::new();
        for (i, a) in spec.acl.iter().enumerate() {
            let a = a.get_ref();
            let rules = self.match_list(
                &a.addresses,
                &format!("acl[{i}].addresses"),
                &acl_names,
                key_names,
            )?;
            acls.push(AclConfig {
                name: a.name.get_ref().clone(),
                rules,
            });
        }
        Ok((acls, acl_names))
    }

    /// `[[view]]`s, and their names.
    pub(crate) fn views(
        &self,
        spec: &spec::FileSpec,
        acl_names: &HashSet<String>,
        key_names: &HashSet<Name>,
    ) -> Result<(Vec<ViewConfig>, HashSet<String>), ConfigError> {
        let mut views = Vec::new();
        let mut view_names = HashSet::new();
        for (i, v) in spec.view.iter().enumerate() {
            let v = v.get_ref();
            let rrl = self.rrl(spec, Some((i, v.rrl.as_ref())), acl_names, key_names)?;
            let prefix = format!("view[{i}]");
            let view_name = v.name.get_ref();
            let path_safe = !view_name.is_empty()
                && view_name.len() <= 64
                && !view_name.starts_with('.')
                && view_name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !path_safe {
                // The name becomes a directory under data_dir/views/.
                return Err(self.at(
                    &v.name,
                    format!("{prefix}.name"),
                    format!(
                        "`{view_name}` is not a view name: 1 to 64 letters, digits, `-`, `_` or `.`, not starting with `.`"
                    ),
                ));
            }
            if v.match_ecs == Some(true) && v.ecs_trusted.is_empty() {
                return Err(self.at(
                    &v.name,
                    format!("{prefix}.ecs_trusted"),
                    "match_ecs needs ecs_trusted: the resolvers whose client subnets are believed"
                        .to_string(),
                ));
            }
            if !view_names.insert(v.name.get_ref().clone()) {
                return Err(self.at(
                    &v.name,
                    format!("{prefix}.name"),
                    format!("view `{}` is defined twice", v.name.get_ref()),
                ));
            }
            let mut match_keys = Vec::new();
            for (j, k) in v.match_keys.iter().enumerate() {
                let name = self.name(k, &format!("{prefix}.match_keys[{j}]"))?;
                if !key_names.contains(&name) {
                    return Err(self.at(
                        k,
                        format!("{prefix}.match_keys[{j}]"),
                        format!("no [[key]] named `{name}`"),
                    ));
                }
                match_keys.push(name);
            }
            views.push(ViewConfig {
                name: v.name.get_ref().clone(),
                match_clients: self.match_list(
                    &v.match_clients,
                    &format!("{prefix}.match_clients"),
                    acl_names,
                    key_names,
                )?,
                match_keys,
                match_ecs: v.match_ecs.unwrap_or(false),
                ecs_trusted: self.match_list(
                    &v.ecs_trusted,
                    &format!("{prefix}.ecs_trusted"),
                    acl_names,
                    key_names,
                )?,
                rrl,
            });
        }
        Ok((views, view_names))
    }
}

/// Reads a secret file: either bare base64 or a BIND `key { … secret "…"; }`
/// clause (as `tsig-keygen` writes).
fn secret_from_file(text: &str) -> String {
    if let Some(start) = text.find("secret") {
        let rest = &text[start + "secret".len()..];
        if let Some(open) = rest.find('"')
            && let Some(close) = rest[open + 1..].find('"')
        {
            return rest[open + 1..open + 1 + close].to_string();
        }
    }
    text.trim().to_string()
}
