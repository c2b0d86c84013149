//! Starts the real app on a random port and talks to it like the portal and
//! like a producer's browser would.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use inkseal::documents::Renderer;
use inkseal::http::{ApiKeys, AppState, Limits};
use inkseal::pki::Algorithm;
use inkseal::service::{Config, Service};
use inkseal::signing::{DevKeyFiles, SigningIdentity, TrustStore, init_dev_keys};
use inkseal::store::{DataKey, DataKeys, Store};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

pub const API_KEY: &str = "test-portal-key-0123456789";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub db_url: String,
    pub roots: Vec<x509_cert::Certificate>,
    pub dir: tempfile::TempDir,
    /// Seconds the app's clock runs ahead of the real one.
    clock_offset: Arc<AtomicI64>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn postgres_base() -> String {
    std::env::var("INKSEAL_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The data keys of the app kept in `dir` (created on first use, like the
/// development signing keys), so replicas that copy the keys folder share them.
pub fn data_keys(dir: &std::path::Path) -> DataKeys {
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let (key, _) = DataKey::development(&keys).unwrap();
    DataKeys::new(vec![key]).unwrap()
}

/// A database of its own for one test, and its URL.
async fn database(db: Db, dir: &std::path::Path) -> (Store, String) {
    let keys = data_keys(dir);
    match db {
        Db::Sqlite => {
            let url = format!("sqlite://{}?mode=rwc", dir.join("inkseal.db").display());
            (Store::open(&url, keys).await.unwrap(), url)
        }
        Db::Postgres => {
            let mut name = [0u8; 8];
            getrandom::fill(&mut name).unwrap();
            let schema = format!("t_{}", hex::encode(name));
            let url = postgres_base();
            let admin = sqlx::PgPool::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {url} is needed for these tests: {e}"));
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.unwrap();
            admin.close().await;
            let sep = if postgres_base().contains('?') { '&' } else { '?' };
            let url = format!("{}{sep}options=-c%20search_path%3D{schema}", postgres_base());
            (Store::open(&url, keys).await.unwrap(), url)
        }
    }
}

pub async fn spawn(db: Db) -> TestApp {
    spawn_with(db, Config::default()).await
}

pub async fn spawn_with(db: Db, config: Config) -> TestApp {
    spawn_limited(db, config, Limits::default()).await
}

/// The app with other limits than the defaults.
pub async fn spawn_limited(db: Db, mut config: Config, limits: Limits) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = database(db, dir.path()).await;
    spawn_on(store, url, dir, &mut config, limits).await
}

/// A second replica: its own connection pool to the same database, the same keys.
pub async fn replica(of: &TestApp) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    copy_keys(of.dir.path(), dir.path());
    let store = Store::open(&of.db_url, data_keys(dir.path())).await.unwrap();
    spawn_on(store, of.db_url.clone(), dir, &mut Config::default(), Limits::default()).await
}

fn copy_keys(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to.join("keys")).unwrap();
    for entry in std::fs::read_dir(from.join("keys")).unwrap() {
        let entry = entry.unwrap();
        let target = to.join("keys").join(entry.file_name());
        std::fs::copy(entry.path(), &target).unwrap();
    }
}

