//! Engine tests: lifecycle, timeouts, disclosure, idempotency, concurrency, precheck.

mod concurrency;
mod disclosure;
mod explain;
mod lifecycle;
mod ownership;
mod precheck;
pub(crate) mod support;
mod timeouts;
mod worked_example;
