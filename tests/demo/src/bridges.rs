//! Scene 7 of the demo: the switch to Descope, unnoticed by users. The real `password-check` and
//! `session-exchange` binaries run under a local Lambda Runtime API, as they would behind their
//! function URLs; Cognito is the demo's moto behind the `moto-harness` stand-in (which plays
//! `RevokeToken`, absent from moto), the single-use table is moto's DynamoDB.

use std::{
    path::Path,
    process::{Child, Stdio},
    time::Duration,
};

use anyhow::{Context as _, Result, bail};
use descope_emulator::RunningEmulator;
use lambda_runtime_stub::{Reply, RuntimeApi, function_command};
use moto_harness::{PASSWORD, Revocations, StandIn, UserPool};
use serde_json::{Value, json};

const HMAC_SECRET: &str = "demo-connector-hmac-secret";
const TABLE: &str = "demo-exchanged-tokens";
const ORIGIN: &str = "https://app.example.com";

/// What the scene needs from the demo.
pub struct Stage<'a> {
    /// Where the demo's binaries are.
    pub bin_dir: &'a Path,
    /// moto's URL and the seeded pool.
    pub moto_url: &'a str,
    /// The seeded pool's ID.
    pub pool_id: &'a str,
    /// Descope.
    pub descope: &'a RunningEmulator,
    /// The project and its management key.
    pub project_id: &'a str,
    /// The management key.
    pub management_key: &'a str,
    /// Two migrated users with a Cognito password (CONFIRMED in Cognito, enabled in Descope):
    /// (Cognito username, Descope login ID).
    pub people: [(String, String); 2],
}

/// A bridge binary under a local Runtime API; killed on drop.
struct Bridge {
    api: RuntimeApi,
    child: Child,
}

impl Bridge {
    async fn start(stage: &Stage<'_>, name: &str, env: &[(&str, &str)]) -> Result<Self> {
        let api = RuntimeApi::start_for(name).await?;
        let mut command = function_command(stage.bin_dir.join(name), &api, name);
        command
            .env("DESCOPE_PROJECT_ID", stage.project_id)
            .env("DESCOPE_MANAGEMENT_KEY", stage.management_key)
            .env("DESCOPE_BASE_URL", stage.descope.base_url())
            .env("COGNITO_USER_POOL_ID", stage.pool_id)
            // Local run: the secrets come from the environment (deployed: Secrets Manager).
            .env("ALLOW_SECRETS_IN_ENVIRONMENT", "true")
            .env("AWS_REGION", moto_harness::REGION)
            .env("AWS_ACCESS_KEY_ID", "demo")
            .env("AWS_SECRET_ACCESS_KEY", "demo")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_PROFILE")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().with_context(|| format!("starting {name}"))?;
        Ok(Self { api, child })
    }

