//! Runpack build and verification: golden compatibility, the v2 tamper matrix, signatures.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::engine::EngineConfig;
use crate::engine::tests::support::{Harness, harness_with, next, run_config};
use crate::evidence::{
    AnchorRequirement, EvidenceAnchor, EvidenceAnchorPolicy, EvidenceResult, EvidenceSignature, ProviderAnchorPolicy,
};
use crate::hashing::{HashDigest, to_canonical_vec};
use crate::ids::TriggerId;
use crate::ports::{ArtifactReader, MemoryArtifactStore};
use crate::run::{RunState, TriggerEvent, TriggerKind};
use crate::spec::ScenarioSpec;
use crate::time::Timestamp;

fn golden_spec(scenario_id: &str, with_packet: bool) -> Value {
    let packets = if with_packet {
        json!([{"packet_id": "packet-1", "schema_id": "schema-1", "content_type": "application/json",
                "visibility_labels": ["confidential", "restricted"], "policy_tags": ["policy-alpha"], "expiry": null,
                "payload": {"kind": "json", "value": {"hello": "world"}}}])
    } else {
        json!([])
    };
    json!({
        "scenario_id": scenario_id, "namespace_id": 1, "spec_version": "1", "default_tenant_id": 1,
        "policies": [], "schemas": [],
        "conditions": [{"condition_id": "after", "query": {"provider_id": "time", "check_id": "after", "params": {"timestamp": 0}},
                        "comparator": "equals", "expected": true, "policy_tags": []}],
        "stages": [{"stage_id": "stage-1", "entry_packets": packets,
                    "gates": [{"gate_id": "gate-time", "requirement": {"Condition": "after"}}],
                    "advance_to": {"kind": "terminal"}, "timeout": null, "on_timeout": "fail"}]
    })
}

/// Runs the Decision Gate OSS golden flow: start at logical 1, one external trigger at 2.
fn golden_run(scenario_id: &str, run_id: &str, with_packet: bool) -> (ScenarioSpec, RunState) {
    let h = harness_with(golden_spec(scenario_id, with_packet), EngineConfig::default(), None);
    // What the built-in time provider answers for `after` with threshold 0 at logical time 2.
    h.provider.answer(
        "after",
        EvidenceResult {
            content_type: Some("application/json".into()),
            evidence_anchor: Some(EvidenceAnchor {
                anchor_type: "trigger_time_logical".into(),
                anchor_value: "2".into(),
            }),
            ..EvidenceResult::json(json!(true))
        },
    );
    h.engine.start_run(&run_config(run_id, scenario_id, json!([])), Timestamp::Logical(1), with_packet).unwrap();
    let trigger = TriggerEvent {
        trigger_id: TriggerId::new("trigger-1"),
        tenant_id: crate::ids::TenantId::new(1).unwrap(),
        namespace_id: crate::ids::NamespaceId::new(1).unwrap(),
        run_id: run_id.into(),
        kind: TriggerKind::ExternalEvent,
        time: Timestamp::Logical(2),
        source_id: "system-tests".into(),
        payload: None,
        correlation_id: None,
    };
    h.engine.trigger(&trigger).unwrap();
    (h.engine.spec().clone(), h.state(run_id).0)
}

fn server_security() -> Option<RunpackSecurityContext> {
    Some(RunpackSecurityContext { dev_permissive: false, namespace_authority: "dg_registry".into() })
}

fn export(
    spec: &ScenarioSpec,
    state: &RunState,
    options: &RunpackBuildOptions<'_>,
) -> (MemoryArtifactStore, BuiltRunpack) {
    let mut store = MemoryArtifactStore::default();
    let built = build_runpack(spec, state, &mut store, options).unwrap();
    (store, built)
}

fn options(policy: &EvidenceAnchorPolicy) -> RunpackBuildOptions<'_> {
    RunpackBuildOptions {
        generated_at: Timestamp::Logical(10),
        include_verification: true,
        anchor_policy: policy,
        security: server_security(),
        signing_key: None,
        evidence_keys: None,
    }
}

