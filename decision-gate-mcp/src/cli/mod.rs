//! The `decision-gate` command line.

mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use serve::{ServeOptions, exposure_check, serve};

/// Decision Gate: gate agent work on recorded evidence.
#[derive(Debug, Parser)]
#[command(name = "decision-gate", version, about, arg_required_else_help = true)]
pub struct Cli {
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
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the configuration, then print `ok`.
    Validate {
        /// Configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

/// Parses arguments and runs the command; errors go to stderr with a failure exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init_logging();
    let result = match cli.command {
        Command::Serve(args) => {
            serve(ServeOptions { config: args.config, http: args.http, allow_non_loopback: args.allow_non_loopback })
        }
        Command::Config(ConfigCommand::Validate { config }) => {
            crate::config::load_config(config.as_deref()).map(|_| println!("ok")).map_err(anyhow::Error::from)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("decision-gate: {error:#}");
            ExitCode::FAILURE
        }
    }
}
