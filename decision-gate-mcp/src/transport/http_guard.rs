//! Admission of HTTP requests, in the order of mcp-surface §3.3: Origin and Host, declared body
//! size, correlation id, a single `Authorization` header, in-flight slot, per-IP rate limit,
//! authentication, per-principal rate limit, and only then the body (its size limit and read
//! timeout), so an unauthenticated client never holds a connection by trickling a body. Every
//! rejection is audited and counted; its body is a JSON-RPC envelope with `id: null` on
//! `/mcp` and `/rpc`, or `{"error": {"code", "message"}}` on embedder routes
//! ([`RejectionStyle`]). The [`super::admission`] layer runs it for every route.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::Value;

use super::TransportContext;
use super::correlation::sanitize_header_correlation_id;
use super::http::HttpContext;
use super::limits::{InflightPermit, RateDenial, retry_after_seconds};
use crate::auth::{AuthFailureStatus, AuthRequest, ClientCertIdentity, TransportLabel};
use crate::errors::{ErrorCode, ToolError};
use crate::pipeline::{
    AuditEvent, AuditHeader, McpRequestEvent, SecurityAuditEvent, ToolAuthzEvent, sanitize_idempotency_key,
};
use crate::telemetry::{RequestMetric, record_request};

/// Per-connection facts inserted by the accept loop.
#[derive(Clone, Debug)]
pub struct ConnectionInfo {
    /// TCP peer.
    pub peer: SocketAddr,
    /// Identity of a verified client certificate.
    pub client_cert: Option<ClientCertIdentity>,
}

/// A request that passed admission.
pub struct Admitted {
    /// Caller and correlation facts.
    pub transport: TransportContext,
    /// The buffered body.
    pub body: Bytes,
    /// When the request arrived.
    pub started: Instant,
    /// Facts for answering and auditing the request.
    pub facts: RequestFacts,
}

/// How a group of routes answers a request admission refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectionStyle {
    /// The JSON-RPC error envelope of mcp-surface §3.2 (`/mcp`, `/rpc`).
    JsonRpc,
    /// `{"error": {"code": <label>, "message": <message>}}` (embedder routes: an admin API).
    Json,
}

/// What one group of routes admits: its label in audit records and metrics, its rejection
/// style and its largest body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gate {
    /// `/mcp`, `/rpc`, or the embedder's label (`/admin/v1`).
    pub endpoint: &'static str,
    /// Rejection bodies.
    pub style: RejectionStyle,
    /// Largest body (bytes).
    pub max_body_bytes: usize,
}

/// The error label of a [`RejectionStyle::Json`] body for an HTTP status.
pub fn json_error_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        _ => "invalid_request",
    }
}

/// Facts needed to answer and audit a request (before or after admission).
#[derive(Clone, Debug)]
pub struct RequestFacts {
    /// `/mcp`, `/rpc` or an embedder's label.
    pub endpoint: &'static str,
    /// How a refusal is written.
    pub style: RejectionStyle,
    /// TCP peer.
    pub peer: SocketAddr,
    /// Server correlation id.
    pub server_correlation_id: String,
    /// Validated client correlation id (echoed).
    pub client_correlation_id: Option<String>,
    /// Arrival time.
    pub started: Instant,
    /// Subject, once authenticated.
    pub client_subject: Option<String>,
    /// Client IP after the trusted-proxy rule.
    pub client_ip: IpAddr,
    /// How the caller authenticated, once it has.
    pub auth_method: Option<&'static str>,
    /// Credential id of the caller, once authenticated.
    pub credential_id: Option<String>,
}

impl RequestFacts {
    /// The audit header of a transport-level event about this request.
    pub fn audit_header(&self, transport: TransportLabel, request_id: Option<String>) -> AuditHeader {
        AuditHeader {
            request_id,
            unsafe_client_correlation_id: self.client_correlation_id.clone(),
            transport: Some(transport.as_str()),
            client_ip: Some(self.client_ip.to_string()),
            principal_id: self.client_subject.clone(),
            auth_method: self.auth_method,
            credential_id: self.credential_id.clone(),
            ..AuditHeader::new(self.server_correlation_id.clone())
        }
    }
}

