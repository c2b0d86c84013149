//! What the portal and Producer Administration do after submission, and the
//! packet-level records: information requests, approval, the audit trail,
//! the Certificate of Completion and packet verification.

use std::sync::Arc;

use serde::Serialize;

use super::{Caller, Committed, IssuedLink, Planned, Service, ServiceError, blocking, random_token, rfc3339};
use crate::audit::{self, Actor, Record};
use crate::case::Case;
use crate::documents::Action;
use crate::letters::{self, Letter, LetterKind};
use crate::packet::{Completion, Event, Request, SignerName, Status};
use crate::store::{StoreError, StoredPacket};
use crate::verify::{Report, verify_pdf};

/// The verdict on one stored document of a packet.
#[derive(Clone, Debug, Serialize)]
pub struct DocumentCheck {
    /// Step number (1-based).
    pub step: usize,
    /// Document slug.
    pub document: &'static str,
    /// The signed or sealed PDF's hash.
    pub sha256: String,
    /// Its signatures verify and chain to a trusted root.
    pub valid: bool,
    /// The signer is the case's principal.
    pub signer_matches: bool,
    /// The full report.
    pub report: Report,
}

/// Packet-level verification (spec §6).
#[derive(Clone, Debug, Serialize)]
pub struct PacketVerification {
    /// Everything below holds.
    pub valid: bool,
    /// The audit chain is intact.
    pub audit_chain_intact: bool,
    /// Where the chain breaks, if it does.
    pub audit_problem: Option<String>,
    /// Every completed document.
    pub documents: Vec<DocumentCheck>,
}

impl Service {
    /// Producer Administration asks for more information; returns the letter.
    ///
    /// # Errors
    /// 422 for an empty request, 409 unless submitted.
    pub async fn request_info(&self, id: &str, text: &str, caller: &Caller) -> Result<(Committed, Letter), ServiceError> {
        let text = text.trim();
        if text.is_empty() || text.len() > 4000 {
            return Err(ServiceError::InvalidField { field: "request", message: "must be 1 to 4000 characters".into() });
        }
        // Everything the letter needs is read before the change is committed.
        let case = self.case_of(&self.packet(id).await?)?;
        let a = &case.contact.address;
        let context = serde_json::json!({
            "date": letter_date(self.now()), "principal": case.principal.full_name(), "case_key": case.case_key,
            "address_line1": a.line1, "address_line2": a.line2, "city": a.city, "state": a.state.code(),
            "zip": a.zip.as_str(), "request": text,
        });
        let letter = letters::render(LetterKind::InfoRequest, &context).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let committed =
            self.transition(id, caller, |_| Ok(Planned::just(Request::RequestInfo(text.to_owned())))).await?;
        Ok((committed, letter))
    }

    /// Approves a submitted packet with a fresh unique nine-digit producer
    /// id; returns the Welcome Letter.
    ///
    /// # Errors
    /// 409 unless submitted.
    pub async fn approve(&self, id: &str, caller: &Caller) -> Result<(Committed, Letter), ServiceError> {
        let case = self.case_of(&self.packet(id).await?)?;
        let mut context = serde_json::json!({
            "date": letter_date(self.now()), "principal": case.principal.full_name(),
            "agency": case.agency.legal_name, "case_key": case.case_key, "producer_id": "000000000",
        });
        // A template error shows before anything is committed.
        letters::render(LetterKind::Welcome, &context).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let committed = self
            .transition(id, caller, |_| {
                let producer_id = producer_id()?;
                Ok(Planned { producer_id: Some(producer_id.clone()), ..Planned::just(Request::Approve(producer_id)) })
            })
            .await?;
        let Status::Approved { producer_id } = &committed.packet.state.status else {
            return Err(ServiceError::Internal("approval did not stick".into()));
        };
        context["producer_id"] = serde_json::json!(producer_id);
        let letter = letters::render(LetterKind::Welcome, &context).map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok((committed, letter))
    }

    /// The invitation email for a freshly issued link.
    ///
    /// # Errors
    /// When the stored case cannot be read.
    pub fn invitation(&self, packet: &StoredPacket, link: &IssuedLink) -> Result<Letter, ServiceError> {
        let case = self.case_of(packet)?;
        let to_sign = packet.state.steps.iter().filter(|s| s.action == Action::Sign).count();
        let expires = time::OffsetDateTime::parse(&link.expires_at, &time::format_description::well_known::Rfc3339)
            .map_or_else(|_| link.expires_at.clone(), |t| format!("{}, {:02}:{:02} UTC", letter_date(t), t.hour(), t.minute()));
        let context = serde_json::json!({
            "principal": case.principal.full_name(), "agency": case.agency.legal_name, "case_key": case.case_key,
            "link": link.url, "expires_at": expires, "steps": packet.state.steps.len(), "to_sign": to_sign,
        });
        letters::render(LetterKind::Invitation, &context).map_err(|e| ServiceError::Internal(e.to_string()))
    }

