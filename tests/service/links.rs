//! Signing links, sessions, CSRF and the boundary between portal and producer.

use std::time::Duration;

use inkseal::service::Config;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::example;
use crate::harness::{API_KEY, Db, json_of, pass, spawn, spawn_with};

pub async fn links_are_single_use_and_expire(db: Db) {
    let config = Config { link_ttl: Duration::from_secs(2), ..Config::default() };
    let app = spawn_with(db, config).await;
    let created = app.create(&example()).await;
    let id = created["id"].as_str().unwrap();
    // The invitation the portal sends: the link, when it expires, what is asked.
    let (status, issued) = json_of(app.api(Method::POST, &format!("/api/v1/packets/{id}/links")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    let text = issued["invitation"]["text"].as_str().unwrap();
    assert!(text.contains(issued["url"].as_str().unwrap()), "{text}");
    assert!(text.contains("read 5 documents, sign 3 of them") && text.contains(" UTC."), "{text}");
    assert_eq!(issued["invitation"]["subject"], "Onboarding Invitation");
    let url = app.link(id).await;
    let token = url.rsplit('/').next().unwrap();
    assert_eq!(token.len(), 64, "256 random bits");
    // The link is stored only as a hash.
    let (stored,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM signing_links WHERE token_hash = $1")
        .bind(token)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);

    // Looking at a link (a mail scanner, a preview) does not spend it.
    let (status, body) = json_of(app.client.get(&url).send().await.unwrap()).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("unused")), "{body}");
    let producer = app.open(&url).await;
    let cookie = producer.set_cookie.to_ascii_lowercase();
    for attribute in ["httponly", "samesite=strict", "path=/s"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    // Spent: looking or using again is refused, and the first session goes on.
    let (status, body) = json_of(app.client.post(&url).send().await.unwrap()).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::GONE, Some("link_unusable")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("already used"));
    let (status, _) = json_of(app.client.get(&url).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(producer.packet().await["id"], id);
    // Unknown.
    let (status, body) = json_of(app.client.post(app.url(&format!("/s/link/{}", "0".repeat(64)))).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body["message"].as_str().unwrap().contains("not valid"));
    // Expired unused.
    let late = app.link(id).await;
    pass(Duration::from_secs(2)).await;
    let (status, body) = json_of(app.client.post(&late).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body["message"].as_str().unwrap().contains("expired"), "{body}");
    // A browser gets a page whose button posts the link; the post sets the
    // cookie and continues same-site to the packet.
    let fresh = app.link(id).await;
    let page = app.client.get(&fresh).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers().get("set-cookie").is_none(), "looking opens no session");
    let token = fresh.rsplit('/').next().unwrap();
    assert!(page.text().await.unwrap().contains(&format!("action=\"/s/link/{token}\"")));
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = no_redirects.post(&fresh).form(&[("go", "1")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/s/packet");
    assert!(res.headers()["set-cookie"].to_str().unwrap().starts_with("inkseal_session="));
}

pub async fn sessions_time_out_when_idle(db: Db) {
    let config = Config { session_idle: Duration::from_secs(3), ..Config::default() };
    let app = spawn_with(db, config).await;
    let created = app.create(&example()).await;
    let producer = app.producer(created["id"].as_str().unwrap()).await;
    // Activity keeps it alive.
    // Activity keeps it alive past the idle time (times are whole seconds).
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(producer.get("/s/packet").await.status(), StatusCode::OK);
    }
    pass(Duration::from_secs(4)).await;
    let (status, body) = json_of(producer.get("/s/packet").await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("session_ended")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("signing link"));
    let (status, _) = producer.post("/s/consent", json!({"agree": true})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

pub async fn credentials_do_not_cross_between_portal_and_producer(db: Db) {
    let app = spawn(db).await;
    let a = app.create(&example()).await;
    let b = app.create(&example()).await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let producer = app.producer(a).await;

    // No CSRF token, or a wrong one: 403, nothing changes.
    let res = app.client.post(app.url("/s/consent")).header("cookie", &producer.cookie).json(&json!({})).send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("csrf")), "{body}");
    let res = app
        .client
        .post(app.url("/s/consent"))
        .header("cookie", &producer.cookie)
        .header("x-csrf-token", "0".repeat(64))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.packet(a).await["consent_given"], false);

    // The session reaches only its own packet: the packet is the session's, not the URL's.
    assert_eq!(producer.packet().await["id"], a);
    producer.post("/s/consent", json!({"agree": true})).await;
    assert_eq!(app.packet(b).await["consent_given"], false);

    // An API key is not a session; a session is not an API key.
    let res = app.client.get(app.url("/s/packet")).bearer_auth(API_KEY).send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("wrong_credentials")), "{body}");
    let res = app.client.get(app.url(&format!("/api/v1/packets/{a}"))).header("cookie", &producer.cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A forged session cookie.
    let res = app.client.get(app.url("/s/packet")).header("cookie", format!("inkseal_session={}", "ab".repeat(32))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Security headers on every response.
    let res = app.api(Method::GET, &format!("/api/v1/packets/{a}")).send().await.unwrap();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    // Health.
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
