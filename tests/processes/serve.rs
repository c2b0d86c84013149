//! `inkseal serve` as a newcomer meets it: zero configuration, development
//! keys on first start with a warning, /healthz, graceful shutdown, and a
//! refusal to start with a production key that is not safe to use.

use std::process::{Command, Stdio};

use crate::common;
use crate::server::{API_KEY, Place, Server};

fn start(data: &std::path::Path, extra: &[&str]) -> Server {
    Server::start(&Place::sqlite(data), extra, "info,inkseal=debug")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_with_zero_configuration_and_stops_gracefully() {
    let data = tempfile::tempdir().unwrap();
    let mut server = start(data.path(), &[]);
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(data.path().join("inkseal.db").exists(), "the SQLite file is created on start");
    assert!(data.path().join("keys/signing-key.pem").exists(), "development keys are created on first start");
    // The compliance page and the pages' stylesheet come from the binary itself.
    let page = client.get(format!("{base}/verify")).send().await.unwrap();
    assert_eq!((page.status().as_u16(), page.headers()["content-type"].to_str().unwrap()), (200, "text/html; charset=utf-8"));
    let css = client.get(format!("{base}/assets/inkseal.css")).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.text().await.unwrap().contains("--sign-green"));
    let res = client.post(format!("{base}/api/v1/packets")).bearer_auth(API_KEY).json(&common::example()).send().await.unwrap();
    assert_eq!(res.status(), 201);

    // Requests in flight when SIGTERM arrives are finished, not dropped.
    let in_flight: Vec<_> = (0..4)
        .map(|_| {
            let (client, base) = (client.clone(), base.clone());
            tokio::spawn(async move {
                client.post(format!("{base}/api/v1/packets")).bearer_auth(API_KEY).json(&common::example()).send().await
            })
        })
        .collect();
    // Each create renders five documents: the server is busy with all four
    // once it has logged their start.
    server.wait_for("started method=POST path=/api/v1/packets", 5);
    let (status, log) = server.terminate();
    for request in in_flight {
        let res = request.await.unwrap().expect("an in-flight request got its answer");
        assert_eq!(res.status(), 201);
    }
    assert!(status.success(), "{status:?}\n{log}");
    assert!(log.contains("DEVELOPMENT"), "a loud warning about development keys:\n{log}");
    let shutdown_at = log.find("finishing requests in flight").expect("shutdown logged");
    assert!(log[shutdown_at..].contains("status=201"), "no request finished after shutdown began:\n{log}");
    // Nothing sensitive reached the log.
    for secret in ["512-38-4471", "512384471", "73-4821937", "9876543210", API_KEY] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }

    // A second start reuses the keys and the database.
    let server = start(data.path(), &[]);
    let health = client.get(format!("{}/healthz", server.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let (_, log) = server.terminate();
    assert!(!log.contains("creating DEVELOPMENT"), "{log}");
}

/// `inkseal serve` with the production key set in `keys/` (made by `keys init`), and `extra`.
fn serve_with_production_keys(data: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let keys = data.join("prod");
    Command::new(env!("CARGO_BIN_EXE_inkseal"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--signing-key")
        .arg(keys.join("signing-key.pem"))
        .arg("--signing-cert")
        .arg(keys.join("signing.pem"))
        .arg("--trust")
        .arg(keys.join("root-ca.pem"))
        .args(extra)
        .env_remove("DATABASE_URL")
        .env_remove("INKSEAL_DATA_KEYS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .unwrap()
}

fn production_keys(data: &std::path::Path) {
    let keys = data.join("prod");
    let init = common::inkseal(&["keys", "init", "--dir", keys.to_str().unwrap()]);
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
}

#[test]
fn serve_refuses_to_start_with_an_unsafe_production_key() {
    let data = tempfile::tempdir().unwrap();
    production_keys(data.path());
    let data_key = data.path().join("data-key.hex");
    let made = common::inkseal(&["keys", "data-key", "--out", data_key.to_str().unwrap()]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let key = data.path().join("prod/signing-key.pem");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let output = serve_with_production_keys(data.path(), &[&format!("--data-keys={}", data_key.display())]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refusing to start") && stderr.contains("chmod 600"), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).is_empty(), "it never listened");
}

#[test]
fn production_signing_keys_need_production_data_keys() {
    let data = tempfile::tempdir().unwrap();
    production_keys(data.path());
    let output = serve_with_production_keys(data.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refusing to start") && stderr.contains("no data keys"), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).is_empty(), "it never listened");
    assert!(!data.path().join("keys/data-key.hex").exists(), "no development data key was made for production");
}

#[test]
fn serve_refuses_a_trusted_proxy_that_is_not_an_address() {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_inkseal"))
        .args(["serve", "--addr", "127.0.0.1:0", "--trusted-proxies", "10.0.0.0/8,proxy.internal", "--data"])
        .arg(data.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refusing to start: --trusted-proxies: \"proxy.internal\" is not an IP address"), "{stderr}");
    assert!(!data.path().join("inkseal.db").exists(), "nothing was created");
}
