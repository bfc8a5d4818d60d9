//! The CloudWatch metrics `infra/template.yaml` derives from the authorizers' decision log line:
//! its `AWS::Logs::MetricFilter` resources (with an evaluator for the JSON filter patterns they
//! use) and the metrics its `AWS::CloudWatch::Dashboard` plots. The functions' tests run the real
//! binaries, feed each printed log line to the filters and compare what the filters would publish
//! with what the dashboard plots. Test code: it panics on anything it does not understand, so a
//! filter or widget written outside the supported subset fails the tests instead of passing
//! unchecked.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
};

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

/// The fields of the decision line that may become metric dimensions: each takes a small fixed
/// set of values chosen by the code (never user data such as the subject).
pub const DIMENSION_FIELDS: [&str; 3] = ["$.fields.idp", "$.fields.decision", "$.fields.reason"];

/// `infra/template.yaml`, parsed. CloudFormation's short tags (`!Ref X`, `!Sub "..."`) read as
/// their plain string (`X`, `...` with `${...}` left as written).
pub struct Template {
    resources: Yaml,
}

impl Template {
    /// Reads the repository's `infra/template.yaml`.
    pub fn load() -> Self {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Self {
            resources: docs[0]["Resources"].clone(),
        }
    }

    /// The `Type` of a resource, `None` when there is no such resource.
    pub fn resource_type(&self, logical_id: &str) -> Option<String> {
        self.resources[logical_id]["Type"].as_str().map(str::to_owned)
    }

    /// The logical ID of the log group a function writes to (`LoggingConfig.LogGroup: !Ref X`).
    pub fn log_group_of(&self, function: &str) -> String {
        let group = self.resources[function]["Properties"]["LoggingConfig"]["LogGroup"]
            .as_str()
            .unwrap_or_else(|| panic!("{function} has no LoggingConfig.LogGroup"));
        assert_eq!(
            self.resource_type(group).as_deref(),
            Some("AWS::Logs::LogGroup"),
            "{function} logs to {group}"
        );
        let format = self.resources[function]["Properties"]["LoggingConfig"]["LogFormat"].as_str();
        assert_eq!(
            format,
            Some("JSON"),
            "{function}: the filters read JSON log lines (AWS_LAMBDA_LOG_FORMAT=JSON)"
        );
        group.to_owned()
    }

