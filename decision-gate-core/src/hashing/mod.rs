//! Canonical JSON (RFC 8785 with exact integers) and SHA-256 digests.
//!
//! Every hash in the system is SHA-256 over canonical JSON bytes (or over raw bytes for byte
//! values). [`HashDigest`] is the wire form `{"algorithm":"sha256","value":"<hex>"}`.

mod canonical;
mod serializer;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use canonical::{
    CanonicalError, canonical_number_text, compare_keys_utf16, value_to_canonical_vec, value_to_canonical_vec_limited,
};
pub use serializer::{to_canonical_vec, to_canonical_vec_limited};

/// Largest canonical evidence value (JSON) or evidence byte string: 1 MiB.
pub const MAX_EVIDENCE_BYTES: usize = 1024 * 1024;
/// Largest canonical packet or submission payload (JSON) or byte payload: 2 MiB.
pub const MAX_PAYLOAD_BYTES: usize = 2 * 1024 * 1024;

/// Hash algorithm label. `sha256` is the only one, spelled exactly in lowercase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HashAlgorithm {
    /// SHA-256.
    #[default]
    #[serde(rename = "sha256")]
    Sha256,
}

impl HashAlgorithm {
    /// The wire label.
    pub fn label(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
        }
    }
}

/// A digest: algorithm plus lowercase hex value. Digests compare as whole structs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HashDigest {
    /// The algorithm that produced the value.
    pub algorithm: HashAlgorithm,
    /// Lowercase hexadecimal digest text (not validated on input; compared verbatim).
    pub value: String,
}

impl HashDigest {
    /// SHA-256 of raw bytes.
    pub fn sha256(bytes: &[u8]) -> Self {
        Self::from_sha256_output(Sha256::digest(bytes).as_slice())
    }

    /// Wraps a finished 32-byte SHA-256 output.
    pub fn from_sha256_output(output: &[u8]) -> Self {
        HashDigest { algorithm: HashAlgorithm::Sha256, value: hex::encode(output) }
    }

    /// The hex digest text.
    pub fn hex(&self) -> &str {
        &self.value
    }
}

/// Hash of raw bytes with the given algorithm.
pub fn hash_bytes(algorithm: HashAlgorithm, bytes: &[u8]) -> HashDigest {
    match algorithm {
        HashAlgorithm::Sha256 => HashDigest::sha256(bytes),
    }
}

/// Hash of the canonical JSON of a typed value.
pub fn hash_canonical<T: Serialize + ?Sized>(value: &T) -> Result<HashDigest, CanonicalError> {
    Ok(HashDigest::sha256(&to_canonical_vec(value)?))
}

/// Hash of the canonical JSON of a typed value whose canonical form may not exceed `max` bytes.
pub fn hash_canonical_limited<T: Serialize + ?Sized>(value: &T, max: usize) -> Result<HashDigest, CanonicalError> {
    Ok(HashDigest::sha256(&to_canonical_vec_limited(value, max)?))
}

/// Hash of the canonical JSON of a JSON value, streamed straight into the hasher.
pub fn hash_json_value(value: &serde_json::Value, max: Option<usize>) -> Result<HashDigest, CanonicalError> {
    let mut sink = HashSink(Sha256::new());
    canonical::write_value_to(value, &mut sink, max.unwrap_or(usize::MAX))?;
    Ok(HashDigest::from_sha256_output(sink.0.finalize().as_slice()))
}

/// Feeds canonical bytes straight into SHA-256 (its block buffer absorbs the small writes).
struct HashSink(Sha256);

impl canonical::ByteSink for HashSink {
    fn put(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

#[cfg(test)]
mod tests;
