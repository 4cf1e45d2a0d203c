//! **Test double**: the stub external evidence provider used by Decision Gate's tests (see
//! `decision_gate_mcp::providers::external::stub`). Not part of the server.

fn main() -> std::process::ExitCode {
    decision_gate_mcp::providers::external::stub::main()
}
