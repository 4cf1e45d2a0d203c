//! Engines built from stored scenario definitions, cached by key and spec hash.
//!
//! Definitions are immutable once stored, so a cached engine never goes stale; the cache is
//! bounded and simply cleared when full.

use std::collections::HashMap;
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

/// Serialises run-writing calls per run inside this process (hashed stripes, so memory stays
/// bounded). This only reduces compare-and-set conflicts; correctness never depends on it,
/// because every write is still a compare-and-set against the store (other processes).
pub struct RunLocks {
    stripes: Vec<Mutex<()>>,
}

impl std::fmt::Debug for RunLocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunLocks").field("stripes", &self.stripes.len()).finish()
    }
}

impl Default for RunLocks {
    fn default() -> Self {
        RunLocks { stripes: (0..RUN_LOCK_STRIPES).map(|_| Mutex::new(())).collect() }
    }
}

impl RunLocks {
    /// Holds the stripe of one run for the duration of `work` (call from a blocking thread).
    pub fn with_run<T>(&self, tenant: TenantId, namespace: NamespaceId, run_id: &RunId, work: impl FnOnce() -> T) -> T {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (tenant, namespace, run_id).hash(&mut hasher);
        let stripe = &self.stripes[(hasher.finish() as usize) % self.stripes.len()];
        let _guard = stripe.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
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
