//! Differential test of the authorizer's GraphQL reader (`appsync_authorizer::graphql`) against
//! `apollo-parser`, a spec-compliant parser: on real-world and generated documents, when both
//! accept they agree on the operation type and the set of top-level fields, and a document
//! `apollo-parser` rejects is never authorized by the reader.

use std::collections::{BTreeMap, BTreeSet};

use apollo_parser::{Parser, cst};
use appsync_authorizer::graphql::top_level;
use authz_policy::OperationType;
use proptest::prelude::*;

fn roots(kind: OperationType) -> String {
    match kind {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    }
    .to_owned()
}

type Read = (OperationType, BTreeSet<String>);

/// What the reference says about a document.
#[derive(Debug, PartialEq, Eq)]
enum Reference {
    /// apollo-parser reports syntax errors: the reader must refuse.
    SyntaxError,
    /// Well-formed, but outside the reader's contract (a type-system definition, an unknown or
    /// foreign fragment, a cycle, an ambiguous or missing operation): refusing is right.
    Refused(&'static str),
    /// Well-formed and readable: the reader must agree or refuse (never read other fields).
    Read(Read),
}

fn name(n: Option<cst::Name>) -> Option<String> {
    n.map(|n| n.text().to_string())
}

/// The reader's contract computed on apollo-parser's CST.
fn reference(document: &str, operation_name: Option<&str>) -> Reference {
    let tree = Parser::new(document).parse();
    if tree.errors().next().is_some() {
        return Reference::SyntaxError;
    }
    let mut operations = Vec::new();
    let mut fragments = BTreeMap::new();
    for definition in tree.document().definitions() {
        match definition {
            cst::Definition::OperationDefinition(op) => {
                let kind = match op.operation_type() {
                    None => OperationType::Query,
                    Some(t) if t.query_token().is_some() => OperationType::Query,
                    Some(t) if t.mutation_token().is_some() => OperationType::Mutation,
                    Some(_) => OperationType::Subscription,
                };
                let op_name = name(op.name());
                // Executable-definition validation the parser leaves to a validator: operation
                // names are unique, an anonymous operation is alone.
                if operations
                    .iter()
                    .any(|(n, _, _): &(Option<String>, _, _)| n.is_none() || *n == op_name)
                    || (op_name.is_none() && !operations.is_empty())
                {
                    return Reference::Refused("duplicate operation");
                }
                operations.push((op_name, kind, op.selection_set()));
            }
            cst::Definition::FragmentDefinition(f) => {
                let Some(fname) = name(f.fragment_name().and_then(|n| n.name())) else {
                    return Reference::SyntaxError;
                };
                let on = name(f.type_condition().and_then(|t| t.named_type()).and_then(|t| t.name()));
                if fragments.insert(fname, (on, f.selection_set())).is_some() {
                    return Reference::Refused("duplicate fragment");
                }
            }
            _ => return Reference::Refused("not executable"),
        }
    }
    let chosen = match operation_name.filter(|n| !n.is_empty()) {
        Some(wanted) => operations.iter().find(|(n, _, _)| n.as_deref() == Some(wanted)),
        None if operations.len() == 1 => operations.first(),
        None => None,
    };
    let Some((_, kind, set)) = chosen else {
        return Reference::Refused("operation not found");
    };
    let root = roots(*kind);
    let mut fields = BTreeSet::new();
    match collect(set.clone(), &root, &fragments, &mut Vec::new(), &mut fields) {
        Ok(()) => Reference::Read((*kind, fields)),
        Err(why) => Reference::Refused(why),
    }
}

type Fragments = BTreeMap<String, (Option<String>, Option<cst::SelectionSet>)>;

fn collect(
    set: Option<cst::SelectionSet>,
    root: &str,
    fragments: &Fragments,
    active: &mut Vec<String>,
    fields: &mut BTreeSet<String>,
) -> Result<(), &'static str> {
    let set = set.ok_or("no selection set")?;
    for selection in set.selections() {
        match selection {
            cst::Selection::Field(f) => {
                let n = name(f.name()).ok_or("field without name")?;
                if n != "__typename" {
                    fields.insert(n);
                }
            }
            cst::Selection::InlineFragment(i) => {
                let on = i.type_condition().and_then(|t| t.named_type()).and_then(|t| t.name());
                if let Some(on) = name(on)
                    && on != root
                {
                    return Err("foreign inline fragment");
                }
                collect(i.selection_set(), root, fragments, active, fields)?;
            }
            cst::Selection::FragmentSpread(s) => {
                let n = name(s.fragment_name().and_then(|n| n.name())).ok_or("spread without name")?;
                let (on, nested) = fragments.get(&n).ok_or("unknown fragment")?;
                if on.as_deref() != Some(root) {
                    return Err("foreign fragment");
                }
                if active.contains(&n) {
                    return Err("fragment cycle");
                }
                active.push(n);
                collect(nested.clone(), root, fragments, active, fields)?;
                active.pop();
            }
        }
    }
    Ok(())
}

