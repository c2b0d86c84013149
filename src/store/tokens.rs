//! Signing links and producer sessions, stored only as hashes of their
//! tokens. Times are Unix seconds.

use sqlx::Row as _;

use super::{Store, StoreError};
use crate::audit::{Entry, Record};

/// Why a signing link does not open a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    /// No such link.
    Unknown,
    /// Already used.
    Spent,
    /// Too old.
    Expired,
}

/// A live session.
#[derive(Clone, Debug)]
pub struct SessionRow {
    /// The packet it may act on.
    pub packet_id: String,
}

impl Store {
    /// Stores a new signing link and its audit record; the packet's version
    /// guards the audit chain like any other change.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the packet changed since `version`.
    pub async fn insert_link(
        &self,
        packet_id: &str,
        version: i64,
        token_hash: &str,
        created_at: i64,
        expires_at: i64,
        entry: Entry,
    ) -> Result<Record, StoreError> {
        let mut tx = self.pool.begin().await?;
        bump(&mut tx, packet_id, version, &entry.at).await?;
        sqlx::query("INSERT INTO signing_links (token_hash, packet_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(packet_id)
            .bind(created_at)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        let record = super::packets::append_audit(&mut tx, packet_id, entry).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Spends a link and opens a session for its packet, atomically: of two
    /// redemptions of one link exactly one succeeds.
    ///
    /// # Errors
    /// `Ok(Err(_))` says why the link does not work; `Err` is a database failure.
    pub async fn redeem_link(
        &self,
        token_hash: &str,
        session_hash: &str,
        now: i64,
        entry: Entry,
    ) -> Result<Result<String, LinkRefusal>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let spent = sqlx::query(
            "UPDATE signing_links SET spent_at = $1 WHERE token_hash = $2 AND spent_at IS NULL AND expires_at > $1 \
             RETURNING packet_id",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = spent else {
            tx.rollback().await?;
            let why = sqlx::query("SELECT spent_at, expires_at FROM signing_links WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
            return Ok(Err(match why {
                None => LinkRefusal::Unknown,
                Some(r) if r.try_get::<Option<i64>, _>("spent_at")?.is_some() => LinkRefusal::Spent,
                Some(_) => LinkRefusal::Expired,
            }));
        };
        let packet_id: String = row.try_get("packet_id")?;
        sqlx::query("INSERT INTO sessions (token_hash, packet_id, created_at, last_seen) VALUES ($1, $2, $3, $3)")
            .bind(session_hash)
            .bind(&packet_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // The audit record goes in the same transaction; the version bump
        // makes any writer that read the packet before re-read it.
        sqlx::query("UPDATE packets SET version = version + 1, updated_at = $1 WHERE id = $2")
            .bind(&entry.at)
            .bind(&packet_id)
            .execute(&mut *tx)
            .await?;
        super::packets::append_audit(&mut tx, &packet_id, entry).await?;
        tx.commit().await?;
        Ok(Ok(packet_id))
    }

    /// What redeeming a link would do, without spending it.
    ///
    /// # Errors
    /// `Ok(Err(_))` says why the link does not work; `Err` is a database failure.
    pub async fn peek_link(&self, token_hash: &str, now: i64) -> Result<Result<String, LinkRefusal>, StoreError> {
        let row = sqlx::query("SELECT packet_id, spent_at, expires_at FROM signing_links WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(Err(LinkRefusal::Unknown)) };
        if row.try_get::<Option<i64>, _>("spent_at")?.is_some() {
            return Ok(Err(LinkRefusal::Spent));
        }
        if row.try_get::<i64, _>("expires_at")? <= now {
            return Ok(Err(LinkRefusal::Expired));
        }
        Ok(Ok(row.try_get("packet_id")?))
    }

    /// The session's packet if it was used within `idle_secs`, marking it used now.
    ///
    /// # Errors
    /// On database failure.
    pub async fn touch_session(&self, token_hash: &str, now: i64, idle_secs: i64) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query(
            "UPDATE sessions SET last_seen = $1 WHERE token_hash = $2 AND last_seen > $3 RETURNING packet_id",
        )
        .bind(now)
        .bind(token_hash)
        .bind(now - idle_secs)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok(SessionRow { packet_id: r.try_get("packet_id")? })).transpose()
    }

    /// Ends a session.
    ///
    /// # Errors
    /// On database failure.
    pub async fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }
}

/// Advances the packet's version without changing its state, so that an
/// audit-only record is chained under the same guard as state changes.
async fn bump(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    packet_id: &str,
    version: i64,
    now: &str,
) -> Result<(), StoreError> {
    let updated = sqlx::query("UPDATE packets SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3")
        .bind(now)
        .bind(packet_id)
        .bind(version)
        .execute(&mut **tx)
        .await?;
    if updated.rows_affected() == 1 { Ok(()) } else { Err(StoreError::Conflict) }
}
