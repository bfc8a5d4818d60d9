//! moto server as a local Cognito for the workspace's tests: one place that starts it, builds SDK
//! clients for it, seeds pools and users, and gets tokens Cognito-style (`AdminInitiateAuth`).
//!
//! moto is installed, pinned, by `bash tests/moto/install.sh` into `.venv-moto` at the repository
//! root (`make test` does it). This is test code: every failure panics with what moto answered.
//!
//! ```no_run
//! # async fn run() {
//! use moto_harness::{Moto, UserPool};
//!
//! let moto = Moto::start();
//! let pool = UserPool::create(&moto, "app").await;
//! let client_id = pool.app_client("web").await;
//! pool.group("admins").await;
//! pool.user("ada", "ada@example.com", &["admins"]).await;
//! let tokens = pool.tokens(&client_id, "ada").await;
//! // An authorizer under test trusts `moto.issuer(&pool.id)` with keys from `moto.jwks_url(&pool.id)`.
//! # let _ = tokens;
//! # }
//! ```
//!
//! [`StandIn`] goes in front of moto for what moto never does: it answers a seeded share of calls
//! with Cognito's throttling and 5xx errors, or a per-operation hook's canned answer, and records
//! every request (see [`stand_in`]).
//!
//! What moto 5.2.5 puts in its tokens (pinned by this crate's tests):
//!
//! - header `{"alg": "RS256", "kid": "dummy", "typ": "JWT"}` (AWS sends no `typ`): one fixed
//!   2048-bit RSA key for every pool and every server, served at
//!   `{url}/{any_pool_id}/.well-known/jwks.json` (moto does not check that the pool exists);
//! - `iss` is the real AWS form `https://cognito-idp.{region}.amazonaws.com/{pool_id}`, though the
//!   JWKS is served by moto on loopback;
//! - access token: `sub`, `iss`, `client_id`, `token_use: "access"`, `iat`, `auth_time`, `exp`
//!   (one hour), `jti`, `origin_jti`, `scope: "aws.cognito.signin.user.admin"`, `username`, and
//!   `cognito:groups` only when the user is in a group (in no stable order: moto keeps a set);
//! - ID token: `sub`, `iss`, `aud` (the client ID), `token_use: "id"`, `iat`, `auth_time`, `exp`,
//!   `jti`, `origin_jti`, `cognito:username`, the attributes listed in the app client's
//!   `ReadAttributes` (as strings), `custom:*` attributes, and `cognito:groups` when in a group.
//!   No `email_verified` unless read, and then as the string `"true"`, not a boolean as in AWS.

pub mod stand_in;

use std::{
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use aws_sdk_cognitoidentityprovider::{
    Client,
    config::{BehaviorVersion, Credentials, Region},
    error::DisplayErrorContext,
    types::{AttributeType, AuthFlowType, ExplicitAuthFlowsType, MessageActionType},
};

pub use stand_in::{Answer, Canned, Fault, Revocations, StandIn, StandInBuilder};

/// The region of every client and pool: moto keys its state by region, and the issuer names it.
pub const REGION: &str = "us-east-1";

/// The temporary password of users created by [`UserPool::create_user`].
pub const TEMPORARY_PASSWORD: &str = "Temp-Passw0rd!";

/// The permanent password [`UserPool::confirm`] sets, and [`UserPool::tokens`] signs in with.
pub const PASSWORD: &str = "Perm-Passw0rd!";

/// How long [`Moto::start`] waits for moto to listen: a cold Python start on a busy CI machine.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A moto server on a free loopback port, in its own process group, killed (with its children)
/// when dropped. Each test starts its own, so tests share no Cognito state.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    /// Base URL, `http://127.0.0.1:<port>`: the endpoint for SDK clients and the JWKS host.
    pub url: String,
}

