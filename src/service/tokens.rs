//! Signing links and producer sessions (spec §7): 256-bit random tokens,
//! stored only as SHA-256 hashes; a link is single-use and expires unused; a
//! session times out when idle. The CSRF token is derived from the session
//! token, so it needs no storage and dies with the session.

use subtle::ConstantTimeEq as _;

use super::{Caller, Service, ServiceError, random_token, rfc3339, sha256_hex};
use crate::packet::Event;
use crate::store::StoreError;

/// A link handed to the portal to send.
#[derive(Clone, Debug)]
pub struct IssuedLink {
    /// The whole URL.
    pub url: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
}

/// A session opened from a link.
#[derive(Clone, Debug)]
pub struct OpenedSession {
    /// The session token (the cookie's value).
    pub token: String,
    /// Its packet.
    pub packet_id: String,
}

impl Service {
    /// Issues a single-use signing link for the packet.
    ///
    /// # Errors
    /// 404 for an unknown packet.
    pub async fn issue_link(&self, packet_id: &str, caller: &Caller) -> Result<IssuedLink, ServiceError> {
        let token = random_token(32)?;
        let now = self.now();
        let ttl = time::Duration::try_from(self.config.link_ttl).unwrap_or(time::Duration::minutes(30));
        let expires = now + ttl;
        let expires_at = rfc3339(expires);
        for _ in 0..super::ATTEMPTS {
            let current = self.packet(packet_id).await?;
            let entry = self.entry(caller, now, Event::LinkIssued { expires_at: expires_at.clone() });
            match self
                .store
                .insert_link(packet_id, current.version, &sha256_hex(token.as_bytes()), now.unix_timestamp(), expires.unix_timestamp(), entry)
                .await
            {
                Ok(_) => {
                    let base = self.config.public_url.trim_end_matches('/');
                    return Ok(IssuedLink { url: format!("{base}/s/link/{token}"), expires_at });
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Busy)
    }

    /// Redeems a signing link: spends it and opens a session.
    ///
    /// # Errors
    /// [`ServiceError::Link`] saying whether the link is unknown, spent or expired.
    pub async fn open_session(&self, link_token: &str, caller: &Caller) -> Result<OpenedSession, ServiceError> {
        let session = random_token(32)?;
        let now = self.now();
        let caller = Caller { actor: crate::audit::Actor::Producer(session_id(&session)), ..caller.clone() };
        let entry = self.entry(&caller, now, Event::LinkOpened);
        let redeemed = self
            .store
            .redeem_link(&sha256_hex(link_token.as_bytes()), &sha256_hex(session.as_bytes()), now.unix_timestamp(), entry)
            .await?;
        let packet_id = redeemed.map_err(ServiceError::Link)?;
        Ok(OpenedSession { token: session, packet_id })
    }

    /// The packet a signing link would open, without spending the link.
    ///
    /// # Errors
    /// [`ServiceError::Link`] saying whether the link is unknown, spent or expired.
    pub async fn peek_link(&self, link_token: &str) -> Result<String, ServiceError> {
        let found = self.store.peek_link(&sha256_hex(link_token.as_bytes()), self.now().unix_timestamp()).await?;
        found.map_err(ServiceError::Link)
    }

    /// The packet a session may act on, refreshing its idle timer.
    ///
    /// # Errors
    /// [`ServiceError::SessionEnded`] when unknown or idle too long.
    pub async fn session(&self, token: &str) -> Result<String, ServiceError> {
        let idle = i64::try_from(self.config.session_idle.as_secs()).unwrap_or(i64::MAX);
        let row = self.store.touch_session(&sha256_hex(token.as_bytes()), self.now().unix_timestamp(), idle).await?;
        row.map(|r| r.packet_id).ok_or(ServiceError::SessionEnded)
    }

    /// Ends a session.
    ///
    /// # Errors
    /// On database failure.
    pub async fn end_session(&self, token: &str) -> Result<(), ServiceError> {
        Ok(self.store.end_session(&sha256_hex(token.as_bytes())).await?)
    }
}

/// The CSRF token that goes with a session.
pub fn csrf_token(session_token: &str) -> String {
    sha256_hex(format!("inkseal csrf\n{session_token}").as_bytes())
}

/// Whether `presented` is the session's CSRF token (constant time).
pub fn csrf_matches(session_token: &str, presented: &str) -> bool {
    csrf_token(session_token).as_bytes().ct_eq(presented.as_bytes()).into()
}

/// A short, non-secret id for a session in the audit trail (never the token).
pub fn session_id(session_token: &str) -> String {
    sha256_hex(format!("inkseal session\n{session_token}").as_bytes())[..16].to_owned()
}
