// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The admin HTTP API under `/admin/v1/` (JSON). Every route except the OpenAPI document sits
//! behind the server's admission layer, the same as `/mcp` (`Host`/`Origin`, body size and
//! read timeout, one `Authorization` header, in-flight and rate limits, authentication before
//! the body is read); handlers find the authenticated caller in the request. Errors are
//! `{"error": {"code", "message"}}`, with the RFC 6750 challenge on 401 and 403.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_enterprise_control::{NamespaceStatus, OrgId, TenantStatus};
use decision_gate_mcp::state::EmbeddedRoutes;
use decision_gate_mcp::transport::admission::AdmittedCall;
use decision_gate_mcp::transport::resource_metadata::{ResourceMetadataUrl, bearer_challenge};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{
    Actor, AdminCall, AdminError, AdminService, GrantRequest, IssueKeyRequest, NameRequest, OwnerRequest,
    PrincipalRequest, RotateKeyRequest, TenantRequest,
};

/// Largest admin request body.
pub const MAX_ADMIN_BODY_BYTES: usize = 64 * 1024;

/// State of the admin routes.
pub struct AdminHttp {
    service: AdminService,
}

impl AdminHttp {
    /// The admin API over a service.
    pub fn new(service: AdminService) -> Self {
        AdminHttp { service }
    }
}

/// One admitted request: the call (caller, client address, audit header) and the server's
/// metadata URL for challenges.
struct Request {
    call: AdminCall,
    metadata_url: Option<String>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Request {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(admitted) = parts.extensions.get::<AdmittedCall>() else {
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        };
        let transport = &admitted.transport;
        let principal = transport.principal.clone();
        let header = decision_gate_mcp::pipeline::AuditHeader {
            unsafe_client_correlation_id: transport.client_correlation_id.clone(),
            transport: Some(transport.transport.as_str()),
            client_ip: transport.client_ip.map(|ip| ip.to_string()),
            principal_id: Some(principal.principal_id()),
            auth_method: Some(principal.method.as_str()),
            credential_id: principal.credential_id.clone(),
            ..decision_gate_mcp::pipeline::AuditHeader::new(transport.server_correlation_id.clone())
        };
        Ok(Request {
            call: AdminCall { actor: Actor::Principal(principal), client_ip: transport.client_ip, header },
            metadata_url: parts.extensions.get::<ResourceMetadataUrl>().map(|url| url.0.clone()),
        })
    }
}

