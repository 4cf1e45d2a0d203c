"""Drive the decision-gate MCP server with the official MCP Python SDK.

Usage:
    dg_client.py <binary> <workdir> <mode> [url]

Modes: stdio-initialize, stdio-discover (the SDK spawns `<binary> serve --config
<workdir>/decision-gate.toml` in <workdir>), http-initialize, http-discover (connect to <url>).

Optional environment: DG_SERVER_ARGS (a JSON array replacing the stdio server's arguments),
DG_SERVER_ENV (a JSON object of variables for the stdio server), DG_AUTHORIZATION (the
`Authorization` header of every HTTP request).

Runs tools/list, then scenario_define -> scenario_start -> scenario_next (x2) ->
scenario_status on the `ci-release-gate` example (its spec is `<workdir>/scenario.json`) and
prints one JSON summary on stdout. Any failure raises (non-zero exit); the Rust test asserts
the values of the summary.
"""

from __future__ import annotations

import json
import os
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

SCENARIO = "ci-release-gate"
RUN = "py-release-1"


def unix(value: int) -> dict[str, Any]:
    return {"kind": "unix_millis", "value": value}


async def call(session: ClientSession, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    if result.is_error:
        raise RuntimeError(f"{tool} failed: {result.structured_content!r}")
    text = result.content[0].text  # the canonical JSON of the same object
    if json.loads(text) != result.structured_content:
        raise RuntimeError(f"{tool}: text content differs from structuredContent")
    return result.structured_content


async def lifecycle(session: ClientSession, era: str, workdir: Path) -> dict[str, Any]:
    if era == "initialize":
        negotiated = (await session.initialize()).protocol_version
    else:
        await session.discover()
        negotiated = session.protocol_version
    tools = (await session.list_tools()).tools
    spec = json.loads((workdir / "scenario.json").read_text())
    defined = await call(session, "scenario_define", {"spec": spec})
    ids = {"tenant_id": 1, "namespace_id": 1, "run_id": RUN}
    started = await call(
        session,
        "scenario_start",
        {
            "scenario_id": SCENARIO,
            "run_config": {**ids, "scenario_id": SCENARIO, "dispatch_targets": [], "policy_tags": []},
            "started_at": unix(1_800_000_000_000),
            "issue_entry_packets": True,
        },
    )
    outcomes = []
    for trigger, time in (("t1", 1_800_000_000_001), ("t2", 1_800_000_000_002)):
        request = {**ids, "trigger_id": trigger, "agent_id": "py-agent", "time": unix(time)}
        result = await call(session, "scenario_next", {"scenario_id": SCENARIO, "request": request})
        outcomes.append(result["decision"]["outcome"]["kind"])
    status = await call(
        session,
        "scenario_status",
        {"scenario_id": SCENARIO, "request": {**ids, "requested_at": {"kind": "logical", "value": 0}}},
    )
    return {
        "sdk_version": version("mcp"),
        "protocol_version": negotiated,
        "tool_count": len(tools),
        "tools": [tool.name for tool in tools],
        "spec_hash": defined["spec_hash"]["value"],
        "start_stage": started["current_stage_id"],
        "outcomes": outcomes,
        "outcome": outcomes[-1],
        "status": status["status"],
        "last_decision_seq": status["last_decision"]["seq"],
    }


async def main() -> None:
    binary, workdir, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    transport, era = mode.split("-", 1)
    if era not in ("initialize", "discover"):
        raise SystemExit(f"unknown mode {mode}")
    if transport == "stdio":
        args = json.loads(os.environ.get("DG_SERVER_ARGS", "null")) or [
            "serve",
            "--config",
            str(workdir / "decision-gate.toml"),
        ]
        env = json.loads(os.environ.get("DG_SERVER_ENV", "null"))
        params = StdioServerParameters(command=binary, args=args, cwd=str(workdir), env=env)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            summary = await lifecycle(session, era, workdir)
    elif transport == "http":
        url = sys.argv[4]
        authorization = os.environ.get("DG_AUTHORIZATION")
        headers = {"Authorization": authorization} if authorization else {}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            streamable_http_client(url, http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            summary = await lifecycle(session, era, workdir)
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    anyio.run(main)
