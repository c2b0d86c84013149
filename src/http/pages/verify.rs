//! `/verify`: compliance uploads one or more PDFs and reads the report of
//! each — the same verifier as `inkseal verify` and `POST /api/v1/verify`,
//! in plain English. Files are checked in memory and not stored.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{display_time, page, size_text};
use crate::http::AppState;
use crate::service::sha256_hex;
use crate::verify::verify_pdf;

/// Most files one form may carry.
pub const MAX_FILES: usize = 10;
/// Largest file the page checks.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;
/// Largest form: a few files near the limit.
pub const MAX_FORM_BYTES: usize = 2 * MAX_FILE_BYTES + 64 * 1024;

/// `GET /verify`.
pub async fn form() -> Response {
    render(StatusCode::OK, &[], None)
}

fn render(status: StatusCode, reports: &[Value], error: Option<String>) -> Response {
    page(
        status,
        "verify.html.j2",
        &json!({
            "area": "Compliance",
            "reports": reports,
            "error": error,
            "max_files": MAX_FILES,
            "max_mb": MAX_FILE_BYTES / (1024 * 1024),
        }),
    )
}

/// `POST /verify`: multipart with one or more `files` parts.
pub async fn check(State(state): State<AppState>, mut multipart: Multipart) -> Response {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                let message = format!("files: together they are over {} MB; verify fewer at a time", MAX_FORM_BYTES / (1024 * 1024));
                return render(StatusCode::PAYLOAD_TOO_LARGE, &[], Some(message));
            }
            Err(e) => return render(StatusCode::BAD_REQUEST, &[], Some(format!("files: the upload could not be read ({})", e.body_text()))),
        };
        if field.name() != Some("files") {
            continue;
        }
        let name = field.file_name().map(clean_name).unwrap_or_else(|| "upload.pdf".into());
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => return render(StatusCode::BAD_REQUEST, &[], Some(format!("files: {name} could not be read ({})", e.body_text()))),
        };
        // A form with no file chosen still sends one empty part.
        if bytes.is_empty() && name.is_empty() {
            continue;
        }
        if files.len() == MAX_FILES {
            return render(StatusCode::UNPROCESSABLE_ENTITY, &[], Some(format!("files: choose at most {MAX_FILES} files at a time")));
        }
        if bytes.len() > MAX_FILE_BYTES {
            let message = format!("files: {name} is over the limit of {} MB", MAX_FILE_BYTES / (1024 * 1024));
            return render(StatusCode::PAYLOAD_TOO_LARGE, &[], Some(message));
        }
        files.push((name, bytes.to_vec()));
    }
    if files.is_empty() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &[], Some("files: choose at least one PDF to verify".into()));
    }
    let roots = state.service.trust().roots().to_vec();
    let reports = tokio::task::spawn_blocking(move || files.iter().map(|(name, bytes)| report(name, bytes, &roots)).collect::<Vec<_>>()).await;
    match reports {
        Ok(reports) => render(StatusCode::OK, &reports, None),
        Err(e) => {
            tracing::error!("verification worker failed: {e}");
            render(StatusCode::INTERNAL_SERVER_ERROR, &[], Some("files: the check failed on our side; try again".into()))
        }
    }
}

fn report(name: &str, bytes: &[u8], roots: &[x509_cert::Certificate]) -> Value {
    let mut out = json!({
        "filename": name,
        "sha256": sha256_hex(bytes),
        "size_text": size_text(bytes.len() as u64),
    });
    let verdict = match verify_pdf(bytes, roots) {
        Ok(mut report) => {
            for s in &mut report.signatures {
                s.signing_time = s.signing_time.as_deref().map(|t| display_time(t, true));
            }
            serde_json::to_value(report).unwrap_or(Value::Null)
        }
        Err(e) => json!({"unreadable": e.to_string()}),
    };
    if let (Some(out), Value::Object(verdict)) = (out.as_object_mut(), verdict) {
        out.extend(verdict);
    }
    out
}

/// The file name as sent, without a path or control characters, bounded.
fn clean_name(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or("").chars().filter(|c| !c.is_control()).take(120).collect()
}
