//! Built-in dispatcher and policy deciders (core-model §7).

use serde::{Deserialize, Serialize};

use crate::hashing::hash_canonical;
use crate::ports::{DispatchError, Dispatcher, PolicyDecider, PolicyDecision, PolicyError};
use crate::run::{DispatchReceipt, DispatchTarget, PacketEnvelope};
use crate::spec::PacketPayload;

/// The default server dispatcher: records a receipt without network delivery.
///
/// `dispatch_id = "mcp-<packet_id>"`, `receipt_hash` = hash of the canonical envelope,
/// `dispatched_at = envelope.issued_at`, `dispatcher = "mcp"`.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalDispatcher;

impl Dispatcher for LocalDispatcher {
    fn dispatch(
        &self,
        target: &DispatchTarget,
        envelope: &PacketEnvelope,
        _payload: &PacketPayload,
    ) -> Result<DispatchReceipt, DispatchError> {
        let receipt_hash = hash_canonical(envelope).map_err(|err| DispatchError(err.to_string()))?;
        Ok(DispatchReceipt {
            dispatch_id: format!("mcp-{}", envelope.packet_id),
            target: target.clone(),
            receipt_hash,
            dispatched_at: envelope.issued_at,
            dispatcher: "mcp".to_owned(),
        })
    }
}

/// Permits every disclosure.
#[derive(Clone, Copy, Debug, Default)]
pub struct PermitAll;

impl PolicyDecider for PermitAll {
    fn authorize(
        &self,
        _: &DispatchTarget,
        _: &PacketEnvelope,
        _: &PacketPayload,
    ) -> Result<PolicyDecision, PolicyError> {
        Ok(PolicyDecision::Permit)
    }
}

/// Denies every disclosure.
#[derive(Clone, Copy, Debug, Default)]
pub struct DenyAll;

impl PolicyDecider for DenyAll {
    fn authorize(
        &self,
        _: &DispatchTarget,
        _: &PacketEnvelope,
        _: &PacketPayload,
    ) -> Result<PolicyDecision, PolicyError> {
        Ok(PolicyDecision::Deny)
    }
}

/// Effect of the static policy when no rule matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultEffect {
    /// Allow.
    Permit,
    /// Refuse (default).
    #[default]
    Deny,
}

/// Effect of a static rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleEffect {
    /// Allow.
    Permit,
    /// Refuse.
    Deny,
    /// Make the decider fail with the rule's `error_message`.
    Error,
}

/// Kind of dispatch target, for selectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// `agent`.
    Agent,
    /// `session`.
    Session,
    /// `external`.
    External,
    /// `channel`.
    Channel,
}

impl TargetKind {
    fn of(target: &DispatchTarget) -> TargetKind {
        match target {
            DispatchTarget::Agent { .. } => TargetKind::Agent,
            DispatchTarget::Session { .. } => TargetKind::Session,
            DispatchTarget::External { .. } => TargetKind::External,
            DispatchTarget::Channel { .. } => TargetKind::Channel,
        }
    }
}

/// Selects dispatch targets by kind and optional id (or system/target for external targets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSelector {
    /// Target kind.
    pub target_kind: TargetKind,
    /// Agent, session or channel id (unset = any).
    #[serde(default)]
    pub target_id: Option<String>,
    /// External system (unset = any).
    #[serde(default)]
    pub system: Option<String>,
    /// External target (unset = any).
    #[serde(default)]
    pub target: Option<String>,
}

impl TargetSelector {
    fn matches(&self, target: &DispatchTarget) -> bool {
        if self.target_kind != TargetKind::of(target) {
            return false;
        }
        let equal = |wanted: &Option<String>, actual: &str| wanted.as_deref().is_none_or(|wanted| wanted == actual);
        match target {
            DispatchTarget::Agent { agent_id: id }
            | DispatchTarget::Session { session_id: id }
            | DispatchTarget::Channel { channel: id } => equal(&self.target_id, id),
            DispatchTarget::External { system, target } => equal(&self.system, system) && equal(&self.target, target),
        }
    }

    /// Checks the selector's shape: external selectors take no `target_id` and need `system` or
    /// `target`; other kinds take neither `system` nor `target`.
    pub fn validate(&self) -> Result<(), String> {
        match self.target_kind {
            TargetKind::External => {
                if self.target_id.is_some() {
                    return Err("external target selectors must not set target_id".to_owned());
                }
                if self.system.is_none() && self.target.is_none() {
                    return Err("external target selectors need system or target".to_owned());
                }
            }
            _ => {
                if self.system.is_some() || self.target.is_some() {
                    return Err("only external target selectors may set system or target".to_owned());
                }
            }
        }
        Ok(())
    }
}

