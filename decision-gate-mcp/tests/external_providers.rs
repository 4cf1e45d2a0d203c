//! External MCP providers over stdio (mcp-surface §10.3, testing §4.7), end to end through
//! `build_providers`: a `type = "mcp"` provider whose contract comes from `capabilities_path`
//! and whose process is the `decision-gate-stub-provider` test double.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use decision_gate_core::evidence::{EvidenceContext, EvidenceValue};
use decision_gate_core::ids::{CorrelationId, NamespaceId, RunId, ScenarioId, StageId, TenantId, TriggerId};
use decision_gate_core::ports::{EvidenceError, EvidenceProvider};
use decision_gate_core::spec::EvidenceQuery;
use decision_gate_core::time::Timestamp;
use decision_gate_mcp::config::{DecisionGateConfig, ProviderConfig, ProviderTimeouts, ProviderType, StdioFraming};
use decision_gate_mcp::providers::external::UNAVAILABLE;
use decision_gate_mcp::providers::{ProviderSet, build_providers};
use serde_json::{Value, json};

const STUB: &str = env!("CARGO_BIN_EXE_decision-gate-stub-provider");

/// A started provider set with its runtime and contract directory.
struct Harness {
    set: ProviderSet,
    _runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

fn contract_file(dir: &tempfile::TempDir) -> PathBuf {
    let contract = json!({
        "provider_id": "stub", "name": "Stub", "description": "test double", "transport": "mcp",
        "config_schema": {"type": "object"}, "notes": [],
        "checks": [{"check_id": "count", "description": "d", "determinism": "external", "params_required": false,
            "params_schema": {"type": "object"}, "result_schema": {"type": "integer"},
            "allowed_comparators": ["equals"], "anchor_types": [], "content_types": ["application/json"],
            "examples": []}]
    });
    let path = dir.path().join("stub.json");
    std::fs::write(&path, contract.to_string()).unwrap();
    path
}

fn start(args: &[&str], framing: StdioFraming, request_timeout_ms: u64) -> Harness {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut provider = ProviderConfig::builtin("stub");
    provider.provider_type = ProviderType::Mcp;
    provider.command = std::iter::once(STUB).chain(args.iter().copied()).map(str::to_owned).collect();
    provider.capabilities_path = Some(contract_file(&dir));
    provider.framing = framing;
    provider.timeouts = ProviderTimeouts { connect_timeout_ms: 5000, request_timeout_ms };
    let config = DecisionGateConfig { providers: vec![provider], ..DecisionGateConfig::default() };
    let set = build_providers(&config, runtime.handle().clone()).unwrap();
    Harness { set, _runtime: runtime, _dir: dir }
}

fn ctx(correlation_id: Option<&str>) -> EvidenceContext {
    EvidenceContext {
        tenant_id: TenantId::new(1).expect("nonzero"),
        namespace_id: NamespaceId::DEFAULT,
        run_id: RunId::new("run-1"),
        scenario_id: ScenarioId::new("scenario"),
        stage_id: StageId::new("stage-1"),
        trigger_id: TriggerId::new("trigger-1"),
        trigger_time: Timestamp::Logical(1),
        correlation_id: correlation_id.map(CorrelationId::new),
    }
}

impl Harness {
    fn ask_with(&self, check: &str, params: Value, correlation_id: Option<&str>) -> Result<Value, EvidenceError> {
        let query = EvidenceQuery {
            provider_id: "stub".into(),
            check_id: check.to_owned(),
            params: (!params.is_null()).then_some(params),
        };
        let result = self.set.provider.query(&query, &ctx(correlation_id))?;
        match result.value {
            Some(EvidenceValue::Json(value)) => Ok(value),
            other => panic!("expected a JSON value, got {other:?}"),
        }
    }

    fn ask(&self, check: &str) -> Result<Value, EvidenceError> {
        self.ask_with(check, Value::Null, None)
    }

    /// Asks until the provider is back from a restart (at most `limit`).
    fn ask_after_restart(&self, check: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            match self.ask(check) {
                Ok(value) => return value,
                Err(err) if err.0 == UNAVAILABLE && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(err) => panic!("provider did not come back: {}", err.0),
            }
        }
    }
}

