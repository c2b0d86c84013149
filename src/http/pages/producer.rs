//! The producer's way through the pages: where the packet stands and which
//! page that is, the notices redirects carry, the link's landing page,
//! consent, and the dead ends (a link that no longer works, an ended
//! session) with what to do next. The step, finish and status pages are in
//! [`super::steps`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::{Notice, Problem, page};
use crate::documents::Action;
use crate::http::AppState;
use crate::http::auth::Session;
use crate::packet::{Packet, Status};
use crate::service::{ServiceError, consent_text, csrf_token};
use crate::store::{LinkRefusal, StoredPacket};

/// The page a producer should be on now, given where the packet stands.
pub fn where_now(p: &Packet) -> String {
    match &p.status {
        Status::Draft => "/s/consent".into(),
        Status::InProgress => match p.next_step() {
            Some(i) => format!("/s/steps/{}", i + 1),
            None => "/s/finish".into(),
        },
        Status::Finished => "/s/finish".into(),
        Status::Submitted | Status::InfoRequested { .. } | Status::Approved { .. } => "/s/status".into(),
    }
}

/// A 303 to where the packet stands, carrying a notice code (and the step it is about).
pub fn redirect_now(p: &Packet, notice: &str, step: Option<usize>) -> Response {
    let mut to = where_now(p);
    if !notice.is_empty() {
        to.push_str(&format!("?notice={notice}"));
        if let Some(n) = step {
            to.push_str(&format!("&step={n}"));
        }
    }
    Redirect::to(&to).into_response()
}

/// The words for a notice code carried by a redirect. Only these fixed texts
/// are ever shown, so a crafted link cannot put words on the page.
pub fn notice_for(code: &str, step: Option<usize>, p: &Packet) -> Option<Notice> {
    let title = step.and_then(|n| p.steps.get(n.checked_sub(1)?)).map(|s| s.kind.title());
    Some(match code {
        "signed" => Notice::success(format!("{} signed.{}", title?, next_words(p))),
        "reviewed" => Notice::success(format!("{} reviewed.{}", title?, next_words(p))),
        "consented" => Notice::success("Thank you. Your consent is recorded; start with the first document."),
        "finished" => Notice::success("Finished. Check the summary once more, then Submit."),
        "submitted" => Notice::success("Submitted. Your packet is now in HCSC Review."),
        "uploaded" => Notice::success("Your document was uploaded. Resubmit when you have provided everything requested."),
        "resubmitted" => Notice::success("Resubmitted. Your packet is back in HCSC Review."),
        "already_done" => Notice::info(
            "That step was already completed, perhaps in another window. This page shows where your packet stands now.",
        ),
        "out_of_order" => Notice::warning("Documents are completed in order. This is the document to complete next."),
        "not_viewed" => Notice::warning("Show every page of the document before you confirm or sign it."),
        "stale" => Notice::warning(
            "This document changed after you opened it, because your application was updated. Please read it again.",
        ),
        "wrong_status" | "incomplete" => Notice::info("Your packet has moved on since that page was loaded. This is where it stands now."),
        "consent_required" => Notice::warning("Please consent to electronic records and signatures first."),
        "conflict" => Notice::warning("Another window was changing your packet at the same moment. Please try again."),
        _ => return None,
    })
}

fn next_words(p: &Packet) -> &'static str {
    match p.next_step() {
        Some(_) => " The next document is open.",
        None => " Every document is done: Finish is next.",
    }
}

/// The query string the pages take.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    page: Option<String>,
    notice: Option<String>,
    step: Option<String>,
}

impl PageQuery {
    /// Parses it leniently: a page link with junk in it still shows a page.
    pub fn parse(raw: Option<&str>) -> Self {
        raw.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default()
    }

    /// The page asked for.
    pub fn page(&self) -> Option<usize> {
        self.page.as_deref().and_then(|p| p.parse().ok())
    }

    /// The notice to show.
    pub fn notice(&self, p: &Packet) -> Option<Notice> {
        notice_for(self.notice.as_deref()?, self.step.as_deref().and_then(|s| s.parse().ok()), p)
    }
}

/// The landing page of a signing link: who the packet is for, what will be
/// asked, how long it takes.
pub async fn landing(state: &AppState, token: &str) -> Response {
    let packet = match state.service.peek_link(token).await {
        Ok(id) => match state.service.packet(&id).await {
            Ok(p) => p,
            Err(e) => return link_problem(&e),
        },
        Err(e) => return link_problem(&e),
    };
    let case = match state.service.case_of(&packet) {
        Ok(c) => c,
        Err(e) => return internal(&e),
    };
    let steps = super::steps::steps_context(&packet.state);
    let pages: usize = packet.state.steps.iter().map(|s| s.pages).sum();
    let signs = packet.state.steps.iter().filter(|s| s.action == Action::Sign).count();
    // A minute a page and two a signature, rounded up to five minutes.
    let minutes = ((pages + 2 * signs).div_ceil(5) * 5).max(10);
    page(
        StatusCode::OK,
        "landing.html.j2",
        &json!({
            "case_key": packet.case_key,
            "principal": case.principal.full_name(),
            "agency": case.agency.legal_name,
            "steps": steps,
            "total_pages": pages,
            "sign_count": signs,
            "review_count": packet.state.steps.len() - signs,
            "minutes": minutes,
            "token": token,
        }),
    )
}

