#!/usr/bin/env bash
# Where the server's CPU goes under the load generator's headline workload: samples the
# release server with `perf` (DWARF call graphs) while the load generator runs, then prints
# the share of samples per layer and the inclusive share of a few hot functions.
#
# Usage: scripts/profile-server.sh [mcp|rpc] [clients]     (defaults: mcp 4)
# Needs `perf` (Debian: linux-perf). Samples `cpu-clock`, so it works where hardware counters
# are not exposed.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/decision-gate/target}"
endpoint="${1:-mcp}"
clients="${2:-4}"

cargo build --quiet --release --locked -p system-tests -p decision-gate-mcp --bin loadgen --bin decision-gate
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$CARGO_TARGET_DIR/release/loadgen" --levels "$clients" --seconds 12 --endpoint "$endpoint" >"$work/load.txt" 2>&1 &
load=$!
sleep 4
server=$(pgrep -n -f 'decision-gate serve')
# utime + stime of the server, in clock ticks, around the sampled interval.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
ticks_before=$(cpu_ticks)
started=$(date +%s.%N)
perf record -q -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$server" -o "$work/perf.data" -- sleep 5 2>/dev/null
ticks_after=$(cpu_ticks)
ended=$(date +%s.%N)
wait "$load"
tail -n 3 "$work/load.txt"
awk -v t="$((ticks_after - ticks_before))" -v hz="$(getconf CLK_TCK)" -v s="$started" -v e="$ended" \
    'BEGIN { printf "server CPU while sampled: %.2f cores\n", t / hz / (e - s) }'
perf script -i "$work/perf.data" 2>/dev/null >"$work/perf.txt"

python3 - "$work/perf.txt" <<'PY'
import sys
samples = [block for block in open(sys.argv[1]).read().split("\n\n") if block.strip()]
stacks = ["\n".join(line.strip() for line in block.strip().split("\n")[1:]) for block in samples]
total = len(stacks)

def layer(stack):
    if "BlockingTask" in stack:
        return "tool work on the blocking pool (engine, SQLite, providers)"
    if "ToolRouter" in stack:
        return "tool router and pipeline seams (async part)"
    if "mcp_lean" in stack:
        return "/mcp lean path (decode, result shaping, serialisation)"
    if "rmcp::" in stack:
        return "rmcp Streamable HTTP service"
    if "hyper::" in stack:
        return "HTTP: hyper, axum, admission, /rpc dialect"
    return "other (runtime, kernel)"

shares = {}
for stack in stacks:
    name = layer(stack)
    shares[name] = shares.get(name, 0) + 1
print(f"\n{total} samples; share of samples by layer:")
for name, count in sorted(shares.items(), key=lambda item: -item[1]):
    print(f"  {count * 100 / total:5.1f} %  {name}")

hot = [
    ("sqlite3_step", "SQLite statements"),
    ("sqlite3Reprepare", "SQLite re-preparing statements"),
    ("fsync", "fsync"),
    ("load_latest", "run-state load (query, hash check, parse)"),
    ("RunWrite::prepare", "run-state canonical bytes and hash"),
    ("Writer::lead", "group-commit batches"),
    ("JsonlFileAudit", "audit JSONL sink"),
    ("serde_json::de::", "JSON parsing"),
    ("serde_json::ser::", "JSON serialisation"),
    ("malloc", "malloc"),
    ("free", "free"),
    ("futex", "futex (thread hand-offs)"),
]
print("\ninclusive share of samples:")
for key, label in hot:
    count = sum(1 for stack in stacks if key in stack)
    print(f"  {count * 100 / total:5.1f} %  {label}")
PY
