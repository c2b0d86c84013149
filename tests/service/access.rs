//! Who can reach what: a signing session only its own packet, whatever ids,
//! tokens or origins it tries; links and tokens that are forged, altered,
//! replayed or spent open nothing; every page carries the security headers.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::example;
use crate::harness::{Db, json_of, spawn};
use crate::lifecycle::PRINCIPAL;

pub async fn a_session_reaches_only_its_own_packet(db: Db) {
    let app = spawn(db).await;
    let a = app.create(&example()).await;
    let b = app.create(&example()).await;
    let (a, b) = (a["id"].as_str().unwrap().to_owned(), b["id"].as_str().unwrap().to_owned());
    let alice = app.producer(&a).await;
    let bob = app.producer(&b).await;

    // Naming the other packet anywhere a client can put an id changes nothing:
    // the packet is the session's.
    for path in [format!("/s/packet?packet_id={b}"), format!("/s/packet?id={b}")] {
        let (status, body) = json_of(alice.get(&path).await).await;
        assert_eq!((status, body["packet"]["id"].as_str()), (StatusCode::OK, Some(a.as_str())), "{path}: {body}");
    }
    let (status, body) = alice.post("/s/consent", json!({"agree": true, "packet_id": b})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.packet(&b).await["consent_given"], false);
    let (status, _) = alice.post("/s/steps/1/review", json!({"packet_id": b})).await;
    assert!(status.is_client_error(), "reviewing unseen pages is refused: {status}");
    for path in [format!("/api/v1/packets/{b}"), format!("/api/v1/packets/{b}/documents/code-of-conduct")] {
        let res = alice.get(&path).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a session cookie is not an API key: {path}");
    }

    // Alice's cookie with Bob's CSRF token (a form from the other session), and Bob's with Alice's.
    for (cookie, csrf) in [(&alice.cookie, &bob.csrf), (&bob.cookie, &alice.csrf)] {
        let res = app
            .client
            .post(app.url("/s/steps/1/review"))
            .header("cookie", cookie)
            .header("x-csrf-token", csrf)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(res).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("csrf")), "{body}");
    }

    // A signed-in session's post from another site's page, or from a sandboxed
    // frame or a file (Origin: null): refused before anything happens.
    for origin in ["https://evil.example", "null", "http://127.0.0.1:1"] {
        let res = app
            .client
            .post(app.url("/s/consent"))
            .header("cookie", &bob.cookie)
            .header("x-csrf-token", &bob.csrf)
            .header("origin", origin)
            .json(&json!({"agree": true}))
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(res).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("cross_origin")), "{origin}: {body}");
    }
    assert_eq!(app.packet(&b).await["consent_given"], false);
    // From inkseal's own page it goes through.
    let res = app
        .client
        .post(app.url("/s/consent"))
        .header("cookie", &bob.cookie)
        .header("x-csrf-token", &bob.csrf)
        .header("origin", &app.base)
        .json(&json!({"agree": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.packet(&b).await["consent_given"], true);

    // Signing Alice's step with Alice's session leaves Bob's packet as it was.
    let steps = app.packet(&a).await["steps"].as_array().unwrap().clone();
    let (status, body) = alice.complete(1, &steps[0], PRINCIPAL).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.packet(&b).await["steps"][0]["state"], "current");
}