#[test]
fn stdio_provider_discovers_then_calls() {
    let harness = start(&[], StdioFraming::Newline, 5000);
    assert_eq!(harness.ask("count").unwrap(), json!(42));
    assert_eq!(harness.ask_with("echo", json!({"value": [1, "a"]}), None).unwrap(), json!([1, "a"]));
    assert_eq!(harness.ask("calls").unwrap(), json!(3));
    assert_eq!(harness.ask("is_error").unwrap_err().0, "provider error: stub tool failure");
    assert_eq!(harness.ask("rpc_error").unwrap_err().0, "provider error: stub rpc failure");
    assert_eq!(harness.ask("not_evidence").unwrap_err().0, "unexpected provider response");
    // Provider errors do not restart the process.
    assert_eq!(harness.ask("calls").unwrap(), json!(7));
    // server/discover succeeded: stateless 2026-07-28 requests carrying our client info.
    let session = &harness.ask("context").unwrap()["session"];
    assert_eq!(session["protocol_version"], json!("2026-07-28"));
    assert_eq!(session["client_name"], json!("decision-gate"));
}

#[test]
fn stdio_legacy_provider_uses_initialize() {
    let harness = start(&["--legacy", "--shape", "text"], StdioFraming::Newline, 5000);
    assert_eq!(harness.ask("flag").unwrap(), json!(true));
    assert_eq!(harness.ask("name").unwrap(), json!("stub"));
    let session = &harness.ask("context").unwrap()["session"];
    assert_eq!(session["protocol_version"], json!("2025-11-25"));
    assert_eq!(session["client_name"], json!("decision-gate"));
}

