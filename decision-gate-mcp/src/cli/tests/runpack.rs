//! `runpack export` and `runpack verify`.

use std::path::Path;

use decision_gate_core::ports::ArtifactReader;
use decision_gate_core::runpack::{RunpackManifest, RunpackSigningKey, VerificationSummary};
use serde_json::Value;

use super::{Outcome, arg, cli, oversized, write_inputs};
use crate::cli::common::{MAX_INPUT_BYTES, MAX_STATE_BYTES};
use crate::cli::local_reader::LocalArtifactReader;
use crate::cli::runpack_verify::default_runpack_dir;

fn export(dir: &Path, output: &Path, extra: &[&str]) -> super::Run {
    let (spec, state) = write_inputs(dir);
    let mut args = vec!["runpack", "export", "--spec", arg(&spec), "--state", arg(&state), "--output-dir", arg(output)];
    args.extend_from_slice(extra);
    cli(&args)
}

fn verify(manifest: &Path, extra: &[&str]) -> (super::Run, VerificationSummary) {
    let mut args = vec!["runpack", "verify", "--manifest", arg(manifest)];
    args.extend_from_slice(extra);
    let run = cli(&args);
    let summary = serde_json::from_str(&run.out)
        .unwrap_or_else(|error| panic!("not a summary ({error}): {}\nstderr: {}", run.out, run.err));
    (run, summary)
}

fn manifest(path: &Path) -> RunpackManifest {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn export_then_verify_passes_and_prints_the_root_hash() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("exports").join("run-1");
    let run = export(dir.path(), &output, &["--generated-at-unix-ms", "1700000000000", "--with-verification"]);
    assert_eq!(run.outcome(), Outcome::Success);
    let written = manifest(&output.join("runpack.json"));
    assert_eq!(run.out, format!("{}\n", written.integrity.root_hash.value));
    assert_eq!(written.manifest_version, "v2");
    assert!(written.security.is_none(), "CLI exports carry no security context");
    let progress: Vec<&str> = run.err.lines().filter(|line| line.starts_with('[')).collect();
    assert_eq!(progress.len(), 9, "{}", run.err);
    assert!(progress[2].starts_with("[3/9] artifacts/gate_evals.json "), "{}", progress[2]);
    assert!(progress[8].starts_with("[9/9] runpack.json "), "{}", progress[8]);
    assert_eq!(
        std::fs::read(output.join("artifacts/verifier_report.json")).unwrap(),
        br#"{"checked_files":7,"errors":[],"status":"pass"}"#
    );
    let leftovers: Vec<_> = std::fs::read_dir(output.parent().unwrap()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary directory left behind");

    let (run, summary) = verify(&output.join("runpack.json"), &[]);
    assert_eq!(run.outcome(), Outcome::Success, "{:?}", summary.errors);
    assert_eq!(summary.checked_files, 8);
    assert!(!summary.legacy && !summary.signed);
    let canonical = decision_gate_core::hashing::to_canonical_vec(&summary).unwrap();
    assert_eq!(run.out.as_bytes(), [canonical.as_slice(), b"\n"].concat(), "JSON output is canonical");
}

#[test]
fn exports_with_the_same_inputs_and_time_are_identical() {
    let dir = tempfile::tempdir().unwrap();
    let first = export(dir.path(), &dir.path().join("a"), &["--generated-at-unix-ms", "5"]);
    let second =
        export(dir.path(), &dir.path().join("b"), &["--generated-at-unix-ms", "5", "--manifest-name", "m.json"]);
    assert_eq!(first.outcome(), Outcome::Success);
    assert_eq!(first.out, second.out, "manifest name and directory do not change the root hash");
    let third = export(dir.path(), &dir.path().join("c"), &["--generated-at-unix-ms", "6"]);
    assert_ne!(first.out, third.out, "generated_at is covered by the v2 root hash");
    assert_eq!(
        std::fs::read(dir.path().join("a/runpack.json")).unwrap(),
        std::fs::read(dir.path().join("b/m.json")).unwrap()
    );
}

#[test]
fn a_tampered_artifact_fails_verification_with_outcome_failure() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("pack");
    assert_eq!(export(dir.path(), &output, &[]).outcome(), Outcome::Success);
    std::fs::write(output.join("artifacts/decisions.json"), b"[ ]").unwrap();
    let (run, summary) = verify(&output.join("runpack.json"), &[]);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert!(summary.errors.contains(&"hash mismatch for artifacts/decisions.json".to_owned()), "{:?}", summary.errors);

    let markdown = cli(&["runpack", "verify", "--manifest", arg(&output.join("runpack.json")), "--format", "markdown"]);
    assert_eq!(markdown.outcome(), Outcome::Failure);
    assert!(markdown.out.contains("**FAIL**") && markdown.out.contains("- hash mismatch for artifacts/decisions.json"));
}

