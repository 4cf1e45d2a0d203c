//! The tool router: the one place that runs the pipeline seams, in order, for every tool call.

use std::sync::Arc;

use decision_gate_core::hashing::{HashDigest, hash_json_value};
use serde_json::Value;

use super::args::{Scope, ToolCall};
use super::catalogue::{ToolDefinition, ToolName, tool_definitions};
use crate::config::ToolVisibilityMode;
use crate::errors::{ErrorCode, ToolError};
use crate::pipeline::{
    AuditEvent, CallContext, NamespaceDenial, TenantAuthzEvent, TenantRequest, ToolAuthzEvent, ToolOutcomeEvent,
    UsageAuditEvent, UsageDecision, UsageRequest, UsageReservation, check_default_namespace, now_ms,
};
use crate::state::ServerState;

/// Why a call did not produce a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallFailure {
    /// Unknown or hidden tool: a protocol error (`unknown tool: <name>`), identical for both.
    UnknownTool(String),
    /// A tool failure (an `isError` result on `/mcp`).
    Failed(ToolError),
}

/// Runs tool calls against the server state.
#[derive(Clone, Debug)]
pub struct ToolRouter {
    state: Arc<ServerState>,
}

fn decimal(id: Option<u64>) -> Option<String> {
    id.map(|id| id.to_string())
}

impl ToolRouter {
    /// A router over the server state.
    pub fn new(state: Arc<ServerState>) -> Self {
        ToolRouter { state }
    }

    /// The server state.
    pub fn state(&self) -> &Arc<ServerState> {
        &self.state
    }

    fn visible(&self, tool: ToolName) -> bool {
        let tools = &self.state.config.server.tools;
        let name = tool.as_str().to_owned();
        !tools.denylist.contains(&name) && (tools.allowlist.is_empty() || tools.allowlist.contains(&name))
    }

    fn allowed(&self, tool: ToolName) -> bool {
        let allowed = &self.state.config.server.auth.allowed_tools;
        if allowed.is_empty() {
            return true;
        }
        // An unknown name anywhere in the list turns it into "deny everything" (fail closed).
        if allowed.iter().any(|name| ToolName::from_name(name).is_none()) {
            return false;
        }
        allowed.iter().any(|name| name == tool.as_str())
    }

