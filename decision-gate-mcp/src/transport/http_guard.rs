//! Admission of HTTP requests to `/mcp` and `/rpc`, in the order of mcp-surface §3.3: Origin,
//! body size, correlation id, in-flight slot, per-IP rate limit, authentication, per-principal
//! rate limit. Every rejection is a JSON-RPC envelope with `id: null`, audited and counted.

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
use crate::pipeline::{AuditEvent, McpRequestEvent, SecurityAuditEvent, ToolAuthzEvent, now_ms};
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
    /// Held in-flight slot (released when dropped).
    pub permit: InflightPermit,
    /// When the request arrived.
    pub started: Instant,
}

/// Facts needed to answer and audit a request (before or after admission).
#[derive(Clone, Debug)]
pub struct RequestFacts {
    /// `/mcp` or `/rpc`.
    pub endpoint: &'static str,
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

    /// Audits and counts one finished request.
    pub fn finish(&self, facts: &RequestFacts, summary: &RequestSummary) {
        let evidence = summary.tool.as_deref() == Some("evidence_query");
        self.state.audit.record(&AuditEvent::McpRequest(McpRequestEvent {
            timestamp_ms: now_ms(),
            request_id: summary.request_id.clone(),
            unsafe_client_correlation_id: facts.client_correlation_id.clone(),
            server_correlation_id: facts.server_correlation_id.clone(),
            transport: self.label().as_str(),
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
        }));
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
    pub fn reject(&self, facts: &RequestFacts, status: StatusCode, error: ToolError, request_bytes: usize) -> Response {
        let body = super::rpc::error_response(&error, None, None);
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
        self.finish(facts, &summary);
        response
    }

    fn security_event(&self, facts: &RequestFacts, kind: &'static str, message: String) {
        self.state.audit.record(&AuditEvent::SecurityAudit(SecurityAuditEvent {
            timestamp_ms: now_ms(),
            unsafe_client_correlation_id: facts.client_correlation_id.clone(),
            server_correlation_id: facts.server_correlation_id.clone(),
            kind,
            message,
            dev_permissive: self.state.config.dev_permissive(),
            namespace_authority: self.state.namespace_authority.label().to_owned(),
        }));
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

    fn rate_denial(
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
                self.reject(facts, StatusCode::TOO_MANY_REQUESTS, error, request_bytes)
            }
            RateDenial::TableFull => {
                let error = ToolError::new(ErrorCode::InflightLimit, "rate limiter overloaded");
                self.reject(facts, StatusCode::SERVICE_UNAVAILABLE, error, request_bytes)
            }
        }
    }

