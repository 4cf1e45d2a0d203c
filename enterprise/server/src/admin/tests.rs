// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The admin service against a real (in-memory SQLite) control store and an in-memory audit
//! log: authorization, isolation between organisations and tenants, and the audit trail.

use std::sync::Arc;
use std::time::Duration;

use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_enterprise_authz::ControlView;
use decision_gate_enterprise_authz::authenticator::key_principal;
use decision_gate_enterprise_control::{
    ControlStore, LifecycleAuthority, PrincipalKind, Role, SqliteControlStore, TenantStatus,
};
use decision_gate_mcp::pipeline::{AuditError, AuditHeader, AuditRecord, AuditSink};
use futures::future::BoxFuture;
use parking_lot::Mutex;

use super::*;

#[derive(Default)]
struct MemoryAudit {
    records: Mutex<Vec<Value>>,
    broken: Mutex<bool>,
}

impl AuditSink for MemoryAudit {
    fn record<'a>(&'a self, record: &'a AuditRecord) -> BoxFuture<'a, Result<(), AuditError>> {
        Box::pin(async move {
            if *self.broken.lock() {
                return Err(AuditError("disk full".into()));
            }
            self.records.lock().push(serde_json::to_value(record).unwrap());
            Ok(())
        })
    }
}

fn t(n: u64) -> TenantId {
    TenantId::new(n).unwrap()
}

/// A single-tenant key request for a new service principal.
fn key_request(roles: &[Role]) -> IssueKeyRequest {
    IssueKeyRequest {
        name: "x".into(),
        roles: roles.to_vec(),
        tenants: None,
        namespace_id: None,
        expires_at_ms: None,
        principal_id: None,
        org_owner: false,
    }
}

struct Fixture {
    service: AdminService,
    store: Arc<dyn ControlStore>,
    audit: Arc<MemoryAudit>,
}

fn operator() -> AdminCall {
    AdminCall { actor: Actor::Operator("ops".into()), client_ip: None, header: AuditHeader::new("dg-test") }
}

impl Fixture {
    async fn new() -> Self {
        let store: Arc<dyn ControlStore> = Arc::new(SqliteControlStore::in_memory().unwrap());
        let audit = Arc::new(MemoryAudit::default());
        let view = Arc::new(ControlView::new(store.clone(), Duration::from_secs(60)));
        let service = AdminService::new(store.clone(), view, audit.clone());
        let op = operator();
        for org in ["acme", "globex"] {
            service.create_org(&op, NameRequest { name: org.into() }).await.unwrap();
        }
        // acme: tenants 1 and 2; globex: tenant 3.
        for (org, name) in [(1, "a1"), (1, "a2"), (2, "g1")] {
            service.create_tenant(&op, TenantRequest { name: name.into(), org_id: Some(org) }).await.unwrap();
        }
        Fixture { service, store, audit }
    }

    async fn key_call(&self, tenants: &[u64], roles: &[Role]) -> AdminCall {
        self.key_call_with(tenants, roles, |_| {}).await
    }

    async fn key_call_with(
        &self,
        tenants: &[u64],
        roles: &[Role],
        change: impl FnOnce(&mut IssueKeyRequest),
    ) -> AdminCall {
        let mut request = IssueKeyRequest {
            name: "k".into(),
            roles: roles.to_vec(),
            tenants: Some(tenants.iter().map(|n| t(*n)).collect()),
            namespace_id: None,
            expires_at_ms: None,
            principal_id: None,
            org_owner: false,
        };
        change(&mut request);
        let issued = self.service.issue_key(&operator(), t(tenants[0]), request).await.unwrap();
        self.call_of(&issued.key.key_id).await
    }

    async fn call_of(&self, key_id: &str) -> AdminCall {
        let record = self.store.api_key(key_id.to_owned()).await.unwrap().unwrap();
        let principal = key_principal(&record, "fp".into(), &record.key.tenants);
        AdminCall {
            actor: Actor::Principal(principal),
            client_ip: Some("127.0.0.1".parse().unwrap()),
            header: AuditHeader::new("dg-test"),
        }
    }

