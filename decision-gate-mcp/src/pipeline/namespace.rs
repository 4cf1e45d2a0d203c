//! Namespace guard (default namespace rules) and the `NamespaceAuthority` seam (mcp-surface §6.4).

use std::time::Duration;

use decision_gate_core::ids::{NamespaceId, TenantId};
use futures::future::BoxFuture;

use crate::config::{AssetcoreAuthorityConfig, NamespaceConfig};

/// Applies the reserved default namespace rules; `Err` carries the reason (audit) text.
pub fn check_default_namespace(
    config: &NamespaceConfig,
    tenant: Option<TenantId>,
    namespace: NamespaceId,
) -> Result<(), &'static str> {
    if namespace != NamespaceId::DEFAULT {
        return Ok(());
    }
    if !config.allow_default {
        return Err("default namespace is not allowed");
    }
    let Some(tenant) = tenant else {
        return Err("default namespace requires tenant_id");
    };
    if !config.default_tenants.contains(&tenant.get()) {
        return Err("default namespace not allowed for tenant");
    }
    Ok(())
}

/// Why the namespace authority refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespaceDenial {
    /// The namespace or correlation id is malformed (-32602).
    Invalid(String),
    /// The authority says no (-32003).
    Denied(String),
    /// The authority could not be asked (-32003, fail closed).
    Unavailable(String),
}

/// Confirms that a namespace exists and may be used.
pub trait NamespaceAuthority: Send + Sync {
    /// Checks one namespace.
    fn ensure_namespace<'a>(
        &'a self,
        tenant: Option<TenantId>,
        namespace: NamespaceId,
        correlation_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), NamespaceDenial>>;

    /// Runpack security label (`dg_registry`, `assetcore_catalog`).
    fn label(&self) -> &'static str;

    /// Whether this authority decides the default namespace `1` too (a namespace registry in
    /// which every tenant's namespace 1 is an ordinary entry). When `false` (the default), the
    /// `[namespace] allow_default` / `default_tenants` rule applies first.
    fn governs_default_namespace(&self) -> bool {
        false
    }
}

/// Authority mode `none`: every namespace is fine.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoNamespaceAuthority;

impl NamespaceAuthority for NoNamespaceAuthority {
    fn ensure_namespace<'a>(
        &'a self,
        _tenant: Option<TenantId>,
        _namespace: NamespaceId,
        _correlation_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), NamespaceDenial>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn label(&self) -> &'static str {
        "dg_registry"
    }
}

/// Authority mode `assetcore_http`: `GET {base}/v1/write/namespaces/{id}`.
#[derive(Clone, Debug)]
pub struct AssetcoreAuthority {
    client: reqwest::Client,
    base_url: String,
    auth_token: Option<String>,
}

impl AssetcoreAuthority {
    /// Builds the HTTP client with the configured timeouts; redirects are never followed.
    pub fn new(config: &AssetcoreAuthorityConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .timeout(Duration::from_millis(config.request_timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| format!("namespace authority client: {err}"))?;
        Ok(AssetcoreAuthority {
            client,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            auth_token: config.auth_token.clone(),
        })
    }
}

impl NamespaceAuthority for AssetcoreAuthority {
    fn ensure_namespace<'a>(
        &'a self,
        _tenant: Option<TenantId>,
        namespace: NamespaceId,
        correlation_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), NamespaceDenial>> {
        Box::pin(async move {
            let url = format!("{}/v1/write/namespaces/{}", self.base_url, namespace.get());
            let mut request = self.client.get(url);
            if let Some(token) = &self.auth_token {
                request = request.bearer_auth(token);
            }
            if let Some(correlation) = correlation_id {
                if !crate::transport::correlation::is_valid_token(correlation) {
                    return Err(NamespaceDenial::Invalid("invalid correlation id".to_owned()));
                }
                request = request.header("x-correlation-id", correlation);
            }
            match request.send().await {
                Ok(response) => match response.status().as_u16() {
                    200 => Ok(()),
                    404 => Err(NamespaceDenial::Denied("namespace not found".to_owned())),
                    401 | 403 => Err(NamespaceDenial::Denied("namespace not authorized".to_owned())),
                    other => Err(NamespaceDenial::Unavailable(format!("namespace authority status {other}"))),
                },
                Err(error) => Err(NamespaceDenial::Unavailable(format!("namespace authority unreachable: {error}"))),
            }
        })
    }

    fn label(&self) -> &'static str {
        "assetcore_catalog"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(n: u64) -> NamespaceId {
        NamespaceId::new(n).unwrap()
    }

    #[test]
    fn default_namespace_rules() {
        let tenant = TenantId::new(100);
        let closed = NamespaceConfig::default();
        assert_eq!(check_default_namespace(&closed, tenant, ns(2)), Ok(()));
        assert_eq!(check_default_namespace(&closed, tenant, ns(1)), Err("default namespace is not allowed"));
        let open = NamespaceConfig { allow_default: true, default_tenants: vec![100], ..NamespaceConfig::default() };
        assert_eq!(check_default_namespace(&open, tenant, ns(1)), Ok(()));
        assert_eq!(
            check_default_namespace(&open, TenantId::new(101), ns(1)),
            Err("default namespace not allowed for tenant")
        );
        assert_eq!(check_default_namespace(&open, None, ns(1)), Err("default namespace requires tenant_id"));
    }
}
