// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Authentication and resolution against a real (in-memory SQLite) control store.

use std::sync::Arc;
use std::time::Duration;

use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_enterprise_control::{
    CertSubject, ControlStore, LifecycleAuthority, NamespaceStatus, NewApiKey, PrincipalKind, Role, RoleBinding,
    SqliteControlStore, TenantStatus,
};
use decision_gate_mcp::auth::{AuthMethod, AuthRequest, Authenticator, ClientCertIdentity, Principal, TransportLabel};
use decision_gate_mcp::pipeline::{CallContext, TenantDecision, TenantRequest, ToolVisibility};
use http::HeaderMap;

use crate::api_key::IssuedToken;
use crate::cache::ControlView;
use crate::{EnterpriseAuthenticator, EnterpriseTenantResolver, PermissionVisibility};

fn t(n: u64) -> TenantId {
    TenantId::new(n).unwrap()
}

fn ns(n: u64) -> NamespaceId {
    NamespaceId::new(n).unwrap()
}

/// The test client CA's id.
const CA: &str = "cacacacacacacacacacacacacacacacacacacacacacacacacacacacacacacaca";

struct World {
    store: Arc<dyn ControlStore>,
    view: Arc<ControlView>,
}

impl World {
    async fn new() -> Self {
        let store: Arc<dyn ControlStore> = Arc::new(SqliteControlStore::in_memory().unwrap());
        let org = store.create_org("acme".into()).await.unwrap();
        store.create_tenant(org.org_id, "a".into()).await.unwrap();
        store.create_tenant(org.org_id, "b".into()).await.unwrap();
        store.create_namespace(t(1), "archive".into()).await.unwrap();
        store.set_namespace_status(t(1), ns(2), NamespaceStatus::Archived).await.unwrap();
        store.register_client_ca(CA.into(), "CN=test CA".into()).await.unwrap();
        store.bind_client_ca(CA.into(), org.org_id).await.unwrap();
        store
            .create_principal(
                org.org_id,
                "prn_ci".into(),
                "ci".into(),
                PrincipalKind::Service,
                vec![CertSubject { ca_id: CA.into(), subject: "ci.acme.test".into() }],
            )
            .await
            .unwrap();
        let view = Arc::new(ControlView::new(store.clone(), Duration::from_secs(60)));
        World { store, view }
    }

    async fn issue(&self, tenants: &[u64], roles: &[Role], change: impl FnOnce(&mut NewApiKey)) -> IssuedToken {
        let token = IssuedToken::generate();
        let mut key = NewApiKey {
            key_id: token.key_id.clone(),
            principal_id: "prn_ci".into(),
            name: "test".into(),
            secret_sha256: token.secret_sha256(),
            tenants: tenants.iter().map(|n| t(*n)).collect(),
            namespace_id: None,
            roles: roles.to_vec(),
            expires_at_ms: None,
            org_owner: false,
            issued_by: "test".into(),
        };
        change(&mut key);
        self.store.insert_api_key(key).await.unwrap();
        token
    }

    fn authenticator(&self) -> EnterpriseAuthenticator {
        EnterpriseAuthenticator::new(self.view.clone(), None)
    }

    async fn bearer(&self, token: &str) -> Result<Principal, String> {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
        let request = AuthRequest {
            transport: TransportLabel::Http,
            peer: None,
            client_ip: None,
            headers: &headers,
            client_cert: None,
        };
        self.authenticator().authenticate(&request).await.result.map_err(|failure| failure.reason)
    }

    async fn decide(
        &self,
        principal: Principal,
        tool: &'static str,
        tenant: u64,
        namespace: Option<u64>,
        ip: &str,
    ) -> TenantDecision {
        let ctx = CallContext { principal, client_ip: Some(ip.parse().unwrap()), ..CallContext::local("dg-test") };
        let writes = !matches!(tool, "scenario_status" | "scenarios_list" | "schemas_list" | "schemas_get");
        let request = TenantRequest { tool, tenant_id: t(tenant), namespace_id: namespace.map(ns), writes };
        EnterpriseTenantResolver::new(self.view.clone()).decide(&ctx, &request).await
    }
}

fn denied(decision: &TenantDecision) -> (&str, Vec<String>) {
    match decision {
        TenantDecision::Deny { reason, required_scopes } => (reason.as_str(), required_scopes.clone()),
        TenantDecision::Allow { .. } => panic!("expected a denial, got {decision:?}"),
    }
}