    /// An organisation owner of `org` (a new principal holding the owner binding, with an
    /// organisation-owner key on `tenant`).
    async fn org_owner(&self, org: u64, tenant: u64) -> AdminCall {
        let op = operator();
        let principal = self
            .service
            .create_principal(
                &op,
                PrincipalRequest {
                    name: format!("owner-{org}-{tenant}"),
                    kind: PrincipalKind::User,
                    cert_subjects: vec![],
                    client_ca: None,
                    org_id: Some(org),
                },
            )
            .await
            .unwrap();
        self.service
            .grant_org_owner(&op, org, OwnerRequest { principal_id: principal.principal_id.clone() })
            .await
            .unwrap();
        self.key_call_with(&[tenant], &[Role::Owner], |request| {
            request.principal_id = Some(principal.principal_id.clone());
            request.org_owner = true;
        })
        .await
    }

    fn actions(&self) -> Vec<(String, String)> {
        self.audit
            .records
            .lock()
            .iter()
            .map(|record| {
                (record["action"].as_str().unwrap().to_owned(), record["outcome"].as_str().unwrap().to_owned())
            })
            .collect()
    }
}

#[tokio::test]
async fn another_organisations_tenant_is_not_found_like_an_unknown_one() {
    let fixture = Fixture::new().await;
    let admin = fixture.key_call(&[1], &[Role::Admin]).await;
    assert_eq!(fixture.service.get_tenant(&admin, t(3)).await, Err(AdminError::NotFound));
    assert_eq!(fixture.service.get_tenant(&admin, t(99)).await, Err(AdminError::NotFound));
    assert_eq!(fixture.service.list_keys(&admin, t(2)).await, Err(AdminError::NotFound), "same org, not bound");
    let listed: Vec<u64> =
        fixture.service.list_tenants(&admin).await.unwrap().iter().map(|x| x.tenant_id.get()).collect();
    assert_eq!(listed, [1]);
}

#[tokio::test]
async fn organisation_owners_administer_their_whole_organisation_and_nothing_else() {
    let fixture = Fixture::new().await;
    let owner = fixture.org_owner(1, 1).await;
    let listed: Vec<u64> =
        fixture.service.list_tenants(&owner).await.unwrap().iter().map(|x| x.tenant_id.get()).collect();
    assert_eq!(listed, [1, 2]);
    let suspended = fixture.service.set_tenant_status(&owner, t(2), TenantStatus::Suspended).await.unwrap();
    assert_eq!((suspended.status, suspended.suspended_by), (TenantStatus::Suspended, Some(LifecycleAuthority::Owner)));
    assert_eq!(
        fixture.service.set_tenant_status(&owner, t(3), TenantStatus::Suspended).await,
        Err(AdminError::NotFound)
    );
    let created =
        fixture.service.create_tenant(&owner, TenantRequest { name: "a3".into(), org_id: None }).await.unwrap();
    assert_eq!(created.org_id, 1);
    let other_org = fixture.service.create_tenant(&owner, TenantRequest { name: "x".into(), org_id: Some(2) }).await;
    assert_eq!(other_org, Err(AdminError::NotFound));
    assert!(fixture.service.list_orgs(&owner).await.unwrap().len() == 2, "org 1 owners are the operator's");
}

