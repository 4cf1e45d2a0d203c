//! HTTP transport: Streamable HTTP at `/mcp` (stateless, rmcp), the OSS-compatible `POST /rpc`,
//! `/healthz`, `/readyz`, `/metrics`; plain TCP or TLS with optional client certificates;
//! graceful shutdown that lets in-flight calls finish.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as ConnectionBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rmcp::transport::StreamableHttpServerConfig;
use rmcp::transport::StreamableHttpService;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::admission::{self, AdmissionState, AdmittedCall};
use super::host_check::HostPolicy;
use super::http_guard::{Admitted, ConnectionInfo, Gate, RejectionStyle, RequestSummary};
use super::limits::{InflightLimiter, KeyedRateLimiter};
use super::mcp::{McpHandler, SUPPORTED_VERSIONS};
use super::response_facts::ResponseFacts;
use super::sessions::SessionKeys;
use super::tls::certificate_identity;
use crate::auth::{TransportLabel, TrustedProxies};
use crate::config::TransportKind;
use crate::errors::{ErrorCode, ToolError, request_id_text};
use crate::pipeline::now_ms;
use crate::state::ServerState;
use crate::tools::ToolRouter;

/// Header and body idle timeout.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight requests may finish after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Shared state of the HTTP routes.
pub struct HttpContext {
    pub(super) state: Arc<ServerState>,
    pub(super) router: ToolRouter,
    pub(super) transport_label: TransportLabel,
    pub(super) inflight: InflightLimiter,
    pub(super) ip_limiter: Option<KeyedRateLimiter<std::net::IpAddr>>,
    pub(super) principal_limiter: Option<KeyedRateLimiter<String>>,
    pub(super) trusted_proxies: TrustedProxies,
    pub(super) host_policy: HostPolicy,
    /// How long an authenticated request's body may take.
    pub(super) body_timeout: Duration,
    sessions: SessionKeys,
    mcp: StreamableHttpService<McpHandler, NeverSessionManager>,
    /// The handler the lean path calls (`None`: everything goes through rmcp).
    lean: Option<McpHandler>,
    /// Protected-resource metadata with its resource resolved against the listener.
    pub(super) protected_resource: Option<crate::state::ProtectedResource>,
}

impl HttpContext {
    /// Builds the route state for a listener bound to `local` (`scheme` `http` or `https`):
    /// protected-resource metadata without a configured resource names that address.
    pub fn for_listener(state: Arc<ServerState>, scheme: &str, local: std::net::SocketAddr) -> Result<Self, String> {
        let mut context = Self::new(state)?;
        context.protected_resource =
            context.state.protected_resource.as_ref().map(|resource| resource.resolved(scheme, local));
        Ok(context)
    }

    /// Whether an `Mcp-Session-Id` header, when present, is a valid session of `principal_id`.
    fn session_header_valid(&self, headers: &http::HeaderMap, principal_id: &str) -> bool {
        headers.get("mcp-session-id").is_none_or(|session| {
            session.to_str().ok().is_some_and(|session| self.sessions.validate(session, principal_id, now_ms()).is_ok())
        })
    }

    /// Builds the route state from the server state.
    pub fn new(state: Arc<ServerState>) -> Result<Self, String> {
        let config = &state.config.server;
        let router = ToolRouter::new(state.clone());
        let handler = McpHandler::new(router.clone());
        let mcp_config = StreamableHttpServerConfig::default()
            .with_legacy_session_mode(false)
            .with_json_response(true)
            .with_sse_keep_alive(None)
            .disable_allowed_hosts()
            .with_max_request_body_bytes(config.max_body_bytes.max(1));
        let lean = config.http.mcp_lean_path.then(|| handler.clone());
        let mcp = StreamableHttpService::new(
            move || Ok(handler.clone()),
            Arc::new(NeverSessionManager::default()),
            mcp_config,
        );
        let rate = config.limits.rate_limit.as_ref();
        Ok(HttpContext {
            transport_label: if config.transport == TransportKind::Sse {
                TransportLabel::Sse
            } else {
                TransportLabel::Http
            },
            inflight: InflightLimiter::new(config.limits.max_inflight),
            ip_limiter: rate.map(|rate| KeyedRateLimiter::new(rate.per_ip.as_ref().unwrap_or(&rate.bucket))),
            principal_limiter: rate.map(|rate| KeyedRateLimiter::new(&rate.bucket)),
            trusted_proxies: TrustedProxies::parse(&config.auth.trusted_proxies)?,
            host_policy: HostPolicy::new(
                &config.http,
                config
                    .bind
                    .as_deref()
                    .and_then(|bind| bind.parse::<std::net::SocketAddr>().ok())
                    .is_none_or(|bind| bind.ip().is_loopback()),
            ),
            body_timeout: Duration::from_millis(config.http.body_timeout_ms),
            sessions: SessionKeys::load(
                config.sessions.shared_secret_path.as_deref(),
                config.sessions.idle_timeout_ms,
            )?,
            router,
            mcp,
            lean,
            protected_resource: state.protected_resource.clone(),
            state,
        })
    }
}

