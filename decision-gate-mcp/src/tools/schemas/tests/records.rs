//! Data shapes, runpacks and provider discovery outputs validate against their schemas.

use decision_gate_core::engine::EngineConfig;
use decision_gate_core::evidence::{AnchorRequirement, EvidenceAnchorPolicy, ProviderAnchorPolicy};
use decision_gate_core::hashing::hash_canonical;
use decision_gate_core::ids::RunId;
use decision_gate_core::ports::{
    DataShapeRecord, DataShapeRegistry, DataShapeSignature, MemoryArtifactStore, MemoryDataShapeRegistry,
    RegistryLimits, RunStateStore,
};
use decision_gate_core::run::TriggerKind;
use decision_gate_core::runpack::{
    RunpackBuildOptions, RunpackSecurityContext, RunpackSigningKey, TrustedRunpackKey, VerificationStatus,
    VerifyOptions, build_runpack, verify_runpack,
};
use decision_gate_core::time::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};

use super::engine::{harness, namespace, next, run_config, spec, tenant, trigger};
use super::{assert_invalid, assert_valid, output_validator};
use crate::tools::catalogue::ToolName;

fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

fn shape(schema_id: &str, signing: Option<DataShapeSignature>) -> DataShapeRecord {
    serde_json::from_value::<DataShapeRecord>(json!({
        "tenant_id": 1, "namespace_id": 1, "schema_id": schema_id, "version": "v1",
        "schema": {"type": "object", "properties": {"a": {"type": "integer"}}},
        "description": if signing.is_some() { Value::from("signed shape") } else { Value::Null },
        "created_at": {"kind": "unix_millis", "value": 1_700_000_000_000i64}
    }))
    .map(|record| DataShapeRecord { signing, ..record })
    .unwrap()
}

#[test]
fn data_shape_outputs_validate() {
    let register = output_validator(ToolName::SchemasRegister);
    let get = output_validator(ToolName::SchemasGet);
    let list = output_validator(ToolName::SchemasList);
    let registry = MemoryDataShapeRegistry::new(RegistryLimits::default());
    let records = [
        shape("a-unsigned", None),
        shape("b-signed", Some(DataShapeSignature { key_id: "k".into(), signature: "sig".into(), algorithm: None })),
        shape(
            "c-signed-alg",
            Some(DataShapeSignature { key_id: "k".into(), signature: "sig".into(), algorithm: Some("ed25519".into()) }),
        ),
    ];
    for record in &records {
        registry.register(record).unwrap();
        let value = json!({"record": to_json(record)});
        assert_valid(&register, &value, record.schema_id.as_str());
        assert_valid(&get, &value, record.schema_id.as_str());
    }
    assert!(to_json(&records[0]).get("signing").is_none());
    assert!(to_json(&records[1])["signing"].get("algorithm").is_none());

    let first = registry.list(tenant(), namespace(), None, 2).unwrap();
    assert!(first.next_token.is_some());
    assert_valid(&list, &to_json(&first), "schemas_list first page");
    let last = registry.list(tenant(), namespace(), first.next_token.as_deref(), 2).unwrap();
    assert_eq!(last.next_token, None);
    assert_valid(&list, &to_json(&last), "schemas_list last page");

    let mut null_signing = json!({"record": to_json(&records[0])});
    null_signing["record"]["signing"] = Value::Null;
    assert_invalid(&get, &null_signing, "signing is omitted, never null, in outputs");
    let mut no_description = json!({"record": to_json(&records[0])});
    no_description["record"].as_object_mut().unwrap().remove("description");
    assert_invalid(&get, &no_description, "description is always present");
}

