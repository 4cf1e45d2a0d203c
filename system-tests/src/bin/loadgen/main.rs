//! Load generator: `scenario_start` + `scenario_next` pairs on a two-condition time scenario
//! over Streamable HTTP (`/mcp`, 2026-07-28 stateless requests) and `POST /rpc`, at several
//! client concurrencies, against a server it starts (SQLite, synchronous FULL) or a given URL.
//! Each simulated client is one keep-alive connection issuing calls back to back.
//!
//! `cargo run --release -p system-tests --bin loadgen -- --help`

mod client;
mod compare;
mod server;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use serde_json::{Value, json};

use client::{Client, Endpoint, contains};

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
    /// Server binary (default: `decision-gate` beside this executable, built or brought up
    /// to date in release mode first).
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Use a running server instead of starting one (`http://host:port`).
    #[arg(long)]
    url: Option<String>,
    /// After the timed levels, run this many more units (4 clients, `/mcp`) and report server
    /// memory.
    #[arg(long, default_value_t = 0)]
    memory_runs: u64,
    /// What each client repeats: `pairs` (scenario_start + scenario_next on a fresh run, the
    /// headline workload), `status` (scenario_status of one run twice: the read path) or
    /// `providers` (providers_list twice: transport, pipeline and audit without a store).
    #[arg(long, default_value = "pairs")]
    workload: String,
    /// SQLite `synchronous` of the started server: `full` (the default profile, durable on
    /// acknowledgement) or `normal` (no flush per commit: shows the CPU-bound ceiling).
    #[arg(long, default_value = "full")]
    sync_mode: String,
    /// Compare `decision-gate-enterprise` (API-key authentication, control-store tenant
    /// resolution) with `decision-gate` on the same workload: both servers run side by side,
    /// measured in alternating rounds per level, and the throughput ratio is printed.
    #[arg(long)]
    compare_enterprise: bool,
    /// Compare the server binary at this path ("before") with the current one ("after") on
    /// `--endpoint` (`mcp` or `rpc`), in alternating rounds; prints after ÷ before.
    #[arg(long, value_name = "PATH")]
    against: Option<PathBuf>,
    /// Rounds per level and variant when two variants are compared (`--endpoint both`,
    /// `--compare-enterprise`), each `--seconds` long.
    #[arg(long, default_value_t = 3)]
    rounds: u32,
}

/// Group-commit counters scraped from `/metrics`.
#[derive(Clone, Copy, Debug, Default)]
struct CommitStats {
    commits: f64,
    writes: f64,
    commit_seconds: f64,
}

