//! Who is asking, without keeping who they are. A client is known to tipdesk
//! only as a keyed hash of its address with a salt that changes every day:
//! enough to rate-limit and correlate abuse for a day, useless to anyone who
//! copies the database and wants to know who wrote in.
//!
//! Behind a reverse proxy the TCP peer is the proxy, and the client's
//! address arrives in a header the proxies append to. [`ProxyTrust`]
//! decides which entry to believe. The list walk is written here rather than
//! taken from a crate: the crates that do it (e.g. `actix-web`'s own
//! `ConnectionInfo::realip_remote_addr`) believe the left-most entry, which
//! is exactly the one a client can forge.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::{HeaderMap, HeaderName};
use actix_web::HttpRequest;
use ipnet::IpNet;

use crate::secrets::{hmac_sha256, HmacKeys};

/// A daily-salted, keyed hash of a client's address.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClientKey(String);

impl ClientKey {
    /// Hashes `ip` with today's salt (UTC date).
    pub fn for_ip(keys: &HmacKeys, ip: IpAddr) -> Self {
        let day = chrono::Utc::now().date_naive().to_string();
        Self::for_ip_on(keys, ip, &day)
    }

    fn for_ip_on(keys: &HmacKeys, ip: IpAddr, day: &str) -> Self {
        let daily_salt = hmac_sha256(keys.client_hash(), &[day.as_bytes()]);
        let ip = match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            // One person usually has a whole /64; hashing the full address
            // would let them dodge limits by rotating the low bits.
            IpAddr::V6(v6) => v6.octets()[..8].to_vec(),
        };
        let digest = hmac_sha256(&daily_salt, &[&ip]);
        Self(hex::encode(&digest[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientKey({})", &self.0[..8])
    }
}

/// Which proxies may tell tipdesk who the client is, and in which header
/// (`server.client_ip_header`, `server.trusted_proxies`).
///
/// The rule: the header is believed only when the TCP peer is a trusted
/// proxy. Then every line of the header is read as one comma-separated list
/// in order (RFC 9110 §5.3: several lines of a list header are one list),
/// and the client is the **right-most entry that is not a trusted proxy**.
/// Each hop appends the address it received the request from, so entries
/// are added right to left by ever closer proxies: walking from the right
/// through our own proxies, the first address that is not one of them was
/// written by a proxy we trust about a peer it saw. Everything further left
/// came from the client and may be forged. (Taking simply the right-most
/// entry would name our own outer proxy whenever two of ours are chained;
/// taking the left-most would believe the client.)
///
/// An entry that is not an address (garbage, `unknown`, an obfuscated
/// RFC 7239 node) ends the walk: the client is then the last hop that could
/// be identified, never an address we cannot vouch for. When every entry is
/// a trusted proxy, the left-most one is the client (a proxy or a local
/// scraper asking for itself).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyTrust {
    /// Lower-case header name, or `None` to use the TCP peer alone.
    pub header: Option<HeaderName>,
    /// Peers whose header is believed; their own entries are skipped.
    pub trusted: Vec<IpNet>,
}

/// Reads one `server.trusted_proxies` entry: an address or a CIDR block.
pub fn parse_trusted(entry: &str) -> Result<IpNet, String> {
    let entry = entry.trim();
    entry
        .parse::<IpNet>()
        .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| format!("`{entry}` is neither an IP address nor a CIDR block"))
}

