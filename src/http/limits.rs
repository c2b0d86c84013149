/*!
What one client may ask of the server: how often it may redeem signing
links and upload PDFs to verify (a token bucket per client address), how
long a request may take, how long a client may take to send its headers,
and how many connections are served at once.

Rate limits are per client address (IPv6 clients by their /64, since one
host usually holds a whole prefix): the TCP peer, or behind one of
[`Limits::trusted_proxies`] the address it forwarded for
([`super::client`]).
*/

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use super::pages::{Problem, wants_html};

/// How many requests a client may make: `burst` at once, refilled at
/// `per_minute`. Zero per minute turns the limit off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Sustained requests per minute.
    pub per_minute: u32,
    /// Requests allowed back to back.
    pub burst: u32,
}

impl Rate {
    /// `per_minute`, with a burst of the same size.
    pub const fn per_minute(per_minute: u32) -> Self {
        Self { per_minute, burst: per_minute }
    }

    /// No limit.
    pub const OFF: Self = Self { per_minute: 0, burst: 0 };
}

/// The server's limits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// `GET`/`POST /s/link/{token}` per client.
    pub link_redemptions: Rate,
    /// `POST /verify` and `POST /api/v1/verify` per client.
    pub verify_uploads: Rate,
    /// Longest a request may take, body included, before it gets 408.
    pub request_timeout: Duration,
    /// Longest a client may take to send a request's headers before the
    /// connection is closed (slow-header clients hold no worker for long).
    pub header_timeout: Duration,
    /// Connections served at once; further ones wait in the listen queue.
    pub max_connections: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: super::TrustedProxies,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            link_redemptions: Rate::per_minute(30),
            verify_uploads: Rate::per_minute(30),
            request_timeout: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            trusted_proxies: super::TrustedProxies::default(),
        }
    }
}

/// Clients kept track of before full buckets are forgotten.
const TRACKED_CLIENTS: usize = 10_000;

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A token bucket per client.
pub struct RateLimiter {
    rate: Rate,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// A limiter for `rate`.
    pub fn new(rate: Rate) -> Self {
        Self { rate, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from `client`'s bucket at `now`, or says how long
    /// until the next one is allowed.
    ///
    /// # Errors
    /// The wait, when the bucket is empty.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.rate.per_minute == 0 {
            return Ok(());
        }
        let per_second = f64::from(self.rate.per_minute) / 60.0;
        let burst = f64::from(self.rate.burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= TRACKED_CLIENTS {
            // A full bucket holds no information; forgetting it changes nothing.
            buckets.retain(|_, b| b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_second < burst);
            if buckets.len() >= TRACKED_CLIENTS {
                // Still full: forget the half least recently seen, so memory
                // stays bounded without handing everyone a fresh bucket.
                let mut seen: Vec<Instant> = buckets.values().map(|b| b.at).collect();
                let (_, median, _) = seen.select_nth_unstable(TRACKED_CLIENTS / 2);
                let median = *median;
                buckets.retain(|_, b| b.at > median);
            }
        }
        let bucket = buckets.entry(client_key(client)).or_insert(Bucket { tokens: burst, at: now });
        let refilled = bucket.tokens + now.saturating_duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.tokens = refilled.min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(s.into())
            }
        },
    }
}

/// The limiters a running server shares.
#[derive(Clone)]
pub struct Limiters {
    links: Arc<RateLimiter>,
    verify: Arc<RateLimiter>,
}

impl Limiters {
    /// Fresh buckets for `limits`.
    pub fn new(limits: &Limits) -> Self {
        Self {
            links: Arc::new(RateLimiter::new(limits.link_redemptions)),
            verify: Arc::new(RateLimiter::new(limits.verify_uploads)),
        }
    }
}


/// Middleware for the signing-link routes.
pub async fn limit_links(State(state): State<AppState>, req: Request, next: Next) -> Response {
    limited(&state.limiters.links, "signing links", true, req, next).await
}

/// Middleware for the verify uploads.
pub async fn limit_verify(State(state): State<AppState>, req: Request, next: Next) -> Response {
    limited(&state.limiters.verify, "verification uploads", false, req, next).await
}

/// `contact`: the page offers the Producer Service Center (a producer with a
/// link needs a new one; compliance staff do not).
async fn limited(limiter: &RateLimiter, what: &str, contact: bool, req: Request, next: Next) -> Response {
    let client = super::client::of(req.extensions()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    match limiter.check(client, Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let seconds = wait.as_secs().max(1);
            tracing::warn!(what, seconds, "rate limited");
            let mut res = if wants_html(req.headers()) {
                Problem {
                    heading: "Too many attempts",
                    paragraphs: vec![format!(
                        "Too many requests for {what} came from your network in a short time. Nothing was changed. \
                         Please wait {seconds} seconds and try again."
                    )],
                    contact,
                    ..Problem::default()
                }
                .render(StatusCode::TOO_MANY_REQUESTS)
            } else {
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many requests for {what} from this address; retry after {seconds} seconds"),
                )
                .into_response()
            };
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            res
        }
    }
}

/// Ends a request that runs longer than the limit with 408 (a client that
/// sends its body too slowly) — handlers that commit do so in one
/// transaction, so a cut-off request changes nothing.
pub async fn request_timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.limits.request_timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            let mut res = ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!("the request took longer than {} seconds; send it again", limit.as_secs()),
            )
            .into_response();
            res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            res
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_the_rate() {
        let limiter = RateLimiter::new(Rate { per_minute: 6, burst: 3 });
        let ip = IpAddr::from([192, 0, 2, 1]);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(ip, t0).is_ok());
        }
        let wait = limiter.check(ip, t0).unwrap_err();
        assert_eq!(wait.as_secs(), 10, "six a minute is one every ten seconds");
        assert!(limiter.check(ip, t0 + Duration::from_secs(9)).is_err());
        assert!(limiter.check(ip, t0 + Duration::from_secs(20)).is_ok());
        assert!(limiter.check(IpAddr::from([192, 0, 2, 2]), t0).is_ok(), "other clients have their own bucket");
    }

    #[test]
    fn ipv6_clients_share_their_prefix_and_off_means_off() {
        let limiter = RateLimiter::new(Rate::per_minute(1));
        let t0 = Instant::now();
        assert!(limiter.check("2001:db8::1".parse().unwrap(), t0).is_ok());
        assert!(limiter.check("2001:db8::2".parse().unwrap(), t0).is_err());
        assert!(limiter.check("2001:db8:0:1::1".parse().unwrap(), t0).is_ok());
        let off = RateLimiter::new(Rate::OFF);
        assert!((0..1000).all(|_| off.check(IpAddr::from([10, 0, 0, 1]), t0).is_ok()));
    }
}
