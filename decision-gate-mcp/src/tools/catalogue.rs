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
                "Define a scenario: ordered stages whose gates combine evidence conditions (provider check, \
                 comparator, expected value); packets are disclosed when a stage is entered. Validated against \
                 the provider contracts and stored under its tenant and namespace. Returns scenario_id and \
                 spec_hash; an existing scenario_id is a conflict."
            }
            ToolName::ScenarioStart => {
                "Start a run of a defined scenario. Returns the run state; an existing run_id is an error. Entry \
                 packets of the first stage are issued only when issue_entry_packets is true."
            }
            ToolName::ScenarioStatus => {
                "Read a run's stage, status, last decision, issued packet ids and, while holding, the unmet \
                 gates. Read-only: asks no provider, records nothing."
            }
            ToolName::ScenarioNext => {
                "Ask the run to evaluate its current stage: queries the providers, records a decision (advance, \
                 hold, complete or fail) and returns it with released packets and the run status. Idempotent per \
                 trigger_id (a repeat returns that trigger's decision); use a new trigger_id per attempt. \
                 feedback (summary, trace, evidence; default per server policy) explains why a gate holds."
            }
            ToolName::ScenarioSubmit => {
                "Attach a submission (inline JSON, bytes, or external content with its hash) to a run's record. \
                 Never affects gates; accepted in any status. Idempotent per submission_id; other content under \
                 the same id is a conflict."
            }
            ToolName::ScenarioTrigger => {
                "Deliver a trigger (agent_request_next, tick, external_event, backend_event) to a run: evaluates \
                 the stage like scenario_next; a tick also applies an expired timeout. Idempotent per \
                 trigger_id."
            }
            ToolName::EvidenceQuery => {
                "Run one provider check (e.g. time/after, env/get, json/path, http/status) and return the \
                 evidence result (hash, anchor, lane, and the value unless policy redacts it). Provider failures \
                 are in the result, not tool errors. Changes no run."
            }
            ToolName::RunpackExport => {
                "Export a run as a runpack: spec, triggers, evaluations, decisions, packets, submissions and \
                 transcript as hashed artifacts plus a manifest (signed when the server has a key), verifiable \
                 offline. include_verification embeds a verifier report."
            }
            ToolName::RunpackVerify => {
                "Verify a stored runpack: file and root hashes, signature, spec hash, decision log, evidence \
                 anchors. A failing runpack is a normal result (status fail, errors); only an unreadable \
                 manifest is a tool error."
            }
            ToolName::ProvidersList => {
                "List the evidence providers with their transport and check ids: the provider_id/check_id pairs \
                 conditions and evidence_query can use."
            }
            ToolName::ProviderContractGet => {
                "Return a provider's contract (checks with params and result schemas, comparators, determinism) \
                 and its hash, subject to discovery policy."
            }
            ToolName::ProviderCheckSchemaGet => {
                "Return one check's contract: params required or not, params and result schemas, allowed \
                 comparators, determinism, anchor and content types, examples. Use it to write a valid \
                 condition."
            }
            ToolName::SchemasRegister => {
                "Register an immutable data shape: a JSON Schema (2020-12) for asserted data, by schema_id and \
                 version; precheck validates payloads against it. An existing schema_id/version is a conflict."
            }
            ToolName::SchemasList => {
                "List registered data shapes, ordered by schema_id then version. Paginated: pass next_token as \
                 cursor until it is null."
            }
            ToolName::SchemasGet => "Fetch one registered data shape by schema_id and exact version.",
            ToolName::ScenariosList => {
                "List scenario definitions (scenario_id, namespace_id, spec_hash), ordered by scenario_id. \
                 Paginated: pass next_token as cursor until it is null."
            }
            ToolName::Precheck => {
                "Dry-run a stage (default: the first) of a defined or inline scenario: validate an asserted \
                 payload against a data shape, then evaluate the gates with it as evidence. Returns the would-be \
                 decision; touches no run. Asserted evidence passes only gates that admit the asserted lane."
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
