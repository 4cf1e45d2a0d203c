// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The OpenAPI 3.1 document of the admin API, served at `/admin/v1/openapi.json`.
//!
//! The document is kept as a reviewed JSON file rather than generated from annotations: it is
//! the API's contract, read by people and client generators, and the tests below keep it and
//! the router in step (every route documented, nothing documented that is not routed, every
//! request schema closed).

use std::sync::LazyLock;

use serde_json::Value;

static DOCUMENT: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(include_str!("openapi.json")).unwrap_or(Value::Null));

/// The document.
pub fn document() -> &'static Value {
    &DOCUMENT
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
