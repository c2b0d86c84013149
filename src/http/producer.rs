//! The producer's endpoints under `/s/`: a signing link opens a session
//! (cookie), then consent, documents, review, sign, finish, submit, upload,
//! resubmit. State-changing requests need the session's CSRF token (header
//! `X-CSRF-Token` or form field `csrf_token`). Each accepts JSON (answered
//! with JSON) or an HTML form post, answered with a 303 to the page where the
//! packet now stands, or the page again with what was wrong
//! ([`super::pages::producer`] draws the pages).

use axum::Json;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::{CSRF_HEADER, SESSION_COOKIE, Session, caller};
use super::error::ApiError;
use super::pages::flash::{Flash, SignValues};
use super::pages::producer::{self as pages, CONSENT_RULE, PageQuery, redirect_now};
use super::pages::{steps, wants_html};
use super::views::{Audience, PacketView};
use crate::audit::Actor;
use crate::documents::{EntityType, LlcClass, TaxClassification};
use crate::service::{Committed, ServiceError, SignInput, consent_text, csrf_matches, csrf_token};

/// Largest form or JSON body a producer sends (the upload has its own limit).
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// A producer's state-changing request: the body, parsed as JSON or as a
/// form, after the CSRF token was checked.
pub struct Action {
    session: Session,
    form: bool,
    fields: serde_json::Value,
}

impl<S> FromRequest<S> for Action
where
    AppState: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let form = content_type(&parts.headers).starts_with("application/x-www-form-urlencoded");
        let session = <Session as axum::extract::FromRequestParts<S>>::from_request_parts(&mut parts, state).await;
        let session = match session {
            Ok(s) => s,
            Err(_) if form => return Err(pages::session_ended()),
            Err(e) => return Err(e.into_response()),
        };
        let headers = parts.headers.clone();
        Self::read(session, form, headers, Request::from_parts(parts, body), state).await.map_err(|e| {
            if form && e.code() == "csrf" { pages::stale_form() } else { e.into_response() }
        })
    }
}

impl Action {
    async fn read<S: Send + Sync>(session: Session, form: bool, headers: HeaderMap, req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e: BytesRejection| ApiError::body(&e, MAX_FORM_BYTES))?;
        let fields: serde_json::Value = if bytes.is_empty() {
            serde_json::json!({})
        } else if form {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&bytes).map_err(|_| ApiError::bad_request("bad_form", "the form could not be read"))?;
            serde_json::Value::Object(pairs.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect())
        } else if content_type(&headers).starts_with("application/json") {
            serde_json::from_slice(&bytes).map_err(|_| ApiError::bad_request("malformed_json", "the body is not well-formed JSON"))?
        } else {
            return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type", "send JSON or a form"));
        };
        let presented = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| fields.get("csrf_token").and_then(|v| v.as_str()).map(str::to_owned));
        if !presented.is_some_and(|t| csrf_matches(&session.token, &t)) {
            return Err(ApiError::forbidden(
                "csrf",
                "this request lacks the page's security token; reload the page and try again",
            ));
        }
        Ok(Action { session, form, fields })
    }
}

