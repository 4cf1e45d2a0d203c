//! Self-validating `Mcp-Session-Id` values for handshake-era clients (mcp-surface §4.2).
//!
//! No session table exists: an id is `<payload>.<mac>` where the payload carries the
//! negotiated protocol version, the issue time and a hash of the principal, and the MAC is
//! HMAC-SHA256 under a key shared by every process (from `server.sessions.shared_secret_path`,
//! or generated at start). Any process with the same key accepts the id; another principal,
//! an expired id or a bad MAC is rejected.

use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Why a session id was rejected (HTTP 404).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionRejection {
    /// Not of the expected shape or a bad MAC.
    Invalid,
    /// Older than the idle timeout.
    Expired,
    /// Issued to another principal.
    ForeignPrincipal,
}

/// Issues and checks session ids.
#[derive(Clone)]
pub struct SessionKeys {
    key: Vec<u8>,
    lifetime_ms: u64,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys").field("lifetime_ms", &self.lifetime_ms).finish_non_exhaustive()
    }
}

fn principal_tag(principal_id: &str) -> String {
    hex::encode(&Sha256::digest(principal_id.as_bytes())[..16])
}

impl SessionKeys {
    /// Keys from a secret (at least 32 bytes).
    pub fn new(secret: Vec<u8>, lifetime_ms: u64) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err("session secret must be at least 32 bytes".to_owned());
        }
        Ok(SessionKeys { key: secret, lifetime_ms })
    }

    /// Keys from `shared_secret_path`, or a fresh random key when no path is configured.
    pub fn load(path: Option<&Path>, lifetime_ms: u64) -> Result<Self, String> {
        let secret = match path {
            Some(path) => {
                std::fs::read(path).map_err(|err| format!("cannot read session secret {}: {err}", path.display()))?
            }
            None => (0..32).map(|_| rand::random::<u8>()).collect(),
        };
        SessionKeys::new(secret, lifetime_ms)
    }

    fn mac(&self, payload: &str) -> Vec<u8> {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(payload.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// A new session id for a principal and negotiated version at `now_ms`.
    pub fn issue(&self, principal_id: &str, protocol_version: &str, now_ms: i64) -> String {
        let payload = format!("v1.{protocol_version}.{now_ms}.{}", principal_tag(principal_id));
        let mac = hex::encode(self.mac(&payload));
        format!("{payload}.{mac}")
    }

    /// Checks a presented id; returns the negotiated protocol version.
    pub fn validate(&self, session_id: &str, principal_id: &str, now_ms: i64) -> Result<String, SessionRejection> {
        let (payload, mac_hex) = session_id.rsplit_once('.').ok_or(SessionRejection::Invalid)?;
        let presented = hex::decode(mac_hex).map_err(|_| SessionRejection::Invalid)?;
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(payload.as_bytes());
        mac.verify_slice(&presented).map_err(|_| SessionRejection::Invalid)?;
        let mut parts = payload.splitn(4, '.');
        let (Some("v1"), Some(version), Some(issued), Some(tag)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SessionRejection::Invalid);
        };
        let issued: i64 = issued.parse().map_err(|_| SessionRejection::Invalid)?;
        let age = now_ms.saturating_sub(issued);
        if age < 0 || u64::try_from(age).unwrap_or(u64::MAX) > self.lifetime_ms {
            return Err(SessionRejection::Expired);
        }
        if tag != principal_tag(principal_id) {
            return Err(SessionRejection::ForeignPrincipal);
        }
        Ok(version.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_validate_across_instances_with_the_same_key() {
        let issuer = SessionKeys::new(vec![7; 32], 1000).unwrap();
        let other_process = SessionKeys::new(vec![7; 32], 1000).unwrap();
        let id = issuer.issue("loopback", "2025-11-25", 5_000);
        assert_eq!(other_process.validate(&id, "loopback", 5_500), Ok("2025-11-25".to_owned()));
        assert_eq!(other_process.validate(&id, "token:abc", 5_500), Err(SessionRejection::ForeignPrincipal));
        assert_eq!(other_process.validate(&id, "loopback", 6_001), Err(SessionRejection::Expired));
        let stranger = SessionKeys::new(vec![8; 32], 1000).unwrap();
        assert_eq!(stranger.validate(&id, "loopback", 5_500), Err(SessionRejection::Invalid));
        assert_eq!(issuer.validate("garbage", "loopback", 5_500), Err(SessionRejection::Invalid));
        let mut tampered = id.clone();
        tampered.replace_range(3..4, "9");
        assert_eq!(issuer.validate(&tampered, "loopback", 5_500), Err(SessionRejection::Invalid));
        assert!(SessionKeys::new(vec![1; 31], 1).is_err());
    }
}
