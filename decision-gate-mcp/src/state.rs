//! Server state: configuration, stores, providers, engines and the pipeline seams, assembled
//! once at startup from `decision-gate.toml` plus optional overrides (the enterprise layer
//! injects its own seams through `ServerOverrides`).

use std::path::Path;
use std::sync::Arc;

use decision_gate_core::disclosure::{DenyAll, LocalDispatcher, PermitAll};
use decision_gate_core::engine::{ConditionEvalOrder, DEFAULT_CAS_ATTEMPTS, EngineConfig};
use decision_gate_core::evidence::{EvidenceAnchorPolicy, TrustLane};
use decision_gate_core::hashing::HashAlgorithm;
use decision_gate_core::ids::TenantId;
use decision_gate_core::ports::{
    DataShapeRegistry, EvidenceProvider, MemoryDataShapeRegistry, MemoryStore, PolicyDecider, RegistryLimits,
    RunStateStore, ScenarioStore,
};
use decision_gate_core::requirement::LogicMode;
use decision_gate_core::runpack::{EvidenceKeySet, RunpackSigningKey, TrustedRunpackKey};
use decision_gate_core::spec::ValidationMode;

use crate::auth::{Authenticator, ConfigAuthenticator, RegistryAcl};
use crate::config::{DecisionGateConfig, NamespaceAuthorityMode, PolicyEngine, StoreType};
use crate::engines::{EngineCache, RunLocks};
use crate::pipeline::{
    AllowAllUsage, AssetcoreAuthority, AuditSink, ConfiguredTenantResolver, ConfiguredToolVisibility, DiscardAudit,
    JsonlFileAudit, NamespaceAuthority, NoNamespaceAuthority, StderrAudit, TenantResolver, ToolVisibility, UsageSink,
};
use crate::providers::{ProviderSet, build_providers};
use crate::stores::{FsRunpackStorage, RunpackRoot, RunpackStorage, SqliteStore, SqliteStoreOptions};
use crate::transport::correlation::CorrelationIds;

/// Seams and stores an embedder may replace; an absent entry means the default.
#[derive(Clone, Default)]
pub struct ServerOverrides {
    /// Authentication.
    pub authenticator: Option<Arc<dyn Authenticator>>,
    /// Tenant resolution.
    pub tenant_resolver: Option<Arc<dyn TenantResolver>>,
    /// Usage metering.
    pub usage: Option<Arc<dyn UsageSink>>,
    /// Audit sink.
    pub audit: Option<Arc<dyn AuditSink>>,
    /// Namespace authority.
    pub namespace_authority: Option<Arc<dyn NamespaceAuthority>>,
    /// Run-state store.
    pub run_store: Option<Arc<dyn RunStateStore>>,
    /// Scenario store.
    pub scenario_store: Option<Arc<dyn ScenarioStore>>,
    /// Data-shape registry.
    pub schema_registry: Option<Arc<dyn DataShapeRegistry>>,
    /// Runpack storage (write and read), replacing the filesystem root.
    pub runpack_storage: Option<Arc<dyn RunpackStorage>>,
    /// The evidence provider engines and `evidence_query` use, replacing the configured
    /// federation (it receives each query's tenant and namespace, so it can route per tenant;
    /// it may wrap the federation built by [`crate::providers::build_providers`]).
    pub evidence_provider: Option<Arc<dyn EvidenceProvider>>,
    /// Packet disclosure policy, replacing `[policy]`.
    pub policy_decider: Option<Arc<dyn PolicyDecider>>,
    /// Tool visibility per caller, replacing `[server.tools]` lists.
    pub tool_visibility: Option<Arc<dyn ToolVisibility>>,
    /// Extra HTTP routes merged into the server's router (an admin API, for example), behind
    /// the same admission layer as `/mcp`; they may not reuse a route of the server.
    pub http_routes: Option<EmbeddedRoutes>,
    /// How a replaced authenticator authenticates, as `GET /` reports it (`api_key`, …);
    /// without it `GET /` reports `[server.auth] mode`.
    pub auth_label: Option<&'static str>,
    /// OAuth 2.1 protected-resource metadata (RFC 9728): when present, the HTTP transport
    /// serves it at `/.well-known/oauth-protected-resource` (and its `/mcp` path form) and
    /// names it in every `WWW-Authenticate` challenge.
    pub protected_resource: Option<ProtectedResource>,
}

