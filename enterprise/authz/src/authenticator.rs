// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The enterprise `Authenticator`: API keys from the `Authorization` header (or, over stdio,
//! from `DECISION_GATE_API_KEY`), else a verified client certificate mapped to a principal by
//! its SAN entries, then its CN. Tokens are read from the header only, never from a query
//! string. Every failure is a 401 with the reason for the audit log only; reasons and logs
//! name key ids, never secrets. A credential bound only to deleted tenants (and holding no
//! organisation ownership) is refused like an unknown one. A control store that cannot be
//! read is an outage (503, retryable), never "invalid credentials".

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use decision_gate_core::ids::TenantId;
use decision_gate_enterprise_control::{ApiKeyRecord, CertSubject, ControlError, RoleBinding, TenantStatus};
use decision_gate_mcp::auth::{
    AuthFailure, AuthFailureStatus, AuthMethod, AuthOutcome, AuthRequest, Authenticator, MAX_AUTHORIZATION_BYTES,
    Principal, RoleGrant, TenantBinding, TransportLabel,
};
use futures::future::BoxFuture;
use sha2::{Digest, Sha256};

use crate::api_key::PresentedToken;
use crate::cache::{BoundPrincipal, ControlView};

/// The enterprise authenticator.
pub struct EnterpriseAuthenticator {
    view: Arc<ControlView>,
    stdio_token: Option<String>,
}

impl std::fmt::Debug for EnterpriseAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnterpriseAuthenticator").field("stdio_token", &self.stdio_token.is_some()).finish()
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as i64)
}

fn rejected(reason: impl Into<String>) -> AuthFailure {
    AuthFailure { status: AuthFailureStatus::Unauthenticated, reason: reason.into(), token_rejected: true }
}

fn missing(reason: impl Into<String>) -> AuthFailure {
    AuthFailure { status: AuthFailureStatus::Unauthenticated, reason: reason.into(), token_rejected: false }
}

fn outage(error: &ControlError) -> AuthFailure {
    AuthFailure {
        status: AuthFailureStatus::Unavailable,
        reason: format!("control store unavailable: {error}"),
        token_rejected: false,
    }
}

/// The principal an API key authenticates: its principal, bound to exactly the key's tenants
/// that are not deleted (`live`), holding the key's roles on each (within its namespace
/// restriction, if any).
pub fn key_principal(record: &ApiKeyRecord, fingerprint: String, live: &[TenantId]) -> Principal {
    let key = &record.key;
    let roles = live
        .iter()
        .flat_map(|tenant| {
            key.roles.iter().map(move |role| RoleGrant {
                role: role.as_str().to_owned(),
                tenant_id: Some(*tenant),
                namespace_id: key.namespace_id,
            })
        })
        .collect();
    Principal {
        subject: Some(key.principal_id.clone()),
        token_fingerprint: Some(fingerprint),
        credential_id: Some(key.key_id.clone()),
        org_id: Some(record.org_id),
        tenants: TenantBinding::Only(live.to_vec()),
        roles,
        ..Principal::new(AuthMethod::ApiKey)
    }
}

/// The principal a certificate maps to: bound to the tenants of its role bindings (`bindings`:
/// those on tenants that are not deleted).
pub fn bound_principal(bound: &BoundPrincipal, bindings: &[RoleBinding], certificate_fingerprint: &str) -> Principal {
    let mut tenants: Vec<TenantId> = bindings.iter().map(|binding: &RoleBinding| binding.tenant_id).collect();
    tenants.sort();
    tenants.dedup();
    let roles = bindings
        .iter()
        .map(|binding| RoleGrant {
            role: binding.role.as_str().to_owned(),
            tenant_id: Some(binding.tenant_id),
            namespace_id: binding.namespace_id,
        })
        .collect();
    Principal {
        subject: Some(bound.principal.principal_id.clone()),
        credential_id: Some(format!("cert:{certificate_fingerprint}")),
        org_id: Some(bound.principal.org_id),
        tenants: TenantBinding::Only(tenants),
        roles,
        ..Principal::new(AuthMethod::MtlsSubject)
    }
}

impl EnterpriseAuthenticator {
    /// An authenticator over the cached control view; `stdio_token` authenticates the stdio
    /// transport (`DECISION_GATE_API_KEY`).
    pub fn new(view: Arc<ControlView>, stdio_token: Option<String>) -> Self {
        EnterpriseAuthenticator { view, stdio_token: stdio_token.filter(|token| !token.trim().is_empty()) }
    }

    /// The tenants of `tenants` that are not deleted.
    async fn live_tenants(&self, tenants: impl Iterator<Item = TenantId>) -> Result<Vec<TenantId>, AuthFailure> {
        let mut live = Vec::new();
        for tenant in tenants {
            match self.view.tenant(tenant).await {
                Ok(Some(facts)) if facts.tenant.status != TenantStatus::Deleted => live.push(tenant),
                Ok(_) => {}
                Err(error) => return Err(outage(&error)),
            }
        }
        live.sort();
        live.dedup();
        Ok(live)
    }

