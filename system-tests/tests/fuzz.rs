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

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use system_tests::{TestDir, example_spec};

// ---------------------------------------------------------------------------------------------
// Deterministic generator

/// SplitMix64: tiny, seedable, good enough for input generation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SEED: u64 = 0x00DE_C1D0_6A7E_F022;
/// Minimum number of fuzzed calls in total.
const MIN_CALLS: usize = 10_000;
/// Calls in the random-mutation phase.
const RANDOM_CALLS: usize = 3_000;

/// Enum-like words the schemas use, to produce plausible-but-wrong values.
const WORDS: &[&str] = &[
    "linear",
    "fixed",
    "branch",
    "terminal",
    "fail",
    "advance_with_flag",
    "alternate_branch",
    "logical",
    "unix_millis",
    "json",
    "bytes",
    "external",
    "tick",
    "agent_request_next",
    "external_event",
    "backend_event",
    "agent",
    "session",
    "channel",
    "equals",
    "not_equals",
    "greater_than",
    "in_set",
    "contains",
    "exists",
    "And",
    "Or",
    "Not",
    "Condition",
    "RequireGroup",
    "summary",
    "trace",
    "evidence",
    "verified",
    "asserted",
    "sha256",
    "path",
    "after",
    "get",
    "status",
    "true",
    "false",
    "null",
    "0",
    "-1",
    "",
];

fn random_text(rng: &mut Rng, escape: &str) -> String {
    match rng.below(12) {
        0 => String::new(),
        1 => " ".to_owned(),
        2 => "a".repeat(1 + rng.below(20_000)),
        3 => "ñ✓🚀\u{2028}\u{feff}é".to_owned(),
        4 => "\u{0}\u{1f}\n\t\"\\".to_owned(),
        5 => "../../escape".to_owned(),
        6 => escape.to_owned(),
        7 => "$..*[?(@.a)]".to_owned(),
        8 => (*rng.pick(WORDS)).to_owned(),
        9 => format!("{}", rng.next()),
        _ => {
            let length = 1 + rng.below(16);
            (0..length).map(|_| *rng.pick(&['a', 'b', 'x', 'z', '0', '7', '-', '_', '.', '/'])).collect()
        }
    }
}

/// Numbers at and beyond every boundary a u64 / i64 / f64 id or timestamp has.
fn random_number(rng: &mut Rng) -> Value {
    match rng.below(12) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(1),
        3 => json!(u64::MAX),
        4 => json!(i64::MIN),
        5 => json!(i64::MAX),
        6 => json!(1.5),
        7 => json!(-0.0),
        8 => json!(1e308),
        9 => json!(18_446_744_073_709_551_616.0_f64),
        10 => json!(rng.next() as i64),
        _ => json!(rng.below(1000)),
    }
}

fn random_value(rng: &mut Rng, depth: usize, escape: &str) -> Value {
    let choice = if depth == 0 { rng.below(5) } else { rng.below(8) };
    match choice {
        0 => Value::Null,
        1 => json!(rng.chance(50)),
        2 => random_number(rng),
        3 | 4 => json!(random_text(rng, escape)),
        5 => Value::Array((0..rng.below(4)).map(|_| random_value(rng, depth - 1, escape)).collect()),
        6 => deep(rng.below(60) + 1, rng.chance(50)),
        _ => {
            let mut object = Map::new();
            for _ in 0..rng.below(5) {
                let key = if rng.chance(50) { (*rng.pick(WORDS)).to_owned() } else { random_text(rng, escape) };
                object.insert(key, random_value(rng, depth - 1, escape));
            }
            Value::Object(object)
        }
    }
}

/// Arrays or objects nested `depth` levels.
fn deep(depth: usize, objects: bool) -> Value {
    let mut value = json!(1);
    for _ in 0..depth {
        value = if objects { json!({"And": [value]}) } else { json!([value]) };
    }
    value
}

/// The wrong-typed values every field gets in the systematic phase.
fn wrong_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(u64::MAX),
        json!(18_446_744_073_709_551_616.0_f64),
        json!(""),
        json!("x"),
        json!([]),
        json!({}),
    ]
}

// ---------------------------------------------------------------------------------------------
// JSON paths and mutations

#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

