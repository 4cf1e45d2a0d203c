//! Redaction of evidence in responses (core-model §5.7). Run state always keeps full evidence.

use super::EvidenceResult;

/// Whether raw evidence values may be returned to callers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawValuePolicy {
    /// `evidence.allow_raw_values`.
    pub allow_raw_values: bool,
    /// `evidence.require_provider_opt_in`: the provider must also set `allow_raw`.
    pub require_provider_opt_in: bool,
}

impl RawValuePolicy {
    /// Whether raw values of a provider with the given opt-in may be disclosed.
    pub fn raw_allowed(&self, provider_allows_raw: bool) -> bool {
        self.allow_raw_values && (!self.require_provider_opt_in || provider_allows_raw)
    }
}

/// Redacts a result for a response: an error drops value, content type and hash; without raw
/// permission, value and content type are dropped. Hash, anchor, ref, lane and signature stay.
pub fn redact_evidence_result(result: &EvidenceResult, raw_allowed: bool) -> EvidenceResult {
    let mut redacted = result.clone();
    if redacted.error.is_some() {
        redacted.value = None;
        redacted.content_type = None;
        redacted.evidence_hash = None;
    }
    if !raw_allowed {
        redacted.value = None;
        redacted.content_type = None;
    }
    redacted
}
