//! The `decision-gate` command line.
//!
//! Besides `serve` and `config validate`, every command works offline on local files: runpack
//! export and verification, provider discovery from the configuration, SQLite store
//! administration and scenario authoring checks. Command output goes to stdout, diagnostics
//! and progress to stderr.

mod common;
pub mod local_reader;
pub mod provider;
mod ron_json;
pub mod runpack;
pub mod runpack_export;
pub mod runpack_verify;
pub mod scenario;
mod serve;
pub mod source;
pub mod store;

#[cfg(test)]
mod tests;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use common::{MAX_INPUT_BYTES, MAX_STATE_BYTES, read_capped};
pub use serve::{ServeOptions, effective_setup, exposure_check, exposure_check_with, serve, serve_with};

use provider::ProviderCommand;
use runpack::RunpackCommand;
use scenario::ScenarioCommand;
use store::StoreCommand;

/// Decision Gate: an MCP server that lets AI agents (and CI systems, and people) proceed only
/// when recorded evidence says so. Define a scenario of stages whose gates check evidence
/// (files, environment, HTTP endpoints, time, other MCP servers); every request to proceed gets
/// a recorded decision, and whole runs export as runpacks anyone can verify offline.
#[derive(Debug, Parser)]
#[command(
    name = "decision-gate",
    version,
    about = "Gate AI-agent work on recorded evidence: an MCP server that records an auditable decision for every request to proceed.",
    long_about = None,
    after_help = "Start with `decision-gate serve` (stdio, for desktop MCP clients) or `decision-gate serve --http 127.0.0.1:8080`. With no configuration file the server keeps everything in ./.decision-gate (or --data-dir DIR).",
    arg_required_else_help = true
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = crate::telemetry::LogFormat::Text)]
    pub log_format: crate::telemetry::LogFormat,
    /// Command.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the MCP server (stdio by default; `--http ADDR` for HTTP).
    Serve(ServeArgs),
    /// Configuration commands.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Export and verify runpacks offline.
    #[command(subcommand)]
    Runpack(RunpackCommand),
    /// Provider discovery from the configuration (offline).
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// Direct administration of a SQLite run-state store.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Scenario authoring: validate and normalise JSON or RON scenario files.
    #[command(subcommand, alias = "authoring")]
    Scenario(ScenarioCommand),
}

/// How a command that ran to completion ended. Exit codes: 0 success, 1 the checked thing
/// failed (a failing verification, a lint diagnostic), 2 the command could not do its work
/// (unreadable input, bad usage, an operational error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Outcome {
    /// Exit code 0.
    Success,
    /// Exit code 1 without an error message: the command's own output explains the failure
    /// (a failing verification report, a lint diagnostic).
    Failure,
}

/// `serve` arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Configuration file (default: $DECISION_GATE_CONFIG, else ./decision-gate.toml, else zero-config).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Serve HTTP on this address instead of the configured transport (e.g. 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// Allow binding a non-loopback address.
    #[arg(long)]
    pub allow_non_loopback: bool,
    /// Directory for the SQLite file, runpacks, the evidence root and the audit log (default:
    /// $DECISION_GATE_HOME, else ./.decision-gate).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the configuration, then print the effective set-up.
    Validate {
        /// Configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Data directory the configuration is layered on.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
}

/// Parses arguments and runs the command; errors go to stderr with a failure exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init_logging(cli.log_format);
    let result = match cli.command {
        Command::Serve(args) => serve(ServeOptions {
            config: args.config,
            http: args.http,
            allow_non_loopback: args.allow_non_loopback,
            data_dir: args.data_dir,
            ..ServeOptions::default()
        })
        .map(|()| Outcome::Success),
        command => {
            let mut out = std::io::stdout().lock();
            let mut err = std::io::stderr().lock();
            let result = execute(command, &mut out, &mut err);
            match out.flush() {
                Ok(()) => result,
                Err(error) => result.and(Err(anyhow::Error::new(error).context("cannot write output"))),
            }
        }
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failure) => ExitCode::from(1),
        Err(error) => {
            eprintln!("decision-gate: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs one offline command, writing its output to `out` and progress or diagnostics to `err`.
/// `serve` is refused here (it owns the process's standard streams).
pub fn execute(command: Command, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    match command {
        Command::Serve(_) => anyhow::bail!("serve cannot run through execute"),
        Command::Config(ConfigCommand::Validate { config, data_dir }) => {
            let data_dir = crate::config::resolve_data_dir(data_dir.as_deref())?;
            let loaded = crate::config::load_config_in(config.as_deref(), &data_dir)?;
            serve::refuse_enterprise_settings(&loaded)?;
            writeln!(out, "ok")?;
            for line in effective_setup(&loaded) {
                writeln!(out, "  {line}")?;
            }
            Ok(Outcome::Success)
        }
        Command::Runpack(command) => runpack::run_runpack(command, out, err),
        Command::Provider(command) => provider::run_provider(command, out),
        Command::Store(command) => store::run_store(command, out),
        Command::Scenario(command) => scenario::run_scenario(command, out, err),
    }
}
