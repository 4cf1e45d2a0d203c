//! Engines built from stored scenario definitions, cached by key and spec hash.
//!
//! Definitions are immutable once stored, so a cached engine never goes stale; the cache is
//! bounded and simply cleared when full.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use decision_gate_core::engine::{ControlPlane, ControlPlaneError, EngineConfig, EnginePorts};
use decision_gate_core::hashing::HashDigest;
use decision_gate_core::ids::{NamespaceId, RunId, ScenarioId, TenantId};
use decision_gate_core::ports::{ConflictBackoff, Dispatcher, EvidenceProvider, PolicyDecider, RunStateStore};
use decision_gate_core::spec::ScenarioSpec;

/// Largest number of cached engines before the cache is cleared.
const MAX_CACHED_ENGINES: usize = 4096;

/// Number of run lock stripes.
const RUN_LOCK_STRIPES: usize = 1024;

/// Longest wait for a run's stripe; after it the call proceeds without the stripe.
pub const RUN_LOCK_MAX_WAIT: Duration = Duration::from_millis(250);

/// Serialises run-writing calls per run inside this process, so concurrent triggers of one run
/// rarely meet a compare-and-set conflict. Stripes (bounded memory) are picked by a hash keyed
/// with a per-process random key, so no caller can aim its runs at another tenant's stripe.
/// A holder may keep its stripe across evidence I/O (bounded by the providers' timeouts), but
/// nobody waits for a stripe longer than [`RUN_LOCK_MAX_WAIT`]: after that the call runs
/// without it. Correctness never depends on the stripe, because every write is a
/// compare-and-set against the store (which also serialises writers of other processes).
pub struct RunLocks {
    stripes: Vec<parking_lot::Mutex<()>>,
    key: std::collections::hash_map::RandomState,
    max_wait: Duration,
}

impl std::fmt::Debug for RunLocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunLocks").field("stripes", &self.stripes.len()).field("max_wait", &self.max_wait).finish()
    }
}

impl Default for RunLocks {
    fn default() -> Self {
        RunLocks::new(RUN_LOCK_MAX_WAIT)
    }
}

impl RunLocks {
    /// Stripes with a fresh random key and the given longest wait.
    pub fn new(max_wait: Duration) -> Self {
        RunLocks {
            stripes: (0..RUN_LOCK_STRIPES).map(|_| parking_lot::Mutex::new(())).collect(),
            key: std::collections::hash_map::RandomState::new(),
            max_wait,
        }
    }

    /// The stripe of one run.
    fn stripe(&self, tenant: TenantId, namespace: NamespaceId, run_id: &RunId) -> usize {
        (self.key.hash_one((tenant, namespace, run_id)) as usize) % self.stripes.len()
    }

    /// Runs `work` holding the run's stripe, or without it once the wait bound has passed
    /// (call from a blocking thread).
    pub fn with_run<T>(&self, tenant: TenantId, namespace: NamespaceId, run_id: &RunId, work: impl FnOnce() -> T) -> T {
        let stripe = &self.stripes[self.stripe(tenant, namespace, run_id)];
        let guard = stripe.try_lock_for(self.max_wait);
        if guard.is_none() {
            metrics::counter!("decision_gate_run_lock_wait_exceeded_total").increment(1);
        }
        work()
    }
}

/// Sleeps a small, random, growing time between compare-and-set attempts.
#[derive(Clone, Copy, Debug, Default)]
pub struct JitteredBackoff;

impl ConflictBackoff for JitteredBackoff {
    fn pause(&self, attempt: u32) {
        let ceiling_us = 200u64 << attempt.min(6);
        std::thread::sleep(Duration::from_micros(rand::random_range(0..ceiling_us)));
    }
}

type EngineKey = (TenantId, NamespaceId, ScenarioId);
type CachedEngines = HashMap<EngineKey, (HashDigest, Arc<ControlPlane>)>;

