//! The pipeline seams run in order for every tool: a denying tenant resolver or usage sink
//! stops the call before it executes, nothing is written, and the denial is audited.

use std::sync::{Arc, Mutex};

use decision_gate_core::ids::{NamespaceId, RunId, TenantId};
use decision_gate_core::ports::{MemoryDataShapeRegistry, MemoryStore, RegistryLimits, RunStateStore, ScenarioStore};
use decision_gate_mcp::config::{DecisionGateConfig, ProviderConfig, zero_config_in};
use decision_gate_mcp::pipeline::{
    AuditEvent, AuditSink, CallContext, TenantDecision, TenantRequest, TenantResolver, UsageDecision, UsageRequest,
    UsageReservation, UsageSink,
};
use decision_gate_mcp::state::{ServerOverrides, ServerState};
use decision_gate_mcp::tools::{CallFailure, ToolRouter};
use futures::future::BoxFuture;
use serde_json::{Value, json};

#[derive(Default)]
struct RecordingAudit(Mutex<Vec<Value>>);

impl AuditSink for RecordingAudit {
    fn record(&self, event: &AuditEvent) {
        self.0.lock().unwrap().push(serde_json::to_value(event).unwrap());
    }
}

impl RecordingAudit {
    fn events(&self, kind: &str) -> Vec<Value> {
        self.0.lock().unwrap().iter().filter(|event| event["event"] == kind).cloned().collect()
    }
}

struct DenyingTenants;

impl TenantResolver for DenyingTenants {
    fn resolve<'a>(&'a self, _ctx: &'a CallContext, _request: &'a TenantRequest) -> BoxFuture<'a, TenantDecision> {
        Box::pin(async { TenantDecision::deny("tenant suspended") })
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
    ) -> BoxFuture<'a, UsageDecision> {
        self.checks.lock().unwrap().push(request.clone());
        Box::pin(async { UsageDecision::Denied { reason: "quota exhausted".to_owned(), retry_after_ms: None } })
    }
    fn commit<'a>(&'a self, _ctx: &'a CallContext, _reservation: UsageReservation) -> BoxFuture<'a, ()> {
        panic!("nothing may be committed after a denial")
    }
    fn release<'a>(&'a self, _ctx: &'a CallContext, _reservation: UsageReservation) -> BoxFuture<'a, ()> {
        Box::pin(async {})
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

/// One call of every scoped tool whose decoding does not depend on prior state.
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
async fn unscoped_tools_skip_the_tenant_and_usage_seams() {
    let fixture = fixture(Some(Arc::new(DenyingTenants)), Some(Arc::new(DenyingUsage::default())));
    let ctx = CallContext::local("dg-test-0000000000000003");
    let listed = fixture.router.call(&ctx, "providers_list", json!({})).await.unwrap();
    assert_eq!(listed["providers"][0]["provider_id"], "time");
    assert!(fixture.audit.events("tenant_authz").is_empty());
}
