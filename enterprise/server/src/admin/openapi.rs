// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The OpenAPI 3.1 document of the admin API, served at `/admin/v1/openapi.json`.
//!
//! The document is a reviewed JSON file, and it is also what the server enforces: every
//! request body is validated against its schema in the document before it is read
//! ([`validate_request`]), so the document cannot promise what the server refuses nor leave a
//! rule unstated that the body's form breaks. Rules that depend on stored state (a principal
//! that is not the organisation's, a name already taken) are checked after, with the statuses
//! the document lists. The tests below keep the document and the router in step (every route
//! documented, nothing documented that is not routed, every request schema closed) and the
//! schemas and the request types in step.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Value, json};

static DOCUMENT: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(include_str!("openapi.json")).unwrap_or(Value::Null));

/// The document.
pub fn document() -> &'static Value {
    &DOCUMENT
}

/// The request schemas the server enforces, by name.
pub const REQUEST_SCHEMAS: [&str; 8] = [
    "NameRequest",
    "TenantRequest",
    "OwnerRequest",
    "PrincipalRequest",
    "GrantRequest",
    "IssueKeyRequest",
    "RotateKeyRequest",
    "Allowlist",
];

static VALIDATORS: LazyLock<HashMap<&'static str, jsonschema::Validator>> = LazyLock::new(|| {
    let schemas = &document()["components"]["schemas"];
    REQUEST_SCHEMAS
        .iter()
        .filter_map(|name| {
            let mut schema = schemas[*name].clone();
            schema.as_object_mut()?.insert("components".into(), json!({"schemas": schemas}));
            jsonschema::validator_for(&schema).ok().map(|validator| (*name, validator))
        })
        .collect()
});

/// Checks a request body against its schema in the document: `Err` names the first rule it
/// breaks and where. A schema that is missing or does not compile refuses everything (fail
/// closed; a test keeps every one compiling).
pub fn validate_request(schema: &str, body: &Value) -> Result<(), String> {
    let Some(validator) = VALIDATORS.get(schema) else {
        return Err(format!("no schema {schema} for this body"));
    };
    match validator.iter_errors(body).next() {
        None => Ok(()),
        Some(error) => {
            let at = error.instance_path().to_string();
            Err(if at.is_empty() { error.to_string() } else { format!("{at}: {error}") })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::admin::http::ROUTES;

    #[test]
    fn the_document_describes_exactly_the_routed_operations() {
        let document = document();
        assert_eq!(document["openapi"], "3.1.0");
        let mut documented = BTreeSet::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                documented.insert((method.clone(), path.clone()));
            }
        }
        let routed: BTreeSet<(String, String)> =
            ROUTES.iter().map(|(method, path)| ((*method).to_owned(), (*path).to_owned())).collect();
        assert_eq!(documented, routed);
    }

    #[test]
    fn every_reference_resolves_and_request_schemas_are_closed() {
        let document = document();
        let text = document.to_string();
        for piece in text.split("\"$ref\":\"#/components/").skip(1) {
            let pointer = format!("/components/{}", piece.split('"').next().expect("ref"));
            assert!(document.pointer(&pointer).is_some(), "{pointer}");
        }
        for name in [
            "NameRequest",
            "TenantRequest",
            "OwnerRequest",
            "IssueKeyRequest",
            "RotateKeyRequest",
            "GrantRequest",
            "PrincipalRequest",
            "Allowlist",
        ] {
            assert_eq!(document["components"]["schemas"][name]["additionalProperties"], false, "{name}");
        }
    }

    #[test]
    fn every_enforced_request_schema_compiles() {
        for name in REQUEST_SCHEMAS {
            assert!(VALIDATORS.contains_key(name), "{name}");
        }
        assert_eq!(validate_request("IssueKeyRequest", &serde_json::json!({"name": "ci", "roles": ["agent"]})), Ok(()));
        let refused = validate_request("NameRequest", &serde_json::json!({"name": "bad\nname"}));
        assert!(refused.as_ref().is_err_and(|message| message.starts_with("/name: ")), "{refused:?}");
        assert!(validate_request("Unknown", &serde_json::json!({})).is_err());
    }

    #[test]
    fn request_schemas_accept_what_the_server_accepts() {
        let schemas = &document()["components"]["schemas"];
        let check = |name: &str, instance: Value, valid: bool| {
            let mut schema = schemas[name].clone();
            if let Some(object) = schema.as_object_mut() {
                object.insert("components".into(), serde_json::json!({"schemas": schemas}));
            }
            let validator = jsonschema::validator_for(&schema).expect("compiles");
            assert_eq!(validator.is_valid(&instance), valid, "{name}: {instance}");
        };
        check("IssueKeyRequest", serde_json::json!({"name": "ci", "roles": ["agent"]}), true);
        check("IssueKeyRequest", serde_json::json!({"name": "ci", "roles": ["root"]}), false);
        check("IssueKeyRequest", serde_json::json!({"name": "ci", "roles": ["agent"], "secret": "x"}), false);
        check("RotateKeyRequest", serde_json::json!({"overlap_seconds": 60}), true);
        check("Allowlist", serde_json::json!({"networks": ["10.0.0.0/8"]}), true);
    }
}
