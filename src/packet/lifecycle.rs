//! The packet's life (spec §4) as a pure state machine: [`apply`] takes a
//! packet and an action and returns the next packet with the one audit event
//! the change produces, or refuses. No I/O, no clock: storage persists the
//! result with a conditional update on the previous state.
//!
//! `draft → in_progress → finished → submitted ("HCSC Review") →
//! info_requested → submitted → approved`. Consent comes first; steps complete
//! strictly in order; editing the case before submission replaces the
//! documents and voids every review and signature; a submitted packet is
//! locked until more information is requested.

use serde::{Deserialize, Serialize};

use crate::documents::{Action, DocumentKind};

/// Where a packet is in its life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Created; the producer has not consented yet.
    Draft,
    /// Consent given; steps under way.
    InProgress,
    /// Every step done; ready to submit.
    Finished,
    /// Sent to Producer Administration ("HCSC Review").
    Submitted,
    /// Producer Administration asked for more.
    InfoRequested {
        /// What was asked, for the producer.
        request: String,
    },
    /// Approved with the producer identification number.
    Approved {
        /// The nine-digit producer id.
        producer_id: String,
    },
}

/// How a step was completed, with the hash of what the producer saw or signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum Completion {
    /// Review confirmed after the whole document was shown; the review copy
    /// was then sealed (no visible stamp) so it is tamper-evident too.
    Reviewed {
        /// SHA-256 of the sealed PDF.
        sealed_sha256: String,
    },
    /// Signed with this typed name.
    Signed {
        /// The typed signature.
        name: String,
        /// SHA-256 of the review copy the producer was shown; must be the
        /// step's current content.
        reviewed_sha256: String,
        /// SHA-256 of the copy that was sealed: the review copy with the
        /// signing-time choices filled in (the same bytes when there are none).
        /// It is a byte prefix of the signed PDF.
        sealed_copy_sha256: String,
        /// SHA-256 of the signed PDF.
        signed_sha256: String,
    },
}

impl Completion {
    /// SHA-256 of the PDF the completion stored: the signed PDF, or the
    /// sealed review copy.
    pub fn stored_sha256(&self) -> &str {
        match self {
            Completion::Reviewed { sealed_sha256 } => sealed_sha256,
            Completion::Signed { signed_sha256, .. } => signed_sha256,
        }
    }
}

/// One document step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Which document.
    pub kind: DocumentKind,
    /// Sign or review.
    pub action: Action,
    /// SHA-256 of the review copy the step is about.
    pub content_sha256: String,
    /// Whether the whole document was shown (needed before completing).
    pub viewed: bool,
    /// How many pages the review copy has.
    #[serde(default)]
    pub pages: usize,
    /// The pages shown so far (1-based, ascending), when shown page by page.
    #[serde(default)]
    pub pages_seen: Vec<usize>,
    /// How it was completed.
    pub done: Option<Completion>,
}

/// A document of a (re-)rendered case: what a step is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRef {
    /// Which document.
    pub kind: DocumentKind,
    /// Sign or review.
    pub action: Action,
    /// SHA-256 of its review copy.
    pub sha256: String,
    /// Its page count.
    #[serde(default)]
    pub pages: usize,
}

/// The packet's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packet {
    /// Life-cycle status.
    pub status: Status,
    /// Hash of the consent text agreed to, once given.
    pub consent: Option<String>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Incremented by every case edit.
    pub revision: u32,
    /// The E&O declaration page (or another requested document), if uploaded.
    #[serde(default)]
    pub upload: Option<Upload>,
}

/// An uploaded file, stored content-addressed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Media type decided from the bytes.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// The name the client gave it (for people; never trusted for the type).
    pub filename: String,
}

/// A review copy and the seal made on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// SHA-256 of the review copy that was sealed.
    pub reviewed_sha256: String,
    /// SHA-256 of the sealed PDF.
    pub sealed_sha256: String,
}

