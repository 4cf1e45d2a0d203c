//! Catalogue facts, schema compilation and the two tool-list shapes.

use serde_json::Value;

use super::{compile, compile_rpc};
use crate::tools::catalogue::{
    ToolName, ToolScope, mcp_tool_list, rpc_tool_list, rpc_tool_list_filtered, tool_definitions,
};
use crate::tools::schemas::{
    Direction, JSON_SCHEMA_DIALECT, SCENARIO_SCHEMA_URI, definition, full_output_schema, input_schema, output_schema,
    rpc_input_schema, scenario_schema, validation_schema,
};

const CANONICAL: [&str; 17] = [
    "scenario_define",
    "scenario_start",
    "scenario_status",
    "scenario_next",
    "scenario_submit",
    "scenario_trigger",
    "evidence_query",
    "runpack_export",
    "runpack_verify",
    "providers_list",
    "provider_contract_get",
    "provider_check_schema_get",
    "schemas_register",
    "schemas_list",
    "schemas_get",
    "scenarios_list",
    "precheck",
];

#[test]
fn names_are_canonical_and_round_trip() {
    let names: Vec<&str> = ToolName::ALL.iter().map(|tool| tool.as_str()).collect();
    assert_eq!(names, CANONICAL);
    for (index, tool) in ToolName::ALL.into_iter().enumerate() {
        assert_eq!(tool.index(), index);
        assert_eq!(ToolName::from_name(tool.as_str()), Some(tool));
        assert_eq!(tool.as_str().parse::<ToolName>(), Ok(tool));
        assert_eq!(tool.to_string(), tool.as_str());
        assert_eq!(serde_json::to_value(tool).unwrap(), Value::String(tool.as_str().to_owned()));
        assert_eq!(tool.metrics_label(), tool.as_str());
        assert!(!tool.title().is_empty());
        assert!(tool.description().len() > 50, "{tool} needs a useful description");
        assert!(!tool.writes().is_empty());
    }
    assert_eq!(ToolName::from_name("decision_gate_docs_search"), None);
    assert_eq!(ToolName::from_name("Scenario_Define"), None);
    assert!("nope".parse::<ToolName>().is_err());
    assert_eq!(ToolName::metrics_label_for("nope"), "unknown");
    assert_eq!(ToolName::metrics_label_for("precheck"), "precheck");
}

#[test]
fn annotations_scoping_and_writes_follow_the_catalogue() {
    let read_only = [
        "scenario_status",
        "runpack_verify",
        "providers_list",
        "provider_contract_get",
        "provider_check_schema_get",
        "schemas_list",
        "schemas_get",
        "scenarios_list",
        "precheck",
    ];
    let open_world = ["scenario_next", "scenario_trigger", "evidence_query"];
    for tool in ToolName::ALL {
        let annotations = tool.annotations();
        assert_eq!(annotations.read_only_hint, read_only.contains(&tool.as_str()), "{tool}");
        assert_eq!(annotations.open_world_hint, open_world.contains(&tool.as_str()), "{tool}");
        assert!(!annotations.destructive_hint);
        let json = annotations.to_json();
        assert_eq!(json["readOnlyHint"], annotations.read_only_hint);
        assert_eq!(json["openWorldHint"], annotations.open_world_hint);
        assert_eq!(json["destructiveHint"], false);
        assert_eq!(serde_json::to_value(annotations).unwrap(), json);
    }
    let tenant_level = ["providers_list", "provider_contract_get", "provider_check_schema_get"];
    for tool in ToolName::ALL {
        assert_eq!(tool.is_namespace_level(), !tenant_level.contains(&tool.as_str()), "{tool}");
        assert_eq!(tool.mutates(), !tool.annotations().read_only_hint, "{tool}");
    }
    assert_eq!(ToolName::RunpackVerify.scope(), ToolScope::Namespace);
    assert_eq!(ToolName::ProvidersList.scope(), ToolScope::Tenant);
    assert_eq!(ToolName::SchemasRegister.scope(), ToolScope::Namespace);
    assert_eq!(ToolName::ScenarioStatus.writes(), "nothing");
    assert_eq!(ToolName::ScenarioDefine.writes(), "scenario store");
}

