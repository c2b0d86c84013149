//! Packets, their blobs and audit records, written together.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sqlx::{Any, Row as _, Transaction};

use super::crypt::{blob_aad, case_aad};
use super::{DataKeys, Store, StoreError};
use crate::audit::{self, Entry, Record};
use crate::packet::Packet;

/// Immutable bytes stored under their SHA-256.
#[derive(Clone, Debug)]
pub struct Blob {
    /// Lower-case hex SHA-256 of `bytes`.
    pub sha256: String,
    /// How to serve it.
    pub media_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// What it is to the packet (`review`, `signed`, `upload`…).
    pub role: &'static str,
}

/// A packet about to be created.
#[derive(Debug)]
pub struct NewPacket<'a> {
    /// Its id.
    pub id: &'a str,
    /// The case key.
    pub case_key: &'a str,
    /// The case as the portal sent it.
    pub case_json: &'a str,
    /// The date the case was validated and rendered as of (YYYY-MM-DD).
    pub as_of: &'a str,
    /// Its first state.
    pub state: &'a Packet,
}

/// A packet as stored.
#[derive(Clone, Debug)]
pub struct StoredPacket {
    /// Its id.
    pub id: String,
    /// The case key.
    pub case_key: String,
    /// The case as last sent.
    pub case_json: String,
    /// The as-of date of the current rendering.
    pub as_of: String,
    /// Its state.
    pub state: Packet,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

/// One change to a packet: its next state, the blobs it produced and the
/// audit entries recording it, committed together or not at all.
#[derive(Debug)]
pub struct Change<'a> {
    /// The next state.
    pub state: &'a Packet,
    /// A replacement case (with its as-of date) when the case was edited.
    pub case: Option<(&'a str, &'a str)>,
    /// The producer id assigned on approval.
    pub producer_id: Option<&'a str>,
    /// New blobs.
    pub blobs: Vec<Blob>,
    /// Audit entries, in order.
    pub entries: Vec<Entry>,
    /// Now (RFC 3339).
    pub now: &'a str,
}