/// What someone asks the packet to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Agree to electronic records and signatures (hash of the consent text).
    Consent(String),
    /// The whole document of step `n` (0-based) was shown; its bytes hashed to this.
    Viewed(usize, String),
    /// Page `page` (1-based) of step `n` was shown; the review copy it was
    /// drawn from hashed to this. Showing the last unseen page makes the
    /// step viewed.
    PageShown(usize, usize, String),
    /// Confirm review of step `n`: the review copy that was sealed (must be
    /// the step's current content) and the sealed copy's hash.
    ConfirmReview(usize, Sealed),
    /// Sign step `n` (the caller has checked the name and sealed the PDF).
    Sign(usize, Completion),
    /// Finish after the last step.
    Finish,
    /// Submit for review.
    Submit,
    /// The case was edited and re-rendered into these documents.
    EditCase(Vec<DocumentRef>),
    /// Producer Administration asks for more information.
    RequestInfo(String),
    /// The producer resubmits.
    Resubmit,
    /// Producer Administration approves with this producer id.
    Approve(String),
    /// A file was uploaded (it replaces an earlier one).
    Upload(Upload),
}

/// The audit event a change produces (exactly one per successful request),
/// and the events that record access without changing the packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The packet was created from a case.
    Created {
        /// The case key.
        case_key: String,
        /// The documents rendered, with their hashes.
        documents: Vec<DocumentRef>,
    },
    /// A signing link was issued.
    LinkIssued {
        /// When it stops working (RFC 3339).
        expires_at: String,
    },
    /// A signing link was redeemed and a session opened.
    LinkOpened,
    /// A new file was uploaded.
    Uploaded {
        /// Its hash.
        sha256: String,
        /// Its media type.
        media_type: String,
        /// The hash of the file it replaces, kept in storage.
        replaced: Option<String>,
    },
    /// Consent given.
    ConsentGiven {
        /// Consent text hash.
        consent_sha256: String,
    },
    /// A document was shown in full.
    Viewed {
        /// Step index.
        step: usize,
        /// Hash of the bytes served.
        sha256: String,
    },
    /// One page of a document was shown.
    PageViewed {
        /// Step index.
        step: usize,
        /// Page, from 1.
        page: usize,
        /// Hash of the review copy the page was drawn from.
        sha256: String,
        /// Every page has now been shown.
        all_seen: bool,
    },
    /// A review was confirmed.
    Reviewed {
        /// Step index.
        step: usize,
        /// Hash of the reviewed copy.
        sha256: String,
        /// Hash of the sealed copy.
        sealed_sha256: String,
    },
    /// A document was signed.
    Signed {
        /// Step index.
        step: usize,
        /// The typed signature.
        name: String,
        /// Hash of the reviewed copy.
        reviewed_sha256: String,
        /// Hash of the copy sealed (with the signing-time choices).
        sealed_copy_sha256: String,
        /// Hash of the signed PDF.
        signed_sha256: String,
    },
    /// All steps done.
    Finished,
    /// Submitted for review.
    Submitted,
    /// The case was edited; these many completions were voided.
    CaseEdited {
        /// New revision.
        revision: u32,
        /// Reviews and signatures voided.
        voided: usize,
    },
    /// More information requested.
    InfoRequested {
        /// The request.
        request: String,
    },
    /// Resubmitted.
    Resubmitted,
    /// Approved.
    Approved {
        /// Producer id.
        producer_id: String,
    },
}

/// Why a request is refused (HTTP 409 unless noted).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Nothing can happen before consent.
    #[error("consent to electronic records and signatures comes first")]
    NoConsent,
    /// A later step was attempted before an earlier one.
    #[error("step {attempted} cannot be completed before step {next}")]
    OutOfOrder {
        /// The step asked for (1-based).
        attempted: usize,
        /// The step that comes first (1-based).
        next: usize,
    },
    /// The step is already complete (a second window, a double click).
    #[error("step {0} is already complete")]
    AlreadyDone(usize),
    /// No such step (404).
    #[error("there is no step {0}")]
    NoSuchStep(usize),
    /// No such page in a step's document (404).
    #[error("step {0} has no page {1}")]
    NoSuchPage(usize, usize),
    /// The document was not shown in full yet.
    #[error("step {0} must be shown in full before it is completed")]
    NotViewed(usize),
    /// The bytes shown are not the step's current review copy.
    #[error("the document shown for step {0} is not its current version")]
    StaleView(usize),
    /// Review confirmed on a sign step or signature on a review step.
    #[error("step {0} is {1}, not that")]
    WrongAction(usize, &'static str),
    /// Finish with steps left.
    #[error("{0} step(s) are not complete yet")]
    Incomplete(usize),
    /// The request does not fit the packet's status.
    #[error("not possible while the packet is {0}")]
    WrongStatus(&'static str),
    /// Producer id is not nine digits (422).
    #[error("the producer identification number must be nine digits")]
    BadProducerId,
}

impl Status {
    /// The status name as the API spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InProgress => "in_progress",
            Status::Finished => "finished",
            Status::Submitted => "submitted",
            Status::InfoRequested { .. } => "info_requested",
            Status::Approved { .. } => "approved",
        }
    }
}

