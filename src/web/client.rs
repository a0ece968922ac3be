//! Who is asking, without keeping who they are. A client is known to tipdesk
//! only as a keyed hash of its address with a salt that changes every day:
//! enough to rate-limit and correlate abuse for a day, useless to anyone who
//! copies the database and wants to know who wrote in.

use std::net::IpAddr;

use actix_web::HttpRequest;

use crate::secrets::{hmac_sha256, Keys};

/// A daily-salted, keyed hash of a client's address.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClientKey(String);

impl ClientKey {
    /// Hashes `ip` with today's salt (UTC date).
    pub fn for_ip(keys: &Keys, ip: IpAddr) -> Self {
        let day = chrono::Utc::now().date_naive().to_string();
        Self::for_ip_on(keys, ip, &day)
    }

    fn for_ip_on(keys: &Keys, ip: IpAddr, day: &str) -> Self {
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

    /// Derives the key for this request, from the configured proxy header
    /// or else the TCP peer.
    pub fn from_request(req: &HttpRequest, keys: &Keys, header: Option<&str>) -> Self {
        let ip = client_ip(req, header).unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Self::for_ip(keys, ip)
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

/// The client's address. With a proxy header configured, the right-most
/// entry is used: it is the one our own proxy appended, while entries to
/// its left come from the client and can be forged.
pub fn client_ip(req: &HttpRequest, header: Option<&str>) -> Option<IpAddr> {
    if let Some(name) = header {
        return req
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok());
    }
    req.peer_addr().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_changes_with_the_day_and_hides_the_address() {
        let keys = Keys::from_secret(b"0123456789abcdef0123456789abcdef");
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let monday = ClientKey::for_ip_on(&keys, ip, "2026-11-23");
        let again = ClientKey::for_ip_on(&keys, ip, "2026-11-23");
        let tuesday = ClientKey::for_ip_on(&keys, ip, "2026-11-24");
        assert_eq!(monday, again);
        assert_ne!(monday, tuesday);
        assert!(!monday.as_str().contains("203"));
        assert_eq!(monday.as_str().len(), 32);
    }
}
