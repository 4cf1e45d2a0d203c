#!/usr/bin/env bash
# Core benchmarks with the figures Docs/PERFORMANCE.md records:
#  - criterion: tree evaluation, scenario_next, canonical hashing, runpack build + verify;
#  - sha256sum over the very bytes of the 1,000-trigger runpack, to compare the verifier with it.
# Usage: scripts/bench-core.sh [criterion filter]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/decision-gate/target}"

cargo bench -p decision-gate-core --bench core_benches -- --warm-up-time 2 --measurement-time 6 "$@"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run --quiet --release -p decision-gate-core --example runpack_fixture -- "$work/runpack"
find "$work/runpack" -type f | sort | xargs cat > "$work/runpack.bin"
# Repeat the bytes so process start-up does not dominate the sha256sum timing.
for _ in $(seq 100); do cat "$work/runpack.bin"; done > "$work/repeated.bin"

python3 - "$CARGO_TARGET_DIR" "$work" <<'PY'
import json, os, subprocess, sys, time
target, work = sys.argv[1], sys.argv[2]
repeated = os.path.join(work, "repeated.bin")
size = os.path.getsize(repeated)
best = min(
    (lambda s: (subprocess.run(["sha256sum", repeated], check=True, capture_output=True), time.perf_counter() - s)[1])(time.perf_counter())
    for _ in range(5)
)
sha_mb = size / best / 1e6
est = json.load(open(os.path.join(target, "criterion/runpack_1000_triggers/verify/new/estimates.json")))
bench = json.load(open(os.path.join(target, "criterion/runpack_1000_triggers/verify/new/benchmark.json")))
runpack_bytes = bench["throughput"]["Bytes"]
verify_mb = runpack_bytes / (est["mean"]["point_estimate"] / 1e9) / 1e6
print(f"runpack bytes: {runpack_bytes}")
print(f"sha256sum: {sha_mb:.0f} MB/s (best of 5 over {size} bytes)")
print(f"verify:    {verify_mb:.0f} MB/s (criterion mean)")
print(f"verify / sha256sum: {verify_mb / sha_mb * 100:.0f}%")
PY
