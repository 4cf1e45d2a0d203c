//! Date ordering (placeholder during development).
