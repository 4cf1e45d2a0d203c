//! The `decision-gate` binary's offline commands, run as a process in temporary directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use decision_gate_core::hashing::HashDigest;
use decision_gate_core::ids::{NamespaceId, RunId, TenantId};
use decision_gate_core::ports::RunStateStore;
use decision_gate_core::run::{RunState, RunStatus};
use decision_gate_core::spec::{ScenarioSpec, parse_spec_json};
use decision_gate_core::time::Timestamp;
use decision_gate_mcp::stores::{SqliteStore, SqliteStoreOptions};
use serde_json::Value;

const EXAMPLES: [&str; 4] = ["agent-loop", "ci-release-gate", "disclosure-packets", "timeout-branch"];

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("examples").join(name).join("scenario.json")
}

/// Runs the binary in `dir` without inheriting a configuration from the environment.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_decision-gate"))
        .args(args)
        .current_dir(dir)
        .env_remove("DECISION_GATE_CONFIG")
        .env_remove("DECISION_GATE_HOME")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn sample(run_id: &str) -> (ScenarioSpec, RunState) {
    let spec = parse_spec_json(&std::fs::read_to_string(example("ci-release-gate")).unwrap()).unwrap();
    let state = RunState {
        tenant_id: TenantId::new(1).unwrap(),
        namespace_id: NamespaceId::new(1).unwrap(),
        run_id: RunId::new(run_id),
        scenario_id: spec.scenario_id.clone(),
        spec_hash: spec.spec_hash().unwrap(),
        current_stage_id: spec.stages[0].stage_id.clone(),
        stage_entered_at: Timestamp::UnixMillis(1),
        status: RunStatus::Active,
        dispatch_targets: vec![],
        triggers: vec![],
        gate_evals: vec![],
        decisions: vec![],
        packets: vec![],
        submissions: vec![],
        tool_calls: vec![],
    };
    (spec, state)
}

/// Writes spec.json and state.json into `dir` and exports them to `dir/<name>`.
fn export(dir: &Path, name: &str) -> Output {
    let (spec, state) = sample("run-1");
    std::fs::write(dir.join("spec.json"), serde_json::to_vec(&spec).unwrap()).unwrap();
    std::fs::write(dir.join("state.json"), serde_json::to_vec(&state).unwrap()).unwrap();
    run_in(
        dir,
        &[
            "runpack",
            "export",
            "--spec",
            "spec.json",
            "--state",
            "state.json",
            "--output-dir",
            name,
            "--generated-at-unix-ms",
            "1700000000000",
        ],
    )
}

#[test]
fn export_then_verify_passes() {
    let dir = tempfile::tempdir().unwrap();
    let exported = export(dir.path(), "pack");
    assert!(exported.status.success(), "{}", stderr(&exported));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("pack/runpack.json")).unwrap()).unwrap();
    assert_eq!(stdout(&exported).trim(), manifest["integrity"]["root_hash"]["value"].as_str().unwrap());
    assert!(stderr(&exported).contains("[1/8] artifacts/scenario_spec.json "), "{}", stderr(&exported));
    assert!(stderr(&exported).contains("[8/8] runpack.json "), "{}", stderr(&exported));

    let verified = run_in(dir.path(), &["runpack", "verify", "--manifest", "pack/runpack.json"]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    let summary: Value = serde_json::from_str(&stdout(&verified)).unwrap();
    assert_eq!(summary["status"], "pass");
    assert_eq!(summary["checked_files"], 7);
}

