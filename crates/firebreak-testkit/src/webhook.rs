//! A webhook receiver on loopback, standing in for a pager: a real HTTP
//! server on an ephemeral port that records each request's
//! `Idempotency-Key`, JSON body and whether its signature holds under
//! [`SECRET`], can refuse its first N requests with a 500, and wakes
//! waiters on every arrival, so tests await arrivals (with a timeout)
//! instead of sleeping.
//!
//! It runs on a thread and runtime of its own, so synchronous tests (the
//! CLI's) and async ones (the server's) use it alike; dropping it stops it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// The secret webhook contact methods made with
/// [`WebhookReceiver::channel_json`] sign with.
pub const SECRET: &str = "whsec_firebreak_cli_tests";

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub idempotency_key: String,
    pub body: Value,
    /// The `X-Firebreak-Signature` verifies under [`SECRET`].
    pub signed: bool,
    /// Answered 200 (else 500).
    pub accepted: bool,
}

impl Delivery {
    /// Whom the page is for.
    pub fn recipient(&self) -> &str {
        self.body["recipient"].as_str().unwrap_or("")
    }

    /// `INC-n`.
    pub fn incident(&self) -> &str {
        self.body["incident"]["ref"].as_str().unwrap_or("")
    }
}

#[derive(Default)]
struct Shared {
    deliveries: Mutex<Vec<Delivery>>,
    arrived: Condvar,
    /// How many requests are still to be refused with a 500.
    refuse: AtomicUsize,
}

pub struct WebhookReceiver {
    /// Where to POST: `http://127.0.0.1:<port>/hook`.
    pub url: String,
    shared: Arc<Shared>,
    /// How many deliveries [`WebhookReceiver::wait_for`] and
    /// [`WebhookReceiver::drain`] have looked at.
    seen: usize,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl WebhookReceiver {
    pub fn start() -> WebhookReceiver {
        WebhookReceiver::refusing_first(0)
    }

    /// A receiver that answers its first `n` requests with a 500.
    pub fn refusing_first(n: usize) -> WebhookReceiver {
        let shared = Arc::new(Shared {
            refuse: AtomicUsize::new(n),
            ..Shared::default()
        });
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound, url) = mpsc::channel();
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(shared.clone());
        std::thread::spawn(move || {
            crate::block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let _ = bound.send(format!("http://{}/hook", listener.local_addr().unwrap()));
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        WebhookReceiver {
            url: url.recv().expect("the receiver starts"),
            shared,
            seen: 0,
            shutdown: Some(shutdown),
        }
    }

    /// The channel JSON of a webhook contact method to this receiver.
    pub fn channel_json(&self) -> String {
        serde_json::json!({"kind": "webhook", "url": self.url, "secret": SECRET}).to_string()
    }

    /// Everything received so far, in order of arrival.
    pub fn all(&self) -> Vec<Delivery> {
        self.shared.deliveries.lock().unwrap().clone()
    }

    /// Accepted deliveries per idempotency key.
    pub fn accepted_per_key(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in self.all().into_iter().filter(|r| r.accepted) {
            *m.entry(r.idempotency_key).or_insert(0) += 1;
        }
        m
    }

    /// Looks at arrivals one by one, in order, until `done` holds of all
    /// looked at, or panics after `timeout` saying what did arrive.
    pub fn wait_for(&mut self, timeout: Duration, what: &str, done: impl Fn(&[Delivery]) -> bool) {
        let deadline = Instant::now() + timeout;
        let mut all = self.shared.deliveries.lock().unwrap();
        while !done(&all[..self.seen]) {
            if self.seen < all.len() {
                self.seen += 1;
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!(
                    "the receiver did not get {what} within {timeout:?}; it got:\n{:#?}",
                    &all[..self.seen]
                );
            }
            all = self.shared.arrived.wait_timeout(all, left).unwrap().0;
        }
    }

    /// Waits for the first page to `user`, and returns it.
    pub fn page_for(&mut self, user: &str, timeout: Duration) -> Delivery {
        self.wait_for(timeout, &format!("a page for {user}"), |all| {
            all.iter().any(|d| d.recipient() == user)
        });
        self.all()[..self.seen]
            .iter()
            .find(|d| d.recipient() == user)
            .cloned()
            .unwrap()
    }

    /// Asserts that nothing arrives, beyond what was looked at already,
    /// before `until`.
    pub fn expect_nothing_until(&mut self, until: Instant, why: &str) {
        let mut all = self.shared.deliveries.lock().unwrap();
        loop {
            if let Some(d) = all.get(self.seen) {
                panic!("{why}, but the receiver got:\n{d:#?}");
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            all = self.shared.arrived.wait_timeout(all, left).unwrap().0;
        }
    }

    /// Looks at whatever has arrived already: everything received.
    pub fn drain(&mut self) -> Vec<Delivery> {
        let all = self.all();
        self.seen = all.len();
        all
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

async fn hook(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let timestamp = header(firebreak_server::notify::TIMESTAMP_HEADER)
        .parse::<i64>()
        .unwrap_or(0);
    let signed = firebreak_server::notify::verify(
        SECRET,
        timestamp,
        &body,
        &header(firebreak_server::notify::SIGNATURE_HEADER),
        chrono::Utc::now().timestamp(),
        300,
    );
    let accepted = shared
        .refuse
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_err();
    shared.deliveries.lock().unwrap().push(Delivery {
        idempotency_key: header("idempotency-key"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        signed,
        accepted,
    });
    shared.arrived.notify_all();
    if accepted {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}
