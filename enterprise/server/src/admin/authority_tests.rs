// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The rule as a pure function: powers, visibility and who may act on what.

use decision_gate_core::ids::TenantId;
use decision_gate_enterprise_authz::Permission;
use decision_gate_enterprise_control::{LifecycleAuthority, Role, Tenant, TenantStatus};

use super::*;

fn t(n: u64) -> TenantId {
    TenantId::new(n).unwrap()
}

fn facts(tenant: u64, org: u64, status: TenantStatus, allowlist: &[&str]) -> TenantFacts {
    TenantFacts {
        tenant: Tenant {
            tenant_id: t(tenant),
            org_id: org,
            name: format!("t{tenant}"),
            status,
            suspended_by: (status == TenantStatus::Suspended).then_some(LifecycleAuthority::Owner),
            created_at_ms: 0,
            updated_at_ms: 0,
        },
        allowlist: allowlist.iter().map(|network| network.parse().unwrap()).collect(),
    }
}

fn principal(org: u64, owns_org: bool, grants: &[(u64, Role)]) -> Caller {
    Caller::Principal(PrincipalPower {
        principal_id: "prn_caller".into(),
        org,
        owns_org,
        grants: grants.iter().map(|(tenant, role)| (t(*tenant), *role)).collect(),
        scopes: vec![],
        client_ip: Some("127.0.0.1".parse().unwrap()),
    })
}

fn key(tenants: &[u64], roles: &[Role], org_owner: bool) -> TargetPower {
    TargetPower { org: 1, tenants: tenants.iter().map(|n| t(*n)).collect(), roles: roles.to_vec(), org_owner }
}

#[test]
fn no_one_acts_on_a_credential_stronger_than_what_it_could_grant() {
    let tenants = [facts(1, 1, TenantStatus::Active, &[]), facts(2, 1, TenantStatus::Active, &[])];
    let admin = principal(1, false, &[(1, Role::Admin)]);
    let owner = principal(1, false, &[(1, Role::Owner)]);
    let org_owner = principal(1, true, &[]);
    let act = |caller: &Caller, target: &TargetPower| may_act_on(caller, Permission::KeysManage, target, &tenants);
    assert_eq!(act(&admin, &key(&[1], &[Role::Editor], false)), Ok(()));
    assert!(matches!(act(&admin, &key(&[1], &[Role::Owner], false)), Err(Refusal::Stronger(_))));
    assert!(
        matches!(act(&admin, &key(&[1, 2], &[Role::Agent], false)), Err(Refusal::Hidden(tenant)) if tenant == t(2))
    );
    assert_eq!(act(&owner, &key(&[1], &[Role::Owner], false)), Ok(()));
    assert!(matches!(act(&owner, &key(&[1], &[Role::Owner], true)), Err(Refusal::Stronger(_))), "tenant owner");
    assert_eq!(act(&org_owner, &key(&[1, 2], &[Role::Owner], true)), Ok(()));
    let editor = principal(1, false, &[(1, Role::Editor)]);
    assert!(matches!(act(&editor, &key(&[1], &[Role::Agent], false)), Err(Refusal::Hidden(_))), "no admin.read");
    let auditor = principal(1, false, &[(1, Role::Auditor)]);
    assert!(matches!(act(&auditor, &key(&[1], &[Role::Agent], false)), Err(Refusal::Permission(_, _))));
}

#[test]
fn lifecycle_and_allowlists_bound_every_grant() {
    let admin = principal(1, false, &[(1, Role::Admin)]);
    let suspended = facts(1, 1, TenantStatus::Suspended, &[]);
    let power = admin.power(&suspended).expect("suspended tenants stay readable");
    assert_eq!(admin.write_block(&suspended, &power), Some(WriteBlock::Suspended));
    assert_eq!(admin.power(&facts(1, 1, TenantStatus::Deleted, &[])), None, "deleted: nothing");
    assert_eq!(admin.power(&facts(1, 1, TenantStatus::Active, &["10.0.0.0/8"])), None, "outside the allowlist");
    assert!(admin.power(&facts(1, 1, TenantStatus::Active, &["127.0.0.0/8"])).is_some());
    assert_eq!(admin.power(&facts(1, 2, TenantStatus::Active, &[])), None, "another organisation");
    let org_owner = principal(1, true, &[]);
    let power = org_owner.power(&suspended).unwrap();
    assert_eq!(org_owner.write_block(&suspended, &power), None, "organisation owners act on suspended tenants");
    assert_eq!(org_owner.power(&facts(1, 1, TenantStatus::Active, &["10.0.0.0/8"])), None, "fenced too");
    assert_eq!(org_owner.power(&facts(1, 1, TenantStatus::Deleted, &[])), None, "a deleted tenant is gone");
    let operator = Caller::Operator("ops".into());
    let deleted = facts(1, 1, TenantStatus::Deleted, &[]);
    let power = operator.power(&deleted).expect("the operator still reads it");
    assert_eq!(operator.write_block(&deleted, &power), Some(WriteBlock::Deleted));
    assert_eq!(org_owner.lifecycle_authority(1), Some(LifecycleAuthority::Owner));
    assert_eq!(admin.lifecycle_authority(1), None);
    assert_eq!(Caller::Operator("ops".into()).lifecycle_authority(7), Some(LifecycleAuthority::Operator));
}