#[test]
fn a_tampered_artifact_exits_with_1_and_no_error_message() {
    let dir = tempfile::tempdir().unwrap();
    assert!(export(dir.path(), "pack").status.success());
    std::fs::write(dir.path().join("pack/artifacts/scenario_spec.json"), b"{}").unwrap();
    let verified = run_in(dir.path(), &["runpack", "verify", "--manifest", "pack/runpack.json"]);
    assert_eq!(verified.status.code(), Some(1));
    assert!(stderr(&verified).is_empty(), "{}", stderr(&verified));
    let summary: Value = serde_json::from_str(&stdout(&verified)).unwrap();
    assert_eq!(summary["status"], "fail");
    assert!(
        summary["errors"].as_array().unwrap().iter().any(|e| e == "hash mismatch for artifacts/scenario_spec.json")
    );
}

#[test]
fn a_bare_manifest_name_resolves_to_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    assert!(export(dir.path(), "pack").status.success());
    let pack = dir.path().join("pack");
    let verified = run_in(&pack, &["runpack", "verify", "--manifest", "runpack.json", "--format", "markdown"]);
    assert_eq!(verified.status.code(), Some(0), "{}{}", stdout(&verified), stderr(&verified));
    assert!(stdout(&verified).contains("**PASS**"));
}

