//! Decision Gate MCP server.
//!
//! Hosts the deterministic engine of `decision-gate-core` behind real MCP transports (stdio,
//! Streamable HTTP at `/mcp`, HTTPS with client certificates) and the Decision Gate OSS
//! compatibility endpoint `POST /rpc`. Every tool call runs one pipeline of seams
//! (authentication, tenant resolution, usage metering, audit) before it reaches the engine.

pub mod config;
pub mod errors;
pub mod providers;
pub mod stores;
pub mod tools;
