use serde_json::{Value, json};

use super::*;
use crate::hashing::value_to_canonical_vec;

fn canonical_of(spec: &ScenarioSpec) -> String {
    String::from_utf8(crate::hashing::to_canonical_vec(spec).unwrap()).unwrap()
}

fn minimal() -> Value {
    json!({"scenario_id":"s","namespace_id":1,"spec_version":"1","stages":[{"stage_id":"a","entry_packets":[],"gates":[],"advance_to":{"kind":"terminal"},"on_timeout":"fail"}],"conditions":[],"policies":[],"schemas":[]})
}

#[test]
fn minimal_spec_vector() {
    let spec: ScenarioSpec = serde_json::from_value(minimal()).unwrap();
    assert_eq!(
        canonical_of(&spec),
        r#"{"conditions":[],"default_tenant_id":null,"namespace_id":1,"policies":[],"scenario_id":"s","schemas":[],"spec_version":"1","stages":[{"advance_to":{"kind":"terminal"},"entry_packets":[],"gates":[],"on_timeout":"fail","stage_id":"a","timeout":null}]}"#
    );
    assert_eq!(spec.spec_hash().unwrap().value, "51f72416d87d956803b2d606dfc6494efffb6196ca5654e8e624b06a06a658dd");
}

const GOLDEN_CANONICAL: &str = r#"{"conditions":[{"comparator":"exists","condition_id":"c1","expected":null,"policy_tags":["x"],"query":{"check_id":"get","provider_id":"env"}},{"comparator":"greater_than_or_equal","condition_id":"c2","expected":1.5,"policy_tags":[],"query":{"check_id":"path","params":{"file":"a.json","jsonpath":"$.n"},"provider_id":"json"},"trust":{"min_lane":"asserted"}}],"default_tenant_id":3,"namespace_id":7,"policies":[{"description":null,"policy_id":"pol"}],"scenario_id":"golden","schemas":[{"schema_id":"sch","uri":null,"version":null}],"spec_version":"2","stages":[{"advance_to":{"branches":[{"gate_id":"g1","next_stage_id":"s2","outcome":"true"}],"default":null,"kind":"branch"},"entry_packets":[{"content_type":"application/octet-stream","expiry":null,"packet_id":"pk","payload":{"content_ref":{"content_hash":{"algorithm":"sha256","value":"00"},"encryption":null,"uri":"s3://b/k"},"kind":"external"},"policy_tags":[],"schema_id":"sch","visibility_labels":[]}],"gates":[{"gate_id":"g1","requirement":{"And":[{"Condition":"c1"},{"RequireGroup":{"min":1,"reqs":[{"Condition":"c2"},{"Not":{"Condition":"c1"}}]}}]},"trust":{"min_lane":"verified"}}],"on_timeout":"alternate_branch","stage_id":"s1","timeout":{"policy_tags":[],"timeout_ms":1000}},{"advance_to":{"kind":"fixed","stage_id":"s3"},"entry_packets":[],"gates":[],"on_timeout":"advance_with_flag","stage_id":"s2","timeout":null},{"advance_to":{"kind":"linear"},"entry_packets":[],"gates":[],"on_timeout":"fail","stage_id":"s3","timeout":null}]}"#;

/// The golden spec written the way an author would: options omitted, `1.50`, keys unordered.
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
    {"stage_id": "s2", "entry_packets": [], "gates": [], "advance_to": {"kind": "fixed", "stage_id": "s3"}, "on_timeout": "advance_with_flag", "unknown_key": true},
    {"stage_id": "s3", "entry_packets": [], "gates": [], "advance_to": {"kind": "linear"}, "on_timeout": "fail", "timeout": null}
  ]
}"#;

#[test]
fn golden_spec_vector_covers_the_optional_field_rules() {
    let spec = parse_spec_json(GOLDEN_AUTHORED).unwrap();
    assert_eq!(canonical_of(&spec), GOLDEN_CANONICAL);
    assert_eq!(spec.spec_hash().unwrap().value, "3b34d546ef95681c42fb42adb36cfa7e963efc44473fa01d0ffadf12c4f11fdc");
    // Re-parsing the canonical form is a fixed point.
    let again = parse_spec_json(GOLDEN_CANONICAL).unwrap();
    assert_eq!(again, spec);
    assert_eq!(validate_spec(&spec, ValidationMode::Strict), Ok(()));
}

#[test]
fn published_example_scenario_hash() {
    // Decision Gate OSS's published example scenario (two conditions, two gates, one packet).
    let example = json!({
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
    });
    let spec: ScenarioSpec = serde_json::from_value(example).unwrap();
    assert_eq!(spec.spec_hash().unwrap().value, "409337f68069806e3a4b628dde12907a967abb4b5b500fd0aabb4d05c5c2dd33");
}

