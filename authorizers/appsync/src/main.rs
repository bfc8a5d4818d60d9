//! `appsync-authorizer` (deployed as `bootstrap` on provided.al2023): the shared Lambda main
//! (settings, keys prefetched during the init phase, then events; a bad setting stops the cold
//! start with one log line and an init error).

fn main() -> Result<(), lambda_runtime::Error> {
    authorizer_common::run::<appsync_authorizer::State>()
}
