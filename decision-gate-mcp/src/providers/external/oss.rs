//! The Decision Gate OSS-era exchange: `Content-Length` framing, no handshake, a bare
//! `tools/call`.
//!
//! rmcp's transports speak newline-delimited JSON (stdio) and Streamable HTTP only; they cannot
//! read or write LSP-style `Content-Length: N\r\n\r\n<json>` frames, and these providers do not
//! answer `initialize`. This small hand-written JSON-RPC exchange is therefore the one place
//! that builds requests itself. Because it does, it also follows the spec's id rule exactly:
//! the id is the sanitised correlation id when there is one, else a per-provider incrementing
//! integer, and the response id must equal it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use decision_gate_core::evidence::EvidenceResult;
use decision_gate_core::ports::EvidenceError;
use serde_json::{Value, json};

use super::framing::{Inbound, MAX_MESSAGE_BYTES, Pipes};
use super::mcp_client::{CallError, TOOL_NAME};
use super::parse::parse_response;
use super::pipe_transport::{ID_MISMATCH, TOO_LARGE};

/// Sends one `tools/call` and waits for the response with the same id.
///
/// Requests and notifications from the provider are skipped. A response with another id, or a
/// message that is not a JSON object, leaves the stream out of step: `broken` is set so the
/// supervisor restarts the provider.
pub(super) async fn call(
    pipes: &Pipes,
    broken: &Arc<AtomicBool>,
    id: Value,
    arguments: Value,
) -> Result<EvidenceResult, CallError> {
    let request = json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "tools/call",
        "params": {"name": TOOL_NAME, "arguments": arguments},
    });
    let body = serde_json::to_vec(&request).map_err(|err| CallError::Provider(EvidenceError(err.to_string())))?;
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(CallError::Provider(EvidenceError("request exceeds the 1 MiB limit".to_owned())));
    }
    let closed = || CallError::Connection(EvidenceError("provider connection closed".to_owned()));
    pipes.outbound.send(pipes.frame(&body)).await.map_err(|_| closed())?;
    let mut inbound = pipes.inbound.lock().await;
    loop {
        let bytes = match inbound.recv().await.ok_or_else(closed)? {
            Inbound::TooLarge => return Err(CallError::Provider(EvidenceError(TOO_LARGE.to_owned()))),
            Inbound::Message(bytes) => bytes,
        };
        let out_of_step = |message: &str| {
            broken.store(true, Ordering::SeqCst);
            CallError::Provider(EvidenceError(message.to_owned()))
        };
        let Ok(Value::Object(message)) = serde_json::from_slice::<Value>(&bytes) else {
            return Err(out_of_step("malformed provider message"));
        };
        if message.contains_key("method") {
            tracing::debug!("skipping a request or notification from an OSS-era provider");
            continue;
        }
        match message.get("id") {
            Some(answered) if *answered == id => {}
            // An error the provider could not attach to a request still answers this one.
            Some(Value::Null) | None if message.contains_key("error") => {}
            _ => return Err(out_of_step(ID_MISMATCH)),
        }
        return parse_response(&Value::Object(message)).map_err(CallError::Provider);
    }
}