#[test]
fn inputs_over_16_mib_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    std::fs::File::create(&big).unwrap().set_len(16 * 1024 * 1024 + 1).unwrap();
    for args in [
        vec!["runpack", "verify", "--manifest", "big.json"],
        vec!["scenario", "validate", "--input", "big.json"],
        vec!["runpack", "export", "--spec", "big.json", "--state", "big.json", "--output-dir", "out"],
    ] {
        let output = run_in(dir.path(), &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: unreadable input is exit code 2");
        assert!(stderr(&output).contains("Refusing to read"), "{args:?}: {}", stderr(&output));
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn scenario_validate_accepts_the_examples_and_reports_lines() {
    let dir = tempfile::tempdir().unwrap();
    for name in EXAMPLES {
        let path = example(name);
        let output = run_in(dir.path(), &["scenario", "validate", "--input", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let expected = parse_spec_json(&std::fs::read_to_string(&path).unwrap()).unwrap().spec_hash().unwrap();
        assert_eq!(stdout(&output), format!("ok {}\n", expected.value));
    }
    std::fs::write(dir.path().join("scenario.json"), "{\n  \"scenario_id\": \"s\",\n  \"namespace_id\": true\n}\n")
        .unwrap();
    let output = run_in(dir.path(), &["scenario", "validate", "--input", "scenario.json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).starts_with("scenario.json:3:19: invalid type: boolean `true`"), "{}", stderr(&output));
    std::fs::write(dir.path().join("scenario.json"), "{\n  \"scenario_id\": \"s\",,\n}\n").unwrap();
    let output = run_in(dir.path(), &["scenario", "validate", "--input", "scenario.json"]);
    assert!(stderr(&output).starts_with("scenario.json:2:22: "), "{}", stderr(&output));
}

#[test]
fn provider_list_is_canonical_and_stable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("decision-gate.toml"),
        "[[providers]]\nname = \"time\"\ntype = \"builtin\"\n\n[[providers]]\nname = \"env\"\ntype = \"builtin\"\n",
    )
    .unwrap();
    let first = run_in(dir.path(), &["provider", "list", "--config", "decision-gate.toml"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let second = run_in(dir.path(), &["provider", "list"]);
    assert_eq!(first.stdout, second.stdout, "./decision-gate.toml is the default configuration");
    let value: Value = serde_json::from_slice(&first.stdout).unwrap();
    let canonical = decision_gate_core::hashing::value_to_canonical_vec(&value);
    assert_eq!(first.stdout, [canonical.as_slice(), b"\n"].concat());
    assert_eq!(value["providers"][0]["provider_id"], "env");
    assert_eq!(value["providers"][1]["provider_id"], "time");
}

#[test]
fn store_commands_against_a_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("runs.db");
    {
        let store = SqliteStore::open(SqliteStoreOptions::new(&db)).unwrap();
        let (_, mut state) = sample("run-9");
        store.create(&state).unwrap();
        state.current_stage_id = "release".into();
        store.save(&state, 1).unwrap();
    }
    let selector = ["--store-path", "runs.db", "--tenant-id", "1", "--namespace-id", "1", "--run-id", "run-9"];
    let list = run_in(dir.path(), &["store", "list", "--store-path", "runs.db"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let value: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(value["runs"][0]["latest_version"], 2);

    let get = run_in(dir.path(), &[&["store", "get"][..], &selector[..]].concat());
    let state: Value = serde_json::from_slice(&get.stdout).unwrap();
    assert_eq!(state["current_stage_id"], "release");

    let export =
        run_in(dir.path(), &[&["store", "export"][..], &selector[..], &["--output", "state.json"][..]].concat());
    assert!(export.status.success(), "{}", stderr(&export));
    let bytes = std::fs::read(dir.path().join("state.json")).unwrap();
    assert_eq!(stdout(&export).trim(), HashDigest::sha256(&bytes).value);

    let verify = run_in(dir.path(), &[&["store", "verify"][..], &selector[..]].concat());
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
    let report: Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!((report["status"].as_str(), report["version"].as_u64()), (Some("pass"), Some(2)));

    let prune = run_in(dir.path(), &[&["store", "prune"][..], &selector[..], &["--keep", "1"][..]].concat());
    let value: Value = serde_json::from_slice(&prune.stdout).unwrap();
    assert_eq!(value["pruned"], 1);
    let old = run_in(dir.path(), &[&["store", "get"][..], &selector[..], &["--version", "1"][..]].concat());
    assert_eq!(old.status.code(), Some(2));
    assert!(stderr(&old).contains("has no version 1"), "{}", stderr(&old));

    let neither = run_in(dir.path(), &["store", "list"]);
    assert!(!neither.status.success(), "--config or --store-path is required");
}

#[test]
fn runpack_verify_exit_codes_are_0_pass_1_fail_2_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let missing = run_in(dir.path(), &["runpack", "verify", "--manifest", "nowhere.json"]);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    let usage = run_in(dir.path(), &["runpack", "verify"]);
    assert_eq!(usage.status.code(), Some(2), "usage error: {}", stderr(&usage));
    std::fs::write(dir.path().join("garbage.json"), b"not json").unwrap();
    let garbage = run_in(dir.path(), &["runpack", "verify", "--manifest", "garbage.json"]);
    assert_eq!(garbage.status.code(), Some(2), "{}", stderr(&garbage));
}

#[test]
fn a_misspelled_configuration_key_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("decision-gate.toml"), "[runpack.verify]\nrequire_signatures = true\n").unwrap();
    let validate = run_in(dir.path(), &["config", "validate"]);
    assert_eq!(validate.status.code(), Some(2));
    assert!(
        stderr(&validate).contains(
            "unknown key `runpack.verify.require_signatures` at line 2, column 1 (did you mean `require_signature`?)"
        ),
        "{}",
        stderr(&validate)
    );
    // The same file spelled right: the effective set-up, layered on the zero-config profile.
    std::fs::write(dir.path().join("decision-gate.toml"), "[runpack.verify]\nrequire_signature = true\n").unwrap();
    let validate = run_in(dir.path(), &["config", "validate", "--data-dir", "state"]);
    assert_eq!(validate.status.code(), Some(0), "{}", stderr(&validate));
    let text = stdout(&validate);
    assert!(text.starts_with("ok\n"), "{text}");
    assert!(text.contains("layered on the zero-configuration profile"), "{text}");
    let database = dir.path().join("state/decision-gate.db");
    assert!(text.contains(&format!("run state and scenarios: sqlite at {}", database.display())), "{text}");
    assert!(text.contains("transport: stdio"), "{text}");
    assert!(text.contains("auth: local_only"), "{text}");
    assert!(text.contains("providers: time, env, json (root "), "{text}");
    assert!(text.contains("audit log: "), "{text}");
    assert!(!dir.path().join("state").exists(), "validate creates nothing");
}
