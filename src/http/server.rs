//! The accept loop: HTTP/1.1 connections with a deadline for their headers,
//! at most [`Limits::max_connections`] at a time and [`MAX_CONNECTIONS_PER_CLIENT`] from
//! one address, each closed after [`LIFETIME`] (a client that stops
//! reading its answer holds no slot for long), and a graceful shutdown that
//! lets requests in flight finish.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

use super::client::{ClientAddr, client_addr};
use super::{AppState, Limits, router};

/// How long requests in flight get to finish after shutdown was asked for.
const DRAIN: Duration = Duration::from_secs(30);
/// Connections one client address may hold at once (a browser opens six).
pub const MAX_CONNECTIONS_PER_CLIENT: usize = 64;
/// Longest a connection is kept, however busy; clients reconnect.
pub(crate) const LIFETIME: Duration = Duration::from_secs(10 * 60);

/// Connections open per client address.
#[derive(Clone, Default)]
struct PerClient(Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>);

impl PerClient {
    /// Counts one more connection from `ip`, unless it already holds its share.
    fn enter(&self, ip: std::net::IpAddr) -> bool {
        let mut open = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(ip).or_insert(0);
        if *n >= MAX_CONNECTIONS_PER_CLIENT {
            return false;
        }
        *n += 1;
        true
    }

    fn leave(&self, ip: std::net::IpAddr) {
        let mut open = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&ip);
            }
        }
    }
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Limits { header_timeout, max_connections, trusted_proxies, .. } = state.limits.clone();
    let trusted_proxies = Arc::new(trusted_proxies);
    let app = router(state);
    let permits = Arc::new(Semaphore::new(max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let per_client = PerClient::default();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_per_connection(&e) => continue,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::error!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A proxy of ours carries many clients; it is not one of them.
        let counted = !trusted_proxies.contains(peer.ip());
        if counted && !per_client.enter(peer.ip()) {
            tracing::warn!(%peer, "refused a connection: this address already holds {MAX_CONNECTIONS_PER_CLIENT}");
            continue;
        }
        let app = app.clone();
        let proxies = Arc::clone(&trusted_proxies);
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            let client = client_addr(peer.ip(), req.headers(), &proxies);
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            req.extensions_mut().insert(ClientAddr(client));
            let app = app.clone();
            async move { Ok::<_, Infallible>(app.oneshot(req.map(axum::body::Body::new)).await.unwrap_or_else(|e| match e {})) }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let per_client = per_client.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(LIFETIME, connection).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::debug!(%peer, "connection ended: {e}"),
                Err(_) => tracing::debug!(%peer, "connection closed after {} seconds", LIFETIME.as_secs()),
            }
            if counted {
                per_client.leave(peer.ip());
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still running {} seconds after shutdown were cut off", DRAIN.as_secs());
    }
    Ok(())
}

fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset)
}
