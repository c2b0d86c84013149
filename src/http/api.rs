//! The portal's JSON API under `/api/v1` (Bearer API keys).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::Portal;
use super::error::ApiError;
use super::views::{Audience, PacketView};
use crate::packet::Status;
use crate::service::ServiceError;
use crate::verify::verify_pdf;

/// Largest case JSON accepted.
pub const MAX_CASE_BYTES: usize = 256 * 1024;
/// Largest PDF accepted by `POST /api/v1/verify`.
pub const MAX_VERIFY_BYTES: usize = 32 * 1024 * 1024;

fn body(result: Result<Bytes, BytesRejection>, limit: usize) -> Result<Vec<u8>, ApiError> {
    let bytes = result.map_err(|e| ApiError::body(&e, limit))?;
    if bytes.len() > limit {
        return Err(ApiError::too_large(limit));
    }
    Ok(bytes.to_vec())
}

fn json_body(headers: &HeaderMap, result: Result<Bytes, BytesRejection>, limit: usize) -> Result<Vec<u8>, ApiError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type", "send the case as application/json"));
    }
    let bytes = body(result, limit)?;
    if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err() {
        return Err(ApiError::bad_request("malformed_json", "the body is not well-formed JSON"));
    }
    Ok(bytes)
}

/// `POST /api/v1/packets`: a packet from a case.
pub async fn create_packet(
    State(state): State<AppState>,
    Portal(caller): Portal,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let case = json_body(&headers, raw, MAX_CASE_BYTES)?;
    let packet = state.service.create_packet(case, &caller).await?;
    let location = format!("/api/v1/packets/{}", packet.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(PacketView::new(&packet, Audience::Portal))).into_response())
}

/// `GET /api/v1/packets/{id}`.
pub async fn get_packet(State(state): State<AppState>, _: Portal, Path(id): Path<String>) -> Result<Json<PacketView>, ApiError> {
    Ok(Json(PacketView::new(&state.service.packet(&id).await?, Audience::Portal)))
}

