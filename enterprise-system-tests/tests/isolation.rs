// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The isolation matrix: every tool × {own ids, another tenant's ids, ids that exist only in
//! another tenant, another tenant's cursors and runpack paths} × {API key, client
//! certificate}. Alpha (tenant 1) must do everything with its own ids, be refused every call
//! naming beta's tenant, and get byte-for-byte the same answer for beta's ids as for ids that
//! never existed anywhere; beta's data must not change. A new backend or credential kind
//! re-runs it by adding a line at the bottom.

use enterprise_system_tests::world::{Ids, TOOLS, World, arguments, spec};
use enterprise_system_tests::{AuthKind, Backend, Caller, structured, tool_error};
use serde_json::{Value, json};
use system_tests::TestDir;

/// Tools whose calls with the shared ids would create alpha's own records (checked apart).
const CREATING: [&str; 2] = ["scenario_define", "schemas_register"];

/// The tools that name a run (or its runpack).
const RUN_PROBES: [&str; 6] =
    ["scenario_status", "scenario_next", "scenario_trigger", "scenario_submit", "runpack_export", "runpack_verify"];

/// Alpha's whole lifecycle with its own ids, every tool once; each must succeed.
async fn own_lifecycle(world: &World) {
    world.evidence(1, "own.json", json!({"ok": true}));
    let own = Ids::stem(None, "own");
    let order = [
        "scenario_define",
        "scenario_start",
        "scenario_status",
        "scenario_next",
        "scenario_submit",
        "scenario_trigger",
        "evidence_query",
        "schemas_register",
        "schemas_get",
        "schemas_list",
        "scenarios_list",
        "precheck",
        "runpack_export",
        "runpack_verify",
        "providers_list",
        "provider_contract_get",
        "provider_check_schema_get",
    ];
    assert_eq!(order.len(), TOOLS.len());
    for (index, tool) in order.into_iter().enumerate() {
        let answer = world.alpha.call(900 + index as u64, tool, arguments(tool, &own)).await;
        let result = structured(&answer);
        match tool {
            "scenario_next" => assert_eq!(result["decision"]["outcome"]["kind"], "hold"),
            "evidence_query" => {
                assert_eq!(result["result"]["error"], Value::Null, "{result}");
                assert_eq!(result["result"]["evidence_ref"]["uri"], "dg+file://evidence-root/own.json");
            }
            "runpack_verify" => assert_eq!(result["status"], "pass"),
            "scenarios_list" => assert_eq!(result["items"][0]["scenario_id"], "own-scenario"),
            _ => {}
        }
    }
}

/// What beta can see of its own data (must not change while alpha probes).
async fn beta_view(world: &World, shared: &Ids) -> Vec<Value> {
    let mut view = Vec::new();
    for tool in ["scenario_status", "scenarios_list", "schemas_list", "schemas_get", "runpack_verify"] {
        view.push(structured(&world.beta.call(1, tool, arguments(tool, shared)).await));
    }
    view
}

async fn probe_all(caller: &Caller, tools: &[&str], ids: &Ids, first_id: u64) -> Vec<(u16, Vec<u8>)> {
    let mut answers = Vec::new();
    for (index, tool) in tools.iter().enumerate() {
        let answer = caller.call(first_id + index as u64, tool, arguments(tool, ids)).await;
        answers.push((answer.status, answer.body));
    }
    answers
}

