//! Data shapes, runpack manifests and reports, listings and provider contracts.

use serde_json::{Value, json};

use super::builder::{
    Direction, Obj, Presence, any, array, boolean, nonzero_id, reference, string, string_enum, strings, unsigned,
    with_doc,
};
use super::defs_core::{comparator, hash_digest, timestamp};

/// `VerificationStatus`.
pub(super) fn verification_status() -> Value {
    string_enum(&["pass", "fail"])
}

/// Determinism class of a provider check.
pub(super) fn determinism() -> Value {
    string_enum(&["deterministic", "time_dependent", "external"])
}

/// Feedback level of `scenario_next`.
pub(super) fn feedback_level() -> Value {
    with_doc(
        string_enum(&["summary", "trace", "evidence"]),
        "Feedback level: summary < trace (gate evaluations) < evidence (gate records with redacted evidence).",
    )
}

fn artifact_kind() -> Value {
    string_enum(&[
        "scenario_spec",
        "trigger_log",
        "gate_eval_log",
        "decision_log",
        "packet_log",
        "submission_log",
        "tool_transcript",
        "verifier_report",
        "dispatch_log",
        "evidence_log",
        "custom",
    ])
}

/// Definitions of this module.
pub(super) fn definition(name: &str, direction: Direction) -> Option<Value> {
    let obj = || Obj::new(direction);
    Some(match name {
        "DataShapeRecord" => obj()
            .doc("A registered data shape: a JSON Schema for asserted data, immutable once registered.")
            .field("tenant_id", Presence::Dflt, with_doc(nonzero_id(), super::defs_run::TENANT_DEFAULT))
            .field("namespace_id", Presence::Dflt, with_doc(nonzero_id(), super::defs_run::NAMESPACE_DEFAULT))
            .req("schema_id", string())
            .req_doc("version", "Exact version (opaque; ordered byte-wise).", string())
            .req_doc(
                "schema",
                "The JSON Schema (draft 2020-12) that asserted payloads must match.",
                json!({"type": ["object", "boolean"]}),
            )
            .field("description", Presence::NullReq, string())
            .req_doc("created_at", "Client-supplied creation time (the server never stamps it).", timestamp())
            .field("signing", Presence::Omit, reference("DataShapeSignature"))
            .build(),
        "DataShapeSignature" => obj()
            .doc("Opaque signing metadata (never verified cryptographically; may be required by policy).")
            .req("key_id", string())
            .req("signature", string())
            .field("algorithm", Presence::Omit, string())
            .build(),
        "DataShapeRef" => obj()
            .doc("A registered data shape of the caller's tenant and namespace, by exact version.")
            .req("schema_id", string())
            .req("version", string())
            .build(),
        "RunpackManifest" => runpack_manifest(direction),
        "EvidenceAnchorPolicy" => {
            obj().field("providers", Presence::Dflt, array(reference("ProviderAnchorPolicy"))).build()
        }
        "ProviderAnchorPolicy" => {
            obj().req("provider_id", string()).req("requirement", reference("AnchorRequirement")).build()
        }
        "AnchorRequirement" => obj().req("anchor_type", string()).req("required_fields", strings()).build(),
        "RunpackSecurityContext" => obj().req("dev_permissive", boolean()).req("namespace_authority", string()).build(),
        "RunpackIntegrity" => obj()
            .req_doc("file_hashes", "File hashes in write order.", array(reference("FileHash")))
            .req("root_hash", hash_digest())
            .build(),
        "FileHash" => obj().req("path", string()).req("hash", hash_digest()).build(),
        "ArtifactRecord" => obj()
            .req("artifact_id", string())
            .req("kind", artifact_kind())
            .req("path", string())
            .field("content_type", Presence::NullReq, string())
            .req("hash", hash_digest())
            .req("required", boolean())
            .build(),
        "RunpackSignature" => obj()
            .req("algorithm", string())
            .req("key_id", string())
            .req("public_key_fingerprint", hash_digest())
            .req("signature", string())
            .build(),
        "VerificationReport" => obj()
            .doc("Runpack verification report (also the embedded verifier_report.json).")
            .req("checked_files", unsigned())
            .req("errors", strings())
            .req("status", verification_status())
            .build(),
        "VerificationSummary" => obj()
            .doc("Verification report plus manifest version and signature facts.")
            .req("status", verification_status())
            .req("checked_files", unsigned())
            .req("errors", strings())
            .req("manifest_version", string())
            .req_doc("legacy", "True for Decision Gate OSS v1 runpacks.", boolean())
            .req_doc("signed", "True only when a v2 signature was present and verified.", boolean())
            .field("signing_key_id", Presence::NullReq, string())
            .build(),
        "ScenarioSummary" => {
            obj().req("scenario_id", string()).req("namespace_id", nonzero_id()).req("spec_hash", hash_digest()).build()
        }
        "ProviderSummary" => obj()
            .req("provider_id", string())
            .req("transport", string_enum(&["builtin", "mcp"]))
            .req_doc("checks", "Check ids offered by the provider.", strings())
            .build(),
        "ProviderContract" => obj()
            .doc("A provider's capability contract.")
            .req("provider_id", string())
            .field("name", Presence::Opt, string())
            .field("description", Presence::Opt, string())
            .req("transport", string_enum(&["builtin", "mcp"]))
            .field("config_schema", Presence::Opt, any())
            .req("checks", array(reference("ProviderCheckContract")))
            .field("notes", Presence::Opt, strings())
            .build_open(),
        "ProviderCheckContract" => obj()
            .req("check_id", string())
            .field("description", Presence::Opt, string())
            .req("determinism", determinism())
            .req("params_required", boolean())
            .req("params_schema", any())
            .req("result_schema", any())
            .req("allowed_comparators", array(comparator()))
            .req("anchor_types", strings())
            .req("content_types", strings())
            .req("examples", array(reference("CheckExample")))
            .build_open(),
        "CheckExample" => obj()
            .field("description", Presence::Opt, string())
            .field("params", Presence::Opt, any())
            .field("result", Presence::Opt, any())
            .build_open(),
        _ => return None,
    })
}

fn runpack_manifest(direction: Direction) -> Value {
    Obj::new(direction)
        .doc("Runpack manifest: every artifact's hash and the root hash (v2 covers the whole manifest).")
        .req_doc("manifest_version", "`v2` when written by this server; `v1` for Decision Gate OSS runpacks.", string())
        .req("generated_at", timestamp())
        .req("scenario_id", string())
        .req("tenant_id", nonzero_id())
        .req("namespace_id", nonzero_id())
        .req("run_id", string())
        .req("spec_hash", hash_digest())
        .req("hash_algorithm", super::builder::constant("sha256"))
        .req("verifier_mode", string_enum(&["offline_strict", "offline_with_fetch"]))
        .field("anchor_policy", Presence::Omit, reference("EvidenceAnchorPolicy"))
        .field("security", Presence::Omit, reference("RunpackSecurityContext"))
        .req("integrity", reference("RunpackIntegrity"))
        .req("artifacts", array(reference("ArtifactRecord")))
        .field("signature", Presence::Omit, reference("RunpackSignature"))
        .build()
}