/// The v1 manifest Decision Gate OSS writes for the same artifacts.
fn as_v1_manifest(built: &BuiltRunpack) -> RunpackManifest {
    let mut manifest = built.manifest.clone();
    manifest.manifest_version = "v1".into();
    manifest.anchor_policy = None;
    manifest.integrity.root_hash = v1_root_hash(&manifest.integrity.file_hashes).unwrap();
    manifest
}

fn manifest_bytes(manifest: &RunpackManifest) -> Vec<u8> {
    to_canonical_vec(manifest).unwrap()
}

fn verify(store: &MemoryArtifactStore, manifest: &[u8], opts: &VerifyOptions<'_>) -> VerificationSummary {
    verify_runpack(manifest, store, opts).unwrap()
}

#[test]
fn artifacts_are_byte_identical_to_the_oss_goldens() {
    let empty = EvidenceAnchorPolicy::default();
    for (scenario, run, packet, root) in [
        ("golden-time-after", "run-1", false, "fceca5534f343d4266f89d29a1519a6c0ed2935964ad5757a70ed58661dba228"),
        ("golden-visibility", "run-2", true, "3ae18bfe63690d16e27a68ede93b6143f3d86ed1d510936f18891df133c55721"),
    ] {
        let (spec, state) = golden_run(scenario, run, packet);
        let (store, built) = export(&spec, &state, &options(&empty));
        assert_eq!(store.files[VERIFIER_REPORT_PATH], br#"{"checked_files":7,"errors":[],"status":"pass"}"#);
        assert_eq!(v1_root_hash(&built.manifest.integrity.file_hashes).unwrap().value, root, "{scenario}");
        assert_eq!(store.files["artifacts/packets.json"].len(), if packet { 536 } else { 2 });
        // v1-style root over the first seven entries, as Decision Gate OSS computes before the report.
        if !packet {
            let seven = v1_root_hash(&built.manifest.integrity.file_hashes[..7]).unwrap();
            assert!(seven.value.starts_with("80e18b5d"), "{}", seven.value);
        }
        let v2 = verify(&store, store.manifest.as_deref().unwrap(), &VerifyOptions::default());
        assert_eq!((v2.status, v2.checked_files, v2.legacy), (VerificationStatus::Pass, 8, false), "{:?}", v2.errors);
    }
}

#[test]
fn oss_v1_runpacks_verify_as_legacy_and_fail_on_any_artifact_edit() {
    let (spec, state) = golden_run("golden-time-after", "run-1", false);
    let empty = EvidenceAnchorPolicy::default();
    let (store, built) = export(&spec, &state, &options(&empty));
    let v1 = manifest_bytes(&as_v1_manifest(&built));
    let report = verify(&store, &v1, &VerifyOptions::default());
    assert_eq!(report.status, VerificationStatus::Pass, "{:?}", report.errors);
    assert_eq!(
        (report.legacy, report.signed, report.checked_files, report.manifest_version.as_str()),
        (true, false, 8, "v1")
    );
    for path in store.files.keys() {
        let mut edited = store.clone();
        edited.files.get_mut(path).unwrap().push(b' ');
        let report = verify(&edited, &v1, &VerifyOptions::default());
        assert_eq!(report.errors, vec![format!("hash mismatch for {path}")]);
    }
    let refused = verify(&store, &v1, &VerifyOptions { allow_legacy_v1: false, ..VerifyOptions::default() });
    assert_eq!(
        (refused.status, refused.errors),
        (VerificationStatus::Fail, vec!["legacy manifest version v1 not accepted".to_owned()])
    );
    // v1 blind spot kept for compatibility: an empty file list passes with zero checked files.
    let mut empty_list = as_v1_manifest(&built);
    empty_list.integrity.file_hashes.clear();
    empty_list.integrity.root_hash = v1_root_hash(&[]).unwrap();
    let report = verify(&store, &manifest_bytes(&empty_list), &VerifyOptions::default());
    assert_eq!((report.status, report.checked_files), (VerificationStatus::Pass, 0));
}

fn fixture() -> (MemoryArtifactStore, BuiltRunpack) {
    let (spec, state) = golden_run("golden-visibility", "run-2", true);
    let empty = EvidenceAnchorPolicy::default();
    export(&spec, &state, &options(&empty))
}

fn rerooted(mut manifest: RunpackManifest) -> RunpackManifest {
    manifest.integrity.root_hash = v2_root_hash(&manifest).unwrap();
    manifest
}

fn fails_with(store: &MemoryArtifactStore, manifest: &RunpackManifest, expected: &str) {
    let report = verify(store, &manifest_bytes(manifest), &VerifyOptions::default());
    assert_eq!(report.status, VerificationStatus::Fail);
    assert!(report.errors.iter().any(|error| error.contains(expected)), "expected '{expected}' in {:?}", report.errors);
}

#[test]
fn v2_export_verifies_and_embeds_the_three_key_report() {
    let (store, built) = fixture();
    let report = built.report.clone().unwrap();
    let summary = verify(&store, store.manifest.as_deref().unwrap(), &VerifyOptions::default());
    assert_eq!(report.checked_files + 1, summary.checked_files, "embedded count excludes the report itself");
    let embedded: Value = serde_json::from_slice(&store.files[VERIFIER_REPORT_PATH]).unwrap();
    assert_eq!(embedded.as_object().unwrap().len(), 3);
    assert_eq!(built.manifest.anchor_policy, Some(EvidenceAnchorPolicy::default()));
    let text = String::from_utf8(store.manifest.clone().unwrap()).unwrap();
    assert!(text.contains(r#""anchor_policy":{"providers":[]}"#));
    assert!(!text.contains("signature"));
    // Exports are deterministic.
    let (again, _) = fixture();
    assert_eq!(again, store);
    // Without verification: seven files, no report.
    let (spec, state) = golden_run("golden-visibility", "run-2", true);
    let empty = EvidenceAnchorPolicy::default();
    let (plain, built) = export(&spec, &state, &RunpackBuildOptions { include_verification: false, ..options(&empty) });
    assert_eq!((plain.files.len(), built.report), (7, None));
    assert_eq!(verify(&plain, plain.manifest.as_deref().unwrap(), &VerifyOptions::default()).checked_files, 7);
}

#[test]
fn export_refuses_a_spec_that_does_not_match_the_run() {
    let (mut spec, state) = golden_run("golden-time-after", "run-1", false);
    spec.spec_version = "other".into();
    let mut store = MemoryArtifactStore::default();
    let empty = EvidenceAnchorPolicy::default();
    let err = build_runpack(&spec, &state, &mut store, &options(&empty)).unwrap_err();
    assert_eq!(err, RunpackError::Hash("run state spec hash mismatch".into()));
    assert!(store.files.is_empty() && store.manifest.is_none(), "nothing written");
}

#[test]
fn tamper_matrix() {
    let (store, built) = fixture();
    let manifest = built.manifest.clone();

    let mut appended = store.clone();
    appended.files.get_mut("artifacts/decisions.json").unwrap().extend_from_slice(b"\n");
    fails_with(&appended, &manifest, "hash mismatch for artifacts/decisions.json");

    let mut deleted = store.clone();
    deleted.files.remove("artifacts/triggers.json");
    fails_with(&deleted, &manifest, "artifact read failed for artifacts/triggers.json");

    let mut list = manifest.clone();
    list.artifacts[2].content_type = Some("text/plain".into());
    fails_with(&store, &list, "root hash mismatch");
    fails_with(&store, &rerooted(list), "artifact list mismatch at artifacts/gate_evals.json");

    let mut spec_hash = manifest.clone();
    spec_hash.spec_hash = HashDigest::sha256(b"other");
    fails_with(&store, &rerooted(spec_hash), "spec hash mismatch");

    let mut ids = manifest.clone();
    ids.run_id = "run-9".into();
    fails_with(&store, &ids, "root hash mismatch");
    fails_with(&store, &rerooted(ids), "manifest run mismatch");
    let mut scenario = manifest.clone();
    scenario.scenario_id = "elsewhere".into();
    fails_with(&store, &rerooted(scenario), "manifest scenario mismatch");

    let mut generated = manifest.clone();
    generated.generated_at = Timestamp::Logical(11);
    fails_with(&store, &generated, "root hash mismatch");

    let mut no_anchor = manifest.clone();
    no_anchor.anchor_policy = None;
    fails_with(&store, &rerooted(no_anchor), "anchor policy missing");

    let mut empty = manifest.clone();
    empty.integrity.file_hashes.clear();
    empty.artifacts.clear();
    fails_with(&store, &rerooted(empty), "artifact set mismatch");

    let mut reordered = manifest.clone();
    reordered.integrity.file_hashes.swap(0, 1);
    reordered.artifacts.swap(0, 1);
    fails_with(&store, &rerooted(reordered), "artifact set mismatch");

    let mut duplicated = manifest.clone();
    let first = duplicated.integrity.file_hashes[0].clone();
    duplicated.integrity.file_hashes.push(first);
    fails_with(&store, &rerooted(duplicated), "artifact set mismatch: duplicate entry artifacts/scenario_spec.json");

    let mut extra = store.clone();
    extra.files.insert("artifacts/extra.json".into(), b"{}".to_vec());
    fails_with(&extra, &manifest, "unlisted artifact artifacts/extra.json");

    let mut oversized = store.clone();
    oversized.files.insert("artifacts/tool_calls.json".into(), vec![b' '; MAX_ARTIFACT_BYTES + 1]);
    fails_with(&oversized, &manifest, "artifact read failed for artifacts/tool_calls.json: artifact too large");

    // A consistent forgery: edited decisions with recomputed file hashes and root.
    let mut forged_store = store.clone();
    let mut decisions: Value = serde_json::from_slice(&forged_store.files["artifacts/decisions.json"]).unwrap();
    decisions[1]["trigger_id"] = json!("init");
    let forged_bytes = crate::hashing::value_to_canonical_vec(&decisions);
    let forged_hash = HashDigest::sha256(&forged_bytes);
    forged_store.files.insert("artifacts/decisions.json".into(), forged_bytes);
    let mut forged = manifest.clone();
    forged.integrity.file_hashes[3].hash = forged_hash.clone();
    forged.artifacts[3].hash = forged_hash;
    let forged = rerooted(forged);
    fails_with(&forged_store, &forged, "duplicate decision for trigger init");
    let strict = VerifyOptions { require_signature: true, ..VerifyOptions::default() };
    let report = verify(&store, &manifest_bytes(&manifest), &strict);
    assert_eq!(report.errors, vec!["runpack signature required".to_owned()]);
}

#[test]
fn unusable_manifests_are_errors_and_unknown_versions_fail_alone() {
    let (store, built) = fixture();
    for bad in [&b""[..], b"{", b"[]", br#"{"manifest_version":"v2"}"#] {
        assert!(matches!(
            verify_runpack(bad, &store, &VerifyOptions::default()),
            Err(RunpackError::InvalidManifest(_))
        ));
    }
    let huge = vec![b' '; MAX_ARTIFACT_BYTES + 1];
    assert!(matches!(verify_runpack(&huge, &store, &VerifyOptions::default()), Err(RunpackError::InvalidManifest(_))));
    let mut v3: Value = serde_json::to_value(&built.manifest).unwrap();
    v3["manifest_version"] = json!("v3");
    let report = verify(&store, &serde_json::to_vec(&v3).unwrap(), &VerifyOptions::default());
    assert_eq!((report.checked_files, report.errors), (0, vec!["unsupported manifest version: v3".to_owned()]));
    let mut fetch = built.manifest.clone();
    fetch.verifier_mode = VerifierMode::OfflineWithFetch;
    fails_with(&store, &rerooted(fetch), "unsupported verifier mode: offline_with_fetch");
}

#[test]
fn signed_runpacks() {
    let (spec, state) = golden_run("golden-visibility", "run-2", true);
    let key = RunpackSigningKey::from_seed_material("runpack-key-2025", &[7u8; 32]).unwrap();
    let empty = EvidenceAnchorPolicy::default();
    let (store, built) = export(&spec, &state, &RunpackBuildOptions { signing_key: Some(&key), ..options(&empty) });
    let signature = built.manifest.signature.clone().unwrap();
    assert_eq!(signature.signature.len(), 128);
    assert_eq!(signature.public_key_fingerprint, HashDigest::sha256(key.verifying_key().as_bytes()));
    let trusted = [TrustedRunpackKey { key_id: "runpack-key-2025".into(), key: key.verifying_key() }];
    let opts = VerifyOptions { trusted_keys: &trusted, require_signature: true, ..VerifyOptions::default() };
    let manifest = store.manifest.clone().unwrap();
    let summary = verify(&store, &manifest, &opts);
    assert_eq!(
        (summary.status, summary.signed, summary.signing_key_id.as_deref()),
        (VerificationStatus::Pass, true, Some("runpack-key-2025"))
    );
    // Deterministic: Ed25519 signing does not break byte-identical exports.
    let (again, _) = export(&spec, &state, &RunpackBuildOptions { signing_key: Some(&key), ..options(&empty) });
    assert_eq!(again.manifest, store.manifest);

    let untrusted = verify(&store, &manifest, &VerifyOptions::default());
    assert_eq!(untrusted.errors, vec!["untrusted runpack signing key runpack-key-2025".to_owned()]);
    assert!(!untrusted.signed);
    let other = RunpackSigningKey::from_seed_material("runpack-key-2025", &[8u8; 32]).unwrap();
    let wrong_key = [TrustedRunpackKey { key_id: "runpack-key-2025".into(), key: other.verifying_key() }];
    let report = verify(&store, &manifest, &VerifyOptions { trusted_keys: &wrong_key, ..VerifyOptions::default() });
    assert_eq!(report.errors, vec!["runpack signing key fingerprint mismatch".to_owned()]);

    let mut bad_signature = built.manifest.clone();
    let mut sig = bad_signature.signature.take().unwrap();
    sig.signature.replace_range(0..2, if sig.signature.starts_with("00") { "11" } else { "00" });
    bad_signature.signature = Some(sig);
    let report = verify(&store, &manifest_bytes(&bad_signature), &opts);
    assert_eq!(report.errors, vec!["runpack signature invalid".to_owned()]);

    let mut algorithm = built.manifest.clone();
    algorithm.signature.as_mut().unwrap().algorithm = "rsa".into();
    assert_eq!(
        verify(&store, &manifest_bytes(&algorithm), &opts).errors,
        vec!["unsupported signature algorithm".to_owned()]
    );

    // Consistent re-rooting after an edit is caught only by the signature.
    let mut generated = built.manifest.clone();
    generated.generated_at = Timestamp::Logical(99);
    let report = verify(&store, &manifest_bytes(&rerooted(generated)), &opts);
    assert_eq!(report.errors, vec!["runpack signature invalid".to_owned()]);
}

fn anchored_policy() -> EvidenceAnchorPolicy {
    EvidenceAnchorPolicy {
        providers: vec![ProviderAnchorPolicy {
            provider_id: "time".into(),
            requirement: AnchorRequirement {
                anchor_type: "trigger_time_logical".into(),
                required_fields: vec!["value".into()],
            },
        }],
    }
}

#[test]
fn anchor_violations_fail_the_embedded_report_but_export_succeeds() {
    // The golden time anchor value is the bare string "2": not a JSON object.
    let (spec, state) = golden_run("golden-time-after", "run-1", false);
    let policy = anchored_policy();
    let (store, built) = export(&spec, &state, &options(&policy));
    let report = built.report.unwrap();
    assert_eq!(report.status, VerificationStatus::Fail);
    assert_eq!(
        report.errors,
        vec![
            "anchor invalid for condition after (trigger trigger-1, stage stage-1): anchor_value must be a JSON object"
                .to_owned()
        ]
    );
    let summary = verify(&store, store.manifest.as_deref().unwrap(), &VerifyOptions::default());
    assert!(summary.errors.iter().any(|e| e.starts_with("anchor invalid for condition after")));
    // The server's expected anchor policy must appear in the manifest.
    let (plain, _) = fixture();
    let report = verify(
        &plain,
        plain.manifest.as_deref().unwrap(),
        &VerifyOptions { expected_anchor_policy: Some(&policy), ..VerifyOptions::default() },
    );
    assert_eq!(report.errors, vec!["anchor policy mismatch for provider time".to_owned()]);
}

fn signed_evidence_run(sign_with: Option<&RunpackSigningKey>, tamper: bool) -> (ScenarioSpec, RunState) {
    let value = golden_spec("signed", false);
    let h: Harness = harness_with(value, EngineConfig::default(), None);
    let digest = crate::evidence::hash_evidence_value(&crate::evidence::EvidenceValue::Json(json!(true))).unwrap();
    let signed_digest = if tamper { HashDigest::sha256(b"x") } else { digest };
    let signature = sign_with.map(|key| EvidenceSignature {
        scheme: "ed25519".into(),
        key_id: "ev-key".into(),
        signature: key.sign_bytes(&evidence_signature_message(&signed_digest)),
    });
    h.provider.answer("after", EvidenceResult { signature, ..EvidenceResult::json(json!(true)) });
    h.engine.start_run(&run_config("r", "signed", json!([])), Timestamp::Logical(1), false).unwrap();
    h.engine.scenario_next(&next("r", "t1", 2)).unwrap();
    (h.engine.spec().clone(), h.state("r").0)
}

#[test]
fn evidence_signatures_are_checked_when_keys_are_given() {
    let key = RunpackSigningKey::from_seed_material("ev-key", &[3u8; 32]).unwrap();
    let mut keys = EvidenceKeySet::default();
    keys.keys.insert("ev-key".into(), key.verifying_key());
    keys.require_signature.insert("time".into());
    let empty = EvidenceAnchorPolicy::default();
    let opts = VerifyOptions { evidence_keys: Some(&keys), ..VerifyOptions::default() };
    let check = |sign: Option<&RunpackSigningKey>, tamper: bool| {
        let (spec, state) = signed_evidence_run(sign, tamper);
        let (store, _) = export(&spec, &state, &RunpackBuildOptions { evidence_keys: Some(&keys), ..options(&empty) });
        verify(&store, store.manifest.as_deref().unwrap(), &opts).errors
    };
    assert_eq!(check(Some(&key), false), Vec::<String>::new());
    let location = "condition after (trigger t1, stage stage-1)";
    let invalid = check(Some(&key), true);
    assert!(invalid.contains(&format!("evidence signature invalid for {location}")), "{invalid:?}");
    let missing = check(None, false);
    assert!(missing.contains(&format!("evidence signature missing for {location}")), "{missing:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_single_byte_change_fails_verification(file in 0usize..9, position in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let (mut store, _) = fixture();
        let mut manifest = store.manifest.clone().unwrap();
        let target: &mut Vec<u8> = if file == 8 {
            &mut manifest
        } else {
            let path = store.files.keys().nth(file).unwrap().clone();
            store.files.get_mut(&path).unwrap()
        };
        let index = position.index(target.len());
        target[index] ^= flip;
        let outcome = verify_runpack(&manifest, &store, &VerifyOptions::default());
        prop_assert!(!matches!(outcome, Ok(ref summary) if summary.status == VerificationStatus::Pass));
    }
}

#[test]
fn memory_reader_enforces_limits() {
    let mut store = MemoryArtifactStore::default();
    store.files.insert("artifacts/a.json".into(), vec![0; 10]);
    assert!(store.read_with_limit("artifacts/a.json", 10).is_ok());
    assert!(matches!(
        store.read_with_limit("artifacts/a.json", 9),
        Err(crate::ports::ArtifactError::TooLarge { actual_bytes: 10, max_bytes: 9, .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// verify(build(x)) passes for runs with arbitrary evidence, submissions and timestamps.
    #[test]
    fn verify_of_build_passes(answers in prop::collection::vec(any::<bool>(), 1..12), submissions in 0usize..4, generated in any::<i64>()) {
        let value = golden_spec("random", true);
        let h = harness_with(value, EngineConfig::default(), None);
        h.engine.start_run(&run_config("r", "random", json!([{"kind": "agent", "agent_id": "a"}])), Timestamp::Logical(0), true).unwrap();
        for (i, answer) in answers.iter().enumerate() {
            h.provider.answer("after", EvidenceResult::json(json!(answer)));
            h.engine.scenario_next(&next("r", &format!("t{i}"), i as u64 + 1)).unwrap();
        }
        for i in 0..submissions {
            let request = crate::run::SubmitRequest {
                run_id: "r".into(),
                tenant_id: crate::ids::TenantId::new(1).unwrap(),
                namespace_id: crate::ids::NamespaceId::new(1).unwrap(),
                submission_id: format!("s{i}").into(),
                payload: crate::spec::PacketPayload::Bytes { bytes: vec![i as u8; i] },
                content_type: "application/octet-stream".into(),
                submitted_at: Timestamp::Logical(100),
                correlation_id: Some("corr".into()),
            };
            h.engine.scenario_submit(&request).unwrap();
        }
        let (spec, state) = (h.engine.spec().clone(), h.state("r").0);
        let empty = EvidenceAnchorPolicy::default();
        let opts = RunpackBuildOptions { generated_at: Timestamp::UnixMillis(generated), ..options(&empty) };
        let (store, built) = export(&spec, &state, &opts);
        prop_assert_eq!(built.report.map(|r| r.status), Some(VerificationStatus::Pass));
        let summary = verify(&store, store.manifest.as_deref().unwrap(), &VerifyOptions::default());
        prop_assert_eq!(summary.status, VerificationStatus::Pass, "{:?}", summary.errors);
    }
}

#[test]
fn a_tampered_artifact_is_named_as_tampered_and_nothing_else() {
    let (mut store, _) = fixture();
    for path in ["artifacts/triggers.json", "artifacts/scenario_spec.json", "artifacts/decisions.json"] {
        let original = store.files[path].clone();
        let mut altered = serde_json::from_slice::<Value>(&original).unwrap();
        // Rewrite ids the way an attacker would: the content still parses.
        let text = altered
            .to_string()
            .replace("run-1", "run-9")
            .replace("\"namespace_id\":1", "\"namespace_id\":2")
            .replace("decision-1", "decision-9");
        altered = serde_json::from_str(&text).unwrap();
        store.files.insert(path.to_owned(), serde_json::to_vec(&altered).unwrap());
        let report = verify(&store, store.manifest.as_deref().unwrap(), &VerifyOptions::default());
        assert_eq!(report.status, VerificationStatus::Fail, "{path}");
        assert_eq!(report.errors, vec![format!("hash mismatch for {path}")], "{path}");
        store.files.insert(path.to_owned(), original);
    }
}