fn paths(value: &Value) -> Vec<Vec<Seg>> {
    fn walk(value: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
        out.push(prefix.clone());
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    prefix.push(Seg::Key(key.clone()));
                    walk(child, prefix, out);
                    prefix.pop();
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    prefix.push(Seg::Index(index));
                    walk(child, prefix, out);
                    prefix.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

fn node_mut<'a>(value: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    path.iter().fold(value, |node, seg| match seg {
        Seg::Key(key) => &mut node[key.as_str()],
        Seg::Index(index) => &mut node[*index],
    })
}

/// Removes the node at `path` (object member or array element); false for the root.
fn remove(value: &mut Value, path: &[Seg]) -> bool {
    let Some((last, parent)) = path.split_last() else { return false };
    match (node_mut(value, parent), last) {
        (Value::Object(map), Seg::Key(key)) => map.remove(key).is_some(),
        (Value::Array(items), Seg::Index(index)) if *index < items.len() => {
            items.remove(*index);
            true
        }
        _ => false,
    }
}

/// One random structural mutation somewhere in `value`.
fn mutate(rng: &mut Rng, value: &mut Value, escape: &str) {
    let all = paths(value);
    let path = rng.pick(&all).clone();
    match rng.below(9) {
        0 => {
            remove(value, &path);
        }
        1 | 2 => *node_mut(value, &path) = random_value(rng, 2, escape),
        3 => *node_mut(value, &path) = random_number(rng),
        4 => *node_mut(value, &path) = json!(random_text(rng, escape)),
        5 => {
            let node = node_mut(value, &path);
            let inner = node.take();
            *node = if rng.chance(50) { json!([inner]) } else { json!({"value": inner}) };
        }
        6 => {
            // Duplicate an array element or an object member under another key.
            let node = node_mut(value, &path);
            match node {
                Value::Array(items) if !items.is_empty() => {
                    let copy = items[0].clone();
                    items.push(copy);
                }
                Value::Object(map) if !map.is_empty() => {
                    let first = map.values().next().cloned().unwrap_or(Value::Null);
                    map.insert(random_text(rng, escape), first);
                }
                other => *other = json!([other.clone(), other.clone()]),
            }
        }
        7 => {
            let node = node_mut(value, &path);
            *node = match node {
                Value::Array(_) => json!({}),
                Value::Object(_) => json!([]),
                Value::String(text) => json!(text.len()),
                Value::Number(number) => json!(number.to_string()),
                Value::Bool(flag) => json!(if *flag { 1 } else { 0 }),
                Value::Null => json!("null"),
            };
        }
        _ => *node_mut(value, &path) = deep(20 + rng.below(100), rng.chance(50)),
    }
}

// ---------------------------------------------------------------------------------------------
// Raw stdio JSON-RPC connection to a `decision-gate serve` process

struct Conn {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    next_id: u64,
}

impl Conn {
    fn spawn(dir: &Path, config: &Path) -> Conn {
        let mut child = Command::new(system_tests::binary())
            .arg("serve")
            .arg("--config")
            .arg(config)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn decision-gate");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr_pipe = child.stderr.take().unwrap();
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
                let mut all = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                all.push_str(&line);
                all.push('\n');
            }
        });
        Conn { child, stdin, lines, stderr, next_id: 1 }
    }

    fn write_line(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).expect("write to server");
        self.stdin.write_all(b"\n").expect("write to server");
        self.stdin.flush().expect("flush");
    }

    /// Sends one line carrying request `id` and returns the response to it. The server handles
    /// stdio messages strictly in arrival order and we have one request in flight, so a
    /// response with `id: null` (a message rejected before its id was parsed) answers it.
    fn exchange(&mut self, id: u64, line: &str) -> Value {
        self.write_line(line);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let text = match self.lines.recv_timeout(remaining) {
                Ok(text) => text,
                Err(RecvTimeoutError::Timeout) => panic!("no response to request {id} within 60 s: {line:.300}"),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("server closed stdout at request {id}: {line:.300}\nstderr:\n{}", self.stderr())
                }
            };
            let message: Value =
                serde_json::from_str(&text).unwrap_or_else(|err| panic!("server wrote non-JSON ({err}): {text:.300}"));
            if message.get("method").is_some() && message.get("id").is_none() {
                continue; // a server notification
            }
            match &message["id"] {
                Value::Number(number) if number.as_u64() == Some(id) => return message,
                Value::Null if message.get("error").is_some() => return message,
                other => panic!("response id {other} while waiting for {id}: {text:.300}"),
            }
        }
    }

    fn request(&mut self, method: &str, params: Option<Value>) -> (u64, Value) {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if let Some(params) = params {
            message["params"] = params;
        }
        (id, self.exchange(id, &message.to_string()))
    }

    fn notify(&mut self, method: &str) {
        self.write_line(&json!({"jsonrpc": "2.0", "method": method}).to_string());
    }

    fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

