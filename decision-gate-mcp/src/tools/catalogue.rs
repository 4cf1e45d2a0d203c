//! Tool catalogue (placeholder, completed by the catalogue module).
