//! The scenario schema against the golden specs of decision-gate-core (and the Decision Gate OSS
//! golden runpack specs), and against the specs serde rejects.

use decision_gate_core::spec::{ScenarioSpec, parse_spec_json};
use serde_json::{Value, json};

use super::{assert_invalid, assert_valid, compile, input_validator};
use crate::tools::catalogue::ToolName;
use crate::tools::schemas::scenario_schema;

const MINIMAL: &str = r#"{"scenario_id":"s","namespace_id":1,"spec_version":"1","stages":[{"stage_id":"a","entry_packets":[],"gates":[],"advance_to":{"kind":"terminal"},"on_timeout":"fail"}],"conditions":[],"policies":[],"schemas":[]}"#;

const MINIMAL_CANONICAL: &str = r#"{"conditions":[],"default_tenant_id":null,"namespace_id":1,"policies":[],"scenario_id":"s","schemas":[],"spec_version":"1","stages":[{"advance_to":{"kind":"terminal"},"entry_packets":[],"gates":[],"on_timeout":"fail","stage_id":"a","timeout":null}]}"#;

const GOLDEN_CANONICAL: &str = r#"{"conditions":[{"comparator":"exists","condition_id":"c1","expected":null,"policy_tags":["x"],"query":{"check_id":"get","provider_id":"env"}},{"comparator":"greater_than_or_equal","condition_id":"c2","expected":1.5,"policy_tags":[],"query":{"check_id":"path","params":{"file":"a.json","jsonpath":"$.n"},"provider_id":"json"},"trust":{"min_lane":"asserted"}}],"default_tenant_id":3,"namespace_id":7,"policies":[{"description":null,"policy_id":"pol"}],"scenario_id":"golden","schemas":[{"schema_id":"sch","uri":null,"version":null}],"spec_version":"2","stages":[{"advance_to":{"branches":[{"gate_id":"g1","next_stage_id":"s2","outcome":"true"}],"default":null,"kind":"branch"},"entry_packets":[{"content_type":"application/octet-stream","expiry":null,"packet_id":"pk","payload":{"content_ref":{"content_hash":{"algorithm":"sha256","value":"00"},"encryption":null,"uri":"s3://b/k"},"kind":"external"},"policy_tags":[],"schema_id":"sch","visibility_labels":[]}],"gates":[{"gate_id":"g1","requirement":{"And":[{"Condition":"c1"},{"RequireGroup":{"min":1,"reqs":[{"Condition":"c2"},{"Not":{"Condition":"c1"}}]}}]},"trust":{"min_lane":"verified"}}],"on_timeout":"alternate_branch","stage_id":"s1","timeout":{"policy_tags":[],"timeout_ms":1000}},{"advance_to":{"kind":"fixed","stage_id":"s3"},"entry_packets":[],"gates":[],"on_timeout":"advance_with_flag","stage_id":"s2","timeout":null},{"advance_to":{"kind":"linear"},"entry_packets":[],"gates":[],"on_timeout":"fail","stage_id":"s3","timeout":null}]}"#;

/// The golden spec as an author writes it (options omitted, keys unordered), without the unknown
/// key the core test adds (the published schema is closed).
const GOLDEN_AUTHORED: &str = r#"{
  "scenario_id": "golden", "namespace_id": 7, "spec_version": "2", "default_tenant_id": 3,
  "policies": [{"policy_id": "pol"}],
  "schemas": [{"schema_id": "sch"}],
  "conditions": [
    {"condition_id": "c1", "query": {"provider_id": "env", "check_id": "get"}, "comparator": "exists", "policy_tags": ["x"]},
    {"condition_id": "c2", "query": {"provider_id": "json", "check_id": "path", "params": {"file": "a.json", "jsonpath": "$.n"}},
     "comparator": "greater_than_or_equal", "expected": 1.50, "policy_tags": [], "trust": {"min_lane": "asserted"}}
  ],
  "stages": [
    {"stage_id": "s1",
     "entry_packets": [{"packet_id": "pk", "schema_id": "sch", "content_type": "application/octet-stream",
       "visibility_labels": [], "policy_tags": [],
       "payload": {"kind": "external", "content_ref": {"uri": "s3://b/k", "content_hash": {"algorithm": "sha256", "value": "00"}}}}],
     "gates": [{"gate_id": "g1", "trust": {"min_lane": "verified"},
       "requirement": {"And": [{"Condition": "c1"}, {"RequireGroup": {"min": 1, "reqs": [{"Condition": "c2"}, {"Not": {"Condition": "c1"}}]}}]}}],
     "advance_to": {"kind": "branch", "branches": [{"gate_id": "g1", "outcome": "true", "next_stage_id": "s2"}]},
     "timeout": {"timeout_ms": 1000, "policy_tags": []}, "on_timeout": "alternate_branch"},
    {"stage_id": "s2", "entry_packets": [], "gates": [], "advance_to": {"kind": "fixed", "stage_id": "s3"}, "on_timeout": "advance_with_flag"},
    {"stage_id": "s3", "entry_packets": [], "gates": [], "advance_to": {"kind": "linear"}, "on_timeout": "fail", "timeout": null}
  ]
}"#;