#[tokio::test]
async fn a_tenant_owner_role_is_not_organisation_ownership() {
    let fixture = Fixture::new().await;
    let tenant_owner = fixture.key_call(&[1], &[Role::Owner]).await;
    let listed: Vec<u64> =
        fixture.service.list_tenants(&tenant_owner).await.unwrap().iter().map(|x| x.tenant_id.get()).collect();
    assert_eq!(listed, [1]);
    assert_eq!(fixture.service.get_tenant(&tenant_owner, t(2)).await, Err(AdminError::NotFound));
    let created = fixture.service.create_tenant(&tenant_owner, TenantRequest { name: "x".into(), org_id: None }).await;
    assert!(matches!(created, Err(AdminError::Forbidden { .. })));
    let suspend = fixture.service.set_tenant_status(&tenant_owner, t(1), TenantStatus::Suspended).await;
    assert!(matches!(suspend, Err(AdminError::Forbidden { .. })));
}
#[tokio::test]
async fn missing_permissions_are_forbidden_with_the_scope_and_audited() {
    let fixture = Fixture::new().await;
    let auditor = fixture.key_call(&[1], &[Role::Auditor]).await;
    assert!(fixture.service.list_keys(&auditor, t(1)).await.is_ok());
    let refused = fixture.service.revoke_key(&auditor, t(1), "0000000000000000").await;
    assert_eq!(refused, Err(AdminError::Forbidden { required_scopes: vec!["dg:keys.manage".into()] }));
    let admin = fixture.key_call(&[1], &[Role::Admin]).await;
    let suspend = fixture.service.set_tenant_status(&admin, t(1), TenantStatus::Suspended).await;
    assert_eq!(suspend, Err(AdminError::Forbidden { required_scopes: vec!["dg:tenants.manage".into()] }));
    let actions = fixture.actions();
    assert!(actions.contains(&("key.revoke".into(), "denied".into())));
    assert!(actions.contains(&("tenant.suspend".into(), "denied".into())));
}

#[tokio::test]
async fn no_one_issues_a_key_stronger_than_its_own_roles() {
    let fixture = Fixture::new().await;
    let admin = fixture.key_call(&[1], &[Role::Admin]).await;
    let request = |roles: Vec<Role>, tenants: Option<Vec<TenantId>>| IssueKeyRequest { tenants, ..key_request(&roles) };
    assert!(fixture.service.issue_key(&admin, t(1), request(vec![Role::Editor], None)).await.is_ok());
    let owner = fixture.service.issue_key(&admin, t(1), request(vec![Role::Owner], None)).await;
    assert_eq!(owner.unwrap_err(), AdminError::Forbidden { required_scopes: vec![] });
    let crossing = fixture.service.issue_key(&admin, t(1), request(vec![Role::Agent], Some(vec![t(1), t(2)]))).await;
    assert_eq!(
        crossing.unwrap_err(),
        AdminError::Forbidden { required_scopes: vec![] },
        "a multi-tenant key needs every tenant"
    );
    let foreign = fixture.service.issue_key(&admin, t(1), request(vec![Role::Agent], Some(vec![t(1), t(3)]))).await;
    assert_eq!(foreign.unwrap_err(), AdminError::NotFound);
}

#[tokio::test]
async fn issued_and_rotated_tokens_appear_only_in_the_answer() {
    let fixture = Fixture::new().await;
    let admin = fixture.key_call(&[1], &[Role::Admin]).await;
    let issued = fixture
        .service
        .issue_key(
            &admin,
            t(1),
            IssueKeyRequest {
                name: "ci".into(),
                roles: vec![Role::Agent],
                tenants: None,
                namespace_id: None,
                expires_at_ms: None,
                principal_id: None,
                org_owner: false,
            },
        )
        .await
        .unwrap();
    let rotated = fixture
        .service
        .rotate_key(&admin, t(1), &issued.key.key_id, RotateKeyRequest { overlap_seconds: 60 })
        .await
        .unwrap();
    assert!(rotated.key.previous_valid_until_ms.is_some());
    assert!(!format!("{issued:?}").contains(&issued.token));
    let log = serde_json::to_string(&*fixture.audit.records.lock()).unwrap();
    for token in [&issued.token, &rotated.token] {
        let secret = token.rsplit('_').next().unwrap();
        assert!(!log.contains(secret), "no secret in the audit log");
    }
    assert!(log.contains(&issued.key.key_id));
    let other_tenant = fixture.key_call(&[2], &[Role::Admin]).await;
    assert_eq!(fixture.service.revoke_key(&other_tenant, t(2), &issued.key.key_id).await, Err(AdminError::NotFound));
}

