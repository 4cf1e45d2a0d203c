//! Decoded tool arguments, their tenant/namespace scope, their usage metrics, and dispatch to
//! the handlers. Unknown argument keys are ignored; decoding errors are -32602 with the
//! decoder's message.

use decision_gate_core::evidence::EvidenceContext;
use decision_gate_core::ids::{NamespaceId, ProviderId, RunId, ScenarioId, SchemaId, StageId, TenantId};
use decision_gate_core::ports::{DataShapeRecord, DataShapeRef};
use decision_gate_core::run::{NextRequest, RunConfig, StatusRequest, SubmitRequest, TriggerEvent};
use decision_gate_core::runpack::RunpackManifest;
use decision_gate_core::spec::{EvidenceQuery, ScenarioSpec};
use decision_gate_core::time::Timestamp;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::catalogue::ToolName;
use crate::config::FeedbackLevel;
use crate::errors::ToolError;
use crate::pipeline::{CallContext, UsageMetric, UsageRequest};
use crate::state::ServerState;

/// Tenant and namespace a scoped call acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    /// Tenant.
    pub tenant: Option<TenantId>,
    /// Namespace.
    pub namespace: Option<NamespaceId>,
}

/// `scenario_define`.
#[derive(Clone, Debug, Deserialize)]
pub struct DefineArgs {
    /// The spec.
    pub spec: ScenarioSpec,
    /// Definition tenant (extension).
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
    /// Resolved definition tenant (filled during decoding).
    #[serde(skip)]
    pub resolved_tenant: Option<TenantId>,
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

/// `runpack_verify`, with the manifest read during decoding.
#[derive(Clone, Debug, Deserialize)]
pub struct VerifyArgs {
    /// Runpack directory under the root.
    pub runpack_dir: String,
    /// Manifest path relative to the runpack directory.
    pub manifest_path: String,
    /// Manifest bytes (filled during decoding).
    #[serde(skip)]
    pub manifest_bytes: Vec<u8>,
    /// Parsed manifest (filled during decoding).
    #[serde(skip)]
    pub manifest: Option<RunpackManifest>,
}

/// `provider_contract_get`.
#[derive(Clone, Debug, Deserialize)]
pub struct ContractArgs {
    /// Provider.
    pub provider_id: ProviderId,
}

/// `provider_check_schema_get`.
#[derive(Clone, Debug, Deserialize)]
pub struct CheckSchemaArgs {
    /// Provider.
    pub provider_id: ProviderId,
    /// Check.
    pub check_id: String,
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
    ProvidersList,
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

impl ToolCall {
    /// Decodes a tool's arguments (the define tenant and the verify manifest are resolved here).
    pub async fn decode(
        tool: ToolName,
        state: &ServerState,
        ctx: &CallContext,
        arguments: Value,
    ) -> Result<Self, ToolError> {
        let arguments = if arguments.is_null() { Value::Object(Default::default()) } else { arguments };
        if !arguments.is_object() {
            return Err(ToolError::invalid_params("arguments must be an object"));
        }
        Ok(match tool {
            ToolName::ScenarioDefine => {
                let mut args: DefineArgs = decode_as(arguments)?;
                args.resolved_tenant = Some(super::scenario::definition_tenant(state, ctx, &args)?);
                ToolCall::Define(Box::new(args))
            }
            ToolName::ScenarioStart => ToolCall::Start(Box::new(decode_as(arguments)?)),
            ToolName::ScenarioStatus => ToolCall::Status(decode_as(arguments)?),
            ToolName::ScenarioNext => ToolCall::Next(decode_as(arguments)?),
            ToolName::ScenarioSubmit => ToolCall::Submit(Box::new(decode_as(arguments)?)),
            ToolName::ScenarioTrigger => ToolCall::Trigger(Box::new(decode_as(arguments)?)),
            ToolName::EvidenceQuery => ToolCall::EvidenceQuery(Box::new(decode_as(arguments)?)),
            ToolName::RunpackExport => ToolCall::RunpackExport(decode_as(arguments)?),
            ToolName::RunpackVerify => {
                let mut args: VerifyArgs = decode_as(arguments)?;
                super::runpack::read_manifest_for_verify(state, &mut args).await?;
                ToolCall::RunpackVerify(Box::new(args))
            }
            ToolName::ProvidersList => ToolCall::ProvidersList,
            ToolName::ProviderContractGet => ToolCall::ContractGet(decode_as(arguments)?),
            ToolName::ProviderCheckSchemaGet => ToolCall::CheckSchemaGet(decode_as(arguments)?),
            ToolName::SchemasRegister => ToolCall::SchemasRegister(Box::new(decode_as(arguments)?)),
            ToolName::SchemasList => ToolCall::SchemasList(decode_as(arguments)?),
            ToolName::SchemasGet => ToolCall::SchemasGet(decode_as(arguments)?),
            ToolName::ScenariosList => ToolCall::ScenariosList(decode_as(arguments)?),
            ToolName::Precheck => ToolCall::Precheck(Box::new(decode_as(arguments)?)),
        })
    }

