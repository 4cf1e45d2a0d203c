//! The `json` built-in.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::Path;

use decision_gate_core::evidence::{EvidenceResult, EvidenceValue};
use decision_gate_core::time::Timestamp;
use proptest::prelude::*;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::support::{ctx, query};
use crate::providers::ProviderBackend;
use crate::providers::json::{JsonProvider, JsonProviderConfig, read_capped};

/// `<tmp>/root` with fixtures and `<tmp>/outside/secret.json` next to it.
struct Fixture {
    _dir: TempDir,
    root: std::path::PathBuf,
}

const OUTSIDE_MARKER: &str = "outside-the-root";

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    fs::create_dir_all(root.join("sub")).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("secret.json"), format!("{{\"marker\":\"{OUTSIDE_MARKER}\"}}")).unwrap();
    fs::write(root.join("data.json"), r#"{"version":"1.2.3","items":[{"id":1},{"id":2}],"nested":{"flag":true}}"#)
        .unwrap();
    fs::write(root.join("sub/inner.json"), r#"{"ok":1}"#).unwrap();
    fs::write(root.join("conf.YAML"), "name: demo\nreplicas: 3\n").unwrap();
    fs::write(root.join("other.yml"), "a: [1, 2]\n").unwrap();
    fs::write(root.join("bad.json"), "{").unwrap();
    fs::write(root.join("bad.yaml"), "key: [unclosed\n").unwrap();
    fs::write(root.join("eight.json"), "[1,2,33]").unwrap();
    fs::write(root.join("nine.json"), "[1,2,333]").unwrap();
    symlink(outside.join("secret.json"), root.join("link.json")).unwrap();
    symlink(&outside, root.join("dirlink")).unwrap();
    symlink(root.join("data.json"), root.join("alias.json")).unwrap();
    Fixture { _dir: dir, root }
}

fn provider(root: &Path, max_bytes: usize, allow_yaml: bool) -> JsonProvider {
    JsonProvider::new(Some(JsonProviderConfig {
        root: root.to_path_buf(),
        root_id: "evidence-root".to_owned(),
        max_bytes,
        allow_yaml,
        tenant_roots: false,
    }))
    .unwrap()
}

#[test]
fn tenant_roots_confine_each_tenant_and_namespace() {
    let dir = tempfile::tempdir().unwrap();
    for (tenant, namespace, owner) in [(1, 1, "t1n1"), (1, 2, "t1n2"), (2, 1, "t2n1")] {
        let partition = dir.path().join(format!("{tenant}/{namespace}"));
        fs::create_dir_all(&partition).unwrap();
        fs::write(partition.join("report.json"), format!("{{\"owner\":\"{owner}\"}}")).unwrap();
    }
    fs::write(dir.path().join("shared.json"), "{}").unwrap();
    symlink(dir.path().join("2"), dir.path().join("3")).unwrap();
    let provider = JsonProvider::new(Some(JsonProviderConfig {
        root: dir.path().to_path_buf(),
        root_id: "evidence-root".to_owned(),
        max_bytes: 1024,
        allow_yaml: true,
        tenant_roots: true,
    }))
    .unwrap();
    let ask_as = |tenant: u64, namespace: u64, params: Value| {
        let mut context = ctx(Timestamp::Logical(1));
        context.tenant_id = decision_gate_core::ids::TenantId::new(tenant).unwrap();
        context.namespace_id = decision_gate_core::ids::NamespaceId::new(namespace).unwrap();
        provider.query(&query("json", "path", params), &context).expect("in-band result")
    };
    for (tenant, namespace, owner) in [(1, 1, "t1n1"), (1, 2, "t1n2"), (2, 1, "t2n1")] {
        let result = ask_as(tenant, namespace, json!({"file": "report.json", "jsonpath": "$.owner"}));
        assert_eq!(value(&result), json!(owner));
        assert_eq!(result.evidence_ref.unwrap().uri, "dg+file://evidence-root/report.json");
    }
    assert_eq!(code(&ask_as(1, 1, json!({"file": "../../shared.json"}))), "path_outside_root");
    assert_eq!(code(&ask_as(1, 1, json!({"file": "../../2/1/report.json"}))), "path_outside_root");
    assert_eq!(code(&ask_as(2, 2, json!({"file": "report.json"}))), "file_not_found", "no directory, no reads");
    assert_eq!(code(&ask_as(3, 1, json!({"file": "report.json"}))), "path_outside_root", "a linked tenant directory");
}

#[test]
fn a_selection_is_measured_before_it_is_copied() {
    let dir = tempfile::tempdir().unwrap();
    // 100 levels deep, each level holding a 4 KiB string: `$..*` matches every level, and the
    // copies of all matched subtrees would be about 100 * 50 * 4 KiB = 20 MiB.
    let mut document = json!("leaf");
    for _ in 0..100 {
        document = json!({"pad": "x".repeat(4096), "next": document});
    }
    fs::write(dir.path().join("deep.json"), document.to_string()).unwrap();
    let provider = provider(dir.path(), 1_048_576, false);
    let result = ask(&provider, json!({"file": "deep.json", "jsonpath": "$..*"}));
    assert_eq!(code(&result), "size_limit_exceeded");
    let details = result.error.unwrap().details.unwrap();
    assert_eq!(details["max_bytes"], 1_048_576);
    assert!(details["actual_bytes"].as_u64().unwrap() > 1_048_576);
    // A small selection of the same document still works.
    assert_eq!(
        value(&ask(&provider, json!({"file": "deep.json", "jsonpath": "$.next.next.pad"}))),
        json!("x".repeat(4096))
    );
}

fn ask(provider: &JsonProvider, params: Value) -> EvidenceResult {
    provider.query(&query("json", "path", params), &ctx(Timestamp::Logical(1))).expect("in-band result")
}

fn code(result: &EvidenceResult) -> &str {
    result.error.as_ref().map_or("<none>", |error| error.code.as_str())
}

fn value(result: &EvidenceResult) -> Value {
    match &result.value {
        Some(EvidenceValue::Json(value)) => value.clone(),
        other => panic!("expected a JSON value, got {other:?} ({:?})", result.error),
    }
}

#[test]
fn whole_documents_and_selections() {
    let fx = fixture();
    let json = provider(&fx.root, 1 << 20, true);
    let whole = ask(&json, json!({"file": "data.json"}));
    assert_eq!(value(&whole)["version"], json!("1.2.3"));
    assert_eq!(whole.content_type.as_deref(), Some("application/json"));
    assert_eq!(value(&ask(&json, json!({"file": "data.json", "jsonpath": "$.version"}))), json!("1.2.3"));
    assert_eq!(value(&ask(&json, json!({"file": "data.json", "jsonpath": "$.items[*].id"}))), json!([1, 2]));
    assert_eq!(value(&ask(&json, json!({"file": "data.json", "jsonpath": "$.nested"}))), json!({"flag": true}));
    let missing = ask(&json, json!({"file": "data.json", "jsonpath": "$.absent"}));
    assert_eq!(code(&missing), "jsonpath_not_found");
    assert_eq!(missing.error.unwrap().details, Some(json!({"jsonpath": "$.absent"})));
    for bad in ["$[", "version", "$..[?(", "$.a[", &format!("$.{}", "[".repeat(100))] {
        assert_eq!(code(&ask(&json, json!({"file": "data.json", "jsonpath": bad}))), "invalid_jsonpath", "{bad}");
    }
}

#[test]
fn evidence_ref_and_anchor_name_the_root_not_the_server_path() {
    let fx = fixture();
    let json = provider(&fx.root, 1 << 20, true);
    let result = ask(&json, json!({"file": "./sub/../sub/inner.json"}));
    assert_eq!(result.evidence_ref.unwrap().uri, "dg+file://evidence-root/sub/inner.json");
    let anchor = result.evidence_anchor.unwrap();
    assert_eq!(anchor.anchor_type, "file_path_rooted");
    assert_eq!(anchor.anchor_value, r#"{"path":"sub/inner.json","root_id":"evidence-root"}"#);
    // A symbolic link inside the root is reported under its target's path.
    let aliased = ask(&json, json!({"file": "alias.json"}));
    assert_eq!(aliased.evidence_ref.unwrap().uri, "dg+file://evidence-root/data.json");
    // Errors after resolution keep the reference and anchor.
    let broken = ask(&json, json!({"file": "bad.json"}));
    assert_eq!(code(&broken), "invalid_json");
    assert_eq!(broken.evidence_ref.unwrap().uri, "dg+file://evidence-root/bad.json");
    assert!(broken.evidence_anchor.is_some());
    assert!(broken.value.is_none() && broken.content_type.is_none());
}

#[test]
fn parameter_errors() {
    let fx = fixture();
    let json = provider(&fx.root, 1 << 20, true);
    assert_eq!(code(&ask(&json, Value::Null)), "params_missing");
    assert_eq!(code(&ask(&json, json!({}))), "params_missing");
    assert_eq!(code(&ask(&json, json!("data.json"))), "params_invalid");
    assert_eq!(code(&ask(&json, json!({"file": 3}))), "params_invalid");
    assert_eq!(code(&ask(&json, json!({"file": "data.json", "jsonpath": 1}))), "params_invalid");
    assert_eq!(code(&ask(&json, json!({"file": "data.json", "extra": 1}))), "params_invalid");
    assert_eq!(code(&ask(&json, json!({"file": ""}))), "path_missing");
    assert_eq!(code(&ask(&json, json!({"file": "   "}))), "path_missing");
    let err = json.query(&query("json", "read", json!({})), &ctx(Timestamp::Logical(1))).unwrap_err();
    assert!(err.0.contains("unsupported json check"));
}

#[test]
fn path_errors() {
    let fx = fixture();
    let json = provider(&fx.root, 1 << 20, true);
    let file_code = |file: &str| code(&ask(&json, json!({"file": file}))).to_owned();
    assert_eq!(file_code("/etc/passwd"), "absolute_path_forbidden");
    assert_eq!(file_code(&fx.root.join("data.json").display().to_string()), "absolute_path_forbidden");
    assert_eq!(file_code("nope.json"), "file_not_found");
    assert_eq!(file_code("data.json/inner"), "file_not_found");
    assert_eq!(file_code("../outside/secret.json"), "path_outside_root");
    assert_eq!(file_code("sub/../../outside/secret.json"), "path_outside_root");
    assert_eq!(file_code(".."), "path_outside_root");
    assert_eq!(file_code("link.json"), "path_outside_root");
    assert_eq!(file_code("dirlink/secret.json"), "path_outside_root");
    assert_eq!(file_code("a\0b.json"), "path_invalid");
    assert_eq!(file_code(&"x".repeat(256)), "path_invalid");
    assert_eq!(file_code(&"a/".repeat(2100)), "path_invalid");
    assert_eq!(file_code("sub"), "path_invalid");
    assert_eq!(file_code("."), "path_invalid");
    let outside = ask(&json, json!({"file": "link.json"}));
    assert_eq!(outside.error.unwrap().details, Some(json!({"file": "link.json"})));
    assert!(outside.evidence_ref.is_none() && outside.evidence_anchor.is_none());
}

#[test]
fn unreadable_files_fail_to_open() {
    use std::os::unix::fs::PermissionsExt;
    let fx = fixture();
    // A socket resolves like a file but cannot be opened, even by a privileged runner.
    let _listener = std::os::unix::net::UnixListener::bind(fx.root.join("sock.json")).unwrap();
    let opened = ask(&provider(&fx.root, 1 << 20, true), json!({"file": "sock.json"}));
    assert_eq!(code(&opened), "file_open_failed");
    assert_eq!(opened.evidence_ref.unwrap().uri, "dg+file://evidence-root/sock.json");
    let locked = fx.root.join("locked.json");
    fs::write(&locked, "{}").unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&locked).is_ok() {
        return; // Privileged test runner: permissions are not enforced.
    }
    let json = provider(&fx.root, 1 << 20, true);
    assert_eq!(code(&ask(&json, json!({"file": "locked.json"}))), "file_open_failed");
}

#[test]
fn non_utf8_targets_cannot_be_anchored() {
    let fx = fixture();
    let name = std::ffi::OsStr::from_bytes(b"bad\xff.json");
    fs::write(fx.root.join(name), "{}").unwrap();
    symlink(fx.root.join(name), fx.root.join("pointer.json")).unwrap();
    let json = provider(&fx.root, 1 << 20, true);
    assert_eq!(code(&ask(&json, json!({"file": "pointer.json"}))), "anchor_invalid");
}

#[test]
fn read_failures_are_reported() {
    struct Failing;
    impl std::io::Read for Failing {
        fn read(&mut self, _buf: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk gone"))
        }
    }
    let failed = read_capped(Failing, 0, 10, "x.json").unwrap_err();
    assert_eq!(failed.code, "file_read_failed");
    assert_eq!(failed.details, Some(json!({"file": "x.json"})));
    // A file that grows past its reported size is still capped by the bytes read.
    let grown = read_capped(&b"0123456789"[..], 3, 8, "x.json").unwrap_err();
    assert_eq!(grown.code, "size_limit_exceeded");
    assert_eq!(grown.details, Some(json!({"file": "x.json", "max_bytes": 8, "actual_bytes": 9})));
}

#[test]
fn size_limit() {
    let fx = fixture();
    let json = provider(&fx.root, 8, true);
    assert_eq!(value(&ask(&json, json!({"file": "eight.json"}))), json!([1, 2, 33]), "the exact limit passes");
    let over = ask(&json, json!({"file": "nine.json"}));
    assert_eq!(code(&over), "size_limit_exceeded");
    assert_eq!(over.error.unwrap().details, Some(json!({"file": "nine.json", "max_bytes": 8, "actual_bytes": 9})));
    let data = ask(&json, json!({"file": "data.json"}));
    assert_eq!(code(&data), "size_limit_exceeded");
}

#[test]
fn yaml_on_and_off() {
    let fx = fixture();
    let on = provider(&fx.root, 1 << 20, true);
    let conf = ask(&on, json!({"file": "conf.YAML", "jsonpath": "$.replicas"}));
    assert_eq!(value(&conf), json!(3));
    assert_eq!(conf.content_type.as_deref(), Some("application/yaml"));
    assert_eq!(value(&ask(&on, json!({"file": "other.yml"}))), json!({"a": [1, 2]}));
    assert_eq!(code(&ask(&on, json!({"file": "bad.yaml"}))), "invalid_yaml");
    let off = provider(&fx.root, 1 << 20, false);
    let disabled = ask(&off, json!({"file": "conf.YAML"}));
    assert_eq!(code(&disabled), "yaml_disabled");
    assert_eq!(disabled.error.unwrap().details, Some(json!({"file": "conf.YAML"})));
    assert_eq!(code(&ask(&off, json!({"file": "bad.json"}))), "invalid_json");
    assert!(ask(&off, json!({"file": "data.json"})).error.is_none());
}

#[test]
fn construction_rules() {
    let fx = fixture();
    let config = |root: &Path, root_id: &str| {
        JsonProvider::new(Some(JsonProviderConfig {
            root: root.to_path_buf(),
            root_id: root_id.to_owned(),
            max_bytes: 10,
            allow_yaml: true,
            tenant_roots: false,
        }))
    };
    assert!(config(&fx.root, "evidence_root-1").is_ok());
    assert!(config(&fx.root, &"a".repeat(64)).is_ok());
    for bad_id in ["", "Evidence", "evidence root", &"a".repeat(65), "root/1"] {
        assert!(config(&fx.root, bad_id).unwrap_err().contains("root_id"), "{bad_id:?}");
    }
    assert!(config(&fx.root.join("missing"), "ok").unwrap_err().contains("cannot be resolved"));
    assert!(config(&fx.root.join("data.json"), "ok").unwrap_err().contains("not a directory"));
    let unrooted = JsonProvider::new(None).unwrap();
    let err = unrooted.query(&query("json", "path", json!({"file": "data.json"})), &ctx(Timestamp::Logical(1)));
    assert!(err.unwrap_err().0.contains("no root configured"));
}

fn path_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just("sub".to_owned()),
        Just("link.json".to_owned()),
        Just("dirlink".to_owned()),
        Just("secret.json".to_owned()),
        Just("outside".to_owned()),
        Just("data.json".to_owned()),
        Just("inner.json".to_owned()),
        Just(String::new()),
        "[a-z./\\\\]{0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_paths_never_escape(segments in prop::collection::vec(path_segment(), 0..6), absolute in any::<bool>()) {
        let fx = fixture();
        let json = provider(&fx.root, 1 << 20, true);
        let mut file = segments.join("/");
        if absolute {
            file.insert(0, '/');
        }
        let result = ask(&json, json!({"file": file}));
        if let Some(EvidenceValue::Json(found)) = &result.value {
            prop_assert!(!found.to_string().contains(OUTSIDE_MARKER), "escaped with {file:?}");
            let uri = result.evidence_ref.as_ref().map(|r| r.uri.clone()).unwrap_or_default();
            prop_assert!(uri.starts_with("dg+file://evidence-root/"));
            prop_assert!(!uri.contains(".."));
        } else {
            prop_assert!(result.error.is_some());
        }
    }

    #[test]
    fn random_jsonpaths_never_panic(expression in "\\PC{0,40}", prefixed in "\\$[.\\[\\]()?@*'\"a-z0-9=<>!&|, -]{0,30}") {
        let fx = fixture();
        let json = provider(&fx.root, 1 << 20, true);
        for candidate in [expression, prefixed] {
            let result = ask(&json, json!({"file": "data.json", "jsonpath": candidate}));
            prop_assert!(result.value.is_some() || result.error.is_some());
            if let Some(error) = &result.error {
                prop_assert!(["invalid_jsonpath", "jsonpath_not_found"].contains(&error.code.as_str()));
            }
        }
    }
}
