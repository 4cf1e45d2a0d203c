// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The control store of Decision Gate Enterprise: who the customers are (orgs), what they own
//! (tenants and their namespaces, with lifecycle), who may act (principals, API-key hashes,
//! client-certificate subjects, role bindings) and from where (IP allowlists).
//!
//! One trait, [`ControlStore`], with one contract suite every implementation passes
//! (feature `contract`); the embedded implementation, [`SqliteControlStore`], keeps its tables
//! in the same SQLite file as the open core's run states, scenarios and schemas.

mod model;
mod sqlite;
mod store;

#[cfg(any(test, feature = "contract"))]
pub mod contract;

pub use model::{
    ApiKeyMetadata, ApiKeyRecord, BootstrapPlan, CertSubject, ClientCa, LifecycleAuthority, Namespace, NamespaceStatus,
    NewApiKey, Org, OrgId, PreviousSecret, PrincipalKind, PrincipalRecord, Role, RoleBinding, Tenant, TenantStatus,
};
pub use sqlite::SqliteControlStore;
pub use store::{ControlError, ControlResult, ControlStore};
