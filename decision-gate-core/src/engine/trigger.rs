//! Trigger processing: `scenario_next` and `scenario_trigger` (core-model §6.3–§6.8).

use super::evaluate::{GateOutcome, hold_summary};
use super::{Attempt, ControlPlane, ControlPlaneError, append_tool_call, next_seq, transcript_hash};
use crate::evidence::EvidenceContext;
use crate::hashing::HashDigest;
use crate::ids::{DecisionId, StageId};
use crate::requirement::TriState;
use crate::run::{
    DecisionOutcome, DecisionRecord, GateEvalRecord, NextRequest, RunState, RunStatus, ToolCallError,
    ToolCallErrorDetails, ToolCallMethod, TriggerEvent, TriggerKind, TriggerRecord, TriggerResult,
};
use crate::spec::TimeoutPolicy;
use crate::time::DeadlineError;

impl ControlPlane {
    /// `scenario_next`: an `agent_request_next` trigger from `agent_id`.
    pub fn scenario_next(&self, request: &NextRequest) -> Result<TriggerResult, ControlPlaneError> {
        let event = TriggerEvent {
            trigger_id: request.trigger_id.clone(),
            tenant_id: request.tenant_id,
            namespace_id: request.namespace_id,
            run_id: request.run_id.clone(),
            kind: TriggerKind::AgentRequestNext,
            time: request.time,
            source_id: request.agent_id.clone(),
            payload: None,
            correlation_id: request.correlation_id.clone(),
        };
        let request_hash = transcript_hash(request)?;
        self.process(&event, ToolCallMethod::Next, request_hash)
    }

    /// `scenario_trigger`: processes a caller-built trigger.
    pub fn trigger(&self, event: &TriggerEvent) -> Result<TriggerResult, ControlPlaneError> {
        let request_hash = transcript_hash(event)?;
        self.process(event, ToolCallMethod::Trigger, request_hash)
    }

    fn process(
        &self,
        event: &TriggerEvent,
        method: ToolCallMethod,
        request_hash: HashDigest,
    ) -> Result<TriggerResult, ControlPlaneError> {
        self.with_run(event.tenant_id, event.namespace_id, &event.run_id, |state| {
            if let Err(missing) = self.ports.provider.validate_providers(&self.spec) {
                let error = ToolCallError {
                    code: "provider_missing".to_owned(),
                    message: format!("missing providers: {}", missing.missing_providers.join(", ")),
                    details: ToolCallErrorDetails::ProviderMissing(missing.clone()),
                };
                let recorded = transcript_hash(&error).and_then(|response_hash| {
                    append_tool_call(
                        state,
                        method,
                        request_hash.clone(),
                        response_hash,
                        event.time,
                        event.correlation_id.clone(),
                        Some(error),
                    )
                });
                return match recorded {
                    Ok(()) => Attempt::Save(Err(ControlPlaneError::ProviderMissing(missing))),
                    Err(error) => Attempt::Abort(error),
                };
            }
            let finished = self.apply_trigger(state, event).and_then(|result| {
                let response_hash = transcript_hash(&result)?;
                append_tool_call(
                    state,
                    method,
                    request_hash.clone(),
                    response_hash,
                    event.time,
                    event.correlation_id.clone(),
                    None,
                )?;
                Ok(result)
            });
            match finished {
                Ok(result) => Attempt::Save(Ok(result)),
                Err(error) => Attempt::Abort(error),
            }
        })
    }

    /// The internal step of core-model §6.4; errors leave the state unsaved.
    fn apply_trigger(&self, state: &mut RunState, event: &TriggerEvent) -> Result<TriggerResult, ControlPlaneError> {
        // A replayed trigger id returns its own decision whatever the run's status; a new
        // trigger on a finished run returns the final decision (with the run status).
        if let Some(previous) = state.decision_for_trigger(&event.trigger_id) {
            return Ok(replay(state, previous));
        }
        if state.status != RunStatus::Active {
            let last = state.decisions.last().ok_or(ControlPlaneError::RunInactive(state.status))?;
            return Ok(replay(state, last));
        }
        let seq = next_seq(state.triggers.len())?;
        state.triggers.push(TriggerRecord { seq, event: event.clone() });
        let position = self.stage_position(&state.current_stage_id)?;
        let stage = self.stage_at(position);

        if event.kind == TriggerKind::Tick
            && let Some(timeout) = &stage.timeout
        {
            let expired =
                event.time.reached_deadline(&state.stage_entered_at, timeout.timeout_ms).map_err(|err| match err {
                    DeadlineError::KindMismatch => ControlPlaneError::TriggerTimeMismatch,
                    DeadlineError::Overflow => ControlPlaneError::TimeoutCalculation,
                })?;
            if expired {
                return self.apply_timeout(state, event, position);
            }
        }

        let context = EvidenceContext {
            tenant_id: state.tenant_id,
            namespace_id: state.namespace_id,
            run_id: state.run_id.clone(),
            scenario_id: self.spec.scenario_id.clone(),
            stage_id: state.current_stage_id.clone(),
            trigger_id: event.trigger_id.clone(),
            trigger_time: event.time,
            correlation_id: event.correlation_id.clone(),
        };
        let evidence = self.gather_evidence(position, &context)?;
        let outcomes = self.evaluate_gates(position, &evidence)?;
        let passed = outcomes.iter().all(|outcome| outcome.evaluation.status == TriState::True);
        let summary = (!passed).then(|| hold_summary(&outcomes));
        for GateOutcome { evaluation, evidence } in outcomes {
            state.gate_evals.push(GateEvalRecord {
                trigger_id: event.trigger_id.clone(),
                stage_id: state.current_stage_id.clone(),
                evaluation,
                evidence,
            });
        }

        match summary {
            None => {
                let next = self.resolve_next(position, &|_| TriState::True)?;
                self.pass_stage(state, event, next, false)
            }
            Some(summary) => {
                let decision = self.push_decision(state, event, DecisionOutcome::Hold { summary })?;
                Ok(TriggerResult { decision, packets: Vec::new(), status: state.status })
            }
        }
    }

