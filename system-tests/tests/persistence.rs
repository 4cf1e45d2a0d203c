//! Concurrency and persistence (testing.md §4.2, §6): SQLite state survives a restart; two
//! server processes sharing one SQLite file never lose an update; concurrent defines and
//! registrations have exactly one winner; concurrent registry writes page correctly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use serde_json::{Value, json};
use system_tests::{CallError, Era, HttpServer, McpClient, TestDir, example_spec};

fn logical(value: u64) -> Value {
    json!({"kind": "logical", "value": value})
}

fn unix(value: i64) -> Value {
    json!({"kind": "unix_millis", "value": value})
}

async fn ok(client: &McpClient, tool: &str, arguments: Value) -> Value {
    match client.call(tool, arguments).await {
        Ok(value) => value,
        Err(error) => panic!("{tool} failed: {error:?}"),
    }
}

fn ids(run: &str) -> Value {
    json!({"tenant_id": 1, "namespace_id": 1, "run_id": run})
}

fn start_args(scenario: &str, run: &str, started_at: Value) -> Value {
    json!({"scenario_id": scenario, "started_at": started_at, "issue_entry_packets": true,
           "run_config": {"tenant_id": 1, "namespace_id": 1, "run_id": run, "scenario_id": scenario,
                          "dispatch_targets": [], "policy_tags": []}})
}

fn next_args(scenario: &str, run: &str, trigger: &str, time: Value) -> Value {
    let mut request = ids(run);
    request["trigger_id"] = json!(trigger);
    request["agent_id"] = json!("agent-7");
    request["time"] = time;
    json!({"scenario_id": scenario, "request": request})
}

fn status_args(scenario: &str, run: &str) -> Value {
    let mut request = ids(run);
    request["requested_at"] = logical(0);
    json!({"scenario_id": scenario, "request": request})
}

fn list_args(limit: u64, cursor: Option<&Value>) -> Value {
    let mut args = json!({"tenant_id": 1, "namespace_id": 1, "limit": limit});
    if let Some(cursor) = cursor {
        args["cursor"] = cursor.clone();
    }
    args
}

fn schema_record(schema_id: &str, version: &str) -> Value {
    json!({"tenant_id": 1, "namespace_id": 1, "schema_id": schema_id, "version": version,
           "schema": {"type": "object", "properties": {"n": {"type": "integer"}}},
           "description": format!("schema {schema_id}@{version}"), "created_at": logical(1)})
}

/// A scenario whose only stage has no gates and advances to itself: every new trigger is a
/// new decision (`advance spin → spin`).
fn loop_spec(scenario: &str) -> Value {
    json!({"scenario_id": scenario, "namespace_id": 1, "spec_version": "1", "policies": [], "schemas": [],
           "conditions": [],
           "stages": [{"stage_id": "spin", "entry_packets": [], "gates": [],
                       "advance_to": {"kind": "fixed", "stage_id": "spin"}, "on_timeout": "fail"}]})
}

/// Exports a run, verifies it through the tool and returns the parsed artifacts by path.
async fn export_and_verify(client: &McpClient, dir: &Path, scenario: &str, run: &str) -> BTreeMap<String, Value> {
    let output_dir = format!("{scenario}-{run}");
    let exported = ok(
        client,
        "runpack_export",
        json!({"scenario_id": scenario, "tenant_id": 1, "namespace_id": 1, "run_id": run, "output_dir": output_dir,
               "generated_at": logical(10), "include_verification": true}),
    )
    .await;
    assert_eq!(exported["report"]["status"], "pass", "{exported}");
    let verified =
        ok(client, "runpack_verify", json!({"runpack_dir": output_dir, "manifest_path": "manifest.json"})).await;
    assert_eq!(verified["status"], "pass", "{verified}");
    assert_eq!(verified["report"]["checked_files"], 8, "{verified}");
    let root = dir.join("runpacks/1/1").join(&output_dir);
    ["artifacts/triggers.json", "artifacts/decisions.json"]
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(root.join(path)).unwrap_or_else(|err| panic!("{path}: {err}"));
            (path.to_owned(), serde_json::from_slice(&bytes).expect("artifact is JSON"))
        })
        .collect()
}

fn array<'a>(value: &'a Value, what: &str) -> &'a Vec<Value> {
    value.as_array().unwrap_or_else(|| panic!("{what} is not an array: {value}"))
}