    /// The packet's audit trail and whether its chain is intact.
    ///
    /// # Errors
    /// 404 for an unknown packet.
    pub async fn audit_trail(&self, id: &str) -> Result<(Vec<Record>, Result<(), audit::ChainBreak>), ServiceError> {
        self.packet(id).await?;
        let (records, anchor) = self.store.audit_snapshot(id).await?;
        let verdict = audit::verify_anchored(&records, anchor.as_ref().map(|(seq, head)| (*seq, head.as_str())));
        Ok((records, verdict))
    }

    /// Checks every completed document, the audit chain and that each
    /// signer is the principal.
    ///
    /// # Errors
    /// 404 for an unknown packet.
    pub async fn verify_packet(&self, id: &str) -> Result<PacketVerification, ServiceError> {
        let packet = self.packet(id).await?;
        let (_, chain) = self.audit_trail(id).await?;
        let principal = self.case_of(&packet).map(|c| SignerName::from(&c.principal)).ok();
        let mut documents = Vec::new();
        for (i, step) in packet.state.steps.iter().enumerate() {
            let Some(done) = &step.done else { continue };
            let sha = done.stored_sha256();
            // The store opens the bytes and checks they hash to their
            // address; bytes that do not were altered in storage.
            let report = match self.store.blob(id, sha).await {
                Ok(Some((_, bytes))) => {
                    let trust = Arc::clone(&self.trust);
                    blocking(move || {
                        verify_pdf(&bytes, trust.roots())
                            .map_err(|e| ServiceError::Internal(format!("stored PDF unreadable: {e}")))
                    })
                    .await?
                }
                Ok(None) => return Err(ServiceError::NotFound("document")),
                Err(e @ (StoreError::Corrupt(_) | StoreError::Sealed { .. })) => Report {
                    valid: false,
                    signatures: Vec::new(),
                    appended_bytes: 0,
                    problems: vec![format!("the stored document was altered in storage: {e}")],
                },
                Err(e) => return Err(e.into()),
            };
            let signer_matches = report.signatures.iter().all(|s| {
                matches!((&principal, &s.signer_name), (Some(p), Some(name)) if p.check(name).is_ok())
            }) && !report.signatures.is_empty();
            documents.push(DocumentCheck {
                step: i + 1,
                document: step.kind.slug(),
                sha256: sha.to_owned(),
                valid: report.valid,
                signer_matches,
                report,
            });
        }
        let audit_chain_intact = chain.is_ok();
        Ok(PacketVerification {
            valid: audit_chain_intact && documents.iter().all(|d| d.valid && d.signer_matches),
            audit_chain_intact,
            audit_problem: chain.err().map(|e| e.to_string()),
            documents,
        })
    }

    /// The Certificate of Completion: the packet, its documents with
    /// hashes and every audit event, rendered and sealed.
    ///
    /// # Errors
    /// 404 for an unknown packet.
    pub async fn certificate(&self, id: &str) -> Result<Vec<u8>, ServiceError> {
        let packet = self.packet(id).await?;
        let (records, chain) = self.audit_trail(id).await?;
        let case = self.case_of(&packet)?;
        let now = self.now();
        let data = certificate_data(&packet, &case, &records, chain.err(), now);
        let (renderer, identity) = (Arc::clone(&self.renderer), Arc::clone(&self.identity));
        let ident = packet.id.clone();
        blocking(move || {
            let pdf = crate::signing::add_signature_field(&renderer.render_certificate(&data, &ident, now.date())?, None)?;
            let info = crate::signing::SealInfo {
                signer_name: "inkseal",
                reason: "Certificate of Completion: sealed by the signing service",
                time: now,
            };
            Ok(crate::signing::seal(&pdf, &info, &identity, None)?)
        })
        .await
    }
}

/// A random nine-digit id that does not start with 0.
fn producer_id() -> Result<String, ServiceError> {
    let hex = random_token(8)?;
    let n = u64::from_str_radix(&hex, 16).map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok((100_000_000 + n % 900_000_000).to_string())
}

fn letter_date(now: time::OffsetDateTime) -> String {
    format!("{} {}, {}", now.month(), now.day(), now.year())
}

fn actor_label(actor: &Actor) -> String {
    match actor {
        Actor::Portal(id) => format!("Onboarding portal (key {id})"),
        Actor::Producer(id) => format!("Producer (session {id})"),
        Actor::Administration(id) => format!("Producer Administration ({id})"),
        Actor::System => "inkseal".into(),
    }
}

