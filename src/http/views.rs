//! The JSON shapes of a packet, for the portal and for the producer.

use serde::Serialize;

use crate::documents::Action;
use crate::packet::{Completion, Status, Upload};
use crate::service::status_label;
use crate::store::StoredPacket;

/// A packet as the API shows it. No SSN, EIN or bank digits: those stay in
/// the stored case and the rendered PDFs.
#[derive(Serialize)]
pub struct PacketView {
    id: String,
    case_key: String,
    status: &'static str,
    status_label: &'static str,
    revision: u32,
    consent_given: bool,
    info_request: Option<String>,
    producer_id: Option<String>,
    created_at: String,
    updated_at: String,
    steps: Vec<StepView>,
    upload: Option<Upload>,
    links: PacketLinks,
}

#[derive(Serialize)]
struct StepView {
    step: usize,
    document: &'static str,
    title: &'static str,
    action: Action,
    state: &'static str,
    viewed: bool,
    pages: usize,
    pages_seen: Vec<usize>,
    outcome: Option<&'static str>,
    signed_as: Option<String>,
    review_sha256: String,
    signed_sha256: Option<String>,
    links: StepLinks,
}

#[derive(Serialize)]
struct StepLinks {
    review: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signed: Option<String>,
}

#[derive(Serialize)]
struct PacketLinks {
    #[serde(rename = "self")]
    this: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    audit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<String>,
}

/// Whose view: the portal's links point into `/api/v1`, the producer's into `/s`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The onboarding portal.
    Portal,
    /// The producer in a session.
    Producer,
}

impl PacketView {
    /// Builds the view.
    pub fn new(p: &StoredPacket, audience: Audience) -> Self {
        let next = p.state.next_step();
        let api = format!("/api/v1/packets/{}", p.id);
        let steps = p
            .state
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (outcome, signed_as, signed_sha256) = match &s.done {
                    Some(Completion::Signed { name, signed_sha256, .. }) => {
                        (Some("signed"), Some(name.clone()), Some(signed_sha256.clone()))
                    }
                    Some(Completion::Reviewed { sealed_sha256 }) => (Some("reviewed"), None, Some(sealed_sha256.clone())),
                    None => (None, None, None),
                };
                let links = match audience {
                    Audience::Portal => StepLinks {
                        review: format!("{api}/documents/{}?copy=review", s.kind.slug()),
                        page: None,
                        signed: signed_sha256.as_ref().map(|_| format!("{api}/documents/{}?copy=signed", s.kind.slug())),
                    },
                    Audience::Producer => StepLinks {
                        review: format!("/s/steps/{}/document", i + 1),
                        page: Some(format!("/s/steps/{}/pages/{{page}}", i + 1)),
                        signed: None,
                    },
                };
                StepView {
                    step: i + 1,
                    document: s.kind.slug(),
                    title: s.kind.title(),
                    action: s.action,
                    state: if s.done.is_some() {
                        "done"
                    } else if Some(i) == next {
                        "current"
                    } else {
                        "todo"
                    },
                    viewed: s.viewed,
                    pages: s.pages,
                    pages_seen: s.pages_seen.clone(),
                    outcome,
                    signed_as,
                    review_sha256: s.content_sha256.clone(),
                    signed_sha256,
                    links,
                }
            })
            .collect();
        let links = match audience {
            Audience::Portal => PacketLinks {
                this: api.clone(),
                audit: Some(format!("{api}/audit")),
                certificate: Some(format!("{api}/certificate")),
                verification: Some(format!("{api}/verification")),
            },
            Audience::Producer => PacketLinks { this: "/s/packet".into(), audit: None, certificate: None, verification: None },
        };
        Self {
            id: p.id.clone(),
            case_key: p.case_key.clone(),
            status: p.state.status.name(),
            status_label: status_label(&p.state.status),
            revision: p.state.revision,
            consent_given: p.state.consent.is_some(),
            info_request: match &p.state.status {
                Status::InfoRequested { request } => Some(request.clone()),
                _ => None,
            },
            producer_id: match &p.state.status {
                Status::Approved { producer_id } => Some(producer_id.clone()),
                _ => None,
            },
            created_at: p.created_at.clone(),
            updated_at: p.updated_at.clone(),
            steps,
            upload: p.state.upload.clone(),
            links,
        }
    }
}