/// The reader's answer, as a set.
fn reader(document: &str, operation_name: Option<&str>) -> Option<Read> {
    top_level(document, operation_name, roots)
        .ok()
        .map(|op| (op.kind, op.fields.into_iter().collect()))
}

/// The safety property: the reader never reads a document apollo-parser rejects, and never reads
/// other fields than the reference. Returns whether the reader refused a document the reference
/// reads (conservative, allowed, but counted).
fn check(document: &str, operation_name: Option<&str>) -> Result<bool, String> {
    let want = reference(document, operation_name);
    let got = reader(document, operation_name);
    match (&want, &got) {
        (_, None) => Ok(matches!(want, Reference::Read(_))),
        (Reference::Read(w), Some(g)) if w == g => Ok(false),
        _ => Err(format!(
            "divergence on {document:?} (operationName {operation_name:?}): apollo-parser {want:?}, reader {got:?}"
        )),
    }
}

fn set(kind: OperationType, fields: &[&str]) -> Option<Read> {
    Some((kind, fields.iter().map(|f| (*f).to_owned()).collect()))
}

/// Real-world documents: both must read them, and the same way (`expected`); `None` means both
/// must refuse.
#[test]
fn real_world_documents_agree() {
    use OperationType::{Mutation, Query, Subscription};
    let table: Vec<(&str, Option<&str>, Option<Read>)> = vec![
        ("{ me { id } }", None, set(Query, &["me"])),
        (
            "query { listPosts(first: 10) { items { id title } nextToken } }",
            None,
            set(Query, &["listPosts"]),
        ),
        (
            "mutation CreatePost($input: CreatePostInput!) { createPost(input: $input) { id } }",
            None,
            set(Mutation, &["createPost"]),
        ),
        (
            "subscription OnCreatePost { onCreatePost { id title } }",
            None,
            set(Subscription, &["onCreatePost"]),
        ),
        (
            "query { mine: me { id } other: deletePost(id: 1) { id } }",
            None,
            set(Query, &["me", "deletePost"]),
        ),
        (
            "query Q($skip: Boolean!) { me @skip(if: $skip) { id } auditLog @include(if: false) { id } }",
            None,
            // A conditionally included root field still counts as requested: the safe reading.
            set(Query, &["me", "auditLog"]),
        ),
        (
            "query A { me } mutation B { deletePost(id: 1) { id } } subscription C { onPost { id } }",
            Some("B"),
            set(Mutation, &["deletePost"]),
        ),
        ("query A { me } query B { auditLog }", Some("A"), set(Query, &["me"])),
        ("query A { me } query B { auditLog }", None, None),
        ("query A { me }", Some("Z"), None),
        (
            "query { ...Root ... on Query { auditLog } ... @include(if: true) { me } }
             fragment Root on Query { listPosts { ...PostFields } ...More }
             fragment More on Query { internalStats }
             fragment PostFields on Post { title }",
            None,
            set(Query, &["listPosts", "internalStats", "auditLog", "me"]),
        ),
        ("query { ...U } fragment U on User { email }", None, None),
        (
            "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
            None,
            None,
        ),
        ("query { ...Missing }", None, None),
        (
            "# leading comment\nquery Q {\n  # me { id }\n  search(text: \"} auditLog {\") { id } # trailing\n}\n",
            None,
            set(Query, &["search"]),
        ),
        (
            "query { search(raw: \"\"\"\n  block } auditLog { \\\"\"\" still inside\n\"\"\") { id } }",
            None,
            set(Query, &["search"]),
        ),
        (
            "query { search(text: \"caf\u{e9} \u{1F600} \\u00e9\") { id } }",
            None,
            set(Query, &["search"]),
        ),
        ("\u{FEFF}query { me }", None, set(Query, &["me"])),
        ("query { __typename me { __typename } }", None, set(Query, &["me"])),
        (
            "query IntrospectionQuery { __schema { queryType { name } types { name } } __type(name: \"Post\") { name } }",
            None,
            set(Query, &["__schema", "__type"]),
        ),
        (
            "query ($a: [Int!]! = [1, 2], $b: In = {x: {y: [null, true, ENUM, -1.5e-3]}}) @live { f(a: $a, b: $b) }",
            None,
            set(Query, &["f"]),
        ),
        ("query { me, auditLog, }", None, set(Query, &["me", "auditLog"])),
        ("type Query { me: User }", None, None),
        ("{ me } type Query { me: User }", None, None),
        ("", None, None),
        ("{ }", None, None),
        ("query { me(id: 1 }", None, None),
        ("query { me } }", None, None),
        ("query { me . id }", None, None),
        // Regression cases for divergences the differential test found (malformed values inside
        // arguments were skipped, not read).
        ("query { me(id:) }", None, None),
        ("query { me(: 1) }", None, None),
        ("query { me(id 1) }", None, None),
        ("query { me(id: 1 2) }", None, None),
        ("query { me(id: 1-2) }", None, None),
        ("query { me(id: 01) }", None, None),
        ("query { me(id: 1.) }", None, None),
        ("query { me(id: 1e) }", None, None),
        ("query { me(id: -) }", None, None),
        ("query { me(id: $) }", None, None),
        ("query { me(id: @) }", None, None),
        ("query { me() }", None, None),
        ("query ($v Int) { me }", None, None),
        ("query ($v: ) { me }", None, None),
        ("query ($v: Int = $w) { me }", None, None),
        ("query { me @ }", None, None),
    ];
    let mut failures = Vec::new();
    for (document, operation_name, expected) in &table {
        let want = reference(document, *operation_name);
        let got = reader(document, *operation_name);
        let want_read = match &want {
            Reference::Read(r) => Some(r.clone()),
            _ => None,
        };
        if want_read != *expected {
            failures.push(format!(
                "table expectation wrong for apollo-parser on {document:?}: {want:?}"
            ));
        }
        if got != *expected {
            failures.push(format!("reader on {document:?}: {got:?}, expected {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// Generated documents from a small grammar.

fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(" "), Just(", "), Just("\n"), Just("\t"), Just(" # } auditLog {\n")]
}

fn field_name() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("me"),
        Just("listPosts"),
        Just("createPost"),
        Just("auditLog"),
        Just("__typename"),
        Just("__schema"),
        Just("on"),
        Just("query"),
        Just("fragment"),
    ]
}

fn arguments() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(""),
        Just("(id: 1)"),
        Just("(id: $id, first: -10)"),
        Just("(text: \"} auditLog { \\\" \\u00e9\")"),
        Just("(raw: \"\"\" } \\\"\"\" { \"\"\")"),
        Just("(filter: {and: [{a: 1.5e3}, {b: null}], c: ENUM, d: true})"),
        Just("(list: [[1], [], \"x\"])"),
    ]
}

