//! The tool catalogue: the seventeen tools in canonical order, their names, prose, scoping,
//! annotations and published schemas (mcp-surface §2.2, §4.3, §7.2).

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::schemas;

/// One of the seventeen tools, declared in canonical order (mcp-surface §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolName {
    /// `scenario_define`.
    ScenarioDefine,
    /// `scenario_start`.
    ScenarioStart,
    /// `scenario_status`.
    ScenarioStatus,
    /// `scenario_next`.
    ScenarioNext,
    /// `scenario_submit`.
    ScenarioSubmit,
    /// `scenario_trigger`.
    ScenarioTrigger,
    /// `evidence_query`.
    EvidenceQuery,
    /// `runpack_export`.
    RunpackExport,
    /// `runpack_verify`.
    RunpackVerify,
    /// `providers_list`.
    ProvidersList,
    /// `provider_contract_get`.
    ProviderContractGet,
    /// `provider_check_schema_get`.
    ProviderCheckSchemaGet,
    /// `schemas_register`.
    SchemasRegister,
    /// `schemas_list`.
    SchemasList,
    /// `schemas_get`.
    SchemasGet,
    /// `scenarios_list`.
    ScenariosList,
    /// `precheck`.
    Precheck,
}

/// What a tool is scoped to for tenant authorization, usage metering and the namespace guard
/// (every tool passes them; mcp-surface §6.3, §7.1, enterprise §14).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ToolScope {
    /// A tenant and namespace named in the arguments (`runpack_verify`: tenant optional,
    /// namespace default `1`).
    Namespace,
    /// A tenant only (provider discovery): the named tenant, else the caller's.
    Tenant,
}

/// MCP tool annotations (behaviour hints for clients).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAnnotations {
    /// The tool does not modify its environment.
    pub read_only_hint: bool,
    /// The tool may perform destructive updates (false for every tool here).
    pub destructive_hint: bool,
    /// The tool may interact with external entities (evidence providers).
    pub open_world_hint: bool,
}

impl ToolAnnotations {
    /// The MCP JSON form `{"readOnlyHint", "destructiveHint", "openWorldHint"}`.
    pub fn to_json(self) -> Value {
        json!({
            "readOnlyHint": self.read_only_hint,
            "destructiveHint": self.destructive_hint,
            "openWorldHint": self.open_world_hint,
        })
    }
}

impl ToolName {
    /// Every tool in canonical order.
    pub const ALL: [ToolName; 17] = [
        ToolName::ScenarioDefine,
        ToolName::ScenarioStart,
        ToolName::ScenarioStatus,
        ToolName::ScenarioNext,
        ToolName::ScenarioSubmit,
        ToolName::ScenarioTrigger,
        ToolName::EvidenceQuery,
        ToolName::RunpackExport,
        ToolName::RunpackVerify,
        ToolName::ProvidersList,
        ToolName::ProviderContractGet,
        ToolName::ProviderCheckSchemaGet,
        ToolName::SchemasRegister,
        ToolName::SchemasList,
        ToolName::SchemasGet,
        ToolName::ScenariosList,
        ToolName::Precheck,
    ];