    /// Tenant and namespace of a scoped call (`None` for the unscoped provider tools).
    pub fn scope(&self) -> Option<Scope> {
        let scope =
            |tenant: TenantId, namespace: NamespaceId| Some(Scope { tenant: Some(tenant), namespace: Some(namespace) });
        match self {
            ToolCall::Define(args) => {
                Some(Scope { tenant: args.resolved_tenant, namespace: Some(args.spec.namespace_id) })
            }
            ToolCall::Start(args) => scope(args.run_config.tenant_id, args.run_config.namespace_id),
            ToolCall::Status(args) => scope(args.request.tenant_id, args.request.namespace_id),
            ToolCall::Next(args) => scope(args.request.tenant_id, args.request.namespace_id),
            ToolCall::Submit(args) => scope(args.request.tenant_id, args.request.namespace_id),
            ToolCall::Trigger(args) => scope(args.trigger.tenant_id, args.trigger.namespace_id),
            ToolCall::EvidenceQuery(args) => scope(args.context.tenant_id, args.context.namespace_id),
            ToolCall::RunpackExport(args) => scope(args.tenant_id, args.namespace_id),
            ToolCall::RunpackVerify(args) => {
                args.manifest.as_ref().and_then(|manifest| scope(manifest.tenant_id, manifest.namespace_id))
            }
            ToolCall::ProvidersList | ToolCall::ContractGet(_) | ToolCall::CheckSchemaGet(_) => None,
            ToolCall::SchemasRegister(args) => scope(args.record.tenant_id, args.record.namespace_id),
            ToolCall::SchemasList(args) | ToolCall::ScenariosList(args) => scope(args.tenant_id, args.namespace_id),
            ToolCall::SchemasGet(args) => scope(args.tenant_id, args.namespace_id),
            ToolCall::Precheck(args) => scope(args.tenant_id, args.namespace_id),
        }
    }

    /// Usage checks in order (`tool_calls` first).
    pub fn usage_requests(&self, tool: ToolName, scope: &Scope) -> Vec<UsageRequest> {
        let request = |metric, units| UsageRequest {
            tool: tool.as_str(),
            tenant_id: scope.tenant,
            namespace_id: scope.namespace,
            metric,
            units,
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

    /// Runs the tool's own checks and its work.
    pub async fn execute(self, state: &std::sync::Arc<ServerState>, ctx: &CallContext) -> Result<Value, ToolError> {
        use super::{discovery, evidence, precheck, registry, runpack, scenario};
        match self {
            ToolCall::Define(args) => scenario::define(state, *args).await,
            ToolCall::Start(args) => scenario::start(state, *args).await,
            ToolCall::Status(args) => scenario::status(state, args).await,
            ToolCall::Next(args) => scenario::next(state, ctx, args).await,
            ToolCall::Submit(args) => scenario::submit(state, *args).await,
            ToolCall::Trigger(args) => scenario::trigger(state, *args).await,
            ToolCall::EvidenceQuery(args) => evidence::query(state, *args).await,
            ToolCall::RunpackExport(args) => runpack::export(state, args).await,
            ToolCall::RunpackVerify(args) => runpack::verify(state, *args).await,
            ToolCall::ProvidersList => discovery::providers_list(state),
            ToolCall::ContractGet(args) => discovery::contract_get(state, args),
            ToolCall::CheckSchemaGet(args) => discovery::check_schema_get(state, args),
            ToolCall::SchemasRegister(args) => registry::register(state, ctx, *args).await,
            ToolCall::SchemasList(args) => registry::list(state, ctx, args).await,
            ToolCall::SchemasGet(args) => registry::get(state, ctx, args).await,
            ToolCall::ScenariosList(args) => scenario::list(state, args).await,
            ToolCall::Precheck(args) => precheck::precheck(state, ctx, *args).await,
        }
    }
}