    /// Applies the stage's `on_timeout` policy (no provider calls, no gate evaluations).
    fn apply_timeout(
        &self,
        state: &mut RunState,
        event: &TriggerEvent,
        position: usize,
    ) -> Result<TriggerResult, ControlPlaneError> {
        match self.stage_at(position).on_timeout {
            TimeoutPolicy::Fail => {
                state.status = RunStatus::Failed;
                let decision =
                    self.push_decision(state, event, DecisionOutcome::Fail { reason: "timeout".to_owned() })?;
                Ok(TriggerResult { decision, packets: Vec::new(), status: state.status })
            }
            TimeoutPolicy::AdvanceWithFlag => {
                let next = self.resolve_next(position, &|_| TriState::True)?;
                self.pass_stage(state, event, next, true)
            }
            TimeoutPolicy::AlternateBranch => {
                let next = self.resolve_next(position, &|_| TriState::Unknown)?;
                self.pass_stage(state, event, next, true)
            }
        }
    }

    /// Completes the run or advances to `next`, issuing its entry packets. A disclosure
    /// failure turns the decision into `fail` and the run into `failed`, keeping no packets.
    fn pass_stage(
        &self,
        state: &mut RunState,
        event: &TriggerEvent,
        next: Option<StageId>,
        timeout: bool,
    ) -> Result<TriggerResult, ControlPlaneError> {
        let Some(next) = next else {
            state.status = RunStatus::Completed;
            let outcome = DecisionOutcome::Complete { stage_id: state.current_stage_id.clone() };
            let decision = self.push_decision(state, event, outcome)?;
            return Ok(TriggerResult { decision, packets: Vec::new(), status: state.status });
        };
        let next_position = self.stage_position(&next)?;
        let seq = next_seq(state.decisions.len())?;
        let decision_id = DecisionId::new(format!("decision-{seq}"));
        let outcome = match self.issue_entry_packets(
            state,
            next_position,
            &decision_id,
            event.time,
            event.correlation_id.as_ref(),
        ) {
            Ok(packets) => {
                let outcome = DecisionOutcome::Advance {
                    from_stage: state.current_stage_id.clone(),
                    to_stage: next.clone(),
                    timeout,
                };
                state.packets.extend(packets);
                outcome
            }
            Err(error) => {
                state.status = RunStatus::Failed;
                DecisionOutcome::Fail { reason: error.to_string() }
            }
        };
        let decision = DecisionRecord {
            decision_id: decision_id.clone(),
            seq,
            trigger_id: event.trigger_id.clone(),
            stage_id: state.current_stage_id.clone(),
            decided_at: event.time,
            outcome,
            correlation_id: event.correlation_id.clone(),
        };
        if state.status == RunStatus::Active {
            state.current_stage_id = next;
            state.stage_entered_at = event.time;
        }
        state.decisions.push(decision.clone());
        let packets = state.packets_for_decision(&decision_id);
        Ok(TriggerResult { decision, packets, status: state.status })
    }

    /// Appends a decision with the next sequence number.
    fn push_decision(
        &self,
        state: &mut RunState,
        event: &TriggerEvent,
        outcome: DecisionOutcome,
    ) -> Result<DecisionRecord, ControlPlaneError> {
        let seq = next_seq(state.decisions.len())?;
        let decision = DecisionRecord {
            decision_id: DecisionId::new(format!("decision-{seq}")),
            seq,
            trigger_id: event.trigger_id.clone(),
            stage_id: state.current_stage_id.clone(),
            decided_at: event.time,
            outcome,
            correlation_id: event.correlation_id.clone(),
        };
        state.decisions.push(decision.clone());
        Ok(decision)
    }
}

/// The stored decision with its packets and the run's current status (no trigger logged).
fn replay(state: &RunState, decision: &DecisionRecord) -> TriggerResult {
    TriggerResult {
        decision: decision.clone(),
        packets: state.packets_for_decision(&decision.decision_id),
        status: state.status,
    }
}