/// One ordered rule of the static policy. Every non-empty selector must match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticPolicyRule {
    /// What a match does.
    pub effect: RuleEffect,
    /// Required with effect `error`.
    #[serde(default)]
    pub error_message: Option<String>,
    /// Any of these target kinds.
    #[serde(default)]
    pub target_kinds: Vec<TargetKind>,
    /// Any of these targets.
    #[serde(default)]
    pub targets: Vec<TargetSelector>,
    /// All of these labels present.
    #[serde(default)]
    pub require_labels: Vec<String>,
    /// None of these labels present.
    #[serde(default)]
    pub forbid_labels: Vec<String>,
    /// All of these policy tags present.
    #[serde(default)]
    pub require_policy_tags: Vec<String>,
    /// None of these policy tags present.
    #[serde(default)]
    pub forbid_policy_tags: Vec<String>,
    /// Any of these content types.
    #[serde(default)]
    pub content_types: Vec<String>,
    /// Any of these schema ids.
    #[serde(default)]
    pub schema_ids: Vec<String>,
    /// Any of these packet ids.
    #[serde(default)]
    pub packet_ids: Vec<String>,
    /// Any of these stage ids.
    #[serde(default)]
    pub stage_ids: Vec<String>,
    /// Any of these scenario ids.
    #[serde(default)]
    pub scenario_ids: Vec<String>,
}

impl StaticPolicyRule {
    fn has_selector(&self) -> bool {
        !(self.target_kinds.is_empty()
            && self.targets.is_empty()
            && self.require_labels.is_empty()
            && self.forbid_labels.is_empty()
            && self.require_policy_tags.is_empty()
            && self.forbid_policy_tags.is_empty()
            && self.content_types.is_empty()
            && self.schema_ids.is_empty()
            && self.packet_ids.is_empty()
            && self.stage_ids.is_empty()
            && self.scenario_ids.is_empty())
    }

    fn matches(&self, target: &DispatchTarget, envelope: &PacketEnvelope) -> bool {
        let any_of = |list: &[String], value: &str| list.is_empty() || list.iter().any(|item| item == value);
        let labels = &envelope.visibility.labels;
        let tags = &envelope.visibility.policy_tags;
        (self.target_kinds.is_empty() || self.target_kinds.contains(&TargetKind::of(target)))
            && (self.targets.is_empty() || self.targets.iter().any(|selector| selector.matches(target)))
            && self.require_labels.iter().all(|label| labels.contains(label))
            && !self.forbid_labels.iter().any(|label| labels.contains(label))
            && self.require_policy_tags.iter().all(|tag| tags.contains(tag))
            && !self.forbid_policy_tags.iter().any(|tag| tags.contains(tag))
            && any_of(&self.content_types, &envelope.content_type)
            && any_of(&self.schema_ids, envelope.schema_id.as_str())
            && any_of(&self.packet_ids, envelope.packet_id.as_str())
            && any_of(&self.stage_ids, envelope.stage_id.as_str())
            && any_of(&self.scenario_ids, envelope.scenario_id.as_str())
    }
}

/// Ordered static rules; the first match decides, else `default`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticPolicy {
    /// Effect when no rule matches (deny unless configured).
    #[serde(default)]
    pub default: DefaultEffect,
    /// Rules in order.
    #[serde(default)]
    pub rules: Vec<StaticPolicyRule>,
}

impl StaticPolicy {
    /// Checks every rule: at least one selector; `error` needs a non-empty `error_message`;
    /// target selectors well formed. `Err` names the rule by its 0-based index.
    pub fn validate(&self) -> Result<(), String> {
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.has_selector() {
                return Err(format!("rules[{index}] needs at least one selector"));
            }
            if rule.effect == RuleEffect::Error && rule.error_message.as_deref().is_none_or(|m| m.trim().is_empty()) {
                return Err(format!("rules[{index}].error_message is required for effect error"));
            }
            for selector in &rule.targets {
                selector.validate().map_err(|err| format!("rules[{index}].targets: {err}"))?;
            }
        }
        Ok(())
    }
}

impl PolicyDecider for StaticPolicy {
    fn authorize(
        &self,
        target: &DispatchTarget,
        envelope: &PacketEnvelope,
        _payload: &PacketPayload,
    ) -> Result<PolicyDecision, PolicyError> {
        match self.rules.iter().find(|rule| rule.matches(target, envelope)) {
            Some(rule) => match rule.effect {
                RuleEffect::Permit => Ok(PolicyDecision::Permit),
                RuleEffect::Deny => Ok(PolicyDecision::Deny),
                RuleEffect::Error => Err(PolicyError(rule.error_message.clone().unwrap_or_default())),
            },
            None => Ok(match self.default {
                DefaultEffect::Permit => PolicyDecision::Permit,
                DefaultEffect::Deny => PolicyDecision::Deny,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
