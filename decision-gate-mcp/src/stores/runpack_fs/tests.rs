//! Path confinement, symlink refusal, atomic export and an end-to-end build + verify.

use std::os::unix::fs::symlink;
use std::path::Path;

use decision_gate_core::evidence::EvidenceAnchorPolicy;
use decision_gate_core::hashing::HashDigest;
use decision_gate_core::ports::{Artifact, ArtifactError, ArtifactKind, ArtifactReader, ArtifactSink};
use decision_gate_core::run::{RunState, RunStatus};
use decision_gate_core::runpack::{
    MAX_ARTIFACT_BYTES, RunpackBuildOptions, VerificationStatus, VerifyOptions, build_runpack, verify_runpack,
};
use decision_gate_core::spec::ScenarioSpec;
use decision_gate_core::time::Timestamp;
use serde_json::json;
use tempfile::TempDir;

use super::{RunpackFsError, RunpackRoot, TEMP_DIR_PREFIX, parse_relative_path};

fn root() -> (TempDir, RunpackRoot) {
    let dir = tempfile::tempdir().unwrap();
    let root = RunpackRoot::open(dir.path()).unwrap();
    (dir, root)
}

fn artifact(path: &str, bytes: &[u8]) -> Artifact {
    Artifact {
        kind: ArtifactKind::DecisionLog,
        path: path.to_owned(),
        content_type: Some("application/json".to_owned()),
        bytes: bytes.to_vec(),
        required: true,
    }
}

fn temp_dirs(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(TEMP_DIR_PREFIX))
        .collect()
}

#[test]
fn the_root_must_be_an_absolute_existing_directory() {
    assert!(RunpackRoot::open("relative/root").is_err());
    let (dir, _) = root();
    assert!(RunpackRoot::open(dir.path().join("missing")).is_err());
    std::fs::write(dir.path().join("file"), b"x").unwrap();
    assert!(RunpackRoot::open(dir.path().join("file")).is_err());
}

#[test]
fn path_parsing_rules() {
    let (dir, root) = root();
    assert_eq!(root.resolve("a/./b").unwrap(), vec!["a", "b"]);
    assert_eq!(root.resolve("./a//b/").unwrap(), vec!["a", "b"]);
    assert_eq!(root.resolve(".").unwrap(), Vec::<String>::new());
    let inside = dir.path().join("exports").join("one");
    assert_eq!(root.resolve(inside.to_str().unwrap()).unwrap(), vec!["exports", "one"], "absolute inside the root");
    let canonical_inside = root.path().join("x");
    assert_eq!(root.resolve(canonical_inside.to_str().unwrap()).unwrap(), vec!["x"]);
    assert_eq!(root.resolve("/etc/passwd"), Err(RunpackFsError::AbsolutePath));
    assert_eq!(root.resolve("/"), Err(RunpackFsError::AbsolutePath));
    assert_eq!(root.resolve("../outside"), Err(RunpackFsError::EscapesRoot));
    assert_eq!(root.resolve("a/../../b"), Err(RunpackFsError::EscapesRoot));
    assert_eq!(root.resolve("a/../b"), Err(RunpackFsError::EscapesRoot), "no `..` at all, even if it stays inside");
    let sneaky = format!("{}/../outside", dir.path().display());
    assert_eq!(root.resolve(&sneaky), Err(RunpackFsError::EscapesRoot));
    assert!(matches!(root.resolve(&"a".repeat(256)), Err(RunpackFsError::InvalidPath(_))));
    assert!(root.resolve(&"a".repeat(255)).is_ok());
    let long = vec!["d".repeat(200); 21].join("/");
    assert!(long.len() > 4096);
    assert!(matches!(root.resolve(&long), Err(RunpackFsError::InvalidPath(_))));
    assert!(matches!(root.resolve("a\0b"), Err(RunpackFsError::InvalidPath(_))));
    assert_eq!(parse_relative_path("/abs"), Err(RunpackFsError::AbsolutePath));
    assert!(RunpackFsError::EscapesRoot.is_path_violation());
    assert_eq!(RunpackFsError::AbsolutePath.to_string(), "absolute artifact path not allowed");
    assert_eq!(RunpackFsError::EscapesRoot.to_string(), "artifact path escapes runpack root");
    assert_eq!(RunpackFsError::Symlink.to_string(), "symlink not allowed in runpack path");
    assert_eq!(RunpackFsError::OutputExists.to_string(), "output_dir already exists");
}