    /// Tools listed by `tools/list` (visibility applies in `filter` mode; the allowlist never
    /// filters the list).
    pub fn list(&self, ctx: &CallContext) -> Vec<&'static ToolDefinition> {
        self.audit_authz(ctx, "tools/list", None);
        let filter = self.state.config.server.tools.mode == ToolVisibilityMode::Filter;
        tool_definitions().iter().filter(|definition| !filter || self.visible(definition.name)).collect()
    }

    fn audit_authz(&self, ctx: &CallContext, action: &str, deny_reason: Option<&str>) {
        let principal = &ctx.principal;
        self.state.audit.record(&AuditEvent::McpToolAuthz(ToolAuthzEvent {
            timestamp_ms: now_ms(),
            decision: if deny_reason.is_some() { "deny" } else { "allow" },
            action: action.to_owned(),
            transport: ctx.transport.as_str(),
            peer_ip: ctx.peer_ip.map(|ip| ip.to_string()),
            auth_method: Some(principal.method.as_str()),
            subject: principal.subject.clone(),
            token_fingerprint: principal.token_fingerprint.clone(),
            reason: deny_reason.map(str::to_owned),
            request_id: ctx.request_id.clone(),
            unsafe_client_correlation_id: ctx.client_correlation_id.clone(),
            server_correlation_id: ctx.server_correlation_id.clone(),
        }));
    }

    /// Calls a tool: allowlist, visibility, decode, tenant, usage, namespace, tool checks,
    /// execution, usage records; every decision and the outcome are audited.
    pub async fn call(&self, ctx: &CallContext, name: &str, arguments: Value) -> Result<Value, CallFailure> {
        let Some(tool) = ToolName::from_name(name) else {
            return Err(CallFailure::UnknownTool(name.to_owned()));
        };
        if !self.allowed(tool) {
            self.audit_authz(ctx, tool.as_str(), Some("unauthorized: tool not authorized"));
            let error = ToolError::unauthorized();
            self.audit_outcome(ctx, tool, None, None, None, Some(&error));
            return Err(CallFailure::Failed(error));
        }
        self.audit_authz(ctx, tool.as_str(), None);
        if !self.visible(tool) {
            return Err(CallFailure::UnknownTool(name.to_owned()));
        }
        let arguments_hash = hash_json_value(&arguments, None).ok();
        let outcome = if self.state.config.server.audit.required && !self.state.audit.healthy() {
            Err(ToolError::internal("audit sink unavailable"))
        } else {
            self.run(ctx, tool, arguments).await
        };
        let scope_ids = outcome.as_ref().ok().and_then(|(_, scope)| *scope);
        let result = outcome.map(|(value, _)| value);
        let result_hash = result.as_ref().ok().and_then(|value| hash_json_value(value, None).ok());
        self.audit_outcome(ctx, tool, scope_ids, arguments_hash, result_hash, result.as_ref().err());
        result.map_err(CallFailure::Failed)
    }

    fn audit_outcome(
        &self,
        ctx: &CallContext,
        tool: ToolName,
        scope: Option<Scope>,
        arguments_hash: Option<HashDigest>,
        result_hash: Option<HashDigest>,
        error: Option<&ToolError>,
    ) {
        self.state.audit.record(&AuditEvent::ToolOutcome(ToolOutcomeEvent {
            timestamp_ms: now_ms(),
            request_id: ctx.request_id.clone(),
            unsafe_client_correlation_id: ctx.client_correlation_id.clone(),
            server_correlation_id: ctx.server_correlation_id.clone(),
            tool: tool.as_str().to_owned(),
            principal_id: ctx.principal.principal_id(),
            tenant_id: decimal(scope.as_ref().and_then(|s| s.tenant).map(|t| t.get())),
            namespace_id: decimal(scope.as_ref().and_then(|s| s.namespace).map(|n| n.get())),
            outcome: if error.is_some() { "Error" } else { "Ok" },
            error_code: error.map(|e| e.code.code()),
            error_kind: error.map(ToolError::kind),
            arguments_hash,
            result_hash,
        }));
    }

    async fn run(
        &self,
        ctx: &CallContext,
        tool: ToolName,
        arguments: Value,
    ) -> Result<(Value, Option<Scope>), ToolError> {
        let call = ToolCall::decode(tool, &self.state, ctx, arguments).await?;
        let scope = call.scope();
        let mut reservations = Vec::new();
        if let Some(scope) = &scope
            && let Err(error) = self.admit(ctx, tool, scope, &call, &mut reservations).await
        {
            self.release(ctx, reservations).await;
            return Err(error);
        }
        match call.execute(&self.state, ctx).await {
            Ok(value) => {
                for reservation in reservations {
                    self.state.usage.commit(ctx, reservation).await;
                }
                Ok((value, scope))
            }
            Err(error) => {
                self.release(ctx, reservations).await;
                Err(error)
            }
        }
    }

    async fn release(&self, ctx: &CallContext, reservations: Vec<UsageReservation>) {
        for reservation in reservations {
            self.state.usage.release(ctx, reservation).await;
        }
    }

    /// Tenant authorization, usage checks and the namespace guard, in the specified order.
    async fn admit(
        &self,
        ctx: &CallContext,
        tool: ToolName,
        scope: &Scope,
        call: &ToolCall,
        reservations: &mut Vec<UsageReservation>,
    ) -> Result<(), ToolError> {
        let request = TenantRequest { tool: tool.as_str(), tenant_id: scope.tenant, namespace_id: scope.namespace };
        let decision = self.state.tenants.resolve(ctx, &request).await;
        self.audit_tenant(ctx, tool, scope, decision.allowed, &decision.reason);
        if !decision.allowed {
            return Err(ToolError::unauthorized());
        }
        let usage = call.usage_requests(tool, scope);
        let (first, rest) = usage.split_first().ok_or_else(|| ToolError::internal("no usage metric for tool"))?;
        if tool == ToolName::SchemasRegister {
            self.namespace_guard(ctx, tool, scope).await?;
            for request in &usage {
                reservations.push(self.check_usage(ctx, request).await?);
            }
        } else {
            reservations.push(self.check_usage(ctx, first).await?);
            self.namespace_guard(ctx, tool, scope).await?;
            for request in rest {
                reservations.push(self.check_usage(ctx, request).await?);
            }
        }
        Ok(())
    }

    fn audit_tenant(&self, ctx: &CallContext, tool: ToolName, scope: &Scope, allowed: bool, reason: &str) {
        self.state.audit.record(&AuditEvent::TenantAuthz(TenantAuthzEvent {
            timestamp_ms: now_ms(),
            request_id: ctx.request_id.clone(),
            unsafe_client_correlation_id: ctx.client_correlation_id.clone(),
            server_correlation_id: ctx.server_correlation_id.clone(),
            tool: tool.as_str().to_owned(),
            allowed,
            reason: reason.to_owned(),
            principal_id: ctx.principal.principal_id(),
            tenant_id: decimal(scope.tenant.map(|t| t.get())),
            namespace_id: decimal(scope.namespace.map(|n| n.get())),
        }));
    }

    async fn check_usage(&self, ctx: &CallContext, request: &UsageRequest) -> Result<UsageReservation, ToolError> {
        let decision = self.state.usage.check_and_reserve(ctx, request).await;
        let (allowed, reason) = match &decision {
            UsageDecision::Allowed(_) => (true, None),
            UsageDecision::Denied { reason, .. } => (false, Some(reason.clone())),
        };
        self.state.audit.record(&AuditEvent::UsageAudit(UsageAuditEvent {
            timestamp_ms: now_ms(),
            request_id: ctx.request_id.clone(),
            unsafe_client_correlation_id: ctx.client_correlation_id.clone(),
            server_correlation_id: ctx.server_correlation_id.clone(),
            tool: request.tool.to_owned(),
            tenant_id: decimal(request.tenant_id.map(|t| t.get())),
            namespace_id: decimal(request.namespace_id.map(|n| n.get())),
            principal_id: ctx.principal.principal_id(),
            metric: request.metric.as_str(),
            units: request.units,
            allowed,
            reason,
        }));
        match decision {
            UsageDecision::Allowed(reservation) => Ok(reservation),
            UsageDecision::Denied { retry_after_ms: Some(retry), .. } => {
                Err(ToolError::new(ErrorCode::RateLimited, "rate limit exceeded").with_retry_after(retry))
            }
            UsageDecision::Denied { retry_after_ms: None, .. } => {
                Err(ToolError::unauthorized().with_kind("quota_exceeded"))
            }
        }
    }

    async fn namespace_guard(&self, ctx: &CallContext, tool: ToolName, scope: &Scope) -> Result<(), ToolError> {
        let Some(namespace) = scope.namespace else {
            return Ok(());
        };
        if let Err(reason) = check_default_namespace(&self.state.config.namespace, scope.tenant, namespace) {
            self.audit_tenant(ctx, tool, scope, false, reason);
            return Err(ToolError::unauthorized());
        }
        let correlation = ctx
            .client_correlation_id
            .as_deref()
            .or(Some(ctx.server_correlation_id.as_str()))
            .or(ctx.request_id.as_deref());
        match self.state.namespace_authority.ensure_namespace(scope.tenant, namespace, correlation).await {
            Ok(()) => Ok(()),
            Err(NamespaceDenial::Invalid(reason)) => {
                self.audit_tenant(ctx, tool, scope, false, &reason);
                Err(ToolError::invalid_params("invalid namespace"))
            }
            Err(NamespaceDenial::Denied(reason) | NamespaceDenial::Unavailable(reason)) => {
                self.audit_tenant(ctx, tool, scope, false, &reason);
                Err(ToolError::unauthorized())
            }
        }
    }
}
