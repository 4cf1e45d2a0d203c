//! stdio transport (mcp-surface §4.1). Our own read loop owns framing, the line limit and
//! strict arrival-order processing; each MCP request is then handled by rmcp. An over-long
//! line is answered with -32070 and skipped, garbage with -32700/-32600, EOF ends cleanly.
//! `content_length` framing speaks the Decision Gate OSS dialect instead of MCP.

use std::sync::Arc;
use std::time::Instant;

use rmcp::RoleServer;
use rmcp::model::{ClientJsonRpcMessage, InitializeRequestParams, ServerJsonRpcMessage, ServerResult};
use rmcp::service::serve_directly;
use rmcp::transport::OneshotTransport;
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

use super::TransportContext;
use super::limits::{AUTH_RETRY_AFTER_MS, KeyedRateLimiter, RateDenial};
use super::mcp::McpHandler;
use super::response_facts::ResponseFacts;
use crate::auth::{AuthFailure, AuthFailureStatus, AuthRequest, Principal, TransportLabel};
use crate::config::StdioFraming;
use crate::errors::{ErrorCode, ToolError, request_id_text};
use crate::pipeline::{AuditEvent, AuditHeader, McpRequestEvent, ToolAuthzEvent};
use crate::state::ServerState;
use crate::telemetry::{RequestMetric, audit_method, method_class, record_request};
use crate::tools::ToolRouter;

/// Outcome of reading one frame.
enum Frame {
    /// A complete message.
    Message(Vec<u8>),
    /// A message longer than the limit (skipped).
    TooLarge,
    /// End of input.
    Eof,
}

/// Reads one newline-terminated line, discarding it (without buffering) once it exceeds `max`.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, max: usize) -> std::io::Result<Frame> {
    let mut line = Vec::new();
    let mut oversized = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(if line.is_empty() && !oversized {
                Frame::Eof
            } else if oversized {
                Frame::TooLarge
            } else {
                Frame::Eof
            });
        }
        let (chunk, done) = match available.iter().position(|&byte| byte == b'\n') {
            Some(position) => (&available[..position], Some(position + 1)),
            None => (available, None),
        };
        if !oversized {
            if line.len() + chunk.len() > max {
                oversized = true;
                line.clear();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        let consumed = done.unwrap_or(available.len());
        reader.consume(consumed);
        if done.is_some() {
            if oversized {
                return Ok(Frame::TooLarge);
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Frame::Message(line));
        }
    }
}

/// Reads one `Content-Length` frame (headers until a blank line, then the body).
async fn read_content_length<R: AsyncBufRead + Unpin>(reader: &mut R, max: usize) -> std::io::Result<Frame> {
    let mut length: Option<usize> = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).await? == 0 {
            return Ok(Frame::Eof);
        }
        let header = header.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            if length.is_some() {
                break;
            }
            continue;
        }
        if let Some(value) = header.strip_prefix("Content-Length:") {
            length = value.trim().parse().ok();
        }
    }
    let length = length.unwrap_or(0);
    if length > max {
        tokio::io::copy(&mut reader.take(length as u64), &mut tokio::io::sink()).await?;
        return Ok(Frame::TooLarge);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    Ok(Frame::Message(body))
}

struct StdioSession {
    state: Arc<ServerState>,
    router: ToolRouter,
    handler: McpHandler,
    limiter: Option<KeyedRateLimiter<String>>,
    handshake: Option<InitializeRequestParams>,
    /// The process's caller, authenticated once when the transport starts (the enterprise
    /// authenticator reads `DECISION_GATE_API_KEY`; the default accepts stdio as local).
    principal: Result<Principal, AuthFailure>,
}

fn has_stateless_meta(message: &Value) -> bool {
    message.pointer("/params/_meta/io.modelcontextprotocol~1protocolVersion").is_some()
}

fn error_line(error: &ToolError, id: Option<&Value>) -> Value {
    let request_id = id.map(request_id_text);
    super::rpc::error_response(error, id, request_id.as_deref())
}

impl StdioSession {
    fn transport_context(&self) -> TransportContext {
        TransportContext {
            transport: TransportLabel::Stdio,
            endpoint: None,
            peer_ip: None,
            client_ip: None,
            principal: self.principal.clone().unwrap_or_else(|_| Principal::stdio()),
            server_correlation_id: self.state.correlation.next(),
            client_correlation_id: None,
            idempotency_key: None,
            scope_challenge: Default::default(),
        }
    }

    async fn dispatch(
        &self,
        mut message: ClientJsonRpcMessage,
        context: TransportContext,
        era: Option<InitializeRequestParams>,
    ) -> Option<ServerJsonRpcMessage> {
        message.insert_extension(context);
        let (transport, mut replies) = OneshotTransport::<RoleServer>::new(message);
        let running = serve_directly(self.handler.clone(), transport, era);
        tokio::spawn(async move {
            let _ = running.waiting().await;
        });
        while let Some(reply) = replies.recv().await {
            if matches!(reply, ServerJsonRpcMessage::Response(_) | ServerJsonRpcMessage::Error(_)) {
                return Some(reply);
            }
        }
        None
    }

