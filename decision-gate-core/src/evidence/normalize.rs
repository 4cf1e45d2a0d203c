//! Normalisation of one provider answer (core-model §5.2, §5.6).

use super::{AnchorRequirement, EvidenceResult, EvidenceResultError, EvidenceValue, TrustLane, check_anchor};
use crate::hashing::{CanonicalError, HashDigest, MAX_EVIDENCE_BYTES, hash_json_value};

/// Hash of an evidence value: canonical JSON bytes, or the raw bytes. Both are capped at 1 MiB
/// (the exact boundary passes); `Err` carries `(actual, max)` sizes.
pub fn hash_evidence_value(value: &EvidenceValue) -> Result<HashDigest, (usize, usize)> {
    match value {
        EvidenceValue::Json(json) => match hash_json_value(json, Some(MAX_EVIDENCE_BYTES)) {
            Ok(digest) => Ok(digest),
            Err(CanonicalError::TooLarge { actual, max }) => Err((actual, max)),
            // serde_json values are always finite; treat anything else as oversize-safe failure.
            Err(_) => Err((usize::MAX, MAX_EVIDENCE_BYTES)),
        },
        EvidenceValue::Bytes(bytes) => {
            if bytes.len() > MAX_EVIDENCE_BYTES {
                Err((bytes.len(), MAX_EVIDENCE_BYTES))
            } else {
                Ok(HashDigest::sha256(bytes))
            }
        }
    }
}

/// The record of a failed provider call: error `provider_error`, no value, verified lane.
pub fn provider_error_result(message: &str) -> EvidenceResult {
    EvidenceResult {
        error: Some(EvidenceResultError {
            code: "provider_error".to_owned(),
            message: format!("evidence provider error: {message}"),
            details: None,
        }),
        ..EvidenceResult::default()
    }
}

/// Applies steps 2–4 of core-model §5.2 to a provider result.
///
/// An error wipes value, hash and content type. A failed anchor check replaces the whole
/// result by an empty verified result with error `anchor_invalid`. Otherwise the hash is
/// recomputed from the value (a result without value keeps the provider's hash). `Err` is the
/// hard `EvidenceTooLarge` failure with `(actual, max)`.
pub fn normalize_provider_result(
    mut result: EvidenceResult,
    anchor: Option<&AnchorRequirement>,
) -> Result<EvidenceResult, (usize, usize)> {
    if result.error.is_some() {
        result.value = None;
        result.evidence_hash = None;
        result.content_type = None;
        return Ok(result);
    }
    if let Some(requirement) = anchor
        && let Err(reason) = check_anchor(requirement, &result)
    {
        return Ok(EvidenceResult {
            lane: TrustLane::Verified,
            error: Some(EvidenceResultError {
                code: "anchor_invalid".to_owned(),
                message: format!("anchor invalid: {reason}"),
                details: None,
            }),
            ..EvidenceResult::default()
        });
    }
    if let Some(value) = &result.value {
        result.evidence_hash = Some(hash_evidence_value(value)?);
    }
    Ok(result)
}
