/*!
The HTTP edge (spec §7): the portal's JSON API under `/api/v1`, the
producer's endpoints and pages under `/s/`, the compliance page `/verify`,
the OpenAPI document, `/healthz`. State
is the [`Service`]; errors become `{code, message, errors?}` in
[`error`]; who is calling is decided in [`auth`].
*/

pub mod api;
pub mod auth;
pub mod error;
pub mod pages;
pub mod producer;
pub mod views;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

pub use auth::ApiKeys;
use error::ApiError;

use crate::service::Service;

/// The OpenAPI 3 document of every route.
pub const OPENAPI: &str = include_str!("http/openapi.json");

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The packet service.
    pub service: Service,
    /// The portal's keys.
    pub api_keys: ApiKeys,
}

/// All routes.
pub fn router(state: AppState) -> Router {
    let upload_limit = DefaultBodyLimit::max(crate::uploads::MAX_UPLOAD_BYTES + 64 * 1024);
    let portal = Router::new()
        .route("/packets", post(api::create_packet).layer(DefaultBodyLimit::max(api::MAX_CASE_BYTES)))
        .route("/packets/{id}", get(api::get_packet))
        .route("/packets/{id}/case", put(api::update_case).layer(DefaultBodyLimit::max(api::MAX_CASE_BYTES)))
        .route("/packets/{id}/links", post(api::issue_link))
        .route("/packets/{id}/documents/{document}", get(api::document))
        .route("/packets/{id}/audit", get(api::audit))
        .route("/packets/{id}/certificate", get(api::certificate))
        .route("/packets/{id}/verification", get(api::verification))
        .route("/packets/{id}/info-requests", post(api::request_info))
        .route("/packets/{id}/approval", post(api::approve))
        .route("/packets/{id}/eo-declaration", put(api::put_upload).get(api::get_upload).layer(upload_limit))
        .route("/verify", post(api::verify).layer(DefaultBodyLimit::max(api::MAX_VERIFY_BYTES)));
    let producer = Router::new()
        .route("/link/{token}", get(producer::peek_link).post(producer::open_link))
        .route("/packet", get(producer::packet))
        .route("/consent", get(producer::consent_text_handler).post(producer::consent))
        .route("/steps/{n}", get(producer::step))
        .route("/steps/{n}/document", get(producer::view))
        .route("/steps/{n}/pages/{page}", get(producer::page))
        .route("/steps/{n}/review", post(producer::review))
        .route("/steps/{n}/sign", post(producer::sign))
        .route("/finish", get(producer::finish_page).post(producer::finish))
        .route("/status", get(producer::status))
        .route("/submit", post(producer::submit))
        .route("/resubmit", post(producer::resubmit))
        .route("/upload", post(producer::upload).layer(upload_limit))
        .route("/logout", post(producer::logout))
        .layer(DefaultBodyLimit::max(producer::MAX_FORM_BYTES));
    Router::new()
        .nest("/api/v1", portal)
        .nest("/s", producer)
        .route("/verify", get(pages::verify::form).post(pages::verify::check).layer(DefaultBodyLimit::max(pages::verify::MAX_FORM_BYTES)))
        .route("/assets/inkseal.css", get(pages::stylesheet))
        .route("/assets/favicon.svg", get(pages::favicon))
        .route("/assets/fonts/{file}", get(pages::font))
        .route("/api/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(axum::middleware::from_fn(headers))
        .with_state(state)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.service.store().ping().await {
        Ok(()) => (StatusCode::OK, axum::Json(serde_json::json!({"status": "ok"}))).into_response(),
        Err(e) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", format!("database: {e}")).into_response(),
    }
}

async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_such_route", "no such endpoint; see /api/openapi.json")
}

async fn wrong_method() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint does not take that method; see /api/openapi.json")
}

/// Headers every response carries, and one log line per request (the
/// path with any signing-link token left out).
async fn headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = match req.uri().path() {
        p if p.starts_with("/s/link/") => "/s/link/{token}".to_owned(),
        p => p.chars().take(200).collect(),
    };
    tracing::debug!(%method, %path, "started");
    let mut res = next.run(req).await;
    tracing::info!(%method, %path, status = res.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    );
    res
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
