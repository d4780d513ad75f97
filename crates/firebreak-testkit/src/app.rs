//! A Firebreak server started in-process on a listener bound to port 0,
//! over a fresh [`TestDb`], with its first admin bootstrapped and given an
//! API token; and the JSON requests tests make of it.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::Utc;
use firebreak_server::{AppState, Clock, ServerConfig};
use firebreak_store::{Actor, Store, secrets};
use serde_json::Value;
use tokio::net::TcpListener;

use crate::db::{Backend, TestDb};

/// A running server and what tests need to reach it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    pub admin_token: String,
    pub admin_password: String,
    pub store: Store,
    pub http: reqwest::Client,
    pub state: AppState,
    pub db_url: String,
    // Last, so the database outlives the store's use of it.
    _db: TestDb,
}

/// A server on `backend` with its configuration adjusted and the given
/// clock; `None` when PostgreSQL is not configured outside CI.
pub async fn spawn_app(
    backend: Backend,
    configure: impl FnOnce(&mut ServerConfig),
    clock: Arc<dyn Clock>,
) -> Option<TestApp> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let db = TestDb::new(backend).await?;
    let db_url = db.url().to_owned();
    let store = Store::open(&db_url).await.unwrap();
    let admin_password = firebreak_server::bootstrap_admin(&store, Utc::now())
        .await
        .unwrap()
        .unwrap();
    let admin = store.user_ref("admin").await.unwrap();
    let admin_token = secrets::new_token();
    store
        .create_token(
            &admin,
            "test",
            &admin_token,
            &Actor::local("test"),
            Utc::now(),
        )
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let url = format!("http://{addr}");
    let mut config = ServerConfig {
        public_url: url.clone(),
        ..ServerConfig::default()
    };
    configure(&mut config);
    let mut state = AppState::new(store.clone(), config);
    state.clock = clock;
    tokio::spawn(firebreak_server::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    Some(TestApp {
        url,
        admin_token,
        admin_password,
        store,
        http: reqwest::Client::new(),
        state,
        db_url,
        _db: db,
    })
}

impl TestApp {
    pub fn store_url(&self) -> String {
        self.db_url.clone()
    }

    /// Creates a user with `role` and returns a token for them.
    pub async fn user(&self, name: &str, role: &str) -> String {
        let res = self
            .http
            .post(format!("{}/api/v1/users", self.url))
            .bearer_auth(&self.admin_token)
            .json(&serde_json::json!({"name": name, "role": role, "password": "a long enough password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let user = self.store.user_ref(name).await.unwrap();
        let token = secrets::new_token();
        self.store
            .create_token(&user, "test", &token, &Actor::local("test"), Utc::now())
            .await
            .unwrap();
        token
    }

    /// Gives `user` a contact method (a webhook nobody listens on), so they
    /// may be made an incident's owner or lead.
    pub async fn reachable(&self, user: &str) {
        let (s, b) = self
            .post(
                &self.admin_token,
                &format!("/api/v1/users/{user}/contact-methods"),
                serde_json::json!({"label": "pager", "channel": {"kind": "webhook", "url": "http://127.0.0.1:9/hook"}}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }

    /// Sends a request with a bearer token (and a JSON body); the status
    /// and the answer's body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token);
        if let Some(body) = &body {
            req = req.json(body);
        }
        decode(req.send().await.unwrap()).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, token, path, Some(body))
            .await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, token, path, Some(body))
            .await
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, token, path, Some(body))
            .await
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, token, path, None).await
    }

    /// Posts `body` and asserts the answer's status; the answer's body.
    pub async fn post_expect(&self, token: &str, path: &str, body: Value, status: u16) -> Value {
        let (s, b) = self.post(token, path, body).await;
        assert_eq!(s, status, "POST {path}: {b}");
        b
    }

    /// Patches with `body` and asserts the answer's status; the answer's
    /// body.
    pub async fn patch_expect(&self, token: &str, path: &str, body: Value, status: u16) -> Value {
        let (s, b) = self.patch(token, path, body).await;
        assert_eq!(s, status, "PATCH {path}: {b}");
        b
    }

    /// Puts `body` and asserts the answer's status; the answer's body.
    pub async fn put_expect(&self, token: &str, path: &str, body: Value, status: u16) -> Value {
        let (s, b) = self.put(token, path, body).await;
        assert_eq!(s, status, "PUT {path}: {b}");
        b
    }

    /// Gets the JSON array at `path` (answered `200`).
    pub async fn get_list(&self, token: &str, path: &str) -> Vec<Value> {
        let b = self.get_expect(token, path, 200).await;
        b.as_array().unwrap().clone()
    }

    /// A GET of `path` with no credentials: the whole answer.
    pub async fn get_anonymous(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    /// Gets `path` and asserts the answer's status; the answer's body.
    pub async fn get_expect(&self, token: &str, path: &str, status: u16) -> Value {
        let (s, b) = self.get(token, path).await;
        assert_eq!(s, status, "GET {path}: {b}");
        b
    }

    /// Posts raw bytes with a content type; the status, the answer's
    /// content type and its body.
    pub async fn post_raw(
        &self,
        token: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, String, Value) {
        let url = format!("{}{path}", self.url);
        self.post_bytes_to(&url, Some(token), content_type, body)
            .await
    }

    /// Posts raw bytes with a content type to a whole URL (an
    /// integration's, which carries its key), with a bearer token when
    /// given; the status, the answer's content type and its body.
    pub async fn post_bytes_to(
        &self,
        url: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, String, Value) {
        let mut req = self.http.post(url);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let res = req
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let (status, body) = decode(res).await;
        (status, ct, body)
    }
}

/// The status and JSON body of an answer (a string when it is not JSON).
pub async fn decode(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}
