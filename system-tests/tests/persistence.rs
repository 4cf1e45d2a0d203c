//! persistence suite (being written).