/// Decision Gate OSS golden runpack spec (`golden_visibility_packet/artifacts/scenario_spec.json`).
const OSS_VISIBILITY: &str = r#"{"conditions":[{"comparator":"equals","condition_id":"after","expected":true,"policy_tags":[],"query":{"check_id":"after","params":{"timestamp":0},"provider_id":"time"}}],"default_tenant_id":1,"namespace_id":1,"policies":[],"scenario_id":"golden-visibility","schemas":[],"spec_version":"1","stages":[{"advance_to":{"kind":"terminal"},"entry_packets":[{"content_type":"application/json","expiry":null,"packet_id":"packet-1","payload":{"kind":"json","value":{"hello":"world"}},"policy_tags":["policy-alpha"],"schema_id":"schema-1","visibility_labels":["confidential","restricted"]}],"gates":[{"gate_id":"gate-time","requirement":{"Condition":"after"}}],"on_timeout":"fail","stage_id":"stage-1","timeout":null}]}"#;

fn published_example() -> Value {
    json!({
        "scenario_id": "example-scenario", "namespace_id": 1, "spec_version": "v1", "default_tenant_id": null,
        "policies": [], "schemas": [],
        "conditions": [
            {"condition_id": "env_is_prod", "query": {"provider_id": "env", "check_id": "get", "params": {"key": "DEPLOY_ENV"}},
             "comparator": "equals", "expected": "production", "policy_tags": []},
            {"condition_id": "after_freeze", "query": {"provider_id": "time", "check_id": "after", "params": {"timestamp": 1710000000000u64}},
             "comparator": "equals", "expected": true, "policy_tags": []}
        ],
        "stages": [{
            "stage_id": "main",
            "entry_packets": [{"packet_id": "packet-hello", "schema_id": "schema-hello", "content_type": "application/json",
                "visibility_labels": ["public"], "policy_tags": [], "expiry": null,
                "payload": {"kind": "json", "value": {"message": "hello", "purpose": "scenario entry packet"}}}],
            "gates": [{"gate_id": "env_gate", "requirement": {"Condition": "env_is_prod"}},
                      {"gate_id": "time_gate", "requirement": {"Condition": "after_freeze"}}],
            "advance_to": {"kind": "terminal"}, "timeout": null, "on_timeout": "fail"
        }]
    })
}

fn golden_specs() -> Vec<(&'static str, Value)> {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap();
    vec![
        ("minimal", parse(MINIMAL)),
        ("minimal canonical", parse(MINIMAL_CANONICAL)),
        ("golden authored", parse(GOLDEN_AUTHORED)),
        ("golden canonical", parse(GOLDEN_CANONICAL)),
        ("published example", published_example()),
        ("oss visibility", parse(OSS_VISIBILITY)),
    ]
}

#[test]
fn golden_specs_validate_against_the_embedded_and_standalone_schema() {
    let standalone = compile(&scenario_schema());
    let define = input_validator(ToolName::ScenarioDefine);
    let precheck = input_validator(ToolName::Precheck);
    for (name, spec) in golden_specs() {
        let typed: ScenarioSpec = serde_json::from_value(spec.clone()).unwrap();
        assert_valid(&standalone, &spec, name);
        assert_valid(&define, &json!({"spec": spec}), name);
        assert_valid(
            &precheck,
            &json!({"tenant_id": 1, "namespace_id": 1, "data_shape": {"schema_id": "a", "version": "1"},
                    "payload": {}, "spec": spec}),
            name,
        );
        // The re-serialised typed spec (the form that is hashed) validates too.
        let reserialised = serde_json::to_value(&typed).unwrap();
        assert_valid(&standalone, &reserialised, &format!("{name} re-serialised"));
    }
    let golden = parse_spec_json(GOLDEN_AUTHORED).unwrap();
    assert_eq!(golden.spec_hash().unwrap().value, "3b34d546ef95681c42fb42adb36cfa7e963efc44473fa01d0ffadf12c4f11fdc");
}

