// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! A read-through view of the control store with short-lived caches, so a tool call does not
//! pay a database round trip for its credential, tenant and namespace.
//!
//! Bound on staleness: an entry lives at most `ttl` (default 5 s); changes made through this
//! process's admin API or commands clear every cache at once, so a revocation takes effect
//! immediately in the process that made it and within `ttl` in every other process. Store
//! failures are never cached (the caller fails closed and the next call asks again).
//!
//! Races: a change made in this process holds a [`ChangeGuard`] around its store write; while
//! one is held, lookups bypass the cache, and taking and releasing it clears every cache and
//! bumps a generation. A read-through result is inserted only under the generation its store
//! read started in, so no lookup that began after a revocation was committed is answered
//! from before it, and no earlier lookup can put the pre-revocation record back. Floods: answers for
//! unknown ids ("no such key") live in their own, smaller map; a full map drops expired entries
//! and then refuses new ones instead of clearing, so random key ids cannot evict the valid
//! entries.
//!
//! The cache is a hand-written map with a deadline per entry rather than a caching crate: it
//! holds a few thousand small entries, needs no eviction policy beyond expiry and a size cap,
//! and the whole of it is a page of code.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_enterprise_control::{
    ApiKeyRecord, CertSubject, ControlResult, ControlStore, Namespace, PrincipalRecord, RoleBinding, Tenant,
};
use ipnet::IpNet;
use parking_lot::RwLock;

/// Default lifetime of a cached entry.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5);
/// Most entries one cache of found records holds.
const MAX_ENTRIES: usize = 16_384;
/// Most "not found" answers one cache holds.
const MAX_NEGATIVE_ENTRIES: usize = 4_096;

struct TtlMap<K, V> {
    ttl: Duration,
    capacity: usize,
    entries: RwLock<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlMap<K, V> {
    fn new(ttl: Duration) -> Self {
        Self::with_capacity(ttl, MAX_ENTRIES)
    }

    fn with_capacity(ttl: Duration, capacity: usize) -> Self {
        TtlMap { ttl, capacity, entries: RwLock::new(HashMap::new()) }
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

    /// Inserts unless `generation` moved on since `started` (a clear happened meanwhile); a
    /// full map drops its expired entries and, still full, keeps what it has.
    fn insert(&self, key: K, value: V, generation: &AtomicU64, started: u64) {
        let now = Instant::now();
        let mut entries = self.entries.write();
        if generation.load(Ordering::Acquire) != started {
            return;
        }
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, (deadline, _)| now < *deadline);
            if entries.len() >= self.capacity {
                return;
            }
        }
        entries.insert(key, (now + self.ttl, value));
    }

    fn len(&self) -> usize {
        self.entries.read().len()
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
    /// Whether it holds the owner binding of its organisation.
    pub owns_org: bool,
}

/// A change in progress (from [`ControlView::change_guard`]); dropping it clears the caches.
pub struct ChangeGuard<'a> {
    view: &'a ControlView,
}

impl Drop for ChangeGuard<'_> {
    fn drop(&mut self) {
        self.view.invalidate();
        self.view.changing.fetch_sub(1, Ordering::AcqRel);
    }
}

impl std::fmt::Debug for ChangeGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeGuard").finish_non_exhaustive()
    }
}

/// The cached view.
pub struct ControlView {
    store: Arc<dyn ControlStore>,
    generation: AtomicU64,
    changing: AtomicU64,
    keys: TtlMap<String, ApiKeyRecord>,
    unknown_keys: TtlMap<String, ()>,
    subjects: TtlMap<CertSubject, Option<BoundPrincipal>>,
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
            generation: AtomicU64::new(0),
            changing: AtomicU64::new(0),
            keys: TtlMap::new(ttl),
            unknown_keys: TtlMap::with_capacity(ttl, MAX_NEGATIVE_ENTRIES),
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
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.keys.clear();
        self.unknown_keys.clear();
        self.subjects.clear();
        self.tenants.clear();
        self.namespaces.clear();
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether a change is being written (lookups go to the store).
    fn bypass(&self) -> bool {
        self.changing.load(Ordering::Acquire) > 0
    }

