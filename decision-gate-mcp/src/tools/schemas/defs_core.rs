//! Shared encodings: timestamps, hash digests, payloads, dispatch targets and enumerations.

use decision_gate_core::comparator::Comparator;
use serde_json::{Value, json};

use super::builder::{
    Direction, Obj, Presence, array, bytes, constant, one_of, reference, string, string_enum, tagged, with_doc,
};

/// `Timestamp` reference.
pub(super) fn timestamp() -> Value {
    reference("Timestamp")
}

/// `HashDigest` reference.
pub(super) fn hash_digest() -> Value {
    reference("HashDigest")
}

/// `TrustLane`: lowercase lane names.
pub(super) fn trust_lane() -> Value {
    with_doc(string_enum(&["verified", "asserted"]), "Trust lane: asserted (rank 0) < verified (rank 1).")
}

/// `TriState`: capitalised truth values.
pub(super) fn tri_state() -> Value {
    string_enum(&["True", "False", "Unknown"])
}

/// `RunStatus`.
pub(super) fn run_status() -> Value {
    string_enum(&["active", "completed", "failed"])
}

/// `TriggerKind`.
pub(super) fn trigger_kind() -> Value {
    with_doc(
        string_enum(&["agent_request_next", "tick", "external_event", "backend_event"]),
        "Trigger kind; only `tick` has special meaning (it evaluates stage timeouts).",
    )
}

/// `Comparator`: the sixteen comparator names in canonical order.
pub(super) fn comparator() -> Value {
    let names: Vec<&str> = Comparator::ALL.iter().map(|comparator| comparator.name()).collect();
    string_enum(&names)
}

/// `TimeoutPolicy`.
pub(super) fn timeout_policy() -> Value {
    string_enum(&["fail", "advance_with_flag", "alternate_branch"])
}

/// `BranchOutcome`: lowercase gate outcomes named by branch rules.
pub(super) fn branch_outcome() -> Value {
    string_enum(&["true", "false", "unknown"])
}

/// Definitions of this module.
pub(super) fn definition(name: &str, direction: Direction) -> Option<Value> {
    Some(match name {
        "Timestamp" => timestamp_def(),
        "HashDigest" => Obj::new(direction)
            .req("algorithm", constant("sha256"))
            .req("value", with_doc(string(), "Lowercase hex."))
            .build(),
        "TrustRequirement" => Obj::new(direction)
            .doc("A minimum trust lane; can only tighten the server's requirement.")
            .req("min_lane", trust_lane())
            .build(),
        "PacketPayload" => packet_payload(direction),
        "ContentRef" => Obj::new(direction)
            .req("uri", string())
            .req("content_hash", hash_digest())
            .field("encryption", Presence::Null, string())
            .build(),
        "DispatchTarget" => dispatch_target(direction),
        _ => return None,
    })
}

/// `{kind, value}`: `unix_millis` (i64 milliseconds) or `logical` (u64), as one compact object
/// schema (serde refuses out-of-range values itself).
fn timestamp_def() -> Value {
    json!({
        "type": "object",
        "properties": {
            "kind": string_enum(&["unix_millis", "logical"]),
            "value": {"type": "integer"}
        },
        "required": ["kind", "value"],
        "additionalProperties": false,
        "description": "Caller's time (unix_millis or logical); the server never reads a clock."
    })
}

fn packet_payload(direction: Direction) -> Value {
    with_doc(
        one_of(vec![
            tagged(direction, "kind", "json").req("value", super::builder::any()).build(),
            tagged(direction, "kind", "bytes").req("bytes", bytes()).build(),
            tagged(direction, "kind", "external").req("content_ref", reference("ContentRef")).build(),
        ]),
        "Tagged by `kind`: json, bytes (0..=255 each) or external.",
    )
}

fn dispatch_target(direction: Direction) -> Value {
    with_doc(
        one_of(vec![
            tagged(direction, "kind", "agent").req("agent_id", string()).build(),
            tagged(direction, "kind", "session").req("session_id", string()).build(),
            tagged(direction, "kind", "external").req("system", string()).req("target", string()).build(),
            tagged(direction, "kind", "channel").req("channel", string()).build(),
        ]),
        "Packet destination tagged by `kind`.",
    )
}

/// An array of dispatch targets.
pub(super) fn dispatch_targets() -> Value {
    array(reference("DispatchTarget"))
}