impl Store {
    /// Creates a packet with its documents and first audit record.
    ///
    /// # Errors
    /// On database failure; nothing is written then.
    pub async fn create_packet(&self, new: &NewPacket<'_>, blobs: &[Blob], entry: Entry) -> Result<Record, StoreError> {
        let (case_key_id, case_sealed) = self.seal_case(new.id, new.case_json)?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO packets (id, case_key, case_json, case_key_id, as_of, state_json, status, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)",
        )
        .bind(new.id)
        .bind(new.case_key)
        .bind(case_sealed)
        .bind(case_key_id)
        .bind(new.as_of)
        .bind(state_json(new.state)?)
        .bind(new.state.status.name())
        .bind(&entry.at)
        .execute(&mut *tx)
        .await?;
        put_blobs(&mut tx, &self.keys, new.id, blobs, &entry.at).await?;
        let record = append_audit(&mut tx, new.id, entry).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Loads a packet.
    ///
    /// # Errors
    /// On database failure or unreadable state.
    pub async fn packet(&self, id: &str) -> Result<Option<StoredPacket>, StoreError> {
        let row = sqlx::query(
            "SELECT id, case_key, case_json, case_key_id, as_of, state_json, version, created_at, updated_at FROM packets WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let state: String = row.try_get("state_json")?;
        Ok(Some(StoredPacket {
            id: row.try_get("id")?,
            case_key: row.try_get("case_key")?,
            case_json: self.open_case(id, row.try_get("case_key_id")?, row.try_get("case_json")?)?,
            as_of: row.try_get("as_of")?,
            state: serde_json::from_str(&state).map_err(|e| StoreError::Corrupt(format!("packet {id} state: {e}")))?,
            version: row.try_get("version")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }))
    }

    /// Commits a change made on `version` of the packet.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the packet moved on since `version` (the
    /// change is then not written at all), [`StoreError::ProducerIdTaken`],
    /// or a database failure.
    pub async fn commit(&self, id: &str, version: i64, change: Change<'_>) -> Result<Vec<Record>, StoreError> {
        let case = change.case.map(|(json, as_of)| self.seal_case(id, json).map(|sealed| (sealed, as_of))).transpose()?;
        let mut tx = self.pool.begin().await?;
        // The guarded write comes first: it takes SQLite's write lock at once
        // and makes PostgreSQL re-check the version after any concurrent commit.
        let updated = sqlx::query(
            "UPDATE packets SET state_json = $1, status = $2, version = version + 1, updated_at = $3, \
             case_json = COALESCE($4, case_json), case_key_id = COALESCE($9, case_key_id), as_of = COALESCE($5, as_of), \
             producer_id = COALESCE($6, producer_id) \
             WHERE id = $7 AND version = $8",
        )
        .bind(state_json(change.state)?)
        .bind(change.state.status.name())
        .bind(change.now)
        .bind(case.as_ref().map(|((_, sealed), _)| sealed.clone()))
        .bind(case.as_ref().map(|(_, as_of)| *as_of))
        .bind(change.producer_id)
        .bind(id)
        .bind(version)
        .bind(case.as_ref().map(|((key_id, _), _)| key_id.clone()))
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::ProducerIdTaken,
            _ => StoreError::Database(e),
        })?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        put_blobs(&mut tx, &self.keys, id, &change.blobs, change.now).await?;
        let mut records = Vec::with_capacity(change.entries.len());
        for entry in change.entries {
            records.push(append_audit(&mut tx, id, entry).await?);
        }
        tx.commit().await?;
        Ok(records)
    }

    /// A blob that belongs to the packet, decrypted and checked against its address.
    ///
    /// # Errors
    /// On database failure, or when the stored bytes do not open or do not
    /// hash to their address.
    pub async fn blob(&self, packet_id: &str, sha256: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let row = sqlx::query(
            "SELECT b.media_type, b.bytes, b.key_id FROM blobs b JOIN packet_blobs pb ON pb.sha256 = b.sha256 \
             WHERE pb.packet_id = $1 AND b.sha256 = $2",
        )
        .bind(packet_id)
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let bytes = self.open_blob(sha256, row.try_get("key_id")?, row.try_get("bytes")?)?;
        Ok(Some((row.try_get("media_type")?, bytes)))
    }

    /// Decrypts a stored blob (`key_id` `None`: written in clear before
    /// encryption) and checks that it hashes to its address.
    pub(super) fn open_blob(&self, sha256: &str, key_id: Option<String>, stored: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let bytes = match key_id {
            Some(key_id) => self
                .keys
                .open(&key_id, &stored, &blob_aad(sha256))
                .map_err(|source| StoreError::Sealed { what: format!("blob {sha256}"), source })?,
            None => stored,
        };
        if crate::service::sha256_hex(&bytes) != sha256 {
            return Err(StoreError::Corrupt(format!("blob {sha256} does not hash to its address")));
        }
        Ok(bytes)
    }

    /// Seals a case's JSON for its packet: the key id and base64 text.
    pub(super) fn seal_case(&self, packet_id: &str, json: &str) -> Result<(String, String), StoreError> {
        let sealed = self.keys.seal(json.as_bytes(), &case_aad(packet_id))?;
        Ok((sealed.key_id, BASE64.encode(sealed.bytes)))
    }

    /// Opens a stored case (`key_id` `None`: written in clear before encryption).
    pub(super) fn open_case(&self, packet_id: &str, key_id: Option<String>, stored: String) -> Result<String, StoreError> {
        let Some(key_id) = key_id else { return Ok(stored) };
        let what = || format!("the case of packet {packet_id}");
        let bytes = BASE64.decode(stored.as_bytes()).map_err(|_| StoreError::Sealed { what: what(), source: super::OpenError::Tampered })?;
        let json = self.keys.open(&key_id, &bytes, &case_aad(packet_id)).map_err(|source| StoreError::Sealed { what: what(), source })?;
        String::from_utf8(json).map_err(|_| StoreError::Corrupt(format!("{} is not UTF-8", what())))
    }

    /// The position and hash of the packet's last audit record, as recorded
    /// on the packet when it was written.
    ///
    /// # Errors
    /// On database failure.
    pub async fn audit_anchor(&self, packet_id: &str) -> Result<Option<(u64, String)>, StoreError> {
        let row = sqlx::query("SELECT audit_seq, audit_head FROM packets WHERE id = $1")
            .bind(packet_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let seq: i64 = r.try_get("audit_seq")?;
            Ok((u64::try_from(seq).unwrap_or(0), r.try_get("audit_head")?))
        })
        .transpose()
    }

    /// The audit trail and the packet's anchor as of one moment: read
    /// anchor, trail, anchor again, until no record was appended between
    /// (every append moves the anchor in the same transaction), so a busy
    /// packet is not mistaken for a broken one.
    ///
    /// # Errors
    /// On database failure or a record that is not valid JSON.
    pub async fn audit_snapshot(&self, packet_id: &str) -> Result<(Vec<Record>, Option<(u64, String)>), StoreError> {
        let mut before = self.audit_anchor(packet_id).await?;
        let mut attempts = 0;
        loop {
            let records = self.audit_trail(packet_id).await?;
            let after = self.audit_anchor(packet_id).await?;
            attempts += 1;
            // A packet written to without pause for ten reads is judged as last read.
            if after == before || attempts == 10 {
                return Ok((records, after));
            }
            before = after;
        }
    }

    /// The packet's audit trail, first record first.
    ///
    /// # Errors
    /// On database failure or a record that is not valid JSON.
    pub async fn audit_trail(&self, packet_id: &str) -> Result<Vec<Record>, StoreError> {
        let rows = sqlx::query("SELECT seq, record FROM audit_events WHERE packet_id = $1 ORDER BY seq")
            .bind(packet_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.try_get("seq")?;
                let json: String = row.try_get("record")?;
                serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(format!("audit record {seq} of packet {packet_id}: {e}")))
            })
            .collect()
    }
}