fn content_type(headers: &HeaderMap) -> &str {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// What the producer sees of the packet, with the CSRF token for the next request.
async fn packet_json(state: &AppState, session: &Session) -> Result<Response, ApiError> {
    let packet = state.service.packet(&session.packet_id).await?;
    Ok(Json(serde_json::json!({
        "packet": PacketView::new(&packet, Audience::Producer),
        "csrf_token": csrf_token(&session.token),
    }))
    .into_response())
}

/// Answers an action: JSON for JSON. A form that worked goes on (303) to
/// where the packet now stands with `notice`; a refused one goes there with
/// the refusal's notice (another window got there first, a step out of
/// order); anything else gets its page.
async fn done(state: &AppState, action: &Action, result: Result<Committed, ServiceError>, notice: &str, step: Option<usize>) -> Response {
    match (action.form, result) {
        (false, Ok(_)) => packet_json(state, &action.session).await.unwrap_or_else(IntoResponse::into_response),
        (false, Err(e)) => ApiError::from(e).into_response(),
        (true, Ok(c)) => redirect_now(&c.packet.state, notice, step),
        (true, Err(e)) => refused_form(state, &action.session, e).await,
    }
}

async fn refused_form(state: &AppState, session: &Session, e: ServiceError) -> Response {
    match e {
        ServiceError::Refused(_) | ServiceError::Busy => {
            let code = ApiError::from(e).code();
            match state.service.packet(&session.packet_id).await {
                Ok(p) => redirect_now(&p.state, code, None),
                Err(e) => pages::failure(&e),
            }
        }
        other => pages::failure(&other),
    }
}

/// `GET /s/link/{token}`: says what the link opens, without spending it —
/// mail scanners and link previews fetch links, and must not use them up.
/// Browsers get a page whose button redeems the link with a POST.
pub async fn peek_link(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    if wants_html(&headers) {
        return Ok(pages::landing(&state, &token).await);
    }
    let packet_id = state.service.peek_link(&token).await?;
    let packet = state.service.packet(&packet_id).await?;
    Ok(Json(serde_json::json!({ "status": "unused", "case_key": packet.case_key, "steps": packet.state.steps.len() })).into_response())
}

/// `POST /s/link/{token}`: spends the link and opens a session. Browsers
/// (form posts) are sent on to `/s/packet`, which is same-site, so the
/// SameSite=Strict cookie goes along.
pub async fn open_link(State(state): State<AppState>, Path(token): Path<String>, req: Request) -> Result<Response, ApiError> {
    let (parts, _) = req.into_parts();
    let who = caller(&parts, Actor::System);
    let browser = content_type(&parts.headers).starts_with("application/x-www-form-urlencoded") || wants_html(&parts.headers);
    let opened = match state.service.open_session(&token, &who).await {
        Ok(o) => o,
        Err(e) if browser => return Ok(pages::link_problem(&e)),
        Err(e) => return Err(e.into()),
    };
    let secure = if state.service.config().public_url.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={}; Path=/s; HttpOnly; SameSite=Strict{secure}", opened.token);
    let body = if browser {
        Redirect::to("/s/packet").into_response()
    } else {
        let packet = state.service.packet(&opened.packet_id).await?;
        Json(serde_json::json!({
            "packet": PacketView::new(&packet, Audience::Producer),
            "csrf_token": csrf_token(&opened.token),
        }))
        .into_response()
    };
    Ok(([(header::SET_COOKIE, cookie), (header::CACHE_CONTROL, "no-store".to_owned())], body).into_response())
}

fn step_number(n: Result<Path<usize>, PathRejection>) -> Result<usize, ApiError> {
    n.map(|Path(n)| n).map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "steps are numbered from 1"))
}

/// `GET /s/packet`: JSON, or for a browser a 303 to the page where the packet stands.
pub async fn packet(State(state): State<AppState>, session: Result<Session, ApiError>, headers: HeaderMap) -> Result<Response, ApiError> {
    if wants_html(&headers) {
        let session = match session {
            Ok(s) => s,
            Err(_) => return Ok(pages::session_ended()),
        };
        return Ok(match state.service.packet(&session.packet_id).await {
            Ok(p) => redirect_now(&p.state, "", None),
            Err(e) => pages::failure(&e),
        });
    }
    packet_json(&state, &session?).await
}

/// `GET /s/consent`: the consent text and its version, or the consent page.
pub async fn consent_text_handler(State(state): State<AppState>, session: Result<Session, ApiError>, headers: HeaderMap) -> Result<Response, ApiError> {
    if wants_html(&headers) {
        let unticked = Flash::take(&headers).is_some_and(|f| f.consent_unticked);
        return Ok(Flash::clear(match session {
            Ok(s) => pages::consent_page(&state, &s, unticked).await,
            Err(_) => pages::session_ended(),
        }));
    }
    session?;
    Ok(Json(consent_text()).into_response())
}

