use serde_json::json;

use super::*;
use crate::hashing::{HashDigest, MAX_EVIDENCE_BYTES};

fn anchored(value: &str) -> EvidenceResult {
    EvidenceResult {
        evidence_anchor: Some(EvidenceAnchor { anchor_type: "file".into(), anchor_value: value.into() }),
        evidence_ref: Some(EvidenceRef { uri: "dg+file://r/a.json".into() }),
        ..EvidenceResult::json(json!(2))
    }
}

fn requirement(fields: &[&str]) -> AnchorRequirement {
    AnchorRequirement { anchor_type: "file".into(), required_fields: fields.iter().map(|f| f.to_string()).collect() }
}

#[test]
fn wire_form_defaults_and_nulls() {
    let parsed: EvidenceResult = serde_json::from_value(json!({"value":{"kind":"bytes","value":[1,2]}})).unwrap();
    assert_eq!(parsed.lane, TrustLane::Verified);
    assert_eq!(parsed.value, Some(EvidenceValue::Bytes(vec![1, 2])));
    let text = String::from_utf8(crate::hashing::to_canonical_vec(&EvidenceResult::default()).unwrap()).unwrap();
    assert_eq!(
        text,
        r#"{"content_type":null,"error":null,"evidence_anchor":null,"evidence_hash":null,"evidence_ref":null,"lane":"verified","signature":null,"value":null}"#
    );
}

#[test]
fn hash_is_recomputed_whatever_the_provider_claimed() {
    let claimed = EvidenceResult { evidence_hash: Some(HashDigest::sha256(b"lie")), ..EvidenceResult::json(json!(2)) };
    let normalized = normalize_provider_result(claimed, None).unwrap();
    assert_eq!(
        normalized.evidence_hash.unwrap().value,
        "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35"
    );
    let bytes = normalize_provider_result(
        EvidenceResult { value: Some(EvidenceValue::Bytes(vec![1, 2, 3])), ..EvidenceResult::default() },
        None,
    )
    .unwrap();
    assert_eq!(bytes.evidence_hash.unwrap().value, "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81");
}

#[test]
fn no_value_keeps_provider_hash_and_errors_wipe_everything() {
    let kept = HashDigest::sha256(b"x");
    let no_value = EvidenceResult { evidence_hash: Some(kept.clone()), ..EvidenceResult::default() };
    assert_eq!(normalize_provider_result(no_value, None).unwrap().evidence_hash, Some(kept.clone()));
    let errored = EvidenceResult {
        error: Some(EvidenceResultError { code: "jsonpath_not_found".into(), message: "m".into(), details: None }),
        evidence_hash: Some(kept),
        content_type: Some("application/json".into()),
        evidence_ref: Some(EvidenceRef { uri: "u".into() }),
        ..EvidenceResult::json(json!(1))
    };
    let normalized = normalize_provider_result(errored, Some(&requirement(&["x"]))).unwrap();
    assert_eq!((normalized.value, normalized.evidence_hash, normalized.content_type), (None, None, None));
    assert_eq!(normalized.error.unwrap().code, "jsonpath_not_found");
    assert!(normalized.evidence_ref.is_some(), "only value, hash and content type are wiped");
}

#[test]
fn provider_error_record_shape() {
    let result = provider_error_result("boom");
    assert_eq!(result.error.as_ref().unwrap().code, "provider_error");
    assert_eq!(result.error.as_ref().unwrap().message, "evidence provider error: boom");
    assert_eq!(result.value, None);
    assert_eq!(result.lane, TrustLane::Verified);
}

