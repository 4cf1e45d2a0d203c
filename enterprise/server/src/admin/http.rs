// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The admin HTTP API under `/admin/v1/` (JSON). Every route except the OpenAPI document
//! authenticates the caller like `/mcp` does (API key in the `Authorization` header, or a
//! mapped client certificate), passes the same `Host`/`Origin` policy, and answers errors as
//! `{"error": {"code", "message"}}` with the RFC 6750 challenge on 401 and 403.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_enterprise_authz::EnterpriseAuthenticator;
use decision_gate_enterprise_control::{NamespaceStatus, TenantStatus};
use decision_gate_mcp::auth::{AuthRequest, Authenticator, TransportLabel};
use decision_gate_mcp::pipeline::{AdminActionEvent, AuditEvent, AuditHeader, AuditSink};
use decision_gate_mcp::transport::host_check::HostPolicy;
use decision_gate_mcp::transport::http_guard::ConnectionInfo;
use decision_gate_mcp::transport::resource_metadata::{ResourceMetadataUrl, bearer_challenge};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{
    Actor, AdminCall, AdminError, AdminService, GrantRequest, IssueKeyRequest, NameRequest, PrincipalRequest,
    RotateKeyRequest,
};

/// Largest admin request body.
pub const MAX_ADMIN_BODY_BYTES: usize = 64 * 1024;

/// State of the admin routes.
pub struct AdminHttp {
    service: AdminService,
    authenticator: Arc<EnterpriseAuthenticator>,
    audit: Arc<dyn AuditSink>,
    host_policy: HostPolicy,
}

impl AdminHttp {
    /// The admin API over a service, the enterprise authenticator and the audit log. The
    /// server's protected-resource metadata URL (a request extension the open core adds) goes
    /// into every challenge.
    pub fn new(
        service: AdminService,
        authenticator: Arc<EnterpriseAuthenticator>,
        audit: Arc<dyn AuditSink>,
        host_policy: HostPolicy,
    ) -> Self {
        AdminHttp { service, authenticator, audit, host_policy }
    }
}

/// One request's facts: its connection, headers, URI and the server's metadata URL.
struct Request {
    connection: ConnectionInfo,
    headers: HeaderMap,
    uri: Uri,
    metadata_url: Option<String>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Request {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(connection) = parts.extensions.get::<ConnectionInfo>().cloned() else {
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        };
        Ok(Request {
            connection,
            headers: parts.headers.clone(),
            uri: parts.uri.clone(),
            metadata_url: parts.extensions.get::<ResourceMetadataUrl>().map(|url| url.0.clone()),
        })
    }
}

impl Request {
    fn challenge(&self, error: Option<&str>, scopes: &[String]) -> Option<HeaderValue> {
        bearer_challenge(error, scopes, self.metadata_url.as_deref())
    }

    fn error(&self, error: &AdminError) -> Response {
        let status = match error {
            AdminError::NotFound => StatusCode::NOT_FOUND,
            AdminError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AdminError::Invalid(_) => StatusCode::BAD_REQUEST,
            AdminError::Conflict(_) => StatusCode::CONFLICT,
            AdminError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        let mut response = (status, axum::Json(json!({"error": {"code": error.code(), "message": error.to_string()}})))
            .into_response();
        if let AdminError::Forbidden { required_scopes } = error
            && !required_scopes.is_empty()
            && let Some(challenge) = self.challenge(Some("insufficient_scope"), required_scopes)
        {
            response.headers_mut().insert("www-authenticate", challenge);
        }
        response
    }
}

impl AdminHttp {
    async fn unauthenticated(
        &self,
        request: &Request,
        header: AuditHeader,
        reason: String,
        token_rejected: bool,
    ) -> Response {
        let event = AuditEvent::AdminAction(AdminActionEvent {
            action: "authenticate".to_owned(),
            target: None,
            outcome: "denied",
            reason: Some(format!("unauthenticated: {reason}")),
            details: None,
        });
        if let Err(error) = self.audit.record(&header.record(event)).await {
            tracing::warn!(%error, "admin audit record not written");
        }
        let body = json!({"error": {"code": "unauthenticated", "message": "unauthenticated"}});
        let mut response = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
        if let Some(challenge) = request.challenge(token_rejected.then_some("invalid_token"), &[]) {
            response.headers_mut().insert("www-authenticate", challenge);
        }
        response
    }

