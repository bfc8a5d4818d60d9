//! The HTTP client key sets are fetched with, and its warm-up. Building it loads the TLS root
//! store, the largest single step of a function's cold start (about 2 ms of 5 on the
//! benchmark machine, BENCHMARKS.md): [`warm_up`] starts that on another thread at the top of
//! `main`, so it overlaps reading the settings and parsing the policy.

use std::{
    sync::{Mutex, PoisonError},
    thread::JoinHandle,
    time::Duration,
};

use crate::error::ConfigError;

/// The fetch timeout of [`crate::Config`] unless configured otherwise.
pub(crate) const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(3);

/// A client being built for [`DEFAULT_FETCH_TIMEOUT`] by [`warm_up`], taken by the first
/// verifier with that timeout.
static WARMING: Mutex<Option<JoinHandle<Result<reqwest::Client, String>>>> = Mutex::new(None);

/// Starts building the key-fetch client on another thread; the next [`crate::Verifier::new`]
/// with the default fetch timeout takes it instead of building its own. Call it first thing in a
/// function's `main`; calling it again before a verifier took the client does nothing. With less
/// than one vCPU (Lambda below 1,769 MB) the two threads share the CPU and nothing is gained,
/// nothing lost.
pub fn warm_up() {
    let mut slot = WARMING.lock().unwrap_or_else(PoisonError::into_inner);
    if slot.is_none() {
        *slot = Some(std::thread::spawn(|| build(DEFAULT_FETCH_TIMEOUT)));
    }
}

/// The key-fetch client for `timeout`: the warmed-up one when there is one for it, else a new
/// one. Either way: this timeout for connecting and for the whole request, and no redirects (only
/// a direct 200 counts; a redirect could point anywhere).
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, ConfigError> {
    if timeout == DEFAULT_FETCH_TIMEOUT
        && let Some(client) = take_warmed()
    {
        return Ok(client);
    }
    build(timeout).map_err(ConfigError::HttpClient)
}

/// The warmed-up client, if [`warm_up`] started one and nobody took it yet. A failed or
/// panicked warm-up gives none: the caller builds its own, which reports the error.
fn take_warmed() -> Option<reqwest::Client> {
    let warmed = WARMING.lock().unwrap_or_else(PoisonError::into_inner).take()?;
    warmed.join().ok()?.ok()
}

fn build(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A server answering every request with a redirect to itself at `/elsewhere`.
    async fn redirecting_server() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let location = format!("{base}/elsewhere");
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                let answer = format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        base
    }

    #[tokio::test]
    async fn the_warmed_up_client_follows_no_redirect_like_a_built_one() {
        let base = redirecting_server().await;
        // Other tests may take a warmed client first: warm up until this test gets one.
        let warmed = (0..20)
            .find_map(|_| {
                warm_up();
                take_warmed()
            })
            .expect("a warmed-up client");
        let built = client(Duration::from_secs(2)).unwrap();
        for client in [warmed, built] {
            let response = client.get(format!("{base}/keys")).send().await.unwrap();
            assert_eq!(response.status(), 302, "the redirect is returned, not followed");
        }
        assert!(take_warmed().is_none(), "a warmed client is handed out once");
    }
}