#[test]
fn markdown_report_of_a_passing_runpack() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("pack");
    assert_eq!(export(dir.path(), &output, &[]).outcome(), Outcome::Success);
    let run = cli(&["runpack", "verify", "--manifest", arg(&output.join("runpack.json")), "--format", "markdown"]);
    assert_eq!(run.outcome(), Outcome::Success);
    assert!(run.out.starts_with("# Runpack verification report"), "{}", run.out);
    assert!(run.out.contains("| Status | **PASS** |") && run.out.contains("| Checked files | 7 |"), "{}", run.out);
    assert!(run.out.contains("None."));
}

#[test]
fn symlinked_artifacts_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("pack");
    assert_eq!(export(dir.path(), &output, &[]).outcome(), Outcome::Success);
    let target = dir.path().join("outside.json");
    std::fs::rename(output.join("artifacts/packets.json"), &target).unwrap();
    std::os::unix::fs::symlink(&target, output.join("artifacts/packets.json")).unwrap();
    let (run, summary) = verify(&output.join("runpack.json"), &[]);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert!(
        summary.errors.iter().any(|error| error.contains("artifacts/packets.json") && error.contains("symlink")),
        "{:?}",
        summary.errors
    );
}

#[test]
fn local_reader_caps_and_paths() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("artifacts/sub")).unwrap();
    std::fs::write(dir.path().join("artifacts/a.json"), b"[]").unwrap();
    std::fs::write(dir.path().join("artifacts/sub/b.json"), b"{}").unwrap();
    let reader = LocalArtifactReader::open(dir.path()).unwrap();
    assert_eq!(reader.list_artifacts().unwrap(), ["artifacts/a.json", "artifacts/sub/b.json"]);
    assert_eq!(reader.read_with_limit("artifacts/a.json", 16).unwrap(), b"[]");
    let too_large = reader.read_with_limit("artifacts/a.json", 1).unwrap_err().to_string();
    assert_eq!(too_large, "artifact too large: artifacts/a.json (2 > 1)");
    assert!(reader.read_with_limit("../x", 16).unwrap_err().to_string().contains("escapes runpack root"));
    assert!(reader.read_with_limit("/etc/passwd", 16).is_err());
    assert!(reader.read_with_limit("artifacts/missing.json", 16).unwrap_err().to_string().contains("not found"));
    oversized(&dir.path().join("artifacts"), "big.json", 16 * 1024 * 1024);
    assert!(reader.read_with_limit("artifacts/big.json", usize::MAX).unwrap_err().to_string().contains("too large"));
}

#[test]
fn the_runpack_dir_defaults_to_the_manifest_directory() {
    assert_eq!(default_runpack_dir(Path::new("runpack.json")), Path::new("."));
    assert_eq!(default_runpack_dir(Path::new("out/pack/runpack.json")), Path::new("out/pack"));
    assert_eq!(default_runpack_dir(Path::new("/abs/runpack.json")), Path::new("/abs"));

    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("pack");
    assert_eq!(export(dir.path(), &output, &[]).outcome(), Outcome::Success);
    let elsewhere = dir.path().join("manifest-copy.json");
    std::fs::copy(output.join("runpack.json"), &elsewhere).unwrap();
    let (run, _) = verify(&elsewhere, &["--runpack-dir", arg(&output)]);
    assert_eq!(run.outcome(), Outcome::Success);
    let (run, summary) = verify(&elsewhere, &[]);
    assert_eq!(run.outcome(), Outcome::Failure, "without --runpack-dir the artifacts are not next to the copy");
    assert!(summary.errors.iter().any(|error| error.starts_with("artifact read failed")), "{:?}", summary.errors);
}

#[test]
fn oversized_inputs_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let (spec, state) = write_inputs(dir.path());
    let big_spec = oversized(dir.path(), "big-spec.json", MAX_INPUT_BYTES);
    let big_state = oversized(dir.path(), "big-state.json", MAX_STATE_BYTES);
    let output = dir.path().join("out");
    let run =
        cli(&["runpack", "export", "--spec", arg(&big_spec), "--state", arg(&state), "--output-dir", arg(&output)]);
    assert!(run.error().contains("Refusing to read"), "{}", run.error());
    let run =
        cli(&["runpack", "export", "--spec", arg(&spec), "--state", arg(&big_state), "--output-dir", arg(&output)]);
    assert!(run.error().contains("Refusing to read"), "{}", run.error());
    let big_manifest = oversized(dir.path(), "runpack.json", MAX_INPUT_BYTES);
    let run = cli(&["runpack", "verify", "--manifest", arg(&big_manifest)]);
    assert!(run.error().contains("Refusing to read"), "{}", run.error());
    assert!(!output.exists());
}

