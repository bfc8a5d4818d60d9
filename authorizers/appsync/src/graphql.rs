//! A small, strict reader of GraphQL executable documents: the operation's type and the names of
//! its top-level fields, nothing more. Anything it cannot read is an error, and the authorizer
//! refuses the request (fail closed).
//!
//! It lexes the whole document per the GraphQL spec (names, numbers, strings, block strings,
//! `#` comments, commas as whitespace) and parses every selection set, argument, value, directive
//! and variable definition by the spec's grammar, so none can hide or fake a top-level field, and
//! a document a spec-compliant parser rejects is refused (checked against `apollo-parser` in
//! `tests/graphql_differential.rs`). Top-level fields are collected through aliases
//! (`alias: field` counts as `field`), inline fragments without a type or on the root type, and
//! named fragments on the root type (recursively, cycles refused). Directives are read but not
//! evaluated: a root field under `@skip`/`@include` still counts as requested (the safe reading).
//! A fragment on another type at the root is refused: a root type is an object type, so a
//! well-formed query never needs one there.

use std::collections::{BTreeMap, BTreeSet};

use authz_policy::OperationType;

/// Deepest selection-set nesting read; deeper documents are refused.
pub const MAX_DEPTH: usize = 128;

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The query string is missing or empty.
    #[error("no query string")]
    Empty,
    /// A character or token that does not belong there.
    #[error("syntax error at byte {0}")]
    Syntax(usize),
    /// Selection sets nested deeper than [`MAX_DEPTH`].
    #[error("selection sets nested deeper than {MAX_DEPTH}")]
    TooDeep,
    /// The named operation is not in the document.
    #[error("operation {0:?} is not in the document")]
    OperationNotFound(String),
    /// No operation name was given and the document has several operations (or none).
    #[error("operationName is required: the document has {0} operations")]
    AmbiguousOperation(usize),
    /// Two operations or two fragments share a name, or an anonymous operation is not alone.
    #[error("duplicate or lone-anonymous rule violated for {0:?}")]
    Duplicate(String),
    /// A fragment spread names no fragment of the document.
    #[error("unknown fragment {0:?}")]
    UnknownFragment(String),
    /// A fragment at the root is on another type than the root type.
    #[error("fragment on {0:?} used at the root")]
    ForeignFragment(String),
    /// Fragments spread each other in a cycle.
    #[error("fragment cycle through {0:?}")]
    FragmentCycle(String),
}

impl QueryError {
    /// A short reason for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Empty => "no_query",
            Self::Syntax(_) | Self::TooDeep | Self::Duplicate(_) => "unparseable_query",
            Self::OperationNotFound(_) | Self::AmbiguousOperation(_) => "operation_not_found",
            Self::UnknownFragment(_) | Self::ForeignFragment(_) | Self::FragmentCycle(_) => "bad_fragment",
        }
    }
}

/// The operation a request runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// query, mutation or subscription.
    pub kind: OperationType,
    /// The top-level field names (not aliases), in document order, without duplicates, without
    /// `__typename`.
    pub fields: Vec<String>,
}

