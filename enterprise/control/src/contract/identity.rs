// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Contract checks: principals, certificate subjects, bindings, keys, allowlists.

use super::{key, ns, t};
use crate::model::{PrincipalKind, Role, RoleBinding};
use crate::store::{ControlError, ControlStore};

async fn org_with_tenants(store: &dyn ControlStore, name: &str, tenants: &[&str]) -> (u64, Vec<u64>) {
    let org = store.create_org(name.to_owned()).await.unwrap();
    let mut ids = Vec::new();
    for tenant in tenants {
        ids.push(store.create_tenant(org.org_id, (*tenant).to_owned()).await.unwrap().tenant_id.get());
    }
    (org.org_id, ids)
}

async fn service(store: &dyn ControlStore, org: u64, id: &str) {
    store.create_principal(org, id.to_owned(), id.to_owned(), PrincipalKind::Service, vec![]).await.unwrap();
}

/// Principals are read only through their organisation.
pub async fn principals_and_certificate_subjects_stay_in_their_organisation(store: &dyn ControlStore) {
    let (acme, _) = org_with_tenants(store, "acme", &[]).await;
    let (globex, _) = org_with_tenants(store, "globex", &[]).await;
    let created = store
        .create_principal(acme, "prn_ci".to_owned(), "ci".to_owned(), PrincipalKind::Service, vec![])
        .await
        .unwrap();
    assert_eq!(store.get_principal(acme, "prn_ci".to_owned()).await.unwrap(), Some(created.clone()));
    assert_eq!(store.get_principal(globex, "prn_ci".to_owned()).await.unwrap(), None);
    assert!(matches!(
        store.create_principal(acme, "prn_ci".to_owned(), "ci2".to_owned(), PrincipalKind::User, vec![]).await,
        Err(ControlError::Conflict(_))
    ));
    assert_eq!(store.list_principals(acme).await.unwrap(), vec![created]);
    assert_eq!(store.list_principals(globex).await.unwrap(), vec![]);
}

/// Bindings are idempotent, need a principal of the tenant's organisation, and list per tenant.
pub async fn role_bindings_are_filtered_by_tenant(store: &dyn ControlStore) {
    let (acme, tenants) = org_with_tenants(store, "acme", &["a", "b"]).await;
    let (globex, _) = org_with_tenants(store, "globex", &["g"]).await;
    service(store, acme, "prn_ci").await;
    service(store, globex, "prn_g").await;
    let binding = |tenant: u64, principal: &str, role: Role, namespace: Option<u64>| RoleBinding {
        tenant_id: t(tenant),
        principal_id: principal.to_owned(),
        role,
        namespace_id: namespace.map(ns),
    };
    store.grant_role(binding(tenants[0], "prn_ci", Role::Editor, None)).await.unwrap();
    store.grant_role(binding(tenants[0], "prn_ci", Role::Editor, None)).await.unwrap();
    store.grant_role(binding(tenants[1], "prn_ci", Role::Viewer, Some(1))).await.unwrap();
    assert!(matches!(
        store.grant_role(binding(tenants[0], "prn_g", Role::Viewer, None)).await,
        Err(ControlError::NotFound(_))
    ));
    assert!(matches!(
        store.grant_role(binding(tenants[0], "prn_ci", Role::Viewer, Some(9))).await,
        Err(ControlError::NotFound(_))
    ));
    assert_eq!(
        store.list_bindings(t(tenants[0])).await.unwrap(),
        vec![binding(tenants[0], "prn_ci", Role::Editor, None)]
    );
    assert_eq!(store.bindings_of_principal("prn_ci".to_owned()).await.unwrap().len(), 2);
    assert_eq!(store.revoke_role(binding(tenants[1], "prn_ci", Role::Viewer, Some(1))).await, Ok(true));
    assert_eq!(store.revoke_role(binding(tenants[1], "prn_ci", Role::Viewer, Some(1))).await, Ok(false));
    assert_eq!(store.list_bindings(t(tenants[1])).await.unwrap(), vec![]);
}

