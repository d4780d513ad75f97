//! Live pages without a build step: `GET /events` is a server-sent event
//! stream that says "something changed" (the store's change marker) and
//! nothing else; `static/app.js` reloads the page's main content when it
//! does. One poller per server reads the marker once a second while anyone
//! listens, however many pages are open, and several servers sharing a
//! PostgreSQL database each see the others' changes through it. A stream
//! lasts at most [`STREAM_SECS`] (under the server's request timeout); the
//! browser reconnects by itself and compares markers across connections.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::Stream;
use tokio::sync::watch;

use firebreak_store::Store;

use crate::AppState;
use crate::web::WebUser;

/// How long one event stream stays open before the browser reconnects.
pub const STREAM_SECS: u64 = 25;
/// How often the poller reads the change marker.
const POLL: Duration = Duration::from_secs(1);

/// The change marker, shared by every open stream.
#[derive(Debug)]
pub struct Live {
    tx: watch::Sender<String>,
    polling: AtomicBool,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            tx: watch::channel(String::new()).0,
            polling: AtomicBool::new(false),
        }
    }
}

impl Live {
    /// A receiver of the marker; starts the poller if none runs.
    pub fn subscribe(self: &Arc<Self>, store: &Store) -> watch::Receiver<String> {
        let rx = self.tx.subscribe();
        if !self.polling.swap(true, Ordering::AcqRel) {
            let live = Arc::clone(self);
            let store = store.clone();
            tokio::spawn(async move { live.poll(store).await });
        }
        rx
    }

    /// Reads the marker while anyone listens, then stops.
    async fn poll(self: Arc<Self>, store: Store) {
        loop {
            if self.tx.receiver_count() == 0 {
                self.polling.store(false, Ordering::Release);
                // A subscriber that came in between keeps the poller.
                if self.tx.receiver_count() == 0 || self.polling.swap(true, Ordering::AcqRel) {
                    return;
                }
            }
            match store.change_marker().await {
                Ok(m) => {
                    self.tx.send_if_modified(|cur| {
                        let changed = *cur != m;
                        if changed {
                            *cur = m;
                        }
                        changed
                    });
                }
                Err(e) => tracing::warn!(error = %e, "live pages: reading the change marker"),
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/events", get(events))
}

/// The event stream of a signed-in page: a `change` event with the marker
/// now, and again whenever it moves.
async fn events(State(state): State<AppState>, WebUser(_s): WebUser) -> Response {
    let rx = state.live.subscribe(&state.store);
    Sse::new(stream(rx))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(10)))
        .into_response()
}

fn stream(rx: watch::Receiver<String>) -> impl Stream<Item = Result<Event, Infallible>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(STREAM_SECS);
    futures::stream::unfold((rx, true), move |(mut rx, first)| async move {
        if !first {
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                // The deadline, or the server shutting down: end the stream.
                _ => return None,
            }
        } else {
            // The first marker may not be read yet: wait for it briefly.
            if rx.borrow().is_empty() {
                let _ = tokio::time::timeout(Duration::from_secs(3), rx.changed()).await;
            }
        }
        let marker = rx.borrow_and_update().clone();
        let event = Event::default()
            .event("change")
            .data(marker)
            .retry(Duration::from_millis(1500));
        Some((Ok(event), (rx, false)))
    })
}