/// HTTP routes an embedding binary adds. The server serves them behind its admission layer
/// ([`crate::transport::admission`]): the authenticated routes after the whole of admission
/// (their handlers find the caller in the
/// [`crate::transport::admission::AdmittedCall`] extension and the buffered body as the body;
/// refusals are `{"error": {"code", "message"}}`), the public ones after `Host`/`Origin` and
/// the in-flight slot.
#[derive(Clone, Debug)]
pub struct EmbeddedRoutes {
    /// The routes' label in audit records and metrics (`/admin/v1`).
    pub label: &'static str,
    /// Routes for authenticated callers.
    pub authenticated: axum::Router,
    /// Routes anyone may read (a public document).
    pub public: axum::Router,
    /// Largest body of an authenticated request (the server's `max_body_bytes` caps it).
    pub max_body_bytes: usize,
}

/// What the server says about itself as an OAuth 2.1 resource server (RFC 9728).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProtectedResource {
    /// The canonical URI of the MCP endpoint (`https://host/mcp`), the audience tokens are for;
    /// `None`: the URL the HTTP listener is bound to, plus `/mcp` (resolved at start-up).
    pub resource: Option<String>,
    /// Authorization servers whose tokens the server accepts (empty without OIDC).
    pub authorization_servers: Vec<String>,
    /// Every scope the server understands (`dg:<permission>`).
    pub scopes_supported: Vec<String>,
}

impl ProtectedResource {
    /// The same metadata with the resource resolved: a configured one stays, an unset one
    /// becomes `<scheme>://<local>/mcp`.
    pub fn resolved(&self, scheme: &str, local: std::net::SocketAddr) -> ProtectedResource {
        ProtectedResource {
            resource: Some(self.resource.clone().unwrap_or_else(|| format!("{scheme}://{local}/mcp"))),
            ..self.clone()
        }
    }

    /// The metadata URL for the resource (RFC 9728 §3.1: the well-known segment goes between
    /// the authority and the resource's path): `https://host/mcp` gives
    /// `https://host/.well-known/oauth-protected-resource/mcp`. `None` while unresolved.
    pub fn metadata_url(&self) -> Option<String> {
        let resource = self.resource.as_deref()?;
        let (scheme, rest) = resource.split_once("://").unwrap_or(("https", resource));
        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, ""),
        };
        let path = path.trim_end_matches('/');
        Some(format!("{scheme}://{authority}/.well-known/oauth-protected-resource{path}"))
    }
}

/// Everything a tool call needs.
pub struct ServerState {
    /// Validated configuration.
    pub config: DecisionGateConfig,
    /// Run states.
    pub runs: Arc<dyn RunStateStore>,
    /// Scenario definitions.
    pub scenarios: Arc<dyn ScenarioStore>,
    /// Data shapes.
    pub shapes: Arc<dyn DataShapeRegistry>,
    /// Evidence providers and their contracts.
    pub providers: ProviderSet,
    /// The evidence provider engines and `evidence_query` use.
    pub evidence: Arc<dyn EvidenceProvider>,
    /// Engines per stored definition.
    pub engines: EngineCache,
    /// Per-run serialisation of run-writing calls in this process.
    pub run_locks: RunLocks,
    /// Runpack storage (absent without `runpack.root_dir` or an override).
    pub runpack_storage: Option<Arc<dyn RunpackStorage>>,
    /// Authentication seam.
    pub authenticator: Arc<dyn Authenticator>,
    /// Tenant seam.
    pub tenants: Arc<dyn TenantResolver>,
    /// Usage seam.
    pub usage: Arc<dyn UsageSink>,
    /// Audit seam.
    pub audit: Arc<dyn AuditSink>,
    /// Namespace authority seam.
    pub namespace_authority: Arc<dyn NamespaceAuthority>,
    /// Tool visibility seam.
    pub visibility: Arc<dyn ToolVisibility>,
    /// Registry ACL.
    pub acl: RegistryAcl,
    /// Server correlation ids.
    pub correlation: CorrelationIds,
    /// Anchor policy written to runpacks and used by the engine.
    pub anchor_policy: EvidenceAnchorPolicy,
    /// Runpack signing key.
    pub signing_key: Option<RunpackSigningKey>,
    /// Trusted runpack keys.
    pub trusted_keys: Vec<TrustedRunpackKey>,
    /// Evidence keys for runpack verification.
    pub evidence_keys: Option<EvidenceKeySet>,
    /// Extra HTTP routes from the embedder.
    pub http_routes: Option<EmbeddedRoutes>,
    /// How the composed authenticator authenticates (`GET /`).
    pub auth_label: Option<&'static str>,
    /// Protected-resource metadata, when the embedder serves it.
    pub protected_resource: Option<ProtectedResource>,
}