#[test]
fn anchor_rules_and_reasons() {
    let req = requirement(&["path", "root_id"]);
    assert_eq!(check_anchor(&req, &anchored(r#"{"root_id":"r","path":"a.json","extra":true}"#)), Ok(()));
    assert_eq!(check_anchor(&req, &anchored(r#"{"root_id":"","path":7}"#)), Ok(()), "empty strings and numbers pass");
    assert_eq!(check_anchor(&req, &EvidenceResult::json(json!(1))), Err("missing evidence_anchor".into()));
    let other_type = EvidenceResult {
        evidence_anchor: Some(EvidenceAnchor { anchor_type: "url".into(), anchor_value: "{}".into() }),
        ..EvidenceResult::default()
    };
    assert_eq!(check_anchor(&req, &other_type), Err("anchor_type mismatch: expected file got url".into()));
    assert!(check_anchor(&req, &anchored("{not json")).unwrap_err().starts_with("anchor_value is not valid JSON"));
    assert_eq!(check_anchor(&req, &anchored("[1]")), Err("anchor_value must be a JSON object".into()));
    assert_eq!(check_anchor(&req, &anchored(r#"{"root_id":"r"}"#)), Err("path missing".into()));
    assert_eq!(check_anchor(&req, &anchored(r#"{"root_id":"r","path":null}"#)), Err("path must be set".into()));
    assert_eq!(
        check_anchor(&req, &anchored(r#"{"root_id":"r","path":true}"#)),
        Err("path must be string or number".into())
    );
    assert_eq!(check_anchor(&req, &anchored(r#"{"root_id":"r","path":[1]}"#)), Err("path must be scalar".into()));
    assert_eq!(check_anchor(&req, &anchored(r#"{"root_id":"r","path":{}}"#)), Err("path must be scalar".into()));
}

#[test]
fn anchor_failure_replaces_the_whole_result() {
    let normalized = normalize_provider_result(anchored("{}"), Some(&requirement(&["path"]))).unwrap();
    assert_eq!(normalized.value, None);
    assert_eq!(normalized.evidence_anchor, None);
    assert_eq!(normalized.evidence_ref, None);
    assert_eq!(normalized.lane, TrustLane::Verified);
    assert_eq!(normalized.error.unwrap().code, "anchor_invalid");
}

#[test]
fn anchor_requirements_normalize() {
    let policy = EvidenceAnchorPolicy {
        providers: vec![ProviderAnchorPolicy {
            provider_id: "json".into(),
            requirement: AnchorRequirement {
                anchor_type: "t".into(),
                required_fields: vec![" b ".into(), "a".into(), "".into(), "b".into()],
            },
        }],
    };
    assert_eq!(policy.normalized().providers[0].requirement.required_fields, vec!["a".to_owned(), "b".to_owned()]);
    assert_eq!(serde_json::to_value(EvidenceAnchorPolicy::default()).unwrap(), json!({"providers": []}));
}

#[test]
fn evidence_size_limit_exact_boundary() {
    // A JSON string of n characters canonicalises to n + 2 bytes.
    let fits = EvidenceValue::Json(json!("x".repeat(MAX_EVIDENCE_BYTES - 2)));
    assert!(hash_evidence_value(&fits).is_ok());
    let over = EvidenceValue::Json(json!("x".repeat(MAX_EVIDENCE_BYTES - 1)));
    assert_eq!(hash_evidence_value(&over), Err((MAX_EVIDENCE_BYTES + 1, MAX_EVIDENCE_BYTES)));
    assert!(hash_evidence_value(&EvidenceValue::Bytes(vec![0; MAX_EVIDENCE_BYTES])).is_ok());
    assert_eq!(
        hash_evidence_value(&EvidenceValue::Bytes(vec![0; MAX_EVIDENCE_BYTES + 1])),
        Err((MAX_EVIDENCE_BYTES + 1, MAX_EVIDENCE_BYTES))
    );
}

#[test]
fn effective_trust_only_tightens() {
    use TrustLane::{Asserted as A, Verified as V};
    let req = |lane| Some(TrustRequirement { min_lane: lane });
    assert_eq!(effective_requirement(V, None, None, None), V);
    assert_eq!(effective_requirement(A, None, None, None), A);
    // Overrides and per-condition / per-gate requirements can raise but never lower.
    assert_eq!(effective_requirement(V, Some(A), None, None), V);
    assert_eq!(effective_requirement(V, None, req(A), req(A)), V);
    assert_eq!(effective_requirement(A, Some(V), None, None), V);
    assert_eq!(effective_requirement(A, None, req(V), None), V);
    assert_eq!(effective_requirement(A, None, None, req(V)), V);
    assert_eq!(effective_requirement(A, Some(A), req(A), req(A)), A);
    assert_eq!(lane_failure_message(A, V), "evidence lane Asserted does not satisfy Verified");
}

#[test]
fn redaction_rules() {
    let full = EvidenceResult {
        content_type: Some("application/json".into()),
        evidence_hash: Some(HashDigest::sha256(b"2")),
        evidence_anchor: Some(EvidenceAnchor { anchor_type: "a".into(), anchor_value: "v".into() }),
        ..EvidenceResult::json(json!(2))
    };
    let hidden = redact_evidence_result(&full, false);
    assert_eq!((hidden.value.is_none(), hidden.content_type.is_none()), (true, true));
    assert!(hidden.evidence_hash.is_some() && hidden.evidence_anchor.is_some());
    assert_eq!(redact_evidence_result(&full, true), full);
    let errored = EvidenceResult {
        error: Some(EvidenceResultError { code: "c".into(), message: "m".into(), details: None }),
        ..full.clone()
    };
    let redacted = redact_evidence_result(&errored, true);
    assert_eq!((redacted.value, redacted.evidence_hash, redacted.content_type), (None, None, None));

    let policy = RawValuePolicy { allow_raw_values: true, require_provider_opt_in: true };
    assert!(!policy.raw_allowed(false));
    assert!(policy.raw_allowed(true));
    assert!(RawValuePolicy { allow_raw_values: true, require_provider_opt_in: false }.raw_allowed(false));
    assert!(!RawValuePolicy::default().raw_allowed(true));
}
