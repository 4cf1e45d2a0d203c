// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Contract checks: bootstrap, organisations, tenants, namespaces.

use super::{ns, plan, t};
use crate::model::{LifecycleAuthority, NamespaceStatus, Role, RoleBinding, TenantStatus};
use crate::store::{ControlError, ControlStore};

/// The bootstrap creates org 1, tenant 1, namespace 1, the owner, its binding and key, once.
pub async fn bootstrap_runs_once_and_creates_everything_together(store: &dyn ControlStore) {
    assert_eq!(store.bootstrap(plan()).await, Ok(true));
    let org = store.get_org(1).await.unwrap().expect("org 1");
    assert_eq!(org.name, "operator");
    let tenant = store.get_tenant(t(1)).await.unwrap().expect("tenant 1");
    assert_eq!((tenant.org_id, tenant.status), (1, TenantStatus::Active));
    let namespace = store.get_namespace(t(1), ns(1)).await.unwrap().expect("namespace 1");
    assert_eq!(namespace.status, NamespaceStatus::Active);
    assert_eq!(
        store.bindings_of_principal("prn_owner".to_owned()).await.unwrap(),
        vec![RoleBinding {
            tenant_id: t(1),
            principal_id: "prn_owner".to_owned(),
            role: Role::Owner,
            namespace_id: None
        }]
    );
    let key = store.api_key("bootkey0001".to_owned()).await.unwrap().expect("key");
    assert_eq!(key.key.secret_sha256, [7; 32]);
    assert_eq!((key.key.tenants.clone(), key.key.roles.clone()), (vec![t(1)], vec![Role::Owner]));
    assert_eq!((key.key.org_owner, key.key.issued_by.as_str()), (true, "bootstrap"));
    assert_eq!(store.org_owners(1).await.unwrap(), ["prn_owner"], "ownership is an organisation-level binding");
    assert_eq!(store.owned_org("prn_owner".to_owned()).await.unwrap(), Some(1));
    let mut again = plan();
    again.key_id = "bootkey0002".to_owned();
    assert_eq!(store.bootstrap(again).await, Ok(false), "never twice");
    assert_eq!(store.api_key("bootkey0002".to_owned()).await.unwrap(), None);
}

/// An operator who made organisations before the first start keeps them as they are.
pub async fn bootstrap_leaves_existing_organisations_alone(store: &dyn ControlStore) {
    let org = store.create_org("made-first".to_owned()).await.unwrap();
    assert_eq!(store.bootstrap(plan()).await, Ok(false));
    assert_eq!(store.list_orgs().await.unwrap(), vec![org]);
    assert_eq!(store.api_key("bootkey0001".to_owned()).await.unwrap(), None);
}

/// Tenants belong to one organisation, start active, and come with namespace 1.
pub async fn tenants_start_active_with_their_default_namespace(store: &dyn ControlStore) {
    let acme = store.create_org("acme".to_owned()).await.unwrap();
    let globex = store.create_org("globex".to_owned()).await.unwrap();
    assert!(matches!(store.create_org("acme".to_owned()).await, Err(ControlError::Conflict(_))));
    let prod = store.create_tenant(acme.org_id, "prod".to_owned()).await.unwrap();
    let other = store.create_tenant(globex.org_id, "prod".to_owned()).await.unwrap();
    assert_ne!(prod.tenant_id, other.tenant_id, "names are unique per organisation only");
    assert!(matches!(store.create_tenant(acme.org_id, "prod".to_owned()).await, Err(ControlError::Conflict(_))));
    assert!(matches!(store.create_tenant(999, "x".to_owned()).await, Err(ControlError::NotFound(_))));
    assert!(matches!(store.create_tenant(acme.org_id, "bad\nname".to_owned()).await, Err(ControlError::Invalid(_))));
    assert_eq!(prod.status, TenantStatus::Active);
    assert_eq!(store.list_tenants(acme.org_id).await.unwrap(), vec![prod.clone()]);
    assert_eq!(store.get_tenant(prod.tenant_id).await.unwrap(), Some(prod.clone()));
    let namespaces = store.list_namespaces(prod.tenant_id).await.unwrap();
    assert_eq!(namespaces.len(), 1);
    assert_eq!((namespaces[0].namespace_id, namespaces[0].name.as_str()), (ns(1), "default"));
    assert_eq!(store.get_tenant(t(12345)).await.unwrap(), None);
}