#[test]
fn parse_facts_pinned_by_the_vectors() {
    let mut two_tags = minimal();
    two_tags["conditions"] =
        json!([{"condition_id":"c","query":{"provider_id":"p","check_id":"k"},"comparator":"exists","policy_tags":[]}]);
    two_tags["stages"][0]["gates"] = json!([{"gate_id":"g","requirement":{"And":[],"Or":[]}}]);
    assert!(serde_json::from_value::<ScenarioSpec>(two_tags).is_err());

    let mut upper = minimal();
    upper["stages"][0]["entry_packets"] = json!([{"packet_id":"p","schema_id":"s","content_type":"x","visibility_labels":[],"policy_tags":[],
        "payload":{"kind":"external","content_ref":{"uri":"u","content_hash":{"algorithm":"SHA256","value":"00"}}}}]);
    assert!(serde_json::from_value::<ScenarioSpec>(upper).is_err());

    let mut no_timeout_policy = minimal();
    no_timeout_policy["stages"][0].as_object_mut().unwrap().remove("on_timeout");
    assert!(serde_json::from_value::<ScenarioSpec>(no_timeout_policy).is_err());

    let mut branch = minimal();
    branch["stages"][0]["advance_to"] = json!({"kind":"branch","branches":[]});
    let spec: ScenarioSpec = serde_json::from_value(branch).unwrap();
    assert_eq!(spec.stages[0].advance_to, AdvanceTo::Branch { branches: vec![], default: None });

    let mut bad_kind = minimal();
    bad_kind["stages"][0]["advance_to"] = json!({"kind":"sideways"});
    assert!(serde_json::from_value::<ScenarioSpec>(bad_kind).is_err());

    let mut zero_ns = minimal();
    zero_ns["namespace_id"] = json!(0);
    let err = serde_json::from_value::<ScenarioSpec>(zero_ns).unwrap_err().to_string();
    assert!(err.contains("nonzero"), "{err}");

    let mut missing_array = minimal();
    missing_array.as_object_mut().unwrap().remove("policies");
    assert!(serde_json::from_value::<ScenarioSpec>(missing_array).is_err());
}

#[test]
fn duplicate_keys_keep_the_last_value_and_null_expected_is_absent() {
    let text = r#"{"scenario_id":"first","scenario_id":"second","namespace_id":1,"spec_version":"1","stages":[{"stage_id":"a","entry_packets":[],"gates":[],"advance_to":{"kind":"terminal"},"on_timeout":"fail"}],"conditions":[{"condition_id":"c","query":{"provider_id":"p","check_id":"k","params":null},"comparator":"equals","expected":null,"policy_tags":[]}],"policies":[],"schemas":[]}"#;
    let spec = parse_spec_json(text).unwrap();
    assert_eq!(spec.scenario_id.as_str(), "second");
    assert_eq!(spec.conditions[0].expected, None);
    assert_eq!(spec.conditions[0].query.params, None);
    let canonical: Value = serde_json::from_slice(&crate::hashing::to_canonical_vec(&spec).unwrap()).unwrap();
    assert_eq!(canonical["conditions"][0]["expected"], Value::Null);
    assert!(canonical["conditions"][0]["query"].get("params").is_none());
    assert!(canonical["conditions"][0].get("trust").is_none());
}

#[test]
fn bytes_payload_uses_the_bytes_key() {
    let payload: PacketPayload = serde_json::from_value(json!({"kind":"bytes","bytes":[0, 255]})).unwrap();
    assert_eq!(payload, PacketPayload::Bytes { bytes: vec![0, 255] });
    assert!(serde_json::from_value::<PacketPayload>(json!({"kind":"bytes","bytes":[256]})).is_err());
    assert_eq!(
        value_to_canonical_vec(&serde_json::to_value(&payload).unwrap()),
        br#"{"bytes":[0,255],"kind":"bytes"}"#
    );
}

fn spec_with(stages: Value, conditions: Value) -> ScenarioSpec {
    let mut value = minimal();
    value["stages"] = stages;
    value["conditions"] = conditions;
    serde_json::from_value(value).unwrap()
}

fn stage(id: &str, gates: Value, advance: Value) -> Value {
    json!({"stage_id": id, "entry_packets": [], "gates": gates, "advance_to": advance, "on_timeout": "fail"})
}

fn condition(id: &str, provider: &str, check: &str) -> Value {
    json!({"condition_id": id, "query": {"provider_id": provider, "check_id": check}, "comparator": "exists", "policy_tags": []})
}

