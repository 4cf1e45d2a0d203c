//! Core benchmarks: tree evaluation, scenario_next, canonical hashing, runpack build + verify.
//! Run with `cargo bench -p decision-gate-core --bench core_benches`.
#![allow(missing_docs)]

mod fixture;

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use decision_gate_core::evidence::EvidenceAnchorPolicy;
use decision_gate_core::hashing::{hash_json_value, value_to_canonical_vec};
use decision_gate_core::ports::MemoryArtifactStore;
use decision_gate_core::requirement::{LogicMode, TriState, evaluate_requirement};
use decision_gate_core::runpack::{
    RunpackBuildOptions, VerificationStatus, VerifyOptions, build_runpack, verify_runpack,
};
use decision_gate_core::time::Timestamp;

fn tree_evaluation(c: &mut Criterion) {
    let (tree, statuses) = fixture::wide_tree(1000);
    c.bench_function("evaluate_tree_1000_conditions", |b| {
        b.iter(|| {
            let result = evaluate_requirement(black_box(&tree), LogicMode::Kleene, &mut |id| {
                statuses.get(id).copied().unwrap_or(TriState::Unknown)
            });
            assert_eq!(result.trace.len(), 1000);
            result
        })
    });
}

fn scenario_next(c: &mut Criterion) {
    let (engine, _store) = fixture::engine(20);
    let counter = AtomicU64::new(0);
    c.bench_function("scenario_next_20_conditions", |b| {
        b.iter_batched(
            || {
                let run = format!("run-{}", counter.fetch_add(1, Ordering::Relaxed));
                engine.start_run(&fixture::run_config(&run), Timestamp::Logical(0), false).expect("start");
                run
            },
            |run| engine.scenario_next(&fixture::next_request(&run, 1)).expect("next"),
            BatchSize::SmallInput,
        )
    });
}

fn canonical_hashing(c: &mut Criterion) {
    let value = fixture::one_mib_json();
    let bytes = value_to_canonical_vec(&value).len();
    let mut group = c.benchmark_group("canonical_hash");
    group.throughput(Throughput::Bytes(bytes as u64));
    group
        .bench_function("hash_json_value_1mib", |b| b.iter(|| hash_json_value(black_box(&value), None).expect("hash")));
    group.finish();
}

fn runpack(c: &mut Criterion) {
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
    let mut built = MemoryArtifactStore::default();
    build_runpack(&spec, &state, &mut built, &options).expect("build");
    let total: usize = built.files.values().map(Vec::len).sum::<usize>() + built.manifest.as_ref().map_or(0, Vec::len);
    let mut group = c.benchmark_group("runpack_1000_triggers");
    group.throughput(Throughput::Bytes(total as u64));
    group.sample_size(20);
    group.bench_function("build", |b| {
        b.iter(|| {
            let mut store = MemoryArtifactStore::default();
            build_runpack(&spec, &state, &mut store, &options).expect("build")
        })
    });
    let manifest = built.manifest.clone().expect("manifest");
    group.bench_function("verify", |b| {
        b.iter(|| {
            let summary = verify_runpack(&manifest, &built, &VerifyOptions::default()).expect("verify");
            assert_eq!(summary.status, VerificationStatus::Pass);
            summary
        })
    });
    group.finish();
}

criterion_group!(benches, tree_evaluation, scenario_next, canonical_hashing, runpack);
criterion_main!(benches);