async fn spawn_on(store: Store, db_url: String, dir: tempfile::TempDir, config: &mut Config, limits: Limits) -> TestApp {
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("inkseal=debug").try_init();
    let keys = dir.path().join("keys");
    let files = DevKeyFiles::in_dir(&keys);
    if !files.exist() {
        init_dev_keys(&keys, Algorithm::Ed25519, SystemTime::now(), false).unwrap();
    }
    let trust = TrustStore::load(&[&files.root_cert]).unwrap();
    let identity = SigningIdentity::load(&files.signing_key, &files.signing_cert, &trust, SystemTime::now()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    config.public_url = base.clone();
    let roots = trust.roots().to_vec();
    let clock_offset = Arc::new(AtomicI64::new(0));
    let offset = Arc::clone(&clock_offset);
    let service = Service::new(
        store.clone(),
        Arc::new(Renderer::embedded().unwrap()),
        Arc::new(identity),
        Arc::new(trust),
        config.clone(),
        Arc::new(move || time::OffsetDateTime::now_utc() + time::Duration::seconds(offset.load(Ordering::SeqCst))),
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(service, ApiKeys::parse(&format!("other-key, {API_KEY}")), limits);
    tokio::spawn(inkseal::http::serve(listener, state, async {
        let _ = rx.await;
    }));
    TestApp { base, client: reqwest::Client::new(), store, db_url, roots, dir, clock_offset, shutdown: Some(tx) }
}

/// A response read as JSON, with its status.
pub async fn json_of(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")))
}

impl TestApp {
    /// Moves the app's clock forward (link expiry, session idling) without waiting.
    pub fn advance(&self, by: Duration) {
        self.clock_offset.fetch_add(by.as_secs() as i64, Ordering::SeqCst);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A portal request with the API key.
    pub fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(API_KEY)
    }

    pub async fn create(&self, case: &Value) -> Value {
        let (status, body) = json_of(self.api(reqwest::Method::POST, "/api/v1/packets").json(case).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    pub async fn packet(&self, id: &str) -> Value {
        let (status, body) = json_of(self.api(reqwest::Method::GET, &format!("/api/v1/packets/{id}")).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Issues a signing link and returns its URL.
    pub async fn link(&self, id: &str) -> String {
        let (status, body) = json_of(self.api(reqwest::Method::POST, &format!("/api/v1/packets/{id}/links")).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["url"].as_str().unwrap().to_owned()
    }

    /// Opens a fresh link as a producer.
    pub async fn producer(&self, id: &str) -> Producer {
        let url = self.link(id).await;
        self.open(&url).await
    }

    pub async fn open(&self, url: &str) -> Producer {
        let res = self.client.post(url).header("accept", "application/json").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        let session = cookie.split(';').next().unwrap().to_owned();
        let (_, body) = json_of(res).await;
        Producer { client: self.client.clone(), base: self.base.clone(), cookie: session, csrf: body["csrf_token"].as_str().unwrap().to_owned(), set_cookie: cookie }
    }

    pub async fn audit(&self, id: &str) -> Value {
        json_of(self.api(reqwest::Method::GET, &format!("/api/v1/packets/{id}/audit")).send().await.unwrap()).await.1
    }

    pub async fn verify_bytes(&self, pdf: Vec<u8>) -> Value {
        let (status, body) =
            json_of(self.api(reqwest::Method::POST, "/api/v1/verify").header("content-type", "application/pdf").body(pdf).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

/// A producer with a session cookie, as a browser holds it.
#[derive(Clone)]
pub struct Producer {
    pub client: reqwest::Client,
    pub base: String,
    pub cookie: String,
    pub csrf: String,
    pub set_cookie: String,
}

impl Producer {
    pub async fn get(&self, path: &str) -> Response {
        self.client.get(format!("{}{path}", self.base)).header("cookie", &self.cookie).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        json_of(
            self.client
                .post(format!("{}{path}", self.base))
                .header("cookie", &self.cookie)
                .header("x-csrf-token", &self.csrf)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `POST /s/upload` of one file, as the status page's form sends it, asking for JSON.
    pub async fn upload(&self, bytes: Vec<u8>, filename: &str) -> Response {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", self.csrf.clone())
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned()));
        self.client
            .post(format!("{}/s/upload", self.base))
            .header("cookie", &self.cookie)
            .header("accept", "application/json")
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn view(&self, n: usize) -> Vec<u8> {
        let res = self.get(&format!("/s/steps/{n}/document")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "application/pdf");
        res.bytes().await.unwrap().to_vec()
    }

    /// Views and completes step `n` the way its document asks.
    pub async fn complete(&self, n: usize, step: &Value, principal: &str) -> (StatusCode, Value) {
        self.view(n).await;
        match step["action"].as_str().unwrap() {
            "review" => self.post(&format!("/s/steps/{n}/review"), json!({})).await,
            _ => self.post(&format!("/s/steps/{n}/sign"), sign_body(step["document"].as_str().unwrap(), principal)).await,
        }
    }

    pub async fn packet(&self) -> Value {
        let (status, body) = json_of(self.get("/s/packet").await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["packet"].clone()
    }
}

/// A signature body with the choice each document asks for.
pub fn sign_body(document: &str, name: &str) -> Value {
    match document {
        "producer-agreement" => json!({"name": name, "entity_type": {"type": "corporation"}}),
        "w9" => json!({"name": name, "tax_classification": {"type": "llc", "detail": "S"}}),
        _ => json!({"name": name}),
    }
}

/// Waits a little more than `d`.
pub async fn pass(d: Duration) {
    tokio::time::sleep(d + Duration::from_millis(300)).await;
}
