//! The server's log after a whole packet's life at the most verbose level:
//! no SSN, EIN, routing or account number, no signing-link or session
//! token, no CSRF token and no API key appears in it, even where requests
//! were refused.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::example;
use crate::flow::Portal;
use crate::server::{API_KEY, Place, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_flow_at_debug_level_logs_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&Place::sqlite(dir.path()), &[], "trace");
    let portal = Portal::new(&server.base);
    let case = example();

    // Refused input that holds secrets: a wrong account confirmation and a malformed SSN.
    let mut bad = case.clone();
    bad["banking"]["account_number_confirmation"] = json!("9876543219");
    bad["principal"]["ssn"] = json!("512-38-447");
    let (status, body) = portal.call(Method::POST, "/api/v1/packets", Some(&bad)).await.unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let created = portal.create(&case).await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let session = portal.session(&id).await.unwrap();
    // A wrong CSRF token and a wrong name are refused along the way.
    let wrong = crate::flow::Session { csrf: "f".repeat(64), ..session.clone() };
    assert_eq!(wrong.post("/s/consent", &json!({"agree": true})).await.unwrap().0, StatusCode::FORBIDDEN);
    session.post("/s/consent", &json!({"agree": true})).await.unwrap();
    for (i, step) in created["steps"].as_array().unwrap().iter().enumerate() {
        let (status, body) = session.complete(i + 1, step).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(session.post("/s/finish", &json!({})).await.unwrap().0, StatusCode::OK);
    assert_eq!(session.post("/s/submit", &json!({})).await.unwrap().0, StatusCode::OK);
    let (status, _) =
        portal.call(Method::POST, &format!("/api/v1/packets/{id}/info-requests"), Some(&json!({"request": "Your E&O page"}))).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let second = portal.session(&id).await.unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", second.csrf.clone())
        .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec()).file_name("eo.pdf"));
    let res = second
        .client
        .post(format!("{}/s/upload", second.base))
        .header("cookie", &second.cookie)
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(second.post("/s/resubmit", &json!({})).await.unwrap().0, StatusCode::OK);
    let (status, _) = portal.call(Method::POST, &format!("/api/v1/packets/{id}/approval"), None).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    for path in ["audit", "verification", "certificate"] {
        let res = portal.client.get(format!("{}/api/v1/packets/{id}/{path}", portal.base)).bearer_auth(API_KEY).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }

    let (_, log) = server.terminate();
    assert!(log.lines().count() > 100, "the log is verbose:\n{log}");
    assert!(log.contains("path=/s/steps/5/sign"), "the requests are in the log");
    let token = |s: &crate::flow::Session| s.url.rsplit('/').next().unwrap().to_owned();
    let secrets = [
        ("SSN", "512-38-4471".to_owned()),
        ("SSN", "512384471".to_owned()),
        ("malformed SSN", "512-38-447".to_owned()),
        ("EIN", "73-4821937".to_owned()),
        ("EIN", "734821937".to_owned()),
        ("routing number", "111000025".to_owned()),
        ("account number", "9876543210".to_owned()),
        ("account confirmation", "9876543219".to_owned()),
        ("API key", API_KEY.to_owned()),
        ("signing link", token(&session)),
        ("signing link", token(&second)),
        ("session", session.cookie.split_once('=').unwrap().1.to_owned()),
        ("CSRF token", session.csrf.clone()),
    ];
    for (what, secret) in secrets {
        assert!(!log.contains(&secret), "the {what} {secret} is in the log");
    }
}
