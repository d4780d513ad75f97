//! Starts a server in-process on a listener bound to port 0, over a fresh
//! database, and hands back its URL and an admin token.

use std::net::SocketAddr;

use chrono::Utc;
use std::sync::Arc;

use chrono::DateTime;
use firebreak_server::{AppState, Clock, ServerConfig, SystemClock};
use firebreak_store::{Actor, Store, secrets};
use tokio::net::TcpListener;

pub struct TestApp {
    pub url: String,
    pub admin_token: String,
    pub admin_password: String,
    pub store: Store,
    pub http: reqwest::Client,
    pub state: AppState,
    pub db_url: String,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A throwaway PostgreSQL database, dropped (best effort) at the end.
pub struct PgDatabase {
    base: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let base = self.base.clone();
        let name = self.name.clone();
        // Drop in a thread with its own runtime: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::PgConnection::connect(&base).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut c)
                    .await;
                }
            });
        })
        .join();
    }
}

/// The PostgreSQL base URL, or `None` (with the reason printed) outside CI.
pub fn postgres_base() -> Option<String> {
    match std::env::var("FIREBREAK_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "FIREBREAK_TEST_POSTGRES_URL must be set in CI: the PostgreSQL tests cannot be skipped there"
            )
        }
        _ => {
            eprintln!("skipping the PostgreSQL half: FIREBREAK_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

async fn new_pg_database(base: &str) -> (String, PgDatabase) {
    use sqlx::Connection;
    let name = format!("fbs_{}", hex_id());
    let mut c = sqlx::PgConnection::connect(base)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .unwrap();
    let url = match base.rsplit_once('/') {
        Some((prefix, _)) => format!("{prefix}/{name}"),
        None => panic!("bad PostgreSQL URL {base}"),
    };
    (
        url,
        PgDatabase {
            base: base.to_owned(),
            name,
        },
    )
}

fn hex_id() -> String {
    let b: [u8; 8] = rand_bytes();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn rand_bytes() -> [u8; 8] {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let c = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ((t as u64) ^ (u64::from(std::process::id()) << 32) ^ c.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .to_le_bytes()
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A server on SQLite.
pub async fn spawn() -> TestApp {
    spawn_on(Db::Sqlite).await.expect("SQLite is always there")
}

/// A server on the chosen database; `None` when PostgreSQL is not
/// configured outside CI.
pub async fn spawn_on(db: Db) -> Option<TestApp> {
    spawn_with(db, |_| {}, Arc::new(SystemClock)).await
}

/// A clock that tests move by hand.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Arc<ManualClock> {
        Arc::new(ManualClock(std::sync::Mutex::new(at)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap() = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// A server with its configuration adjusted and the given clock.
pub async fn spawn_with(
    db: Db,
    configure: impl FnOnce(&mut ServerConfig),
    clock: Arc<dyn Clock>,
) -> Option<TestApp> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = match db {
        Db::Sqlite => (
            format!("sqlite:{}", dir.path().join("firebreak.db").display()),
            None,
        ),
        Db::Postgres => {
            let base = postgres_base()?;
            let (url, pg) = new_pg_database(&base).await;
            (url, Some(pg))
        }
    };
    let db_url = url.clone();
    let store = Store::open(&url).await.unwrap();
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
        _dir: dir,
        _pg: pg,
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

    pub async fn post(
        &self,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let res = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        decode(res).await
    }

    pub async fn patch(
        &self,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let res = self
            .http
            .patch(format!("{}{path}", self.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        decode(res).await
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, serde_json::Value) {
        let res = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        decode(res).await
    }

    /// Posts raw bytes with a content type.
    pub async fn post_raw(
        &self,
        token: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, String, serde_json::Value) {
        let res = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(token)
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

async fn decode(res: reqwest::Response) -> (u16, serde_json::Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    (status, body)
}