#[test]
fn semantic_checks_in_order() {
    let terminal = json!({"kind":"terminal"});
    let check = |spec: ScenarioSpec| validate_spec(&spec, ValidationMode::Permissive);
    assert_eq!(check(spec_with(json!([]), json!([]))), Err(SpecError::MissingStages));
    assert_eq!(
        check(spec_with(
            json!([stage("a", json!([]), terminal.clone()), stage("a", json!([]), terminal.clone())]),
            json!([])
        )),
        Err(SpecError::DuplicateStageId("a".into()))
    );
    let gate = |id: &str, cond: &str| json!({"gate_id": id, "requirement": {"Condition": cond}});
    assert_eq!(
        check(spec_with(
            json!([
                stage("a", json!([gate("g", "c")]), terminal.clone()),
                stage("b", json!([gate("g", "c")]), terminal.clone())
            ]),
            json!([condition("c", "p", "k")])
        )),
        Err(SpecError::DuplicateGateId("g".into()))
    );
    let packet = json!({"packet_id":"p","schema_id":"s","content_type":"x","visibility_labels":[],"policy_tags":[],"payload":{"kind":"json","value":1}});
    let mut with_packets = stage("a", json!([]), terminal.clone());
    with_packets["entry_packets"] = json!([packet.clone(), packet]);
    assert_eq!(check(spec_with(json!([with_packets]), json!([]))), Err(SpecError::DuplicatePacketId("p".into())));
    assert_eq!(
        check(spec_with(
            json!([stage("a", json!([]), terminal.clone())]),
            json!([condition("c", "p", "k"), condition("c", "p", "k")])
        )),
        Err(SpecError::DuplicateCondition("c".into()))
    );
    assert_eq!(
        check(spec_with(json!([stage("a", json!([]), terminal.clone())]), json!([condition("c", "  ", "k")]))),
        Err(SpecError::InvalidEvidenceQuery("c".into(), "provider_id is empty".into()))
    );
    assert_eq!(
        check(spec_with(json!([stage("a", json!([]), terminal.clone())]), json!([condition("c", "p", "")]))),
        Err(SpecError::InvalidEvidenceQuery("c".into(), "check_id is empty".into()))
    );
    assert_eq!(
        check(spec_with(json!([stage("a", json!([gate("g", "nope")]), terminal.clone())]), json!([]))),
        Err(SpecError::MissingCondition("nope".into()))
    );
    assert_eq!(
        check(spec_with(json!([stage("a", json!([]), json!({"kind":"fixed","stage_id":"z"}))]), json!([]))),
        Err(SpecError::MissingBranchTarget("z".into()))
    );
    assert_eq!(
        check(spec_with(
            json!([stage("a", json!([]), json!({"kind":"branch","branches":[],"default":"y"}))]),
            json!([])
        )),
        Err(SpecError::MissingBranchTarget("y".into()))
    );
}

#[test]
fn strict_structural_checks_and_permissive_acceptance() {
    let mut deep = json!({"Condition": "c"});
    for _ in 0..33 {
        deep = json!({"Not": deep});
    }
    let cases = [
        (json!([{"gate_id":"g","requirement": deep}]), json!({"kind":"terminal"}), "TooDeep"),
        (
            json!([{"gate_id":"g","requirement":{"RequireGroup":{"min":2,"reqs":[{"Condition":"c"}]}}}]),
            json!({"kind":"terminal"}),
            "InvalidGroup",
        ),
        (
            json!([{"gate_id":"g","requirement":{"RequireGroup":{"min":0,"reqs":[{"Condition":"c"}]}}}]),
            json!({"kind":"terminal"}),
            "InvalidStructure",
        ),
        (
            json!([{"gate_id":"g","requirement":{"Condition":"c"}}]),
            json!({"kind":"branch","branches":[{"gate_id":"other","outcome":"true","next_stage_id":"a"}]}),
            "InvalidBranchGate",
        ),
    ];
    for (gates, advance, expected) in cases {
        let spec = spec_with(json!([stage("a", gates, advance)]), json!([condition("c", "p", "k")]));
        let strict = validate_spec(&spec, ValidationMode::Strict).unwrap_err();
        assert!(format!("{strict:?}").starts_with(expected), "{strict:?} should be {expected}");
        assert_eq!(validate_spec(&spec, ValidationMode::Permissive), Ok(()));
    }
}

#[test]
fn accepted_oddities() {
    // alternate_branch on a non-branch stage, unreachable stages, self-loops, timeout 0.
    let mut first = stage("a", json!([]), json!({"kind":"fixed","stage_id":"a"}));
    first["on_timeout"] = json!("alternate_branch");
    first["timeout"] = json!({"timeout_ms": 0, "policy_tags": []});
    let spec = spec_with(
        json!([first, stage("unreachable", json!([]), json!({"kind":"linear"}))]),
        json!([condition("unused", "p", "k")]),
    );
    assert_eq!(validate_spec(&spec, ValidationMode::Strict), Ok(()));
}