#[test]
fn runpack_outputs_validate() {
    let export = output_validator(ToolName::RunpackExport);
    let verify = output_validator(ToolName::RunpackVerify);

    let h = harness(EngineConfig::default());
    h.engine.start_run(&run_config("a"), Timestamp::Logical(0), true).unwrap();
    h.engine.scenario_next(&next("a", "t1", 1)).unwrap();
    h.provider.answer("a", decision_gate_core::evidence::EvidenceResult::json(json!(1)));
    h.engine.trigger(&trigger("a", "t2", TriggerKind::Tick, 2)).unwrap();
    let (state, _) = h.store.load(tenant(), namespace(), &RunId::new("a")).unwrap().unwrap();
    let spec = spec();

    // Signed, verified at export, with the server's security context.
    let key = RunpackSigningKey::from_seed_material("key-1", &[7u8; 32]).unwrap();
    let empty_policy = EvidenceAnchorPolicy::default();
    let mut signed_store = MemoryArtifactStore::default();
    let signed = build_runpack(
        &spec,
        &state,
        &mut signed_store,
        &RunpackBuildOptions {
            generated_at: Timestamp::Logical(10),
            include_verification: true,
            anchor_policy: &empty_policy,
            security: Some(RunpackSecurityContext {
                dev_permissive: false,
                namespace_authority: "dg_registry".to_owned(),
            }),
            signing_key: Some(&key),
            evidence_keys: None,
        },
    )
    .unwrap();
    let manifest = to_json(&signed.manifest);
    assert!(manifest["signature"].is_object() && manifest["security"].is_object());
    assert_valid(&export, &json!({"manifest": manifest, "report": to_json(&signed.report)}), "signed export");
    assert_valid(
        &export,
        &json!({"manifest": manifest, "report": to_json(&signed.report), "storage_uri": "s3://bucket/runpacks/a/"}),
        "export with storage_uri",
    );

    let trusted = [TrustedRunpackKey { key_id: "key-1".to_owned(), key: key.verifying_key() }];
    let options = VerifyOptions { trusted_keys: &trusted, ..VerifyOptions::default() };
    let manifest_bytes = signed_store.manifest.clone().unwrap();
    let summary = verify_runpack(&manifest_bytes, &signed_store, &options).unwrap();
    assert_eq!(summary.status, VerificationStatus::Pass, "{:?}", summary.errors);
    assert_eq!(summary.signing_key_id.as_deref(), Some("key-1"));
    assert_valid(&verify, &json!({"report": to_json(&summary), "status": to_json(&summary.status)}), "signed pass");

    // Tampered artifact: a failing report is still a normal result.
    let mut tampered = signed_store.clone();
    tampered.files.insert("artifacts/decisions.json".to_owned(), b"[]".to_vec());
    let failed = verify_runpack(&manifest_bytes, &tampered, &options).unwrap();
    assert_eq!(failed.status, VerificationStatus::Fail);
    assert!(!failed.errors.is_empty());
    assert_valid(&verify, &json!({"report": to_json(&failed), "status": "fail"}), "tampered");

    // Unsigned, unverified, with an anchor policy and no security context.
    let anchored = EvidenceAnchorPolicy {
        providers: vec![ProviderAnchorPolicy {
            provider_id: "p".into(),
            requirement: AnchorRequirement {
                anchor_type: "file_path".to_owned(),
                required_fields: vec!["path".into()],
            },
        }],
    };
    let mut plain_store = MemoryArtifactStore::default();
    let plain = build_runpack(
        &spec,
        &state,
        &mut plain_store,
        &RunpackBuildOptions {
            generated_at: Timestamp::UnixMillis(1_700_000_000_000),
            include_verification: false,
            anchor_policy: &anchored,
            security: None,
            signing_key: None,
            evidence_keys: None,
        },
    )
    .unwrap();
    let plain_value = json!({"manifest": to_json(&plain.manifest), "report": to_json(&plain.report)});
    assert_eq!(plain_value["report"], Value::Null);
    assert!(plain_value["manifest"].get("signature").is_none());
    assert_valid(&export, &plain_value, "unsigned export");
    let unsigned =
        verify_runpack(plain_store.manifest.as_deref().unwrap(), &plain_store, &VerifyOptions::default()).unwrap();
    assert_eq!(unsigned.signing_key_id, None);
    assert_valid(&verify, &json!({"report": to_json(&unsigned), "status": to_json(&unsigned.status)}), "unsigned");

    // Shapes serde never writes.
    let mut no_report = plain_value.clone();
    no_report.as_object_mut().unwrap().remove("report");
    assert_invalid(&export, &no_report, "report key is always present");
    let mut null_signature = plain_value.clone();
    null_signature["manifest"]["signature"] = Value::Null;
    assert_invalid(&export, &null_signature, "signature is omitted, never null");
    let mut bad_kind = plain_value;
    bad_kind["manifest"]["artifacts"][0]["kind"] = json!("scenario");
    assert_invalid(&export, &bad_kind, "artifact kind");
    let mut no_key_id = json!({"report": to_json(&unsigned), "status": "pass"});
    no_key_id["report"].as_object_mut().unwrap().remove("signing_key_id");
    assert_invalid(&verify, &no_key_id, "signing_key_id is always present");
}

