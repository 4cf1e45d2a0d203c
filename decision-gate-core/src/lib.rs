//! Decision Gate core: the deterministic engine.
//!
//! This crate holds the scenario model, tri-state requirement logic, comparators, canonical
//! JSON and hashing, evidence normalisation and trust lanes, the run state machine
//! ([`engine::ControlPlane`]), packet disclosure, precheck, runpack build and verification,
//! and the port traits with in-memory implementations. It performs no I/O and never reads a
//! clock: every time comes from the caller, and everything that talks to the world is a port.

pub mod comparator;
pub mod disclosure;
pub mod engine;
pub mod evidence;
pub mod hashing;
pub mod ids;
pub mod ports;
pub mod requirement;
pub mod run;
pub mod runpack;
pub mod spec;
pub mod time;