    /// Runs every admission check; `Err` is the finished rejection response.
    pub async fn admit(
        &self,
        endpoint: &'static str,
        connection: &ConnectionInfo,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<Admitted, Response> {
        let started = Instant::now();
        let mut facts = RequestFacts {
            endpoint,
            peer: connection.peer,
            server_correlation_id: self.state.correlation.next(),
            client_correlation_id: None,
            started,
            client_subject: None,
        };
        if let Some(origin) = headers.get("origin") {
            let allowed = origin.to_str().is_ok_and(|origin| {
                self.state.config.server.http.allowed_origins.iter().any(|allowed| allowed == origin)
            });
            if !allowed {
                self.security_event(&facts, "origin_rejected", "origin not allowed".to_owned());
                let error = ToolError::new(ErrorCode::InvalidRequest, "origin not allowed");
                return Err(self.reject(&facts, StatusCode::FORBIDDEN, error, 0));
            }
        }
        let max = self.state.config.server.max_body_bytes;
        let declared = headers.get("content-length").and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
        let too_large = || ToolError::new(ErrorCode::RequestTooLarge, "request body too large");
        if declared.is_some_and(|length| length > max) {
            return Err(self.reject(&facts, StatusCode::PAYLOAD_TOO_LARGE, too_large(), declared.unwrap_or(0)));
        }
        let limited = http_body_util::Limited::new(body, max);
        let body = match tokio::time::timeout(super::http::IDLE_TIMEOUT, limited.collect()).await {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(_)) => return Err(self.reject(&facts, StatusCode::PAYLOAD_TOO_LARGE, too_large(), max + 1)),
            Err(_) => {
                let error = ToolError::new(ErrorCode::InvalidRequest, "request body timed out");
                return Err(self.reject(&facts, StatusCode::REQUEST_TIMEOUT, error, 0));
            }
        };
        let size = body.len();
        if let Some(raw) = headers.get("x-correlation-id") {
            match sanitize_header_correlation_id(raw.as_bytes()) {
                Ok(clean) => facts.client_correlation_id = Some(clean),
                Err(rejection) => {
                    self.security_event(
                        &facts,
                        "invalid_correlation_id",
                        format!("correlation_id_rejected: {}", rejection.label()),
                    );
                    let error = ToolError::new(ErrorCode::InvalidCorrelationId, "invalid correlation id");
                    return Err(self.reject(&facts, StatusCode::BAD_REQUEST, error, size));
                }
            }
        }
        let Some(permit) = self.inflight.try_acquire() else {
            let error = ToolError::new(ErrorCode::InflightLimit, "server overloaded");
            return Err(self.reject(&facts, StatusCode::SERVICE_UNAVAILABLE, error, size));
        };
        let client_ip = self.client_ip(connection.peer, headers);
        if let Some(layer) = &self.ip_limiter
            && let Err(denial) = layer.check(&client_ip)
        {
            return Err(self.rate_denial(&facts, denial, "ip", size));
        }
        let request = AuthRequest {
            transport: self.label(),
            peer: Some(connection.peer),
            authorization: headers.get("authorization").map(HeaderValue::as_bytes),
            client_subject_header: headers.get("x-decision-gate-client-subject").map(HeaderValue::as_bytes),
            client_cert: connection.client_cert.as_ref(),
        };
        let outcome = self.state.authenticator.authenticate(&request).await;
        if outcome.ignored_untrusted_subject_header {
            self.security_event(
                &facts,
                "untrusted_client_subject_header",
                "client subject header from untrusted peer ignored".to_owned(),
            );
        }
        let principal = match outcome.result {
            Ok(principal) => principal,
            Err(failure) => return Err(self.auth_rejection(&facts, failure, size)),
        };
        facts.client_subject = Some(principal.principal_id());
        if let Some(layer) = &self.principal_limiter
            && let Err(denial) = layer.check(&principal.principal_id())
        {
            return Err(self.rate_denial(&facts, denial, "principal", size));
        }
        let transport = TransportContext {
            transport: self.label(),
            endpoint: Some(endpoint),
            peer_ip: Some(connection.peer.ip()),
            principal,
            server_correlation_id: facts.server_correlation_id.clone(),
            client_correlation_id: facts.client_correlation_id.clone(),
        };
        Ok(Admitted { transport, body, permit, started })
    }

    fn auth_rejection(&self, facts: &RequestFacts, failure: crate::auth::AuthFailure, size: usize) -> Response {
        // The reason is prefixed with the kind of the answered code: `unauthenticated` (401,
        // -32001) or `unauthorized` (403, -32003, an identity that is not allowed).
        let prefix = match failure.status {
            AuthFailureStatus::Unauthenticated => "unauthenticated",
            AuthFailureStatus::Forbidden => "unauthorized",
        };
        self.state.audit.record(&AuditEvent::McpToolAuthz(ToolAuthzEvent {
            timestamp_ms: now_ms(),
            decision: "deny",
            action: "request".to_owned(),
            transport: self.label().as_str(),
            peer_ip: Some(facts.peer.ip().to_string()),
            auth_method: None,
            subject: None,
            token_fingerprint: None,
            reason: Some(format!("{prefix}: {}", failure.reason)),
            request_id: None,
            unsafe_client_correlation_id: facts.client_correlation_id.clone(),
            server_correlation_id: facts.server_correlation_id.clone(),
        }));
        match failure.status {
            AuthFailureStatus::Forbidden => self.reject(facts, StatusCode::FORBIDDEN, ToolError::unauthorized(), size),
            AuthFailureStatus::Unauthenticated => {
                let mut response = self.reject(facts, StatusCode::UNAUTHORIZED, ToolError::unauthenticated(), size);
                let challenge = if failure.token_rejected {
                    r#"Bearer realm="decision-gate", error="invalid_token""#
                } else {
                    r#"Bearer realm="decision-gate""#
                };
                response.headers_mut().insert("www-authenticate", HeaderValue::from_static(challenge));
                response
            }
        }
    }
}
