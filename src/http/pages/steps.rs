//! The packet's own pages: one page per step (the document page by page,
//! the progress of every step, the review button or the sign form), the
//! summary with Finish and Submit, and the status page after submission.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::flash::Flash;
use super::producer::{PageQuery, failure, load, redirect_now, where_now};
use super::{Notice, display_time, page, size_text};
use crate::audit::Record;
use crate::documents::DocumentKind;
use crate::http::AppState;
use crate::http::auth::Session;
use crate::packet::{Completion, Event, Packet, Status};
use crate::service::{ServiceError, csrf_token, status_label};
use crate::store::StoredPacket;

const TAX_CHOICES: &[(&str, &str)] = &[
    ("individual", "Individual/sole proprietor or single-member LLC"),
    ("c_corporation", "C corporation"),
    ("s_corporation", "S corporation"),
    ("partnership", "Partnership"),
    ("trust_estate", "Trust/estate"),
    ("llc", "Limited liability company"),
    ("other", "Other"),
];

/// What each document is, in the manual's words.
fn about(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::CodeOfConduct => {
            "Please read all of the information carefully. Acceptance by electronic signature is required to complete onboarding."
        }
        DocumentKind::ProducerAgreement => {
            "The contract between the agency, with you as its authorized signer, and Health Care Service Corporation. Indicate whether the agency is contracting as a partnership, corporation or other."
        }
        DocumentKind::NewMexicoAddendum => {
            "An addendum to the Standard Producer Agreement for New Mexico business rules. It does not require a signature, but must be reviewed."
        }
        DocumentKind::OklahomaAddendum => {
            "An addendum to the Standard Producer Agreement for Oklahoma business rules. It does not require a signature, but must be reviewed."
        }
        DocumentKind::MontanaAddendum => {
            "An addendum to the Standard Producer Agreement for Montana business rules. It does not require a signature, but must be reviewed."
        }
        DocumentKind::W9 => {
            "The standard tax form that validates the agency's taxpayer identification number. Choose the federal tax classification."
        }
    }
}

/// The steps as the progress indicator shows them.
pub(super) fn steps_context(p: &Packet) -> Vec<Value> {
    let next = p.next_step();
    p.steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let state = if s.done.is_some() {
                "done"
            } else if Some(i) == next && p.status == Status::InProgress {
                "current"
            } else {
                "todo"
            };
            json!({
                "number": i + 1,
                "title": s.kind.title(),
                "action": s.action,
                "state": state,
                "pages": s.pages,
            })
        })
        .collect()
}

/// The progress indicator's values, merged into a page's context.
fn progress(p: &Packet, current: Option<usize>) -> Value {
    json!({
        "steps": steps_context(p),
        "current": current,
        "finish_current": current.is_none() && finish_is_next(p),
        "finish_done": matches!(p.status, Status::Submitted | Status::InfoRequested { .. } | Status::Approved { .. }),
    })
}

/// Every step is done and the packet is not yet submitted.
fn finish_is_next(p: &Packet) -> bool {
    p.status == Status::Finished || (p.status == Status::InProgress && p.next_step().is_none())
}

/// When each step was last completed, from the audit trail.
async fn completion_times(state: &AppState, id: &str) -> BTreeMap<usize, String> {
    let Ok((records, _)) = state.service.audit_trail(id).await else { return BTreeMap::new() };
    completed_at(&records)
}

fn completed_at(records: &[Record]) -> BTreeMap<usize, String> {
    let mut at = BTreeMap::new();
    for r in records {
        if let Event::Reviewed { step, .. } | Event::Signed { step, .. } = &r.entry.event {
            at.insert(*step, display_time(&r.entry.at, false));
        }
    }
    at
}

fn done_context(done: &Completion, at: Option<&String>) -> Value {
    match done {
        Completion::Signed { name, signed_sha256, .. } => json!({"how": "signed", "name": name, "at": at, "sha256": signed_sha256}),
        Completion::Reviewed { sealed_sha256 } => json!({"how": "reviewed", "at": at, "sha256": sealed_sha256}),
    }
}