impl std::fmt::Debug for ServerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerState").finish_non_exhaustive()
    }
}

/// A startup failure (printed and turned into a non-zero exit by the CLI).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartupError(pub String);

/// Engine configuration from the server configuration: the global lane is the configured
/// minimum, lowered to `asserted` in dev-permissive mode except for exempt providers.
pub fn engine_config(config: &DecisionGateConfig) -> EngineConfig {
    let mut engine = EngineConfig {
        logic_mode: LogicMode::Kleene,
        hash_algorithm: HashAlgorithm::Sha256,
        trust_requirement: config.trust.min_lane,
        anchor_policy: config.anchors.policy(),
        provider_trust_overrides: Default::default(),
        condition_eval_order: ConditionEvalOrder::Spec,
        validation: if config.validation.strict { ValidationMode::Strict } else { ValidationMode::Permissive },
        max_cas_attempts: DEFAULT_CAS_ATTEMPTS,
    };
    if config.dev_permissive() {
        engine.trust_requirement = TrustLane::Asserted;
        for provider in &config.dev.permissive_exempt_providers {
            engine.provider_trust_overrides.insert(provider.clone().into(), config.trust.min_lane);
        }
    }
    engine
}

fn read_key_file(path: &Path) -> Result<Vec<u8>, StartupError> {
    std::fs::read(path).map_err(|err| StartupError(format!("cannot read key file {}: {err}", path.display())))
}

