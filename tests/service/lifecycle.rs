//! The whole life of a packet through the public surfaces.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::example;
use crate::harness::{Db, TestApp, json_of, spawn};

pub const PRINCIPAL: &str = "Charles Ray";

fn principal(case: &Value) -> String {
    let p = &case["principal"];
    match p["middle_name"].as_str().filter(|m| !m.is_empty()) {
        Some(m) => format!("{} {} {}", p["first_name"].as_str().unwrap(), m, p["last_name"].as_str().unwrap()),
        None => format!("{} {}", p["first_name"].as_str().unwrap(), p["last_name"].as_str().unwrap()),
    }
}

fn documents(packet: &Value) -> Vec<String> {
    packet["steps"].as_array().unwrap().iter().map(|s| s["document"].as_str().unwrap().to_owned()).collect()
}

/// Creates, opens, consents, completes every step, finishes and submits;
/// returns the packet id.
pub async fn sign_everything(app: &TestApp, case: &Value) -> String {
    let created = app.create(case).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let producer = app.producer(&id).await;
    let (status, body) = producer.post("/s/consent", json!({"agree": true})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let name = principal(case);
    let steps = created["steps"].as_array().unwrap().clone();
    for (i, step) in steps.iter().enumerate() {
        let (status, body) = producer.complete(i + 1, step, &name).await;
        assert_eq!(status, StatusCode::OK, "step {}: {body}", i + 1);
        let after = &body["packet"]["steps"][i];
        assert_eq!(after["state"], "done", "{body}");
    }
    let (status, body) = producer.post("/s/finish", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["packet"]["status"], "finished");
    let (status, body) = producer.post("/s/submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["packet"]["status_label"], "HCSC Review");
    id
}

async fn check_whole_life(app: &TestApp, case: &Value, expected_documents: &[&str]) {
    let id = sign_everything(app, case).await;
    let packet = app.packet(&id).await;
    assert_eq!(packet["status"], "submitted");
    assert_eq!(documents(&packet), expected_documents);

    // Every signed or sealed PDF verifies and starts with the exact review copy.
    for step in packet["steps"].as_array().unwrap() {
        assert_eq!(step["state"], "done");
        let doc = step["document"].as_str().unwrap();
        let get = |copy: &str| app.api(Method::GET, &format!("/api/v1/packets/{id}/documents/{doc}?copy={copy}")).send();
        let review = get("review").await.unwrap().bytes().await.unwrap().to_vec();
        let signed = get("signed").await.unwrap().bytes().await.unwrap().to_vec();
        assert_eq!(inkseal::service::sha256_hex(&review), step["review_sha256"].as_str().unwrap());
        assert_eq!(inkseal::service::sha256_hex(&signed), step["signed_sha256"].as_str().unwrap());
        if step["action"] == "review" {
            assert!(signed.starts_with(&review), "{doc}: the sealed file must extend the reviewed bytes");
        }
        let report = app.verify_bytes(signed).await;
        assert_eq!(report["valid"], true, "{doc}: {report}");
        assert_eq!(report["signatures"][0]["signer_name"], principal(case).as_str());
    }

    // The case is locked while in review.
    let res = app.api(Method::PUT, &format!("/api/v1/packets/{id}/case")).json(case).send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("case_locked")), "{body}");

    // Producer Administration asks for more; the producer uploads and resubmits.
    let res = app
        .api(Method::POST, &format!("/api/v1/packets/{id}/info-requests"))
        .json(&json!({"request": "A legible copy of your E&O declaration page"}))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["packet"]["status"], "info_requested");
    let letter_text = body["letter"]["text"].as_str().unwrap();
    assert!(letter_text.contains("A legible copy of your E&O declaration page"), "{letter_text}");
    assert!(body["letter"]["html"].as_str().unwrap().contains("E&amp;O declaration page"));
    let producer = app.producer(&id).await;
    assert_eq!(producer.packet().await["info_request"], "A legible copy of your E&O declaration page");
    let res = producer.upload(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec(), "declaration.pdf").await;
    let (status, body) = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["packet"]["upload"]["media_type"], "application/pdf");
    let (status, body) = producer.post("/s/resubmit", json!({})).await;
    assert_eq!((status, body["packet"]["status_label"].as_str()), (StatusCode::OK, Some("HCSC Review")), "{body}");

    // Approval: a nine-digit producer id and the Welcome Letter.
    let (status, body) = json_of(app.api(Method::POST, &format!("/api/v1/packets/{id}/approval")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let producer_id = body["producer_id"].as_str().unwrap();
    assert!(producer_id.len() == 9 && producer_id.bytes().all(|b| b.is_ascii_digit()) && !producer_id.starts_with('0'));
    assert!(body["letter"]["text"].as_str().unwrap().contains(producer_id));
    assert_eq!(body["letter"]["subject"], "Welcome Letter");
    let (status, _) = json_of(app.api(Method::POST, &format!("/api/v1/packets/{id}/approval")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "approving twice");

    // The audit chain holds every event and verifies; the packet verifies.
    let audit = app.audit(&id).await;
    // Neither the packet nor its trail carries the SSN, EIN or bank numbers.
    let exposed = format!("{} {audit}", app.packet(&id).await);
    for secret in ["512-38-4471", "512384471", "73-4821937", "734821937", "111000025", "9876543210"] {
        assert!(!exposed.contains(secret), "{secret} exposed by the API");
    }
    assert_eq!(audit["intact"], true, "{audit}");
    let events: Vec<&str> = audit["records"].as_array().unwrap().iter().map(|r| r["event"].as_str().unwrap()).collect();
    for expected in ["created", "link_issued", "link_opened", "consent_given", "viewed", "reviewed", "signed", "finished", "submitted", "info_requested", "uploaded", "resubmitted", "approved"] {
        if expected == "reviewed" && !expected_documents.iter().any(|d| d.ends_with("addendum")) {
            continue;
        }
        assert!(events.contains(&expected), "no {expected} event in {events:?}");
    }
    let signed_events = events.iter().filter(|e| **e == "signed").count();
    assert_eq!(signed_events, 3, "one signature per sign document");
    let last = audit["records"].as_array().unwrap().last().unwrap();
    assert!(last["ip"].as_str().is_some() && last["at"].as_str().unwrap().ends_with('Z'));
    let (status, verification) =
        json_of(app.api(Method::GET, &format!("/api/v1/packets/{id}/verification")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verification["valid"], true, "{verification}");
    assert_eq!(verification["documents"].as_array().unwrap().len(), expected_documents.len());
}

pub async fn whole_life_of_the_example_case(db: Db) {
    let app = spawn(db).await;
    check_whole_life(&app, &example(), &["code-of-conduct", "producer-agreement", "new-mexico-addendum", "oklahoma-addendum", "w9"]).await;
}

pub async fn whole_life_of_a_montana_only_case(db: Db) {
    let app = spawn(db).await;
    let mut case = example();
    case["licenses"] = json!({"states": ["MT"], "bluelincs_hmo": false});
    check_whole_life(&app, &case, &["code-of-conduct", "producer-agreement", "montana-addendum", "w9"]).await;
}

pub async fn editing_after_signing_voids_and_forces_a_new_signature(db: Db) {
    let app = spawn(db).await;
    let case = example();
    let created = app.create(&case).await;
    let id = created["id"].as_str().unwrap();
    let producer = app.producer(id).await;
    producer.post("/s/consent", json!({"agree": true})).await;
    let name = principal(&case);
    for i in 0..2 {
        let (status, body) = producer.complete(i + 1, &created["steps"][i], &name).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let mut edited = case.clone();
    edited["agency"]["legal_name"] = json!("Kirkpatrick Benefits Group, Inc.");
    let (status, body) = json_of(app.api(Method::PUT, &format!("/api/v1/packets/{id}/case")).json(&edited).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revision"], 2);
    let steps = body["steps"].as_array().unwrap();
    assert!(steps.iter().all(|s| s["state"] != "done"), "every signature on changed content is void: {body}");
    for (old, new) in created["steps"].as_array().unwrap().iter().zip(steps) {
        assert_ne!(old["review_sha256"], new["review_sha256"], "the agency name is on every document");
    }
    // The old signature does not count: signing step 2 again needs step 1 first.
    producer.view(2).await;
    let (status, body) = producer.post("/s/steps/2/sign", crate::harness::sign_body("producer-agreement", &name)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("out_of_order")), "{body}");
    let (status, body) = producer.complete(1, &steps[0], &name).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The new review copy shows the new name.
    let review = app.api(Method::GET, &format!("/api/v1/packets/{id}/documents/code-of-conduct?copy=signed")).send().await.unwrap();
    let bytes = review.bytes().await.unwrap();
    let path = app.dir.path().join("coc.pdf");
    std::fs::write(&path, &bytes).unwrap();
    assert!(crate::common::flat(&crate::common::pdftotext(&path)).contains("Kirkpatrick Benefits Group, Inc."));
    let audit = app.audit(id).await;
    let edit = audit["records"].as_array().unwrap().iter().find(|r| r["event"] == "case_edited").unwrap();
    assert_eq!(edit["voided"], 2, "{edit}");
}

pub async fn audit_tampering_is_detected(db: Db) {
    let app = spawn(db).await;
    let id = sign_everything(&app, &example()).await;
    assert_eq!(app.audit(&id).await["intact"], true);
    // Someone with database access rewrites who signed.
    let row: (String,) = sqlx::query_as("SELECT record FROM audit_events WHERE packet_id = $1 AND seq = 3")
        .bind(&id)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let mut record: Value = serde_json::from_str(&row.0).unwrap();
    record["ip"] = json!("203.0.113.9");
    sqlx::query("UPDATE audit_events SET record = $1 WHERE packet_id = $2 AND seq = 3")
        .bind(record.to_string())
        .bind(&id)
        .execute(app.store.pool())
        .await
        .unwrap();
    let audit = app.audit(&id).await;
    assert_eq!(audit["intact"], false);
    assert!(audit["problem"].as_str().unwrap().contains("audit record 3"), "{audit}");
    let (_, verification) = json_of(app.api(Method::GET, &format!("/api/v1/packets/{id}/verification")).send().await.unwrap()).await;
    assert_eq!(verification["valid"], false);
    assert_eq!(verification["audit_chain_intact"], false);
    // Put it back: intact again. Then deleting an event in the middle, or
    // the newest ones, is caught as well.
    sqlx::query("UPDATE audit_events SET record = $1 WHERE packet_id = $2 AND seq = 3")
        .bind(&row.0)
        .bind(&id)
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(app.audit(&id).await["intact"], true);
    let (last,): (i64,) = sqlx::query_as("SELECT MAX(seq) FROM audit_events WHERE packet_id = $1")
        .bind(&id)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_events WHERE packet_id = $1 AND seq >= $2")
        .bind(&id)
        .bind(last - 1)
        .execute(app.store.pool())
        .await
        .unwrap();
    let audit = app.audit(&id).await;
    assert_eq!(audit["intact"], false);
    assert!(audit["problem"].as_str().unwrap().contains("missing from the end"), "{audit}");
    sqlx::query("DELETE FROM audit_events WHERE packet_id = $1 AND seq = 5").bind(&id).execute(app.store.pool()).await.unwrap();
    let audit = app.audit(&id).await;
    assert!(audit["problem"].as_str().unwrap().contains("audit record 5: a record is missing"), "{audit}");
}

pub async fn certificate_of_completion_is_sealed_and_lists_every_event(db: Db) {
    let app = spawn(db).await;
    let id = sign_everything(&app, &example()).await;
    let res = app.api(Method::GET, &format!("/api/v1/packets/{id}/certificate")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap().to_vec();
    let report = app.verify_bytes(pdf.clone()).await;
    assert_eq!(report["valid"], true, "{report}");
    let path = app.dir.path().join("certificate.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = crate::common::flat(&crate::common::pdftotext(&path));
    assert!(text.contains("Certificate of Completion"));
    let audit = app.audit(&id).await;
    for record in audit["records"].as_array().unwrap() {
        let hash = record["hash"].as_str().unwrap();
        assert!(text.contains(hash), "event {} hash missing from the certificate", record["seq"]);
    }
    let packet = app.packet(&id).await;
    for step in packet["steps"].as_array().unwrap() {
        assert!(text.contains(step["signed_sha256"].as_str().unwrap()), "{}", step["document"]);
    }
    assert!(text.contains("intact"));
    if std::env::var_os("INKSEAL_KEEP_ARTEFACTS").is_some() {
        let keep = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("certificate-{db:?}.pdf"));
        std::fs::write(keep, &pdf).unwrap();
    }
}

pub async fn documents_are_shown_page_by_page(db: Db) {
    let app = spawn(db).await;
    let created = app.create(&example()).await;
    let id = created["id"].as_str().unwrap();
    let producer = app.producer(id).await;
    let page = |n: usize, p: usize| {
        let producer = producer.clone();
        async move { producer.get(&format!("/s/steps/{n}/pages/{p}")).await }
    };
    // Nothing is shown before consent.
    assert_eq!(page(1, 1).await.status(), StatusCode::CONFLICT);
    producer.post("/s/consent", json!({"agree": true})).await;
    let pages = producer.packet().await["steps"][1]["pages"].as_u64().unwrap() as usize;
    assert!(pages >= 4, "the agreement has several pages: {pages}");
    // The code of conduct first, then the agreement page by page.
    let (status, body) = producer.complete(1, &created["steps"][0], PRINCIPAL).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for p in 1..pages {
        let res = page(2, p).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "image/png");
        let png = res.bytes().await.unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    }
    let step = &producer.packet().await["steps"][1];
    assert_eq!(step["viewed"], false, "{step}");
    assert_eq!(step["pages_seen"].as_array().unwrap().len(), pages - 1);
    let (status, body) = producer.post("/s/steps/2/sign", crate::harness::sign_body("producer-agreement", PRINCIPAL)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("not_viewed")), "one page is still unseen: {body}");
    assert_eq!(page(2, pages + 1).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(page(2, 0).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(page(2, pages).await.status(), StatusCode::OK);
    assert_eq!(producer.packet().await["steps"][1]["viewed"], true);
    let (status, body) = producer.post("/s/steps/2/sign", crate::harness::sign_body("producer-agreement", PRINCIPAL)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A completed step shows its signed copy and records nothing more.
    let before = app.audit(id).await["records"].as_array().unwrap().len();
    assert_eq!(page(2, 1).await.status(), StatusCode::OK);
    let audit = app.audit(id).await;
    assert_eq!(audit["records"].as_array().unwrap().len(), before);
    let shown = audit["records"].as_array().unwrap().iter().filter(|r| r["event"] == "page_viewed" && r["step"] == 1).count();
    assert_eq!(shown, pages, "each page shown is recorded once");
}

/// A stored document changed in the database: verification says so, per
/// document, instead of failing.
pub async fn a_document_altered_in_storage_is_reported_not_served(db: Db) {
    let app = spawn(db).await;
    let id = sign_everything(&app, &example()).await;
    let packet = app.packet(&id).await;
    let signed = packet["steps"][0]["signed_sha256"].as_str().unwrap().to_owned();
    let (mut bytes,): (Vec<u8>,) =
        sqlx::query_as("SELECT bytes FROM blobs WHERE sha256 = $1").bind(&signed).fetch_one(app.store.pool()).await.unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    sqlx::query("UPDATE blobs SET bytes = $1 WHERE sha256 = $2").bind(bytes).bind(&signed).execute(app.store.pool()).await.unwrap();
    let (status, verification) =
        json_of(app.api(Method::GET, &format!("/api/v1/packets/{id}/verification")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{verification}");
    assert_eq!(verification["valid"], false);
    assert_eq!(verification["audit_chain_intact"], true);
    let first = &verification["documents"][0];
    assert_eq!(first["valid"], false, "{first}");
    assert!(first["report"]["problems"][0].as_str().unwrap().contains("altered in storage"), "{first}");
    assert_eq!(verification["documents"][1]["valid"], true, "the other documents are judged on their own");
}
