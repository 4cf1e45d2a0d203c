//! Decision Gate MCP server.
//!
//! Hosts the deterministic engine of `decision-gate-core` behind real MCP transports (stdio,
//! Streamable HTTP at `/mcp`, HTTPS with client certificates) and the Decision Gate OSS
//! compatibility endpoint `POST /rpc`. Every tool call runs one pipeline of seams
//! (authentication, tenant resolution, usage metering, audit) before it reaches the engine.

pub mod auth;
pub mod cli;
pub mod config;
pub mod engines;
pub mod errors;
pub mod pipeline;
pub mod providers;
pub mod state;
pub mod stores;
pub mod telemetry;
pub mod tools;
pub mod transport;