fn directives() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(""),
        Just(" @include(if: $c)"),
        Just(" @skip(if: true)"),
        Just(" @live")
    ]
}

fn selection_set() -> impl Strategy<Value = String> {
    let leaf = (
        field_name(),
        prop::option::of("[a-z][a-zA-Z0-9_]{0,4}"),
        arguments(),
        directives(),
    )
        .prop_map(|(f, alias, args, dirs)| match alias {
            Some(a) => format!("{a}: {f}{args}{dirs}"),
            None => format!("{f}{args}{dirs}"),
        })
        .boxed();
    let inner = leaf
        .prop_recursive(4, 24, 4, move |inner| {
            (
                field_name(),
                arguments(),
                directives(),
                prop::collection::vec((inner, separator()), 1..4),
            )
                .prop_map(|(f, args, dirs, items)| {
                    let body: String = items.into_iter().map(|(i, s)| format!("{i}{s}")).collect();
                    format!("{f}{args}{dirs} {{ {body}}}")
                })
        })
        .boxed();
    let root_item = prop_oneof![
        4 => inner.clone(),
        1 => Just("...F0".to_owned()),
        1 => Just("...F1 @include(if: $c)".to_owned()),
        1 => Just("...on".to_owned()),
        1 => inner.clone().prop_map(|i| format!("... on ROOT {{ {i} }}")),
        1 => inner.prop_map(|i| format!("... @skip(if: false) {{ {i} }}")),
    ];
    prop::collection::vec((root_item, separator()), 1..5).prop_map(|items| {
        format!(
            "{{ {}}}",
            items.into_iter().map(|(i, s)| format!("{i}{s}")).collect::<String>()
        )
    })
}

