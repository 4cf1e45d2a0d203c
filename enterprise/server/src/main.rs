// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The `decision-gate-enterprise` binary.

fn main() -> std::process::ExitCode {
    decision_gate_enterprise::cli::run()
}