    /// The wire name (snake_case).
    pub const fn as_str(self) -> &'static str {
        match self {
            ToolName::ScenarioDefine => "scenario_define",
            ToolName::ScenarioStart => "scenario_start",
            ToolName::ScenarioStatus => "scenario_status",
            ToolName::ScenarioNext => "scenario_next",
            ToolName::ScenarioSubmit => "scenario_submit",
            ToolName::ScenarioTrigger => "scenario_trigger",
            ToolName::EvidenceQuery => "evidence_query",
            ToolName::RunpackExport => "runpack_export",
            ToolName::RunpackVerify => "runpack_verify",
            ToolName::ProvidersList => "providers_list",
            ToolName::ProviderContractGet => "provider_contract_get",
            ToolName::ProviderCheckSchemaGet => "provider_check_schema_get",
            ToolName::SchemasRegister => "schemas_register",
            ToolName::SchemasList => "schemas_list",
            ToolName::SchemasGet => "schemas_get",
            ToolName::ScenariosList => "scenarios_list",
            ToolName::Precheck => "precheck",
        }
    }

    /// Parses a wire name (exact, case-sensitive); `None` for anything outside the catalogue
    /// (including Decision Gate OSS's `decision_gate_docs_search`, which is not built).
    pub fn from_name(name: &str) -> Option<ToolName> {
        ToolName::ALL.into_iter().find(|tool| tool.as_str() == name)
    }

    /// Position in the canonical order (0-based).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Short human-readable title.
    pub const fn title(self) -> &'static str {
        match self {
            ToolName::ScenarioDefine => "Define scenario",
            ToolName::ScenarioStart => "Start run",
            ToolName::ScenarioStatus => "Get run status",
            ToolName::ScenarioNext => "Evaluate next step",
            ToolName::ScenarioSubmit => "Submit to run",
            ToolName::ScenarioTrigger => "Send trigger",
            ToolName::EvidenceQuery => "Query evidence",
            ToolName::RunpackExport => "Export runpack",
            ToolName::RunpackVerify => "Verify runpack",
            ToolName::ProvidersList => "List evidence providers",
            ToolName::ProviderContractGet => "Get provider contract",
            ToolName::ProviderCheckSchemaGet => "Get provider check schema",
            ToolName::SchemasRegister => "Register data shape",
            ToolName::SchemasList => "List data shapes",
            ToolName::SchemasGet => "Get data shape",
            ToolName::ScenariosList => "List scenarios",
            ToolName::Precheck => "Precheck a stage",
        }
    }

    /// What the tool does and when to use it (published in both tool lists).
    pub const fn description(self) -> &'static str {
        match self {
            ToolName::ScenarioDefine => {
                "Define a scenario: ordered stages whose gates combine evidence conditions (provider check + \
                 comparator + expected value), with packets disclosed when a stage is entered. The spec is \
                 validated against the provider contracts and stored under its tenant and namespace; returns \
                 scenario_id and spec_hash. Call once per scenario before scenario_start; defining an existing \
                 scenario_id again is a conflict."
            }
            ToolName::ScenarioStart => {
                "Start a new run of a defined scenario. Give run_config (tenant, namespace, run_id, dispatch \
                 targets), the start time, and whether to issue the first stage's entry packets now (they are \
                 never issued later otherwise). Returns the full run state. An existing run_id is an error."
            }
            ToolName::ScenarioStatus => {
                "Read a run's current stage, status, last decision, issued packet ids and, while holding, the \
                 unmet gates. Read-only: queries no provider and records nothing. Use it to poll progress or to \
                 see which evidence is still missing."
            }
            ToolName::ScenarioNext => {
                "Ask the run to evaluate its current stage for an agent: queries the evidence providers, records \
                 a decision (advance, hold, complete or fail) and returns it with the packets it released and the \
                 run status. Idempotent per trigger_id: repeating one returns the original decision. Use a new \
                 trigger_id for each attempt. Optional feedback (summary, trace, evidence) explains gate results \
                 as far as server policy allows."
            }
            ToolName::ScenarioSubmit => {
                "Attach a submission (inline JSON, bytes, or an external content reference with its hash) to a \
                 run for the audit record. Submissions never affect gates and are accepted in any run status. \
                 Idempotent per submission_id; reusing an id with different content is a conflict."
            }
            ToolName::ScenarioTrigger => {
                "Deliver a trigger event (agent_request_next, tick, external_event or backend_event) to a run. \
                 Evaluates the current stage like scenario_next; a tick also applies an expired stage timeout. \
                 Idempotent per trigger_id. Returns the decision, released packets and run status."
            }
            ToolName::EvidenceQuery => {
                "Run one provider check (for example time/after, env/get, json/path, http/status) in a run \
                 context and return the normalised evidence result: hash, anchor, lane and signature, and the \
                 value unless server policy redacts raw values. Provider failures come back inside the result, \
                 not as tool errors. Useful to debug a condition; changes no run."
            }
            ToolName::RunpackExport => {
                "Export a run as a runpack: the spec, triggers, gate evaluations, decisions, packets, submissions \
                 and tool-call transcript as hashed artifacts plus a manifest (signed when the server has a key). \
                 With include_verification the written files are verified and the report embedded. Produces an \
                 offline-verifiable audit record of the run."
            }
            ToolName::RunpackVerify => {
                "Verify a stored runpack offline: file and root hashes, signature, spec hash, decision log and \
                 evidence anchors. A runpack that fails verification is a normal result (status fail with the \
                 list of errors); only an unreadable manifest is a tool error."
            }
            ToolName::ProvidersList => {
                "List the configured evidence providers with their transport (builtin or mcp) and check ids. \
                 Start here to find which provider_id/check_id pairs conditions and evidence_query can use."
            }
            ToolName::ProviderContractGet => {
                "Return a provider's full capability contract (its checks with parameter and result schemas, \
                 allowed comparators and determinism) and the contract hash, subject to the server's provider \
                 discovery policy."
            }
            ToolName::ProviderCheckSchemaGet => {
                "Return the contract of one provider check: whether params are required, the params and result \
                 JSON Schemas, allowed comparators, determinism, anchor types, content types and examples. Use it \
                 to write a valid condition (query params, comparator, expected value)."
            }
            ToolName::SchemasRegister => {
                "Register an immutable data shape: a JSON Schema (draft 2020-12) for asserted data, identified \
                 by tenant, namespace, schema_id and version. precheck validates payloads against it. \
                 Registering an existing schema_id/version is a conflict; publish a new version instead."
            }
            ToolName::SchemasList => {
                "List the data shapes registered for a tenant and namespace, ordered by schema_id then version. \
                 Paginated: pass next_token back as cursor until it is null."
            }
            ToolName::SchemasGet => {
                "Fetch one registered data shape by tenant, namespace, schema_id and exact version (there is no \
                 'latest')."
            }
            ToolName::ScenariosList => {
                "List the scenario definitions of a tenant and namespace (scenario_id, namespace_id, spec_hash), \
                 ordered by scenario_id. Paginated: pass next_token back as cursor until it is null."
            }
            ToolName::Precheck => {
                "Dry-run one stage (default: the first) of a defined or inline scenario: validate an asserted \
                 payload against a registered data shape, then evaluate the stage's gates with the payload as \
                 evidence. Returns the would-be decision and gate evaluations; touches no run. Asserted evidence \
                 only satisfies gates whose trust requirement admits the asserted lane."
            }
        }
    }

    /// What the tool is scoped to.
    pub const fn scope(self) -> ToolScope {
        match self {
            ToolName::ProvidersList | ToolName::ProviderContractGet | ToolName::ProviderCheckSchemaGet => {
                ToolScope::Tenant
            }
            _ => ToolScope::Namespace,
        }
    }

    /// Whether the tool changes stored state (its audit records are mandatory: a record that
    /// cannot be written stops the call).
    pub const fn mutates(self) -> bool {
        !self.annotations().read_only_hint
    }

    /// Whether the tool acts on a namespace (all but the tenant-level provider discovery tools).
    pub const fn is_namespace_level(self) -> bool {
        matches!(self.scope(), ToolScope::Namespace)
    }

    /// The tool's MCP annotations (mcp-surface §2.2).
    pub const fn annotations(self) -> ToolAnnotations {
        let read_only = matches!(
            self,
            ToolName::ScenarioStatus
                | ToolName::RunpackVerify
                | ToolName::ProvidersList
                | ToolName::ProviderContractGet
                | ToolName::ProviderCheckSchemaGet
                | ToolName::SchemasList
                | ToolName::SchemasGet
                | ToolName::ScenariosList
                | ToolName::Precheck
        );
        let open_world = matches!(self, ToolName::ScenarioNext | ToolName::ScenarioTrigger | ToolName::EvidenceQuery);
        ToolAnnotations { read_only_hint: read_only, destructive_hint: false, open_world_hint: open_world }
    }

    /// What the tool writes (mcp-surface §7.2).
    pub const fn writes(self) -> &'static str {
        match self {
            ToolName::ScenarioDefine => "scenario store",
            ToolName::ScenarioStart => "run state (new run)",
            ToolName::ScenarioNext => "run state (idempotent per trigger_id)",
            ToolName::ScenarioSubmit | ToolName::ScenarioTrigger => "run state",
            ToolName::EvidenceQuery => "nothing (providers may have side effects)",
            ToolName::RunpackExport => "runpack storage",
            ToolName::SchemasRegister => "schema registry",
            ToolName::Precheck => "nothing (precheck audit)",
            ToolName::ScenarioStatus
            | ToolName::RunpackVerify
            | ToolName::ProvidersList
            | ToolName::ProviderContractGet
            | ToolName::ProviderCheckSchemaGet
            | ToolName::SchemasList
            | ToolName::SchemasGet
            | ToolName::ScenariosList => "nothing",
        }
    }

    /// The bounded `tool` label of metrics (the wire name).
    pub const fn metrics_label(self) -> &'static str {
        self.as_str()
    }

    /// The metrics label of a raw tool name: the catalogue name, or `unknown` for any name
    /// outside the catalogue (labels stay bounded).
    pub fn metrics_label_for(name: &str) -> &'static str {
        ToolName::from_name(name).map_or("unknown", ToolName::metrics_label)
    }

    /// The tool's published definition.
    pub fn definition(self) -> &'static ToolDefinition {
        &tool_definitions()[self.index()]
    }
}

