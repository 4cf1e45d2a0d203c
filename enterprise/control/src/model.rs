// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The records of the control store.

use std::fmt;
use std::str::FromStr;

use decision_gate_core::ids::{NamespaceId, TenantId};
use serde::{Deserialize, Serialize};

/// An organisation id (a customer account; `1` is the operator's own organisation).
pub type OrgId = u64;

/// An organisation: owns tenants and principals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    /// Id.
    pub org_id: OrgId,
    /// Unique name.
    pub name: String,
    /// Creation time (ms since the Unix epoch).
    pub created_at_ms: i64,
}

/// Lifecycle of a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    /// Tool calls allowed.
    Active,
    /// Every tool call denied; data kept; admins can read.
    Suspended,
    /// Soft-deleted: every tool call denied; terminal.
    Deleted,
}

/// Lifecycle of a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamespaceStatus {
    /// Reads and writes.
    Active,
    /// Read-only.
    Archived,
}

/// Who changes a tenant's lifecycle, weakest first: a suspension is lifted (and a suspended
/// tenant deleted) only by the authority that set it or a stronger one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleAuthority {
    /// An owner of the tenant's organisation (admin API).
    Owner,
    /// The billing integration (a lapsed subscription).
    Billing,
    /// The operator at the command line (break-glass).
    Operator,
}

impl LifecycleAuthority {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleAuthority::Owner => "owner",
            LifecycleAuthority::Billing => "billing",
            LifecycleAuthority::Operator => "operator",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [LifecycleAuthority::Owner, LifecycleAuthority::Billing, LifecycleAuthority::Operator]
            .into_iter()
            .find(|authority| authority.as_str() == text)
    }
}

/// A tenant: the isolation and billing unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Id.
    pub tenant_id: TenantId,
    /// Owning organisation.
    pub org_id: OrgId,
    /// Name, unique within the organisation.
    pub name: String,
    /// Lifecycle state.
    pub status: TenantStatus,
    /// Who suspended the tenant (while it is suspended).
    pub suspended_by: Option<LifecycleAuthority>,
    /// Creation time (ms).
    pub created_at_ms: i64,
    /// Last status change (ms).
    pub updated_at_ms: i64,
}

/// A namespace inside a tenant (`1` is the default namespace every tenant starts with).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id, unique within the tenant.
    pub namespace_id: NamespaceId,
    /// Name, unique within the tenant.
    pub name: String,
    /// Lifecycle state.
    pub status: NamespaceStatus,
    /// Creation time (ms).
    pub created_at_ms: i64,
}

/// What kind of actor a principal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A person.
    User,
    /// A machine: an agent, a CI job, a service.
    Service,
}

/// A principal of an organisation: the identity API keys and client certificates act as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalRecord {
    /// Id (`prn_<hex>`).
    pub principal_id: String,
    /// Organisation.
    pub org_id: OrgId,
    /// Name, unique within the organisation.
    pub name: String,
    /// Kind.
    pub kind: PrincipalKind,
    /// Client-certificate subjects (CN or SAN entries, each under its issuing CA) that
    /// authenticate as this principal.
    pub cert_subjects: Vec<CertSubject>,
    /// Creation time (ms).
    pub created_at_ms: i64,
}

/// A client-certificate subject under the CA that issues it: certificates map to principals
/// by (issuing CA, subject), so two CAs' identical subjects are different identities.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertSubject {
    /// The issuing CA ([`ClientCa::ca_id`]).
    pub ca_id: String,
    /// A CN or SAN entry (DNS name, URI or e-mail address).
    pub subject: String,
}

/// A trusted client CA and the organisations that may register subjects under it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCa {
    /// Id: SHA-256 (hex) of the CA certificate's subject name (DER), which equals the issuer
    /// name of every certificate it signs.
    pub ca_id: String,
    /// The CA's subject name, for people.
    pub name: String,
    /// Organisations bound to the CA.
    pub orgs: Vec<OrgId>,
}

/// The roles of the enterprise layer (their permissions are defined by the authorization
/// crate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including the organisation's tenants and keys.
    Owner,
    /// Manages its tenants' keys, namespaces, bindings and allowlists; all data actions.
    Admin,
    /// Defines scenarios, drives runs, registers schemas, exports runpacks; reads.
    Editor,
    /// Reads scenarios, runs, schemas and providers; verifies runpacks.
    Viewer,
    /// Drives existing runs: next, status, submit, precheck, evidence queries.
    Agent,
    /// Reads audit logs and usage; viewer permissions; no writes.
    Auditor,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 6] = [Role::Owner, Role::Admin, Role::Editor, Role::Viewer, Role::Agent, Role::Auditor];

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
            Role::Agent => "agent",
            Role::Auditor => "auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| format!("unknown role {text:?} (owner, admin, editor, viewer, agent, auditor)"))
    }
}