fn document() -> impl Strategy<Value = (String, Option<String>)> {
    (
        prop_oneof![Just("query"), Just("mutation"), Just("subscription"), Just("")],
        prop_oneof![Just(""), Just(" Op"), Just(" Other")],
        prop_oneof![Just(""), Just("($id: ID!, $c: Boolean = true, $l: [In!]! = [{a: 1}])")],
        directives(),
        selection_set(),
        prop::collection::vec(selection_set(), 0..3),
        prop_oneof![
            Just(""),
            Just("query Second { auditLog }"),
            Just("mutation Op { deletePost(id: 1) }")
        ],
        prop_oneof![Just(None), Just(Some("Op")), Just(Some("Second")), Just(Some("Other"))],
    )
        .prop_map(|(keyword, op_name, vars, dirs, set, fragments, extra, chosen)| {
            let root = match keyword {
                "mutation" => "Mutation",
                "subscription" => "Subscription",
                _ => "Query",
            };
            let head = if keyword.is_empty() {
                String::new()
            } else {
                format!("{keyword}{op_name}{vars}{dirs} ")
            };
            let mut doc = format!("{head}{}\n", set.replace("ROOT", root));
            for (i, body) in fragments.iter().enumerate() {
                doc.push_str(&format!("fragment F{i} on {root} {}\n", body.replace("ROOT", root)));
            }
            doc.push_str(extra);
            (doc, chosen.map(str::to_owned))
        })
}

/// A valid document, damaged: truncated, a character inserted, or one removed.
fn mutated() -> impl Strategy<Value = (String, Option<String>)> {
    (
        document(),
        any::<prop::sample::Index>(),
        prop_oneof![Just(None), "[{}()\\[\\]\"#$:@!.=1a\\-\\\\]".prop_map(Some)],
        any::<bool>(),
    )
        .prop_map(|((doc, chosen), at, insert, truncate)| {
            let cut = at.index(doc.len() + 1);
            let cut = (0..=cut).rev().find(|i| doc.is_char_boundary(*i)).unwrap_or(0);
            let doc = match (insert, truncate) {
                (_, true) => doc[..cut].to_owned(),
                (Some(c), false) => format!("{}{c}{}", &doc[..cut], &doc[cut..]),
                (None, false) => {
                    let mut d = doc.clone();
                    if cut < d.len() {
                        d.remove(cut);
                    }
                    d
                }
            };
            (doc, chosen)
        })
}

proptest! {
    // 2,000 cases each unless PROPTEST_CASES asks for more (or fewer).
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_documents_agree((doc, chosen) in document()) {
        let want = reference(&doc, chosen.as_deref());
        let got = reader(&doc, chosen.as_deref());
        // On the grammar's documents, the reader accepts exactly what apollo-parser reads.
        match want {
            Reference::Read(w) => prop_assert_eq!(got, Some(w), "{:?}", doc),
            other => prop_assert_eq!(got, None, "{:?}: apollo-parser {:?}", doc, other),
        }
    }

    #[test]
    fn damaged_documents_are_never_authorized_by_the_reader_alone((doc, chosen) in mutated()) {
        check(&doc, chosen.as_deref()).map_err(TestCaseError::fail)?;
    }
}