/// Reads the operation `operation_name` (or the only operation) of `document`; `root_type` gives
/// the root type name of each operation type (to check fragment type conditions at the root).
pub fn top_level(
    document: &str,
    operation_name: Option<&str>,
    root_type: impl Fn(OperationType) -> String,
) -> Result<Operation, QueryError> {
    let tokens = lex(document)?;
    if tokens.is_empty() {
        return Err(QueryError::Empty);
    }
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        end: document.len(),
    };
    let mut operations: Vec<(Option<&str>, OperationType, Vec<Item<'_>>)> = Vec::new();
    let mut fragments: BTreeMap<&str, (&str, Vec<Item<'_>>)> = BTreeMap::new();
    while parser.peek().is_some() {
        match parser.definition()? {
            Definition::Operation(name, kind, items) => {
                if operations.iter().any(|(n, _, _)| n.is_none() || *n == name)
                    || (name.is_none() && !operations.is_empty())
                {
                    return Err(QueryError::Duplicate(name.unwrap_or("").to_owned()));
                }
                operations.push((name, kind, items));
            }
            Definition::Fragment(name, on, items) => {
                if fragments.insert(name, (on, items)).is_some() {
                    return Err(QueryError::Duplicate(name.to_owned()));
                }
            }
        }
    }
    let (kind, items) = match operation_name.filter(|n| !n.is_empty()) {
        Some(wanted) => operations
            .iter()
            .find(|(name, _, _)| *name == Some(wanted))
            .map(|(_, kind, items)| (*kind, items))
            .ok_or_else(|| QueryError::OperationNotFound(wanted.to_owned()))?,
        None if operations.len() == 1 => (operations[0].1, &operations[0].2),
        None => return Err(QueryError::AmbiguousOperation(operations.len())),
    };
    let root = root_type(kind);
    let mut fields = Vec::new();
    collect(items, &root, &fragments, &mut BTreeSet::new(), &mut fields)?;
    Ok(Operation { kind, fields })
}

fn collect<'d>(
    items: &[Item<'d>],
    root: &str,
    fragments: &BTreeMap<&'d str, (&'d str, Vec<Item<'d>>)>,
    active: &mut BTreeSet<&'d str>,
    fields: &mut Vec<String>,
) -> Result<(), QueryError> {
    for item in items {
        match item {
            Item::Field(name) => {
                if *name != "__typename" && !fields.iter().any(|f| f == name) {
                    fields.push((*name).to_owned());
                }
            }
            Item::Inline(on, nested) => {
                if let Some(on) = on
                    && *on != root
                {
                    return Err(QueryError::ForeignFragment((*on).to_owned()));
                }
                collect(nested, root, fragments, active, fields)?;
            }
            Item::Spread(name) => {
                let (on, nested) = fragments
                    .get(name)
                    .ok_or_else(|| QueryError::UnknownFragment((*name).to_owned()))?;
                if *on != root {
                    return Err(QueryError::ForeignFragment((*on).to_owned()));
                }
                if !active.insert(name) {
                    return Err(QueryError::FragmentCycle((*name).to_owned()));
                }
                collect(nested, root, fragments, active, fields)?;
                active.remove(name);
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'d> {
    Punct(u8),
    Spread,
    Name(&'d str),
    /// Numbers and strings: only their position matters here.
    Value,
}

fn is_name_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn is_name_continue(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

/// Tokens with their byte offsets.
fn lex(text: &str) -> Result<Vec<(Token<'_>, usize)>, QueryError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            // A byte-order mark (EF BB BF) is ignored like whitespace.
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBB, 0xBF]) => i += 3,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'!' | b'$' | b'&' | b'(' | b')' | b':' | b'=' | b'@' | b'[' | b']' | b'{' | b'|' | b'}' => {
                tokens.push((Token::Punct(b), start));
                i += 1;
            }
            b'.' => {
                if !bytes[i..].starts_with(b"...") {
                    return Err(QueryError::Syntax(i));
                }
                tokens.push((Token::Spread, start));
                i += 3;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                loop {
                    if i >= bytes.len() {
                        return Err(QueryError::Syntax(start));
                    }
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if bytes[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    } else {
                        i += 1;
                    }
                }
                tokens.push((Token::Value, start));
            }
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n' | b'\r') => return Err(QueryError::Syntax(start)),
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => match bytes.get(i + 1) {
                            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                            Some(b'u') => {
                                let hex = bytes.get(i + 2..i + 6).ok_or(QueryError::Syntax(i))?;
                                if !hex.iter().all(u8::is_ascii_hexdigit) {
                                    return Err(QueryError::Syntax(i));
                                }
                                i += 6;
                            }
                            _ => return Err(QueryError::Syntax(i)),
                        },
                        Some(_) => i += 1,
                    }
                }
                tokens.push((Token::Value, start));
            }
            b'-' | b'0'..=b'9' => {
                i = number_end(bytes, i).ok_or(QueryError::Syntax(start))?;
                tokens.push((Token::Value, start));
            }
            b if is_name_start(b) => {
                while i < bytes.len() && is_name_continue(bytes[i]) {
                    i += 1;
                }
                tokens.push((Token::Name(&text[start..i]), start));
            }
            _ => return Err(QueryError::Syntax(i)),
        }
    }
    Ok(tokens)
}