#[tokio::test]
async fn a_valid_key_authenticates_as_its_principal_with_the_keys_roles() {
    let world = World::new().await;
    let token = world.issue(&[1], &[Role::Agent], |_| {}).await;
    let principal = world.bearer(&token.reveal()).await.unwrap();
    assert_eq!(principal.method, AuthMethod::ApiKey);
    assert_eq!(principal.subject.as_deref(), Some("prn_ci"));
    assert_eq!(principal.credential_id.as_deref(), Some(token.key_id.as_str()));
    assert_eq!(principal.single_tenant(), Some(t(1)));
    assert_eq!(principal.roles_in_scope(t(1), Some(ns(1))), ["agent"]);
    let fingerprint = principal.token_fingerprint.unwrap();
    assert!(!token.reveal().contains(&fingerprint), "a fingerprint, not the secret");
}

#[tokio::test]
async fn every_bad_credential_is_refused_with_its_own_audit_reason() {
    let world = World::new().await;
    let good = world.issue(&[1], &[Role::Agent], |_| {}).await;
    let revoked = world.issue(&[1], &[Role::Agent], |_| {}).await;
    world.store.revoke_api_key(t(1), revoked.key_id.clone()).await.unwrap();
    let expired = world.issue(&[1], &[Role::Agent], |key| key.expires_at_ms = Some(1)).await;
    let wrong = IssuedToken::rotate(&good.key_id);
    let unknown = IssuedToken::generate();
    let cases = [
        (revoked.reveal(), format!("api key {} is revoked", revoked.key_id)),
        (expired.reveal(), format!("api key {} is expired", expired.key_id)),
        (wrong.reveal(), format!("wrong secret for api key {}", good.key_id)),
        (unknown.reveal(), format!("unknown api key id {}", unknown.key_id)),
        ("dgk_nothex_x".to_owned(), "malformed api key".to_owned()),
        ("eyJhbGciOiJub25lIn0.e30.".to_owned(), "bearer token is not an api key".to_owned()),
    ];
    for (token, reason) in cases {
        let refused = world.bearer(&token).await.unwrap_err();
        assert_eq!(refused, reason);
        assert!(!refused.contains(token.rsplit('_').next().unwrap()) || token.len() < 20, "no secret in {refused}");
    }
}

#[tokio::test]
async fn a_rotated_secret_is_accepted_inside_the_overlap_only() {
    let world = World::new().await;
    let old = world.issue(&[1], &[Role::Agent], |_| {}).await;
    let inside = IssuedToken::rotate(&old.key_id);
    let far = i64::MAX / 2;
    world.store.rotate_api_key(t(1), old.key_id.clone(), inside.secret_sha256(), Some(far)).await.unwrap();
    world.view.invalidate();
    assert!(world.bearer(&old.reveal()).await.is_ok(), "old secret inside the overlap");
    assert!(world.bearer(&inside.reveal()).await.is_ok(), "new secret");
    let next = IssuedToken::rotate(&old.key_id);
    world.store.rotate_api_key(t(1), old.key_id.clone(), next.secret_sha256(), None).await.unwrap();
    world.view.invalidate();
    assert_eq!(world.bearer(&inside.reveal()).await.unwrap_err(), format!("wrong secret for api key {}", old.key_id));
    assert!(world.bearer(&next.reveal()).await.is_ok());
}

#[tokio::test]
async fn a_cached_key_stays_valid_until_the_view_is_invalidated() {
    let world = World::new().await;
    let token = world.issue(&[1], &[Role::Agent], |_| {}).await;
    assert!(world.bearer(&token.reveal()).await.is_ok());
    world.store.revoke_api_key(t(1), token.key_id.clone()).await.unwrap();
    assert!(world.bearer(&token.reveal()).await.is_ok(), "bounded staleness: the cached record");
    world.view.invalidate();
    assert!(world.bearer(&token.reveal()).await.is_err());
}

#[tokio::test]
async fn stdio_uses_the_environment_key_and_refuses_without_one() {
    let world = World::new().await;
    let token = world.issue(&[1], &[Role::Agent], |_| {}).await;
    let headers = HeaderMap::new();
    let with = EnterpriseAuthenticator::new(world.view.clone(), Some(token.reveal()));
    assert!(with.authenticate(&AuthRequest::stdio(&headers)).await.result.is_ok());
    let without = EnterpriseAuthenticator::new(world.view.clone(), Some("  ".into()));
    let refused = without.authenticate(&AuthRequest::stdio(&headers)).await.result.unwrap_err();
    assert_eq!(refused.reason, "DECISION_GATE_API_KEY is not set for the stdio transport");
}