impl Moto {
    /// Starts `moto_server` and waits until it accepts connections.
    ///
    /// The binary is `$MOTO_SERVER`, or else `<repo>/.venv-moto/bin/moto_server`.
    ///
    /// # Panics
    ///
    /// If moto is not installed, does not start, or does not listen within 30 s.
    pub fn start() -> Self {
        let binary = std::env::var_os("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join(".venv-moto/bin/moto_server"));
        assert!(
            binary.exists(),
            "moto_server not found at {}: run `bash tests/moto/install.sh` (make test does) or set MOTO_SERVER",
            binary.display()
        );
        let port = free_port();
        let mut command = Command::new(&binary);
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own group, so Drop can signal moto and any worker it forks in one go.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("moto_server at {} did not start: {e}", binary.display()));
        // Built now so that a start that panics below still stops the process.
        let moto = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + START_LIMIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on {port} within {} s",
                START_LIMIT.as_secs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// A Cognito client for this server (region [`REGION`], static test credentials).
    pub fn client(&self) -> Client {
        client_for(&self.url)
    }

    /// A Cognito client for this server in another region: moto keeps each region's pools apart
    /// and names a pool's ID after the region it was created in (`eu-west-1_...`).
    pub fn client_in(&self, region: &str) -> Client {
        client_for_region(&self.url, region)
    }

    /// Where moto serves the pool's JWKS (the same key set for every pool).
    pub fn jwks_url(&self, pool_id: &str) -> String {
        format!("{}/{pool_id}/.well-known/jwks.json", self.url)
    }

    /// The `iss` of the pool's tokens. moto signs with the real AWS issuer form, not its own URL,
    /// so a verifier must be given this issuer and [`Moto::jwks_url`] separately.
    pub fn issuer(&self, pool_id: &str) -> String {
        format!("https://cognito-idp.{REGION}.amazonaws.com/{pool_id}")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // moto_server may fork a worker; the process group takes both down.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Cognito client for any endpoint (moto, or a recording stand-in): region [`REGION`], static
/// test credentials, so no credential chain or AWS configuration on the machine is consulted.
pub fn client_for(endpoint_url: &str) -> Client {
    client_for_region(endpoint_url, REGION)
}

/// [`client_for`] in another region.
pub fn client_for_region(endpoint_url: &str, region: &str) -> Client {
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .endpoint_url(endpoint_url)
        .build();
    Client::from_conf(config)
}

/// A DynamoDB client for a moto server (region [`REGION`], static test credentials): moto serves
/// DynamoDB on the same port as Cognito.
pub fn dynamodb_for(endpoint_url: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .endpoint_url(endpoint_url)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// Creates an on-demand table whose partition key is the string attribute `key`.
///
/// # Panics
///
/// If moto refuses.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str, key: &str) {
    use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
    let definition = AttributeDefinition::builder()
        .attribute_name(key)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .unwrap_or_else(|e| panic!("attribute definition: {e}"));
    let schema = KeySchemaElement::builder()
        .attribute_name(key)
        .key_type(KeyType::Hash)
        .build()
        .unwrap_or_else(|e| panic!("key schema: {e}"));
    let out = client
        .create_table()
        .table_name(name)
        .attribute_definitions(definition)
        .key_schema(schema)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    if let Err(e) = out {
        panic!(
            "CreateTable {name}: {}",
            aws_sdk_dynamodb::error::DisplayErrorContext(&e)
        );
    }
}

/// Creates a Secrets Manager secret holding `value` on a moto server; its ARN (what a function's
/// `NAME_REF` setting names).
///
/// # Panics
///
/// If moto refuses.
pub async fn create_secret(endpoint_url: &str, name: &str, value: &str) -> String {
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .endpoint_url(endpoint_url)
        .build();
    let out = aws_sdk_secretsmanager::Client::from_conf(config)
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await;
    match out {
        Ok(out) => out.arn.unwrap_or_else(|| panic!("CreateSecret {name}: no ARN")),
        Err(e) => panic!(
            "CreateSecret {name}: {}",
            aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
        ),
    }
}

/// A loopback port that was free a moment ago (the OS picks it; the listener is closed again).
///
/// # Panics
///
/// If the OS has no loopback port to give.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
        .port()
}

/// The repository root, from this crate's own location, so every crate's tests find the same venv.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The three tokens of one sign-in, as `AdminInitiateAuth` returns them.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The access token (JWT, `token_use: "access"`).
    pub access: String,
    /// The ID token (JWT, `token_use: "id"`).
    pub id: String,
    /// The refresh token: opaque (a UUID in moto), not a JWT.
    pub refresh: String,
}

/// A user pool on moto, with the seeding calls the tests need. All of them panic on an error.
#[derive(Debug, Clone)]
pub struct UserPool {
    client: Client,
    /// The pool ID, `us-east-1_...`.
    pub id: String,
}

impl UserPool {
    /// Creates a pool with the default schema.
    pub async fn create(moto: &Moto, name: &str) -> Self {
        let client = moto.client();
        let out = client.create_user_pool().pool_name(name).send().await;
        let id = ok("CreateUserPool", out).user_pool.and_then(|pool| pool.id);
        Self::from_id(client, id.unwrap_or_else(|| panic!("CreateUserPool: no pool ID")))
    }

    /// A pool created some other way (a custom schema, say), to seed it with these calls.
    pub fn from_id(client: Client, id: impl Into<String>) -> Self {
        Self { client, id: id.into() }
    }

