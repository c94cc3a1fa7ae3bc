//! Serving the router on a listener the caller bound, until a shutdown signal, then draining
//! in-flight requests for a bounded time — the mini-redis `run(listener, shutdown)` shape, so tests
//! bind port 0 and stop the server at will.
#![cfg(feature = "sdk")]

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;

use homelab_kit::{FORGET_IDLE_EVERY, every};
use homelab_port::ChatHandler;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::routes::{REQUEST_DURATION, REQUESTS_TOTAL};
use crate::state::AppState;
use crate::{Config, Error, MetricsRenderer, app};

/// Serves `/chat`, `/health` and `/metrics` on `listener` until `shutdown` completes, then stops
/// accepting, lets in-flight requests (and the core work they started, such as audit writes)
/// finish for at most `config.shutdown_grace`, and returns.
///
/// Fails at once when no API key is configured and either `config.bind` or the listener is not a
/// loopback address.
pub async fn run(
    config: Config,
    handler: Arc<dyn ChatHandler>,
    metrics: Option<MetricsRenderer>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let local = listener.local_addr().map_err(Error::LocalAddr)?;
    let keys = config.keys().len();
    if keys == 0 {
        // A `bind` that is no address is refused with the other problems by `AppState::new`.
        for addr in config.bind_addr().into_iter().chain([local]) {
            if !addr.ip().to_canonical().is_loopback() {
                return Err(Error::UnauthenticatedNonLoopback { addr });
            }
        }
        tracing::warn!(
            %local,
            "HTTP API IS UNAUTHENTICATED: no API key is configured, so every local user and process \
             can ask questions; it listens on loopback only. Configure `API_KEY` or `http.api_keys` \
             before exposing it."
        );
    }
    let state = AppState::new(&config, handler, metrics)?;
    let core = state.core.clone();
    describe_metrics();
    let limiters = Arc::clone(&state.limiters);
    let _janitor = every(FORGET_IDLE_EVERY, move || limiters.forget_idle());
    tracing::info!(%local, keys, "HTTP adapter listening");

    let (signalled, on_signal) = oneshot::channel::<Instant>();
    let signal = async move {
        shutdown.await;
        tracing::info!(
            "HTTP adapter shutting down: no new connections, finishing in-flight requests"
        );
        let _ = signalled.send(Instant::now());
    };
    // Boxed rather than pinned on the stack so that dropping it really drops the router.
    let mut server = Box::pin(
        axum::serve(
            listener,
            app(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal)
        .into_future(),
    );

    let (finished, deadline) = tokio::select! {
        result = &mut server => {
            // axum only returns after the signal (or on an I/O error).
            result.map_err(Error::Serve)?;
            (true, Instant::now() + config.shutdown_grace)
        }
        at = on_signal => (false, at.unwrap_or_else(|_| Instant::now()) + config.shutdown_grace),
    };
    if !finished {
        match tokio::time::timeout_at(deadline, &mut server).await {
            Ok(result) => result.map_err(Error::Serve)?,
            Err(_) => tracing::warn!(
                grace = ?config.shutdown_grace,
                "HTTP requests still in flight after the shutdown grace; abandoning them"
            ),
        }
    }
    // No new request can reach the core once the server is gone; the core calls already started
    // finish their audit entries before we return.
    drop(server);
    core.drain("http", deadline.saturating_duration_since(Instant::now()))
        .await;
    tracing::info!("HTTP adapter stopped");
    Ok(())
}

fn describe_metrics() {
    metrics::describe_counter!(
        REQUESTS_TOTAL,
        "HTTP /chat requests by outcome (answered, unauthorized, rate_limited, too_large, invalid, unavailable, error)."
    );
    metrics::describe_counter!(
        crate::hooks::WEBHOOK_CALLS_TOTAL,
        "Webhook calls (/hooks/…) by source and outcome (accepted, unauthorized, unknown_hook, too_large, invalid, unavailable)."
    );
    metrics::describe_histogram!(
        REQUEST_DURATION,
        metrics::Unit::Seconds,
        "Time to answer an HTTP /chat request, whatever its outcome."
    );
}
