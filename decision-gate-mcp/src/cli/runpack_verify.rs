//! `decision-gate runpack verify`: offline verification of a local runpack
//! (runpacks-and-stores §6, §9).
//!
//! The manifest is read with the 16 MiB cap; artifacts are read from `--runpack-dir` (default:
//! the manifest's directory, `.` for a bare file name). `--config` supplies `[runpack.verify]`
//! (trusted keys, `require_signature`, `allow_legacy_v1`) and `[anchors]` as the expected anchor
//! policy. A failing report is normal output with exit code 1.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use decision_gate_core::runpack::{
    MAX_ARTIFACT_BYTES, TrustedRunpackKey, VerificationStatus, VerificationSummary, VerifyOptions, verify_runpack,
};

use super::Outcome;
use super::common::{explicit_config, print_canonical, read_capped};
use super::local_reader::LocalArtifactReader;

/// Largest accepted public-key file.
const MAX_KEY_FILE_BYTES: u64 = 4096;

/// Output format of `runpack verify`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Canonical JSON of the verification summary.
    #[default]
    Json,
    /// A readable Markdown report.
    Markdown,
}

/// `runpack verify` arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct VerifyArgs {
    /// Manifest file (at most 16 MiB).
    #[arg(long)]
    pub manifest: PathBuf,
    /// Runpack directory (default: the manifest's directory).
    #[arg(long)]
    pub runpack_dir: Option<PathBuf>,
    /// Configuration file: `[runpack.verify]` settings and `[anchors]` as the expected policy.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
    pub format: ReportFormat,
    /// Trusted runpack signing key `ID=PATH` (32-byte Ed25519 public key, raw or base64); repeatable.
    #[arg(long = "trusted-key", value_name = "ID=PATH")]
    pub trusted_keys: Vec<String>,
    /// Fail unsigned v2 runpacks.
    #[arg(long)]
    pub require_signature: bool,
}

/// The directory holding the artifacts: `--runpack-dir`, else the manifest's parent, else `.`.
pub fn default_runpack_dir(manifest: &Path) -> PathBuf {
    match manifest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn load_trusted_key(key_id: &str, path: &Path) -> anyhow::Result<TrustedRunpackKey> {
    let material = read_capped(path, MAX_KEY_FILE_BYTES)?;
    TrustedRunpackKey::from_public_material(key_id, &material)
        .map_err(|error| anyhow!("invalid trusted key {key_id} ({}): {error}", path.display()))
}

/// Runs `runpack verify` and prints the summary; `Failure` when the runpack fails.
pub fn verify(args: &VerifyArgs, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let config = explicit_config(args.config.as_deref())?;
    let mut trusted = Vec::new();
    let mut require_signature = args.require_signature;
    let mut allow_legacy_v1 = true;
    if let Some(config) = &config {
        let settings = &config.runpack.verify;
        for key in &settings.trusted_keys {
            trusted.push(load_trusted_key(&key.key_id, &key.public_key_path)?);
        }
        require_signature |= settings.require_signature;
        allow_legacy_v1 = settings.allow_legacy_v1;
    }
    for entry in &args.trusted_keys {
        let Some((key_id, path)) = entry.split_once('=').filter(|(id, path)| !id.is_empty() && !path.is_empty()) else {
            bail!("--trusted-key must be ID=PATH, got {entry:?}");
        };
        trusted.push(load_trusted_key(key_id, Path::new(path))?);
    }
    let expected_policy = config.as_ref().map(|config| config.anchors.policy());

    let manifest_bytes = read_capped(&args.manifest, MAX_ARTIFACT_BYTES as u64)?;
    let dir = args.runpack_dir.clone().unwrap_or_else(|| default_runpack_dir(&args.manifest));
    let reader =
        LocalArtifactReader::open(&dir).map_err(|error| anyhow!("runpack error: {} ({error})", dir.display()))?;
    let options = VerifyOptions {
        expected_anchor_policy: expected_policy.as_ref(),
        evidence_keys: None,
        trusted_keys: &trusted,
        require_signature,
        allow_legacy_v1,
    };
    let summary =
        verify_runpack(&manifest_bytes, &reader, &options).map_err(|error| anyhow!("runpack error: {error}"))?;
    match args.format {
        ReportFormat::Json => print_canonical(out, &summary)?,
        ReportFormat::Markdown => {
            out.write_all(markdown_report(&summary, &args.manifest, &dir).as_bytes()).context("cannot write output")?
        }
    }
    Ok(match summary.status {
        VerificationStatus::Pass => Outcome::Success,
        VerificationStatus::Fail => Outcome::Failure,
    })
}

/// A readable report of a verification summary.
pub fn markdown_report(summary: &VerificationSummary, manifest: &Path, dir: &Path) -> String {
    let status = match summary.status {
        VerificationStatus::Pass => "PASS",
        VerificationStatus::Fail => "FAIL",
    };
    let signature = match (&summary.signing_key_id, summary.signed) {
        (Some(key_id), true) => format!("verified (key `{key_id}`)"),
        _ => "none".to_owned(),
    };
    let mut text = format!(
        "# Runpack verification report\n\n\
         | Field | Value |\n\
         |---|---|\n\
         | Status | **{status}** |\n\
         | Manifest | `{}` |\n\
         | Runpack directory | `{}` |\n\
         | Manifest version | {}{} |\n\
         | Signature | {signature} |\n\
         | Checked files | {} |\n\n",
        manifest.display(),
        dir.display(),
        summary.manifest_version,
        if summary.legacy { " (legacy)" } else { "" },
        summary.checked_files,
    );
    if summary.errors.is_empty() {
        text.push_str("## Errors\n\nNone.\n");
    } else {
        text.push_str(&format!("## Errors ({})\n\n", summary.errors.len()));
        for error in &summary.errors {
            text.push_str(&format!("- {error}\n"));
        }
    }
    text
}