#[test]
fn writer_rejects_bad_destinations_and_names() {
    let (dir, root) = root();
    std::fs::create_dir(dir.path().join("taken")).unwrap();
    assert_eq!(root.create_writer("taken", "manifest.json").unwrap_err(), RunpackFsError::OutputExists);
    assert_eq!(root.create_writer(".", "manifest.json").unwrap_err(), RunpackFsError::OutputExists);
    assert_eq!(root.create_writer("/tmp/elsewhere", "manifest.json").unwrap_err(), RunpackFsError::AbsolutePath);
    assert_eq!(root.create_writer("../up", "manifest.json").unwrap_err(), RunpackFsError::EscapesRoot);
    for bad_name in ["", ".", "..", "a/b", "../m.json", "/m.json"] {
        assert!(root.create_writer("new", bad_name).is_err(), "{bad_name:?}");
    }
    assert!(matches!(
        root.create_writer(&format!("{TEMP_DIR_PREFIX}x"), "m.json"),
        Err(RunpackFsError::InvalidPath(_))
    ));
    let outside = tempfile::tempdir().unwrap();
    symlink(outside.path(), dir.path().join("link")).unwrap();
    assert_eq!(root.create_writer("link/new", "manifest.json").unwrap_err(), RunpackFsError::Symlink);
    assert_eq!(root.create_writer("link", "manifest.json").unwrap_err(), RunpackFsError::OutputExists);
    assert!(temp_dirs(dir.path()).is_empty(), "failed starts leave nothing behind");
}

#[test]
fn writer_refuses_bad_artifact_paths_and_oversized_artifacts() {
    let (_dir, root) = root();
    let mut writer = root.create_writer("out", "manifest.json").unwrap();
    for path in ["../escape.json", "/abs.json", "artifacts/../../x"] {
        assert!(matches!(writer.write(&artifact(path, b"[]")), Err(ArtifactError::Sink(_))), "{path}");
    }
    let big = vec![b' '; MAX_ARTIFACT_BYTES + 1];
    assert!(matches!(
        writer.write(&artifact("artifacts/big.json", &big)),
        Err(ArtifactError::TooLarge { actual_bytes, .. }) if actual_bytes == MAX_ARTIFACT_BYTES + 1
    ));
    writer.write(&artifact("artifacts/a.json", b"[]")).unwrap();
    assert!(writer.write(&artifact("artifacts/a.json", b"[1]")).is_err(), "files are created exclusively");
    assert_eq!(writer.read_with_limit("artifacts/a.json", 16).unwrap(), b"[]");
    assert!(matches!(
        writer.read_with_limit("artifacts/a.json", 1),
        Err(ArtifactError::TooLarge { max_bytes: 1, actual_bytes: 2, .. })
    ));
}

#[test]
fn dropping_a_writer_before_commit_leaves_no_runpack() {
    let (dir, root) = root();
    let mut writer = root.create_writer("exports/run-1", "manifest.json").unwrap();
    writer.write(&artifact("artifacts/decisions.json", b"[]")).unwrap();
    writer.write(&artifact("artifacts/nested/more.json", b"[]")).unwrap();
    assert_eq!(temp_dirs(dir.path()).len(), 1);
    drop(writer);
    assert!(!dir.path().join("exports/run-1").exists());
    assert!(temp_dirs(dir.path()).is_empty());

    // Committing without a manifest fails and also leaves nothing.
    let mut writer = root.create_writer("exports/run-1", "manifest.json").unwrap();
    writer.write(&artifact("artifacts/decisions.json", b"[]")).unwrap();
    assert!(matches!(writer.commit(), Err(RunpackFsError::Invalid(_))));
    assert!(!dir.path().join("exports/run-1").exists());
    assert!(temp_dirs(dir.path()).is_empty());
}

#[test]
fn stale_temp_dirs_of_crashed_exports_are_removed_but_live_ones_kept() {
    let (dir, root) = root();
    let stale = dir.path().join(format!("{TEMP_DIR_PREFIX}crashed"));
    std::fs::create_dir_all(stale.join("artifacts/deep")).unwrap();
    std::fs::write(stale.join("artifacts/deep/x.json"), b"[]").unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("precious"), b"keep").unwrap();
    symlink(outside.path(), stale.join("artifacts/link")).unwrap();
    let mut live = root.create_writer("live", "manifest.json").unwrap();
    assert!(!stale.exists(), "starting an export removes stale temporary directories");
    assert!(outside.path().join("precious").exists(), "links inside are removed, not followed");
    live.write(&artifact("artifacts/decisions.json", b"[]")).unwrap();
    assert_eq!(root.clean_stale_temp_dirs().unwrap(), 0, "a live export is locked");
    let second = RunpackRoot::open(dir.path()).unwrap();
    assert_eq!(second.clean_stale_temp_dirs().unwrap(), 0, "also for another root handle (another process)");
    live.finalize(b"{}").unwrap();
    live.commit().unwrap();
    assert!(dir.path().join("live/artifacts/decisions.json").exists());
    assert!(temp_dirs(dir.path()).is_empty());
}

