//! `--compare-enterprise`: the open-core and the enterprise server side by side on one machine,
//! the same workload on `/mcp`, measured in alternating rounds (open core first in odd rounds,
//! enterprise first in even ones) so drift on a shared machine hits both; per level the summed
//! throughput of each and the ratio enterprise ÷ open core.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use crate::client::{Client, Endpoint};
use crate::server::{self, Kind, Server};
use crate::{Options, Target, Workload, percentile, run_level, spec};

struct Totals {
    units: u64,
    seconds: f64,
    latencies_ms: Vec<f64>,
}

async fn prepare(server: &Server, workload: &str) -> anyhow::Result<Arc<Workload>> {
    let mut setup = Client::connect_with(&server.base, Endpoint::Mcp, server.authorization.as_deref()).await?;
    let define = serde_json::to_string(&json!({"spec": spec()}))?;
    setup.call("scenario_define", &define).await.context("define the load scenario")?;
    Ok(Arc::new(Workload::prepare(workload, &mut setup).await?))
}

/// Runs the comparison.
pub async fn run(options: &Options) -> anyhow::Result<()> {
    // Local callers get `trace` feedback by default, remote ones `summary`; the enterprise
    // server's callers are remote, so the open core's local caller gets the same level (the
    // same decision work and response size on both).
    let same_feedback = "[server.feedback.scenario_next]\nlocal_only_default = \"summary\"\n";
    let open_core = server::start(&server::release_binary()?, &options.sync_mode, Kind::OpenCore, same_feedback)?;
    let enterprise = server::start(&server::release_enterprise_binary()?, &options.sync_mode, Kind::Enterprise, "")?;
    let servers = [(&open_core, "open core"), (&enterprise, "enterprise")];
    let mut targets = Vec::new();
    for (server, _) in servers {
        let workload = prepare(server, &options.workload).await?;
        targets.push(Target {
            base: server.base.clone(),
            endpoint: Endpoint::Mcp,
            workload,
            authorization: server.authorization.clone(),
        });
    }
    println!(
        "/mcp, workload {}, synchronous {}, {} rounds of {} s per level and server, alternating",
        options.workload, options.sync_mode, options.rounds, options.seconds
    );
    println!(
        "{:<11} {:>8} {:>10} {:>10} {:>8} {:>8} {:>18}",
        "server", "clients", "units", "calls/s", "p50 ms", "p99 ms", "enterprise/open"
    );
    for &clients in &options.levels {
        let mut totals: Vec<Totals> =
            (0..2).map(|_| Totals { units: 0, seconds: 0.0, latencies_ms: Vec::new() }).collect();
        for (index, target) in targets.iter().enumerate() {
            run_level(target, clients, Duration::from_millis(500), &format!("warm-{index}-{clients}"), None).await?;
        }
        for round in 0..options.rounds {
            let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for index in order {
                let prefix = format!("r{round}-{index}-{clients}");
                let result =
                    run_level(&targets[index], clients, Duration::from_secs(options.seconds), &prefix, None).await?;
                let total = &mut totals[index];
                total.units += result.units;
                total.seconds += result.elapsed.as_secs_f64();
                total.latencies_ms.extend(result.latencies_ms);
            }
        }
        let rate = |total: &Totals| total.units as f64 * 2.0 / total.seconds;
        for (index, (_, name)) in servers.iter().enumerate() {
            let total = &mut totals[index];
            total.latencies_ms.sort_by(f64::total_cmp);
            let ratio = if index == 1 { format!("{:.3}", rate(&totals[1]) / rate(&totals[0])) } else { String::new() };
            let total = &totals[index];
            println!(
                "{:<11} {:>8} {:>10} {:>10.0} {:>8.2} {:>8.2} {:>18}",
                name,
                clients,
                total.units,
                rate(total),
                percentile(&total.latencies_ms, 0.50),
                percentile(&total.latencies_ms, 0.99),
                ratio
            );
        }
    }
    for (server, name) in servers {
        if let Some(rss) = server::rss_kib(server.child.id()) {
            println!("{name} resident memory: {:.1} MiB", rss as f64 / 1024.0);
        }
    }
    Ok(())
}
