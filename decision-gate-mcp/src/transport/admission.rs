//! The admission layer: one `tower` layer (an axum middleware) in front of every route the
//! HTTP server serves, so no route can forget a check. Authenticated routes (`/mcp`, `/rpc`
//! and an embedder's API) get the whole of [`HttpContext::admit`]: `Host`/`Origin`, body size
//! and read timeout, a single `Authorization` header, the in-flight slot, per-IP and
//! per-principal rate limits, and authentication before the body is read; their handlers find
//! the caller in the request's [`AdmittedCall`] extension and the buffered body as the body.
//! Public routes (the index, health, metrics, documents) get `Host`/`Origin` and the in-flight
//! slot.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::TransportContext;
use super::http::HttpContext;
use super::http_guard::{ConnectionInfo, Gate, RequestFacts};

/// What admission learned about an authenticated request: the caller and the facts its
/// answer and audit records need. Inserted into the request's extensions.
#[derive(Clone, Debug)]
pub struct AdmittedCall {
    /// Caller and correlation facts (the principal, the client IP after the trusted-proxy rule).
    pub transport: TransportContext,
    /// Facts for answering and auditing the request.
    pub facts: RequestFacts,
}

/// State of one admission layer: the server's HTTP context and the gate of its routes.
#[derive(Clone)]
pub struct AdmissionState {
    context: Arc<HttpContext>,
    gate: Gate,
}

impl AdmissionState {
    /// The layer state for routes behind `gate`.
    pub fn new(context: Arc<HttpContext>, gate: Gate) -> Self {
        AdmissionState { context, gate }
    }
}

fn connection(request: &Request) -> Option<ConnectionInfo> {
    request.extensions().get::<ConnectionInfo>().cloned()
}

/// Admits an authenticated request (see the module documentation); the in-flight slot is
/// held until the handler's response is ready.
pub async fn authenticated(State(admission): State<AdmissionState>, request: Request, next: Next) -> Response {
    let Some(connection) = connection(&request) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let (parts, body) = request.into_parts();
    let (admitted, permit) = match admission.context.admit(&admission.gate, &connection, &parts, body).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let mut request = Request::from_parts(parts, Body::from(admitted.body));
    request.extensions_mut().insert(AdmittedCall { transport: admitted.transport, facts: admitted.facts });
    let response = next.run(request).await;
    drop(permit);
    response
}

/// Admits a public request (see the module documentation).
pub async fn public(State(admission): State<AdmissionState>, request: Request, next: Next) -> Response {
    let Some(connection) = connection(&request) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let (parts, body) = request.into_parts();
    let permit = match admission.context.admit_public(&admission.gate, &connection, &parts).await {
        Ok(permit) => permit,
        Err(response) => return response,
    };
    let response = next.run(Request::from_parts(parts, body)).await;
    drop(permit);
    response
}
