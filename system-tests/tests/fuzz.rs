//! Deterministic fuzzing of tool arguments over one stdio connection (testing.md §1 "deterministic
//! fuzz corpora", §4.7 `evidence_query` fuzz, §7 "fail closed, no panic").
//!
//! A seeded generator produces thousands of malformed arguments: random JSON, every field of
//! every tool's valid arguments deleted or replaced by each wrong-typed value, huge / negative /
//! zero ids, invalid enums, deep nesting, random mutations of valid calls, and malformed
//! `tools/call` envelopes. The server runs as a real `decision-gate serve` process and is driven
//! over its stdio transport with raw JSON-RPC lines (so non-object arguments and JSON-RPC level
//! errors can be observed exactly).
//!
//! Asserted: every response is a success or a structured error of exactly one of the two shapes
//! (an `isError` result whose `structuredContent.error` is `{code, kind, message, retryable}`,
//! or a JSON-RPC error with `code`, `message`, `data.kind`, `data.retryable`); where the
//! published input schema decides the outcome (unmutated arguments, unknown extra keys, missing
//! required keys, wrong JSON types) the outcome is exactly the one it implies; the process
//! never panics and still answers `tools/list`; rejected calls change nothing: the scenario
//! and schema listings and a pre-existing run's status equal the pre-fuzz snapshot plus exactly
//! the calls that succeeded.
//!
//! The parts live under `fuzz/`: the seeded generator and mutations, the raw stdio connection
//! and response check, valid arguments of every tool, and the fuzzer; this file holds the test
//! and its before/after snapshots.

#[path = "fuzz/arguments.rs"]
mod arguments;
#[path = "fuzz/conn.rs"]
mod conn;
#[path = "fuzz/fuzzer.rs"]
mod fuzzer;
#[path = "fuzz/generator.rs"]
mod generator;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use arguments::{ci_shape, logical, loop_spec, renamed, unix};
use conn::{Conn, Outcome, classify};
use fuzzer::{Fuzzer, Tally};
use generator::Rng;
use serde_json::{Value, json};
use system_tests::{TOOLS, TestDir};

const SEED: u64 = 0x00DE_C1D0_6A7E_F022;
/// Minimum number of fuzzed calls in total.
const MIN_CALLS: usize = 10_000;
/// Calls in the random-mutation phase.
const RANDOM_CALLS: usize = 3_000;

// ---------------------------------------------------------------------------------------------
// The test

fn ok(io: &mut Conn, tool: &str, arguments: Value) -> Value {
    let (id, response) = io.request("tools/call", Some(json!({"name": tool, "arguments": arguments})));
    match classify(id, &response) {
        Ok(Outcome::Success(value)) => value,
        other => panic!("{tool} {arguments}: {other:?}"),
    }
}

/// Every page of a listing (limit 1000), or the error outcome.
fn list_all(io: &mut Conn, tool: &str, tenant: u64, namespace: u64) -> Result<Vec<Value>, Outcome> {
    let mut items = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let mut args = json!({"tenant_id": tenant, "namespace_id": namespace, "limit": 1000});
        if !cursor.is_null() {
            args["cursor"] = cursor.clone();
        }
        let (id, response) = io.request("tools/call", Some(json!({"name": tool, "arguments": args})));
        match classify(id, &response).expect("well-formed") {
            Outcome::Success(page) => {
                items.extend(page["items"].as_array().expect("items").iter().cloned());
                cursor = page["next_token"].clone();
                if cursor.is_null() {
                    return Ok(items);
                }
            }
            error => return Err(error),
        }
    }
}

struct Snapshot {
    scenarios: BTreeMap<(u64, u64), Result<Vec<Value>, Outcome>>,
    schemas: BTreeMap<(u64, u64), Result<Vec<Value>, Outcome>>,
    status: Value,
}

const KEYS: [(u64, u64); 4] = [(1, 1), (1, 2), (2, 1), (2, 2)];