#[test]
fn every_requirement_form_and_comparator_validates() {
    let standalone = compile(&scenario_schema());
    let mut deep = json!({"Condition": "c"});
    for _ in 0..40 {
        deep = json!({"Not": deep});
    }
    let requirements = [
        json!({"And": []}),
        json!({"Or": [{"Condition": "c"}, {"And": [{"Condition": "c"}]}]}),
        json!({"RequireGroup": {"min": 0, "reqs": []}}),
        json!({"RequireGroup": {"min": 255, "reqs": [{"Condition": "c"}]}}),
        deep,
    ];
    for comparator in decision_gate_core::comparator::Comparator::ALL {
        for requirement in &requirements {
            let mut spec: Value = serde_json::from_str(MINIMAL).unwrap();
            spec["conditions"] = json!([{"condition_id": "c", "query": {"provider_id": "p", "check_id": "k"},
                "comparator": comparator.name(), "policy_tags": []}]);
            spec["stages"][0]["gates"] = json!([{"gate_id": "g", "requirement": requirement}]);
            serde_json::from_value::<ScenarioSpec>(spec.clone()).unwrap();
            assert_valid(&standalone, &spec, comparator.name());
        }
    }
}

#[test]
fn specs_that_serde_rejects_are_invalid() {
    let standalone = compile(&scenario_schema());
    let minimal: Value = serde_json::from_str(MINIMAL).unwrap();
    let with_gate = |requirement: Value| {
        let mut spec = minimal.clone();
        spec["conditions"] = json!([{"condition_id": "c", "query": {"provider_id": "p", "check_id": "k"}, "comparator": "exists", "policy_tags": []}]);
        spec["stages"][0]["gates"] = json!([{"gate_id": "g", "requirement": requirement}]);
        spec
    };
    let mut cases = vec![
        ("two tag keys", with_gate(json!({"And": [], "Or": []}))),
        ("bare tag", with_gate(json!("And"))),
        ("group min 256", with_gate(json!({"RequireGroup": {"min": 256, "reqs": []}}))),
        ("group min -1", with_gate(json!({"RequireGroup": {"min": -1, "reqs": []}}))),
        ("unknown node", with_gate(json!({"Xor": []}))),
    ];
    let mut edit = |name: &'static str, f: &dyn Fn(&mut Value)| {
        let mut spec = minimal.clone();
        f(&mut spec);
        cases.push((name, spec));
    };
    edit("namespace 0", &|s| s["namespace_id"] = json!(0));
    edit("tenant 0", &|s| s["default_tenant_id"] = json!(0));
    edit("missing policies", &|s| {
        s.as_object_mut().unwrap().remove("policies");
    });
    edit("missing on_timeout", &|s| {
        s["stages"][0].as_object_mut().unwrap().remove("on_timeout");
    });
    edit("bad on_timeout", &|s| s["stages"][0]["on_timeout"] = json!("explode"));
    edit("bad advance kind", &|s| s["stages"][0]["advance_to"] = json!({"kind": "sideways"}));
    edit("fixed without stage", &|s| s["stages"][0]["advance_to"] = json!({"kind": "fixed"}));
    edit("upper-case algorithm", &|s| {
        s["stages"][0]["entry_packets"] = json!([{"packet_id": "p", "schema_id": "s", "content_type": "x",
            "visibility_labels": [], "policy_tags": [], "payload": {"kind": "external", "content_ref":
            {"uri": "u", "content_hash": {"algorithm": "SHA256", "value": "00"}}}}]);
    });
    edit("unknown comparator", &|s| {
        s["conditions"] = json!([{"condition_id": "c", "query": {"provider_id": "p", "check_id": "k"},
            "comparator": "roughly_equals", "policy_tags": []}]);
    });
    edit("bad trust lane", &|s| {
        s["conditions"] = json!([{"condition_id": "c", "query": {"provider_id": "p", "check_id": "k"},
            "comparator": "exists", "policy_tags": [], "trust": {"min_lane": "sworn"}}]);
    });
    edit("bad branch outcome", &|s| {
        s["stages"][0]["advance_to"] = json!({"kind": "branch", "branches":
            [{"gate_id": "g", "outcome": "True", "next_stage_id": "a"}]});
    });
    edit("negative timeout", &|s| s["stages"][0]["timeout"] = json!({"timeout_ms": -1, "policy_tags": []}));
    for (name, spec) in cases {
        assert!(serde_json::from_value::<ScenarioSpec>(spec.clone()).is_err(), "serde should reject {name}");
        assert_invalid(&standalone, &spec, name);
    }
}