impl ServerState {
    /// Assembles the state: stores (opened and migrated), providers, seams, keys.
    pub fn build(
        config: DecisionGateConfig,
        overrides: ServerOverrides,
        handle: tokio::runtime::Handle,
    ) -> Result<Arc<Self>, StartupError> {
        let providers = build_providers(&config, handle).map_err(|err| StartupError(err.to_string()))?;

        let (runs, scenarios): (Arc<dyn RunStateStore>, Arc<dyn ScenarioStore>) =
            match config.run_state_store.store_type {
                StoreType::Memory => {
                    let store = Arc::new(MemoryStore::new());
                    (store.clone(), store)
                }
                StoreType::Sqlite => {
                    let options = SqliteStoreOptions::from_store_config(&config.run_state_store)
                        .map_err(|err| StartupError(format!("run_state_store: {err}")))?;
                    let store = Arc::new(
                        SqliteStore::open(options).map_err(|err| StartupError(format!("run_state_store: {err}")))?,
                    );
                    (store.clone(), store)
                }
            };
        let shapes: Arc<dyn DataShapeRegistry> = match config.schema_registry.store.store_type {
            StoreType::Memory => Arc::new(MemoryDataShapeRegistry::new(RegistryLimits {
                max_schema_bytes: config.schema_registry.max_schema_bytes,
                max_entries: config.schema_registry.max_entries,
            })),
            StoreType::Sqlite => {
                let options = SqliteStoreOptions::from_registry_config(&config.schema_registry)
                    .map_err(|err| StartupError(format!("schema_registry: {err}")))?;
                Arc::new(SqliteStore::open(options).map_err(|err| StartupError(format!("schema_registry: {err}")))?)
            }
        };
        let runs = overrides.run_store.clone().unwrap_or(runs);
        let scenarios = overrides.scenario_store.clone().unwrap_or(scenarios);
        let shapes = overrides.schema_registry.clone().unwrap_or(shapes);

        let policy: Arc<dyn PolicyDecider> = match (&overrides.policy_decider, config.policy.engine) {
            (Some(policy), _) => policy.clone(),
            (None, PolicyEngine::PermitAll) => Arc::new(PermitAll),
            (None, PolicyEngine::DenyAll) => Arc::new(DenyAll),
            (None, PolicyEngine::Static) => Arc::new(config.policy.static_policy.clone().unwrap_or_default()),
        };
        let evidence: Arc<dyn EvidenceProvider> =
            overrides.evidence_provider.clone().unwrap_or_else(|| providers.provider.clone());
        let engines = EngineCache::new(
            engine_config(&config),
            evidence.clone(),
            Arc::new(LocalDispatcher),
            runs.clone(),
            Some(policy),
        );

        let audit: Arc<dyn AuditSink> = match (&overrides.audit, config.server.audit.enabled, &config.server.audit.path)
        {
            (Some(audit), _, _) => audit.clone(),
            (None, false, _) => Arc::new(DiscardAudit),
            (None, true, Some(path)) => Arc::new(
                JsonlFileAudit::open(path)
                    .map_err(|err| StartupError(format!("cannot open audit log {}: {err}", path.display())))?
                    .with_durability(config.server.audit.durable),
            ),
            (None, true, None) => Arc::new(StderrAudit),
        };
        let authenticator: Arc<dyn Authenticator> = match &overrides.authenticator {
            Some(authenticator) => authenticator.clone(),
            None => Arc::new(ConfigAuthenticator::new(&config.server.auth).map_err(StartupError)?),
        };
        let tenants: Arc<dyn TenantResolver> = overrides.tenant_resolver.clone().unwrap_or_else(|| {
            Arc::new(ConfiguredTenantResolver::new(
                config.tenancy.tenants.iter().filter_map(|tenant| TenantId::new(*tenant)),
            ))
        });
        let namespace_authority: Arc<dyn NamespaceAuthority> =
            match (&overrides.namespace_authority, config.namespace.authority.mode) {
                (Some(authority), _) => authority.clone(),
                (None, NamespaceAuthorityMode::None) => Arc::new(NoNamespaceAuthority),
                (None, NamespaceAuthorityMode::AssetcoreHttp) => {
                    let assetcore = config
                        .namespace
                        .authority
                        .assetcore
                        .as_ref()
                        .ok_or_else(|| StartupError("namespace.authority.assetcore is required".to_owned()))?;
                    Arc::new(AssetcoreAuthority::new(assetcore).map_err(StartupError)?)
                }
            };

        if config.runpack_storage.is_some() && overrides.runpack_storage.is_none() {
            return Err(StartupError(
                "runpack_storage: object-store runpack storage is not available in this build; use runpack.root_dir"
                    .to_owned(),
            ));
        }
        let runpack_storage: Option<Arc<dyn RunpackStorage>> =
            match (&overrides.runpack_storage, &config.runpack.root_dir) {
                (Some(storage), _) => Some(storage.clone()),
                (None, Some(root)) => {
                    std::fs::create_dir_all(root).map_err(|err| StartupError(format!("runpack.root_dir: {err}")))?;
                    let root =
                        RunpackRoot::open(root).map_err(|err| StartupError(format!("runpack.root_dir: {err}")))?;
                    // Best effort: stale temporary exports are also removed before each export.
                    let _ = root.clean_stale_temp_dirs();
                    Some(Arc::new(FsRunpackStorage::new(root)))
                }
                (None, None) => None,
            };
        let signing_key = match &config.runpack.signing {
            Some(signing) => Some(
                RunpackSigningKey::from_seed_material(&signing.key_id, &read_key_file(&signing.private_key_path)?)
                    .map_err(|err| StartupError(format!("runpack.signing: {err}")))?,
            ),
            None => None,
        };
        let trusted_keys = config
            .runpack
            .verify
            .trusted_keys
            .iter()
            .map(|key| {
                TrustedRunpackKey::from_public_material(&key.key_id, &read_key_file(&key.public_key_path)?)
                    .map_err(|err| StartupError(format!("runpack.verify.trusted_keys: {err}")))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let acl = RegistryAcl::new(config.schema_registry.acl.clone());
        let visibility: Arc<dyn ToolVisibility> = overrides
            .tool_visibility
            .clone()
            .unwrap_or_else(|| Arc::new(ConfiguredToolVisibility::new(&config.server.tools)));
        let evidence_keys = providers.provider.evidence_key_set().map_err(StartupError)?;
        let evidence_keys =
            (!evidence_keys.keys.is_empty() || !evidence_keys.require_signature.is_empty()).then_some(evidence_keys);
        Ok(Arc::new(ServerState {
            anchor_policy: config.anchors.policy(),
            runs,
            scenarios,
            shapes,
            providers,
            evidence,
            engines,
            run_locks: RunLocks::default(),
            runpack_storage,
            authenticator,
            tenants,
            usage: overrides.usage.clone().unwrap_or_else(|| Arc::new(AllowAllUsage)),
            audit,
            namespace_authority,
            visibility,
            acl,
            correlation: CorrelationIds::default(),
            signing_key,
            trusted_keys,
            evidence_keys,
            http_routes: overrides.http_routes.clone(),
            auth_label: overrides.auth_label,
            protected_resource: overrides.protected_resource.clone(),
            config,
        }))
    }

    /// Readiness: every store answers a real round trip (and the audit sink is healthy when
    /// `audit.required`).
    pub fn ready(&self) -> bool {
        let stores =
            self.runs.readiness().is_ok() && self.scenarios.readiness().is_ok() && self.shapes.readiness().is_ok();
        let audit = !self.config.server.audit.required || self.audit.healthy();
        stores && audit
    }
}
