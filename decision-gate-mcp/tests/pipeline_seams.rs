//! The pipeline seams run in order for every tool: a denying tenant resolver or usage sink
//! stops the call before it executes, nothing is written, and the denial is audited.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use decision_gate_core::ids::{NamespaceId, RunId, TenantId};
use decision_gate_core::ports::{MemoryDataShapeRegistry, MemoryStore, RegistryLimits, RunStateStore, ScenarioStore};
use decision_gate_mcp::config::{DecisionGateConfig, ProviderConfig, StoreConfig, zero_config_in};
use decision_gate_mcp::pipeline::{
    AuditError, AuditRecord, AuditSink, AuthorizedScope, CallContext, TenantDecision, TenantRequest, TenantResolver,
    UsageDecision, UsageError, UsageRequest, UsageReservation, UsageSink,
};
use decision_gate_mcp::state::{ServerOverrides, ServerState};
use decision_gate_mcp::tools::{CallFailure, ToolRouter};
use futures::future::BoxFuture;
use serde_json::{Value, json};

/// Records every audit record; optionally fails every write (a broken sink).
#[derive(Default)]
struct RecordingAudit {
    records: Mutex<Vec<Value>>,
    failing: AtomicBool,
}

impl AuditSink for RecordingAudit {
    fn record<'a>(&'a self, record: &'a AuditRecord) -> BoxFuture<'a, Result<(), AuditError>> {
        if self.failing.load(Ordering::SeqCst) {
            return Box::pin(async { Err(AuditError("disk full".to_owned())) });
        }
        self.records.lock().unwrap().push(serde_json::to_value(record).unwrap());
        Box::pin(async { Ok(()) })
    }
}

impl RecordingAudit {
    fn events(&self, kind: &str) -> Vec<Value> {
        self.records.lock().unwrap().iter().filter(|event| event["event"] == kind).cloned().collect()
    }
}

struct DenyingTenants;

impl TenantResolver for DenyingTenants {
    fn resolve<'a>(&'a self, _ctx: &'a CallContext, _request: &'a TenantRequest) -> BoxFuture<'a, TenantDecision> {
        Box::pin(async { TenantDecision::deny("tenant suspended") })
    }
}

/// A resolver that answers with another tenant than the one asked about.
struct RescopingTenants;

impl TenantResolver for RescopingTenants {
    fn resolve<'a>(&'a self, _ctx: &'a CallContext, request: &'a TenantRequest) -> BoxFuture<'a, TenantDecision> {
        let scope = AuthorizedScope { tenant: TenantId::new(99).unwrap(), namespace: request.namespace_id };
        Box::pin(async move { TenantDecision::allow(scope, "re-scoped") })
    }
}

#[derive(Default)]
struct DenyingUsage {
    checks: Mutex<Vec<UsageRequest>>,
}

impl UsageSink for DenyingUsage {
    fn check_and_reserve<'a>(
        &'a self,
        _ctx: &'a CallContext,
        request: &'a UsageRequest,
    ) -> BoxFuture<'a, Result<UsageDecision, UsageError>> {
        self.checks.lock().unwrap().push(request.clone());
        Box::pin(async { Ok(UsageDecision::Denied { reason: "quota exhausted".to_owned(), retry_after_ms: None }) })
    }
    fn commit<'a>(
        &'a self,
        _ctx: &'a CallContext,
        _reservation: UsageReservation,
    ) -> BoxFuture<'a, Result<(), UsageError>> {
        panic!("nothing may be committed after a denial")
    }
    fn release<'a>(
        &'a self,
        _ctx: &'a CallContext,
        _reservation: UsageReservation,
    ) -> BoxFuture<'a, Result<(), UsageError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Grants every check and records what happens to each reservation; optionally never answers
/// the check of one metric (a call stuck in metering).
#[derive(Default)]
struct LedgerUsage {
    granted: Mutex<Vec<UsageRequest>>,
    committed: Mutex<Vec<UsageRequest>>,
    released: Mutex<Vec<UsageRequest>>,
    stall_on: Mutex<Option<&'static str>>,
}