impl Request {
    fn error(&self, error: &AdminError) -> Response {
        let status = match error {
            AdminError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AdminError::NotFound => StatusCode::NOT_FOUND,
            AdminError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AdminError::Invalid(_) => StatusCode::BAD_REQUEST,
            AdminError::Conflict(_) => StatusCode::CONFLICT,
            AdminError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        let mut response = (status, axum::Json(json!({"error": {"code": error.code(), "message": error.to_string()}})))
            .into_response();
        let challenge = match error {
            AdminError::Unauthenticated => bearer_challenge(Some("invalid_token"), &[], self.metadata_url.as_deref()),
            AdminError::Forbidden { required_scopes } if !required_scopes.is_empty() => {
                bearer_challenge(Some("insufficient_scope"), required_scopes, self.metadata_url.as_deref())
            }
            _ => None,
        };
        if let Some(challenge) = challenge {
            response.headers_mut().insert("www-authenticate", challenge);
        }
        if matches!(error, AdminError::Unavailable(_)) {
            response.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
        }
        response
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

/// JSON Schema counts an integral number (`246.0`) as an integer; so does the API.
fn integral(value: Value) -> Value {
    match value {
        Value::Number(number) if number.is_f64() => match number.as_f64() {
            Some(float) if float.fract() == 0.0 && float >= 0.0 && float < u64::MAX as f64 => Value::from(float as u64),
            Some(float) if float.fract() == 0.0 && float < 0.0 && float > i64::MIN as f64 => Value::from(float as i64),
            _ => Value::Number(number),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(integral).collect()),
        Value::Object(fields) => Value::Object(fields.into_iter().map(|(key, value)| (key, integral(value))).collect()),
        other => other,
    }
}

/// A request body and the name of its schema in the OpenAPI document, which the server
/// enforces before reading the body.
trait RequestBody: DeserializeOwned {
    const SCHEMA: &'static str;
}

macro_rules! request_bodies {
    ($($ty:ty => $name:literal),* $(,)?) => {
        $(impl RequestBody for $ty { const SCHEMA: &'static str = $name; })*
    };
}

request_bodies! {
    NameRequest => "NameRequest",
    TenantRequest => "TenantRequest",
    OwnerRequest => "OwnerRequest",
    PrincipalRequest => "PrincipalRequest",
    GrantRequest => "GrantRequest",
    IssueKeyRequest => "IssueKeyRequest",
    RotateKeyRequest => "RotateKeyRequest",
    AllowlistBody => "Allowlist",
}

fn body<T: RequestBody>(bytes: &Bytes) -> Result<T, AdminError> {
    let bytes: &[u8] = if bytes.is_empty() { b"{}" } else { bytes };
    let invalid = |error: serde_json::Error| AdminError::Invalid(format!("invalid request body: {error}"));
    let value = integral(serde_json::from_slice::<Value>(bytes).map_err(invalid)?);
    // Unknown fields first, in serde's words (they name the field), then the document's rules.
    let typed: T = serde_json::from_value(value.clone()).map_err(invalid)?;
    super::openapi::validate_request(T::SCHEMA, &value)
        .map_err(|rule| AdminError::Invalid(format!("invalid request body: {rule}")))?;
    Ok(typed)
}

/// A path id: a decimal integer from 1 without sign or leading zeros (`+1` and `01` are
/// refused, never read as `1`).
fn path_id(text: &str, what: &str) -> Result<u64, AdminError> {
    let canonical = !text.is_empty()
        && text.len() <= 19
        && text.bytes().all(|byte| byte.is_ascii_digit())
        && !text.starts_with('0');
    if !canonical {
        return Err(AdminError::Invalid(format!("{what} is a decimal integer from 1, without sign or leading zeros")));
    }
    // A canonical id beyond the stored range names nothing.
    text.parse::<u64>().ok().filter(|id| *id <= i64::MAX as u64).ok_or(AdminError::NotFound)
}

fn tenant_id(text: &str) -> Result<TenantId, AdminError> {
    path_id(text, "tenant_id").map(|id| TenantId::new(id).expect("from 1"))
}

fn namespace_id(text: &str) -> Result<NamespaceId, AdminError> {
    path_id(text, "namespace_id").map(|id| NamespaceId::new(id).expect("from 1"))
}

fn org_id(text: &str) -> Result<OrgId, AdminError> {
    path_id(text, "org_id")
}

async fn openapi() -> Response {
    let mut response = axum::Json(super::openapi::document().clone()).into_response();
    response.headers_mut().insert("cache-control", HeaderValue::from_static("max-age=300"));
    response
}

async fn whoami(State(http): Shared, r: Request) -> Response {
    respond(&r, StatusCode::OK, http.service.whoami(&r.call).await)
}

async fn orgs_list(State(http): Shared, r: Request) -> Response {
    let call = &r.call;
    respond(&r, StatusCode::OK, items(http.service.list_orgs(call).await))
}

async fn orgs_create(State(http): Shared, r: Request, b: Bytes) -> Response {
    let call = &r.call;
    let result = match body::<NameRequest>(&b) {
        Ok(request) => http.service.create_org(call, request).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::CREATED, result)
}

async fn tenants_list(State(http): Shared, r: Request) -> Response {
    let call = &r.call;
    respond(&r, StatusCode::OK, items(http.service.list_tenants(call).await))
}

async fn tenants_create(State(http): Shared, r: Request, b: Bytes) -> Response {
    let call = &r.call;
    let result = match body::<TenantRequest>(&b) {
        Ok(request) => http.service.create_tenant(call, request).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::CREATED, result)
}

async fn org_owners_list(State(http): Shared, r: Request, Path(o): Path<String>) -> Response {
    let result = match org_id(&o) {
        Ok(org) => http.service.list_org_owners(&r.call, org).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::OK, items(result))
}

async fn org_owners_grant(State(http): Shared, r: Request, Path(o): Path<String>, b: Bytes) -> Response {
    let result = match (org_id(&o), body::<OwnerRequest>(&b)) {
        (Ok(org), Ok(request)) => http.service.grant_org_owner(&r.call, org, request).await,
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    respond(&r, StatusCode::OK, result.map(|()| json!({"granted": true})))
}

async fn org_owners_revoke(State(http): Shared, r: Request, Path(o): Path<String>, b: Bytes) -> Response {
    let result = match (org_id(&o), body::<OwnerRequest>(&b)) {
        (Ok(org), Ok(request)) => http.service.revoke_org_owner(&r.call, org, request).await,
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    respond(&r, StatusCode::OK, result.map(|revoked| json!({"revoked": revoked})))
}

async fn tenant_get(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = &r.call;
    let result = match tenant_id(&t) {
        Ok(tenant) => http.service.get_tenant(call, tenant).await,
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
    let call = &r.call;
    tenant_status(&http, &r, call, &t, TenantStatus::Deleted).await
}

async fn tenant_suspend(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = &r.call;
    tenant_status(&http, &r, call, &t, TenantStatus::Suspended).await
}

async fn tenant_resume(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = &r.call;
    tenant_status(&http, &r, call, &t, TenantStatus::Active).await
}

async fn namespaces_list(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = &r.call;
    let result = match tenant_id(&t) {
        Ok(tenant) => http.service.list_namespaces(call, tenant).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::OK, items(result))
}

async fn namespaces_create(State(http): Shared, r: Request, Path(t): Path<String>, b: Bytes) -> Response {
    let call = &r.call;
    let result = match (tenant_id(&t), body::<NameRequest>(&b)) {
        (Ok(tenant), Ok(request)) => http.service.create_namespace(call, tenant, request).await,
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
    let call = &r.call;
    namespace_status(&http, &r, call, &t, &n, NamespaceStatus::Archived).await
}

async fn namespace_activate(State(http): Shared, r: Request, Path((t, n)): Path<(String, String)>) -> Response {
    let call = &r.call;
    namespace_status(&http, &r, call, &t, &n, NamespaceStatus::Active).await
}

async fn keys_list(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = &r.call;
    let result = match tenant_id(&t) {
        Ok(tenant) => http.service.list_keys(call, tenant).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::OK, items(result))
}

async fn keys_issue(State(http): Shared, r: Request, Path(t): Path<String>, b: Bytes) -> Response {
    let call = &r.call;
    let result = match (tenant_id(&t), body::<IssueKeyRequest>(&b)) {
        (Ok(tenant), Ok(request)) => http.service.issue_key(call, tenant, request).await,
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    let mut response = respond(&r, StatusCode::CREATED, result);
    response.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    response
}

async fn key_rotate(State(http): Shared, r: Request, Path((t, key)): Path<(String, String)>, b: Bytes) -> Response {
    let call = &r.call;
    let result = match (tenant_id(&t), body::<RotateKeyRequest>(&b)) {
        (Ok(tenant), Ok(request)) => http.service.rotate_key(call, tenant, &key, request).await,
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    let mut response = respond(&r, StatusCode::OK, result);
    response.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    response
}

async fn key_revoke(State(http): Shared, r: Request, Path((t, key)): Path<(String, String)>) -> Response {
    let call = &r.call;
    let result = match tenant_id(&t) {
        Ok(tenant) => http.service.revoke_key(call, tenant, &key).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::OK, result)
}

async fn bindings_list(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = &r.call;
    let result = match tenant_id(&t) {
        Ok(tenant) => http.service.list_bindings(call, tenant).await,
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
    let call = &r.call;
    binding_change(&http, &r, call, &t, &b, true).await
}

async fn bindings_revoke(State(http): Shared, r: Request, Path(t): Path<String>, b: Bytes) -> Response {
    let call = &r.call;
    binding_change(&http, &r, call, &t, &b, false).await
}

async fn allowlist_get(State(http): Shared, r: Request, Path(t): Path<String>) -> Response {
    let call = &r.call;
    let result = match tenant_id(&t) {
        Ok(tenant) => http.service.allowlist(call, tenant).await,
        Err(error) => Err(error),
    };
    respond(&r, StatusCode::OK, result.map(|networks| json!({"networks": networks})))
}

/// `PUT .../allowlist` body.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowlistBody {
    networks: Vec<String>,
}

async fn allowlist_set(State(http): Shared, r: Request, Path(t): Path<String>, b: Bytes) -> Response {
    let call = &r.call;
    let result = match (tenant_id(&t), body::<AllowlistBody>(&b)) {
        (Ok(tenant), Ok(request)) => http.service.set_allowlist(call, tenant, request.networks).await,
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    respond(&r, StatusCode::OK, result.map(|networks| json!({"networks": networks})))
}

async fn principals_list(State(http): Shared, r: Request) -> Response {
    let call = &r.call;
    respond(&r, StatusCode::OK, items(http.service.list_principals(call, None).await))
}

async fn principals_create(State(http): Shared, r: Request, b: Bytes) -> Response {
    let call = &r.call;
    let result = match body::<PrincipalRequest>(&b) {
        Ok(request) => http.service.create_principal(call, request).await,
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
    ("get", "/admin/v1/orgs/{org_id}/owners"),
    ("post", "/admin/v1/orgs/{org_id}/owners"),
    ("post", "/admin/v1/orgs/{org_id}/owners/revoke"),
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

/// The admin routes: the OpenAPI document for anyone, everything else for authenticated
/// callers.
pub fn routes(http: Arc<AdminHttp>) -> EmbeddedRoutes {
    let authenticated = Router::new()
        .route("/admin/v1/whoami", get(whoami))
        .route("/admin/v1/orgs", get(orgs_list).post(orgs_create))
        .route("/admin/v1/orgs/{org_id}/owners", get(org_owners_list).post(org_owners_grant))
        .route("/admin/v1/orgs/{org_id}/owners/revoke", post(org_owners_revoke))
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
        .with_state(http);
    let public = Router::new().route("/admin/v1/openapi.json", get(openapi));
    EmbeddedRoutes { label: "/admin/v1", authenticated, public, max_body_bytes: MAX_ADMIN_BODY_BYTES }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused<T: RequestBody + std::fmt::Debug>(json: &str) -> String {
        match body::<T>(&Bytes::from(json.to_owned())) {
            Err(AdminError::Invalid(message)) => message,
            other => panic!("{json} must be refused: {other:?}"),
        }
    }

    #[test]
    fn every_admin_body_refuses_unknown_fields_naming_them() {
        let cases = [
            refused::<NameRequest>(r#"{"name":"a","org_id":1}"#),
            refused::<TenantRequest>(r#"{"name":"a","tenant_id":1}"#),
            refused::<OwnerRequest>(r#"{"principal_id":"prn_0000000000000000","role":"owner"}"#),
            refused::<PrincipalRequest>(r#"{"name":"a","roles":["owner"]}"#),
            refused::<GrantRequest>(r#"{"principal_id":"prn_0000000000000000","role":"viewer","tenant_id":2}"#),
            refused::<IssueKeyRequest>(r#"{"name":"a","roles":["agent"],"secret":"x"}"#),
            refused::<RotateKeyRequest>(r#"{"overlap_seconds":0,"secret":"x"}"#),
            refused::<AllowlistBody>(r#"{"networks":[],"mode":"deny"}"#),
        ];
        for (message, field) in
            cases.iter().zip(["org_id", "tenant_id", "role", "roles", "tenant_id", "secret", "secret", "mode"])
        {
            assert!(message.contains(&format!("unknown field `{field}`")), "{message}");
        }
    }

    #[test]
    fn integral_numbers_are_integers_and_path_ids_are_canonical() {
        let rotate: RotateKeyRequest = body(&Bytes::from_static(br#"{"overlap_seconds": 600.0}"#)).unwrap();
        assert_eq!(rotate.overlap_seconds, 600);
        assert!(matches!(
            body::<RotateKeyRequest>(&Bytes::from_static(br#"{"overlap_seconds": 1.5}"#)),
            Err(AdminError::Invalid(_))
        ));
        assert_eq!(path_id("42", "tenant_id"), Ok(42));
        for bad in ["+1", "01", "0", "", "1e3", " 1", "-1"] {
            assert!(matches!(path_id(bad, "tenant_id"), Err(AdminError::Invalid(_))), "{bad}");
        }
        assert_eq!(path_id("9999999999999999999", "tenant_id"), Err(AdminError::NotFound), "beyond the stored range");
    }
}
