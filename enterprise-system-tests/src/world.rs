// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Two tenants on one server, each with an editor caller: `alpha` (tenant 1, made by the
//! bootstrap) and `beta` (tenant 2, made through the admin API), authenticated by API keys
//! or by client certificates mapped to principals. Plus the arguments of every tool for a
//! given tenant and set of ids.

use rcgen::SanType;
use serde_json::{Value, json};
use system_tests::TestDir;

use crate::{AuthKind, Backend, Caller, Enterprise, logical};

/// The tools in catalogue order.
pub use system_tests::TOOLS;

/// The ids one set of tool arguments names.
#[derive(Clone, Debug)]
pub struct Ids {
    /// The tenant named explicitly (`None`: left to the server, the caller's own).
    pub tenant: Option<u64>,
    /// Scenario id.
    pub scenario: String,
    /// Run id.
    pub run: String,
    /// Schema id.
    pub schema: String,
    /// Runpack directory.
    pub runpack: String,
    /// Evidence file under the caller's `json` root.
    pub evidence: String,
    /// Provider id of the discovery tools.
    pub provider: String,
    /// A list cursor.
    pub cursor: Option<String>,
    /// A distinguishing suffix for ids a call creates (triggers, submissions).
    pub suffix: String,
}

impl Ids {
    /// Ids all derived from one stem.
    pub fn stem(tenant: Option<u64>, stem: &str) -> Self {
        Ids {
            tenant,
            scenario: format!("{stem}-scenario"),
            run: format!("{stem}-run"),
            schema: format!("{stem}-schema"),
            runpack: format!("{stem}-pack"),
            evidence: format!("{stem}.json"),
            provider: "json".to_owned(),
            cursor: None,
            suffix: stem.to_owned(),
        }
    }
}

/// A scenario with one stage whose gate needs a time that never comes (runs stay active).
pub fn spec(scenario: &str) -> Value {
    json!({"scenario_id": scenario, "namespace_id": 1, "spec_version": "1", "policies": [], "schemas": [],
           "conditions": [{"condition_id": "never", "query": {"provider_id": "time", "check_id": "before",
                           "params": {"timestamp": 0}}, "comparator": "equals", "expected": true, "policy_tags": []}],
           "stages": [{"stage_id": "gate", "entry_packets": [], "gates": [{"gate_id": "g", "requirement": {"Condition": "never"}}],
                       "advance_to": {"kind": "terminal"}, "on_timeout": "fail"}]})
}

fn shape() -> Value {
    json!({"type": "object", "properties": {"never": {"type": "boolean"}}})
}

fn scoped(ids: &Ids, mut fields: Value) -> Value {
    if let (Some(tenant), Some(object)) = (ids.tenant, fields.as_object_mut()) {
        object.insert("tenant_id".into(), json!(tenant));
        object.insert("namespace_id".into(), json!(1));
    }
    fields
}

/// The arguments of `tool` naming `ids`.
pub fn arguments(tool: &str, ids: &Ids) -> Value {
    let run = |extra: Value| {
        let mut fields = json!({"run_id": ids.run});
        fields.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
        scoped(ids, fields)
    };
    match tool {
        "scenario_define" => {
            let mut arguments = json!({"spec": spec(&ids.scenario)});
            if let Some(tenant) = ids.tenant {
                arguments["tenant_id"] = json!(tenant);
            }
            arguments
        }
        "scenario_start" => json!({"scenario_id": ids.scenario,
            "run_config": run(json!({"dispatch_targets": []})), "started_at": logical(0), "issue_entry_packets": false}),
        "scenario_status" => json!({"scenario_id": ids.scenario, "request": run(json!({}))}),
        "scenario_next" => json!({"scenario_id": ids.scenario, "request": run(json!({
            "trigger_id": format!("next-{}", ids.suffix), "agent_id": "agent", "time": logical(5)}))}),
        "scenario_submit" => json!({"scenario_id": ids.scenario, "request": run(json!({
            "submission_id": format!("sub-{}", ids.suffix), "payload": {"kind": "json", "value": {"ok": true}},
            "content_type": "application/json", "submitted_at": logical(6)}))}),
        "scenario_trigger" => json!({"scenario_id": ids.scenario, "trigger": run(json!({
            "trigger_id": format!("tick-{}", ids.suffix), "kind": "tick", "time": logical(7), "source_id": "clock"}))}),
        "evidence_query" => json!({"query": {"provider_id": "json", "check_id": "path",
            "params": {"file": ids.evidence, "jsonpath": "$.ok"}}, "context": scoped(ids, json!({}))}),
        "runpack_export" => scoped(
            ids,
            json!({"scenario_id": ids.scenario, "run_id": ids.run, "output_dir": ids.runpack,
            "generated_at": logical(10), "include_verification": false}),
        ),
        "runpack_verify" => scoped(ids, json!({"runpack_dir": ids.runpack, "manifest_path": "manifest.json"})),
        "providers_list" => tenant_only(ids, json!({})),
        "provider_contract_get" => tenant_only(ids, json!({"provider_id": ids.provider})),
        "provider_check_schema_get" => tenant_only(ids, json!({"provider_id": ids.provider, "check_id": "path"})),
        "schemas_register" => json!({"record": scoped(ids, json!({"schema_id": ids.schema, "version": "1",
            "schema": shape(), "description": null, "created_at": logical(1)}))}),
        "schemas_list" | "scenarios_list" => scoped(ids, json!({"cursor": ids.cursor, "limit": 10})),
        "schemas_get" => scoped(ids, json!({"schema_id": ids.schema, "version": "1"})),
        "precheck" => scoped(
            ids,
            json!({"data_shape": {"schema_id": ids.schema, "version": "1"},
            "scenario_id": ids.scenario, "payload": {"ok": true}}),
        ),
        other => panic!("no arguments for {other}"),
    }
}