/// Builds and caches engines for scenario definitions.
pub struct EngineCache {
    config: EngineConfig,
    provider: Arc<dyn EvidenceProvider>,
    dispatcher: Arc<dyn Dispatcher>,
    store: Arc<dyn RunStateStore>,
    policy: Option<Arc<dyn PolicyDecider>>,
    engines: Mutex<CachedEngines>,
}

impl std::fmt::Debug for EngineCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineCache").field("config", &self.config).finish_non_exhaustive()
    }
}

impl EngineCache {
    /// A cache building engines with these ports and configuration.
    pub fn new(
        config: EngineConfig,
        provider: Arc<dyn EvidenceProvider>,
        dispatcher: Arc<dyn Dispatcher>,
        store: Arc<dyn RunStateStore>,
        policy: Option<Arc<dyn PolicyDecider>>,
    ) -> Self {
        EngineCache { config, provider, dispatcher, store, policy, engines: Mutex::new(HashMap::new()) }
    }

    /// The engine configuration (trust, anchors, validation mode).
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Builds an engine for a spec without caching it (define-time checks, inline precheck).
    pub fn build(&self, spec: ScenarioSpec) -> Result<ControlPlane, ControlPlaneError> {
        let mut ports = EnginePorts::new(self.provider.clone(), self.dispatcher.clone(), self.store.clone());
        ports.policy = self.policy.clone();
        ports.backoff = Arc::new(JitteredBackoff);
        ControlPlane::new(spec, ports, self.config.clone())
    }

    /// The engine for a stored definition (built on first use).
    pub fn engine_for(
        &self,
        tenant: TenantId,
        spec: &ScenarioSpec,
        spec_hash: &HashDigest,
    ) -> Result<Arc<ControlPlane>, ControlPlaneError> {
        let key = (tenant, spec.namespace_id, spec.scenario_id.clone());
        {
            let engines = self.engines.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some((hash, engine)) = engines.get(&key)
                && hash == spec_hash
            {
                return Ok(engine.clone());
            }
        }
        let engine = Arc::new(self.build(spec.clone())?);
        let mut engines = self.engines.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if engines.len() >= MAX_CACHED_ENGINES {
            engines.clear();
        }
        engines.insert(key, (spec_hash.clone(), engine.clone()));
        Ok(engine)
    }

    /// A cached engine for a key, without touching the store.
    pub fn cached(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        scenario_id: &ScenarioId,
    ) -> Option<Arc<ControlPlane>> {
        let engines = self.engines.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        engines.get(&(tenant, namespace, scenario_id.clone())).map(|(_, engine)| engine.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    fn ids(run: &str) -> (TenantId, NamespaceId, RunId) {
        (TenantId::new(1).unwrap(), NamespaceId::new(1).unwrap(), RunId::new(run))
    }

    #[test]
    fn stripes_are_keyed_per_process() {
        let (first, second) = (RunLocks::default(), RunLocks::default());
        let differs = (0..64).any(|index| {
            let (tenant, namespace, run) = ids(&format!("run-{index}"));
            first.stripe(tenant, namespace, &run) != second.stripe(tenant, namespace, &run)
        });
        assert!(differs, "two keys place 64 runs identically");
    }

    #[test]
    fn a_slow_holder_does_not_stall_a_waiter_beyond_the_bound() {
        let locks = Arc::new(RunLocks::new(Duration::from_millis(50)));
        let (tenant, namespace, run) = ids("slow");
        let (held_tx, held_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let holder = {
            let (locks, run) = (locks.clone(), run.clone());
            std::thread::spawn(move || {
                locks.with_run(tenant, namespace, &run, || {
                    held_tx.send(()).unwrap();
                    // Slow evidence: keeps the stripe until the waiter has finished.
                    done_rx.recv_timeout(Duration::from_secs(30)).expect("the waiter finished first");
                });
            })
        };
        held_rx.recv().unwrap();
        let ran = locks.with_run(tenant, namespace, &run, || true);
        assert!(ran, "the waiter ran while the holder still held the stripe");
        done_tx.send(()).unwrap();
        holder.join().unwrap();
    }
}
