//! What one client may ask of the server: a body limit per route, rate
//! limits on link redemption and verify uploads, deadlines for slow
//! clients, and a cap on connections. Each limit is tested at its edge.

use std::time::Duration;

use inkseal::http::{Limits, Rate};
use inkseal::service::Config;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::common::example;
use crate::harness::{Db, json_of, spawn, spawn_limited};

fn assert_too_large(status: StatusCode, body: &serde_json::Value, route: &str) {
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")), "{route}: {body}");
}

pub async fn every_route_refuses_a_body_beyond_its_limit(db: Db) {
    let app = spawn(db).await;
    let created = app.create(&example()).await;
    let id = created["id"].as_str().unwrap().to_owned();

    // The case: 256 KB, on create (tested with the portal's errors) and on update.
    let huge_case = format!("{{\"pad\": \"{}\"}}", "x".repeat(256 * 1024));
    let res = app.api(Method::PUT, &format!("/api/v1/packets/{id}/case")).header("content-type", "application/json").body(huge_case).send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_too_large(status, &body, "PUT case");

    // The API's verify upload: 32 MB.
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(32 * 1024 * 1024 + 1, b' ');
    let res = app.api(Method::POST, "/api/v1/verify").header("content-type", "application/pdf").body(pdf).send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_too_large(status, &body, "POST /api/v1/verify");

    // A producer's form: 16 KB.
    let producer = app.producer(&id).await;
    let (status, body) = producer.post("/s/consent", json!({"agree": true, "pad": "x".repeat(17 * 1024)})).await;
    assert_too_large(status, &body, "POST /s/consent");
    assert_eq!(app.packet(&id).await["consent_given"], false, "nothing was done with the refused form");

    // A producer's upload: 3072 KB of file.
    let mut file = b"%PDF-1.7\n".to_vec();
    file.resize(3072 * 1024 + 1, b' ');
    let res = producer.upload(file, "declaration.pdf").await;
    let status = res.status();
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.text().await.unwrap());

    // The compliance page: ten files of 32 MB in one form at most.
    let form = reqwest::multipart::Form::new().part("pdf", reqwest::multipart::Part::bytes(vec![b' '; 64 * 1024 * 1024 + 65 * 1024]).file_name("big.pdf"));
    let res = app.client.post(app.url("/verify")).header("accept", "application/json").multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

pub async fn link_redemption_and_verify_uploads_are_rate_limited(db: Db) {
    let limits = Limits { link_redemptions: Rate::per_minute(3), verify_uploads: Rate::per_minute(2), ..Limits::default() };
    let app = spawn_limited(db, Config::default(), limits).await;
    let created = app.create(&example()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let real = app.link(&id).await;

    // Guessing tokens: three tries a minute, then 429 with Retry-After — even for a real link.
    for n in 0..3 {
        let res = app.client.post(app.url(&format!("/s/link/{n:064}"))).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::GONE);
    }
    let res = app.client.post(&real).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    let (_, body) = json_of(res).await;
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert!(body["message"].as_str().unwrap().contains("retry after"), "{body}");
    // A browser is told in words.
    let res = app.client.get(&real).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.unwrap().contains("Too many attempts"));
    // Nothing else is limited, and the real link was not spent by being refused.
    for _ in 0..10 {
        assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    }
    let (_, body) = json_of(app.api(Method::GET, &format!("/api/v1/packets/{id}")).send().await.unwrap()).await;
    assert_eq!(body["status"], "draft", "{body}");

    // Verify uploads: two a minute, from the API and the page alike; the page's form itself is free.
    let pdf = || b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec();
    for _ in 0..2 {
        let res = app.api(Method::POST, "/api/v1/verify").header("content-type", "application/pdf").body(pdf()).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = app.api(Method::POST, "/api/v1/verify").header("content-type", "application/pdf").body(pdf()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let form = reqwest::multipart::Form::new().part("pdf", reqwest::multipart::Part::bytes(pdf()).file_name("a.pdf"));
    let res = app.client.post(app.url("/verify")).header("accept", "text/html").multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.client.get(app.url("/verify")).send().await.unwrap().status(), StatusCode::OK);
}

fn timeouts() -> Limits {
    Limits { request_timeout: Duration::from_secs(1), header_timeout: Duration::from_secs(1), max_connections: 2, ..Limits::default() }
}

/// Reads what the server sends until it closes the connection or `within` passes.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, within: Duration) -> Option<String> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| String::from_utf8_lossy(&got).into_owned())
}

