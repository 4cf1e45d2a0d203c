//! Run start (core-model §6.2).

use super::{ControlPlane, ControlPlaneError};
use crate::ids::{DecisionId, TriggerId};
use crate::ports::StoreError;
use crate::run::{
    DecisionOutcome, DecisionRecord, RunConfig, RunState, RunStatus, TriggerEvent, TriggerKind, TriggerRecord,
};
use crate::time::Timestamp;

/// Trigger id of the synthetic start trigger.
pub const START_TRIGGER_ID: &str = "init";

impl ControlPlane {
    /// Starts a run: first stage, empty logs, the spec hash of now. With
    /// `issue_entry_packets`, logs the synthetic `init` trigger, decision `decision-1`
    /// (`start`) and the first stage's packets; any disclosure error aborts the start.
    /// The run is created insert-if-absent.
    pub fn start_run(
        &self,
        config: &RunConfig,
        started_at: Timestamp,
        issue_entry_packets: bool,
    ) -> Result<RunState, ControlPlaneError> {
        if config.scenario_id != self.spec.scenario_id {
            return Err(ControlPlaneError::ScenarioMismatch {
                expected: self.spec.scenario_id.clone(),
                actual: config.scenario_id.clone(),
            });
        }
        if config.namespace_id != self.spec.namespace_id {
            return Err(ControlPlaneError::NamespaceMismatch {
                expected: self.spec.namespace_id,
                actual: config.namespace_id,
            });
        }
        let first = self.spec.stages.first().ok_or(ControlPlaneError::MissingStages)?;
        let mut state = RunState {
            tenant_id: config.tenant_id,
            namespace_id: config.namespace_id,
            run_id: config.run_id.clone(),
            scenario_id: config.scenario_id.clone(),
            spec_hash: self.spec_hash.clone(),
            current_stage_id: first.stage_id.clone(),
            stage_entered_at: started_at,
            status: RunStatus::Active,
            dispatch_targets: config.dispatch_targets.clone(),
            triggers: Vec::new(),
            gate_evals: Vec::new(),
            decisions: Vec::new(),
            packets: Vec::new(),
            submissions: Vec::new(),
            tool_calls: Vec::new(),
        };
        if issue_entry_packets {
            let trigger_id = TriggerId::new(START_TRIGGER_ID);
            state.triggers.push(TriggerRecord {
                seq: 1,
                event: TriggerEvent {
                    trigger_id: trigger_id.clone(),
                    tenant_id: config.tenant_id,
                    namespace_id: config.namespace_id,
                    run_id: config.run_id.clone(),
                    kind: TriggerKind::ExternalEvent,
                    time: started_at,
                    source_id: "system".to_owned(),
                    payload: None,
                    correlation_id: None,
                },
            });
            let decision_id = DecisionId::new("decision-1");
            let packets = self.issue_entry_packets(&state, 0, &decision_id, started_at, None)?;
            state.decisions.push(DecisionRecord {
                decision_id,
                seq: 1,
                trigger_id,
                stage_id: first.stage_id.clone(),
                decided_at: started_at,
                outcome: DecisionOutcome::Start { stage_id: first.stage_id.clone() },
                correlation_id: None,
            });
            state.packets = packets;
        }
        match self.ports.store.create(&state) {
            Ok(_) => Ok(state),
            Err(StoreError::AlreadyExists(_)) => Err(ControlPlaneError::RunAlreadyExists(config.run_id.clone())),
            Err(other) => Err(ControlPlaneError::Store(other)),
        }
    }
}
