//! Evidence anchor policies (core-model §5.4).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::EvidenceResult;
use crate::ids::ProviderId;

/// Anchor requirements per provider, from server configuration (never from the spec).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceAnchorPolicy {
    /// One entry per anchored provider.
    #[serde(default)]
    pub providers: Vec<ProviderAnchorPolicy>,
}

impl EvidenceAnchorPolicy {
    /// The requirement configured for a provider, if any.
    pub fn requirement_for(&self, provider_id: &ProviderId) -> Option<&AnchorRequirement> {
        self.providers.iter().find(|entry| &entry.provider_id == provider_id).map(|entry| &entry.requirement)
    }

    /// Whether no provider is anchored.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// A copy with every requirement's `required_fields` normalised (trimmed, blanks dropped,
    /// sorted, de-duplicated).
    pub fn normalized(&self) -> EvidenceAnchorPolicy {
        EvidenceAnchorPolicy {
            providers: self
                .providers
                .iter()
                .map(|entry| ProviderAnchorPolicy {
                    provider_id: entry.provider_id.clone(),
                    requirement: entry.requirement.normalized(),
                })
                .collect(),
        }
    }
}

/// One provider's anchor requirement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderAnchorPolicy {
    /// The anchored provider.
    pub provider_id: ProviderId,
    /// What its anchors must contain.
    pub requirement: AnchorRequirement,
}

/// Required anchor type and fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorRequirement {
    /// Required `anchor_type`.
    pub anchor_type: String,
    /// Fields that must be present in the anchor object as strings or numbers.
    pub required_fields: Vec<String>,
}

impl AnchorRequirement {
    /// A copy with `required_fields` trimmed, blanks dropped, sorted and de-duplicated.
    pub fn normalized(&self) -> AnchorRequirement {
        let mut fields: Vec<String> = self
            .required_fields
            .iter()
            .map(|field| field.trim().to_owned())
            .filter(|field| !field.is_empty())
            .collect();
        fields.sort();
        fields.dedup();
        AnchorRequirement { anchor_type: self.anchor_type.clone(), required_fields: fields }
    }
}

/// Checks a provider result's anchor against a requirement; `Err` carries the reason text.
pub fn check_anchor(requirement: &AnchorRequirement, result: &EvidenceResult) -> Result<(), String> {
    let anchor = result.evidence_anchor.as_ref().ok_or_else(|| "missing evidence_anchor".to_owned())?;
    if anchor.anchor_type != requirement.anchor_type {
        return Err(format!("anchor_type mismatch: expected {} got {}", requirement.anchor_type, anchor.anchor_type));
    }
    let parsed: Value =
        serde_json::from_str(&anchor.anchor_value).map_err(|err| format!("anchor_value is not valid JSON: {err}"))?;
    let object = parsed.as_object().ok_or_else(|| "anchor_value must be a JSON object".to_owned())?;
    for field in &requirement.required_fields {
        match object.get(field) {
            None => return Err(format!("{field} missing")),
            Some(Value::Null) => return Err(format!("{field} must be set")),
            Some(Value::Bool(_)) => return Err(format!("{field} must be string or number")),
            Some(Value::Array(_) | Value::Object(_)) => return Err(format!("{field} must be scalar")),
            Some(Value::String(_) | Value::Number(_)) => {}
        }
    }
    Ok(())
}