/// The end of the number starting at `i`, per the spec's IntValue and FloatValue:
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, not followed by a digit, `.` or a name
/// start. `None` if it is not one.
fn number_end(bytes: &[u8], mut i: usize) -> Option<usize> {
    let digits = |i: usize| bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    // A leading zero is the whole integer part; a digit after it fails the lookahead below.
    match digits(i) {
        0 => return None,
        _ if bytes[i] == b'0' => i += 1,
        n => i += n,
    }
    if bytes.get(i) == Some(&b'.') {
        match digits(i + 1) {
            0 => return None,
            n => i += 1 + n,
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        match digits(i) {
            0 => return None,
            n => i += n,
        }
    }
    match bytes.get(i) {
        Some(b) if b.is_ascii_digit() || *b == b'.' || is_name_start(*b) => None,
        _ => Some(i),
    }
}

enum Definition<'d> {
    Operation(Option<&'d str>, OperationType, Vec<Item<'d>>),
    Fragment(&'d str, &'d str, Vec<Item<'d>>),
}

#[derive(Debug)]
enum Item<'d> {
    Field(&'d str),
    Spread(&'d str),
    Inline(Option<&'d str>, Vec<Item<'d>>),
}

struct Parser<'t, 'd> {
    tokens: &'t [(Token<'d>, usize)],
    at: usize,
    end: usize,
}

