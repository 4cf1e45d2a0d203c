//! Unit tests of the offline commands, driven through the clap parser and [`super::execute`].

mod provider;
mod ron;
mod runpack;
mod scenario;
mod store;

use std::path::{Path, PathBuf};

use clap::Parser;
use decision_gate_core::ids::{NamespaceId, RunId, TenantId};
use decision_gate_core::run::{RunState, RunStatus, TriggerEvent, TriggerKind, TriggerRecord};
use decision_gate_core::spec::ScenarioSpec;
use decision_gate_core::time::Timestamp;

use super::{Cli, Outcome, execute};

/// What one command invocation produced.
pub(super) struct Run {
    /// The command's result.
    pub result: anyhow::Result<Outcome>,
    /// Everything written to stdout.
    pub out: String,
    /// Everything written to stderr.
    pub err: String,
}

impl Run {
    /// The outcome, panicking with the error and stderr otherwise.
    pub fn outcome(&self) -> Outcome {
        match &self.result {
            Ok(outcome) => *outcome,
            Err(error) => panic!("command failed: {error:#}\nstderr: {}", self.err),
        }
    }

    /// The error text (`{:#}`), panicking if the command succeeded.
    pub fn error(&self) -> String {
        match &self.result {
            Ok(outcome) => panic!("expected an error, got {outcome:?}; stdout: {}", self.out),
            Err(error) => format!("{error:#}"),
        }
    }
}

/// Parses `args` (without the program name) and runs the command.
pub(super) fn cli(args: &[&str]) -> Run {
    let parsed = Cli::try_parse_from(std::iter::once("decision-gate").chain(args.iter().copied()))
        .unwrap_or_else(|error| panic!("cannot parse {args:?}: {error}"));
    let mut out = Vec::new();
    let mut err = Vec::new();
    let result = execute(parsed.command, &mut out, &mut err);
    Run { result, out: String::from_utf8(out).unwrap(), err: String::from_utf8(err).unwrap() }
}

/// A path as a `&str` argument.
pub(super) fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `examples/<name>/scenario.json` of the repository.
pub(super) fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("examples").join(name).join("scenario.json")
}

/// Every shipped example scenario.
pub(super) const EXAMPLES: [&str; 4] = ["agent-loop", "ci-release-gate", "disclosure-packets", "timeout-branch"];

/// The ci-release-gate example spec.
pub(super) fn sample_spec() -> ScenarioSpec {
    let text = std::fs::read_to_string(example("ci-release-gate")).unwrap();
    decision_gate_core::spec::parse_spec_json(&text).unwrap()
}

/// A run of `spec` with one trigger and empty logs otherwise.
pub(super) fn sample_state(spec: &ScenarioSpec, run_id: &str) -> RunState {
    let tenant_id = TenantId::new(1).unwrap();
    let namespace_id = NamespaceId::new(1).unwrap();
    RunState {
        tenant_id,
        namespace_id,
        run_id: RunId::new(run_id),
        scenario_id: spec.scenario_id.clone(),
        spec_hash: spec.spec_hash().unwrap(),
        current_stage_id: spec.stages[0].stage_id.clone(),
        stage_entered_at: Timestamp::UnixMillis(1_000),
        status: RunStatus::Active,
        dispatch_targets: vec![],
        triggers: vec![TriggerRecord {
            seq: 1,
            event: TriggerEvent {
                trigger_id: "t-1".into(),
                tenant_id,
                namespace_id,
                run_id: RunId::new(run_id),
                kind: TriggerKind::AgentRequestNext,
                time: Timestamp::UnixMillis(2_000),
                source_id: "agent".to_owned(),
                payload: None,
                correlation_id: None,
            },
        }],
        gate_evals: vec![],
        decisions: vec![],
        packets: vec![],
        submissions: vec![],
        tool_calls: vec![],
    }
}

/// Writes the sample spec and a state of it into `dir`; returns (spec path, state path).
pub(super) fn write_inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let spec = sample_spec();
    let spec_path = dir.join("spec.json");
    let state_path = dir.join("state.json");
    std::fs::write(&spec_path, serde_json::to_vec(&spec).unwrap()).unwrap();
    std::fs::write(&state_path, serde_json::to_vec(&sample_state(&spec, "run-1")).unwrap()).unwrap();
    (spec_path, state_path)
}

/// A sparse file one byte over `cap`.
pub(super) fn oversized(dir: &Path, name: &str, cap: u64) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().set_len(cap + 1).unwrap();
    path
}