impl fmt::Display for ToolName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error of parsing a tool name outside the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown tool: {0}")]
pub struct UnknownTool(pub String);

impl FromStr for ToolName {
    type Err = UnknownTool;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        ToolName::from_name(name).ok_or_else(|| UnknownTool(name.to_owned()))
    }
}

/// A tool as published by MCP `tools/list`.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolDefinition {
    /// The tool.
    pub name: ToolName,
    /// Short title.
    pub title: &'static str,
    /// Prose for agents: what it does, when to use it.
    pub description: &'static str,
    /// JSON Schema 2020-12 of the arguments (scenario schema embedded under `$defs`).
    pub input_schema: Value,
    /// JSON Schema 2020-12 of the success object.
    pub output_schema: Value,
    /// Behaviour hints.
    pub annotations: ToolAnnotations,
}

impl ToolDefinition {
    /// Builds the definition of one tool.
    fn build(tool: ToolName) -> Self {
        ToolDefinition {
            name: tool,
            title: tool.title(),
            description: tool.description(),
            input_schema: schemas::input_schema(tool),
            output_schema: schemas::output_schema(tool),
            annotations: tool.annotations(),
        }
    }

    /// The MCP `Tool` object: `{name, title, description, inputSchema, outputSchema, annotations}`.
    pub fn to_mcp_json(&self) -> Value {
        json!({
            "name": self.name.as_str(),
            "title": self.title,
            "description": self.description,
            "inputSchema": self.input_schema,
            "outputSchema": self.output_schema,
            "annotations": self.annotations.to_json(),
        })
    }
}