/// `GET /s/steps/{n}`: the page of step `n` (HTML only).
pub async fn step(
    State(state): State<AppState>,
    session: Result<Session, ApiError>,
    n: Result<Path<usize>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let session = match session {
        Ok(s) => s,
        Err(_) => return pages::session_ended(),
    };
    let Ok(Path(n)) = n else { return pages::failure(&ServiceError::NotFound("step")) };
    Flash::clear(steps::step_page(&state, &session, n, &PageQuery::parse(query.as_deref()), Flash::take(&headers)).await)
}

/// `GET /s/finish`: the summary with Finish, then Submit (HTML only).
pub async fn finish_page(State(state): State<AppState>, session: Result<Session, ApiError>, RawQuery(query): RawQuery) -> Response {
    match session {
        Ok(s) => steps::finish_page(&state, &s, &PageQuery::parse(query.as_deref())).await,
        Err(_) => pages::session_ended(),
    }
}

/// `GET /s/status`: the status after submission (HTML only).
pub async fn status(
    State(state): State<AppState>,
    session: Result<Session, ApiError>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let upload = Flash::take(&headers).and_then(|f| f.upload);
    Flash::clear(match session {
        Ok(s) => steps::status_page(&state, &s, &PageQuery::parse(query.as_deref()), upload).await,
        Err(_) => pages::session_ended(),
    })
}

/// `POST /s/consent`.
pub async fn consent(State(state): State<AppState>, action: Action) -> Response {
    // An unticked checkbox sends nothing: consent needs the field, set.
    let agreed = action.fields.get("agree").is_some_and(|v| matches!(v.as_str(), Some("on" | "yes" | "true")) || v.as_bool() == Some(true));
    if !agreed {
        if action.form {
            return Flash { consent_unticked: true, ..Flash::default() }.redirect("/s/consent");
        }
        return ApiError::field("agree", CONSENT_RULE).into_response();
    }
    let result = state.service.consent(&action.session.packet_id, &action.session.caller).await;
    done(&state, &action, result, "consented", None).await
}

/// `GET /s/steps/{n}/document`: the document; shown in full, it counts as viewed.
/// A browser following the download link after its session ended gets the page saying so.
pub async fn view(
    State(state): State<AppState>,
    session: Result<Session, ApiError>,
    n: Result<Path<usize>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let session = match session {
        Ok(s) => s,
        Err(_) if wants_html(&headers) => return Ok(pages::session_ended()),
        Err(e) => return Err(e),
    };
    let n = step_number(n)?;
    let packet = state.service.packet(&session.packet_id).await?;
    let (bytes, _) = state.service.view_step(&session.packet_id, n, &session.caller).await?;
    let slug = packet.state.steps.get(n.saturating_sub(1)).map_or("document", |s| s.kind.slug());
    Ok(super::api::pdf_response(bytes, &format!("{}-{slug}.pdf", packet.case_key)))
}

/// `GET /s/steps/{n}/pages/{page}`: one page as a PNG; shown, it counts
/// towards the step being viewed.
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    at: Result<Path<(usize, usize)>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path((n, page)) = at.map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "steps and pages are numbered from 1"))?;
    let png = state.service.view_page(&session.packet_id, n, page, &session.caller).await?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "private, no-store")], png).into_response())
}

