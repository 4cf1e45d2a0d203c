//! interop suite (being written).
