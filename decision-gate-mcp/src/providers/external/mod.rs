//! External MCP evidence providers (`type = "mcp"`, mcp-surface §10.3).
//!
//! [`build_external`] turns one `[[providers]]` entry into a [`ProviderBackend`]:
//! - a non-empty `command` is a **stdio** provider: one child process, spawned at startup,
//!   supervised and restarted with back-off, calls serialised (`stdio` module);
//!   `framing = "newline"` speaks MCP through rmcp's client, `framing = "content_length"` the
//!   Decision Gate OSS-era dialect (`Content-Length` frames, no handshake; hand-written in
//!   `oss`, because rmcp cannot speak that framing);
//! - otherwise `url` is a **Streamable HTTP** provider on rmcp's client transport (`http`).
//!
//! Both speak MCP the same way (`mcp_client`): handshake by `server/discover`, falling back to
//! `initialize`, falling back to no handshake for a provider that answers `initialize` with
//! -32601; then `tools/call` of the `evidence_query` tool with
//! `{"query": <EvidenceQuery>, "context": <EvidenceContext>}`, parsed by `parse`.
//! The one deviation from the spec (JSON-RPC request ids chosen by rmcp) is explained in the
//! `mcp_client` module docs.
//!
//! # Threading
//!
//! [`ProviderBackend::query`] is synchronous and called from blocking threads. The work runs
//! as tasks on the runtime whose [`Handle`] is given at construction, and the calling thread
//! waits on a standard channel with a bounded wait; `Handle::block_on` is never called.
//!
//! [`stub`] is a test double: a small provider used by this crate's tests and shipped as the
//! `decision-gate-stub-provider` binary.

mod framing;
mod http;
mod mcp_client;
mod oss;
mod parse;
mod pipe_transport;
mod stdio;
pub mod stub;

use std::sync::Arc;
use std::time::Duration;

use decision_gate_core::evidence::EvidenceContext;
use decision_gate_core::ids::CorrelationId;
use decision_gate_core::ports::EvidenceError;
use decision_gate_core::spec::EvidenceQuery;
use serde_json::Value;
use tokio::runtime::Handle;

use super::ProviderSetupError;
use super::contracts::RegisteredContract;
use super::correlation::sanitize_correlation_id;
use super::federation::ProviderBackend;
use crate::config::ProviderConfig;

pub use framing::MAX_MESSAGE_BYTES;

/// Metric counting restarts of stdio providers, labelled by `provider_id`.
pub const RESTARTS_METRIC: &str = "decision_gate_provider_restarts_total";

/// The error of a query during a stdio provider's restart back-off.
pub const UNAVAILABLE: &str = "provider unavailable (restarting)";

/// The timeouts of one provider.
#[derive(Clone, Copy, Debug)]
struct Timeouts {
    /// Connecting (HTTP) or process start plus handshake (stdio).
    connect: Duration,
    /// One `tools/call`.
    request: Duration,
}

/// Builds the backend of one external MCP provider.
///
/// A stdio provider's process is spawned here (a command that cannot be started fails
/// startup); its handshake runs in the background, and a provider that fails it is restarted
/// with back-off like one that exited. An HTTP provider's URL is checked here (`http://` only
/// with `allow_insecure_http`); it is contacted on the first query. The contract was validated
/// by the capability registry; the backend does not need it.
///
/// The returned backend answers [`ProviderBackend::query`] synchronously from blocking
/// threads, never panics, and reports failures as `Err` (provider errors). The federation
/// applies correlation-id sanitisation, trust policy and metrics around it.
pub fn build_external(
    config: &ProviderConfig,
    contract: &RegisteredContract,
    handle: &Handle,
) -> Result<Arc<dyn ProviderBackend>, ProviderSetupError> {
    let _ = contract;
    let failed = |message: String| ProviderSetupError::External { provider: config.name.clone(), message };
    let timeouts = Timeouts {
        connect: Duration::from_millis(config.timeouts.connect_timeout_ms.max(1)),
        request: Duration::from_millis(config.timeouts.request_timeout_ms.max(1)),
    };
    if !config.command.is_empty() {
        let backend = stdio::start(&config.name, &config.command, config.framing, timeouts, handle).map_err(failed)?;
        return Ok(Arc::new(backend));
    }
    let Some(url) = config.url.as_deref() else {
        return Err(failed("an mcp provider needs a command or a url".to_owned()));
    };
    let bearer = config.auth.as_ref().and_then(|auth| auth.bearer_token.clone());
    let backend = http::start(url, config.allow_insecure_http, bearer, timeouts, handle).map_err(failed)?;
    Ok(Arc::new(backend))
}

/// The JSON query and context of a call, and the sanitised correlation id (an invalid one is
/// dropped from the context).
fn call_inputs(query: &EvidenceQuery, ctx: &EvidenceContext) -> Result<(Value, Value, Option<String>), EvidenceError> {
    let correlation_id =
        ctx.correlation_id.as_ref().and_then(|id| sanitize_correlation_id(id.as_str()).ok()).map(str::to_owned);
    let mut context = ctx.clone();
    context.correlation_id = correlation_id.as_deref().map(CorrelationId::new);
    let query = serde_json::to_value(query).map_err(|err| EvidenceError(format!("query cannot be encoded: {err}")))?;
    let context =
        serde_json::to_value(&context).map_err(|err| EvidenceError(format!("context cannot be encoded: {err}")))?;
    Ok((query, context, correlation_id))
}

/// The error of a call that ran out of time.
fn timed_out(after: Duration) -> EvidenceError {
    EvidenceError(format!("provider call timed out after {} ms", after.as_millis()))
}

/// Runs `work` on the runtime and waits for it on this (blocking) thread for at most `wait`.
fn run_on<T, F>(handle: &Handle, wait: Duration, work: F) -> Result<T, EvidenceError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, EvidenceError>> + Send + 'static,
{
    let (reply, answer) = std::sync::mpsc::sync_channel(1);
    let task = handle.spawn(async move {
        let _ = reply.send(work.await);
    });
    match answer.recv_timeout(wait) {
        Ok(outcome) => outcome,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            task.abort();
            Err(timed_out(wait))
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Err(EvidenceError("provider call was abandoned (runtime shutting down)".to_owned()))
        }
    }
}

#[cfg(test)]
mod tests;