/// `POST /s/steps/{n}/review`.
pub async fn review(State(state): State<AppState>, n: Result<Path<usize>, PathRejection>, action: Action) -> Response {
    let n = match step_number(n) {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    let result = state.service.confirm_review(&action.session.packet_id, n, &action.session.caller).await;
    done(&state, &action, result, "reviewed", Some(n)).await
}

/// The sign form's flat fields.
#[derive(Deserialize)]
struct SignForm {
    name: String,
    #[serde(default)]
    entity_type: Option<String>,
    #[serde(default)]
    entity_type_other: Option<String>,
    #[serde(default)]
    tax_classification: Option<String>,
    #[serde(default)]
    llc_class: Option<String>,
    #[serde(default)]
    tax_classification_other: Option<String>,
}

fn sign_input(action: &Action) -> Result<SignInput, ApiError> {
    if !action.form {
        let mut fields = action.fields.clone();
        if let Some(map) = fields.as_object_mut() {
            map.remove("csrf_token");
        }
        return serde_json::from_value(fields).map_err(|e| ApiError::field("body", e.to_string()));
    }
    let form: SignForm = serde_json::from_value(action.fields.clone()).map_err(|_| ApiError::field("name", "type your full name to sign"))?;
    let other = |text: Option<String>| text.unwrap_or_default();
    let entity_type = match form.entity_type.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some("partnership") => Some(EntityType::Partnership),
        Some("corporation") => Some(EntityType::Corporation),
        Some("other") => Some(EntityType::Other(other(form.entity_type_other))),
        Some(_) => return Err(ApiError::field("entity_type", "must be partnership, corporation or other")),
    };
    let tax_classification = match form.tax_classification.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some("individual") => Some(TaxClassification::Individual),
        Some("c_corporation") => Some(TaxClassification::CCorporation),
        Some("s_corporation") => Some(TaxClassification::SCorporation),
        Some("partnership") => Some(TaxClassification::Partnership),
        Some("trust_estate") => Some(TaxClassification::TrustEstate),
        Some("llc") => Some(TaxClassification::Llc(match form.llc_class.as_deref() {
            Some("C") => LlcClass::C,
            Some("S") => LlcClass::S,
            Some("P") => LlcClass::P,
            _ => return Err(ApiError::field("llc_class", "choose C, S or P for a limited liability company")),
        })),
        Some("other") => Some(TaxClassification::Other(other(form.tax_classification_other))),
        Some(_) => return Err(ApiError::field("tax_classification", "is not one of the W-9 line 3a choices")),
    };
    Ok(SignInput { name: form.name, entity_type, tax_classification })
}

