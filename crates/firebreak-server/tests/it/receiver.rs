//! A webhook receiver on loopback for notification tests: it records every
//! request, can refuse the first N with 500, and says when something
//! arrives so tests await arrivals instead of sleeping.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct Received {
    pub idempotency_key: String,
    pub body: serde_json::Value,
    pub accepted: bool,
}

#[derive(Default)]
struct Inner {
    received: Mutex<Vec<Received>>,
    fail_first: Mutex<usize>,
    arrived: Notify,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
}

impl Receiver {
    /// Starts a receiver that refuses its first `fail_first` requests.
    pub async fn start(fail_first: usize) -> Receiver {
        let inner = Arc::new(Inner {
            fail_first: Mutex::new(fail_first),
            ..Inner::default()
        });
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, inner }
    }

    pub fn all(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }

    /// Accepted deliveries per idempotency key.
    pub fn accepted_per_key(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in self.all().into_iter().filter(|r| r.accepted) {
            *m.entry(r.idempotency_key).or_insert(0) += 1;
        }
        m
    }
}

async fn hook(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let accepted = {
        let mut fail = inner.fail_first.lock().unwrap();
        if *fail > 0 {
            *fail -= 1;
            false
        } else {
            true
        }
    };
    inner.received.lock().unwrap().push(Received {
        idempotency_key: key,
        body,
        accepted,
    });
    inner.arrived.notify_waiters();
    if accepted {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}
