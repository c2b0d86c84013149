//! Who the client is, by address: the TCP peer, or — when the peer is one
//! of our own reverse proxies — the address that proxy says it forwarded
//! for. The audit trail records it and the rate limits count by it.
//!
//! Only proxies named in [`TrustedProxies`] are believed: a client that
//! sends its own `X-Forwarded-For` to inkseal directly changes nothing.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// The client's address as decided for one request (a request extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The reverse proxies whose `X-Forwarded-For` is believed, as address
/// ranges (`10.0.0.0/8`, `2001:db8::/32`, or single addresses).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

/// A range that is not an address or `address/prefix`.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an IP address or range (write 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32)")]
pub struct BadRange(String);

impl TrustedProxies {
    /// Parses comma-separated ranges; empty means no proxy is trusted.
    ///
    /// # Errors
    /// [`BadRange`] for the first entry that is not a range.
    pub fn parse(list: &str) -> Result<Self, BadRange> {
        let mut ranges = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let bad = || BadRange(item.to_owned());
            let (addr, prefix) = match item.split_once('/') {
                Some((a, p)) => (a.parse::<IpAddr>().map_err(|_| bad())?, p.parse::<u8>().map_err(|_| bad())?),
                None => {
                    let a = item.parse::<IpAddr>().map_err(|_| bad())?;
                    (a, if a.is_ipv4() { 32 } else { 128 })
                }
            };
            if prefix > if addr.is_ipv4() { 32 } else { 128 } {
                return Err(bad());
            }
            ranges.push((addr, prefix));
        }
        Ok(Self(ranges))
    }

    /// Whether `ip` is one of the proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|(net, prefix)| in_range(ip, *net, *prefix))
    }
}

fn in_range(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// The client's address for a request: what the accept loop decided, or
/// the TCP peer where it did not run (a router served some other way).
pub fn of(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ClientAddr>()
        .map(|c| c.0)
        .or_else(|| extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip()))
}

/// The client behind `peer`: the peer itself unless it is a trusted proxy;
/// then the nearest address in `X-Forwarded-For` that is not one (each
/// proxy appends the address it received from, so the right-most entries
/// are ours and the first untrusted one from the right is the client).
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, proxies: &TrustedProxies) -> IpAddr {
    if !proxies.contains(peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|a| a.trim().parse::<IpAddr>())
        .collect::<Result<_, _>>()
        // A list with an entry that is not an address was not written by a proxy we trust.
        .unwrap_or_default();
    forwarded.iter().rev().copied().find(|a| !proxies.contains(*a)).or_else(|| forwarded.first().copied()).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_proxy_is_believed() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7").unwrap();
        let h = headers(&["203.0.113.9"]);
        assert_eq!(client_addr(ip("198.51.100.1"), &h, &proxies), ip("198.51.100.1"), "a client's own header is ignored");
        assert_eq!(client_addr(ip("10.1.2.3"), &h, &proxies), ip("203.0.113.9"));
        assert_eq!(client_addr(ip("192.0.2.7"), &h, &proxies), ip("203.0.113.9"));
        assert_eq!(client_addr(ip("192.0.2.8"), &h, &proxies), ip("192.0.2.8"));
    }

    #[test]
    fn the_first_untrusted_address_from_the_right_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // The client forged the first entry; our proxies appended the rest.
        let h = headers(&["1.1.1.1, 203.0.113.9", "10.0.0.5"]);
        assert_eq!(client_addr(ip("10.0.0.1"), &h, &proxies), ip("203.0.113.9"));
        assert_eq!(client_addr(ip("10.0.0.1"), &headers(&["10.0.0.9"]), &proxies), ip("10.0.0.9"));
        assert_eq!(client_addr(ip("10.0.0.1"), &headers(&["203.0.113.9, junk"]), &proxies), ip("10.0.0.1"));
        assert_eq!(client_addr(ip("10.0.0.1"), &HeaderMap::new(), &proxies), ip("10.0.0.1"));
    }

    #[test]
    fn ranges_parse_and_match_in_both_families() {
        let proxies = TrustedProxies::parse("2001:db8::/32,127.0.0.1").unwrap();
        assert!(proxies.contains(ip("2001:db8:ffff::1")));
        assert!(!proxies.contains(ip("2001:db9::1")));
        assert!(proxies.contains(ip("::ffff:127.0.0.1")), "IPv4-mapped addresses are IPv4");
        assert!(TrustedProxies::parse("").unwrap() == TrustedProxies::default());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.internal").unwrap_err().to_string().contains("proxy.internal"));
        assert!(TrustedProxies::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
    }
}
