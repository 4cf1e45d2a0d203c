//! The federated provider: routing, correlation ids, signatures, metrics.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use decision_gate_core::evidence::{
    EvidenceContext, EvidenceResult, EvidenceSignature, EvidenceValue, hash_evidence_value,
};
use decision_gate_core::hashing::HashDigest;
use decision_gate_core::ids::CorrelationId;
use decision_gate_core::ports::{EvidenceError, EvidenceProvider};
use decision_gate_core::runpack::evidence_signature_message;
use decision_gate_core::spec::EvidenceQuery;
use decision_gate_core::time::Timestamp;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};

use super::support::{cond, ctx, query, spec};
use crate::config::{SignatureKeyConfig, TrustPolicyConfig};
use crate::providers::correlation::{CorrelationIdError, sanitize_correlation_id};
use crate::providers::trust::load_trust_policy;
use crate::providers::{FederatedProvider, ProviderBackend, ProviderPolicy, TrustPolicy};

/// A backend returning a fixed result and recording the contexts it saw.
struct Fixed {
    result: EvidenceResult,
    seen: Mutex<Vec<EvidenceContext>>,
}

impl ProviderBackend for Fixed {
    fn query(&self, _query: &EvidenceQuery, ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError> {
        self.seen.lock().unwrap().push(ctx.clone());
        Ok(self.result.clone())
    }
}

fn fixed(result: EvidenceResult) -> Arc<Fixed> {
    Arc::new(Fixed { result, seen: Mutex::new(Vec::new()) })
}

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn signed(value: Value, key_id: &str, key: &SigningKey) -> EvidenceResult {
    let digest = hash_evidence_value(&EvidenceValue::Json(value.clone())).unwrap();
    let signature = key.sign(&evidence_signature_message(&digest)).to_bytes().to_vec();
    EvidenceResult {
        signature: Some(EvidenceSignature { scheme: "ed25519".to_owned(), key_id: key_id.to_owned(), signature }),
        ..EvidenceResult::json(value)
    }
}

fn federation_with(result: EvidenceResult, trust: TrustPolicy) -> (FederatedProvider, Arc<Fixed>) {
    let backend = fixed(result);
    let mut federation = FederatedProvider::new(TrustPolicy::Audit);
    federation.register("signer", backend.clone(), ProviderPolicy { trust, allow_raw: false }).unwrap();
    (federation, backend)
}

fn ask(federation: &FederatedProvider) -> Result<EvidenceResult, String> {
    federation.query(&query("signer", "check", Value::Null), &ctx(Timestamp::Logical(1))).map_err(|err| err.0)
}

fn key_policy(key_id: &str) -> TrustPolicy {
    TrustPolicy::RequireSignature { keys: BTreeMap::from([(key_id.to_owned(), signing_key().verifying_key())]) }
}

#[test]
fn routing_and_unknown_providers() {
    let (federation, backend) = federation_with(EvidenceResult::json(json!(1)), TrustPolicy::Audit);
    assert_eq!(ask(&federation).unwrap().value, Some(EvidenceValue::Json(json!(1))));
    assert_eq!(backend.seen.lock().unwrap().len(), 1);
    let err = federation.query(&query("ghost", "check", Value::Null), &ctx(Timestamp::Logical(1))).unwrap_err();
    assert_eq!(err.0, "provider not registered: ghost");
    let mut again = FederatedProvider::new(TrustPolicy::Audit);
    again.register("a", fixed(EvidenceResult::default()), ProviderPolicy::default()).unwrap();
    assert!(again.register("a", fixed(EvidenceResult::default()), ProviderPolicy::default()).is_err());
}

#[test]
fn correlation_ids_are_sanitised_before_the_backend_sees_them() {
    let (federation, backend) = federation_with(EvidenceResult::json(json!(1)), TrustPolicy::Audit);
    let mut context = ctx(Timestamp::Logical(1));
    context.correlation_id = Some(CorrelationId::new("  req-42  "));
    federation.query(&query("signer", "check", Value::Null), &context).unwrap();
    assert_eq!(backend.seen.lock().unwrap()[0].correlation_id.as_ref().unwrap().as_str(), "req-42");
    for bad in ["", "   ", "has space", "tab\there", "ünïcode", "semi;colon", &"x".repeat(129)] {
        context.correlation_id = Some(CorrelationId::new(bad));
        let err = federation.query(&query("signer", "check", Value::Null), &context).unwrap_err();
        assert!(err.0.starts_with("invalid correlation id: "), "{bad:?}: {}", err.0);
    }
    assert_eq!(backend.seen.lock().unwrap().len(), 1, "rejected before the backend");
    assert_eq!(sanitize_correlation_id(&"x".repeat(128)), Ok("x".repeat(128).as_str()));
    assert_eq!(sanitize_correlation_id("a b"), Err(CorrelationIdError::ContainsWhitespace));
    assert_eq!(sanitize_correlation_id("a\u{7f}b"), Err(CorrelationIdError::ContainsControlChar));
    assert_eq!(sanitize_correlation_id("é"), Err(CorrelationIdError::NonAscii));
    assert_eq!(sanitize_correlation_id("a,b").unwrap_err().label(), "contains_disallowed_char");
    assert_eq!(sanitize_correlation_id("!#$%&'*+-.^_`|~aZ9"), Ok("!#$%&'*+-.^_`|~aZ9"));
}

#[test]
fn signature_rules() {
    let key = signing_key();
    let good = signed(json!({"ok": true}), "k1", &key);
    let (federation, _) = federation_with(good.clone(), key_policy("k1"));
    let verified = ask(&federation).unwrap();
    assert_eq!(verified.evidence_hash, Some(HashDigest::sha256(br#"{"ok":true}"#)));

    let cases: Vec<(EvidenceResult, &str)> = vec![
        (EvidenceResult::json(json!({"ok": true})), "evidence signature missing"),
        (signed(json!({"ok": true}), "other", &key), "evidence signature key is not trusted"),
        (
            EvidenceResult {
                signature: good.signature.clone().map(|s| EvidenceSignature { scheme: "rsa".to_owned(), ..s }),
                ..good.clone()
            },
            "scheme must be ed25519",
        ),
        (EvidenceResult { value: None, ..good.clone() }, "signed evidence has no value"),
        (
            EvidenceResult { evidence_hash: Some(HashDigest::sha256(b"something else")), ..good.clone() },
            "evidence hash does not match",
        ),
        (
            EvidenceResult { value: Some(EvidenceValue::Json(json!({"ok": false}))), ..good.clone() },
            "signature is invalid",
        ),
        (signed(json!({"ok": true}), "k1", &SigningKey::from_bytes(&[9u8; 32])), "signature is invalid"),
    ];
    for (result, message) in cases {
        let (federation, _) = federation_with(result, key_policy("k1"));
        let err = ask(&federation).unwrap_err();
        assert!(err.contains(message), "{err:?} should contain {message:?}");
    }
    // A matching provider hash is accepted; audit mode passes anything through.
    let with_hash = EvidenceResult { evidence_hash: Some(HashDigest::sha256(br#"{"ok":true}"#)), ..good };
    assert!(ask(&federation_with(with_hash, key_policy("k1")).0).is_ok());
    let bogus = EvidenceResult { evidence_hash: Some(HashDigest::sha256(b"x")), ..EvidenceResult::json(json!(1)) };
    assert_eq!(ask(&federation_with(bogus.clone(), TrustPolicy::Audit).0).unwrap(), bogus);
}

#[test]
fn key_files_and_ids() {
    let dir = tempfile::tempdir().unwrap();
    let public = signing_key().verifying_key().to_bytes();
    let raw = dir.path().join("raw.key");
    std::fs::write(&raw, public).unwrap();
    let text = dir.path().join("b64.key");
    std::fs::write(&text, format!("  {}\n", base64::engine::general_purpose::STANDARD.encode(public))).unwrap();
    let policy = load_trust_policy(&TrustPolicyConfig::RequireSignature {
        keys: vec![
            SignatureKeyConfig::Path(raw.clone()),
            SignatureKeyConfig::Named { key_id: "ops-2024".to_owned(), path: text.clone() },
        ],
    })
    .unwrap();
    let TrustPolicy::RequireSignature { keys } = &policy else { panic!("policy") };
    let raw_id = raw.to_str().unwrap();
    assert_eq!(keys.keys().map(String::as_str).collect::<Vec<_>>(), {
        let mut ids = vec![raw_id, "ops-2024"];
        ids.sort();
        ids
    });
    // The path form signs with the path as key id; the named form with its id.
    let key = signing_key();
    assert!(ask(&federation_with(signed(json!(1), raw_id, &key), policy.clone()).0).is_ok());
    assert!(ask(&federation_with(signed(json!(1), "ops-2024", &key), policy.clone()).0).is_ok());
    assert!(ask(&federation_with(signed(json!(1), "b64.key", &key), policy).0).is_err());

    let load = |keys: Vec<SignatureKeyConfig>| load_trust_policy(&TrustPolicyConfig::RequireSignature { keys });
    assert!(load(Vec::new()).unwrap_err().contains("at least one key"));
    assert!(
        load(vec![SignatureKeyConfig::Path(dir.path().join("absent.key"))]).unwrap_err().contains("cannot be opened")
    );
    let short = dir.path().join("short.key");
    std::fs::write(&short, [1u8; 31]).unwrap();
    assert!(load(vec![SignatureKeyConfig::Path(short)]).is_err());
    let other = dir.path().join("other.key");
    std::fs::write(&other, SigningKey::from_bytes(&[3u8; 32]).verifying_key().to_bytes()).unwrap();
    let clash = load(vec![
        SignatureKeyConfig::Named { key_id: "same".to_owned(), path: raw },
        SignatureKeyConfig::Named { key_id: "same".to_owned(), path: other },
    ]);
    assert!(clash.unwrap_err().contains("two different keys"));
    assert_eq!(load_trust_policy(&TrustPolicyConfig::Audit).unwrap(), TrustPolicy::Audit);
}

#[test]
fn validate_providers_reports_sorted_missing_ids() {
    let mut federation = FederatedProvider::new(TrustPolicy::Audit);
    federation.register("time", fixed(EvidenceResult::default()), ProviderPolicy::default()).unwrap();
    let ok = spec(vec![cond("a", "time", "now", Value::Null, "exists", Value::Null)]);
    assert!(federation.validate_providers(&ok).is_ok());
    let missing = spec(vec![
        cond("a", "zeta", "z2", Value::Null, "exists", Value::Null),
        cond("b", "time", "now", Value::Null, "exists", Value::Null),
        cond("c", "alpha", "a1", Value::Null, "exists", Value::Null),
        cond("d", "zeta", "z1", Value::Null, "exists", Value::Null),
    ]);
    let err = federation.validate_providers(&missing).unwrap_err();
    assert_eq!(err.missing_providers, ["alpha", "zeta"]);
    assert_eq!(err.required_capabilities, ["a1", "z1", "z2"]);
    assert!(!err.blocked_by_policy);
}

#[test]
fn raw_opt_ins_and_default_policy() {
    let default_keys = key_policy("d");
    let mut federation = FederatedProvider::new(default_keys.clone());
    federation
        .register(
            "open",
            fixed(EvidenceResult::default()),
            ProviderPolicy { trust: TrustPolicy::Audit, allow_raw: true },
        )
        .unwrap();
    federation
        .register(
            "closed",
            fixed(EvidenceResult::default()),
            ProviderPolicy { trust: key_policy("c"), allow_raw: false },
        )
        .unwrap();
    assert!(federation.allow_raw("open"));
    assert!(!federation.allow_raw("closed"));
    assert!(!federation.allow_raw("unknown"));
    assert_eq!(federation.policy("unknown").trust, default_keys);
    assert_eq!(federation.allow_raw_map(), BTreeMap::from([("closed".to_owned(), false), ("open".to_owned(), true)]));
    let keys = federation.evidence_key_set().unwrap();
    assert_eq!(keys.keys.keys().collect::<Vec<_>>(), ["c"]);
    assert_eq!(keys.require_signature.iter().map(|id| id.as_str()).collect::<Vec<_>>(), ["closed"]);
}

#[test]
fn calls_are_counted_per_configured_provider() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let (federation, _) = federation_with(EvidenceResult::json(json!(1)), TrustPolicy::Audit);
    metrics::with_local_recorder(&recorder, || {
        ask(&federation).unwrap();
        ask(&federation).unwrap();
        let _ = federation.query(&query("ghost", "x", Value::Null), &ctx(Timestamp::Logical(1)));
    });
    let (failing, _) = federation_with(EvidenceResult::json(json!(1)), key_policy("k"));
    metrics::with_local_recorder(&recorder, || {
        let _ = ask(&failing);
    });
    let text = handle.render();
    assert!(text.contains(r#"decision_gate_provider_calls_total{provider_id="signer",outcome="ok"} 2"#), "{text}");
    assert!(text.contains(r#"decision_gate_provider_calls_total{provider_id="signer",outcome="error"} 1"#), "{text}");
    assert!(!text.contains("ghost"), "unknown ids are not labels");
}