/// What the audit record and metrics say about a finished request.
#[derive(Clone, Debug, Default)]
pub struct RequestSummary {
    /// JSON text of the request id.
    pub request_id: Option<String>,
    /// JSON-RPC method.
    pub method: Option<String>,
    /// Whether the message was a notification.
    pub notification: bool,
    /// Tool of a call.
    pub tool: Option<String>,
    /// Error code and kind.
    pub error: Option<(i32, &'static str)>,
    /// Request size.
    pub request_bytes: usize,
    /// Response size.
    pub response_bytes: usize,
}

impl HttpContext {
    fn label(&self) -> TransportLabel {
        self.transport_label
    }

    /// Writes a transport-level record (its failure is counted by the sink and logged: the
    /// request it describes has been answered already or is refused anyway).
    pub async fn audit(&self, facts: &RequestFacts, request_id: Option<String>, event: AuditEvent) {
        let record = facts.audit_header(self.label(), request_id).record(event);
        if let Err(error) = self.state.audit.record(&record).await {
            tracing::warn!(%error, event = record.event.label(), "audit record failed");
        }
    }

    /// Audits and counts one finished request.
    pub async fn finish(&self, facts: &RequestFacts, summary: &RequestSummary) {
        let evidence = summary.tool.as_deref() == Some("evidence_query");
        let event = AuditEvent::McpRequest(McpRequestEvent {
            endpoint: Some(facts.endpoint),
            peer_ip: Some(facts.peer.ip().to_string()),
            method: crate::telemetry::audit_method(summary.method.as_deref()),
            tool: summary.tool.clone(),
            outcome: if summary.error.is_some() { "Error" } else { "Ok" },
            error_code: summary.error.map(|(code, _)| code),
            error_kind: summary.error.map(|(_, kind)| kind),
            request_bytes: summary.request_bytes as u64,
            response_bytes: summary.response_bytes as u64,
            client_subject: facts.client_subject.clone(),
            redaction: if evidence { "evidence" } else { "full" },
        });
        self.audit(facts, summary.request_id.clone(), event).await;
        record_request(&RequestMetric {
            transport: self.label().as_str(),
            endpoint: facts.endpoint,
            method: crate::telemetry::method_class(summary.method.as_deref(), summary.notification),
            tool: summary.tool.as_deref(),
            error_kind: summary.error.map(|(_, kind)| kind),
            request_bytes: summary.request_bytes,
            response_bytes: summary.response_bytes,
            duration: facts.started.elapsed(),
        });
    }

    /// Correlation headers every response carries.
    pub fn correlation_headers(&self, facts: &RequestFacts, headers: &mut HeaderMap) {
        if let Ok(value) = HeaderValue::from_str(&facts.server_correlation_id) {
            headers.insert("x-server-correlation-id", value);
        }
        if let Some(client) = &facts.client_correlation_id
            && let Ok(value) = HeaderValue::from_str(client)
        {
            headers.insert("x-correlation-id", value);
        }
    }

    /// A JSON response with the correlation headers.
    pub fn json_response(&self, facts: &RequestFacts, status: StatusCode, body: &Value) -> (Response, usize) {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let length = bytes.len();
        let mut response = Response::new(Body::from(bytes));
        *response.status_mut() = status;
        response.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
        self.correlation_headers(facts, response.headers_mut());
        (response, length)
    }