async fn matrix(backend: Backend, auth: AuthKind) {
    let dir = TestDir::new();
    let world = World::new(&dir, backend, auth).await;
    own_lifecycle(&world).await;

    let in_own_scope = Ids::stem(None, "shared");
    let naming_beta = Ids::stem(Some(world.beta_tenant), "shared");
    let probing: Vec<&str> = TOOLS.iter().copied().filter(|tool| !CREATING.contains(tool)).collect();

    // Phase 1: nothing with the shared ids exists anywhere.
    let unknown = probe_all(&world.alpha, &probing, &in_own_scope, 100).await;
    let refused = probe_all(&world.alpha, &TOOLS, &naming_beta, 200).await;
    for ((status, body), tool) in refused.iter().zip(TOOLS) {
        let answer: Value = serde_json::from_slice(body).expect("json");
        assert_eq!(*status, 200, "{tool}: {answer}");
        assert_eq!(answer["result"]["structuredContent"]["error"]["code"], -32003, "{tool}: {answer}");
        assert_eq!(answer["result"]["structuredContent"]["error"]["message"], "unauthorized", "{tool}");
    }
    for ((_, body), tool) in unknown.iter().zip(&probing) {
        let answer: Value = serde_json::from_slice(body).expect("json");
        let result = &answer["result"]["structuredContent"];
        match *tool {
            // Global provider catalogues and alpha's own lists answer normally.
            "providers_list" | "provider_contract_get" | "provider_check_schema_get" => {
                assert_eq!(answer["result"]["isError"], false, "{tool}: {answer}")
            }
            "scenarios_list" | "schemas_list" => {
                assert_eq!(result["items"].as_array().map(Vec::len), Some(1), "{tool}")
            }
            "evidence_query" => assert_eq!(result["result"]["error"]["code"], "file_not_found", "{answer}"),
            _ => assert_eq!(answer["result"]["isError"], true, "{tool}: {answer}"),
        }
    }

    // Beta creates everything under the shared ids (and a second scenario, for a cursor).
    world.evidence(world.beta_tenant, "shared.json", json!({"ok": true}));
    let beta_ids = Ids::stem(None, "shared");
    for tool in ["scenario_define", "scenario_start", "scenario_next", "schemas_register", "runpack_export"] {
        structured(&world.beta.call(1, tool, arguments(tool, &beta_ids)).await);
    }
    structured(&world.beta.call(1, "scenario_define", json!({"spec": spec("shared-second")})).await);
    let before = beta_view(&world, &beta_ids).await;
    let packs =
        std::fs::read_dir(world.server.data_dir.join(format!("runpacks/{}/1", world.beta_tenant))).unwrap().count();

    // Phase 2: the same probes answer byte for byte as before beta's records existed.
    assert_eq!(probe_all(&world.alpha, &probing, &in_own_scope, 100).await, unknown, "beta's ids look never-existing");
    assert_eq!(probe_all(&world.alpha, &TOOLS, &naming_beta, 200).await, refused, "naming beta is refused alike");

    // Beta's cursor and runpack path lead alpha to nothing of beta's.
    let page = structured(&world.beta.call(1, "scenarios_list", json!({"limit": 1})).await);
    let cursor = page["next_token"].as_str().expect("beta has a second page").to_owned();
    for tool in ["scenarios_list", "schemas_list"] {
        let listed = world.alpha.call(1, tool, json!({"cursor": cursor, "limit": 10})).await;
        let text = String::from_utf8_lossy(&listed.body).into_owned();
        assert!(!text.contains("shared"), "{tool} with beta's cursor: {text}");
    }
    let verify = world.alpha.call(1, "runpack_verify", arguments("runpack_verify", &in_own_scope)).await;
    assert_eq!(tool_error(&verify), Some((-32040, "invalid manifest".to_owned())));

    // Alpha may use beta's ids for its own records: no collision, no hint.
    let mut own_copy = in_own_scope.clone();
    own_copy.tenant = None;
    let defined = structured(&world.alpha.call(1, "scenario_define", arguments("scenario_define", &own_copy)).await);
    assert_eq!(defined["scenario_id"], "shared-scenario");
    structured(&world.alpha.call(1, "schemas_register", arguments("schemas_register", &own_copy)).await);

    // With the same scenario id now defined in alpha's own tenant, the run store itself is what
    // refuses beta's run: every run-level probe answers byte for byte like a run (and a
    // runpack) that never existed.
    let ghost = Ids { run: "ghost-run".to_owned(), runpack: "ghost-pack".to_owned(), ..in_own_scope.clone() };
    let foreign = probe_all(&world.alpha, &RUN_PROBES, &in_own_scope, 300).await;
    // Error messages name the run the caller asked about; with that name swapped, the bytes
    // must be the same.
    let never: Vec<(u16, Vec<u8>)> = probe_all(&world.alpha, &RUN_PROBES, &ghost, 300)
        .await
        .into_iter()
        .map(|(status, body)| {
            let text = String::from_utf8(body).expect("utf-8").replace("ghost-run", "shared-run");
            (status, text.replace("ghost-pack", "shared-pack").into_bytes())
        })
        .collect();
    for ((status, body), tool) in foreign.iter().zip(RUN_PROBES) {
        let answer: Value = serde_json::from_slice(body).expect("json");
        assert_eq!((*status, &answer["result"]["isError"]), (200, &json!(true)), "{tool}: {answer}");
    }
    assert_eq!(foreign, never, "beta's run looks never-existing even under alpha's own scenario");

    // Nothing of beta's changed; no runpack appeared in beta's partition.
    assert_eq!(beta_view(&world, &beta_ids).await, before);
    let packs_after =
        std::fs::read_dir(world.server.data_dir.join(format!("runpacks/{}/1", world.beta_tenant))).unwrap().count();
    assert_eq!(packs_after, packs);

    // Every refusal is audited with its reason.
    let denials = world
        .server
        .audit()
        .into_iter()
        .filter(|record| {
            record["event"] == "tenant_authz"
                && record["allowed"] == false
                && record["reason"].as_str().is_some_and(|reason| {
                    reason.starts_with(&format!("credential is not bound to tenant {}", world.beta_tenant))
                })
        })
        .count();
    assert_eq!(denials, 2 * TOOLS.len(), "both phases, every tool");
}

#[tokio::test(flavor = "multi_thread")]
async fn isolation_matrix_sqlite_api_keys() {
    matrix(Backend::Sqlite, AuthKind::ApiKey).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn isolation_matrix_sqlite_client_certificates() {
    matrix(Backend::Sqlite, AuthKind::Mtls).await;
}
