// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The control tables, created next to the open core's tables in the same SQLite file. Every
//! tenant table has `tenant_id` first in its primary key; the credential tables that
//! authentication reads before a tenant is known are keyed by the credential.
//!
//! Schema version 2 (this one) adds organisation owners, per-CA certificate subjects, the
//! authority that suspended a tenant and who issued each key. [`migrate`] brings a version-1
//! file up to it in place.

use rusqlite::{Connection, OptionalExtension};

/// The schema version this code writes.
pub const SCHEMA_VERSION: u32 = 2;

/// The CA id of certificate subjects registered before subjects were kept per CA.
pub const UNASSIGNED_CA: &str = "unassigned";

/// Statements creating the schema (idempotent).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS dg_control_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS dg_orgs (
    org_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS dg_tenants (
    tenant_id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES dg_orgs(org_id),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deleted')),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    suspended_by TEXT CHECK (suspended_by IS NULL OR suspended_by IN ('owner', 'billing', 'operator')),
    UNIQUE (org_id, name)
) STRICT;
CREATE TABLE IF NOT EXISTS dg_namespaces (
    tenant_id INTEGER NOT NULL REFERENCES dg_tenants(tenant_id),
    namespace_id INTEGER NOT NULL CHECK (namespace_id > 0),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'archived')),
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, namespace_id),
    UNIQUE (tenant_id, name)
) STRICT;
CREATE TABLE IF NOT EXISTS dg_principals (
    principal_id TEXT PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES dg_orgs(org_id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'service')),
    created_at_ms INTEGER NOT NULL,
    UNIQUE (org_id, name)
) STRICT;
CREATE TABLE IF NOT EXISTS dg_org_owners (
    org_id INTEGER NOT NULL REFERENCES dg_orgs(org_id),
    principal_id TEXT NOT NULL REFERENCES dg_principals(principal_id),
    PRIMARY KEY (org_id, principal_id)
) STRICT;
CREATE INDEX IF NOT EXISTS dg_org_owners_principal ON dg_org_owners (principal_id);
CREATE TABLE IF NOT EXISTS dg_client_cas (
    ca_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS dg_client_ca_orgs (
    ca_id TEXT NOT NULL REFERENCES dg_client_cas(ca_id),
    org_id INTEGER NOT NULL REFERENCES dg_orgs(org_id),
    PRIMARY KEY (ca_id, org_id)
) STRICT;
CREATE TABLE IF NOT EXISTS dg_cert_subjects (
    ca_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    principal_id TEXT NOT NULL REFERENCES dg_principals(principal_id),
    PRIMARY KEY (ca_id, subject)
) STRICT;
CREATE TABLE IF NOT EXISTS dg_role_bindings (
    tenant_id INTEGER NOT NULL REFERENCES dg_tenants(tenant_id),
    principal_id TEXT NOT NULL REFERENCES dg_principals(principal_id),
    role TEXT NOT NULL,
    namespace_id INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, principal_id, role, namespace_id)
) STRICT;
CREATE INDEX IF NOT EXISTS dg_role_bindings_principal ON dg_role_bindings (principal_id);
CREATE TABLE IF NOT EXISTS dg_api_keys (
    key_id TEXT PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES dg_orgs(org_id),
    principal_id TEXT NOT NULL REFERENCES dg_principals(principal_id),
    name TEXT NOT NULL,
    secret_sha256 BLOB NOT NULL CHECK (length(secret_sha256) = 32),
    previous_secret_sha256 BLOB CHECK (previous_secret_sha256 IS NULL OR length(previous_secret_sha256) = 32),
    previous_valid_until_ms INTEGER,
    namespace_id INTEGER,
    roles TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER,
    rotated_at_ms INTEGER,
    revoked_at_ms INTEGER,
    org_owner INTEGER NOT NULL DEFAULT 0 CHECK (org_owner IN (0, 1)),
    issued_by TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX IF NOT EXISTS dg_api_keys_principal ON dg_api_keys (principal_id);
CREATE TABLE IF NOT EXISTS dg_api_key_tenants (
    tenant_id INTEGER NOT NULL REFERENCES dg_tenants(tenant_id),
    key_id TEXT NOT NULL REFERENCES dg_api_keys(key_id),
    PRIMARY KEY (tenant_id, key_id)
) STRICT;
CREATE INDEX IF NOT EXISTS dg_api_key_tenants_key ON dg_api_key_tenants (key_id);
CREATE TABLE IF NOT EXISTS dg_ip_allowlists (
    tenant_id INTEGER NOT NULL REFERENCES dg_tenants(tenant_id),
    network TEXT NOT NULL,
    PRIMARY KEY (tenant_id, network)
) STRICT;
";

fn has_column(connection: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    let mut statement = connection.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
    let names = statement.query_map([], |row| row.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(names.iter().any(|name| name == column))
}

/// Creates the schema, bringing a version-1 file up to version 2 in one transaction: new
/// columns get their defaults (no key is an organisation-owner key, no suspension has a
/// recorded authority, keys were issued by `unknown`), and certificate subjects move under the
/// CA [`UNASSIGNED_CA`] until the server adopts them for its one configured client CA.
pub fn migrate(connection: &mut Connection) -> rusqlite::Result<()> {
    let transaction = connection.transaction()?;
    transaction.execute_batch(SCHEMA)?;
    let version: Option<String> = transaction
        .query_row("SELECT value FROM dg_control_meta WHERE key = 'schema_version'", [], |row| row.get(0))
        .optional()?;
    if version.is_none() {
        if !has_column(&transaction, "dg_tenants", "suspended_by")? {
            transaction.execute_batch(
                "ALTER TABLE dg_tenants ADD COLUMN suspended_by TEXT CHECK (suspended_by IS NULL OR suspended_by IN ('owner', 'billing', 'operator'));
                 UPDATE dg_tenants SET suspended_by = 'owner' WHERE status = 'suspended';",
            )?;
        }
        if !has_column(&transaction, "dg_api_keys", "org_owner")? {
            transaction.execute_batch(
                "ALTER TABLE dg_api_keys ADD COLUMN org_owner INTEGER NOT NULL DEFAULT 0 CHECK (org_owner IN (0, 1));
                 ALTER TABLE dg_api_keys ADD COLUMN issued_by TEXT NOT NULL DEFAULT 'unknown';",
            )?;
        }
        if !has_column(&transaction, "dg_cert_subjects", "ca_id")? {
            transaction.execute_batch(&format!(
                "ALTER TABLE dg_cert_subjects RENAME TO dg_cert_subjects_v1;
                 CREATE TABLE dg_cert_subjects (
                     ca_id TEXT NOT NULL,
                     subject TEXT NOT NULL,
                     principal_id TEXT NOT NULL REFERENCES dg_principals(principal_id),
                     PRIMARY KEY (ca_id, subject)
                 ) STRICT;
                 INSERT INTO dg_cert_subjects (ca_id, subject, principal_id)
                     SELECT '{UNASSIGNED_CA}', subject, principal_id FROM dg_cert_subjects_v1;
                 DROP TABLE dg_cert_subjects_v1;"
            ))?;
        }
        transaction.execute(
            "INSERT INTO dg_control_meta (key, value) VALUES ('schema_version', ?1)",
            [SCHEMA_VERSION.to_string()],
        )?;
    }
    transaction.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSION_1: &str = "
CREATE TABLE dg_control_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE dg_orgs (org_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at_ms INTEGER NOT NULL) STRICT;
CREATE TABLE dg_tenants (tenant_id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL, name TEXT NOT NULL,
    status TEXT NOT NULL, created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL, UNIQUE (org_id, name)) STRICT;
CREATE TABLE dg_principals (principal_id TEXT PRIMARY KEY, org_id INTEGER NOT NULL, name TEXT NOT NULL,
    kind TEXT NOT NULL, created_at_ms INTEGER NOT NULL, UNIQUE (org_id, name)) STRICT;
CREATE TABLE dg_cert_subjects (subject TEXT PRIMARY KEY, principal_id TEXT NOT NULL) STRICT;
CREATE TABLE dg_api_keys (key_id TEXT PRIMARY KEY, org_id INTEGER NOT NULL, principal_id TEXT NOT NULL,
    name TEXT NOT NULL, secret_sha256 BLOB NOT NULL, previous_secret_sha256 BLOB, previous_valid_until_ms INTEGER,
    namespace_id INTEGER, roles TEXT NOT NULL, created_at_ms INTEGER NOT NULL, expires_at_ms INTEGER,
    rotated_at_ms INTEGER, revoked_at_ms INTEGER) STRICT;
INSERT INTO dg_orgs VALUES (1, 'default', 0);
INSERT INTO dg_tenants VALUES (1, 1, 'default', 'suspended', 0, 0);
INSERT INTO dg_principals VALUES ('prn_a', 1, 'a', 'service', 0);
INSERT INTO dg_cert_subjects VALUES ('a.clients.test', 'prn_a');
INSERT INTO dg_api_keys VALUES ('abcdef0123456789', 1, 'prn_a', 'k', zeroblob(32), NULL, NULL, NULL, 'owner', 0, NULL, NULL, NULL);
";

    #[test]
    fn a_version_1_file_is_migrated_in_place_and_a_second_run_changes_nothing() {
        let mut connection = Connection::open_in_memory().unwrap();
        connection.execute_batch(VERSION_1).unwrap();
        migrate(&mut connection).unwrap();
        let row: (String, String, String) = connection
            .query_row("SELECT ca_id, subject, principal_id FROM dg_cert_subjects", [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .unwrap();
        assert_eq!(row, (UNASSIGNED_CA.to_owned(), "a.clients.test".to_owned(), "prn_a".to_owned()));
        let key: (i64, String) = connection
            .query_row("SELECT org_owner, issued_by FROM dg_api_keys", [], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap();
        assert_eq!(key, (0, "unknown".to_owned()), "no old key silently becomes an organisation-owner key");
        let by: String = connection.query_row("SELECT suspended_by FROM dg_tenants", [], |row| row.get(0)).unwrap();
        assert_eq!(by, "owner");
        migrate(&mut connection).unwrap();
        let version: String = connection
            .query_row("SELECT value FROM dg_control_meta WHERE key = 'schema_version'", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION.to_string());
    }
}
