//! The authenticated caller: how it authenticated, which credential it used, and what it is
//! bound to (tenants, roles per tenant and namespace, OAuth-style scopes).

use decision_gate_core::ids::{NamespaceId, TenantId};
use serde::Serialize;

/// How a principal authenticated. Open: enterprise authenticators name their own methods with
/// [`AuthMethod::Other`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// stdio or loopback HTTP in `local_only` mode.
    Local,
    /// A configured bearer token.
    BearerToken,
    /// A verified client certificate subject.
    MtlsSubject,
    /// An API key issued by a key store.
    ApiKey,
    /// An OpenID Connect (OAuth 2.1) access token.
    Oidc,
    /// Any other method, by its audit label.
    Other(&'static str),
}

impl AuthMethod {
    /// The audit label.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Local => "local",
            AuthMethod::BearerToken => "bearer_token",
            AuthMethod::MtlsSubject => "mtls_subject",
            AuthMethod::ApiKey => "api_key",
            AuthMethod::Oidc => "oidc",
            AuthMethod::Other(label) => label,
        }
    }
}

/// A role held by a principal, optionally limited to one tenant and one namespace (an unset
/// scope is a wildcard).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct RoleGrant {
    /// Role name (case-sensitive).
    pub role: String,
    /// Tenant the role applies to (`None`: every tenant the principal reaches).
    pub tenant_id: Option<TenantId>,
    /// Namespace the role applies to (`None`: every namespace of the tenant).
    pub namespace_id: Option<NamespaceId>,
}

impl RoleGrant {
    /// Whether the grant applies to a tenant and (when known) a namespace.
    pub fn applies(&self, tenant: TenantId, namespace: Option<NamespaceId>) -> bool {
        self.tenant_id.is_none_or(|bound| bound == tenant)
            && match (self.namespace_id, namespace) {
                (Some(bound), Some(asked)) => bound == asked,
                _ => true,
            }
    }
}

/// Which tenants a credential may reach.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "tenants", rename_all = "snake_case")]
pub enum TenantBinding {
    /// Not limited by the credential: every tenant the server serves (configuration-only
    /// servers whose credentials carry no binding).
    #[default]
    Unbound,
    /// Exactly these tenants (one for an ordinary enterprise credential).
    Only(Vec<TenantId>),
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// How it authenticated.
    pub method: AuthMethod,
    /// Subject: `stdio`, `loopback`, the mTLS identity, or an enterprise principal id.
    pub subject: Option<String>,
    /// SHA-256 hex of the presented secret (bearer token, API key), never the secret.
    pub token_fingerprint: Option<String>,
    /// Id of the credential used (API key id, certificate fingerprint, token `jti`).
    pub credential_id: Option<String>,
    /// Whether the caller is local (stdio, or a loopback peer that is not a trusted proxy).
    pub local: bool,
    /// Organisation of an enterprise principal.
    pub org_id: Option<u64>,
    /// Tenants the credential reaches.
    pub tenants: TenantBinding,
    /// Roles, each optionally scoped to a tenant and namespace. Empty with
    /// [`TenantBinding::Unbound`] means no role-based limit (configuration-only servers).
    pub roles: Vec<RoleGrant>,
    /// Granted OAuth-style scopes (`dg:<permission>`).
    pub scopes: Vec<String>,
    /// Policy class used by the schema registry ACL (`prod` when unset).
    pub policy_class: Option<String>,
}

impl Principal {
    /// A principal of a method with nothing else known.
    pub fn new(method: AuthMethod) -> Self {
        Principal {
            method,
            subject: None,
            token_fingerprint: None,
            credential_id: None,
            local: false,
            org_id: None,
            tenants: TenantBinding::Unbound,
            roles: Vec::new(),
            scopes: Vec::new(),
            policy_class: None,
        }
    }

    /// The stdio principal.
    pub fn stdio() -> Self {
        Principal { subject: Some("stdio".to_owned()), local: true, ..Principal::new(AuthMethod::Local) }
    }

    /// The loopback HTTP principal of `local_only` mode.
    pub fn loopback() -> Self {
        Principal { subject: Some("loopback".to_owned()), ..Principal::stdio() }
    }

    /// Principal id (mcp-surface §5.5): the subject, else `token:<fingerprint>`, else
    /// `local` / `token:unknown` / `mtls:unknown` / `<method>:unknown`.
    pub fn principal_id(&self) -> String {
        if let Some(subject) = &self.subject {
            return subject.clone();
        }
        if let Some(fingerprint) = &self.token_fingerprint {
            return format!("token:{fingerprint}");
        }
        match self.method {
            AuthMethod::Local => "local".to_owned(),
            AuthMethod::BearerToken => "token:unknown".to_owned(),
            AuthMethod::MtlsSubject => "mtls:unknown".to_owned(),
            other => format!("{}:unknown", other.as_str()),
        }
    }

    /// Whether the credential may act on a tenant (and, when given, a namespace): the tenant
    /// binding must include it, and when the principal holds roles, one of them must apply.
    pub fn reaches(&self, tenant: TenantId, namespace: Option<NamespaceId>) -> bool {
        let tenant_ok = match &self.tenants {
            TenantBinding::Unbound => true,
            TenantBinding::Only(tenants) => tenants.contains(&tenant),
        };
        let role_ok = (self.roles.is_empty() && self.tenants == TenantBinding::Unbound)
            || self.roles.iter().any(|grant| grant.applies(tenant, namespace));
        tenant_ok && role_ok
    }

    /// The one tenant this principal is bound to, if exactly one: from the tenant binding, else
    /// from role grants that all name the same tenant.
    pub fn single_tenant(&self) -> Option<TenantId> {
        if let TenantBinding::Only(tenants) = &self.tenants {
            return match tenants.as_slice() {
                [single] => Some(*single),
                _ => None,
            };
        }
        let mut tenants = self.roles.iter().map(|grant| grant.tenant_id);
        let first = tenants.next()??;
        tenants.all(|tenant| tenant == Some(first)).then_some(first)
    }

    /// Role names that apply to a tenant and namespace, in grant order, without repeats.
    pub fn roles_in_scope(&self, tenant: TenantId, namespace: Option<NamespaceId>) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for grant in self.roles.iter().filter(|grant| grant.applies(tenant, namespace)) {
            if !names.contains(&grant.role) {
                names.push(grant.role.clone());
            }
        }
        names
    }

    /// Whether a credential is bound to several tenants (every use is audited as such).
    pub fn is_multi_tenant(&self) -> bool {
        matches!(&self.tenants, TenantBinding::Only(tenants) if tenants.len() > 1)
    }
}
