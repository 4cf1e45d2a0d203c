//! Data shapes: registered JSON Schemas for asserted data (core-model §9).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Page;
use crate::ids::{DataShapeVersion, NamespaceId, SchemaId, TenantId};
use crate::time::Timestamp;

/// Hard ceiling on stored schema size when reading (10 MiB).
pub const MAX_SCHEMA_BYTES_CEILING: usize = 10 * 1024 * 1024;

/// Opaque signing metadata of a data shape (never verified cryptographically).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataShapeSignature {
    /// Key id.
    pub key_id: String,
    /// Signature text.
    pub signature: String,
    /// Algorithm label; omitted when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
}

/// A registered data shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataShapeRecord {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Schema id.
    pub schema_id: SchemaId,
    /// Version (opaque; ordered byte-wise).
    pub version: DataShapeVersion,
    /// The JSON Schema.
    pub schema: Value,
    /// Description (key always present; `null` when absent).
    pub description: Option<String>,
    /// Client-supplied creation time.
    pub created_at: Timestamp,
    /// Signing metadata; omitted when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing: Option<DataShapeSignature>,
}

impl DataShapeRecord {
    /// The record with signing metadata normalised: kept only if `key_id` and `signature` are
    /// both non-blank after trimming.
    pub fn with_normalized_signing(mut self) -> Self {
        if let Some(signing) = &self.signing
            && (signing.key_id.trim().is_empty() || signing.signature.trim().is_empty())
        {
            self.signing = None;
        }
        self
    }
}

/// Reference to a data shape by identity within the caller's tenant and namespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataShapeRef {
    /// Schema id.
    pub schema_id: SchemaId,
    /// Exact version.
    pub version: DataShapeVersion,
}

/// Registry failure classes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DataShapeError {
    /// I/O failure.
    #[error("schema registry io error: {0}")]
    Io(String),
    /// Invalid input or stored data (size, cursor, limit, entry cap).
    #[error("{0}")]
    Invalid(String),
    /// Identity already registered.
    #[error("{0}")]
    Conflict(String),
    /// Access denied (hosts only; stores never emit it).
    #[error("{0}")]
    Access(String),
    /// Stored data failed its hash check.
    #[error("schema registry corruption: {0}")]
    Corrupt(String),
}

/// Limits of a registry backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistryLimits {
    /// Largest canonical schema accepted on write (1 B ..= 10 MiB; default 1 MiB).
    pub max_schema_bytes: usize,
    /// Entry cap per (tenant, namespace); `None` = unlimited.
    pub max_entries: Option<usize>,
}

impl Default for RegistryLimits {
    fn default() -> Self {
        RegistryLimits { max_schema_bytes: 1024 * 1024, max_entries: None }
    }
}

/// Immutable registry of data shapes.
pub trait DataShapeRegistry: Send + Sync {
    /// Registers a new identity: duplicate ⇒ `Conflict`, then size and entry cap ⇒ `Invalid`.
    fn register(&self, record: &DataShapeRecord) -> Result<(), DataShapeError>;

    /// Exact four-part lookup.
    fn get(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        schema_id: &SchemaId,
        version: &DataShapeVersion,
    ) -> Result<Option<DataShapeRecord>, DataShapeError>;

    /// Records sorted by (schema id, version) byte order; cursor rules of core-model §9.4.
    fn list(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<DataShapeRecord>, DataShapeError>;

    /// Performs a real round trip to the backend.
    fn readiness(&self) -> Result<(), DataShapeError>;
}