#[tokio::test]
async fn a_certificate_maps_to_its_principal_and_bindings() {
    let world = World::new().await;
    let binding =
        RoleBinding { tenant_id: t(2), principal_id: "prn_ci".into(), role: Role::Viewer, namespace_id: None };
    world.store.grant_role(binding).await.unwrap();
    let headers = HeaderMap::new();
    let cert = |sans: Vec<String>, cn: Option<&str>| ClientCertIdentity {
        common_name: cn.map(str::to_owned),
        sans,
        fingerprint: "ab".repeat(32),
        issuer_id: CA.into(),
        der: Arc::from(Vec::new()),
    };
    let known = cert(vec!["other.test".into(), "ci.acme.test".into()], None);
    let request = |identity| AuthRequest {
        transport: TransportLabel::Http,
        peer: None,
        client_ip: None,
        headers: &headers,
        client_cert: Some(identity),
    };
    let principal = world.authenticator().authenticate(&request(&known)).await.result.unwrap();
    assert_eq!(principal.method, AuthMethod::MtlsSubject);
    assert_eq!(principal.single_tenant(), Some(t(2)));
    assert_eq!(principal.roles_in_scope(t(2), None), ["viewer"]);
    let by_cn = cert(vec![], Some("ci.acme.test"));
    assert!(world.authenticator().authenticate(&request(&by_cn)).await.result.is_ok());
    let unknown = cert(vec!["nobody.test".into()], Some("nobody"));
    let refused = world.authenticator().authenticate(&request(&unknown)).await.result.unwrap_err();
    assert_eq!(refused.reason, format!("client certificate {} maps to no principal", "ab".repeat(32)));
}

#[tokio::test]
async fn the_resolver_denies_in_order_and_names_scopes_only_for_missing_permissions() {
    let world = World::new().await;
    let agent = world.bearer(&world.issue(&[1], &[Role::Agent], |_| {}).await.reveal()).await.unwrap();
    let editor = world.bearer(&world.issue(&[1], &[Role::Editor], |_| {}).await.reveal()).await.unwrap();
    let ip = "192.0.2.1";
    assert!(world.decide(agent.clone(), "scenario_next", 1, Some(1), ip).await.allowed());
    assert_eq!(
        denied(&world.decide(agent.clone(), "scenario_start", 1, Some(1), ip).await),
        ("no role of the principal grants scenario.start here", vec!["dg:scenario.start".to_owned()])
    );
    assert_eq!(
        denied(&world.decide(agent.clone(), "scenario_next", 2, Some(1), ip).await).0,
        "credential is not bound to tenant 2 namespace 1"
    );
    assert!(
        denied(&world.decide(agent.clone(), "scenario_start", 2, Some(1), ip).await).1.is_empty(),
        "no scopes for another tenant"
    );
    assert_eq!(denied(&world.decide(agent.clone(), "scenario_next", 9, Some(1), ip).await).0, "tenant 9 is unknown");
    assert_eq!(
        denied(&world.decide(editor.clone(), "scenario_start", 1, Some(7), ip).await).0,
        "namespace 7 of tenant 1 is unknown"
    );
    assert_eq!(
        denied(&world.decide(editor.clone(), "scenario_start", 1, Some(2), ip).await).0,
        "namespace 2 is archived (read-only)"
    );
    assert!(
        world.decide(editor.clone(), "scenario_status", 1, Some(2), ip).await.allowed(),
        "reads of an archived namespace"
    );
    world.store.set_ip_allowlist(t(1), vec!["10.0.0.0/8".parse().unwrap()]).await.unwrap();
    world.view.invalidate();
    assert_eq!(
        denied(&world.decide(editor.clone(), "scenario_start", 1, Some(1), ip).await).0,
        "client ip 192.0.2.1 is outside the tenant's allowlist"
    );
    assert!(world.decide(editor.clone(), "scenario_start", 1, Some(1), "10.1.2.3").await.allowed());
    world.store.set_tenant_status(t(1), TenantStatus::Suspended, LifecycleAuthority::Owner).await.unwrap();
    world.view.invalidate();
    assert_eq!(
        denied(&world.decide(editor, "scenario_status", 1, Some(1), "10.1.2.3").await).0,
        "tenant 1 is suspended"
    );
}

