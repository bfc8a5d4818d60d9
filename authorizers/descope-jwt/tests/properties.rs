//! Properties over arbitrary input: the verifier never panics, and never accepts a token that
//! differs in any way from one Descope signed.

use std::sync::OnceLock;

use crate::support::{Answer, JwksServer};
use descope_jwt::{
    Config, Verifier,
    testing::{TestKey, jwks, session_claims},
};
use proptest::prelude::*;

const PID: &str = "P2testproject0000000000001";

/// One runtime, server and verifier for all cases (building them per case would dominate).
struct World {
    runtime: tokio::runtime::Runtime,
    verifier: Verifier,
    tokens: Vec<String>,
    _server: JwksServer,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let rsa = TestKey::rs256("rsa").unwrap();
        let ec = TestKey::es256("ec").unwrap();
        let (server, verifier) = runtime.block_on(async {
            let server = JwksServer::start(Answer::Json(jwks(&[&rsa, &ec]))).await;
            let verifier = Verifier::new(Config::new(PID).jwks_url(server.jwks_url(PID))).unwrap();
            verifier.prefetch().await.unwrap();
            (server, verifier)
        });
        let tokens = [&rsa, &ec]
            .iter()
            .map(|k| k.sign(&session_claims(PID, "U2user")).unwrap())
            .collect();
        World {
            runtime,
            verifier,
            tokens,
            _server: server,
        }
    })
}

/// A single edit of a token: replace, insert or delete one byte.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn apply(token: &str, edit: &Edit) -> Vec<u8> {
    let mut bytes = token.as_bytes().to_vec();
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match *edit {
        Edit::Replace(i, b) => {
            if !bytes.is_empty() {
                let i = at(i, bytes.len());
                bytes[i] = b;
            }
        }
        Edit::Insert(i, b) => bytes.insert(at(i, bytes.len() + 1), b),
        Edit::Delete(i) => {
            if !bytes.is_empty() {
                let i = at(i, bytes.len());
                bytes.remove(i);
            }
        }
        Edit::Truncate(i) => bytes.truncate(at(i, bytes.len())),
    }
    bytes
}

fn edit() -> impl Strategy<Value = Edit> {
    // Mostly base64url characters and dots, which survive the shape check and reach deeper steps.
    let byte = prop_oneof![
        4 => proptest::sample::select(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.".to_vec()),
        1 => any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<usize>(), byte).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        // Failures are reported with their minimal input; nothing is written into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_input_is_refused_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let w = world();
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(w.runtime.block_on(w.verifier.verify(&text)).is_err());
    }

    #[test]
    fn dot_separated_base64ish_input_is_refused(parts in proptest::collection::vec("[A-Za-z0-9_-]{0,64}", 0..5)) {
        let w = world();
        let text = parts.join(".");
        prop_assert!(w.runtime.block_on(w.verifier.verify(&text)).is_err());
    }

    #[test]
    fn every_mutation_of_a_genuine_token_is_refused(which in 0usize..2, edits in proptest::collection::vec(edit(), 1..4)) {
        let w = world();
        let original = &w.tokens[which];
        let mut bytes = original.as_bytes().to_vec();
        for e in &edits {
            bytes = apply(&String::from_utf8_lossy(&bytes), e);
        }
        let mutated = String::from_utf8_lossy(&bytes).into_owned();
        prop_assume!(&mutated != original);
        let outcome = w.runtime.block_on(w.verifier.verify(&mutated));
        prop_assert!(outcome.is_err(), "accepted a mutated token: {:?}", edits);
    }
}

#[test]
fn the_unmutated_tokens_are_accepted() {
    // Guards the property above against passing because every token is refused.
    let w = world();
    for token in &w.tokens {
        assert!(w.runtime.block_on(w.verifier.verify(token)).is_ok());
    }
}
