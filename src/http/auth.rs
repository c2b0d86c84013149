//! Who is calling: portal API keys (Bearer, kept only as SHA-256 hashes and
//! compared in constant time), producer sessions (an HttpOnly, SameSite=Strict
//! cookie) with their CSRF token, and the client's address and user agent.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE, USER_AGENT};
use axum::http::request::Parts;
use subtle::ConstantTimeEq as _;

use super::AppState;
use super::error::ApiError;
use crate::audit::Actor;
use crate::service::Caller;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "inkseal_session";
/// The header (or form field) carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The portal's API keys, as SHA-256 hashes.
#[derive(Clone, Debug, Default)]
pub struct ApiKeys {
    hashes: Vec<[u8; 32]>,
}

impl ApiKeys {
    /// From the comma-separated `INKSEAL_API_KEYS` value; blanks are ignored.
    pub fn parse(list: &str) -> Self {
        let hashes = list
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(key_hash)
            .collect();
        Self { hashes }
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether there are none (the API then refuses every request).
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The id of the matching key (a hash prefix, safe to log), if any.
    fn check(&self, presented: &str) -> Option<String> {
        let raw = key_hash(presented);
        // Compare against every key so timing does not tell which one matched.
        let mut found = None;
        for (i, k) in self.hashes.iter().enumerate() {
            if bool::from(k.ct_eq(&raw)) {
                found = Some(i);
            }
        }
        found.map(|_| hex::encode(&raw[..6]))
    }
}

fn key_hash(key: &str) -> [u8; 32] {
    let mut h = [0u8; 32];
    h.copy_from_slice(&<sha2::Sha256 as sha2::Digest>::digest(key.as_bytes()));
    h
}

/// A request from the portal with a valid API key.
#[derive(Debug)]
pub struct Portal(pub Caller);

impl<S> FromRequestParts<S> for Portal
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        let header = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        let Some(key) = header.strip_prefix("Bearer ").map(str::trim).filter(|k| !k.is_empty()) else {
            return Err(ApiError::unauthorized("send the API key as \"Authorization: Bearer <key>\""));
        };
        let id = state.api_keys.check(key).ok_or_else(|| ApiError::unauthorized("the API key is not valid"))?;
        Ok(Portal(caller(parts, Actor::Portal(id))))
    }
}

/// A producer request with a live session.
#[derive(Debug)]
pub struct Session {
    /// The session token (from the cookie).
    pub token: String,
    /// The packet it may act on.
    pub packet_id: String,
    /// Audit details.
    pub caller: Caller,
}

impl<S> FromRequestParts<S> for Session
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        if parts.headers.contains_key(AUTHORIZATION) {
            return Err(ApiError::forbidden("wrong_credentials", "producer endpoints take a signing session, not an API key"));
        }
        let token = session_cookie(parts)
            .ok_or_else(|| ApiError::new(axum::http::StatusCode::UNAUTHORIZED, "session_ended", "open your signing link to start a session"))?;
        let packet_id = state.service.session(&token).await?;
        let caller = caller(parts, Actor::Producer(crate::service::session_id(&token)));
        Ok(Session { token, packet_id, caller })
    }
}

/// The session token from the cookie header.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The audit details of a request.
pub fn caller(parts: &Parts, actor: Actor) -> Caller {
    let ip = super::client::of(&parts.extensions).map(|ip| ip.to_string());
    let user_agent =
        parts.headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(300).collect::<String>());
    Caller { actor, ip, user_agent }
}