pub async fn slow_clients_are_cut_off(db: Db) {
    let app = spawn_limited(db, Config::default(), timeouts()).await;
    let addr = app.base.trim_start_matches("http://").to_owned();

    // Headers that never finish: the connection is closed after the header deadline.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let answer = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(answer.is_some(), "a client that never finishes its headers is still connected after 5 s");

    // A body that never finishes: 408 after the request deadline, nothing stored.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/packets HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{{\"case_key\":",
        crate::harness::API_KEY
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut slow, Duration::from_secs(5)).await.expect("still waiting after 5 s");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM packets").fetch_one(app.store.pool()).await.unwrap();
    assert_eq!(count, 0);
}

pub async fn connections_beyond_the_cap_wait_their_turn(db: Db) {
    let limits = Limits { max_connections: 2, header_timeout: Duration::from_secs(30), ..Limits::default() };
    let app = spawn_limited(db, Config::default(), limits).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let hold = [tokio::net::TcpStream::connect(&addr).await.unwrap(), tokio::net::TcpStream::connect(&addr).await.unwrap()];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(1)).build().unwrap();
    assert!(client.get(app.url("/healthz")).send().await.is_err(), "a third connection was served while two were held");
    drop(hold);
    let patient = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let res = patient.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "served once a connection closed");
}

pub async fn one_client_may_not_hold_every_connection(db: Db) {
    let app = spawn(db).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..inkseal::http::MAX_CONNECTIONS_PER_CLIENT {
        held.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // One more from the same address is closed at once, unanswered.
    let mut extra = tokio::net::TcpStream::connect(&addr).await.unwrap();
    extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.ok();
    let answer = read_until_closed(&mut extra, Duration::from_secs(3)).await;
    assert_eq!(answer.as_deref(), Some(""), "a connection beyond the per-client cap was served");
    // Those it holds are served.
    held[0].write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let answer = read_until_closed(&mut held[0], Duration::from_secs(3)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Behind a trusted proxy the forwarded client is the one counted and
/// recorded; from anyone else `X-Forwarded-For` is ignored.
pub async fn a_trusted_proxy_names_the_client_and_no_one_else_can(db: Db) {
    use inkseal::http::TrustedProxies;
    let guess = |app: &crate::harness::TestApp, n: usize, client: &str| {
        app.client.post(app.url(&format!("/s/link/{n:064}"))).header("x-forwarded-for", client.to_owned()).send()
    };
    let behind = Limits {
        link_redemptions: Rate::per_minute(2),
        trusted_proxies: TrustedProxies::parse("127.0.0.1").unwrap(),
        ..Limits::default()
    };
    let app = spawn_limited(db, Config::default(), behind).await;
    for n in 0..2 {
        assert_eq!(guess(&app, n, "203.0.113.1").await.unwrap().status(), StatusCode::GONE);
    }
    assert_eq!(guess(&app, 2, "203.0.113.1").await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(guess(&app, 3, "203.0.113.2").await.unwrap().status(), StatusCode::GONE, "another client behind the proxy");
    // The audit trail records the producer's address, not the proxy's.
    let created = app.create(&example()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let url = app.link(&id).await;
    let res = app.client.post(&url).header("accept", "application/json").header("x-forwarded-for", "198.51.100.77").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let audit = app.audit(&id).await;
    let opened = audit["records"].as_array().unwrap().iter().find(|r| r["event"] == "link_opened").unwrap();
    assert_eq!(opened["ip"], "198.51.100.77", "{opened}");

    // Not behind a proxy: a client inventing addresses gets no fresh bucket and is recorded as it is.
    let direct = Limits { link_redemptions: Rate::per_minute(2), ..Limits::default() };
    let app = spawn_limited(db, Config::default(), direct).await;
    for (n, invented) in ["203.0.113.1", "203.0.113.2"].into_iter().enumerate() {
        assert_eq!(guess(&app, n, invented).await.unwrap().status(), StatusCode::GONE);
    }
    assert_eq!(guess(&app, 2, "203.0.113.3").await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
}

/// Only one database is needed to test the HTTP edge.
mod on_sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn body_limits() {
        every_route_refuses_a_body_beyond_its_limit(Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rate_limits() {
        link_redemption_and_verify_uploads_are_rate_limited(Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slow_clients() {
        slow_clients_are_cut_off(Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connection_cap() {
        connections_beyond_the_cap_wait_their_turn(Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn trusted_proxies() {
        a_trusted_proxy_names_the_client_and_no_one_else_can(Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn per_client_connection_cap() {
        one_client_may_not_hold_every_connection(Db::Sqlite).await;
    }
}
