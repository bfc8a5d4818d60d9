//! `make demo`: the whole migration on a laptop, with local stand-ins for AWS and Descope.
//!
//! 1. moto (a local Cognito) with a seeded pool: a few hundred users in admin / editor / viewer
//!    groups, custom attributes of four types, some disabled, most FORCE_CHANGE_PASSWORD;
//! 2. the Descope emulator;
//! 3. the importer's dry run, live migration and `verify` (the real binary); before it, someone
//!    registered a Cognito admin's email in Descope: the importer reports that account as a
//!    conflict and leaves it untouched (no admin role for whoever registered it); the migration's
//!    report becomes an HTML page (`report --html`);
//! 4. session tokens for a few migrated users, minted by the emulator, sent through the real
//!    authorizer binaries under a local Lambda Runtime API as REST, HTTP API and AppSync requests;
//!    the authorizers run in cutover mode, so one user also signs in to Cognito (moto) and sends
//!    the Cognito access token, which the same policy judges by the user's Cognito groups;
//! 5. a table of who may do what, and why;
//! 6. weeks later, a user leaves a group and another is deleted in Cognito: `sync` brings both
//!    changes to Descope, and fresh tokens get the new decisions;
//! 7. the switch, unnoticed ([`bridges`]): a user signs in to Descope with the password they had
//!    in Cognito (the password check sets it, no reset), and another user's Cognito session
//!    becomes a Descope session without signing in (the session exchange).
//!
//! Everything it starts is stopped when it ends, also on Ctrl-C. Logs and reports stay in
//! `demo-output/`.

use std::{
    io::{BufRead as _, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, ExitCode, Stdio},
    time::Duration,
};

mod bridges;

use anyhow::{Context as _, Result, bail};
use authz_policy::{PolicyDocument, Principal};
use descope_emulator::{Emulator, EmulatorConfig, RunningEmulator, SessionRequest};
use lambda_runtime_stub::{Reply, RuntimeApi, function_command};
use moto_harness::UserPool;
use serde_json::{Value, json};

const PROJECT_ID: &str = "P2demoproject000000000000001";
const MANAGEMENT_KEY: &str = "K2demo-management-key";
const USERS: u32 = 300;
const API_ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:demoapi";

/// The authorization policy both authorizers load: the default of infra/template.yaml (a test
/// keeps the two equal).
const POLICY: &str = include_str!("../policy.json");

/// The GraphQL requests sent to the AppSync authorizer: (label, operation name, document).
const GRAPHQL: &[(&str, &str, &str)] = &[
    ("query items", "Items", "query Items { items { id owner } }"),
    (
        "mutation updateItem",
        "Update",
        "mutation Update { updateItem(id: \"42\") { id } }",
    ),
];