#[test]
fn stdio_json_content_over_mcp_framing() {
    // Hand-written provider: `initialize` answered, `server/discover` -32601, `json` content items.
    let harness = start(&["--shape", "json"], StdioFraming::Newline, 5000);
    assert_eq!(harness.ask("count").unwrap(), json!(42));
    assert_eq!(harness.ask("is_error").unwrap_err().0, "provider error: stub tool failure");
    let seen = harness.ask("context").unwrap();
    let methods: Vec<&str> = seen["session"]["methods"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(methods[..3], ["server/discover", "initialize", "notifications/initialized"]);
}

#[test]
fn oss_provider_without_initialize_over_newline_framing() {
    // `initialize` answered with -32601: called without the handshake.
    let harness = start(&["--oss", "--shape", "json"], StdioFraming::Newline, 5000);
    assert_eq!(harness.ask("count").unwrap(), json!(42));
    assert_eq!(harness.ask("calls").unwrap(), json!(2));
    let methods = &harness.ask("context").unwrap()["session"]["methods"];
    assert_eq!(methods, &json!(["server/discover", "initialize", "tools/call", "tools/call", "tools/call"]));
}

#[test]
fn oss_provider_with_content_length_framing() {
    let harness =
        start(&["--oss", "--framing", "content-length", "--shape", "json"], StdioFraming::ContentLength, 5000);
    assert_eq!(harness.ask("count").unwrap(), json!(42));
    assert_eq!(harness.ask("rpc_error").unwrap_err().0, "provider error: stub rpc failure");
    assert_eq!(harness.ask("no_result").unwrap_err().0, "provider response has no result");
    // Request ids: the correlation id when there is one, else a per-provider counter.
    let seen = harness.ask_with("context", Value::Null, Some("corr-7")).unwrap();
    assert_eq!(seen["request_id"], json!("corr-7"));
    // No handshake at all.
    assert!(seen["session"]["methods"].as_array().unwrap().iter().all(|method| method == "tools/call"), "{seen}");
    assert_eq!(seen["arguments"]["context"]["correlation_id"], json!("corr-7"));
    assert_eq!(seen["arguments"]["query"]["check_id"], json!("context"));
    let first = harness.ask("context").unwrap()["request_id"].as_u64().unwrap();
    let second = harness.ask("context").unwrap()["request_id"].as_u64().unwrap();
    assert_eq!(second, first + 1);
}

#[test]
fn text_and_structured_results_over_content_length_framing() {
    for shape in ["text", "structured"] {
        let harness =
            start(&["--oss", "--framing", "content-length", "--shape", shape], StdioFraming::ContentLength, 5000);
        assert_eq!(harness.ask("flag").unwrap(), json!(true), "{shape}");
    }
}

#[test]
fn malformed_and_misaddressed_responses_fail_and_restart_the_provider() {
    for args in [&["--raw"][..], &["--oss", "--framing", "content-length"][..]] {
        let framing = if args.len() > 1 { StdioFraming::ContentLength } else { StdioFraming::Newline };
        let harness = start(args, framing, 5000);
        let pid = harness.ask("pid").unwrap();
        for (check, message) in [
            ("wrong_id", "provider response id does not match the request"),
            ("malformed", "malformed provider message"),
        ] {
            assert_eq!(harness.ask(check).unwrap_err().0, message, "{args:?}");
            let again = harness.ask_after_restart("pid", Duration::from_secs(5));
            assert_ne!(again, pid, "{args:?}: the provider was restarted");
        }
    }
}

#[test]
fn correlation_id_reaches_an_mcp_provider() {
    let harness = start(&[], StdioFraming::Newline, 5000);
    let seen = harness.ask_with("context", Value::Null, Some("corr-9")).unwrap();
    assert_eq!(seen["arguments"]["context"]["correlation_id"], json!("corr-9"));
    // Deviation: rmcp chooses the JSON-RPC id (an integer per connection).
    assert!(seen["request_id"].is_u64(), "{seen}");
}

#[test]
fn timed_out_call_kills_and_restarts_the_provider() {
    let harness = start(&[], StdioFraming::Newline, 500);
    let pid = harness.ask("pid").unwrap();
    let started = Instant::now();
    let err = harness.ask_with("sleep", json!({"ms": 1500}), None).unwrap_err();
    assert!(err.0.contains("timed out"), "{}", err.0);
    assert!(started.elapsed() < Duration::from_millis(1400), "{:?}", started.elapsed());
    // Back-off: fails fast, then a new process answers.
    let fast = Instant::now();
    assert_eq!(harness.ask("count").unwrap_err().0, UNAVAILABLE);
    assert!(fast.elapsed() < Duration::from_millis(200), "{:?}", fast.elapsed());
    let again = harness.ask_after_restart("pid", Duration::from_secs(5));
    assert_ne!(again, pid);
    assert_eq!(harness.ask("count").unwrap(), json!(42));
}

#[test]
fn crashed_provider_backs_off_then_recovers() {
    let harness = start(&[], StdioFraming::Newline, 5000);
    assert_eq!(harness.ask("calls").unwrap(), json!(1));
    let err = harness.ask("crash").unwrap_err();
    assert!(err.0.contains("closed"), "{}", err.0);
    assert_eq!(harness.ask("count").unwrap_err().0, UNAVAILABLE);
    // The replacement process starts counting again.
    assert_eq!(harness.ask_after_restart("calls", Duration::from_secs(5)), json!(1));
}

#[test]
fn provider_exiting_after_n_calls_is_restarted() {
    let harness =
        start(&["--crash-after", "1", "--oss", "--framing", "content-length"], StdioFraming::ContentLength, 5000);
    assert_eq!(harness.ask("calls").unwrap(), json!(1));
    assert!(harness.ask("calls").is_err());
    assert_eq!(harness.ask_after_restart("calls", Duration::from_secs(5)), json!(1));
}

#[test]
fn provider_exiting_while_idle_is_restarted() {
    let harness = start(&["--exit-after-ms", "1000"], StdioFraming::Newline, 5000);
    let pid = harness.ask("pid").unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let again = harness.ask_after_restart("pid", Duration::from_secs(5));
    assert_ne!(again, pid);
}

#[test]
fn oversized_responses_are_rejected() {
    for (args, framing) in [
        (&[][..], StdioFraming::Newline),
        (&["--oss", "--framing", "content-length", "--shape", "json"][..], StdioFraming::ContentLength),
    ] {
        let harness = start(args, framing, 5000);
        let pid = harness.ask("pid").unwrap();
        let err = harness.ask("big").unwrap_err();
        assert_eq!(err.0, "provider message exceeds the 1 MiB limit", "{args:?}");
        // The stream stays in step: same process, next call fine.
        assert_eq!(harness.ask("pid").unwrap(), pid);
        assert_eq!(harness.ask_with("big", json!({"bytes": 1000}), None).unwrap().as_str().map(str::len), Some(1000));
    }
}
