//! Runs: configuration, requests, triggers, decisions, evidence, packets, submissions, the
//! tool-call transcript and the run state.

use serde_json::{Value, json};

use super::builder::{
    Direction, Obj, Presence, any, array, boolean, bytes, nonzero_id, one_of, reference, string, string_enum, strings,
    tagged, with_doc,
};
use super::defs_core::{dispatch_targets, hash_digest, run_status, timestamp, tri_state, trigger_kind, trust_lane};

/// Description of an optional tenant id.
pub(super) const TENANT_DEFAULT: &str = "Default: caller's tenant.";

/// Description of an optional namespace id.
pub(super) const NAMESPACE_DEFAULT: &str = "Default 1.";

/// A 1-based sequence number.
fn sequence() -> Value {
    json!({"type": "integer", "minimum": 1})
}

/// Definitions of this module.
pub(super) fn definition(name: &str, direction: Direction) -> Option<Value> {
    let obj = || Obj::new(direction);
    Some(match name {
        "RunConfig" => obj()
            .doc("Run configuration supplied at start.")
            .field("tenant_id", Presence::Dflt, with_doc(nonzero_id(), TENANT_DEFAULT))
            .field("namespace_id", Presence::Dflt, with_doc(nonzero_id(), "Default 1; must equal the scenario's."))
            .req("run_id", string())
            .field("scenario_id", Presence::Dflt, with_doc(string(), "Default: the tool's scenario_id (must match)."))
            .req_doc("dispatch_targets", "Where disclosed packets are dispatched, in order.", dispatch_targets())
            .field("policy_tags", Presence::Dflt, with_doc(strings(), "Default []; carried, not stored."))
            .build(),
        "TriggerEvent" => obj()
            .doc("A trigger: asks the run to re-evaluate its current stage. Idempotent per `trigger_id`.")
            .req_doc("trigger_id", "Idempotency key within the run.", string())
            .field("tenant_id", Presence::Dflt, with_doc(nonzero_id(), TENANT_DEFAULT))
            .field("namespace_id", Presence::Dflt, with_doc(nonzero_id(), NAMESPACE_DEFAULT))
            .req("run_id", string())
            .req("kind", trigger_kind())
            .req("time", timestamp())
            .req_doc("source_id", "Who sent the trigger.", string())
            .field("payload", Presence::Null, with_doc(reference("PacketPayload"), "Stored, never interpreted."))
            .field("correlation_id", Presence::Null, string())
            .build(),
        "StatusRequest" => obj()
            .field("tenant_id", Presence::Dflt, with_doc(nonzero_id(), TENANT_DEFAULT))
            .field("namespace_id", Presence::Dflt, with_doc(nonzero_id(), NAMESPACE_DEFAULT))
            .req("run_id", string())
            .field("requested_at", Presence::Dflt, with_doc(timestamp(), "Optional; not recorded."))
            .field("correlation_id", Presence::Null, string())
            .build(),
        "NextRequest" => obj()
            .field("tenant_id", Presence::Dflt, with_doc(nonzero_id(), TENANT_DEFAULT))
            .field("namespace_id", Presence::Dflt, with_doc(nonzero_id(), NAMESPACE_DEFAULT))
            .req("run_id", string())
            .req_doc("trigger_id", "Idempotency key: repeating it returns the original decision.", string())
            .req_doc("agent_id", "The requesting agent (becomes the trigger's source_id).", string())
            .req("time", timestamp())
            .field("correlation_id", Presence::Null, string())
            .build(),
        "SubmitRequest" => obj()
            .field("tenant_id", Presence::Dflt, with_doc(nonzero_id(), TENANT_DEFAULT))
            .field("namespace_id", Presence::Dflt, with_doc(nonzero_id(), NAMESPACE_DEFAULT))
            .req("run_id", string())
            .req_doc("submission_id", "Idempotency key within the run.", string())
            .req("payload", reference("PacketPayload"))
            .req("content_type", string())
            .req("submitted_at", timestamp())
            .field("correlation_id", Presence::Null, string())
            .build(),
        "EvidenceContext" => obj()
            .doc("Context given to the provider with the query; only the tenant and namespace matter outside a run.")
            .field("tenant_id", Presence::Dflt, with_doc(nonzero_id(), TENANT_DEFAULT))
            .field("namespace_id", Presence::Dflt, with_doc(nonzero_id(), NAMESPACE_DEFAULT))
            .field("run_id", Presence::Dflt, with_doc(string(), "Default \"evidence-query\"."))
            .field("scenario_id", Presence::Dflt, with_doc(string(), "Default \"evidence-query\"."))
            .field("stage_id", Presence::Dflt, with_doc(string(), "Default \"evidence-query\"."))
            .field("trigger_id", Presence::Dflt, with_doc(string(), "Default \"evidence-query\"."))
            .field(
                "trigger_time",
                Presence::Dflt,
                with_doc(timestamp(), "The time the time provider judges; default logical 0."),
            )
            .field("correlation_id", Presence::Null, string())
            .build(),
        "TriggerRecord" => obj().req("seq", sequence()).req("event", reference("TriggerEvent")).build(),
        "DecisionRecord" => obj()
            .doc("A recorded decision (`decision-<seq>`).")
            .req("decision_id", string())
            .req("seq", sequence())
            .req("trigger_id", string())
            .req_doc("stage_id", "Stage at decision time.", string())
            .req("decided_at", timestamp())
            .req("outcome", reference("DecisionOutcome"))
            .field("correlation_id", Presence::Null, string())
            .build(),
        "DecisionOutcome" => decision_outcome(direction),
        "SafeSummary" => obj()
            .doc("Hold summary: which gates are unmet.")
            .req("status", string())
            .req("unmet_gates", strings())
            .field("retry_hint", Presence::Null, string())
            .req("policy_tags", strings())
            .build(),
        "UnmetCondition" => obj()
            .doc("One reason a gate is not True.")
            .req("gate_id", string())
            .field("condition_id", Presence::Omit, string())
            .req("status", tri_state())
            .req(
                "reason",
                string_enum(&[
                    "condition_false",
                    "evidence_missing",
                    "provider_error",
                    "trust_lane_too_low",
                    "comparator_type_mismatch",
                    "evaluation_depth",
                    "requirement_not_met",
                ]),
            )
            .field("provider_id", Presence::Omit, string())
            .field("check_id", Presence::Omit, string())
            .field("comparator", Presence::Omit, super::defs_core::comparator())
            .field("error_code", Presence::Omit, string())
            .field("message", Presence::Omit, string())
            .build(),
        "GateTraceEntry" => obj().req("condition_id", string()).req("status", tri_state()).build(),
        "GateEvaluation" => obj()
            .doc("A gate's value with the trace of every leaf visit.")
            .req("gate_id", string())
            .req("status", tri_state())
            .req("trace", array(reference("GateTraceEntry")))
            .build(),
        "GateEvalRecord" => obj()
            .req("trigger_id", string())
            .req("stage_id", string())
            .req("evaluation", reference("GateEvaluation"))
            .req("evidence", array(reference("EvidenceRecord")))
            .build(),
        "EvidenceRecord" => obj()
            .req("condition_id", string())
            .req("status", tri_state())
            .req("result", reference("EvidenceResult"))
            .build(),
        "EvidenceResult" => obj()
            .doc("What a provider returned for one query, normalised by the server.")
            .field("value", Presence::Null, reference("EvidenceValue"))
            .field("lane", Presence::Dflt, trust_lane())
            .field("error", Presence::Null, reference("EvidenceResultError"))
            .field("evidence_hash", Presence::Null, hash_digest())
            .field("evidence_ref", Presence::Null, reference("EvidenceRef"))
            .field("evidence_anchor", Presence::Null, reference("EvidenceAnchor"))
            .field("signature", Presence::Null, reference("EvidenceSignature"))
            .field("content_type", Presence::Null, string())
            .build(),
        "EvidenceValue" => with_doc(
            one_of(vec![
                tagged(direction, "kind", "json").req("value", any()).build(),
                tagged(direction, "kind", "bytes").req("value", bytes()).build(),
            ]),
            "Evidence value: {\"kind\":\"json\",\"value\":<any>} or {\"kind\":\"bytes\",\"value\":[0..255]}.",
        ),
        "EvidenceResultError" => {
            obj().req("code", string()).req("message", string()).field("details", Presence::Null, any()).build()
        }
        "EvidenceRef" => obj().req("uri", string()).build(),
        "EvidenceAnchor" => {
            obj().req("anchor_type", string()).req_doc("anchor_value", "A string containing JSON.", string()).build()
        }
        "EvidenceSignature" => obj().req("scheme", string()).req("key_id", string()).req("signature", bytes()).build(),
        "PacketVisibility" => obj().req("labels", strings()).req("policy_tags", strings()).build(),
        "PacketEnvelope" => obj()
            .req("scenario_id", string())
            .req("run_id", string())
            .req("stage_id", string())
            .req("packet_id", string())
            .req("schema_id", string())
            .req("content_type", string())
            .req("content_hash", hash_digest())
            .req("visibility", reference("PacketVisibility"))
            .field("expiry", Presence::Null, timestamp())
            .field("correlation_id", Presence::Null, string())
            .req("issued_at", timestamp())
            .build(),
        "DispatchReceipt" => obj()
            .req("dispatch_id", string())
            .req("target", reference("DispatchTarget"))
            .req("receipt_hash", hash_digest())
            .req("dispatched_at", timestamp())
            .req("dispatcher", string())
            .build(),
        "PacketRecord" => obj()
            .doc("A disclosed packet with its dispatch receipts.")
            .req("envelope", reference("PacketEnvelope"))
            .req("payload", reference("PacketPayload"))
            .req("receipts", array(reference("DispatchReceipt")))
            .req("decision_id", string())
            .build(),
        "SubmissionRecord" => obj()
            .req("submission_id", string())
            .req("run_id", string())
            .req("payload", reference("PacketPayload"))
            .req("content_type", string())
            .req("content_hash", hash_digest())
            .req("submitted_at", timestamp())
            .field("correlation_id", Presence::Null, string())
            .build(),
        "ToolCallError" => obj()
            .req("code", string())
            .req("message", string())
            .req("details", tool_call_error_details(direction))
            .build(),
        "ToolCallRecord" => obj()
            .req("call_id", string())
            .req_doc("method", "Dotted label such as `scenario.next`.", string())
            .req("request_hash", hash_digest())
            .req("response_hash", hash_digest())
            .req("called_at", timestamp())
            .field("correlation_id", Presence::Null, string())
            .field("error", Presence::Null, reference("ToolCallError"))
            .build(),
        "RunState" => run_state(direction),
        _ => return None,
    })
}