#[tokio::main]
async fn main() -> ExitCode {
    let outcome = tokio::select! {
        outcome = run() => outcome,
        signal = interrupted() => Err(anyhow::anyhow!("{signal}: stopped everything the demo started")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\ndemo failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM; `run` is then dropped, and with it every process it started.
async fn interrupted() -> &'static str {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        () = terminate => "terminated",
    }
}

async fn run() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize()?;
    let bin_dir = std::env::current_exe()?
        .parent()
        .context("the demo binary has no folder")?
        .to_owned();
    let out = root.join("demo-output");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;

    heading("1. Cognito (moto on loopback) with a seeded user pool");
    let moto = Moto::start(&root)?;
    println!(
        "pool {} at {}: {} users, {} group memberships (admin, editor, viewer), every 10th user disabled",
        moto.pool_id, moto.url, moto.users, moto.memberships
    );

    heading("2. Descope (the emulator on loopback)");
    let descope = RunningEmulator::start(
        Emulator::new(EmulatorConfig::new(PROJECT_ID, MANAGEMENT_KEY))?,
        "127.0.0.1:0",
    )
    .await
    .context("starting the Descope emulator")?;
    println!("project {PROJECT_ID} at {}", descope.base_url());

    let planted = plant_account(&moto, &descope).await?;
    println!(
        "someone registered {} in Descope before the import (unverified, with a password); in Cognito it is the email of admin {}",
        planted.email, planted.username
    );

    let importer = Importer {
        binary: bin_dir.join("cognito-to-descope"),
        moto: &moto,
        descope_url: descope.base_url(),
        out: &out,
    };
    // Every step reports exactly one user not migrated: the admin whose address is taken.
    heading("3a. cognito-to-descope migrate --dry-run");
    importer
        .run_expecting_the_conflict(&["migrate", "--dry-run"], &planted)
        .await?;
    heading("3b. cognito-to-descope migrate");
    importer.run_expecting_the_conflict(&["migrate"], &planted).await?;
    heading("3c. cognito-to-descope verify");
    importer.run_expecting_the_conflict(&["verify"], &planted).await?;
    heading("3d. cognito-to-descope report migrate.json --html migrate.html");
    importer.page("migrate").await?;
    let now = account(&descope, &planted.email);
    if now.as_ref() != Some(&planted.account) {
        bail!("the account registered before the import was changed: {now:?}");
    }
    println!(
        "\n{} was reported as a conflict; the account registered before the import is untouched (no roles, email unverified).",
        planted.username
    );

    heading("4. Session tokens from Descope (and one from Cognito: cutover mode), through the authorizers");
    let people = pick_people(&descope.emulator.state_dump())?;
    // Cutover mode: the authorizers also accept access tokens of the pool's app client.
    let pool = UserPool::from_id(moto_harness::client_for(&moto.url), moto.pool_id.clone());
    let app_client = pool.app_client("demo-web").await;
    let cutover = [
        ("COGNITO_USER_POOL_ID", moto.pool_id.as_str()),
        ("COGNITO_CLIENT_IDS", app_client.as_str()),
        ("COGNITO_TOKEN_USE", "access"),
        ("COGNITO_ENDPOINT_URL", moto.url.as_str()),
    ];
    let policy = PolicyDocument::parse(POLICY)?;
    let apigateway_policy = policy
        .apigateway()
        .context("the demo policy has an apigateway section")?;
    let appsync_policy = policy.appsync().context("the demo policy has an appsync section")?;
    let mut rest = Function::start(
        &bin_dir.join("apigateway-authorizer"),
        "apigateway-authorizer",
        &descope,
        &cutover,
    )
    .await?;
    let mut http = Function::start(
        &bin_dir.join("apigateway-authorizer"),
        "apigateway-authorizer",
        &descope,
        &[cutover.as_slice(), &[("AUTHZ_SIMPLE_RESPONSES", "true")]].concat(),
    )
    .await?;
    let mut appsync = Function::start(
        &bin_dir.join("appsync-authorizer"),
        "appsync-authorizer",
        &descope,
        &cutover,
    )
    .await?;

    for person in &people {
        let what = match &person.token {
            TokenKind::Session => format!("a session token ({})", person.roles.join(", ")),
            TokenKind::Cognito(username) => format!(
                "a Cognito access token of {username} (groups {})",
                person.roles.join(", ")
            ),
            TokenKind::Expired => "an expired session token".to_owned(),
            TokenKind::Refresh => "a refresh token".to_owned(),
            TokenKind::None => "no token".to_owned(),
        };
        println!("{:<24} {what}", person.login_id);
    }
    let mut rows = Vec::new();
    for person in &people {
        let token = match &person.token {
            TokenKind::Session => Some(mint(&descope, &person.login_id, None, false)?),
            TokenKind::Expired => Some(mint(&descope, &person.login_id, Some(-60), false)?),
            TokenKind::Refresh => Some(mint(&descope, &person.login_id, None, true)?),
            TokenKind::Cognito(username) => Some(pool.tokens(&app_client, username).await.access),
            TokenKind::None => None,
        };
        // A hostile token is refused whatever it asks for: one request shows it.
        let requests: &[(&str, &str)] = match person.token {
            TokenKind::Session | TokenKind::Cognito(_) => {
                &[("GET", "/items"), ("PUT", "/items/42"), ("DELETE", "/items/42")]
            }
            _ => &[("DELETE", "/items/42")],
        };
        for &(method, path) in requests {
            let request = format!("{method} {path}");
            let why = |allowed: bool| match (&person.token, allowed) {
                (TokenKind::None, _) => person.note.clone(),
                (TokenKind::Expired | TokenKind::Refresh, _) => format!("token refused: {}", person.note),
                (TokenKind::Session | TokenKind::Cognito(_), true) => {
                    let granting: Vec<&str> = person
                        .roles
                        .iter()
                        .filter(|role| {
                            let roles = vec![(*role).clone()];
                            apigateway_policy
                                .grants(&Principal::new(&roles, &[]), None)
                                .allows(method, path)
                        })
                        .map(String::as_str)
                        .collect();
                    format!("granted by {} {}", person.grantor(), granting.join(", "))
                }
                (TokenKind::Session | TokenKind::Cognito(_), false) => {
                    format!("no {} of {:?} grants {request}", person.grantor(), person.roles)
                }
            };
            let rest_event = json!({
                "type": "TOKEN",
                "authorizationToken": token.as_deref().map(|t| format!("Bearer {t}")).unwrap_or_default(),
                "methodArn": format!("{API_ARN}/prod/{method}{path}"),
            });
            let decision = rest_decision(&rest.invoke(rest_event).await?, method, path);
            rows.push(Row::new(
                person,
                "REST (TOKEN)",
                &request,
                &decision,
                why(decision == "allow"),
            ));

            let mut headers = serde_json::Map::new();
            if let Some(t) = &token {
                headers.insert("authorization".into(), json!(format!("Bearer {t}")));
            }
            let http_event = json!({
                "version": "2.0",
                "type": "REQUEST",
                "routeArn": format!("{API_ARN}/$default/{method}{path}"),
                "identitySource": token.as_deref().map(|t| vec![format!("Bearer {t}")]).unwrap_or_default(),
                "routeKey": format!("{method} /items{}", if path == "/items" { "" } else { "/{id}" }),
                "rawPath": path,
                "headers": headers,
                "requestContext": {
                    "accountId": "123456789012", "apiId": "demoapi", "stage": "$default",
                    "http": {"method": method, "path": path},
                },
            });
            let decision = http_decision(&http.invoke(http_event).await?);
            rows.push(Row::new(
                person,
                "HTTP API (2.0)",
                &request,
                &decision,
                why(decision == "allow"),
            ));
        }
        let graphql: &[(&str, &str, &str)] = match person.token {
            TokenKind::Session | TokenKind::Cognito(_) => GRAPHQL,
            _ => &GRAPHQL[1..],
        };
        for &(label, operation, document) in graphql {
            let authorization = token.as_deref().map(|t| format!("Bearer {t}")).unwrap_or_default();
            let event = json!({
                "authorizationToken": authorization,
                "requestContext": {
                    "apiId": "demoapi", "accountId": "123456789012", "requestId": format!("demo-{operation}"),
                    "queryString": document, "operationName": operation, "variables": {},
                },
                "requestHeaders": {"authorization": authorization},
            });
            let reply = appsync.invoke(event).await?;
            let (decision, denied) = appsync_decision(&reply);
            let why = match (&person.token, decision.as_str()) {
                (TokenKind::None, _) => person.note.clone(),
                (TokenKind::Expired | TokenKind::Refresh, _) => format!("token refused: {}", person.note),
                (TokenKind::Session | TokenKind::Cognito(_), "refused") => {
                    format!("no {} of {:?} grants this operation", person.grantor(), person.roles)
                }
                (TokenKind::Session | TokenKind::Cognito(_), _) => {
                    let field = if operation == "Items" {
                        ("Query", "items")
                    } else {
                        ("Mutation", "updateItem")
                    };
                    let granting: Vec<&str> = person
                        .roles
                        .iter()
                        .filter(|role| {
                            let roles = vec![(*role).clone()];
                            appsync_policy
                                .grants(&Principal::new(&roles, &[]), None)
                                .allows(field.0, field.1)
                        })
                        .map(String::as_str)
                        .collect();
                    let mut why = format!("granted by {} {}", person.grantor(), granting.join(", "));
                    if !denied.is_empty() {
                        why.push_str(&format!("; nulled for this user: {}", denied.join(", ")));
                    }
                    why
                }
            };
            rows.push(Row::new(person, "AppSync", label, &decision, why));
        }
    }
    rest.stop();
    http.stop();
    appsync.stop();

    heading("5. Who may do what, and why");
    print_table(&rows);

    heading("6. Weeks into the cutover: changes in Cognito reach Descope through sync");
    let editor = people
        .iter()
        .find(|p| matches!(p.token, TokenKind::Session) && p.roles == ["editor"])
        .context("no editor picked")?;
    let admin = people
        .iter()
        .find(|p| matches!(p.token, TokenKind::Session) && p.roles.iter().any(|r| r == "admin"))
        .context("no admin picked")?;
    let (editor_name, admin_name) = (
        cognito_username(&descope, &editor.login_id)?,
        cognito_username(&descope, &admin.login_id)?,
    );
    let cognito = moto_harness::client_for(&moto.url);
    cognito
        .admin_remove_user_from_group()
        .user_pool_id(&moto.pool_id)
        .username(&editor_name)
        .group_name("editor")
        .send()
        .await
        .context("removing the editor from its group")?;
    cognito
        .admin_delete_user()
        .user_pool_id(&moto.pool_id)
        .username(&admin_name)
        .send()
        .await
        .context("deleting the admin")?;
    println!(
        "in Cognito: {editor_name} ({}) left group editor; {admin_name} ({}) was deleted",
        editor.login_id, admin.login_id
    );
    heading("6a. cognito-to-descope sync --dry-run");
    importer
        .run_expecting_the_conflict(&["sync", "--dry-run"], &planted)
        .await?;
    heading("6b. cognito-to-descope sync");
    importer.run_expecting_the_conflict(&["sync"], &planted).await?;
    heading("6c. Fresh tokens, the same authorizer");
    let mut rest = Function::start(
        &bin_dir.join("apigateway-authorizer"),
        "apigateway-authorizer",
        &descope,
        &cutover,
    )
    .await?;
    let token = mint(&descope, &editor.login_id, None, false)?;
    let event = json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {token}"),
        "methodArn": format!("{API_ARN}/prod/PUT/items/42"),
    });
    let decision = rest_decision(&rest.invoke(event).await?, "PUT", "/items/42");
    println!(
        "{:<24} PUT /items/42 with a fresh session token: {decision} (was allow as editor)",
        editor.login_id
    );
    if decision == "allow" {
        bail!("the editor removed from its group in Cognito still got PUT /items/42");
    }
    rest.stop();
    match mint(&descope, &admin.login_id, None, false) {
        Ok(_) => bail!(
            "Descope still signs in {} after the Cognito user was deleted",
            admin.login_id
        ),
        Err(_) => println!(
            "{:<24} no new session: the user is disabled in Descope (and its sessions were ended)",
            admin.login_id
        ),
    }
    // Two migrated users who have a Cognito password (the seed confirms every 3rd user, disables
    // every 10th), untouched by the scenes above.
    let untouched = |u: &&Value| {
        let login_id = u["loginIds"][0].as_str().unwrap_or_default();
        let seeded = u["customAttributes"]["cognitoUsername"]
            .as_str()
            .and_then(|name| name.strip_prefix("user"))
            .and_then(|n| n.parse::<u32>().ok());
        u["status"] == "enabled"
            && seeded.is_some_and(|n| n % 3 == 1 && n % 10 != 0)
            && ![
                planted.email.as_str(),
                editor.login_id.as_str(),
                admin.login_id.as_str(),
            ]
            .contains(&login_id)
            && !people.iter().any(|p| p.login_id == login_id)
    };
    let dump = descope.emulator.state_dump();
    let picked: Vec<(String, String)> = dump["users"]
        .as_array()
        .context("state dump without users")?
        .iter()
        .filter(untouched)
        .take(2)
        .map(|u| {
            (
                u["customAttributes"]["cognitoUsername"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                u["loginIds"][0].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let [first, second]: [(String, String); 2] = picked
        .try_into()
        .map_err(|_| anyhow::anyhow!("fewer than two migrated users with a Cognito password"))?;
    bridges::unnoticed(&bridges::Stage {
        bin_dir: &bin_dir,
        moto_url: &moto.url,
        pool_id: &moto.pool_id,
        descope: &descope,
        project_id: PROJECT_ID,
        management_key: MANAGEMENT_KEY,
        people: [first, second],
    })
    .await?;

    println!(
        "\nThe importer runs' JSON reports and HTML page: {}; their logs: {}",
        out.display(),
        out.join("logs").display()
    );
    Ok(())
}

/// The Cognito username the importer recorded on the Descope user holding `login_id`.
fn cognito_username(descope: &RunningEmulator, login_id: &str) -> Result<String> {
    let user = account(descope, login_id).with_context(|| format!("{login_id} is not in Descope"))?;
    user["customAttributes"]["cognitoUsername"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("{login_id} has no cognitoUsername"))
}

fn heading(text: &str) {
    println!("\n\x1b[1m== {text}\x1b[0m");
}

/// moto seeded in process by tests/moto/seeded_server.py; stopped (with its children) on drop.
struct Moto {
    child: Child,
    url: String,
    pool_id: String,
    users: u64,
    memberships: u64,
}

impl Moto {
    fn start(root: &Path) -> Result<Self> {
        let python = root.join(".venv-moto/bin/python");
        if !python.exists() {
            bail!("moto is not installed: run `bash tests/moto/install.sh` (make demo does)");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut command = Command::new(python);
        command
            .arg(root.join("tests/moto/seeded_server.py"))
            .args(["--port", &port.to_string(), "--users", &USERS.to_string()])
            .args(["--groups", "admin,editor,viewer", "--confirm-every", "3"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().context("starting moto")?;
        let mut line = String::new();
        let stdout = child.stdout.take().context("moto's output")?;
        BufReader::new(stdout).read_line(&mut line)?;
        let ready: Value = serde_json::from_str(&line).with_context(|| format!("moto did not start: {line:?}"))?;
        let text = |key: &str| ready[key].as_str().map(str::to_owned).unwrap_or_default();
        Ok(Self {
            url: text("url"),
            pool_id: text("poolId"),
            users: ready["users"].as_u64().unwrap_or_default(),
            memberships: ready["memberships"].as_u64().unwrap_or_default(),
            child,
        })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

struct Importer<'a> {
    binary: PathBuf,
    moto: &'a Moto,
    descope_url: String,
    out: &'a Path,
}

impl Importer<'_> {
    /// Runs a command that must end with exit 1 and exactly one user not migrated: the planted
    /// conflict, reported as such.
    async fn run_expecting_the_conflict(&self, args: &[&str], planted: &Planted) -> Result<()> {
        let report_path = self.out.join(format!("{}.json", args.join("_").replace("--", "")));
        let status = self
            .command(args)
            .env("MIGRATION_REPORT", &report_path)
            .status()
            .await?;
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&report_path)?)?;
        let failures: Vec<&Value> = report["users"]
            .as_array()
            .context("the report has no users")?
            .iter()
            .filter(|u| {
                !matches!(
                    u["outcome"].as_str(),
                    Some(
                        "created"
                            | "createdWithWarnings"
                            | "unchanged"
                            | "updated"
                            | "wouldCreate"
                            | "wouldUpdate"
                            | "verified"
                            | "wouldDisable"
                            | "disabled"
                            | "removedInCognito"
                    )
                )
            })
            .collect();
        let the_conflict =
            matches!(&failures[..], [u] if u["outcome"] == "conflict" && u["username"] == planted.username.as_str());
        if status.code() != Some(1) || !the_conflict {
            bail!(
                "cognito-to-descope {} ({status}): expected exactly the planted conflict, got {failures:?}",
                args.join(" ")
            );
        }
        Ok(())
    }

    /// The page a team lead reads: `report <name>.json --html <name>.html` (offline: no setting).
    async fn page(&self, name: &str) -> Result<()> {
        let (json, html) = (format!("{name}.json"), format!("{name}.html"));
        let status = tokio::process::Command::new(&self.binary)
            .args(["report", &json, "--html", &html])
            .current_dir(self.out)
            .env_clear()
            .status()
            .await?;
        if !status.success() {
            bail!("cognito-to-descope report {json} ({status})");
        }
        println!("Open it in a browser: {}", self.out.join(html).display());
        Ok(())
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(&self.binary);
        command
            .args(args)
            .current_dir(self.out)
            .env("AWS_ACCESS_KEY_ID", "demo")
            .env("AWS_SECRET_ACCESS_KEY", "demo")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // The caller's own AWS settings must not point the demo elsewhere (or conflict with
            // the pool's region, which the importer refuses).
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
            .env_remove("AWS_PROFILE")
            .env("COGNITO_REGION", "us-east-1")
            .env("COGNITO_ENDPOINT_URL", &self.moto.url)
            .env("COGNITO_USER_POOL_ID", &self.moto.pool_id)
            .env("DESCOPE_PROJECT_ID", PROJECT_ID)
            .env("DESCOPE_MANAGEMENT_KEY", MANAGEMENT_KEY)
            .env("DESCOPE_BASE_URL", &self.descope_url)
            .env("MIGRATION_LOG_DIR", self.out.join("logs"))
            .kill_on_drop(true);
        command
    }
}

/// A Descope account registered before the import with the email of a Cognito admin.
struct Planted {
    username: String,
    email: String,
    /// The account as Descope held it before the import.
    account: Value,
}

/// Registers, through the management API, an account holding the first enabled Cognito admin's
/// email, unverified and with a password: what an attacker who signed up first would leave.
async fn plant_account(moto: &Moto, descope: &RunningEmulator) -> Result<Planted> {
    let client = moto_harness::client_for(&moto.url);
    let admins = client
        .list_users_in_group()
        .user_pool_id(&moto.pool_id)
        .group_name("admin")
        .limit(60)
        .send()
        .await
        .context("listing the pool's admins")?;
    let admin = admins
        .users()
        .iter()
        .find(|u| u.enabled())
        .context("the seeded pool has no enabled admin")?;
    let username = admin.username().unwrap_or_default().to_owned();
    let email = admin
        .attributes()
        .iter()
        .find(|a| a.name() == "email")
        .and_then(|a| a.value())
        .context("the admin has no email")?
        .to_owned();
    let http = reqwest::Client::new();
    let auth = format!("Bearer {PROJECT_ID}:{MANAGEMENT_KEY}");
    for (path, body) in [
        (
            "/v1/mgmt/user/create",
            json!({"loginId": email, "email": email, "verifiedEmail": false, "name": "Registered first"}),
        ),
        (
            "/v1/mgmt/user/password/set/active",
            json!({"loginId": email, "password": "Registered-first-1!"}),
        ),
    ] {
        let answer = http
            .post(format!("{}{path}", descope.base_url()))
            .header("Authorization", &auth)
            .json(&body)
            .send()
            .await?;
        if !answer.status().is_success() {
            bail!("planting the account ({path}): {}", answer.text().await?);
        }
    }
    let account = account(descope, &email).context("the planted account is not in Descope")?;
    Ok(Planted {
        username,
        email,
        account,
    })
}

/// The Descope account (state dump form) holding `login_id`.
fn account(descope: &RunningEmulator, login_id: &str) -> Option<Value> {
    let dump = descope.emulator.state_dump();
    dump["users"]
        .as_array()?
        .iter()
        .find(|u| {
            u["loginIds"]
                .as_array()
                .is_some_and(|ids| ids.iter().any(|id| id == login_id))
        })
        .cloned()
}

/// An authorizer binary under a local Runtime API; killed on drop.
struct Function {
    api: RuntimeApi,
    child: Option<Child>,
}

impl Function {
    async fn start(binary: &Path, name: &str, descope: &RunningEmulator, extra: &[(&str, &str)]) -> Result<Self> {
        let api = RuntimeApi::start_for(name).await?;
        let mut command = function_command(binary, &api, name);
        command
            .env("DESCOPE_PROJECT_ID", PROJECT_ID)
            .env("DESCOPE_BASE_URL", descope.base_url())
            .env("AUTHZ_POLICY", POLICY)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in extra {
            command.env(k, v);
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        Ok(Self {
            api,
            child: Some(child),
        })
    }

    async fn invoke(&mut self, event: Value) -> Result<Reply> {
        Ok(self.api.invoke(event, Duration::from_secs(10)).await?)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        self.stop();
    }
}

enum TokenKind {
    Session,
    Expired,
    Refresh,
    /// A Cognito access token of this Cognito username (cutover mode).
    Cognito(String),
    None,
}

struct Person {
    login_id: String,
    roles: Vec<String>,
    token: TokenKind,
    note: String,
}

impl Person {
    /// What grants access: Descope roles, or, for a Cognito token, the groups they came from.
    fn grantor(&self) -> &'static str {
        match self.token {
            TokenKind::Cognito(_) => "Cognito group",
            _ => "role",
        }
    }
}

/// A viewer, an editor, an admin, the editor again with a Cognito token (cutover mode), plus the
/// hostile cases: an expired token, a refresh token and no token at all.
fn pick_people(dump: &Value) -> Result<Vec<Person>> {
    let users = dump["users"].as_array().context("state dump without users")?;
    let roles_of = |u: &Value| -> Vec<String> {
        let mut roles: Vec<String> = u["roleNames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect();
        roles.sort();
        roles
    };
    let enabled = |u: &&Value| u["status"] == "enabled";
    // Confirmed users only (their Cognito status is kept as a custom attribute): the Cognito
    // sign-in below works for them without a password change.
    let find = |wanted: &[&str]| {
        users
            .iter()
            .filter(enabled)
            .filter(|u| u["customAttributes"]["cognitoUserStatus"] == "CONFIRMED")
            .find(|u| roles_of(u) == wanted)
            .map(|u| {
                (
                    u["loginIds"][0].as_str().unwrap_or_default().to_owned(),
                    roles_of(u),
                    u["customAttributes"]["cognitoUsername"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
    };
    let mut people = Vec::new();
    for wanted in [&["viewer"][..], &["editor"], &["admin"]] {
        let (login_id, roles, username) =
            find(wanted).with_context(|| format!("no migrated user with roles {wanted:?}"))?;
        people.push(Person {
            login_id: login_id.clone(),
            roles: roles.clone(),
            token: TokenKind::Session,
            note: String::new(),
        });
        if wanted == ["editor"] {
            people.push(Person {
                login_id: format!("{login_id} (Cognito)"),
                roles,
                token: TokenKind::Cognito(username),
                note: String::new(),
            });
        }
    }
    let admin = people.last().context("no people picked")?;
    let (admin_login, admin_roles) = (admin.login_id.clone(), admin.roles.clone());
    people.push(Person {
        login_id: admin_login.clone(),
        roles: admin_roles.clone(),
        token: TokenKind::Expired,
        note: "expired".into(),
    });
    people.push(Person {
        login_id: admin_login,
        roles: admin_roles,
        token: TokenKind::Refresh,
        note: "a refresh token is not a session".into(),
    });
    people.push(Person {
        login_id: "(anonymous)".into(),
        roles: vec![],
        token: TokenKind::None,
        note: "no token".into(),
    });
    Ok(people)
}

fn mint(descope: &RunningEmulator, login_id: &str, expires_in: Option<i64>, refresh: bool) -> Result<String> {
    let request = SessionRequest {
        login_id: Some(login_id.to_owned()),
        expires_in,
        refresh: Some(refresh),
        ..SessionRequest::default()
    };
    let minted = descope
        .emulator
        .mint_session(&request)
        .map_err(|e| anyhow::anyhow!("minting a token for {login_id}: {e:?}"))?;
    Ok(minted.token)
}

/// `allow`, `deny (403)` or `401` from a REST authorizer answer for `METHOD path`.
fn rest_decision(reply: &Reply, method: &str, path: &str) -> String {
    match reply {
        Reply::Response { body, .. } => {
            let arn = format!("{API_ARN}/prod/{method}{path}");
            let statements = body["policyDocument"]["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let matches = |effect: &str| {
                statements.iter().filter(|s| s["Effect"] == effect).any(|s| {
                    let resources = match &s["Resource"] {
                        Value::String(r) => vec![r.clone()],
                        Value::Array(rs) => rs.iter().filter_map(|r| r.as_str().map(str::to_owned)).collect(),
                        _ => vec![],
                    };
                    resources.iter().any(|r| glob(r, &arn))
                })
            };
            if matches("Allow") && !matches("Deny") {
                "allow".into()
            } else {
                "deny (403)".into()
            }
        }
        Reply::Error { body, .. } => format!("{} (401)", body["errorMessage"].as_str().unwrap_or("error")),
        Reply::InitError { .. } => "init error".into(),
    }
}

fn http_decision(reply: &Reply) -> String {
    match reply {
        Reply::Response { body, .. } if body["isAuthorized"] == true => "allow".into(),
        Reply::Response { .. } => "deny (403)".into(),
        Reply::Error { body, .. } => format!("{} (401)", body["errorMessage"].as_str().unwrap_or("error")),
        Reply::InitError { .. } => "init error".into(),
    }
}

/// `allow` or `refused`, and the denied fields, from an AppSync authorizer answer.
fn appsync_decision(reply: &Reply) -> (String, Vec<String>) {
    match reply {
        Reply::Response { body, .. } if body["isAuthorized"] == true => {
            let denied = body["deniedFields"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect();
            ("allow".into(), denied)
        }
        Reply::Response { .. } => ("refused".into(), vec![]),
        Reply::Error { body, .. } => (
            format!("error: {}", body["errorMessage"].as_str().unwrap_or("?")),
            vec![],
        ),
        Reply::InitError { .. } => ("init error".into(), vec![]),
    }
}

/// IAM's wildcard match: `*` is any run of characters, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

struct Row {
    user: String,
    roles: String,
    api: String,
    request: String,
    decision: String,
    why: String,
}

impl Row {
    fn new(person: &Person, api: &str, request: &str, decision: &str, why: String) -> Self {
        Self {
            user: person.login_id.clone(),
            roles: if person.roles.is_empty() {
                "-".into()
            } else {
                person.roles.join(",")
            },
            api: api.into(),
            request: request.into(),
            decision: decision.into(),
            why,
        }
    }
}

fn print_table(rows: &[Row]) {
    let header = ["user", "roles", "API", "request", "decision", "why"];
    let cells: Vec<[&str; 6]> = rows
        .iter()
        .map(|r| [r.user.as_str(), &r.roles, &r.api, &r.request, &r.decision, &r.why])
        .collect();
    let widths: Vec<usize> = (0..6)
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |c: [&str; 6]| {
        c.iter()
            .zip(&widths)
            .map(|(text, w)| format!("{text:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    println!("{}", line(header));
    println!(
        "{}",
        widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  ")
    );
    for c in cells {
        println!("{}", line(c));
    }
}

#[cfg(test)]
mod tests {
    use super::{POLICY, glob};

    #[test]
    fn the_demo_policy_is_the_template_default_and_both_authorizers_accept_it() {
        let template = include_str!("../../../infra/template.yaml");
        let after = template.split("  AuthorizationPolicy:").nth(1).expect("the parameter");
        let default = after.split("Default: >-").nth(1).expect("its default");
        let text: String = default
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("      "))
            .collect();
        let from_template: serde_json::Value = serde_json::from_str(&text).expect("the default is JSON");
        let demo: serde_json::Value = serde_json::from_str(POLICY).expect("policy.json is JSON");
        assert_eq!(from_template, demo);
        let doc = authz_policy::PolicyDocument::parse(POLICY).expect("a valid policy");
        assert!(doc.apigateway().is_some() && doc.appsync().is_some());
    }

    #[test]
    fn iam_wildcards() {
        assert!(glob("arn:x/prod/*/*", "arn:x/prod/GET/items"));
        assert!(glob("arn:x/prod/GET/items/*", "arn:x/prod/GET/items/42"));
        assert!(!glob("arn:x/prod/GET/items/*", "arn:x/prod/GET/items"));
        assert!(!glob("arn:x/prod/GET/*", "arn:x/prod/PUT/items"));
    }
}