/// The page of step `n`: the document page by page, and what to do with it.
pub async fn step_page(state: &AppState, session: &Session, n: usize, query: &PageQuery, flash: Option<Flash>) -> Response {
    let packet = match load(state, session).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let p = &packet.state;
    if p.status == Status::Draft {
        return redirect_now(p, "consent_required", None);
    }
    let Some(step) = n.checked_sub(1).and_then(|i| p.steps.get(i)) else {
        return failure(&ServiceError::NotFound("step"));
    };
    let index = n - 1;
    let current = p.status == Status::InProgress && p.next_step() == Some(index);
    if step.done.is_none() && !current {
        return redirect_now(p, "out_of_order", None);
    }
    let pages = step.pages.max(1);
    let first_unseen = (1..=pages).find(|pg| !step.pages_seen.contains(pg));
    let shown = query.page().unwrap_or(if current { first_unseen.unwrap_or(1) } else { 1 }).clamp(1, pages);
    // The picture of `shown` is fetched with this page and counts as shown;
    // the life cycle still refuses the button if it never was.
    let unseen: Vec<usize> = (1..=pages).filter(|pg| !step.pages_seen.contains(pg) && *pg != shown).collect();
    let ready = step.viewed || unseen.is_empty();
    let done = match &step.done {
        Some(d) => Some(done_context(d, completion_times(state, &packet.id).await.get(&index))),
        None => None,
    };
    let (continue_href, continue_label) = continue_link(p);
    let notice = query.notice(p).or_else(|| {
        (current && p.revision > 1).then(|| {
            Notice::info(format!(
                "Your application was updated (revision {}). Documents whose content changed must be read and completed again; the others stay done.",
                p.revision
            ))
        })
    });
    let retry = flash.filter(|f| f.step == Some(n) && step.done.is_none());
    let (values, errors) = retry.map(|f| (f.values, field_messages(f.errors))).unwrap_or_default();
    let notice = if errors.is_empty() {
        notice
    } else {
        Some(Notice::error(format!("The document was not signed. {}", errors.values().cloned().collect::<Vec<_>>().join(" "))))
    };
    let width = (612.0 * crate::preview::SCALE).round() as u32;
    let height = (792.0 * crate::preview::SCALE).round() as u32;
    let mut context = json!({
        "case_key": packet.case_key,
        "n": n,
        "total": p.steps.len(),
        "title": step.kind.title(),
        "about": about(step.kind),
        "action": step.action,
        "page": shown,
        "pages": pages,
        "page_links": (1..=pages).map(|pg| json!({
            "number": pg,
            "current": pg == shown,
            "seen": step.done.is_some() || step.pages_seen.contains(&pg),
        })).collect::<Vec<_>>(),
        "prev": (shown > 1).then(|| shown - 1),
        "next": (shown < pages).then(|| shown + 1),
        "unseen": unseen,
        "ready": ready,
        "done": done,
        "current_step": current,
        "continue_href": continue_href,
        "continue_label": continue_label,
        "asks_entity": step.kind == DocumentKind::ProducerAgreement,
        "asks_tax": step.kind == DocumentKind::W9,
        "tax_choices": TAX_CHOICES,
        "form": values,
        "errors": errors,
        "csrf_token": csrf_token(&session.token),
        "notice": notice,
        "img_width": width,
        "img_height": height,
        "show_progress": matches!(p.status, Status::InProgress | Status::Finished),
    });
    merge(&mut context, progress(p, Some(n)));
    page(StatusCode::OK, "step.html.j2", &context)
}

/// A rule as a sentence: capital first letter, full stop.
fn capitalised(rule: &str) -> String {
    let rule = rule.trim_end_matches('.');
    let mut chars = rule.chars();
    let first: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

/// The service's field rules as sentences that name the field as the page does.
fn field_messages(errors: BTreeMap<String, String>) -> BTreeMap<String, String> {
    errors
        .into_iter()
        .map(|(field, rule)| {
            let label = match field.as_str() {
                "entity_type" => "The agency's entity type",
                "tax_classification" => "The federal tax classification",
                "llc_class" => "The LLC's tax classification",
                "name" => "Your typed name",
                _ => "This field",
            };
            let rule = rule.trim_end_matches('.');
            let sentence = if rule.starts_with("is ") {
                format!("{label} {rule}.")
            } else if let Some(rest) = rule.strip_prefix("the signature must be the principal's name: type ") {
                format!("Your typed name must be the principal's name: type {rest}.")
            } else {
                format!("{label}: {}", capitalised(rule))
            };
            (field, sentence)
        })
        .collect()
}

fn continue_link(p: &Packet) -> (String, String) {
    let href = where_now(p);
    let label = match &p.status {
        Status::InProgress => match p.next_step() {
            Some(i) => format!("Continue to step {}: {}", i + 1, p.steps[i].kind.title()),
            None => "Continue to Finish".into(),
        },
        Status::Finished => "Continue to Submit".into(),
        Status::Draft => "Continue".into(),
        _ => "Back to status".into(),
    };
    (href, label)
}

fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

/// Each document with how and when it was completed and its hash.
async fn summary(state: &AppState, packet: &StoredPacket) -> Vec<Value> {
    let times = completion_times(state, &packet.id).await;
    packet
        .state
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut row = json!({"number": i + 1, "title": s.kind.title()});
            if let Some(done) = &s.done {
                merge(&mut row, done_context(done, times.get(&i)));
            }
            row
        })
        .collect()
}