impl Packet {
    /// A new packet for the documents of a rendered case.
    pub fn new(documents: Vec<DocumentRef>) -> Self {
        Self { status: Status::Draft, consent: None, steps: steps_for(documents), revision: 1, upload: None }
    }

    /// The first step not yet complete (0-based).
    pub fn next_step(&self) -> Option<usize> {
        self.steps.iter().position(|s| s.done.is_none())
    }
}

fn steps_for(documents: Vec<DocumentRef>) -> Vec<Step> {
    documents
        .into_iter()
        .map(|d| Step {
            kind: d.kind,
            action: d.action,
            content_sha256: d.sha256,
            viewed: false,
            pages: d.pages,
            pages_seen: Vec::new(),
            done: None,
        })
        .collect()
}

/// Applies a request: the next packet and its one audit event, or a refusal
/// that leaves the packet as it was.
///
/// # Errors
/// A [`Refusal`] saying why.
pub fn apply(packet: &Packet, request: &Request) -> Result<(Packet, Event), Refusal> {
    let mut next = packet.clone();
    let editable = matches!(packet.status, Status::Draft | Status::InProgress | Status::Finished);
    let event = match request {
        Request::Consent(hash) => {
            if packet.consent.is_some() {
                return Err(Refusal::WrongStatus("already consented"));
            }
            if !editable && !matches!(packet.status, Status::InfoRequested { .. }) {
                return Err(Refusal::WrongStatus(packet.status.name()));
            }
            next.consent = Some(hash.clone());
            if next.status == Status::Draft {
                next.status = Status::InProgress;
            }
            Event::ConsentGiven { consent_sha256: hash.clone() }
        }
        Request::Viewed(n, sha256) => {
            let step = step_open(packet, *n)?;
            if step.content_sha256 != *sha256 {
                return Err(Refusal::StaleView(n + 1));
            }
            next.steps[*n].viewed = true;
            Event::Viewed { step: *n, sha256: sha256.clone() }
        }
        Request::PageShown(n, page, sha256) => {
            let step = step_open(packet, *n)?;
            if step.content_sha256 != *sha256 {
                return Err(Refusal::StaleView(n + 1));
            }
            if *page == 0 || *page > step.pages {
                return Err(Refusal::NoSuchPage(n + 1, *page));
            }
            let seen = &mut next.steps[*n].pages_seen;
            if let Err(at) = seen.binary_search(page) {
                seen.insert(at, *page);
            }
            let all_seen = seen.len() == step.pages;
            if all_seen {
                next.steps[*n].viewed = true;
            }
            Event::PageViewed { step: *n, page: *page, sha256: sha256.clone(), all_seen }
        }
        Request::ConfirmReview(n, Sealed { reviewed_sha256, sealed_sha256 }) => {
            let step = step_in_order(packet, *n)?;
            if step.action != Action::Review {
                return Err(Refusal::WrongAction(n + 1, "a sign step"));
            }
            if *reviewed_sha256 != step.content_sha256 {
                return Err(Refusal::StaleView(n + 1));
            }
            next.steps[*n].done = Some(Completion::Reviewed { sealed_sha256: sealed_sha256.clone() });
            Event::Reviewed { step: *n, sha256: step.content_sha256.clone(), sealed_sha256: sealed_sha256.clone() }
        }
        Request::Sign(n, completion) => {
            let step = step_in_order(packet, *n)?;
            let Completion::Signed { name, reviewed_sha256, sealed_copy_sha256, signed_sha256 } = completion else {
                return Err(Refusal::WrongAction(n + 1, "signed, not reviewed"));
            };
            if step.action != Action::Sign {
                return Err(Refusal::WrongAction(n + 1, "a review step"));
            }
            if *reviewed_sha256 != step.content_sha256 {
                return Err(Refusal::StaleView(n + 1));
            }
            next.steps[*n].done = Some(completion.clone());
            Event::Signed {
                step: *n,
                name: name.clone(),
                reviewed_sha256: reviewed_sha256.clone(),
                sealed_copy_sha256: sealed_copy_sha256.clone(),
                signed_sha256: signed_sha256.clone(),
            }
        }
        Request::Finish => {
            if packet.status != Status::InProgress {
                return Err(Refusal::WrongStatus(packet.status.name()));
            }
            let left = packet.steps.iter().filter(|s| s.done.is_none()).count();
            if left > 0 {
                return Err(Refusal::Incomplete(left));
            }
            next.status = Status::Finished;
            Event::Finished
        }
        Request::Submit => {
            if packet.status != Status::Finished {
                return Err(Refusal::WrongStatus(packet.status.name()));
            }
            next.status = Status::Submitted;
            Event::Submitted
        }
        Request::EditCase(documents) => {
            if !editable && !matches!(packet.status, Status::InfoRequested { .. }) {
                return Err(Refusal::WrongStatus(packet.status.name()));
            }
            // Completions stand on the longest run of leading steps whose
            // content did not change; everything from the first changed step
            // on is voided, since steps run strictly in order.
            let mut fresh = steps_for(documents.clone());
            let kept = packet
                .steps
                .iter()
                .zip(&fresh)
                .take_while(|(old, new)| old.kind == new.kind && old.content_sha256 == new.content_sha256)
                .count();
            fresh[..kept].clone_from_slice(&packet.steps[..kept]);
            let voided = packet.steps[kept..].iter().filter(|s| s.done.is_some() || s.viewed).count();
            next.steps = fresh;
            next.revision = packet.revision + 1;
            // Steps left to do put the packet back in progress; an edit that
            // leaves every step complete keeps the status (an open
            // information request stays open).
            if packet.consent.is_some() && next.steps.iter().any(|s| s.done.is_none()) {
                next.status = Status::InProgress;
            }
            Event::CaseEdited { revision: next.revision, voided }
        }
        Request::RequestInfo(text) => {
            if packet.status != Status::Submitted {
                return Err(Refusal::WrongStatus(packet.status.name()));
            }
            next.status = Status::InfoRequested { request: text.clone() };
            Event::InfoRequested { request: text.clone() }
        }
        Request::Resubmit => {
            if !matches!(packet.status, Status::InfoRequested { .. }) {
                return Err(Refusal::WrongStatus(packet.status.name()));
            }
            next.status = Status::Submitted;
            Event::Resubmitted
        }
        Request::Approve(id) => {
            if packet.status != Status::Submitted {
                return Err(Refusal::WrongStatus(packet.status.name()));
            }
            if id.len() != 9 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Refusal::BadProducerId);
            }
            next.status = Status::Approved { producer_id: id.clone() };
            Event::Approved { producer_id: id.clone() }
        }
        Request::Upload(upload) => {
            if !editable && !matches!(packet.status, Status::InfoRequested { .. }) {
                return Err(Refusal::WrongStatus(packet.status.name()));
            }
            next.upload = Some(upload.clone());
            Event::Uploaded {
                sha256: upload.sha256.clone(),
                media_type: upload.media_type.clone(),
                replaced: packet.upload.as_ref().map(|u| u.sha256.clone()),
            }
        }
    };
    Ok((next, event))
}

