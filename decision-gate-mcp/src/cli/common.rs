//! Helpers shared by the offline commands: capped file reads, configuration, output.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::Context;
use decision_gate_core::hashing::to_canonical_vec;
use serde::Serialize;

use crate::config::{DecisionGateConfig, load_config};

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;

/// Cap of every CLI input file except run states (16 MiB).
pub const MAX_INPUT_BYTES: u64 = 16 * MIB;

/// Cap of a run-state file given to `runpack export` (128 MiB).
pub const MAX_STATE_BYTES: u64 = 128 * MIB;

/// Reads a regular file of at most `cap` bytes; larger files are refused before reading
/// (`Refusing to read …`), and the length is checked again after reading.
pub fn read_capped(path: &Path, cap: u64) -> anyhow::Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let metadata = file.metadata().with_context(|| format!("cannot stat {}", path.display()))?;
    if !metadata.is_file() {
        anyhow::bail!("Refusing to read {}: not a regular file", path.display());
    }
    if metadata.len() > cap {
        anyhow::bail!("Refusing to read {}: {} bytes exceeds the limit of {cap} bytes", path.display(), metadata.len());
    }
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > cap {
        anyhow::bail!("Refusing to read {}: file grew beyond the limit of {cap} bytes", path.display());
    }
    Ok(bytes)
}

/// Loads and validates an explicitly named configuration file, if one was given.
pub fn explicit_config(path: Option<&Path>) -> anyhow::Result<Option<DecisionGateConfig>> {
    path.map(|path| load_config(Some(path)).map(|loaded| loaded.config).map_err(anyhow::Error::from)).transpose()
}

/// Loads the configuration the way `serve` does (`--config`, else `$DECISION_GATE_CONFIG`,
/// else `./decision-gate.toml`, else the zero-configuration profile).
pub fn resolved_config(path: Option<&Path>) -> anyhow::Result<DecisionGateConfig> {
    Ok(load_config(path)?.config)
}

/// Canonical JSON bytes of a value.
pub fn canonical<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<Vec<u8>> {
    to_canonical_vec(value).map_err(|err| anyhow::anyhow!("cannot serialise output: {err}"))
}

/// Writes canonical JSON of `value` followed by a newline.
pub fn print_canonical<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> anyhow::Result<()> {
    let mut bytes = canonical(value)?;
    bytes.push(b'\n');
    out.write_all(&bytes).context("cannot write output")
}

/// Human-readable size: `512 B`, `3.4 KiB`, `1.2 MiB`.
pub fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    if bytes < KIB {
        format!("{bytes} B")
    } else if bytes < MIB {
        format!("{:.1} KiB", bytes as f64 / KIB as f64)
    } else {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    }
}
