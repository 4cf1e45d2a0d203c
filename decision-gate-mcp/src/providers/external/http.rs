//! HTTP providers: Streamable HTTP on rmcp's `StreamableHttpClientTransport`.
//!
//! The session (handshake of [`mcp_client::connect`]) is made on the first query and kept; it is
//! made again after the connection closes. rmcp supplies the protocol details: `Accept:
//! application/json, text/event-stream` (in its order), `MCP-Protocol-Version` after
//! `initialize`, the `Mcp-Session-Id` kept when one is issued and a 404 on it answered by one
//! re-initialisation and a retry (`reinit_on_expired_session`), and JSON or SSE replies.
//!
//! [`LimitedClient`] wraps the reqwest client rmcp drives and adds what rmcp does not do:
//! - the `x-correlation-id` header when the query's context carries a sanitised correlation id;
//! - the 1 MiB message limit (rmcp bounds JSON bodies at 16 MiB and SSE events at the bound
//!   given here; replies are measured here and an over-limit one is replaced by a local error);
//! - a reply whose id is not the request's is replaced by a local error (rmcp would drop it
//!   and the call would only time out).
//!
//! The reqwest client never follows redirects (a 3xx is an error like any other non-2xx
//! status), ignores proxy settings from the environment, and bounds connecting by
//! `connect_timeout_ms`; each call is bounded by `request_timeout_ms`. `http://` URLs need
//! `allow_insecure_http`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use decision_gate_core::evidence::{EvidenceContext, EvidenceResult};
use decision_gate_core::ports::EvidenceError;
use decision_gate_core::spec::EvidenceQuery;
use futures::StreamExt;
use http::{HeaderName, HeaderValue};
use rmcp::ErrorData;
use rmcp::model::{ClientJsonRpcMessage, GetExtensions, JsonRpcMessage, RequestId, ServerJsonRpcMessage};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::common::client_side_sse::BoxedSseResponse;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpClientTransportConfig, StreamableHttpError, StreamableHttpPostResponse,
};
use serde_json::{Value, json};
use tokio::runtime::Handle;
use tokio::sync::Mutex;

use super::framing::MAX_MESSAGE_BYTES;
use super::mcp_client::{self, CallError, CorrelationHeader, McpSession};
use super::pipe_transport::{ID_MISMATCH, TOO_LARGE, TRANSPORT_FAULT_CODE};
use super::{Timeouts, call_inputs, run_on, timed_out};
use crate::providers::federation::ProviderBackend;

/// Header carrying the client correlation id.
const CORRELATION_HEADER: HeaderName = HeaderName::from_static("x-correlation-id");

/// Raw SSE event bound handed to rmcp (its default, and its bound on JSON bodies). Events up to
/// this size are read so that an over-limit message is answered with a clear local error; a
/// bigger one breaks the stream, which also fails the call.
const SSE_READ_LIMIT: usize = 16 * MAX_MESSAGE_BYTES;

/// The reqwest client rmcp drives, with this project's additions (module docs).
#[derive(Clone, Debug)]
pub struct LimitedClient(reqwest::Client);

type HttpResult<T> = Result<T, StreamableHttpError<reqwest::Error>>;

