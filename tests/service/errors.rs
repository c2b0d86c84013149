//! Every error status of the API, with its JSON `{code, message, errors?}`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::example;
use crate::harness::{Db, json_of, sign_body, spawn};

fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, code: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

pub async fn portal_errors_have_the_right_status_and_code(db: Db) {
    let app = spawn(db).await;
    let case = example();

    // 401: no key, a wrong key, a malformed header.
    let res = app.client.get(app.url("/api/v1/packets/pkt_x")).send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let res = app.client.get(app.url("/api/v1/packets/pkt_x")).bearer_auth("not-the-key").send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let res = app.client.get(app.url("/api/v1/packets/pkt_x")).header("authorization", "Basic Zm9vOmJhcg==").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // 422 with every field error, and nothing stored.
    let mut bad = case.clone();
    bad["agency"]["tax_id"] = json!("00-1234567");
    bad["principal"]["ssn"] = json!("123-45-678");
    bad["contact"]["address"]["line1"] = json!("P.O. Box 12");
    let res = app.api(Method::POST, "/api/v1/packets").json(&bad).send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "invalid_case");
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for field in ["agency.tax_id", "principal.ssn", "contact.address.line1"] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
    }
    assert!(!body.to_string().contains("123-45-678"), "the SSN must not be echoed: {body}");
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM packets").fetch_one(app.store.pool()).await.unwrap();
    assert_eq!(count, 0, "a refused case stores nothing");

    // 400 for malformed JSON, 415 for the wrong content type, 413 when too big.
    let res = app.api(Method::POST, "/api/v1/packets").header("content-type", "application/json").body("{\"case_key\": ").send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "malformed_json");
    let res = app.api(Method::POST, "/api/v1/packets").header("content-type", "text/plain").body(case.to_string()).send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_error(status, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type");
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(300 * 1024));
    let res = app.api(Method::POST, "/api/v1/packets").header("content-type", "application/json").body(huge).send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_error(status, &body, StatusCode::PAYLOAD_TOO_LARGE, "too_large");

    // 404: unknown packet, unknown document, unknown route.
    let (status, body) = json_of(app.api(Method::GET, "/api/v1/packets/pkt_nope").send().await.unwrap()).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let created = app.create(&case).await;
    let id = created["id"].as_str().unwrap();
    let (status, body) = json_of(app.api(Method::GET, &format!("/api/v1/packets/{id}/documents/montana-addendum")).send().await.unwrap()).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = json_of(app.api(Method::GET, "/api/v1/nothing-here").send().await.unwrap()).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "no_such_route");

    // 409: a signed copy that does not exist yet; approval before submission.
    let (status, body) = json_of(app.api(Method::GET, &format!("/api/v1/packets/{id}/documents/w9?copy=signed")).send().await.unwrap()).await;
    assert_error(status, &body, StatusCode::CONFLICT, "not_signed");
    let (status, body) = json_of(app.api(Method::POST, &format!("/api/v1/packets/{id}/approval")).send().await.unwrap()).await;
    assert_error(status, &body, StatusCode::CONFLICT, "wrong_status");
    let (status, body) = json_of(
        app.api(Method::POST, &format!("/api/v1/packets/{id}/info-requests")).json(&json!({"request": "More"})).send().await.unwrap(),
    )
    .await;
    assert_error(status, &body, StatusCode::CONFLICT, "wrong_status");
    // 422: an empty information request names its field.
    let (status, body) = json_of(
        app.api(Method::POST, &format!("/api/v1/packets/{id}/info-requests")).json(&json!({"request": "  "})).send().await.unwrap(),
    )
    .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert_eq!(body["errors"][0]["field"], "request");

    // 400 for a verify body that is not a PDF.
    let res = app.api(Method::POST, "/api/v1/verify").body("hello").send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "unreadable_pdf");
    // An unsigned review copy reads as a PDF but is not valid.
    let review = app.api(Method::GET, &format!("/api/v1/packets/{id}/documents/w9?copy=review")).send().await.unwrap().bytes().await.unwrap();
    let report = app.verify_bytes(review.to_vec()).await;
    assert_eq!(report["valid"], false);
}