/// The request admission let through, as [`Admitted`] again: its caller, facts and the body
/// the layer buffered.
async fn admitted(request: Request) -> Result<(http::request::Parts, Admitted), Response> {
    let (parts, body) = request.into_parts();
    let Some(call) = parts.extensions.get::<AdmittedCall>().cloned() else {
        return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    let body = body.collect().await.map(|collected| collected.to_bytes()).unwrap_or_default();
    let started = call.facts.started;
    Ok((parts, Admitted { transport: call.transport, body, started, facts: call.facts }))
}

async fn mcp_post(State(context): State<Arc<HttpContext>>, request: Request) -> Response {
    let (mut parts, admitted) = match admitted(request).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let facts = admitted.facts.clone();
    let mut summary = RequestSummary { request_bytes: admitted.body.len(), ..RequestSummary::default() };
    let admitted = match lean_answer(&context, &parts, admitted, &mut summary).await {
        Ok(response) => return response,
        Err(admitted) => admitted,
    };
    let message: Value = match serde_json::from_slice(&admitted.body) {
        Ok(message) => message,
        Err(_) => {
            return context
                .reject(
                    &facts,
                    StatusCode::BAD_REQUEST,
                    ToolError::new(ErrorCode::ParseError, "invalid JSON"),
                    summary.request_bytes,
                )
                .await;
        }
    };
    let invalid = |message: &str| ToolError::new(ErrorCode::InvalidRequest, message.to_owned());
    let Some(object) = message.as_object() else {
        // Batches (arrays) included: the spec fixes the -32600 messages.
        return context
            .reject(&facts, StatusCode::BAD_REQUEST, invalid("invalid json-rpc request"), summary.request_bytes)
            .await;
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return context
            .reject(&facts, StatusCode::BAD_REQUEST, invalid("invalid json-rpc version"), summary.request_bytes)
            .await;
    }
    let method = object.get("method").and_then(Value::as_str).map(str::to_owned);
    summary.method = method.clone();
    summary.notification = method.is_some() && !object.contains_key("id");
    summary.request_id = object.get("id").map(request_id_text);
    summary.tool = message
        .pointer("/params/name")
        .and_then(Value::as_str)
        .filter(|_| method.as_deref() == Some("tools/call"))
        .map(str::to_owned);
    // A JSON-RPC message rmcp cannot decode (e.g. `tools/call` with non-object params) is
    // answered in the §3.2 envelope; rmcp would answer it with a plain-text 406 or 415. The
    // typed decode that tells runs only where the answer is about to be a rejection, so a
    // well-formed call is decoded once, by rmcp.
    let undecodable = |summary: &mut RequestSummary| -> Option<(Response, usize)> {
        if <rmcp::model::ClientJsonRpcMessage as serde::Deserialize>::deserialize(&message).is_ok() {
            return None;
        }
        let error = super::mcp::undecodable_message_error(&message);
        let id = object.get("id").filter(|id| id.is_string() || id.is_number());
        let request_id = id.map(request_id_text);
        let status = if error.code == ErrorCode::InvalidRequest { StatusCode::BAD_REQUEST } else { StatusCode::OK };
        let body = super::rpc::error_response(&error, id, request_id.as_deref());
        let (response, length) = context.json_response(&facts, status, &body);
        summary.error = Some((error.code.code(), error.code.kind()));
        Some((response, length))
    };
    if let Some(error) = check_mcp_headers(&parts.headers, method.as_deref(), summary.tool.as_deref()) {
        if let Some((response, length)) = undecodable(&mut summary) {
            summary.response_bytes = length;
            context.finish(&facts, &summary).await;
            return response;
        }
        return context.reject(&facts, StatusCode::BAD_REQUEST, error, summary.request_bytes).await;
    }
    let principal_id = admitted.transport.principal.principal_id();
    if !context.session_header_valid(&parts.headers, &principal_id) {
        if let Some((response, length)) = undecodable(&mut summary) {
            summary.response_bytes = length;
            context.finish(&facts, &summary).await;
            return response;
        }
        let error = invalid("session not found");
        return context.reject(&facts, StatusCode::NOT_FOUND, error, summary.request_bytes).await;
    }
    parts.extensions.insert(admitted.transport.clone());
    let forwarded = Request::from_parts(parts, Full::new(admitted.body.clone()));
    let response = context.mcp.handle(forwarded).await;
    // rmcp checks `Accept` (406) and `Content-Type` (415) before it decodes the body, and
    // answers an undecodable body with 415; those are the only answers that may hide one.
    if matches!(response.status(), StatusCode::NOT_ACCEPTABLE | StatusCode::UNSUPPORTED_MEDIA_TYPE)
        && let Some((response, length)) = undecodable(&mut summary)
    {
        summary.response_bytes = length;
        context.finish(&facts, &summary).await;
        return response;
    }
    let (mut response_parts, response_body) = response.into_parts();
    let mut bytes = response_body.collect().await.map(|collected| collected.to_bytes()).unwrap_or_default();
    let mut outcome = ResponseFacts::from_slice(&bytes);
    // rmcp reports 2026-07-28 header problems (missing headers, `MCP-Protocol-Version` vs
    // `_meta`) with its own -32020, which is this project's `evidence` code; the surface
    // answers every header disagreement with -32602 `header mismatch` (mcp-surface §2.1).
    if let Some(message) = outcome
        .as_ref()
        .filter(|body| body.rpc_error_code() == Some(RMCP_HEADER_MISMATCH))
        .and_then(ResponseFacts::rpc_error_message)
    {
        let error = ToolError::invalid_params(format!("header mismatch: {message}"));
        let id = object.get("id");
        let body = super::rpc::error_response(&error, id, summary.request_id.as_deref());
        bytes = serde_json::to_vec(&body).unwrap_or_default().into();
        response_parts.headers.remove("content-length");
        outcome = ResponseFacts::from_value(&body);
    }
    summary.response_bytes = bytes.len();
    summary.error = outcome.as_ref().and_then(ResponseFacts::error);
    if method.as_deref() == Some("initialize")
        && summary.error.is_none()
        && let Some(version) = outcome.as_ref().and_then(ResponseFacts::protocol_version)
        && let Ok(value) = HeaderValue::from_str(&context.sessions.issue(&principal_id, version, now_ms()))
    {
        response_parts.headers.insert("mcp-session-id", value);
    }
    context.apply_scope_challenge(&admitted.transport, &mut response_parts.status, &mut response_parts.headers);
    context.correlation_headers(&facts, &mut response_parts.headers);
    context.finish(&facts, &summary).await;
    Response::from_parts(response_parts, Body::from(bytes))
}

/// Answers a self-contained request on the lean path ([`super::mcp_lean`]); gives the
/// admitted request back when it must go through rmcp (or is refused on the usual path).
async fn lean_answer(
    context: &HttpContext,
    parts: &http::request::Parts,
    admitted: Admitted,
    summary: &mut RequestSummary,
) -> Result<Response, Admitted> {
    let Some(handler) = &context.lean else { return Err(admitted) };
    if !super::mcp_lean::headers_allow(&parts.headers) {
        return Err(admitted);
    }
    let Ok(message) = serde_json::from_slice::<rmcp::model::ClientJsonRpcMessage>(&admitted.body) else {
        return Err(admitted);
    };
    let Some(lean) = super::mcp_lean::classify(&parts.headers, message) else { return Err(admitted) };
    if check_mcp_headers(&parts.headers, Some(lean.method()), lean.tool()).is_some() {
        return Err(admitted);
    }
    if !context.session_header_valid(&parts.headers, &admitted.transport.principal.principal_id()) {
        return Err(admitted);
    }
    let facts = &admitted.facts;
    summary.method = Some(lean.method().to_owned());
    summary.tool = lean.tool().map(str::to_owned);
    summary.request_id = Some(lean.request_id());
    let answer = super::mcp_lean::answer(handler, &admitted.transport, lean).await;
    crate::telemetry::record_lean_request();
    summary.response_bytes = answer.body.len();
    summary.error = answer.error;
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = answer.status;
    let (mut response_parts, body) = response.into_parts();
    response_parts.headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    context.apply_scope_challenge(&admitted.transport, &mut response_parts.status, &mut response_parts.headers);
    context.correlation_headers(facts, &mut response_parts.headers);
    context.finish(facts, summary).await;
    Ok(Response::from_parts(response_parts, body))
}

/// rmcp's `HEADER_MISMATCH` error code.
const RMCP_HEADER_MISMATCH: i64 = -32020;

/// `MCP-Protocol-Version` must be supported; `Mcp-Method` / `Mcp-Name`, when present, must
/// agree with the body.
fn check_mcp_headers(headers: &http::HeaderMap, method: Option<&str>, tool: Option<&str>) -> Option<ToolError> {
    if let Some(version) = headers.get("mcp-protocol-version") {
        let supported =
            version.to_str().is_ok_and(|version| SUPPORTED_VERSIONS.iter().any(|known| known.as_str() == version));
        if !supported {
            return Some(ToolError::new(ErrorCode::InvalidRequest, "unsupported protocol version"));
        }
    }
    if let Some(header) = headers.get("mcp-method")
        && header.to_str().ok() != method
    {
        return Some(ToolError::invalid_params("header mismatch: Mcp-Method"));
    }
    if let Some(header) = headers.get("mcp-name")
        && tool.is_some()
        && header.to_str().ok() != tool
    {
        return Some(ToolError::invalid_params("header mismatch: Mcp-Name"));
    }
    None
}

async fn mcp_delete(State(context): State<Arc<HttpContext>>, request: Request) -> Response {
    if request.headers().contains_key("mcp-session-id") {
        StatusCode::NO_CONTENT.into_response()
    } else {
        let _ = context;
        (StatusCode::METHOD_NOT_ALLOWED, [("allow", "POST")]).into_response()
    }
}

async fn rpc_post(State(context): State<Arc<HttpContext>>, request: Request) -> Response {
    let (_, admitted) = match admitted(request).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let facts = admitted.facts.clone();
    let outcome = super::rpc::handle(&context.router, &admitted.transport, &admitted.body).await;
    let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::OK);
    let json_bytes = serde_json::to_vec(&outcome.body).unwrap_or_else(|_| {
        br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32060,"message":"serialization failed","data":{"kind":"serialization","retryable":false,"request_id":null}}}"#.to_vec()
    });
    let sse = context.transport_label == TransportLabel::Sse;
    let body_bytes: Bytes =
        if sse { format!("data: {}\n\n", String::from_utf8_lossy(&json_bytes)).into() } else { json_bytes.into() };
    let summary = RequestSummary {
        request_id: outcome.request_id.clone(),
        method: match outcome.method {
            "ToolsList" => Some("tools/list".to_owned()),
            "ToolsCall" => Some("tools/call".to_owned()),
            "Other" => Some("other".to_owned()),
            _ => None,
        },
        notification: false,
        tool: outcome.tool.clone(),
        error: outcome.error.as_ref().map(|error| (error.code.code(), error.code.kind())),
        request_bytes: admitted.body.len(),
        response_bytes: body_bytes.len(),
    };
    let mut response = Response::new(Body::from(body_bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if sse {
        headers.insert("content-type", HeaderValue::from_static("text/event-stream"));
        headers.insert("cache-control", HeaderValue::from_static("no-cache"));
    } else {
        headers.insert("content-type", HeaderValue::from_static("application/json"));
    }
    if let Some(retry) = outcome.error.as_ref().and_then(|error| error.retry_after_ms)
        && let Ok(value) = HeaderValue::from_str(&super::limits::retry_after_seconds(retry).to_string())
    {
        headers.insert("retry-after", value);
    }
    let (mut response_parts, body) = response.into_parts();
    context.apply_scope_challenge(&admitted.transport, &mut response_parts.status, &mut response_parts.headers);
    context.correlation_headers(&facts, &mut response_parts.headers);
    context.finish(&facts, &summary).await;
    Response::from_parts(response_parts, body)
}

async fn healthz() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

async fn readyz(State(context): State<Arc<HttpContext>>) -> Response {
    let state = context.state.clone();
    let ready = tokio::task::spawn_blocking(move || state.ready()).await.unwrap_or(false);
    metrics::gauge!("decision_gate_ready").set(if ready { 1.0 } else { 0.0 });
    if ready {
        axum::Json(json!({"status": "ready"})).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({"status": "not_ready"}))).into_response()
    }
}