impl ProxyTrust {
    fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// The client's address for a request from `peer` carrying `headers`.
    /// `None` only when the peer is unknown (a Unix socket, a test request).
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer.map(canonical)?;
        let Some(name) = &self.header else {
            return Some(peer);
        };
        if !self.is_trusted(peer) {
            return Some(peer);
        }
        let forwarded = name.as_str() == "forwarded";
        let lines: Vec<&[u8]> = headers.get_all(name).map(|v| v.as_bytes()).collect();
        Some(self.walk(peer, lines.into_iter(), forwarded))
    }

    /// The walk described on [`ProxyTrust`], from a trusted `peer` over the
    /// raw header lines in the order received. Public for the fuzz target.
    pub fn walk<'a>(
        &self,
        peer: IpAddr,
        lines: impl DoubleEndedIterator<Item = &'a [u8]>,
        forwarded: bool,
    ) -> IpAddr {
        let mut client = peer;
        for line in lines.rev() {
            for entry in line.rsplit(|&b| b == b',') {
                let parsed = std::str::from_utf8(entry).ok().and_then(|e| {
                    if forwarded {
                        forwarded_for(e)
                    } else {
                        entry_ip(e)
                    }
                });
                match parsed {
                    Some(ip) if self.is_trusted(ip) => client = ip,
                    Some(ip) => return ip,
                    None => return client,
                }
            }
        }
        client
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:a.b.c.d`, as dual-stack
/// sockets report IPv4 peers) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// One list entry as proxies write it: `203.0.113.7`, `2001:db8::1`,
/// `[2001:db8::1]`, or either with a port (`203.0.113.7:4711`,
/// `[2001:db8::1]:4711`), surrounded by optional whitespace.
fn entry_ip(entry: &str) -> Option<IpAddr> {
    let e = entry.trim_matches([' ', '\t']);
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sock) = e.parse::<SocketAddr>() {
        return Some(canonical(sock.ip()));
    }
    e.strip_prefix('[')
        .and_then(|e| e.strip_suffix(']'))
        .and_then(|e| e.parse::<IpAddr>().ok())
        .map(canonical)
}

/// The `for=` parameter of one RFC 7239 `Forwarded` element, e.g.
/// `for=192.0.2.60;proto=http` or `for="[2001:db8:cafe::17]:4711"`.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("for") {
            return None;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        entry_ip(value)
    })
}

/// The client's address for `req` under `trust`.
pub fn client_ip(req: &HttpRequest, trust: &ProxyTrust) -> Option<IpAddr> {
    trust.client_ip(req.peer_addr().map(|a| a.ip()), req.headers())
}

/// The key a request is counted under: its client's address hashed, or
/// `0.0.0.0`'s when the peer is unknown.
pub fn client_key(req: &HttpRequest, keys: &HmacKeys, trust: &ProxyTrust) -> ClientKey {
    let ip = client_ip(req, trust).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    ClientKey::for_ip(keys, ip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    #[test]
    fn the_hash_changes_with_the_day_and_hides_the_address() {
        let keys = HmacKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let monday = ClientKey::for_ip_on(&keys, ip, "2026-11-23");
        let again = ClientKey::for_ip_on(&keys, ip, "2026-11-23");
        let tuesday = ClientKey::for_ip_on(&keys, ip, "2026-11-24");
        assert_eq!(monday, again);
        assert_ne!(monday, tuesday);
        assert!(!monday.as_str().contains("203"));
        assert_eq!(monday.as_str().len(), 32);
    }

    fn trust(header: &str, trusted: &[&str]) -> ProxyTrust {
        ProxyTrust {
            header: Some(HeaderName::from_bytes(header.as_bytes()).unwrap()),
            trusted: trusted.iter().map(|t| parse_trusted(t).unwrap()).collect(),
        }
    }

    fn ask(t: &ProxyTrust, peer: &str, lines: &[&str]) -> String {
        let mut headers = HeaderMap::new();
        let name = t.header.clone().unwrap();
        for line in lines {
            headers.append(name.clone(), HeaderValue::from_str(line).unwrap());
        }
        t.client_ip(Some(peer.parse().unwrap()), &headers)
            .unwrap()
            .to_string()
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_peer() {
        let t = trust("x-forwarded-for", &["127.0.0.1"]);
        assert_eq!(ask(&t, "127.0.0.1", &["203.0.113.9"]), "203.0.113.9");
        assert_eq!(ask(&t, "127.0.0.2", &["203.0.113.9"]), "127.0.0.2");
        assert_eq!(ask(&t, "127.0.0.1", &[]), "127.0.0.1");
    }

    #[test]
    fn every_line_is_one_list_and_the_right_most_untrusted_entry_wins() {
        let t = trust("x-forwarded-for", &["127.0.0.0/8", "10.0.0.0/8"]);
        // A forged first line does not decide.
        assert_eq!(
            ask(&t, "127.0.0.1", &["198.51.100.1", "203.0.113.9"]),
            "203.0.113.9"
        );
        // A mix of lists and lines, with two of our proxies at the right.
        assert_eq!(
            ask(
                &t,
                "127.0.0.1",
                &["1.2.3.4, 198.51.100.1", "203.0.113.9, 10.1.1.1", "10.2.2.2"]
            ),
            "203.0.113.9"
        );
        // Nothing but our own proxies: the left-most of them.
        assert_eq!(ask(&t, "127.0.0.1", &["10.1.1.1, 127.0.0.1"]), "10.1.1.1");
        // Garbage stops the walk at the last hop we could identify.
        assert_eq!(
            ask(&t, "127.0.0.1", &["203.0.113.9, unknown, 10.1.1.1"]),
            "10.1.1.1"
        );
        assert_eq!(ask(&t, "127.0.0.1", &["nonsense"]), "127.0.0.1");
    }

    #[test]
    fn ports_brackets_and_mapped_addresses_are_understood() {
        let t = trust("x-forwarded-for", &["::1"]);
        assert_eq!(ask(&t, "::1", &["203.0.113.9:4711"]), "203.0.113.9");
        assert_eq!(ask(&t, "::1", &["[2001:db8::7]:443"]), "2001:db8::7");
        assert_eq!(ask(&t, "::1", &[" 2001:db8::7 "]), "2001:db8::7");
        assert_eq!(ask(&t, "::ffff:127.0.0.1", &[]), "127.0.0.1");
        let t = trust("x-forwarded-for", &["127.0.0.1"]);
        assert_eq!(ask(&t, "::ffff:127.0.0.1", &["203.0.113.9"]), "203.0.113.9");
    }

    #[test]
    fn the_rfc_7239_forwarded_header_is_read_by_its_for_parameter() {
        let t = trust("forwarded", &["127.0.0.1"]);
        assert_eq!(
            ask(
                &t,
                "127.0.0.1",
                &[
                    "for=198.51.100.1",
                    "for=\"[2001:db8:cafe::17]:4711\";proto=https"
                ]
            ),
            "2001:db8:cafe::17"
        );
        assert_eq!(
            ask(
                &t,
                "127.0.0.1",
                &["for=203.0.113.9;by=10.0.0.1, For=127.0.0.1"]
            ),
            "203.0.113.9"
        );
        assert_eq!(ask(&t, "127.0.0.1", &["for=_hidden"]), "127.0.0.1");
    }

    #[test]
    fn trusted_entries_are_addresses_or_blocks() {
        assert_eq!(
            parse_trusted("10.1.2.3").unwrap().to_string(),
            "10.1.2.3/32"
        );
        assert_eq!(
            parse_trusted("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(parse_trusted("fd00::/8").unwrap().to_string(), "fd00::/8");
        assert!(parse_trusted("proxy.internal").is_err());
    }
}