impl UsageSink for LedgerUsage {
    fn check_and_reserve<'a>(
        &'a self,
        _ctx: &'a CallContext,
        request: &'a UsageRequest,
    ) -> BoxFuture<'a, Result<UsageDecision, UsageError>> {
        if *self.stall_on.lock().unwrap() == Some(request.metric.as_str()) {
            return Box::pin(std::future::pending());
        }
        self.granted.lock().unwrap().push(request.clone());
        let reservation = UsageReservation { request: request.clone(), handle: 1 };
        Box::pin(async { Ok(UsageDecision::Allowed(reservation)) })
    }
    fn commit<'a>(
        &'a self,
        _ctx: &'a CallContext,
        reservation: UsageReservation,
    ) -> BoxFuture<'a, Result<(), UsageError>> {
        self.committed.lock().unwrap().push(reservation.request);
        Box::pin(async { Ok(()) })
    }
    fn release<'a>(
        &'a self,
        _ctx: &'a CallContext,
        reservation: UsageReservation,
    ) -> BoxFuture<'a, Result<(), UsageError>> {
        self.released.lock().unwrap().push(reservation.request);
        Box::pin(async { Ok(()) })
    }
}

struct Fixture {
    router: ToolRouter,
    audit: Arc<RecordingAudit>,
    store: Arc<MemoryStore>,
    registry: Arc<MemoryDataShapeRegistry>,
}

fn config() -> DecisionGateConfig {
    let dir = std::env::temp_dir();
    let mut config = zero_config_in(&dir);
    config.providers = vec![ProviderConfig::builtin("time")];
    config.runpack.root_dir = None;
    config.server.audit.path = None;
    // The stores are replaced by the fixture's memory stores; nothing is opened on disk.
    config.run_state_store = StoreConfig::default();
    config.schema_registry.store = StoreConfig::default();
    config
}

fn fixture(tenants: Option<Arc<dyn TenantResolver>>, usage: Option<Arc<dyn UsageSink>>) -> Fixture {
    let audit = Arc::new(RecordingAudit::default());
    let store = Arc::new(MemoryStore::new());
    let registry = Arc::new(MemoryDataShapeRegistry::new(RegistryLimits::default()));
    let overrides = ServerOverrides {
        tenant_resolver: tenants,
        usage,
        audit: Some(audit.clone()),
        run_store: Some(store.clone()),
        scenario_store: Some(store.clone()),
        schema_registry: Some(registry.clone()),
        ..ServerOverrides::default()
    };
    let state = ServerState::build(config(), overrides, tokio::runtime::Handle::current()).unwrap();
    Fixture { router: ToolRouter::new(state), audit, store, registry }
}

fn spec() -> Value {
    json!({"scenario_id": "s", "namespace_id": 1, "spec_version": "1", "policies": [], "schemas": [],
           "conditions": [{"condition_id": "c", "query": {"provider_id": "time", "check_id": "after", "params": {"timestamp": 0}},
                           "comparator": "equals", "expected": true, "policy_tags": []}],
           "stages": [{"stage_id": "a", "entry_packets": [], "gates": [{"gate_id": "g", "requirement": {"Condition": "c"}}],
                       "advance_to": {"kind": "terminal"}, "on_timeout": "fail"}]})
}