impl StreamableHttpClient for LimitedClient {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> HttpResult<StreamableHttpPostResponse> {
        self.post_message_with_max_sse_event_size(uri, message, session_id, auth_header, custom_headers, SSE_READ_LIMIT)
            .await
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        mut custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> HttpResult<StreamableHttpPostResponse> {
        let request_id = match &message {
            JsonRpcMessage::Request(request) => {
                let correlation = request.request.extensions().get::<CorrelationHeader>();
                if let Some(value) = correlation.and_then(|header| HeaderValue::from_str(&header.0).ok()) {
                    custom_headers.insert(CORRELATION_HEADER, value);
                }
                Some(request.id.clone())
            }
            _ => None,
        };
        let response = self
            .0
            .post_message_with_max_sse_event_size(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                max_sse_event_size.min(SSE_READ_LIMIT),
            )
            .await?;
        let Some(expected) = request_id else { return Ok(response) };
        match response {
            StreamableHttpPostResponse::Json(reply, session) => {
                let size = serde_json::to_vec(&reply).map_or(usize::MAX, |bytes| bytes.len());
                let reply = match fault_of(&reply, size, &expected) {
                    Some(message) => fault(message, expected),
                    None => reply,
                };
                Ok(StreamableHttpPostResponse::Json(reply, session))
            }
            StreamableHttpPostResponse::Sse(stream, session) => {
                let checked = stream.map(move |item| {
                    item.map(|mut event| {
                        let data = event.data.as_deref().unwrap_or_default();
                        let problem = if data.len() > MAX_MESSAGE_BYTES {
                            Some(TOO_LARGE)
                        } else {
                            let parsed = serde_json::from_str::<ServerJsonRpcMessage>(data);
                            parsed.ok().and_then(|reply| fault_of(&reply, data.len(), &expected))
                        };
                        if let Some(message) = problem {
                            event.data = serde_json::to_string(&fault(message, expected.clone())).ok();
                        }
                        event
                    })
                });
                Ok(StreamableHttpPostResponse::Sse(Box::pin(checked), session))
            }
            other => Ok(other),
        }
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> HttpResult<()> {
        self.0.delete_session(uri, session_id, auth_header, custom_headers).await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> HttpResult<BoxedSseResponse> {
        self.get_stream_with_max_sse_event_size(
            uri,
            session_id,
            last_event_id,
            auth_header,
            custom_headers,
            MAX_MESSAGE_BYTES,
        )
        .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> HttpResult<BoxedSseResponse> {
        self.0
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                auth_header,
                custom_headers,
                max_sse_event_size.min(MAX_MESSAGE_BYTES),
            )
            .await
    }
}

/// What is wrong with a reply of `size` bytes to request `expected`, if anything: over the
/// limit, or answering another request. (An error without id answers this request.)
fn fault_of(reply: &ServerJsonRpcMessage, size: usize, expected: &RequestId) -> Option<&'static str> {
    if size > MAX_MESSAGE_BYTES {
        return Some(TOO_LARGE);
    }
    let answered = match reply {
        JsonRpcMessage::Response(response) => Some(&response.id),
        JsonRpcMessage::Error(error) => error.id.as_ref(),
        _ => None,
    };
    answered.is_some_and(|id| id != expected).then_some(ID_MISMATCH)
}

/// A local error answering `id` (see [`TRANSPORT_FAULT_CODE`]).
fn fault(message: &str, id: RequestId) -> ServerJsonRpcMessage {
    let error = ErrorData::new(TRANSPORT_FAULT_CODE, message.to_owned(), Some(json!({"transport_fault": true})));
    ServerJsonRpcMessage::error(error, Some(id))
}

/// State shared by the calls of one HTTP provider.
struct Shared {
    url: Arc<str>,
    client: LimitedClient,
    bearer_token: Option<String>,
    timeouts: Timeouts,
    session: Mutex<Option<Arc<McpSession>>>,
}

/// The backend of an HTTP provider.
pub(super) struct HttpBackend {
    shared: Arc<Shared>,
    handle: Handle,
    wait: Duration,
}

/// Checks the URL and builds the client; nothing is contacted yet.
pub(super) fn start(
    url: &str,
    allow_insecure_http: bool,
    bearer_token: Option<String>,
    timeouts: Timeouts,
    handle: &Handle,
) -> Result<HttpBackend, String> {
    let parsed = reqwest::Url::parse(url).map_err(|err| format!("invalid url: {err}"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_insecure_http => {}
        "http" => return Err("http:// urls require allow_insecure_http = true".to_owned()),
        other => return Err(format!("unsupported url scheme {other}")),
    }
    if parsed.host_str().is_none() {
        return Err("url has no host".to_owned());
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(timeouts.connect)
        .user_agent(concat!("decision-gate/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|err| format!("http client cannot be built: {err}"))?;
    let shared = Shared {
        url: Arc::from(url),
        client: LimitedClient(client),
        bearer_token,
        timeouts,
        session: Mutex::new(None),
    };
    let wait = timeouts.connect + timeouts.request + Duration::from_secs(1);
    Ok(HttpBackend { shared: Arc::new(shared), handle: handle.clone(), wait })
}

impl ProviderBackend for HttpBackend {
    fn query(&self, query: &EvidenceQuery, ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError> {
        let (query, context, correlation_id) = call_inputs(query, ctx)?;
        let shared = self.shared.clone();
        run_on(&self.handle, self.wait, async move { shared.query(query, context, correlation_id).await })
    }
}

impl Shared {
    fn transport(&self) -> StreamableHttpClientTransport<LimitedClient> {
        let mut config = StreamableHttpClientTransportConfig::with_uri(self.url.clone())
            .max_sse_event_size(SSE_READ_LIMIT)
            .reinit_on_expired_session(true);
        if let Some(token) = &self.bearer_token {
            config = config.auth_header(token.clone());
        }
        StreamableHttpClientTransport::with_client(self.client.clone(), config)
    }

    /// The current session, made (within the connect timeout) if there is none.
    async fn session(&self) -> Result<Arc<McpSession>, EvidenceError> {
        let mut slot = self.session.lock().await;
        if let Some(session) = slot.as_ref().filter(|session| !session.is_closed()) {
            return Ok(session.clone());
        }
        let connect = mcp_client::connect(|| Ok(self.transport()));
        match tokio::time::timeout(self.timeouts.connect, connect).await {
            Ok(Ok(session)) => {
                tracing::debug!(url = %self.url, era = ?session.era(), "external provider connected");
                let session = Arc::new(session);
                *slot = Some(session.clone());
                Ok(session)
            }
            Ok(Err(reason)) => Err(EvidenceError(format!("provider connection failed: {reason}"))),
            Err(_) => Err(EvidenceError(format!(
                "provider connection timed out after {} ms",
                self.timeouts.connect.as_millis()
            ))),
        }
    }

    async fn query(
        &self,
        query: Value,
        context: Value,
        correlation_id: Option<String>,
    ) -> Result<EvidenceResult, EvidenceError> {
        let session = self.session().await?;
        let call = session.call(mcp_client::arguments(&query, &context), correlation_id.as_deref());
        match tokio::time::timeout(self.timeouts.request, call).await {
            Err(_) => Err(timed_out(self.timeouts.request)),
            Ok(Ok(result)) => Ok(result),
            Ok(Err(CallError::Provider(err))) => Err(err),
            Ok(Err(CallError::Connection(err))) => {
                if session.is_closed() {
                    let mut slot = self.session.lock().await;
                    if slot.as_ref().is_some_and(|current| Arc::ptr_eq(current, &session)) {
                        *slot = None;
                    }
                }
                Err(err)
            }
        }
    }
}
