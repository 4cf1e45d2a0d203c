//! Durable stores: SQLite and the confined filesystem runpack storage.

pub mod runpack_fs;
pub mod sqlite;

pub use runpack_fs::{FsRunpackReader, FsRunpackWriter, RunpackFsError, RunpackRoot};
pub use sqlite::{SqliteStore, SqliteStoreOptions};