async fn metrics_route(State(context): State<Arc<HttpContext>>) -> Response {
    if !context.state.config.server.metrics.enabled {
        return StatusCode::NOT_FOUND.into_response();
    }
    match crate::telemetry::prometheus() {
        Some(handle) => ([("content-type", "text/plain; version=0.0.4")], handle.render()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /`: what this server is and where its endpoints are (no auth, no audit).
async fn index(State(context): State<Arc<HttpContext>>) -> Response {
    let auth = context.state.auth_label.unwrap_or(match context.state.config.server.auth.mode {
        crate::config::AuthMode::LocalOnly => "local_only",
        crate::config::AuthMode::BearerToken => "bearer_token",
        crate::config::AuthMode::Mtls => "mtls",
    });
    axum::Json(json!({
        "name": "decision-gate",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Gates AI-agent work on recorded evidence: an MCP server that records an auditable decision for every request to proceed.",
        "endpoints": {
            "mcp": "/mcp",
            "rpc": "/rpc",
            "healthz": "/healthz",
            "readyz": "/readyz",
            "metrics": "/metrics",
        },
        "auth": auth,
    }))
    .into_response()
}

async fn method_not_allowed() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [("allow", "POST")]).into_response()
}

fn gate(context: &HttpContext, endpoint: &'static str, style: RejectionStyle, max_body_bytes: usize) -> Gate {
    Gate { endpoint, style, max_body_bytes: max_body_bytes.min(context.state.config.server.max_body_bytes) }
}

/// The axum router of every HTTP route, each behind the admission layer: `/mcp`, `/rpc` and
/// the embedder's authenticated routes after the whole of admission, everything else after
/// the public part of it.
pub fn routes(context: Arc<HttpContext>) -> Router {
    let extra = context.state.http_routes.clone();
    let metadata = context.protected_resource.clone().filter(|resource| resource.resource.is_some());
    let max = context.state.config.server.max_body_bytes;
    let admit = |endpoint: &'static str, style: RejectionStyle, max_body: usize| {
        axum::middleware::from_fn_with_state(
            AdmissionState::new(context.clone(), gate(&context, endpoint, style, max_body)),
            admission::authenticated,
        )
    };
    let mcp = Router::new().route("/mcp", post(mcp_post)).with_state(context.clone()).layer(admit(
        "/mcp",
        RejectionStyle::JsonRpc,
        max,
    ));
    let rpc = Router::new().route("/rpc", post(rpc_post)).with_state(context.clone()).layer(admit(
        "/rpc",
        RejectionStyle::JsonRpc,
        max,
    ));
    let mut public = Router::new()
        .route("/", get(index))
        .route("/mcp", get(method_not_allowed).delete(mcp_delete))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_route))
        .with_state(context.clone());
    let url = metadata.as_ref().and_then(crate::state::ProtectedResource::metadata_url);
    if let Some(metadata) = metadata {
        public = public.merge(super::resource_metadata::routes(metadata));
    }
    let mut authenticated = mcp.merge(rpc);
    if let Some(extra) = extra {
        let gated = extra.authenticated.layer(admit(extra.label, RejectionStyle::Json, extra.max_body_bytes));
        authenticated = authenticated.merge(gated);
        public = public.merge(extra.public);
    }
    let public_gate = gate(&context, "public", RejectionStyle::Json, 0);
    let public = public.layer(axum::middleware::from_fn_with_state(
        AdmissionState::new(context.clone(), public_gate),
        admission::public,
    ));
    let mut router = authenticated.merge(public);
    if let Some(url) = url {
        router = router.layer(Extension(super::resource_metadata::ResourceMetadataUrl(url)));
    }
    router
}

async fn serve_connection<I>(io: I, service: Router, connection: ConnectionInfo, graceful: &GracefulShutdown)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service.map_request(move |mut request: http::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(connection.clone());
        request.map(Body::new)
    });
    let mut builder = ConnectionBuilder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(IDLE_TIMEOUT);
    let connection =
        builder.serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service)).into_owned();
    let watched = graceful.watch(connection);
    tokio::spawn(async move {
        let _ = watched.await;
    });
}

/// Serves HTTP (or HTTPS with `tls`) until `shutdown` resolves, then drains in-flight
/// requests for up to 30 s.
pub async fn serve(
    context: Arc<HttpContext>,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = routes(context);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        match &tls {
            None => serve_connection(stream, app, ConnectionInfo { peer, client_cert: None }, &graceful).await,
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let Ok(Ok(tls_stream)) = tokio::time::timeout(IDLE_TIMEOUT, acceptor.accept(stream)).await else {
                        return;
                    };
                    let client_cert = tls_stream
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|chain| chain.first())
                        .and_then(certificate_identity);
                    let service = app.map_request(move |mut request: http::Request<hyper::body::Incoming>| {
                        request.extensions_mut().insert(ConnectionInfo { peer, client_cert: client_cert.clone() });
                        request.map(Body::new)
                    });
                    let mut builder = ConnectionBuilder::new(TokioExecutor::new());
                    builder.http1().timer(TokioTimer::new()).header_read_timeout(IDLE_TIMEOUT);
                    let connection = builder
                        .serve_connection_with_upgrades(TokioIo::new(tls_stream), TowerToHyperService::new(service))
                        .into_owned();
                    let _ = watcher.watch(connection).await;
                });
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
    Ok(())
}