fn snapshot(io: &mut Conn, extra_keys: &BTreeSet<(u64, u64)>) -> Snapshot {
    let keys: BTreeSet<(u64, u64)> = KEYS.into_iter().chain(extra_keys.iter().copied()).collect();
    Snapshot {
        scenarios: keys.iter().map(|&(t, n)| ((t, n), list_all(io, "scenarios_list", t, n))).collect(),
        schemas: keys.iter().map(|&(t, n)| ((t, n), list_all(io, "schemas_list", t, n))).collect(),
        status: ok(
            io,
            "scenario_status",
            json!({"scenario_id": "snap-gate", "request": {"tenant_id": 1, "namespace_id": 1, "run_id": "snap-run",
                   "requested_at": logical(0)}}),
        ),
    }
}

#[test]
fn thousands_of_malformed_calls_fail_closed_without_side_effects() {
    let started = Instant::now();
    let dir = TestDir::new();
    system_tests::server::copy_example_evidence("ci-release-gate", &dir);
    let config = dir.config("stdio", "");
    let mut io = Conn::spawn(dir.path(), &config);
    let (_, init) = io.request(
        "initialize",
        Some(json!({"protocolVersion": "2025-11-25", "capabilities": {},
                    "clientInfo": {"name": "fuzz", "version": "1"}})),
    );
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25", "{init}");
    io.notify("notifications/initialized");
    let (_, listed) = io.request("tools/list", None);
    let schemas: BTreeMap<String, Value> = listed["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|tool| (tool["name"].as_str().unwrap().to_owned(), tool["inputSchema"].clone()))
        .collect();
    assert_eq!(schemas.keys().map(String::as_str).collect::<BTreeSet<_>>(), BTreeSet::from(TOOLS));

    // Pre-existing state: a snapshot scenario with a run one stage in, a snapshot schema, and
    // the fixtures the fuzzed calls refer to.
    ok(&mut io, "scenario_define", json!({"spec": renamed("ci-release-gate", "snap-gate")}));
    let snap_run = json!({"tenant_id": 1, "namespace_id": 1, "run_id": "snap-run", "scenario_id": "snap-gate",
                          "dispatch_targets": [], "policy_tags": []});
    ok(
        &mut io,
        "scenario_start",
        json!({"scenario_id": "snap-gate", "run_config": snap_run, "started_at": unix(1_800_000_000_000), "issue_entry_packets": true}),
    );
    let advanced = ok(
        &mut io,
        "scenario_next",
        json!({"scenario_id": "snap-gate", "request": {"tenant_id": 1, "namespace_id": 1, "run_id": "snap-run",
              "trigger_id": "snap-t1", "agent_id": "a", "time": unix(1_800_000_000_001)}}),
    );
    assert_eq!(advanced["decision"]["outcome"]["to_stage"], "release");
    ok(
        &mut io,
        "schemas_register",
        json!({"record": {"tenant_id": 1, "namespace_id": 1, "schema_id": "snap-schema",
        "version": "1", "schema": ci_shape(), "description": "snapshot", "created_at": logical(1)}}),
    );
    ok(&mut io, "scenario_define", json!({"spec": renamed("ci-release-gate", "fz-gate")}));
    ok(&mut io, "scenario_define", json!({"spec": loop_spec("fz-loop")}));
    for (scenario, run, at) in
        [("fz-gate", "fz-run-gate", unix(1_800_000_000_000)), ("fz-loop", "fz-run-loop", logical(0))]
    {
        ok(
            &mut io,
            "scenario_start",
            json!({"scenario_id": scenario, "started_at": at, "issue_entry_packets": false,
            "run_config": {"tenant_id": 1, "namespace_id": 1, "run_id": run, "scenario_id": scenario,
                           "dispatch_targets": [], "policy_tags": []}}),
        );
    }
    ok(
        &mut io,
        "schemas_register",
        json!({"record": {"tenant_id": 1, "namespace_id": 1, "schema_id": "fz-shape",
        "version": "1", "schema": ci_shape(), "description": null, "created_at": logical(1)}}),
    );
    ok(
        &mut io,
        "runpack_export",
        json!({"scenario_id": "fz-gate", "tenant_id": 1, "namespace_id": 1,
        "run_id": "fz-run-gate", "output_dir": "fz-export-setup", "generated_at": logical(10), "include_verification": false}),
    );

    let before = snapshot(&mut io, &BTreeSet::new());
    assert!(before.scenarios[&(1, 1)].as_ref().is_ok_and(|items| items.len() == 3));
    assert!(before.schemas[&(1, 1)].as_ref().is_ok_and(|items| items.len() == 2));

    // Fuzz.
    let escape = dir.path().join("outside").display().to_string();
    let mut fuzzer = Fuzzer { io, rng: Rng(SEED), tally: Tally::default(), schemas, counter: 0 };
    fuzzer.identity();
    fuzzer.systematic();
    let after_systematic = fuzzer.tally.calls;
    fuzzer.envelopes();
    fuzzer.random(&escape);
    let Fuzzer { mut io, tally, .. } = fuzzer;
    assert!(tally.calls >= MIN_CALLS, "{} calls", tally.calls);

    // The server is alive, did not panic and still answers.
    assert!(io.alive(), "server process exited during the fuzz:\n{}", io.stderr());
    let (_, listed) = io.request("tools/list", None);
    assert_eq!(listed["result"]["tools"].as_array().map(Vec::len), Some(17), "{listed:.300}");
    let (_, ping) = io.request("ping", None);
    assert_eq!(ping["result"], json!({}));

    // Rejected calls changed nothing: the store is the snapshot plus exactly the successes.
    let touched: BTreeSet<(u64, u64)> = tally.defined.keys().chain(tally.registered.keys()).copied().collect();
    let after = snapshot(&mut io, &touched);
    assert_eq!(after.status, before.status, "the pre-existing run is untouched");
    for (key, listing) in &after.scenarios {
        let expected = match (before.scenarios.get(key), tally.defined.get(key)) {
            (before, None) => before.cloned().unwrap_or_else(|| Ok(Vec::new())),
            (before, Some(defined)) => {
                let mut items = match before {
                    Some(Ok(items)) => items.clone(),
                    Some(Err(error)) => panic!("defines succeeded under {key:?} whose listing failed: {error:?}"),
                    None => Vec::new(),
                };
                items.extend(defined.iter().map(
                    |(scenario, hash)| json!({"scenario_id": scenario, "namespace_id": key.1, "spec_hash": hash}),
                ));
                items.sort_by(|a, b| {
                    a["scenario_id"].as_str().unwrap().as_bytes().cmp(b["scenario_id"].as_str().unwrap().as_bytes())
                });
                Ok(items)
            }
        };
        assert_eq!(listing, &expected, "scenarios under {key:?}");
    }
    for (key, listing) in &after.schemas {
        let expected = match (before.schemas.get(key), tally.registered.get(key)) {
            (before, None) => before.cloned().unwrap_or_else(|| Ok(Vec::new())),
            (before, Some(registered)) => {
                let mut items: BTreeMap<(String, String), Value> = match before {
                    Some(Ok(items)) => items
                        .iter()
                        .map(|r| {
                            (
                                (
                                    r["schema_id"].as_str().unwrap().to_owned(),
                                    r["version"].as_str().unwrap().to_owned(),
                                ),
                                r.clone(),
                            )
                        })
                        .collect(),
                    Some(Err(error)) => panic!("registrations succeeded under {key:?} whose listing failed: {error:?}"),
                    None => BTreeMap::new(),
                };
                items.extend(registered.clone());
                Ok(items.into_values().collect())
            }
        };
        assert_eq!(listing, &expected, "schemas under {key:?}");
    }
    // Path confinement held for every generated output directory.
    assert!(!dir.path().join("outside").exists(), "an export escaped the runpack root");
    assert!(!dir.path().join("escape").exists(), "an export escaped the runpack root");

    let stderr = io.stderr();
    assert!(!stderr.contains("panicked"), "server panicked:\n{stderr}");
    // EOF ends the server cleanly.
    drop(io.stdin);
    let status = io.child.wait().expect("wait");
    assert!(status.success(), "exit after EOF: {status:?}\n{stderr}");

    let defined: usize = tally.defined.values().map(BTreeMap::len).sum();
    let registered: usize = tally.registered.values().map(BTreeMap::len).sum();
    println!(
        "fuzz: {} calls ({} identity + systematic), {} scenarios defined under {:?}, {} schemas registered under {:?}, {:.1?}",
        tally.calls,
        after_systematic,
        defined,
        tally.defined.keys().collect::<Vec<_>>(),
        registered,
        tally.registered.keys().collect::<Vec<_>>(),
        started.elapsed()
    );
    for (tool, classes) in &tally.by_tool {
        println!("  {tool}: {classes:?}");
    }
}
