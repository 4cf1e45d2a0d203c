use super::*;
use crate::hashing::HashDigest;
use crate::run::PacketVisibility;
use crate::time::Timestamp;

fn envelope(labels: &[&str], tags: &[&str]) -> PacketEnvelope {
    PacketEnvelope {
        scenario_id: "scn".into(),
        run_id: "run".into(),
        stage_id: "stage".into(),
        packet_id: "pkt".into(),
        schema_id: "sch".into(),
        content_type: "application/json".into(),
        content_hash: HashDigest::sha256(b"x"),
        visibility: PacketVisibility {
            labels: labels.iter().map(|s| s.to_string()).collect(),
            policy_tags: tags.iter().map(|s| s.to_string()).collect(),
        },
        expiry: None,
        correlation_id: None,
        issued_at: Timestamp::Logical(4),
    }
}

fn empty_rule(effect: RuleEffect) -> StaticPolicyRule {
    serde_json::from_value(serde_json::json!({"effect": effect})).unwrap()
}

const PAYLOAD: PacketPayload = PacketPayload::Bytes { bytes: Vec::new() };

fn decide(policy: &StaticPolicy, target: &DispatchTarget, env: &PacketEnvelope) -> Result<PolicyDecision, PolicyError> {
    policy.authorize(target, env, &PAYLOAD)
}

#[test]
fn local_dispatcher_receipt() {
    let env = envelope(&[], &[]);
    let target = DispatchTarget::Agent { agent_id: "a".into() };
    let receipt = LocalDispatcher.dispatch(&target, &env, &PAYLOAD).unwrap();
    assert_eq!(receipt.dispatch_id, "mcp-pkt");
    assert_eq!(receipt.dispatcher, "mcp");
    assert_eq!(receipt.dispatched_at, Timestamp::Logical(4));
    assert_eq!(receipt.receipt_hash, hash_canonical(&env).unwrap());
    assert_eq!(receipt.target, target);
}

#[test]
fn default_is_deny_and_first_match_wins() {
    let agent = DispatchTarget::Agent { agent_id: "a".into() };
    let env = envelope(&["confidential"], &["alpha"]);
    assert_eq!(decide(&StaticPolicy::default(), &agent, &env), Ok(PolicyDecision::Deny));
    let mut permit = empty_rule(RuleEffect::Permit);
    permit.require_labels = vec!["confidential".into()];
    let mut deny = empty_rule(RuleEffect::Deny);
    deny.target_kinds = vec![TargetKind::Agent];
    let policy = StaticPolicy { default: DefaultEffect::Deny, rules: vec![permit.clone(), deny.clone()] };
    assert_eq!(decide(&policy, &agent, &env), Ok(PolicyDecision::Permit));
    let policy = StaticPolicy { default: DefaultEffect::Permit, rules: vec![deny, permit] };
    assert_eq!(decide(&policy, &agent, &env), Ok(PolicyDecision::Deny));
}

#[test]
fn every_selector_must_match() {
    let channel = DispatchTarget::Channel { channel: "ops".into() };
    let external = DispatchTarget::External { system: "jira".into(), target: "PROJ".into() };
    let env = envelope(&["a", "b"], &["t"]);
    let policy_with = |rule: StaticPolicyRule| StaticPolicy { default: DefaultEffect::Deny, rules: vec![rule] };
    let mut rule = empty_rule(RuleEffect::Permit);
    rule.require_labels = vec!["a".into(), "b".into()];
    rule.forbid_labels = vec!["c".into()];
    rule.require_policy_tags = vec!["t".into()];
    rule.content_types = vec!["application/json".into()];
    rule.schema_ids = vec!["sch".into()];
    rule.packet_ids = vec!["pkt".into(), "other".into()];
    rule.stage_ids = vec!["stage".into()];
    rule.scenario_ids = vec!["scn".into()];
    assert_eq!(decide(&policy_with(rule.clone()), &channel, &env), Ok(PolicyDecision::Permit));
    let mut forbidden = rule.clone();
    forbidden.forbid_policy_tags = vec!["t".into()];
    assert_eq!(decide(&policy_with(forbidden), &channel, &env), Ok(PolicyDecision::Deny));
    let mut missing_label = rule.clone();
    missing_label.require_labels.push("z".into());
    assert_eq!(decide(&policy_with(missing_label), &channel, &env), Ok(PolicyDecision::Deny));
    let mut targeted = rule.clone();
    targeted.targets = vec![TargetSelector {
        target_kind: TargetKind::External,
        target_id: None,
        system: Some("jira".into()),
        target: None,
    }];
    assert_eq!(decide(&policy_with(targeted.clone()), &external, &env), Ok(PolicyDecision::Permit));
    assert_eq!(decide(&policy_with(targeted), &channel, &env), Ok(PolicyDecision::Deny));
    let mut by_id = rule;
    by_id.targets = vec![TargetSelector {
        target_kind: TargetKind::Channel,
        target_id: Some("dev".into()),
        system: None,
        target: None,
    }];
    assert_eq!(decide(&policy_with(by_id), &channel, &env), Ok(PolicyDecision::Deny));
}

#[test]
fn error_effect_returns_an_error_and_validation_rules() {
    let mut rule = empty_rule(RuleEffect::Error);
    rule.packet_ids = vec!["pkt".into()];
    rule.error_message = Some("no".into());
    let policy = StaticPolicy { default: DefaultEffect::Permit, rules: vec![rule.clone()] };
    assert_eq!(
        decide(&policy, &DispatchTarget::Session { session_id: "s".into() }, &envelope(&[], &[])),
        Err(PolicyError("no".into()))
    );
    assert_eq!(policy.validate(), Ok(()));
    rule.error_message = None;
    assert!(
        StaticPolicy { default: DefaultEffect::Deny, rules: vec![rule] }
            .validate()
            .unwrap_err()
            .contains("error_message")
    );
    assert!(
        StaticPolicy { default: DefaultEffect::Deny, rules: vec![empty_rule(RuleEffect::Permit)] }
            .validate()
            .unwrap_err()
            .contains("selector")
    );
    let bad_selector =
        TargetSelector { target_kind: TargetKind::Agent, target_id: None, system: Some("x".into()), target: None };
    assert!(bad_selector.validate().is_err());
    let external_with_id = TargetSelector {
        target_kind: TargetKind::External,
        target_id: Some("x".into()),
        system: Some("s".into()),
        target: None,
    };
    assert!(external_with_id.validate().is_err());
    let external_empty =
        TargetSelector { target_kind: TargetKind::External, target_id: None, system: None, target: None };
    assert!(external_empty.validate().is_err());
    assert!(
        serde_json::from_value::<StaticPolicy>(serde_json::json!({"default": "error"})).is_err(),
        "default must be permit or deny"
    );
}