/// Why a signing link does not open, and what to do about it.
pub fn link_problem(e: &ServiceError) -> Response {
    let (status, heading, why) = match e {
        ServiceError::Link(LinkRefusal::Spent) => (
            StatusCode::GONE,
            "This link was already used",
            "Each signing link opens your packet once. If you opened it earlier, your work up to then is saved.",
        ),
        ServiceError::Link(LinkRefusal::Expired) => (
            StatusCode::GONE,
            "This link has expired",
            "Signing links work for 30 minutes after they are sent. Nothing in your packet was lost.",
        ),
        ServiceError::Link(LinkRefusal::Unknown) | ServiceError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "This link is not valid",
            "Check that you opened the whole link from your onboarding email; some email programs break long links.",
        ),
        other => return internal(other),
    };
    Problem {
        heading,
        paragraphs: vec![
            why.to_owned(),
            "To continue, or to view the documents you already signed, ask for a new signing link.".to_owned(),
        ],
        contact: true,
        ..Problem::default()
    }
    .render(status)
}

/// The session is over (45 minutes idle, signed out, or never started).
pub fn session_ended() -> Response {
    Problem {
        heading: "Your session has ended",
        paragraphs: vec![
            "For your security, a session ends after 45 minutes without activity. Everything you reviewed or signed before then is saved.".into(),
            "To continue where you left off, open the signing link in your most recent onboarding email. Each link works once; if yours was already used or has expired, ask for a new one.".into(),
        ],
        contact: true,
        ..Problem::default()
    }
    .render(StatusCode::UNAUTHORIZED)
}

/// After Sign out.
pub fn signed_out() -> Response {
    Problem {
        heading: "You have signed out",
        paragraphs: vec![
            "Everything you reviewed or signed is saved.".into(),
            "To come back, open a new signing link from your onboarding email or ask the Producer Service Center for one.".into(),
        ],
        contact: true,
        ..Problem::default()
    }
    .render(StatusCode::OK)
}

/// The page was loaded in a session that is not this one (a stale form).
pub fn stale_form() -> Response {
    Problem {
        heading: "This page is out of date",
        paragraphs: vec!["The form you sent belongs to an earlier session, so nothing was changed. Continue from where your packet stands now.".into()],
        next_href: Some("/s/packet".into()),
        next_label: Some("Continue"),
        ..Problem::default()
    }
    .render(StatusCode::FORBIDDEN)
}

/// Something failed on our side; nothing was changed.
pub fn internal(e: &ServiceError) -> Response {
    tracing::error!("page failed: {e}");
    Problem {
        heading: "Something went wrong on our side",
        paragraphs: vec!["Nothing was changed. Please try again in a moment.".into()],
        next_href: Some("/s/packet".into()),
        next_label: Some("Try again"),
        ..Problem::default()
    }
    .render(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Any failure on a page: the session's end, a link problem, or our own.
pub fn failure(e: &ServiceError) -> Response {
    match e {
        ServiceError::SessionEnded => session_ended(),
        ServiceError::Link(_) => link_problem(e),
        ServiceError::NotFound(what) => Problem {
            heading: "Not found",
            paragraphs: vec![format!("There is no such {what} in your packet.")],
            next_href: Some("/s/packet".into()),
            next_label: Some("Back to my packet"),
            ..Problem::default()
        }
        .render(StatusCode::NOT_FOUND),
        other => internal(other),
    }
}

pub(super) async fn load(state: &AppState, session: &Session) -> Result<StoredPacket, Response> {
    state.service.packet(&session.packet_id).await.map_err(|e| failure(&e))
}

/// What consent needs, said where the box is.
pub const CONSENT_RULE: &str = "tick the box to consent to electronic records and signatures";

/// `GET /s/consent` for a browser.
pub async fn consent_page(state: &AppState, session: &Session, unticked: bool) -> Response {
    let packet = match load(state, session).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if packet.state.consent.is_some() {
        return redirect_now(&packet.state, "", None);
    }
    let consent = consent_text();
    let mut blocks = consent.text.split("\n\n").map(str::trim).filter(|p| !p.is_empty());
    let heading = blocks.next().unwrap_or("Consent to Electronic Records and Signatures");
    let error = unticked.then_some(CONSENT_RULE);
    page(
        StatusCode::OK,
        "consent.html.j2",
        &json!({
            "case_key": packet.case_key,
            "heading": heading,
            "paragraphs": blocks.collect::<Vec<_>>(),
            "version": consent.version,
            "csrf_token": csrf_token(&session.token),
            "error": error,
            "notice": error.map(|_| Notice::error("Tick the box to give your consent, or contact the Producer Service Center to sign on paper.")),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_notice_codes_show_nothing() {
        let p = Packet::new(Vec::new());
        assert!(notice_for("<script>", None, &p).is_none());
        assert!(notice_for("already_done", None, &p).is_some());
        // A success about a step that does not exist says nothing rather than something wrong.
        assert!(notice_for("signed", Some(9), &p).is_none());
    }
}
