//! Disclosure through the dispatcher and policy deciders (core-model §7).

use std::sync::Arc;

use serde_json::json;

use super::support::*;
use crate::disclosure::{DefaultEffect, DenyAll, RuleEffect, StaticPolicy, StaticPolicyRule};
use crate::engine::{ControlPlaneError, EngineConfig};
use crate::ports::{PolicyDecider, RunStateStore};
use crate::run::{DecisionOutcome, RunStatus};
use crate::time::Timestamp;

fn two_stage_spec() -> serde_json::Value {
    let mut second = stage("b", json!([]), json!({"kind": "terminal"}));
    second["entry_packets"] = json!([packet("secret", json!({"k": "v"})), packet("other", json!(2))]);
    let mut first = stage("a", json!([]), json!({"kind": "linear"}));
    first["entry_packets"] = json!([packet("welcome", json!(1))]);
    spec("disclose", json!([first, second]), json!([]))
}

fn rule(effect: RuleEffect, message: Option<&str>) -> StaticPolicyRule {
    StaticPolicyRule {
        effect,
        error_message: message.map(str::to_owned),
        target_kinds: vec![],
        targets: vec![],
        require_labels: vec!["l1".into()],
        forbid_labels: vec![],
        require_policy_tags: vec![],
        forbid_policy_tags: vec![],
        content_types: vec![],
        schema_ids: vec![],
        packet_ids: vec!["secret".into()],
        stage_ids: vec![],
        scenario_ids: vec![],
    }
}

fn with_policy(policy: Arc<dyn PolicyDecider>) -> Harness {
    harness_with(two_stage_spec(), EngineConfig::default(), Some(policy))
}

fn start_with_target(h: &Harness) {
    let config = run_config("r", "disclose", json!([{"kind": "channel", "channel": "ops"}]));
    h.engine.start_run(&config, Timestamp::Logical(0), false).unwrap();
}

#[test]
fn envelope_carries_visibility_and_static_permit_releases() {
    let policy = StaticPolicy { default: DefaultEffect::Permit, rules: vec![] };
    let h = with_policy(Arc::new(policy));
    start_with_target(&h);
    let result = h.engine.scenario_next(&next("r", "t1", 3)).unwrap();
    assert_eq!(result.packets.len(), 2);
    let envelope = &result.packets[0].envelope;
    assert_eq!(envelope.visibility.labels, vec!["l1".to_owned()]);
    assert_eq!(envelope.visibility.policy_tags, vec!["t1".to_owned()]);
    assert_eq!(envelope.stage_id.as_str(), "b");
    assert_eq!(envelope.issued_at, Timestamp::Logical(3));
    assert_eq!(envelope.content_hash, crate::hashing::hash_json_value(&json!({"k": "v"}), None).unwrap());
    assert_eq!(result.packets[0].receipts[0].receipt_hash, crate::hashing::hash_canonical(envelope).unwrap());
}

#[test]
fn static_deny_fails_the_run_and_records_no_packets() {
    let policy = StaticPolicy { default: DefaultEffect::Permit, rules: vec![rule(RuleEffect::Deny, None)] };
    let h = with_policy(Arc::new(policy));
    start_with_target(&h);
    let result = h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    assert_eq!(result.decision.outcome, DecisionOutcome::Fail { reason: "policy denied disclosure".into() });
    assert_eq!(result.status, RunStatus::Failed);
    assert!(result.packets.is_empty());
    let (state, _) = h.state("r");
    assert!(state.packets.is_empty());
    assert_eq!(state.current_stage_id.as_str(), "a", "the stage does not change");
    assert_eq!(state.decisions[0].decision_id.as_str(), "decision-1");
}

#[test]
fn rule_error_effect_fails_with_policy_decision_error() {
    let policy = StaticPolicy {
        default: DefaultEffect::Permit,
        rules: vec![rule(RuleEffect::Error, Some("policy engine offline"))],
    };
    let h = with_policy(Arc::new(policy));
    start_with_target(&h);
    let result = h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    assert_eq!(
        result.decision.outcome,
        DecisionOutcome::Fail { reason: "policy decision error: policy engine offline".into() }
    );
}

#[test]
fn zero_dispatch_targets_skip_the_policy() {
    let h = with_policy(Arc::new(DenyAll));
    h.start("r", true);
    let result = h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    assert_eq!(result.packets.len(), 2);
    assert!(result.packets.iter().all(|packet| packet.receipts.is_empty()));
}

#[test]
fn denied_start_creates_no_run() {
    let h = with_policy(Arc::new(DenyAll));
    let config = run_config("r", "disclose", json!([{"kind": "agent", "agent_id": "a"}]));
    assert_eq!(h.engine.start_run(&config, Timestamp::Logical(0), true), Err(ControlPlaneError::PolicyDenied));
    assert!(h.store.load(tenant(), namespace(), &"r".into()).unwrap().is_none());
    // Without entry packets the policy is never consulted at start.
    assert!(h.engine.start_run(&config, Timestamp::Logical(0), false).is_ok());
}

#[test]
fn oversized_packet_payload_fails_the_advance() {
    let mut value = two_stage_spec();
    value["stages"][1]["entry_packets"] = json!([{"packet_id": "big", "schema_id": "s", "content_type": "x", "visibility_labels": [], "policy_tags": [],
                "payload": {"kind": "json", "value": "y".repeat(crate::hashing::MAX_PAYLOAD_BYTES)}}]);
    let h = harness(value);
    h.start("r", false);
    let result = h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    let expected = format!(
        "payload exceeds size limit ({} > {})",
        crate::hashing::MAX_PAYLOAD_BYTES + 2,
        crate::hashing::MAX_PAYLOAD_BYTES
    );
    assert_eq!(result.decision.outcome, DecisionOutcome::Fail { reason: expected });
}
