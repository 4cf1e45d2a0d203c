//! Load generator: `scenario_start` + `scenario_next` pairs on a two-condition time scenario
//! over Streamable HTTP (`/mcp`, 2026-07-28 stateless requests) and `POST /rpc`, at several
//! client concurrencies, against a server it starts (SQLite, synchronous FULL) or a given URL.
//!
//! `cargo run --release -p system-tests --bin loadgen -- --help`

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use serde_json::{Value, json};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(about = "Measure tool calls per second and latency of start+next pairs")]
struct Options {
    /// Client concurrencies to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    levels: Vec<usize>,
    /// Seconds of load per level and endpoint.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Endpoints to measure: mcp, rpc or both.
    #[arg(long, default_value = "both")]
    endpoint: String,
    /// Server binary (default: target/release/decision-gate).
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Use a running server instead of starting one.
    #[arg(long)]
    url: Option<String>,
    /// After the timed levels, run this many more pairs (4 clients) and report server memory.
    #[arg(long, default_value_t = 0)]
    memory_runs: u64,
}

struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(binary: &PathBuf) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let root = dir.path().display().to_string();
    let config = format!(
        r#"[server]
transport = "http"
bind = "127.0.0.1:0"
[server.limits]
max_inflight = 1024
[server.audit]
path = "{root}/audit.jsonl"
[namespace]
allow_default = true
default_tenants = [1]
[run_state_store]
type = "sqlite"
path = "{root}/dg.db"
sync_mode = "full"
journal_mode = "wal"
[schema_registry]
type = "sqlite"
path = "{root}/dg.db"
[[providers]]
name = "time"
type = "builtin"
"#
    );
    let config_path = dir.path().join("decision-gate.toml");
    std::fs::write(&config_path, config)?;
    let binary = std::fs::canonicalize(binary).with_context(|| format!("no server binary at {}", binary.display()))?;
    let mut child = Command::new(&binary)
        .arg("serve")
        .arg("--config")
        .arg(&config_path)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let stderr = child.stderr.take().context("stderr")?;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split("listening on ").nth(1) {
                let _ = sender.send(url.trim().to_owned());
            }
        }
    });
    let base = receiver.recv_timeout(Duration::from_secs(30)).context("server did not start")?;
    Ok(Server { child, base, _dir: dir })
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches(" kB").trim().parse().ok())
}

const SCENARIO: &str = "load-time-gate";

fn spec() -> Value {
    json!({
        "scenario_id": SCENARIO, "namespace_id": 1, "spec_version": "1", "policies": [], "schemas": [],
        "conditions": [
            {"condition_id": "after_start", "query": {"provider_id": "time", "check_id": "after", "params": {"timestamp": 0}},
             "comparator": "equals", "expected": true, "policy_tags": []},
            {"condition_id": "before_end", "query": {"provider_id": "time", "check_id": "before", "params": {"timestamp": 4_000_000_000_000u64}},
             "comparator": "equals", "expected": true, "policy_tags": []}
        ],
        "stages": [{"stage_id": "gate", "entry_packets": [],
                    "gates": [{"gate_id": "window", "requirement": {"And": [{"Condition": "after_start"}, {"Condition": "before_end"}]}}],
                    "advance_to": {"kind": "terminal"}, "on_timeout": "fail"}]
    })
}

/// One HTTP client speaking either endpoint.
#[derive(Clone)]
struct Caller {
    http: reqwest::Client,
    base: String,
    rpc: bool,
    ids: Arc<AtomicU64>,
}

impl Caller {
    async fn call(&self, tool: &str, arguments: Value) -> anyhow::Result<Value> {
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let request = if self.rpc {
            self.http
                .post(format!("{}/rpc", self.base))
                .json(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": tool, "arguments": arguments}}))
        } else {
            let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}});
            self.http
                .post(format!("{}/mcp", self.base))
                .header("accept", "application/json, text/event-stream")
                .header("mcp-protocol-version", "2026-07-28")
                .header("mcp-method", "tools/call")
                .header("mcp-name", tool)
                .json(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                    "params": {"name": tool, "arguments": arguments, "_meta": meta}}))
        };
        let response: Value = request.send().await?.json().await?;
        let failed = response.get("error").is_some() || response.pointer("/result/isError") == Some(&json!(true));
        if failed {
            bail!("{tool} failed: {response}");
        }
        Ok(response)
    }

    async fn pair(&self, run_id: &str) -> anyhow::Result<(Duration, Duration)> {
        let started = Instant::now();
        self.call("scenario_start", json!({"scenario_id": SCENARIO, "started_at": {"kind": "unix_millis", "value": 1},
            "issue_entry_packets": false,
            "run_config": {"tenant_id": 1, "namespace_id": 1, "run_id": run_id, "scenario_id": SCENARIO, "dispatch_targets": [], "policy_tags": []}}))
            .await?;
        let start_latency = started.elapsed();
        let next_started = Instant::now();
        let result = self
            .call(
                "scenario_next",
                json!({"scenario_id": SCENARIO, "request": {"tenant_id": 1, "namespace_id": 1, "run_id": run_id,
                "trigger_id": "t", "agent_id": "loadgen", "time": {"kind": "unix_millis", "value": 2}}}),
            )
            .await?;
        let text = result.to_string();
        if !text.contains("\\\"complete\\\"") && !text.contains("\"complete\"") {
            bail!("unexpected decision: {text}");
        }
        Ok((start_latency, next_started.elapsed()))
    }
}

