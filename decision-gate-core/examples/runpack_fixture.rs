//! Writes the 1,000-trigger benchmark runpack to a directory, so its bytes can be hashed by
//! other tools (`scripts/bench-core.sh` compares `sha256sum` with the verifier).
//!
//! Usage: `cargo run --release -p decision-gate-core --example runpack_fixture -- OUT_DIR`

#[path = "../benches/fixture.rs"]
mod fixture;

use std::path::PathBuf;

use decision_gate_core::evidence::EvidenceAnchorPolicy;
use decision_gate_core::ports::MemoryArtifactStore;
use decision_gate_core::runpack::{RunpackBuildOptions, build_runpack};
use decision_gate_core::time::Timestamp;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::args().nth(1).ok_or("usage: runpack_fixture OUT_DIR")?);
    let (spec, state) = fixture::run_with_triggers(1000);
    let policy = EvidenceAnchorPolicy::default();
    let options = RunpackBuildOptions {
        generated_at: Timestamp::Logical(2000),
        include_verification: false,
        anchor_policy: &policy,
        security: None,
        signing_key: None,
        evidence_keys: None,
    };
    let mut store = MemoryArtifactStore::default();
    build_runpack(&spec, &state, &mut store, &options)?;
    std::fs::create_dir_all(out.join("artifacts"))?;
    for (path, bytes) in &store.files {
        std::fs::write(out.join(path), bytes)?;
    }
    std::fs::write(out.join("manifest.json"), store.manifest.unwrap_or_default())?;
    Ok(())
}
