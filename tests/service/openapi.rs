//! The OpenAPI document matches the real routes: every documented method
//! of every documented path is routed, and every other method is refused
//! with 405 — so a route cannot be added, removed or changed without the
//! document following.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::harness::{Db, spawn};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_describes_exactly_the_real_routes() {
    let app = spawn(Db::Sqlite).await;
    let res = app.client.get(app.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 20, "{}", paths.len());
    for (template, item) in paths {
        let path = template
            .replace("{id}", "pkt_missing")
            .replace("{document}", "w9")
            .replace("{n}", "1")
            .replace("{page}", "1")
            .replace("{token}", &"0".repeat(64));
        for method in METHODS {
            let documented = item.get(method).is_some();
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app.client.request(m, app.url(&path)).send().await.unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            if documented {
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {template} is documented but not routed");
                assert_ne!(body["code"], "no_such_route", "{method} {template} is documented but not routed");
                let declared: Vec<&String> = item[method]["responses"].as_object().unwrap().keys().collect();
                assert!(
                    declared.iter().any(|c| *c == status.as_str()),
                    "{method} {template} answered {status}, which the document does not list ({declared:?})"
                );
            } else {
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {template} is routed but not documented");
            }
        }
    }
    // Every error the document names has the shared shape.
    let error = &doc["components"]["schemas"]["Error"];
    assert_eq!(error["required"], serde_json::json!(["code", "message"]));
}