struct LevelResult {
    clients: usize,
    pairs: u64,
    elapsed: Duration,
    latencies_ms: Vec<f64>,
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn run_level(
    caller: &Caller,
    clients: usize,
    duration: Duration,
    prefix: &str,
    max_pairs: Option<u64>,
) -> anyhow::Result<LevelResult> {
    let counter = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..clients {
        let caller = caller.clone();
        let counter = counter.clone();
        let prefix = format!("{prefix}-{worker}");
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut local = 0u64;
            loop {
                let done = counter.fetch_add(1, Ordering::Relaxed);
                if max_pairs.is_some_and(|max| done >= max) || (max_pairs.is_none() && Instant::now() >= deadline) {
                    break;
                }
                let (start, next) = caller.pair(&format!("{prefix}-{local}")).await?;
                latencies.push(start.as_secs_f64() * 1000.0);
                latencies.push(next.as_secs_f64() * 1000.0);
                local += 1;
            }
            anyhow::Ok((local, latencies))
        }));
    }
    let mut pairs = 0;
    let mut latencies_ms = Vec::new();
    for task in tasks {
        let (count, mut latencies) = task.await??;
        pairs += count;
        latencies_ms.append(&mut latencies);
    }
    latencies_ms.sort_by(f64::total_cmp);
    Ok(LevelResult { clients, pairs, elapsed: started.elapsed(), latencies_ms })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let binary =
        options.binary.clone().unwrap_or_else(|| system_tests::workspace_root().join("target/release/decision-gate"));
    let server = match &options.url {
        Some(_) => None,
        None => Some(start_server(&binary)?),
    };
    let base =
        options.url.clone().or_else(|| server.as_ref().map(|server| server.base.clone())).context("no server")?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let mut caller = Caller { http, base: base.clone(), rpc: false, ids: Arc::new(AtomicU64::new(1)) };
    caller.call("scenario_define", json!({"spec": spec()})).await.context("define the load scenario")?;
    let endpoints: Vec<bool> = match options.endpoint.as_str() {
        "mcp" => vec![false],
        "rpc" => vec![true],
        _ => vec![false, true],
    };
    println!("server: {base}  ({} s per level)", options.seconds);
    println!(
        "{:<6} {:>8} {:>10} {:>12} {:>12} {:>10} {:>10}",
        "path", "clients", "pairs", "pairs/s", "calls/s", "p50 ms", "p99 ms"
    );
    for rpc in endpoints {
        caller.rpc = rpc;
        let label = if rpc { "/rpc" } else { "/mcp" };
        for &clients in &options.levels {
            // A short warm-up, then the measured period.
            run_level(&caller, clients, Duration::from_millis(500), &format!("warm-{label}-{clients}"), None).await?;
            let result =
                run_level(&caller, clients, Duration::from_secs(options.seconds), &format!("{label}-{clients}"), None)
                    .await?;
            let seconds = result.elapsed.as_secs_f64();
            println!(
                "{:<6} {:>8} {:>10} {:>12.0} {:>12.0} {:>10.2} {:>10.2}",
                label,
                result.clients,
                result.pairs,
                result.pairs as f64 / seconds,
                result.pairs as f64 * 2.0 / seconds,
                percentile(&result.latencies_ms, 0.50),
                percentile(&result.latencies_ms, 0.99)
            );
        }
    }
    if options.memory_runs > 0 {
        caller.rpc = false;
        let result = run_level(&caller, 4, Duration::from_secs(3600), "memory", Some(options.memory_runs)).await?;
        println!("memory run: {} pairs in {:.1} s", result.pairs, result.elapsed.as_secs_f64());
    }
    if let Some(server) = &server
        && let Some(rss) = rss_kib(server.child.id())
    {
        println!("server resident memory: {:.1} MiB", rss as f64 / 1024.0);
    }
    Ok(())
}