    /// Every metric filter on the log group `log_group` (a logical ID).
    pub fn metric_filters(&self, log_group: &str) -> Vec<MetricFilter> {
        let mut filters = Vec::new();
        for (id, resource) in self.resources.as_hash().expect("Resources is a mapping") {
            if resource["Type"].as_str() != Some("AWS::Logs::MetricFilter") {
                continue;
            }
            let props = &resource["Properties"];
            if props["LogGroupName"].as_str() != Some(log_group) {
                continue;
            }
            let id = id.as_str().expect("a logical ID").to_owned();
            let pattern_text = props["FilterPattern"].as_str().expect("FilterPattern").to_owned();
            let pattern = FilterPattern::parse(&pattern_text).unwrap_or_else(|e| panic!("{id}: {e}"));
            let transforms = props["MetricTransformations"].as_vec().expect("MetricTransformations");
            assert_eq!(transforms.len(), 1, "{id}: one metric per filter");
            let t = &transforms[0];
            let text = |key: &str| -> Option<String> {
                match &t[key] {
                    Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
                    Yaml::Integer(i) => Some(i.to_string()),
                    Yaml::BadValue => None,
                    other => panic!("{id}: {key} is {other:?}"),
                }
            };
            let dimensions: Vec<(String, String)> = t["Dimensions"]
                .as_vec()
                .map(|dims| {
                    dims.iter()
                        .map(|d| {
                            (
                                d["Key"].as_str().expect("Dimension Key").to_owned(),
                                d["Value"].as_str().expect("Dimension Value").to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let default_value = text("DefaultValue").map(|v| v.parse::<f64>().expect("DefaultValue"));
            assert!(
                dimensions.is_empty() || default_value.is_none(),
                "{id}: CloudWatch refuses a DefaultValue on a filter with dimensions"
            );
            assert!(dimensions.len() <= 3, "{id}: at most three dimensions per filter");
            filters.push(MetricFilter {
                logical_id: id.clone(),
                pattern,
                pattern_text,
                namespace: text("MetricNamespace").expect("MetricNamespace"),
                metric_name: text("MetricName").expect("MetricName"),
                value: text("MetricValue").expect("MetricValue"),
                dimensions,
                default_value,
            });
        }
        filters.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
        filters
    }

    /// The dashboards' bodies (`DashboardBody`, JSON once `!Sub` is applied; the `${...}` are
    /// left in place, inside JSON strings), by logical ID.
    pub fn dashboards(&self) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        for (id, resource) in self.resources.as_hash().expect("Resources is a mapping") {
            if resource["Type"].as_str() != Some("AWS::CloudWatch::Dashboard") {
                continue;
            }
            let id = id.as_str().expect("a logical ID").to_owned();
            let body = resource["Properties"]["DashboardBody"]
                .as_str()
                .unwrap_or_else(|| panic!("{id}: DashboardBody is a string"));
            let body: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{id}: DashboardBody: {e}"));
            out.insert(id, body);
        }
        out
    }
}

/// One `AWS::Logs::MetricFilter` (one metric transformation).
#[derive(Debug, Clone)]
pub struct MetricFilter {
    /// The resource's logical ID.
    pub logical_id: String,
    /// The parsed `FilterPattern`.
    pub pattern: FilterPattern,
    /// The `FilterPattern` as written.
    pub pattern_text: String,
    /// `MetricNamespace` (with `${...}` as written).
    pub namespace: String,
    /// `MetricName`.
    pub metric_name: String,
    /// `MetricValue`: a number, or a `$.` selector.
    pub value: String,
    /// `(Key, Value selector)` pairs.
    pub dimensions: Vec<(String, String)>,
    /// `DefaultValue`: published for every log event the pattern does not match.
    pub default_value: Option<f64>,
}

/// What one log event makes a filter publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The value.
    pub value: f64,
    /// Dimension name to value.
    pub dimensions: BTreeMap<String, String>,
    /// Whether the pattern matched (false: the default value).
    pub matched: bool,
}

impl MetricFilter {
    /// The metric's identity as the dashboard names it: namespace, name, dimension names.
    pub fn metric_key(&self) -> MetricKey {
        MetricKey {
            namespace: self.namespace.clone(),
            name: self.metric_name.clone(),
            dimensions: self.dimensions.iter().map(|(k, _)| k.clone()).collect(),
        }
    }

    /// Every `$.` selector the value and dimensions read; each must also appear in the pattern,
    /// as CloudWatch only takes values from fields the pattern matched.
    pub fn selectors(&self) -> Vec<String> {
        let mut out: Vec<String> = self.dimensions.iter().map(|(_, v)| v.clone()).collect();
        if self.value.starts_with('$') {
            out.push(self.value.clone());
        }
        out
    }

    /// What `event` (a parsed JSON log line) makes this filter publish, `None` for nothing. A
    /// matched event whose dimension or value field is missing or not a string/number panics:
    /// that metric would silently be lost in CloudWatch.
    pub fn publish(&self, event: &Value) -> Option<Published> {
        if !self.pattern.matches(event) {
            return self.default_value.map(|value| Published {
                value,
                dimensions: BTreeMap::new(),
                matched: false,
            });
        }
        let value = if self.value.starts_with('$') {
            select(event, &self.value)
                .and_then(Value::as_f64)
                .unwrap_or_else(|| panic!("{}: {} is not a number in {event}", self.logical_id, self.value))
        } else {
            self.value.parse().expect("a numeric MetricValue")
        };
        let dimensions = self
            .dimensions
            .iter()
            .map(|(key, selector)| {
                let v = match select(event, selector) {
                    Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
                    other => panic!(
                        "{}: dimension {key} ({selector}) is {other:?} in {event}",
                        self.logical_id
                    ),
                };
                (key.clone(), v)
            })
            .collect();
        Some(Published {
            value,
            dimensions,
            matched: true,
        })
    }
}

/// What the template's metric filters on the log group of `function` (its logical ID) publish
/// for `log`, every line the function printed. Checks on the way that the log holds `decisions`
/// decision lines and that each, and no other line, counts as one request with its latency:
/// another line (the one saying the keys were prefetched) counts nowhere, and publishes the
/// default 0 where there is one.
pub fn replay(function: &str, log: &str, decisions: usize) -> Totals {
    assert_eq!(super::runtime::decisions(log).len(), decisions, "{log}");
    let template = Template::load();
    let filters = template.metric_filters(&template.log_group_of(function));
    let totals = Totals::of_log(&filters, log);
    assert_eq!(
        totals.matched("Requests"),
        decisions,
        "one request per decision line, no other line"
    );
    assert_eq!(totals.sum("Requests"), decisions as f64);
    assert_eq!(totals.matched("Latency"), decisions);
    let other = log.lines().find(|l| l.contains("signing keys prefetched")).unwrap();
    let other = Totals::of_log(&filters, other);
    assert!(
        other.series.values().all(|(sum, matched)| *sum == 0.0 && *matched == 0),
        "{other:?}"
    );
    assert!(
        other.series.keys().any(|(name, _)| name == "CognitoRequests"),
        "{other:?}"
    );
    totals
}

/// Expected series (dimension values to sum), as [`Totals::by`] returns them.
pub fn rows(rows: &[(&[&str], f64)]) -> BTreeMap<Vec<String>, f64> {
    rows.iter()
        .map(|(r, n)| (r.iter().map(|s| (*s).to_owned()).collect(), *n))
        .collect()
}

/// What a function's filters publish for everything it printed: each line of `log` is one log
/// event (a JSON line, or text that no JSON pattern matches).
#[derive(Debug, Default)]
pub struct Totals {
    /// `(metric name, dimension values)` to (sum of values, events the pattern matched).
    pub series: BTreeMap<(String, BTreeMap<String, String>), (f64, usize)>,
}

impl Totals {
    /// Feeds every line of `log` to every filter.
    pub fn of_log(filters: &[MetricFilter], log: &str) -> Self {
        let mut totals = Self::default();
        for line in log.lines().filter(|l| !l.trim().is_empty()) {
            let event = serde_json::from_str::<Value>(line).unwrap_or(Value::Null);
            for filter in filters {
                if let Some(published) = filter.publish(&event) {
                    let entry = totals
                        .series
                        .entry((filter.metric_name.clone(), published.dimensions))
                        .or_default();
                    entry.0 += published.value;
                    entry.1 += usize::from(published.matched);
                }
            }
        }
        totals
    }

    /// The sum of `name` over all its dimension values.
    pub fn sum(&self, name: &str) -> f64 {
        self.series
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, (s, _))| s)
            .sum()
    }

    /// The sums of `names`, in order.
    pub fn sums(&self, names: &[&str]) -> Vec<f64> {
        names.iter().map(|name| self.sum(name)).collect()
    }

    /// How many events matched `name`'s pattern.
    pub fn matched(&self, name: &str) -> usize {
        self.series
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, (_, m))| m)
            .sum()
    }

    /// `name`'s series: dimension values (in the given order of keys) to the sum.
    pub fn by(&self, name: &str, keys: &[&str]) -> BTreeMap<Vec<String>, f64> {
        let mut out = BTreeMap::new();
        for ((n, dims), (sum, _)) in &self.series {
            if n == name {
                let values = keys.iter().map(|k| dims.get(*k).cloned().unwrap_or_default()).collect();
                *out.entry(values).or_default() += sum;
            }
        }
        out
    }
}

