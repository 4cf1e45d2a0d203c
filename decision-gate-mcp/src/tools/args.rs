//! Decoded tool arguments, the tenant and namespace each call names, their usage metrics with
//! idempotency keys, and dispatch to the handlers with the authorized scope. Unknown argument
//! keys are ignored; decoding errors are -32602 with the decoder's message.

use decision_gate_core::evidence::EvidenceContext;
use decision_gate_core::ids::{NamespaceId, ProviderId, RunId, ScenarioId, SchemaId, StageId, TenantId};
use decision_gate_core::ports::{DataShapeRecord, DataShapeRef};
use decision_gate_core::run::{NextRequest, RunConfig, StatusRequest, SubmitRequest, TriggerEvent};
use decision_gate_core::spec::{EvidenceQuery, ScenarioSpec};
use decision_gate_core::time::Timestamp;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::catalogue::ToolName;
use crate::config::FeedbackLevel;
use crate::errors::ToolError;
use crate::pipeline::{AuthorizedScope, CallContext, UsageMetric, UsageRequest};
use crate::state::ServerState;

/// The tenant and namespace a call names in its arguments (either may be omitted where the
/// tool allows it: the tenant then comes from the resolver's default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestedScope {
    /// Tenant named by the call.
    pub tenant: Option<TenantId>,
    /// Namespace the call acts on (`None` for tenant-level tools).
    pub namespace: Option<NamespaceId>,
}

/// `scenario_define`.
#[derive(Clone, Debug, Deserialize)]
pub struct DefineArgs {
    /// The spec.
    pub spec: ScenarioSpec,
    /// Definition tenant (extension; default: `spec.default_tenant_id`, else the caller's).
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
}

/// `scenario_start`.
#[derive(Clone, Debug, Deserialize)]
pub struct StartArgs {
    /// Scenario.
    pub scenario_id: ScenarioId,
    /// Run configuration.
    pub run_config: RunConfig,
    /// Start time.
    pub started_at: Timestamp,
    /// Whether to issue the first stage's packets.
    pub issue_entry_packets: bool,
}

/// `scenario_status`.
#[derive(Clone, Debug, Deserialize)]
pub struct StatusArgs {
    /// Scenario.
    pub scenario_id: ScenarioId,
    /// Request.
    pub request: StatusRequest,
}

/// `scenario_next`.
#[derive(Clone, Debug, Deserialize)]
pub struct NextArgs {
    /// Scenario.
    pub scenario_id: ScenarioId,
    /// Request.
    pub request: NextRequest,
    /// Requested feedback level.
    #[serde(default)]
    pub feedback: Option<FeedbackLevel>,
}

/// `scenario_submit`.
#[derive(Clone, Debug, Deserialize)]
pub struct SubmitArgs {
    /// Scenario.
    pub scenario_id: ScenarioId,
    /// Request.
    pub request: SubmitRequest,
}

/// `scenario_trigger`.
#[derive(Clone, Debug, Deserialize)]
pub struct TriggerArgs {
    /// Scenario.
    pub scenario_id: ScenarioId,
    /// Trigger.
    pub trigger: TriggerEvent,
}

/// `evidence_query`.
#[derive(Clone, Debug, Deserialize)]
pub struct EvidenceQueryArgs {
    /// Query.
    pub query: EvidenceQuery,
    /// Context.
    pub context: EvidenceContext,
}

/// `runpack_export`.
#[derive(Clone, Debug, Deserialize)]
pub struct ExportArgs {
    /// Scenario.
    pub scenario_id: ScenarioId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Run.
    pub run_id: RunId,
    /// Directory under the runpack root.
    #[serde(default)]
    pub output_dir: Option<String>,
    /// Manifest file name (default `manifest.json`).
    #[serde(default)]
    pub manifest_name: Option<String>,
    /// Export time.
    pub generated_at: Timestamp,
    /// Whether to embed a verifier report.
    pub include_verification: bool,
}

/// `runpack_verify`. The runpack is read from the tenant and namespace partition of runpack
/// storage only after tenant authorization (never while decoding).
#[derive(Clone, Debug, Deserialize)]
pub struct VerifyArgs {
    /// Tenant (extension; default: the caller's single tenant).
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
    /// Namespace (extension; default: the default namespace `1`).
    #[serde(default)]
    pub namespace_id: Option<NamespaceId>,
    /// Runpack directory inside the partition.
    pub runpack_dir: String,
    /// Manifest path relative to the runpack directory.
    pub manifest_path: String,
}

/// `providers_list`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProvidersArgs {
    /// Tenant (extension; default: the caller's single tenant).
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
}

/// `provider_contract_get`.
#[derive(Clone, Debug, Deserialize)]
pub struct ContractArgs {
    /// Provider.
    pub provider_id: ProviderId,
    /// Tenant (extension; default: the caller's single tenant).
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
}