/// `PUT /api/v1/packets/{id}/case`: replace the case before submission.
pub async fn update_case(
    State(state): State<AppState>,
    Portal(caller): Portal,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<PacketView>, ApiError> {
    let case = json_body(&headers, raw, MAX_CASE_BYTES)?;
    match state.service.update_case(&id, case, &caller).await {
        Ok(c) => Ok(Json(PacketView::new(&c.packet, Audience::Portal))),
        Err(ServiceError::Refused(crate::packet::Refusal::WrongStatus(s))) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "case_locked",
            format!("the case is locked while the packet is {s}; it can change again when more information is requested"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/packets/{id}/links`: a single-use signing link and the invitation.
pub async fn issue_link(State(state): State<AppState>, Portal(caller): Portal, Path(id): Path<String>) -> Result<Response, ApiError> {
    // The invitation needs the case; read it before the link exists.
    let packet = state.service.packet(&id).await?;
    state.service.case_of(&packet)?;
    let link = state.service.issue_link(&id, &caller).await?;
    let invitation = state.service.invitation(&packet, &link)?;
    let body = serde_json::json!({ "url": link.url, "expires_at": link.expires_at, "invitation": invitation });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Which copy of a document.
#[derive(Deserialize)]
pub struct CopyQuery {
    #[serde(default)]
    copy: Option<String>,
}

/// `GET /api/v1/packets/{id}/documents/{document}?copy=review|signed`.
pub async fn document(
    State(state): State<AppState>,
    _: Portal,
    Path((id, document)): Path<(String, String)>,
    Query(q): Query<CopyQuery>,
) -> Result<Response, ApiError> {
    let packet = state.service.packet(&id).await?;
    let step = packet
        .state
        .steps
        .iter()
        .find(|s| s.kind.slug() == document)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("packet has no document {document:?}")))?;
    let sha = match (q.copy.as_deref().unwrap_or("signed"), &step.done) {
        ("review", _) => step.content_sha256.clone(),
        ("signed", Some(done)) => done.stored_sha256().to_owned(),
        ("signed", None) => {
            return Err(ApiError::new(StatusCode::CONFLICT, "not_signed", format!("{} is not signed or sealed yet; ask for ?copy=review", step.kind.title())));
        }
        (other, _) => return Err(ApiError::field("copy", format!("must be \"review\" or \"signed\", not {other:?}"))),
    };
    let bytes = state.service.stored(&id, &sha).await?;
    Ok(pdf_response(bytes, &format!("{}-{}.pdf", packet.case_key, document)))
}

/// A PDF download with its hash in `ETag`.
pub fn pdf_response(bytes: Vec<u8>, filename: &str) -> Response {
    let etag = format!("\"{}\"", crate::service::sha256_hex(&bytes));
    let disposition = format!("inline; filename=\"{}\"", filename.replace(['"', '\\', '\r', '\n'], "_"));
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /api/v1/packets/{id}/audit`: the trail as JSON with its verdict.
pub async fn audit(State(state): State<AppState>, _: Portal, Path(id): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let (records, verdict) = state.service.audit_trail(&id).await?;
    Ok(Json(serde_json::json!({
        "packet_id": id,
        "intact": verdict.is_ok(),
        "problem": verdict.err().map(|e| e.to_string()),
        "records": records,
    })))
}

/// `GET /api/v1/packets/{id}/certificate`: the sealed Certificate of Completion.
pub async fn certificate(State(state): State<AppState>, _: Portal, Path(id): Path<String>) -> Result<Response, ApiError> {
    let packet = state.service.packet(&id).await?;
    let pdf = state.service.certificate(&id).await?;
    Ok(pdf_response(pdf, &format!("{}-certificate-of-completion.pdf", packet.case_key)))
}

/// `GET /api/v1/packets/{id}/verification`: every document, the audit chain, the signers.
pub async fn verification(State(state): State<AppState>, _: Portal, Path(id): Path<String>) -> Result<Response, ApiError> {
    Ok(Json(state.service.verify_packet(&id).await?).into_response())
}

/// Body of an information request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoRequest {
    request: String,
}

/// `POST /api/v1/packets/{id}/info-requests`.
pub async fn request_info(
    State(state): State<AppState>,
    Portal(caller): Portal,
    Path(id): Path<String>,
    body: Result<Json<InfoRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body.map_err(|e| match e.status() {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(e.status(), "unsupported_type", "send application/json"),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large(MAX_CASE_BYTES),
        StatusCode::BAD_REQUEST => ApiError::bad_request("malformed_json", e.body_text()),
        _ => ApiError::field("request", e.body_text()),
    })?;
    let (committed, letter) = state.service.request_info(&id, &body.request, &caller).await?;
    Ok(Json(serde_json::json!({ "packet": PacketView::new(&committed.packet, Audience::Portal), "letter": letter })))
}

/// `POST /api/v1/packets/{id}/approval`.
pub async fn approve(State(state): State<AppState>, Portal(caller): Portal, Path(id): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let (committed, letter) = state.service.approve(&id, &caller).await?;
    let producer_id = match &committed.packet.state.status {
        Status::Approved { producer_id } => Some(producer_id.clone()),
        _ => None,
    };
    Ok(Json(serde_json::json!({
        "producer_id": producer_id,
        "packet": PacketView::new(&committed.packet, Audience::Portal),
        "letter": letter,
    })))
}

/// `PUT /api/v1/packets/{id}/eo-declaration`: the file as the body; its
/// type is read from its bytes. `X-Filename` names it for people.
pub async fn put_upload(
    State(state): State<AppState>,
    Portal(caller): Portal,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<PacketView>, ApiError> {
    let bytes = body(raw, crate::uploads::MAX_UPLOAD_BYTES)?;
    let name = headers.get("x-filename").and_then(|v| v.to_str().ok()).unwrap_or("eo-declaration");
    let committed = state.service.upload(&id, bytes, name, &caller).await?;
    Ok(Json(PacketView::new(&committed.packet, Audience::Portal)))
}

/// `GET /api/v1/packets/{id}/eo-declaration`.
pub async fn get_upload(State(state): State<AppState>, _: Portal, Path(id): Path<String>) -> Result<Response, ApiError> {
    let packet = state.service.packet(&id).await?;
    let upload = packet.state.upload.ok_or(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no file was uploaded"))?;
    let bytes = state.service.stored(&id, &upload.sha256).await?;
    Ok(([(header::CONTENT_TYPE, upload.media_type)], bytes).into_response())
}

/// `POST /api/v1/verify`: a PDF in, the verification report out.
pub async fn verify(State(state): State<AppState>, _: Portal, raw: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    let bytes = body(raw, MAX_VERIFY_BYTES)?;
    let trust = state.service.trust().clone();
    let report = tokio::task::spawn_blocking(move || verify_pdf(&bytes, trust.roots()))
        .await
        .map_err(|e| ApiError::from(ServiceError::Internal(e.to_string())))?
        .map_err(|e| ApiError::bad_request("unreadable_pdf", e.to_string()))?;
    Ok(Json(report).into_response())
}
