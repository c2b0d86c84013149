//! Scale-out: three `inkseal serve` processes on one PostgreSQL database,
//! sharing keys. A session opened through one works through the others, a
//! step signed through one is seen through the others at once, and the
//! same step signed through all of them at once is signed exactly once.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::example;
use crate::flow::{Portal, Session, case_number, sign_body};
use crate::server::{Place, Server};

/// The same session spoken to through another replica.
fn through(session: &Session, server: &Server) -> Session {
    Session { base: server.base.clone(), ..session.clone() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_on_one_postgres_share_sessions_and_sign_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let place = Place::postgres(dir.path()).await;
    let servers: Vec<Server> = (0..3).map(|_| Server::start(&place, &["--link-rate", "0"], "warn")).collect();
    let portals: Vec<Portal> = servers.iter().map(|s| Portal::new(&s.base)).collect();

    // Created through one, linked through another, opened through the third.
    let created = portals[0].create(&example()).await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let session = portals[1].session(&id).await.unwrap();
    let session = through(&session, &servers[2]);
    assert_eq!(session.packet().await.unwrap()["id"], id.as_str());
    let (status, _) = through(&session, &servers[0]).post("/s/consent", &json!({"agree": true})).await.unwrap();
    assert_eq!(status, StatusCode::OK);

    // Each step viewed and completed through one replica, seen done through the next.
    let steps = created["steps"].as_array().unwrap().clone();
    for (i, step) in steps.iter().enumerate() {
        let here = through(&session, &servers[i % 3]);
        let (status, body) = here.complete(i + 1, step).await.unwrap();
        assert_eq!(status, StatusCode::OK, "step {}: {body}", i + 1);
        let there = through(&session, &servers[(i + 1) % 3]).packet().await.unwrap();
        assert_eq!(there["steps"][i]["state"], "done", "step {} signed through one replica is seen through the next", i + 1);
        assert_eq!(portals[(i + 2) % 3].packet(&id).await.unwrap()["steps"][i]["state"], "done");
    }
    assert_eq!(through(&session, &servers[1]).post("/s/finish", &json!({})).await.unwrap().0, StatusCode::OK);
    assert_eq!(through(&session, &servers[2]).post("/s/submit", &json!({})).await.unwrap().0, StatusCode::OK);
    assert_eq!(portals[0].packet(&id).await.unwrap()["status"], "submitted");

    // A race: one step, nine requests at once, three through each replica.
    let created = portals[2].create(&case_number(&example(), 1)).await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let session = portals[0].session(&id).await.unwrap();
    session.post("/s/consent", &json!({"agree": true})).await.unwrap();
    let sign = created["steps"].as_array().unwrap().iter().position(|s| s["action"] == "sign").unwrap();
    for n in 1..=sign {
        let (status, body) = session.complete(n, &created["steps"][n - 1]).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let n = sign + 1;
    let document = created["steps"][sign]["document"].as_str().unwrap().to_owned();
    assert_eq!(session.get(&format!("/s/steps/{n}/document")).await.unwrap().status(), StatusCode::OK);
    let attempts: Vec<_> = (0..9)
        .map(|k| {
            let s = through(&session, &servers[k % 3]);
            let body = sign_body(&document);
            tokio::spawn(async move { s.post(&format!("/s/steps/{n}/sign"), &body).await.unwrap() })
        })
        .collect();
    let mut outcomes = Vec::new();
    for a in attempts {
        outcomes.push(a.await.unwrap());
    }
    let ok = outcomes.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(ok, 1, "exactly one of nine signs through three replicas succeeds: {outcomes:?}");
    assert!(outcomes.iter().filter(|(s, _)| *s != StatusCode::OK).all(|(s, b)| *s == StatusCode::CONFLICT && b["code"] == "already_done"), "{outcomes:?}");
    let (_, audit) = portals[1].call(reqwest::Method::GET, &format!("/api/v1/packets/{id}/audit"), None).await.unwrap();
    assert_eq!(audit["intact"], true);
    let signed = audit["records"].as_array().unwrap().iter().filter(|r| r["event"] == "signed" && r["step"] == sign as u64).count();
    assert_eq!(signed, 1, "{audit}");
    for server in servers {
        let (status, log) = server.terminate();
        assert!(status.success(), "{log}");
    }
}
