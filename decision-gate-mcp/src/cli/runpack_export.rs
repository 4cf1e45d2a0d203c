//! `decision-gate runpack export`: offline v2 export of one run (runpacks-and-stores §5, §9).
//!
//! The spec and run state come from local files (16 MiB and 128 MiB caps); the spec is
//! validated first. The runpack is written through the confined filesystem writer with the
//! output directory's parent as its root: files go into a locked temporary directory next to
//! the target, the manifest is written last, and the directory is renamed into place (it must
//! not exist). One progress line per file goes to stderr; the root hash goes to stdout.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use decision_gate_core::ports::{Artifact, ArtifactError, ArtifactReader, ArtifactRef, ArtifactSink};
use decision_gate_core::run::RunState;
use decision_gate_core::runpack::{
    RUN_ARTIFACTS, RunpackBuildOptions, RunpackSigningKey, VerificationStatus, build_runpack,
};
use decision_gate_core::spec::{ValidationMode, parse_spec_json, validate_spec};
use decision_gate_core::time::Timestamp;

use super::Outcome;
use super::common::{MAX_INPUT_BYTES, MAX_STATE_BYTES, explicit_config, human_size, read_capped};
use crate::stores::{FsRunpackWriter, RunpackRoot};

/// Largest accepted signing-key file.
const MAX_KEY_FILE_BYTES: u64 = 4096;

/// `runpack export` arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct ExportArgs {
    /// Scenario spec (JSON, at most 16 MiB); its hash must equal the run state's `spec_hash`.
    #[arg(long)]
    pub spec: PathBuf,
    /// Run state (JSON, at most 128 MiB).
    #[arg(long)]
    pub state: PathBuf,
    /// Runpack directory to create; it must not exist (missing parents are created).
    #[arg(long)]
    pub output_dir: PathBuf,
    /// File name of the manifest inside the runpack.
    #[arg(long, default_value = "runpack.json")]
    pub manifest_name: String,
    /// Verify the written artifacts and embed `artifacts/verifier_report.json`.
    #[arg(long)]
    pub with_verification: bool,
    /// Configuration file: supplies the anchor policy (`[anchors]`) and the validation mode.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// `generated_at` in Unix milliseconds (default: the current time).
    #[arg(long, allow_negative_numbers = true, value_name = "MS")]
    pub generated_at_unix_ms: Option<i64>,
    /// Ed25519 seed file (32 raw bytes or base64 text) used to sign the manifest.
    #[arg(long, requires = "key_id", value_name = "PATH")]
    pub signing_key: Option<PathBuf>,
    /// Key id recorded in the manifest signature.
    #[arg(long, requires = "signing_key", value_name = "ID")]
    pub key_id: Option<String>,
}

/// Runs `runpack export`: prints one progress line per file to `err` and the manifest's root
/// hash (lowercase hex) to `out`.
pub fn export(args: &ExportArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let generated_at = match args.generated_at_unix_ms {
        Some(millis) if millis < 0 => bail!("--generated-at-unix-ms must not be negative (got {millis})"),
        Some(millis) => millis,
        None => now_millis()?,
    };
    let config = explicit_config(args.config.as_deref())?;
    let spec_bytes = read_capped(&args.spec, MAX_INPUT_BYTES)?;
    let spec_text = std::str::from_utf8(&spec_bytes)
        .map_err(|_| anyhow!("invalid scenario spec {}: file is not UTF-8", args.spec.display()))?;
    let spec = parse_spec_json(spec_text).with_context(|| format!("invalid scenario spec {}", args.spec.display()))?;
    let mode = match &config {
        Some(config) if !config.validation.strict => ValidationMode::Permissive,
        _ => ValidationMode::Strict,
    };
    validate_spec(&spec, mode).map_err(|error| anyhow!("invalid scenario spec {}: {error}", args.spec.display()))?;
    let state_bytes = read_capped(&args.state, MAX_STATE_BYTES)?;
    let state: RunState =
        serde_json::from_slice(&state_bytes).with_context(|| format!("invalid run state {}", args.state.display()))?;
    drop(state_bytes);
    let policy = config.as_ref().map(|config| config.anchors.policy()).unwrap_or_default();
    let signing_key = match (&args.signing_key, &args.key_id) {
        (Some(path), Some(key_id)) => {
            let material = read_capped(path, MAX_KEY_FILE_BYTES)?;
            let key = RunpackSigningKey::from_seed_material(key_id, &material)
                .map_err(|error| anyhow!("invalid signing key {}: {error}", path.display()))?;
            Some(key)
        }
        (None, None) => None,
        _ => bail!("--signing-key and --key-id must be given together"),
    };

    let mut writer = create_writer(&args.output_dir, &args.manifest_name)?;
    let options = RunpackBuildOptions {
        generated_at: Timestamp::UnixMillis(generated_at),
        include_verification: args.with_verification,
        anchor_policy: &policy,
        security: None,
        signing_key: signing_key.as_ref(),
        evidence_keys: None,
    };
    let total = RUN_ARTIFACTS.len() + usize::from(args.with_verification) + 1;
    let built = {
        let mut sink = ProgressSink {
            inner: &mut writer,
            progress: &mut *err,
            done: 0,
            total,
            manifest_name: args.manifest_name.clone(),
        };
        build_runpack(&spec, &state, &mut sink, &options).map_err(|error| anyhow!("runpack error: {error}"))?
    };
    let path = writer.commit().map_err(|error| anyhow!("runpack error: {error}"))?;
    if let Some(report) = built.report.as_ref().filter(|report| report.status == VerificationStatus::Fail) {
        // Export succeeds even when the embedded report fails (§5.1); say so.
        let _ = writeln!(err, "warning: export-time verification failed: {}", report.errors.join("; "));
    }
    let _ = writeln!(err, "runpack written to {}", path.display());
    writeln!(out, "{}", built.manifest.integrity.root_hash.value).context("cannot write output")?;
    Ok(Outcome::Success)
}

