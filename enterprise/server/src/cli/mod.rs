// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! `decision-gate-enterprise`: `serve` (stdio, HTTP, HTTPS with client certificates) and the
//! operator's `admin` commands, which act directly on the data directory's control store.

mod admin;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use decision_gate_mcp::cli::{ServeOptions, serve_with};
use decision_gate_mcp::config::{apply_http_override, validate_config};

use crate::compose::{open_audit, open_control, overrides, register_client_cas};
use crate::settings;

/// The name on every start-up line.
pub const BANNER: &str = "decision-gate-enterprise";

/// Decision Gate Enterprise: one Decision Gate server shared by many tenants, each with its
/// own API keys, roles, scenarios, runs, schemas and runpacks.
#[derive(Debug, Parser)]
#[command(
    name = "decision-gate-enterprise",
    version,
    about = "Decision Gate for many tenants: API keys and roles per tenant, MCP authorization, an admin API.",
    long_about = None,
    after_help = "Start with `decision-gate-enterprise serve --http 127.0.0.1:8080`: with no configuration the server keeps everything in ./.decision-gate-enterprise (or --data-dir DIR) and prints an owner API key on its first start.",
    arg_required_else_help = true
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = decision_gate_mcp::telemetry::LogFormat::Text)]
    pub log_format: decision_gate_mcp::telemetry::LogFormat,
    /// Command.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the configuration and data live (shared by every command).
#[derive(Debug, Clone, clap::Args)]
pub struct Location {
    /// Configuration file (default: $DECISION_GATE_ENTERPRISE_CONFIG, else
    /// ./decision-gate-enterprise.toml, else zero configuration).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Directory of the SQLite file, runpacks, evidence and the audit log (default:
    /// $DECISION_GATE_ENTERPRISE_HOME, else ./.decision-gate-enterprise).
    #[arg(long, value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (stdio by default, authenticated by $DECISION_GATE_API_KEY; `--http ADDR`
    /// for HTTP).
    Serve {
        /// Where.
        #[command(flatten)]
        location: Location,
        /// Serve HTTP on this address (e.g. 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        http: Option<String>,
        /// Allow binding a non-loopback address.
        #[arg(long)]
        allow_non_loopback: bool,
    },
    /// Administer organisations, tenants, namespaces, principals, roles, keys and allowlists
    /// directly in the data directory (as the operator; every action is audited).
    Admin {
        /// Where.
        #[command(flatten)]
        location: Location,
        /// What.
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
}

/// Parses arguments and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    decision_gate_mcp::telemetry::init_logging(cli.log_format);
    let result = match cli.command {
        Command::Serve { location, http, allow_non_loopback } => serve(location, http, allow_non_loopback),
        Command::Admin { location, command } => admin::run(location, command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{BANNER}: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn serve(location: Location, http: Option<String>, allow_non_loopback: bool) -> anyhow::Result<ExitCode> {
    let mut config = settings::load(location.config.as_deref(), location.data_dir.as_deref())?;
    if let Some(bind) = &http {
        apply_http_override(&mut config.loaded.config, bind);
        validate_config(&config.loaded.config)?;
    }
    let audit = open_audit(&config.loaded.config)?;
    let store = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?
        .block_on(async {
            let store = open_control(&config, &audit, BANNER).await?;
            register_client_cas(&config, &store, &audit).await?;
            anyhow::Ok(store)
        })?;
    let options = ServeOptions {
        allow_non_loopback,
        composed_auth: Some(
            "API keys (Authorization: Bearer dgk_<key_id>_<secret>) and client certificates mapped to principals; stdio: $DECISION_GATE_API_KEY"
                .to_owned(),
        ),
        banner: Some(BANNER),
        ..ServeOptions::default()
    };
    let loaded = config.loaded.clone();
    serve_with(options, Some(loaded), move |_, _| {
        if config.loaded.config.server.bind.is_some() {
            eprintln!("{BANNER}: INFO admin API under /admin/v1/ (OpenAPI document at /admin/v1/openapi.json)");
        }
        Ok(overrides(&config, store, audit))
    })?;
    Ok(ExitCode::SUCCESS)
}
