//! Compare-and-set under concurrency: no lost updates, bounded retries (core-model §6.13).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Barrier, OnceLock};

use serde_json::json;

use super::support::*;
use crate::disclosure::LocalDispatcher;
use crate::engine::{ControlPlane, ControlPlaneError, EngineConfig, EnginePorts};
use crate::ids::{NamespaceId, RunId, TenantId};
use crate::ports::{ConflictBackoff, MemoryStore, Page, RunStateStore, RunSummary, StoreError};
use crate::run::RunState;
use crate::spec::ScenarioSpec;

fn looping_spec() -> serde_json::Value {
    spec(
        "loop",
        json!([stage("a", json!([gate("g", json!({"Condition": "c"}))]), json!({"kind": "fixed", "stage_id": "a"}))]),
        json!([condition("c", "c", "equals", json!(true))]),
    )
}

fn shared_engine(config: EngineConfig) -> (Arc<ControlPlane>, Arc<MemoryStore>, Arc<ScriptedProvider>) {
    let store = Arc::new(MemoryStore::new());
    let provider = Arc::new(ScriptedProvider::default());
    provider.answer_json("c", json!(true));
    let spec: ScenarioSpec = serde_json::from_value(looping_spec()).unwrap();
    let ports = EnginePorts::new(provider.clone(), Arc::new(LocalDispatcher), store.clone());
    let engine = Arc::new(ControlPlane::new(spec, ports, config).unwrap());
    engine.start_run(&run_config("r", "loop", json!([])), crate::time::Timestamp::Logical(0), false).unwrap();
    (engine, store, provider)
}

fn assert_each_trigger_once(state: &RunState, expected: usize) {
    assert_eq!(state.triggers.len(), expected);
    assert_eq!(state.decisions.len(), expected);
    let trigger_ids: HashSet<&str> = state.triggers.iter().map(|t| t.event.trigger_id.as_str()).collect();
    let decided: HashSet<&str> = state.decisions.iter().map(|d| d.trigger_id.as_str()).collect();
    assert_eq!(trigger_ids.len(), expected);
    assert_eq!(trigger_ids, decided);
    let seqs: Vec<u64> = state.decisions.iter().map(|d| d.seq).collect();
    assert_eq!(seqs, (1..=expected as u64).collect::<Vec<_>>());
}

#[test]
fn an_interleaved_writer_forces_a_rerun_and_nothing_is_lost() {
    let (engine, store, provider) = shared_engine(EngineConfig::default());
    let cell: Arc<OnceLock<Arc<ControlPlane>>> = Arc::new(OnceLock::new());
    cell.set(engine.clone()).unwrap();
    let fired = Arc::new(AtomicBool::new(false));
    let (hook_cell, hook_fired) = (cell.clone(), fired.clone());
    provider.set_hook(Some(Box::new(move |_, ctx| {
        if ctx.trigger_id.as_str() == "outer" && !hook_fired.swap(true, Ordering::SeqCst) {
            // Another writer completes while "outer" is between its load and its save.
            hook_cell.get().unwrap().scenario_next(&next("r", "inner", 2)).unwrap();
        }
    })));
    let outer = engine.scenario_next(&next("r", "outer", 1)).unwrap();
    let (state, version) = store.load(tenant(), namespace(), &RunId::new("r")).unwrap().unwrap();
    assert_eq!(version, 3);
    assert_each_trigger_once(&state, 2);
    assert_eq!(state.decisions[0].trigger_id.as_str(), "inner");
    assert_eq!(outer.decision.decision_id.as_str(), "decision-2", "the re-run sees the newer state");
    assert_eq!(provider.calls().len(), 3, "the loser queried its provider twice");
}

#[test]
fn two_threads_triggering_one_run_record_both_decisions_exactly_once() {
    let (engine, store, _) = shared_engine(EngineConfig { max_cas_attempts: 64, ..EngineConfig::default() });
    let per_thread = 40;
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = ["x", "y"]
        .into_iter()
        .map(|name| {
            let (engine, barrier) = (engine.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                (0..per_thread)
                    .map(|i| engine.scenario_next(&next("r", &format!("{name}-{i}"), i)).map(|r| r.decision.trigger_id))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for handle in handles {
        assert!(handle.join().unwrap().iter().all(Result::is_ok));
    }
    let (state, _) = store.load(tenant(), namespace(), &RunId::new("r")).unwrap().unwrap();
    assert_each_trigger_once(&state, 2 * per_thread as usize);
    assert_eq!(state.tool_calls.len(), 2 * per_thread as usize);
}

#[test]
fn the_same_trigger_id_from_two_threads_yields_one_decision() {
    let (engine, store, _) = shared_engine(EngineConfig::default());
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (engine, barrier) = (engine.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                engine.scenario_next(&next("r", "same", 1)).unwrap()
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results[0].decision, results[1].decision);
    let (state, _) = store.load(tenant(), namespace(), &RunId::new("r")).unwrap().unwrap();
    assert_each_trigger_once(&state, 1);
    assert_eq!(state.tool_calls.len(), 2);
}

/// A store whose saves always lose the race.
struct AlwaysConflicting(MemoryStore);

impl RunStateStore for AlwaysConflicting {
    fn load(&self, t: TenantId, n: NamespaceId, r: &RunId) -> Result<Option<(RunState, u64)>, StoreError> {
        self.0.load(t, n, r)
    }
    fn create(&self, state: &RunState) -> Result<u64, StoreError> {
        self.0.create(state)
    }
    fn save(&self, _state: &RunState, _expected: u64) -> Result<u64, StoreError> {
        Err(StoreError::Conflict("always".into()))
    }
    fn list_runs(
        &self,
        t: TenantId,
        n: NamespaceId,
        c: Option<&str>,
        l: usize,
    ) -> Result<Page<RunSummary>, StoreError> {
        self.0.list_runs(t, n, c, l)
    }
    fn readiness(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[derive(Default)]
struct CountingBackoff(AtomicU32);

impl ConflictBackoff for CountingBackoff {
    fn pause(&self, _attempt: u32) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn exhausted_attempts_fail_with_a_retryable_conflict() {
    let store = Arc::new(AlwaysConflicting(MemoryStore::new()));
    let provider = Arc::new(ScriptedProvider::default());
    provider.answer_json("c", json!(true));
    let backoff = Arc::new(CountingBackoff::default());
    let mut ports = EnginePorts::new(provider.clone(), Arc::new(LocalDispatcher), store.clone());
    ports.backoff = backoff.clone();
    let spec: ScenarioSpec = serde_json::from_value(looping_spec()).unwrap();
    let engine =
        ControlPlane::new(spec, ports, EngineConfig { max_cas_attempts: 3, ..EngineConfig::default() }).unwrap();
    engine.start_run(&run_config("r", "loop", json!([])), crate::time::Timestamp::Logical(0), false).unwrap();
    let err = engine.scenario_next(&next("r", "t", 1)).unwrap_err();
    assert_eq!(err, ControlPlaneError::RunStateConflict(3));
    assert!(err.is_retryable());
    assert_eq!(provider.calls().len(), 3);
    assert_eq!(backoff.0.load(Ordering::SeqCst), 2);
    let (state, version) = store.load(tenant(), namespace(), &RunId::new("r")).unwrap().unwrap();
    assert!(state.triggers.is_empty() && version == 1, "nothing partial is stored");
}