pub async fn forged_altered_and_replayed_tokens_open_nothing(db: Db) {
    let app = spawn(db).await;
    let created = app.create(&example()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let url = app.link(&id).await;
    let token = url.rsplit('/').next().unwrap().to_owned();

    // One digit changed, cut short, made longer, not hex, absurdly long: not valid, nothing opened.
    let mut altered = token.clone().into_bytes();
    altered[10] = if altered[10] == b'a' { b'b' } else { b'a' };
    let long = "f".repeat(5000);
    let forged = [String::from_utf8(altered).unwrap(), token[..63].to_owned(), format!("{token}0"), "zz".repeat(32), long];
    for bad in &forged {
        let res = app.client.post(app.url(&format!("/s/link/{bad}"))).send().await.unwrap();
        assert!(res.headers().get("set-cookie").is_none(), "{bad}");
        let (status, body) = json_of(res).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::GONE, Some("link_unusable")), "{body}");
    }

    // The real link still works once — and the link token is not a session.
    let producer = app.open(&url).await;
    let res = app.client.get(app.url("/s/packet")).header("cookie", format!("inkseal_session={token}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a link token used as a session cookie");
    // A session cookie altered in one digit is no session.
    let value = producer.cookie.split_once('=').unwrap().1.to_owned();
    let mut altered = value.clone().into_bytes();
    altered[5] = if altered[5] == b'a' { b'b' } else { b'a' };
    let res = app
        .client
        .get(app.url("/s/packet"))
        .header("cookie", format!("inkseal_session={}", String::from_utf8(altered).unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // After signing out, the cookie is dead and so is the link that made it: replaying either opens nothing.
    let res = app
        .client
        .post(app.url("/s/logout"))
        .header("cookie", &producer.cookie)
        .header("x-csrf-token", &producer.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, body) = json_of(producer.get("/s/packet").await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("session_ended")), "{body}");
    let (status, body) = json_of(app.client.post(&url).send().await.unwrap()).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::GONE, Some("link_unusable")), "{body}");
    let (status, _) = producer.post("/s/consent", json!({"agree": true})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.packet(&id).await["consent_given"], false);

    // A portal key that is almost right, or sent the wrong way, is no key.
    for auth in ["Bearer test-portal-key-012345678", "Basic dGVzdC1wb3J0YWwta2V5LTAxMjM0NTY3ODk=", "Bearer "] {
        let res = app.client.get(app.url(&format!("/api/v1/packets/{id}"))).header("authorization", auth).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{auth}");
    }
}

/// Scripts only from inkseal itself (no inline script anywhere), no
/// framing, no sniffing, no referrer, no caching of personal pages.
pub async fn every_page_carries_the_security_headers(db: Db) {
    let app = spawn(db).await;
    let created = app.create(&example()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let link = app.link(&id).await;
    let producer = app.producer(&id).await;
    producer.post("/s/consent", json!({"agree": true})).await;
    let html = |path: String| {
        let cookie = producer.cookie.clone();
        let client = app.client.clone();
        async move { client.get(path).header("cookie", cookie).header("accept", "text/html").send().await.unwrap() }
    };
    let pages = [
        link.clone(),
        app.url("/s/consent"),
        app.url("/s/packet"),
        app.url("/s/steps/1"),
        app.url("/s/steps/2"),
        app.url("/s/finish"),
        app.url("/s/status"),
        app.url("/verify"),
        app.url("/healthz"),
        app.url("/api/openapi.json"),
        app.url("/assets/inkseal.css"),
        app.url("/nowhere"),
        app.url(&format!("/api/v1/packets/{id}")),
    ];
    for page in pages {
        let res = html(page.clone()).await;
        let h = res.headers().clone();
        let csp = h.get("content-security-policy").unwrap_or_else(|| panic!("{page}: no CSP")).to_str().unwrap().to_owned();
        for directive in ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"] {
            assert!(csp.contains(directive), "{page}: CSP {csp} lacks {directive}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{page}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{page}");
        assert_eq!(h["referrer-policy"], "same-origin", "{page}");
        assert_eq!(h["x-frame-options"], "DENY", "{page}");
        assert_eq!(h["cross-origin-opener-policy"], "same-origin", "{page}");
        assert!(h.get("cache-control").is_some(), "{page}");
        let is_html = h.get("content-type").is_some_and(|t| t.to_str().unwrap().starts_with("text/html"));
        let body = res.text().await.unwrap();
        if is_html {
            assert!(h["cache-control"].to_str().unwrap().contains("no-store"), "{page}");
            let lower = body.to_ascii_lowercase();
            for script in lower.match_indices("<script").map(|(i, _)| &lower[i..lower[i..].find('>').map_or(lower.len(), |e| i + e)]) {
                assert!(script.contains(" src=\"/"), "{page}: an inline or foreign script: {script}");
            }
            for handler in [" onclick=", " onload=", " onerror=", " onsubmit=", "javascript:"] {
                assert!(!lower.contains(handler), "{page}: inline script {handler}");
            }
        }
    }
    // The link was only looked at, never spent, by the checks above.
    let res = app.client.get(&link).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
