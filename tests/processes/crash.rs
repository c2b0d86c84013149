//! Crash safety: `inkseal serve` is killed with SIGKILL again and again
//! while producers sign and submit and the portal creates packets, then
//! restarted. Afterwards every packet is consistent — each completed step
//! has its signed PDF and its audit event, every audit chain verifies, no
//! row is orphaned or half-written (`inkseal store check`) — and nothing
//! the server acknowledged to a client was lost.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::example;
use crate::flow::{Portal, Result, case_number};
use crate::server::{Place, Server};

/// What the server said it did.
#[derive(Clone, Debug)]
enum Ack {
    Created(String),
    Done(String, usize),
    Submitted(String),
}

type Acks = Arc<Mutex<Vec<Ack>>>;

/// Takes a packet as far as it goes: consent, every step, finish, submit.
async fn push(portal: &Portal, id: &str, acks: &Acks) -> Result<()> {
    if portal.packet(id).await?["status"] == "submitted" {
        return Ok(());
    }
    let session = portal.session(id).await?;
    let packet = session.packet().await?;
    if packet["consent_given"] != true {
        let (status, body) = session.post("/s/consent", &json!({"agree": true})).await?;
        if status != StatusCode::OK {
            return Err(format!("consent: {status} {body}"));
        }
    }
    let steps = packet["steps"].as_array().cloned().unwrap_or_default();
    for (i, step) in steps.iter().enumerate() {
        if step["state"] == "done" {
            continue;
        }
        let (status, body) = session.complete(i + 1, step).await?;
        if status != StatusCode::OK {
            return Err(format!("step {}: {status} {body}", i + 1));
        }
        acks.lock().unwrap().push(Ack::Done(id.to_owned(), i + 1));
    }
    if session.packet().await?["status"] != "finished" {
        let (status, body) = session.post("/s/finish", &json!({})).await?;
        if status != StatusCode::OK {
            return Err(format!("finish: {status} {body}"));
        }
    }
    let (status, body) = session.post("/s/submit", &json!({})).await?;
    if status != StatusCode::OK {
        return Err(format!("submit: {status} {body}"));
    }
    acks.lock().unwrap().push(Ack::Submitted(id.to_owned()));
    Ok(())
}

/// Creates packets until the server goes away.
async fn create_until_killed(portal: Portal, first: usize, acks: Acks, ids: Arc<Mutex<Vec<String>>>) -> Result<()> {
    let case = example();
    for n in first.. {
        let created = portal.create(&case_number(&case, n)).await?;
        let id = created["id"].as_str().ok_or("no id")?.to_owned();
        acks.lock().unwrap().push(Ack::Created(id.clone()));
        ids.lock().unwrap().push(id);
    }
    Ok(())
}

const ARGS: &[&str] = &["--link-rate", "0"];

async fn crash_again_and_again(place: Place) {
    let acks: Acks = Arc::default();
    let ids: Arc<Mutex<Vec<String>>> = Arc::default();
    {
        let server = Server::start(&place, ARGS, "warn");
        let portal = Portal::new(&server.base);
        for n in 0..4 {
            let id = portal.create(&case_number(&example(), n)).await.unwrap()["id"].as_str().unwrap().to_owned();
            ids.lock().unwrap().push(id);
        }
        server.terminate();
    }
    // Kill times in milliseconds: long enough to be inside a signature, varied
    // so that kills land in rendering, sealing, committing and answering.
    let mut cut_off = 0;
    for (round, after_ms) in [900_u64, 1500, 600, 2200, 1100, 1800].into_iter().enumerate() {
        let server = Server::start(&place, ARGS, "warn");
        let portal = Portal::new(&server.base);
        let mut tasks = tokio::task::JoinSet::new();
        for id in ids.lock().unwrap().clone() {
            let (portal, acks) = (portal.clone(), Arc::clone(&acks));
            tasks.spawn(async move { push(&portal, &id, &acks).await });
        }
        tasks.spawn(create_until_killed(portal.clone(), 100 * (round + 1), Arc::clone(&acks), Arc::clone(&ids)));
        tokio::time::sleep(Duration::from_millis(after_ms)).await;
        server.kill();
        while let Some(result) = tasks.join_next().await {
            if let Err(e) = result.unwrap() {
                assert!(!e.contains(" 500 "), "the server answered 500 after a restart: {e}");
                cut_off += 1;
            }
        }
    }
    {
        let acks = acks.lock().unwrap();
        let count = |f: fn(&Ack) -> bool| acks.iter().filter(|a| f(a)).count();
        println!(
            "6 kills: {cut_off} client tasks cut off; acknowledged {} packets created, {} steps completed, {} submissions",
            count(|a| matches!(a, Ack::Created(_))),
            count(|a| matches!(a, Ack::Done(..))),
            count(|a| matches!(a, Ack::Submitted(_)))
        );
    }
    assert!(cut_off >= 6, "the kills interrupted requests ({cut_off} cut off)");

    // Restarted for good: every packet can still be finished, and nothing acknowledged was lost.
    let server = Server::start(&place, ARGS, "warn");
    let portal = Portal::new(&server.base);
    let all = ids.lock().unwrap().clone();
    let acknowledged = acks.lock().unwrap().clone();
    for ack in &acknowledged {
        match ack {
            Ack::Created(id) => assert!(all.contains(id) && portal.packet(id).await.is_ok(), "acknowledged packet {id} was lost"),
            Ack::Done(id, n) => {
                let packet = portal.packet(id).await.unwrap();
                assert_eq!(packet["steps"][n - 1]["state"], "done", "acknowledged step {n} of {id} was lost: {packet}");
            }
            Ack::Submitted(id) => assert_eq!(portal.packet(id).await.unwrap()["status"], "submitted", "{id}"),
        }
    }
    let finished_before = acks.lock().unwrap().iter().filter(|a| matches!(a, Ack::Submitted(_))).count();
    assert!(finished_before >= 1, "at least one packet was submitted between kills");
    for id in all.iter().take(8) {
        push(&portal, id, &acks).await.unwrap_or_else(|e| panic!("packet {id} cannot be finished after the crashes: {e}"));
    }
    for id in &all {
        let verification = portal.verification(id).await.unwrap();
        assert_eq!(verification["audit_chain_intact"], true, "{id}: {verification}");
        assert_eq!(verification["valid"], true, "{id}: {verification}");
    }
    let (status, log) = server.terminate();
    assert!(status.success(), "{log}");

    // The whole database, row by row: no orphans, no half-written packets.
    let check = place.command().args(["store", "check"]).args(place.args()).output().unwrap();
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "store check: {out}{}", String::from_utf8_lossy(&check.stderr));
    assert!(out.contains("consistent") && !out.contains("NOT consistent"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    crash_again_and_again(Place::sqlite(dir.path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_nothing_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    crash_again_and_again(Place::postgres(dir.path()).await).await;
}
