//! fuzz suite (being written).
