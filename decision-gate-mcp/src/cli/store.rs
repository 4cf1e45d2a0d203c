//! `decision-gate store …`: direct administration of a SQLite run-state store
//! (runpacks-and-stores §11.4, §11.5).
//!
//! The store is named by `--store-path` or by a configuration whose `[run_state_store]` is
//! SQLite. The file must exist (these commands never create a store). Output is canonical JSON
//! unless a text format is asked for.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use decision_gate_core::hashing::{HashDigest, hash_canonical, to_canonical_vec};
use decision_gate_core::ids::{NamespaceId, RunId, TenantId};
use serde::Serialize;
use serde_json::json;

use super::Outcome;
use super::common::print_canonical;
use crate::config::{StoreType, load_config};
use crate::stores::SqliteStore;
use crate::stores::sqlite::{SqliteStoreOptions, StoredRunVersion};

/// Where the store is: exactly one of `--config` and `--store-path`.
#[derive(Clone, Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct StoreLocation {
    /// Configuration file whose `[run_state_store]` is SQLite.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// SQLite database file.
    #[arg(long)]
    pub store_path: Option<PathBuf>,
}

/// Identifies one run.
#[derive(Clone, Debug, clap::Args)]
pub struct RunSelector {
    /// Tenant id (non-zero).
    #[arg(long, value_parser = parse_tenant)]
    pub tenant_id: TenantId,
    /// Namespace id (non-zero).
    #[arg(long, value_parser = parse_namespace)]
    pub namespace_id: NamespaceId,
    /// Run id.
    #[arg(long)]
    pub run_id: String,
}

/// Output format of `store list` and `store verify`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreFormat {
    /// Canonical JSON.
    #[default]
    Json,
    /// Tab-separated text.
    Text,
}

/// `store` subcommands.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// List runs (newest save first), optionally filtered by tenant and namespace.
    List {
        /// Store location.
        #[command(flatten)]
        location: StoreLocation,
        /// Only this tenant.
        #[arg(long, value_parser = parse_tenant)]
        tenant_id: Option<TenantId>,
        /// Only this namespace.
        #[arg(long, value_parser = parse_namespace)]
        namespace_id: Option<NamespaceId>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = StoreFormat::Json)]
        format: StoreFormat,
    },
    /// Print a run state (latest or `--version`) as canonical JSON.
    Get {
        /// Store location.
        #[command(flatten)]
        location: StoreLocation,
        /// The run.
        #[command(flatten)]
        run: RunSelector,
        /// Store version (default: latest).
        #[arg(long)]
        version: Option<u64>,
    },
    /// Write a run state as canonical JSON to a new file; prints its SHA-256.
    Export {
        /// Store location.
        #[command(flatten)]
        location: StoreLocation,
        /// The run.
        #[command(flatten)]
        run: RunSelector,
        /// Store version (default: latest).
        #[arg(long)]
        version: Option<u64>,
        /// Output file (must not exist).
        #[arg(long)]
        output: PathBuf,
    },
    /// Re-hash a stored version; exit code 1 when its stored bytes are not canonical.
    Verify {
        /// Store location.
        #[command(flatten)]
        location: StoreLocation,
        /// The run.
        #[command(flatten)]
        run: RunSelector,
        /// Store version (default: latest).
        #[arg(long)]
        version: Option<u64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = StoreFormat::Json)]
        format: StoreFormat,
    },
    /// Keep the N highest versions of a run and delete the rest.
    Prune {
        /// Store location.
        #[command(flatten)]
        location: StoreLocation,
        /// The run.
        #[command(flatten)]
        run: RunSelector,
        /// Versions to keep (at least 1).
        #[arg(long)]
        keep: u64,
        /// Only report how many versions would be deleted.
        #[arg(long)]
        dry_run: bool,
    },
}

fn parse_tenant(text: &str) -> Result<TenantId, String> {
    text.parse()
}

fn parse_namespace(text: &str) -> Result<NamespaceId, String> {
    text.parse()
}

/// Opens an existing SQLite store named by `--store-path` or the configuration.
pub fn open_store(location: &StoreLocation) -> anyhow::Result<SqliteStore> {
    let options = match (&location.store_path, &location.config) {
        (Some(path), _) => SqliteStoreOptions::new(path),
        (None, Some(config_path)) => {
            let config = load_config(Some(config_path))?.config;
            if config.run_state_store.store_type != StoreType::Sqlite {
                bail!("store commands need a SQLite store: [run_state_store] type is not \"sqlite\"");
            }
            SqliteStoreOptions::from_store_config(&config.run_state_store)?
        }
        (None, None) => bail!("--config or --store-path is required"),
    };
    if !options.path.is_file() {
        bail!("store file not found: {}", options.path.display());
    }
    let path = options.path.clone();
    SqliteStore::open(options).map_err(|error| anyhow!("cannot open store {}: {error}", path.display()))
}

/// Runs a `store` subcommand.
pub fn run_store(command: StoreCommand, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    match command {
        StoreCommand::List { location, tenant_id, namespace_id, format } => {
            list(&open_store(&location)?, tenant_id, namespace_id, format, out)
        }
        StoreCommand::Get { location, run, version } => get(&open_store(&location)?, &run, version, out),
        StoreCommand::Export { location, run, version, output } => {
            export(&open_store(&location)?, &run, version, &output, out)
        }
        StoreCommand::Verify { location, run, version, format } => {
            verify(&open_store(&location)?, &run, version, format, out)
        }
        StoreCommand::Prune { location, run, keep, dry_run } => {
            prune(&open_store(&location)?, &run, keep, dry_run, out)
        }
    }
}

