//! Data keys from an operator's seat: a new key, rotation with `store
//! rekey`, a server that refuses to start without a key its rows need, and
//! `store check` finding a tampered row.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::example;
use crate::flow::Portal;
use crate::server::{Place, Server};

fn run(place: &Place, args: &[&str], extra: &[&str]) -> (Option<i32>, String) {
    let out = place.command().args(args).args(place.args()).args(extra).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_keys_rotate_and_a_missing_key_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let place = Place::sqlite(dir.path());
    // A packet with a signed step, sealed with the development data key.
    let server = Server::start(&place, &[], "warn");
    let portal = Portal::new(&server.base);
    let created = portal.create(&example()).await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let session = portal.session(&id).await.unwrap();
    session.post("/s/consent", &json!({"agree": true})).await.unwrap();
    let (status, body) = session.complete(1, &created["steps"][0]).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    server.terminate();
    let dev_key = dir.path().join("keys/data-key.hex");
    assert!(dev_key.exists(), "the development data key is created on first start");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&dev_key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let (code, out) = run(&place, &["store", "check"], &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("0 rows not encrypted") && out.ends_with("consistent\n"), "{out}");

    // A new key: made once, never overwritten.
    let new_key = dir.path().join("new-data-key.hex");
    let make = crate::common::inkseal(&["keys", "data-key", "--out", new_key.to_str().unwrap()]);
    assert!(make.status.success(), "{}", String::from_utf8_lossy(&make.stderr));
    let before = std::fs::read(&new_key).unwrap();
    let again = crate::common::inkseal(&["keys", "data-key", "--out", new_key.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(std::fs::read(&new_key).unwrap(), before, "an existing key is never overwritten");

    // Only the new key: the rows sealed with the old one cannot be read, so the server will not start.
    let only_new = format!("--data-keys={}", new_key.display());
    let (code, out) = run(&place, &["serve", "--addr", "127.0.0.1:0"], &[&only_new]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("refusing to start") && out.contains("holds data encrypted with data key dk_"), "{out}");

    // Rotation: the new key first, the old one after it; rekey moves every row to the new key.
    let both = format!("--data-keys={},{}", new_key.display(), dev_key.display());
    let (code, out) = run(&place, &["store", "rekey"], &[&both]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("sealed 1 cases and"), "{out}");
    let (code, out) = run(&place, &["store", "check"], &[&only_new]);
    assert_eq!(code, Some(0), "after rekey the old key is not needed: {out}");

    // The server starts on the new key alone and still reads everything.
    let server = Server::start(&place, &[&only_new], "warn");
    let portal = Portal::new(&server.base);
    let packet = portal.packet(&id).await.unwrap();
    assert_eq!(packet["steps"][0]["state"], "done");
    let verification = portal.verification(&id).await.unwrap();
    assert_eq!(verification["valid"], true, "{verification}");
    server.terminate();

    // One byte of one stored document changed in the database: check names it and fails.
    let url = format!("sqlite://{}", dir.path().join("inkseal.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let (sha, data): (String, Vec<u8>) = sqlx::query_as("SELECT sha256, bytes FROM blobs LIMIT 1").fetch_one(&pool).await.unwrap();
    let mut data = data;
    let last = data.len() - 1;
    data[last] ^= 1;
    sqlx::query("UPDATE blobs SET bytes = $1 WHERE sha256 = $2").bind(data).bind(&sha).execute(&pool).await.unwrap();
    pool.close().await;
    let (code, out) = run(&place, &["store", "check"], &[&only_new]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&sha[..12]) && out.contains("NOT consistent"), "{out}");
}
