//! Provider trust policies and evidence signature checks (core-model §5.5, mcp-surface §10.1).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use decision_gate_core::evidence::{EvidenceResult, hash_evidence_value};
use decision_gate_core::runpack::{decode_key_material, verify_evidence_signature};
use ed25519_dalek::VerifyingKey;

use crate::config::{SignatureKeyConfig, TrustPolicyConfig};

/// Largest key file read (keys are 32 raw bytes or their base64 text).
const MAX_KEY_FILE_BYTES: u64 = 4096;

/// A provider's trust policy with its keys loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TrustPolicy {
    /// Unsigned evidence is accepted; provider hashes pass through unverified.
    #[default]
    Audit,
    /// Every result must carry a valid Ed25519 signature by one of these keys (by key id).
    RequireSignature {
        /// Verification keys by key id.
        keys: BTreeMap<String, VerifyingKey>,
    },
}

/// Loads a configured trust policy, reading every key file.
///
/// A path entry's key id is the path text itself (the Decision Gate OSS form); `{key_id, path}`
/// entries name their id explicitly. Two entries with one id but different keys, an empty key
/// list, unreadable files and malformed keys are errors.
pub fn load_trust_policy(config: &TrustPolicyConfig) -> Result<TrustPolicy, String> {
    let TrustPolicyConfig::RequireSignature { keys: entries } = config else {
        return Ok(TrustPolicy::Audit);
    };
    if entries.is_empty() {
        return Err("require_signature needs at least one key".to_owned());
    }
    let mut keys = BTreeMap::new();
    for entry in entries {
        let (key_id, path) = match entry {
            SignatureKeyConfig::Path(path) => {
                let id = path.to_str().ok_or_else(|| format!("key path {} is not valid UTF-8", path.display()))?;
                (id.to_owned(), path.as_path())
            }
            SignatureKeyConfig::Named { key_id, path } => (key_id.clone(), path.as_path()),
        };
        if key_id.trim().is_empty() {
            return Err("signature key ids must not be blank".to_owned());
        }
        let key = load_public_key(path)?;
        if let Some(previous) = keys.insert(key_id.clone(), key)
            && previous != key
        {
            return Err(format!("signature key id {key_id:?} names two different keys"));
        }
    }
    Ok(TrustPolicy::RequireSignature { keys })
}

/// Reads a 32-byte Ed25519 public key: raw bytes or base64 text (trimmed).
pub fn load_public_key(path: &Path) -> Result<VerifyingKey, String> {
    let shown = path.display();
    // Checked before opening: opening a FIFO would block startup.
    let kind = std::fs::metadata(path).map_err(|err| format!("key file {shown} cannot be opened: {err}"))?;
    if !kind.is_file() {
        return Err(format!("key file {shown} is not a regular file"));
    }
    let file = std::fs::File::open(path).map_err(|err| format!("key file {shown} cannot be opened: {err}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| format!("key file {shown} cannot be read: {err}"))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(format!("key file {shown} is too large to be a public key"));
    }
    let material = decode_key_material(&bytes).map_err(|err| format!("key file {shown}: {err}"))?;
    VerifyingKey::from_bytes(&material).map_err(|err| format!("key file {shown}: invalid ed25519 public key: {err}"))
}

/// Enforces a `require_signature` policy on one result (core-model §5.5).
///
/// Rules, in order: a signature is present; its scheme is `ed25519`; its key id is known; the
/// result has a value; the evidence hash computed from the value equals the provider's hash
/// when one was sent; the signature over the canonical JSON of that digest verifies strictly.
/// On success the computed hash is stored in the result.
pub fn verify_signed_result(result: &mut EvidenceResult, keys: &BTreeMap<String, VerifyingKey>) -> Result<(), String> {
    let signature = result.signature.as_ref().ok_or("evidence signature missing")?;
    if signature.scheme != "ed25519" {
        return Err("evidence signature scheme must be ed25519".to_owned());
    }
    let key = keys.get(&signature.key_id).ok_or("evidence signature key is not trusted")?;
    let value = result.value.as_ref().ok_or("signed evidence has no value")?;
    let digest = hash_evidence_value(value).map_err(|_| "evidence too large to verify".to_owned())?;
    if result.evidence_hash.as_ref().is_some_and(|sent| *sent != digest) {
        return Err("evidence hash does not match the value".to_owned());
    }
    if !verify_evidence_signature(key, &digest, &signature.signature) {
        return Err("evidence signature is invalid".to_owned());
    }
    result.evidence_hash = Some(digest);
    Ok(())
}