fn decision_outcome(direction: Direction) -> Value {
    with_doc(
        one_of(vec![
            tagged(direction, "kind", "start").req("stage_id", string()).build(),
            tagged(direction, "kind", "advance")
                .req("from_stage", string())
                .req("to_stage", string())
                .req("timeout", boolean())
                .build(),
            tagged(direction, "kind", "hold").req("summary", reference("SafeSummary")).build(),
            tagged(direction, "kind", "complete").req("stage_id", string()).build(),
            tagged(direction, "kind", "fail").req("reason", string()).build(),
        ]),
        "What a decision did, tagged by `kind`: start, advance, hold, complete or fail.",
    )
}

fn tool_call_error_details(direction: Direction) -> Value {
    one_of(vec![
        tagged(direction, "kind", "provider_missing")
            .req("missing_providers", strings())
            .req("required_capabilities", strings())
            .req("blocked_by_policy", boolean())
            .build(),
        tagged(direction, "kind", "message").req("info", string()).build(),
    ])
}

fn run_state(direction: Direction) -> Value {
    Obj::new(direction)
        .doc("The full state of a run; every list is append-only.")
        .req("tenant_id", nonzero_id())
        .req("namespace_id", nonzero_id())
        .req("run_id", string())
        .req("scenario_id", string())
        .req("spec_hash", hash_digest())
        .req("current_stage_id", string())
        .req("stage_entered_at", timestamp())
        .req("status", run_status())
        .req("dispatch_targets", dispatch_targets())
        .req("triggers", array(reference("TriggerRecord")))
        .req("gate_evals", array(reference("GateEvalRecord")))
        .req("decisions", array(reference("DecisionRecord")))
        .req("packets", array(reference("PacketRecord")))
        .req("submissions", array(reference("SubmissionRecord")))
        .req("tool_calls", array(reference("ToolCallRecord")))
        .build()
}