/// A step that may be viewed now: consent given, not submitted, exists, not done.
fn step_open(packet: &Packet, n: usize) -> Result<&Step, Refusal> {
    if packet.consent.is_none() {
        return Err(Refusal::NoConsent);
    }
    if packet.status != Status::InProgress {
        return Err(Refusal::WrongStatus(packet.status.name()));
    }
    let step = packet.steps.get(n).ok_or(Refusal::NoSuchStep(n + 1))?;
    if step.done.is_some() {
        return Err(Refusal::AlreadyDone(n + 1));
    }
    Ok(step)
}

/// A step that may be completed now: open, next in order, shown in full.
fn step_in_order(packet: &Packet, n: usize) -> Result<&Step, Refusal> {
    let step = step_open(packet, n)?;
    let next = packet.next_step().unwrap_or(n);
    if n != next {
        return Err(Refusal::OutOfOrder { attempted: n + 1, next: next + 1 });
    }
    if !step.viewed {
        return Err(Refusal::NotViewed(n + 1));
    }
    Ok(step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn docs(version: u8) -> Vec<DocumentRef> {
        let kinds = [DocumentKind::CodeOfConduct, DocumentKind::ProducerAgreement, DocumentKind::NewMexicoAddendum, DocumentKind::W9];
        kinds
            .iter()
            .map(|k| DocumentRef { kind: *k, action: k.action(), sha256: format!("{}-v{version}", k.slug()), pages: 2 })
            .collect()
    }

    fn sealed(p: &Packet, n: usize) -> Sealed {
        Sealed { reviewed_sha256: p.steps[n].content_sha256.clone(), sealed_sha256: "sealed".into() }
    }

    fn signed(p: &Packet, n: usize) -> Completion {
        let reviewed = p.steps.get(n).map_or_else(String::new, |s| s.content_sha256.clone());
        Completion::Signed {
            name: "Charles Ray".into(),
            sealed_copy_sha256: format!("{reviewed}+choices"),
            reviewed_sha256: reviewed,
            signed_sha256: "s".into(),
        }
    }

    fn complete(p: &Packet, n: usize) -> Packet {
        let (p, _) = apply(p, &Request::Viewed(n, p.steps[n].content_sha256.clone())).unwrap();
        let req = if p.steps[n].action == Action::Sign { Request::Sign(n, signed(&p, n)) } else { Request::ConfirmReview(n, sealed(&p, n)) };
        apply(&p, &req).unwrap().0
    }

    #[test]
    fn the_whole_life() {
        let mut p = Packet::new(docs(1));
        assert_eq!(apply(&p, &Request::Viewed(0, "code-of-conduct-v1".into())), Err(Refusal::NoConsent));
        p = apply(&p, &Request::Consent("consent".into())).unwrap().0;
        assert_eq!(p.status, Status::InProgress);
        assert_eq!(apply(&p, &Request::Finish), Err(Refusal::Incomplete(4)));
        for n in 0..4 {
            p = complete(&p, n);
        }
        p = apply(&p, &Request::Finish).unwrap().0;
        p = apply(&p, &Request::Submit).unwrap().0;
        assert_eq!(apply(&p, &Request::EditCase(docs(2))), Err(Refusal::WrongStatus("submitted")));
        p = apply(&p, &Request::RequestInfo("E&O declaration page".into())).unwrap().0;
        p = apply(&p, &Request::Resubmit).unwrap().0;
        assert_eq!(apply(&p, &Request::Approve("12345678".into())), Err(Refusal::BadProducerId));
        let (p, event) = apply(&p, &Request::Approve("123456789".into())).unwrap();
        assert_eq!(event, Event::Approved { producer_id: "123456789".into() });
        assert_eq!(p.status.name(), "approved");
    }

    #[test]
    fn steps_run_in_order_and_once() {
        let mut p = apply(&Packet::new(docs(1)), &Request::Consent("c".into())).unwrap().0;
        p = apply(&p, &Request::Viewed(1, "producer-agreement-v1".into())).unwrap().0;
        assert_eq!(apply(&p, &Request::Sign(1, signed(&p, 1))), Err(Refusal::OutOfOrder { attempted: 2, next: 1 }));
        assert_eq!(apply(&p, &Request::Sign(0, signed(&p, 0))), Err(Refusal::NotViewed(1)));
        assert_eq!(apply(&p, &Request::Viewed(0, "stale".into())), Err(Refusal::StaleView(1)));
        p = complete(&p, 0);
        assert_eq!(apply(&p, &Request::Sign(0, signed(&p, 0))), Err(Refusal::AlreadyDone(1)));
        assert_eq!(apply(&p, &Request::ConfirmReview(1, sealed(&p, 1))), Err(Refusal::WrongAction(2, "a sign step")));
        assert_eq!(apply(&p, &Request::Viewed(9, "x".into())), Err(Refusal::NoSuchStep(10)));
    }

    #[test]
    fn editing_keeps_completions_on_unchanged_leading_content() {
        let mut p = apply(&Packet::new(docs(1)), &Request::Consent("c".into())).unwrap().0;
        p = complete(&complete(&p, 0), 1);
        let mut edited = docs(1);
        edited[1].sha256 = "producer-agreement-v2".into();
        let (p, event) = apply(&p, &Request::EditCase(edited)).unwrap();
        assert_eq!(event, Event::CaseEdited { revision: 2, voided: 1 });
        assert!(p.steps[0].done.is_some());
        assert!(p.steps[1].done.is_none() && !p.steps[1].viewed);
    }

    #[test]
    fn showing_every_page_makes_a_step_viewed() {
        let mut p = apply(&Packet::new(docs(1)), &Request::Consent("c".into())).unwrap().0;
        let sha = p.steps[0].content_sha256.clone();
        p = apply(&p, &Request::PageShown(0, 2, sha.clone())).unwrap().0;
        assert!(!p.steps[0].viewed);
        assert_eq!(apply(&p, &Request::Sign(0, signed(&p, 0))), Err(Refusal::NotViewed(1)));
        assert_eq!(apply(&p, &Request::PageShown(0, 3, sha.clone())), Err(Refusal::NoSuchPage(1, 3)));
        assert_eq!(apply(&p, &Request::PageShown(0, 1, "old".into())), Err(Refusal::StaleView(1)));
        let (p, event) = apply(&p, &Request::PageShown(0, 1, sha.clone())).unwrap();
        assert_eq!(event, Event::PageViewed { step: 0, page: 1, sha256: sha, all_seen: true });
        assert!(p.steps[0].viewed);
        assert_eq!(p.steps[0].pages_seen, vec![1, 2]);
    }

    #[test]
    fn a_signature_on_a_stale_review_copy_is_refused() {
        let mut p = apply(&Packet::new(docs(1)), &Request::Consent("c".into())).unwrap().0;
        p = complete(&p, 0);
        p = apply(&p, &Request::Viewed(1, "producer-agreement-v1".into())).unwrap().0;
        let stale = Completion::Signed {
            name: "Charles Ray".into(),
            reviewed_sha256: "producer-agreement-v0".into(),
            sealed_copy_sha256: "x".into(),
            signed_sha256: "s".into(),
        };
        assert_eq!(apply(&p, &Request::Sign(1, stale)), Err(Refusal::StaleView(2)));
    }

    #[test]
    fn an_edit_that_changes_no_document_keeps_an_information_request_open() {
        let mut p = apply(&Packet::new(docs(1)), &Request::Consent("c".into())).unwrap().0;
        for n in 0..4 {
            p = complete(&p, n);
        }
        for r in [Request::Finish, Request::Submit, Request::RequestInfo("more".into())] {
            p = apply(&p, &r).unwrap().0;
        }
        let (same, _) = apply(&p, &Request::EditCase(docs(1))).unwrap();
        assert_eq!(same.status, Status::InfoRequested { request: "more".into() });
        let (changed, _) = apply(&p, &Request::EditCase(docs(2))).unwrap();
        assert_eq!(changed.status, Status::InProgress);
    }

    #[test]
    fn editing_voids_reviews_and_signatures() {
        let mut p = apply(&Packet::new(docs(1)), &Request::Consent("c".into())).unwrap().0;
        p = complete(&complete(&p, 0), 1);
        let (p, event) = apply(&p, &Request::EditCase(docs(2))).unwrap();
        assert_eq!(event, Event::CaseEdited { revision: 2, voided: 2 });
        assert!(p.steps.iter().all(|s| s.done.is_none() && !s.viewed));
        assert_eq!(p.status, Status::InProgress);
    }

    fn request() -> impl Strategy<Value = Request> {
        prop_oneof![
            Just(Request::Consent("consent".into())),
            (0usize..5, 0u8..3).prop_map(|(n, v)| Request::Viewed(n, format!("{}-v{v}", docs(1).get(n).map_or("none", |d| d.kind.slug())))),
            (0usize..5, 0usize..4, 1u8..3).prop_map(|(n, page, v)| Request::PageShown(
                n,
                page,
                format!("{}-v{v}", docs(1).get(n).map_or("none", |d| d.kind.slug())),
            )),
            (0usize..5, 1u8..3).prop_map(|(n, v)| Request::ConfirmReview(n, Sealed {
                reviewed_sha256: format!("{}-v{v}", docs(1).get(n).map_or("none", |d| d.kind.slug())),
                sealed_sha256: "sealed".into(),
            })),
            (0usize..5, 1u8..3).prop_map(|(n, v)| {
                let reviewed = format!("{}-v{v}", docs(1).get(n).map_or("none", |d| d.kind.slug()));
                Request::Sign(n, Completion::Signed {
                    name: "Charles Ray".into(),
                    sealed_copy_sha256: reviewed.clone(),
                    reviewed_sha256: reviewed,
                    signed_sha256: "s".into(),
                })
            }),
            (0u8..3).prop_map(|v| Request::Upload(Upload {
                sha256: format!("upload-{v}"),
                media_type: "application/pdf".into(),
                size: 10,
                filename: "eo.pdf".into(),
            })),
            Just(Request::Finish),
            Just(Request::Submit),
            (1u8..3).prop_map(|v| Request::EditCase(docs(v))),
            Just(Request::RequestInfo("more".into())),
            Just(Request::Resubmit),
            prop_oneof![Just("123456789".to_owned()), Just("12".to_owned())].prop_map(Request::Approve),
        ]
    }

    proptest! {
        #[test]
        fn invariants_hold_for_any_sequence(requests in proptest::collection::vec(request(), 0..60)) {
            let mut packet = Packet::new(docs(1));
            // The content each completion was made on.
            let mut completed_on: Vec<Option<String>> = vec![None; packet.steps.len()];
            let mut events = 0usize;
            let mut successes = 0usize;
            for request in &requests {
                let before = packet.clone();
                match apply(&packet, request) {
                    Ok((next, _event)) => {
                        successes += 1;
                        events += 1;
                        // A submitted (or approved) packet's documents never change.
                        if matches!(before.status, Status::Submitted | Status::Approved { .. }) {
                            prop_assert_eq!(&next.steps, &before.steps);
                            prop_assert_eq!(&next.consent, &before.consent);
                        }
                        if matches!(before.status, Status::Approved { .. }) {
                            prop_assert!(false, "an approved packet accepted {:?}", request);
                        }
                        if next.steps.len() != completed_on.len() || next.revision != before.revision {
                            completed_on = vec![None; next.steps.len()];
                        }
                        for (i, s) in next.steps.iter().enumerate() {
                            if s.done.is_some() && completed_on[i].is_none() {
                                completed_on[i] = Some(s.content_sha256.clone());
                            }
                        }
                        packet = next;
                    }
                    Err(_) => prop_assert_eq!(&packet, &before),
                }
                // Completed steps form a prefix: nothing completes out of order.
                let first_open = packet.next_step().unwrap_or(packet.steps.len());
                prop_assert!(packet.steps[first_open..].iter().all(|s| s.done.is_none()));
                // No review or signature survives a content change.
                for (i, s) in packet.steps.iter().enumerate() {
                    if s.done.is_some() {
                        prop_assert_eq!(completed_on[i].as_deref(), Some(s.content_sha256.as_str()));
                    }
                }
                // Nothing completes without consent.
                if packet.consent.is_none() {
                    prop_assert!(packet.steps.iter().all(|s| s.done.is_none()));
                }
            }
            // Exactly one audit event per accepted request.
            prop_assert_eq!(events, successes);
        }
    }
}