#[tokio::test]
async fn a_change_is_refused_when_its_audit_record_cannot_be_written() {
    let fixture = Fixture::new().await;
    *fixture.audit.broken.lock() = true;
    let created = fixture.service.create_namespace(&operator(), t(1), NameRequest { name: "ns".into() }).await;
    assert!(matches!(created, Err(AdminError::Unavailable(_))));
    *fixture.audit.broken.lock() = false;
    assert_eq!(fixture.store.list_namespaces(t(1)).await.unwrap().len(), 1, "nothing changed");
}

#[tokio::test]
async fn a_principal_of_another_organisation_cannot_receive_a_key_or_a_role() {
    let fixture = Fixture::new().await;
    let foreign = fixture
        .service
        .create_principal(
            &operator(),
            PrincipalRequest {
                name: "globex-bot".into(),
                kind: PrincipalKind::Service,
                cert_subjects: vec![],
                client_ca: None,
                org_id: Some(2),
            },
        )
        .await
        .unwrap();
    let admin = fixture.key_call(&[1], &[Role::Admin]).await;
    let issued = fixture
        .service
        .issue_key(
            &admin,
            t(1),
            IssueKeyRequest {
                name: "x".into(),
                roles: vec![Role::Agent],
                tenants: None,
                namespace_id: None,
                expires_at_ms: None,
                principal_id: Some(foreign.principal_id.clone()),
                org_owner: false,
            },
        )
        .await;
    let not_ours = AdminError::Conflict(format!("{} is not a principal of organisation 1", foreign.principal_id));
    assert_eq!(issued.unwrap_err(), not_ours);
    let grant = GrantRequest { principal_id: foreign.principal_id.clone(), role: Role::Viewer, namespace_id: None };
    assert_eq!(fixture.service.change_binding(&admin, t(1), grant, true).await, Err(not_ours));
    assert_eq!(fixture.store.bindings_of_principal(foreign.principal_id).await.unwrap(), vec![]);
    assert_eq!(fixture.service.list_principals(&admin, Some(2)).await, Err(AdminError::NotFound));
}

#[tokio::test]
async fn an_admin_cannot_rotate_revoke_or_impersonate_the_owner() {
    let fixture = Fixture::new().await;
    let owner = fixture.org_owner(1, 1).await;
    let owner_key = owner.header.credential_id.clone().unwrap_or_default();
    let Actor::Principal(owner_principal) = &owner.actor else { unreachable!() };
    let owner_key = owner_principal.credential_id.clone().unwrap_or(owner_key);
    let admin = fixture.key_call(&[1], &[Role::Admin]).await;
    let forbidden = Err(AdminError::Forbidden { required_scopes: vec![] });
    let rotated = fixture.service.rotate_key(&admin, t(1), &owner_key, RotateKeyRequest { overlap_seconds: 0 }).await;
    assert_eq!(rotated.map(|issued| issued.key), forbidden.clone(), "attack 1");
    assert_eq!(fixture.service.revoke_key(&admin, t(1), &owner_key).await, forbidden.clone(), "attack 5");
    let impersonation =
        IssueKeyRequest { principal_id: owner_principal.subject.clone(), ..key_request(&[Role::Viewer]) };
    let issued = fixture.service.issue_key(&admin, t(1), impersonation).await.map(|issued| issued.key);
    assert_eq!(issued, forbidden, "attack 6");
    let record = fixture.store.api_key(owner_key.clone()).await.unwrap().unwrap();
    assert_eq!((record.revoked_at_ms, record.rotated_at_ms), (None, None), "the owner's key is untouched");
    // The owner itself rotates and revokes it.
    assert!(fixture.service.rotate_key(&owner, t(1), &owner_key, RotateKeyRequest::default()).await.is_ok());
}

