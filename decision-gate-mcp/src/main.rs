//! The `decision-gate` command.

fn main() -> std::process::ExitCode {
    decision_gate_mcp::cli::run()
}