/// Keys keep their hash, tenants and roles; listing shows a tenant only the keys reaching it.
pub async fn keys_are_stored_as_hashes_and_listed_per_tenant(store: &dyn ControlStore) {
    let (acme, tenants) = org_with_tenants(store, "acme", &["a", "b"]).await;
    service(store, acme, "prn_ci").await;
    let single = store.insert_api_key(key("keyaaaa0001", "prn_ci", &[tenants[0]], &[Role::Agent])).await.unwrap();
    assert_eq!(single.key.secret_sha256, [1; 32]);
    let mut multi = key("keymmmm0001", "prn_ci", &[tenants[1], tenants[0]], &[Role::Viewer, Role::Agent]);
    multi.namespace_id = Some(ns(1));
    multi.expires_at_ms = Some(4_102_444_800_000);
    let multi = store.insert_api_key(multi).await.unwrap();
    assert_eq!(multi.key.tenants, vec![t(tenants[0]), t(tenants[1])], "sorted");
    assert_eq!(multi.key.roles, vec![Role::Viewer, Role::Agent], "role order is the enum's");
    assert_eq!(store.api_key("keymmmm0001".to_owned()).await.unwrap(), Some(multi.clone()));
    assert!(matches!(
        store.insert_api_key(key("keyaaaa0001", "prn_ci", &[tenants[0]], &[Role::Agent])).await,
        Err(ControlError::Conflict(_))
    ));
    assert!(matches!(
        store.insert_api_key(key("keybad", "prn_ci", &[tenants[0]], &[Role::Agent])).await,
        Err(ControlError::Invalid(_))
    ));
    assert!(matches!(
        store.insert_api_key(key("keynone0001", "prn_ci", &[], &[Role::Agent])).await,
        Err(ControlError::Invalid(_))
    ));
    assert!(matches!(
        store.insert_api_key(key("keynone0002", "prn_nobody", &[tenants[0]], &[Role::Agent])).await,
        Err(ControlError::NotFound(_))
    ));
    let a: Vec<String> = store.list_api_keys(t(tenants[0])).await.unwrap().into_iter().map(|k| k.key_id).collect();
    let b: Vec<String> = store.list_api_keys(t(tenants[1])).await.unwrap().into_iter().map(|k| k.key_id).collect();
    assert_eq!(a, ["keyaaaa0001", "keymmmm0001"]);
    assert_eq!(b, ["keymmmm0001"]);
    assert_eq!(store.api_key("keyunknown01".to_owned()).await.unwrap(), None);
}

/// Rotation replaces the secret; the old one survives only until the overlap deadline.
pub async fn rotation_keeps_the_old_secret_only_inside_the_overlap(store: &dyn ControlStore) {
    let (acme, tenants) = org_with_tenants(store, "acme", &["a"]).await;
    service(store, acme, "prn_ci").await;
    store.insert_api_key(key("keyrot00001", "prn_ci", &[tenants[0]], &[Role::Agent])).await.unwrap();
    let far = 4_102_444_800_000;
    let rotated = store.rotate_api_key(t(tenants[0]), "keyrot00001".to_owned(), [2; 32], Some(far)).await.unwrap();
    assert_eq!(rotated.key.secret_sha256, [2; 32]);
    let previous = rotated.previous.clone().expect("overlap");
    assert_eq!((previous.secret_sha256, previous.valid_until_ms), ([1; 32], far));
    assert!(rotated.rotated_at_ms.is_some());
    assert_eq!(store.api_key("keyrot00001".to_owned()).await.unwrap(), Some(rotated));
    let again = store.rotate_api_key(t(tenants[0]), "keyrot00001".to_owned(), [3; 32], None).await.unwrap();
    assert_eq!((again.key.secret_sha256, again.previous), ([3; 32], None), "no overlap: the old secret is gone");
    let past = store.rotate_api_key(t(tenants[0]), "keyrot00001".to_owned(), [4; 32], Some(1)).await.unwrap();
    assert_eq!(past.previous, None, "a deadline in the past is no overlap");
}

/// Revocation keeps its first time; another tenant cannot reach the key at all.
pub async fn revocation_is_idempotent_and_tenant_filtered(store: &dyn ControlStore) {
    let (acme, tenants) = org_with_tenants(store, "acme", &["a", "b"]).await;
    service(store, acme, "prn_ci").await;
    store.insert_api_key(key("keyrev00001", "prn_ci", &[tenants[0]], &[Role::Agent])).await.unwrap();
    let other = store.revoke_api_key(t(tenants[1]), "keyrev00001".to_owned()).await;
    assert!(matches!(other, Err(ControlError::NotFound(_))));
    let rotate_other = store.rotate_api_key(t(tenants[1]), "keyrev00001".to_owned(), [9; 32], None).await;
    assert!(matches!(rotate_other, Err(ControlError::NotFound(_))));
    assert_eq!(store.api_key("keyrev00001".to_owned()).await.unwrap().unwrap().key.secret_sha256, [1; 32]);
    let revoked = store.revoke_api_key(t(tenants[0]), "keyrev00001".to_owned()).await.unwrap();
    let first = revoked.revoked_at_ms.expect("revoked");
    let again = store.revoke_api_key(t(tenants[0]), "keyrev00001".to_owned()).await.unwrap();
    assert_eq!(again.revoked_at_ms, Some(first));
    let rotate = store.rotate_api_key(t(tenants[0]), "keyrev00001".to_owned(), [9; 32], None).await;
    assert!(matches!(rotate, Err(ControlError::Conflict(_))));
}