    /// Verifies an API key token.
    pub async fn verify_api_key(&self, token: &str) -> Result<Principal, AuthFailure> {
        let presented = PresentedToken::parse(token).ok_or_else(|| rejected("malformed api key"))?;
        let record = match self.view.api_key(presented.key_id).await {
            Ok(Some(record)) => record,
            Ok(None) => return Err(rejected(format!("unknown api key id {}", presented.key_id))),
            Err(error) => return Err(outage(&error)),
        };
        let now = now_ms();
        let current = presented.matches(&record.key.secret_sha256);
        let previous = !current
            && record
                .previous
                .as_ref()
                .is_some_and(|previous| now < previous.valid_until_ms && presented.matches(&previous.secret_sha256));
        if !current && !previous {
            let after_overlap =
                record.previous.as_ref().is_some_and(|previous| presented.matches(&previous.secret_sha256));
            return Err(rejected(if after_overlap {
                format!("api key {} presented its pre-rotation secret after the overlap window", record.key.key_id)
            } else {
                format!("wrong secret for api key {}", record.key.key_id)
            }));
        }
        if record.revoked_at_ms.is_some() {
            return Err(rejected(format!("api key {} is revoked", record.key.key_id)));
        }
        if record.key.expires_at_ms.is_some_and(|expires| now >= expires) {
            return Err(rejected(format!("api key {} is expired", record.key.key_id)));
        }
        let live = self.live_tenants(record.key.tenants.iter().copied()).await?;
        if live.is_empty() && !self.owns_org(record.key.org_owner, &record.key.principal_id, record.org_id).await? {
            return Err(rejected(format!("api key {} is bound only to deleted tenants", record.key.key_id)));
        }
        let fingerprint = hex::encode(Sha256::digest(token.as_bytes()));
        Ok(key_principal(&record, fingerprint, &live))
    }

    /// Whether a credential carrying organisation ownership (`carries`) belongs to a principal
    /// that holds it now.
    async fn owns_org(&self, carries: bool, principal: &str, org: u64) -> Result<bool, AuthFailure> {
        if !carries {
            return Ok(false);
        }
        match self.view.store().owned_org(principal.to_owned()).await {
            Ok(owned) => Ok(owned == Some(org)),
            Err(error) => Err(outage(&error)),
        }
    }

    async fn bearer(&self, header: &[u8]) -> Result<Principal, AuthFailure> {
        if header.len() > MAX_AUTHORIZATION_BYTES {
            return Err(rejected("authorization header too large"));
        }
        let text = std::str::from_utf8(header).map_err(|_| rejected("invalid authorization header"))?.trim();
        let (scheme, token) = text.split_once(' ').ok_or_else(|| rejected("invalid authorization header"))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(rejected("authorization scheme is not Bearer"));
        }
        let token = token.trim();
        if !crate::api_key::looks_like_api_key(token) {
            return Err(rejected("bearer token is not an api key"));
        }
        self.verify_api_key(token).await
    }

    async fn certificate(&self, request: &AuthRequest<'_>) -> Result<Principal, AuthFailure> {
        let Some(certificate) = request.client_cert else {
            return Err(missing("missing authorization"));
        };
        let names = certificate.sans.iter().chain(certificate.common_name.iter());
        for name in names {
            let subject = CertSubject { ca_id: certificate.issuer_id.clone(), subject: name.clone() };
            match self.view.principal_by_subject(&subject).await {
                Ok(Some(bound)) => {
                    let live = self.live_tenants(bound.bindings.iter().map(|binding| binding.tenant_id)).await?;
                    let bindings: Vec<RoleBinding> =
                        bound.bindings.iter().filter(|binding| live.contains(&binding.tenant_id)).cloned().collect();
                    if !bound.bindings.is_empty() && bindings.is_empty() && !bound.owns_org {
                        return Err(rejected(format!(
                            "client certificate {} maps to a principal bound only to deleted tenants",
                            certificate.fingerprint
                        )));
                    }
                    return Ok(bound_principal(&bound, &bindings, &certificate.fingerprint));
                }
                Ok(None) => continue,
                Err(error) => return Err(outage(&error)),
            }
        }
        Err(rejected(format!("client certificate {} maps to no principal", certificate.fingerprint)))
    }

    async fn authenticate_request(&self, request: &AuthRequest<'_>) -> Result<Principal, AuthFailure> {
        if request.transport == TransportLabel::Stdio {
            return match &self.stdio_token {
                Some(token) => self.verify_api_key(token.trim()).await,
                None => Err(missing("DECISION_GATE_API_KEY is not set for the stdio transport")),
            };
        }
        match request.authorization() {
            Some(header) => self.bearer(header).await,
            None => self.certificate(request).await,
        }
    }
}

impl Authenticator for EnterpriseAuthenticator {
    fn authenticate<'a>(&'a self, request: &'a AuthRequest<'a>) -> BoxFuture<'a, AuthOutcome> {
        Box::pin(async move {
            let result = self.authenticate_request(request).await;
            AuthOutcome { result, ignored_untrusted_subject_header: false }
        })
    }
}
