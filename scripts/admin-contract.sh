#!/usr/bin/env bash
# The admin API's contract check: schemathesis (pinned in system-tests/python/contract.txt)
# generates requests from /admin/v1/openapi.json of a freshly started zero-config enterprise
# server with its owner key, with every check, the stateful phase included, a fixed seed and a
# bounded number of examples per operation; any failure fails the run. Only loopback traffic.
#
# Usage: scripts/admin-contract.sh ENTERPRISE_BINARY PYTHON_VENV [SEED]
set -euo pipefail
binary="$1"
venv="$2"
seed="${3:-1}"
dir="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
"$binary" serve --http 127.0.0.1:0 --data-dir "$dir/data" >"$dir/stdout" 2>"$dir/stderr" &
server=$!
for _ in $(seq 1 100); do
    if grep -q 'listening on' "$dir/stderr" 2>/dev/null && grep -q 'owner API key' "$dir/stderr"; then break; fi
    sleep 0.1
done
key="$(grep -o 'dgk_[0-9a-f]*_[0-9a-f]*' "$dir/stderr" | head -1)"
base="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$dir/stderr" | head -1)"
if [ -z "$key" ] || [ -z "$base" ]; then
    echo "the enterprise server did not start:" >&2
    cat "$dir/stderr" >&2
    exit 1
fi
# An identifier the generated requests cannot guess: a key to rotate and revoke.
issued="$(curl -sf -X POST "$base/admin/v1/tenants/1/keys" -H "Authorization: Bearer $key" \
    -H 'content-type: application/json' -d '{"name": "contract", "roles": ["agent"]}')"
key_id="$(printf '%s' "$issued" | grep -o '"key_id":"[0-9a-f]*"' | head -1 | cut -d'"' -f4)"
cat >"$dir/schemathesis.toml" <<TOML
[[operations]]
include-operation-id = "rotateKey"
parameters = { tenant_id = "1", key_id = "$key_id" }

[[operations]]
include-operation-id = "revokeKey"
parameters = { tenant_id = "1", key_id = "$key_id" }
TOML
cd "$dir"
"$venv/bin/st" run "$base/admin/v1/openapi.json" --checks all --max-examples 30 --seed "$seed" \
    --request-timeout 10 -H "Authorization: Bearer $key"