fn now_millis() -> anyhow::Result<i64> {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).context("the system clock is before 1970")?;
    i64::try_from(elapsed.as_millis()).context("the system clock is out of range")
}

/// Opens the output directory's parent as a runpack root and starts an export into the last
/// component (which must not exist).
fn create_writer(output_dir: &Path, manifest_name: &str) -> anyhow::Result<FsRunpackWriter> {
    let absolute = std::path::absolute(output_dir)
        .with_context(|| format!("cannot resolve output directory {}", output_dir.display()))?;
    let name = absolute
        .file_name()
        .and_then(OsStr::to_str)
        .filter(|name| !name.is_empty())
        .ok_or_else(|| anyhow!("--output-dir must end in a UTF-8 directory name: {}", output_dir.display()))?;
    let parent =
        absolute.parent().ok_or_else(|| anyhow!("--output-dir has no parent directory: {}", output_dir.display()))?;
    if std::fs::symlink_metadata(&absolute).is_ok() {
        bail!("output directory already exists: {}", output_dir.display());
    }
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let root = RunpackRoot::open(parent).map_err(|error| anyhow!("cannot open {}: {error}", parent.display()))?;
    root.create_writer(name, manifest_name)
        .map_err(|error| anyhow!("cannot create runpack {}: {error}", output_dir.display()))
}

/// Forwards to the filesystem writer and prints `[i/n] path size` per file written.
struct ProgressSink<'a> {
    inner: &'a mut FsRunpackWriter,
    progress: &'a mut dyn Write,
    done: usize,
    total: usize,
    manifest_name: String,
}

impl ProgressSink<'_> {
    fn report(&mut self, path: &str, bytes: usize) {
        self.done += 1;
        // Progress is best effort: a closed stderr must not fail the export.
        let _ = writeln!(self.progress, "[{}/{}] {path} {}", self.done, self.total, human_size(bytes as u64));
    }
}

impl ArtifactSink for ProgressSink<'_> {
    fn write(&mut self, artifact: &Artifact) -> Result<ArtifactRef, ArtifactError> {
        let written = self.inner.write(artifact)?;
        self.report(&artifact.path, artifact.bytes.len());
        Ok(written)
    }

    fn finalize(&mut self, manifest_bytes: &[u8]) -> Result<ArtifactRef, ArtifactError> {
        let written = self.inner.finalize(manifest_bytes)?;
        let name = self.manifest_name.clone();
        self.report(&name, manifest_bytes.len());
        Ok(written)
    }
}

impl ArtifactReader for ProgressSink<'_> {
    fn read_with_limit(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, ArtifactError> {
        self.inner.read_with_limit(path, max_bytes)
    }

    fn list_artifacts(&self) -> Result<Vec<String>, ArtifactError> {
        self.inner.list_artifacts()
    }
}
