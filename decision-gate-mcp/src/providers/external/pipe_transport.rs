//! An rmcp client [`Transport`] over a provider process's framed pipes.
//!
//! rmcp's own child-process transport discards over-long lines silently (the call would only
//! time out), ignores malformed lines and never checks that a response answers a request it
//! sent. This transport keeps rmcp's client (handshake, request/response matching) but reads
//! through [`Pipes`], so it can:
//! - answer an outstanding request with a local error when the provider sends a message over
//!   1 MiB, a malformed message, or a response whose id matches no outstanding request;
//! - mark the connection broken (see [`PipeTransport::new`]) when the stream can no longer be
//!   trusted to be in step (malformed message or unknown response id), so the supervisor
//!   restarts the provider.
//!
//! Several transports can be made over the same pipes one after the other (the handshake may
//! take three attempts: `server/discover`, `initialize`, then none); the pipes outlive them.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rmcp::RoleClient;
use rmcp::model::{ClientJsonRpcMessage, ErrorCode, JsonRpcMessage, RequestId, ServerJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::json;
use tokio::sync::{Mutex, mpsc};

use super::framing::{Inbound, MAX_MESSAGE_BYTES, Pipes, frame};
use crate::config::StdioFraming;

/// JSON-RPC code of the errors this side makes up for transport faults.
pub(super) const TRANSPORT_FAULT_CODE: ErrorCode = ErrorCode(-32098);

/// Message of the error for an over-long provider message.
pub(super) const TOO_LARGE: &str = "provider message exceeds the 1 MiB limit";

/// Message of the error for a response that answers another request.
pub(super) const ID_MISMATCH: &str = "provider response id does not match the request";

/// An rmcp transport over [`Pipes`] (newline framing).
pub(super) struct PipeTransport {
    inbound: Arc<Mutex<mpsc::Receiver<Inbound>>>,
    outbound: mpsc::Sender<Vec<u8>>,
    outstanding: Vec<RequestId>,
    synthetic: VecDeque<ServerJsonRpcMessage>,
    broken: Arc<AtomicBool>,
}

impl PipeTransport {
    /// A transport over `pipes`; `broken` is set when the stream falls out of step.
    pub(super) fn new(pipes: &Pipes, broken: Arc<AtomicBool>) -> Self {
        PipeTransport {
            inbound: pipes.inbound.clone(),
            outbound: pipes.outbound.clone(),
            outstanding: Vec::new(),
            synthetic: VecDeque::new(),
            broken,
        }
    }

    /// Answers every outstanding request with a local error.
    fn fail_outstanding(&mut self, message: &str, code: ErrorCode) {
        if self.outstanding.is_empty() {
            tracing::debug!(message, "external provider sent an unsolicited faulty message");
        }
        for id in self.outstanding.drain(..) {
            let data = (code == TRANSPORT_FAULT_CODE).then(|| json!({"transport_fault": true}));
            let error = rmcp::ErrorData::new(code, message.to_owned(), data);
            self.synthetic.push_back(ServerJsonRpcMessage::error(error, Some(id)));
        }
    }

    fn take_outstanding(&mut self, id: &RequestId) -> bool {
        match self.outstanding.iter().position(|known| known == id) {
            Some(index) => {
                self.outstanding.remove(index);
                true
            }
            None => false,
        }
    }

    fn out_of_step(&mut self, message: &str) {
        self.broken.store(true, Ordering::SeqCst);
        self.fail_outstanding(message, TRANSPORT_FAULT_CODE);
    }

    /// Classifies one message read from the provider; `Some` is handed to rmcp.
    fn accept(&mut self, item: Inbound) -> Option<ServerJsonRpcMessage> {
        let bytes = match item {
            Inbound::TooLarge => {
                self.fail_outstanding(TOO_LARGE, TRANSPORT_FAULT_CODE);
                return None;
            }
            Inbound::Message(bytes) => bytes,
        };
        match serde_json::from_slice::<ServerJsonRpcMessage>(&bytes) {
            Ok(JsonRpcMessage::Response(response)) => {
                if self.take_outstanding(&response.id) {
                    return Some(JsonRpcMessage::Response(response));
                }
                self.out_of_step(ID_MISMATCH);
                None
            }
            Ok(JsonRpcMessage::Error(error)) => match &error.id {
                Some(id) if self.take_outstanding(id) => Some(JsonRpcMessage::Error(error)),
                Some(_) => {
                    self.out_of_step(ID_MISMATCH);
                    None
                }
                // An error without id (e.g. the provider could not parse the request) answers
                // whatever is outstanding, with the provider's own code and message.
                None => {
                    let (code, message) = (error.error.code, error.error.message.to_string());
                    self.fail_outstanding(&message, code);
                    None
                }
            },
            Ok(other) => Some(other),
            Err(_) => {
                self.out_of_step("malformed provider message");
                None
            }
        }
    }
}

impl Transport<RoleClient> for PipeTransport {
    type Error = std::io::Error;

    fn send(&mut self, item: ClientJsonRpcMessage) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        if let JsonRpcMessage::Request(request) = &item {
            self.outstanding.push(request.id.clone());
        }
        let body = serde_json::to_vec(&item);
        let outbound = self.outbound.clone();
        async move {
            let body = body.map_err(std::io::Error::other)?;
            if body.len() > MAX_MESSAGE_BYTES {
                return Err(std::io::Error::other("request exceeds the 1 MiB limit"));
            }
            let framed = frame(StdioFraming::Newline, &body);
            outbound
                .send(framed)
                .await
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "provider stdin is closed"))
        }
    }

    async fn receive(&mut self) -> Option<ServerJsonRpcMessage> {
        // Cancel safe: the only awaits are the lock and `recv`; everything after is synchronous.
        loop {
            if let Some(message) = self.synthetic.pop_front() {
                return Some(message);
            }
            let item = {
                let mut inbound = self.inbound.lock().await;
                inbound.recv().await
            };
            if let Some(message) = self.accept(item?) {
                return Some(message);
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        // The pipes belong to the supervisor, which ends the process.
        Ok(())
    }
}