    /// Checks `Host`/`Origin` and authenticates; the call carries the principal and its audit
    /// header.
    async fn authenticate(&self, request: &Request) -> Result<AdminCall, Response> {
        let (connection, headers, uri) = (&request.connection, &request.headers, &request.uri);
        let peer: SocketAddr = connection.peer;
        let header = AuditHeader {
            transport: Some(TransportLabel::Http.as_str()),
            client_ip: Some(peer.ip().to_string()),
            ..AuditHeader::new(format!("dg-admin-{:016x}", rand::random::<u64>()))
        };
        if let Some((kind, message)) =
            self.host_policy.check(headers, uri.authority().map(|authority| authority.as_str()))
        {
            let event = AuditEvent::AdminAction(AdminActionEvent {
                action: "admission".to_owned(),
                target: None,
                outcome: "denied",
                reason: Some(format!("{kind}: {message}")),
                details: None,
            });
            if let Err(error) = self.audit.record(&header.clone().record(event)).await {
                tracing::warn!(%error, "admin audit record not written");
            }
            let body = json!({"error": {"code": "forbidden", "message": message}});
            return Err((StatusCode::FORBIDDEN, axum::Json(body)).into_response());
        }
        let auth = AuthRequest {
            transport: TransportLabel::Http,
            peer: Some(peer),
            client_ip: Some(peer.ip()),
            headers,
            client_cert: connection.client_cert.as_ref(),
        };
        match self.authenticator.authenticate(&auth).await.result {
            Ok(principal) => {
                let header = AuditHeader {
                    principal_id: Some(principal.principal_id()),
                    auth_method: Some(principal.method.as_str()),
                    credential_id: principal.credential_id.clone(),
                    ..header
                };
                Ok(AdminCall { actor: Actor::Principal(principal), header })
            }
            Err(failure) => Err(self.unauthenticated(request, header, failure.reason, failure.token_rejected).await),
        }
    }
}

type Shared = State<Arc<AdminHttp>>;

fn respond<T: Serialize>(request: &Request, status: StatusCode, result: Result<T, AdminError>) -> Response {
    match result {
        Ok(value) => (status, axum::Json(value)).into_response(),
        Err(error) => request.error(&error),
    }
}

fn items<T: Serialize>(result: Result<Vec<T>, AdminError>) -> Result<Value, AdminError> {
    result.map(|items| json!({"items": items}))
}

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, AdminError> {
    let bytes: &[u8] = if bytes.is_empty() { b"{}" } else { bytes };
    serde_json::from_slice(bytes).map_err(|error| AdminError::Invalid(format!("invalid request body: {error}")))
}

fn tenant_id(text: &str) -> Result<TenantId, AdminError> {
    text.parse::<u64>().ok().and_then(TenantId::new).ok_or(AdminError::NotFound)
}

fn namespace_id(text: &str) -> Result<NamespaceId, AdminError> {
    text.parse::<u64>().ok().and_then(NamespaceId::new).ok_or(AdminError::NotFound)
}

macro_rules! authenticated {
    ($http:expr, $request:expr) => {
        match $http.authenticate(&$request).await {
            Ok(call) => call,
            Err(response) => return response,
        }
    };
}

async fn openapi() -> Response {
    let mut response = axum::Json(super::openapi::document().clone()).into_response();
    response.headers_mut().insert("cache-control", HeaderValue::from_static("max-age=300"));
    response
}

async fn whoami(State(http): Shared, r: Request) -> Response {
    let call = authenticated!(http, r);
    let Actor::Principal(principal) = &call.actor else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    let roles: Vec<Value> = principal
        .roles
        .iter()
        .map(|grant| json!({"role": grant.role, "tenant_id": grant.tenant_id, "namespace_id": grant.namespace_id}))
        .collect();
    axum::Json(json!({
        "principal_id": principal.principal_id(),
        "org_id": principal.org_id,
        "auth_method": principal.method.as_str(),
        "credential_id": principal.credential_id,
        "tenants": principal.tenants,
        "roles": roles,
    }))
    .into_response()
}

async fn orgs_list(State(http): Shared, r: Request) -> Response {
    let call = authenticated!(http, r);
    respond(&r, StatusCode::OK, items(http.service.list_orgs(&call).await))
}

async fn orgs_create(State(http): Shared, r: Request, b: Bytes) -> Response {
    let call = authenticated!(http, r);
    let result = match body::<NameRequest>(&b) {
        Ok(request) => http.service.create_org(&call, request).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::CREATED, result)
}

async fn tenants_list(State(http): Shared, r: Request) -> Response {
    let call = authenticated!(http, r);
    respond(&r, StatusCode::OK, items(http.service.list_tenants(&call).await))
}

async fn tenants_create(State(http): Shared, r: Request, b: Bytes) -> Response {
    let call = authenticated!(http, r);
    let result = match body::<NameRequest>(&b) {
        Ok(request) => http.service.create_tenant(&call, request).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::CREATED, result)
}

async fn tenant_get(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = authenticated!(http, r);
    let result = match tenant_id(&t) {
        Ok(tenant) => http.service.get_tenant(&call, tenant).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::OK, result)
}

async fn tenant_status(
    http: &AdminHttp,
    request: &Request,
    call: &AdminCall,
    t: &str,
    status: TenantStatus,
) -> Response {
    let result = match tenant_id(t) {
        Ok(tenant) => http.service.set_tenant_status(call, tenant, status).await,
        Err(error) => Err(error),
    };
    respond(request, StatusCode::OK, result)
}

async fn tenant_delete(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = authenticated!(http, r);
    tenant_status(&http, &r, &call, &t, TenantStatus::Deleted).await
}

async fn tenant_suspend(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = authenticated!(http, r);
    tenant_status(&http, &r, &call, &t, TenantStatus::Suspended).await
}

async fn tenant_resume(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = authenticated!(http, r);
    tenant_status(&http, &r, &call, &t, TenantStatus::Active).await
}

async fn namespaces_list(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = authenticated!(http, r);
    let result = match tenant_id(&t) {
        Ok(tenant) => http.service.list_namespaces(&call, tenant).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::OK, items(result))
}

async fn namespaces_create(State(http): Shared, r: Request, Path(t): Path<String>, b: Bytes) -> Response {
    let call = authenticated!(http, r);
    let result = match (tenant_id(&t), body::<NameRequest>(&b)) {
        (Ok(tenant), Ok(request)) => http.service.create_namespace(&call, tenant, request).await,
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    respond(&r, StatusCode::CREATED, result)
}

async fn namespace_status(
    http: &AdminHttp,
    request: &Request,
    call: &AdminCall,
    t: &str,
    n: &str,
    status: NamespaceStatus,
) -> Response {
    let result = match (tenant_id(t), namespace_id(n)) {
        (Ok(tenant), Ok(namespace)) => http.service.set_namespace_status(call, tenant, namespace, status).await,
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    respond(request, StatusCode::OK, result)
}

async fn namespace_archive(State(http): Shared, r: Request, Path((t, n)): Path<(String, String)>) -> Response {
    let call = authenticated!(http, r);
    namespace_status(&http, &r, &call, &t, &n, NamespaceStatus::Archived).await
}

async fn namespace_activate(State(http): Shared, r: Request, Path((t, n)): Path<(String, String)>) -> Response {
    let call = authenticated!(http, r);
    namespace_status(&http, &r, &call, &t, &n, NamespaceStatus::Active).await
}

async fn keys_list(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = authenticated!(http, r);
    let result = match tenant_id(&t) {
        Ok(tenant) => http.service.list_keys(&call, tenant).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::OK, items(result))
}

async fn keys_issue(State(http): Shared, r: Request, Path(t): Path<String>, b: Bytes) -> Response {
    let call = authenticated!(http, r);
    let result = match (tenant_id(&t), body::<IssueKeyRequest>(&b)) {
        (Ok(tenant), Ok(request)) => http.service.issue_key(&call, tenant, request).await,
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    let mut response = respond(&r, StatusCode::CREATED, result);
    response.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    response
}

async fn key_rotate(State(http): Shared, r: Request, Path((t, key)): Path<(String, String)>, b: Bytes) -> Response {
    let call = authenticated!(http, r);
    let result = match (tenant_id(&t), body::<RotateKeyRequest>(&b)) {
        (Ok(tenant), Ok(request)) => http.service.rotate_key(&call, tenant, &key, request).await,
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    let mut response = respond(&r, StatusCode::OK, result);
    response.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    response
}

async fn key_revoke(State(http): Shared, r: Request, Path((t, key)): Path<(String, String)>) -> Response {
    let call = authenticated!(http, r);
    let result = match tenant_id(&t) {
        Ok(tenant) => http.service.revoke_key(&call, tenant, &key).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::OK, result)
}

async fn bindings_list(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = authenticated!(http, r);
    let result = match tenant_id(&t) {
        Ok(tenant) => http.service.list_bindings(&call, tenant).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::OK, items(result))
}

async fn binding_change(
    http: &AdminHttp,
    request: &Request,
    call: &AdminCall,
    t: &str,
    b: &Bytes,
    grant: bool,
) -> Response {
    let result = match (tenant_id(t), body::<GrantRequest>(b)) {
        (Ok(tenant), Ok(request)) => http.service.change_binding(call, tenant, request, grant).await,
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    let key = if grant { "granted" } else { "revoked" };
    respond(request, StatusCode::OK, result.map(|changed| json!({ key: changed })))
}

async fn bindings_grant(State(http): Shared, r: Request, Path(t): Path<String>, b: Bytes) -> Response {
    let call = authenticated!(http, r);
    binding_change(&http, &r, &call, &t, &b, true).await
}

async fn bindings_revoke(State(http): Shared, r: Request, Path(t): Path<String>, b: Bytes) -> Response {
    let call = authenticated!(http, r);
    binding_change(&http, &r, &call, &t, &b, false).await
}

async fn allowlist_get(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = authenticated!(http, r);
    let result = match tenant_id(&t) {
        Ok(tenant) => http.service.allowlist(&call, tenant).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::OK, result.map(|networks| json!({"networks": networks})))
}

/// `PUT .../allowlist` body.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowlistBody {
    networks: Vec<String>,
}

async fn allowlist_set(State(http): Shared, r: Request, Path(t): Path<String>, b: Bytes) -> Response {
    let call = authenticated!(http, r);
    let result = match (tenant_id(&t), body::<AllowlistBody>(&b)) {
        (Ok(tenant), Ok(request)) => http.service.set_allowlist(&call, tenant, request.networks).await,
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    respond(&r, StatusCode::OK, result.map(|networks| json!({"networks": networks})))
}

async fn principals_list(State(http): Shared, r: Request) -> Response {
    let call = authenticated!(http, r);
    respond(&r, StatusCode::OK, items(http.service.list_principals(&call, None).await))
}

async fn principals_create(State(http): Shared, r: Request, b: Bytes) -> Response {
    let call = authenticated!(http, r);
    let result = match body::<PrincipalRequest>(&b) {
        Ok(request) => http.service.create_principal(&call, request).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::CREATED, result)
}

/// Every admin route (method, path), for the OpenAPI cross-check.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/admin/v1/openapi.json"),
    ("get", "/admin/v1/whoami"),
    ("get", "/admin/v1/orgs"),
    ("post", "/admin/v1/orgs"),
    ("get", "/admin/v1/tenants"),
    ("post", "/admin/v1/tenants"),
    ("get", "/admin/v1/tenants/{tenant_id}"),
    ("delete", "/admin/v1/tenants/{tenant_id}"),
    ("post", "/admin/v1/tenants/{tenant_id}/suspend"),
    ("post", "/admin/v1/tenants/{tenant_id}/resume"),
    ("get", "/admin/v1/tenants/{tenant_id}/namespaces"),
    ("post", "/admin/v1/tenants/{tenant_id}/namespaces"),
    ("post", "/admin/v1/tenants/{tenant_id}/namespaces/{namespace_id}/archive"),
    ("post", "/admin/v1/tenants/{tenant_id}/namespaces/{namespace_id}/activate"),
    ("get", "/admin/v1/tenants/{tenant_id}/keys"),
    ("post", "/admin/v1/tenants/{tenant_id}/keys"),
    ("post", "/admin/v1/tenants/{tenant_id}/keys/{key_id}/rotate"),
    ("post", "/admin/v1/tenants/{tenant_id}/keys/{key_id}/revoke"),
    ("get", "/admin/v1/tenants/{tenant_id}/bindings"),
    ("post", "/admin/v1/tenants/{tenant_id}/bindings"),
    ("post", "/admin/v1/tenants/{tenant_id}/bindings/revoke"),
    ("get", "/admin/v1/tenants/{tenant_id}/allowlist"),
    ("put", "/admin/v1/tenants/{tenant_id}/allowlist"),
    ("get", "/admin/v1/principals"),
    ("post", "/admin/v1/principals"),
];

/// The admin routes.
pub fn routes(http: Arc<AdminHttp>) -> Router {
    Router::new()
        .route("/admin/v1/openapi.json", get(openapi))
        .route("/admin/v1/whoami", get(whoami))
        .route("/admin/v1/orgs", get(orgs_list).post(orgs_create))
        .route("/admin/v1/tenants", get(tenants_list).post(tenants_create))
        .route("/admin/v1/tenants/{tenant_id}", get(tenant_get).delete(tenant_delete))
        .route("/admin/v1/tenants/{tenant_id}/suspend", post(tenant_suspend))
        .route("/admin/v1/tenants/{tenant_id}/resume", post(tenant_resume))
        .route("/admin/v1/tenants/{tenant_id}/namespaces", get(namespaces_list).post(namespaces_create))
        .route("/admin/v1/tenants/{tenant_id}/namespaces/{namespace_id}/archive", post(namespace_archive))
        .route("/admin/v1/tenants/{tenant_id}/namespaces/{namespace_id}/activate", post(namespace_activate))
        .route("/admin/v1/tenants/{tenant_id}/keys", get(keys_list).post(keys_issue))
        .route("/admin/v1/tenants/{tenant_id}/keys/{key_id}/rotate", post(key_rotate))
        .route("/admin/v1/tenants/{tenant_id}/keys/{key_id}/revoke", post(key_revoke))
        .route("/admin/v1/tenants/{tenant_id}/bindings", get(bindings_list).post(bindings_grant))
        .route("/admin/v1/tenants/{tenant_id}/bindings/revoke", post(bindings_revoke))
        .route("/admin/v1/tenants/{tenant_id}/allowlist", get(allowlist_get).put(allowlist_set))
        .route("/admin/v1/principals", get(principals_list).post(principals_create))
        .layer(DefaultBodyLimit::max(MAX_ADMIN_BODY_BYTES))
        .with_state(http)
}