fn tenant_only(ids: &Ids, mut fields: Value) -> Value {
    if let Some(tenant) = ids.tenant {
        fields["tenant_id"] = json!(tenant);
    }
    fields
}

/// Two tenants and their editors.
pub struct World {
    /// The server.
    pub server: Enterprise,
    /// Tenant 1's editor.
    pub alpha: Caller,
    /// Tenant 2's editor.
    pub beta: Caller,
    /// Tenant 2's id.
    pub beta_tenant: u64,
}

impl World {
    /// The world on `backend` with callers of `auth`.
    pub async fn new(dir: &TestDir, backend: Backend, auth: AuthKind) -> Self {
        assert_eq!(backend, Backend::Sqlite);
        let server = match auth {
            AuthKind::ApiKey => Enterprise::start(dir, None).expect("server starts"),
            AuthKind::Mtls => Enterprise::start_tls(dir).expect("TLS server starts"),
        };
        let owner = server.owner();
        let beta_tenant = owner.tenant("beta").await;
        let (alpha, beta) = match auth {
            AuthKind::ApiKey => {
                let alpha = owner.key(1, &["editor"]).await;
                let beta = owner.key(beta_tenant, &["editor"]).await;
                let caller =
                    |key: String| Caller { http: server.http(None), authorization: Some(format!("Bearer {key}")) };
                (caller(alpha), caller(beta))
            }
            AuthKind::Mtls => {
                let ca = server.ca.as_ref().expect("TLS server");
                let mut callers = Vec::new();
                for (name, tenant) in [("alpha", 1), ("beta", beta_tenant)] {
                    let subject = format!("{name}.clients.test");
                    let (status, principal) = owner
                        .call("POST", "/admin/v1/principals", Some(json!({"name": name, "cert_subjects": [subject]})))
                        .await;
                    assert_eq!(status, 201, "{principal}");
                    let grant = json!({"principal_id": principal["principal_id"], "role": "editor"});
                    let (status, granted) =
                        owner.call("POST", &format!("/admin/v1/tenants/{tenant}/bindings"), Some(grant)).await;
                    assert_eq!(status, 200, "{granted}");
                    let pem = ca.client(name, vec![SanType::DnsName(subject.as_str().try_into().expect("dns name"))]);
                    callers.push(Caller { http: server.http(Some(&pem)), authorization: None });
                }
                let beta = callers.pop().expect("beta");
                (callers.pop().expect("alpha"), beta)
            }
        };
        World { server, alpha, beta, beta_tenant }
    }

    /// Writes an evidence file into a tenant's namespace-1 `json` root.
    pub fn evidence(&self, tenant: u64, file: &str, value: Value) {
        let path = self.server.data_dir.join("evidence").join(tenant.to_string()).join("1").join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("evidence dir");
        std::fs::write(path, serde_json::to_vec(&value).expect("json")).expect("evidence file");
    }
}