    /// Rejects a request before parsing: envelope with `id: null`, audited and counted.
    pub async fn reject(
        &self,
        facts: &RequestFacts,
        status: StatusCode,
        error: ToolError,
        request_bytes: usize,
    ) -> Response {
        let body = match facts.style {
            RejectionStyle::JsonRpc => super::rpc::error_response(&error, None, None),
            RejectionStyle::Json => {
                serde_json::json!({"error": {"code": json_error_code(status), "message": error.message}})
            }
        };
        let (mut response, length) = self.json_response(facts, status, &body);
        if let Some(retry) = error.retry_after_ms
            && let Ok(value) = HeaderValue::from_str(&retry_after_seconds(retry).to_string())
        {
            response.headers_mut().insert("retry-after", value);
        }
        let summary = RequestSummary {
            error: Some((error.code.code(), error.code.kind())),
            request_bytes,
            response_bytes: length,
            ..RequestSummary::default()
        };
        self.finish(facts, &summary).await;
        response
    }

    async fn security_event(&self, facts: &RequestFacts, kind: &'static str, message: String) {
        let event = AuditEvent::SecurityAudit(SecurityAuditEvent {
            kind,
            message,
            dev_permissive: self.state.config.dev_permissive(),
            namespace_authority: self.state.namespace_authority.label().to_owned(),
        });
        self.audit(facts, None, event).await;
    }

    /// The client IP for rate limiting: the TCP peer, or behind a trusted proxy the right-most
    /// `X-Forwarded-For` address that is not itself a trusted proxy.
    fn client_ip(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let proxies = &self.trusted_proxies;
        if !proxies.contains(peer.ip()) {
            return peer.ip();
        }
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
            .rev()
            .find(|ip| !proxies.contains(*ip))
            .unwrap_or(peer.ip())
    }

    async fn rate_denial(
        &self,
        facts: &RequestFacts,
        denial: RateDenial,
        layer: &'static str,
        request_bytes: usize,
    ) -> Response {
        match denial {
            RateDenial::Limited { retry_after_ms } => {
                metrics::counter!("decision_gate_rate_limited_total", "layer" => layer).increment(1);
                let error =
                    ToolError::new(ErrorCode::RateLimited, "rate limit exceeded").with_retry_after(retry_after_ms);
                self.reject(facts, StatusCode::TOO_MANY_REQUESTS, error, request_bytes).await
            }
            RateDenial::TableFull => {
                let error = ToolError::new(ErrorCode::InflightLimit, "rate limiter overloaded");
                self.reject(facts, StatusCode::SERVICE_UNAVAILABLE, error, request_bytes).await
            }
        }
    }

    fn facts(&self, gate: &Gate, connection: &ConnectionInfo, headers: &HeaderMap) -> RequestFacts {
        RequestFacts {
            endpoint: gate.endpoint,
            style: gate.style,
            peer: connection.peer,
            server_correlation_id: self.state.correlation.next(),
            client_correlation_id: None,
            started: Instant::now(),
            client_subject: None,
            client_ip: self.client_ip(connection.peer, headers),
            auth_method: None,
            credential_id: None,
        }
    }

    async fn host_rejection(&self, facts: &RequestFacts, parts: &http::request::Parts) -> Option<Response> {
        let (kind, message) = self.host_policy.check(&parts.headers, parts.uri.authority().map(|a| a.as_str()))?;
        self.security_event(facts, kind, message.to_owned()).await;
        let error = ToolError::new(ErrorCode::InvalidRequest, message);
        Some(self.reject(facts, StatusCode::FORBIDDEN, error, 0).await)
    }

    /// Admission of a route anyone may read (documents, health): `Host`/`Origin` and an
    /// in-flight slot. No rate limit: a load balancer's probes must never spend a client's
    /// budget, and these routes answer from memory. `Err` is the finished rejection response.
    pub async fn admit_public(
        &self,
        gate: &Gate,
        connection: &ConnectionInfo,
        parts: &http::request::Parts,
    ) -> Result<InflightPermit, Response> {
        let facts = self.facts(gate, connection, &parts.headers);
        if let Some(response) = self.host_rejection(&facts, parts).await {
            return Err(response);
        }
        let Some(permit) = self.inflight.try_acquire() else {
            let error = ToolError::new(ErrorCode::InflightLimit, "server overloaded");
            return Err(self.reject(&facts, StatusCode::SERVICE_UNAVAILABLE, error, 0).await);
        };
        Ok(permit)
    }