static DEFINITIONS: LazyLock<Vec<ToolDefinition>> =
    LazyLock::new(|| ToolName::ALL.into_iter().map(ToolDefinition::build).collect());

static RPC_ENTRIES: LazyLock<Vec<Value>> = LazyLock::new(|| {
    ToolName::ALL
        .into_iter()
        .map(|tool| {
            json!({
                "name": tool.as_str(),
                "description": tool.description(),
                "input_schema": schemas::rpc_input_schema(tool),
            })
        })
        .collect()
});

/// Every tool definition in canonical order (built once).
pub fn tool_definitions() -> &'static [ToolDefinition] {
    &DEFINITIONS
}

/// The MCP `tools/list` result `{"tools":[Tool…]}` for the tools `visible` admits, in
/// canonical order.
pub fn mcp_tool_list(visible: impl Fn(ToolName) -> bool) -> Value {
    let tools: Vec<Value> =
        tool_definitions().iter().filter(|def| visible(def.name)).map(ToolDefinition::to_mcp_json).collect();
    json!({ "tools": tools })
}

/// The Decision Gate OSS `/rpc` `tools/list` result
/// `{"tools":[{"name","description","input_schema"}]}` for every tool, in canonical order. The
/// scenario is referenced as `{"$ref": "decision-gate://contract/schemas/scenario.schema.json"}`.
pub fn rpc_tool_list() -> Value {
    rpc_tool_list_filtered(|_| true)
}

/// [`rpc_tool_list`] restricted to the tools `visible` admits (tool visibility, §6.2).
pub fn rpc_tool_list_filtered(visible: impl Fn(ToolName) -> bool) -> Value {
    let tools: Vec<Value> =
        ToolName::ALL.into_iter().filter(|tool| visible(*tool)).map(|tool| RPC_ENTRIES[tool.index()].clone()).collect();
    json!({ "tools": tools })
}
