//! Durable stores: SQLite, the confined filesystem runpack root, and the runpack storage seam.

pub mod runpack_fs;
pub mod runpack_storage;
pub mod sqlite;

pub use runpack_fs::{FsRunpackReader, FsRunpackWriter, RunpackFsError, RunpackPartition, RunpackRoot};
pub use runpack_storage::{
    ExportTarget, FsRunpackStorage, RunpackRead, RunpackSource, RunpackStorage, RunpackStorageError, RunpackWrite,
};
pub use sqlite::{SqliteStore, SqliteStoreOptions};