#[tokio::test]
async fn multi_tenant_and_namespace_restricted_keys_reach_exactly_their_scope() {
    let world = World::new().await;
    let multi = world.bearer(&world.issue(&[1, 2], &[Role::Viewer], |_| {}).await.reveal()).await.unwrap();
    let ip = "192.0.2.1";
    match world.decide(multi.clone(), "scenarios_list", 2, Some(1), ip).await {
        TenantDecision::Allow { reason, .. } => {
            assert_eq!(reason, "allowed by scenarios.list (multi-tenant credential)")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(multi.single_tenant(), None, "a multi-tenant key must name its tenant");
    let restricted = world
        .bearer(&world.issue(&[1], &[Role::Editor], |key| key.namespace_id = Some(ns(2))).await.reveal())
        .await
        .unwrap();
    assert!(world.decide(restricted.clone(), "scenario_status", 1, Some(2), ip).await.allowed());
    assert_eq!(
        denied(&world.decide(restricted, "scenario_status", 1, Some(1), ip).await).0,
        "credential is not bound to tenant 1 namespace 1"
    );
}

#[tokio::test]
async fn tools_list_shows_what_the_roles_permit_and_calls_stay_routable() {
    let world = World::new().await;
    let agent = world.bearer(&world.issue(&[1], &[Role::Agent], |_| {}).await.reveal()).await.unwrap();
    let ctx = CallContext { principal: agent, ..CallContext::local("dg-test") };
    let visible: Vec<&str> = ["scenario_next", "scenario_start", "precheck", "providers_list"]
        .into_iter()
        .filter(|tool| PermissionVisibility.visible(&ctx, tool))
        .collect();
    assert_eq!(visible, ["scenario_next", "precheck"]);
    assert!(PermissionVisibility.callable(&ctx, "scenario_start"));
    let mut scoped = ctx.clone();
    scoped.principal.scopes = vec!["dg:precheck".into()];
    assert!(!PermissionVisibility.visible(&scoped, "scenario_next"), "a scope-limited token sees less");
}

#[tokio::test]
async fn a_key_bound_only_to_deleted_tenants_is_refused_unless_it_carries_live_organisation_ownership() {
    let world = World::new().await;
    let single = world.issue(&[2], &[Role::Admin], |_| {}).await.reveal();
    let multi = world.issue(&[1, 2], &[Role::Viewer], |_| {}).await.reveal();
    let owner = world.issue(&[2], &[Role::Owner], |key| key.org_owner = true).await.reveal();
    world.store.grant_org_owner(1, "prn_ci".into()).await.unwrap();
    world.store.set_tenant_status(t(2), TenantStatus::Deleted, LifecycleAuthority::Owner).await.unwrap();
    world.view.invalidate();
    let key_id = |token: &str| token.split('_').nth(1).unwrap().to_owned();
    assert_eq!(
        world.bearer(&single).await,
        Err(format!("api key {} is bound only to deleted tenants", key_id(&single)))
    );
    let multi = world.bearer(&multi).await.unwrap();
    assert_eq!(multi.tenants, decision_gate_mcp::auth::TenantBinding::Only(vec![t(1)]), "the deleted tenant drops out");
    assert!(multi.roles_in_scope(t(2), None).is_empty());
    let owner = world.bearer(&owner).await.unwrap();
    assert_eq!(owner.tenants, decision_gate_mcp::auth::TenantBinding::Only(vec![]), "alive, but bound to no tenant");
    world.store.revoke_org_owner(1, "prn_ci".into()).await.unwrap();
    assert!(world.bearer(&world.issue(&[2], &[Role::Owner], |key| key.org_owner = true).await.reveal()).await.is_err());
}

#[tokio::test]
async fn unknown_key_ids_cannot_evict_valid_cached_keys() {
    let world = World::new().await;
    let token = world.issue(&[1], &[Role::Viewer], |_| {}).await.reveal();
    world.bearer(&token).await.unwrap();
    for n in 0..6_000u32 {
        let unknown = format!("dgk_{n:016x}_{}", "0".repeat(64));
        assert!(world.bearer(&unknown).await.is_err());
    }
    let (found, unknown) = world.view.cached_keys();
    assert_eq!(found, 1, "the valid key stays cached");
    assert!(unknown <= 4_096, "the negative cache is bounded: {unknown}");
}
