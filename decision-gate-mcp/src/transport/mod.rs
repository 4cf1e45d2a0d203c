//! Transports: stdio, Streamable HTTP at `/mcp`, the `/rpc` compatibility endpoint, TLS,
//! limits and correlation ids.

pub mod admission;
pub mod correlation;
pub mod host_check;
pub mod http;
pub mod http_guard;
pub mod limits;
pub mod mcp;
pub mod mcp_lean;
pub mod resource_metadata;
pub mod response_facts;
pub mod rpc;
pub mod sessions;
pub mod stdio;
pub mod tls;

use std::net::IpAddr;

use crate::auth::{Principal, TransportLabel};
use serde_json::Value;

use crate::pipeline::{CallContext, IDEMPOTENCY_META_KEY, ScopeChallenge, sanitize_idempotency_key};

/// The client idempotency key of a request's `_meta` object, when present and usable.
pub fn meta_idempotency_key(meta: Option<&serde_json::Map<String, Value>>) -> Option<String> {
    meta?.get(IDEMPOTENCY_META_KEY)?.as_str().and_then(|key| sanitize_idempotency_key(key.as_bytes()))
}

/// What a transport learned about a request before handing it to the MCP handler or the
/// `/rpc` dialect: who is calling and how to correlate it.
#[derive(Clone, Debug)]
pub struct TransportContext {
    /// Transport.
    pub transport: TransportLabel,
    /// `/mcp`, `/rpc`, or `None` for stdio.
    pub endpoint: Option<&'static str>,
    /// TCP peer IP.
    pub peer_ip: Option<IpAddr>,
    /// Client IP after the trusted-proxy rule.
    pub client_ip: Option<IpAddr>,
    /// Authenticated caller.
    pub principal: Principal,
    /// Server correlation id.
    pub server_correlation_id: String,
    /// Validated client correlation id.
    pub client_correlation_id: Option<String>,
    /// The `Idempotency-Key` header, when usable.
    pub idempotency_key: Option<String>,
    /// Scopes a denied call of this request needed (read back for the 403 challenge).
    pub scope_challenge: ScopeChallenge,
}

impl TransportContext {
    /// The tool-call context for one JSON-RPC request; `meta_key` is an idempotency key from
    /// the request's `_meta` (the header wins when both are present).
    pub fn call_context(&self, request_id: Option<String>, meta_key: Option<String>) -> CallContext {
        CallContext {
            transport: self.transport,
            endpoint: self.endpoint,
            peer_ip: self.peer_ip,
            client_ip: self.client_ip,
            principal: self.principal.clone(),
            request_id,
            client_correlation_id: self.client_correlation_id.clone(),
            server_correlation_id: self.server_correlation_id.clone(),
            idempotency_key: self.idempotency_key.clone().or(meta_key),
            scope_challenge: self.scope_challenge.clone(),
        }
    }
}
