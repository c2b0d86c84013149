/*!
The audit trail (spec §5): an append-only list of events per packet, each
holding the SHA-256 of the one before, so that editing, removing or
reordering any stored event is detected. Pure: time, actor and network
details are passed in.

A record's hash is SHA-256 over the previous hash (hex), a newline, and the
record's canonical JSON without its own hash (fields in declaration order,
as serde writes them).
*/

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::packet::Event;

/// The previous-hash of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who caused an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// The onboarding portal (API key id).
    Portal(String),
    /// The producer (signing session id).
    Producer(String),
    /// Producer Administration (staff id).
    Administration(String),
    /// inkseal itself.
    System,
}

/// What is known about an event before it is chained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339 UTC time.
    pub at: String,
    /// Who.
    pub actor: Actor,
    /// Client IP address, when known.
    pub ip: Option<String>,
    /// Client user agent, when known.
    pub user_agent: Option<String>,
    /// What happened (its fields sit beside the entry's, tagged by `event`).
    #[serde(flatten)]
    pub event: Event,
}

/// A chained, stored record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the packet's trail, from 1.
    pub seq: u64,
    /// Hash of the previous record ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// The event.
    #[serde(flatten)]
    pub entry: Entry,
    /// This record's hash.
    pub hash: String,
}

#[derive(Serialize)]
struct Hashed<'a> {
    seq: u64,
    prev_hash: &'a str,
    #[serde(flatten)]
    entry: &'a Entry,
}

fn hash_of(seq: u64, prev_hash: &str, entry: &Entry) -> String {
    let canonical = serde_json::to_vec(&Hashed { seq, prev_hash, entry }).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(&canonical);
    hex::encode(h.finalize())
}

/// Appends an entry after `last` (or starts the trail).
pub fn append(last: Option<&Record>, entry: Entry) -> Record {
    let (seq, prev_hash) = match last {
        Some(r) => (r.seq + 1, r.hash.clone()),
        None => (1, GENESIS.to_owned()),
    };
    let hash = hash_of(seq, &prev_hash, &entry);
    Record { seq, prev_hash, entry, hash }
}

/// Where a trail stops being trustworthy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("audit record {seq}: {reason}")]
pub struct ChainBreak {
    /// The first bad record's position.
    pub seq: u64,
    /// What is wrong.
    pub reason: &'static str,
}

/// Checks a whole trail, first record first.
///
/// # Errors
/// The first record that was altered, removed or reordered.
pub fn verify(records: &[Record]) -> Result<(), ChainBreak> {
    let mut prev = GENESIS;
    for (i, r) in records.iter().enumerate() {
        let expected_seq = i as u64 + 1;
        if r.seq != expected_seq {
            return Err(ChainBreak { seq: expected_seq, reason: "a record is missing or out of order" });
        }
        if r.prev_hash != prev {
            return Err(ChainBreak { seq: r.seq, reason: "it does not follow the previous record" });
        }
        if hash_of(r.seq, &r.prev_hash, &r.entry) != r.hash {
            return Err(ChainBreak { seq: r.seq, reason: "its content was changed after it was written" });
        }
        prev = &r.hash;
    }
    Ok(())
}

/// Checks a whole trail and that it ends where the packet says it does
/// (`anchor`: the last record's position and hash, kept on the packet), so
/// that removing the newest records is caught too.
///
/// # Errors
/// The first record that was altered, removed or reordered.
pub fn verify_anchored(records: &[Record], anchor: Option<(u64, &str)>) -> Result<(), ChainBreak> {
    verify(records)?;
    let Some((seq, head)) = anchor else { return Ok(()) };
    let last_seq = records.last().map_or(0, |r| r.seq);
    if last_seq < seq {
        Err(ChainBreak { seq: last_seq + 1, reason: "it is missing from the end of the trail" })
    } else if last_seq > seq || records.last().is_some_and(|r| r.hash != head) {
        Err(ChainBreak { seq, reason: "the trail does not end where the packet says it does" })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u32) -> Entry {
        Entry {
            at: format!("2026-12-03T10:00:{i:02}Z"),
            actor: Actor::Producer("session-1".into()),
            ip: Some("127.0.0.1".into()),
            user_agent: Some("test".into()),
            event: Event::Viewed { step: i as usize, sha256: format!("{i:064}") },
        }
    }

    fn trail(n: u32) -> Vec<Record> {
        let mut out: Vec<Record> = Vec::new();
        for i in 0..n {
            let r = append(out.last(), entry(i));
            out.push(r);
        }
        out
    }

    #[test]
    fn an_intact_trail_verifies() {
        assert_eq!(verify(&trail(5)), Ok(()));
        assert_eq!(verify(&[]), Ok(()));
    }

    #[test]
    fn any_edit_is_detected() {
        let mut t = trail(5);
        t[2].entry.ip = Some("10.0.0.9".into());
        assert_eq!(verify(&t).unwrap_err().seq, 3);

        let mut t = trail(5);
        t[1].entry.event = Event::Finished;
        assert_eq!(verify(&t).unwrap_err().seq, 2);

        // Rehashing an edited record still breaks the next link.
        let mut t = trail(5);
        t[2].entry.at = "2020-01-01T00:00:00Z".into();
        t[2].hash = hash_of(t[2].seq, &t[2].prev_hash, &t[2].entry);
        assert_eq!(verify(&t), Err(ChainBreak { seq: 4, reason: "it does not follow the previous record" }));

        let mut t = trail(5);
        t.remove(3);
        assert_eq!(verify(&t).unwrap_err().seq, 4);

        let mut t = trail(5);
        t.swap(1, 2);
        assert!(verify(&t).is_err());
    }
}
