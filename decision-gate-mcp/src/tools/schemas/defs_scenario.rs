//! The scenario model (`ScenarioSpec` and everything nested in it).

use serde_json::{Value, json};

use super::builder::{
    Direction, Obj, Presence, any, array, nonzero_id, one_of, reference, string, strings, tagged, with_doc,
};
use super::defs_core::{branch_outcome, comparator, timeout_policy, timestamp};

/// Definitions of this module.
pub(super) fn definition(name: &str, direction: Direction) -> Option<Value> {
    Some(match name {
        "ScenarioSpec" => Obj::new(direction)
            .doc(
                "A complete scenario definition: ordered stages of gates over evidence conditions, with \
                 packets disclosed on stage entry. Its hash is over the re-serialised typed value.",
            )
            .req_doc("scenario_id", "Scenario id (unique per tenant and namespace).", string())
            .req_doc("namespace_id", "Namespace of the scenario; must equal the run's namespace.", nonzero_id())
            .req_doc("spec_version", "Opaque version label.", string())
            .req_doc("stages", "Ordered stages; the first is the initial stage.", array(reference("StageSpec")))
            .req("conditions", array(reference("ConditionSpec")))
            .req("policies", array(reference("PolicyRef")))
            .req("schemas", array(reference("SchemaRef")))
            .field("default_tenant_id", Presence::Null, with_doc(nonzero_id(), "Pins the scenario to one tenant."))
            .build(),
        "PolicyRef" => Obj::new(direction)
            .doc("Informational policy reference.")
            .req("policy_id", string())
            .field("description", Presence::Null, string())
            .build(),
        "SchemaRef" => Obj::new(direction)
            .doc("Informational schema reference.")
            .req("schema_id", string())
            .field("version", Presence::Null, string())
            .field("uri", Presence::Null, string())
            .build(),
        "StageSpec" => Obj::new(direction)
            .doc("One stage: its gates must all be True for the stage to pass.")
            .req("stage_id", string())
            .req_doc("entry_packets", "Packets issued when the stage is entered.", array(reference("PacketSpec")))
            .req_doc("gates", "Gates (empty = the stage passes on the first trigger).", array(reference("GateSpec")))
            .req("advance_to", reference("AdvanceTo"))
            .field("timeout", Presence::Null, reference("TimeoutSpec"))
            .req_doc("on_timeout", "What a timeout does (required even without `timeout`).", timeout_policy())
            .build(),
        "AdvanceTo" => advance_to(direction),
        "BranchRule" => Obj::new(direction)
            .doc("When gate `gate_id` has `outcome`, go to `next_stage_id`.")
            .req("gate_id", string())
            .req("outcome", branch_outcome())
            .req("next_stage_id", string())
            .build(),
        "TimeoutSpec" => Obj::new(direction)
            .doc("Stage timeout, evaluated lazily on `tick` triggers.")
            .req("timeout_ms", super::builder::unsigned())
            .req("policy_tags", strings())
            .build(),
        "GateSpec" => Obj::new(direction)
            .doc("A gate: a requirement tree over condition ids, with an optional trust floor.")
            .req("gate_id", string())
            .req("requirement", reference("Requirement"))
            .field("trust", Presence::Omit, reference("TrustRequirement"))
            .build(),
        "Requirement" => requirement(),
        "ConditionSpec" => Obj::new(direction)
            .doc("A condition: an evidence query plus a comparison with the expected value.")
            .req("condition_id", string())
            .req("query", reference("EvidenceQuery"))
            .req("comparator", comparator())
            .field("expected", Presence::Null, with_doc(any(), "Expected value; null means absent."))
            .req("policy_tags", strings())
            .field("trust", Presence::Omit, reference("TrustRequirement"))
            .build(),
        "EvidenceQuery" => Obj::new(direction)
            .doc("A question to an evidence provider.")
            .req("provider_id", string())
            .req("check_id", string())
            .field("params", Presence::Omit, with_doc(any(), "Check parameters (see provider_check_schema_get)."))
            .build(),
        "PacketSpec" => Obj::new(direction)
            .doc("A packet disclosed when its stage is entered.")
            .req("packet_id", string())
            .req("schema_id", string())
            .req("content_type", string())
            .req("visibility_labels", strings())
            .req("policy_tags", strings())
            .field("expiry", Presence::Null, timestamp())
            .req("payload", reference("PacketPayload"))
            .build(),
        _ => return None,
    })
}

fn advance_to(direction: Direction) -> Value {
    with_doc(
        one_of(vec![
            tagged(direction, "kind", "linear").build(),
            tagged(direction, "kind", "fixed").req("stage_id", string()).build(),
            tagged(direction, "kind", "branch")
                .req("branches", array(reference("BranchRule")))
                .field("default", Presence::Null, string())
                .build(),
            tagged(direction, "kind", "terminal").build(),
        ]),
        "Where a passing stage goes, tagged by `kind`: `linear` (next stage in order), `fixed`, \
         `branch` (first matching rule, else `default`) or `terminal` (completes the run).",
    )
}

fn requirement() -> Value {
    let node = || reference("Requirement");
    let single = |key: &str, value: Value| {
        json!({
            "type": "object",
            "properties": {key: value},
            "required": [key],
            "additionalProperties": false
        })
    };
    with_doc(
        one_of(vec![
            single("And", array(node())),
            single("Or", array(node())),
            single("Not", node()),
            single(
                "RequireGroup",
                json!({
                    "type": "object",
                    "properties": {
                        "min": {"type": "integer", "minimum": 0, "maximum": 255},
                        "reqs": array(node())
                    },
                    "required": ["min", "reqs"],
                    "additionalProperties": false
                }),
            ),
            single("Condition", with_doc(string(), "Condition id.")),
        ]),
        "Requirement tree node with exactly one PascalCase key: And, Or, Not, RequireGroup {min, reqs} \
         or Condition (a condition id). Evaluated with strong Kleene logic.",
    )
}
