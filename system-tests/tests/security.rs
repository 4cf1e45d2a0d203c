//! security suite (being written).