fn state_json(state: &Packet) -> Result<String, StoreError> {
    serde_json::to_string(state).map_err(|e| StoreError::Corrupt(e.to_string()))
}

async fn put_blobs(tx: &mut Transaction<'_, Any>, keys: &DataKeys, packet_id: &str, blobs: &[Blob], now: &str) -> Result<(), StoreError> {
    for blob in blobs {
        let sealed = keys.seal(&blob.bytes, &blob_aad(&blob.sha256))?;
        sqlx::query(
            "INSERT INTO blobs (sha256, media_type, size, bytes, key_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&blob.sha256)
        .bind(&blob.media_type)
        .bind(i64::try_from(blob.bytes.len()).unwrap_or(i64::MAX))
        .bind(sealed.bytes)
        .bind(sealed.key_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO packet_blobs (packet_id, sha256, role) VALUES ($1, $2, $3) \
             ON CONFLICT (packet_id, sha256) DO NOTHING",
        )
        .bind(packet_id)
        .bind(&blob.sha256)
        .bind(blob.role)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(super) async fn append_audit(tx: &mut Transaction<'_, Any>, packet_id: &str, entry: Entry) -> Result<Record, StoreError> {
    let last = sqlx::query("SELECT record FROM audit_events WHERE packet_id = $1 ORDER BY seq DESC LIMIT 1")
        .bind(packet_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(|row| -> Result<Record, StoreError> {
            let json: String = row.try_get("record")?;
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("last audit record of {packet_id}: {e}")))
        })
        .transpose()?;
    let record = audit::append(last.as_ref(), entry);
    let json = serde_json::to_string(&record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let seq = i64::try_from(record.seq).unwrap_or(i64::MAX);
    sqlx::query("INSERT INTO audit_events (packet_id, seq, record) VALUES ($1, $2, $3)")
        .bind(packet_id)
        .bind(seq)
        .bind(json)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE packets SET audit_seq = $1, audit_head = $2 WHERE id = $3")
        .bind(seq)
        .bind(&record.hash)
        .bind(packet_id)
        .execute(&mut **tx)
        .await?;
    Ok(record)
}