    /// Marks a change in progress until the guard drops (see the module documentation).
    pub fn change_guard(&self) -> ChangeGuard<'_> {
        self.changing.fetch_add(1, Ordering::AcqRel);
        self.invalidate();
        ChangeGuard { view: self }
    }

    /// A key by id.
    pub async fn api_key(&self, key_id: &str) -> ControlResult<Option<ApiKeyRecord>> {
        if self.bypass() {
            return self.store.api_key(key_id.to_owned()).await;
        }
        if let Some(found) = self.keys.get(key_id) {
            return Ok(Some(found));
        }
        if self.unknown_keys.get(key_id).is_some() {
            return Ok(None);
        }
        let started = self.generation();
        let found = self.store.api_key(key_id.to_owned()).await?;
        match &found {
            Some(record) => self.keys.insert(key_id.to_owned(), record.clone(), &self.generation, started),
            None => self.unknown_keys.insert(key_id.to_owned(), (), &self.generation, started),
        }
        Ok(found)
    }

    /// How many found keys and unknown key ids are cached (for tests and metrics).
    pub fn cached_keys(&self) -> (usize, usize) {
        (self.keys.len(), self.unknown_keys.len())
    }

    /// The principal a certificate subject under a CA maps to, with its bindings.
    pub async fn principal_by_subject(&self, subject: &CertSubject) -> ControlResult<Option<BoundPrincipal>> {
        if let Some(found) = self.subjects.get(subject).filter(|_| !self.bypass()) {
            return Ok(found);
        }
        let started = self.generation();
        let found = match self.store.principal_by_cert_subject(subject.clone()).await? {
            Some(principal) => {
                let bindings = self.store.bindings_of_principal(principal.principal_id.clone()).await?;
                let owned_org = self.store.owned_org(principal.principal_id.clone()).await?;
                Some(BoundPrincipal { principal, bindings, owns_org: owned_org.is_some() })
            }
            None => None,
        };
        self.subjects.insert(subject.clone(), found.clone(), &self.generation, started);
        Ok(found)
    }

    /// A tenant with its allowlist.
    pub async fn tenant(&self, tenant: TenantId) -> ControlResult<Option<TenantFacts>> {
        if let Some(found) = self.tenants.get(&tenant).filter(|_| !self.bypass()) {
            return Ok(found);
        }
        let started = self.generation();
        let found = match self.store.get_tenant(tenant).await? {
            Some(record) => Some(TenantFacts { allowlist: self.store.ip_allowlist(tenant).await?, tenant: record }),
            None => None,
        };
        self.tenants.insert(tenant, found.clone(), &self.generation, started);
        Ok(found)
    }

    /// A namespace of a tenant.
    pub async fn namespace(&self, tenant: TenantId, namespace: NamespaceId) -> ControlResult<Option<Namespace>> {
        if let Some(found) = self.namespaces.get(&(tenant, namespace)).filter(|_| !self.bypass()) {
            return Ok(found);
        }
        let started = self.generation();
        let found = self.store.get_namespace(tenant, namespace).await?;
        self.namespaces.insert((tenant, namespace), found.clone(), &self.generation, started);
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_clear() {
        let generation = AtomicU64::new(0);
        let map: TtlMap<u8, u8> = TtlMap::new(Duration::from_millis(0));
        map.insert(1, 1, &generation, 0);
        assert_eq!(map.get(&1), None, "a zero lifetime caches nothing");
        let map: TtlMap<u8, u8> = TtlMap::new(Duration::from_secs(60));
        map.insert(1, 1, &generation, 0);
        assert_eq!(map.get(&1), Some(1));
        map.clear();
        assert_eq!(map.get(&1), None);
    }

    #[test]
    fn a_result_read_before_a_clear_is_not_inserted_after_it() {
        let generation = AtomicU64::new(0);
        let map: TtlMap<u8, u8> = TtlMap::new(Duration::from_secs(60));
        let started = generation.load(Ordering::Acquire);
        generation.fetch_add(1, Ordering::AcqRel);
        map.clear();
        map.insert(1, 1, &generation, started);
        assert_eq!(map.get(&1), None);
    }

    #[test]
    fn a_full_map_keeps_its_live_entries() {
        let generation = AtomicU64::new(0);
        let map: TtlMap<u16, u16> = TtlMap::with_capacity(Duration::from_secs(60), 4);
        for key in 0..10 {
            map.insert(key, key, &generation, 0);
        }
        assert_eq!(map.len(), 4);
        assert_eq!((0..4).map(|key| map.get(&key)).collect::<Vec<_>>(), [Some(0), Some(1), Some(2), Some(3)]);
        map.insert(2, 20, &generation, 0);
        assert_eq!(map.get(&2), Some(20), "an existing entry is refreshed");
    }
}