    /// Runs every admission check; `Err` is the finished rejection response. The body is read
    /// only after the caller authenticated.
    pub async fn admit(
        &self,
        gate: &Gate,
        connection: &ConnectionInfo,
        parts: &http::request::Parts,
        body: Body,
    ) -> Result<(Admitted, InflightPermit), Response> {
        let headers = &parts.headers;
        let mut facts = self.facts(gate, connection, headers);
        let started = facts.started;
        if let Some(response) = self.host_rejection(&facts, parts).await {
            return Err(response);
        }
        let max = gate.max_body_bytes;
        let declared = headers.get("content-length").and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
        let too_large = || ToolError::new(ErrorCode::RequestTooLarge, "request body too large");
        if declared.is_some_and(|length| length > max) {
            return Err(self.reject(&facts, StatusCode::PAYLOAD_TOO_LARGE, too_large(), declared.unwrap_or(0)).await);
        }
        if let Some(raw) = headers.get("x-correlation-id") {
            match sanitize_header_correlation_id(raw.as_bytes()) {
                Ok(clean) => facts.client_correlation_id = Some(clean),
                Err(rejection) => {
                    self.security_event(
                        &facts,
                        "invalid_correlation_id",
                        format!("correlation_id_rejected: {}", rejection.label()),
                    )
                    .await;
                    let error = ToolError::new(ErrorCode::InvalidCorrelationId, "invalid correlation id");
                    return Err(self.reject(&facts, StatusCode::BAD_REQUEST, error, 0).await);
                }
            }
        }
        if headers.get_all(http::header::AUTHORIZATION).iter().nth(1).is_some() {
            // A proxy reading the last header and this server reading the first would disagree
            // about who the caller is: refuse the request instead of picking one.
            self.security_event(&facts, "duplicate_authorization", "more than one Authorization header".to_owned())
                .await;
            let error = ToolError::new(ErrorCode::InvalidRequest, "more than one authorization header");
            return Err(self.reject(&facts, StatusCode::BAD_REQUEST, error, 0).await);
        }
        let Some(permit) = self.inflight.try_acquire() else {
            let error = ToolError::new(ErrorCode::InflightLimit, "server overloaded");
            return Err(self.reject(&facts, StatusCode::SERVICE_UNAVAILABLE, error, 0).await);
        };
        if let Some(layer) = &self.ip_limiter
            && let Err(denial) = layer.check(&facts.client_ip)
        {
            return Err(self.rate_denial(&facts, denial, "ip", 0).await);
        }
        let request = AuthRequest {
            transport: self.label(),
            peer: Some(connection.peer),
            client_ip: Some(facts.client_ip),
            headers,
            client_cert: connection.client_cert.as_ref(),
        };
        let outcome = self.state.authenticator.authenticate(&request).await;
        if outcome.ignored_untrusted_subject_header {
            self.security_event(
                &facts,
                "untrusted_client_subject_header",
                "client subject header from untrusted peer ignored".to_owned(),
            )
            .await;
        }
        let principal = match outcome.result {
            Ok(principal) => principal,
            Err(failure) => return Err(self.auth_rejection(&facts, failure, 0).await),
        };
        facts.client_subject = Some(principal.principal_id());
        facts.auth_method = Some(principal.method.as_str());
        facts.credential_id = principal.credential_id.clone();
        if let Some(layer) = &self.principal_limiter
            && let Err(denial) = layer.check(&principal.principal_id())
        {
            return Err(self.rate_denial(&facts, denial, "principal", 0).await);
        }
        let limited = http_body_util::Limited::new(body, max);
        let body = match tokio::time::timeout(self.body_timeout, limited.collect()).await {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(_)) => return Err(self.reject(&facts, StatusCode::PAYLOAD_TOO_LARGE, too_large(), max + 1).await),
            Err(_) => {
                let error = ToolError::new(ErrorCode::InvalidRequest, "request body timed out");
                return Err(self.reject(&facts, StatusCode::REQUEST_TIMEOUT, error, 0).await);
            }
        };
        let transport = TransportContext {
            transport: self.label(),
            endpoint: Some(gate.endpoint),
            peer_ip: Some(connection.peer.ip()),
            client_ip: Some(facts.client_ip),
            principal,
            server_correlation_id: facts.server_correlation_id.clone(),
            client_correlation_id: facts.client_correlation_id.clone(),
            idempotency_key: headers
                .get("idempotency-key")
                .and_then(|value| sanitize_idempotency_key(value.as_bytes())),
            scope_challenge: Default::default(),
        };
        Ok((Admitted { transport, body, started, facts }, permit))
    }

