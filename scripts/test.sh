#!/usr/bin/env bash
# The one test command: formatting, lints with warnings denied, unit and integration tests, and
# the black-box system suites that drive the built server binary through real MCP clients.
#
# Works on a fresh machine with the Rust toolchain and Python 3 (for the official MCP Python SDK
# used by the interoperability suite). Build output and the Python environment live in a cache
# directory outside the clone so repeated runs reuse them; override with DG_CACHE_DIR or
# CARGO_TARGET_DIR.
set -euo pipefail

cd "$(dirname "$0")/.."
cache="${DG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/decision-gate}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$CARGO_TARGET_DIR"

step() { printf '\n==> %s (%ss elapsed)\n' "$*" "$SECONDS"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings denied, all features)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "Python MCP SDK for the interoperability suite"
venv="$cache/venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r system-tests/python/requirements.txt
export DG_PYTHON="$venv/bin/python"

step "build the server binaries"
cargo build --workspace --bins --locked
export DECISION_GATE_BIN="$CARGO_TARGET_DIR/debug/decision-gate"
export DECISION_GATE_ENTERPRISE_BIN="$CARGO_TARGET_DIR/debug/decision-gate-enterprise"

step "cargo test (unit, integration, system and enterprise system suites)"
cargo test --workspace --all-features --locked

step "admin API contract (schemathesis against /admin/v1/openapi.json)"
contract_venv="$cache/contract-venv"
if [ ! -x "$contract_venv/bin/python" ]; then
    python3 -m venv "$contract_venv"
fi
"$contract_venv/bin/python" -m pip install --quiet --disable-pip-version-check -r system-tests/python/contract.txt
scripts/admin-contract.sh "$DECISION_GATE_ENTERPRISE_BIN" "$contract_venv" 1

step "all checks passed"
