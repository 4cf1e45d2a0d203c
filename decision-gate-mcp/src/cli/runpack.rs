//! `decision-gate runpack …` (runpacks-and-stores §9).

use std::io::Write;

use clap::Subcommand;

use super::Outcome;
use super::runpack_export::{ExportArgs, export};
use super::runpack_verify::{VerifyArgs, verify};

/// `runpack` subcommands.
#[derive(Debug, Subcommand)]
pub enum RunpackCommand {
    /// Export a run to a new runpack directory (v2 manifest written last); prints the root hash.
    Export(ExportArgs),
    /// Verify a runpack; exit code 0 when it passes, 1 when it fails.
    Verify(VerifyArgs),
}

/// Runs a `runpack` subcommand.
pub fn run_runpack(command: RunpackCommand, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    match command {
        RunpackCommand::Export(args) => export(&args, out, err),
        RunpackCommand::Verify(args) => verify(&args, out),
    }
}