pub async fn producer_errors_have_the_right_status_and_code(db: Db) {
    let app = spawn(db).await;
    let case = example();
    let created = app.create(&case).await;
    let id = created["id"].as_str().unwrap();
    let producer = app.producer(id).await;
    let name = crate::lifecycle::PRINCIPAL;

    // Nothing before consent.
    let (status, body) = json_of(producer.get("/s/steps/1/document").await).await;
    assert_error(status, &body, StatusCode::CONFLICT, "consent_required");
    let (status, body) = producer.post("/s/consent", json!({"agree": "no"})).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    // An unticked checkbox sends no field at all: that is not consent either.
    let (status, body) = producer.post("/s/consent", json!({})).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert_eq!(body["errors"][0]["field"], "agree");
    let (status, body) = json_of(producer.get("/s/steps/x/document").await).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, _) = producer.post("/s/consent", json!({"agree": true})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = producer.post("/s/consent", json!({"agree": true})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "wrong_status");

    // Jumping ahead is refused; so is completing without viewing.
    let (status, body) = producer.post("/s/steps/2/sign", sign_body("producer-agreement", name)).await;
    assert_error(status, &body, StatusCode::CONFLICT, "out_of_order");
    let (status, body) = producer.post("/s/steps/1/sign", sign_body("code-of-conduct", name)).await;
    assert_error(status, &body, StatusCode::CONFLICT, "not_viewed");
    let (status, body) = json_of(producer.get("/s/steps/9/document").await).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");

    // The wrong name says which name is expected; nothing is signed.
    producer.view(1).await;
    let (status, body) = producer.post("/s/steps/1/sign", json!({"name": "Chuck Ray"})).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert_eq!(body["errors"][0]["field"], "name");
    assert!(body["message"].as_str().unwrap().contains("\"Charles Ray\""), "{body}");
    assert_eq!(producer.packet().await["steps"][0]["state"], "current");
    // The accepted spellings: any case, periods and spacing.
    let (status, body) = producer.post("/s/steps/1/sign", json!({"name": "  charles   RAY. "})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Signing a review step, reviewing a sign step.
    producer.view(2).await;
    let (status, body) = producer.post("/s/steps/2/review", json!({})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "wrong_action");
    // The agreement needs its entity type.
    let (status, body) = producer.post("/s/steps/2/sign", json!({"name": name})).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert_eq!(body["errors"][0]["field"], "entity_type");
    let (status, body) = producer.post("/s/steps/2/sign", json!({"name": name, "entity_type": {"type": "other", "description": " "}})).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    let (status, body) = producer.post("/s/steps/2/sign", json!({"name": name, "colour": "blue"})).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    // Finishing early.
    let (status, body) = producer.post("/s/finish", json!({})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "incomplete");
    let (status, body) = producer.post("/s/submit", json!({})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "wrong_status");

    // Form posts work like JSON and answer with a redirect to where the packet now stands.
    let res = producer
        .client
        .post(format!("{}/s/steps/2/sign", producer.base))
        .header("cookie", &producer.cookie)
        .form(&[("csrf_token", producer.csrf.as_str()), ("name", name), ("entity_type", "partnership")])
        .send()
        .await
        .unwrap();
    // reqwest follows the 303 to the next step's page with the cookie it was given.
    assert_eq!((res.url().path(), res.url().query()), ("/s/steps/3", Some("notice=signed&step=2")));
    assert!(res.text().await.unwrap().contains("Standard Producer Agreement signed."));
    assert_eq!(producer.packet().await["steps"][1]["outcome"], "signed");
}

pub async fn uploads_are_judged_by_content_and_size(db: Db) {
    let app = spawn(db).await;
    let created = app.create(&example()).await;
    let id = created["id"].as_str().unwrap();
    let put = |bytes: Vec<u8>, name: &str| {
        app.api(Method::PUT, &format!("/api/v1/packets/{id}/eo-declaration")).header("x-filename", name).body(bytes).send()
    };
    // A PNG named .pdf is a PNG; a PDF named .png is a PDF.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let (status, body) = json_of(put(png.clone(), "declaration.pdf").await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["upload"]["media_type"], "image/png");
    let first = body["upload"]["sha256"].as_str().unwrap().to_owned();
    let (status, body) = json_of(put(b"%PDF-1.4\n%%EOF\n".to_vec(), "../../etc/scan.png").await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["upload"]["media_type"], "application/pdf");
    assert_eq!(body["upload"]["filename"], "scan.png");
    // A Word document renamed .pdf, and an empty body: 415.
    let (status, body) = json_of(put(b"PK\x03\x04word/document.xml".to_vec(), "declaration.pdf").await.unwrap()).await;
    assert_error(status, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type");
    let (status, body) = json_of(put(Vec::new(), "empty.pdf").await.unwrap()).await;
    assert_error(status, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type");
    // 3072 KB is the limit; one byte more is 413.
    let mut at_limit = b"%PDF-1.7\n".to_vec();
    at_limit.resize(3072 * 1024, b' ');
    let (status, body) = json_of(put(at_limit.clone(), "big.pdf").await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    at_limit.push(b' ');
    let (status, body) = json_of(put(at_limit, "bigger.pdf").await.unwrap()).await;
    assert_error(status, &body, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    // The replaced files stay in storage and in the audit trail.
    let audit = app.audit(id).await;
    let uploads: Vec<&Value> = audit["records"].as_array().unwrap().iter().filter(|r| r["event"] == "uploaded").collect();
    assert_eq!(uploads.len(), 3);
    assert_eq!(uploads[1]["replaced"], first.as_str());
    let (kept,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM packet_blobs WHERE packet_id = $1 AND role = 'upload'")
        .bind(id)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(kept, 3);
    let res = app.api(Method::GET, &format!("/api/v1/packets/{id}/eo-declaration")).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "application/pdf");
}