/// One call of every tool (all of them are scoped: provider discovery to the tenant).
fn scoped_calls() -> Vec<(&'static str, Value)> {
    let ts = json!({"kind": "logical", "value": 1});
    vec![
        ("scenario_define", json!({"spec": spec(), "tenant_id": 1})),
        (
            "scenario_start",
            json!({"scenario_id": "s", "run_config": {"tenant_id": 1, "namespace_id": 1, "run_id": "r", "scenario_id": "s", "dispatch_targets": [], "policy_tags": []}, "started_at": ts, "issue_entry_packets": false}),
        ),
        (
            "scenario_status",
            json!({"scenario_id": "s", "request": {"tenant_id": 1, "namespace_id": 1, "run_id": "r", "requested_at": ts}}),
        ),
        (
            "scenario_next",
            json!({"scenario_id": "s", "request": {"tenant_id": 1, "namespace_id": 1, "run_id": "r", "trigger_id": "t", "agent_id": "a", "time": ts}}),
        ),
        (
            "scenario_submit",
            json!({"scenario_id": "s", "request": {"tenant_id": 1, "namespace_id": 1, "run_id": "r", "submission_id": "x", "payload": {"kind": "json", "value": 1}, "content_type": "application/json", "submitted_at": ts}}),
        ),
        (
            "scenario_trigger",
            json!({"scenario_id": "s", "trigger": {"trigger_id": "t", "tenant_id": 1, "namespace_id": 1, "run_id": "r", "kind": "tick", "time": ts, "source_id": "x"}}),
        ),
        (
            "evidence_query",
            json!({"query": {"provider_id": "time", "check_id": "now"}, "context": {"tenant_id": 1, "namespace_id": 1, "run_id": "r", "scenario_id": "s", "stage_id": "a", "trigger_id": "t", "trigger_time": ts}}),
        ),
        (
            "runpack_export",
            json!({"scenario_id": "s", "tenant_id": 1, "namespace_id": 1, "run_id": "r", "output_dir": "out", "generated_at": ts, "include_verification": false}),
        ),
        (
            "schemas_register",
            json!({"record": {"tenant_id": 1, "namespace_id": 1, "schema_id": "d", "version": "1", "schema": {"type": "object"}, "description": null, "created_at": ts}}),
        ),
        ("schemas_list", json!({"tenant_id": 1, "namespace_id": 1})),
        ("schemas_get", json!({"tenant_id": 1, "namespace_id": 1, "schema_id": "d", "version": "1"})),
        ("scenarios_list", json!({"tenant_id": 1, "namespace_id": 1})),
        (
            "precheck",
            json!({"tenant_id": 1, "namespace_id": 1, "data_shape": {"schema_id": "d", "version": "1"}, "payload": {}, "scenario_id": "s"}),
        ),
        ("runpack_verify", json!({"tenant_id": 1, "runpack_dir": "out", "manifest_path": "manifest.json"})),
        ("providers_list", json!({"tenant_id": 1})),
        ("provider_contract_get", json!({"provider_id": "time", "tenant_id": 1})),
        ("provider_check_schema_get", json!({"provider_id": "time", "check_id": "now", "tenant_id": 1})),
    ]
}