/// Suspension is reversible; deletion is terminal.
pub async fn tenant_lifecycle_ends_at_deleted(store: &dyn ControlStore) {
    use LifecycleAuthority::{Billing, Operator, Owner};
    let org = store.create_org("acme".to_owned()).await.unwrap();
    let tenant = store.create_tenant(org.org_id, "prod".to_owned()).await.unwrap().tenant_id;
    let suspended = store.set_tenant_status(tenant, TenantStatus::Suspended, Owner).await.unwrap();
    assert_eq!((suspended.status, suspended.suspended_by), (TenantStatus::Suspended, Some(Owner)));
    assert_eq!(store.get_tenant(tenant).await.unwrap().unwrap().status, TenantStatus::Suspended);
    assert_eq!(
        store.set_tenant_status(tenant, TenantStatus::Active, Owner).await.unwrap().status,
        TenantStatus::Active
    );
    assert_eq!(store.get_tenant(tenant).await.unwrap().unwrap().suspended_by, None);
    assert_eq!(
        store.set_tenant_status(tenant, TenantStatus::Deleted, Owner).await.unwrap().status,
        TenantStatus::Deleted
    );
    assert!(matches!(
        store.set_tenant_status(tenant, TenantStatus::Active, Operator).await,
        Err(ControlError::Conflict(_))
    ));
    assert_eq!(store.get_tenant(tenant).await.unwrap().unwrap().status, TenantStatus::Deleted);
    assert!(matches!(
        store.set_tenant_status(t(777), TenantStatus::Suspended, Owner).await,
        Err(ControlError::NotFound(_))
    ));
    // A suspension is lifted only by its authority or a stronger one; a second suspension by a
    // stronger authority takes over, a weaker one changes nothing.
    let held = store.create_tenant(org.org_id, "held".to_owned()).await.unwrap().tenant_id;
    store.set_tenant_status(held, TenantStatus::Suspended, Billing).await.unwrap();
    let again = store.set_tenant_status(held, TenantStatus::Suspended, Owner).await.unwrap();
    assert_eq!(again.suspended_by, Some(Billing));
    for status in [TenantStatus::Active, TenantStatus::Deleted] {
        assert!(matches!(store.set_tenant_status(held, status, Owner).await, Err(ControlError::Forbidden(_))));
    }
    assert_eq!(store.get_tenant(held).await.unwrap().unwrap().status, TenantStatus::Suspended, "refused: unchanged");
    store.set_tenant_status(held, TenantStatus::Suspended, Operator).await.unwrap();
    assert!(matches!(
        store.set_tenant_status(held, TenantStatus::Active, Billing).await,
        Err(ControlError::Forbidden(_))
    ));
    let resumed = store.set_tenant_status(held, TenantStatus::Active, Operator).await.unwrap();
    assert_eq!((resumed.status, resumed.suspended_by), (TenantStatus::Active, None));
}

/// Namespace ids count up per tenant; one tenant never sees another's.
pub async fn namespaces_are_numbered_and_filtered_per_tenant(store: &dyn ControlStore) {
    let org = store.create_org("acme".to_owned()).await.unwrap();
    let a = store.create_tenant(org.org_id, "a".to_owned()).await.unwrap().tenant_id;
    let b = store.create_tenant(org.org_id, "b".to_owned()).await.unwrap().tenant_id;
    let staging = store.create_namespace(a, "staging".to_owned()).await.unwrap();
    assert_eq!(staging.namespace_id, ns(2));
    assert_eq!(store.create_namespace(b, "staging".to_owned()).await.unwrap().namespace_id, ns(2));
    assert!(matches!(store.create_namespace(a, "staging".to_owned()).await, Err(ControlError::Conflict(_))));
    assert_eq!(store.create_namespace(a, "qa".to_owned()).await.unwrap().namespace_id, ns(3));
    assert_eq!(store.get_namespace(b, ns(3)).await.unwrap(), None, "a's namespace 3 is not b's");
    let archived = store.set_namespace_status(a, ns(2), NamespaceStatus::Archived).await.unwrap();
    assert_eq!(archived.status, NamespaceStatus::Archived);
    assert_eq!(store.get_namespace(b, ns(2)).await.unwrap().unwrap().status, NamespaceStatus::Active);
    assert!(matches!(
        store.set_namespace_status(b, ns(3), NamespaceStatus::Archived).await,
        Err(ControlError::NotFound(_))
    ));
    let names: Vec<String> = store.list_namespaces(a).await.unwrap().into_iter().map(|n| n.name).collect();
    assert_eq!(names, ["default", "staging", "qa"]);
}
