//! Durable stores: SQLite and the confined filesystem runpack storage.