fn assert_nothing_written(fixture: &Fixture) {
    let tenant = TenantId::new(1).unwrap();
    let namespace = NamespaceId::new(1).unwrap();
    assert!(ScenarioStore::list(&*fixture.store, tenant, namespace, None, 10).unwrap().items.is_empty());
    assert!(fixture.store.load(tenant, namespace, &RunId::new("r")).unwrap().is_none());
    use decision_gate_core::ports::DataShapeRegistry;
    assert!(fixture.registry.list(tenant, namespace, None, 10).unwrap().items.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denying_tenant_resolver_stops_every_scoped_tool_and_is_audited() {
    let usage = Arc::new(DenyingUsage::default());
    let fixture = fixture(Some(Arc::new(DenyingTenants)), Some(usage.clone()));
    let ctx = CallContext::local("dg-test-0000000000000001");
    for (tool, arguments) in scoped_calls() {
        let outcome = fixture.router.call(&ctx, tool, arguments).await;
        match outcome {
            Err(CallFailure::Failed(error)) => {
                assert_eq!((error.code.code(), error.message.as_str()), (-32003, "unauthorized"), "{tool}");
            }
            other => panic!("{tool}: expected a denial, got {other:?}"),
        }
    }
    assert!(usage.checks.lock().unwrap().is_empty(), "usage is not consulted after a tenant denial");
    assert_nothing_written(&fixture);
    let denials = fixture.audit.events("tenant_authz");
    assert_eq!(denials.len(), scoped_calls().len());
    assert!(denials.iter().all(|event| event["allowed"] == false && event["reason"] == "tenant suspended"));
    assert!(
        fixture
            .audit
            .events("tool_outcome")
            .iter()
            .all(|event| event["outcome"] == "Error" && event["error_code"] == -32003)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denying_usage_sink_stops_every_scoped_tool_and_is_audited() {
    let usage = Arc::new(DenyingUsage::default());
    let fixture = fixture(None, Some(usage.clone()));
    let ctx = CallContext::local("dg-test-0000000000000002");
    for (tool, arguments) in scoped_calls() {
        match fixture.router.call(&ctx, tool, arguments).await {
            Err(CallFailure::Failed(error)) => {
                assert_eq!((error.code.code(), error.kind()), (-32003, "quota_exceeded"), "{tool}");
            }
            other => panic!("{tool}: expected a quota denial, got {other:?}"),
        }
    }
    assert_nothing_written(&fixture);
    let checks = usage.checks.lock().unwrap();
    assert_eq!(checks.len(), scoped_calls().len(), "the first denial short-circuits each call");
    let usage_events = fixture.audit.events("usage_audit");
    assert_eq!(usage_events.len(), scoped_calls().len());
    assert!(usage_events.iter().all(|event| event["allowed"] == false && event["reason"] == "quota exhausted"));
    // Tenant authorization ran first and allowed every call.
    assert!(fixture.audit.events("tenant_authz").iter().all(|event| event["allowed"] == true));
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_discovery_passes_the_resolver_and_metering_on_the_callers_tenant() {
    let usage = Arc::new(LedgerUsage::default());
    let fixture = fixture(None, Some(usage.clone()));
    let ctx = CallContext::local("dg-test-0000000000000003");
    let listed = fixture.router.call(&ctx, "providers_list", json!({})).await.unwrap();
    assert_eq!(listed["providers"][0]["provider_id"], "time");
    let decisions = fixture.audit.events("tenant_authz");
    assert_eq!(decisions.len(), 1);
    assert_eq!(
        (&decisions[0]["tool"], &decisions[0]["tenant_id"], &decisions[0]["namespace_id"], &decisions[0]["allowed"]),
        (&json!("providers_list"), &json!("1"), &Value::Null, &json!(true))
    );
    let committed = usage.committed.lock().unwrap().clone();
    assert_eq!(committed.len(), 1);
    assert_eq!(
        (committed[0].tool, committed[0].tenant_id.get(), committed[0].namespace_id),
        ("providers_list", 1, None)
    );
    // A tenant this server does not serve is refused, for discovery too.
    let denied =
        fixture.router.call(&ctx, "provider_contract_get", json!({"provider_id": "time", "tenant_id": 2})).await;
    assert!(matches!(denied, Err(CallFailure::Failed(error)) if error.code.code() == -32003));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resolver_may_not_re_scope_a_call() {
    let fixture = fixture(Some(Arc::new(RescopingTenants)), None);
    let ctx = CallContext::local("dg-test-0000000000000004");
    let (tool, arguments) = scoped_calls().into_iter().next().unwrap();
    let outcome = fixture.router.call(&ctx, tool, arguments).await;
    assert!(matches!(outcome, Err(CallFailure::Failed(error)) if error.code.code() == -32003));
    assert_nothing_written(&fixture);
    let decision = &fixture.audit.events("tenant_authz")[0];
    assert_eq!(decision["allowed"], false);
    assert_eq!(decision["reason"], "resolver re-scoped the call to tenant 99 (refused)");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_audit_sink_stops_mutating_tools_before_anything_is_written() {
    let fixture = fixture(None, None);
    let ctx = CallContext::local("dg-test-0000000000000005");
    let (_, define) = scoped_calls().into_iter().next().unwrap();
    fixture.router.call(&ctx, "scenario_define", define).await.unwrap();
    fixture.audit.failing.store(true, Ordering::SeqCst);
    let (_, start) = scoped_calls().into_iter().nth(1).unwrap();
    match fixture.router.call(&ctx, "scenario_start", start).await {
        Err(CallFailure::Failed(error)) => {
            assert_eq!((error.code.code(), error.message.as_str()), (-32050, "audit unavailable"));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let (tenant, namespace) = (TenantId::new(1).unwrap(), NamespaceId::new(1).unwrap());
    assert!(fixture.store.load(tenant, namespace, &RunId::new("r")).unwrap().is_none(), "no run was started");
    // A read-only tool keeps working (audit.required is off).
    let listed = fixture.router.call(&ctx, "scenarios_list", json!({"tenant_id": 1, "namespace_id": 1})).await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_call_releases_its_reservation() {
    let usage = Arc::new(LedgerUsage::default());
    *usage.stall_on.lock().unwrap() = Some("runs_started");
    let fixture = fixture(None, Some(usage.clone()));
    let ctx = CallContext::local("dg-test-0000000000000006");
    let (_, start) = scoped_calls().into_iter().nth(1).unwrap();
    let call = fixture.router.call(&ctx, "scenario_start", start);
    assert!(tokio::time::timeout(Duration::from_millis(200), call).await.is_err(), "the call is stuck in metering");
    // The dropped call's guard releases `tool_calls` on the runtime.
    for _ in 0..100 {
        if !usage.released.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let released = usage.released.lock().unwrap();
    assert_eq!(released.iter().map(|request| request.metric.as_str()).collect::<Vec<_>>(), ["tool_calls"]);
    assert!(usage.committed.lock().unwrap().is_empty());
    assert!(
        fixture
            .store
            .load(TenantId::new(1).unwrap(), NamespaceId::new(1).unwrap(), &RunId::new("r"))
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_call_releases_and_a_retried_trigger_keeps_its_idempotency_key() {
    let usage = Arc::new(LedgerUsage::default());
    let fixture = fixture(None, Some(usage.clone()));
    let ctx = CallContext::local("dg-test-0000000000000007");
    let calls = scoped_calls();
    // Status of a run that does not exist: the reservation is released, never committed.
    assert!(fixture.router.call(&ctx, "scenario_status", calls[2].1.clone()).await.is_err());
    assert_eq!(usage.released.lock().unwrap().len(), 1);
    assert!(usage.committed.lock().unwrap().is_empty());
    fixture.router.call(&ctx, "scenario_define", calls[0].1.clone()).await.unwrap();
    fixture.router.call(&ctx, "scenario_start", calls[1].1.clone()).await.unwrap();
    let first = fixture.router.call(&ctx, "scenario_next", calls[3].1.clone()).await.unwrap();
    let retry_ctx = CallContext::local("dg-test-0000000000000008");
    let retried = fixture.router.call(&retry_ctx, "scenario_next", calls[3].1.clone()).await.unwrap();
    assert_eq!(first, retried, "a replayed trigger returns its decision");
    let keys: Vec<String> = usage
        .committed
        .lock()
        .unwrap()
        .iter()
        .filter(|request| request.tool == "scenario_next")
        .map(|request| request.idempotency_key.clone())
        .collect();
    assert_eq!(keys, [r#"["scenario_next",1,1,"r","t"]"#; 2], "a ledger counts the retry once");
    // A client key wins over the derived one.
    let keyed = CallContext { idempotency_key: Some("k-1".into()), ..CallContext::local("dg-test-0000000000000009") };
    fixture.router.call(&keyed, "scenarios_list", json!({"tenant_id": 1, "namespace_id": 1})).await.unwrap();
    let last = usage.committed.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.idempotency_key, r#"["scenarios_list",1,1,"client","k-1"]"#);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_canonical_text_of_a_result_is_the_text_its_audit_hash_covers() {
    let fixture = fixture(None, None);
    let ctx = CallContext::local("dg-test-0000000000000010");
    let (value, text) =
        fixture.router.call_with_text(&ctx, "scenario_define", json!({"spec": spec(), "tenant_id": 1})).await.unwrap();
    assert_eq!(text.as_bytes(), decision_gate_core::hashing::value_to_canonical_vec(&value));
    let listed = fixture.router.call(&ctx, "scenarios_list", json!({"tenant_id": 1, "namespace_id": 1})).await.unwrap();
    let outcomes = fixture.audit.events("tool_outcome");
    let hash = |index: usize| outcomes[index]["result_hash"]["value"].as_str().unwrap().to_owned();
    let expected = |value: &Value| decision_gate_core::hashing::hash_json_value(value, None).unwrap().hex().to_owned();
    assert_eq!(hash(0), expected(&value), "the text's bytes hash like the value");
    assert_eq!(hash(1), expected(&listed));
}