/// `store list`: `{"runs":[{tenant_id, namespace_id, run_id, latest_version, saved_at}]}`.
pub fn list(
    store: &SqliteStore,
    tenant: Option<TenantId>,
    namespace: Option<NamespaceId>,
    format: StoreFormat,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let runs = store.list_runs_admin(tenant, namespace)?;
    match format {
        StoreFormat::Json => print_canonical(out, &json!({"runs": runs}))?,
        StoreFormat::Text => {
            for run in &runs {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    run.tenant_id, run.namespace_id, run.run_id, run.latest_version, run.saved_at
                )
                .context("cannot write output")?;
            }
        }
    }
    Ok(Outcome::Success)
}

fn load(store: &SqliteStore, run: &RunSelector, version: Option<u64>) -> anyhow::Result<StoredRunVersion> {
    let run_id = RunId::new(run.run_id.as_str());
    let loaded = match version {
        Some(version) => store.load_version(run.tenant_id, run.namespace_id, &run_id, version)?,
        None => store.load_latest(run.tenant_id, run.namespace_id, &run_id)?,
    };
    loaded.ok_or_else(|| match version {
        Some(version) => anyhow!("run {} has no version {version}", run.run_id),
        None => anyhow!("run not found: {}", run.run_id),
    })
}

/// `store get`: the run state as canonical JSON.
pub fn get(
    store: &SqliteStore,
    run: &RunSelector,
    version: Option<u64>,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    print_canonical(out, &load(store, run, version)?.state)?;
    Ok(Outcome::Success)
}

/// `store export`: writes the run state's canonical JSON (no trailing newline) to a new file
/// and prints its SHA-256 (lowercase hex).
pub fn export(
    store: &SqliteStore,
    run: &RunSelector,
    version: Option<u64>,
    output: &std::path::Path,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let stored = load(store, run, version)?;
    let bytes = to_canonical_vec(&stored.state).map_err(|error| anyhow!("cannot serialise run state: {error}"))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(output)
        .with_context(|| format!("cannot create {}", output.display()))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", output.display()))?;
    writeln!(out, "{}", HashDigest::sha256(&bytes).value).context("cannot write output")?;
    Ok(Outcome::Success)
}

/// The report of `store verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoreVerifyReport {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Run id.
    pub run_id: RunId,
    /// Store version checked.
    pub version: u64,
    /// `pass` when the stored hash equals the hash of the re-canonicalised state.
    pub status: &'static str,
    /// Hash stored with the version (verified against the stored bytes on load).
    pub stored_hash: HashDigest,
    /// SHA-256 of the canonical JSON of the parsed state.
    pub computed_hash: HashDigest,
    /// Length of the stored bytes.
    pub state_bytes: u64,
    /// Wall-clock milliseconds when the version was saved.
    pub saved_at: i64,
}

/// `store verify`: reloads a version and compares its stored hash with the hash of the
/// re-canonicalised state; `Failure` on a mismatch.
pub fn verify(
    store: &SqliteStore,
    run: &RunSelector,
    version: Option<u64>,
    format: StoreFormat,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let stored = load(store, run, version)?;
    let computed = hash_canonical(&stored.state).map_err(|error| anyhow!("cannot hash run state: {error}"))?;
    let pass = computed == stored.state_hash;
    let report = StoreVerifyReport {
        tenant_id: run.tenant_id,
        namespace_id: run.namespace_id,
        run_id: RunId::new(run.run_id.as_str()),
        version: stored.version,
        status: if pass { "pass" } else { "fail" },
        stored_hash: stored.state_hash,
        computed_hash: computed,
        state_bytes: stored.state_bytes,
        saved_at: stored.saved_at,
    };
    match format {
        StoreFormat::Json => print_canonical(out, &report)?,
        StoreFormat::Text => writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\tstored={}\tcomputed={}",
            report.status,
            report.tenant_id,
            report.namespace_id,
            report.run_id,
            report.version,
            report.stored_hash.value,
            report.computed_hash.value
        )
        .context("cannot write output")?,
    }
    Ok(if pass { Outcome::Success } else { Outcome::Failure })
}

/// `store prune`: keeps the `keep` highest versions; prints
/// `{tenant_id, namespace_id, run_id, keep, dry_run, pruned}` (`pruned` = versions deleted, or
/// that would be deleted with `--dry-run`).
pub fn prune(
    store: &SqliteStore,
    run: &RunSelector,
    keep: u64,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    if keep == 0 {
        bail!("--keep must be at least 1");
    }
    let run_id = RunId::new(run.run_id.as_str());
    let versions = store.list_run_versions(run.tenant_id, run.namespace_id, &run_id)?;
    if versions.is_empty() {
        bail!("run not found: {}", run.run_id);
    }
    let pruned = if dry_run {
        (versions.len() as u64).saturating_sub(keep)
    } else {
        store.prune_versions(run.tenant_id, run.namespace_id, &run_id, keep)?
    };
    print_canonical(
        out,
        &json!({
            "tenant_id": run.tenant_id,
            "namespace_id": run.namespace_id,
            "run_id": run_id,
            "keep": keep,
            "dry_run": dry_run,
            "pruned": pruned,
        }),
    )?;
    Ok(Outcome::Success)
}
