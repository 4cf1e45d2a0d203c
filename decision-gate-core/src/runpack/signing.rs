//! Ed25519 keys and signatures for runpacks (v2 manifest signature) and evidence.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::Serialize;

use crate::hashing::{HashDigest, to_canonical_vec};
use crate::ids::ProviderId;

/// Domain-separation context of runpack signatures.
pub const RUNPACK_SIGNATURE_CONTEXT: &str = "decision-gate/runpack/v2";

/// Decodes 32 bytes of key material: raw 32 bytes, or base64 text of 32 bytes (trimmed).
pub fn decode_key_material(bytes: &[u8]) -> Result<[u8; 32], String> {
    if let Ok(raw) = <[u8; 32]>::try_from(bytes) {
        return Ok(raw);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "key must be 32 raw bytes or base64 text".to_owned())?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| "key must be 32 raw bytes or base64 text".to_owned())?;
    <[u8; 32]>::try_from(decoded.as_slice()).map_err(|_| format!("key must decode to 32 bytes, got {}", decoded.len()))
}

/// SHA-256 fingerprint of a raw public key.
pub fn public_key_fingerprint(key: &VerifyingKey) -> HashDigest {
    HashDigest::sha256(key.as_bytes())
}

/// A runpack signing key with its id.
#[derive(Clone, Debug)]
pub struct RunpackSigningKey {
    /// Key id written into the manifest.
    pub key_id: String,
    key: SigningKey,
}

impl RunpackSigningKey {
    /// Builds a key from a 32-byte Ed25519 seed (raw or base64 text).
    pub fn from_seed_material(key_id: impl Into<String>, material: &[u8]) -> Result<Self, String> {
        let seed = decode_key_material(material)?;
        Ok(RunpackSigningKey { key_id: key_id.into(), key: SigningKey::from_bytes(&seed) })
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Signs the canonical runpack signature message for a root hash; returns lowercase hex.
    pub fn sign_root(&self, root_hash: &HashDigest) -> Result<String, String> {
        let message = runpack_signature_message(root_hash)?;
        Ok(hex::encode(self.key.sign(&message).to_bytes()))
    }

    /// Signs arbitrary bytes (used for evidence signatures in tests and tools).
    pub fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message).to_bytes().to_vec()
    }
}

/// A trusted verification key for runpack signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedRunpackKey {
    /// Key id.
    pub key_id: String,
    /// Public key.
    pub key: VerifyingKey,
}

impl TrustedRunpackKey {
    /// Builds a trusted key from 32 bytes of public key material (raw or base64 text).
    pub fn from_public_material(key_id: impl Into<String>, material: &[u8]) -> Result<Self, String> {
        let bytes = decode_key_material(material)?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|err| format!("invalid ed25519 public key: {err}"))?;
        Ok(TrustedRunpackKey { key_id: key_id.into(), key })
    }
}

#[derive(Serialize)]
struct SignatureMessage<'a> {
    context: &'static str,
    root_hash: &'a HashDigest,
}

/// Canonical JSON of `{"context":"decision-gate/runpack/v2","root_hash":<root>}`.
pub(crate) fn runpack_signature_message(root_hash: &HashDigest) -> Result<Vec<u8>, String> {
    to_canonical_vec(&SignatureMessage { context: RUNPACK_SIGNATURE_CONTEXT, root_hash }).map_err(|err| err.to_string())
}

/// Strictly verifies a hex runpack signature over a root hash.
pub(crate) fn verify_root_signature(key: &VerifyingKey, root_hash: &HashDigest, signature_hex: &str) -> bool {
    let Ok(message) = runpack_signature_message(root_hash) else { return false };
    let Ok(bytes) = hex::decode(signature_hex) else { return false };
    let Ok(array) = <[u8; 64]>::try_from(bytes.as_slice()) else { return false };
    key.verify_strict(&message, &Signature::from_bytes(&array)).is_ok()
}

/// The message signed by evidence providers: the canonical JSON of the evidence digest.
pub fn evidence_signature_message(digest: &HashDigest) -> Vec<u8> {
    to_canonical_vec(digest).unwrap_or_default()
}

/// Strictly verifies an Ed25519 evidence signature over the canonical digest.
pub fn verify_evidence_signature(key: &VerifyingKey, digest: &HashDigest, signature: &[u8]) -> bool {
    let Ok(array) = <[u8; 64]>::try_from(signature) else { return false };
    key.verify_strict(&evidence_signature_message(digest), &Signature::from_bytes(&array)).is_ok()
}

/// Evidence verification keys and the providers that must sign.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvidenceKeySet {
    /// Public keys by key id.
    pub keys: BTreeMap<String, VerifyingKey>,
    /// Providers whose trust policy is `require_signature`.
    pub require_signature: BTreeSet<ProviderId>,
}