#[test]
fn commit_refuses_an_output_dir_created_meanwhile() {
    let (dir, root) = root();
    let mut writer = root.create_writer("race", "manifest.json").unwrap();
    writer.write(&artifact("artifacts/decisions.json", b"[]")).unwrap();
    writer.finalize(b"{}").unwrap();
    std::fs::create_dir(dir.path().join("race")).unwrap();
    assert_eq!(writer.commit().unwrap_err(), RunpackFsError::OutputExists);
    assert_eq!(std::fs::read_dir(dir.path().join("race")).unwrap().count(), 0, "existing directory untouched");
    assert!(temp_dirs(dir.path()).is_empty());
}

#[test]
fn readers_refuse_symlinks_and_escapes() {
    let (dir, root) = root();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.json"), b"[\"secret\"]").unwrap();
    let pack = dir.path().join("pack");
    std::fs::create_dir_all(pack.join("artifacts")).unwrap();
    std::fs::write(pack.join("artifacts/decisions.json"), b"[]").unwrap();
    std::fs::write(pack.join("manifest.json"), b"{}").unwrap();
    std::fs::write(dir.path().join("inside.json"), b"[]").unwrap();

    let reader = root.open_reader("pack").unwrap();
    assert_eq!(reader.read_manifest("manifest.json").unwrap(), b"{}");
    assert_eq!(reader.read_with_limit("artifacts/decisions.json", 10).unwrap(), b"[]");
    assert_eq!(reader.list_artifacts().unwrap(), vec!["artifacts/decisions.json"]);
    assert!(
        matches!(reader.read_with_limit("../inside.json", 10), Err(ArtifactError::Sink(m)) if m == "artifact path escapes runpack root")
    );
    assert_eq!(reader.read_manifest("../inside.json"), Err(RunpackFsError::EscapesRoot));
    assert_eq!(reader.read_manifest("/etc/hostname"), Err(RunpackFsError::AbsolutePath));
    assert!(matches!(reader.read_manifest("missing.json"), Err(RunpackFsError::NotFound(_))));
    assert!(matches!(reader.read_with_limit("artifacts/missing.json", 10), Err(ArtifactError::Sink(_))));

    // Symlinked files, pointing inside and outside the root.
    symlink(outside.path().join("secret.json"), pack.join("artifacts/outside.json")).unwrap();
    symlink(dir.path().join("inside.json"), pack.join("inside-link.json")).unwrap();
    assert!(
        matches!(reader.read_with_limit("artifacts/outside.json", 100), Err(ArtifactError::Sink(m)) if m == "symlink not allowed in runpack path")
    );
    assert_eq!(reader.read_manifest("inside-link.json"), Err(RunpackFsError::Symlink));
    assert!(matches!(reader.list_artifacts(), Err(ArtifactError::Sink(m)) if m.contains("symlink")));
    std::fs::remove_file(pack.join("artifacts/outside.json")).unwrap();

    // Symlinked directories: inside the runpack, as the runpack, and on the way to it.
    symlink(outside.path(), pack.join("artifacts/sub")).unwrap();
    assert!(
        matches!(reader.read_with_limit("artifacts/sub/secret.json", 100), Err(ArtifactError::Sink(m)) if m.contains("symlink"))
    );
    assert!(reader.list_artifacts().is_err());
    std::fs::remove_file(pack.join("artifacts/sub")).unwrap();
    symlink(&pack, dir.path().join("pack-link")).unwrap();
    assert_eq!(root.open_reader("pack-link").unwrap_err(), RunpackFsError::Symlink);
    symlink(outside.path(), dir.path().join("away")).unwrap();
    assert_eq!(root.open_reader("away").unwrap_err(), RunpackFsError::Symlink);
    std::fs::create_dir(dir.path().join("real")).unwrap();
    symlink(&pack, dir.path().join("real/inner")).unwrap();
    assert_eq!(root.open_reader("real/inner").unwrap_err(), RunpackFsError::Symlink);
    assert!(matches!(root.open_reader("/etc"), Err(RunpackFsError::AbsolutePath)));
    assert!(matches!(root.open_reader("../"), Err(RunpackFsError::EscapesRoot)));

    // A FIFO is not a regular file and must not block the open.
    let fifo = pack.join("artifacts/fifo.json");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().map(|s| s.success()).unwrap_or(false));
    assert!(
        matches!(reader.read_with_limit("artifacts/fifo.json", 100), Err(ArtifactError::Sink(m)) if m.contains("not a regular file"))
    );
}

