//! Top-level input schemas of the seventeen tools.

use serde_json::{Value, json};

use super::builder::{
    Direction, Obj, Presence, any, boolean, non_empty_string, nonzero_id, reference, string, with_doc,
};
use super::defs_core::timestamp;
use super::defs_records::feedback_level;
use crate::tools::catalogue::ToolName;

fn obj() -> Obj {
    Obj::new(Direction::Input)
}

fn tenant() -> Value {
    with_doc(nonzero_id(), super::defs_run::TENANT_DEFAULT)
}

fn namespace() -> Value {
    with_doc(nonzero_id(), super::defs_run::NAMESPACE_DEFAULT)
}

fn scenario_id() -> Value {
    with_doc(string(), "A defined scenario id.")
}

fn page_limit() -> Value {
    json!({
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "default": 50,
        "description": "Page size (1..=1000, default 50)."
    })
}

fn cursor() -> Value {
    with_doc(string(), "Opaque `next_token` of the previous page; omit or null for the first page.")
}

/// The top-level input schema of a tool (before `$schema` and `$defs` are added).
pub(super) fn input_root(tool: ToolName) -> Value {
    match tool {
        ToolName::ScenarioDefine => obj()
            .req_doc("spec", "The scenario to define.", reference("ScenarioSpec"))
            .field(
                "tenant_id",
                Presence::Null,
                with_doc(
                    nonzero_id(),
                    "Tenant that owns the definition; defaults to spec.default_tenant_id, then to the caller's \
                     single bound tenant. Must equal spec.default_tenant_id when both are given.",
                ),
            )
            .build(),
        ToolName::ScenarioStart => obj()
            .req("scenario_id", scenario_id())
            .req_doc("run_config", "Run ids, dispatch targets and policy tags.", reference("RunConfig"))
            .req_doc("started_at", "Caller-supplied start time.", timestamp())
            .req_doc(
                "issue_entry_packets",
                "Issue the first stage's entry packets now (they are never issued later otherwise).",
                boolean(),
            )
            .build(),
        ToolName::ScenarioStatus => obj()
            .req("scenario_id", scenario_id())
            .req_doc("request", "Which run to read.", reference("StatusRequest"))
            .build(),
        ToolName::ScenarioNext => obj()
            .req("scenario_id", scenario_id())
            .req_doc("request", "The agent's request to evaluate the current stage.", reference("NextRequest"))
            .field(
                "feedback",
                Presence::Null,
                with_doc(
                    feedback_level(),
                    "Requested feedback level; the server may grant less (see feedback.denied_reason).",
                ),
            )
            .build(),
        ToolName::ScenarioSubmit => obj()
            .req("scenario_id", scenario_id())
            .req_doc("request", "The submission to attach to the run.", reference("SubmitRequest"))
            .build(),
        ToolName::ScenarioTrigger => obj()
            .req("scenario_id", scenario_id())
            .req_doc("trigger", "The trigger event.", reference("TriggerEvent"))
            .build(),
        ToolName::EvidenceQuery => obj()
            .req_doc("query", "Provider, check and params to evaluate.", reference("EvidenceQuery"))
            .req_doc("context", "Run context passed to the provider.", reference("EvidenceContext"))
            .build(),
        ToolName::RunpackExport => obj()
            .req("scenario_id", scenario_id())
            .field("tenant_id", Presence::Opt, tenant())
            .field("namespace_id", Presence::Opt, namespace())
            .req_doc("run_id", "The run to export.", string())
            .req_doc("generated_at", "Caller-supplied export time (covered by the root hash).", timestamp())
            .req_doc("include_verification", "Verify the written artifacts and embed verifier_report.json.", boolean())
            .field(
                "output_dir",
                Presence::Null,
                with_doc(string(), "Directory in the tenant's and namespace's runpack partition (filesystem storage)."),
            )
            .field("manifest_name", Presence::Null, with_doc(string(), "Manifest file name (default manifest.json)."))
            .build(),
        ToolName::RunpackVerify => obj()
            .field("tenant_id", Presence::Opt, tenant())
            .field("namespace_id", Presence::Opt, namespace())
            .req_doc("runpack_dir", "Runpack directory in the tenant's and namespace's partition.", string())
            .req_doc("manifest_path", "Manifest path relative to runpack_dir (e.g. manifest.json).", string())
            .build(),
        ToolName::ProvidersList => obj().field("tenant_id", Presence::Opt, tenant()).build(),
        ToolName::ProviderContractGet => obj()
            .req_doc("provider_id", "Provider id (e.g. time, env, json, http).", non_empty_string())
            .field("tenant_id", Presence::Opt, tenant())
            .build(),
        ToolName::ProviderCheckSchemaGet => obj()
            .req_doc("provider_id", "Provider id.", non_empty_string())
            .req_doc("check_id", "Check id within the provider.", non_empty_string())
            .field("tenant_id", Presence::Opt, tenant())
            .build(),
        ToolName::SchemasRegister => {
            obj().req_doc("record", "The data shape to register.", reference("DataShapeRecord")).build()
        }
        ToolName::SchemasList | ToolName::ScenariosList => obj()
            .field("tenant_id", Presence::Opt, tenant())
            .field("namespace_id", Presence::Opt, namespace())
            .field("cursor", Presence::Null, cursor())
            .field("limit", Presence::Opt, page_limit())
            .build(),
        ToolName::SchemasGet => obj()
            .field("tenant_id", Presence::Opt, tenant())
            .field("namespace_id", Presence::Opt, namespace())
            .req_doc("schema_id", "Data shape id.", string())
            .req_doc("version", "Exact version.", string())
            .build(),
        ToolName::Precheck => obj()
            .field("tenant_id", Presence::Opt, tenant())
            .field("namespace_id", Presence::Opt, namespace())
            .req_doc("data_shape", "Registered data shape the payload must match.", reference("DataShapeRef"))
            .req_doc(
                "payload",
                "Asserted evidence: an object keyed by condition id, or any value when the scenario has exactly \
                 one condition.",
                any(),
            )
            .field(
                "scenario_id",
                Presence::Null,
                with_doc(string(), "A defined scenario (required unless spec is given)."),
            )
            .field(
                "spec",
                Presence::Null,
                with_doc(reference("ScenarioSpec"), "An inline scenario (instead of, or matching, scenario_id)."),
            )
            .field("stage_id", Presence::Null, with_doc(string(), "Stage to evaluate (default: the first stage)."))
            .build(),
    }
}