// ---------------------------------------------------------------------------------------------
// (a) Restart

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_runs_scenarios_and_schemas_survive_a_restart() {
    let dir = TestDir::new();
    system_tests::server::copy_example_evidence("ci-release-gate", &dir);
    let config = dir.config("http", "");
    let scenario = "ci-release-gate";
    let run = "release-1";

    // First process: define, register a schema, start, advance one stage.
    let first = HttpServer::start(dir.path(), &config).unwrap();
    let client = McpClient::http(&first.mcp_url(), Era::Stateless).await.unwrap();
    let defined = ok(&client, "scenario_define", json!({"spec": example_spec(scenario)})).await;
    let record = schema_record("release-report", "1");
    ok(&client, "schemas_register", json!({"record": record})).await;
    let started = ok(&client, "scenario_start", start_args(scenario, run, unix(1_800_000_000_000))).await;
    assert_eq!(started["current_stage_id"], "quality");
    let advanced = ok(&client, "scenario_next", next_args(scenario, run, "t1", unix(1_800_000_000_001))).await;
    assert_eq!(advanced["decision"]["outcome"]["to_stage"], "release");
    let status_before = ok(&client, "scenario_status", status_args(scenario, run)).await;
    let scenarios_before = ok(&client, "scenarios_list", list_args(50, None)).await;
    let schemas_before = ok(&client, "schemas_list", list_args(50, None)).await;
    client.close().await;
    let exit = first.terminate();
    assert_eq!(exit.code(), Some(0), "SIGTERM exits cleanly: {exit:?}");

    // Second process on the same directory and configuration; nothing is re-defined.
    let second = HttpServer::start(dir.path(), &config).unwrap();
    let client = McpClient::http(&second.mcp_url(), Era::Stateless).await.unwrap();
    let scenarios = ok(&client, "scenarios_list", list_args(50, None)).await;
    assert_eq!(scenarios, scenarios_before);
    assert_eq!(
        scenarios,
        json!({"items": [{"scenario_id": scenario, "namespace_id": 1, "spec_hash": defined["spec_hash"]}],
               "next_token": null})
    );
    let schemas = ok(&client, "schemas_list", list_args(50, None)).await;
    assert_eq!(schemas, schemas_before);
    assert_eq!(schemas, json!({"items": [record], "next_token": null}));
    assert_eq!(
        ok(
            &client,
            "schemas_get",
            json!({"tenant_id": 1, "namespace_id": 1, "schema_id": "release-report", "version": "1"})
        )
        .await,
        json!({"record": record})
    );
    let status = ok(&client, "scenario_status", status_args(scenario, run)).await;
    assert_eq!(status, status_before, "status is unchanged by the restart");
    assert_eq!(status["current_stage_id"], "release");
    assert_eq!(status["status"], "active");
    // The restarted process continues the run from its persisted state.
    let replay = ok(&client, "scenario_next", next_args(scenario, run, "t1", unix(1_800_000_000_005))).await;
    assert_eq!(replay["decision"], advanced["decision"], "trigger ids stay idempotent across restarts");
    let done = ok(&client, "scenario_next", next_args(scenario, run, "t2", unix(1_800_000_000_002))).await;
    assert_eq!(done["decision"]["outcome"]["kind"], "complete");
    assert_eq!(done["decision"]["seq"], 3);
    assert_eq!(done["status"], "completed");
    let artifacts = export_and_verify(&client, dir.path(), scenario, run).await;
    let triggers: Vec<&Value> =
        array(&artifacts["artifacts/triggers.json"], "triggers").iter().map(|t| &t["event"]["trigger_id"]).collect();
    assert_eq!(triggers, [&json!("init"), &json!("t1"), &json!("t2")]);
    let decisions = array(&artifacts["artifacts/decisions.json"], "decisions");
    assert_eq!(decisions.iter().map(|d| d["seq"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2, 3]);
    client.close().await;

    // And once more: a third process sees the completed run, and the export verifies again.
    let exit = second.terminate();
    assert_eq!(exit.code(), Some(0), "SIGTERM exits cleanly: {exit:?}");
    let third = HttpServer::start(dir.path(), &config).unwrap();
    let client = McpClient::http(&third.mcp_url(), Era::Stateless).await.unwrap();
    let status = ok(&client, "scenario_status", status_args(scenario, run)).await;
    assert_eq!(status["status"], "completed");
    assert_eq!(status["last_decision"], done["decision"]);
    let verified = ok(
        &client,
        "runpack_verify",
        json!({"runpack_dir": format!("{scenario}-{run}"), "manifest_path": "manifest.json"}),
    )
    .await;
    assert_eq!(verified["status"], "pass", "{verified}");
    client.close().await;
}

// ---------------------------------------------------------------------------------------------
// (b) Two processes, one SQLite file

/// Server processes on one directory and configuration (one SQLite file) and two clients.
struct Pair {
    dir: TestDir,
    servers: Vec<HttpServer>,
    clients: [Arc<McpClient>; 2],
}

impl Pair {
    /// Two processes, one client each.
    async fn start() -> Pair {
        let dir = TestDir::new();
        let config = dir.config("http", "");
        let a = HttpServer::start(dir.path(), &config).unwrap();
        let b = HttpServer::start(dir.path(), &config).unwrap();
        assert_ne!(a.base, b.base, "two processes");
        let ca = McpClient::http(&a.mcp_url(), Era::Stateless).await.unwrap();
        let cb = McpClient::http(&b.mcp_url(), Era::Stateless).await.unwrap();
        Pair { dir, servers: vec![a, b], clients: [Arc::new(ca), Arc::new(cb)] }
    }

    /// One process, two clients.
    async fn single() -> Pair {
        let dir = TestDir::new();
        let config = dir.config("http", "");
        let server = HttpServer::start(dir.path(), &config).unwrap();
        let ca = McpClient::http(&server.mcp_url(), Era::Stateless).await.unwrap();
        let cb = McpClient::http(&server.mcp_url(), Era::Stateless).await.unwrap();
        Pair { dir, servers: vec![server], clients: [Arc::new(ca), Arc::new(cb)] }
    }

    fn assert_no_panics(&self) {
        for server in &self.servers {
            let stderr = server.stderr();
            assert!(!stderr.contains("panicked"), "server panicked:\n{stderr}");
        }
    }
}

/// `scenario_next`, retrying only retryable conflicts (counted); every other failure panics.
async fn next_with_retries(client: &McpClient, arguments: Value, retries: &AtomicU64) -> Value {
    for _ in 0..100 {
        match client.call("scenario_next", arguments.clone()).await {
            Ok(value) => return value,
            Err(CallError::Tool { code: -32009, retryable: true, kind, .. }) => {
                assert_eq!(kind, "conflict");
                retries.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => panic!("scenario_next {arguments}: {error:?}"),
        }
    }
    panic!("scenario_next {arguments}: still conflicting after 100 attempts");
}

const PER_PROCESS: u64 = 40;
const IN_FLIGHT_PER_CLIENT: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_trigger_one_run_without_lost_updates() {
    distinct_triggers(Pair::start().await, "two processes").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_process_concurrent_triggers_on_one_run_without_lost_updates() {
    distinct_triggers(Pair::single().await, "one process").await;
}

/// 2 × 40 distinct triggers on one run from two clients, each keeping several calls in
/// flight: every trigger gets exactly one trigger record and one decision.
async fn distinct_triggers(pair: Pair, label: &str) {
    let scenario = "spin";
    let run = "spin-1";
    ok(&pair.clients[0], "scenario_define", json!({"spec": loop_spec(scenario)})).await;
    let started = ok(&pair.clients[1], "scenario_start", start_args(scenario, run, logical(0))).await;
    assert_eq!(started["current_stage_id"], "spin");

    let retries = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for (process, client) in pair.clients.iter().enumerate() {
        let client = client.clone();
        let retries = retries.clone();
        tasks.push(tokio::spawn(async move {
            futures::stream::iter(0..PER_PROCESS)
                .map(|k| {
                    let client = client.clone();
                    let retries = retries.clone();
                    async move {
                        let trigger = format!("p{process}-{k:02}");
                        let time = logical(1 + process as u64 * PER_PROCESS + k);
                        let result =
                            next_with_retries(&client, next_args(scenario, run, &trigger, time), &retries).await;
                        (trigger, result)
                    }
                })
                .buffer_unordered(IN_FLIGHT_PER_CLIENT)
                .collect::<Vec<_>>()
                .await
        }));
    }
    let mut responses = BTreeMap::new();
    for task in tasks {
        for (trigger, result) in task.await.unwrap() {
            assert_eq!(result["decision"]["trigger_id"], trigger.as_str());
            assert_eq!(
                result["decision"]["outcome"],
                json!({"kind": "advance", "from_stage": "spin", "to_stage": "spin", "timeout": false})
            );
            assert_eq!(result["status"], "active");
            assert!(responses.insert(trigger, result["decision"].clone()).is_none());
        }
    }
    let total = 2 * PER_PROCESS;
    assert_eq!(responses.len() as u64, total);
    // Every response names a distinct decision seq in 2..=2N+1 (seq 1 is the start decision).
    let seqs: BTreeSet<u64> = responses.values().map(|d| d["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (2..=total + 1).collect::<BTreeSet<_>>(), "each response owns one decision");

    // The exported logs hold exactly one trigger record and one decision per trigger id.
    let artifacts = export_and_verify(&pair.clients[0], pair.dir.path(), scenario, run).await;
    let triggers = array(&artifacts["artifacts/triggers.json"], "triggers");
    assert_eq!(triggers.len() as u64, total + 1, "init + 2N triggers");
    assert_eq!(
        triggers.iter().map(|t| t["seq"].as_u64().unwrap()).collect::<Vec<_>>(),
        (1..=total + 1).collect::<Vec<_>>()
    );
    assert_eq!(triggers[0]["event"]["trigger_id"], "init");
    let trigger_ids: BTreeSet<String> =
        triggers[1..].iter().map(|t| t["event"]["trigger_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(trigger_ids.len() as u64, total, "each trigger id exactly once");
    assert_eq!(trigger_ids, responses.keys().cloned().collect::<BTreeSet<_>>());
    let decisions = array(&artifacts["artifacts/decisions.json"], "decisions");
    assert_eq!(decisions.len() as u64, total + 1, "start decision + 2N decisions");
    assert_eq!(
        decisions.iter().map(|d| d["seq"].as_u64().unwrap()).collect::<Vec<_>>(),
        (1..=total + 1).collect::<Vec<_>>()
    );
    assert_eq!(decisions[0]["outcome"]["kind"], "start");
    for decision in &decisions[1..] {
        let trigger = decision["trigger_id"].as_str().unwrap();
        assert_eq!(&responses[trigger], decision, "the stored decision is the one returned");
    }
    // Trigger log order equals decision order (each decision is recorded with its trigger).
    let decision_triggers: Vec<&Value> = decisions.iter().map(|d| &d["trigger_id"]).collect();
    let logged_triggers: Vec<&Value> = triggers.iter().map(|t| &t["event"]["trigger_id"]).collect();
    assert_eq!(decision_triggers, logged_triggers);

    // Both processes report the same final state.
    let status_a = ok(&pair.clients[0], "scenario_status", status_args(scenario, run)).await;
    let status_b = ok(&pair.clients[1], "scenario_status", status_args(scenario, run)).await;
    assert_eq!(status_a, status_b);
    assert_eq!(status_a["last_decision"]["seq"], total + 1);
    assert_eq!(status_a["last_decision"], decisions[decisions.len() - 1]);
    println!(
        "{label}: {total} concurrent triggers, {} retryable conflicts retried by the client",
        retries.load(Ordering::Relaxed)
    );
    pair.assert_no_panics();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_sending_the_same_trigger_id_record_one_decision() {
    const ROUNDS: u64 = 20;
    let pair = Pair::start().await;
    let scenario = "spin";
    let run = "same-1";
    ok(&pair.clients[0], "scenario_define", json!({"spec": loop_spec(scenario)})).await;
    ok(&pair.clients[0], "scenario_start", start_args(scenario, run, logical(0))).await;
    let retries = AtomicU64::new(0);
    for round in 0..ROUNDS {
        let trigger = format!("same-{round:02}");
        // Both processes send the same trigger id at (nearly) the same time, with different
        // times; whichever wins, both answers are that one decision.
        let (a, b) = tokio::join!(
            next_with_retries(&pair.clients[0], next_args(scenario, run, &trigger, logical(2 * round + 1)), &retries),
            next_with_retries(&pair.clients[1], next_args(scenario, run, &trigger, logical(2 * round + 2)), &retries),
        );
        assert_eq!(a["decision"], b["decision"], "round {round}");
        assert_eq!(a["decision"]["seq"], round + 2, "round {round}: one new decision");
        assert_eq!(a["decision"]["trigger_id"], trigger.as_str());
    }
    let artifacts = export_and_verify(&pair.clients[1], pair.dir.path(), scenario, run).await;
    let triggers = array(&artifacts["artifacts/triggers.json"], "triggers");
    let expected: Vec<String> =
        std::iter::once("init".to_owned()).chain((0..ROUNDS).map(|round| format!("same-{round:02}"))).collect();
    assert_eq!(
        triggers.iter().map(|t| t["event"]["trigger_id"].as_str().unwrap().to_owned()).collect::<Vec<_>>(),
        expected,
        "each trigger id recorded exactly once"
    );
    let decisions = array(&artifacts["artifacts/decisions.json"], "decisions");
    assert_eq!(
        decisions.iter().map(|d| d["trigger_id"].as_str().unwrap().to_owned()).collect::<Vec<_>>(),
        expected,
        "exactly one decision per trigger id"
    );
    println!("same-id triggers: {ROUNDS} rounds, {} retryable conflicts", retries.load(Ordering::Relaxed));
    pair.assert_no_panics();
}

// ---------------------------------------------------------------------------------------------
// (c) Concurrent definitions and registrations

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_identical_defines_and_registrations_have_one_winner() {
    const TASKS: usize = 8;
    let pair = Pair::start().await;
    let spec = loop_spec("contended");
    let defines = futures::future::join_all((0..TASKS).map(|task| {
        let client = pair.clients[task % 2].clone();
        let spec = spec.clone();
        async move { client.call("scenario_define", json!({"spec": spec})).await }
    }))
    .await;
    let winners: Vec<&Value> = defines.iter().filter_map(|result| result.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one define succeeds: {defines:?}");
    for result in &defines {
        if let Err(error) = result {
            assert_eq!(
                error,
                &CallError::Tool {
                    code: -32009,
                    kind: "conflict".into(),
                    message: "scenario already defined".into(),
                    retryable: false
                }
            );
        }
    }
    let listed = ok(&pair.clients[1], "scenarios_list", list_args(50, None)).await;
    assert_eq!(
        listed,
        json!({"items": [{"scenario_id": "contended", "namespace_id": 1, "spec_hash": winners[0]["spec_hash"]}],
               "next_token": null})
    );

    let record = schema_record("contended-schema", "1");
    let registrations = futures::future::join_all((0..TASKS).map(|task| {
        let client = pair.clients[task % 2].clone();
        let record = record.clone();
        async move { client.call("schemas_register", json!({"record": record})).await }
    }))
    .await;
    let successes: Vec<&Value> = registrations.iter().filter_map(|result| result.as_ref().ok()).collect();
    assert_eq!(successes, [&json!({"record": record})], "exactly one registration succeeds: {registrations:?}");
    for result in &registrations {
        if let Err(error) = result {
            assert_eq!(
                error,
                &CallError::Tool {
                    code: -32009,
                    kind: "conflict".into(),
                    message: "schema already registered".into(),
                    retryable: false
                }
            );
        }
    }
    pair.assert_no_panics();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_registrations_page_in_order() {
    const SCHEMAS: usize = 40;
    const PAGE: u64 = 25;
    let pair = Pair::start().await;
    // Identities chosen so that byte order differs from numeric order (v10 < v2) and from
    // registration order.
    let records: Vec<Value> = (0..SCHEMAS)
        .map(|i| schema_record(&format!("shape-{}", (i * 7) % 10), ["v2", "v10", "v1", "v20"][i / 10]))
        .collect();
    let identities: BTreeSet<(String, String)> = records
        .iter()
        .map(|r| (r["schema_id"].as_str().unwrap().to_owned(), r["version"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(identities.len(), SCHEMAS, "fixture identities are distinct");
    let results = futures::future::join_all(records.iter().enumerate().map(|(i, record)| {
        let client = pair.clients[i % 2].clone();
        let record = record.clone();
        async move { client.call("schemas_register", json!({"record": record.clone()})).await.map(|v| (v, record)) }
    }))
    .await;
    for result in &results {
        let (value, record) = result.as_ref().unwrap_or_else(|error| panic!("register failed: {error:?}"));
        assert_eq!(value, &json!({"record": record}));
    }

    // Page through with size 25 from either process: 25 + 15, sorted, `next_token` null only on
    // the last page.
    let mut expected: Vec<Value> = records.clone();
    expected.sort_by(|a, b| {
        (a["schema_id"].as_str().unwrap().as_bytes(), a["version"].as_str().unwrap().as_bytes())
            .cmp(&(b["schema_id"].as_str().unwrap().as_bytes(), b["version"].as_str().unwrap().as_bytes()))
    });
    for client in &pair.clients {
        let first = ok(client, "schemas_list", list_args(PAGE, None)).await;
        let first_items = array(&first["items"], "items");
        assert_eq!(first_items.len(), 25);
        assert!(first["next_token"].is_string(), "{first}");
        let second = ok(client, "schemas_list", list_args(PAGE, Some(&first["next_token"]))).await;
        let second_items = array(&second["items"], "items");
        assert_eq!(second_items.len(), 15);
        assert_eq!(second["next_token"], Value::Null, "last page");
        let all: Vec<Value> = first_items.iter().chain(second_items).cloned().collect();
        assert_eq!(all, expected, "exactly the 40 records, sorted by (schema_id, version)");
    }
    pair.assert_no_panics();
}