#[test]
fn every_schema_compiles_as_draft_2020_12() {
    for tool in ToolName::ALL {
        for (kind, schema) in [("input", validation_schema(tool)), ("output", full_output_schema(tool))] {
            assert_eq!(schema["$schema"], JSON_SCHEMA_DIALECT, "{tool} {kind}");
            assert_eq!(schema["type"], "object", "{tool} {kind}");
            assert_eq!(schema["additionalProperties"], false, "{tool} {kind}");
            compile(&schema);
            assert_no_dangling_refs(&schema, &format!("{tool} {kind}"));
        }
        // The published forms: 2020-12 by MCP's default, compact, still valid schemas.
        for (kind, schema) in [("published input", input_schema(tool)), ("published output", output_schema(tool))] {
            assert_eq!(schema.get("$schema"), None, "{tool} {kind}");
            assert_eq!(schema["type"], "object", "{tool} {kind}");
            compile(&schema);
            assert_no_dangling_refs(&schema, &format!("{tool} {kind}"));
        }
        assert_eq!(input_schema(tool)["additionalProperties"], false, "{tool}: unknown arguments are refused");
        compile_rpc(&rpc_input_schema(tool));
    }
    let scenario = scenario_schema();
    assert_eq!(scenario["$id"], SCENARIO_SCHEMA_URI);
    compile(&scenario);
}

/// Every `#/$defs/X` reference names a definition present in the document.
fn assert_no_dangling_refs(schema: &Value, what: &str) {
    fn walk(value: &Value, defs: &serde_json::Map<String, Value>, what: &str) {
        match value {
            Value::Object(map) => {
                if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                    let name = target.strip_prefix("#/$defs/").unwrap_or_else(|| panic!("{what}: ref {target}"));
                    assert!(defs.contains_key(name), "{what}: dangling ref {target}");
                }
                map.values().for_each(|child| walk(child, defs, what));
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, defs, what)),
            _ => {}
        }
    }
    let empty = serde_json::Map::new();
    let defs = schema.get("$defs").and_then(Value::as_object).unwrap_or(&empty);
    walk(schema, defs, what);
}

#[test]
fn scenario_is_embedded_for_mcp_and_referenced_for_rpc() {
    for tool in [ToolName::ScenarioDefine, ToolName::Precheck] {
        let mcp = validation_schema(tool);
        assert!(mcp["$defs"]["ScenarioSpec"].is_object(), "{tool}");
        assert!(mcp["$defs"]["Requirement"].is_object(), "{tool}");
        let rpc = rpc_input_schema(tool);
        let text = rpc.to_string();
        assert!(text.contains(SCENARIO_SCHEMA_URI), "{tool}");
        assert!(!text.contains("#/$defs/ScenarioSpec"), "{tool}");
        assert!(rpc["$defs"].get("ScenarioSpec").is_none(), "{tool}");
        assert!(rpc["$defs"].get("Requirement").is_none(), "{tool}");
    }
    assert_eq!(input_schema(ToolName::ScenarioDefine)["properties"]["spec"]["$ref"], "#/$defs/ScenarioSpec");
    assert_eq!(rpc_input_schema(ToolName::ScenarioDefine)["properties"]["spec"]["$ref"], SCENARIO_SCHEMA_URI);
    // The published precheck schema describes the inline spec instead of a second copy.
    let published = input_schema(ToolName::Precheck);
    assert_eq!(published.get("$defs").and_then(|defs| defs.get("ScenarioSpec")), None);
    assert_eq!(published["properties"]["spec"]["type"], serde_json::json!(["object", "null"]));
    // Tools without a scenario are identical in both forms (but for `$schema`).
    for tool in ToolName::ALL {
        if !matches!(tool, ToolName::ScenarioDefine | ToolName::Precheck) {
            let mut published = input_schema(tool);
            published["$schema"] = Value::from(JSON_SCHEMA_DIALECT);
            assert_eq!(published, rpc_input_schema(tool), "{tool}");
        }
    }
    // Requirement trees are recursive through $ref.
    let requirement = definition("Requirement", Direction::Input).unwrap().to_string();
    assert!(requirement.contains("#/$defs/Requirement"));
}

#[test]
fn definitions_and_tool_lists_are_in_canonical_order() {
    let definitions = tool_definitions();
    assert_eq!(definitions.len(), 17);
    for (definition, tool) in definitions.iter().zip(ToolName::ALL) {
        assert_eq!(definition.name, tool);
        assert_eq!(definition.title, tool.title());
        assert_eq!(definition.description, tool.description());
        assert_eq!(definition.annotations, tool.annotations());
        assert_eq!(definition.input_schema, input_schema(tool));
        assert_eq!(definition.output_schema, output_schema(tool));
        assert!(std::ptr::eq(tool.definition(), definition));
        let mcp = definition.to_mcp_json();
        let keys: Vec<&String> = mcp.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["name", "title", "description", "inputSchema", "outputSchema", "annotations"]);
    }

    let listed = mcp_tool_list(|tool| tool != ToolName::Precheck);
    let names: Vec<&str> = listed["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, CANONICAL[..16]);

    let rpc = rpc_tool_list();
    let tools = rpc["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 17);
    for (entry, tool) in tools.iter().zip(ToolName::ALL) {
        let keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["name", "description", "input_schema"]);
        assert_eq!(entry["name"], tool.as_str());
        assert_eq!(entry["description"], tool.description());
        assert_eq!(entry["input_schema"], rpc_input_schema(tool));
    }
    assert_eq!(rpc.as_object().unwrap().len(), 1);
    let filtered = rpc_tool_list_filtered(|tool| tool.is_namespace_level());
    assert_eq!(filtered["tools"].as_array().unwrap().len(), 14);
}

