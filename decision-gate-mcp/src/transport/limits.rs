//! Request limits: the in-flight cap and token-bucket rate limiting (mcp-surface §4.6, §4.7).
//!
//! Each key's bucket is a `governor` GCRA limiter (a token bucket: capacity `max_requests`,
//! one token back every `window_ms / max_requests`). The key table around them is ours because
//! the specification fixes its eviction rule, which `governor`'s keyed state does not offer:
//! full (idle) buckets are evicted first, and only a new key is refused when the table is still
//! full — a known key is never refused for table pressure.

use std::collections::HashMap;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::RateLimitBucket;

/// Non-blocking cap on concurrent requests.
#[derive(Clone, Debug)]
pub struct InflightLimiter {
    semaphore: Arc<Semaphore>,
}

impl InflightLimiter {
    /// A limiter admitting `max_inflight` concurrent requests.
    pub fn new(max_inflight: usize) -> Self {
        InflightLimiter { semaphore: Arc::new(Semaphore::new(max_inflight.max(1))) }
    }

    /// A permit, or `None` when every slot is taken.
    pub fn try_acquire(&self) -> Option<InflightPermit> {
        let permit = self.semaphore.clone().try_acquire_owned().ok()?;
        metrics::gauge!("decision_gate_inflight_requests").increment(1.0);
        Some(InflightPermit { _permit: permit })
    }
}

/// A held in-flight slot; dropping it frees the slot.
#[derive(Debug)]
pub struct InflightPermit {
    _permit: OwnedSemaphorePermit,
}

impl Drop for InflightPermit {
    fn drop(&mut self) {
        metrics::gauge!("decision_gate_inflight_requests").decrement(1.0);
    }
}

/// Why a request was rate limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateDenial {
    /// The key's bucket is empty; retry after this many milliseconds (at least 1).
    Limited {
        /// Milliseconds until one token is available, rounded up.
        retry_after_ms: u64,
    },
    /// The key table is full and this key is new.
    TableFull,
}

type DirectLimiter = RateLimiter<governor::state::NotKeyed, governor::state::InMemoryState, DefaultClock>;

struct Entry {
    limiter: DirectLimiter,
    last_seen: Instant,
}

/// One rate-limit layer (per IP or per principal).
pub struct KeyedRateLimiter<K> {
    quota: Quota,
    refill: Duration,
    max_entries: usize,
    clock: DefaultClock,
    entries: Mutex<HashMap<K, Entry>>,
}

impl<K> std::fmt::Debug for KeyedRateLimiter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedRateLimiter").field("max_entries", &self.max_entries).finish_non_exhaustive()
    }
}

impl<K: Eq + Hash + Clone> KeyedRateLimiter<K> {
    /// A layer with the configured bucket.
    pub fn new(bucket: &RateLimitBucket) -> Self {
        let capacity = NonZeroU32::new(bucket.max_requests.max(1)).unwrap_or(NonZeroU32::MIN);
        let window = Duration::from_millis(bucket.window_ms.max(1));
        let period = window / capacity.get();
        let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(capacity))
            .allow_burst(capacity);
        KeyedRateLimiter {
            quota,
            refill: window,
            max_entries: bucket.max_entries.max(1),
            clock: DefaultClock::default(),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`. A rejected request takes none.
    pub fn check(&self, key: &K) -> Result<(), RateDenial> {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !entries.contains_key(key) {
            if entries.len() >= self.max_entries {
                // A bucket untouched for a whole refill window is full again: forget it.
                let refill = self.refill;
                entries.retain(|_, entry| now.duration_since(entry.last_seen) < refill);
            }
            if entries.len() >= self.max_entries {
                return Err(RateDenial::TableFull);
            }
            entries.insert(
                key.clone(),
                Entry { limiter: RateLimiter::direct_with_clock(self.quota, self.clock.clone()), last_seen: now },
            );
        }
        let Some(entry) = entries.get_mut(key) else { return Err(RateDenial::TableFull) };
        entry.last_seen = now;
        match entry.limiter.check() {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                let retry_after_ms = u64::try_from(wait.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX).max(1);
                Err(RateDenial::Limited { retry_after_ms })
            }
        }
    }

    /// Tracked keys.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The wait suggested when authentication is unavailable (a dependency outage).
pub const AUTH_RETRY_AFTER_MS: u64 = 1_000;

/// `Retry-After` seconds for a millisecond hint: rounded up, at least 1.
pub fn retry_after_seconds(retry_after_ms: u64) -> u64 {
    retry_after_ms.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(max_requests: u32, window_ms: u64, max_entries: usize) -> RateLimitBucket {
        RateLimitBucket { max_requests, window_ms, max_entries }
    }

    #[test]
    fn capacity_then_limited_with_a_retry_hint() {
        let layer = KeyedRateLimiter::new(&bucket(2, 60_000, 64));
        assert_eq!(layer.check(&"a"), Ok(()));
        assert_eq!(layer.check(&"a"), Ok(()));
        match layer.check(&"a") {
            Err(RateDenial::Limited { retry_after_ms }) => {
                assert!(retry_after_ms > 29_000 && retry_after_ms <= 30_000, "{retry_after_ms}");
                assert_eq!(retry_after_seconds(retry_after_ms), 30);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(layer.check(&"b"), Ok(()), "keys are independent");
    }

    #[test]
    fn rejected_requests_take_no_tokens_and_buckets_refill() {
        let layer = KeyedRateLimiter::new(&bucket(1, 100, 8));
        assert_eq!(layer.check(&1), Ok(()));
        for _ in 0..5 {
            assert!(matches!(layer.check(&1), Err(RateDenial::Limited { .. })));
        }
        std::thread::sleep(Duration::from_millis(110));
        assert_eq!(layer.check(&1), Ok(()), "one refill admits again despite the rejected attempts");
    }

    #[test]
    fn a_full_table_refuses_only_new_keys() {
        let layer = KeyedRateLimiter::new(&bucket(5, 60_000, 2));
        assert_eq!(layer.check(&"a"), Ok(()));
        assert_eq!(layer.check(&"b"), Ok(()));
        assert_eq!(layer.check(&"c"), Err(RateDenial::TableFull));
        assert_eq!(layer.check(&"a"), Ok(()), "known keys keep working");
        assert_eq!(layer.len(), 2);
    }

    #[test]
    fn idle_keys_are_evicted_before_refusing() {
        let layer = KeyedRateLimiter::new(&bucket(5, 100, 1));
        assert_eq!(layer.check(&"a"), Ok(()));
        std::thread::sleep(Duration::from_millis(110));
        assert_eq!(layer.check(&"b"), Ok(()));
        assert_eq!(layer.len(), 1);
    }

    #[test]
    fn inflight_is_non_blocking() {
        let limiter = InflightLimiter::new(1);
        let first = limiter.try_acquire();
        assert!(first.is_some());
        assert!(limiter.try_acquire().is_none());
        drop(first);
        assert!(limiter.try_acquire().is_some());
    }
}