impl CommitStats {
    async fn scrape(base: &str) -> anyhow::Result<CommitStats> {
        let text = Client::connect(base, Endpoint::Rpc).await?.get("/metrics").await?;
        let value = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
                .and_then(|value| value.trim().parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        Ok(CommitStats {
            commits: value("decision_gate_sqlite_commits_total"),
            writes: value("decision_gate_sqlite_committed_writes_total"),
            commit_seconds: value("decision_gate_sqlite_commit_seconds_sum"),
        })
    }

    /// `writes/commit` and mean commit time (ms) between two scrapes.
    fn since(self, before: CommitStats) -> (f64, f64) {
        let commits = (self.commits - before.commits).max(1.0);
        ((self.writes - before.writes) / commits, 1000.0 * (self.commit_seconds - before.commit_seconds) / commits)
    }
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

/// What one unit of load is: two timed calls.
enum Workload {
    /// `scenario_start` + `scenario_next` on a fresh run, which must complete.
    Pairs,
    /// The same call twice.
    Repeat { tool: &'static str, arguments: String },
}

fn start_arguments(run_id: &str) -> String {
    format!(
        r#"{{"scenario_id":"{SCENARIO}","started_at":{{"kind":"unix_millis","value":1}},"issue_entry_packets":false,"run_config":{{"tenant_id":1,"namespace_id":1,"run_id":"{run_id}","scenario_id":"{SCENARIO}","dispatch_targets":[],"policy_tags":[]}}}}"#
    )
}

fn next_arguments(run_id: &str) -> String {
    format!(
        r#"{{"scenario_id":"{SCENARIO}","request":{{"tenant_id":1,"namespace_id":1,"run_id":"{run_id}","trigger_id":"t","agent_id":"loadgen","time":{{"kind":"unix_millis","value":2}}}}}}"#
    )
}

impl Workload {
    async fn prepare(name: &str, client: &mut Client) -> anyhow::Result<Workload> {
        match name {
            "pairs" => Ok(Workload::Pairs),
            "providers" => Ok(Workload::Repeat { tool: "providers_list", arguments: "{}".to_owned() }),
            "status" => {
                Workload::Pairs.run(client, "status-probe").await?;
                Ok(Workload::Repeat {
                    tool: "scenario_status",
                    arguments: format!(
                        r#"{{"scenario_id":"{SCENARIO}","request":{{"tenant_id":1,"namespace_id":1,"run_id":"status-probe","requested_at":{{"kind":"unix_millis","value":3}}}}}}"#
                    ),
                })
            }
            other => bail!("unknown workload {other:?} (pairs, status, providers)"),
        }
    }

    /// Runs one unit; returns the latency of each call.
    async fn run(&self, client: &mut Client, run_id: &str) -> anyhow::Result<[Duration; 2]> {
        let (first_tool, first_arguments, second_tool, second_arguments) = match self {
            Workload::Pairs => ("scenario_start", start_arguments(run_id), "scenario_next", next_arguments(run_id)),
            Workload::Repeat { tool, arguments } => (*tool, arguments.clone(), *tool, arguments.clone()),
        };
        let started = Instant::now();
        client.call(first_tool, &first_arguments).await?;
        let first = started.elapsed();
        let started = Instant::now();
        let body = client.call(second_tool, &second_arguments).await?;
        let second = started.elapsed();
        // The run must complete: `"kind":"complete"` in the structured result, or escaped
        // inside the MCP text item.
        if matches!(self, Workload::Pairs)
            && !contains(&body, br#""kind":"complete""#)
            && !contains(&body, br#"\"kind\":\"complete\""#)
        {
            bail!("unexpected decision: {}", String::from_utf8_lossy(&body));
        }
        Ok([first, second])
    }
}

struct LevelResult {
    clients: usize,
    units: u64,
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

/// What every level shares.
struct Target {
    base: String,
    endpoint: Endpoint,
    workload: Arc<Workload>,
    authorization: Option<String>,
}

/// Runs `clients` connections until `duration` has passed or `max_units` units are done.
async fn run_level(
    target: &Target,
    clients: usize,
    duration: Duration,
    prefix: &str,
    max_units: Option<u64>,
) -> anyhow::Result<LevelResult> {
    let counter = Arc::new(AtomicU64::new(0));
    let mut connections = Vec::with_capacity(clients);
    for _ in 0..clients {
        connections.push(Client::connect_with(&target.base, target.endpoint, target.authorization.as_deref()).await?);
    }
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (worker, mut client) in connections.into_iter().enumerate() {
        let workload = target.workload.clone();
        let counter = counter.clone();
        let prefix = format!("{prefix}-{worker}");
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut local = 0u64;
            loop {
                let done = counter.fetch_add(1, Ordering::Relaxed);
                if max_units.map_or(Instant::now() >= deadline, |max| done >= max) {
                    break;
                }
                let timings = workload.run(&mut client, &format!("{prefix}-{local}")).await?;
                latencies.extend(timings.iter().map(|timing| timing.as_secs_f64() * 1000.0));
                local += 1;
            }
            anyhow::Ok((local, latencies))
        }));
    }
    let mut units = 0;
    let mut latencies_ms = Vec::new();
    for task in tasks {
        let (count, mut latencies) = task.await??;
        units += count;
        latencies_ms.append(&mut latencies);
    }
    latencies_ms.sort_by(f64::total_cmp);
    Ok(LevelResult { clients, units, elapsed: started.elapsed(), latencies_ms })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    if options.compare_enterprise {
        return compare::enterprise(&options).await;
    }
    if let Some(before) = &options.against {
        return compare::binaries(&options, before).await;
    }
    let server = match &options.url {
        Some(_) => None,
        None => {
            let binary = match &options.binary {
                Some(binary) => binary.clone(),
                None => server::release_binary()?,
            };
            Some(server::start_server(&binary, &options.sync_mode)?)
        }
    };
    let base =
        options.url.clone().or_else(|| server.as_ref().map(|server| server.base.clone())).context("no server")?;
    if options.endpoint == "both" {
        let workload = compare::endpoints(&options, server.as_ref(), &base).await?;
        return report_memory(&options, server.as_ref(), &base, workload).await;
    }
    let mut setup = Client::connect(&base, Endpoint::Rpc).await?;
    let define = serde_json::to_string(&json!({"spec": spec()}))?;
    setup.call("scenario_define", &define).await.context("define the load scenario")?;
    let workload = Arc::new(Workload::prepare(&options.workload, &mut setup).await?);
    drop(setup);
    let endpoints = match options.endpoint.as_str() {
        "mcp" => vec![Endpoint::Mcp],
        "rpc" => vec![Endpoint::Rpc],
        other => bail!("unknown endpoint {other:?} (mcp, rpc, both)"),
    };
    let sync_mode = if options.url.is_some() { "as configured" } else { options.sync_mode.as_str() };
    println!(
        "server: {base}  workload: {}  synchronous: {sync_mode}  ({} s per level)",
        options.workload, options.seconds
    );
    println!(
        "{:<6} {:>8} {:>10} {:>10} {:>10} {:>8} {:>8} {:>14} {:>10}",
        "path", "clients", "units", "units/s", "calls/s", "p50 ms", "p99 ms", "writes/commit", "commit ms"
    );
    for endpoint in endpoints {
        let target = Target { base: base.clone(), endpoint, workload: workload.clone(), authorization: None };
        let label = endpoint.path();
        for &clients in &options.levels {
            // A short warm-up, then the measured period.
            run_level(&target, clients, Duration::from_millis(500), &format!("warm{label}-{clients}"), None).await?;
            let before = CommitStats::scrape(&base).await?;
            let result =
                run_level(&target, clients, Duration::from_secs(options.seconds), &format!("{label}-{clients}"), None)
                    .await?;
            let (batch, commit_ms) = CommitStats::scrape(&base).await?.since(before);
            let seconds = result.elapsed.as_secs_f64();
            println!(
                "{:<6} {:>8} {:>10} {:>10.0} {:>10.0} {:>8.2} {:>8.2} {:>14.2} {:>10.3}",
                label,
                result.clients,
                result.units,
                result.units as f64 / seconds,
                result.units as f64 * 2.0 / seconds,
                percentile(&result.latencies_ms, 0.50),
                percentile(&result.latencies_ms, 0.99),
                batch,
                commit_ms
            );
        }
    }
    report_memory(&options, server.as_ref(), &base, workload).await
}

/// The optional memory run (`--memory-runs`, 4 clients on `/mcp`) and the server's resident
/// memory.
async fn report_memory(
    options: &Options,
    server: Option<&server::Server>,
    base: &str,
    workload: Arc<Workload>,
) -> anyhow::Result<()> {
    if options.memory_runs > 0 {
        let target = Target { base: base.to_owned(), endpoint: Endpoint::Mcp, workload, authorization: None };
        let result = run_level(&target, 4, Duration::from_secs(24 * 3600), "memory", Some(options.memory_runs)).await?;
        println!("memory run: {} units in {:.1} s", result.units, result.elapsed.as_secs_f64());
    }
    if let Some(server) = server
        && let Some(rss) = server::rss_kib(server.child.id())
    {
        println!("server resident memory: {:.1} MiB", rss as f64 / 1024.0);
    }
    Ok(())
}
