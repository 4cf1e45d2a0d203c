//! Submissions and read-only status (core-model §6.9, §6.10).

use super::{Attempt, ControlPlane, ControlPlaneError, append_tool_call, transcript_hash};
use crate::hashing::to_canonical_vec;
use crate::run::{
    DecisionOutcome, StatusRequest, StatusResponse, SubmissionRecord, SubmitRequest, SubmitResult, ToolCallError,
    ToolCallErrorDetails, ToolCallMethod,
};
use crate::spec::PacketPayload;

/// Whether two payloads are the same content (canonical forms equal, kind included).
fn same_payload(a: &PacketPayload, b: &PacketPayload) -> bool {
    a == b || matches!((to_canonical_vec(a), to_canonical_vec(b)), (Ok(x), Ok(y)) if x == y)
}

impl ControlPlane {
    /// Stores a submission (any run status). The same id with the same content returns the
    /// stored record; the same id with different content records a `submission_conflict`
    /// transcript entry and fails with `SubmissionConflict`.
    pub fn scenario_submit(&self, request: &SubmitRequest) -> Result<SubmitResult, ControlPlaneError> {
        let request_hash = transcript_hash(request)?;
        self.with_run(request.tenant_id, request.namespace_id, &request.run_id, |state| {
            let outcome = match state.submissions.iter().find(|record| record.submission_id == request.submission_id) {
                Some(existing)
                    if existing.content_type == request.content_type
                        && same_payload(&existing.payload, &request.payload) =>
                {
                    Ok(SubmitResult { record: existing.clone() })
                }
                Some(_) => Err(ToolCallError {
                    code: "submission_conflict".to_owned(),
                    message: format!("submission_id conflict: {}", request.submission_id),
                    details: ToolCallErrorDetails::Message { info: format!("submission_id={}", request.submission_id) },
                }),
                None => match self.payload_hash(&request.payload) {
                    Ok(content_hash) => {
                        let record = SubmissionRecord {
                            submission_id: request.submission_id.clone(),
                            run_id: request.run_id.clone(),
                            payload: request.payload.clone(),
                            content_type: request.content_type.clone(),
                            content_hash,
                            submitted_at: request.submitted_at,
                            correlation_id: request.correlation_id.clone(),
                        };
                        state.submissions.push(record.clone());
                        Ok(SubmitResult { record })
                    }
                    Err(error) => return Attempt::Abort(error),
                },
            };
            let (response_hash, error) = match &outcome {
                Ok(result) => (transcript_hash(result), None),
                Err(error) => (transcript_hash(error), Some(error.clone())),
            };
            let recorded = response_hash.and_then(|response_hash| {
                append_tool_call(
                    state,
                    ToolCallMethod::Submit,
                    request_hash.clone(),
                    response_hash,
                    request.submitted_at,
                    request.correlation_id.clone(),
                    error,
                )
            });
            match recorded {
                Ok(()) => Attempt::Save(
                    outcome.map_err(|_| ControlPlaneError::SubmissionConflict(request.submission_id.clone())),
                ),
                Err(error) => Attempt::Abort(error),
            }
        })
    }

    /// Read-only status: loads and answers; appends and writes nothing.
    pub fn scenario_status(&self, request: &StatusRequest) -> Result<StatusResponse, ControlPlaneError> {
        let (state, _) = self.load_run(request.tenant_id, request.namespace_id, &request.run_id)?;
        let last_decision = state.decisions.last().cloned();
        let safe_summary = match last_decision.as_ref().map(|decision| &decision.outcome) {
            Some(DecisionOutcome::Hold { summary }) => Some(summary.clone()),
            _ => None,
        };
        Ok(StatusResponse {
            run_id: state.run_id.clone(),
            scenario_id: state.scenario_id.clone(),
            namespace_id: state.namespace_id,
            current_stage_id: state.current_stage_id.clone(),
            status: state.status,
            last_decision,
            issued_packet_ids: state.packets.iter().map(|packet| packet.envelope.packet_id.clone()).collect(),
            safe_summary,
        })
    }
}
