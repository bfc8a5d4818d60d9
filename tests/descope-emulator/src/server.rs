//! Serving over TCP with our own accept loop.
//!
//! `axum::serve` hides the connection, so a handler cannot close it without answering. Here each
//! connection gets a [`ConnectionHandle`]; when the fault middleware fires it, the connection's
//! future is dropped and with it the socket: the client sees a closed connection, no response.

use std::{future::Future, net::SocketAddr, sync::Arc};

use axum::Router;
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, sync::Notify, task::JoinSet};
use tower::ServiceExt as _;

use crate::{Emulator, app, faults::ConnectionHandle};

/// Serves `emulator` on `listener` until `shutdown` completes; open connections are then closed.
pub async fn serve(
    listener: TcpListener,
    emulator: Emulator,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let router = app(emulator);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                // A client that vanished during the handshake is not our problem.
                Err(e) => { tracing::debug!("accept failed: {e}"); continue; }
            },
            () = &mut shutdown => break,
        };
        // Reap finished connections so the set does not grow over a long load test.
        while connections.try_join_next().is_some() {}
        connections.spawn(serve_connection(stream, router.clone()));
    }
    connections.shutdown().await;
    Ok(())
}

async fn serve_connection(stream: tokio::net::TcpStream, router: Router) {
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let handle = ConnectionHandle(kill.clone());
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(handle.clone());
        router.clone().oneshot(req.map(axum::body::Body::new))
    });
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(e) = result { tracing::debug!("connection ended: {e}"); }
        }
        // Dropping `connection` here closes the socket without writing a response.
        () = kill.notified() => tracing::debug!("connection dropped by fault injection"),
    }
}

/// An emulator serving on a background task; stops when dropped.
#[derive(Debug)]
pub struct RunningEmulator {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state, for in-process assertions.
    pub emulator: Emulator,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningEmulator {
    /// Binds `addr` (use `127.0.0.1:0` for a free port) and serves in the background.
    pub async fn start(emulator: Emulator, addr: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(serve(listener, emulator.clone(), std::future::pending()));
        Ok(Self { addr, emulator, task })
    }

    /// `http://127.0.0.1:PORT`, the SDKs' base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.task.abort();
    }
}