#[tokio::test]
async fn a_deleted_tenants_owner_has_no_power_and_a_namespace_limited_owner_administers_nothing() {
    let fixture = Fixture::new().await;
    let doomed_owner = fixture.key_call(&[2], &[Role::Owner]).await;
    fixture.service.set_tenant_status(&operator(), t(2), TenantStatus::Deleted).await.unwrap();
    assert_eq!(fixture.service.list_tenants(&doomed_owner).await.unwrap(), vec![], "attack 2");
    let owner_key = key_request(&[Role::Owner]);
    assert_eq!(
        fixture.service.issue_key(&doomed_owner, t(1), owner_key.clone()).await.map(|i| i.key),
        Err(AdminError::NotFound)
    );
    let limited =
        fixture.key_call_with(&[1], &[Role::Owner], |request| request.namespace_id = NamespaceId::new(1)).await;
    assert_eq!(
        fixture.service.issue_key(&limited, t(1), owner_key).await.map(|i| i.key),
        Err(AdminError::NotFound),
        "attack 3"
    );
    let tenant = fixture.service.create_tenant(&limited, TenantRequest { name: "x".into(), org_id: None }).await;
    assert!(matches!(tenant, Err(AdminError::Forbidden { .. })), "attack 3");
}

#[tokio::test]
async fn an_allowlist_fences_the_admin_api_and_suspension_makes_grants_read_only() {
    let fixture = Fixture::new().await;
    let admin = fixture.key_call(&[1], &[Role::Admin]).await;
    fixture.store.set_ip_allowlist(t(1), vec!["10.0.0.0/8".parse().unwrap()]).await.unwrap();
    assert_eq!(fixture.service.list_keys(&admin, t(1)).await, Err(AdminError::NotFound), "attack 4");
    assert_eq!(fixture.service.set_allowlist(&admin, t(1), vec![]).await, Err(AdminError::NotFound), "attack 4");
    assert_eq!(fixture.store.ip_allowlist(t(1)).await.unwrap().len(), 1, "the fence stands");
    fixture.store.set_ip_allowlist(t(1), vec![]).await.unwrap();
    fixture.service.set_tenant_status(&operator(), t(1), TenantStatus::Suspended).await.unwrap();
    assert!(fixture.service.list_keys(&admin, t(1)).await.is_ok(), "suspended: admins read");
    let write = fixture.service.set_allowlist(&admin, t(1), vec!["10.0.0.0/8".into()]).await;
    assert_eq!(write, Err(AdminError::Forbidden { required_scopes: vec![] }), "suspended: every write refused");
    let owner = fixture.org_owner(1, 2).await;
    let resume = fixture.service.set_tenant_status(&owner, t(1), TenantStatus::Active).await;
    assert_eq!(resume, Err(AdminError::Forbidden { required_scopes: vec![] }), "the operator's suspension");
    assert!(fixture.service.set_tenant_status(&operator(), t(1), TenantStatus::Active).await.is_ok());
}

#[tokio::test]
async fn principals_are_listed_only_where_the_caller_administers() {
    let fixture = Fixture::new().await;
    let admin_1 = fixture.key_call(&[1], &[Role::Admin]).await;
    let admin_2 = fixture.key_call(&[2], &[Role::Admin]).await;
    let Actor::Principal(first) = &admin_1.actor else { unreachable!() };
    let Actor::Principal(second) = &admin_2.actor else { unreachable!() };
    let listed: Vec<String> =
        fixture.service.list_principals(&admin_1, None).await.unwrap().into_iter().map(|p| p.principal_id).collect();
    assert!(listed.contains(&first.principal_id()));
    assert!(!listed.contains(&second.principal_id()), "tenant 2's principal is not shown to tenant 1's admin");
}

#[tokio::test]
async fn a_key_records_who_issued_it() {
    let fixture = Fixture::new().await;
    let admin = fixture.key_call(&[1], &[Role::Admin]).await;
    let Actor::Principal(principal) = &admin.actor else { unreachable!() };
    let issued = fixture.service.issue_key(&admin, t(1), key_request(&[Role::Agent])).await.unwrap();
    assert_eq!(issued.key.issued_by, principal.principal_id());
    let record = fixture.store.api_key(principal.credential_id.clone().unwrap()).await.unwrap().unwrap();
    assert_eq!(record.key.issued_by, "operator:ops");
}