// ---------------------------------------------------------------------------------------------
// Response shapes

/// The one shape a response to `tools/call` has.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Success(Value),
    /// `isError` result.
    Tool {
        code: i64,
        kind: String,
        message: String,
    },
    /// JSON-RPC error.
    Rpc {
        code: i64,
        kind: String,
        message: String,
    },
}

/// `kind` of each code (mcp-surface §3.1).
fn kind_of(code: i64) -> &'static str {
    match code {
        -32700 => "parse_error",
        -32600 => "invalid_request",
        -32601 => "method_not_found",
        -32602 => "invalid_params",
        -32001 => "unauthenticated",
        -32003 => "unauthorized",
        -32004 => "not_found",
        -32009 => "conflict",
        -32020 => "evidence",
        -32030 => "control_plane",
        -32040 => "runpack",
        -32050 => "internal",
        -32060 => "serialization",
        -32070 => "request_too_large",
        -32071 => "rate_limited",
        -32072 => "inflight_limit",
        -32073 => "invalid_correlation_id",
        _ => "unknown",
    }
}

/// Checks the envelope exactly and classifies it; `Err` describes a malformed response.
fn classify(id: u64, response: &Value) -> Result<Outcome, String> {
    let object = response.as_object().ok_or("response is not an object")?;
    if object.get("jsonrpc") != Some(&json!("2.0")) {
        return Err("jsonrpc is not 2.0".into());
    }
    match (object.get("result"), object.get("error")) {
        (Some(result), None) => {
            let keys: BTreeSet<&str> =
                result.as_object().ok_or("result not an object")?.keys().map(|k| k.as_str()).collect();
            if keys != BTreeSet::from(["content", "isError", "structuredContent"]) {
                return Err(format!("result keys {keys:?}"));
            }
            let structured = &result["structuredContent"];
            let content = result["content"].as_array().ok_or("content not an array")?;
            if content.len() != 1 || content[0]["type"] != "text" {
                return Err("content is not one text item".into());
            }
            let text: Value = serde_json::from_str(content[0]["text"].as_str().ok_or("text not a string")?)
                .map_err(|err| format!("text item not JSON: {err}"))?;
            if &text != structured {
                return Err("text item differs from structuredContent".into());
            }
            match result["isError"] {
                Value::Bool(false) => {
                    if !structured.is_object() {
                        return Err("success structuredContent is not an object".into());
                    }
                    Ok(Outcome::Success(structured.clone()))
                }
                Value::Bool(true) => {
                    let error = structured.as_object().filter(|o| o.len() == 1).and_then(|o| o.get("error"));
                    let error = error.and_then(Value::as_object).ok_or("isError without a lone error object")?;
                    let keys: BTreeSet<&str> = error.keys().map(|k| k.as_str()).collect();
                    if keys != BTreeSet::from(["code", "kind", "message", "retryable"]) {
                        return Err(format!("error keys {keys:?}"));
                    }
                    let code = error["code"].as_i64().ok_or("code not an integer")?;
                    let kind = error["kind"].as_str().ok_or("kind not a string")?.to_owned();
                    let message = error["message"].as_str().ok_or("message not a string")?.to_owned();
                    let retryable = error["retryable"].as_bool().ok_or("retryable not a boolean")?;
                    if kind != kind_of(code) {
                        return Err(format!("kind {kind} for code {code}"));
                    }
                    // Sequential calls on one connection: nothing here can be retryable.
                    if retryable {
                        return Err("retryable error on a sequential connection".into());
                    }
                    if message.is_empty() {
                        return Err("empty message".into());
                    }
                    Ok(Outcome::Tool { code, kind, message })
                }
                _ => Err("isError is not a boolean".into()),
            }
        }
        (None, Some(error)) => {
            let code = error["code"].as_i64().ok_or("error code not an integer")?;
            let message = error["message"].as_str().ok_or("error message not a string")?.to_owned();
            let data = error["data"].as_object().ok_or("error without data")?;
            let kind = data.get("kind").and_then(Value::as_str).ok_or("data.kind not a string")?.to_owned();
            if kind != kind_of(code) {
                return Err(format!("data.kind {kind} for code {code}"));
            }
            if data.get("retryable") != Some(&json!(false)) {
                return Err("data.retryable is not false".into());
            }
            let expected_request_id = match &response["id"] {
                Value::Null => Value::Null,
                _ => json!(id.to_string()),
            };
            if data.get("request_id") != Some(&expected_request_id) {
                return Err(format!("data.request_id {:?}", data.get("request_id")));
            }
            Ok(Outcome::Rpc { code, kind, message })
        }
        _ => Err("neither exactly result nor error".into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Valid arguments of every tool (fresh ids per call so that valid calls succeed)

const TOOLS: [&str; 17] = [
    "scenario_define",
    "scenario_start",
    "scenario_status",
    "scenario_next",
    "scenario_submit",
    "scenario_trigger",
    "evidence_query",
    "runpack_export",
    "runpack_verify",
    "providers_list",
    "provider_contract_get",
    "provider_check_schema_get",
    "schemas_register",
    "schemas_list",
    "schemas_get",
    "scenarios_list",
    "precheck",
];

/// The tools the brief singles out get most of the random budget.
const FOCUS: [&str; 7] = [
    "scenario_define",
    "scenario_start",
    "scenario_next",
    "precheck",
    "schemas_register",
    "evidence_query",
    "runpack_export",
];

fn logical(value: u64) -> Value {
    json!({"kind": "logical", "value": value})
}

fn unix(value: i64) -> Value {
    json!({"kind": "unix_millis", "value": value})
}

fn loop_spec(scenario: &str) -> Value {
    json!({"scenario_id": scenario, "namespace_id": 1, "spec_version": "1", "policies": [], "schemas": [],
           "conditions": [],
           "stages": [{"stage_id": "spin", "entry_packets": [], "gates": [],
                       "advance_to": {"kind": "fixed", "stage_id": "spin"}, "on_timeout": "fail"}]})
}

fn renamed(example: &str, scenario: &str) -> Value {
    let mut spec = example_spec(example);
    spec["scenario_id"] = json!(scenario);
    spec
}

fn ci_shape() -> Value {
    json!({"type": "object", "properties": {
        "tests_passed": {"type": "integer"}, "coverage_ok": {"type": "number"},
        "no_high_vulnerabilities": {"type": "integer"}, "freeze_lifted": {"type": "boolean"}}})
}

/// Valid arguments for `tool`; `n` makes every created id fresh.
fn base(tool: &str, n: u64) -> Value {
    let gate = json!({"tenant_id": 1, "namespace_id": 1, "run_id": "fz-run-gate"});
    let spin = json!({"tenant_id": 1, "namespace_id": 1, "run_id": "fz-run-loop"});
    let with = |base: &Value, extra: Value| {
        let mut value = base.clone();
        for (key, item) in extra.as_object().unwrap() {
            value[key] = item.clone();
        }
        value
    };
    match tool {
        "scenario_define" => {
            let id = format!("fz-def-{n}");
            let spec = match n % 5 {
                0 => renamed("ci-release-gate", &id),
                1 => renamed("agent-loop", &id),
                2 => renamed("disclosure-packets", &id),
                3 => renamed("timeout-branch", &id),
                _ => loop_spec(&id),
            };
            json!({"spec": spec})
        }
        "scenario_start" => json!({"scenario_id": "fz-loop", "started_at": logical(0), "issue_entry_packets": true,
            "run_config": {"tenant_id": 1, "namespace_id": 1, "run_id": format!("fz-start-{n}"), "scenario_id": "fz-loop",
                           "dispatch_targets": [{"kind": "agent", "agent_id": "a"}, {"kind": "channel", "channel": "c"}],
                           "policy_tags": ["t"]}}),
        "scenario_status" => {
            json!({"scenario_id": "fz-gate", "request": with(&gate, json!({"requested_at": logical(0)}))})
        }
        "scenario_next" => {
            if n.is_multiple_of(2) {
                json!({"scenario_id": "fz-gate", "request": with(&gate, json!({"trigger_id": format!("fz-next-{n}"),
                    "agent_id": "fz-agent", "time": unix(1_800_000_000_000 + n as i64)}))})
            } else {
                json!({"scenario_id": "fz-loop", "feedback": "summary", "request": with(&spin, json!({
                    "trigger_id": format!("fz-next-{n}"), "agent_id": "fz-agent", "time": logical(n),
                    "correlation_id": "fz-corr"}))})
            }
        }
        "scenario_submit" => json!({"scenario_id": "fz-gate", "request": with(&gate, json!({
            "submission_id": format!("fz-sub-{n}"), "payload": {"kind": "json", "value": {"n": n}},
            "content_type": "application/json", "submitted_at": unix(1_800_000_000_000)}))}),
        "scenario_trigger" => json!({"scenario_id": "fz-loop", "trigger": with(&spin, json!({
            "trigger_id": format!("fz-trig-{n}"), "kind": "external_event", "time": logical(n), "source_id": "fz",
            "payload": {"kind": "json", "value": [1, 2]}}))}),
        "evidence_query" => {
            let query = if n.is_multiple_of(2) {
                json!({"provider_id": "json", "check_id": "path",
                       "params": {"file": "ci/report.json", "jsonpath": "$.coverage.line_percent"}})
            } else {
                json!({"provider_id": "time", "check_id": "after", "params": {"timestamp": "2026-01-05T00:00:00Z"}})
            };
            json!({"query": query, "context": {"tenant_id": 1, "namespace_id": 1, "run_id": "fz-run-gate",
                "scenario_id": "fz-gate", "stage_id": "quality", "trigger_id": "fz-q", "trigger_time": unix(1_800_000_000_000)}})
        }
        "runpack_export" => {
            json!({"scenario_id": "fz-gate", "tenant_id": 1, "namespace_id": 1, "run_id": "fz-run-gate",
            "output_dir": format!("fz-export-{n}"), "generated_at": logical(10), "include_verification": n.is_multiple_of(2)})
        }
        "runpack_verify" => json!({"runpack_dir": "fz-export-setup", "manifest_path": "manifest.json"}),
        "providers_list" => json!({}),
        "provider_contract_get" => json!({"provider_id": "json"}),
        "provider_check_schema_get" => json!({"provider_id": "json", "check_id": "path"}),
        "schemas_register" => json!({"record": {"tenant_id": 1, "namespace_id": 1, "schema_id": format!("fz-reg-{n}"),
            "version": "1", "schema": ci_shape(), "description": null, "created_at": logical(n)}}),
        "schemas_list" | "scenarios_list" => json!({"tenant_id": 1, "namespace_id": 1, "limit": 10}),
        "schemas_get" => json!({"tenant_id": 1, "namespace_id": 1, "schema_id": "fz-shape", "version": "1"}),
        "precheck" => {
            if n.is_multiple_of(2) {
                json!({"tenant_id": 1, "namespace_id": 1, "data_shape": {"schema_id": "fz-shape", "version": "1"},
                       "scenario_id": "fz-gate", "payload": {"tests_passed": 0, "coverage_ok": 95, "no_high_vulnerabilities": 0}})
            } else {
                json!({"tenant_id": 1, "namespace_id": 1, "data_shape": {"schema_id": "fz-shape", "version": "1"},
                       "spec": renamed("ci-release-gate", "fz-inline"), "stage_id": "quality",
                       "payload": {"tests_passed": 0, "coverage_ok": 95, "no_high_vulnerabilities": 0}})
            }
        }
        other => panic!("no base arguments for {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The fuzzer

/// Ids of the pre-existing state that no generated call may touch.
const SNAPSHOT_MARK: &str = "snap";

/// What the published input schema says a call must produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Oracle {
    /// Nothing known: success or a structured error.
    Any,
    /// Valid arguments (possibly with unknown keys, which are ignored): success.
    Success,
    /// Missing required key or wrong JSON type: an `isError` -32602.
    InvalidParams,
    /// Not a JSON-RPC parsable message (nesting beyond the parser's limit): -32700 with id null.
    ParseError,
    /// Malformed `tools/call` params or unknown tool: JSON-RPC -32602.
    RpcInvalidParams,
}

#[derive(Default)]
struct Tally {
    calls: usize,
    by_tool: BTreeMap<String, BTreeMap<String, usize>>,
    /// (tenant, namespace) → scenario_id → spec_hash, for every successful define.
    defined: BTreeMap<(u64, u64), BTreeMap<String, Value>>,
    /// (tenant, namespace) → (schema_id, version) → record, for every successful register.
    registered: BTreeMap<(u64, u64), BTreeMap<(String, String), Value>>,
}

struct Fuzzer {
    io: Conn,
    rng: Rng,
    tally: Tally,
    schemas: BTreeMap<String, Value>,
    counter: u64,
}

impl Fuzzer {
    fn fresh(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// One `tools/call` with the given params object (or raw line), checked against `oracle`.
    fn call_raw(&mut self, label: &str, line: Option<String>, params: Value, oracle: Oracle) -> Outcome {
        let (id, response) = match line {
            Some(line) => {
                let id = self.io.next_id;
                self.io.next_id += 1;
                let line = line.replace("\"id\":0", &format!("\"id\":{id}"));
                (id, self.io.exchange(id, &line))
            }
            None => self.io.request("tools/call", Some(params.clone())),
        };
        let outcome = classify(id, &response).unwrap_or_else(|problem| {
            panic!("malformed response ({problem}) to {label} {params:.500}: {response:.500}")
        });
        self.tally.calls += 1;
        let class = match &outcome {
            Outcome::Success(_) => "ok".to_owned(),
            Outcome::Tool { code, .. } => format!("isError {code}"),
            Outcome::Rpc { code, .. } => format!("rpc {code}"),
        };
        *self.tally.by_tool.entry(label.to_owned()).or_default().entry(class).or_default() += 1;
        let fits = match (oracle, &outcome) {
            (Oracle::Any, _) => true,
            (Oracle::Success, Outcome::Success(_)) => true,
            (Oracle::InvalidParams, Outcome::Tool { code: -32602, .. }) => true,
            (Oracle::ParseError, Outcome::Rpc { code: -32700, .. }) => response["id"].is_null(),
            (Oracle::RpcInvalidParams, Outcome::Rpc { code: -32602, .. }) => true,
            _ => false,
        };
        assert!(fits, "{label}: expected {oracle:?}, got {outcome:?}\narguments: {params:.800}");
        // A fuzzed input is never the server's fault.
        if let Outcome::Tool { code: -32050, message, .. } = &outcome {
            panic!("{label}: internal error `{message}` for arguments {params:.800}");
        }
        outcome
    }

    /// A tool call with `arguments` (any JSON), recording what successful writes created.
    fn call(&mut self, tool: &str, arguments: Value, oracle: Oracle) -> Outcome {
        let text = arguments.to_string();
        assert!(!text.contains(SNAPSHOT_MARK), "generated arguments must not touch the snapshot");
        let outcome = self.call_raw(tool, None, json!({"name": tool, "arguments": arguments}), oracle);
        if let Outcome::Success(result) = &outcome {
            self.record_success(tool, &arguments, result);
        }
        outcome
    }

    fn record_success(&mut self, tool: &str, arguments: &Value, result: &Value) {
        match tool {
            "scenario_define" => {
                let spec = &arguments["spec"];
                let tenant = arguments
                    .get("tenant_id")
                    .filter(|t| !t.is_null())
                    .or(spec.get("default_tenant_id").filter(|t| !t.is_null()))
                    .map(|t| t.as_u64().expect("accepted tenant id is an integer"))
                    .unwrap_or(1);
                let namespace = spec["namespace_id"].as_u64().expect("accepted namespace id is an integer");
                let scenario = result["scenario_id"].as_str().expect("scenario_id").to_owned();
                assert_eq!(spec["scenario_id"].as_str(), Some(scenario.as_str()));
                let previous = self
                    .tally
                    .defined
                    .entry((tenant, namespace))
                    .or_default()
                    .insert(scenario, result["spec_hash"].clone());
                assert!(previous.is_none(), "a scenario was defined twice: {arguments:.500}");
            }
            "schemas_register" => {
                let record = result["record"].clone();
                // The echo is the decoded record (unknown nested keys dropped, an absent
                // `description` as null): identity and schema are the request's.
                let sent = &arguments["record"];
                for field in ["tenant_id", "namespace_id", "schema_id", "version", "schema"] {
                    assert_eq!(record[field], sent[field], "register echoes {field}: {arguments:.500}");
                }
                let key = (record["tenant_id"].as_u64().unwrap(), record["namespace_id"].as_u64().unwrap());
                let identity =
                    (record["schema_id"].as_str().unwrap().to_owned(), record["version"].as_str().unwrap().to_owned());
                let previous = self.tally.registered.entry(key).or_default().insert(identity, record);
                assert!(previous.is_none(), "a schema was registered twice: {arguments:.500}");
            }
            _ => {}
        }
    }

    /// Regenerates until the arguments stay clear of the snapshot ids.
    fn clear_of_snapshot(value: &Value) -> bool {
        !value.to_string().contains(SNAPSHOT_MARK)
    }

    fn property_type(&self, tool: &str, key: &str) -> Option<Value> {
        self.schemas[tool]["properties"][key].get("type").cloned()
    }

    /// `InvalidParams` when the published schema gives top-level `key` a JSON type that
    /// `value` does not have. Exception: `null` for an optional key reads as "absent" (serde
    /// `Option` semantics), although some optional keys' schemas (`limit`) do not list `null`.
    fn type_oracle(&self, tool: &str, key: &str, value: &Value) -> Oracle {
        if value.is_null() && !self.required(tool).iter().any(|k| k == key) {
            return Oracle::Any;
        }
        match self.property_type(tool, key) {
            Some(allowed) if !type_matches(&allowed, value) => Oracle::InvalidParams,
            _ => Oracle::Any,
        }
    }

    fn required(&self, tool: &str) -> Vec<String> {
        self.schemas[tool]["required"]
            .as_array()
            .map(|items| items.iter().filter_map(|k| k.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }

    /// Phase 1: every tool's valid arguments succeed (checks the fixtures themselves).
    fn identity(&mut self) {
        for tool in TOOLS {
            let n = self.fresh();
            self.call(tool, base(tool, n), Oracle::Success);
        }
    }

    /// A fresh counter value congruent to `variant` modulo 10 (the base arguments' structure
    /// depends on `n % 5` or `n % 2` only).
    fn fresh_like(&mut self, variant: u64) -> u64 {
        self.counter += 1;
        self.counter += (10 + variant - self.counter % 10) % 10;
        self.counter
    }

    /// Phase 2: every node of every variant of every tool's valid arguments deleted, and
    /// replaced by each wrong-typed value. Top-level keys carry an oracle from the published
    /// input schema.
    fn systematic(&mut self) {
        for tool in TOOLS {
            let required = self.required(tool);
            let variants = match tool {
                "scenario_define" => 5,
                "scenario_next" | "evidence_query" | "runpack_export" | "precheck" => 2,
                _ => 1,
            };
            for variant in 0..variants {
                let sample = base(tool, variant);
                for path in paths(&sample).into_iter().skip(1) {
                    let top = match path.as_slice() {
                        [Seg::Key(key)] => Some(key.clone()),
                        _ => None,
                    };
                    let n = self.fresh_like(variant);
                    let mut args = base(tool, n);
                    if remove(&mut args, &path) {
                        let oracle = match &top {
                            Some(key) if required.contains(key) => Oracle::InvalidParams,
                            _ => Oracle::Any,
                        };
                        self.call(tool, args, oracle);
                    }
                    for wrong in wrong_values() {
                        let n = self.fresh_like(variant);
                        let mut args = base(tool, n);
                        let oracle = match &top {
                            Some(key) => self.type_oracle(tool, key, &wrong),
                            None => Oracle::Any,
                        };
                        *node_mut(&mut args, &path) = wrong;
                        self.call(tool, args, oracle);
                    }
                }
            }
        }
    }

    /// Phase 3: malformed `tools/call` envelopes and messages beyond the parser's nesting limit.
    fn envelopes(&mut self) {
        for round in 0..150 {
            let tool = *self.rng.pick(&TOOLS);
            match round % 6 {
                0 => {
                    // Non-object arguments.
                    let arguments = match self.rng.below(5) {
                        0 => json!([1, 2]),
                        1 => json!("arguments"),
                        2 => json!(7),
                        3 => json!(true),
                        _ => json!([base(tool, 0)]),
                    };
                    self.call_raw(tool, None, json!({"name": tool, "arguments": arguments}), Oracle::RpcInvalidParams);
                }
                1 => {
                    let name = random_value(&mut self.rng, 1, "x");
                    let name = if name.is_string() { json!(format!("zz-{}", name.as_str().unwrap())) } else { name };
                    self.call_raw("<bad name>", None, json!({"name": name, "arguments": {}}), Oracle::RpcInvalidParams);
                }
                2 => {
                    let name = format!("{tool}_{}", self.rng.below(100));
                    self.call_raw(
                        "<unknown tool>",
                        None,
                        json!({"name": name, "arguments": base(tool, 0)}),
                        Oracle::RpcInvalidParams,
                    );
                }
                3 => {
                    // Params without a name.
                    self.call_raw("<no name>", None, json!({"arguments": base(tool, 0)}), Oracle::RpcInvalidParams);
                }
                4 => {
                    // Nesting beyond serde_json's recursion limit (128): the line is not parsed.
                    let depth = 130 + self.rng.below(400);
                    let line = format!(
                        "{{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"tools/call\",\"params\":{{\"name\":\"{tool}\",\"arguments\":{{\"x\":{}1{}}}}}}}",
                        "[".repeat(depth),
                        "]".repeat(depth)
                    );
                    self.call_raw(tool, Some(line), json!({"depth": depth}), Oracle::ParseError);
                }
                _ => {
                    // Arguments that are a random object.
                    let mut arguments = random_value(&mut self.rng, 3, "x");
                    if !arguments.is_object() {
                        arguments = json!({"value": arguments});
                    }
                    if Self::clear_of_snapshot(&arguments) {
                        self.call(tool, arguments, Oracle::Any);
                    }
                }
            }
        }
    }

    /// Phase 4: random mutations of valid calls until the call budget is reached.
    fn random(&mut self, escape: &str) {
        let end = self.tally.calls + RANDOM_CALLS;
        while self.tally.calls < end {
            let tool = if self.rng.chance(75) { *self.rng.pick(&FOCUS) } else { *self.rng.pick(&TOOLS) };
            let n = self.fresh();
            let mut args = base(tool, n);
            let oracle = match self.rng.below(10) {
                0 => {
                    // Unknown keys are ignored (mcp-surface §2.1).
                    let key = format!("zz_unknown_{}", self.rng.below(1000));
                    args[key] = random_value(&mut self.rng, 2, escape);
                    Oracle::Success
                }
                1 => {
                    let required = self.required(tool);
                    if required.is_empty() {
                        continue;
                    }
                    let key = self.rng.pick(&required).clone();
                    args.as_object_mut().unwrap().remove(&key);
                    Oracle::InvalidParams
                }
                2 => {
                    let keys: Vec<String> = args.as_object().unwrap().keys().cloned().collect();
                    if keys.is_empty() {
                        continue;
                    }
                    let key = self.rng.pick(&keys).clone();
                    let value = random_value(&mut self.rng, 2, escape);
                    let oracle = self.type_oracle(tool, &key, &value);
                    args[key.as_str()] = value;
                    oracle
                }
                3 => {
                    args = random_value(&mut self.rng, 3, escape);
                    if !args.is_object() {
                        args = json!({"spec": args, "record": args, "request": args, "query": args});
                    }
                    Oracle::Any
                }
                _ => {
                    for _ in 0..1 + self.rng.below(4) {
                        mutate(&mut self.rng, &mut args, escape);
                    }
                    if !args.is_object() {
                        continue;
                    }
                    Oracle::Any
                }
            };
            if Self::clear_of_snapshot(&args) {
                self.call(tool, args, oracle);
            }
        }
    }
}

/// Whether `value`'s JSON type is one of the schema `type` keyword's (integers only when exact).
fn type_matches(allowed: &Value, value: &Value) -> bool {
    let names: Vec<&str> = match allowed {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => return true,
    };
    names.iter().any(|name| match *name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        // A float with an integral value is an integer to JSON Schema but not to a u64 decoder;
        // treat it as "matching" so no oracle is derived from it.
        "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    })
}

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
