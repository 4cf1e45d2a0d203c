//! The tool router: the one place that runs the pipeline seams, in order, for every tool call.
//! No tool skips a seam: provider discovery is scoped to the caller's tenant like everything
//! else, and every call's audit records carry the common header.

use std::sync::Arc;

use decision_gate_core::hashing::{HashAlgorithm, HashDigest, hash_bytes, hash_json_value, value_to_canonical_vec};
use decision_gate_core::ids::NamespaceId;
use serde_json::Value;

use super::args::ToolCall;
use super::catalogue::{ToolDefinition, ToolName, tool_definitions};
use super::defaults;
use crate::config::ToolVisibilityMode;
use crate::errors::{ErrorCode, ToolError};
use crate::pipeline::{
    AuditEvent, AuditHeader, AuthorizedScope, CallContext, NamespaceDenial, ReservationGuard, TenantAuthzEvent,
    TenantDecision, TenantRequest, ToolAuthzEvent, ToolOutcomeEvent, UsageAuditEvent, UsageDecision, UsageRequest,
    check_default_namespace,
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

/// The error of a mandatory audit record that could not be written.
fn audit_unavailable() -> ToolError {
    ToolError::internal("audit unavailable")
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

    /// Whether the audit records of a call to `tool` must be written for it to proceed: always
    /// for tools that change state, for read-only tools only with `server.audit.required`.
    fn audit_mandatory(&self, tool: Option<ToolName>) -> bool {
        tool.is_some_and(ToolName::mutates) || self.state.config.server.audit.required
    }

    /// Writes a record; a failure is an error only where the record is mandatory (it is then
    /// also logged), otherwise logged and ignored.
    async fn audit(&self, tool: Option<ToolName>, header: AuditHeader, event: AuditEvent) -> Result<(), ToolError> {
        let record = header.record(event);
        let written = if tool.is_some_and(ToolName::mutates) {
            self.state.audit.record_durable(&record).await
        } else {
            self.state.audit.record(&record).await
        };
        match written {
            Ok(()) => Ok(()),
            Err(error) if self.audit_mandatory(tool) => {
                tracing::warn!(%error, event = record.event.label(), "mandatory audit record failed; call refused");
                Err(audit_unavailable())
            }
            Err(error) => {
                tracing::warn!(%error, event = record.event.label(), "audit record failed");
                Ok(())
            }
        }
    }

    /// Tools listed by `tools/list` for this caller (the visibility seam applies in `filter`
    /// mode; the allowlist never filters the list).
    pub async fn list(&self, ctx: &CallContext) -> Vec<&'static ToolDefinition> {
        let _ = self.audit_authz(ctx, None, "tools/list", None).await;
        let filter = self.state.config.server.tools.mode == ToolVisibilityMode::Filter;
        tool_definitions()
            .iter()
            .filter(|definition| !filter || self.state.visibility.visible(ctx, definition.name.as_str()))
            .collect()
    }

    async fn audit_authz(
        &self,
        ctx: &CallContext,
        tool: Option<ToolName>,
        action: &str,
        deny_reason: Option<&str>,
    ) -> Result<(), ToolError> {
        let principal = &ctx.principal;
        let event = AuditEvent::McpToolAuthz(ToolAuthzEvent {
            decision: if deny_reason.is_some() { "deny" } else { "allow" },
            action: action.to_owned(),
            peer_ip: ctx.peer_ip.map(|ip| ip.to_string()),
            subject: principal.subject.clone(),
            token_fingerprint: principal.token_fingerprint.clone(),
            reason: deny_reason.map(str::to_owned),
        });
        self.audit(tool, AuditHeader::for_call(ctx), event).await
    }

    /// Calls a tool: allowlist, visibility, decode, tenant, usage, namespace, tool checks,
    /// execution, usage records; every decision and the outcome are audited.
    pub async fn call(&self, ctx: &CallContext, name: &str, arguments: Value) -> Result<Value, CallFailure> {
        self.call_with(ctx, name, arguments, false).await.map(|(value, _)| value)
    }

    /// [`Self::call`], also returning the result's canonical JSON text (an MCP result's text
    /// content). The text is made once and its bytes give the audit's result hash, instead of
    /// canonicalising the result twice.
    pub async fn call_with_text(
        &self,
        ctx: &CallContext,
        name: &str,
        arguments: Value,
    ) -> Result<(Value, String), CallFailure> {
        self.call_with(ctx, name, arguments, true).await.map(|(value, text)| (value, text.unwrap_or_default()))
    }

    async fn call_with(
        &self,
        ctx: &CallContext,
        name: &str,
        arguments: Value,
        text: bool,
    ) -> Result<(Value, Option<String>), CallFailure> {
        let Some(tool) = ToolName::from_name(name) else {
            return Err(CallFailure::UnknownTool(name.to_owned()));
        };
        if !self.allowed(tool) {
            let reason = "unauthorized: tool not authorized";
            let error = match self.audit_authz(ctx, Some(tool), tool.as_str(), Some(reason)).await {
                Ok(()) => ToolError::unauthorized(),
                Err(audit) => audit,
            };
            let _ = self.audit_outcome(ctx, tool, None, None, None, Some(&error)).await;
            return Err(CallFailure::Failed(error));
        }
        if let Err(error) = self.audit_authz(ctx, Some(tool), tool.as_str(), None).await {
            return Err(CallFailure::Failed(error));
        }
        if !self.state.visibility.callable(ctx, tool.as_str()) {
            return Err(CallFailure::UnknownTool(name.to_owned()));
        }
        let arguments_hash = hash_json_value(&arguments, None).ok();
        let outcome = if self.state.config.server.audit.required && !self.state.audit.healthy() {
            Err((ToolError::internal("audit sink unavailable"), None))
        } else {
            self.run(ctx, tool, arguments).await
        };
        let (result, scope) = match outcome {
            Ok((value, scope)) => (Ok(value), Some(scope)),
            Err((error, scope)) => (Err(error), scope),
        };
        let (result_hash, canonical) = match (&result, text) {
            (Ok(value), true) => {
                let bytes = value_to_canonical_vec(value);
                (Some(hash_bytes(HashAlgorithm::Sha256, &bytes)), String::from_utf8(bytes).ok())
            }
            (Ok(value), false) => (hash_json_value(value, None).ok(), None),
            (Err(_), _) => (None, None),
        };
        let recorded = self.audit_outcome(ctx, tool, scope, arguments_hash, result_hash, result.as_ref().err()).await;
        match (result, recorded) {
            (Ok(value), Ok(())) => Ok((value, canonical)),
            (Ok(_), Err(error)) | (Err(error), _) => Err(CallFailure::Failed(error)),
        }
    }

    async fn audit_outcome(
        &self,
        ctx: &CallContext,
        tool: ToolName,
        scope: Option<AuthorizedScope>,
        arguments_hash: Option<HashDigest>,
        result_hash: Option<HashDigest>,
        error: Option<&ToolError>,
    ) -> Result<(), ToolError> {
        let header =
            AuditHeader::for_call(ctx).scoped(scope.map(|s| s.tenant), scope.and_then(|scope| scope.namespace));
        let event = AuditEvent::ToolOutcome(ToolOutcomeEvent {
            tool: tool.as_str().to_owned(),
            outcome: if error.is_some() { "Error" } else { "Ok" },
            error_code: error.map(|e| e.code.code()),
            error_kind: error.map(ToolError::kind),
            reason: error.and_then(|e| e.audit_reason.clone()),
            arguments_hash,
            result_hash,
        });
        self.audit(Some(tool), header, event).await
    }

    /// Decodes, authorizes and executes; the scope is returned with the result and, once
    /// known, with the error (for the outcome record).
    async fn run(
        &self,
        ctx: &CallContext,
        tool: ToolName,
        arguments: Value,
    ) -> Result<(Value, AuthorizedScope), (ToolError, Option<AuthorizedScope>)> {
        let arguments = self.fill_defaults(ctx, tool, arguments).map_err(|error| (error, None))?;
        let strict = self.state.config.validation.strict;
        let call = ToolCall::decode(tool, arguments, strict).map_err(|error| (error, None))?;
        let scope = self.authorize(ctx, tool, &call).await.map_err(|error| (error, None))?;
        let reservations = self.admit(ctx, tool, &scope, &call).await.map_err(|error| (error, Some(scope)))?;
        let value = match call.execute(&self.state, ctx, scope).await {
            Ok(value) => value,
            Err(error) => {
                self.release(ctx, reservations).await;
                return Err((error, Some(scope)));
            }
        };
        for guard in reservations {
            let request = guard.reservation().map(|reservation| reservation.request.clone());
            if let (Err(error), Some(request)) = (guard.commit().await, request) {
                // The work is done and durable; a commit the ledger refused is audited, never
                // turned into a failure the client would retry.
                tracing::warn!(%error, "usage commit failed");
                let _ = self.audit_usage(ctx, &request, "commit", false, Some(error.to_string())).await;
            }
        }
        Ok((value, scope))
    }

    /// Releases reservations after a failure (a dropped guard would release them too, later).
    async fn release(&self, ctx: &CallContext, guards: Vec<ReservationGuard>) {
        for guard in guards {
            let request = guard.reservation().map(|reservation| reservation.request.clone());
            if let (Err(error), Some(request)) = (guard.release().await, request) {
                tracing::warn!(%error, "usage release failed");
                let _ = self.audit_usage(ctx, &request, "release", false, Some(error.to_string())).await;
            }
        }
    }

    /// Fills the arguments the server can know: the tenant (the resolver's default, when the
    /// call names none), the default namespace, and the tool's other known fields.
    fn fill_defaults(&self, ctx: &CallContext, tool: ToolName, arguments: Value) -> Result<Value, ToolError> {
        let mut arguments = if arguments.is_null() { Value::Object(Default::default()) } else { arguments };
        if !arguments.is_object() {
            return Err(ToolError::invalid_params("arguments must be an object"));
        }
        let tenant = if defaults::names_tenant(tool, &arguments) {
            None
        } else {
            let default = self.state.tenants.default_tenant(ctx);
            Some(default.ok_or_else(|| ToolError::invalid_params(ToolCall::missing_tenant_message(tool)))?)
        };
        let namespace = (tool.is_namespace_level() && tool != ToolName::ScenarioDefine).then_some(NamespaceId::DEFAULT);
        defaults::fill(tool, &mut arguments, tenant, namespace);
        Ok(arguments)
    }

    /// Asks the resolver about the tenant and namespace the (filled) call names.
    async fn authorize(
        &self,
        ctx: &CallContext,
        tool: ToolName,
        call: &ToolCall,
    ) -> Result<AuthorizedScope, ToolError> {
        let requested = call.requested_scope();
        let tenant = requested
            .tenant
            .or_else(|| self.state.tenants.default_tenant(ctx))
            .ok_or_else(|| ToolError::invalid_params(ToolCall::missing_tenant_message(tool)))?;
        let request = TenantRequest {
            tool: tool.as_str(),
            tenant_id: tenant,
            namespace_id: requested.namespace,
            writes: tool.mutates(),
        };
        let decision = self.state.tenants.resolve(ctx, &request).await;
        let expected = AuthorizedScope { tenant, namespace: requested.namespace };
        // A resolver may only allow the scope it was asked about (fail closed otherwise).
        let (allowed, reason) = match &decision {
            TenantDecision::Allow { scope, reason } if *scope == expected => (true, reason.clone()),
            TenantDecision::Allow { scope, .. } => {
                (false, format!("resolver re-scoped the call to tenant {} (refused)", scope.tenant))
            }
            TenantDecision::Deny { reason, required_scopes } => {
                if !required_scopes.is_empty() {
                    ctx.scope_challenge.set(required_scopes.clone());
                }
                (false, reason.clone())
            }
        };
        self.audit_tenant(ctx, tool, &expected, allowed, &reason).await?;
        if allowed { Ok(expected) } else { Err(ToolError::unauthorized().with_audit_reason(reason)) }
    }

    /// Usage checks and the namespace guard, in the specified order; returns the guards of the
    /// granted reservations (released if anything later fails or the call is dropped).
    async fn admit(
        &self,
        ctx: &CallContext,
        tool: ToolName,
        scope: &AuthorizedScope,
        call: &ToolCall,
    ) -> Result<Vec<ReservationGuard>, ToolError> {
        let usage = call.usage_requests(tool, scope, ctx);
        let mut guards = Vec::with_capacity(usage.len());
        match self.admit_into(ctx, tool, scope, &usage, &mut guards).await {
            Ok(()) => Ok(guards),
            Err(error) => {
                self.release(ctx, guards).await;
                Err(error)
            }
        }
    }

    async fn admit_into(
        &self,
        ctx: &CallContext,
        tool: ToolName,
        scope: &AuthorizedScope,
        usage: &[UsageRequest],
        guards: &mut Vec<ReservationGuard>,
    ) -> Result<(), ToolError> {
        let (first, rest) = usage.split_first().ok_or_else(|| ToolError::internal("no usage metric for tool"))?;
        if tool == ToolName::SchemasRegister {
            self.namespace_guard(ctx, tool, scope).await?;
            for request in usage {
                guards.push(self.check_usage(ctx, request).await?);
            }
        } else {
            guards.push(self.check_usage(ctx, first).await?);
            self.namespace_guard(ctx, tool, scope).await?;
            for request in rest {
                guards.push(self.check_usage(ctx, request).await?);
            }
        }
        Ok(())
    }

    async fn audit_tenant(
        &self,
        ctx: &CallContext,
        tool: ToolName,
        scope: &AuthorizedScope,
        allowed: bool,
        reason: &str,
    ) -> Result<(), ToolError> {
        let header = AuditHeader::for_call(ctx).scoped(Some(scope.tenant), scope.namespace);
        let event = AuditEvent::TenantAuthz(TenantAuthzEvent {
            tool: tool.as_str().to_owned(),
            allowed,
            reason: reason.to_owned(),
        });
        self.audit(Some(tool), header, event).await
    }

    async fn audit_usage(
        &self,
        ctx: &CallContext,
        request: &UsageRequest,
        phase: &'static str,
        allowed: bool,
        reason: Option<String>,
    ) -> Result<(), ToolError> {
        let header = AuditHeader::for_call(ctx).scoped(Some(request.tenant_id), request.namespace_id);
        let event = AuditEvent::UsageAudit(UsageAuditEvent {
            tool: request.tool.to_owned(),
            metric: request.metric.as_str(),
            units: request.units,
            phase,
            allowed,
            reason,
            idempotency_key: request.idempotency_key.clone(),
        });
        self.audit(ToolName::from_name(request.tool), header, event).await
    }

    async fn check_usage(&self, ctx: &CallContext, request: &UsageRequest) -> Result<ReservationGuard, ToolError> {
        // An unreachable meter denies (fail closed).
        let decision = self
            .state
            .usage
            .check_and_reserve(ctx, request)
            .await
            .unwrap_or_else(|error| UsageDecision::Denied { reason: error.to_string(), retry_after_ms: None });
        // The guard exists before the audit write, so a refused write still releases it.
        let (guard, denial) = match decision {
            UsageDecision::Allowed(reservation) => {
                (Some(ReservationGuard::new(self.state.usage.clone(), ctx, reservation)), None)
            }
            UsageDecision::Denied { reason, retry_after_ms } => (None, Some((reason, retry_after_ms))),
        };
        let reason = denial.as_ref().map(|(reason, _)| reason.clone());
        self.audit_usage(ctx, request, "check", guard.is_some(), reason).await?;
        match (guard, denial) {
            (Some(guard), _) => Ok(guard),
            (None, Some((reason, Some(retry)))) => Err(ToolError::new(ErrorCode::RateLimited, "rate limit exceeded")
                .with_retry_after(retry)
                .with_audit_reason(reason)),
            (None, denial) => Err(ToolError::unauthorized()
                .with_kind("quota_exceeded")
                .with_audit_reason(denial.map(|(reason, _)| reason).unwrap_or_default())),
        }
    }

    async fn namespace_guard(
        &self,
        ctx: &CallContext,
        tool: ToolName,
        scope: &AuthorizedScope,
    ) -> Result<(), ToolError> {
        let Some(namespace) = scope.namespace else {
            return Ok(());
        };
        if !self.state.namespace_authority.governs_default_namespace()
            && let Err(reason) = check_default_namespace(&self.state.config.namespace, Some(scope.tenant), namespace)
        {
            self.audit_tenant(ctx, tool, scope, false, reason).await?;
            return Err(ToolError::unauthorized().with_audit_reason(reason));
        }
        let correlation = ctx
            .client_correlation_id
            .as_deref()
            .or(Some(ctx.server_correlation_id.as_str()))
            .or(ctx.request_id.as_deref());
        match self.state.namespace_authority.ensure_namespace(Some(scope.tenant), namespace, correlation).await {
            Ok(()) => Ok(()),
            Err(NamespaceDenial::Invalid(reason)) => {
                self.audit_tenant(ctx, tool, scope, false, &reason).await?;
                Err(ToolError::invalid_params("invalid namespace"))
            }
            Err(NamespaceDenial::Denied(reason) | NamespaceDenial::Unavailable(reason)) => {
                self.audit_tenant(ctx, tool, scope, false, &reason).await?;
                Err(ToolError::unauthorized().with_audit_reason(reason))
            }
        }
    }
}