    /// Handles one MCP message; `None` for notifications and client responses.
    async fn handle_mcp(&mut self, bytes: &[u8], context: TransportContext) -> Option<Value> {
        let Ok(raw) = serde_json::from_slice::<Value>(bytes) else {
            return Some(error_line(&ToolError::new(ErrorCode::ParseError, "invalid JSON"), None));
        };
        let Some(object) = raw.as_object() else {
            // Batches (arrays) included: the spec fixes the -32600 messages.
            return Some(error_line(&ToolError::new(ErrorCode::InvalidRequest, "invalid json-rpc request"), None));
        };
        let id = object.get("id").cloned();
        if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Some(error_line(
                &ToolError::new(ErrorCode::InvalidRequest, "invalid json-rpc version"),
                id.as_ref(),
            ));
        }
        let method = object.get("method").and_then(Value::as_str).map(str::to_owned);
        let (Some(method), Some(_)) = (method, id.as_ref()) else {
            // Notifications are never answered; responses from the client are ignored.
            return None;
        };
        let Ok(message) = serde_json::from_value::<ClientJsonRpcMessage>(raw.clone()) else {
            return Some(error_line(&super::mcp::undecodable_message_error(&raw), id.as_ref()));
        };
        let era = if method == "initialize" || method == "server/discover" || has_stateless_meta(&raw) {
            None
        } else if let Some(params) = &self.handshake {
            Some(params.clone())
        } else if method == "ping" {
            None
        } else {
            return Some(error_line(&ToolError::new(ErrorCode::InvalidRequest, "server not initialized"), id.as_ref()));
        };
        let reply = self.dispatch(message, context, era).await?;
        if method == "initialize"
            && let ServerJsonRpcMessage::Response(response) = &reply
            && let ServerResult::InitializeResult(result) = &response.result
            && let Some(params) = raw.get("params")
            && let Ok(mut client) = serde_json::from_value::<InitializeRequestParams>(params.clone())
        {
            client.protocol_version = result.protocol_version.clone();
            self.handshake = Some(client);
        }
        serde_json::to_value(&reply).ok()
    }

    async fn handle_frame(&mut self, bytes: &[u8], framing: StdioFraming) -> Option<Value> {
        let started = Instant::now();
        if matches!(&self.principal, Err(failure) if failure.status == AuthFailureStatus::Unavailable) {
            // An outage at start-up (or since) is retried with every message, never kept.
            let no_headers = http::HeaderMap::new();
            self.principal = self.state.authenticator.authenticate(&AuthRequest::stdio(&no_headers)).await.result;
        }
        let context = self.transport_context();
        let parsed: Option<Value> = serde_json::from_slice(bytes).ok();
        let method = parsed.as_ref().and_then(|value| value.get("method")).and_then(Value::as_str).map(str::to_owned);
        let notification =
            parsed.as_ref().is_some_and(|value| value.get("method").is_some() && value.get("id").is_none());
        let tool =
            parsed.as_ref().and_then(|value| value.pointer("/params/name")).and_then(Value::as_str).map(str::to_owned);
        let request_id = parsed.as_ref().and_then(|value| value.get("id")).map(request_id_text);
        // stdio processes one message at a time, so the in-flight cap cannot be exceeded here.
        let denial = self.limiter.as_ref().and_then(|limiter| limiter.check(&context.principal.principal_id()).err());
        let response = match (&self.principal, denial) {
            (Err(failure), _) => {
                let event = AuditEvent::McpToolAuthz(ToolAuthzEvent {
                    decision: "deny",
                    action: "request".to_owned(),
                    peer_ip: None,
                    subject: None,
                    token_fingerprint: None,
                    reason: Some(format!("unauthenticated: {}", failure.reason)),
                });
                let header = AuditHeader {
                    request_id: request_id.clone(),
                    transport: Some("stdio"),
                    ..AuditHeader::new(context.server_correlation_id.clone())
                };
                if let Err(error) = self.state.audit.record(&header.record(event)).await {
                    tracing::warn!(%error, "audit record failed");
                }
                let id = parsed.as_ref().and_then(|value| value.get("id"));
                let error = if failure.status == AuthFailureStatus::Unavailable {
                    ToolError::new(ErrorCode::InflightLimit, "authentication unavailable")
                        .with_retry_after(AUTH_RETRY_AFTER_MS)
                } else {
                    ToolError::unauthenticated()
                };
                (!notification).then(|| error_line(&error, id))
            }
            (Ok(_), denial) => match denial {
                Some(RateDenial::Limited { retry_after_ms }) => {
                    let error =
                        ToolError::new(ErrorCode::RateLimited, "rate limit exceeded").with_retry_after(retry_after_ms);
                    Some(error_line(&error, None))
                }
                Some(RateDenial::TableFull) => {
                    Some(error_line(&ToolError::new(ErrorCode::InflightLimit, "rate limiter overloaded"), None))
                }
                None => match framing {
                    StdioFraming::Newline => self.handle_mcp(bytes, context.clone()).await,
                    StdioFraming::ContentLength => Some(super::rpc::handle(&self.router, &context, bytes).await.body),
                },
            },
        };
        let error = response.as_ref().and_then(ResponseFacts::from_value).and_then(|facts| facts.error());
        self.audit(
            &context,
            &request_id,
            method.as_deref(),
            tool.as_deref(),
            notification,
            error,
            bytes.len(),
            &response,
            started,
        )
        .await;
        response
    }

    #[allow(clippy::too_many_arguments)]
    async fn audit(
        &self,
        context: &TransportContext,
        request_id: &Option<String>,
        method: Option<&str>,
        tool: Option<&str>,
        notification: bool,
        error: Option<(i32, &'static str)>,
        request_bytes: usize,
        response: &Option<Value>,
        started: Instant,
    ) {
        let response_bytes = response.as_ref().map_or(0, |value| value.to_string().len());
        let principal = self.principal.as_ref().ok();
        let header = AuditHeader {
            request_id: request_id.clone(),
            transport: Some("stdio"),
            principal_id: principal.map(Principal::principal_id),
            auth_method: principal.map(|principal| principal.method.as_str()),
            credential_id: principal.and_then(|principal| principal.credential_id.clone()),
            ..AuditHeader::new(context.server_correlation_id.clone())
        };
        let event = AuditEvent::McpRequest(McpRequestEvent {
            endpoint: None,
            peer_ip: None,
            method: audit_method(method),
            tool: tool.filter(|_| method == Some("tools/call")).map(str::to_owned),
            outcome: if error.is_some() { "Error" } else { "Ok" },
            error_code: error.map(|(code, _)| code),
            error_kind: error.map(|(_, kind)| kind),
            request_bytes: request_bytes as u64,
            response_bytes: response_bytes as u64,
            client_subject: principal.map(Principal::principal_id),
            redaction: if tool == Some("evidence_query") { "evidence" } else { "full" },
        });
        if let Err(error) = self.state.audit.record(&header.record(event)).await {
            tracing::warn!(%error, "audit record failed");
        }
        record_request(&RequestMetric {
            transport: "stdio",
            endpoint: "",
            method: method_class(method, notification),
            tool: tool.filter(|_| method == Some("tools/call")),
            error_kind: error.map(|(_, kind)| kind),
            request_bytes,
            response_bytes,
            duration: started.elapsed(),
        });
    }
}