fn time_contract() -> Value {
    let timestamp_params = json!({"additionalProperties": false, "properties": {"timestamp": {
        "description": "Unix millis number or RFC3339 timestamp string.",
        "oneOf": [{"type": "integer"}, {"type": "string"}]}}, "required": ["timestamp"], "type": "object"});
    let check = |check_id: &str, comparators: Value, params: Value, result: Value, example: Value| {
        json!({"check_id": check_id, "description": "d", "determinism": "time_dependent",
               "params_required": check_id != "now", "params_schema": params, "result_schema": result,
               "allowed_comparators": comparators,
               "anchor_types": ["trigger_time_unix_millis", "trigger_time_logical"],
               "content_types": ["application/json"], "examples": [example]})
    };
    json!({
        "provider_id": "time", "name": "Time Provider", "description": "Trigger-time checks.", "transport": "builtin",
        "config_schema": {"additionalProperties": false, "properties": {"allow_logical": {"default": true,
            "type": "boolean"}}, "type": "object"},
        "notes": ["Never reads the wall clock."],
        "checks": [
            check("now", json!(["equals", "not_equals", "greater_than", "greater_than_or_equal", "less_than",
                    "less_than_or_equal", "in_set", "exists", "not_exists"]),
                json!({"additionalProperties": false, "properties": {}, "type": "object"}), json!({"type": "integer"}),
                json!({"description": "now", "params": {}, "result": 1_710_000_000_000u64})),
            check("after", json!(["equals", "not_equals", "in_set", "exists", "not_exists"]), timestamp_params,
                json!({"type": "boolean"}), json!({"params": {"timestamp": 1_710_000_000_000u64}, "result": true})),
        ]
    })
}

#[test]
fn provider_discovery_outputs_validate() {
    let contract = time_contract();
    let contract_hash = to_json(&hash_canonical(&contract).unwrap());
    assert_valid(
        &output_validator(ToolName::ProvidersList),
        &json!({"providers": [
            {"provider_id": "ext", "transport": "mcp", "checks": ["x"]},
            {"provider_id": "time", "transport": "builtin", "checks": ["now", "after"]}
        ]}),
        "providers_list",
    );
    let contract_get = output_validator(ToolName::ProviderContractGet);
    let response = json!({"provider_id": "time", "contract": contract, "contract_hash": contract_hash,
                          "source": "builtin", "version": null});
    assert_valid(&contract_get, &response, "provider_contract_get");
    let mut versioned = response.clone();
    versioned["version"] = json!("1");
    assert_invalid(&contract_get, &versioned, "version is null");
    let mut bad_source = response;
    bad_source["source"] = json!("remote");
    assert_invalid(&contract_get, &bad_source, "source builtin|file");

    let check = &contract["checks"][1];
    let mut check_response = json!({"provider_id": "time", "contract_hash": contract_hash});
    for key in [
        "check_id",
        "params_required",
        "params_schema",
        "result_schema",
        "allowed_comparators",
        "determinism",
        "anchor_types",
        "content_types",
        "examples",
    ] {
        check_response[key] = check[key].clone();
    }
    let check_get = output_validator(ToolName::ProviderCheckSchemaGet);
    assert_valid(&check_get, &check_response, "provider_check_schema_get");
    check_response["allowed_comparators"] = json!(["approximately"]);
    assert_invalid(&check_get, &check_response, "unknown comparator");
    assert_invalid(
        &output_validator(ToolName::ProvidersList),
        &json!({"providers": [{"provider_id": "x", "transport": "grpc", "checks": []}]}),
        "transport builtin|mcp",
    );
}

#[test]
fn builtin_provider_contracts_validate() {
    let contract_get = output_validator(ToolName::ProviderContractGet);
    let check_get = output_validator(ToolName::ProviderCheckSchemaGet);
    let mut providers = Vec::new();
    for contract in crate::providers::builtin_contracts::builtin_contracts() {
        let value = to_json(&contract);
        let contract_hash = to_json(&hash_canonical(&value).unwrap());
        let provider_id = value["provider_id"].clone();
        assert_valid(
            &contract_get,
            &json!({"provider_id": provider_id, "contract": value, "contract_hash": contract_hash,
                    "source": "builtin", "version": null}),
            "built-in contract",
        );
        let mut check_ids = Vec::new();
        for check in value["checks"].as_array().unwrap() {
            check_ids.push(check["check_id"].clone());
            let mut response = json!({"provider_id": provider_id, "contract_hash": contract_hash});
            for (key, field) in check.as_object().unwrap() {
                if key != "description" {
                    response[key.as_str()] = field.clone();
                }
            }
            assert_valid(&check_get, &response, "built-in check");
        }
        providers.push(json!({"provider_id": provider_id, "transport": value["transport"], "checks": check_ids}));
    }
    assert_eq!(providers.len(), 4);
    assert_valid(&output_validator(ToolName::ProvidersList), &json!({"providers": providers}), "built-in providers");
}