#[test]
fn required_and_optional_arguments_match_the_published_contract() {
    let expect = |tool: ToolName, required: &[&str], optional: &[&str]| {
        let schema = input_schema(tool);
        let mut found: Vec<&str> =
            schema["required"].as_array().unwrap().iter().map(|name| name.as_str().unwrap()).collect();
        found.sort_unstable();
        let mut wanted = required.to_vec();
        wanted.sort_unstable();
        assert_eq!(found, wanted, "{tool} required");
        let mut properties: Vec<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        properties.sort_unstable();
        let mut all: Vec<&str> = required.iter().chain(optional).copied().collect();
        all.sort_unstable();
        assert_eq!(properties, all, "{tool} properties");
    };
    expect(ToolName::ScenarioDefine, &["spec"], &["tenant_id"]);
    expect(ToolName::ScenarioStart, &["scenario_id", "run_config", "started_at", "issue_entry_packets"], &[]);
    expect(ToolName::ScenarioStatus, &["scenario_id", "request"], &[]);
    expect(ToolName::ScenarioNext, &["scenario_id", "request"], &["feedback"]);
    expect(ToolName::ScenarioSubmit, &["scenario_id", "request"], &[]);
    expect(ToolName::ScenarioTrigger, &["scenario_id", "trigger"], &[]);
    expect(ToolName::EvidenceQuery, &["query", "context"], &[]);
    expect(
        ToolName::RunpackExport,
        &["scenario_id", "run_id", "generated_at", "include_verification"],
        &["tenant_id", "namespace_id", "output_dir", "manifest_name"],
    );
    expect(ToolName::RunpackVerify, &["runpack_dir", "manifest_path"], &["tenant_id", "namespace_id"]);
    expect(ToolName::ProvidersList, &[], &["tenant_id"]);
    expect(ToolName::ProviderContractGet, &["provider_id"], &["tenant_id"]);
    expect(ToolName::ProviderCheckSchemaGet, &["provider_id", "check_id"], &["tenant_id"]);
    expect(ToolName::SchemasRegister, &["record"], &[]);
    expect(ToolName::SchemasList, &[], &["tenant_id", "namespace_id", "cursor", "limit"]);
    expect(ToolName::SchemasGet, &["schema_id", "version"], &["tenant_id", "namespace_id"]);
    expect(ToolName::ScenariosList, &[], &["tenant_id", "namespace_id", "cursor", "limit"]);
    expect(
        ToolName::Precheck,
        &["data_shape", "payload"],
        &["tenant_id", "namespace_id", "scenario_id", "spec", "stage_id"],
    );
    // What the server knows is optional in nested requests too, and says its default.
    let optional = |name: &str, keys: &[&str]| {
        let def = definition(name, Direction::Input).unwrap();
        let required: Vec<&str> = def["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        for key in keys {
            assert!(!required.contains(key), "{name}.{key} is optional");
            let text = def["properties"][key]["description"].as_str().unwrap_or_default();
            assert!(text.starts_with("Default") || text.contains("default"), "{name}.{key} states its default: {text}");
        }
    };
    optional("RunConfig", &["tenant_id", "namespace_id", "scenario_id", "policy_tags"]);
    optional("StatusRequest", &["tenant_id", "namespace_id"]);
    optional("NextRequest", &["tenant_id", "namespace_id"]);
    optional("SubmitRequest", &["tenant_id", "namespace_id"]);
    optional("TriggerEvent", &["tenant_id", "namespace_id"]);
    optional("EvidenceContext", &["tenant_id", "namespace_id", "run_id", "scenario_id", "stage_id", "trigger_id"]);
    optional("DataShapeRecord", &["tenant_id", "namespace_id"]);
    let status = output_schema(ToolName::ScenarioStatus);
    assert!(status["required"].as_array().unwrap().contains(&Value::from("namespace_id")));
}

#[test]
fn the_published_tool_list_is_compact() {
    let list = serde_json::to_vec(&mcp_tool_list(|_| true)).unwrap();
    assert!(list.len() < 40_000, "tools/list is {} bytes", list.len());
    for definition in tool_definitions() {
        let size = serde_json::to_vec(&definition.to_mcp_json()).unwrap().len();
        assert!(size < 11_000, "{} is {size} bytes", definition.name);
    }
}
