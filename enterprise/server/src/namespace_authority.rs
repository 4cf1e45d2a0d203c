// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The control store as the namespace authority: a namespace exists when the control store
//! has it (every tenant's namespace 1 included, so the open core's default-namespace switch
//! does not apply here).

use std::sync::Arc;

use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_enterprise_authz::ControlView;
use decision_gate_mcp::pipeline::{NamespaceAuthority, NamespaceDenial};
use futures::future::BoxFuture;

/// Namespaces from the control store.
#[derive(Debug)]
pub struct ControlNamespaceAuthority {
    view: Arc<ControlView>,
}

impl ControlNamespaceAuthority {
    /// An authority over the cached control view.
    pub fn new(view: Arc<ControlView>) -> Self {
        ControlNamespaceAuthority { view }
    }
}

impl NamespaceAuthority for ControlNamespaceAuthority {
    fn ensure_namespace<'a>(
        &'a self,
        tenant: Option<TenantId>,
        namespace: NamespaceId,
        _correlation_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), NamespaceDenial>> {
        Box::pin(async move {
            let Some(tenant) = tenant else {
                return Err(NamespaceDenial::Denied("namespace check without a tenant".to_owned()));
            };
            match self.view.namespace(tenant, namespace).await {
                Ok(Some(_)) => Ok(()),
                Ok(None) => {
                    Err(NamespaceDenial::Denied(format!("namespace {namespace} of tenant {tenant} is unknown")))
                }
                Err(error) => Err(NamespaceDenial::Unavailable(format!("control store unavailable: {error}"))),
            }
        })
    }

    fn label(&self) -> &'static str {
        "dg_registry"
    }

    fn governs_default_namespace(&self) -> bool {
        true
    }
}
