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
use futures::{Stream, StreamExt};
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
    /// Set when the server begins to shut down: open streams end at once
    /// instead of holding the shutdown for up to [`STREAM_SECS`].
    closing: watch::Sender<bool>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            tx: watch::channel(String::new()).0,
            polling: AtomicBool::new(false),
            closing: watch::channel(false).0,
        }
    }
}

impl Live {
    /// Ends every open stream (the server is shutting down).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

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
/// read now (so it is no older than the page that asks), and again
/// whenever the shared marker moves past what this stream has sent.
async fn events(State(state): State<AppState>, WebUser(s): WebUser) -> Response {
    let reader = state.ctx(&s.user).reader();
    let rx = state.live.subscribe(&state.store);
    let now = match state.store.change_marker_for(&reader).await {
        Ok(m) => m,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    Sse::new(stream(
        rx,
        state.live.closing.subscribe(),
        now,
        state.store.clone(),
        reader,
    ))
    .keep_alive(KeepAlive::new().interval(Duration::from_secs(10)))
    .into_response()
}

/// Whether marker `a` has moved past `b`: every part only grows, so `a` is
/// news when any part is larger (the shared poller may lag a fresh read).
fn moved_past(a: &str, b: &str) -> bool {
    let parts = |m: &str| -> Vec<u64> { m.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let (a, b) = (parts(a), parts(b));
    a.len() != b.len() || a.iter().zip(&b).any(|(x, y)| x > y)
}

fn change(marker: &str) -> Event {
    Event::default()
        .event("change")
        .data(marker)
        .retry(Duration::from_millis(1500))
}

/// The stream: the shared marker wakes it, and it sends the reader's own
/// marker (see [`Store::change_marker_for`]) when that moved, so a change
/// the reader may not see sends nothing.
fn stream(
    rx: watch::Receiver<String>,
    mut closing: watch::Receiver<bool>,
    first: String,
    store: Store,
    reader: firebreak_store::Reader,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(STREAM_SECS);
    let ends = async move {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {}
            _ = closing.wait_for(|c| *c) => {}
        }
    };
    let opening =
        futures::stream::once(futures::future::ready(Ok::<_, Infallible>(change(&first))));
    let updates = futures::stream::unfold((rx, first), move |(mut rx, mut sent)| {
        let store = store.clone();
        async move {
            loop {
                if rx.changed().await.is_err() {
                    return None;
                }
                rx.borrow_and_update();
                let marker = match store.change_marker_for(&reader).await {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(error = %e, "live pages: reading a reader's marker");
                        continue;
                    }
                };
                if moved_past(&marker, &sent) {
                    sent = marker;
                    return Some((Ok(change(&sent)), (rx, sent)));
                }
            }
        }
    });
    // The deadline, or the server shutting down, ends the stream.
    opening.chain(updates).take_until(Box::pin(ends))
}

#[cfg(test)]
mod tests {
    use super::moved_past;

    #[test]
    fn a_marker_is_news_only_when_a_part_grew() {
        assert!(moved_past("2.5.1", "1.5.1"));
        assert!(moved_past("1.5.2", "1.5.1"));
        assert!(!moved_past("1.5.1", "1.5.1"));
        // A lagging poller's older marker is not news.
        assert!(!moved_past("1.4.1", "2.5.1"));
    }
}