    async fn auth_rejection(&self, facts: &RequestFacts, failure: crate::auth::AuthFailure, size: usize) -> Response {
        // The reason is prefixed with the kind of the answered code: `unauthenticated` (401,
        // -32001) or `unauthorized` (403, -32003, an identity that is not allowed).
        let prefix = match failure.status {
            AuthFailureStatus::Unauthenticated => "unauthenticated",
            AuthFailureStatus::Forbidden => "unauthorized",
            AuthFailureStatus::Unavailable => "unavailable",
        };
        let event = AuditEvent::McpToolAuthz(ToolAuthzEvent {
            decision: "deny",
            action: "request".to_owned(),
            peer_ip: Some(facts.peer.ip().to_string()),
            subject: None,
            token_fingerprint: None,
            reason: Some(format!("{prefix}: {}", failure.reason)),
        });
        self.audit(facts, None, event).await;
        match failure.status {
            AuthFailureStatus::Forbidden => {
                self.reject(facts, StatusCode::FORBIDDEN, ToolError::unauthorized(), size).await
            }
            AuthFailureStatus::Unavailable => {
                let error = ToolError::new(ErrorCode::InflightLimit, "authentication unavailable")
                    .with_retry_after(super::limits::AUTH_RETRY_AFTER_MS);
                self.reject(facts, StatusCode::SERVICE_UNAVAILABLE, error, size).await
            }
            AuthFailureStatus::Unauthenticated => {
                let mut response =
                    self.reject(facts, StatusCode::UNAUTHORIZED, ToolError::unauthenticated(), size).await;
                let error = failure.token_rejected.then_some("invalid_token");
                if let Some(challenge) = self.challenge(error, &[]) {
                    response.headers_mut().insert("www-authenticate", challenge);
                }
                response
            }
        }
    }

    /// A `WWW-Authenticate: Bearer` challenge: the realm, the error (`invalid_token`,
    /// `insufficient_scope`), the scopes a call needs and, when the server publishes
    /// protected-resource metadata, its URL (RFC 6750 §3, RFC 9728 §5.1).
    pub fn challenge(&self, error: Option<&str>, scopes: &[String]) -> Option<HeaderValue> {
        let url = self.protected_resource.as_ref().and_then(crate::state::ProtectedResource::metadata_url);
        super::resource_metadata::bearer_challenge(error, scopes, url.as_deref())
    }

    /// Turns a response whose tool call was denied for a missing permission into `403` with an
    /// `insufficient_scope` challenge listing every scope the call needed (the body, the
    /// JSON-RPC answer, is unchanged).
    pub fn apply_scope_challenge(
        &self,
        transport: &TransportContext,
        status: &mut StatusCode,
        headers: &mut HeaderMap,
    ) {
        if let Some(scopes) = transport.scope_challenge.get()
            && let Some(challenge) = self.challenge(Some("insufficient_scope"), scopes)
        {
            *status = StatusCode::FORBIDDEN;
            headers.insert("www-authenticate", challenge);
        }
    }
}
