//! Secrets at rest and in answers: after a whole packet's life, neither the
//! database's raw bytes nor anything the API answered holds the SSN, the
//! EIN, the routing or the account number, or a PDF in clear.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::example;
use crate::harness::{Db, TestApp, spawn};
use crate::lifecycle::sign_everything;

/// Every spelling of every secret in the example case.
pub fn secrets(case: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for value in [&case["principal"]["ssn"], &case["agency"]["tax_id"]] {
        let shown = value.as_str().unwrap().to_owned();
        out.push(shown.replace('-', ""));
        out.push(shown);
    }
    out.push(case["banking"]["routing_number"].as_str().unwrap().to_owned());
    out.push(case["banking"]["account_number"].as_str().unwrap().to_owned());
    out
}

fn assert_none_in(haystack: &[u8], secrets: &[String], place: &str) {
    for s in secrets {
        assert!(
            !haystack.windows(s.len()).any(|w| w == s.as_bytes()),
            "{place} holds the secret {s} in clear"
        );
    }
}

/// The raw bytes of everything the database keeps, as far as it lets us see them.
async fn raw_database(app: &TestApp, db: Db) -> Vec<u8> {
    match db {
        Db::Sqlite => {
            // The file and its write-ahead log, byte for byte.
            let mut bytes = Vec::new();
            for name in ["inkseal.db", "inkseal.db-wal"] {
                if let Ok(b) = std::fs::read(app.dir.path().join(name)) {
                    bytes.extend(b);
                }
            }
            assert!(bytes.len() > 4096, "the database file was read");
            bytes
        }
        Db::Postgres => {
            // Every row of every table of the test's schema, as PostgreSQL prints it.
            let pool = sqlx::PgPool::connect(&app.db_url).await.unwrap();
            let tables: Vec<String> =
                sqlx::query_scalar("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()")
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            assert!(tables.iter().any(|t| t == "blobs"), "{tables:?}");
            let mut bytes = Vec::new();
            for table in tables {
                let rows: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT t::text FROM {table} t")).fetch_all(&pool).await.unwrap();
                for row in rows {
                    bytes.extend(row.into_bytes());
                }
            }
            // bytea prints as hex; look at the blobs' own bytes too.
            let blobs: Vec<Vec<u8>> = sqlx::query_scalar("SELECT bytes FROM blobs").fetch_all(&pool).await.unwrap();
            assert!(!blobs.is_empty());
            for blob in blobs {
                bytes.extend(blob);
            }
            pool.close().await;
            bytes
        }
    }
}

pub async fn secrets_are_encrypted_at_rest_and_never_answered(db: Db) {
    let app = spawn(db).await;
    let case = example();
    let id = sign_everything(&app, &case).await;
    let secrets = secrets(&case);

    let raw = raw_database(&app, db).await;
    assert_none_in(&raw, &secrets, "the raw database");
    assert!(!raw.windows(5).any(|w| w == b"%PDF-"), "the raw database holds a PDF in clear");
    let street = case["contact"]["address"]["line1"].as_str().unwrap().as_bytes();
    assert!(!raw.windows(street.len()).any(|w| w == street), "the raw database holds the case in clear");

    // The service itself still reads everything back.
    let packet = app.packet(&id).await;
    assert_eq!(packet["status"], "submitted");
    let mut answered = serde_json::to_vec(&packet).unwrap();
    for path in [format!("/api/v1/packets/{id}/audit"), format!("/api/v1/packets/{id}/verification")] {
        let res = app.api(Method::GET, &path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        answered.extend(res.bytes().await.unwrap());
    }
    assert_none_in(&answered, &secrets, "an API answer");
    let w9 = packet["steps"].as_array().unwrap().iter().map(|s| s["document"].as_str().unwrap()).find(|d| d.contains("w9")).unwrap();
    let w9 = app.api(Method::GET, &format!("/api/v1/packets/{id}/documents/{w9}?copy=signed")).send().await.unwrap();
    assert_eq!(w9.status(), StatusCode::OK);
    assert!(w9.bytes().await.unwrap().starts_with(b"%PDF-"), "documents come back decrypted");
}