/// `GET /s/finish`: the summary with Finish, then with Submit.
pub async fn finish_page(state: &AppState, session: &Session, query: &PageQuery) -> Response {
    let packet = match load(state, session).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let p = &packet.state;
    if !finish_is_next(p) {
        return redirect_now(p, if p.status == Status::InProgress { "incomplete" } else { "" }, None);
    }
    let mut context = json!({
        "case_key": packet.case_key,
        "finished": p.status == Status::Finished,
        "documents": summary(state, &packet).await,
        "csrf_token": csrf_token(&session.token),
        "notice": query.notice(p),
    });
    merge(&mut context, progress(p, None));
    page(StatusCode::OK, "finish.html.j2", &context)
}

/// `GET /s/status`: after submission — the status, what happens next, the
/// documents read-only, and during an information request the upload form
/// and Resubmit.
pub async fn status_page(state: &AppState, session: &Session, query: &PageQuery, upload_error: Option<String>) -> Response {
    let packet = match load(state, session).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let p = &packet.state;
    let (heading, paragraphs): (&str, Vec<String>) = match &p.status {
        Status::Draft | Status::InProgress | Status::Finished => return redirect_now(p, "", None),
        Status::Submitted => (
            "Your packet is in HCSC Review",
            vec![
                "Your documents were sent to the Producer Administration team for processing.".into(),
                "Within three to five business days after receiving all required documents, your onboarding packet should be approved. You will then receive a Welcome Letter by email with your nine-digit producer identification number. Keep it safe: it is used in every sales and administrative transaction.".into(),
                "If Producer Administration needs anything more, you will receive an email describing it, and this page will let you provide it.".into(),
            ],
        ),
        Status::InfoRequested { .. } => (
            "Additional information needed",
            vec!["Our review of your submitted information is nearly complete, but Producer Administration needs more from you before it can approve your packet.".into()],
        ),
        Status::Approved { producer_id } => (
            "Your packet is approved",
            vec![
                format!("Welcome! Your nine-digit producer identification number is {producer_id}."),
                "It is used in every sales and administrative transaction. Your Welcome Letter with this number was sent by email.".into(),
            ],
        ),
    };
    let notice = match &upload_error {
        Some(message) => Some(Notice::error(format!("The file was not uploaded: {message}."))),
        None => query.notice(p),
    };
    let info_request = match &p.status {
        Status::InfoRequested { request } => Some(request.clone()),
        _ => None,
    };
    page(
        StatusCode::OK,
        "status.html.j2",
        &json!({
            "case_key": packet.case_key,
            "heading": heading,
            "paragraphs": paragraphs,
            "status_label": status_label(&p.status),
            "info_request": info_request,
            "upload": p.upload.as_ref().map(|u| json!({"filename": u.filename, "size_text": size_text(u.size)})),
            "upload_error": upload_error.as_deref().map(capitalised),
            "documents": summary(state, &packet).await,
            "csrf_token": csrf_token(&session.token),
            "notice": notice,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_rules_read_as_sentences() {
        let errors = BTreeMap::from([
            ("entity_type".to_owned(), "is required to sign the Producer Agreement (partnership, corporation or other)".to_owned()),
            ("name".to_owned(), "the signature must be the principal's name: type \"Charles Ray\"".to_owned()),
            ("llc_class".to_owned(), "choose C, S or P for a limited liability company".to_owned()),
        ]);
        let m = field_messages(errors);
        assert_eq!(m["entity_type"], "The agency's entity type is required to sign the Producer Agreement (partnership, corporation or other).");
        assert_eq!(m["name"], "Your typed name must be the principal's name: type \"Charles Ray\".");
        assert_eq!(m["llc_class"], "The LLC's tax classification: Choose C, S or P for a limited liability company.");
    }
}