/// A key cannot name a tenant of another organisation (nor a namespace its tenants lack).
pub async fn keys_reach_only_tenants_of_their_organisation(store: &dyn ControlStore) {
    let (acme, _) = org_with_tenants(store, "acme", &["a"]).await;
    let (_, globex_tenants) = org_with_tenants(store, "globex", &["g"]).await;
    service(store, acme, "prn_ci").await;
    let crossing = store.insert_api_key(key("keyxorg0001", "prn_ci", &[globex_tenants[0]], &[Role::Agent])).await;
    assert!(matches!(crossing, Err(ControlError::NotFound(_))));
    let mut restricted = key("keyxorg0002", "prn_ci", &[1], &[Role::Agent]);
    restricted.namespace_id = Some(ns(5));
    assert!(matches!(store.insert_api_key(restricted).await, Err(ControlError::NotFound(_))));
    assert_eq!(store.api_key("keyxorg0001".to_owned()).await.unwrap(), None);
}

/// An allowlist is replaced as a whole and read per tenant.
pub async fn allowlists_are_replaced_per_tenant(store: &dyn ControlStore) {
    let (_, tenants) = org_with_tenants(store, "acme", &["a", "b"]).await;
    let networks = vec!["10.1.0.0/16".parse().unwrap(), "192.0.2.7/32".parse().unwrap()];
    store.set_ip_allowlist(t(tenants[0]), networks.clone()).await.unwrap();
    assert_eq!(store.ip_allowlist(t(tenants[0])).await.unwrap(), networks);
    assert_eq!(store.ip_allowlist(t(tenants[1])).await.unwrap(), vec![]);
    store.set_ip_allowlist(t(tenants[0]), vec!["2001:db8::/32".parse().unwrap()]).await.unwrap();
    assert_eq!(store.ip_allowlist(t(tenants[0])).await.unwrap(), vec!["2001:db8::/32".parse().unwrap()]);
    assert!(matches!(store.set_ip_allowlist(t(999), vec![]).await, Err(ControlError::NotFound(_))));
}

/// Organisation ownership is its own binding: granted to principals of the organisation only,
/// independent of any tenant (deleting every tenant leaves it), revocable.
pub async fn organisation_owners_are_explicit_and_survive_their_tenants(store: &dyn ControlStore) {
    let (acme, tenants) = org_with_tenants(store, "acme", &["a"]).await;
    let (globex, _) = org_with_tenants(store, "globex", &[]).await;
    service(store, acme, "prn_boss").await;
    service(store, globex, "prn_g").await;
    assert_eq!(store.owned_org("prn_boss".to_owned()).await.unwrap(), None, "nothing is inferred");
    store.grant_org_owner(acme, "prn_boss".to_owned()).await.unwrap();
    store.grant_org_owner(acme, "prn_boss".to_owned()).await.unwrap();
    assert!(matches!(store.grant_org_owner(acme, "prn_g".to_owned()).await, Err(ControlError::NotFound(_))));
    assert_eq!(store.org_owners(acme).await.unwrap(), ["prn_boss"]);
    assert_eq!(store.org_owners(globex).await.unwrap(), Vec::<String>::new());
    store
        .set_tenant_status(t(tenants[0]), crate::model::TenantStatus::Deleted, crate::model::LifecycleAuthority::Owner)
        .await
        .unwrap();
    assert_eq!(store.owned_org("prn_boss".to_owned()).await.unwrap(), Some(acme));
    assert!(store.revoke_org_owner(acme, "prn_boss".to_owned()).await.unwrap());
    assert!(!store.revoke_org_owner(acme, "prn_boss".to_owned()).await.unwrap());
    assert_eq!(store.owned_org("prn_boss".to_owned()).await.unwrap(), None);
}

/// A principal's keys, whatever tenants they reach, with who issued them.
pub async fn keys_are_listed_per_principal(store: &dyn ControlStore) {
    let (acme, tenants) = org_with_tenants(store, "acme", &["a", "b"]).await;
    service(store, acme, "prn_ci").await;
    service(store, acme, "prn_other").await;
    store.insert_api_key(key("keyaaaa0001", "prn_ci", &[tenants[0]], &[Role::Agent])).await.unwrap();
    store.insert_api_key(key("keyaaaa0002", "prn_ci", &[tenants[1]], &[Role::Viewer])).await.unwrap();
    store.insert_api_key(key("keyaaaa0003", "prn_other", &[tenants[0]], &[Role::Viewer])).await.unwrap();
    let listed = store.api_keys_of_principal("prn_ci".to_owned()).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|key| key.key_id.as_str()).collect();
    assert_eq!(ids, ["keyaaaa0001", "keyaaaa0002"]);
    assert_eq!(listed[0].issued_by, "contract");
    let mut owner_key = key("keyaaaa0004", "prn_ci", &[tenants[0]], &[Role::Owner]);
    owner_key.org_owner = true;
    owner_key.namespace_id = Some(ns(1));
    assert!(matches!(store.insert_api_key(owner_key).await, Err(ControlError::Invalid(_))));
}
