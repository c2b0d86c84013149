//! Races: the same step completed at once through one server or two
//! replicas ends with exactly one success and 409s, never two signatures.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::example;
use crate::harness::{Db, Producer, TestApp, replica, sign_body, spawn};
use crate::lifecycle::PRINCIPAL;

async fn signed_events(app: &TestApp, id: &str, step: u64) -> usize {
    let audit = app.audit(id).await;
    assert_eq!(audit["intact"], true, "{audit}");
    audit["records"].as_array().unwrap().iter().filter(|r| r["event"] == "signed" && r["step"] == step).count()
}

pub async fn two_requests_for_one_step_make_one_signature(db: Db) {
    let app = spawn(db).await;
    let other = replica(&app).await;
    let created = app.create(&example()).await;
    let id = created["id"].as_str().unwrap();
    let producer = app.producer(id).await;
    producer.post("/s/consent", json!({"agree": true})).await;
    producer.view(1).await;
    // The same session through two replicas, four requests at once.
    let through_other = Producer { base: other.base.clone(), ..producer.clone() };
    let attempts = [producer.clone(), through_other.clone(), producer.clone(), through_other.clone()]
        .map(|p| async move { p.post("/s/steps/1/sign", sign_body("code-of-conduct", PRINCIPAL)).await });
    let results = futures_join_all(attempts).await;
    let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let conflicts: Vec<&Value> = results.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).map(|(_, b)| b).collect();
    assert_eq!(ok, 1, "{results:?}");
    assert_eq!(conflicts.len(), 3, "{results:?}");
    assert!(conflicts.iter().all(|b| b["code"] == "already_done"), "{conflicts:?}");
    assert_eq!(signed_events(&app, id, 0).await, 1);
    let (signed,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM packet_blobs WHERE packet_id = $1 AND role = 'signed'")
        .bind(id)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(signed, 1, "the losers' signed PDFs were never stored");
}

pub async fn two_windows_racing_through_the_packet_never_double_sign(db: Db) {
    let app = spawn(db).await;
    let other = replica(&app).await;
    let created = app.create(&example()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    // Two windows with separate sessions, on separate replicas.
    let first = app.producer(&id).await;
    let second = other.open(&app.link(&id).await).await;
    first.post("/s/consent", json!({"agree": true})).await;
    let steps = created["steps"].as_array().unwrap().clone();
    let run = |p: Producer, steps: Vec<Value>| async move {
        let mut outcomes = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            outcomes.push(p.complete(i + 1, step, PRINCIPAL).await.0);
        }
        outcomes
    };
    let (a, b) = tokio::join!(run(first.clone(), steps.clone()), run(second.clone(), steps.clone()));
    // Whoever lost a step moved on; a loser may also find the step gone by the time it views it.
    let packet = app.packet(&id).await;
    let done = packet["steps"].as_array().unwrap().iter().filter(|s| s["state"] == "done").count();
    assert!(done >= 1, "{a:?} {b:?} {packet}");
    for (i, step) in steps.iter().enumerate() {
        let wins = [&a, &b].iter().filter(|o| o.get(i) == Some(&StatusCode::OK)).count();
        assert!(wins <= 1, "step {} completed twice: {a:?} {b:?}", i + 1);
        if step["action"] == "sign" {
            assert!(signed_events(&app, &id, i as u64).await <= 1);
        }
    }
    // Finish what is left from one window; the result is one complete packet.
    for (i, step) in steps.iter().enumerate() {
        if packet["steps"][i]["state"] != "done" {
            let (status, body) = first.complete(i + 1, step, PRINCIPAL).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
    let audit = app.audit(&id).await;
    let signed = audit["records"].as_array().unwrap().iter().filter(|r| r["event"] == "signed").count();
    assert_eq!(signed, 3);
    let (_, verification) = crate::harness::json_of(
        app.api(reqwest::Method::GET, &format!("/api/v1/packets/{id}/verification")).send().await.unwrap(),
    )
    .await;
    assert_eq!(verification["valid"], true, "{verification}");
}

/// Runs futures at once and collects their outputs in order.
async fn futures_join_all<F: std::future::Future<Output = T> + Send + 'static, T: Send + 'static>(futures: [F; 4]) -> Vec<T> {
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// Two approvals drawing the same random producer id: the database's unique
/// constraint refuses the second, which the service then retries with a new
/// id; the refused change leaves nothing behind.
pub async fn a_producer_id_is_never_assigned_twice(db: Db) {
    use inkseal::store::{Change, StoreError};
    let app = spawn(db).await;
    let a = app.create(&example()).await;
    let b = app.create(&example()).await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    fn assign(p: &inkseal::store::StoredPacket) -> Change<'_> {
        Change {
            state: &p.state,
            case: None,
            producer_id: Some("123456789"),
            blobs: Vec::new(),
            entries: Vec::new(),
            now: "2026-12-03T00:00:00Z",
        }
    }
    let first = app.store.packet(a).await.unwrap().unwrap();
    app.store.commit(a, first.version, assign(&first)).await.unwrap();
    let second = app.store.packet(b).await.unwrap().unwrap();
    let refused = app.store.commit(b, second.version, assign(&second)).await;
    assert!(matches!(refused, Err(StoreError::ProducerIdTaken)), "{refused:?}");
    assert_eq!(app.store.packet(b).await.unwrap().unwrap().version, second.version, "nothing of the refused change stuck");
}