fn summary(event: &Event, packet: &StoredPacket) -> String {
    let title = |step: &usize| packet.state.steps.get(*step).map_or("a document", |s| s.kind.title());
    match event {
        Event::Created { case_key, documents } => format!("Packet created for case {case_key} with {} documents", documents.len()),
        Event::LinkIssued { expires_at } => {
            format!("Signing link issued, valid until {}", expires_at.replace('T', " ").replace('Z', " UTC"))
        }
        Event::LinkOpened => "Signing link opened; session started".into(),
        Event::ConsentGiven { consent_sha256 } => format!("Consent to electronic records and signatures given (text {})", &consent_sha256[..16.min(consent_sha256.len())]),
        Event::Viewed { step, .. } => format!("Viewed in full: {}", title(step)),
        Event::PageViewed { step, page, all_seen, .. } => format!(
            "Page {page} shown: {}{}",
            title(step),
            if *all_seen { " (every page now shown)" } else { "" }
        ),
        Event::Reviewed { step, .. } => format!("Review confirmed and sealed: {}", title(step)),
        Event::Signed { step, name, .. } => format!("Signed as \"{name}\": {}", title(step)),
        Event::Finished => "All steps complete (Finish)".into(),
        Event::Submitted => "Submitted for HCSC Review".into(),
        Event::CaseEdited { revision, voided } => format!("Case edited (revision {revision}); {voided} reviews or signatures voided"),
        Event::InfoRequested { request } => format!("Additional information requested: {request}"),
        Event::Resubmitted => "Resubmitted for HCSC Review".into(),
        Event::Approved { producer_id } => format!("Approved; producer identification number {producer_id}"),
        Event::Uploaded { media_type, replaced, .. } => {
            format!("File uploaded ({media_type}){}", if replaced.is_some() { ", replacing the earlier one" } else { "" })
        }
    }
}

/// The status as the producer reads it.
pub fn status_label(status: &Status) -> &'static str {
    match status {
        Status::Draft => "Not started",
        Status::InProgress => "In progress",
        Status::Finished => "Finished, not submitted",
        Status::Submitted => "HCSC Review",
        Status::InfoRequested { .. } => "Additional information requested",
        Status::Approved { .. } => "Approved",
    }
}

fn certificate_data(
    packet: &StoredPacket,
    case: &Case,
    records: &[Record],
    problem: Option<audit::ChainBreak>,
    now: time::OffsetDateTime,
) -> serde_json::Value {
    let when = |kind: &str, step: usize| {
        records.iter().rev().find_map(|r| match (&r.entry.event, kind) {
            (Event::Signed { step: s, .. }, "signed") | (Event::Reviewed { step: s, .. }, "reviewed") if *s == step => {
                Some(r.entry.at.replace('T', " ").replace('Z', ""))
            }
            _ => None,
        })
    };
    let documents: Vec<_> = packet
        .state
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (outcome, at, final_label, final_sha) = match &s.done {
                Some(Completion::Signed { name, signed_sha256, .. }) => {
                    (format!("Signed as {name}"), when("signed", i), "Signed PDF", Some(signed_sha256.clone()))
                }
                Some(Completion::Reviewed { sealed_sha256 }) => {
                    ("Reviewed".to_owned(), when("reviewed", i), "Sealed PDF", Some(sealed_sha256.clone()))
                }
                None => (
                    match s.action {
                        Action::Sign => "Not signed yet",
                        Action::Review => "Not reviewed yet",
                    }
                    .to_owned(),
                    None,
                    "",
                    None,
                ),
            };
            serde_json::json!({
                "step": i + 1, "title": s.kind.title(), "outcome": outcome, "at": at,
                "reviewed_sha256": s.content_sha256, "final_label": final_label, "final_sha256": final_sha,
            })
        })
        .collect();
    let events: Vec<_> = records
        .iter()
        .map(|r| {
            serde_json::json!({
                "seq": r.seq, "at": r.entry.at.replace('T', " ").replace('Z', ""), "actor": actor_label(&r.entry.actor),
                "ip": r.entry.ip, "user_agent": r.entry.user_agent, "summary": summary(&r.entry.event, packet),
                "hash": r.hash,
            })
        })
        .collect();
    let producer_id = match &packet.state.status {
        Status::Approved { producer_id } => Some(producer_id.clone()),
        _ => None,
    };
    serde_json::json!({
        "document": { "case_key": packet.case_key },
        "packet": {
            "id": packet.id, "status_label": status_label(&packet.state.status),
            "created_at": packet.created_at.replace('T', " ").replace('Z', " UTC"),
            "generated_at": rfc3339(now).replace('T', " ").replace('Z', " UTC"),
            "agency": case.agency.legal_name, "principal": case.principal.full_name(), "producer_id": producer_id,
        },
        "documents": documents,
        "events": events,
        "chain": {
            "intact": problem.is_none(), "records": records.len(),
            "head": records.last().map_or(audit::GENESIS, |r| r.hash.as_str()),
            "problem": problem.map(|p| p.to_string()),
        },
    })
}
