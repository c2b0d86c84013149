/*!
The HTTP edge (spec §7): the portal's JSON API under `/api/v1`, the
producer's endpoints and pages under `/s/`, the compliance page `/verify`,
the OpenAPI document, `/healthz`. State
is the [`Service`]; errors become `{code, message, errors?}` in
[`error`]; who is calling is decided in [`auth`].
*/

pub mod api;
pub mod auth;
pub mod client;
pub mod error;
pub mod limits;
pub mod pages;
pub mod producer;
mod server;
pub mod views;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::handler::Handler as _;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

pub use auth::ApiKeys;
pub use client::TrustedProxies;
use error::ApiError;
pub use limits::{Limits, Rate};
pub use server::{MAX_CONNECTIONS_PER_CLIENT, serve};

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
    /// What one client may ask of the server.
    pub limits: Limits,
    limiters: limits::Limiters,
}

impl AppState {
    /// State for `service`, answering the portal's `api_keys`, within `limits`.
    pub fn new(service: Service, api_keys: ApiKeys, limits: Limits) -> Self {
        let limiters = limits::Limiters::new(&limits);
        Self { service, api_keys, limits, limiters }
    }
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
        .route(
            "/verify",
            post(api::verify)
                .layer(DefaultBodyLimit::max(api::MAX_VERIFY_BYTES))
                .layer(axum::middleware::from_fn_with_state(state.clone(), limits::limit_verify)),
        );
    let link = get(producer::peek_link)
        .post(producer::open_link)
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::limit_links));
    let producer = Router::new()
        .route("/link/{token}", link)
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
        .route(
            "/verify",
            get(pages::verify::form).post(
                pages::verify::check
                    .layer(DefaultBodyLimit::max(pages::verify::MAX_FORM_BYTES))
                    .layer(axum::middleware::from_fn_with_state(state.clone(), limits::limit_verify)),
            ),
        )
        .route("/assets/inkseal.css", get(pages::stylesheet))
        .route("/assets/favicon.svg", get(pages::favicon))
        .route("/assets/fonts/{file}", get(pages::font))
        .route("/api/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::request_timeout))
        .layer(axum::middleware::from_fn_with_state(state.clone(), same_origin))
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
    // Links carry tokens: no other site learns the address a click came from.
    h.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("same-origin"));
    h.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", header::HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", header::HeaderValue::from_static("same-origin"));
    h.insert("permissions-policy", header::HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"));
    if res.headers().get(header::CACHE_CONTROL).is_none() {
        // Pages and documents hold personal data: no shared cache may keep them.
        res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    }
    res
}

/// `scheme://host[:port]` in lower case without a default port or a path:
/// how browsers spell an `Origin`, from an `Origin` or a URL.
fn normalise_origin(url: &str) -> String {
    let url = url.trim().to_ascii_lowercase();
    let Some((scheme, rest)) = url.split_once("://") else { return url };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = match (scheme, authority.rsplit_once(':')) {
        ("https", Some((host, "443"))) | ("http", Some((host, "80"))) => host,
        _ => authority,
    };
    format!("{scheme}://{authority}")
}

/// Scripts, styles, fonts and images come from inkseal itself; no inline
/// script, no framing, forms post only back here.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Refuses a state-changing request a browser sent from another site's page
/// (its `Origin` is neither this request's `Host` nor the public URL's): a
/// second line behind the CSRF token and the `SameSite=Strict` cookie.
/// Programs that send no `Origin` are not affected.
async fn same_origin(State(state): State<AppState>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::Method;
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()).map(normalise_origin);
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_ascii_lowercase);
    let public = normalise_origin(&state.service.config().public_url);
    // `null` comes from sandboxed frames, files and data URLs, never from
    // our own pages (the same-origin referrer policy keeps their Origin).
    let allowed = match &origin {
        None => true,
        Some(origin) => {
            *origin == public || host.is_some_and(|h| origin.split_once("://").is_some_and(|(_, authority)| authority == h))
        }
    };
    if allowed {
        next.run(req).await
    } else {
        ApiError::forbidden(
            "cross_origin",
            "this request came from a page on another site; open inkseal's own page and send it from there",
        )
        .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::normalise_origin;

    #[test]
    fn origins_compare_as_browsers_spell_them() {
        assert_eq!(normalise_origin("https://Sign.Example.com:443/inkseal/"), "https://sign.example.com");
        assert_eq!(normalise_origin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(normalise_origin("http://host:80?x"), "http://host");
        assert_ne!(normalise_origin("http://sign.example.com"), normalise_origin("https://sign.example.com"));
        assert_eq!(normalise_origin("null"), "null");
    }
}