/// A metric as CloudWatch identifies it (dimension values aside).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricKey {
    /// Namespace.
    pub namespace: String,
    /// Metric name.
    pub name: String,
    /// Dimension names.
    pub dimensions: BTreeSet<String>,
}

/// A metric a dashboard widget plots: a metric array or a `SEARCH` expression.
#[derive(Debug, Clone)]
pub struct Plotted {
    /// The metric.
    pub key: MetricKey,
    /// Dimension values given in a metric array (none for a `SEARCH`).
    pub dimension_values: BTreeMap<String, String>,
    /// The statistic, when given.
    pub stat: Option<String>,
    /// The widget's title.
    pub widget: String,
}

/// Every metric the dashboard body plots. Panics on the shorthand `"."` (repeat the previous
/// entry), on an expression that names an undefined id, and on a `SEARCH` it cannot read.
pub fn plotted_metrics(body: &Value) -> Vec<Plotted> {
    let mut out = Vec::new();
    for widget in body["widgets"].as_array().expect("widgets") {
        if widget["type"] != "metric" {
            continue;
        }
        let props = &widget["properties"];
        let title = props["title"].as_str().unwrap_or("").to_owned();
        let mut ids = BTreeSet::new();
        let mut expressions = Vec::new();
        for entry in props["metrics"].as_array().expect("metrics") {
            let items = entry.as_array().expect("a metric entry is an array");
            let options = items.last().and_then(Value::as_object);
            if let Some(id) = options.and_then(|o| o.get("id")).and_then(Value::as_str) {
                assert!(ids.insert(id.to_owned()), "{title}: id {id} twice");
            }
            if let Some(expression) = options.and_then(|o| o.get("expression")).and_then(Value::as_str) {
                assert_eq!(items.len(), 1, "{title}: an expression entry has only its options");
                if expression.contains("SEARCH(") {
                    out.extend(search_metrics(expression).into_iter().map(|key| Plotted {
                        key,
                        dimension_values: BTreeMap::new(),
                        stat: None,
                        widget: title.clone(),
                    }));
                } else {
                    expressions.push(expression.to_owned());
                }
                continue;
            }
            let strings: Vec<&str> = items
                .iter()
                .filter_map(Value::as_str)
                .inspect(|s| assert_ne!(*s, ".", "{title}: spell metrics out instead of \".\""))
                .collect();
            assert!(
                strings.len() >= 2 && strings.len().is_multiple_of(2),
                "{title}: [namespace, name, (key, value)*, options]: {entry}"
            );
            let dimension_values: BTreeMap<String, String> = strings[2..]
                .chunks(2)
                .map(|kv| (kv[0].to_owned(), kv[1].to_owned()))
                .collect();
            out.push(Plotted {
                key: MetricKey {
                    namespace: strings[0].to_owned(),
                    name: strings[1].to_owned(),
                    dimensions: dimension_values.keys().cloned().collect(),
                },
                dimension_values,
                stat: options
                    .and_then(|o| o.get("stat"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                widget: title.clone(),
            });
        }
        for expression in expressions {
            for word in identifiers(&expression) {
                assert!(ids.contains(&word), "{title}: {expression} names no metric id {word}");
            }
        }
    }
    out
}

/// The lowercase identifiers of a metric math expression (ids; functions are upper case).
fn identifiers(expression: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in expression.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '_' {
            current.push(c);
        } else {
            if current.starts_with(|c: char| c.is_ascii_lowercase()) {
                out.push(current.clone());
            }
            current.clear();
        }
    }
    out
}

/// The metrics of `SEARCH('{Namespace,Dim1,...} MetricName="X"', ...)` expressions.
fn search_metrics(expression: &str) -> Vec<MetricKey> {
    let mut out = Vec::new();
    for part in expression.split("SEARCH(").skip(1) {
        let query = part
            .strip_prefix('\'')
            .and_then(|q| q.split_once('\''))
            .map(|(q, _)| q)
            .unwrap_or_else(|| panic!("cannot read the SEARCH in {expression}"));
        // `{"Namespace",Dim1,...}`: the namespace is quoted (it holds `/` and `${...}`).
        let (namespace, rest) = query
            .strip_prefix("{\"")
            .and_then(|q| q.split_once('"'))
            .unwrap_or_else(|| panic!("a SEARCH starts with a {{\"Namespace\",Dimension...}} schema: {expression}"));
        let (dimensions, rest) = rest
            .split_once('}')
            .unwrap_or_else(|| panic!("unterminated SEARCH schema: {expression}"));
        let fields = dimensions
            .split(',')
            .map(|f| f.trim().trim_matches('"').to_owned())
            .filter(|f| !f.is_empty());
        let namespace = namespace.to_owned();
        let name = rest
            .split_once("MetricName=\"")
            .and_then(|(_, n)| n.split_once('"'))
            .map(|(n, _)| n.to_owned())
            .unwrap_or_else(|| panic!("a SEARCH names its MetricName=\"...\": {expression}"));
        out.push(MetricKey {
            namespace,
            name,
            dimensions: fields.collect(),
        });
    }
    out
}

/// A CloudWatch Logs JSON filter pattern (`{ ... }`), the subset of the documented syntax that
/// the template uses: `$.a.b` selectors; `=`/`!=` against a quoted or bare string (with `*`
/// wildcards); `=`, `!=`, `<`, `<=`, `>`, `>=` against a number; `EXISTS`/`NOT EXISTS`; `&&`,
/// `||` and parentheses. A comparison on a missing field is false, as in CloudWatch.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterPattern {
    /// Both.
    And(Box<FilterPattern>, Box<FilterPattern>),
    /// Either.
    Or(Box<FilterPattern>, Box<FilterPattern>),
    /// A string comparison (`=` or `!=`); the pattern may hold `*`.
    Text {
        /// `$.a.b`.
        selector: String,
        /// `!=` instead of `=`.
        negated: bool,
        /// The string, `*` as a wildcard.
        pattern: String,
    },
    /// A numeric comparison.
    Number {
        /// `$.a.b`.
        selector: String,
        /// The operator.
        op: String,
        /// The number.
        value: f64,
    },
    /// `EXISTS` (true) or `NOT EXISTS` (false).
    Exists {
        /// `$.a.b`.
        selector: String,
        /// Whether the field must exist.
        exists: bool,
    },
}

