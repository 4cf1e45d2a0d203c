//! Harness for the black-box system tests: locate (or build) the `decision-gate` binary, run
//! it as a real process over stdio or HTTP, and talk to it through real MCP clients (rmcp) or
//! raw HTTP.

pub mod client;
pub mod raw;
pub mod server;
pub mod tls;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use client::{CallError, Era, McpClient};
pub use server::{HttpServer, TestDir};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// Every tool name in the canonical order of mcp-surface §7.2: the black-box suites' oracle,
/// written from the specification rather than taken from the server crate.
pub const TOOLS: [&str; 17] = [
    "scenario_define",
    "scenario_start",
    "scenario_status",
    "scenario_next",
    "scenario_submit",
    "scenario_trigger",
    "evidence_query",
    "runpack_export",
    "runpack_verify",
    "providers_list",
    "provider_contract_get",
    "provider_check_schema_get",
    "schemas_register",
    "schemas_list",
    "schemas_get",
    "scenarios_list",
    "precheck",
];

/// The `examples/` directory.
pub fn examples_dir() -> PathBuf {
    workspace_root().join("examples")
}

/// Path of the `decision-gate` binary: `DECISION_GATE_BIN`, else the workspace target
/// directory's debug build, brought up to date once per test process (a no-op when fresh, so
/// a stale binary is never tested).
pub fn binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Ok(path) = std::env::var("DECISION_GATE_BIN") {
                return PathBuf::from(path);
            }
            let target = std::env::var("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|_| workspace_root().join("target"));
            let path = target.join("debug").join("decision-gate");
            let status =
                cargo().args(["build", "-p", "decision-gate-mcp", "--bins"]).status().expect("cargo build runs");
            assert!(status.success(), "building decision-gate failed");
            path
        })
        .clone()
}

/// A `cargo` command (the one running this build, else `cargo` on the path) in the workspace root.
///
/// The variables cargo sets for the program it runs (`CARGO_MANIFEST_DIR`, `CARGO_PKG_*`, ...)
/// are removed: some build scripts (ring's) watch them, so a build started with them would see
/// changed inputs and rebuild those crates, and the next ordinary build would rebuild them back.
pub fn cargo() -> std::process::Command {
    let mut command = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(workspace_root());
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if is_cargo_run_variable(name) {
            command.env_remove(name);
        }
    }
    command
}

/// Whether `name` is one of the variables cargo sets for a program it runs (a binary, test or
/// benchmark), as opposed to configuration a user exports (`CARGO_HOME`, `CARGO_TARGET_DIR`, ...).
fn is_cargo_run_variable(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || matches!(
            name,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
                | "CARGO_RUSTC_CURRENT_DIR"
                | "OUT_DIR"
        )
}

/// Installs the rustls crypto provider used by HTTPS clients in tests.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Reads an example's scenario spec.
pub fn example_spec(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(examples_dir().join(name).join("scenario.json")).expect("example exists");
    serde_json::from_str(&text).expect("example parses")
}
