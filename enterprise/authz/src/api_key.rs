// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! API-key tokens: `dgk_<key_id>_<secret>`, with a 16-hex-digit public key id and a
//! 64-hex-digit (256-bit) secret. Only SHA-256 of the secret is stored; comparison is
//! constant-time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The token prefix.
pub const PREFIX: &str = "dgk_";
const KEY_ID_HEX: usize = 16;
const SECRET_HEX: usize = 64;

/// A freshly issued token. `Debug` shows the key id only.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// Public key id.
    pub key_id: String,
    secret: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl IssuedToken {
    /// A new random key id and secret (from the operating system's generator via `rand`).
    pub fn generate() -> Self {
        IssuedToken { key_id: format!("{:016x}", rand::random::<u64>()), secret: random_secret() }
    }

    /// A new secret for an existing key id (rotation).
    pub fn rotate(key_id: &str) -> Self {
        IssuedToken { key_id: key_id.to_owned(), secret: random_secret() }
    }

    /// The whole token, to be shown exactly once.
    pub fn reveal(&self) -> String {
        format!("{PREFIX}{}_{}", self.key_id, self.secret)
    }

    /// SHA-256 of the secret (what is stored).
    pub fn secret_sha256(&self) -> [u8; 32] {
        secret_sha256(&self.secret)
    }
}

fn random_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// SHA-256 of a secret.
pub fn secret_sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A presented token, split. `Debug` shows the key id only.
#[derive(Clone, PartialEq, Eq)]
pub struct PresentedToken<'a> {
    /// Public key id.
    pub key_id: &'a str,
    secret: &'a str,
}

impl std::fmt::Debug for PresentedToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresentedToken").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

fn lower_hex(text: &str, length: usize) -> bool {
    text.len() == length && text.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

impl<'a> PresentedToken<'a> {
    /// Parses `dgk_<16 hex>_<64 hex>`; `None` for anything else.
    pub fn parse(token: &'a str) -> Option<Self> {
        let rest = token.strip_prefix(PREFIX)?;
        let (key_id, secret) = rest.split_once('_')?;
        (lower_hex(key_id, KEY_ID_HEX) && lower_hex(secret, SECRET_HEX)).then_some(PresentedToken { key_id, secret })
    }

    /// Whether the secret hashes to `stored`, compared in constant time.
    pub fn matches(&self, stored: &[u8; 32]) -> bool {
        bool::from(secret_sha256(self.secret).ct_eq(stored))
    }
}

/// Whether a bearer token looks like an API key (the `dgk_` prefix), so other token kinds can
/// be routed elsewhere.
pub fn looks_like_api_key(token: &str) -> bool {
    token.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_token_parses_back_and_matches_only_its_hash() {
        let issued = IssuedToken::generate();
        let text = issued.reveal();
        let parsed = PresentedToken::parse(&text).expect("parses");
        assert_eq!(parsed.key_id, issued.key_id);
        assert!(parsed.matches(&issued.secret_sha256()));
        let rotated = IssuedToken::rotate(&issued.key_id);
        assert_eq!(rotated.key_id, issued.key_id);
        assert!(!parsed.matches(&rotated.secret_sha256()));
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        let good = format!("dgk_{}_{}", "a".repeat(16), "b".repeat(64));
        assert!(PresentedToken::parse(&good).is_some());
        for bad in [
            format!("dgk_{}_{}", "a".repeat(15), "b".repeat(64)),
            format!("dgk_{}_{}", "a".repeat(16), "b".repeat(63)),
            format!("dgk_{}_{}", "A".repeat(16), "b".repeat(64)),
            format!("dgx_{}_{}", "a".repeat(16), "b".repeat(64)),
            format!("dgk_{}-{}", "a".repeat(16), "b".repeat(64)),
            format!("dgk_{}_{}_", "a".repeat(16), "b".repeat(64)),
            String::new(),
        ] {
            assert!(PresentedToken::parse(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let issued = IssuedToken::generate();
        let secret = issued.reveal().rsplit('_').next().unwrap().to_owned();
        assert!(!format!("{issued:?}").contains(&secret));
        let text = issued.reveal();
        assert!(!format!("{:?}", PresentedToken::parse(&text).unwrap()).contains(&secret));
    }
}