impl FilterPattern {
    /// Parses a JSON filter pattern; `Err` names what is outside the supported subset.
    pub fn parse(text: &str) -> Result<Self, String> {
        let inner = text
            .trim()
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .ok_or_else(|| format!("not a JSON filter pattern: {text}"))?;
        let tokens = tokenize(inner)?;
        let mut pos = 0;
        let pattern = parse_or(&tokens, &mut pos)?;
        if pos != tokens.len() {
            return Err(format!("unexpected {:?} in {text}", tokens[pos]));
        }
        Ok(pattern)
    }

    /// Whether the pattern matches the event.
    pub fn matches(&self, event: &Value) -> bool {
        match self {
            Self::And(a, b) => a.matches(event) && b.matches(event),
            Self::Or(a, b) => a.matches(event) || b.matches(event),
            Self::Text {
                selector,
                negated,
                pattern,
            } => match select(event, selector) {
                Some(Value::String(s)) => super::wildcard_match(pattern, s) != *negated,
                _ => false,
            },
            Self::Number { selector, op, value } => match select(event, selector).and_then(Value::as_f64) {
                Some(v) => match op.as_str() {
                    "=" => v == *value,
                    "!=" => v != *value,
                    "<" => v < *value,
                    "<=" => v <= *value,
                    ">" => v > *value,
                    ">=" => v >= *value,
                    _ => false,
                },
                None => false,
            },
            Self::Exists { selector, exists } => select(event, selector).is_some() == *exists,
        }
    }

