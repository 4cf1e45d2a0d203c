//! Top-level output schemas: the success object of each tool.

use serde_json::{Value, json};

use super::builder::{
    Direction, Obj, Presence, any, array, boolean, nonzero_id, reference, string, string_enum, strings, with_doc,
};
use super::defs_core::{comparator, hash_digest, run_status};
use super::defs_records::{determinism, feedback_level, verification_status};
use crate::tools::catalogue::ToolName;

fn obj() -> Obj {
    Obj::new(Direction::Output)
}

/// `{decision, packets, status}`, the result of a trigger, optionally with more fields.
fn trigger_result() -> Obj {
    obj()
        .req_doc("decision", "The decision (new, or replayed for a repeated trigger_id).", reference("DecisionRecord"))
        .req_doc("packets", "Packets released by that decision.", array(reference("PacketRecord")))
        .req_doc("status", "The run's current status.", run_status())
}

fn feedback() -> Value {
    obj()
        .doc("Disclosure-controlled feedback; omitted when summary was granted and nothing was requested or denied.")
        .req("level", feedback_level())
        .field("denied_reason", Presence::Opt, string())
        .field(
            "gate_evaluations",
            Presence::Opt,
            with_doc(array(reference("GateEvaluation")), "trace and evidence levels: this trigger's evaluations."),
        )
        .field(
            "unmet_conditions",
            Presence::Opt,
            with_doc(
                array(reference("UnmetCondition")),
                "trace and evidence levels: why the stage holds, per unmet condition (reason class, no values).",
            ),
        )
        .field(
            "gate_records",
            Presence::Opt,
            with_doc(array(reference("GateEvalRecord")), "evidence level: the records with redacted evidence."),
        )
        .build()
}

fn next_token() -> Value {
    with_doc(string(), "Cursor for the next page; null on the last page.")
}

/// The top-level output schema of a tool (before `$schema` and `$defs` are added).
pub(super) fn output_root(tool: ToolName) -> Value {
    match tool {
        ToolName::ScenarioDefine => obj()
            .req("scenario_id", string())
            .req_doc("spec_hash", "SHA-256 of the canonical spec.", hash_digest())
            .build(),
        ToolName::ScenarioStart => super::definition("RunState", Direction::Output).unwrap_or_default(),
        ToolName::ScenarioStatus => obj()
            .req("run_id", string())
            .req("scenario_id", string())
            .req("namespace_id", nonzero_id())
            .req("current_stage_id", string())
            .req("status", run_status())
            .field("last_decision", Presence::NullReq, reference("DecisionRecord"))
            .req_doc("issued_packet_ids", "Every packet id issued so far, in order.", strings())
            .field(
                "safe_summary",
                Presence::NullReq,
                with_doc(reference("SafeSummary"), "Present when the last decision is a hold."),
            )
            .build(),
        ToolName::ScenarioNext => trigger_result().field("feedback", Presence::Opt, feedback()).build(),
        ToolName::ScenarioSubmit => obj().req("record", reference("SubmissionRecord")).build(),
        ToolName::ScenarioTrigger => trigger_result().build(),
        ToolName::EvidenceQuery => obj().req("result", reference("EvidenceResult")).build(),
        ToolName::RunpackExport => obj()
            .req("manifest", reference("RunpackManifest"))
            .field("report", Presence::NullReq, reference("VerificationReport"))
            .field("storage_uri", Presence::Opt, with_doc(string(), "Where the runpack was stored."))
            .build(),
        ToolName::RunpackVerify => obj()
            .req("report", reference("VerificationSummary"))
            .req_doc("status", "Same as report.status.", verification_status())
            .build(),
        ToolName::ProvidersList => {
            obj().req_doc("providers", "Providers sorted by provider_id.", array(reference("ProviderSummary"))).build()
        }
        ToolName::ProviderContractGet => obj()
            .req("provider_id", string())
            .req("contract", reference("ProviderContract"))
            .req_doc("contract_hash", "SHA-256 of the canonical contract.", hash_digest())
            .req("source", string_enum(&["builtin", "file"]))
            .req("version", json!({"type": "null"}))
            .build(),
        ToolName::ProviderCheckSchemaGet => obj()
            .req("provider_id", string())
            .req("check_id", string())
            .req("params_required", boolean())
            .req_doc("params_schema", "JSON Schema of the check's params.", any())
            .req_doc("result_schema", "JSON Schema of the evidence value.", any())
            .req("allowed_comparators", array(comparator()))
            .req("determinism", determinism())
            .req("anchor_types", strings())
            .req("content_types", strings())
            .req("examples", array(reference("CheckExample")))
            .req("contract_hash", hash_digest())
            .build(),
        ToolName::SchemasRegister | ToolName::SchemasGet => obj().req("record", reference("DataShapeRecord")).build(),
        ToolName::SchemasList => obj()
            .req("items", array(reference("DataShapeRecord")))
            .field("next_token", Presence::NullReq, next_token())
            .build(),
        ToolName::ScenariosList => obj()
            .req("items", array(reference("ScenarioSummary")))
            .field("next_token", Presence::NullReq, next_token())
            .build(),
        ToolName::Precheck => obj()
            .req_doc("decision", "The would-be outcome: advance, complete or hold.", reference("DecisionOutcome"))
            .req("gate_evaluations", array(reference("GateEvaluation")))
            .build(),
    }
}
