//! Side-by-side measurements in alternating rounds, so drift on a shared machine hits every
//! variant alike: `/mcp` against `/rpc` on one server (the default with `--endpoint both`), or
//! `--compare-enterprise`, the enterprise server against the open core on `/mcp`. Each level
//! runs `--rounds` rounds per variant (the order reversed every other round) and prints the
//! summed throughput of each variant and the ratio of the second to the first.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use crate::client::{Client, Endpoint};
use crate::server::{self, Kind, Server};
use crate::{Options, Target, Workload, percentile, run_level, spec};

/// One measured variant.
pub struct Variant {
    /// Row label.
    pub name: &'static str,
    /// What it drives.
    pub target: Target,
}

struct Totals {
    units: u64,
    seconds: f64,
    latencies_ms: Vec<f64>,
}

impl Totals {
    fn calls_per_second(&self) -> f64 {
        self.units as f64 * 2.0 / self.seconds
    }
}

async fn prepare(base: &str, authorization: Option<&str>, workload: &str) -> anyhow::Result<Arc<Workload>> {
    let mut setup = Client::connect_with(base, Endpoint::Mcp, authorization).await?;
    let define = serde_json::to_string(&json!({"spec": spec()}))?;
    setup.call("scenario_define", &define).await.context("define the load scenario")?;
    Ok(Arc::new(Workload::prepare(workload, &mut setup).await?))
}

/// Measures two variants in alternating rounds at every level of `options`.
pub async fn interleave(options: &Options, variants: &[Variant; 2], ratio_label: &str) -> anyhow::Result<()> {
    println!(
        "workload {}, {} rounds of {} s per level and variant, alternating",
        options.workload, options.rounds, options.seconds
    );
    println!(
        "{:<11} {:>8} {:>10} {:>10} {:>8} {:>8} {:>14}",
        "variant", "clients", "units", "calls/s", "p50 ms", "p99 ms", ratio_label
    );
    for &clients in &options.levels {
        for (index, variant) in variants.iter().enumerate() {
            run_level(&variant.target, clients, Duration::from_millis(500), &format!("warm-{index}-{clients}"), None)
                .await?;
        }
        let mut totals: Vec<Totals> =
            (0..2).map(|_| Totals { units: 0, seconds: 0.0, latencies_ms: Vec::new() }).collect();
        for round in 0..options.rounds {
            let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for index in order {
                let prefix = format!("r{round}-{index}-{clients}");
                let result =
                    run_level(&variants[index].target, clients, Duration::from_secs(options.seconds), &prefix, None)
                        .await?;
                let total = &mut totals[index];
                total.units += result.units;
                total.seconds += result.elapsed.as_secs_f64();
                total.latencies_ms.extend(result.latencies_ms);
            }
        }
        for total in &mut totals {
            total.latencies_ms.sort_by(f64::total_cmp);
        }
        let ratio = totals[1].calls_per_second() / totals[0].calls_per_second();
        let p99_ratio = percentile(&totals[1].latencies_ms, 0.99)
            / percentile(&totals[0].latencies_ms, 0.99).max(f64::MIN_POSITIVE);
        for (index, variant) in variants.iter().enumerate() {
            let total = &totals[index];
            let shown = if index == 1 { format!("{ratio:.3} (p99 {p99_ratio:.2})") } else { String::new() };
            println!(
                "{:<11} {:>8} {:>10} {:>10.0} {:>8.2} {:>8.2} {:>14}",
                variant.name,
                clients,
                total.units,
                total.calls_per_second(),
                percentile(&total.latencies_ms, 0.50),
                percentile(&total.latencies_ms, 0.99),
                shown
            );
        }
    }
    Ok(())
}

/// `/rpc` then `/mcp` on one server; prints `/mcp ÷ /rpc`; returns the prepared workload.
pub async fn endpoints(options: &Options, server: Option<&Server>, base: &str) -> anyhow::Result<Arc<Workload>> {
    let authorization = server.and_then(|server| server.authorization.clone());
    let workload = prepare(base, authorization.as_deref(), &options.workload).await?;
    let target = |endpoint| Target {
        base: base.to_owned(),
        endpoint,
        workload: workload.clone(),
        authorization: authorization.clone(),
    };
    let variants = [
        Variant { name: "/rpc", target: target(Endpoint::Rpc) },
        Variant { name: "/mcp", target: target(Endpoint::Mcp) },
    ];
    println!(
        "server: {base}  synchronous: {}",
        if server.is_some() { options.sync_mode.as_str() } else { "as configured" }
    );
    interleave(options, &variants, "/mcp ÷ /rpc").await?;
    Ok(workload)
}

/// Two builds of the open-core server side by side on one endpoint; prints after ÷ before.
pub async fn binaries(options: &Options, before: &std::path::Path) -> anyhow::Result<()> {
    let endpoint = match options.endpoint.as_str() {
        "mcp" => Endpoint::Mcp,
        "rpc" => Endpoint::Rpc,
        other => anyhow::bail!("--against measures one endpoint (mcp or rpc), not {other:?}"),
    };
    let after = match &options.binary {
        Some(binary) => binary.clone(),
        None => server::release_binary()?,
    };
    let servers = [
        server::start(before, &options.sync_mode, Kind::OpenCore, "")?,
        server::start(&after, &options.sync_mode, Kind::OpenCore, "")?,
    ];
    let mut variants = Vec::new();
    for (server, name) in servers.iter().zip(["before", "after"]) {
        let workload = prepare(&server.base, None, &options.workload).await?;
        variants.push(Variant {
            name,
            target: Target { base: server.base.clone(), endpoint, workload, authorization: None },
        });
    }
    let variants: [Variant; 2] = variants.try_into().map_err(|_| anyhow::anyhow!("two variants"))?;
    println!("{} {} vs {}", endpoint.path(), before.display(), after.display());
    interleave(options, &variants, "after ÷ before").await
}

/// The open core and the enterprise server side by side on `/mcp`; prints enterprise ÷ open.
pub async fn enterprise(options: &Options) -> anyhow::Result<()> {
    // Local callers get `trace` feedback by default, remote ones `summary`; the enterprise
    // server's callers are remote, so the open core's local caller gets the same level (the
    // same decision work and response size on both).
    let same_feedback = "[server.feedback.scenario_next]\nlocal_only_default = \"summary\"\n";
    let open_core = server::start(&server::release_binary()?, &options.sync_mode, Kind::OpenCore, same_feedback)?;
    let enterprise = server::start(&server::release_enterprise_binary()?, &options.sync_mode, Kind::Enterprise, "")?;
    let mut variants = Vec::new();
    for (server, name) in [(&open_core, "open core"), (&enterprise, "enterprise")] {
        let workload = prepare(&server.base, server.authorization.as_deref(), &options.workload).await?;
        let target = Target {
            base: server.base.clone(),
            endpoint: Endpoint::Mcp,
            workload,
            authorization: server.authorization.clone(),
        };
        variants.push(Variant { name, target });
    }
    let variants: [Variant; 2] = variants.try_into().map_err(|_| anyhow::anyhow!("two variants"))?;
    println!("/mcp, synchronous {}", options.sync_mode);
    interleave(options, &variants, "ent ÷ open").await?;
    for (server, name) in [(&open_core, "open core"), (&enterprise, "enterprise")] {
        if let Some(rss) = server::rss_kib(server.child.id()) {
            println!("{name} resident memory: {:.1} MiB", rss as f64 / 1024.0);
        }
    }
    Ok(())
}