    /// Every selector the pattern compares.
    pub fn selectors(&self) -> Vec<String> {
        match self {
            Self::And(a, b) | Self::Or(a, b) => [a.selectors(), b.selectors()].concat(),
            Self::Text { selector, .. } | Self::Number { selector, .. } | Self::Exists { selector, .. } => {
                vec![selector.clone()]
            }
        }
    }
}

/// The value at a `$.a.b` selector.
pub fn select<'a>(event: &'a Value, selector: &str) -> Option<&'a Value> {
    let path = selector.strip_prefix("$.")?;
    path.split('.').try_fold(event, |v, key| v.get(key))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Op(String),
    Quoted(String),
    Word(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            ' ' | '\t' | '\n' => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '&' if next == Some('&') => {
                tokens.push(Token::And);
                i += 2;
            }
            '|' if next == Some('|') => {
                tokens.push(Token::Or);
                i += 2;
            }
            '!' | '<' | '>' if next == Some('=') => {
                tokens.push(Token::Op(format!("{c}=")));
                i += 2;
            }
            '=' | '<' | '>' => {
                tokens.push(Token::Op(c.to_string()));
                i += 1;
            }
            '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '"')
                    .ok_or_else(|| format!("unterminated string in {text}"))?;
                tokens.push(Token::Quoted(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            _ => {
                let start = i;
                while i < chars.len() && !matches!(chars[i], ' ' | '(' | ')' | '=' | '!' | '<' | '>' | '&' | '|' | '"')
                {
                    i += 1;
                }
                if i == start {
                    return Err(format!("unexpected {c:?} in {text}"));
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(tokens)
}

fn parse_or(tokens: &[Token], pos: &mut usize) -> Result<FilterPattern, String> {
    let mut left = parse_and(tokens, pos)?;
    while tokens.get(*pos) == Some(&Token::Or) {
        *pos += 1;
        left = FilterPattern::Or(Box::new(left), Box::new(parse_and(tokens, pos)?));
    }
    Ok(left)
}

fn parse_and(tokens: &[Token], pos: &mut usize) -> Result<FilterPattern, String> {
    let mut left = parse_term(tokens, pos)?;
    while tokens.get(*pos) == Some(&Token::And) {
        *pos += 1;
        left = FilterPattern::And(Box::new(left), Box::new(parse_term(tokens, pos)?));
    }
    Ok(left)
}

fn parse_term(tokens: &[Token], pos: &mut usize) -> Result<FilterPattern, String> {
    if tokens.get(*pos) == Some(&Token::Open) {
        *pos += 1;
        let inner = parse_or(tokens, pos)?;
        if tokens.get(*pos) != Some(&Token::Close) {
            return Err("unbalanced parentheses".into());
        }
        *pos += 1;
        return Ok(inner);
    }
    let selector = match tokens.get(*pos) {
        Some(Token::Word(w)) if w.starts_with("$.") => w.clone(),
        other => return Err(format!("expected a $. selector, found {other:?}")),
    };
    *pos += 1;
    match (tokens.get(*pos), tokens.get(*pos + 1)) {
        (Some(Token::Word(not)), Some(Token::Word(exists))) if not == "NOT" && exists == "EXISTS" => {
            *pos += 2;
            return Ok(FilterPattern::Exists {
                selector,
                exists: false,
            });
        }
        (Some(Token::Word(exists)), _) if exists == "EXISTS" => {
            *pos += 1;
            return Ok(FilterPattern::Exists { selector, exists: true });
        }
        _ => {}
    }
    let op = match tokens.get(*pos) {
        Some(Token::Op(op)) => op.clone(),
        other => return Err(format!("expected an operator after {selector}, found {other:?}")),
    };
    *pos += 1;
    let pattern = match tokens.get(*pos) {
        Some(Token::Quoted(s)) => {
            if op != "=" && op != "!=" {
                return Err(format!("{selector} {op} a string"));
            }
            FilterPattern::Text {
                selector,
                negated: op == "!=",
                pattern: s.clone(),
            }
        }
        Some(Token::Word(w)) => match w.parse::<f64>() {
            Ok(value) => FilterPattern::Number { selector, op, value },
            Err(_) if op == "=" || op == "!=" => FilterPattern::Text {
                selector,
                negated: op == "!=",
                pattern: w.clone(),
            },
            Err(_) => return Err(format!("{selector} {op} {w}: not a number")),
        },
        other => return Err(format!("expected a value after {selector} {op}, found {other:?}")),
    };
    *pos += 1;
    Ok(pattern)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn patterns_follow_cloudwatch_json_semantics() {
        let line = json!({"level": "INFO", "fields": {"message": "authorizer decision", "idp": "cognito",
            "decision": "allow", "latency_us": 41}});
        let yes = [
            r#"{ $.fields.message = "authorizer decision" }"#,
            r#"{ $.fields.idp = "cog*" && $.fields.latency_us >= 0 }"#,
            r#"{ ($.fields.idp = "descope" || $.fields.idp = "cognito") && $.fields.decision = allow }"#,
            r#"{ $.fields.idp != "descope" }"#,
            r#"{ $.fields.subject NOT EXISTS }"#,
            r#"{ $.fields.decision = "*" }"#,
        ];
        for p in yes {
            assert!(FilterPattern::parse(p).unwrap().matches(&line), "{p}");
        }
        let no = [
            r#"{ $.fields.message = "authorizer" }"#,
            r#"{ $.fields.subject = "*" }"#,
            r#"{ $.fields.subject != "x" }"#,
            r#"{ $.fields.latency_us > 41 }"#,
            r#"{ $.fields.idp = "descope" || $.fields.decision = "deny" }"#,
            r#"{ $.fields.idp EXISTS && $.fields.missing EXISTS }"#,
        ];
        for p in no {
            assert!(!FilterPattern::parse(p).unwrap().matches(&line), "{p}");
        }
        for bad in ["$.a = 1", "{ $.a ~ 1 }", "{ ($.a = 1 }", "{ $.a < \"x\" }", "{ a = 1 }"] {
            assert!(FilterPattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn search_expressions_and_metric_arrays_are_read() {
        let body = json!({"widgets": [{"type": "metric", "properties": {"title": "t", "metrics": [
            [{"expression": "SEARCH('{\"NS/${X}\",Decision,Reason} MetricName=\"RequestsByReason\"', 'Sum', 300)", "id": "s"}],
            [{"expression": "100 * a / b", "id": "e"}],
            ["NS", "A", {"id": "a"}],
            ["AWS/Lambda", "Duration", "FunctionName", "f", {"id": "b", "stat": "p99"}]
        ]}}]});
        let plotted = plotted_metrics(&body);
        assert_eq!(plotted.len(), 3);
        assert_eq!(plotted[0].key.name, "RequestsByReason");
        assert_eq!(plotted[0].key.namespace, "NS/${X}");
        assert_eq!(
            plotted[0].key.dimensions,
            BTreeSet::from(["Decision".to_owned(), "Reason".to_owned()])
        );
        assert_eq!(plotted[2].stat.as_deref(), Some("p99"));
        let undefined = json!({"widgets": [{"type": "metric", "properties": {"title": "t", "metrics": [
            [{"expression": "100 * a / c", "id": "e"}], ["NS", "A", {"id": "a"}]]}}]});
        assert!(std::panic::catch_unwind(|| plotted_metrics(&undefined)).is_err());
    }

    /// The authorizer functions, their log groups' filters and the dashboard agree: every metric a
    /// filter publishes is plotted and every metric plotted is published (issue #15).
    #[test]
    fn the_dashboard_plots_exactly_the_metrics_the_filters_publish() {
        let template = Template::load();
        let mut published = BTreeSet::new();
        let mut namespaces = Vec::new();
        for function in ["ApiGatewayAuthorizerFunction", "AppSyncAuthorizerFunction"] {
            let filters = template.metric_filters(&template.log_group_of(function));
            assert!(!filters.is_empty(), "{function}: no metric filter on its log group");
            // Another line of the same function (with every field the filters read) matches none.
            let other = json!({"level": "INFO", "fields": {"message": "signing keys prefetched",
                "idp": "cognito", "decision": "allow", "reason": "route_granted", "latency_us": 3}});
            let mut function_namespaces = BTreeSet::new();
            for filter in &filters {
                assert!(
                    !filter.pattern.matches(&other),
                    "{}: matches lines other than the decision line",
                    filter.logical_id
                );
                for selector in filter.selectors() {
                    assert!(
                        filter.pattern.selectors().contains(&selector),
                        "{}: {selector} is not in the pattern {}",
                        filter.logical_id,
                        filter.pattern_text
                    );
                }
                for (key, selector) in &filter.dimensions {
                    assert!(
                        DIMENSION_FIELDS.contains(&selector.as_str()),
                        "{}: dimension {key} reads {selector}, not a fixed-set field",
                        filter.logical_id
                    );
                }
                function_namespaces.insert(filter.namespace.clone());
                assert!(
                    published.insert(filter.metric_key()),
                    "{}: publishes a metric another filter publishes",
                    filter.logical_id
                );
            }
            assert_eq!(function_namespaces.len(), 1, "{function}: one namespace");
            namespaces.push((function, function_namespaces.pop_first().unwrap()));
        }
        assert_ne!(namespaces[0].1, namespaces[1].1, "each function has its own namespace");

        let dashboards = template.dashboards();
        assert_eq!(dashboards.len(), 1, "one dashboard");
        let plotted = plotted_metrics(dashboards.values().next().unwrap());
        let custom: BTreeSet<MetricKey> = plotted
            .iter()
            .filter(|p| p.key.namespace != "AWS/Lambda")
            .map(|p| p.key.clone())
            .collect();
        assert_eq!(
            custom.difference(&published).collect::<Vec<_>>(),
            Vec::<&MetricKey>::new(),
            "plotted but published by no filter"
        );
        assert_eq!(
            published.difference(&custom).collect::<Vec<_>>(),
            Vec::<&MetricKey>::new(),
            "published but not plotted"
        );

        for (function, namespace) in &namespaces {
            let stats = |namespace: &str, name: &str, dimension: Option<(&str, String)>| -> BTreeSet<String> {
                plotted
                    .iter()
                    .filter(|p| p.key.namespace == namespace && p.key.name == name)
                    .filter(|p| {
                        dimension
                            .as_ref()
                            .is_none_or(|(k, v)| p.dimension_values.get(*k) == Some(v))
                    })
                    .filter_map(|p| p.stat.clone())
                    .collect()
            };
            let percentiles = BTreeSet::from(["p50".to_owned(), "p99".to_owned()]);
            assert!(
                stats(namespace, "Latency", None).is_superset(&percentiles),
                "{function}"
            );
            let duration = stats(
                "AWS/Lambda",
                "Duration",
                Some(("FunctionName", format!("${{{function}}}"))),
            );
            assert!(
                duration.is_superset(&percentiles),
                "{function}: Lambda Duration p50/p99"
            );
            for name in [
                "CognitoRequests",
                "VerifiedRequests",
                "Unauthorized",
                "Denied",
                "Requests",
            ] {
                assert!(
                    stats(namespace, name, None).contains("Sum"),
                    "{function}: {name} plotted as a Sum"
                );
            }
        }
        for p in plotted.iter().filter(|p| p.key.namespace == "AWS/Lambda") {
            let function = p.dimension_values["FunctionName"]
                .strip_prefix("${")
                .and_then(|f| f.strip_suffix('}'))
                .unwrap_or_else(|| panic!("{}: FunctionName is a ${{Function}} reference", p.widget));
            assert!(
                namespaces.iter().any(|(f, _)| *f == function),
                "{}: {function} is not an authorizer function",
                p.widget
            );
        }
    }
}