/// A role held by a principal on a tenant, optionally only in one namespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoleBinding {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Principal.
    pub principal_id: String,
    /// Role.
    pub role: Role,
    /// Namespace (`None`: every namespace of the tenant).
    pub namespace_id: Option<NamespaceId>,
}

/// The secret an API key had before its last rotation, valid until a deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviousSecret {
    /// SHA-256 of the old secret.
    pub secret_sha256: [u8; 32],
    /// The old secret is refused from this time on (ms).
    pub valid_until_ms: i64,
}

/// A new API key, as issued (the secret itself is never stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApiKey {
    /// Public key id (the `<key_id>` of `dgk_<key_id>_<secret>`).
    pub key_id: String,
    /// Principal the key authenticates as.
    pub principal_id: String,
    /// A label for people.
    pub name: String,
    /// SHA-256 of the secret.
    pub secret_sha256: [u8; 32],
    /// Tenants the key reaches (exactly one unless the key is explicitly multi-tenant).
    pub tenants: Vec<TenantId>,
    /// The one namespace the key is limited to, if any.
    pub namespace_id: Option<NamespaceId>,
    /// Roles the key carries on each of its tenants.
    pub roles: Vec<Role>,
    /// Expiry (ms), if any.
    pub expires_at_ms: Option<i64>,
    /// Whether the key carries its principal's organisation ownership (effective only while
    /// the principal holds the organisation-level owner binding).
    pub org_owner: bool,
    /// Who issued the key: a principal id, `operator:<name>` or `bootstrap`.
    pub issued_by: String,
}

/// A stored API key: what authentication needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Everything but the lifecycle.
    pub key: NewApiKey,
    /// Organisation of the key's principal.
    pub org_id: OrgId,
    /// The secret before the last rotation, during its overlap window.
    pub previous: Option<PreviousSecret>,
    /// Issue time (ms).
    pub created_at_ms: i64,
    /// Last rotation (ms).
    pub rotated_at_ms: Option<i64>,
    /// Revocation time (ms).
    pub revoked_at_ms: Option<i64>,
}

/// What may be shown about a key: everything but secret hashes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyMetadata {
    /// Key id.
    pub key_id: String,
    /// Principal.
    pub principal_id: String,
    /// Organisation.
    pub org_id: OrgId,
    /// Label.
    pub name: String,
    /// Tenants.
    pub tenants: Vec<TenantId>,
    /// Namespace restriction.
    pub namespace_id: Option<NamespaceId>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Whether the key carries organisation ownership.
    pub org_owner: bool,
    /// Who issued it.
    pub issued_by: String,
    /// Issue time (ms).
    pub created_at_ms: i64,
    /// Expiry (ms).
    pub expires_at_ms: Option<i64>,
    /// Last rotation (ms).
    pub rotated_at_ms: Option<i64>,
    /// Until when the pre-rotation secret is still accepted (ms).
    pub previous_valid_until_ms: Option<i64>,
    /// Revocation time (ms).
    pub revoked_at_ms: Option<i64>,
}

impl ApiKeyRecord {
    /// The key's metadata.
    pub fn metadata(&self) -> ApiKeyMetadata {
        ApiKeyMetadata {
            key_id: self.key.key_id.clone(),
            principal_id: self.key.principal_id.clone(),
            org_id: self.org_id,
            name: self.key.name.clone(),
            tenants: self.key.tenants.clone(),
            namespace_id: self.key.namespace_id,
            roles: self.key.roles.clone(),
            org_owner: self.key.org_owner,
            issued_by: self.key.issued_by.clone(),
            created_at_ms: self.created_at_ms,
            expires_at_ms: self.key.expires_at_ms,
            rotated_at_ms: self.rotated_at_ms,
            previous_valid_until_ms: self.previous.as_ref().map(|previous| previous.valid_until_ms),
            revoked_at_ms: self.revoked_at_ms,
        }
    }
}

/// The first start: org 1, tenant 1 (with namespace 1), an owner principal holding the
/// organisation-level owner binding of org 1 and an owner binding on tenant 1, and its first
/// API key (an organisation-owner key), all created together or not at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootstrapPlan {
    /// Organisation name.
    pub org_name: String,
    /// Tenant name.
    pub tenant_name: String,
    /// Owner principal id.
    pub owner_principal_id: String,
    /// Owner principal name.
    pub owner_name: String,
    /// The owner's key (its tenants, roles and principal are set by the store: tenant 1,
    /// owner, the owner principal).
    pub key_id: String,
    /// SHA-256 of the key's secret.
    pub secret_sha256: [u8; 32],
}