async fn write_frame<W: AsyncWrite + Unpin>(
    output: &mut W,
    value: &Value,
    framing: StdioFraming,
) -> std::io::Result<()> {
    let text = serde_json::to_vec(value).unwrap_or_default();
    match framing {
        StdioFraming::Newline => {
            output.write_all(&text).await?;
            output.write_all(b"\n").await?;
        }
        StdioFraming::ContentLength => {
            output.write_all(format!("Content-Length: {}\r\n\r\n", text.len()).as_bytes()).await?;
            output.write_all(&text).await?;
        }
    }
    output.flush().await
}

/// Serves MCP (or the OSS dialect) over a reader/writer pair until end of input.
pub async fn serve_stdio<R, W>(state: Arc<ServerState>, input: R, mut output: W) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let framing = state.config.server.stdio_framing;
    let max = state.config.server.max_body_bytes;
    let router = ToolRouter::new(state.clone());
    let limiter = state.config.server.limits.rate_limit.as_ref().map(|rate| KeyedRateLimiter::new(&rate.bucket));
    let no_headers = http::HeaderMap::new();
    let principal = state.authenticator.authenticate(&AuthRequest::stdio(&no_headers)).await.result;
    if let Err(failure) = &principal {
        tracing::warn!(reason = %failure.reason, "stdio caller is not authenticated; every request is refused");
    }
    let mut session =
        StdioSession { handler: McpHandler::new(router.clone()), router, state, limiter, handshake: None, principal };
    let mut reader = BufReader::new(input);
    loop {
        let frame = match framing {
            StdioFraming::Newline => read_line(&mut reader, max).await?,
            StdioFraming::ContentLength => read_content_length(&mut reader, max).await?,
        };
        match frame {
            Frame::Eof => return Ok(()),
            Frame::TooLarge => {
                // Rejected before parsing, but still a request through the transport: audited
                // and counted like HTTP's 413 (mcp-surface §9.2).
                let started = Instant::now();
                let context = session.transport_context();
                let error = ToolError::new(ErrorCode::RequestTooLarge, "request body too large");
                let response = Some(error_line(&error, None));
                let outcome = Some((error.code.code(), error.code.kind()));
                session.audit(&context, &None, None, None, false, outcome, max + 1, &response, started).await;
                if let Some(response) = &response {
                    write_frame(&mut output, response, framing).await?;
                }
            }
            Frame::Message(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {}
            Frame::Message(bytes) => {
                if let Some(response) = session.handle_frame(&bytes, framing).await {
                    write_frame(&mut output, &response, framing).await?;
                }
            }
        }
    }
}
