//! The verifier's settings from the environment (feature `identity`): `DESCOPE_*` and the Cognito
//! pools of cutover mode (`COGNITO_*`).

use std::time::Duration;

use crate::settings::{ConfigError, Env, list};

/// `COGNITO_ISSUER_FORMS` read: the default of the pools not listed, and the listed pools' forms.
type IssuerFormsSetting = (descope_jwt::IssuerForms, Vec<(String, descope_jwt::IssuerForms)>);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// The verifier settings: `DESCOPE_PROJECT_ID` (required), `DESCOPE_BASE_URL` and
    /// `DESCOPE_JWKS_URL` (`https://`, or `http://` on a loopback host), `DESCOPE_ISSUERS` and
    /// `DESCOPE_AUDIENCE` (comma lists), `DESCOPE_LEEWAY_SECONDS` (0-300) and
    /// `DESCOPE_ACCEPT_OIDC_TOKENS` (`true` to accept tokens Descope issued as an OIDC provider).
    pub fn descope(&self) -> Result<descope_jwt::Config, ConfigError> {
        let project_id = self
            .get("DESCOPE_PROJECT_ID")
            .ok_or(ConfigError::Missing("DESCOPE_PROJECT_ID"))?;
        let mut descope = descope_jwt::Config::new(project_id);
        if let Some(url) = self.url("DESCOPE_BASE_URL")? {
            descope = descope.base_url(url);
        }
        if let Some(url) = self.url("DESCOPE_JWKS_URL")? {
            descope = descope.jwks_url(url);
        }
        if let Some(issuers) = self.get("DESCOPE_ISSUERS") {
            descope = descope.issuers(list(&issuers));
        }
        if let Some(audiences) = self.get("DESCOPE_AUDIENCE") {
            for audience in list(&audiences) {
                descope = descope.audience(audience);
            }
        }
        if let Some(seconds) = self.seconds("DESCOPE_LEEWAY_SECONDS", 300)? {
            descope = descope.leeway(Duration::from_secs(seconds));
        }
        descope = descope.accept_oidc_tokens(self.flag("DESCOPE_ACCEPT_OIDC_TOKENS", false)?);
        for pool in self.cognito_pools()? {
            descope = descope.cognito_pool(pool);
        }
        Ok(descope)
    }

    /// Cutover mode, off unless `COGNITO_USER_POOL_ID` is set: the pools whose tokens are accepted
    /// beside Descope's.
    ///
    /// - `COGNITO_USER_POOL_ID` lists pools (`POOL`, or `POOL=TENANT` for a pool imported into a
    ///   Descope tenant, as the importer's `--user-pool-id`);
    /// - `COGNITO_CLIENT_IDS` the accepted app clients and `COGNITO_TOKEN_USE` the accepted tokens
    ///   (`access`, `id` or `access,id`), both required;
    /// - `COGNITO_ISSUER_FORMS` (optional) the `iss` format(s) each pool issues: `original`,
    ///   `updated` or `both`, as one value for every pool, or per pool as `POOL=FORM` entries, with
    ///   at most one bare value as the default of the pools not listed; unset = `original`;
    /// - `COGNITO_REPLICA_REGIONS` (optional) `POOL=REGION` entries (a pool may repeat) for pools
    ///   whose replicas issue original-format tokens naming the replica's region;
    /// - `COGNITO_REGION` (optional) must be a pool's primary region (its ID prefix) or one of its
    ///   replica regions;
    /// - `COGNITO_ENDPOINT_URL` (optional) serves every issuer's keys instead of the issuer's host,
    ///   and `COGNITO_ISSUER_ENDPOINT_URLS` (optional, `HOST=URL` entries, e.g.
    ///   `issuer-cognito-idp.eu-west-1.amazonaws.com=http://127.0.0.1:5001`) the keys of the
    ///   issuer on that host, so each format and region can have its own stand-in.
    pub fn cognito_pools(&self) -> Result<Vec<descope_jwt::CognitoPool>, ConfigError> {
        const DEPENDENT: [&str; 7] = [
            "COGNITO_CLIENT_IDS",
            "COGNITO_TOKEN_USE",
            "COGNITO_REGION",
            "COGNITO_ENDPOINT_URL",
            "COGNITO_ISSUER_FORMS",
            "COGNITO_REPLICA_REGIONS",
            "COGNITO_ISSUER_ENDPOINT_URLS",
        ];
        let Some(pools) = self.get("COGNITO_USER_POOL_ID") else {
            // A half-configured cutover must not silently refuse every Cognito token.
            if let Some(name) = DEPENDENT.into_iter().find(|name| self.get(name).is_some()) {
                return Err(ConfigError::Invalid {
                    name,
                    value: self.get(name).unwrap_or_default(),
                    reason: "it only applies in cutover mode: set COGNITO_USER_POOL_ID too, or unset it".into(),
                });
            }
            return Ok(Vec::new());
        };
        let clients = list(
            &self
                .get("COGNITO_CLIENT_IDS")
                .ok_or(ConfigError::Missing("COGNITO_CLIENT_IDS"))?,
        );
        let token_use = self
            .get("COGNITO_TOKEN_USE")
            .ok_or(ConfigError::Missing("COGNITO_TOKEN_USE"))?;
        let token_uses = list(&token_use)
            .iter()
            .map(|name| descope_jwt::TokenUse::from_name(name))
            .collect::<Option<Vec<_>>>()
            .filter(|uses| !uses.is_empty())
            .ok_or_else(|| ConfigError::Invalid {
                name: "COGNITO_TOKEN_USE",
                value: token_use.clone(),
                reason: "expected access, id or access,id".into(),
            })?;
        let region = self.get("COGNITO_REGION");
        let endpoint = self.get("COGNITO_ENDPOINT_URL");

        let mut entries: Vec<(String, Option<String>)> = Vec::new();
        for entry in list(&pools) {
            let (pool_id, tenant) = match entry.split_once('=') {
                Some((pool, tenant)) => (pool.trim().to_owned(), Some(tenant.trim().to_owned())),
                None => (entry.clone(), None),
            };
            if tenant.as_deref() == Some("") {
                return Err(ConfigError::Invalid {
                    name: "COGNITO_USER_POOL_ID",
                    value: pools.clone(),
                    reason: format!("{entry:?} names no tenant after '='"),
                });
            }
            if entries.iter().any(|(p, _)| *p == pool_id) {
                return Err(ConfigError::Invalid {
                    name: "COGNITO_USER_POOL_ID",
                    value: pools.clone(),
                    reason: format!("pool {pool_id:?} is listed twice"),
                });
            }
            entries.push((pool_id, tenant));
        }
        let pool_ids: Vec<&str> = entries.iter().map(|(p, _)| p.as_str()).collect();
        let (default_forms, pool_forms) = self.issuer_forms(&pool_ids)?;
        let replicas = self.pool_pairs("COGNITO_REPLICA_REGIONS", &pool_ids)?;
        let overrides = self.issuer_endpoint_urls()?;

        let mut built = Vec::new();
        let mut used_overrides = vec![false; overrides.len()];
        for (pool_id, tenant) in &entries {
            let mut pool = descope_jwt::CognitoPool::new(pool_id).issuer_forms(
                pool_forms
                    .iter()
                    .find(|(p, _)| p == pool_id)
                    .map_or(default_forms, |(_, forms)| *forms),
            );
            for client in &clients {
                pool = pool.client_id(client);
            }
            for token_use in &token_uses {
                pool = pool.token_use(*token_use);
            }
            for (_, replica) in replicas.iter().filter(|(p, _)| p == pool_id) {
                pool = pool.replica_region(replica);
            }
            if let Some(region) = &region {
                pool = pool.region(region);
            }
            if let Some(endpoint) = &endpoint {
                pool = pool.endpoint_url(endpoint);
            }
            let hosts: Vec<String> = pool.issuers().iter().map(descope_jwt::CognitoIssuer::host).collect();
            for (index, (host, url)) in overrides.iter().enumerate() {
                if hosts.contains(host) {
                    pool = pool.issuer_endpoint_url(host, url);
                    used_overrides[index] = true;
                }
            }
            if let Some(tenant) = tenant {
                pool = pool.tenant(tenant);
            }
            pool.validate().map_err(|error| {
                let (name, value) = match error {
                    descope_jwt::ConfigError::RegionMismatch { .. } => ("COGNITO_REGION", region.clone()),
                    descope_jwt::ConfigError::InvalidUrl { .. } => ("COGNITO_ENDPOINT_URL", endpoint.clone()),
                    descope_jwt::ConfigError::NoAppClients(_) => ("COGNITO_CLIENT_IDS", None),
                    descope_jwt::ConfigError::InvalidReplicaRegion { .. }
                    | descope_jwt::ConfigError::ReplicaWithoutOriginalForm(_) => {
                        ("COGNITO_REPLICA_REGIONS", self.get("COGNITO_REPLICA_REGIONS"))
                    }
                    _ => ("COGNITO_USER_POOL_ID", Some(pools.clone())),
                };
                ConfigError::Invalid {
                    name,
                    value: value.unwrap_or_default(),
                    reason: error.to_string(),
                }
            })?;
            built.push(pool);
        }
        // An override nobody uses is a typo or a form that is not configured: keys would come from
        // AWS (or nowhere) while the operator believes a stand-in serves them.
        if let Some(index) = used_overrides.iter().position(|used| !used) {
            let all: Vec<String> = built
                .iter()
                .flat_map(|p| p.issuers().into_iter().map(|i| i.host()))
                .collect();
            return Err(ConfigError::Invalid {
                name: "COGNITO_ISSUER_ENDPOINT_URLS",
                value: self.get("COGNITO_ISSUER_ENDPOINT_URLS").unwrap_or_default(),
                reason: format!(
                    "host {:?} is the host of no configured issuer (configured: {}); check COGNITO_ISSUER_FORMS and COGNITO_REPLICA_REGIONS",
                    overrides[index].0,
                    all.join(", ")
                ),
            });
        }
        Ok(built)
    }

    /// `COGNITO_ISSUER_FORMS`: the default forms and the per-pool ones.
    fn issuer_forms(&self, pool_ids: &[&str]) -> Result<IssuerFormsSetting, ConfigError> {
        const NAME: &str = "COGNITO_ISSUER_FORMS";
        let Some(value) = self.get(NAME) else {
            return Ok((descope_jwt::IssuerForms::default(), Vec::new()));
        };
        let invalid = |reason: String| ConfigError::Invalid {
            name: NAME,
            value: value.clone(),
            reason,
        };
        let parse = |form: &str| {
            descope_jwt::IssuerForms::from_name(form)
                .ok_or_else(|| invalid(format!("{form:?} is not a form: expected original, updated or both")))
        };
        let mut default = None;
        let mut per_pool = Vec::new();
        for entry in list(&value) {
            match entry.split_once('=') {
                None => {
                    if default.replace(parse(&entry)?).is_some() {
                        return Err(invalid(
                            "more than one default form: give one bare value, and POOL=FORM for the others".into(),
                        ));
                    }
                }
                Some((pool, form)) => {
                    let pool = pool.trim().to_owned();
                    let forms = parse(form.trim())?;
                    if !pool_ids.contains(&pool.as_str()) {
                        return Err(invalid(format!("pool {pool:?} is not in COGNITO_USER_POOL_ID")));
                    }
                    if per_pool.iter().any(|(p, _)| *p == pool) {
                        return Err(invalid(format!("pool {pool:?} is listed twice")));
                    }
                    per_pool.push((pool, forms));
                }
            }
        }
        Ok((default.unwrap_or_default(), per_pool))
    }

    /// A comma list of `POOL=VALUE` entries whose pools are all in `pool_ids` (a pool may repeat).
    fn pool_pairs(&self, name: &'static str, pool_ids: &[&str]) -> Result<Vec<(String, String)>, ConfigError> {
        let Some(value) = self.get(name) else {
            return Ok(Vec::new());
        };
        let mut pairs = Vec::new();
        for entry in list(&value) {
            let reason = match entry.split_once('=') {
                Some((pool, item)) if pool_ids.contains(&pool.trim()) && !item.trim().is_empty() => {
                    pairs.push((pool.trim().to_owned(), item.trim().to_owned()));
                    continue;
                }
                Some((pool, item)) if !item.trim().is_empty() => {
                    format!("pool {:?} is not in COGNITO_USER_POOL_ID", pool.trim())
                }
                _ => format!("{entry:?} is not POOL=REGION"),
            };
            return Err(ConfigError::Invalid { name, value, reason });
        }
        Ok(pairs)
    }

    /// `COGNITO_ISSUER_ENDPOINT_URLS`: `HOST=URL` entries, each URL checked like every key URL.
    fn issuer_endpoint_urls(&self) -> Result<Vec<(String, String)>, ConfigError> {
        const NAME: &str = "COGNITO_ISSUER_ENDPOINT_URLS";
        let Some(value) = self.get(NAME) else {
            return Ok(Vec::new());
        };
        let mut overrides: Vec<(String, String)> = Vec::new();
        for entry in list(&value) {
            let reason = match entry.split_once('=') {
                Some((host, url)) if !host.trim().is_empty() => {
                    let host = host.trim().to_ascii_lowercase();
                    match descope_jwt::check_endpoint_url(url.trim()) {
                        Err(reason) => format!("{}: {reason}", url.trim()),
                        Ok(()) if overrides.iter().any(|(h, _)| *h == host) => format!("host {host:?} is listed twice"),
                        Ok(()) => {
                            overrides.push((host, url.trim().to_owned()));
                            continue;
                        }
                    }
                }
                _ => format!(
                    "{entry:?} is not HOST=URL (e.g. issuer-cognito-idp.eu-west-1.amazonaws.com=http://127.0.0.1:5001)"
                ),
            };
            return Err(ConfigError::Invalid {
                name: NAME,
                value,
                reason,
            });
        }
        Ok(overrides)
    }

    /// A key or API URL: `https://`, or `http://` on a loopback host (see
    /// [`descope_jwt::check_endpoint_url`]); `None` when unset.
    pub fn url(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        let Some(value) = self.get(name) else { return Ok(None) };
        match descope_jwt::check_endpoint_url(&value) {
            Ok(()) => Ok(Some(value)),
            Err(reason) => Err(ConfigError::Invalid { name, value, reason }),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::settings::{ConfigError, env_of as env};

    #[test]
    fn descope_settings_come_from_descope_variables() {
        let e = env(&[
            ("DESCOPE_PROJECT_ID", " P2abc "),
            ("DESCOPE_ISSUERS", "a, b,,"),
            ("DESCOPE_AUDIENCE", "P2abc"),
            ("DESCOPE_BASE_URL", ""),
        ]);
        let config = e.descope().unwrap();
        assert_eq!(config.project_id(), "P2abc");
        assert_eq!(config.accepted_issuers(), vec!["a".to_owned(), "b".to_owned()]);
        assert!(matches!(
            env(&[]).descope(),
            Err(ConfigError::Missing("DESCOPE_PROJECT_ID"))
        ));
        let bad = env(&[("DESCOPE_PROJECT_ID", "P2"), ("DESCOPE_LEEWAY_SECONDS", "301")])
            .descope()
            .unwrap_err();
        assert!(bad.to_string().contains("DESCOPE_LEEWAY_SECONDS"), "{bad}");
    }

    #[test]
    fn key_urls_must_be_https_except_on_loopback_and_name_their_variable() {
        let base = ("DESCOPE_PROJECT_ID", "P2abc");
        for name in ["DESCOPE_BASE_URL", "DESCOPE_JWKS_URL"] {
            let error = env(&[base, (name, "http://keys.example.com/k")])
                .descope()
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with(&format!("{name}=")) && error.contains("https://"),
                "{error}"
            );
            assert!(env(&[base, (name, "http://127.0.0.1:9/k")]).descope().is_ok(), "{name}");
        }
        let error = env(&[
            ("COGNITO_USER_POOL_ID", "eu-west-1_AbC123"),
            ("COGNITO_CLIENT_IDS", "c"),
            ("COGNITO_TOKEN_USE", "access"),
            ("COGNITO_ENDPOINT_URL", "http://cognito.example.com"),
        ])
        .cognito_pools()
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("COGNITO_ENDPOINT_URL=") && error.contains("https://"),
            "{error}"
        );
        assert!(env(&[base, ("DESCOPE_ACCEPT_OIDC_TOKENS", "maybe")]).descope().is_err());
        assert!(env(&[base, ("DESCOPE_ACCEPT_OIDC_TOKENS", "true")]).descope().is_ok());
    }

    #[test]
    fn cutover_mode_is_off_unless_a_pool_is_configured() {
        let base = [("DESCOPE_PROJECT_ID", "P2abc")];
        assert!(env(&base).descope().unwrap().cognito_pools().is_empty());
        let pools = env(&[
            ("COGNITO_USER_POOL_ID", "eu-west-1_AbC123, us-east-1_Xyz789=T2acme"),
            ("COGNITO_CLIENT_IDS", "client-a,client-b"),
            ("COGNITO_TOKEN_USE", "access, id"),
            ("COGNITO_ENDPOINT_URL", "http://127.0.0.1:5000"),
        ])
        .cognito_pools()
        .unwrap();
        assert_eq!(pools.len(), 2);
        assert_eq!(
            pools[0].issuers()[0].iss,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
        assert_eq!(
            pools[1].issuers()[0].jwks_url,
            "http://127.0.0.1:5000/us-east-1_Xyz789/.well-known/jwks.json"
        );
        let pool = [("COGNITO_USER_POOL_ID", "eu-west-1_AbC123")];
        let clients = ("COGNITO_CLIENT_IDS", "client-a");
        let access = ("COGNITO_TOKEN_USE", "access");
        for (vars, names) in [
            (vec![clients], "COGNITO_CLIENT_IDS"),
            (vec![pool[0], access], "COGNITO_CLIENT_IDS"),
            (vec![pool[0], clients], "COGNITO_TOKEN_USE"),
            (
                vec![pool[0], clients, ("COGNITO_TOKEN_USE", "refresh")],
                "COGNITO_TOKEN_USE",
            ),
            (
                vec![pool[0], clients, access, ("COGNITO_REGION", "us-east-1")],
                "COGNITO_REGION",
            ),
            (
                vec![pool[0], clients, access, ("COGNITO_ENDPOINT_URL", "file:///x")],
                "COGNITO_ENDPOINT_URL",
            ),
            (
                vec![("COGNITO_USER_POOL_ID", "AbC123"), clients, access],
                "COGNITO_USER_POOL_ID",
            ),
            (
                vec![("COGNITO_USER_POOL_ID", "eu-west-1_A=, "), clients, access],
                "COGNITO_USER_POOL_ID",
            ),
            (
                vec![("COGNITO_USER_POOL_ID", "eu-west-1_A,eu-west-1_A"), clients, access],
                "COGNITO_USER_POOL_ID",
            ),
        ] {
            let error = env(&vars).cognito_pools().unwrap_err().to_string();
            assert!(error.starts_with(names), "{vars:?}: {error}");
        }
    }

    /// The `iss` values of each pool, in order.
    fn issuers(pools: &[descope_jwt::CognitoPool]) -> Vec<Vec<String>> {
        pools
            .iter()
            .map(|p| p.issuers().into_iter().map(|i| i.iss).collect())
            .collect()
    }

    #[test]
    fn each_pool_has_the_issuer_forms_and_replicas_configured_for_it() {
        let base = [
            (
                "COGNITO_USER_POOL_ID",
                "eu-west-1_Aaa111, us-east-1_Bbb222=T2acme, eu-west-1_Ccc333",
            ),
            ("COGNITO_CLIENT_IDS", "client-a"),
            ("COGNITO_TOKEN_USE", "access"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut vars = base.to_vec();
            vars.extend_from_slice(extra);
            env(&vars).cognito_pools()
        };
        let original = |p: &str, r: &str| format!("https://cognito-idp.{r}.amazonaws.com/{p}");
        let updated = |p: &str, r: &str| format!("https://issuer-cognito-idp.{r}.amazonaws.com/{p}");
        let (a, b, c) = ("eu-west-1_Aaa111", "us-east-1_Bbb222", "eu-west-1_Ccc333");

        // Today's settings keep today's meaning: the original form of each pool.
        assert_eq!(
            issuers(&with(&[]).unwrap()),
            [
                vec![original(a, "eu-west-1")],
                vec![original(b, "us-east-1")],
                vec![original(c, "eu-west-1")]
            ]
        );
        assert_eq!(
            issuers(&with(&[("COGNITO_ISSUER_FORMS", "both")]).unwrap())[1],
            [original(b, "us-east-1"), updated(b, "us-east-1")]
        );
        // A bare value is the default of the pools not listed; POOL=FORM sets one pool.
        let pools = with(&[
            ("COGNITO_ISSUER_FORMS", "updated, us-east-1_Bbb222=both"),
            (
                "COGNITO_REPLICA_REGIONS",
                "us-east-1_Bbb222=us-west-2, us-east-1_Bbb222=eu-central-1",
            ),
            ("COGNITO_REGION", "us-west-2"),
        ])
        .unwrap_err();
        // COGNITO_REGION applies to every pool: us-west-2 is a replica of only one of them.
        assert!(pools.to_string().starts_with("COGNITO_REGION="), "{pools}");
        let pools = with(&[
            ("COGNITO_ISSUER_FORMS", "updated, us-east-1_Bbb222=both"),
            (
                "COGNITO_REPLICA_REGIONS",
                "us-east-1_Bbb222=us-west-2, us-east-1_Bbb222=eu-central-1",
            ),
        ])
        .unwrap();
        assert_eq!(
            issuers(&pools),
            [
                vec![updated(a, "eu-west-1")],
                vec![
                    original(b, "us-east-1"),
                    original(b, "us-west-2"),
                    original(b, "eu-central-1"),
                    updated(b, "us-east-1")
                ],
                vec![updated(c, "eu-west-1")]
            ]
        );
        assert_eq!(pools[1].forms().as_str(), "both");

        // Per issuer host stand-ins, more specific than COGNITO_ENDPOINT_URL.
        let pools = with(&[
            ("COGNITO_ISSUER_FORMS", "both"),
            ("COGNITO_ENDPOINT_URL", "http://127.0.0.1:5000"),
            (
                "COGNITO_ISSUER_ENDPOINT_URLS",
                "issuer-cognito-idp.eu-west-1.amazonaws.com=http://127.0.0.1:5001/",
            ),
        ])
        .unwrap();
        let urls: Vec<String> = pools[0].issuers().into_iter().map(|i| i.jwks_url).collect();
        assert_eq!(
            urls,
            [
                format!("http://127.0.0.1:5000/{a}/.well-known/jwks.json"),
                format!("http://127.0.0.1:5001/{a}/.well-known/jwks.json"),
            ]
        );
        assert_eq!(
            pools[1].issuers()[1].jwks_url,
            format!("http://127.0.0.1:5000/{b}/.well-known/jwks.json"),
            "another region's host is not overridden"
        );
    }

    #[test]
    fn issuer_settings_name_the_variable_to_fix() {
        let base = [
            ("COGNITO_USER_POOL_ID", "eu-west-1_Aaa111"),
            ("COGNITO_CLIENT_IDS", "client-a"),
            ("COGNITO_TOKEN_USE", "access"),
        ];
        for (extra, name, says) in [
            (
                ("COGNITO_ISSUER_FORMS", "new"),
                "COGNITO_ISSUER_FORMS",
                "expected original, updated or both",
            ),
            (
                ("COGNITO_ISSUER_FORMS", "both,updated"),
                "COGNITO_ISSUER_FORMS",
                "more than one default",
            ),
            (
                ("COGNITO_ISSUER_FORMS", "eu-west-1_Zzz=both"),
                "COGNITO_ISSUER_FORMS",
                "not in COGNITO_USER_POOL_ID",
            ),
            (
                ("COGNITO_ISSUER_FORMS", "eu-west-1_Aaa111=both,eu-west-1_Aaa111=updated"),
                "COGNITO_ISSUER_FORMS",
                "listed twice",
            ),
            (
                ("COGNITO_REPLICA_REGIONS", "us-west-2"),
                "COGNITO_REPLICA_REGIONS",
                "not POOL=REGION",
            ),
            (
                ("COGNITO_REPLICA_REGIONS", "eu-west-1_Zzz=us-west-2"),
                "COGNITO_REPLICA_REGIONS",
                "not in COGNITO_USER_POOL_ID",
            ),
            (
                ("COGNITO_REPLICA_REGIONS", "eu-west-1_Aaa111=eu-west-1"),
                "COGNITO_REPLICA_REGIONS",
                "primary region",
            ),
            (
                ("COGNITO_ISSUER_ENDPOINT_URLS", "http://127.0.0.1:1"),
                "COGNITO_ISSUER_ENDPOINT_URLS",
                "not HOST=URL",
            ),
            (
                (
                    "COGNITO_ISSUER_ENDPOINT_URLS",
                    "cognito-idp.eu-west-1.amazonaws.com=http://keys.example.com",
                ),
                "COGNITO_ISSUER_ENDPOINT_URLS",
                "https://",
            ),
            // The updated form's host while only the original form is configured: its keys would
            // never be fetched, so the override is a mistake.
            (
                (
                    "COGNITO_ISSUER_ENDPOINT_URLS",
                    "issuer-cognito-idp.eu-west-1.amazonaws.com=http://127.0.0.1:1",
                ),
                "COGNITO_ISSUER_ENDPOINT_URLS",
                "host of no configured issuer",
            ),
        ] {
            let mut vars = base.to_vec();
            vars.push(extra);
            let error = env(&vars).cognito_pools().unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("{name}=")) && error.contains(says),
                "{extra:?}: {error}"
            );
        }
        let mut vars = base.to_vec();
        vars.extend([
            ("COGNITO_ISSUER_FORMS", "updated"),
            ("COGNITO_REPLICA_REGIONS", "eu-west-1_Aaa111=us-west-2"),
        ]);
        let error = env(&vars).cognito_pools().unwrap_err().to_string();
        assert!(
            error.starts_with("COGNITO_REPLICA_REGIONS=") && error.contains("updated format"),
            "{error}"
        );
        // Replicas widen the region check; without the replica the region is a typo.
        vars[3] = ("COGNITO_ISSUER_FORMS", "original");
        vars.push(("COGNITO_REGION", "us-west-2"));
        assert!(env(&vars).cognito_pools().is_ok());
        vars.remove(4);
        let error = env(&vars).cognito_pools().unwrap_err().to_string();
        assert!(error.starts_with("COGNITO_REGION="), "{error}");
        for name in [
            "COGNITO_ISSUER_FORMS",
            "COGNITO_REPLICA_REGIONS",
            "COGNITO_ISSUER_ENDPOINT_URLS",
        ] {
            let error = env(&[(name, "x")]).cognito_pools().unwrap_err().to_string();
            assert!(error.starts_with(name) && error.contains("cutover mode"), "{error}");
        }
    }
}
