// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The contract every [`ControlStore`] implementation passes, written once: each check gets a
//! fresh, empty store from the caller's factory and asserts exact outcomes. A new backend's
//! tests call [`run_all`] with its own factory (feature `contract`).

mod certificates;
mod identity;
mod tenancy;

use std::future::Future;

use decision_gate_core::ids::{NamespaceId, TenantId};

use crate::model::{BootstrapPlan, NewApiKey, Role};
use crate::store::ControlStore;

/// Tenant `n` (panics on 0: contract checks use literal ids).
pub fn t(n: u64) -> TenantId {
    TenantId::new(n).expect("non-zero tenant")
}

/// Namespace `n`.
pub fn ns(n: u64) -> NamespaceId {
    NamespaceId::new(n).expect("non-zero namespace")
}

/// A bootstrap plan with a recognisable secret hash.
pub fn plan() -> BootstrapPlan {
    BootstrapPlan {
        org_name: "operator".to_owned(),
        tenant_name: "default".to_owned(),
        owner_principal_id: "prn_owner".to_owned(),
        owner_name: "owner".to_owned(),
        key_id: "bootkey0001".to_owned(),
        secret_sha256: [7; 32],
    }
}

/// A single-tenant key of a principal.
pub fn key(key_id: &str, principal: &str, tenants: &[u64], roles: &[Role]) -> NewApiKey {
    NewApiKey {
        key_id: key_id.to_owned(),
        principal_id: principal.to_owned(),
        name: format!("key {key_id}"),
        secret_sha256: [1; 32],
        tenants: tenants.iter().map(|n| t(*n)).collect(),
        namespace_id: None,
        roles: roles.to_vec(),
        expires_at_ms: None,
        org_owner: false,
        issued_by: "contract".to_owned(),
    }
}

/// Runs every contract check, each on a fresh store from `make`.
pub async fn run_all<S, F, Fut>(mut make: F)
where
    S: ControlStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    tenancy::bootstrap_runs_once_and_creates_everything_together(&make().await).await;
    tenancy::bootstrap_leaves_existing_organisations_alone(&make().await).await;
    tenancy::tenants_start_active_with_their_default_namespace(&make().await).await;
    tenancy::tenant_lifecycle_ends_at_deleted(&make().await).await;
    tenancy::namespaces_are_numbered_and_filtered_per_tenant(&make().await).await;
    identity::principals_and_certificate_subjects_stay_in_their_organisation(&make().await).await;
    identity::role_bindings_are_filtered_by_tenant(&make().await).await;
    identity::keys_are_stored_as_hashes_and_listed_per_tenant(&make().await).await;
    identity::rotation_keeps_the_old_secret_only_inside_the_overlap(&make().await).await;
    identity::revocation_is_idempotent_and_tenant_filtered(&make().await).await;
    identity::keys_reach_only_tenants_of_their_organisation(&make().await).await;
    identity::allowlists_are_replaced_per_tenant(&make().await).await;
    identity::organisation_owners_are_explicit_and_survive_their_tenants(&make().await).await;
    identity::keys_are_listed_per_principal(&make().await).await;
    certificates::subjects_are_registered_under_a_ca_bound_to_the_organisation(&make().await).await;
    certificates::a_withdrawn_ca_no_longer_authenticates_and_legacy_subjects_are_adopted(&make().await).await;
}