#[test]
fn oversized_files_are_refused_before_reading() {
    let (dir, root) = root();
    let pack = dir.path().join("pack");
    std::fs::create_dir_all(pack.join("artifacts")).unwrap();
    let file = std::fs::File::create(pack.join("manifest.json")).unwrap();
    file.set_len(MAX_ARTIFACT_BYTES as u64 + 1).unwrap();
    let reader = root.open_reader("pack").unwrap();
    assert!(
        matches!(reader.read_manifest("manifest.json"), Err(RunpackFsError::TooLarge { actual_bytes, .. }) if actual_bytes == MAX_ARTIFACT_BYTES + 1)
    );
    std::fs::write(pack.join("artifacts/a.json"), b"[1,2,3]").unwrap();
    assert!(matches!(
        reader.read_with_limit("artifacts/a.json", 3),
        Err(ArtifactError::TooLarge { max_bytes: 3, actual_bytes: 7, .. })
    ));
}

fn sample_run() -> (ScenarioSpec, RunState) {
    let spec: ScenarioSpec = serde_json::from_value(json!({
        "scenario_id": "scenario", "namespace_id": 1, "spec_version": "1",
        "stages": [{"stage_id": "a", "entry_packets": [], "gates": [], "advance_to": {"kind": "terminal"}, "on_timeout": "fail"}],
        "conditions": [], "policies": [], "schemas": []
    }))
    .unwrap();
    let state = RunState {
        tenant_id: decision_gate_core::ids::TenantId::new(1).unwrap(),
        namespace_id: decision_gate_core::ids::NamespaceId::new(1).unwrap(),
        run_id: "run-1".into(),
        scenario_id: "scenario".into(),
        spec_hash: spec.spec_hash().unwrap(),
        current_stage_id: "a".into(),
        stage_entered_at: Timestamp::Logical(1),
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

#[test]
fn build_into_the_writer_then_verify_through_the_reader() {
    let (dir, root) = root();
    let (spec, state) = sample_run();
    let policy = EvidenceAnchorPolicy::default();
    let options = RunpackBuildOptions {
        generated_at: Timestamp::Logical(10),
        include_verification: true,
        anchor_policy: &policy,
        security: None,
        signing_key: None,
        evidence_keys: None,
    };
    let mut writer = root.create_writer("exports/run-1", "manifest.json").unwrap();
    let built = build_runpack(&spec, &state, &mut writer, &options).unwrap();
    assert_eq!(built.report.as_ref().map(|r| r.checked_files), Some(7));
    assert!(!dir.path().join("exports/run-1").exists(), "nothing visible before commit");
    let final_path = writer.commit().unwrap();
    assert_eq!(final_path, root.path().join("exports/run-1"));
    assert!(temp_dirs(dir.path()).is_empty());

    let reader = root.open_reader("exports/run-1").unwrap();
    assert_eq!(reader.list_artifacts().unwrap().len(), 8);
    let manifest = reader.read_manifest("manifest.json").unwrap();
    let summary = verify_runpack(&manifest, &reader, &VerifyOptions::default()).unwrap();
    assert_eq!(summary.status, VerificationStatus::Pass, "{:?}", summary.errors);
    assert_eq!(summary.checked_files, 8);
    assert_eq!(
        std::fs::read(final_path.join("artifacts/triggers.json")).unwrap(),
        b"[]",
        "empty logs are the 2-byte file"
    );
    assert_eq!(
        HashDigest::sha256(&std::fs::read(final_path.join("artifacts/triggers.json")).unwrap()).value,
        "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"
    );

    // A second export into the same directory fails; an extra file fails verification.
    assert_eq!(root.create_writer("exports/run-1", "manifest.json").unwrap_err(), RunpackFsError::OutputExists);
    std::fs::write(final_path.join("artifacts/extra.json"), b"[]").unwrap();
    let summary = verify_runpack(&manifest, &reader, &VerifyOptions::default()).unwrap();
    assert_eq!(summary.status, VerificationStatus::Fail);
    assert!(summary.errors.iter().any(|e| e == "unlisted artifact artifacts/extra.json"), "{:?}", summary.errors);
}
