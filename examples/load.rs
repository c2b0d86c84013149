//! Load benchmark of `inkseal serve`: packet creation, signing and turning a
//! page in the browser, requests per second and p50/p99 latency.
//!
//! ```text
//! cargo build --release && cargo run --release --example load -- [--requests N] [--concurrency C]
//!     [--database-url postgres://… [--replicas R]]
//! ```
//!
//! Starts `target/release/inkseal serve` on a free port with a throw-away
//! data folder (SQLite), or R replicas on a throw-away schema of the given
//! PostgreSQL database sharing one keys folder, then drives them over HTTP
//! from this process, sending request i to replica i mod R (a producer's
//! session moves between replicas as a load balancer without affinity would
//! move it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Semaphore;

const KEY: &str = "load-benchmark-key";

struct Stats {
    name: &'static str,
    latencies: Vec<Duration>,
    wall: Duration,
}

impl Stats {
    fn print(&mut self) {
        self.latencies.sort();
        let pct = |p: f64| {
            let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
            self.latencies[i].as_secs_f64() * 1000.0
        };
        println!(
            "{:<28} {:>5} requests  {:>7.1} req/s  p50 {:>7.1} ms  p99 {:>7.1} ms",
            self.name,
            self.latencies.len(),
            self.latencies.len() as f64 / self.wall.as_secs_f64(),
            pct(0.5),
            pct(0.99)
        );
    }
}