    /// The client this pool is seeded through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates an app client without a secret, allowed the admin password and refresh flows, which
    /// may read `email`; returns its client ID (the `client_id` / `aud` of its tokens).
    pub async fn app_client(&self, name: &str) -> String {
        let out = self
            .client
            .create_user_pool_client()
            .user_pool_id(&self.id)
            .client_name(name)
            .generate_secret(false)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            // moto puts in the ID token only the attributes the client may read (AWS: all
            // readable ones when none are listed), so email must be listed to appear.
            .read_attributes("email")
            .send()
            .await;
        ok("CreateUserPoolClient", out)
            .user_pool_client
            .and_then(|client| client.client_id)
            .unwrap_or_else(|| panic!("CreateUserPoolClient: no client ID"))
    }

    /// Creates a group.
    pub async fn group(&self, name: &str) {
        let out = self
            .client
            .create_group()
            .user_pool_id(&self.id)
            .group_name(name)
            .send()
            .await;
        ok("CreateGroup", out);
    }

    /// A user ready to sign in: `email` set (verified), password [`PASSWORD`] (status CONFIRMED),
    /// member of `groups`, which must exist.
    pub async fn user(&self, username: &str, email: &str, groups: &[&str]) {
        self.create_user(username, &[("email", email), ("email_verified", "true")])
            .await;
        self.confirm(username).await;
        for group in groups {
            self.add_to_group(username, group).await;
        }
    }

    /// An admin-created user with these attributes, invitation suppressed: status
    /// FORCE_CHANGE_PASSWORD with password [`TEMPORARY_PASSWORD`].
    pub async fn create_user(&self, username: &str, attributes: &[(&str, &str)]) {
        let mut request = self
            .client
            .admin_create_user()
            .user_pool_id(&self.id)
            .username(username)
            .message_action(MessageActionType::Suppress)
            .temporary_password(TEMPORARY_PASSWORD);
        for (name, value) in attributes {
            let attribute = AttributeType::builder().name(*name).value(*value).build();
            request = request.user_attributes(ok("AttributeType", attribute));
        }
        ok("AdminCreateUser", request.send().await);
    }

    /// Sets the permanent password [`PASSWORD`]: status CONFIRMED.
    pub async fn confirm(&self, username: &str) {
        let out = self
            .client
            .admin_set_user_password()
            .user_pool_id(&self.id)
            .username(username)
            .password(PASSWORD)
            .permanent(true)
            .send()
            .await;
        ok("AdminSetUserPassword", out);
    }

    /// Adds the user to an existing group.
    pub async fn add_to_group(&self, username: &str, group: &str) {
        let out = self
            .client
            .admin_add_user_to_group()
            .user_pool_id(&self.id)
            .username(username)
            .group_name(group)
            .send()
            .await;
        ok("AdminAddUserToGroup", out);
    }

    /// The `sub` Cognito gave `username` (the `sub` claim of its tokens).
    pub async fn sub(&self, username: &str) -> String {
        let out = self
            .client
            .admin_get_user()
            .user_pool_id(&self.id)
            .username(username)
            .send()
            .await;
        ok("AdminGetUser", out)
            .user_attributes()
            .iter()
            .find(|attribute| attribute.name() == "sub")
            .and_then(|attribute| attribute.value())
            .unwrap_or_else(|| panic!("AdminGetUser: {username} has no sub"))
            .to_owned()
    }

    /// Signs a CONFIRMED user (password [`PASSWORD`]) in through `client_id` with
    /// `ADMIN_USER_PASSWORD_AUTH`, as a backend would; moto signs the tokens at this moment.
    pub async fn tokens(&self, client_id: &str, username: &str) -> Tokens {
        let out = self
            .client
            .admin_initiate_auth()
            .user_pool_id(&self.id)
            .client_id(client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
            .await;
        let out = ok("AdminInitiateAuth", out);
        // A challenge instead of tokens means the user was not confirmed (or has MFA).
        let Some(result) = out.authentication_result else {
            panic!(
                "AdminInitiateAuth for {username}: challenge {:?} instead of tokens",
                out.challenge_name
            );
        };
        let token = |value: Option<String>, name: &str| {
            value.unwrap_or_else(|| panic!("AdminInitiateAuth for {username}: no {name}"))
        };
        Tokens {
            access: token(result.access_token, "access token"),
            id: token(result.id_token, "ID token"),
            refresh: token(result.refresh_token, "refresh token"),
        }
    }
}

/// The value of a call moto must answer, or a panic naming the call and moto's full error.
fn ok<T, E: std::error::Error + 'static>(call: &str, result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("{call} on moto: {}", DisplayErrorContext(&e)))
}
