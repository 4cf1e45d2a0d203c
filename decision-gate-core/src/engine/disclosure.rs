//! Packet disclosure on stage entry (core-model §7) and payload hashing (§5.6).

use super::{ControlPlane, ControlPlaneError};
use crate::hashing::{CanonicalError, HashDigest, MAX_PAYLOAD_BYTES, hash_bytes, hash_json_value};
use crate::ids::{CorrelationId, DecisionId};
use crate::ports::PolicyDecision;
use crate::run::{DispatchTarget, PacketEnvelope, PacketRecord, PacketVisibility, RunState};
use crate::spec::PacketPayload;
use crate::time::Timestamp;

impl ControlPlane {
    /// Hash of a packet or submission payload: canonical JSON or raw bytes (2 MiB cap), or the
    /// declared hash of external content (its algorithm must be the engine's).
    pub(crate) fn payload_hash(&self, payload: &PacketPayload) -> Result<HashDigest, ControlPlaneError> {
        match payload {
            PacketPayload::Json { value } => hash_json_value(value, Some(MAX_PAYLOAD_BYTES)).map_err(|err| match err {
                CanonicalError::TooLarge { actual, max } => ControlPlaneError::PayloadTooLarge { actual, max },
                other => ControlPlaneError::Hash(other.to_string()),
            }),
            PacketPayload::Bytes { bytes } => {
                if bytes.len() > MAX_PAYLOAD_BYTES {
                    Err(ControlPlaneError::PayloadTooLarge { actual: bytes.len(), max: MAX_PAYLOAD_BYTES })
                } else {
                    Ok(hash_bytes(self.config.hash_algorithm, bytes))
                }
            }
            PacketPayload::External { content_ref } => {
                if content_ref.content_hash.algorithm != self.config.hash_algorithm {
                    return Err(ControlPlaneError::PayloadHash(format!(
                        "content hash algorithm {} does not match engine algorithm {}",
                        content_ref.content_hash.algorithm.label(),
                        self.config.hash_algorithm.label()
                    )));
                }
                Ok(content_ref.content_hash.clone())
            }
        }
    }

    /// Issues the entry packets of a stage for one decision. The first error aborts the whole
    /// issuance and nothing is returned (the caller records no packets).
    pub(crate) fn issue_entry_packets(
        &self,
        state: &RunState,
        stage_position: usize,
        decision_id: &DecisionId,
        issued_at: Timestamp,
        correlation_id: Option<&CorrelationId>,
    ) -> Result<Vec<PacketRecord>, ControlPlaneError> {
        let stage = self.stage_at(stage_position);
        let mut records = Vec::with_capacity(stage.entry_packets.len());
        for packet in &stage.entry_packets {
            let envelope = PacketEnvelope {
                scenario_id: self.spec.scenario_id.clone(),
                run_id: state.run_id.clone(),
                stage_id: stage.stage_id.clone(),
                packet_id: packet.packet_id.clone(),
                schema_id: packet.schema_id.clone(),
                content_type: packet.content_type.clone(),
                content_hash: self.payload_hash(&packet.payload)?,
                visibility: PacketVisibility {
                    labels: packet.visibility_labels.clone(),
                    policy_tags: packet.policy_tags.clone(),
                },
                expiry: packet.expiry,
                correlation_id: correlation_id.cloned(),
                issued_at,
            };
            let receipts = state
                .dispatch_targets
                .iter()
                .map(|target| self.dispatch_one(target, &envelope, &packet.payload))
                .collect::<Result<Vec<_>, _>>()?;
            records.push(PacketRecord {
                envelope,
                payload: packet.payload.clone(),
                receipts,
                decision_id: decision_id.clone(),
            });
        }
        Ok(records)
    }

    fn dispatch_one(
        &self,
        target: &DispatchTarget,
        envelope: &PacketEnvelope,
        payload: &PacketPayload,
    ) -> Result<crate::run::DispatchReceipt, ControlPlaneError> {
        if let Some(policy) = &self.ports.policy {
            match policy.authorize(target, envelope, payload) {
                Ok(PolicyDecision::Permit) => {}
                Ok(PolicyDecision::Deny) => return Err(ControlPlaneError::PolicyDenied),
                Err(error) => return Err(ControlPlaneError::Policy(error.0)),
            }
        }
        self.ports.dispatcher.dispatch(target, envelope, payload).map_err(|error| ControlPlaneError::Dispatch(error.0))
    }
}