/// Runs `n` requests made by `make(i)`, `concurrency` at a time.
async fn drive<F, Fut>(name: &'static str, n: usize, concurrency: usize, make: F) -> Stats
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let limit = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut handles = Vec::new();
    for i in 0..n {
        let permit = Arc::clone(&limit).acquire_owned().await.unwrap();
        let fut = make(i);
        handles.push(tokio::spawn(async move {
            let t = Instant::now();
            fut.await;
            drop(permit);
            t.elapsed()
        }));
    }
    let mut latencies = Vec::new();
    for h in handles {
        latencies.push(h.await.unwrap());
    }
    Stats {
        name,
        latencies,
        wall: started.elapsed(),
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let requests = arg("--requests", 60);
    let concurrency = arg("--concurrency", 4);
    let exe = std::env::current_exe().unwrap();
    let bin: PathBuf = exe
        .parent()
        .and_then(|p| p.parent())
        .unwrap()
        .join("inkseal");
    assert!(
        bin.exists(),
        "build the server first: cargo build --release ({} missing)",
        bin.display()
    );
    let data = tempfile::tempdir().unwrap();
    let replicas = arg("--replicas", 1).max(1);
    let args: Vec<String> = std::env::args().collect();
    let postgres = args.iter().position(|a| a == "--database-url").and_then(|i| args.get(i + 1)).cloned();
    let (database_url, schema) = match &postgres {
        Some(url) => {
            let schema = format!("load_{}", std::process::id());
            let admin = sqlx::PgPool::connect(url).await.expect("connect to --database-url");
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.unwrap();
            admin.close().await;
            let sep = if url.contains('?') { '&' } else { '?' };
            (Some(format!("{url}{sep}options=-c%20search_path%3D{schema}")), Some(schema))
        }
        None => {
            assert!(replicas == 1, "replicas need a shared database: give --database-url postgres://…");
            (None, None)
        }
    };
    let start = || {
        let mut cmd = Command::new(&bin);
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--link-rate", "0", "--data"])
            .arg(data.path())
            .env("INKSEAL_API_KEYS", KEY)
            .env("INKSEAL_LOG", "warn")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(url) = &database_url {
            cmd.args(["--database-url", url]);
        }
        let mut server = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
        (server, line.trim().trim_start_matches("listening on ").to_owned())
    };
    // The first creates the schema and the keys; the others find them.
    let mut servers = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..replicas {
        let (server, base) = start();
        servers.push(server);
        bases.push(base);
    }
    let base = bases[0].clone();
    let bases = Arc::new(bases);
    let client = reqwest::Client::new();
    let case: Value = serde_json::from_str(include_str!("case-ok-tx-nm.json")).unwrap();

    let backend = if postgres.is_some() { "PostgreSQL" } else { "SQLite" };
    println!(
        "inkseal serve: {replicas} replica(s) on {backend}; {requests} requests per row, {concurrency} at a time"
    );
    // Every packet gets its own case data, as in production: identical
    // input would be answered from Typst's layout cache and flatter us.
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let create = move |client: reqwest::Client, base: String, case: Value| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut case = case;
        case["case_key"] = json!(format!("OB-2026-{:06}", 100_000 + n));
        case["agency"]["legal_name"] = json!(format!("Mister Insurance Agency {n}"));
        case["contact"]["address"]["line1"] = json!(format!("{} Main Street", 100 + n));
        async move {
            let res = client
                .post(format!("{base}/api/v1/packets"))
                .bearer_auth(KEY)
                .json(&case)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()
        }
    };
    // Warm up the renderer's caches.
    for _ in 0..3 {
        create(client.clone(), base.clone(), case.clone()).await;
    }
    let (c, b, k, make) = (client.clone(), Arc::clone(&bases), case.clone(), create.clone());
    let mut stats = drive(
        "create packet (5 documents)",
        requests,
        concurrency,
        move |i| {
            let fut = make(c.clone(), b[i % b.len()].clone(), k.clone());
            async move {
                fut.await;
            }
        },
    )
    .await;
    stats.print();

    // Prepare one producer per packet: link, session, consent, step 1 viewed.
    let mut producers = Vec::new();
    for _ in 0..requests {
        let packet = create(client.clone(), base.clone(), case.clone()).await;
        let id = packet["id"].as_str().unwrap();
        let link: Value = client
            .post(format!("{base}/api/v1/packets/{id}/links"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let res = client
            .post(link["url"].as_str().unwrap())
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        let cookie = res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let body: Value = res.json().await.unwrap();
        let csrf = body["csrf_token"].as_str().unwrap().to_owned();
        let post = |path: &str| {
            client
                .post(format!("{base}{path}"))
                .header("cookie", &cookie)
                .header("x-csrf-token", &csrf)
        };
        assert_eq!(
            post("/s/consent")
                .json(&json!({"agree": true}))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let view = client
            .get(format!("{base}/s/steps/1/document"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(view.status(), 200);
        producers.push((cookie, csrf));
    }
    let producers = Arc::new(producers);
    let readers = Arc::clone(&producers);
    let (c, b) = (client.clone(), Arc::clone(&bases));
    let mut stats = drive(
        "sign (stamp + seal + store)",
        requests,
        concurrency,
        move |i| {
            let (c, b, p) = (c.clone(), b[i % b.len()].clone(), Arc::clone(&producers));
            async move {
                let (cookie, csrf) = &p[i];
                let res = c
                    .post(format!("{b}/s/steps/1/sign"))
                    .header("cookie", cookie)
                    .header("x-csrf-token", csrf)
                    .json(&json!({"name": "Charles Ray"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
            }
        },
    )
    .await;
    stats.print();

    // Turning a page in the browser: the step page (HTML) and the page's
    // picture drawn from the stored PDF, for the agreement's five pages.
    let (c, b, p) = (client.clone(), Arc::clone(&bases), Arc::clone(&readers));
    let mut stats = drive(
        "turn a page (step page + its picture)",
        requests,
        concurrency,
        move |i| {
            let (c, b, p) = (c.clone(), b[i % b.len()].clone(), Arc::clone(&p));
            async move {
                let (cookie, _) = &p[i];
                let page = i % 5 + 1;
                let html = c
                    .get(format!("{b}/s/steps/2?page={page}"))
                    .header("cookie", cookie)
                    .header("accept", "text/html")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(html.status(), 200);
                html.bytes().await.unwrap();
                let png = c
                    .get(format!("{b}/s/steps/2/pages/{page}"))
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(png.status(), 200);
                png.bytes().await.unwrap();
            }
        },
    )
    .await;
    stats.print();
    for mut server in servers {
        let _ = server.kill();
        let _ = server.wait();
    }
    if let (Some(url), Some(schema)) = (&postgres, &schema) {
        let admin = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&admin).await.unwrap();
    }
}
