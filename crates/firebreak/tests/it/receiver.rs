//! A webhook receiver on loopback, standing in for a pager: it records each
//! request's `Idempotency-Key`, JSON body and whether its signature holds,
//! answers 200, and signals every arrival over a channel, so tests await
//! arrivals (with a timeout) instead of sleeping.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// The secret every test's webhook contact methods sign with.
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

#[derive(Clone)]
struct Hook {
    tx: mpsc::Sender<Delivery>,
    /// How many requests are still to be refused with a 500.
    refuse: Arc<AtomicUsize>,
}

pub struct Receiver {
    /// Where to POST: `http://127.0.0.1:<port>/hook`.
    pub url: String,
    rx: mpsc::Receiver<Delivery>,
    seen: Vec<Delivery>,
    // Dropping the runtime stops the receiver.
    _rt: tokio::runtime::Runtime,
}

impl Receiver {
    pub fn start() -> Receiver {
        Receiver::refusing_first(0)
    }

    /// A receiver that answers its first `n` requests with a 500.
    pub fn refusing_first(n: usize) -> Receiver {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let app = Router::new().route("/hook", post(hook)).with_state(Hook {
            tx,
            refuse: Arc::new(AtomicUsize::new(n)),
        });
        rt.spawn(async move { axum::serve(listener, app).await });
        Receiver {
            url,
            rx,
            seen: Vec::new(),
            _rt: rt,
        }
    }

    /// The channel JSON of a webhook contact method to this receiver.
    pub fn channel_json(&self) -> String {
        serde_json::json!({"kind": "webhook", "url": self.url, "secret": SECRET}).to_string()
    }

    /// Takes arrivals off the channel until `done` holds of everything
    /// received, or panics after `timeout` saying what did arrive.
    pub fn wait_for(&mut self, timeout: Duration, what: &str, done: impl Fn(&[Delivery]) -> bool) {
        let deadline = Instant::now() + timeout;
        while !done(&self.seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(d) => self.seen.push(d),
                Err(_) => panic!(
                    "the receiver did not get {what} within {timeout:?}; it got:\n{:#?}",
                    self.seen
                ),
            }
        }
    }

    /// Waits for the first page to `user`, and returns it.
    pub fn page_for(&mut self, user: &str, timeout: Duration) -> Delivery {
        self.wait_for(timeout, &format!("a page for {user}"), |all| {
            all.iter().any(|d| d.recipient() == user)
        });
        self.seen
            .iter()
            .find(|d| d.recipient() == user)
            .cloned()
            .unwrap()
    }

    /// Asserts that nothing arrives before `until`.
    pub fn expect_nothing_until(&mut self, until: Instant, why: &str) {
        let left = until.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Ok(d) => panic!("{why}, but the receiver got:\n{d:#?}"),
            Err(e) => panic!("the receiver stopped: {e}"),
        }
    }

    /// Takes whatever has arrived already off the channel.
    pub fn drain(&mut self) -> &[Delivery] {
        while let Ok(d) = self.rx.try_recv() {
            self.seen.push(d);
        }
        &self.seen
    }
}

async fn hook(State(hook): State<Hook>, headers: HeaderMap, body: Bytes) -> StatusCode {
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
    let accepted = hook
        .refuse
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_err();
    let delivery = Delivery {
        idempotency_key: header("idempotency-key"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        signed,
        accepted,
    };
    let _ = hook.tx.send(delivery);
    if accepted {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}
