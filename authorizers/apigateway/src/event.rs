//! The four authorizer event shapes, read straight from the event JSON, and the ARN they carry.

use serde_json::Value;

/// Which API Gateway authorizer sent the event (the event's own shape says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// REST API, TOKEN authorizer: `type` = `TOKEN`, `authorizationToken`, `methodArn`.
    RestToken,
    /// REST API, REQUEST authorizer: `type` = `REQUEST`, headers, query, path parameters, `methodArn`.
    RestRequest,
    /// HTTP API, payload format 1.0: `version` = `1.0`, like REST REQUEST.
    HttpV1,
    /// HTTP API, payload format 2.0: `version` = `2.0`, `routeArn`, lowercase headers, `cookies`.
    HttpV2,
}

impl EventKind {
    /// A short name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RestToken => "rest_token",
            Self::RestRequest => "rest_request",
            Self::HttpV1 => "http_v1",
            Self::HttpV2 => "http_v2",
        }
    }
}

/// An execute-api ARN: `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{verb}/{path}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiArn<'a> {
    partition: &'a str,
    region: &'a str,
    account: &'a str,
    api_id: &'a str,
    stage: &'a str,
    /// The request's HTTP method.
    pub method: &'a str,
    /// The request path without its leading `/` (empty for the root).
    resource: &'a str,
}

impl<'a> ApiArn<'a> {
    /// Parses a `methodArn` / `routeArn`; `None` when it is not an execute-api method ARN.
    pub fn parse(arn: &'a str) -> Option<Self> {
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("execute-api"), Some(region), Some(account), Some(rest)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let mut rest = rest.splitn(4, '/');
        let (Some(api_id), Some(stage), Some(method)) = (rest.next(), rest.next(), rest.next()) else {
            return None;
        };
        let resource = rest.next().unwrap_or("");
        let fields = [partition, region, account, api_id, stage, method];
        if fields.iter().any(|f| f.is_empty() || f.contains('*')) {
            return None;
        }
        Some(Self {
            partition,
            region,
            account,
            api_id,
            stage,
            method,
            resource,
        })
    }

    /// The request path, starting with `/`.
    pub fn path(&self) -> String {
        format!("/{}", self.resource)
    }

    /// The ARN of `method` on `path` (a pattern starting with `/`) in the same API and stage.
    pub fn resource(&self, method: &str, path: &str) -> String {
        format!(
            "arn:{}:execute-api:{}:{}:{}/{}/{}/{}",
            self.partition,
            self.region,
            self.account,
            self.api_id,
            self.stage,
            method,
            path.strip_prefix('/').unwrap_or(path)
        )
    }
}

/// An authorizer event, borrowed from its JSON.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// The event kind.
    pub kind: EventKind,
    /// `methodArn` or `routeArn`, as sent.
    pub arn: &'a str,
    event: &'a Value,
}

/// Why an event could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventError {
    /// Not one of the four known shapes.
    Unsupported,
    /// No `methodArn` / `routeArn`.
    MissingArn,
}

impl<'a> Incoming<'a> {
    /// Recognises the event kind from `version` and `type`.
    pub fn parse(event: &'a Value) -> Result<Self, EventError> {
        let text = |key: &str| event.get(key).and_then(Value::as_str);
        let kind = match (text("version"), text("type")) {
            (Some("2.0"), _) => EventKind::HttpV2,
            (Some("1.0"), _) => EventKind::HttpV1,
            (None, Some("TOKEN")) => EventKind::RestToken,
            (None, Some("REQUEST")) => EventKind::RestRequest,
            _ => return Err(EventError::Unsupported),
        };
        let arn_key = if kind == EventKind::HttpV2 {
            "routeArn"
        } else {
            "methodArn"
        };
        let arn = text(arn_key).ok_or(EventError::MissingArn)?;
        Ok(Self { kind, arn, event })
    }

    /// The raw token value: `authorizationToken` for TOKEN events; for the others the first
    /// present of the `Authorization` header, the configured header, query parameter and cookie.
    /// Whatever is found first is used, even if it turns out malformed.
    pub fn token_value(&self, sources: &crate::TokenSources) -> Option<&'a str> {
        let non_empty = |v: Option<&'a str>| v.filter(|v| !v.trim().is_empty());
        if self.kind == EventKind::RestToken {
            return non_empty(self.event.get("authorizationToken").and_then(Value::as_str));
        }
        non_empty(self.header("authorization"))
            .or_else(|| non_empty(sources.header.as_deref().and_then(|h| self.header(h))))
            .or_else(|| non_empty(sources.query.as_deref().and_then(|q| self.query(q))))
            .or_else(|| non_empty(sources.cookie.as_deref().and_then(|c| self.cookie(c))))
    }

    /// A request header, by case-insensitive name (REQUEST-style events only).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.event
            .get("headers")?
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
    }

    /// A query-string parameter (for HTTP API 2.0, repeated keys arrive comma-joined).
    pub fn query(&self, name: &str) -> Option<&'a str> {
        self.event.get("queryStringParameters")?.get(name)?.as_str()
    }

    /// A path parameter.
    pub fn path_parameter(&self, name: &str) -> Option<&'a str> {
        self.event.get("pathParameters")?.get(name)?.as_str()
    }

    /// A cookie: from `cookies` (HTTP API 2.0) or the `Cookie` header.
    pub fn cookie(&self, name: &str) -> Option<&'a str> {
        let find = |pair: &'a str| {
            let (key, value) = pair.trim().split_once('=')?;
            (key.trim() == name).then(|| value.trim().trim_matches('"'))
        };
        if let Some(cookies) = self.event.get("cookies").and_then(Value::as_array) {
            return cookies.iter().filter_map(Value::as_str).find_map(find);
        }
        self.header("cookie")?.split(';').find_map(find)
    }
}
