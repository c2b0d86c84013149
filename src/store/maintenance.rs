//! What operators run against a database: a consistency check of every
//! packet (`inkseal store check`, also what the crash tests judge a database
//! by) and moving encrypted rows to the newest data key (`inkseal store rekey`).

use std::collections::BTreeSet;

use serde::Serialize;
use sqlx::Row as _;

use super::crypt::blob_aad;
use super::{Store, StoreError};
use crate::audit::{self, Record};
use crate::packet::{Completion, Event};

/// What `check` found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckReport {
    /// Packets examined.
    pub packets: usize,
    /// Blobs examined (decrypted and hashed).
    pub blobs: usize,
    /// Audit records examined.
    pub audit_records: usize,
    /// Rows still in clear (written before encryption at rest).
    pub unencrypted_rows: usize,
    /// Everything wrong, one sentence each; empty when consistent.
    pub problems: Vec<String>,
}

/// What `rekey` did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RekeyReport {
    /// The key everything is sealed with now.
    pub key_id: String,
    /// Cases sealed again.
    pub cases: usize,
    /// Blobs sealed again.
    pub blobs: usize,
}

/// Rows that point at something missing, by the query that finds them.
const ORPHANS: &[(&str, &str)] = &[
    ("packet_blobs rows name a blob that is not stored", "SELECT COUNT(*) AS n FROM packet_blobs pb WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = pb.sha256)"),
    ("blobs belong to no packet", "SELECT COUNT(*) AS n FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM packet_blobs pb WHERE pb.sha256 = b.sha256)"),
    ("packet_blobs rows name no packet", "SELECT COUNT(*) AS n FROM packet_blobs x WHERE NOT EXISTS (SELECT 1 FROM packets p WHERE p.id = x.packet_id)"),
    ("audit records name no packet", "SELECT COUNT(*) AS n FROM audit_events x WHERE NOT EXISTS (SELECT 1 FROM packets p WHERE p.id = x.packet_id)"),
    ("signing links name no packet", "SELECT COUNT(*) AS n FROM signing_links x WHERE NOT EXISTS (SELECT 1 FROM packets p WHERE p.id = x.packet_id)"),
    ("sessions name no packet", "SELECT COUNT(*) AS n FROM sessions x WHERE NOT EXISTS (SELECT 1 FROM packets p WHERE p.id = x.packet_id)"),
];

