// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The control tables, created next to the open core's tables in the same SQLite file. Every
//! tenant table has `tenant_id` first in its primary key; the credential tables that
//! authentication reads before a tenant is known are keyed by the credential.

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
CREATE TABLE IF NOT EXISTS dg_cert_subjects (
    subject TEXT PRIMARY KEY,
    principal_id TEXT NOT NULL REFERENCES dg_principals(principal_id)
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
    revoked_at_ms INTEGER
) STRICT;
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
