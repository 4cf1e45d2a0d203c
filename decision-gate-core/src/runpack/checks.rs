//! Content checks shared by export-time verification and both verifier versions.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::signing::verify_evidence_signature;
use super::{EvidenceKeySet, MAX_ARTIFACT_BYTES};
use crate::evidence::{EvidenceAnchorPolicy, check_anchor, hash_evidence_value};
use crate::ids::{ConditionId, ProviderId};
use crate::ports::{ArtifactError, ArtifactReader};
use crate::run::{DecisionRecord, GateEvalRecord};
use crate::spec::ScenarioSpec;

pub(crate) const SPEC_PATH: &str = "artifacts/scenario_spec.json";
pub(crate) const TRIGGERS_PATH: &str = "artifacts/triggers.json";
pub(crate) const GATE_EVALS_PATH: &str = "artifacts/gate_evals.json";
pub(crate) const DECISIONS_PATH: &str = "artifacts/decisions.json";

/// Reads artifacts once: bytes read while checking file hashes are reused by later checks.
pub(crate) struct ArtifactCache<'r> {
    reader: &'r dyn ArtifactReader,
    files: HashMap<String, Vec<u8>>,
}

impl<'r> ArtifactCache<'r> {
    pub(crate) fn new(reader: &'r dyn ArtifactReader) -> Self {
        ArtifactCache { reader, files: HashMap::new() }
    }

    /// Reads a file with the 16 MiB limit, keeping the bytes for later checks.
    pub(crate) fn read(&mut self, path: &str) -> Result<&[u8], ArtifactError> {
        if !self.files.contains_key(path) {
            let bytes = self.reader.read_with_limit(path, MAX_ARTIFACT_BYTES)?;
            self.files.insert(path.to_owned(), bytes);
        }
        Ok(self.files.get(path).map(Vec::as_slice).unwrap_or_default())
    }
}

/// The decision log must parse and hold at most one decision per trigger id (the scan stops
/// at the first repeat).
pub(crate) fn check_decision_log(cache: &mut ArtifactCache<'_>, errors: &mut Vec<String>) {
    let bytes = match cache.read(DECISIONS_PATH) {
        Ok(bytes) => bytes,
        Err(err) => {
            errors.push(format!("decision log read failed: {err}"));
            return;
        }
    };
    let decisions: Vec<DecisionRecord> = match serde_json::from_slice(bytes) {
        Ok(decisions) => decisions,
        Err(err) => {
            errors.push(format!("invalid decision log: {err}"));
            return;
        }
    };
    let mut seen = HashSet::new();
    if let Some(repeat) = decisions.iter().find(|decision| !seen.insert(decision.trigger_id.as_str())) {
        errors.push(format!("duplicate decision for trigger {}", repeat.trigger_id));
    }
}

/// Parses the spec and the gate-eval log from their fixed paths, reporting failures.
pub(crate) fn load_spec_and_gate_evals(
    cache: &mut ArtifactCache<'_>,
    errors: &mut Vec<String>,
) -> Option<(ScenarioSpec, Vec<GateEvalRecord>)> {
    let spec = match cache.read(SPEC_PATH) {
        Ok(bytes) => match serde_json::from_slice::<ScenarioSpec>(bytes) {
            Ok(spec) => Some(spec),
            Err(err) => {
                errors.push(format!("invalid scenario spec: {err}"));
                None
            }
        },
        Err(err) => {
            errors.push(format!("scenario spec read failed: {err}"));
            None
        }
    };
    let gate_evals = match cache.read(GATE_EVALS_PATH) {
        Ok(bytes) => match serde_json::from_slice::<Vec<GateEvalRecord>>(bytes) {
            Ok(records) => Some(records),
            Err(err) => {
                errors.push(format!("invalid gate eval log: {err}"));
                None
            }
        },
        Err(err) => {
            errors.push(format!("gate eval log read failed: {err}"));
            None
        }
    };
    Some((spec?, gate_evals?))
}

fn providers_by_condition(spec: &ScenarioSpec) -> BTreeMap<&ConditionId, &ProviderId> {
    spec.conditions.iter().map(|condition| (&condition.condition_id, &condition.query.provider_id)).collect()
}

/// Replays the anchor checks of core-model §5.4 over every non-error evidence record.
pub(crate) fn check_anchors(
    policy: &EvidenceAnchorPolicy,
    spec: &ScenarioSpec,
    gate_evals: &[GateEvalRecord],
    errors: &mut Vec<String>,
) {
    let providers = providers_by_condition(spec);
    for record in gate_evals {
        for evidence in record.evidence.iter().filter(|evidence| evidence.result.error.is_none()) {
            let location = format!(
                "condition {} (trigger {}, stage {})",
                evidence.condition_id, record.trigger_id, record.stage_id
            );
            let Some(provider) = providers.get(&evidence.condition_id) else {
                errors.push(format!(
                    "condition {} missing from scenario spec (trigger {}, stage {})",
                    evidence.condition_id, record.trigger_id, record.stage_id
                ));
                continue;
            };
            let Some(requirement) = policy.requirement_for(provider) else { continue };
            if let Err(reason) = check_anchor(requirement, &evidence.result) {
                errors.push(format!("anchor invalid for {location}: {reason}"));
            }
        }
    }
}

/// Checks evidence signatures: a present signature with a known key must verify; providers
/// that require signatures must have signed every non-error record.
pub(crate) fn check_evidence_signatures(
    keys: &EvidenceKeySet,
    spec: &ScenarioSpec,
    gate_evals: &[GateEvalRecord],
    errors: &mut Vec<String>,
) {
    let providers = providers_by_condition(spec);
    for record in gate_evals {
        for evidence in record.evidence.iter().filter(|evidence| evidence.result.error.is_none()) {
            let location = format!(
                "condition {} (trigger {}, stage {})",
                evidence.condition_id, record.trigger_id, record.stage_id
            );
            let required = providers
                .get(&evidence.condition_id)
                .is_some_and(|provider| keys.require_signature.contains(*provider));
            let Some(signature) = &evidence.result.signature else {
                if required {
                    errors.push(format!("evidence signature missing for {location}"));
                }
                continue;
            };
            let Some(key) = keys.keys.get(&signature.key_id) else {
                if required {
                    errors.push(format!("evidence signature invalid for {location}"));
                }
                continue;
            };
            let digest = evidence.result.value.as_ref().map(hash_evidence_value);
            let valid = match digest {
                Some(Ok(digest)) => {
                    signature.scheme == "ed25519"
                        && evidence.result.evidence_hash.as_ref().is_none_or(|stored| stored == &digest)
                        && verify_evidence_signature(key, &digest, &signature.signature)
                }
                _ => false,
            };
            if !valid {
                errors.push(format!("evidence signature invalid for {location}"));
            }
        }
    }
}