impl Store {
    /// Checks every packet: its state and case open, its audit trail is
    /// intact and anchored, every document and upload its state names is
    /// stored, opens and hashes to its address, every completed step has
    /// its audit record, and no row points at something missing.
    ///
    /// # Errors
    /// Only when the database cannot be read; everything else is a problem in the report.
    pub async fn check(&self) -> Result<CheckReport, StoreError> {
        let mut report = CheckReport::default();
        for (what, sql) in ORPHANS {
            let n: i64 = sqlx::query(sql).fetch_one(&self.pool).await?.try_get("n")?;
            if n > 0 {
                report.problems.push(format!("{n} {what}"));
            }
        }
        for (table, column) in [("packets", "case_key_id"), ("blobs", "key_id")] {
            let n: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} IS NULL"))
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
            report.unencrypted_rows += usize::try_from(n).unwrap_or(0);
        }
        if report.unencrypted_rows > 0 {
            // Rows from before encryption at rest: readable, but not protected until sealed.
            report.problems.push(format!("{} rows are not encrypted; run `inkseal store rekey`", report.unencrypted_rows));
        }
        let ids: Vec<String> = sqlx::query("SELECT id FROM packets ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        for id in ids {
            report.packets += 1;
            self.check_packet(&id, &mut report).await?;
        }
        Ok(report)
    }

    async fn check_packet(&self, id: &str, report: &mut CheckReport) -> Result<(), StoreError> {
        let packet = match self.packet(id).await {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(()),
            Err(e @ (StoreError::Corrupt(_) | StoreError::Sealed { .. })) => {
                report.problems.push(format!("packet {id}: {e}"));
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if serde_json::from_str::<serde::de::IgnoredAny>(&packet.case_json).is_err() {
            report.problems.push(format!("packet {id}: its case is not JSON"));
        }
        let (records, anchor) = match self.audit_snapshot(id).await {
            Ok(r) => r,
            Err(StoreError::Corrupt(e)) => {
                report.problems.push(format!("packet {id}: {e}"));
                (Vec::new(), None)
            }
            Err(e) => return Err(e),
        };
        report.audit_records += records.len();
        if records.is_empty() {
            report.problems.push(format!("packet {id}: it has no audit trail"));
        } else if let Err(e) = audit::verify_anchored(&records, anchor.as_ref().map(|(s, h)| (*s, h.as_str()))) {
            report.problems.push(format!("packet {id}: the audit trail is broken at {e}"));
        }
        let mut needed = BTreeSet::new();
        for (i, step) in packet.state.steps.iter().enumerate() {
            needed.insert(step.content_sha256.clone());
            let Some(done) = &step.done else { continue };
            needed.insert(done.stored_sha256().to_owned());
            if !records.iter().any(|r| records_completion(r, done)) {
                report.problems.push(format!("packet {id}: step {} is complete but no audit record says so", i + 1));
            }
        }
        if let Some(upload) = &packet.state.upload {
            needed.insert(upload.sha256.clone());
        }
        // Earlier review copies and replaced uploads stay stored and must open too.
        for row in sqlx::query("SELECT sha256 FROM packet_blobs WHERE packet_id = $1").bind(id).fetch_all(&self.pool).await? {
            needed.insert(row.try_get("sha256")?);
        }
        for sha256 in needed {
            report.blobs += 1;
            match self.blob(id, &sha256).await {
                Ok(Some(_)) => {}
                Ok(None) => report.problems.push(format!("packet {id}: document {sha256} is not stored")),
                Err(e @ (StoreError::Corrupt(_) | StoreError::Sealed { .. })) => report.problems.push(format!("packet {id}: {e}")),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Seals every case and blob not sealed by the first data key (rows in
    /// clear included) with it. Safe while the service runs: a row changed
    /// meanwhile is left to the writer and picked up on the next pass.
    ///
    /// # Errors
    /// When a row does not open with any configured key, or on database failure.
    pub async fn rekey(&self) -> Result<RekeyReport, StoreError> {
        let active = self.keys.active_id().to_owned();
        let mut report = RekeyReport { key_id: active.clone(), ..RekeyReport::default() };
        loop {
            let rows = sqlx::query("SELECT sha256, key_id, bytes FROM blobs WHERE COALESCE(key_id, '') <> $1 LIMIT 64")
                .bind(&active)
                .fetch_all(&self.pool)
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                let sha256: String = row.try_get("sha256")?;
                let key_id: Option<String> = row.try_get("key_id")?;
                let plain = self.open_blob(&sha256, key_id.clone(), row.try_get("bytes")?)?;
                let sealed = self.keys.seal(&plain, &blob_aad(&sha256))?;
                let done = sqlx::query("UPDATE blobs SET bytes = $1, key_id = $2 WHERE sha256 = $3 AND COALESCE(key_id, '') = $4")
                    .bind(sealed.bytes)
                    .bind(sealed.key_id)
                    .bind(&sha256)
                    .bind(key_id.unwrap_or_default())
                    .execute(&self.pool)
                    .await?;
                report.blobs += usize::try_from(done.rows_affected()).unwrap_or(0);
            }
        }
        loop {
            let rows = sqlx::query("SELECT id, case_key_id, case_json FROM packets WHERE COALESCE(case_key_id, '') <> $1 LIMIT 64")
                .bind(&active)
                .fetch_all(&self.pool)
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                let id: String = row.try_get("id")?;
                let key_id: Option<String> = row.try_get("case_key_id")?;
                let stored: String = row.try_get("case_json")?;
                let json = self.open_case(&id, key_id.clone(), stored.clone())?;
                let (new_key, sealed) = self.seal_case(&id, &json)?;
                // Only if the case is still the one read: a concurrent edit wins.
                let done = sqlx::query(
                    "UPDATE packets SET case_json = $1, case_key_id = $2 WHERE id = $3 AND COALESCE(case_key_id, '') = $4 AND case_json = $5",
                )
                .bind(sealed)
                .bind(new_key)
                .bind(&id)
                .bind(key_id.unwrap_or_default())
                .bind(stored)
                .execute(&self.pool)
                .await?;
                report.cases += usize::try_from(done.rows_affected()).unwrap_or(0);
            }
        }
        Ok(report)
    }

    /// The data key ids rows were sealed with that the ring does not hold:
    /// a server started without them could not read those rows.
    ///
    /// # Errors
    /// On database failure.
    pub async fn missing_keys(&self) -> Result<Vec<String>, StoreError> {
        let mut missing = BTreeSet::new();
        for sql in [
            "SELECT DISTINCT case_key_id AS k FROM packets WHERE case_key_id IS NOT NULL",
            "SELECT DISTINCT key_id AS k FROM blobs WHERE key_id IS NOT NULL",
        ] {
            for row in sqlx::query(sql).fetch_all(&self.pool).await? {
                let id: String = row.try_get("k")?;
                if !self.keys.has(&id) {
                    missing.insert(id);
                }
            }
        }
        Ok(missing.into_iter().collect())
    }
}

/// Whether `record` is the audit record of `done`.
fn records_completion(record: &Record, done: &Completion) -> bool {
    match (&record.entry.event, done) {
        (Event::Reviewed { sealed_sha256, .. }, Completion::Reviewed { sealed_sha256: stored }) => sealed_sha256 == stored,
        (Event::Signed { signed_sha256, .. }, Completion::Signed { signed_sha256: stored, .. }) => signed_sha256 == stored,
        _ => false,
    }
}
