// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! A read-through view of the control store with short-lived caches, so a tool call does not
//! pay a database round trip for its credential, tenant and namespace.
//!
//! Bound on staleness: an entry lives at most `ttl` (default 5 s); changes made through this
//! process's admin API or commands clear every cache at once, so a revocation takes effect
//! immediately in the process that made it and within `ttl` in every other process. Store
//! failures are never cached (the caller fails closed and the next call asks again).
//!
//! The cache is a hand-written map with a deadline per entry rather than a caching crate: it
//! holds a few thousand small entries, needs no eviction policy beyond expiry and a size cap,
//! and the whole of it is a page of code.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_enterprise_control::{
    ApiKeyRecord, ControlResult, ControlStore, Namespace, PrincipalRecord, RoleBinding, Tenant,
};
use ipnet::IpNet;
use parking_lot::RwLock;

/// Default lifetime of a cached entry.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5);
/// Most entries one cache holds before it drops expired ones (and, if still full, all).
const MAX_ENTRIES: usize = 16_384;

struct TtlMap<K, V> {
    ttl: Duration,
    entries: RwLock<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlMap<K, V> {
    fn new(ttl: Duration) -> Self {
        TtlMap { ttl, entries: RwLock::new(HashMap::new()) }
    }

    fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.entries.read();
        let (deadline, value) = entries.get(key)?;
        (Instant::now() < *deadline).then(|| value.clone())
    }

    fn insert(&self, key: K, value: V) {
        let now = Instant::now();
        let mut entries = self.entries.write();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (deadline, _)| now < *deadline);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (now + self.ttl, value));
    }

    fn clear(&self) {
        self.entries.write().clear();
    }
}

/// A tenant and its allowlist, as the resolver needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantFacts {
    /// The tenant.
    pub tenant: Tenant,
    /// Its client-IP allowlist (empty: any address).
    pub allowlist: Vec<IpNet>,
}

/// A principal found by certificate subject, with its bindings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundPrincipal {
    /// The principal.
    pub principal: PrincipalRecord,
    /// Its role bindings.
    pub bindings: Vec<RoleBinding>,
}

/// The cached view.
pub struct ControlView {
    store: Arc<dyn ControlStore>,
    keys: TtlMap<String, Option<ApiKeyRecord>>,
    subjects: TtlMap<String, Option<BoundPrincipal>>,
    tenants: TtlMap<TenantId, Option<TenantFacts>>,
    namespaces: TtlMap<(TenantId, NamespaceId), Option<Namespace>>,
}

impl std::fmt::Debug for ControlView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlView").finish_non_exhaustive()
    }
}

impl ControlView {
    /// A view over a store with entries living `ttl`.
    pub fn new(store: Arc<dyn ControlStore>, ttl: Duration) -> Self {
        ControlView {
            store,
            keys: TtlMap::new(ttl),
            subjects: TtlMap::new(ttl),
            tenants: TtlMap::new(ttl),
            namespaces: TtlMap::new(ttl),
        }
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn ControlStore> {
        &self.store
    }

    /// Forgets every cached entry (after a change made in this process).
    pub fn invalidate(&self) {
        self.keys.clear();
        self.subjects.clear();
        self.tenants.clear();
        self.namespaces.clear();
    }

    /// A key by id.
    pub async fn api_key(&self, key_id: &str) -> ControlResult<Option<ApiKeyRecord>> {
        if let Some(found) = self.keys.get(key_id) {
            return Ok(found);
        }
        let found = self.store.api_key(key_id.to_owned()).await?;
        self.keys.insert(key_id.to_owned(), found.clone());
        Ok(found)
    }

    /// The principal a certificate subject maps to, with its bindings.
    pub async fn principal_by_subject(&self, subject: &str) -> ControlResult<Option<BoundPrincipal>> {
        if let Some(found) = self.subjects.get(subject) {
            return Ok(found);
        }
        let found = match self.store.principal_by_cert_subject(subject.to_owned()).await? {
            Some(principal) => {
                let bindings = self.store.bindings_of_principal(principal.principal_id.clone()).await?;
                Some(BoundPrincipal { principal, bindings })
            }
            None => None,
        };
        self.subjects.insert(subject.to_owned(), found.clone());
        Ok(found)
    }

    /// A tenant with its allowlist.
    pub async fn tenant(&self, tenant: TenantId) -> ControlResult<Option<TenantFacts>> {
        if let Some(found) = self.tenants.get(&tenant) {
            return Ok(found);
        }
        let found = match self.store.get_tenant(tenant).await? {
            Some(record) => Some(TenantFacts { allowlist: self.store.ip_allowlist(tenant).await?, tenant: record }),
            None => None,
        };
        self.tenants.insert(tenant, found.clone());
        Ok(found)
    }

    /// A namespace of a tenant.
    pub async fn namespace(&self, tenant: TenantId, namespace: NamespaceId) -> ControlResult<Option<Namespace>> {
        if let Some(found) = self.namespaces.get(&(tenant, namespace)) {
            return Ok(found);
        }
        let found = self.store.get_namespace(tenant, namespace).await?;
        self.namespaces.insert((tenant, namespace), found.clone());
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_clear() {
        let map: TtlMap<u8, u8> = TtlMap::new(Duration::from_millis(0));
        map.insert(1, 1);
        assert_eq!(map.get(&1), None, "a zero lifetime caches nothing");
        let map: TtlMap<u8, u8> = TtlMap::new(Duration::from_secs(60));
        map.insert(1, 1);
        assert_eq!(map.get(&1), Some(1));
        map.clear();
        assert_eq!(map.get(&1), None);
    }
}