#[test]
fn export_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("pack");
    let run = export(dir.path(), &output, &["--generated-at-unix-ms", "-1"]);
    assert!(run.error().contains("must not be negative"), "{}", run.error());
    std::fs::create_dir(&output).unwrap();
    let run = export(dir.path(), &output, &[]);
    assert!(run.error().contains("already exists"), "{}", run.error());

    // A spec that differs from the run's spec hash, and an invalid spec.
    let (spec, state) = write_inputs(dir.path());
    let mut value: Value = serde_json::from_slice(&std::fs::read(&spec).unwrap()).unwrap();
    value["spec_version"] = Value::from("2");
    std::fs::write(&spec, value.to_string()).unwrap();
    let fresh = dir.path().join("fresh");
    let args = ["runpack", "export", "--spec", arg(&spec), "--state", arg(&state), "--output-dir", arg(&fresh)];
    assert!(cli(&args).error().contains("run state spec hash mismatch"));
    assert!(!fresh.exists(), "nothing is left behind");
    let stage = value["stages"][0].clone();
    value["stages"].as_array_mut().unwrap().push(stage);
    std::fs::write(&spec, value.to_string()).unwrap();
    let error = cli(&args).error();
    assert!(error.contains("invalid scenario spec") && error.contains("duplicate stage id"), "{error}");
}

#[test]
fn signed_exports_verify_against_trusted_keys() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.key");
    std::fs::write(&seed, [7u8; 32]).unwrap();
    let public = dir.path().join("public.key");
    let key = RunpackSigningKey::from_seed_material("k1", &[7u8; 32]).unwrap();
    std::fs::write(&public, key.verifying_key().as_bytes()).unwrap();

    let output = dir.path().join("pack");
    let run = export(dir.path(), &output, &["--signing-key", arg(&seed), "--key-id", "k1"]);
    assert_eq!(run.outcome(), Outcome::Success);
    let manifest_path = output.join("runpack.json");
    assert_eq!(manifest(&manifest_path).signature.unwrap().key_id, "k1");

    let trusted = format!("k1={}", arg(&public));
    let (run, summary) = verify(&manifest_path, &["--trusted-key", &trusted, "--require-signature"]);
    assert_eq!(run.outcome(), Outcome::Success, "{:?}", summary.errors);
    assert!(summary.signed);
    assert_eq!(summary.signing_key_id.as_deref(), Some("k1"));

    let (run, summary) = verify(&manifest_path, &["--require-signature"]);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert!(summary.errors.contains(&"untrusted runpack signing key k1".to_owned()), "{:?}", summary.errors);

    assert!(
        cli(&["runpack", "verify", "--manifest", arg(&manifest_path), "--trusted-key", "k1"])
            .error()
            .contains("ID=PATH")
    );
    let unsigned = dir.path().join("unsigned");
    assert_eq!(export(dir.path(), &unsigned, &[]).outcome(), Outcome::Success);
    let (run, summary) = verify(&unsigned.join("runpack.json"), &["--require-signature"]);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert_eq!(summary.errors, ["runpack signature required"]);
}

#[test]
fn config_supplies_anchor_policy_and_verify_settings() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("decision-gate.toml");
    std::fs::write(
        &config,
        "[[anchors.providers]]\nprovider_id = \"json\"\nanchor_type = \"file\"\nrequired_fields = [\"path\"]\n",
    )
    .unwrap();
    let anchored = dir.path().join("anchored");
    assert_eq!(export(dir.path(), &anchored, &["--config", arg(&config)]).outcome(), Outcome::Success);
    let policy = manifest(&anchored.join("runpack.json")).anchor_policy.unwrap();
    assert_eq!(policy.providers.len(), 1);
    let (run, _) = verify(&anchored.join("runpack.json"), &["--config", arg(&config)]);
    assert_eq!(run.outcome(), Outcome::Success);

    let plain = dir.path().join("plain");
    assert_eq!(export(dir.path(), &plain, &[]).outcome(), Outcome::Success);
    let (run, summary) = verify(&plain.join("runpack.json"), &["--config", arg(&config)]);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert_eq!(summary.errors, ["anchor policy mismatch for provider json"]);

    std::fs::write(&config, "[runpack.verify]\nrequire_signature = true\n").unwrap();
    let (run, summary) = verify(&plain.join("runpack.json"), &["--config", arg(&config)]);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert_eq!(summary.errors, ["runpack signature required"]);
}

#[test]
fn an_unparsable_manifest_is_an_error_not_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runpack.json");
    std::fs::write(&path, b"{not json").unwrap();
    let error = cli(&["runpack", "verify", "--manifest", arg(&path)]).error();
    assert!(error.starts_with("runpack error: invalid manifest"), "{error}");
    std::fs::write(&path, br#"{"manifest_version":"v9"}"#).unwrap();
    let (run, summary) = verify(&path, &[]);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert_eq!(summary.errors, ["unsupported manifest version: v9"]);
}
