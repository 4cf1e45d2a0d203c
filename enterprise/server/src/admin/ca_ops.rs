// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Trusted client CAs and the organisations bound to them: the operator's alone (the system
//! path). A client certificate maps to a principal by (issuing CA, subject), and an
//! organisation registers subjects only under the CAs the operator bound to it, so no
//! organisation can claim (or probe for) another's certificate identities.

use decision_gate_enterprise_control::{ClientCa, OrgId};
use serde::Serialize;
use serde_json::json;

use super::authority::Caller;
use super::{Action, AdminCall, AdminError, AdminService};

/// A CA as registration reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegisteredCa {
    /// Its id (SHA-256 of its subject name).
    pub ca_id: String,
    /// Its subject name.
    pub name: String,
    /// Whether it was new.
    pub created: bool,
}

impl AdminService {
    async fn operator_only(&self, call: &AdminCall, action: &Action) -> Result<(), AdminError> {
        match self.caller(call, action).await? {
            Caller::Operator(_) => Ok(()),
            Caller::Principal(_) => {
                let reason = "client CAs are managed by the operator".to_owned();
                self.refuse_because(call, action, AdminError::Forbidden { required_scopes: vec![] }, reason).await
            }
        }
    }

    /// Registers a CA (`ca_id`, `name` from [`decision_gate_mcp::transport::tls::ca_identity`])
    /// and, when `org` is given, binds it to that organisation.
    pub async fn register_client_ca(
        &self,
        call: &AdminCall,
        ca_id: String,
        name: String,
        org: Option<OrgId>,
    ) -> Result<RegisteredCa, AdminError> {
        let action = Action::new("client_ca.register")
            .target(format!("client CA {ca_id}"))
            .details(json!({"name": name, "org_id": org}));
        self.operator_only(call, &action).await?;
        self.change(call, action, async {
            let created = self.store.register_client_ca(ca_id.clone(), name.clone()).await?;
            if let Some(org) = org {
                self.store.bind_client_ca(ca_id.clone(), org).await?;
            }
            Ok(RegisteredCa { ca_id, name, created })
        })
        .await
    }

    /// Binds (`bind = true`) or unbinds a CA and an organisation.
    pub async fn bind_client_ca(
        &self,
        call: &AdminCall,
        ca_id: String,
        org: OrgId,
        bind: bool,
    ) -> Result<bool, AdminError> {
        let name = if bind { "client_ca.bind" } else { "client_ca.unbind" };
        let action = Action::new(name).target(format!("client CA {ca_id}")).details(json!({"org_id": org}));
        self.operator_only(call, &action).await?;
        self.change(call, action, async {
            if bind {
                self.store.bind_client_ca(ca_id, org).await?;
                Ok(true)
            } else {
                Ok(self.store.unbind_client_ca(ca_id, org).await?)
            }
        })
        .await
    }

    /// Every registered CA with its organisations.
    pub async fn list_client_cas(&self, call: &AdminCall) -> Result<Vec<ClientCa>, AdminError> {
        let action = Action::new("client_ca.list");
        self.operator_only(call, &action).await?;
        self.read(call, action, async { Ok(self.store.list_client_cas().await?) }).await
    }
}