impl<'d> Parser<'_, 'd> {
    fn peek(&self) -> Option<Token<'d>> {
        self.tokens.get(self.at).map(|(t, _)| *t)
    }

    fn error(&self) -> QueryError {
        QueryError::Syntax(self.tokens.get(self.at).map_or(self.end, |(_, at)| *at))
    }

    fn eat(&mut self, punct: u8) -> bool {
        if self.peek() == Some(Token::Punct(punct)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, punct: u8) -> Result<(), QueryError> {
        if self.eat(punct) { Ok(()) } else { Err(self.error()) }
    }

    fn name(&mut self) -> Result<&'d str, QueryError> {
        match self.peek() {
            Some(Token::Name(n)) => {
                self.at += 1;
                Ok(n)
            }
            _ => Err(self.error()),
        }
    }

    fn definition(&mut self) -> Result<Definition<'d>, QueryError> {
        match self.peek() {
            Some(Token::Punct(b'{')) => Ok(Definition::Operation(
                None,
                OperationType::Query,
                self.selection_set(0)?,
            )),
            Some(Token::Name("fragment")) => {
                self.at += 1;
                let name = self.name()?;
                if name == "on" {
                    return Err(self.error());
                }
                if self.name()? != "on" {
                    return Err(self.error());
                }
                let on = self.name()?;
                self.directives()?;
                Ok(Definition::Fragment(name, on, self.selection_set(0)?))
            }
            Some(Token::Name(keyword)) => {
                let kind = match keyword {
                    "query" => OperationType::Query,
                    "mutation" => OperationType::Mutation,
                    "subscription" => OperationType::Subscription,
                    _ => return Err(self.error()),
                };
                self.at += 1;
                let name = match self.peek() {
                    Some(Token::Name(n)) => {
                        self.at += 1;
                        Some(n)
                    }
                    _ => None,
                };
                if self.peek() == Some(Token::Punct(b'(')) {
                    self.variable_definitions()?;
                }
                self.directives()?;
                Ok(Definition::Operation(name, kind, self.selection_set(0)?))
            }
            _ => Err(self.error()),
        }
    }

    /// Reads `( $name: Type = default @directives ... )`: at least one definition, the default a
    /// constant value.
    fn variable_definitions(&mut self) -> Result<(), QueryError> {
        self.expect(b'(')?;
        loop {
            self.expect(b'$')?;
            self.name()?;
            self.expect(b':')?;
            self.type_reference(0)?;
            if self.eat(b'=') {
                self.value(0, true)?;
            }
            self.directives()?;
            if self.eat(b')') {
                return Ok(());
            }
        }
    }

    /// Reads a type reference: `Name`, `[Type]`, either followed by an optional `!`.
    fn type_reference(&mut self, depth: usize) -> Result<(), QueryError> {
        if depth >= MAX_DEPTH {
            return Err(QueryError::TooDeep);
        }
        if self.eat(b'[') {
            self.type_reference(depth + 1)?;
            self.expect(b']')?;
        } else {
            self.name()?;
        }
        self.eat(b'!');
        Ok(())
    }

    /// Reads `( name: value ... )`: at least one argument.
    fn arguments(&mut self) -> Result<(), QueryError> {
        self.expect(b'(')?;
        loop {
            self.name()?;
            self.expect(b':')?;
            self.value(0, false)?;
            if self.eat(b')') {
                return Ok(());
            }
        }
    }

    /// Reads one value: a variable (unless `constant`), a number or string, a name (`true`,
    /// `false`, `null`, an enum value), a list or an input object.
    fn value(&mut self, depth: usize, constant: bool) -> Result<(), QueryError> {
        if depth >= MAX_DEPTH {
            return Err(QueryError::TooDeep);
        }
        match self.peek() {
            Some(Token::Punct(b'$')) if !constant => {
                self.at += 1;
                self.name()?;
            }
            Some(Token::Value | Token::Name(_)) => self.at += 1,
            Some(Token::Punct(b'[')) => {
                self.at += 1;
                while !self.eat(b']') {
                    self.value(depth + 1, constant)?;
                }
            }
            Some(Token::Punct(b'{')) => {
                self.at += 1;
                while !self.eat(b'}') {
                    self.name()?;
                    self.expect(b':')?;
                    self.value(depth + 1, constant)?;
                }
            }
            _ => return Err(self.error()),
        }
        Ok(())
    }

    fn directives(&mut self) -> Result<(), QueryError> {
        while self.eat(b'@') {
            self.name()?;
            if self.peek() == Some(Token::Punct(b'(')) {
                self.arguments()?;
            }
        }
        Ok(())
    }

    fn selection_set(&mut self, depth: usize) -> Result<Vec<Item<'d>>, QueryError> {
        if depth >= MAX_DEPTH {
            return Err(QueryError::TooDeep);
        }
        self.expect(b'{')?;
        let mut items = Vec::new();
        loop {
            match self.peek() {
                Some(Token::Punct(b'}')) if !items.is_empty() => {
                    self.at += 1;
                    return Ok(items);
                }
                Some(Token::Spread) => {
                    self.at += 1;
                    match self.peek() {
                        Some(Token::Name(n)) if n != "on" => {
                            self.at += 1;
                            self.directives()?;
                            items.push(Item::Spread(n));
                        }
                        _ => {
                            let on = if self.peek() == Some(Token::Name("on")) {
                                self.at += 1;
                                Some(self.name()?)
                            } else {
                                None
                            };
                            self.directives()?;
                            items.push(Item::Inline(on, self.selection_set(depth + 1)?));
                        }
                    }
                }
                Some(Token::Name(_)) => {
                    let mut name = self.name()?;
                    if self.eat(b':') {
                        name = self.name()?;
                    }
                    if self.peek() == Some(Token::Punct(b'(')) {
                        self.arguments()?;
                    }
                    self.directives()?;
                    if self.peek() == Some(Token::Punct(b'{')) {
                        self.selection_set(depth + 1)?;
                    }
                    items.push(Item::Field(name));
                }
                _ => return Err(self.error()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(kind: OperationType) -> String {
        match kind {
            OperationType::Query => "Query",
            OperationType::Mutation => "Mutation",
            OperationType::Subscription => "Subscription",
        }
        .to_owned()
    }

    fn read(doc: &str, name: Option<&str>) -> Result<(OperationType, Vec<String>), QueryError> {
        top_level(doc, name, roots).map(|op| (op.kind, op.fields))
    }

    fn fields(doc: &str, name: Option<&str>) -> Vec<String> {
        read(doc, name).unwrap().1
    }

    #[test]
    fn shorthand_and_named_operations() {
        assert_eq!(
            read("{ me { id } }", None).unwrap(),
            (OperationType::Query, vec!["me".into()])
        );
        assert_eq!(
            read(
                "mutation Add($t: String! = \"x\") @live { createPost(title: $t) { id } }",
                None
            )
            .unwrap(),
            (OperationType::Mutation, vec!["createPost".into()])
        );
        assert_eq!(
            read("subscription { onPost { id } }", None).unwrap().0,
            OperationType::Subscription
        );
    }

    #[test]
    fn aliases_count_as_their_field() {
        assert_eq!(
            fields(
                "query { mine: me { id } other: deletePost(id: 1) { id } me { name } }",
                None
            ),
            ["me", "deletePost"]
        );
    }

    #[test]
    fn comments_strings_and_arguments_cannot_hide_or_fake_fields() {
        let doc = r#"
            # auditLog { id }
            query Q {
              search(text: "} auditLog { id", filter: {and: [{a: 1}, {b: -2.5e3}]}, raw: """ } "x" \""" { """) { id }
              __typename
              listPosts(first: 10, order: [DESC]) @include(if: true) { items { title } }
            }
        "#;
        assert_eq!(fields(doc, None), ["search", "listPosts"]);
    }

    #[test]
    fn the_named_operation_is_chosen() {
        let doc = "query A { me } mutation B { deletePost(id: 1) } query C { auditLog }";
        assert_eq!(
            read(doc, Some("B")).unwrap(),
            (OperationType::Mutation, vec!["deletePost".into()])
        );
        assert_eq!(fields(doc, Some("C")), ["auditLog"]);
        assert_eq!(
            read(doc, Some("D")).unwrap_err(),
            QueryError::OperationNotFound("D".into())
        );
        assert_eq!(read(doc, None).unwrap_err(), QueryError::AmbiguousOperation(3));
        assert_eq!(
            fields("query A { me }", Some("")),
            ["me"],
            "an empty name counts as none"
        );
    }

    #[test]
    fn fragments_on_the_root_type_are_followed() {
        let doc = "query { ...Root ... on Query { auditLog } ... @include(if: true) { me } }
                   fragment Root on Query { listPosts { ...PostFields } ...More }
                   fragment More on Query { internalStats }
                   fragment PostFields on Post { title }";
        assert_eq!(fields(doc, None), ["listPosts", "internalStats", "auditLog", "me"]);
    }

    #[test]
    fn malformed_documents_are_refused() {
        for (doc, err) in [
            ("", QueryError::Empty),
            ("  # only a comment\n", QueryError::Empty),
            ("{ me ", QueryError::Syntax(5)),
            ("{ }", QueryError::Syntax(2)),
            ("query { me(id: 1 }", QueryError::Syntax(17)),
            ("query { me(id: \"unterminated) }", QueryError::Syntax(15)),
            ("query { me } }", QueryError::Syntax(13)),
            ("type Query { me: User }", QueryError::Syntax(0)),
            ("query { me } query { auditLog }", QueryError::Duplicate(String::new())),
            ("query A { me } query A { auditLog }", QueryError::Duplicate("A".into())),
            ("{ me } query A { auditLog }", QueryError::Duplicate("A".into())),
            ("query { ...Nope }", QueryError::UnknownFragment("Nope".into())),
            (
                "query { ...U } fragment U on User { email }",
                QueryError::ForeignFragment("User".into()),
            ),
            (
                "query { ... on Mutation { x } }",
                QueryError::ForeignFragment("Mutation".into()),
            ),
            (
                "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
                QueryError::FragmentCycle("A".into()),
            ),
            ("query { me . id }", QueryError::Syntax(11)),
            ("query { me(x: 1abc) }", QueryError::Syntax(14)),
            ("query { m\u{e9} }", QueryError::Syntax(9)),
        ] {
            assert_eq!(read(doc, None).unwrap_err(), err, "{doc}");
        }
        let deep = format!("query {}{}", "{ a ".repeat(MAX_DEPTH + 1), "}".repeat(MAX_DEPTH + 1));
        assert_eq!(read(&deep, None).unwrap_err(), QueryError::TooDeep);
        let deep_args = format!(
            "query {{ a(x: {}1{}) }}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(read(&deep_args, None).unwrap_err(), QueryError::TooDeep);
    }

    #[test]
    fn renamed_root_types_are_honoured() {
        let doc = "query { ...R } fragment R on RootQuery { me }";
        let op = top_level(doc, None, |_| "RootQuery".to_owned()).unwrap();
        assert_eq!(op.fields, ["me"]);
    }
}
