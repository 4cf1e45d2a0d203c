//! Tools through rmcp: schemas, `isError` envelopes, visibility and the allowlist.

use serde_json::{Value, json};
use system_tests::raw::{RawHttp, error_envelope};
use system_tests::{CallError, Era, HttpServer, McpClient, TestDir};

use super::{TOOLS, http_call, providers_list_result, request};

const READ_ONLY: [&str; 9] = [
    "scenario_status",
    "runpack_verify",
    "providers_list",
    "provider_contract_get",
    "provider_check_schema_get",
    "schemas_list",
    "schemas_get",
    "scenarios_list",
    "precheck",
];

#[tokio::test(flavor = "multi_thread")]
async fn tools_list_schemas_and_error_results_through_rmcp() {
    let dir = TestDir::new();
    let config = dir.config("http", "");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    for era in Era::all() {
        let client = McpClient::http(&server.mcp_url(), era.clone()).await.unwrap();
        let tools = client.list_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
        assert_eq!(names, TOOLS, "{era:?}");
        for tool in &tools {
            let input = Value::Object((*tool.input_schema).clone());
            assert_eq!(input["type"], "object", "{}", tool.name);
            decision_gate_mcp::tools::compile_schema(&input)
                .unwrap_or_else(|err| panic!("{} inputSchema does not compile: {err}", tool.name));
            let output = Value::Object((*tool.output_schema.clone().expect("outputSchema")).clone());
            assert_eq!(output["type"], "object", "{}", tool.name);
            decision_gate_mcp::tools::compile_schema(&output)
                .unwrap_or_else(|err| panic!("{} outputSchema does not compile: {err}", tool.name));
            let annotations = tool.annotations.as_ref().expect("annotations");
            let read_only = READ_ONLY.contains(&tool.name.as_ref());
            assert_eq!(annotations.read_only_hint, Some(read_only), "{}", tool.name);
            assert_eq!(annotations.destructive_hint, Some(false), "{}", tool.name);
            let open_world = ["scenario_next", "scenario_trigger", "evidence_query"].contains(&tool.name.as_ref());
            assert_eq!(annotations.open_world_hint, Some(open_world), "{}", tool.name);
        }
        // Successful calls: the harness asserts structuredContent equals the parsed text item.
        assert_eq!(client.call("providers_list", json!({})).await.unwrap(), providers_list_result());
        // Tool failures are isError results with code, kind, message and retryable.
        let status = json!({"scenario_id": "missing", "request": {"tenant_id": 1, "namespace_id": 1, "run_id": "r",
                            "requested_at": {"kind": "logical", "value": 0}}});
        assert_eq!(
            client.call("scenario_status", status).await,
            Err(CallError::Tool {
                code: -32004,
                kind: "not_found".into(),
                message: "scenario not defined".into(),
                retryable: false
            })
        );
        match client.call("scenario_status", json!({"scenario_id": "missing"})).await {
            Err(CallError::Tool { code, kind, retryable, message }) => {
                assert_eq!((code, kind.as_str(), retryable), (-32602, "invalid_params", false));
                assert!(message.contains("request"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            client.call("provider_contract_get", json!({"provider_id": "nope"})).await.unwrap_err().code(),
            -32602
        );
        assert_eq!(
            client.call("no_such_tool", json!({})).await,
            Err(CallError::Rpc { code: -32602, message: "unknown tool: no_such_tool".into() })
        );
        client.close().await;
    }

    // The raw isError result shape.
    let http = RawHttp::new(&server.base);
    let response = http_call(
        &http,
        json!(1),
        "runpack_verify",
        json!({"runpack_dir": "absent", "manifest_path": "manifest.json"}),
        &[],
    )
    .await;
    let body = response.json();
    assert_eq!(response.status, 200);
    let result = &body["result"];
    assert_eq!(result["isError"], true);
    let envelope = &result["structuredContent"];
    assert_eq!(
        envelope,
        &json!({"error": {"code": -32040, "kind": "runpack", "message": "invalid manifest", "retryable": false}})
    );
    assert_eq!(result["content"].as_array().unwrap().len(), 1);
    assert_eq!(result["content"][0]["type"], "text");
    assert_eq!(serde_json::from_str::<Value>(result["content"][0]["text"].as_str().unwrap()).unwrap(), *envelope);
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_tools_look_unknown_and_the_allowlist_blocks_without_hiding() {
    let dir = TestDir::new();
    let allowed: Vec<String> =
        TOOLS.iter().filter(|tool| **tool != "scenario_status").map(|tool| format!("\"{tool}\"")).collect();
    let extra = format!(
        "[server.tools]\ndenylist = [\"scenario_submit\"]\n\n[server.auth]\nallowed_tools = [{}]\n",
        allowed.join(", ")
    );
    let config = dir.config("http", &extra);
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let client = McpClient::http(&server.mcp_url(), Era::Stateless).await.unwrap();
    let names: Vec<String> = client.list_tools().await.unwrap().iter().map(|tool| tool.name.to_string()).collect();
    let expected: Vec<&str> = TOOLS.iter().copied().filter(|tool| *tool != "scenario_submit").collect();
    assert_eq!(names, expected, "denylisted tool hidden; allowlist does not filter tools/list");

    assert_eq!(
        client.call("scenario_submit", json!({})).await,
        Err(CallError::Rpc { code: -32602, message: "unknown tool: scenario_submit".into() })
    );
    assert_eq!(
        client.call("scenario_zubmit", json!({})).await,
        Err(CallError::Rpc { code: -32602, message: "unknown tool: scenario_zubmit".into() })
    );
    assert_eq!(
        client.call("scenario_status", json!({"scenario_id": "x"})).await,
        Err(CallError::Tool {
            code: -32003,
            kind: "unauthorized".into(),
            message: "unauthorized".into(),
            retryable: false
        })
    );
    client.close().await;

    // Byte-identical answers apart from the name (same length names), on /mcp and on /rpc.
    let http = RawHttp::new(&server.base);
    let hidden = http_call(&http, json!(1), "scenario_submit", json!({}), &[]).await;
    let unknown = http_call(&http, json!(1), "scenario_zubmit", json!({}), &[]).await;
    assert_eq!((hidden.status, unknown.status), (200, 200));
    assert_eq!(hidden.text().replace("scenario_submit", "NAME"), unknown.text().replace("scenario_zubmit", "NAME"));
    assert_eq!(
        hidden.json(),
        error_envelope(json!(1), -32602, "unknown tool: scenario_submit", "invalid_params", false)
    );
    let rpc_call = |name: &str| request(json!(2), "tools/call", json!({"name": name, "arguments": {}}));
    let hidden_rpc = http.rpc(&rpc_call("scenario_submit"), &[]).await;
    let unknown_rpc = http.rpc(&rpc_call("scenario_zubmit"), &[]).await;
    assert_eq!((hidden_rpc.status, unknown_rpc.status), (400, 400));
    assert_eq!(hidden_rpc.text(), unknown_rpc.text());
    assert_eq!(hidden_rpc.json(), error_envelope(json!(2), -32601, "unknown tool", "method_not_found", false));
    // `/rpc` tools/list is filtered by visibility too, not by the allowlist.
    let listed = http.rpc(&request(json!(3), "tools/list", json!({})), &[]).await.json();
    let rpc_names: Vec<&str> =
        listed["result"]["tools"].as_array().unwrap().iter().map(|tool| tool["name"].as_str().unwrap()).collect();
    assert_eq!(rpc_names, expected);
    let blocked = http
        .rpc(
            &request(json!(4), "tools/call", json!({"name": "scenario_status", "arguments": {"scenario_id": "x"}})),
            &[],
        )
        .await;
    assert_eq!(
        (blocked.status, blocked.json()),
        (403, error_envelope(json!(4), -32003, "unauthorized", "unauthorized", false))
    );

    // Audit: the hidden tool got an allow decision, the unknown name none; the allowlist
    // denial carries its reason.
    let authz: Vec<Value> = dir.audit_events().into_iter().filter(|event| event["event"] == "mcp_tool_authz").collect();
    assert!(authz.iter().any(|event| event["action"] == "scenario_submit" && event["decision"] == "allow"));
    assert!(!authz.iter().any(|event| event["action"] == "scenario_zubmit"));
    let denials: Vec<&Value> = authz.iter().filter(|event| event["action"] == "scenario_status").collect();
    assert_eq!(denials.len(), 2);
    for denial in denials {
        assert_eq!(denial["decision"], "deny");
        assert_eq!(denial["reason"], "unauthorized: tool not authorized");
    }
}