    /// Invokes the function with a function URL event; its status and JSON body.
    async fn call(&mut self, method: &str, body: &str, headers: &[(&str, &str)]) -> Result<(u64, Value)> {
        let headers: serde_json::Map<String, Value> = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .chain([("content-type".to_owned(), Value::from("application/json"))])
            .collect();
        let event = json!({
            "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
            "headers": headers,
            "requestContext": {"http": {"method": method, "path": "/", "protocol": "HTTP/1.1", "sourceIp": "3.3.3.3"}},
            "body": body, "isBase64Encoded": false
        });
        match self.api.invoke(event, Duration::from_secs(20)).await? {
            Reply::Response { body, .. } => {
                let inner: Value = serde_json::from_str(body["body"].as_str().unwrap_or("null"))?;
                Ok((body["statusCode"].as_u64().unwrap_or_default(), inner))
            }
            other => bail!("the function did not answer: {other:?}"),
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Descope's end-user password sign-in: its HTTP status.
async fn descope_sign_in(stage: &Stage<'_>, login_id: &str, password: &str) -> Result<u16> {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/auth/password/signin", stage.descope.base_url()))
        .bearer_auth(stage.project_id)
        .json(&json!({"loginId": login_id, "password": password}))
        .send()
        .await?;
    Ok(response.status().as_u16())
}

/// 7a: a user signs in to Descope with the password they had in Cognito; 7b: another user's
/// Cognito session becomes a Descope session without signing in.
pub async fn unnoticed(stage: &Stage<'_>) -> Result<()> {
    let revocations = Revocations::default();
    let stand_in = StandIn::builder(stage.moto_url).revoke_tokens(&revocations).start();
    let pool = UserPool::from_id(moto_harness::client_for(stage.moto_url), stage.pool_id);

    crate::heading("7a. A password sign-in in Descope, checked once against Cognito (password-check)");
    let [(_, first), (second_name, second)] = &stage.people;
    let checker_client = pool.app_client("descope-password-check").await;
    let mut checker = Bridge::start(
        stage,
        "password-check",
        &[
            ("PASSWORD_CHECK_HMAC_SECRET", HMAC_SECRET),
            ("COGNITO_CLIENT_ID", &checker_client),
            ("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &stand_in.url),
        ],
    )
    .await?;
    let before = descope_sign_in(stage, first, PASSWORD).await?;
    println!("{first:<24} Descope password sign-in before: HTTP {before} (imported without a password)");
    if before == 200 {
        bail!("{first} could sign in to Descope before the password check");
    }
    // What the Descope flow's Generic HTTP connector sends: the identifier typed, the password,
    // the body signed with the connector's HMAC secret.
    let body = json!({"loginId": first, "password": PASSWORD}).to_string();
    let signature = password_check::request::signature(HMAC_SECRET.as_bytes(), body.as_bytes());
    let (status, answer) = checker
        .call("POST", &body, &[("x-descope-webhook-s256", &signature)])
        .await?;
    println!("{first:<24} the flow's connector calls password-check: HTTP {status} {answer}");
    let after = descope_sign_in(stage, first, PASSWORD).await?;
    println!("{first:<24} Descope password sign-in after, same password: HTTP {after}");
    if answer["outcome"] != "set" || after != 200 {
        bail!("the Cognito password of {first} did not become their Descope password");
    }
    let forged = checker
        .call("POST", &body, &[("x-descope-webhook-s256", "Zm9yZ2Vk")])
        .await?;
    println!(
        "{:<24} the same request with a forged signature: HTTP {} {}",
        "", forged.0, forged.1
    );
    drop(checker);

    crate::heading("7b. A Cognito session becomes a Descope session (session-exchange)");
    // The single-use table as infra/hybrid/template.yaml defines it.
    moto_harness::create_table(&moto_harness::dynamodb_for(stage.moto_url), TABLE, "tokenHash").await;
    let web_client = pool.app_client("demo-spa").await;
    let cognito = pool.tokens(&web_client, second_name).await;
    println!("{second:<24} is signed in to the app with Cognito (refresh token of app client demo-spa)");
    let mut exchange = Bridge::start(
        stage,
        "session-exchange",
        &[
            ("COGNITO_CLIENT_IDS", &web_client),
            ("COGNITO_ENDPOINT_URL", stage.moto_url),
            ("SESSION_EXCHANGE_TABLE", TABLE),
            ("SESSION_EXCHANGE_ALLOWED_ORIGINS", ORIGIN),
            ("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &stand_in.url),
            ("AWS_ENDPOINT_URL_DYNAMODB", stage.moto_url),
        ],
    )
    .await?;
    let body = json!({"refreshToken": cognito.refresh, "clientId": web_client}).to_string();
    let (status, session) = exchange.call("POST", &body, &[("origin", ORIGIN)]).await?;
    if status != 200 {
        bail!("the exchange failed: HTTP {status} {session}");
    }
    let session_jwt = session["sessionJwt"].as_str().context("no sessionJwt")?;
    let claims =
        descope_jwt::Verifier::new(descope_jwt::Config::new(stage.project_id).base_url(stage.descope.base_url()))?
            .verify(session_jwt)
            .await
            .context("the exchanged session does not verify with the project's keys")?;
    let holder = crate::account(stage.descope, second).context("the Descope user is gone")?;
    println!(
        "{second:<24} the app sends it to session-exchange: HTTP {status}, a Descope session for user {} ({} bytes, refresh JWT too), no sign-in",
        claims.subject,
        session_jwt.len()
    );
    if holder["userId"] != claims.subject.as_str() {
        bail!("the session is not {second}'s");
    }
    println!(
        "{:<24} Cognito refresh token revoked: {}",
        "",
        revocations.contains(&cognito.refresh)
    );
    let (again, answer) = exchange.call("POST", &body, &[("origin", ORIGIN)]).await?;
    println!("{:<24} the same refresh token again: HTTP {again} {answer}", "");
    let (foreign, answer) = exchange
        .call("POST", &body, &[("origin", "https://evil.example")])
        .await?;
    println!("{:<24} from another web origin: HTTP {foreign} {answer}", "");
    if again != 409 || foreign != 403 || !revocations.contains(&cognito.refresh) {
        bail!("the exchange was not single-use, origin-bound and revoking");
    }
    Ok(())
}
