//! Engines built from stored scenario definitions, cached by key and spec hash.
//!
//! Definitions are immutable once stored, so a cached engine never goes stale; the cache is
//! bounded and simply cleared when full.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use decision_gate_core::engine::{ControlPlane, ControlPlaneError, EngineConfig, EnginePorts};
use decision_gate_core::hashing::HashDigest;
use decision_gate_core::ids::{NamespaceId, ScenarioId, TenantId};
use decision_gate_core::ports::{ConflictBackoff, Dispatcher, EvidenceProvider, PolicyDecider, RunStateStore};
use decision_gate_core::spec::ScenarioSpec;

/// Largest number of cached engines before the cache is cleared.
const MAX_CACHED_ENGINES: usize = 4096;

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