/// `POST /s/steps/{n}/sign`. A refused form comes back with what was
/// typed and chosen, and says what is wrong — for a name, which is expected.
pub async fn sign(State(state): State<AppState>, n: Result<Path<usize>, PathRejection>, action: Action) -> Response {
    let n = match step_number(n) {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    let result = match sign_input(&action) {
        Ok(input) => state.service.sign(&action.session.packet_id, n, input, &action.session.caller).await,
        Err(e) if action.form => return sign_again(&action, n, &e),
        Err(e) => return e.into_response(),
    };
    match result {
        Err(e @ (ServiceError::NameMismatch(_) | ServiceError::InvalidField { .. })) if action.form => {
            sign_again(&action, n, &ApiError::from(e))
        }
        result => done(&state, &action, result, "signed", Some(n)).await,
    }
}

/// The sign form again, on its own page, with what was entered and what was wrong.
fn sign_again(action: &Action, n: usize, e: &ApiError) -> Response {
    let page = action.fields.get("page").and_then(|p| p.as_str()).and_then(|p| p.parse::<usize>().ok());
    let flash = Flash { step: Some(n), values: SignValues::from_fields(&action.fields), errors: e.field_errors(), ..Flash::default() };
    flash.redirect(&match page {
        Some(p) => format!("/s/steps/{n}?page={p}"),
        None => format!("/s/steps/{n}"),
    })
}

/// `POST /s/finish`.
pub async fn finish(State(state): State<AppState>, action: Action) -> Response {
    let result = state.service.finish(&action.session.packet_id, &action.session.caller).await;
    done(&state, &action, result, "finished", None).await
}

/// `POST /s/submit`.
pub async fn submit(State(state): State<AppState>, action: Action) -> Response {
    let result = state.service.submit(&action.session.packet_id, &action.session.caller).await;
    done(&state, &action, result, "submitted", None).await
}

/// `POST /s/resubmit`.
pub async fn resubmit(State(state): State<AppState>, action: Action) -> Response {
    let result = state.service.resubmit(&action.session.packet_id, &action.session.caller).await;
    done(&state, &action, result, "resubmitted", None).await
}

/// `POST /s/upload`: multipart with a `file` part and a `csrf_token` part.
///
/// A browser (one not asking for JSON) is sent on to the status page, or
/// shown it again with what was wrong with the file.
pub async fn upload(
    State(state): State<AppState>,
    session: Result<Session, ApiError>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let browser = !headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"));
    let session = match session {
        Ok(s) => s,
        Err(_) if browser => return pages::session_ended(),
        Err(e) => return e.into_response(),
    };
    let Ok(multipart) = multipart else {
        return ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type", "send the file as multipart/form-data").into_response();
    };
    match receive_upload(&state, &session, &headers, multipart).await {
        Ok(()) if browser => match state.service.packet(&session.packet_id).await {
            Ok(p) => redirect_now(&p.state, "uploaded", None),
            Err(e) => pages::failure(&e),
        },
        Ok(()) => packet_json(&state, &session).await.unwrap_or_else(IntoResponse::into_response),
        Err(e) if browser && e.code() == "csrf" => pages::stale_form(),
        Err(e) if browser && e.status().is_client_error() && e.status() != StatusCode::CONFLICT => {
            let message = e.field_errors().into_values().next().unwrap_or_else(|| e.message().to_owned());
            Flash { upload: Some(message), ..Flash::default() }.redirect("/s/status")
        }
        Err(e) if browser => match state.service.packet(&session.packet_id).await {
            Ok(p) => redirect_now(&p.state, e.code(), None),
            Err(e) => pages::failure(&e),
        },
        Err(e) => e.into_response(),
    }
}

async fn receive_upload(state: &AppState, session: &Session, headers: &HeaderMap, mut multipart: Multipart) -> Result<(), ApiError> {
    let mut csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut file: Option<(String, Vec<u8>)> = None;
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::from(crate::service::ServiceError::Upload(crate::uploads::UploadError::TooLarge(crate::uploads::MAX_UPLOAD_BYTES / 1024 + 1)))
        } else {
            ApiError::bad_request("bad_form", e.body_text())
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        match field.name() {
            Some("csrf_token") => csrf = Some(field.text().await.map_err(too_large)?),
            Some("file") => {
                // A form sent with no file chosen has one empty part with no name.
                let name = field.file_name().unwrap_or_default().to_owned();
                file = Some((name, field.bytes().await.map_err(too_large)?.to_vec()));
            }
            _ => {}
        }
    }
    if !csrf.is_some_and(|t| csrf_matches(&session.token, &t)) {
        return Err(ApiError::forbidden("csrf", "this request lacks the page's security token; reload the page and try again"));
    }
    let (name, bytes) = file.filter(|(name, b)| !(name.is_empty() && b.is_empty())).ok_or_else(|| ApiError::field("file", "choose a file to upload"))?;
    state.service.upload(&session.packet_id, bytes, &name, &session.caller).await?;
    Ok(())
}

/// `POST /s/logout`: ends the session.
pub async fn logout(State(state): State<AppState>, action: Action) -> Response {
    if let Err(e) = state.service.end_session(&action.session.token).await {
        return if action.form { pages::failure(&e) } else { ApiError::from(e).into_response() };
    }
    let cookie = format!("{SESSION_COOKIE}=; Path=/s; HttpOnly; SameSite=Strict; Max-Age=0");
    let body = if action.form { pages::signed_out() } else { StatusCode::NO_CONTENT.into_response() };
    ([(header::SET_COOKIE, cookie)], body).into_response()
}
