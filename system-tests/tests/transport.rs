//! transport suite (being written).