/// `provider_check_schema_get`.
#[derive(Clone, Debug, Deserialize)]
pub struct CheckSchemaArgs {
    /// Provider.
    pub provider_id: ProviderId,
    /// Check.
    pub check_id: String,
    /// Tenant (extension; default: the caller's single tenant).
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
}

/// `schemas_register`.
#[derive(Clone, Debug, Deserialize)]
pub struct RegisterArgs {
    /// The record.
    pub record: DataShapeRecord,
}

/// `schemas_list` and `scenarios_list`.
#[derive(Clone, Debug, Deserialize)]
pub struct ListArgs {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Cursor from the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size (1..=1000, default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// `schemas_get`.
#[derive(Clone, Debug, Deserialize)]
pub struct GetArgs {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Schema id.
    pub schema_id: SchemaId,
    /// Version.
    pub version: decision_gate_core::ids::DataShapeVersion,
}

/// `precheck`.
#[derive(Clone, Debug, Deserialize)]
pub struct PrecheckArgs {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Data shape the payload must match.
    pub data_shape: DataShapeRef,
    /// Asserted payload.
    pub payload: Value,
    /// Stored scenario.
    #[serde(default)]
    pub scenario_id: Option<ScenarioId>,
    /// Inline spec.
    #[serde(default)]
    pub spec: Option<ScenarioSpec>,
    /// Stage (default: first).
    #[serde(default)]
    pub stage_id: Option<StageId>,
}

/// A decoded call of one tool.
#[derive(Clone, Debug)]
pub enum ToolCall {
    /// `scenario_define`.
    Define(Box<DefineArgs>),
    /// `scenario_start`.
    Start(Box<StartArgs>),
    /// `scenario_status`.
    Status(StatusArgs),
    /// `scenario_next`.
    Next(NextArgs),
    /// `scenario_submit`.
    Submit(Box<SubmitArgs>),
    /// `scenario_trigger`.
    Trigger(Box<TriggerArgs>),
    /// `evidence_query`.
    EvidenceQuery(Box<EvidenceQueryArgs>),
    /// `runpack_export`.
    RunpackExport(ExportArgs),
    /// `runpack_verify`.
    RunpackVerify(Box<VerifyArgs>),
    /// `providers_list`.
    ProvidersList(ProvidersArgs),
    /// `provider_contract_get`.
    ContractGet(ContractArgs),
    /// `provider_check_schema_get`.
    CheckSchemaGet(CheckSchemaArgs),
    /// `schemas_register`.
    SchemasRegister(Box<RegisterArgs>),
    /// `schemas_list`.
    SchemasList(ListArgs),
    /// `schemas_get`.
    SchemasGet(GetArgs),
    /// `scenarios_list`.
    ScenariosList(ListArgs),
    /// `precheck`.
    Precheck(Box<PrecheckArgs>),
}

fn decode_as<T: DeserializeOwned>(arguments: Value) -> Result<T, ToolError> {
    serde_json::from_value(arguments).map_err(|err| ToolError::invalid_params(err.to_string()))
}

/// An unambiguous idempotency key built from its parts (canonical JSON array text).
fn key(parts: &[Value]) -> String {
    Value::Array(parts.to_vec()).to_string()
}

impl ToolCall {
    /// Decodes a tool's arguments checked against the published contract (no I/O: nothing is
    /// read before tenant authorization). An unknown key is refused first, naming it; then
    /// serde's own errors; then what only the schema sees (`strict_specs`: scenario specs are
    /// checked too).
    pub fn decode(tool: ToolName, arguments: Value, strict_specs: bool) -> Result<Self, ToolError> {
        if !arguments.is_object() {
            return Err(ToolError::invalid_params("arguments must be an object"));
        }
        let violation = super::contract::violation(tool, &arguments, strict_specs);
        if let Some(unknown) = violation.clone().filter(|(_, _, unknown)| *unknown) {
            return Err(super::contract::violation_error(unknown));
        }
        let call = Self::decode_fields(tool, arguments)?;
        match violation {
            Some(violation) => Err(super::contract::violation_error(violation)),
            None => Ok(call),
        }
    }

    fn decode_fields(tool: ToolName, arguments: Value) -> Result<Self, ToolError> {
        Ok(match tool {
            ToolName::ScenarioDefine => {
                let args: DefineArgs = decode_as(arguments)?;
                if let (Some(argument), Some(pinned)) = (args.tenant_id, args.spec.default_tenant_id)
                    && argument != pinned
                {
                    return Err(ToolError::invalid_params("tenant_id does not match spec default_tenant_id"));
                }
                ToolCall::Define(Box::new(args))
            }
            ToolName::ScenarioStart => ToolCall::Start(Box::new(decode_as(arguments)?)),
            ToolName::ScenarioStatus => ToolCall::Status(decode_as(arguments)?),
            ToolName::ScenarioNext => ToolCall::Next(decode_as(arguments)?),
            ToolName::ScenarioSubmit => ToolCall::Submit(Box::new(decode_as(arguments)?)),
            ToolName::ScenarioTrigger => ToolCall::Trigger(Box::new(decode_as(arguments)?)),
            ToolName::EvidenceQuery => ToolCall::EvidenceQuery(Box::new(decode_as(arguments)?)),
            ToolName::RunpackExport => ToolCall::RunpackExport(decode_as(arguments)?),
            ToolName::RunpackVerify => ToolCall::RunpackVerify(Box::new(decode_as(arguments)?)),
            ToolName::ProvidersList => ToolCall::ProvidersList(decode_as(arguments)?),
            ToolName::ProviderContractGet => ToolCall::ContractGet(decode_as(arguments)?),
            ToolName::ProviderCheckSchemaGet => ToolCall::CheckSchemaGet(decode_as(arguments)?),
            ToolName::SchemasRegister => ToolCall::SchemasRegister(Box::new(decode_as(arguments)?)),
            ToolName::SchemasList => ToolCall::SchemasList(decode_as(arguments)?),
            ToolName::SchemasGet => ToolCall::SchemasGet(decode_as(arguments)?),
            ToolName::ScenariosList => ToolCall::ScenariosList(decode_as(arguments)?),
            ToolName::Precheck => ToolCall::Precheck(Box::new(decode_as(arguments)?)),
        })
    }

    /// The tenant and namespace the call names. Every tool has a scope: tenant-level tools
    /// (provider discovery) name no namespace.
    pub fn requested_scope(&self) -> RequestedScope {
        let scope = |tenant: TenantId, namespace: NamespaceId| RequestedScope {
            tenant: Some(tenant),
            namespace: Some(namespace),
        };
        let tenant_level = |tenant: Option<TenantId>| RequestedScope { tenant, namespace: None };
        match self {
            ToolCall::Define(args) => RequestedScope {
                tenant: args.tenant_id.or(args.spec.default_tenant_id),
                namespace: Some(args.spec.namespace_id),
            },
            ToolCall::Start(args) => scope(args.run_config.tenant_id, args.run_config.namespace_id),
            ToolCall::Status(args) => scope(args.request.tenant_id, args.request.namespace_id),
            ToolCall::Next(args) => scope(args.request.tenant_id, args.request.namespace_id),
            ToolCall::Submit(args) => scope(args.request.tenant_id, args.request.namespace_id),
            ToolCall::Trigger(args) => scope(args.trigger.tenant_id, args.trigger.namespace_id),
            ToolCall::EvidenceQuery(args) => scope(args.context.tenant_id, args.context.namespace_id),
            ToolCall::RunpackExport(args) => scope(args.tenant_id, args.namespace_id),
            ToolCall::RunpackVerify(args) => RequestedScope {
                tenant: args.tenant_id,
                namespace: Some(args.namespace_id.unwrap_or(NamespaceId::DEFAULT)),
            },
            ToolCall::ProvidersList(args) => tenant_level(args.tenant_id),
            ToolCall::ContractGet(args) => tenant_level(args.tenant_id),
            ToolCall::CheckSchemaGet(args) => tenant_level(args.tenant_id),
            ToolCall::SchemasRegister(args) => scope(args.record.tenant_id, args.record.namespace_id),
            ToolCall::SchemasList(args) | ToolCall::ScenariosList(args) => scope(args.tenant_id, args.namespace_id),
            ToolCall::SchemasGet(args) => scope(args.tenant_id, args.namespace_id),
            ToolCall::Precheck(args) => scope(args.tenant_id, args.namespace_id),
        }
    }

    /// The message of the -32602 error when a call names no tenant and the caller has no
    /// single tenant to default to.
    pub fn missing_tenant_message(tool: ToolName) -> &'static str {
        match tool {
            ToolName::ScenarioDefine => "tenant_id is required to define a scenario",
            _ => "tenant_id is required",
        }
    }

    /// The idempotency key of the call's usage records: the client's key when given, else
    /// the ids that make the request idempotent (a replayed trigger, a repeated start), else
    /// this request's server correlation id (every call counts).
    pub fn idempotency_key(&self, tool: ToolName, scope: &AuthorizedScope, ctx: &CallContext) -> String {
        let tenant = Value::from(scope.tenant.get());
        let namespace = scope.namespace.map_or(Value::Null, |namespace| Value::from(namespace.get()));
        let head = [Value::from(tool.as_str()), tenant, namespace];
        let tail: Vec<Value> = if let Some(client) = &ctx.idempotency_key {
            vec![Value::from("client"), Value::from(client.as_str())]
        } else {
            match self {
                ToolCall::Define(args) => vec![Value::from(args.spec.scenario_id.as_str())],
                ToolCall::Start(args) => vec![Value::from(args.run_config.run_id.as_str())],
                ToolCall::Next(args) => {
                    vec![Value::from(args.request.run_id.as_str()), Value::from(args.request.trigger_id.as_str())]
                }
                ToolCall::Trigger(args) => {
                    vec![Value::from(args.trigger.run_id.as_str()), Value::from(args.trigger.trigger_id.as_str())]
                }
                ToolCall::Submit(args) => {
                    vec![Value::from(args.request.run_id.as_str()), Value::from(args.request.submission_id.as_str())]
                }
                ToolCall::SchemasRegister(args) => {
                    vec![Value::from(args.record.schema_id.as_str()), Value::from(args.record.version.as_str())]
                }
                _ => vec![Value::from("call"), Value::from(ctx.server_correlation_id.as_str())],
            }
        };
        key(&head.into_iter().chain(tail).collect::<Vec<_>>())
    }

    /// Usage checks in order (`tool_calls` first), all with the call's idempotency key.
    pub fn usage_requests(&self, tool: ToolName, scope: &AuthorizedScope, ctx: &CallContext) -> Vec<UsageRequest> {
        let idempotency_key = self.idempotency_key(tool, scope, ctx);
        let request = |metric, units| UsageRequest {
            tool: tool.as_str(),
            tenant_id: scope.tenant,
            namespace_id: scope.namespace,
            metric,
            units,
            idempotency_key: idempotency_key.clone(),
        };
        let mut requests = vec![request(UsageMetric::ToolCalls, 1)];
        match self {
            ToolCall::Start(_) => requests.push(request(UsageMetric::RunsStarted, 1)),
            ToolCall::EvidenceQuery(_) => requests.push(request(UsageMetric::EvidenceQueries, 1)),
            ToolCall::RunpackExport(_) => requests.push(request(UsageMetric::RunpackExports, 1)),
            ToolCall::SchemasRegister(args) => {
                let bytes = serde_json::to_vec(&args.record.schema).map_or(0, |bytes| bytes.len() as u64);
                requests.push(request(UsageMetric::SchemasWritten, 1));
                requests.push(request(UsageMetric::RegistryEntries, 1));
                requests.push(request(UsageMetric::StorageBytes, bytes));
            }
            _ => {}
        }
        requests
    }

    /// Runs the tool's own checks and its work on the authorized scope.
    pub async fn execute(
        self,
        state: &std::sync::Arc<ServerState>,
        ctx: &CallContext,
        scope: AuthorizedScope,
    ) -> Result<Value, ToolError> {
        use super::{discovery, evidence, precheck, registry, runpack, scenario};
        let scoped = || {
            scope
                .namespace
                .map(|namespace| Scoped { tenant: scope.tenant, namespace })
                .ok_or_else(|| ToolError::internal("namespace-level tool without a namespace"))
        };
        match self {
            ToolCall::ProvidersList(_) => discovery::providers_list(state),
            ToolCall::ContractGet(args) => discovery::contract_get(state, args),
            ToolCall::CheckSchemaGet(args) => discovery::check_schema_get(state, args),
            ToolCall::Define(args) => scenario::define(state, scoped()?, *args).await,
            ToolCall::Start(args) => scenario::start(state, scoped()?, *args).await,
            ToolCall::Status(args) => scenario::status(state, scoped()?, args).await,
            ToolCall::Next(args) => scenario::next(state, ctx, scoped()?, args).await,
            ToolCall::Submit(args) => scenario::submit(state, scoped()?, *args).await,
            ToolCall::Trigger(args) => scenario::trigger(state, scoped()?, *args).await,
            ToolCall::EvidenceQuery(args) => evidence::query(state, *args).await,
            ToolCall::RunpackExport(args) => runpack::export(state, scoped()?, args).await,
            ToolCall::RunpackVerify(args) => runpack::verify(state, scoped()?, *args).await,
            ToolCall::SchemasRegister(args) => registry::register(state, ctx, scoped()?, *args).await,
            ToolCall::SchemasList(args) => registry::list(state, ctx, scoped()?, args).await,
            ToolCall::SchemasGet(args) => registry::get(state, ctx, scoped()?, args).await,
            ToolCall::ScenariosList(args) => scenario::list(state, scoped()?, args).await,
            ToolCall::Precheck(args) => precheck::precheck(state, ctx, scoped()?, *args).await,
        }
    }
}

/// The authorized tenant and namespace of a namespace-level tool, as handlers receive it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scoped {
    /// Tenant.
    pub tenant: TenantId,
    /// Namespace.
    pub namespace: NamespaceId,
}
